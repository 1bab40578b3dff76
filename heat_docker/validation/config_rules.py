"""Rules of the container's Config fields."""

from heat_docker.validation.common import MAC
from heat_docker.validation.common import MS
from heat_docker.validation.common import SIGNALS
from heat_docker.validation.common import host_config
from heat_docker.validation.common import is_number
from heat_docker.validation.common import rule

# Config


@rule('Config.StopSignal')
def _stop_signal(value, body):
    text = str(value)
    name = text.upper().removeprefix('SIG')
    if name in SIGNALS or (text.lstrip('-').isdigit() and int(text) != 0):
        return None
    return (
        'must be a signal name (SIGTERM, SIGQUIT, ...) or number; got %r'
        % (value)
    )


@rule('Config.Env')
def _env(value, body):
    for item in value:
        if str(item).split('=', 1)[0] == '':
            return 'has an entry with no name: %r' % item
    return None


@rule('Config.Healthcheck')
def _healthcheck(value, body):
    for field in ('Interval', 'Timeout', 'StartPeriod', 'StartInterval'):
        duration = value.get(field)
        if is_number(duration) and duration != 0 and duration < MS:
            return '%s must be 0 (inherit) or at least 1ms; got %sns' % (
                field,
                duration,
            )
    if is_number(value.get('Retries')) and value['Retries'] < 0:
        return 'Retries cannot be negative'
    return None


@rule('Config.Hostname')
def _hostname(value, body):
    if value and host_config(body, 'UTSMode') == 'host':
        return "cannot be set with the host's UTS namespace"
    if len(str(value)) > 64:
        return 'is longer than 64 characters'
    return None


@rule('Config.Domainname')
def _domainname(value, body):
    if value and host_config(body, 'UTSMode') == 'host':
        return "cannot be set with the host's UTS namespace"
    return None


@rule('Config.MacAddress')
def _mac(value, body):
    if not value:
        return None
    if host_config(body, 'NetworkMode') == 'host':
        return 'cannot be set with the host network mode'
    if not MAC.match(str(value)):
        return 'must be a MAC address such as 02:42:ac:11:00:02; got %r' % (
            value
        )
    return None


@rule('Config.ExposedPorts')
def _exposed(value, body):
    for key in value:
        message = port_key(key)
        if message:
            return message
    return None


def port_key(key):
    port, _, protocol = str(key).partition('/')
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        return 'has port %r: ports are 1 to 65535' % key
    if protocol not in ('tcp', 'udp', 'sctp'):
        return 'has port %r: the protocol is tcp, udp or sctp' % key
    return None


@rule('Config.WorkingDir')
def _working_dir(value, body):
    if value and not str(value).startswith('/'):
        return 'must be an absolute path; got %r' % value
    return None
