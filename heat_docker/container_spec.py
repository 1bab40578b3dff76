"""Container properties, and their Engine API translation.

``PROPERTIES`` is the one list of container properties; everything about a
property (Heat schema, create body, live state, update path, API version,
docs) derives from its entry. ``expand`` builds the create request from
validated property values; ``live_values`` reads them back from inspect.
The body's fields are built in ``container_api``; what inspect says of the
container's state and attributes is read in ``container_state``.
"""

import itertools
import re

from docker.utils import utils as docker_utils

from heat_docker import container_api
from heat_docker import spec
from heat_docker.container_state import COMPLETION_MODES
from heat_docker.container_state import RUNNING
from heat_docker.container_state import SETTLE_SECONDS
from heat_docker.spec import ANY
from heat_docker.spec import BOOLEAN
from heat_docker.spec import CONNECT
from heat_docker.spec import INTEGER
from heat_docker.spec import LIST
from heat_docker.spec import LIVE
from heat_docker.spec import MAP
from heat_docker.spec import NO_CONTAINER_CHANGE
from heat_docker.spec import NUMBER
from heat_docker.spec import PREDEFINED_NETWORKS
from heat_docker.spec import RENAME
from heat_docker.spec import STRING
from heat_docker.spec import Allowed
from heat_docker.spec import Pattern
from heat_docker.spec import Prop
from heat_docker.spec import Range

LABEL_PREFIX = 'org.openstack.heat.'
STACK_ID_LABEL = LABEL_PREFIX + 'stack-id'
STACK_NAME_LABEL = LABEL_PREFIX + 'stack-name'
RESOURCE_LABEL = LABEL_PREFIX + 'resource-name'
NAME_LABEL = LABEL_PREFIX + 'container-name'
PROJECT_LABEL = LABEL_PREFIX + 'project-id'
# Heat's id of the resource row: a replacement has its own.
RESOURCE_UUID_LABEL = LABEL_PREFIX + 'resource-uuid'
# Which Heat made it, when several share an engine (config.deployment).
DEPLOYMENT_LABEL = LABEL_PREFIX + 'deployment'
# Where a confined project's containers go instead of Docker's default
# bridge, which every project's containers would share.
PROJECT_NETWORK_PREFIX = 'heat-project-'

PULL_POLICIES = (PULL_MISSING, PULL_ALWAYS, PULL_NEVER) = (
    'missing',
    'always',
    'never',
)

_IMAGE_ID = re.compile(r'(sha256:)?[0-9a-f]{64}')


def is_image_id(image):
    """Whether ``image`` names an image by its id (as an Image resource's
    get_resource does), which no registry can serve."""
    return bool(_IMAGE_ID.fullmatch(image))


_ABSOLUTE_PATH = Pattern(r'^/.*$', 'an absolute path')
# Also offered to template parameters as custom constraints (constraints.py).
PORT = Pattern(
    r'^\d{1,5}(/(tcp|udp|sctp))?$',
    'a port with an optional protocol: 80, 53/udp',
)
IMAGE_REFERENCE = Pattern(
    # A first component is a registry only with a dot, a port or as
    # "localhost", as Docker reads references.
    r'^(?:(?:localhost|[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+)(?::\d+)?/'
    r'|[a-zA-Z0-9-]+:\d+/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
    r'(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*'
    r'(?::\w[\w.-]{0,127})?(?:@[a-z0-9]+:[a-fA-F0-9]{32,})?$',
    'an image reference: [registry[:port]/]name[:tag][@digest]',
)
ENDPOINT = Pattern(
    r'^(unix://|(tcp|ssh|http|https)://[^/\s]+)\S*$',
    'a unix://, tcp:// or ssh:// URL',
)


def _strings(description):
    return Prop(STRING, description)


def _size(api, description, update=spec.REPLACE, unlimited=False):
    pattern = spec.SIZE
    if unlimited:
        pattern = Pattern(
            r'^-1$|' + spec.SIZE.regex,
            spec.SIZE.description + ', or -1 for unlimited',
        )
    return Prop(
        STRING,
        description,
        api=api,
        expand=lambda v: {api: spec.size_bytes(v)},
        update=update,
        constraints=(pattern,),
    )


def _list_of(item_description, **item):
    return Prop(STRING, item_description, **item)


PROPERTIES = {
    # Where the container runs, and what Heat does around the Engine API.
    'docker_endpoint': Prop(
        STRING,
        'Docker Engine endpoint: unix:///path, tcp://host:port '
        '(TLS from the [docker] tls_* options or DOCKER_TLS_VERIFY and '
        'DOCKER_CERT_PATH) or ssh://user@host. Defaults to [docker] '
        'default_endpoint, then DOCKER_HOST, then the local socket.',
        constraints=(ENDPOINT,),
    ),
    'image_pull_policy': Prop(
        STRING,
        'When to pull the image: "missing" pulls only if the engine does '
        'not have it, "always" pulls on every create, "never" fails if the '
        'image is not present. Default: [docker] default_pull_policy of '
        'heat.conf ("missing" unless the operator changed it).',
        constraints=(Allowed(PULL_POLICIES),),
        update=NO_CONTAINER_CHANGE,
    ),
    'registry_credentials': Prop(
        MAP,
        'Credentials for pulling the image from a private registry '
        '(default: those heat.conf has for its registry).',
        schema={
            'registry': _strings(
                'Registry address, e.g. registry.example.com:5000.'
            ),
            'username': _strings('User name for the registry.'),
            'password': Prop(
                STRING, 'Password for the registry.', secret=True
            ),
            'email': _strings('Email of the registry user (old registries).'),
        },
        update=NO_CONTAINER_CHANGE,
    ),
    'completion': Prop(
        STRING,
        'When creation is complete: "running" once the container '
        'runs (judged no sooner than %s s after its start, so that one '
        'that exits at once fails); "healthy" once its healthcheck passes '
        '(unhealthy fails); '
        '"exited" once it exits, for run-to-completion jobs (exit code 0 '
        'completes, any other fails). A container that stops while '
        'awaited fails the resource with its exit code and log tail, '
        'unless its restart policy has Docker start it again.'
        % SETTLE_SECONDS,
        default=RUNNING,
        constraints=(Allowed(COMPLETION_MODES),),
        update=NO_CONTAINER_CHANGE,
    ),
    'remove_volumes': Prop(
        BOOLEAN,
        'Remove the anonymous volumes of the container when it is deleted.',
        default=False,
        update=NO_CONTAINER_CHANGE,
    ),
    # The old contrib resource's properties, same names and forms.
    'name': Prop(
        STRING,
        'Name of the container.',
        flatten=lambda info: (info.get('Name') or '').lstrip('/') or None,
        update=RENAME,
        constraints=(
            Pattern(
                r'^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$',
                'letters, digits, "_", "." and "-"',
            ),
        ),
    ),
    'image': Prop(
        STRING,
        'Image name, e.g. busybox:1.36 or '
        'registry.example.com/app@sha256:....',
        api='Config.Image',
        required=True,
        constraints=(IMAGE_REFERENCE,),
    ),
    'cmd': Prop(
        LIST,
        'Command to run after spawning the container.',
        api='Config.Cmd',
        schema=_list_of('An argument.'),
    ),
    'hostname': Prop(
        STRING, 'Hostname of the container.', api='Config.Hostname'
    ),
    'user': Prop(
        STRING,
        'Username or UID (and optionally group: user:group).',
        api='Config.User',
    ),
    'memory': _size(
        'HostConfig.Memory',
        'Memory limit: bytes (as in the '
        'old contrib resource) or a size string such as 512m, '
        '1g.',
        update=LIVE,
    ),
    'port_specs': Prop(
        LIST,
        'Ports to expose, e.g. "80" or "53/udp".',
        api='Config.ExposedPorts',
        expand=container_api.exposed_ports,
        schema=_list_of('A port.', constraints=(PORT,)),
    ),
    'port_bindings': Prop(
        MAP,
        'Ports to publish, in docker-py forms: {"80": 8080}, '
        '{"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]}.',
        api='HostConfig.PortBindings',
        expand=container_api.port_bindings,
    ),
    'links': Prop(
        MAP,
        'Links to other containers: {name: alias}. On the default bridge '
        'they are legacy links; on user-defined networks, each network '
        'endpoint resolves the alias.',
        api='HostConfig.Links',
        expand=lambda v: {
            'HostConfig.Links': container_api.normalized_links(v)
        },
    ),
    'privileged': Prop(
        BOOLEAN,
        'Give the container extended privileges.',
        api='HostConfig.Privileged',
        default=False,
    ),
    'tty': Prop(
        BOOLEAN, 'Allocate a pseudo-TTY.', api='Config.Tty', default=False
    ),
    'open_stdin': Prop(
        BOOLEAN, 'Keep stdin open.', api='Config.OpenStdin', default=False
    ),
    'stdin_once': Prop(
        BOOLEAN,
        'Close stdin after the first attached client disconnects.',
        api='Config.StdinOnce',
        default=False,
    ),
    'env': Prop(
        ANY,
        'Environment: a list of "KEY=value" (as in the old '
        'contrib resource) or a map of names to values.',
        api='Config.Env',
        expand=container_api.env,
    ),
    'secret_env': Prop(
        MAP,
        'Environment variables whose values are secret, {name: value}: '
        'set like env, but Heat keeps only digests of the values (in its '
        'database, events and resource show) and the info attribute masks '
        'them. Pass them from hidden parameters.',
        api='Config.Env',
        expand=container_api.env,
        secret=True,
    ),
    'dns': Prop(
        LIST,
        'DNS servers.',
        api='HostConfig.Dns',
        schema=_list_of('A DNS server address.'),
    ),
    'volumes': Prop(
        ANY,
        'Volumes in the old contrib forms: a map of host path or volume '
        'name to {bind: container path, ro: true|false} (bind mounts, '
        'named volumes) or of container path to {} (anonymous volumes), '
        'or a list of {path_on_host, path_in_container, permissions: '
        'rw|ro}, where path_on_host may be a volume name ({get_resource: '
        'a DockerInc::Docker::Volume}). Prefer "mounts".',
        api='HostConfig.Binds',
        expand=container_api.volumes,
    ),
    'volumes_from': Prop(
        LIST,
        'Containers whose volumes to mount.',
        api='HostConfig.VolumesFrom',
        schema=_list_of(
            'A container name or id, with an optional :ro or :rw.'
        ),
    ),
    'restart_policy': Prop(
        MAP,
        'Restart policy.',
        api='HostConfig.RestartPolicy',
        update=LIVE,
        schema={
            'Name': Prop(
                STRING,
                'When to restart.',
                default='no',
                constraints=(
                    Allowed(('no', 'on-failure', 'always', 'unless-stopped')),
                ),
            ),
            'MaximumRetryCount': Prop(
                INTEGER,
                'Restarts to try with on-failure.',
                default=0,
                constraints=(Range(min=0),),
            ),
        },
    ),
    'cap_add': Prop(
        LIST,
        'Kernel capabilities to add.',
        api='HostConfig.CapAdd',
        schema=_list_of(
            'A capability.', constraints=(Allowed(container_api.CAPABILITIES),)
        ),
    ),
    'cap_drop': Prop(
        LIST,
        'Kernel capabilities to drop.',
        api='HostConfig.CapDrop',
        schema=_list_of(
            'A capability.', constraints=(Allowed(container_api.CAPABILITIES),)
        ),
    ),
    'read_only': Prop(
        BOOLEAN,
        'Mount the root filesystem read-only.',
        api='HostConfig.ReadonlyRootfs',
        default=False,
    ),
    'cpu_shares': Prop(
        INTEGER,
        'Relative CPU weight (default 1024).',
        api='HostConfig.CpuShares',
        update=LIVE,
        constraints=(Range(min=2, max=262144),),
    ),
    'devices': Prop(
        LIST,
        'Host devices to expose.',
        api='HostConfig.Devices',
        expand=container_api.devices,
        schema=Prop(
            MAP,
            'A device.',
            schema={
                'path_on_host': Prop(
                    STRING,
                    'Device path on the host.',
                    required=True,
                    constraints=(Pattern(r'^/dev/.+$', 'a path under /dev'),),
                ),
                'path_in_container': Prop(
                    STRING,
                    'Device path in the container (default: the host path).',
                    constraints=(Pattern(r'^/dev/.+$', 'a path under /dev'),),
                ),
                'permissions': Prop(
                    STRING,
                    'cgroup permissions.',
                    default='rwm',
                    constraints=(
                        Allowed(('r', 'w', 'm', 'rw', 'rm', 'wm', 'rwm')),
                    ),
                ),
            },
        ),
    ),
    'cpu_set': Prop(
        STRING,
        'CPUs the container may use, e.g. "0-1" or "0,2".',
        api='HostConfig.CpusetCpus',
        update=LIVE,
        constraints=(
            Pattern(
                r'^\d+(-\d+)?(,\d+(-\d+)?)*$', 'CPU numbers and ranges: 0-2,4'
            ),
        ),
    ),
    # The rest of the modern create API.
    'entrypoint': Prop(
        LIST,
        "Entrypoint, replacing the image's.",
        api='Config.Entrypoint',
        schema=_list_of('An argument.'),
    ),
    'working_dir': Prop(
        STRING,
        'Working directory.',
        api='Config.WorkingDir',
        constraints=(_ABSOLUTE_PATH,),
    ),
    'domainname': Prop(STRING, 'Domain name.', api='Config.Domainname'),
    'labels': Prop(
        MAP,
        'Labels: {name: value}. Heat adds its own '
        'org.openstack.heat.* labels.',
        api='Config.Labels',
    ),
    'stop_signal': Prop(
        STRING,
        'Signal that stops the container, e.g. SIGTERM or SIGQUIT.',
        api='Config.StopSignal',
        constraints=(
            Pattern(r'^(SIG[A-Z0-9+-]+|\d+)$', 'a signal name or number'),
        ),
    ),
    'stop_timeout': Prop(
        INTEGER,
        'Seconds between the stop signal and '
        'SIGKILL when the container is stopped or deleted.',
        api='Config.StopTimeout',
        constraints=(Range(min=0),),
    ),
    'healthcheck': Prop(
        MAP,
        "Healthcheck, replacing the image's.",
        api='Config.Healthcheck',
        expand=container_api.healthcheck,
        schema={
            'test': Prop(
                ANY,
                'A shell command string, or a list such as '
                '["CMD", "cat", "/ready"]; ["NONE"] disables the '
                "image's healthcheck.",
                required=True,
            ),
            'interval': Prop(
                STRING, 'Time between checks.', constraints=(spec.DURATION,)
            ),
            'timeout': Prop(
                STRING,
                'Time one check may take.',
                constraints=(spec.DURATION,),
            ),
            'retries': Prop(
                INTEGER,
                'Failures in a row that make the container unhealthy.',
                constraints=(Range(min=0),),
            ),
            'start_period': Prop(
                STRING,
                'Start-up time during which failures do not count.',
                constraints=(spec.DURATION,),
            ),
            'start_interval': Prop(
                STRING,
                'Time between checks during the start period.',
                min_api='1.44',
                constraints=(spec.DURATION,),
            ),
        },
    ),
    'mounts': Prop(
        LIST,
        'Mounts: bind mounts, named or anonymous volumes, tmpfs.',
        api='HostConfig.Mounts',
        expand=container_api.mounts,
        schema=Prop(
            MAP,
            'A mount.',
            schema={
                'type': Prop(
                    STRING,
                    'Mount type.',
                    default='volume',
                    constraints=(Allowed(('bind', 'volume', 'tmpfs')),),
                ),
                'source': Prop(
                    STRING,
                    'Host path (bind) or volume name '
                    '(volume; empty for an anonymous volume).',
                ),
                'target': Prop(
                    STRING,
                    'Path in the container.',
                    required=True,
                    constraints=(_ABSOLUTE_PATH,),
                ),
                'read_only': Prop(BOOLEAN, 'Mount read-only.', default=False),
                'propagation': Prop(
                    STRING,
                    'Bind propagation.',
                    constraints=(
                        Allowed(
                            (
                                'private',
                                'rprivate',
                                'shared',
                                'rshared',
                                'slave',
                                'rslave',
                            )
                        ),
                    ),
                ),
                'no_copy': Prop(
                    BOOLEAN,
                    'Do not copy image data into a new volume.',
                    default=False,
                ),
                'labels': Prop(MAP, 'Labels of a new volume.'),
                'tmpfs_size': Prop(
                    STRING, 'Size of a tmpfs mount.', constraints=(spec.SIZE,)
                ),
                'tmpfs_mode': Prop(
                    INTEGER,
                    'File mode of a tmpfs mount, e.g. 448 for 0700.',
                    constraints=(Range(min=0),),
                ),
                'subpath': Prop(
                    STRING, 'Path inside the volume to mount.', min_api='1.45'
                ),
            },
        ),
    ),
    'tmpfs': Prop(
        MAP,
        'tmpfs mounts: {container path: mount options}.',
        api='HostConfig.Tmpfs',
    ),
    'network_mode': Prop(
        STRING,
        'Network mode: bridge, host, none, container:NAME or a network name.',
        api='HostConfig.NetworkMode',
    ),
    'networks': Prop(
        LIST,
        'Networks to attach the container to, with aliases and fixed '
        'addresses.',
        api='NetworkingConfig.EndpointsConfig',
        expand=container_api.networks,
        update=CONNECT,
        schema=Prop(
            MAP,
            'A network attachment.',
            schema={
                'network': Prop(STRING, 'Network name or id.', required=True),
                'aliases': Prop(
                    LIST,
                    'DNS aliases on this network.',
                    schema=_list_of('An alias.'),
                ),
                'ipv4_address': Prop(STRING, 'Fixed IPv4 address.'),
                'ipv6_address': Prop(STRING, 'Fixed IPv6 address.'),
            },
        ),
    ),
    'ports': Prop(
        LIST,
        'Ports to publish on the host.',
        api='HostConfig.PortBindings',
        expand=container_api.published_ports,
        schema=Prop(
            MAP,
            'A published port.',
            schema={
                'container_port': Prop(
                    INTEGER,
                    'Port in the container.',
                    required=True,
                    constraints=(Range(min=1, max=65535),),
                ),
                'protocol': Prop(
                    STRING,
                    'Protocol.',
                    default='tcp',
                    constraints=(Allowed(('tcp', 'udp', 'sctp')),),
                ),
                'host_ip': Prop(
                    STRING,
                    'Host address to publish on, e.g. '
                    '127.0.0.1 (default: all addresses).',
                ),
                'host_port': Prop(
                    INTEGER,
                    'Host port (default: one the engine picks).',
                    constraints=(Range(min=1, max=65535),),
                ),
            },
        ),
    ),
    'extra_hosts': Prop(
        MAP,
        'Extra /etc/hosts entries: {hostname: IP}.',
        api='HostConfig.ExtraHosts',
        expand=lambda v: {
            'HostConfig.ExtraHosts': docker_utils.format_extra_hosts(v)
        },
    ),
    'dns_search': Prop(
        LIST,
        'DNS search domains.',
        api='HostConfig.DnsSearch',
        schema=_list_of('A domain.'),
    ),
    'dns_options': Prop(
        LIST,
        'DNS resolver options.',
        api='HostConfig.DnsOptions',
        schema=_list_of('An option, e.g. ndots:2.'),
    ),
    'ulimits': Prop(
        LIST,
        'Resource limits.',
        api='HostConfig.Ulimits',
        expand=container_api.ulimits,
        schema=Prop(
            MAP,
            'A limit.',
            schema={
                'name': Prop(
                    STRING, 'Limit name, e.g. nofile.', required=True
                ),
                'soft': Prop(INTEGER, 'Soft limit.', required=True),
                'hard': Prop(INTEGER, 'Hard limit (default: the soft limit).'),
            },
        ),
    ),
    'sysctls': Prop(
        MAP,
        'Namespaced kernel parameters: {name: value}.',
        api='HostConfig.Sysctls',
        expand=lambda v: {
            'HostConfig.Sysctls': {k: str(x) for k, x in v.items()}
        },
    ),
    'shm_size': _size('HostConfig.ShmSize', 'Size of /dev/shm.'),
    'pids_limit': Prop(
        INTEGER,
        'Maximum number of processes.',
        api='HostConfig.PidsLimit',
        update=LIVE,
        constraints=(Range(min=1),),
    ),
    'cpus': Prop(
        NUMBER,
        'Number of CPUs, e.g. 0.5.',
        api='HostConfig.NanoCpus',
        expand=lambda v: {'HostConfig.NanoCpus': int(v * 10**9)},
        flatten=lambda info: (
            (spec.dig(info, 'HostConfig.NanoCpus') or 0) / 10**9
        ),
        update=LIVE,
        constraints=(Range(min=0.01),),
    ),
    'memory_reservation': _size(
        'HostConfig.MemoryReservation', 'Soft memory limit.', update=LIVE
    ),
    'memory_swap': _size(
        'HostConfig.MemorySwap',
        'Memory plus swap limit.',
        update=LIVE,
        unlimited=True,
    ),
    'init': Prop(
        BOOLEAN,
        'Run an init process as PID 1 that forwards '
        'signals and reaps zombies.',
        api='HostConfig.Init',
    ),
    'security_opt': Prop(
        LIST,
        'Security options, e.g. no-new-privileges:true.',
        api='HostConfig.SecurityOpt',
        schema=_list_of('An option.'),
    ),
    'group_add': Prop(
        LIST,
        "Extra groups for the container's user.",
        api='HostConfig.GroupAdd',
        schema=_list_of('A group name or GID.'),
    ),
    'log_config': Prop(
        MAP,
        'Logging driver.',
        api='HostConfig.LogConfig',
        expand=container_api.log_config,
        schema={
            'driver': Prop(
                STRING,
                'Driver name, e.g. json-file, local, syslog.',
                required=True,
            ),
            'options': Prop(MAP, 'Driver options.'),
        },
    ),
    'ipc_mode': Prop(
        STRING,
        'IPC namespace: private, shareable, host, container:NAME.',
        api='HostConfig.IpcMode',
    ),
    'pid_mode': Prop(
        STRING,
        'PID namespace: host or container:NAME.',
        api='HostConfig.PidMode',
    ),
    'userns_mode': Prop(
        STRING, 'User namespace mode (host).', api='HostConfig.UsernsMode'
    ),
    'cgroup_parent': Prop(
        STRING, 'Parent cgroup.', api='HostConfig.CgroupParent'
    ),
    'oom_score_adj': Prop(
        INTEGER,
        'OOM score adjustment.',
        api='HostConfig.OomScoreAdj',
        constraints=(Range(min=-1000, max=1000),),
    ),
    'runtime': Prop(
        STRING, 'OCI runtime, e.g. runc.', api='HostConfig.Runtime'
    ),
    'mac_address': Prop(STRING, 'MAC address.', api='Config.MacAddress'),
    'api_config': Prop(
        MAP,
        'Further container config fields, by Engine API name '
        '(e.g. {"Shell": ["/bin/ash", "-c"]}), for what no property covers. '
        'Typed properties win over these.',
        expand=container_api.api_fields(
            'api_config', container_api.CONFIG_FIELDS, 'Config.'
        ),
    ),
    'api_host_config': Prop(
        MAP,
        'Further HostConfig fields, by Engine API name (e.g. '
        '{"OomKillDisable": true}), for what no property covers. Typed '
        'properties win over these. Within Mounts, LogConfig, Ulimits and '
        "PortBindings, the keys the operator's policy reads are spelt as "
        'the Engine API does (the engine reads keys ignoring case).',
        expand=container_api.api_fields(
            'api_host_config',
            container_api.HOST_CONFIG_FIELDS,
            'HostConfig.',
            container_api.FORBIDDEN_HOST_CONFIG_FIELDS,
        ),
    ),
}

_ESCAPE_HATCHES = ('api_config', 'api_host_config')


def network_changes(old, new):
    """How the running container's networks go from property values
    ``old`` to ``new``: ``(networks to disconnect, {network: endpoint config
    to connect})``. A network whose aliases or addresses change is
    disconnected and connected again."""

    def endpoints(values):
        configs = container_api.networks(values['networks'] or ())
        return container_api.with_links(
            configs['NetworkingConfig.EndpointsConfig'],
            container_api.normalized_links(values['links']),
        )

    before = endpoints(old)
    after = endpoints(new)
    disconnect = [n for n in before if before[n] != after.get(n)]
    connect = {n: c for n, c in after.items() if before.get(n) != c}
    return disconnect, connect


def live_update_fields(old, new):
    """Engine API update body for changed LIVE properties, or None.

    None means the change cannot be applied to the running container: the
    engine ignores zero (a limit cannot be removed by update).
    """
    body = {}
    for name, prop in PROPERTIES.items():
        if prop.update != LIVE or old.get(name) == new.get(name):
            continue
        if new.get(name) is None:
            return None
        for path, value in prop.contributions(new[name]).items():
            if not value:
                return None
            body[path.split('.', 1)[1]] = value
    return body


def expand(values, labels=None, api_version='1.41'):
    """The create request for validated property ``values``.

    Returns ``(body, extra_networks)``: the body of ``POST
    /containers/create`` and, for engines before API 1.44 (which honour one
    network at create), the further ``{network: endpoint config}`` to
    connect before start.
    """
    body = {}
    for _, path, api_value in contributions(values):
        spec.merge_into(body, path, api_value)
    if labels:
        spec.merge_into(body, 'Config.Labels', labels)
    config = body.pop('Config', {})
    networking = body.pop('NetworkingConfig', {})
    endpoints = networking.get('EndpointsConfig') or {}
    host = body.setdefault('HostConfig', {})
    mode = host.get('NetworkMode') or next(iter(endpoints), '')
    links = host.get('Links')
    if links and mode not in container_api.DEFAULT_BRIDGE:
        if mode not in PREDEFINED_NETWORKS and ':' not in mode:
            endpoints = {mode: endpoints.get(mode, {}), **endpoints}
        if not any(n in container_api.DEFAULT_BRIDGE for n in endpoints):
            del host['Links']
    endpoints = container_api.with_links(endpoints, links)
    extra = {}
    if endpoints:
        first = next(iter(endpoints))
        if spec.version_tuple(api_version) < (1, 44):
            extra = {k: v for k, v in endpoints.items() if k != first}
            endpoints = {first: endpoints[first]}
        host.setdefault('NetworkMode', first)
        config['NetworkingConfig'] = {'EndpointsConfig': endpoints}
    config['HostConfig'] = host
    return config, extra


def live_values(values, info):
    """What the container's inspect ``info`` says of the properties that
    can change in place, for those the template set.

    A property whose Engine API value matches the template's reads back
    as the template wrote it (``512m`` stays ``512m``); only drift shows.
    """
    live = {}
    for name, prop in PROPERTIES.items():
        if prop.update not in (LIVE, RENAME) or values.get(name) is None:
            continue
        expected = prop.contributions(values[name])
        observed = prop.read_back(info)
        if name == 'name':
            matches = observed == values[name].lstrip('/')
        else:
            matches = all(
                spec.dig(info, path) == value
                for path, value in expected.items()
            )
        live[name] = values[name] if matches else observed
    return live


def linked_names(links):
    """The names of the containers ``links`` link to."""
    return {
        link.split(':', 1)[0].lstrip('/')
        for link in container_api.normalized_links(links) or ()
    }


# The escape hatches come first, so that typed properties win.
_IN_BODY_ORDER = sorted(
    PROPERTIES, key=lambda name: name not in _ESCAPE_HATCHES
)


def contributions(values):
    """``(property, Engine API path, value)`` for every field ``values``
    set, typed properties and escape hatches alike, in the order the
    create body is built: a later value of a path wins (or extends it)."""
    for name in _IN_BODY_ORDER:
        if values.get(name) is None:
            continue
        for path, value in (
            PROPERTIES[name].contributions(values[name]).items()
        ):
            yield name, path, value


def joins_default_bridge(values):
    """Whether the container would be on Docker's default bridge: no
    network joined, and no network mode but default or bridge, by typed
    property or escape hatch."""
    mode = ''
    for _, path, value in contributions(values):
        if path == 'NetworkingConfig.EndpointsConfig' and value:
            return False
        if path == 'HostConfig.NetworkMode':
            mode = value or ''
    return mode in container_api.DEFAULT_BRIDGE


def oldest_first(networks, name=None):
    """The networks, as listed (those named exactly ``name``, if given),
    the oldest first (then by id)."""

    def created(network):
        # RFC 3339 with up to nine digits of fraction, trailing zeros cut.
        stamp = network.get('Created') or ''
        seconds, _, rest = stamp.partition('.')
        digits = ''.join(itertools.takewhile(str.isdigit, rest))
        return seconds, digits.ljust(9, '0'), network['Id']

    return sorted(
        (n for n in networks if name in (None, n.get('Name'))), key=created
    )


def unsupported(values, api_version):
    return spec.unsupported(PROPERTIES, values, api_version)
