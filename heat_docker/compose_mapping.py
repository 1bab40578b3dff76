"""What each key of a Compose service becomes in a container resource.

``SERVICE_KEYS`` is the one table: a key of a service, as ``docker-compose
config`` normalizes it, and what it becomes: a container property, an
Engine API field through ``api_host_config``, a dependency, or a reason
why it has no equivalent. :mod:`heat_docker.compose` walks it for each
service; a key that is not in the table is listed as unsupported, so none
is dropped silently. No Heat here.
"""

import os

from heat_docker import spec

# A service's dependency condition -> the completion it needs of the
# service it depends on (None: running is enough).
CONDITIONS = {
    'service_started': None,
    'service_healthy': 'healthy',
    'service_completed_successfully': 'exited',
}
PULL_POLICIES = {
    'always': 'always',
    'never': 'never',
    'missing': 'missing',
    'if_not_present': 'missing',
}


class Param(str):
    """A value of the Compose model that a template parameter gives: it
    stands in the model for that value, and becomes ``fn`` (``get_param``
    or ``str_replace``) wherever a property takes it as it is. Where a
    property takes a conversion of it, the conversion is a plain value,
    frozen at conversion, and the parameter unused there."""

    def __new__(cls, value, fn, names, path):
        self = super().__new__(cls, value)
        self.fn, self.names, self.path = fn, names, path
        # Taken as a number; Compose parses the text it is in; refused
        # as text where Compose parses it.
        self.number = self.parsed = self.refused = False
        return self

    def as_number(self):
        """The same parameter, as a number, when it is one whole
        variable."""
        if 'get_param' not in self.fn:
            return None
        number = Param(self, self.fn, self.names, self.path)
        number.number, number.parsed = True, self.parsed
        return number


def join(*parts):
    """The text of ``parts`` one after the other; a parameter among them
    makes it a ``str_replace`` of that parameter."""
    parts = [p for p in parts if p]
    params = [p for p in parts if isinstance(p, Param)]
    if not params:
        return ''.join(parts)
    if len(parts) == 1:
        return parts[0]
    template, values = '', {}
    for part in parts:
        if not isinstance(part, Param):
            template += part
        elif 'get_param' in part.fn:
            placeholder = '${%s}' % part.fn['get_param']
            template += placeholder
            values[placeholder] = part.fn
        else:
            template += part.fn['str_replace']['template']
            values.update(part.fn['str_replace']['params'])
    joined = Param(
        ''.join(parts),
        {'str_replace': {'template': template, 'params': values}},
        [n for p in params for n in p.names],
        params[0].path,
    )
    joined.parsed = any(p.parsed for p in params)
    return joined


def integer(value):
    """``value`` as an integer; a parameter stays one."""
    if isinstance(value, Param):
        number = value.as_number()
        if number is not None and str(value).lstrip('-').isdigit():
            return number
    return int(value)


def number(value):
    """``value`` as a number; a parameter stays one."""
    if isinstance(value, Param):
        param = value.as_number()
        if param is not None:
            return param
    return float(value)


def text(value):
    """``value`` as a string; a parameter stays one."""
    return value if isinstance(value, str) else str(value)


def seconds(duration):
    """Whole seconds of a Compose duration, as Compose truncates them."""
    return spec.duration_ns(duration) // 10**9


class Service:
    """One service on its way to a container resource: its properties,
    the services it depends on, and what has no equivalent."""

    def __init__(self, project, name, config):
        self.project = project
        self.name = name
        self.config = config
        self.container_name = project.container_name(name)
        self.props = {}
        self.image = None  # properties of the image it builds
        self.endpoints = {}  # network key -> its entry of networks
        self.depends_on = {}  # service -> the completion it needs, or None
        self.skipped = []  # (key, reason)

    def host(self, field, value):
        self.props.setdefault('api_host_config', {})[field] = value

    def add(self, prop, *items):
        self.props.setdefault(prop, []).extend(items)

    def skip(self, key, reason):
        self.skipped.append((key, reason))

    def depend(self, service, completion=None):
        previous = self.depends_on.get(service)
        self.depends_on[service] = completion or previous

    def container_of(self, reference):
        """A ``service:NAME`` reference as the container it names (the
        service becomes a dependency); other forms as they are."""
        kind, _, name = str(reference).partition(':')
        if kind == 'service':
            self.depend(name)
            return join('container:', self.project.container_name(name))
        return reference

    def rest(self, key, value, known, where='a container'):
        """Lists the parts of ``value`` (a map) that nothing took."""
        for sub, item in (value or {}).items():
            if sub not in known and item not in (None, {}, [], ''):
                self.skip('%s.%s' % (key, sub), 'no equivalent in ' + where)


def _to(prop, convert=None):
    def apply(svc, key, value):
        svc.props[prop] = convert(value) if convert else value

    return apply


def _host(field, convert=None):
    def apply(svc, key, value):
        svc.host(field, convert(value) if convert else value)

    return apply


def _none(reason):
    def apply(svc, key, value):
        svc.skip(key, reason)

    return apply


def _consumed(svc, key, value):
    """Compose's loader applied it already (the model holds the result)."""


def _command(svc, key, value):
    svc.props['cmd'] = list(value)


def _environment(svc, key, value):
    svc.props['env'] = dict(value)


# Pull policies that, with build, mean building it.
BUILT = ('build', 'missing', 'if_not_present')


def _pull_policy(svc, key, value):
    if svc.config.get('build') and value in BUILT:
        return  # the image resource builds it
    if value in PULL_POLICIES:
        svc.props['image_pull_policy'] = PULL_POLICIES[value]
    else:
        svc.skip(key, '%r has no equivalent (always, never, missing)' % value)


def _ports(svc, key, ports):
    for port in ports:
        entry = {
            'container_port': integer(port['target']),
            'protocol': port.get('protocol') or 'tcp',
        }
        if port.get('host_ip'):
            entry['host_ip'] = port['host_ip']
        published = port.get('published')
        if published and '-' in str(published):
            svc.skip(
                key,
                'published range %s for %s: a property publishes one '
                'host port' % (published, port['target']),
            )
            continue
        if published:
            entry['host_port'] = integer(published)
        svc.add('ports', entry)
        # mode (ingress or host) is for swarm; Compose ignores it too.
        svc.rest(
            key, port, ('target', 'published', 'host_ip', 'protocol', 'mode')
        )


def _expose(svc, key, ports):
    for port in ports:
        number, _, protocol = str(port).partition('/')
        first, _, last = number.partition('-')
        for n in range(int(first), int(last or first) + 1):
            svc.add('port_specs', '%d/%s' % (n, protocol or 'tcp'))


def _bind(svc, key, volume):
    options = volume.get('bind') or {}
    svc.rest(key + '.bind', options, ('create_host_path', *_BIND_MODES))
    if options.get('create_host_path'):
        # Compose's short form: a bind that makes a missing host
        # directory, as HostConfig.Binds does (the volumes property).
        modes = ['ro' if volume.get('read_only') else 'rw']
        modes += [options[k] for k in _BIND_MODES if options.get(k)]
        svc.add(
            'volumes',
            {
                'path_on_host': volume['source'],
                'path_in_container': volume['target'],
                'permissions': ','.join(modes),
            },
        )
        return None
    if options.get('selinux'):
        svc.skip(key + '.bind.selinux', 'a mount takes no SELinux label')
    return {
        'source': volume['source'],
        'propagation': options.get('propagation'),
    }


def _volume(svc, key, volume):
    options = volume.get('volume') or {}
    svc.rest(key + '.volume', options, ('nocopy', 'subpath'))
    if not volume.get('source'):
        svc.props['remove_volumes'] = True  # anonymous: the container's
    return {
        'source': volume.get('source')
        and svc.project.volume_ref(volume['source']),
        'no_copy': options.get('nocopy'),
        'subpath': options.get('subpath'),
    }


def _tmpfs_mount(svc, key, volume):
    options = volume.get('tmpfs') or {}
    svc.rest(key + '.tmpfs', options, ('size', 'mode'))
    return {
        'tmpfs_size': text(options['size']) if options.get('size') else None,
        'tmpfs_mode': integer(options['mode'])
        if options.get('mode')
        else None,
    }


_BIND_MODES = ('propagation', 'selinux')
# A mount's type -> the rest of its mount property, from its own options
# (None: it became something else).
_MOUNT_TYPES = {'bind': _bind, 'volume': _volume, 'tmpfs': _tmpfs_mount}


def _volumes(svc, key, volumes):
    for volume in volumes:
        kind = volume.get('type')
        if kind not in _MOUNT_TYPES:
            svc.skip(
                key,
                'type %s has no equivalent (%s)' % (kind, volume['target']),
            )
            continue
        svc.rest(key, volume, ('type', 'source', 'target', 'read_only', kind))
        options = _MOUNT_TYPES[kind](svc, key, volume)
        if options is None:
            continue
        mount = {
            'type': kind,
            'source': options.pop('source', None),
            'target': volume['target'],
            **options,
            'read_only': volume.get('read_only'),
        }
        svc.add('mounts', {k: v for k, v in mount.items() if v})


def _tmpfs(svc, key, paths):
    for item in paths:
        path, _, options = str(item).partition(':')
        svc.props.setdefault('tmpfs', {})[path] = options


def _files(kind, directory):
    """``secrets`` and ``configs`` from files: read-only bind mounts of the
    files where Compose puts them."""

    def apply(svc, key, refs):
        for ref in refs:
            source = ref['source']
            target = ref.get('target') or source
            if not target.startswith('/'):
                target = directory + target
            definition = svc.project.top(key).get(source) or {}
            if not definition.get('file'):
                svc.skip(
                    key,
                    '%s %s: only %s from files have an equivalent (a '
                    'read-only bind mount)' % (kind, source, key),
                )
                continue
            svc.add(
                'mounts',
                {
                    'type': 'bind',
                    'source': definition['file'],
                    'target': target,
                    'read_only': True,
                },
            )
            svc.rest(key, ref, ('source', 'target'))

    return apply


def _networks(svc, key, networks):
    def priority(item):
        return (-((item[1] or {}).get('priority') or 0), item[0])

    for name, options in sorted(networks.items(), key=priority):
        options = options or {}
        entry = {
            'network': svc.project.network_ref(name),
            # Compose's own aliases: the container's name and the service's.
            'aliases': [svc.container_name, svc.name]
            + list(options.get('aliases') or ()),
        }
        for address in ('ipv4_address', 'ipv6_address'):
            if options.get(address):
                entry[address] = options[address]
        svc.add('networks', entry)
        svc.endpoints[name] = entry
        svc.rest(
            '%s.%s' % (key, name),
            options,
            ('aliases', 'ipv4_address', 'ipv6_address', 'priority'),
        )


def _network_mode(svc, key, value):
    svc.props['network_mode'] = svc.container_of(value)


def _namespace(prop):
    def apply(svc, key, value):
        svc.props[prop] = svc.container_of(value)

    return apply


def _depends_on(svc, key, dependencies):
    for name, options in dependencies.items():
        options = options or {}
        if name not in svc.project.services:
            continue  # not required, and not enabled: Compose skips it too
        svc.depend(name, CONDITIONS.get(options.get('condition')))
        if options.get('required') is False:
            svc.skip(
                '%s.%s.required' % (key, name),
                'Heat fails the stack when %s fails' % name,
            )
        if options.get('restart'):
            svc.skip(
                '%s.%s.restart' % (key, name),
                'Heat does not restart %s when %s is replaced'
                % (svc.name, name),
            )
        svc.rest(
            '%s.%s' % (key, name),
            options,
            ('condition', 'required', 'restart'),
        )


def _links(svc, key, links):
    """The links property, as Compose gives links: the alias resolves for
    the linking container alone, on the default bridge (legacy links) and
    on each user-defined network the two share (the endpoint's links).
    Where the service's name is the alias, that name resolves already on a
    user-defined network, and no link is needed."""
    bridge = svc.config.get('network_mode') == 'bridge'
    for link in links:
        service, _, alias = str(link).partition(':')
        alias = alias or service
        name = service
        if key == 'links':
            svc.depend(service)
            name = svc.project.container_name(service)
            if alias == service and not bridge:
                continue
        if isinstance(name, Param):
            svc.skip(
                key,
                '%s: a link names its container as it is '
                'at conversion, not as a parameter' % link,
            )
            continue
        linked = svc.props.setdefault('links', {})
        if linked.get(name, alias) != alias:
            svc.skip(
                key,
                '%s: one alias per linked container (%s already)'
                % (link, linked[name]),
            )
            continue
        linked[name] = alias


def _volumes_from(svc, key, sources):
    for source in sources:
        name, _, mode = str(source).partition(':')
        if name == 'container':
            svc.add('volumes_from', source.split(':', 1)[1])
            continue
        svc.depend(name)
        container = svc.project.container_name(name)
        svc.add('volumes_from', join(container, ':' + mode if mode else ''))


_TIMINGS = {
    'interval': 'Interval',
    'timeout': 'Timeout',
    'start_period': 'StartPeriod',
    'start_interval': 'StartInterval',
}


def _healthcheck(svc, key, check):
    if check.get('disable'):
        svc.props['healthcheck'] = {'test': ['NONE']}
        return
    if not check.get('test'):
        # Timings for the image's own test: only the Engine API field
        # takes them without a test.
        fields = {
            field: spec.duration_ns(check[name])
            for name, field in _TIMINGS.items()
            if check.get(name)
        }
        if check.get('retries') is not None:
            fields['Retries'] = int(check['retries'])
        svc.props.setdefault('api_config', {})['Healthcheck'] = fields
        return
    healthcheck = {'test': list(check['test'])}
    for name in _TIMINGS:
        if check.get(name):
            healthcheck[name] = check[name]
    if check.get('retries') is not None:
        healthcheck['retries'] = integer(check['retries'])
    svc.props['healthcheck'] = healthcheck
    svc.rest(key, check, ('test', 'retries', 'disable', *_TIMINGS))


def _restart_policy(value):
    name, _, count = str(value).partition(':')
    policy = {'Name': name}
    if count:
        policy['MaximumRetryCount'] = int(count)
    return policy


def _ulimits(value):
    return [
        {'name': name, 'soft': limit['soft'], 'hard': limit['hard']}
        if isinstance(limit, dict)
        else {'name': name, 'soft': limit, 'hard': limit}
        for name, limit in value.items()
    ]


def _extra_hosts(svc, key, entries):
    hosts = svc.props.setdefault('extra_hosts', {})
    for entry in entries:
        separator = '=' if '=' in entry else ':'
        host, _, address = entry.partition(separator)
        if host in hosts:
            svc.skip(
                key,
                '%s has a second address (%s): the property maps a host '
                'to one' % (host, address),
            )
            continue
        hosts[host] = address


def _logging(svc, key, value):
    if not value.get('driver'):
        svc.skip(key, 'options without a driver have no equivalent')
        return
    svc.props['log_config'] = {
        'driver': value['driver'],
        'options': dict(value.get('options') or {}),
    }


def _capabilities(value):
    return [c.upper().removeprefix('CAP_') for c in value]


def _devices(svc, key, devices):
    for device in devices:
        if not str(device.get('source', '')).startswith('/dev/'):
            svc.skip(key, '%s: only host devices under /dev' % device)
            continue
        svc.add(
            'devices',
            {
                'path_on_host': device['source'],
                'path_in_container': device.get('target') or device['source'],
                'permissions': device.get('permissions') or 'rwm',
            },
        )


# blkio_config key -> HostConfig field, and the field of its list items.
_BLKIO = {
    'weight': ('BlkioWeight', None),
    'weight_device': ('BlkioWeightDevice', 'Weight'),
    'device_read_bps': ('BlkioDeviceReadBps', 'Rate'),
    'device_write_bps': ('BlkioDeviceWriteBps', 'Rate'),
    'device_read_iops': ('BlkioDeviceReadIOps', 'Rate'),
    'device_write_iops': ('BlkioDeviceWriteIOps', 'Rate'),
}


def _blkio(svc, key, value):
    for name, (field, item) in _BLKIO.items():
        if value.get(name) is None:
            continue
        svc.host(
            field,
            integer(value[name])
            if item is None
            else [
                {'Path': d['Path'], item: int(d[item])} for d in value[name]
            ],
        )
    svc.rest(key, value, _BLKIO)


def _deploy(svc, key, deploy):
    resources = deploy.get('resources') or {}
    limits = resources.get('limits') or {}
    if limits.get('cpus') is not None:
        svc.props['cpus'] = number(limits['cpus'])
    if limits.get('memory') is not None:
        svc.props['memory'] = text(limits['memory'])
    if limits.get('pids') is not None:
        svc.props['pids_limit'] = integer(limits['pids'])
    svc.rest(key + '.resources.limits', limits, ('cpus', 'memory', 'pids'))
    reservations = resources.get('reservations') or {}
    if reservations.get('memory') is not None:
        svc.props['memory_reservation'] = text(reservations['memory'])
    svc.rest(key + '.resources.reservations', reservations, ('memory',))
    svc.rest(key + '.resources', resources, ('limits', 'reservations'))
    policy = deploy.get('restart_policy') or {}
    if policy and not svc.config.get('restart'):
        condition = {'none': 'no', 'any': 'always'}.get(
            policy.get('condition') or 'any', policy.get('condition')
        )
        svc.props['restart_policy'] = {'Name': condition}
        if policy.get('max_attempts') is not None:
            svc.props['restart_policy']['MaximumRetryCount'] = integer(
                policy['max_attempts']
            )
        svc.rest(
            key + '.restart_policy', policy, ('condition', 'max_attempts')
        )
    if deploy.get('replicas') is not None and int(deploy['replicas']) != 1:
        svc.skip(key + '.replicas', 'a container resource is one container')
    # On one engine, replicated (once) and global are one container alike.
    svc.rest(key, deploy, ('resources', 'restart_policy', 'replicas', 'mode'))


# Compose build key -> key of the build property of DockerInc::Docker::Image.
BUILD_KEYS = {
    'args': 'args',
    'target': 'target',
    'labels': 'labels',
    'no_cache': 'no_cache',
    'pull': 'pull',
    'network': 'network_mode',
}


_BUILD_OWN = (
    'context',
    'dockerfile',
    'dockerfile_inline',
    'tags',
    'platforms',
)


def _build(svc, key, build):
    """A DockerInc::Docker::Image that builds the image the service runs,
    tagged with its name as Compose tags it."""
    context = build.get('context') or ''
    if not os.path.isabs(context):
        svc.skip(key + '.context', 'only a local directory (%s)' % context)
        return
    image = {'reference': svc.config.get('image') or svc.project.image(svc)}
    image['build'] = properties = {'context': context}
    dockerfile = build.get('dockerfile') or 'Dockerfile'
    if build.get('dockerfile_inline'):
        properties['dockerfile'] = build['dockerfile_inline']
    elif dockerfile != 'Dockerfile':
        # The property is the Dockerfile's text: the file's, as it is now.
        try:
            with open(os.path.join(context, dockerfile)) as f:
                properties['dockerfile'] = f.read()
        except OSError as exc:
            svc.skip(key + '.dockerfile', 'cannot be read: %s' % exc)
            return
    for name, prop in BUILD_KEYS.items():
        if build.get(name):
            properties[prop] = build[name]
    if properties.get('args'):
        # An argument with no value takes the Dockerfile's default.
        properties['args'] = {
            k: v for k, v in properties['args'].items() if v is not None
        }
    if build.get('tags'):
        image['tags'] = list(build['tags'])
    platforms = build.get('platforms') or ()
    if len(platforms) == 1:
        image['platform'] = platforms[0]
    elif platforms:
        svc.skip(key + '.platforms', 'an image resource builds for one')
    svc.image = image
    svc.rest(key, build, (*BUILD_KEYS, *_BUILD_OWN), 'an image resource')


def _scale(svc, key, value):
    if int(value) != 1:
        svc.skip(key, 'a container resource is one container')


# Compose key -> what it becomes, applied in this order (deploy last:
# its limits win over mem_limit and cpus, as in Compose).
SERVICE_KEYS = {
    'image': _to('image'),
    'pull_policy': _pull_policy,
    'container_name': _consumed,  # the name, set first (Project)
    'command': _command,
    'entrypoint': _to('entrypoint', list),
    'environment': _environment,
    'env_file': _consumed,
    'label_file': _consumed,
    'profiles': _consumed,
    'extends': _consumed,
    'ports': _ports,
    'expose': _expose,
    'volumes': _volumes,
    'tmpfs': _tmpfs,
    'secrets': _files('secret', '/run/secrets/'),
    'configs': _files('config', '/'),
    'networks': _networks,
    'network_mode': _network_mode,
    'links': _links,
    'external_links': _links,
    'volumes_from': _volumes_from,
    'depends_on': _depends_on,
    'healthcheck': _healthcheck,
    'restart': _to('restart_policy', _restart_policy),
    'labels': _to('labels', dict),
    'user': _to('user', text),
    'working_dir': _to('working_dir'),
    'hostname': _to('hostname'),
    'domainname': _to('domainname'),
    'cap_add': _to('cap_add', _capabilities),
    'cap_drop': _to('cap_drop', _capabilities),
    'ulimits': _to('ulimits', _ulimits),
    'sysctls': _to('sysctls', dict),
    'extra_hosts': _extra_hosts,
    'dns': _to('dns', list),
    'dns_search': _to('dns_search', list),
    'dns_opt': _to('dns_options', list),
    'logging': _logging,
    'stop_signal': _to('stop_signal'),
    'stop_grace_period': _to('stop_timeout', seconds),
    'mem_limit': _to('memory', text),
    'mem_reservation': _to('memory_reservation', text),
    'memswap_limit': _to('memory_swap', text),
    'mem_swappiness': _host('MemorySwappiness', integer),
    'oom_kill_disable': _host('OomKillDisable'),
    'oom_score_adj': _to('oom_score_adj', integer),
    'pids_limit': _to('pids_limit', integer),
    'cpus': _to('cpus', number),
    'cpu_shares': _to('cpu_shares', integer),
    'cpuset': _to('cpu_set', text),
    'cpu_period': _host('CpuPeriod', integer),
    'cpu_quota': _host('CpuQuota', integer),
    'cpu_rt_period': _host('CpuRealtimePeriod', integer),
    'cpu_rt_runtime': _host('CpuRealtimeRuntime', integer),
    'cpu_count': _host('CpuCount', integer),
    'cpu_percent': _host('CpuPercent', integer),
    'blkio_config': _blkio,
    'init': _to('init'),
    'read_only': _to('read_only'),
    'shm_size': _to('shm_size', text),
    'privileged': _to('privileged'),
    'tty': _to('tty'),
    'stdin_open': _to('open_stdin'),
    'devices': _devices,
    'device_cgroup_rules': _host('DeviceCgroupRules', list),
    'security_opt': _to('security_opt', list),
    'group_add': _to('group_add', lambda v: [text(g) for g in v]),
    'pid': _namespace('pid_mode'),
    'ipc': _namespace('ipc_mode'),
    'uts': _host('UTSMode'),
    'userns_mode': _to('userns_mode'),
    'cgroup': _host('CgroupnsMode'),
    'cgroup_parent': _to('cgroup_parent'),
    'runtime': _to('runtime'),
    'isolation': _host('Isolation'),
    'storage_opt': _host('StorageOpt', dict),
    'mac_address': _to('mac_address'),
    'scale': _scale,
    'deploy': _deploy,
    'annotations': _none('no container property (Engine API 1.46)'),
    'attach': _none('no equivalent: it is about the output of compose up'),
    'build': _build,
    'credential_spec': _none('no equivalent: Windows containers only'),
    'develop': _none('no equivalent: Compose watch is a Compose feature'),
    'gpus': _none('no container property (device requests)'),
    'models': _none('no equivalent: Docker Model Runner'),
    'platform': _none('no container property: the image is used as it is'),
    'post_start': _none('no equivalent: lifecycle hooks'),
    'pre_stop': _none('no equivalent: lifecycle hooks'),
    'provider': _none('no equivalent: Compose providers'),
    'use_api_socket': _none('no equivalent: it mounts the Docker socket'),
}
