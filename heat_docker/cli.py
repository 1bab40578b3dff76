"""The heat-docker command: ``openstack stack ...`` on Heat's own engine.

Commands boot Heat's real engine in this process (:mod:`standalone`, state
in sqlite under --state-dir, Heat's log in heat.log there), call its RPC
methods as heat-api would and show the results with the names, flags and
columns of python-heatclient's ``openstack stack`` commands.

The engine does its work in threads of this process, so a command that
starts an action returns only when the action has ended, --wait or not;
--wait adds the live events and a failing exit status.
"""

import gc
import importlib.metadata
import json
import logging
import os
import signal
import sys
import time
import types

from cliff import app
from cliff import columns
from cliff import command
from cliff import commandmanager
from cliff import lister
from cliff import show
from heatclient.common import environment_format
from heatclient.common import template_utils
from heatclient.common import utils as heat_utils
from oslo_serialization import jsonutils
import yaml

from heat_docker import standalone

POLL_SECONDS = 0.2
FOLLOW_POLL_SECONDS = 1

IN_PROGRESS, COMPLETE, FAILED = 'IN_PROGRESS', 'COMPLETE', 'FAILED'

STACK_COLUMNS = (
    'id',
    'stack_name',
    'description',
    'creation_time',
    'updated_time',
    'stack_status',
    'stack_status_reason',
    'parameters',
    'outputs',
)
STACK_LIST_COLUMNS = {
    'ID': 'id',
    'Stack Name': 'stack_name',
    'Stack Status': 'stack_status',
    'Creation Time': 'creation_time',
    'Updated Time': 'updated_time',
}
RESOURCE_LIST_COLUMNS = (
    'resource_name',
    'physical_resource_id',
    'resource_type',
    'resource_status',
    'updated_time',
)
EVENT_LIST_COLUMNS = (
    'resource_name',
    'id',
    'resource_status',
    'resource_status_reason',
    'event_time',
    'physical_resource_id',
    'logical_resource_id',
)


class CommandFailed(Exception):
    """Ends the command: its message goes to stderr, the exit status is 1."""


class YamlColumn(columns.FormattableColumn):
    """A map or list, shown as YAML in a table."""

    def human_readable(self):
        return yaml.safe_dump(self._value, default_flow_style=False).rstrip()


def _cell(value, formatter):
    """``value`` for ``formatter``: structured values stay structured where
    the format has structure (json, yaml), become YAML in a table and JSON
    text in the line formats (value, shell, csv)."""
    if not isinstance(value, (dict, list)) or formatter in ('json', 'yaml'):
        return value
    if formatter == 'table':
        return YamlColumn(value)
    return json.dumps(value)


def _cells(values, formatter):
    return tuple(_cell(v, formatter) for v in values)


def _state(action, status):
    return '%s_%s' % (action, status)


def _api_view(record, kind, hidden=()):
    """A ``kind`` ('stack' or 'resource') ``record`` as heat-api shows it:
    without identities and ``hidden`` keys, its action joined to its status
    (CREATE_COMPLETE)."""
    action, status = kind + '_action', kind + '_status'
    view = {
        k: v
        for k, v in record.items()
        if not k.endswith('_identity') and k != action and k not in hidden
    }
    view[status] = _state(record[action], record[status])
    return view


def _stack_view(stack):
    view = _api_view(stack, 'stack', hidden=('template_description',))
    view['id'] = stack['stack_identity']['stack_id']
    return view


def _resource_view(resource):
    view = _api_view(resource, 'resource', hidden=('stack_name', 'metadata'))
    view['logical_resource_id'] = resource['resource_name']
    return view


def _event_id(event):
    return event['event_identity']['path'].rsplit('/', 1)[-1]


def _stack_status(event, identity, action):
    """The status ``event`` gives the stack's own ``action``, or None."""
    if (
        event['physical_resource_id'] == identity['stack_id']
        and event['resource_action'] == action
    ):
        return event['resource_status']
    return None


def _event_view(event):
    view = _resource_view(event)
    view['id'] = _event_id(event)
    return view


def _event_log(events, log_context):
    """Events as ``openstack stack event list`` prints them, one a line."""
    return heat_utils.event_log_formatter(
        [types.SimpleNamespace(**_event_view(e)) for e in events], log_context
    )


def _show_stack_columns(stack, formatter):
    view = _stack_view(stack)
    names = [c for c in STACK_COLUMNS if c in view]
    names += sorted(set(view) - set(names))
    return names, _cells((view[c] for c in names), formatter)


def _rows(records, view, keys):
    """For a Lister: the ``keys`` of each record's ``view``."""
    views = [view(r) for r in records]
    return [tuple(v[k] for k in keys) for v in views]


def _stack_list_columns(stacks):
    rows = _rows(stacks, _stack_view, STACK_LIST_COLUMNS.values())
    return tuple(STACK_LIST_COLUMNS), rows


def _shows_progress(parsed_args):
    """Whether event lines go to stderr: not with a machine format."""
    return getattr(parsed_args, 'formatter', 'table') == 'table'


class _Progress:
    """Event lines on a stream and, on a terminal, "N/M resources complete"
    kept on the line below them."""

    def __init__(self, stream, shown):
        self.stream = stream
        self.shown = shown
        self.counting = shown and stream.isatty()
        self.log_context = heat_utils.EventLogContext()
        self.counter = ''

    def events(self, events):
        if not (self.shown and events):
            return
        self._erase_counter()
        self.stream.write(_event_log(events, self.log_context) + '\n')
        self.stream.write(self.counter)
        self.stream.flush()

    def count(self, resources, action):
        done = sum(
            1
            for r in resources
            if (r['resource_action'], r['resource_status'])
            == (action, COMPLETE)
        )
        self._erase_counter()
        self.counter = '%d/%d resources complete' % (done, len(resources))
        self.stream.write(self.counter)
        self.stream.flush()

    def close(self):
        if self.counting:
            self._erase_counter()
            self.counter = ''
            self.stream.flush()

    def _erase_counter(self):
        if self.counter:
            self.stream.write('\r\033[K')


class HeatDockerApp(app.App):
    """The cliff application; Heat's engine is booted on first use."""

    NAME = 'heat-docker'
    LOG = logging.getLogger(NAME)

    def __init__(self):
        manager = commandmanager.CommandManager(None)
        for name, command_class in COMMANDS.items():
            manager.add_command(name, command_class)
        super().__init__(
            description="Heat stacks of Docker containers, run by Heat's "
            'own engine in this process ("openstack stack" commands).',
            version=importlib.metadata.version('heat-docker'),
            command_manager=manager,
            deferred_help=True,
        )
        self._heat = None

    def build_option_parser(self, description, version, argparse_kwargs=None):
        parser = super().build_option_parser(
            description, version, argparse_kwargs
        )
        parser.add_argument(
            '--state-dir',
            metavar='<dir>',
            default=standalone.default_state_dir(),
            help="Directory of the stacks' state (sqlite) and of heat.log "
            '(default: $HEAT_DOCKER_STATE_DIR, else '
            '$XDG_STATE_HOME/heat-docker, else '
            '~/.local/state/heat-docker; now %(default)s)',
        )
        return parser

    def configure_logging(self):
        super().configure_logging()
        # oslo.log takes the root logger over when Heat boots, for Heat's
        # log file; this command's own messages keep their handlers.
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
            self.LOG.addHandler(handler)
        self.LOG.propagate = False
        # Until Heat's logging is set up, its records go nowhere rather
        # than to Python's last-resort handler on stderr.
        root.addHandler(logging.NullHandler())
        logging.captureWarnings(True)

    @property
    def heat(self):
        if self._heat is None:
            state_dir = self.options.state_dir
            self._heat = standalone.boot(
                state_dir,
                log_file=os.path.join(state_dir, 'heat.log'),
                debug=self.options.debug,
            )
        return self._heat

    def run(self, argv):
        try:
            return super().run(argv)
        finally:
            if self._heat is not None:
                # Stopping waits for the resource operations in progress;
                # Ctrl-C abandons them, and exits at once.
                self.stdout.flush()
                self.stderr.flush()
                signal.signal(signal.SIGINT, lambda *_: os._exit(130))
                self._heat.stop()

    def call(self, method, *args, context=None, **kwargs):
        """Heat engine RPC ``method``, called as heat-api calls it.

        The result comes as heat-api receives it, through JSON (Heat's
        schemas hold translatable strings that only JSON turns into plain
        ones). The engine wraps its own errors for the message bus; they
        are unwrapped so that Heat's message is what the user reads.
        """
        engine_method = getattr(self.heat.engine, method)
        from oslo_messaging.rpc import dispatcher  # only once Heat booted

        try:
            result = engine_method(
                context or self.heat.context, *args, **kwargs
            )
        except dispatcher.ExpectedException as exc:
            raise exc.exc_info[1] from None
        return jsonutils.loads(jsonutils.dumps(result))

    def identify(self, stack):
        """The identity of the live stack named (or with the id) ``stack``."""
        return self.call('identify_stack', stack)

    def show(self, identity, resolve_outputs=True):
        return self.call(
            'show_stack', identity, resolve_outputs=resolve_outputs
        )[0]

    def last_event_id(self, identity):
        events = self.call('list_events', identity, limit=1, sort_dir='desc')
        return _event_id(events[0]) if events else None

    def wait(self, identity, action, marker, parsed_args):
        """Wait for the stack's ``action`` to end; return the stack.

        With --wait, events after ``marker`` stream to stderr and a failed
        action ends the command with what failed. Returns None for a stack
        that was deleted and is gone.
        """
        progress = _Progress(
            self.stderr, parsed_args.wait and _shows_progress(parsed_args)
        )
        try:
            stack = self._poll(identity, action, marker, progress)
        except KeyboardInterrupt:
            self._interrupted(identity, action)
            raise
        if parsed_args.wait and stack and stack['stack_status'] == FAILED:
            raise CommandFailed(self._failure(identity, stack))
        return stack

    def _poll(self, identity, action, marker, progress):
        """Follow the events until the stack's own ends ``action``.

        Only the events are read while waiting (the stack itself is loaded
        once, at the end): loading it on every poll kept Heat's database
        busy for the workers doing the action.
        """
        from heat.common import exception

        started = False
        try:
            while True:
                try:
                    events = self.call(
                        'list_events', identity, marker=marker, sort_dir='asc'
                    )
                except exception.EntityNotFound:
                    if action == 'DELETE':
                        return None
                    raise
                progress.events(events)
                if events:
                    marker = _event_id(events[-1])
                for event in events:
                    status = _stack_status(event, identity, action)
                    # An action that takes over from one in progress (a
                    # delete after an engine died) first ends that one.
                    if status == IN_PROGRESS:
                        started = True
                    elif status is not None and started:
                        return self.show(identity, resolve_outputs=False)
                if progress.counting:
                    progress.count(
                        self.call('list_stack_resources', identity), action
                    )
                time.sleep(POLL_SECONDS)
        finally:
            progress.close()

    def _interrupted(self, identity, action):
        """Ctrl-C while waiting: the engine stops with this command.

        It first finishes the resource operations in progress; nothing
        starts the next ones, so a create or update is cancelled (the stack
        ends FAILED, not IN_PROGRESS for ever).
        """
        from heat.common import exception

        if action in ('CREATE', 'UPDATE'):
            try:
                self.call(
                    'stack_cancel_update', identity, cancel_with_rollback=False
                )
            except exception.NotSupported:
                pass  # it has just ended
        self.stderr.write(
            'Interrupted: waiting for the resource operations in progress '
            'to end (Ctrl-C again leaves them IN_PROGRESS).\n'
        )

    def _failure(self, identity, stack):
        """What failed in ``stack``: its failed resources and their reasons,
        or the stack's own reason when no resource failed."""
        failed = [
            r
            for r in self.call('list_stack_resources', identity)
            if r['resource_status'] == FAILED
        ]
        lines = [
            'Stack %s %s'
            % (stack['stack_name'], _state(stack['stack_action'], FAILED))
        ]
        lines += [
            '%s: %s: %s'
            % (
                r['resource_name'],
                _state(r['resource_action'], r['resource_status']),
                r['resource_status_reason'],
            )
            for r in failed
        ] or [stack['stack_status_reason']]
        return '\n'.join(lines)


def _add_stack_argument(parser, help_text='Name or ID of stack to query'):
    parser.add_argument('stack', metavar='<stack>', help=help_text)


def _add_stack_input_arguments(parser, template_required=True):
    parser.add_argument(
        '-t',
        '--template',
        metavar='<template>',
        required=template_required,
        help='Path to the template',
    )
    parser.add_argument(
        '-e',
        '--environment',
        metavar='<environment>',
        action='append',
        help='Path to the environment. Can be specified multiple times',
    )
    parser.add_argument(
        '--parameter',
        metavar='<key=value>',
        action='append',
        help='Parameter values used to create the stack. This can be '
        'specified multiple times',
    )


def _add_wait_argument(parser, help_text):
    parser.add_argument(
        '--wait',
        action='store_true',
        help=help_text + '; show events while waiting, and exit non-zero '
        "if it fails. (Heat's engine runs in this command, so the command "
        'returns only when the action has ended in any case.)',
    )


def _stack_input(parsed_args, existing=False):
    """Template, files, environment and environment file names, as
    python-heatclient sends them: Heat merges the environment files over
    the --parameter values, as it does for the openstack client."""
    template_files, template = template_utils.process_template_path(
        parsed_args.template, existing=existing
    )
    env_file_names = []
    env_files, environment = (
        template_utils.process_multiple_environments_and_files(
            env_paths=parsed_args.environment,
            env_list_tracker=env_file_names,
        )
    )
    environment_format.default_for_missing(environment)
    environment['parameters'].update(
        heat_utils.format_parameters(parsed_args.parameter)
    )
    return (
        template,
        {**template_files, **env_files},
        environment,
        env_file_names or None,
    )


def _apply_template(app, parsed_args, method, stack, args, marker=None):
    """Create or update ``stack`` from the command's template and
    environment, wait for it, and show it."""
    template, files, environment, env_files = _stack_input(
        parsed_args, existing=args.get('existing', False)
    )
    identity = app.call(
        method,
        stack,
        template,
        environment,
        files,
        args,
        environment_files=env_files,
    )
    action = 'CREATE' if method == 'create_stack' else 'UPDATE'
    app.wait(identity, action, marker, parsed_args)
    return _show_stack_columns(app.show(identity), parsed_args.formatter)


class CreateStack(show.ShowOne):
    """Create a stack."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'name', metavar='<stack-name>', help='Name of the stack to create'
        )
        _add_stack_input_arguments(parser)
        parser.add_argument(
            '--timeout',
            metavar='<timeout>',
            type=int,
            help='Stack creating timeout in minutes',
        )
        parser.add_argument(
            '--enable-rollback',
            action='store_true',
            help='Enable rollback on create/update failure',
        )
        _add_wait_argument(
            parser, 'Wait until stack goes to CREATE_COMPLETE or CREATE_FAILED'
        )
        return parser

    def take_action(self, parsed_args):
        args = {'disable_rollback': not parsed_args.enable_rollback}
        if parsed_args.timeout:
            args['timeout_mins'] = parsed_args.timeout
        return _apply_template(
            self.app, parsed_args, 'create_stack', parsed_args.name, args
        )


class UpdateStack(show.ShowOne):
    """Update a stack."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_stack_argument(parser, 'Name or ID of stack to update')
        _add_stack_input_arguments(parser, template_required=False)
        parser.add_argument(
            '--timeout',
            metavar='<timeout>',
            type=int,
            help='Stack update timeout in minutes',
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
            '--converge',
            action='store_true',
            help='Stack update with observe on reality.',
        )
        parser.add_argument(
            '--rollback',
            metavar='<value>',
            choices=['enabled', 'disabled', 'keep'],
            help='Set rollback on update failure: "enabled" or "disabled" '
            '("keep": as the stack was created)',
        )
        _add_wait_argument(
            parser, 'Wait until stack goes to UPDATE_COMPLETE or UPDATE_FAILED'
        )
        return parser

    def take_action(self, parsed_args):
        if not (parsed_args.template or parsed_args.existing):
            raise CommandFailed('Specify --template or --existing.')
        args = {}
        if parsed_args.existing:
            args['existing'] = True
        if parsed_args.converge:
            args['converge'] = True
        if parsed_args.rollback in ('enabled', 'disabled'):
            args['disable_rollback'] = parsed_args.rollback == 'disabled'
        if parsed_args.timeout:
            args['timeout_mins'] = parsed_args.timeout
        identity = self.app.identify(parsed_args.stack)
        return _apply_template(
            self.app,
            parsed_args,
            'update_stack',
            identity,
            args,
            marker=self.app.last_event_id(identity),
        )


class DeleteStack(command.Command):
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
        from heat.common import exception

        if not parsed_args.yes and self.app.stdin.isatty():
            try:
                answer = input(
                    'Are you sure you want to delete this stack(s) [y/N]? '
                )
            except (EOFError, KeyboardInterrupt):
                return
            if not answer.lower().startswith('y'):
                return
        failures = 0
        for name in parsed_args.stack:
            try:
                identity = self.app.identify(name)
                marker = self.app.last_event_id(identity)
                self.app.call('delete_stack', identity)
                self.app.wait(identity, 'DELETE', marker, parsed_args)
            except (exception.HeatException, CommandFailed) as exc:
                failures += 1
                self.app.stderr.write('%s\n' % exc)
        if failures:
            raise CommandFailed(
                'Unable to delete %d of the %d stacks.'
                % (failures, len(parsed_args.stack))
            )


class ListStack(lister.Lister):
    """List stacks."""

    def take_action(self, parsed_args):
        return _stack_list_columns(self.app.call('list_stacks'))


class ShowStack(show.ShowOne):
    """Show stack details."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_stack_argument(parser, 'Stack to display (name or ID)')
        return parser

    def take_action(self, parsed_args):
        stack = self.app.show(self.app.identify(parsed_args.stack))
        return _show_stack_columns(stack, parsed_args.formatter)


class _StackAction(lister.Lister):
    """Run an action on stacks and list them after it; the class names it."""

    action = None
    rpc_method = None

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

    def take_action(self, parsed_args):
        stacks = []
        for name in parsed_args.stack:
            identity = self.app.identify(name)
            marker = self.app.last_event_id(identity)
            self.app.call(self.rpc_method, identity)
            stacks.append(
                self.app.wait(identity, self.action, marker, parsed_args)
            )
        return _stack_list_columns(stacks)


class CheckStack(_StackAction):
    """Check a stack."""

    action, rpc_method = 'CHECK', 'stack_check'


class SuspendStack(_StackAction):
    """Suspend a stack."""

    action, rpc_method = 'SUSPEND', 'stack_suspend'


class ResumeStack(_StackAction):
    """Resume a stack."""

    action, rpc_method = 'RESUME', 'stack_resume'


class OutputListStack(lister.Lister):
    """List stack outputs."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_stack_argument(parser)
        return parser

    def take_action(self, parsed_args):
        outputs = self.app.call(
            'list_outputs', self.app.identify(parsed_args.stack)
        )
        names = ('output_key', 'description')
        return names, [tuple(o.get(n) for n in names) for o in outputs]


class OutputShowStack(show.ShowOne):
    """Show stack output."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_stack_argument(parser)
        parser.add_argument(
            'output',
            metavar='<output>',
            nargs='?',
            help='Name of an output to display',
        )
        parser.add_argument(
            '--all', action='store_true', help='Display all stack outputs'
        )
        return parser

    def take_action(self, parsed_args):
        if parsed_args.all == (parsed_args.output is not None):
            raise CommandFailed(
                'Either <OUTPUT NAME> or --all must be specified, not both.'
            )
        identity = self.app.identify(parsed_args.stack)
        if parsed_args.all:
            outputs = self.app.show(identity)['outputs']
            return (
                [o['output_key'] for o in outputs],
                _cells(outputs, parsed_args.formatter),
            )
        output = self.app.call('show_output', identity, parsed_args.output)
        if 'output_error' in output:
            raise CommandFailed('Output error: %s' % output['output_error'])
        names = sorted(output)
        return names, _cells((output[n] for n in names), parsed_args.formatter)


class ResourceListStack(lister.Lister):
    """List stack resources."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_stack_argument(parser)
        return parser

    def take_action(self, parsed_args):
        resources = self.app.call(
            'list_stack_resources', self.app.identify(parsed_args.stack)
        )
        return RESOURCE_LIST_COLUMNS, _rows(
            resources, _resource_view, RESOURCE_LIST_COLUMNS
        )


class ResourceShowStack(show.ShowOne):
    """Display stack resource."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_stack_argument(parser)
        parser.add_argument(
            'resource', metavar='<resource>', help='Name of resource'
        )
        return parser

    def take_action(self, parsed_args):
        resource = self.app.call(
            'describe_stack_resource',
            self.app.identify(parsed_args.stack),
            parsed_args.resource,
        )
        view = _resource_view(resource)
        return tuple(view), _cells(view.values(), parsed_args.formatter)


class EventListStack(lister.Lister):
    """List events."""

    @property
    def formatter_namespace(self):
        return 'heatclient.event.formatter.list'

    @property
    def formatter_default(self):
        return 'log'

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_stack_argument(parser, 'Name or ID of stack to show events for')
        parser.add_argument(
            '--follow',
            action='store_true',
            help='Print events until process is halted',
        )
        return parser

    def take_action(self, parsed_args):
        identity = self.app.identify(parsed_args.stack)
        if parsed_args.follow:
            if parsed_args.formatter != 'log':
                raise CommandFailed(
                    '--follow can only be specified with --format log'
                )
            self._follow(identity)
            return [], []
        events = self.app.call('list_events', identity, sort_dir='asc')
        if parsed_args.formatter == 'log':
            return [], [
                types.SimpleNamespace(**_event_view(e)) for e in events
            ]
        return EVENT_LIST_COLUMNS, _rows(
            events, _event_view, EVENT_LIST_COLUMNS
        )

    def _follow(self, identity):
        log_context = heat_utils.EventLogContext()
        marker = None
        try:
            while True:
                events = self.app.call(
                    'list_events', identity, marker=marker, sort_dir='asc'
                )
                if events:
                    marker = _event_id(events[-1])
                    self.app.stdout.write(
                        _event_log(events, log_context) + '\n'
                    )
                    self.app.stdout.flush()
                time.sleep(FOLLOW_POLL_SECONDS)
        except KeyboardInterrupt:
            return


class TemplateShowStack(show.ShowOne):
    """Display stack template."""

    @property
    def formatter_default(self):
        return 'yaml'

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_stack_argument(parser)
        return parser

    def take_action(self, parsed_args):
        template = self.app.call(
            'get_template', self.app.identify(parsed_args.stack)
        )
        return tuple(template), _cells(
            template.values(), parsed_args.formatter
        )


class ValidateTemplate(show.ShowOne):
    """Validate a template."""

    @property
    def formatter_default(self):
        return 'yaml'

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_stack_input_arguments(parser)
        return parser

    def take_action(self, parsed_args):
        template, files, environment, env_files = _stack_input(parsed_args)
        result = self.app.call(
            'validate_template',
            template,
            environment,
            files=files,
            environment_files=env_files,
        )
        if 'Error' in result:
            raise CommandFailed(result['Error'])
        return tuple(result), _cells(result.values(), parsed_args.formatter)


class ResourceTypeList(lister.Lister):
    """List resource types."""

    def take_action(self, parsed_args):
        names = self.app.call(
            'list_resource_types',
        )
        return ('Resource Type',), sorted((n,) for n in names)


class ResourceTypeShow(show.ShowOne):
    """Show a resource type's schema: properties, attributes, descriptions."""

    @property
    def formatter_default(self):
        return 'yaml'

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'resource_type',
            metavar='<resource-type>',
            help='Resource type to show details for',
        )
        return parser

    def take_action(self, parsed_args):
        schema = self.app.call(
            'resource_schema', parsed_args.resource_type, with_description=True
        )
        return tuple(schema), _cells(schema.values(), parsed_args.formatter)


class StackOrphans(lister.Lister):
    """List Docker objects labelled as Heat's whose stack or resource is
    gone from this state directory; --remove removes them."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--endpoint',
            metavar='<url>',
            action='append',
            help='Docker endpoint to look at (default: DOCKER_HOST, else '
            'the local socket); may be repeated',
        )
        parser.add_argument(
            '--remove', action='store_true', help='Remove what is listed'
        )
        return parser

    def take_action(self, parsed_args):
        from heat_docker import client as docker_client
        from heat_docker import orphans

        context = self.app.heat.context
        rows = []
        for endpoint in parsed_args.endpoint or [
            docker_client.resolve_endpoint()
        ]:
            client = docker_client.connect(endpoint)
            for orphan in orphans.find(context, client):
                if parsed_args.remove:
                    orphans.remove(client, orphan)
                rows.append((endpoint, *orphan))
        columns = ('Endpoint', *orphans.COLUMNS)
        if parsed_args.remove:
            columns += ('Removed',)
            rows = [row + (True,) for row in rows]
        return columns, rows


class Serve(command.Command):
    """Serve Heat's own heat-api on 127.0.0.1, for the openstack CLI.

    The engine runs in this process on the same state, so stacks made by
    either are seen by both. Use it with:
    OS_AUTH_TYPE=none OS_ENDPOINT=http://127.0.0.1:PORT/v1/admin openstack
    stack list
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--port',
            metavar='<port>',
            type=int,
            default=8004,
            help="Port on 127.0.0.1 (default: 8004, heat-api's)",
        )
        return parser

    def take_action(self, parsed_args):
        from heat_docker import api_server

        state_dir = self.app.heat.state_dir  # the engine boots first
        server = api_server.make_server(parsed_args.port)
        port = server.server_address[1]
        self.app.stdout.write(
            'heat-api on http://127.0.0.1:%d/v1/admin, state in %s; try:\n'
            '  OS_AUTH_TYPE=none OS_ENDPOINT=http://127.0.0.1:%d/v1/admin '
            'openstack stack list\n' % (port, state_dir, port)
        )
        self.app.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


COMMANDS = {
    'stack create': CreateStack,
    'stack update': UpdateStack,
    'stack delete': DeleteStack,
    'stack list': ListStack,
    'stack show': ShowStack,
    'stack check': CheckStack,
    'stack suspend': SuspendStack,
    'stack resume': ResumeStack,
    'stack output list': OutputListStack,
    'stack output show': OutputShowStack,
    'stack resource list': ResourceListStack,
    'stack resource show': ResourceShowStack,
    'stack event list': EventListStack,
    'stack orphans': StackOrphans,
    'stack template show': TemplateShowStack,
    'template validate': ValidateTemplate,
    'resource type list': ResourceTypeList,
    'resource type show': ResourceTypeShow,
    'serve': Serve,
}


def main(argv=None):
    code = HeatDockerApp().run(sys.argv[1:] if argv is None else argv)
    # Heat's objects are many: collecting them as the interpreter exits
    # takes half a second and frees nothing that exiting would not.
    gc.freeze()
    return code
