"""What a container's inspect says: whether it reached the completion its
resource waits for, and the resource's attributes."""

from heat_docker import spec

COMPLETION_MODES = (RUNNING, HEALTHY, EXITED) = (
    'running',
    'healthy',
    'exited',
)

# A container is judged running no sooner than this after its start
# returns, so that one that dies at once fails. Measured on a 2-core host:
# Docker records an immediate exit (busybox's false, sh's exit 3 behind an
# init) within 0.01 s of the start's answer, loaded or not; the OOM kill
# of a container that fills a 16 MB limit comes 0.025 to 0.04 s after it
# on an idle host, and later on a loaded one (0.04 s missed it in CI). An
# inspect sent while Docker handles an exit waits for it (the container's
# lock), and answers "exited", though the exit ends later on slower hosts.
SETTLE_SECONDS = 0.05


def restarted_by_docker(info):
    """Whether Docker starts the exited container of inspect ``info``
    again, by its restart policy (as it does after its own restart)."""
    policy = info['HostConfig'].get('RestartPolicy') or {}
    if policy.get('Name') in ('always', 'unless-stopped'):
        return True
    if policy.get('Name') == 'on-failure' and info['State']['ExitCode']:
        limit = policy.get('MaximumRetryCount') or 0
        return not limit or info.get('RestartCount', 0) < limit
    return False


def completion_state(state, completion, restarted=False):
    """``(reached, failure)`` of a container's inspect ``State``.

    ``failure`` says why ``completion`` can no longer be reached, and is
    None while the container may still get there: also when it exited but
    Docker will start it again (``restarted``).
    """
    status = state['Status']
    health = (state.get('Health') or {}).get('Status')
    if status in ('exited', 'dead'):
        if completion == EXITED and state['ExitCode'] == 0:
            return True, None
        if restarted and status == 'exited':
            return False, None
        failure = 'exited with code %s' % state['ExitCode']
        if state.get('OOMKilled'):
            failure += (
                ", killed by the kernel's OOM killer (out of memory: raise "
                'its memory limit)'
            )
        elif state.get('Error'):
            failure += ' (%s)' % state['Error']
        return False, failure
    if status in ('created', 'restarting') or completion == EXITED:
        return False, None
    if completion == RUNNING:
        return status == 'running', None
    if health is None:
        return False, (
            'has no healthcheck, so it cannot become healthy (set the '
            'healthcheck property or use completion "running")'
        )
    if health == 'unhealthy':
        return False, 'is unhealthy'
    return health == 'healthy', None


def mask_secret_env(info, names):
    """Inspect output with the values of the ``names`` env vars masked."""
    if not names or not info.get('Config', {}).get('Env'):
        return info
    env = [
        '%s=******' % e.split('=', 1)[0] if e.split('=', 1)[0] in names else e
        for e in info['Config']['Env']
    ]
    return {**info, 'Config': {**info['Config'], 'Env': env}}


# Attributes: name -> (description, what it reads, how).
INSPECT, LOGS = 'inspect', 'logs'


def _ports_of(info, protocol):
    ports = spec.dig(info, 'NetworkSettings.Ports') or {}
    return ','.join(
        b['HostPort']
        for key, bindings in sorted(ports.items())
        if key.endswith('/' + protocol) and bindings
        for b in bindings[:1]
        if b.get('HostPort')
    )


def _network_info(info):
    settings = dict(info.get('NetworkSettings') or {})
    settings['TcpPorts'] = _ports_of(info, 'tcp')
    settings['UdpPorts'] = _ports_of(info, 'udp')
    return settings


def _first_network_value(info, key):
    settings = info.get('NetworkSettings') or {}
    if settings.get(key):
        return settings[key]
    for network in (settings.get('Networks') or {}).values():
        if network.get(key):
            return network[key]
    return ''


def _log_lines(text):
    return text.splitlines() or ['']


ATTRIBUTES = {
    'info': (
        'The full inspect output of the container.',
        INSPECT,
        lambda info: info,
    ),
    'network_info': (
        "The container's NetworkSettings, with TcpPorts and "
        'UdpPorts (comma-separated host ports).',
        INSPECT,
        _network_info,
    ),
    'network_ip': (
        'IP address of the container (on its first network).',
        INSPECT,
        lambda i: _first_network_value(i, 'IPAddress'),
    ),
    'network_gateway': (
        "Gateway of the container's first network.",
        INSPECT,
        lambda i: _first_network_value(i, 'Gateway'),
    ),
    'network_tcp_ports': (
        'Published TCP host ports, comma-separated.',
        INSPECT,
        lambda i: _ports_of(i, 'tcp'),
    ),
    'network_udp_ports': (
        'Published UDP host ports, comma-separated.',
        INSPECT,
        lambda i: _ports_of(i, 'udp'),
    ),
    'logs': (
        "The container's output (stdout and stderr) as text.",
        LOGS,
        lambda text: text,
    ),
    'logs_head': (
        "The first line of the container's output.",
        LOGS,
        lambda text: _log_lines(text)[0],
    ),
    'logs_tail': (
        "The last line of the container's output.",
        LOGS,
        lambda text: _log_lines(text)[-1],
    ),
    'status': (
        'Container state: created, running, paused, restarting, '
        'exited or dead.',
        INSPECT,
        lambda i: spec.dig(i, 'State.Status'),
    ),
    'running': (
        'Whether the container is running.',
        INSPECT,
        lambda i: bool(spec.dig(i, 'State.Running')),
    ),
    'exit_code': (
        'Exit code of the last run.',
        INSPECT,
        lambda i: spec.dig(i, 'State.ExitCode'),
    ),
    'health': (
        'Health status: starting, healthy, unhealthy, or none when '
        'there is no healthcheck.',
        INSPECT,
        lambda i: spec.dig(i, 'State.Health.Status') or 'none',
    ),
    'name': (
        'Name of the container.',
        INSPECT,
        lambda i: (i.get('Name') or '').lstrip('/'),
    ),
    'image_id': (
        'Id of the image the container runs.',
        INSPECT,
        lambda i: i.get('Image'),
    ),
    'ip_addresses': (
        'IP addresses by network: {network: address}.',
        INSPECT,
        lambda i: {
            n: v.get('IPAddress')
            for n, v in (spec.dig(i, 'NetworkSettings.Networks') or {}).items()
        },
    ),
    'ports': (
        'Published ports: {"80/tcp": [{"HostIp": ..., "HostPort": ...}]}.',
        INSPECT,
        lambda i: {
            k: v
            for k, v in (spec.dig(i, 'NetworkSettings.Ports') or {}).items()
            if v
        },
    ),
}


def attribute(name, observed):
    """Value of attribute ``name`` from inspect output or log text."""
    return ATTRIBUTES[name][2](observed)
