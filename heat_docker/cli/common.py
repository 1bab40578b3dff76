"""What heat-docker's own commands share: cliff bases, errors, formats,
and finding stacks on the engine."""

import json

from cliff import columns
from cliff import command
from cliff import lister
from cliff import show

from heat_docker.cli import engine as engine_api

SHORT_COLUMNS = [
    'id',
    'stack_name',
    'description',
    'creation_time',
    'updated_time',
    'stack_status',
    'stack_status_reason',
]
LIST_COLUMNS = {
    'ID': 'id',
    'Stack Name': 'stack_name',
    'Stack Status': 'stack_status',
    'Creation Time': 'creation_time',
    'Updated Time': 'updated_time',
}


class _Own:
    """cliff's epilog names the distribution a command comes from, found by
    reading every installed distribution's metadata (a sixth of a second);
    heat-docker's own commands need no such note."""

    def get_epilog(self):
        return ''


class Command(_Own, command.Command):
    pass


class Lister(_Own, lister.Lister):
    pass


class ShowOne(_Own, show.ShowOne):
    pass


class CommandFailed(Exception):
    """Ends the command: its message goes to stderr, the exit status is 1."""


class YamlColumn(columns.FormattableColumn):
    def human_readable(self):
        import yaml

        return yaml.safe_dump(self._value, default_flow_style=False)


class JsonColumn(columns.FormattableColumn):
    def human_readable(self):
        return json.dumps(
            self._value, indent=2, ensure_ascii=False, separators=(', ', ': ')
        )


def _cell(value, formatter):
    """A structured value as heatclient shows it in ``formatter``."""
    if not isinstance(value, (dict, list)):
        return value
    if formatter == 'table':
        return YamlColumn(value)
    if formatter in ('shell', 'value', 'html'):
        return JsonColumn(value)
    return value


def heatclient_command(module, name):
    """python-heatclient's own command class ``name`` in
    ``heatclient.osc.v1.``\\ ``module``."""
    import importlib

    return getattr(
        importlib.import_module('heatclient.osc.v1.' + module), name
    )


def delegate(cmd, parsed_args, module, name):
    """Run ``parsed_args`` through heatclient's implementation."""
    implementation = heatclient_command(module, name)(cmd.app, cmd.app_args)
    return implementation.take_action(parsed_args)


def show_stack(app, path, formatter, short=False, resolve_outputs=True):
    """Columns and values as heatclient's ``_show_stack`` gives them."""
    resolve = not short and resolve_outputs
    stack = app.engine.call(
        'GET', path, resolve_outputs=None if resolve else 'False'
    )['stack']
    names = list(SHORT_COLUMNS)
    if not short:
        names.append('parameters')
        if resolve:
            names.append('outputs')
        names.append('links')
        names += [
            k for k in stack if k not in names and k != 'template_description'
        ]
    return names, tuple(_cell(stack.get(n), formatter) for n in names)


def stack_path(app, stack, heat_api_error=False):
    """The stack's path; a missing one ends the command as heatclient's
    commands end it: "Stack not found: NAME", or heat-api's own error
    where heatclient lets it through (``heat_api_error``)."""
    try:
        return app.engine.stack_path(stack)
    except engine_api.ApiError as exc:
        if exc.status == 404 and not heat_api_error:
            raise CommandFailed('Stack not found: %s' % stack) from None
        raise
