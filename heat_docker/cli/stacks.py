"""The stack commands heat-docker runs itself, for speed.

``stack create``, ``update``, ``delete``, ``list``, ``show``, ``check``,
``suspend`` and ``resume`` take python-heatclient's flags and print its
columns, but talk to the engine with the standard library and wait for
the action with their own progress display: importing heatclient's
commands costs a second. Where a flag needs what only heatclient does
(``--dry-run``, and the listing filters), the command hands its parsed
arguments to heatclient's own implementation.
"""

from heat_docker import stack_input
from heat_docker.cli import engine as engine_api
from heat_docker.cli.common import LIST_COLUMNS
from heat_docker.cli.common import Command
from heat_docker.cli.common import CommandFailed
from heat_docker.cli.common import Lister
from heat_docker.cli.common import ShowOne
from heat_docker.cli.common import delegate
from heat_docker.cli.common import show_stack
from heat_docker.cli.common import stack_path
from heat_docker.cli.waiter import Waiter


def _in_the_commands_directory(app, parsed_args):
    """The template and environment files of ``parsed_args`` with
    absolute paths (parameter files are relative to the template): the
    command runs in the engine, whose working directory is not the
    command's."""
    parsed_args.template = stack_input.resolved(parsed_args.template, app.cwd)
    parsed_args.environment = [
        stack_input.resolved(path, app.cwd)
        for path in parsed_args.environment or ()
    ]


def _stack_fields(app, parsed_args, hook, existing=False):
    """The request body heatclient's create and update send, with the
    ``hook`` (pre-create, pre-update) set on the resources named; the
    engine reads the files (see :mod:`heat_docker.stack_input`), named by
    :func:`_in_the_commands_directory`."""
    if parsed_args.files_container:
        raise CommandFailed(
            '--files-container needs Swift; heat-docker has no Swift.'
        )
    fields = app.engine.control(
        'stack-input',
        {
            'template': parsed_args.template,
            'environment': parsed_args.environment,
            'parameters': parsed_args.parameter or [],
            'parameter_files': parsed_args.parameter_file or [],
            'existing': existing,
            'hook': hook,
            'hooked': getattr(parsed_args, hook.replace('-', '_')) or [],
        },
    )
    if parsed_args.tags:
        fields['tags'] = parsed_args.tags
    if parsed_args.timeout:
        fields['timeout_mins'] = parsed_args.timeout
    return fields


def _add_input_arguments(parser, verb, template_required):
    parser.add_argument(
        '-e',
        '--environment',
        metavar='<environment>',
        action='append',
        help='Path to the environment. Can be specified multiple times',
    )
    parser.add_argument(
        '-s',
        '--files-container',
        metavar='<files-container>',
        help='Swift files container name (not available: no Swift here)',
    )
    parser.add_argument(
        '--timeout',
        metavar='<timeout>',
        type=int,
        help='Stack %s timeout in minutes' % verb,
    )
    parser.add_argument(
        '--parameter',
        metavar='<key=value>',
        action='append',
        help='Parameter values used to create the stack. This can be '
        'specified multiple times',
    )
    parser.add_argument(
        '--parameter-file',
        metavar='<key=file>',
        action='append',
        help='Parameter values from file used to create the stack. This '
        'can be specified multiple times. Parameter values would be the '
        'content of the file',
    )
    parser.add_argument(
        '--tags',
        metavar='<tag1,tag2...>',
        help='A list of tags to associate with the stack',
    )
    parser.add_argument(
        '-t',
        '--template',
        metavar='<template>',
        required=template_required,
        help='Path to the template',
    )


def _add_hook_argument(parser, hook):
    parser.add_argument(
        '--' + hook,
        metavar='<resource>',
        action='append',
        help='Name of a resource to set a %s hook to. Resources in nested '
        'stacks can be set using slash as a separator: '
        '``nested_stack/another/my_resource``. You can use wildcards to '
        'match multiple stacks or resources: ``nested_stack/an*/*_resource``.'
        ' This can be specified multiple times' % hook,
    )


def _add_wait_argument(parser, help_text):
    parser.add_argument(
        '--wait',
        action='store_true',
        help=help_text + '; shows the progress, and exits non-zero if it '
        'fails. Ctrl-C stops the waiting; the action goes on',
    )


def _add_dry_run_argument(parser, action, shown):
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='Do not actually perform the stack %s, but show what %s'
        % (action, shown),
    )


class CreateStack(ShowOne):
    """Create a stack."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_input_arguments(parser, 'creating', template_required=True)
        _add_hook_argument(parser, 'pre-create')
        parser.add_argument(
            '--enable-rollback',
            action='store_true',
            help='Enable rollback on create/update failure',
        )
        _add_wait_argument(
            parser, 'Wait until stack goes to CREATE_COMPLETE or CREATE_FAILED'
        )
        parser.add_argument(
            '--poll',
            metavar='SECONDS',
            type=int,
            default=5,
            help='Accepted for compatibility; progress is polled sooner',
        )
        _add_dry_run_argument(parser, 'create', 'would be created')
        parser.add_argument(
            'name', metavar='<stack-name>', help='Name of the stack to create'
        )
        return parser

    def take_action(self, parsed_args):
        _in_the_commands_directory(self.app, parsed_args)
        if parsed_args.dry_run:
            return delegate(self, parsed_args, 'stack', 'CreateStack')
        fields = _stack_fields(self.app, parsed_args, 'pre-create')
        fields['stack_name'] = parsed_args.name
        fields['disable_rollback'] = not parsed_args.enable_rollback
        created = self.app.engine.call('POST', 'stacks', fields)['stack']
        path = 'stacks/%s/%s' % (parsed_args.name, created['id'])
        Waiter(self, parsed_args, 'CREATE').run(path, None)
        return show_stack(self.app, path, parsed_args.formatter, short=True)


class UpdateStack(ShowOne):
    """Update a stack."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_input_arguments(parser, 'update', template_required=False)
        _add_hook_argument(parser, 'pre-update')
        parser.add_argument(
            '--rollback',
            metavar='<value>',
            default='keep',
            choices=['enabled', 'disabled', 'keep'],
            help='Set rollback on update failure. Value "enabled" sets '
            'rollback to enabled. Value "disabled" sets rollback to '
            'disabled. Value "keep" uses the value of existing stack to be '
            'updated.',
        )
        _add_dry_run_argument(
            parser,
            'update',
            'would be changed: which resources would be updated in place, '
            'replaced, added or deleted',
        )
        parser.add_argument(
            '--show-nested',
            default=False,
            action='store_true',
            help='Show nested stacks when performing --dry-run',
        )
        parser.add_argument(
            '--existing',
            action='store_true',
            help='Re-use the template, parameters and environment of the '
            'current stack. If the template argument is omitted then the '
            'existing template is used. If no --environment is specified '
            'then the existing environment is used. Parameters specified in '
            '--parameter will patch over the existing values in the current '
            'stack. Parameters omitted will keep the existing values',
        )
        parser.add_argument(
            '--clear-parameter',
            metavar='<parameter>',
            action='append',
            help='Remove the parameters from the set of parameters of '
            'current stack for the stack-update. The default value in the '
            'template will be used. This can be specified multiple times',
        )
        parser.add_argument(
            'stack', metavar='<stack>', help='Name or ID of stack to update'
        )
        _add_wait_argument(
            parser, 'Wait until stack goes to UPDATE_COMPLETE or UPDATE_FAILED'
        )
        parser.add_argument(
            '--converge',
            action='store_true',
            help='Stack update with observe on reality.',
        )
        return parser

    def take_action(self, parsed_args):
        _in_the_commands_directory(self.app, parsed_args)
        if parsed_args.dry_run:
            return delegate(self, parsed_args, 'stack', 'UpdateStack')
        fields = _stack_fields(
            self.app, parsed_args, 'pre-update', existing=parsed_args.existing
        )
        if parsed_args.clear_parameter:
            fields['clear_parameters'] = list(parsed_args.clear_parameter)
        if parsed_args.rollback != 'keep':
            fields['disable_rollback'] = parsed_args.rollback == 'disabled'
        if parsed_args.converge:
            fields['converge'] = True
        path = stack_path(self.app, parsed_args.stack, heat_api_error=True)
        before = self.app.engine.last_event() if parsed_args.wait else None
        self.app.engine.call(
            'PATCH' if parsed_args.existing else 'PUT', path, fields
        )
        Waiter(self, parsed_args, 'UPDATE').run(path, before)
        return show_stack(self.app, path, parsed_args.formatter, short=True)


class DeleteStack(Command):
    """Delete stack(s)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'stack',
            metavar='<stack>',
            nargs='+',
            help='Stack(s) to delete (name or ID)',
        )
        parser.add_argument(
            '-y',
            '--yes',
            action='store_true',
            help='Skip yes/no prompt (assume yes)',
        )
        _add_wait_argument(parser, 'Wait for stack delete to complete')
        return parser

    def take_action(self, parsed_args):
        if not parsed_args.yes and not self.app.confirm(
            'Are you sure you want to delete this stack(s) [y/N]? '
        ):
            return
        failures = 0
        waiting = []
        # As heatclient's: what failed for each stack goes to stdout, the
        # count of failures to stderr.
        for name in parsed_args.stack:
            try:
                path = stack_path(
                    self.app, name, heat_api_error=parsed_args.wait
                )
                before = (
                    self.app.engine.last_event() if parsed_args.wait else None
                )
                self.app.engine.call('DELETE', path)
                waiting.append((path, before))
            except (engine_api.ApiError, CommandFailed) as exc:
                failures += 1
                self.app.stdout.write('%s\n' % exc)
        for path, before in waiting:
            try:
                Waiter(self, parsed_args, 'DELETE').run(path, before)
            except (engine_api.ApiError, CommandFailed) as exc:
                failures += 1
                self.app.stdout.write('%s\n' % exc)
        if failures:
            raise CommandFailed(
                'Unable to delete %d of the %d stacks.'
                % (failures, len(parsed_args.stack))
            )


class ListStack(Lister):
    """List stacks."""

    FILTERS = (
        'deleted',
        'nested',
        'hidden',
        'properties',
        'project',
        'tags',
        'limit',
        'marker',
        'sort',
        'all_projects',
        'long',
    )

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        for flag, help_text in (
            ('--deleted', 'Include soft-deleted stacks in the stack listing'),
            ('--nested', 'Include nested stacks in the stack listing'),
            ('--hidden', 'Include hidden stacks in the stack listing'),
            ('--all-projects', 'Include all projects (admin only)'),
            ('--short', 'List fewer fields in output'),
            ('--long', 'List additional fields in output'),
        ):
            parser.add_argument(flag, action='store_true', help=help_text)
        parser.add_argument(
            '--property',
            dest='properties',
            metavar='<key=value>',
            action='append',
            help='Filter properties to apply on returned stacks (repeat to '
            'filter on multiple properties)',
        )
        parser.add_argument(
            '--project',
            metavar='<project>',
            help='Filter stacks by project (name or ID) (admin only)',
        )
        parser.add_argument(
            '--project-domain',
            metavar='<project-domain>',
            help='Domain the project belongs to (name or ID)',
        )
        parser.add_argument(
            '--tags',
            metavar='<tag1,tag2...>',
            help='List of tags to filter by',
        )
        parser.add_argument(
            '--tag-mode',
            metavar='<mode>',
            help='Method of filtering tags: "any", "not", or "not-any"',
        )
        parser.add_argument(
            '--limit',
            metavar='<limit>',
            type=int,
            help='The number of stacks returned',
        )
        parser.add_argument(
            '--marker',
            metavar='<id>',
            help='Only return stacks that appear after the given ID',
        )
        parser.add_argument(
            '--sort',
            metavar='<key>[:<direction>]',
            help='Sort output by selected keys and directions (asc or desc)',
        )
        return parser

    def take_action(self, parsed_args):
        if any(getattr(parsed_args, f) for f in self.FILTERS):
            return delegate(self, parsed_args, 'stack', 'ListStack')
        names = list(LIST_COLUMNS)
        if parsed_args.short:
            names = names[:3]
        stacks = self.app.engine.call('GET', 'stacks')['stacks']
        keys = [LIST_COLUMNS[n] for n in names]
        if any('project' in s for s in stacks):
            names.insert(2, 'Project')
            keys.insert(2, 'project')
        return names, [tuple(s.get(k) for k in keys) for s in stacks]


class ShowStack(ShowOne):
    """Show stack details."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'stack', metavar='<stack>', help='Stack to display (name or ID)'
        )
        parser.add_argument(
            '--no-resolve-outputs',
            action='store_true',
            help='Do not resolve outputs of the stack.',
        )
        return parser

    def take_action(self, parsed_args):
        return show_stack(
            self.app,
            stack_path(self.app, parsed_args.stack),
            parsed_args.formatter,
            resolve_outputs=not parsed_args.no_resolve_outputs,
        )


class _StackAction(Lister):
    """Run an action on stacks, and list them after it."""

    action = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'stack',
            metavar='<stack>',
            nargs='+',
            help='Stack(s) to %s (name or ID)' % self.action.lower(),
        )
        _add_wait_argument(
            parser, 'Wait for %s to complete' % self.action.lower()
        )
        return parser

    def refused(self, stack):
        """Why the action is not asked of ``stack``, or None."""
        return None

    def take_action(self, parsed_args):
        rows = []
        for name in parsed_args.stack:
            path = stack_path(self.app, name, heat_api_error=parsed_args.wait)
            refusal = self.refused(
                self.app.engine.call('GET', path, resolve_outputs='False')[
                    'stack'
                ]
            )
            if refusal:
                raise CommandFailed(refusal)
            before = self.app.engine.last_event() if parsed_args.wait else None
            self.app.engine.call(
                'POST', path + '/actions', {self.action.lower(): None}
            )
            Waiter(self, parsed_args, self.action).run(path, before)
            stack = self.app.engine.call('GET', path, resolve_outputs='False')[
                'stack'
            ]
            rows.append(tuple(stack.get(k) for k in LIST_COLUMNS.values()))
        return tuple(LIST_COLUMNS), rows


class CheckStack(_StackAction):
    """Check a stack."""

    action = 'CHECK'

    def refused(self, stack):
        if stack['stack_status'] != 'SUSPEND_COMPLETE':
            return None
        return (
            'Stack %s is suspended: resume it before checking it. Heat '
            'resumes only resources whose last action was a suspend; after '
            'a check, "stack update --existing --converge" would be the '
            'way to start them again' % stack['stack_name']
        )


class SuspendStack(_StackAction):
    """Suspend a stack."""

    action = 'SUSPEND'


class ResumeStack(_StackAction):
    """Resume a stack."""

    action = 'RESUME'


COMMANDS = {
    'stack create': CreateStack,
    'stack update': UpdateStack,
    'stack delete': DeleteStack,
    'stack list': ListStack,
    'stack show': ShowStack,
    'stack check': CheckStack,
    'stack suspend': SuspendStack,
    'stack resume': ResumeStack,
}
