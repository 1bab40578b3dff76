"""The warm engine: Heat's engine and heat-api in one long-lived process.

One engine serves one state directory, as dockerd serves one data root.
The ``heat-docker`` command starts it on first use (``python -m
heat_docker.standalone.daemon --state-dir DIR``) and talks to it on the
unix socket ``DIR/engine.sock`` (mode 0600): Heat's own v1 REST API,
heat-api's WSGI application with its ``noauth`` pipeline, plus a small
control API under :data:`~heat_docker.engine_protocol.CONTROL_PATH`
(status, retire, orphans). ``heat-docker serve`` runs the same engine in
the foreground and adds a TCP listener on 127.0.0.1 for the openstack CLI.

The engine holds ``DIR/engine.lock`` for its life, so a state directory
has one engine at most. It exits after an idle time with no action in
progress, and when retired (``heat-docker engine stop``, or a command of
another version or settings) once its actions in progress have ended.
At start it fails the actions a dead engine left in progress.
"""

import argparse
import contextlib
import datetime
import fcntl
import json
import os
import signal
import socket
import socketserver
import sys
import threading
import time
import traceback
import urllib.parse
from wsgiref import simple_server

from heat_docker import engine_protocol as protocol
from heat_docker.standalone import commands
from heat_docker.standalone import housekeeping
from heat_docker.standalone import sqlite

LOOPBACK = '127.0.0.1'
CHECK_SECONDS = 0.5
# A retired engine exits this long after its last request ends.
RETIRED_QUIET_SECONDS = 0.5
HEAT_STOP_SECONDS = 15


class EngineRunning(RuntimeError):
    """Another engine holds the state directory."""


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, format, *args):
        from oslo_log import log as logging

        logging.getLogger(__name__).debug(
            '%s %s', self.address_string(), format % args
        )


class _UnixHandler(_QuietHandler):
    def setup(self):
        super().setup()
        # A unix socket's peer has no address; WSGI wants one.
        self.client_address = ('local', 0)


class _TCPServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True


class _UnixServer(_TCPServer):
    address_family = socket.AF_UNIX

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = 'localhost', 0
        self.setup_environ()


def heat_api(state_dir):
    """heat-api's WSGI application, its noauth pipeline: every request is
    the local admin's."""
    from heat.common import config as heat_config
    from oslo_config import cfg

    from heat_docker import standalone

    # There is no Keystone. Heat asks the service catalog which OpenStack
    # services (and so resource types) exist: one that is not empty but
    # lists no endpoints answers "none" at once.
    token_file = os.path.join(state_dir, 'noauth-token.json')
    with open(token_file, 'w') as out:
        json.dump(
            {'token': {'catalog': [{'type': 'identity', 'endpoints': []}]}},
            out,
        )
    conf = cfg.CONF
    conf.set_override('token_response', token_file, group='noauth')
    conf.set_override('flavor', 'noauth', group='paste_deploy')
    conf.set_override(
        'api_paste_config',
        os.path.join(standalone.HEAT_ETC, 'api-paste.ini'),
        group='paste_deploy',
    )
    # noauth grants the admin role only; the new default policies also
    # want reader/member roles scoped to a project.
    conf.set_override('enforce_new_defaults', False, group='oslo_policy')
    return heat_config.load_paste_app('heat-api')


class Engine:
    """The WSGI application served: heat-api, behind the control API, and
    the bookkeeping of requests that decides when the engine may exit."""

    def __init__(self, heat, api, idle_seconds):
        self.heat = heat
        self.api = api
        self.idle_seconds = idle_seconds
        self.values, self.settings_key = protocol.settings()
        self.started = time.time()
        self.retiring = False
        self.stopping = threading.Event()
        # Set to have the main loop look at once whether it may exit.
        self.look = threading.Event()
        self._lock = threading.Lock()
        self._in_flight = 0
        self._last_request = time.monotonic()

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        if path.startswith(protocol.CONTROL_PATH):
            return self._control(environ, path, start_response)
        with self.serving():
            return list(self.api(environ, start_response))

    @contextlib.contextmanager
    def serving(self):
        """A request, or a command run here, in progress: the engine does
        not exit meanwhile."""
        with self._lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._last_request = time.monotonic()

    def refuses_commands(self, settings_key):
        """Why a command with ``settings_key`` must run where it was
        typed, or None: it runs here if it is this engine's."""
        if self.retiring or self.stopping.is_set():
            return 'the engine is ending'
        if settings_key != self.settings_key:
            return 'the engine has other settings or code'
        return None

    def status(self):
        return {
            'pid': os.getpid(),
            'version': protocol.version(),
            'settings': self.values,
            'settings_key': self.settings_key,
            'state_dir': self.heat.state_dir,
            'started': datetime.datetime.fromtimestamp(
                self.started, datetime.timezone.utc
            ).isoformat(timespec='seconds'),
            'uptime': round(time.time() - self.started, 1),
            'idle_timeout': (
                None
                if self.idle_seconds == float('inf')
                else self.idle_seconds
            ),
            'retiring': self.retiring,
            'actions_in_progress': housekeeping.actions_in_progress(
                self.heat.context
            ),
            'write_transactions': sqlite.write_transactions,
        }

    def _control(self, environ, path, start_response):
        method = environ['REQUEST_METHOD']
        what = path[len(protocol.CONTROL_PATH) :].strip('/')
        if (method, what) == ('GET', ''):
            return _json(start_response, '200 OK', self.status())
        if (method, what) == ('GET', 'action'):
            # A command waiting for a stack's action: answered at the
            # action's end, or after ``timeout`` with what it has so far.
            query = dict(
                urllib.parse.parse_qsl(environ.get('QUERY_STRING', ''))
            )
            since, shown = query.get('since'), query.get('shown')
            with self.serving():
                ended, status, since, events = sqlite.wait_for_action_end(
                    query['stack'],
                    query['action'],
                    int(since) if since else None,
                    int(query['before']) if query.get('before') else None,
                    min(float(query.get('timeout', 0)), protocol.LONGEST_WAIT),
                    int(shown) if shown else None,
                )
            return _json(
                start_response,
                '200 OK',
                {
                    'ended': ended,
                    'status': status,
                    'since': since,
                    'events': events,
                },
            )
        if (method, what) == ('GET', 'last-event'):
            return _json(start_response, '200 OK', {'id': sqlite.last_event()})
        if (method, what) == ('POST', 'retire'):
            self.retiring = True
            self.look.set()
            return _json(start_response, '200 OK', self.status())
        if (method, what) == ('POST', 'orphans'):
            return _json(
                start_response, '200 OK', self._orphans(**_body(environ))
            )
        if (method, what) == ('POST', 'stack-input'):
            from heat_docker import stack_input

            try:
                fields = stack_input.fields(**_body(environ))
            except Exception as exc:  # heatclient's, of the user's files
                return _json(
                    start_response, '400 Bad Request', {'error': str(exc)}
                )
            return _json(start_response, '200 OK', fields)
        return _json(
            start_response,
            '404 Not Found',
            {'error': '%s %s is not a control request' % (method, path)},
        )

    def _orphans(self, endpoints=None, remove=False):
        from heat_docker import client as docker_client
        from heat_docker import orphans

        rows = []
        for endpoint in endpoints or [docker_client.resolve_endpoint()]:
            client = docker_client.connect(endpoint)
            for orphan in orphans.find(self.heat.context, client):
                if remove:
                    orphans.remove(client, orphan)
                rows.append([endpoint, *orphan])
        return {'columns': ['Endpoint', *orphans.COLUMNS], 'rows': rows}

    def next_look(self):
        """Seconds until :meth:`may_exit` may answer otherwise: the rest of
        a retired engine's quiet spell, else CHECK_SECONDS."""
        with self._lock:
            if not self.retiring or self._in_flight:
                return CHECK_SECONDS
            quiet_left = RETIRED_QUIET_SECONDS - (
                time.monotonic() - self._last_request
            )
        return quiet_left if quiet_left > 0 else CHECK_SECONDS

    def may_exit(self):
        """Whether nothing is in flight and it is time: retired, or idle."""
        with self._lock:
            if self._in_flight:
                return False
            idle = time.monotonic() - self._last_request
        # A retired engine still waits out a short quiet spell: commands
        # waiting on its last action come back for the events that end it.
        if idle < (
            RETIRED_QUIET_SECONDS if self.retiring else self.idle_seconds
        ):
            return False
        return not housekeeping.actions_in_progress(self.heat.context)


def _body(environ):
    length = int(environ.get('CONTENT_LENGTH') or 0)
    return json.loads(environ['wsgi.input'].read(length) or '{}')


def _json(start_response, status, body):
    data = json.dumps(body).encode()
    start_response(
        status,
        [
            ('Content-Type', 'application/json'),
            ('Content-Length', str(len(data))),
        ],
    )
    return [data]


def _hold(state_dir):
    """The state directory's engine lock, or EngineRunning."""
    lock = open(os.path.join(state_dir, protocol.LOCK), 'a+')
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or 'unknown'
        lock.close()
        raise EngineRunning(
            'an engine already serves %s (pid %s)' % (state_dir, holder)
        ) from None
    lock.truncate(0)
    lock.write(str(os.getpid()))
    lock.flush()
    return lock


def _listen_unix(state_dir, name, server_class, handler):
    """A server on the socket ``name`` of the state directory, mode 0600;
    one left by a dead engine (the lock says so) is replaced."""
    path = os.path.join(state_dir, name)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    server = server_class(path, handler)
    os.chmod(path, 0o600)
    return server


def _serve_unix(engine, state_dir):
    """heat-api and the control API; and the commands run here."""
    api = _listen_unix(state_dir, protocol.SOCKET, _UnixServer, _UnixHandler)
    api.set_app(engine)
    commands.route_output()
    command_server = _listen_unix(
        state_dir, protocol.COMMAND_SOCKET, commands.Server, commands.Handler
    )
    command_server.engine = engine
    return [api, command_server]


def tcp_server(app, port):
    """A threading WSGI server of ``app`` on 127.0.0.1:``port`` (0 picks
    one)."""
    return simple_server.make_server(
        LOOPBACK, port, app, _TCPServer, _QuietHandler
    )


def run(state_dir, port=None, debug=False, announce=None, idle=True):
    """Run the engine for ``state_dir`` until it may exit or is stopped.

    With ``port``, heat-api is also served on 127.0.0.1:``port`` (0 picks
    one); ``announce(port)`` is called once everything listens. Without
    ``idle``, it does not exit when idle (``heat-docker serve``).
    """
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    os.umask(0o077)
    lock = _hold(state_dir)
    from heat_docker import standalone

    heat = standalone.boot(
        state_dir,
        log_file=os.path.join(state_dir, protocol.HEAT_LOG),
        debug=debug,
    )
    from oslo_log import log as logging

    log = logging.getLogger(__name__)
    failed = housekeeping.fail_dead_actions(heat.context)
    if failed:
        log.warning(
            'Failed %d stacks a dead engine left in progress', len(failed)
        )
    threading.Thread(
        target=housekeeping.purge_deleted, name='purge-deleted', daemon=True
    ).start()
    engine = Engine(
        heat,
        heat_api(state_dir),
        protocol.idle_seconds() if idle else float('inf'),
    )
    servers = _serve_unix(engine, state_dir)
    if port is not None:
        servers.append(tcp_server(engine, port))
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop_now(signum, frame):
        engine.stopping.set()
        engine.look.set()

    signal.signal(signal.SIGTERM, stop_now)
    signal.signal(signal.SIGINT, stop_now)
    log.info(
        'heat-docker %s engine (pid %d) serves %s',
        protocol.version(),
        os.getpid(),
        state_dir,
    )
    if announce:
        announce(servers[-1].server_address[1] if port is not None else None)
    try:
        while not engine.stopping.is_set() and not engine.may_exit():
            engine.look.wait(engine.next_look())
            engine.look.clear()
    finally:
        # Together: each notices its shutdown within its poll interval.
        shutting = [
            threading.Thread(target=server.shutdown) for server in servers
        ]
        for thread in shutting:
            thread.start()
        for thread in shutting:
            thread.join()
        for server in servers:
            server.server_close()
        # Gone with the state directory, if someone removed that: the
        # engine must still stop.
        for name in (protocol.SOCKET, protocol.COMMAND_SOCKET):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(state_dir, name))
        # Heat's stop waits for its RPC server's worker threads, and has
        # been seen to wait for ever for one already gone; it fails, and
        # leaves its periodic tasks' threads running, when the database
        # went with the state directory. It gets a time, then the process
        # ends without it (the database is sqlite's write-ahead log,
        # durable at every commit).
        stopped = threading.Event()

        def stop_heat():
            heat.stop()
            stopped.set()

        stopping = threading.Thread(target=stop_heat, daemon=True)
        stopping.start()
        stopping.join(HEAT_STOP_SECONDS)
        try:
            if not stopped.is_set():
                log.warning(
                    "Heat's engine did not stop in %d s; exiting without it",
                    HEAT_STOP_SECONDS,
                )
            log.info('engine (pid %d) stopped', os.getpid())
        finally:
            lock.close()
            if not stopped.is_set():
                os._exit(0)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m heat_docker.standalone.daemon',
        description=__doc__.split('\n\n')[0],
    )
    parser.add_argument('--state-dir', required=True)
    args = parser.parse_args(argv)
    try:
        run(
            os.path.abspath(args.state_dir),
            debug=bool(os.environ.get('HEAT_DOCKER_DEBUG')),
        )
    except EngineRunning as exc:
        sys.stderr.write('%s\n' % exc)
        return 75  # EX_TEMPFAIL: the command talks to the engine that runs
    except BaseException:
        # Heat's threads would keep the process alive for ever (a state
        # directory removed under a running engine fails its stop).
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
