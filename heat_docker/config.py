"""The ``[docker]`` options of heat.conf."""

import functools
import hashlib

from oslo_config import cfg

GROUP = 'docker'

OPTS = [
    cfg.StrOpt(
        'default_endpoint',
        help='Docker Engine endpoint used when a template names no '
        'docker_endpoint (unix://, tcp:// or ssh:// URL). When unset, '
        'DOCKER_HOST of the heat-engine process, then the local socket '
        'unix:///var/run/docker.sock.',
    ),
    cfg.IntOpt(
        'endpoint_wait_timeout',
        default=300,
        min=0,
        help='Seconds to keep retrying an endpoint that does not answer yet '
        '(for example a Docker host that a server in the same stack is '
        'still booting), or that stops answering while a container is '
        'deleted or suspended, before the resource fails.',
    ),
    cfg.StrOpt(
        'default_pull_policy',
        default='missing',
        choices=['missing', 'always', 'never'],
        help='Pull policy for containers whose template sets no '
        'image_pull_policy.',
    ),
    cfg.MultiStrOpt(
        'registry_credentials',
        default=[],
        secret=True,
        help='Credentials for pulls whose template gives none, one line '
        'per registry: "REGISTRY=USER:PASSWORD", where REGISTRY is the '
        "image reference's host[:port] (docker.io for Docker Hub).",
    ),
    cfg.IntOpt(
        'api_timeout',
        default=60,
        min=1,
        help='Seconds to wait for one Docker Engine API call.',
    ),
    cfg.IntOpt(
        'stop_timeout',
        default=10,
        min=0,
        help='Grace period in seconds between the stop signal and SIGKILL '
        'when a container that sets no stop_timeout is deleted.',
    ),
    cfg.BoolOpt(
        'tls_verify',
        default=True,
        help='Verify the server certificate of tcp:// endpoints that use TLS.',
    ),
    cfg.StrOpt(
        'tls_ca_cert',
        help='CA certificate file for tcp:// endpoints. Setting any tls_* '
        'file option turns TLS on for tcp:// endpoints.',
    ),
    cfg.StrOpt('tls_client_cert', help='Client certificate file for TLS.'),
    cfg.StrOpt('tls_client_key', help='Client private key file for TLS.'),
]

# What a template may ask of the engine. The defaults suit a heat-engine
# shared by many tenants: nothing is reachable, nothing privileged, until
# the operator says so. The standalone heat-docker command (one user, their
# own machine) starts from PERMISSIVE instead.
POLICY_OPTS = [
    cfg.ListOpt(
        'allowed_endpoints',
        default=[],
        help='Shell-style patterns of the Docker endpoints templates may '
        'use, explicitly or through default_endpoint, e.g. '
        '"tcp://10.0.*:2376,ssh://docker@*". Empty: none, so no container '
        'can be created until the operator allows an endpoint. Allowing '
        'unix:// sockets of the heat-engine host gives tenants that host.',
    ),
    cfg.BoolOpt(
        'allow_privileged',
        default=False,
        help='Allow privileged containers, and what else reaches past '
        "a container's confinement: security options but no-new-privileges "
        '(a seccomp or AppArmor profile of its own, an SELinux label, '
        'systempaths=unconfined may lift what the defaults forbid), masked '
        'and read-only paths (they replace the defaults that hide /proc '
        'and /sys), a negative OOM score adjustment or OOM kill disabled '
        "(the host's kernel kills others first), a cgroup parent, and "
        'ulimits that raise scheduling priority: rtprio (real-time '
        'scheduling, which can starve the host) and nice above 20.',
    ),
    cfg.ListOpt(
        'allowed_capabilities',
        default=[],
        help='Kernel capabilities cap_add may add, e.g. "NET_ADMIN"; "ALL" '
        'must be listed itself to be allowed.',
    ),
    cfg.BoolOpt(
        'allow_devices',
        default=False,
        help='Allow host devices (devices, device requests, device cgroup '
        'rules) in containers, and local volumes that mount a device or a '
        'network filesystem on the Docker host (driver_opts with a type '
        'other than tmpfs).',
    ),
    cfg.ListOpt(
        'allowed_bind_roots',
        default=[],
        help='Host directories under which bind mounts may be made, e.g. '
        '"/srv/containers". Empty: no bind mounts.',
    ),
    cfg.BoolOpt(
        'allow_host_namespaces',
        default=False,
        help="Allow the host's network, PID, IPC, UTS, user and cgroup "
        'namespaces (network_mode: host and the like).',
    ),
    cfg.ListOpt(
        'allowed_network_drivers',
        default=['bridge'],
        help='Drivers DockerInc::Docker::Network resources may use; "*" '
        'allows any. Other drivers reach beyond the engine (overlay, '
        'macvlan, ipvlan, plugins).',
    ),
    cfg.BoolOpt(
        'allow_host_interfaces',
        default=False,
        help="Allow networks on the Docker host's interfaces: macvlan and "
        'ipvlan networks (their "parent" option), and bridge networks '
        'that name their bridge (com.docker.network.bridge.name): Docker '
        'joins a bridge that exists, whoever made it.',
    ),
    cfg.ListOpt(
        'allowed_host_ports',
        default=[],
        help='Ports and ranges of the Docker host ("N" or "N-M", e.g. '
        '"30000-32767") on which containers may publish at a port they '
        'choose. Empty: none; a port published without a host port gets '
        'one the engine picks. Otherwise a tenant could take the port of a '
        "service of the host while it restarts, and its clients' traffic.",
    ),
    cfg.ListOpt(
        'allowed_subnets',
        default=[],
        help='Address ranges (CIDR) within which DockerInc::Docker::Network '
        'resources may set their own subnets (ipam), e.g. '
        '"172.28.0.0/14,fd00:28::/32". Empty: none; such a network takes a '
        "subnet from the Docker engine's pools. The Docker host routes a "
        "network's subnet to it, so a subnet that covers addresses the "
        "host reaches elsewhere takes their traffic, other tenants' too.",
    ),
    cfg.IntOpt(
        'max_project_networks',
        default=16,
        min=0,
        help='Networks a project may have on an endpoint: its Network '
        'resources and the network its containers go on instead of the '
        "default bridge. The engine's address pool is every project's, "
        'and one that used it all would leave the others no network. 0: '
        'no limit.',
    ),
    cfg.IntOpt(
        'max_pids',
        default=4096,
        min=0,
        help='The most processes (threads included) a container may run. '
        'A container whose template sets no limit gets this one; a '
        'template asking for more, or for none, is refused. Docker sets '
        "no limit, and one container's fork bomb exhausts the host's "
        'process table for every tenant. 0: no limit.',
    ),
    cfg.IntOpt(
        'max_memory_mb',
        default=0,
        min=0,
        help='The most memory, in MiB, a container may use. A container '
        'whose template sets no limit (memory) gets this one; a template '
        'asking for more, or for none, is refused. 0: no limit.',
    ),
    cfg.ListOpt(
        'allowed_volume_drivers',
        default=['local'],
        help='Drivers DockerInc::Docker::Volume resources may use; "*" '
        'allows any.',
    ),
    cfg.ListOpt(
        'allowed_log_drivers',
        default=['json-file', 'local', 'none'],
        help='Logging drivers a container may ask for (log_config); "*" '
        'allows any. Others send logs from the Docker host to addresses '
        'the template gives (syslog, gelf, fluentd, ...).',
    ),
    cfg.BoolOpt(
        'allow_local_fetches',
        default=False,
        help='Allow the Docker engine to fetch, for a template, what it '
        'fetches from its own host: pulls from a registry on that host '
        '(localhost, loopback addresses, names that resolve to them) or '
        "at a link-local address such as a cloud metadata service, a build's "
        'ADD of a URL (any: the engine follows redirects, to its host '
        'too), and the responses its errors quote. Services listening '
        "there only are otherwise out of tenants' reach.",
    ),
    cfg.BoolOpt(
        'allow_cross_project_references',
        default=False,
        help='Allow a template to name containers of other projects, or '
        'containers Heat did not make, on a shared endpoint: external_id, '
        'volumes_from, links, and the container: forms of network_mode, '
        "pid_mode and ipc_mode; images another project's stack made, "
        'such as snapshots; named volumes. By default each must carry the '
        "stack's own project label.",
    ),
    cfg.ListOpt(
        'allowed_build_context_roots',
        default=[],
        help='Directories of the heat-engine host under which '
        'DockerInc::Docker::Image builds may take their context '
        '(build.context), e.g. "/srv/builds"; heat-engine reads the files '
        'with its own rights and sends them to the engine. Empty: none.',
    ),
    cfg.ListOpt(
        'allowed_push_registries',
        default=[],
        help='Shell-style patterns of the registries, host[:port] '
        '("docker.io" for Docker Hub), that DockerInc::Docker::Image '
        'resources may push to, e.g. "registry.example.com,10.0.0.*:5000". '
        'Empty: none.',
    ),
]

PERMISSIVE = {
    'allowed_endpoints': ['*'],
    'allow_privileged': True,
    'allowed_capabilities': ['ALL'],
    'allow_devices': True,
    'allowed_bind_roots': ['/'],
    'allow_host_namespaces': True,
    'allowed_network_drivers': ['*'],
    'allow_host_interfaces': True,
    'allowed_subnets': ['0.0.0.0/0', '::/0'],
    'allowed_host_ports': ['1-65535'],
    'max_project_networks': 0,
    'max_pids': 0,
    'max_memory_mb': 0,
    'allowed_volume_drivers': ['*'],
    'allowed_log_drivers': ['*'],
    'allow_local_fetches': True,
    'allow_cross_project_references': True,
    'allowed_build_context_roots': ['/'],
    'allowed_push_registries': ['*'],
}

cfg.CONF.register_opts(OPTS + POLICY_OPTS, group=GROUP)


def registry_auth(registry):
    """``{'username', 'password'}`` configured for ``registry``, or None."""
    for line in cfg.CONF[GROUP].registry_credentials:
        name, _, credentials = line.partition('=')
        if name.strip() == registry:
            username, _, password = credentials.partition(':')
            return {'username': username.strip(), 'password': password}
    return None


def deployment():
    """An id of this Heat deployment, the same on all its engines: a digest
    of the auth_encryption_key they share (it reveals nothing of it)."""
    from heat.common import crypt  # noqa: F401 (auth_encryption_key)

    return _digest(cfg.CONF.auth_encryption_key)


@functools.lru_cache(maxsize=4)
def _digest(key):
    text = 'heat-docker deployment %s' % key
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def list_opts():
    return [(GROUP, OPTS + POLICY_OPTS)]
