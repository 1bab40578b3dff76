"""``heat-docker engine start|stop|status``, ``serve`` and ``stack
orphans``: the commands about the engine itself."""

import contextlib
import os

from heat_docker.cli import engine as engine_api
from heat_docker.cli.common import Command
from heat_docker.cli.common import CommandFailed
from heat_docker.cli.common import Lister
from heat_docker.cli.common import ShowOne

STATUS_COLUMNS = (
    'pid',
    'version',
    'state_dir',
    'started',
    'uptime',
    'idle_timeout',
    'state',
    'actions_in_progress',
    'write_transactions',
    'settings',
)


def _status_columns(status):
    status = dict(
        status, state='retiring' if status['retiring'] else 'running'
    )
    return STATUS_COLUMNS, tuple(status[c] for c in STATUS_COLUMNS)


class EngineStart(ShowOne):
    """Start the engine of the state directory, unless one runs."""

    def take_action(self, parsed_args):
        self.app.engine.ensure()
        return _status_columns(self.app.engine.status())


class EngineStatus(ShowOne):
    """Show the engine of the state directory: pid, version, uptime."""

    def take_action(self, parsed_args):
        status = self.app.engine.status()
        if status is None:
            raise CommandFailed(
                'No engine runs for %s.' % self.app.engine.state_dir
            )
        return _status_columns(status)


class EngineStop(Command):
    """Stop the engine once its actions in progress have ended."""

    def take_action(self, parsed_args):
        engine = self.app.engine
        status = engine.status()
        if status is None:
            self.app.stderr.write(
                'No engine runs for %s.\n' % engine.state_dir
            )
            return
        try:
            status = engine.control('retire', any_engine=True)
        except engine_api.EngineGone:
            pass  # its idle time ran out meanwhile
        else:
            if status['actions_in_progress']:
                self.app.stderr.write(
                    'The engine (pid %d) stops once %s have ended.\n'
                    % (status['pid'], engine_api.actions_in_progress(status))
                )
        engine.wait_exit(status['pid'])
        self.app.stderr.write(
            'Stopped the engine of %s (pid %d).\n'
            % (engine.state_dir, status['pid'])
        )


class Serve(Command):
    """Run the engine in the foreground, and serve heat-api on 127.0.0.1
    for the openstack CLI.

    The engine of the state directory, if one runs in the background, is
    stopped first (once its actions end). Use it with:
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
        from heat_docker.standalone import daemon

        engine = self.app.engine
        status = engine.status()
        if status is not None:
            with contextlib.suppress(engine_api.EngineGone):
                engine.control('retire', any_engine=True)
            engine.wait_exit(status['pid'])
        state_dir = engine.state_dir

        def announce(port):
            self.app.stdout.write(
                'heat-api on http://127.0.0.1:%d/v1/admin, state in %s; '
                'try:\n  OS_AUTH_TYPE=none '
                'OS_ENDPOINT=http://127.0.0.1:%d/v1/admin openstack stack '
                'list\n' % (port, state_dir, port)
            )
            self.app.stdout.flush()

        try:
            daemon.run(
                state_dir,
                port=parsed_args.port,
                debug=bool(os.environ.get('HEAT_DOCKER_DEBUG')),
                announce=announce,
                idle=False,
            )
        except daemon.EngineRunning as exc:
            raise CommandFailed(str(exc)) from None


class StackOrphans(Lister):
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
        found = self.app.engine.control(
            'orphans',
            {'endpoints': parsed_args.endpoint, 'remove': parsed_args.remove},
        )
        names, rows = found['columns'], [tuple(r) for r in found['rows']]
        if parsed_args.remove:
            names += ['Removed']
            rows = [row + (True,) for row in rows]
        return names, rows


COMMANDS = {
    'engine start': EngineStart,
    'engine status': EngineStatus,
    'engine stop': EngineStop,
    'serve': Serve,
    'stack orphans': StackOrphans,
}
