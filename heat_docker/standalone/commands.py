"""Commands run in the warm engine (its side of heat_docker.cli.in_engine).

A command connects to :data:`engine_protocol.COMMAND_SOCKET` and sends one
JSON line: ``argv`` (without ``--state-dir``), ``cwd``, its
``settings_key``, ``stdin_tty``, ``stdout_tty``, ``stderr_tty`` and
the ``columns`` of the terminal stdout is on (or null). The engine
answers in JSON lines:
``{"local": why}`` when the command must run where it was typed, else
``{"began": true}``, then the command's output as ``{"out": text}`` and
``{"err": text}``, and ``{"exit": status}``. A line the command sends
after its own is its user's Ctrl-C.

heat-docker's own stack commands (:mod:`heat_docker.cli.stacks`) run here,
and those of python-heatclient's that need nothing of the command's own
process (``HeatDockerApp.runs_in_engine``), each in the thread that took
it, with the same cliff application as the command's. Their
output, and whatever their thread writes to ``sys.stdout`` and
``sys.stderr`` (argparse's usage and errors), goes to their user.
"""

import contextlib
import json
import logging
import os
import socketserver
import sys
import threading
import traceback
import types

from oslo_log import log as oslo_logging

from heat_docker import engine_protocol as protocol

LOG = oslo_logging.getLogger(__name__)

_threads = threading.local()


class _Routed:
    """The engine's sys.stdout or sys.stderr: a command's thread writes to
    its user, any other thread where the stream went before."""

    def __init__(self, name, before):
        self._name = name
        self._before = before

    def _target(self):
        return getattr(_threads, self._name, None) or self._before

    def write(self, text):
        return self._target().write(text)

    def __getattr__(self, name):
        return getattr(self._target(), name)


class _Replies:
    """The answer to one command: JSON lines on its connection. Its
    output is sent when flushed or at the end, in one piece, as cliff's
    leaves a buffered stdout; what goes to stderr (the progress) at once.
    """

    def __init__(self, wfile, request):
        self._wfile = wfile
        self._lock = threading.Lock()
        self._out = []
        self.out = self._stream(
            self._out.append, self._send_out, request.get('stdout_tty')
        )
        self.err = self._stream(
            lambda text: self.send(err=text), None, request.get('stderr_tty')
        )

    def send(self, **reply):
        line = json.dumps(reply).encode() + b'\n'
        with self._lock:
            self._wfile.write(line)
            self._wfile.flush()

    def _send_out(self):
        if self._out:
            text = ''.join(self._out)
            self._out.clear()
            self.send(out=text)

    def end(self, status):
        self._send_out()
        self.send(exit=status)

    @staticmethod
    def _stream(write, flush, tty):
        class Stream:
            encoding = 'utf-8'
            closed = False

            def write(self, text):
                if text:
                    write(text)
                return len(text)

            def flush(self):
                if flush is not None:
                    flush()

            def isatty(self):
                return bool(tty)

        return Stream()


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            request = json.loads(self.rfile.readline())
        except ValueError:
            return
        replies = _Replies(self.wfile, request)
        engine = self.server.engine
        why = engine.refuses_commands(request.get('settings_key'))
        if why:
            replies.send(local=why)
            return
        with engine.serving():
            try:
                run_command(
                    engine.heat.state_dir, request, replies, self.rfile
                )
            except (BrokenPipeError, ConnectionResetError):
                pass  # the user went


def run_command(state_dir, request, replies, user):
    """Run the command of ``request`` on ``state_dir``, answering on
    ``replies``; a line from ``user`` (the connection) interrupts it."""
    from heat_docker.cli import app as cli_app

    run = types.SimpleNamespace(
        interrupted=threading.Event(),
        stdin_tty=bool(request.get('stdin_tty')),
        cwd=request['cwd'],
    )
    application = cli_app.HeatDockerApp(
        stdout=replies.out,
        stderr=replies.err,
        in_engine=run,
    )
    argv = request['argv']
    if not application.runs_in_engine(
        argv, request.get('stdout_tty') or request.get('stderr_tty')
    ):
        replies.send(local='not a command the engine runs')
        return
    replies.send(began=True)

    def watch():
        with contextlib.suppress(OSError, ValueError):
            if user.readline():
                run.interrupted.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        with users_terminal(
            application.stdout, application.stderr, request.get('columns')
        ):
            status = application.run(['--state-dir', state_dir, *argv])
    except cli_app.RunHere as exc:
        replies.send(local=str(exc))
        return
    except SystemExit as exc:  # argparse's, after its message
        status = exc.code if isinstance(exc.code, int) else 1
    except Exception:  # a bug: told to the user, and in the engine's log
        LOG.exception('The command %s failed', argv)
        replies.send(err=traceback.format_exc())
        status = 1
    replies.end(status)


@contextlib.contextmanager
def users_terminal(stdout, stderr, columns):
    """While this thread runs a command: what it writes to sys.stdout and
    sys.stderr goes to ``stdout`` and ``stderr``, and tables fit
    ``columns`` (None: no terminal)."""
    _threads.stdout, _threads.stderr = stdout, stderr
    _threads.columns = columns
    try:
        yield
    finally:
        _threads.stdout = _threads.stderr = None


def terminal_width(otherwise):
    """For a command's thread, the width of its user's terminal (None if
    stdout is none); ``otherwise()`` for the engine's own threads."""
    if getattr(_threads, 'stdout', None) is None:
        return otherwise()
    return _threads.columns


def route_output():
    """Make the engine's sys.stdout and sys.stderr a command's thread's,
    and log cliff's messages (a command's errors) there, as cliff would on
    its user's console; format as for a user who sets none of
    ``FORMAT_ENVIRONMENT`` (whose commands run where they were typed)."""
    for name in protocol.FORMAT_ENVIRONMENT:
        os.environ.pop(name, None)
    if isinstance(sys.stdout, _Routed):
        return
    sys.stdout = _Routed('stdout', sys.stdout)
    sys.stderr = _Routed('stderr', sys.stderr)
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter('%(message)s'))
    log = logging.getLogger('heat-docker')
    log.addHandler(console)
    log.setLevel(logging.WARNING)
    log.propagate = False


class Server(socketserver.ThreadingUnixStreamServer):
    """Takes commands for ``engine`` (set by the daemon), a thread each."""

    daemon_threads = True
    engine = None
