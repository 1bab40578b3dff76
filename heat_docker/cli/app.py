"""The heat-docker command's cliff application.

It never imports Heat: it talks to the engine of its state directory
(:mod:`heat_docker.standalone.daemon`, started on first use) over a unix
socket, with Heat's own REST API. The commands run most often are its own
(:mod:`.stacks`), for speed; every other ``openstack stack`` and
``openstack orchestration`` command is python-heatclient's, loaded when
used, so names, flags, columns and formats are the openstack CLI's. The
same application runs commands inside the engine
(:mod:`heat_docker.standalone.commands`).
"""

import logging
import os
import sys
import types

from cliff import app
from cliff import commandmanager

from heat_docker import engine_protocol as protocol
from heat_docker.cli import compose_command
from heat_docker.cli import engine as engine_api
from heat_docker.cli import engine_commands
from heat_docker.cli import stacks

HEATCLIENT_GROUP = 'openstack.orchestration.v1'
# heat-docker's shorter names for some of heatclient's commands.
ALIASES = {
    'template validate': 'orchestration template validate',
    'resource type list': 'orchestration resource type list',
    'resource type show': 'orchestration resource type show',
}
# heatclient commands that need services heat-docker has not.
UNAVAILABLE = ('software ', 'orchestration service list')
# heatclient's commands that the engine runs too, as it runs heat-docker's
# own stack commands: they read and write no file, ask nothing, and end by
# themselves (unless they --follow or --wait, which only the command's own
# process can stop at the user's Ctrl-C).
HEATCLIENT_IN_ENGINE = frozenset(
    (
        'stack resource list',
        'stack resource show',
        'stack resource metadata',
        'stack resource mark unhealthy',
        'stack output list',
        'stack output show',
        'stack event list',
        'stack event show',
        'stack failures list',
        'stack environment show',
        'stack file list',
        'stack template show',
        'stack snapshot list',
        'stack snapshot show',
        'stack snapshot create',
        'stack snapshot restore',
        'stack hook poll',
        'stack hook clear',
        'stack cancel',
        'orchestration template version list',
        'orchestration template function list',
        'orchestration resource type list',
        'orchestration resource type show',
        'resource type list',
        'resource type show',
        'orchestration build info',
    )
)
_UNENDING = ('--follow', '--wait')
# On a terminal, these draw what only the command's own process can draw:
# the progress display (rich), help wrapped to the terminal.
_DRAWN_ON_A_TERMINAL = ('--wait', '--help', '-h')


class _Commands(commandmanager.CommandManager):
    """heat-docker's commands, then python-heatclient's, whose entry points
    are read only when a name is not heat-docker's own."""

    def __init__(self):
        super().__init__(None)
        for name, command_class in {
            **stacks.COMMANDS,
            **engine_commands.COMMANDS,
            **compose_command.COMMANDS,
        }.items():
            self.add_command(name, command_class)
        self._heatclient_loaded = False

    def _load_heatclient(self):
        if self._heatclient_loaded:
            return
        self._heatclient_loaded = True
        from importlib import metadata

        heatclient = metadata.distribution('python-heatclient')
        found = {}
        for entry_point in heatclient.entry_points:
            if entry_point.group != HEATCLIENT_GROUP:
                continue
            name = entry_point.name.replace('_', ' ')
            if name.startswith(UNAVAILABLE):
                continue
            found[name] = entry_point
            self.commands.setdefault(name, entry_point)
        for alias, name in ALIASES.items():
            self.commands.setdefault(alias, found[name])

    def find_command(self, argv):
        try:
            return super().find_command(argv)
        except ValueError:
            self._load_heatclient()
            return super().find_command(argv)

    def __iter__(self):
        self._load_heatclient()
        return super().__iter__()


class RunHere(BaseException):
    """The command, run in the engine, must run where it was typed (not an
    Exception: cliff must not take it for the command's failure)."""


class HeatDockerApp(app.App):
    NAME = 'heat-docker'
    LOG = logging.getLogger(NAME)

    def __init__(self, stdout=None, stderr=None, in_engine=None):
        """``in_engine``: the run, when the engine runs the command (its
        ``interrupted`` event, and whether the user's stdin is a
        terminal)."""
        super().__init__(
            description='Heat stacks of Docker containers, run by a warm '
            'local Heat engine ("openstack stack" commands).',
            version=protocol.version(),
            command_manager=_Commands(),
            deferred_help=True,
            stdout=stdout,
            stderr=stderr,
        )
        self.in_engine = in_engine
        self._engine = None
        self._heatclient = None
        self.client_manager = types.SimpleNamespace(identity=None)

    def build_option_parser(self, description, version, argparse_kwargs=None):
        parser = super().build_option_parser(
            description, version, argparse_kwargs
        )
        parser.add_argument(
            '--state-dir',
            metavar='<dir>',
            default=protocol.default_state_dir(),
            help="Directory of the stacks' state (sqlite), the engine's "
            'socket and its logs (default: $HEAT_DOCKER_STATE_DIR, else '
            '$XDG_STATE_HOME/heat-docker, else '
            '~/.local/state/heat-docker; now %(default)s)',
        )
        return parser

    def configure_logging(self):
        if self.in_engine is None:  # the engine's logging is its own
            super().configure_logging()

    def initialize_app(self, argv):
        self._engine = engine_api.Engine(
            self.options.state_dir,
            self.stderr,
            interrupted=getattr(self.in_engine, 'interrupted', None),
        )
        # heatclient's commands find their client here, made when used.
        manager = self.client_manager
        app = self

        class _ClientManager(types.SimpleNamespace):
            @property
            def orchestration(self):
                if app._heatclient is None:
                    app._heatclient = app.engine.heatclient()
                return app._heatclient

        self.client_manager = _ClientManager(**vars(manager))

    def runs_in_engine(self, argv, terminal):
        """Whether the engine may run the command of ``argv`` (its
        arguments after the global options), for a user whose output goes
        to a ``terminal`` or not: one of heat-docker's own stack commands,
        or one of heatclient's that needs nothing of the command's
        process."""
        try:
            factory, name, _ = self.command_manager.find_command(argv)
        except ValueError:
            return False
        options = {arg.split('=', 1)[0] for arg in argv}
        if terminal and options.intersection(_DRAWN_ON_A_TERMINAL):
            return False
        if factory in stacks.COMMANDS.values():
            return True
        return name in HEATCLIENT_IN_ENGINE and not options.intersection(
            _UNENDING
        )

    @property
    def engine(self):
        return self._engine

    @property
    def cwd(self):
        """The user's working directory, for the files the command names."""
        return os.getcwd() if self.in_engine is None else self.in_engine.cwd

    def confirm(self, question):
        """Whether the user answers yes; True when nobody can answer (no
        terminal on stdin), as heatclient's commands take it."""
        if self.in_engine is None:
            if not sys.stdin.isatty():
                return True
            try:
                return input(question).lower().startswith('y')
            except (EOFError, KeyboardInterrupt):
                return False
        if self.in_engine.stdin_tty:
            raise RunHere('asks the user')
        return True

    def run(self, argv):
        try:
            return super().run(argv)
        except KeyboardInterrupt:
            return 130

    def run_subcommand(self, argv):
        try:
            return super().run_subcommand(argv)
        except engine_api.EngineError as exc:
            self.stderr.write('%s\n' % exc)
            return 1


def main(argv=None):
    return HeatDockerApp().run(sys.argv[1:] if argv is None else argv)
