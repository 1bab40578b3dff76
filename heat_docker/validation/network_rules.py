"""Rules of HostConfig: networking, restart, namespaces."""

from heat_docker.spec import PREDEFINED_NETWORKS
from heat_docker.validation.common import host_config
from heat_docker.validation.common import is_ip
from heat_docker.validation.common import is_number
from heat_docker.validation.common import rule
from heat_docker.validation.common import shares_network
from heat_docker.validation.config_rules import port_key

# HostConfig: networking


def _not_with_container_network(value, body):
    if value and shares_network(body):
        return 'cannot be set with a container: network mode (the ' + (
            "container's own network is used)"
        )
    return None


# What a container sharing another's network namespace cannot set
# (runconfig's validateNetContainerMode).
for _path in (
    'Config.Hostname',
    'Config.MacAddress',
    'Config.ExposedPorts',
    'HostConfig.Links',
    'HostConfig.Dns',
    'HostConfig.ExtraHosts',
    'HostConfig.PortBindings',
    'HostConfig.PublishAllPorts',
):
    rule(_path)(_not_with_container_network)


@rule('HostConfig.NetworkMode')
def _network_mode(value, body):
    if str(value) == 'container:':
        return 'container: must name a container'
    return None


@rule('HostConfig.Links')
def _links(value, body):
    if value and host_config(body, 'NetworkMode') == 'host':
        return 'cannot be set with the host network mode'
    for link in value:
        parts = str(link).split(':')
        if len(parts) > 2 or not all(parts):
            return 'must be NAME or NAME:ALIAS; got %r' % link
    return None


@rule('HostConfig.Dns')
def _dns(value, body):
    for server in value:
        if server is not None and not is_ip(server):
            return 'must be IP addresses; got %r' % server
    return None


@rule('HostConfig.ExtraHosts')
def _extra_hosts(value, body):
    for entry in value:
        host, _, address = str(entry).partition(':')
        if not host or not (address == 'host-gateway' or is_ip(address)):
            return 'must be HOST:IP (or HOST:host-gateway); got %r' % entry
    return None


@rule('HostConfig.PortBindings')
def _port_bindings(value, body):
    for key, bindings in value.items():
        message = port_key(key)
        if message:
            return message
        for binding in bindings or ():
            host_port = str(binding.get('HostPort') or '')
            ports = host_port.split('-')
            if host_port and not (
                len(ports) <= 2
                and all(p.isdigit() and int(p) <= 65535 for p in ports)
                and int(ports[0]) <= int(ports[-1])
            ):
                return (
                    'has host port %r: a port or a range A-B up to 65535'
                    % (host_port)
                )
            host_ip = binding.get('HostIp') or ''
            if host_ip and not is_ip(host_ip):
                # The engine would publish on every address instead.
                return 'has host address %r, which is no IP address' % host_ip
    return None


@rule('NetworkingConfig.EndpointsConfig')
def _endpoints(value, body):
    for network, config in value.items():
        ipam = (config or {}).get('IPAMConfig') or {}
        for field, version in (('IPv4Address', 4), ('IPv6Address', 6)):
            if ipam.get(field) and not is_ip(ipam[field], version):
                return 'has %s %r for %s, which is no IPv%d address' % (
                    field,
                    ipam[field],
                    network,
                    version,
                )
        if network in PREDEFINED_NETWORKS and (
            ipam.get('IPv4Address') or ipam.get('IPv6Address')
        ):
            return (
                'sets a fixed address on %s: only user-defined networks '
                % (network)
                + 'take one'
            )
        if network in PREDEFINED_NETWORKS and (config or {}).get('Aliases'):
            return (
                'sets aliases on %s: only user-defined networks take '
                % (network)
                + 'them'
            )
    return None


# HostConfig: restart, namespaces


@rule('HostConfig.RestartPolicy')
def _restart_policy(value, body):
    name = value.get('Name') or ''
    retries = value.get('MaximumRetryCount') or 0
    if name not in ('', 'no', 'always', 'unless-stopped', 'on-failure'):
        return 'has no policy %r' % name
    if retries and name in ('no', 'always', 'unless-stopped'):
        return 'MaximumRetryCount works only with on-failure, not %s' % name
    if is_number(retries) and retries < 0:
        return 'MaximumRetryCount cannot be negative'
    return None


def _mode(allowed, container=False):
    def check(value, body):
        text = str(value)
        if text in allowed or (
            container and text.startswith('container:') and len(text) > 10
        ):
            return None
        return 'must be one of %s%s; got %r' % (
            ', '.join(a or '""' for a in allowed),
            ' or container:NAME' if container else '',
            value,
        )

    return check


rule('HostConfig.IpcMode')(
    _mode(('', 'none', 'private', 'host', 'shareable'), container=True)
)
rule('HostConfig.PidMode')(_mode(('', 'host'), container=True))
rule('HostConfig.UTSMode')(_mode(('', 'host')))
rule('HostConfig.UsernsMode')(_mode(('', 'host')))
rule('HostConfig.CgroupnsMode')(_mode(('', 'private', 'host')))
rule('HostConfig.Isolation')(_mode(('', 'default')))
