"""What the operator lets templates ask of a Docker engine.

The rules look at the Engine API fields each property contributes (the
same contributions the create body is built from), so a field reached
through ``api_host_config`` meets the same rule as its typed property, and
a refusal names the property that asked. No Heat and no Docker calls here
(a registry's name may be looked up in DNS): refusals come before any
container exists.
"""

import fnmatch
import ipaddress
import os
import posixpath
import re
import socket
import urllib.parse

from oslo_log import log as logging

from heat_docker import container_spec as cspec
from heat_docker import image_spec
from heat_docker import network_spec
from heat_docker import spec

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


def _under(path, roots):
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
            if not _under(source, opts.allowed_bind_roots):
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
    elif field == 'VolumeDriver' and value:
        for _, what, option in _volume_driver_refusals(value, {}, opts):
            yield what, option
    elif field == 'LogConfig' and value.get('Type'):
        refusal = _unlisted_driver(
            'logging',
            value['Type'],
            opts.allowed_log_drivers,
            'allowed_log_drivers',
        )
        if refusal:
            yield refusal
    elif (
        field in HOST_NAMESPACE_FIELDS
        and value == 'host'
        and not opts.allow_host_namespaces
    ):
        yield (
            "the host's %s namespace" % field.removesuffix('Mode').lower(),
            'allow_host_namespaces = true',
        )


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
}


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
    refusal = _unlisted_driver(
        'volume', driver, opts.allowed_volume_drivers, 'allowed_volume_drivers'
    )
    if refusal:
        yield ('driver', *refusal)
    if driver != 'local':
        return
    device = options.get('device')
    mount_options = str(options.get('o') or '').split(',')
    if device and any(o.strip() in BIND_OPTIONS for o in mount_options):
        if not _under(device, opts.allowed_bind_roots):
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
    refusal = _unlisted_driver(
        'network',
        driver,
        opts.allowed_network_drivers,
        'allowed_network_drivers',
    )
    if refusal:
        found.append(('driver', _refusal(*refusal)))
    interface = network_spec.host_interface(values)
    if interface is not None and not opts.allow_host_interfaces:
        found.append(
            (
                'options',
                _refusal(
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
            _refusal(
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
        (prop, _refusal(what, option))
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


def _refusal(what, option):
    return (
        '%s is not allowed; the operator can allow it with [docker] %s in '
        'heat.conf' % (what, option)
    )


def _host_fields(values):
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


def refusals(values, opts):
    """``[(property, message)]`` for what ``opts`` does not allow."""
    return [
        (name, _refusal(what, option))
        for name, field, value in _host_fields(values)
        for what, option in _field_refusals(field, value, opts)
    ]


# HostConfig fields that join another container's namespace as
# "container:NAME".
CONTAINER_MODE_FIELDS = ('NetworkMode', 'PidMode', 'IpcMode', 'Cgroup')


def _named_containers(field, value):
    if field in ('VolumesFrom', 'Links'):
        # "NAME[:ro|rw]" and "NAME:ALIAS": container names have no ":".
        return [
            item.split(':', 1)[0].lstrip('/')
            for item in value
            if isinstance(item, str)
        ]
    if field in CONTAINER_MODE_FIELDS and str(value).startswith('container:'):
        return [value.split(':', 1)[1]]
    return []


def container_references(values):
    """``[(property, container)]``: the existing containers ``values``
    name, by name or id (volumes_from, links, container: modes, and the
    same fields through api_host_config)."""
    return [
        (name, container)
        for name, field, value in _host_fields(values)
        for container in _named_containers(field, value)
        if container
    ]


def _named_volumes(field, value):
    if field == 'Binds':
        # "SOURCE:TARGET[:MODE]": a source that is no path names a volume.
        sources = [item.split(':', 1)[0] for item in value]
    elif field == 'Mounts':
        sources = [m.get('Source') for m in value if m.get('Type') == 'volume']
    else:
        return []
    return [s for s in sources if s and not s.startswith('/')]


def volume_references(values):
    """``[(property, volume)]``: the named volumes ``values`` mount (an
    anonymous volume has no name, and no one else can mount it)."""
    return [
        (name, volume)
        for name, field, value in _host_fields(values)
        for volume in _named_volumes(field, value)
    ]


def network_references(values):
    """``[(property, network)]``: the user-defined networks ``values``
    join, by name or id (the predefined ones, and container: modes,
    aside)."""
    found = []
    for name, path, value in cspec.contributions(values):
        if path == 'HostConfig.NetworkMode':
            networks = [value]
        elif path == 'NetworkingConfig.EndpointsConfig':
            networks = list(value or ())
        else:
            continue
        found += [
            (name, network)
            for network in networks
            if network
            and network not in spec.PREDEFINED_NETWORKS
            and not network.startswith('container:')
        ]
    return found


def cross_project_refusal(container):
    """Why a container outside the stack's project may not be named."""
    return _refusal(
        'a reference to container %s, which is not one of this '
        "project's containers," % container,
        'allow_cross_project_references = true',
    )


def foreign_volume_refusal(volume):
    """Why a named volume outside the stack's project may not be mounted."""
    return _refusal(
        "a mount of volume %s, which is not one of this project's volumes,"
        % volume,
        'allow_cross_project_references = true',
    )


def foreign_network_refusal(network):
    """Why a network outside the stack's project may not be joined."""
    return _refusal(
        "joining network %s, which is not one of this project's networks,"
        % network,
        'allow_cross_project_references = true',
    )


def foreign_name_refusal(kind, name):
    """Why a network or volume resource may not take the name of one
    that exists and is not this project's (its delete would remove it)."""
    return _refusal(
        "a %s named %s, which exists and is not one of this project's,"
        % (kind, name),
        'allow_cross_project_references = true',
    )


def foreign_tag_refusal(tag):
    """Why an image resource may not move a tag that another project's
    image, or one Heat did not make, holds."""
    return _refusal(
        'tagging %s, which names an image that is not one of this '
        "project's," % tag,
        'allow_cross_project_references = true',
    )


def unowned_image_tag_refusal(tag):
    """Why an image resource may not tag an image that is not this
    project's (another project asking for the name would run it)."""
    return _refusal(
        "tagging %s on an image that is not one of this project's (only "
        'images it builds take further tags),' % tag,
        'allow_cross_project_references = true',
    )


def foreign_image_refusal(image):
    """Why an image that another project's stack made (a snapshot holds a
    container's whole filesystem) may not be run."""
    return _refusal(
        "image %s, made by another project's stack," % image,
        'allow_cross_project_references = true',
    )


def _local_address(text):
    address = ipaddress.ip_address(text.split('%', 1)[0])
    address = getattr(address, 'ipv4_mapped', None) or address
    return (
        address.is_loopback or address.is_link_local or address.is_unspecified
    )


def _local_host(host, resolve):
    """Whether ``host`` is the host itself or link-local, as named or as
    its name resolves here (the Docker host's resolver may differ)."""
    if host == 'localhost' or host.endswith('.localhost'):
        return True
    try:
        found = resolve(host, None)
    except (OSError, UnicodeError):
        return False  # the engine will not reach it either
    return any(_local_address(info[4][0]) for info in found)


def pull_refusal(registry, opts, resolve=socket.getaddrinfo):
    """Why the engine may not pull from ``registry`` (host[:port]) for a
    template, or None: the engine pulls from its own host, where tenants
    reach nothing otherwise."""
    if opts.allow_local_fetches or registry == image_spec.DOCKER_HUB:
        return None
    host = urllib.parse.urlsplit('//' + registry).hostname
    if not host or not _local_host(host, resolve):
        return None
    return _refusal(
        'a pull from registry %s, on the Docker host itself or at a '
        'link-local address,' % registry,
        'allow_local_fetches = true',
    )


# Where the engine's errors quote a response it fetched.
_QUOTED_RESPONSE = re.compile(r'(response body|with status [^:]*):.*$', re.S)


def fetch_error(text, opts):
    """The engine's error of a pull, as a template may see it: without
    the response it quotes, unless the operator allows local fetches (a
    registry may redirect the engine to its own host's services)."""
    if opts.allow_local_fetches:
        return text
    return _QUOTED_RESPONSE.sub(r'\1 (not shown)', str(text))


def dockerfile_refusals(sources, opts):
    """Messages refusing what a Dockerfile's ``sources`` (or a base
    image's ONBUILD triggers') fetch, and what Heat cannot read of them
    where a rule depends on it."""
    if opts.allow_local_fetches:
        found = []
    else:
        # Any URL: the engine follows redirects, to its own host too.
        found = [
            _refusal(
                'ADD of %s, which the Docker engine downloads from its own '
                'host (following redirects, to any address there; download '
                'it in a RUN step instead),' % url,
                'allow_local_fetches = true',
            )
            for url in sources.urls
        ]
    # Both rules read the Dockerfile: what it names unread escapes them.
    if not opts.allow_local_fetches:
        guard = 'allow_local_fetches = true'
    elif not opts.allow_cross_project_references:
        guard = 'allow_cross_project_references = true'
    else:
        return found
    return found + [
        _refusal(
            'a FROM, COPY --from or ADD that names %s, whose variables Heat '
            'cannot resolve (declare them with ARG or ENV, or give them in '
            'build.args),' % word,
            guard,
        )
        for word in sources.unread
    ]


def image_refusals(values, opts):
    """``[(property, message)]`` for an image ``opts`` does not allow: a
    build context on the heat-engine host, a download from the Docker
    host's own services, a build on the host's network,
    a push to a registry not allowed."""
    found = []
    build = values.get('build') or {}
    context = build.get('context')
    # The directory a symbolic link leads to is the one read.
    if context and not _under(
        os.path.realpath(context), opts.allowed_build_context_roots
    ):
        found.append(
            (
                'build.context',
                _refusal(
                    'a build context of %s' % context,
                    'allowed_build_context_roots (a directory above %s)'
                    % context,
                ),
            )
        )
    if build:
        sources = image_spec.dockerfile_sources(
            image_spec.dockerfile_text(build), build.get('args')
        )
        found += [('build', m) for m in dockerfile_refusals(sources, opts)]
    if build.get('network_mode') == 'host' and not opts.allow_host_namespaces:
        found.append(
            (
                'build.network_mode',
                _refusal(
                    "a build on the host's network namespace",
                    'allow_host_namespaces = true',
                ),
            )
        )
    if values.get('push'):
        registries = {
            image_spec.registry(tag) for tag in image_spec.tags_wanted(values)
        }
        for registry in sorted(registries):
            if not any(
                fnmatch.fnmatchcase(registry, pattern)
                for pattern in opts.allowed_push_registries
            ):
                found.append(
                    (
                        'push',
                        _refusal(
                            'a push to registry %s' % registry,
                            'allowed_push_registries (a list that includes '
                            '%s)' % registry,
                        ),
                    )
                )
    return found
