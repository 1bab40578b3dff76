"""The ``[docker]`` options of heat.conf."""

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
        'still booting) before the resource fails.',
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

cfg.CONF.register_opts(OPTS, group=GROUP)


def list_opts():
    return [(GROUP, OPTS)]
