"""The container create body of the Docker Engine API, as heat-docker
builds it: the fields the escape hatches may set, and builders that turn
property values into body fields (``{"HostConfig.Binds": [...]}``), as
docker-py's ``docker.types`` do for its own arguments.
"""

from docker import errors as docker_errors
from docker import types as docker_types
from docker.utils import utils as docker_utils

from heat_docker import spec
from heat_docker.spec import PREDEFINED_NETWORKS
from heat_docker.spec import InvalidValue

CAPABILITIES = (
    'ALL',
    'AUDIT_CONTROL',
    'AUDIT_READ',
    'AUDIT_WRITE',
    'BLOCK_SUSPEND',
    'BPF',
    'CHECKPOINT_RESTORE',
    'CHOWN',
    'DAC_OVERRIDE',
    'DAC_READ_SEARCH',
    'FOWNER',
    'FSETID',
    'IPC_LOCK',
    'IPC_OWNER',
    'KILL',
    'LEASE',
    'LINUX_IMMUTABLE',
    'MAC_ADMIN',
    'MAC_OVERRIDE',
    'MKNOD',
    'NET_ADMIN',
    'NET_BIND_SERVICE',
    'NET_BROADCAST',
    'NET_RAW',
    'PERFMON',
    'SETFCAP',
    'SETGID',
    'SETPCAP',
    'SETUID',
    'SYSLOG',
    'SYS_ADMIN',
    'SYS_BOOT',
    'SYS_CHROOT',
    'SYS_MODULE',
    'SYS_NICE',
    'SYS_PACCT',
    'SYS_PTRACE',
    'SYS_RAWIO',
    'SYS_RESOURCE',
    'SYS_TIME',
    'SYS_TTY_CONFIG',
    'WAKE_ALARM',
)

# Fields of the create body (API 1.41) that api_config and api_host_config
# may set. The engine silently drops fields it does not know, so a misspelt
# one is refused instead.
CONFIG_FIELDS = frozenset(
    (
        'Hostname',
        'Domainname',
        'User',
        'AttachStdin',
        'AttachStdout',
        'AttachStderr',
        'ExposedPorts',
        'Tty',
        'OpenStdin',
        'StdinOnce',
        'Env',
        'Cmd',
        'Healthcheck',
        'ArgsEscaped',
        'Image',
        'Volumes',
        'WorkingDir',
        'Entrypoint',
        'NetworkDisabled',
        'MacAddress',
        'OnBuild',
        'Labels',
        'StopSignal',
        'StopTimeout',
        'Shell',
    )
)
HOST_CONFIG_FIELDS = frozenset(
    (
        'CpuShares',
        'Memory',
        'CgroupParent',
        'BlkioWeight',
        'BlkioWeightDevice',
        'BlkioDeviceReadBps',
        'BlkioDeviceWriteBps',
        'BlkioDeviceReadIOps',
        'BlkioDeviceWriteIOps',
        'CpuPeriod',
        'CpuQuota',
        'CpuRealtimePeriod',
        'CpuRealtimeRuntime',
        'CpusetCpus',
        'CpusetMems',
        'Devices',
        'DeviceCgroupRules',
        'DeviceRequests',
        'KernelMemoryTCP',
        'MemoryReservation',
        'MemorySwap',
        'MemorySwappiness',
        'NanoCpus',
        'OomKillDisable',
        'Init',
        'PidsLimit',
        'Ulimits',
        'CpuCount',
        'CpuPercent',
        'IOMaximumIOps',
        'IOMaximumBandwidth',
        'Binds',
        'ContainerIDFile',
        'LogConfig',
        'NetworkMode',
        'PortBindings',
        'RestartPolicy',
        'VolumeDriver',
        'VolumesFrom',
        'Mounts',
        'CapAdd',
        'CapDrop',
        'CgroupnsMode',
        'Dns',
        'DnsOptions',
        'DnsSearch',
        'ExtraHosts',
        'GroupAdd',
        'IpcMode',
        'Cgroup',
        'Links',
        'OomScoreAdj',
        'PidMode',
        'Privileged',
        'PublishAllPorts',
        'ReadonlyRootfs',
        'SecurityOpt',
        'StorageOpt',
        'Tmpfs',
        'UTSMode',
        'UsernsMode',
        'ShmSize',
        'Sysctls',
        'Runtime',
        'ConsoleSize',
        'Isolation',
        'MaskedPaths',
        'ReadonlyPaths',
    )
)
# Heat owns the container's removal; the engine must not remove it first.
FORBIDDEN_HOST_CONFIG_FIELDS = frozenset(('AutoRemove',))


def _port_key(port):
    port = str(port)
    return port if '/' in port else port + '/tcp'


def exposed_ports(ports):
    return {'Config.ExposedPorts': {_port_key(p): {} for p in ports}}


def port_bindings(bindings):
    converted = docker_utils.convert_port_bindings(bindings)
    return {
        'HostConfig.PortBindings': converted,
        'Config.ExposedPorts': {k: {} for k in converted},
    }


def published_ports(ports):
    bindings = {}
    for port in ports:
        key = '%s/%s' % (port['container_port'], port['protocol'])
        host_port = port.get('host_port')
        bindings.setdefault(key, []).append(
            {
                'HostIp': port.get('host_ip') or '',
                'HostPort': '' if host_port is None else str(host_port),
            }
        )
    return {
        'HostConfig.PortBindings': bindings,
        'Config.ExposedPorts': {k: {} for k in bindings},
    }


def env(value):
    if isinstance(value, dict):
        return {
            'Config.Env': docker_utils.format_environment(
                {k: None if v is None else str(v) for k, v in value.items()}
            )
        }
    if isinstance(value, list) and all(
        isinstance(v, (str, type(None))) for v in value
    ):
        # None stands for a value not resolved yet, during validation.
        return {'Config.Env': [v for v in value if v is not None]}
    raise InvalidValue(
        'env',
        'must be a list of "KEY=value" strings or a map of names to values',
    )


def volumes(value):
    """The old contrib forms: bind maps, container paths, path triples."""
    binds, volumes = [], {}
    if isinstance(value, dict):
        for key, opts in value.items():
            if isinstance(opts, dict) and 'bind' in opts:
                binds += docker_utils.convert_volume_binds({key: opts})
            elif opts in ({}, None):
                volumes[key] = {}
            elif isinstance(opts, str):
                binds += docker_utils.convert_volume_binds({key: opts})
            else:
                raise InvalidValue(
                    'volumes',
                    'value for %r must be {bind: PATH, ro: BOOL}, '
                    'a container path, or {} for an anonymous volume' % key,
                )
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str) and ':' in item:
                raise InvalidValue(
                    'volumes',
                    '%r: a list item names a container path; for a bind '
                    'or a named volume use {path_on_host, '
                    'path_in_container} or "mounts"' % item,
                )
            if isinstance(item, str):
                volumes[item] = {}
            elif isinstance(item, dict) and 'path_in_container' in item:
                target = item['path_in_container']
                if item.get('path_on_host'):
                    binds.append(
                        '%s:%s:%s'
                        % (
                            item['path_on_host'],
                            target,
                            item.get('permissions', 'rw'),
                        )
                    )
                else:
                    volumes[target] = {}
            else:
                raise InvalidValue(
                    'volumes',
                    'list items must be container paths or maps '
                    'with path_in_container (and path_on_host, permissions)',
                )
    else:
        raise InvalidValue('volumes', 'must be a map or a list')
    for path in list(volumes) + [b.split(':')[1] for b in binds]:
        if not path.startswith('/'):
            raise InvalidValue(
                'volumes',
                '%r is not an absolute path in the container (a volume '
                'name goes on the host side)' % path,
            )
    return {'Config.Volumes': volumes, 'HostConfig.Binds': binds}


def devices(devices):
    return {
        'HostConfig.Devices': [
            {
                'PathOnHost': d['path_on_host'],
                'PathInContainer': d.get('path_in_container')
                or d['path_on_host'],
                'CgroupPermissions': d.get('permissions') or 'rwm',
            }
            for d in devices
        ]
    }


def mounts(mounts):
    result = []
    for m in mounts:
        args = {k: v for k, v in m.items() if v not in (None, {}, False)}
        if 'tmpfs_size' in args:
            args['tmpfs_size'] = spec.size_bytes(args['tmpfs_size'])
        if args.get('type') == 'bind' and not str(
            args.get('source', '')
        ).startswith('/'):
            raise InvalidValue(
                'mounts', 'a bind mount needs an absolute host path as source'
            )
        try:
            result.append(
                docker_types.Mount(
                    target=args.pop('target'),
                    source=args.pop('source', None),
                    **args,
                )
            )
        except docker_errors.InvalidArgument as exc:
            raise InvalidValue('mounts', str(exc)) from exc
    return {'HostConfig.Mounts': result}


def ulimits(limits):
    return {
        'HostConfig.Ulimits': [
            docker_types.Ulimit(
                name=u['name'],
                soft=u['soft'],
                hard=u['soft'] if u.get('hard') is None else u['hard'],
            )
            for u in limits
        ]
    }


def log_config(config):
    return {
        'HostConfig.LogConfig': docker_types.LogConfig(
            type=config['driver'], config=config.get('options') or {}
        )
    }


def healthcheck(check):
    test = check['test']
    if isinstance(test, str):
        test = ['CMD-SHELL', test]
    elif test and test[0] not in ('CMD', 'CMD-SHELL', 'NONE'):
        test = ['CMD'] + list(test)
    body = {'Test': test}
    for key, field in (
        ('interval', 'Interval'),
        ('timeout', 'Timeout'),
        ('start_period', 'StartPeriod'),
        ('start_interval', 'StartInterval'),
    ):
        if check.get(key) is not None:
            body[field] = spec.duration_ns(check[key])
    if check.get('retries') is not None:
        body['Retries'] = check['retries']
    return {'Config.Healthcheck': body}


def networks(networks):
    return {
        'NetworkingConfig.EndpointsConfig': {
            n['network']: _endpoint_config(n) for n in networks
        }
    }


DEFAULT_BRIDGE = ('', 'default', 'bridge')


def normalized_links(links):
    return docker_utils.normalize_links(links) if links else None


def with_links(endpoints, links):
    """Endpoint configs with ``links`` on each user-defined network.

    The engine honours HostConfig.Links on the default bridge only; on a
    user-defined network the endpoint's own Links give the same names, as
    ``docker run --link`` does.
    """
    if not links:
        return endpoints
    return {
        network: {**config, 'Links': links}
        if network not in PREDEFINED_NETWORKS
        else config
        for network, config in endpoints.items()
    }


def _endpoint_config(network):
    config = {}
    if network.get('aliases'):
        config['Aliases'] = network['aliases']
    ipam = {
        k: network[p]
        for p, k in (
            ('ipv4_address', 'IPv4Address'),
            ('ipv6_address', 'IPv6Address'),
        )
        if network.get(p)
    }
    if ipam:
        config['IPAMConfig'] = ipam
    return config


def api_fields(prop, allowed, prefix, forbidden=frozenset()):
    def expand(fields):
        refused = sorted(set(fields) & forbidden)
        if refused:
            raise InvalidValue(
                prop,
                '%s cannot be set: Heat removes the container itself'
                % ', '.join(refused),
            )
        unknown = sorted(set(fields) - allowed)
        if unknown:
            raise InvalidValue(
                prop, 'unknown Engine API field(s) %s' % ', '.join(unknown)
            )
        return {prefix + k: v for k, v in fields.items()}

    return expand
