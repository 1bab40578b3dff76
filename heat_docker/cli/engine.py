"""The command's side of the warm engine: find it, start it, talk to it.

The engine (:mod:`heat_docker.standalone.daemon`) serves Heat's REST API
on a unix socket in the state directory. The first command that needs it
starts it in the background, as docker's CLI expects dockerd: commands
that race to start one take turns on a lock, and the engine itself holds
another for its life. An engine of another heat-docker version, or with
other settings (see :data:`engine_protocol.SETTINGS_ENV`), is retired:
it exits once its actions in progress have ended, and a new one starts.
"""

import fcntl
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse

from heat_docker import engine_protocol as protocol

# How long a new engine may take to answer; Heat boots in about two
# seconds, more on a loaded machine.
START_SECONDS = 120
START_POLL_SECONDS = 0.02
RESPAWN_SECONDS = 0.2
REQUEST_SECONDS = 300
LOG_TAIL_LINES = 20


class EngineError(Exception):
    """The engine could not be reached or started; the message says why."""


class EngineGone(EngineError):
    """No engine answered, or the one that did went while it answered."""


class ApiError(Exception):
    """heat-api refused a request; the message is Heat's."""

    def __init__(self, status, message, kind=None):
        super().__init__(message)
        self.status = status
        self.kind = kind

    def __str__(self):
        return 'ERROR: %s' % self.args[0]  # as python-heatclient says it


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=REQUEST_SECONDS):
        super().__init__('localhost', timeout=timeout)
        self._path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def _gone(exc):
    """Whether ``exc`` says no engine answered: it was gone before it took
    the request, or went while it answered (http.client's exceptions for
    an answer cut off)."""
    return _unreachable(exc) or isinstance(exc, http.client.HTTPException)


def _unreachable(exc):
    """Whether ``exc`` says the engine was gone before it took a request.
    (A broken pipe must not escape as such: cliff takes any for its own
    output's, and exits quietly.)"""
    return isinstance(
        exc,
        (
            FileNotFoundError,
            ConnectionRefusedError,
            ConnectionResetError,
            BrokenPipeError,
        ),
    )


def _heat_error(status, data):
    """Heat's own message in an error response (its fault body)."""
    try:
        body = json.loads(data)
    except ValueError:
        return ApiError(status, data.decode(errors='replace').strip())
    error = body.get('error') or {}
    message = error.get('message') or body.get('explanation') or str(body)
    return ApiError(status, message, error.get('type'))


def _control_error(status, data):
    """The engine's refusal of a control request, or what it said instead
    when it failed to answer one (a server error, logged in engine.log)."""
    try:
        return EngineError(json.loads(data)['error'])
    except (ValueError, KeyError):
        return EngineError(
            'The engine failed a request (HTTP %d): %s'
            % (status, data.decode(errors='replace').strip())
        )


def actions_in_progress(status):
    """What an engine of ``status`` waits for before it goes, for a
    message."""
    stacks = status['actions_in_progress']
    return 'the actions in progress on stack%s %s' % (
        's' if len(stacks) > 1 else '',
        ', '.join(stacks),
    )


class Engine:
    """The engine of a state directory, as a command sees it."""

    def __init__(self, state_dir, stderr=sys.stderr, interrupted=None):
        """``interrupted``, for a command the engine runs itself: an event
        set at the user's Ctrl-C, raised as KeyboardInterrupt at the next
        request. That engine answers already; none is started."""
        self.state_dir = os.path.abspath(state_dir)
        self.socket = os.path.join(self.state_dir, protocol.SOCKET)
        self.stderr = stderr
        self.interrupted = interrupted
        self._connection = None
        self._ready = interrupted is not None

    # Requests.

    def _send(self, method, path, body=None, headers=None):
        if self.interrupted is not None and self.interrupted.is_set():
            raise KeyboardInterrupt
        if self._connection is None:
            self._connection = _UnixConnection(self.socket)
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers['Content-Type'] = 'application/json'
        try:
            self._connection.request(method, path, data, headers)
            response = self._connection.getresponse()
            data = response.read()
            # The engine's every answer says its length (wsgiref adds it).
            # One without was cut off in its headers: wsgiref writes the
            # status line, Date and Server apart from the rest.
            if response.getheader('Content-Length') is None:
                raise http.client.IncompleteRead(data)
            return response.status, response.headers, data
        except BaseException:
            self._connection.close()
            self._connection = None
            raise

    def request(self, method, path, body=None, query=None):
        """heat-api's answer to ``method`` ``/v1/admin/``\\ ``path``:
        (status, headers, body bytes). The engine is started if none
        answers, or replaced if it is not this command's."""
        url = '%s/%s' % (protocol.API_PREFIX, path.lstrip('/'))
        if query:
            url += '?' + urllib.parse.urlencode(
                {k: v for k, v in query.items() if v is not None}, doseq=True
            )
        for attempt in (1, 2):
            self.ensure()
            try:
                return self._send(method, url, body)
            except (OSError, http.client.HTTPException) as exc:
                # A retired or idle engine may exit between requests; the
                # request never reached it, so it is sent again to a new one.
                self._disconnect()
                if attempt == 2 or not _unreachable(exc):
                    raise EngineError(
                        'The engine of %s stopped answering: %s'
                        % (self.state_dir, exc)
                    ) from None
                self._ready = False

    def call(self, method, path, body=None, **query):
        """The JSON body of heat-api's answer; ApiError if it refused."""
        status, headers, data = self.request(method, path, body, query)
        if status >= 400:
            raise _heat_error(status, data)
        if headers.get_content_type() != 'application/json':
            return None  # 202 Accepted, and its text
        return json.loads(data)

    def stack_path(self, stack):
        """``stacks/NAME/ID`` of the live stack named (or with the id)
        ``stack``: heat-api's redirect from ``stacks/NAME``."""
        status, headers, data = self.request(
            'GET', 'stacks/%s' % urllib.parse.quote(stack, safe='')
        )
        if status >= 400:
            raise _heat_error(status, data)
        location = urllib.parse.urlsplit(headers['Location']).path
        return location.split(protocol.API_PREFIX + '/', 1)[1]

    # The engine's life.

    def _control(self, method, what='', body=None):
        """The engine's answer to a control request; EngineGone if none
        answered it."""
        path = '%s/%s' % (protocol.CONTROL_PATH, what)
        try:
            status, _headers, data = self._send(method, path.rstrip('/'), body)
        except (OSError, http.client.HTTPException) as exc:
            if not _gone(exc):
                raise
            raise EngineGone(
                'The engine of %s stopped answering: %r'
                % (self.state_dir, exc)
            ) from None
        if status >= 400:
            raise _control_error(status, data)
        return json.loads(data)

    def status(self):
        """The running engine's status, or None if none answers."""
        try:
            return self._control('GET')
        except EngineGone:
            return None

    def action_state(self, stack_id, action, since, before, timeout, shown):
        """How the stack's ``action`` stands, answered at its end or after
        ``timeout`` seconds: ``ended``, ``status`` (None for a stack
        deleted and gone), ``since`` (pass it back) and ``events``, the
        stack's events after event ``shown`` (0: from the action's first;
        None: not wanted), each with its ``seq`` to pass as ``shown``.
        ``before`` is the :meth:`last_event` before the action (None for
        a stack created by it). An engine that does not answer returns
        None, and the next request starts one."""
        query = urllib.parse.urlencode(
            {
                'stack': stack_id,
                'action': action,
                'since': '' if since is None else since,
                'before': '' if before is None else before,
                'timeout': timeout,
                'shown': '' if shown is None else shown,
            }
        )
        try:
            return self._control('GET', 'action?' + query)
        except EngineGone:
            self._ready = False
            return None

    def last_event(self):
        """The id of the engine's newest event: an action begun after
        this has its events after it."""
        self.ensure()
        return self._control('GET', 'last-event')['id']

    def control(self, what, body=None, any_engine=False):
        """POST a control request to this command's engine (started, or
        replaced, for it), or with ``any_engine`` to whichever runs."""
        if not any_engine or self.status() is None:
            self.ensure()
        return self._control('POST', what, body)

    def ensure(self):
        """An engine of this command's version and settings answers, or
        an older one that still has actions to end."""
        if self._ready:
            return
        status = self.status()
        if status and status.get('settings_key') != protocol.settings()[1]:
            if status['idle_timeout'] is None:
                # "heat-docker serve": a user's foreground engine is used
                # as it is, never stopped from here.
                self.stderr.write(
                    'heat-docker serve (pid %d) serves %s with other '
                    'settings or code; using it.\n'
                    % (status['pid'], self.state_dir)
                )
            else:
                status = self._replace(status)
        if status is None:
            self.start()
        self._ready = True

    def _replace(self, status):
        """Retire ``status``'s engine; None once it has exited, or its
        status while it ends actions in progress (it is used till then)."""
        status = self._control('POST', 'retire')
        if status['actions_in_progress']:
            self.stderr.write(
                'The engine of %s (pid %d, heat-docker %s) runs with other '
                'settings or code; it is replaced once %s have ended.\n'
                % (
                    self.state_dir,
                    status['pid'],
                    status['version'],
                    actions_in_progress(status),
                )
            )
            return status
        self.wait_exit(status['pid'])
        return None

    def wait_exit(self, pid, timeout=None):
        """Wait until no engine answers and ``pid`` is gone."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.status() is not None or alive(pid):
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        self._ready = False
        self._disconnect()
        return True

    def _disconnect(self):
        """Forget the connection to an engine that has gone."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def start(self):
        """Start an engine in the background, unless one answers; its
        status once it answers."""
        os.makedirs(self.state_dir, mode=0o700, exist_ok=True)
        with open(os.path.join(self.state_dir, protocol.START_LOCK), 'a') as (
            lock
        ):
            fcntl.flock(lock, fcntl.LOCK_EX)
            status = self.status()
            if status is not None:
                return status
            log_path = os.path.join(self.state_dir, protocol.ENGINE_LOG)
            process, offset = self._spawn(log_path)
            deadline = time.monotonic() + START_SECONDS
            while True:
                status = self.status()
                if status is not None:
                    return status
                code = process.poll()
                if code == 75:
                    # An engine that was exiting still held the directory.
                    time.sleep(RESPAWN_SECONDS)
                    process, offset = self._spawn(log_path)
                elif code is not None:
                    raise EngineError(
                        'The engine for %s exited at start (status %d). %s'
                        % (self.state_dir, code, _why(log_path, offset))
                    )
                if time.monotonic() > deadline:
                    raise EngineError(
                        'The engine for %s (pid %d) did not answer in %d s; '
                        'see %s'
                        % (
                            self.state_dir,
                            process.pid,
                            START_SECONDS,
                            log_path,
                        )
                    )
                time.sleep(START_POLL_SECONDS)

    def _spawn(self, log_path):
        with open(log_path, 'ab') as log:
            offset = log.tell()
            # Run from "/", as daemons are: "python -m" puts its working
            # directory first on sys.path, and the user's (a docker.py in
            # it) would be imported instead of the engine's modules; and
            # stevedore's entry point cache, keyed on the mtimes of the
            # path, would be rebuilt whenever that directory changed.
            process = subprocess.Popen(
                [
                    sys.executable,
                    '-m',
                    'heat_docker.standalone.daemon',
                    '--state-dir',
                    self.state_dir,
                ],
                cwd='/',
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        return process, offset

    def heatclient(self):
        """python-heatclient's client, on the engine's socket: for the
        commands python-heatclient implements and heat-docker takes as
        they are."""
        from docker import transport
        from heatclient import client as heat_client
        from keystoneauth1 import session as ks_session
        import requests

        self.ensure()
        # heat-api's redirects name http://localhost: that host is this
        # socket, for this session only.
        http = requests.Session()
        http.mount(
            'http://localhost/',
            transport.UnixHTTPAdapter('http+unix://' + self.socket),
        )
        return heat_client.Client(
            '1',
            session=ks_session.Session(session=http),
            endpoint_override='http://localhost' + protocol.API_PREFIX,
        )


def alive(pid):
    """Whether ``pid`` runs: a zombie (exited, not yet reaped by whoever
    adopted it) does not."""
    try:
        with open('/proc/%d/stat' % pid) as stat:
            return stat.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def _tail(path, offset=0):
    try:
        with open(path, 'rb') as log:
            log.seek(offset)
            lines = log.read().decode(errors='replace').splitlines()
    except FileNotFoundError:
        return ''
    return '\n'.join(lines[-LOG_TAIL_LINES:])


def _why(engine_log, offset):
    """The end of the engine's output since ``offset``, else of Heat's log
    (where the engine's errors go once Heat's logging is set up)."""
    tail = _tail(engine_log, offset)
    if tail.strip():
        return 'The end of %s:\n%s' % (engine_log, tail)
    heat_log = os.path.join(os.path.dirname(engine_log), protocol.HEAT_LOG)
    return 'The end of %s:\n%s' % (heat_log, _tail(heat_log))
