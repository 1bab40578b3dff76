"""What the operator lets templates ask of a Docker engine.

The rules look at the Engine API fields each property contributes (the
same contributions the create body is built from), so a field reached
through ``api_host_config`` meets the same rule as its typed property, and
a refusal names the property that asked. No Heat and no Docker calls here:
refusals come before any container exists. What the engine fetches and
builds: :mod:`heat_docker.image_policy`.
"""

import dataclasses
import fnmatch
import ipaddress
import posixpath

from oslo_log import log as logging

from heat_docker import container_spec as cspec
from heat_docker import network_spec

LOG = logging.getLogger(__name__)

HOST_NAMESPACE_FIELDS = (
    'NetworkMode',
    'PidMode',
    'IpcMode',
    'UTSMode',
    'UsernsMode',
    'CgroupnsMode',
)
# HostConfig fields that name devices of the host.
DEVICE_FIELDS = (
    'Devices',
    'DeviceRequests',
    'DeviceCgroupRules',
    'BlkioWeightDevice',
    'BlkioDeviceReadBps',
    'BlkioDeviceWriteBps',
    'BlkioDeviceReadIOps',
    'BlkioDeviceWriteIOps',
)


@dataclasses.dataclass(frozen=True)
class Cap:
    """A HostConfig limit the operator caps."""

    prop: str
    option: str  # the cap, in heat.conf's [docker]
    unit: int  # of the option, in the field's unit
    counts: str  # what the field counts

    def of(self, opts):
        """The cap in the field's unit; None for no cap."""
        return getattr(opts, self.option) * self.unit or None


CAPPED_LIMITS = {
    'PidsLimit': Cap('pids_limit', 'max_pids', 1, 'processes'),
    'Memory': Cap('memory', 'max_memory_mb', 1024**2, 'bytes of memory'),
}
# Security options that only confine: any other (a seccomp or AppArmor
# profile of its own, an SELinux label) may allow what Docker's defaults
# forbid, or switch them off.
CONFINING_SECURITY_OPTS = (
    'no-new-privileges',
    'no-new-privileges:true',
    'no-new-privileges=true',
    'apparmor=docker-default',
    'apparmor:docker-default',
)


def under(path, roots):
    path = posixpath.normpath(path)
    return any(
        path == root or path.startswith(root.rstrip('/') + '/')
        for root in map(posixpath.normpath, roots)
    )


def _bind_sources(field, value):
    if field == 'Binds':
        return [
            b.split(':', 1)[0]
            for b in value
            if b.split(':', 1)[0].startswith('/')
        ]
    return [m.get('Source') or '' for m in value if m.get('Type') == 'bind']


def _field_refusals(field, value, opts):
    """(what is refused, the heat.conf option that would allow it)."""
    if field == 'Privileged' and value and not opts.allow_privileged:
        yield 'a privileged container', 'allow_privileged = true'
    elif field == 'SecurityOpt' and not opts.allow_privileged:
        for option in value:
            if option.replace(' ', '') not in CONFINING_SECURITY_OPTS:
                yield (
                    'security option %s' % option,
                    'allow_privileged = true',
                )
    elif field in UNCONFINING_FIELDS and not opts.allow_privileged:
        what = UNCONFINING_FIELDS[field](value)
        if what:
            yield what, 'allow_privileged = true'
    elif field == 'CapAdd':
        allowed = {
            c.upper().removeprefix('CAP_') for c in opts.allowed_capabilities
        }
        for cap in value:
            name = cap.upper().removeprefix('CAP_')
            if name not in allowed and 'ALL' not in allowed:
                yield (
                    'capability %s' % name,
                    'allowed_capabilities (a list that includes %s)' % name,
                )
    elif field in DEVICE_FIELDS and value and not opts.allow_devices:
        yield 'access to host devices', 'allow_devices = true'
    elif field in ('Binds', 'Mounts'):
        for source in _bind_sources(field, value):
            if not under(source, opts.allowed_bind_roots):
                yield (
                    'a bind mount of %s' % source,
                    'allowed_bind_roots (a directory above %s)' % source,
                )
        for driver, options in _mounted_volume_drivers(field, value):
            for _, what, option in _volume_driver_refusals(
                driver, options, opts
            ):
                yield what, option
    elif field == 'PortBindings':
        allowed = _port_ranges(opts.allowed_host_ports)
        refused = [
            port
            for port in _host_ports(value)
            if not any(port in r for r in allowed)
        ]
        if refused:
            yield (
                'publishing on host port %d' % refused[0],
                'allowed_host_ports (a range that holds %d)' % refused[0],
            )
    elif field in CAPPED_LIMITS:
        refused = _limit_refusal(CAPPED_LIMITS[field], value, opts)
        if refused:
            yield refused
    elif field == 'VolumeDriver' and value:
        for _, what, option in _volume_driver_refusals(value, {}, opts):
            yield what, option
    elif field == 'LogConfig' and value.get('Type'):
        unlisted = _unlisted_driver(
            'logging',
            value['Type'],
            opts.allowed_log_drivers,
            'allowed_log_drivers',
        )
        if unlisted:
            yield unlisted
    elif (
        field in HOST_NAMESPACE_FIELDS
        and value == 'host'
        and not opts.allow_host_namespaces
    ):
        yield (
            "the host's %s namespace" % field.removesuffix('Mode').lower(),
            'allow_host_namespaces = true',
        )


def _priority_ulimit(limits):
    """What a ulimit raises of its processes' scheduling priority, or
    None. ``rtprio`` lets them take a real-time policy without any
    capability (and on kernels without real-time group scheduling, such as
    Debian's, only the host-wide throttle then bounds their share of the
    CPUs); ``nice`` above 20 lets them go below nice 0. A negative value is
    no limit."""
    for limit in limits or ():
        if not isinstance(limit, dict):
            continue  # refused by validation, naming its property
        name = str(limit.get('Name')).lower()
        values = [
            value
            for value in (limit.get('Soft'), limit.get('Hard'))
            if isinstance(value, int)
        ]
        unlimited = any(value < 0 for value in values)
        most = max(values, default=0)
        if name == 'rtprio' and (unlimited or most > 0):
            return 'real-time scheduling (ulimit rtprio)'
        if name == 'nice' and (unlimited or most > 20):
            return 'a nice value below 0 (ulimit nice above 20)'
    return None


# HostConfig fields that reach past the container's confinement, under
# allow_privileged: what a value asks for, or None for a harmless one.
UNCONFINING_FIELDS = {
    # A list replaces Docker's defaults, which hide /proc and /sys parts.
    'MaskedPaths': lambda paths: 'masked paths of its own',
    'ReadonlyPaths': lambda paths: 'read-only paths of its own',
    'OomScoreAdj': lambda score: (
        'a negative OOM score adjustment' if score < 0 else None
    ),
    'OomKillDisable': lambda off: 'OOM kill disabled' if off else None,
    'CgroupParent': lambda parent: (
        'cgroup parent %s' % parent if parent else None
    ),
    'Ulimits': _priority_ulimit,
}


def _limit_refusal(cap, value, opts):
    """(what, option) for a limit above its cap, or none at all (Docker
    takes 0 and -1 for no limit)."""
    most = cap.of(opts)
    if most is None or 0 < value <= most:
        return None
    if value <= 0:
        return 'no limit on %s' % cap.counts.split()[-1], cap.option + ' = 0'
    return (
        'a limit of %d %s' % (value, cap.counts),
        '%s (at least %d)' % (cap.option, -(-value // cap.unit)),
    )


def with_capped_limits(values, opts):
    """``values``, with the operator's cap as the limit of each capped
    resource they set nowhere: neither its property nor api_host_config.
    (Nothing is expanded here: a bad value is refused by validation,
    naming its property.)"""
    escape_hatch = values.get('api_host_config') or {}
    added = {
        cap.prop: cap.of(opts)
        for field, cap in CAPPED_LIMITS.items()
        if cap.of(opts) is not None
        and values.get(cap.prop) is None
        and field not in escape_hatch
    }
    return {**values, **added} if added else values


def _host_ports(bindings):
    """The fixed host ports of HostConfig.PortBindings (a range counts
    each of its ports); Docker picks a free one for those left empty."""
    ports = set()
    for binding in (bindings or {}).values():
        for item in binding or ():
            text = str((item or {}).get('HostPort') or '')
            first, _, last = text.partition('-')
            if first.isdigit() and (not last or last.isdigit()):
                ports.update(range(int(first), int(last or first) + 1))
    return sorted(ports)


def _port_ranges(texts):
    """``range`` objects of the operator's "N" and "N-M" items."""
    ranges = []
    for text in texts:
        first, _, last = text.strip().partition('-')
        try:
            ranges.append(range(int(first), int(last or first) + 1))
        except ValueError:
            LOG.error('[docker] allowed_host_ports: %s is no port range', text)
    return ranges


def _mounted_volume_drivers(field, value):
    """``(driver, options)`` of the volumes mounts make with a driver of
    their own (``VolumeOptions.DriverConfig``)."""
    if field != 'Mounts':
        return []
    found = []
    for mount in value:
        config = (mount.get('VolumeOptions') or {}).get('DriverConfig')
        if mount.get('Type', 'volume') == 'volume' and config:
            found.append((config.get('Name'), config.get('Options') or {}))
    return found


# Options of the local driver's mount(8) that mount a path of the host.
BIND_OPTIONS = ('bind', 'rbind')


def _volume_driver_refusals(driver, options, opts):
    """``(property, what, option)`` for a volume of ``driver`` with driver
    ``options``: a driver not allowed, and the local driver mounting a
    host path, a device or a network filesystem on the Docker host."""
    driver = driver or 'local'
    unlisted = _unlisted_driver(
        'volume', driver, opts.allowed_volume_drivers, 'allowed_volume_drivers'
    )
    if unlisted:
        yield ('driver', *unlisted)
    if driver != 'local':
        return
    device = options.get('device')
    mount_options = str(options.get('o') or '').split(',')
    if device and any(o.strip() in BIND_OPTIONS for o in mount_options):
        if not under(device, opts.allowed_bind_roots):
            yield (
                'driver_opts',
                'a bind mount of %s' % device,
                'allowed_bind_roots (a directory above %s)' % device,
            )
    elif (device or options.get('type')) and options.get('type') != 'tmpfs':
        if not opts.allow_devices:
            yield (
                'driver_opts',
                'a volume that mounts %s (type %s) on the Docker host'
                % (device, options.get('type')),
                'allow_devices = true',
            )


def _unlisted_driver(kind, driver, allowed, option):
    """(what, option) when ``driver`` is not in the list ``allowed``."""
    if driver in allowed or '*' in allowed:
        return None
    return (
        '%s driver %s' % (kind, driver),
        '%s (a list that includes %s)' % (option, driver),
    )


def network_refusals(values, opts):
    """``[(property, message)]`` for a network ``opts`` does not allow."""
    found = []
    driver = values.get('driver') or network_spec.DEFAULT_DRIVER
    unlisted = _unlisted_driver(
        'network',
        driver,
        opts.allowed_network_drivers,
        'allowed_network_drivers',
    )
    if unlisted:
        found.append(('driver', refusal(*unlisted)))
    interface = network_spec.host_interface(values)
    if interface is not None and not opts.allow_host_interfaces:
        found.append(
            (
                'options',
                refusal(
                    "a %s network on the host's interfaces (%s %s)"
                    % (driver, interface[0], interface[1] or 'unset'),
                    'allow_host_interfaces = true',
                ),
            )
        )
    name = values.get('name') or ''
    if name.startswith(cspec.PROJECT_NETWORK_PREFIX) and not (
        opts.allow_cross_project_references
    ):
        found.append(
            (
                'name',
                'a name that begins with %s is kept for the networks Heat '
                "makes for projects' containers; choose another"
                % cspec.PROJECT_NETWORK_PREFIX,
            )
        )
    found += [
        (
            'ipam',
            refusal(
                'subnet %s' % subnet,
                'allowed_subnets (a range that holds %s)' % subnet,
            ),
        )
        for subnet in network_spec.subnets(values)
        if not _within(subnet, opts.allowed_subnets)
    ]
    return found


def _within(subnet, ranges):
    """Whether the CIDR ``subnet`` lies in one of ``ranges``; one that
    does not parse is left to the engine, which names it."""
    try:
        network = ipaddress.ip_network(subnet, strict=False)
    except ValueError:
        return True
    for text in ranges:
        try:
            allowed = ipaddress.ip_network(text, strict=False)
        except ValueError:
            LOG.error('[docker] allowed_subnets: %s is no CIDR range', text)
            continue
        if allowed.version == network.version and network.subnet_of(allowed):
            return True
    return False


def volume_refusals(values, opts):
    """``[(property, message)]`` for a volume ``opts`` does not allow."""
    return [
        (prop, refusal(what, option))
        for prop, what, option in _volume_driver_refusals(
            values.get('driver'), values.get('driver_opts') or {}, opts
        )
    ]


def endpoint_refusal(endpoint, opts):
    """Why ``endpoint`` may not be used, or None."""
    if any(
        fnmatch.fnmatchcase(endpoint, pattern)
        for pattern in opts.allowed_endpoints
    ):
        return None
    return (
        'endpoint %s is not allowed; the operator can allow it with '
        '[docker] allowed_endpoints in heat.conf' % endpoint
    )


def refusal(what, option):
    """The sentence refusing ``what``, naming the heat.conf option."""
    return (
        '%s is not allowed; the operator can allow it with [docker] %s in '
        'heat.conf' % (what, option)
    )


def host_fields(values):
    """``(property, HostConfig field, value)`` for what ``values`` set. A
    network joined counts as a NetworkMode too: the first becomes the
    container's (``networks: [{network: host}]`` is the host's)."""
    for name, path, value in cspec.contributions(values):
        section, _, field = path.partition('.')
        # An empty list may matter: MaskedPaths [] unmasks them all.
        if section == 'HostConfig' and value is not None:
            yield name, field, value
        elif path == 'NetworkingConfig.EndpointsConfig':
            for network in value or ():
                yield name, 'NetworkMode', network


# The keys this policy reads within HostConfig fields: {key: the keys it
# reads within that key's value}; "*" stands for each value of a map, and
# a list's items are read as its mapping. The engine decodes JSON keys
# ignoring case (Go's encoding/json, the Kelvin sign and the long s
# included): {"type": "bind"} is a bind mount to it, but not to a policy
# that reads "Type". So these keys must be spelt as the Engine API does.
READ_KEYS = {
    'Mounts': {
        'Type': {},
        'Source': {},
        'VolumeOptions': {'DriverConfig': {'Name': {}, 'Options': {}}},
    },
    'LogConfig': {'Type': {}},
    'Ulimits': {'Name': {}, 'Soft': {}, 'Hard': {}},
    'PortBindings': {'*': {'HostPort': {}}},
}


def _misspelt(value, reads, path):
    """``(path, key, name)`` for each key of ``value`` that the engine
    reads as ``name`` of ``reads`` but is spelt otherwise."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _misspelt(item, reads, '%s[%d]' % (path, index))
    elif isinstance(value, dict) and reads:
        if '*' in reads:
            for key, item in value.items():
                yield from _misspelt(item, reads['*'], '%s.%s' % (path, key))
            return
        names = {name.casefold(): name for name in reads}
        for key, item in value.items():
            name = names.get(str(key).casefold())
            if name is None:
                continue
            if key != name:
                yield path, key, name
            else:
                yield from _misspelt(item, reads[name], path + '.' + name)


def refusals(values, opts):
    """``[(property, message)]`` for what ``opts`` does not allow, and for
    keys spelt otherwise than the policy reads them."""
    found = []
    for name, field, value in host_fields(values):
        misspelt = next(_misspelt(value, READ_KEYS.get(field), field), None)
        if misspelt:
            found.append(
                (
                    name,
                    '%s: the Engine API spells %r as %r'
                    % (misspelt[0], misspelt[1], misspelt[2]),
                )
            )
            continue
        found.extend(
            (name, refusal(what, option))
            for what, option in _field_refusals(field, value, opts)
        )
    return found
