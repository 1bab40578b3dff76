"""Heat client plugin for the Docker Engine API: one client per endpoint."""

import os
import threading
import time
import urllib.parse

import docker
from docker import errors as docker_errors
from docker.utils import utils as docker_utils
from heat.engine.clients import client_plugin
from oslo_config import cfg
from oslo_log import log as logging
import requests

from heat_docker import config

LOG = logging.getLogger(__name__)

LOCAL_SOCKET = 'unix:///var/run/docker.sock'

_clients = {}
_clients_lock = threading.Lock()


# Connections kept open to one engine: one per heat-engine worker thread
# that may talk to it at once.
POOL_SIZE = 64


class _OnePoolAdapter(docker.transport.UnixHTTPAdapter):
    """docker-py's adapter for a unix socket, with one connection pool.

    docker-py keeps a pool per request URL, 25 at most, and closes the
    least recently used: with dozens of containers handled at once, a pool
    is closed under a request on it (urllib3 then fails with "'NoneType'
    object has no attribute 'qsize'"). Every URL of the socket is one pool
    here, as a TCP endpoint's host is.
    """

    def get_connection(self, url, proxies=None):
        return super().get_connection('http+docker://localhost', proxies)


def _direct_client(endpoint, version, tls):
    """docker's APIClient, deaf to the process's proxy and CA variables.

    requests lets REQUESTS_CA_BUNDLE override a session's own CA (and
    HTTPS_PROXY route it), which breaks TLS to an engine with its own CA.
    The engine is talked to directly, with only the TLS settings given.
    """
    client = docker.APIClient(
        base_url=endpoint,
        version=version,
        tls=tls,
        timeout=cfg.CONF[config.GROUP].api_timeout,
        use_ssh_client=endpoint.startswith('ssh://'),
        max_pool_size=POOL_SIZE,
    )
    client.trust_env = False
    if endpoint.startswith('unix://'):
        client.mount(
            'http+docker://',
            _OnePoolAdapter(
                docker.utils.parse_host(endpoint),
                cfg.CONF[config.GROUP].api_timeout,
                max_pool_size=POOL_SIZE,
            ),
        )
    return client


def _negotiated_client(endpoint, tls):
    """A client speaking the engine's own API version (docker-py's
    ``version='auto'``, whose first request would heed the environment)."""
    with _direct_client(
        endpoint, docker.constants.MINIMUM_DOCKER_API_VERSION, tls
    ) as probe:
        version = probe.version(api_version=False)['ApiVersion']
    return _direct_client(endpoint, version, tls)


class EndpointUnavailable(Exception):
    """The endpoint did not answer; it may still be starting."""


def resolve_endpoint(endpoint=None):
    """The endpoint a container goes to when its template names ``endpoint``.

    Order: the template's value, ``[docker] default_endpoint``, the
    ``DOCKER_HOST`` of this process, the local socket.
    """
    return (
        endpoint
        or cfg.CONF[config.GROUP].default_endpoint
        or os.environ.get('DOCKER_HOST')
        or LOCAL_SOCKET
    )


def _tls_for(endpoint):
    if not endpoint.startswith(('tcp://', 'https://')):
        return False
    opts = cfg.CONF[config.GROUP]
    if opts.tls_ca_cert or opts.tls_client_cert:
        client_cert = None
        if opts.tls_client_cert:
            client_cert = (opts.tls_client_cert, opts.tls_client_key)
        return docker.tls.TLSConfig(
            client_cert=client_cert,
            ca_cert=opts.tls_ca_cert,
            verify=opts.tls_verify,
        )
    if endpoint == os.environ.get('DOCKER_HOST'):
        return docker_utils.kwargs_from_env().get('tls', False)
    return False


def connect(endpoint):
    """A cached, version-negotiated client for ``endpoint``.

    Raises :class:`EndpointUnavailable` if the engine does not answer.
    """
    tls = _tls_for(endpoint)
    # A change of TLS settings (heat.conf reloaded) must not reuse a client.
    key = (endpoint, tls and (tls.cert, tls.ca_cert, tls.verify))
    with _clients_lock:
        client = _clients.get(key)
    if client is not None:
        return client
    try:
        client = _negotiated_client(endpoint, tls)
    except (
        docker_errors.DockerException,
        requests.exceptions.RequestException,
    ) as exc:
        raise EndpointUnavailable(
            'Docker endpoint %s is not answering: %s' % (endpoint, exc)
        ) from exc
    with _clients_lock:
        return _clients.setdefault(key, client)


# What an engine says of its host (/info) changes rarely: CPUs, runtimes,
# plugins. Asked again after this many seconds.
INFO_TTL = 60
_infos = {}


def engine_info(client):
    """``GET /info`` of ``client``'s engine, cached for INFO_TTL s."""
    now = time.monotonic()
    cached = _infos.get(client.base_url)
    if cached is None or now - cached[0] > INFO_TTL:
        cached = _infos[client.base_url] = (now, client.info())
    return cached[1]


def forget(endpoint):
    """Drop the cached client, e.g. after the engine behind it restarted."""
    with _clients_lock:
        for key in [k for k in _clients if k[0] == endpoint]:
            del _clients[key]


class DockerClientPlugin(client_plugin.ClientPlugin):
    """Docker clients for Heat resources.

    ``client()`` answers for the default endpoint; resources that name
    ``docker_endpoint`` use :meth:`for_endpoint`.
    """

    service_types = []
    exceptions_module = docker_errors

    def _create(self, version=None):
        return connect(resolve_endpoint())

    def for_endpoint(self, endpoint=None):
        return connect(resolve_endpoint(endpoint))

    def is_not_found(self, ex):
        return isinstance(ex, docker_errors.NotFound) or (
            isinstance(ex, docker_errors.APIError) and ex.status_code == 404
        )

    def update_container(self, client, container_id, body):
        """``POST /containers/{id}/update`` with the whole ``body``:
        docker-py's ``update_container`` takes a fixed subset of its
        fields."""
        url = '%s/v%s/containers/%s/update' % (
            client.base_url,
            client.api_version,
            urllib.parse.quote(container_id, safe=''),
        )
        response = client.post(url, json=body, timeout=client.timeout)
        try:
            response.raise_for_status()
        except requests.exceptions.HTTPError as exc:
            raise docker_errors.create_api_error_from_http_exception(
                exc
            ) from None
        return response.json()

    def connect(self, client, container_id, network, endpoint_config):
        """Connect a container to ``network`` with an EndpointsConfig
        entry (aliases, links, fixed addresses)."""
        ipam = endpoint_config.get('IPAMConfig') or {}
        links = [
            (*link.split(':', 1), None)[:2]
            for link in endpoint_config.get('Links') or ()
        ]
        client.connect_container_to_network(
            container_id,
            network,
            aliases=endpoint_config.get('Aliases'),
            links=links or None,
            ipv4_address=ipam.get('IPv4Address'),
            ipv6_address=ipam.get('IPv6Address'),
        )

    def met_engine_stopping(self, client, ex):
        """Whether ``ex`` is a server error (5xx) of an engine that no
        longer answers: the request met the engine stopping (it fails what
        is under way, e.g. "failed to update store for object type
        *libnetwork.endpoint"), and is worth asking again."""
        if not (
            isinstance(ex, docker_errors.APIError) and ex.is_server_error()
        ):
            return False
        try:
            client.ping()
        except requests.exceptions.RequestException:
            return True
        return False

    def is_conflict(self, ex):
        return isinstance(ex, docker_errors.APIError) and ex.status_code == 409
