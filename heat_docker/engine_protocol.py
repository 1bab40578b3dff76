"""What the warm engine and the ``heat-docker`` command agree on.

One engine serves one state directory: Heat's v1 REST API on a unix
socket there, plus a small control API under :data:`CONTROL_PATH`. This
module is shared by both sides and imports nothing heavy: the command
must start in a few hundredths of a second.
"""

import json
import os
import sys

STATE_ENV = 'HEAT_DOCKER_STATE_DIR'
IDLE_ENV = 'HEAT_DOCKER_ENGINE_IDLE_TIMEOUT'
IDLE_SECONDS = 600

SOCKET = 'engine.sock'
# Where the engine takes whole commands to run (heat_docker.cli.in_engine).
COMMAND_SOCKET = 'commands.sock'
# What cliff reads of the environment to format a command's output: a
# command whose user sets one runs where it was typed, and the engine,
# which runs commands for users who set none, drops its own.
FORMAT_ENVIRONMENT = ('CLIFF_MAX_TERM_WIDTH', 'CLIFF_FIT_WIDTH')
# Held (flock) by the running engine for its whole life.
LOCK = 'engine.lock'
# Held by a command while it starts an engine, so that racing commands
# start one.
START_LOCK = 'engine-start.lock'
ENGINE_LOG = 'engine.log'
HEAT_LOG = 'heat.log'

CONTROL_PATH = '/heat-docker/engine'
# The longest a GET of CONTROL_PATH/action?stack=ID&action=A&timeout=S
# waits for the end of a stack's action.
LONGEST_WAIT = 10
# heat-api's noauth pipeline takes every request as project "admin".
API_PREFIX = '/v1/admin'

# The environment an engine is started with that changes what it does: an
# engine started with other values is replaced once its actions end.
SETTINGS_ENV = (
    'DOCKER_HOST',
    'DOCKER_TLS_VERIFY',
    'DOCKER_CERT_PATH',
    'DOCKER_CONFIG',
    'HEAT_DOCKER_DEBUG',
)


def default_state_dir():
    if os.environ.get(STATE_ENV):
        return os.environ[STATE_ENV]
    base = os.environ.get('XDG_STATE_HOME') or os.path.expanduser(
        '~/.local/state'
    )
    return os.path.join(base, 'heat-docker')


def version():
    import heat_docker

    return heat_docker.__version__


def settings(environ=None):
    """The engine-relevant settings of ``environ``, and a key that is
    equal for two of them only if they, the version, the code and the
    Python that runs the engine are. (Not hashed: importing hashlib took
    6 ms of each command's start.)"""
    environ = os.environ if environ is None else environ
    values = {name: environ.get(name) for name in SETTINGS_ENV}
    key = json.dumps(
        [version(), _code_stamp(), os.path.realpath(sys.executable), values],
        sort_keys=True,
    )
    return values, key


def _code_stamp():
    """The newest modification of heat-docker's modules: a checkout being
    worked on gets a new engine for new code, as a new version would."""
    package = os.path.dirname(os.path.abspath(__file__))
    newest = 0
    for directory, _dirs, files in os.walk(package):
        for name in files:
            if name.endswith('.py'):
                newest = max(
                    newest, os.stat(os.path.join(directory, name)).st_mtime_ns
                )
    return newest


def idle_seconds(environ=None):
    environ = os.environ if environ is None else environ
    value = environ.get(IDLE_ENV)
    if not value:
        return IDLE_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(
            '%s must be a number of seconds, not %r' % (IDLE_ENV, value)
        ) from None
    if seconds <= 0:
        raise ValueError('%s must be more than 0, not %r' % (IDLE_ENV, value))
    return seconds
