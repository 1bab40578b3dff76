"""The client plugin against a real engine: errors, endpoints, waiting."""

import socket
import socketserver
import threading
import time

from conftest import SLEEP
from conftest import container_template
import docker
import pytest

from heat_docker import client as docker_client


@pytest.fixture
def plugin(heat):
    from heat.engine import clients

    return clients.Clients(heat.context).client_plugin('docker')


def test_not_found_and_conflict_from_real_engine_errors(plugin, api):
    with pytest.raises(docker.errors.APIError) as missing:
        api.inspect_container('hd-no-such-container')
    assert plugin.is_not_found(missing.value)
    assert not plugin.is_conflict(missing.value)

    running = api.create_container(
        'localhost/heat-docker/busybox:latest', command=SLEEP
    )
    api.start(running)
    try:
        with pytest.raises(docker.errors.APIError) as busy:
            api.remove_container(running)
        assert plugin.is_conflict(busy.value)
        assert not plugin.is_not_found(busy.value)
    finally:
        api.remove_container(running, force=True)


def test_one_cached_client_per_endpoint(plugin, docker_host):
    first = plugin.for_endpoint(docker_host)
    assert plugin.for_endpoint(docker_host) is first
    assert plugin.client() is first  # DOCKER_HOST is the default here
    assert first.api_version == first.version()['ApiVersion']


def test_one_connection_pool_whatever_the_urls(plugin, docker_host):
    # docker-py's own adapter keeps a pool per URL and closes the least
    # recently used of 25, under requests still on it.
    client = plugin.for_endpoint(str(docker_host))
    for n in range(30):
        with pytest.raises(docker.errors.NotFound):
            client.inspect_container('hd-no-such-container-%d' % n)
    adapter = client.get_adapter(client.base_url)
    assert len(adapter.pools) == 1


def test_endpoint_order(monkeypatch):
    from oslo_config import cfg

    monkeypatch.delenv('DOCKER_HOST', raising=False)
    assert docker_client.resolve_endpoint() == docker_client.LOCAL_SOCKET
    monkeypatch.setenv('DOCKER_HOST', 'tcp://127.0.0.1:2375')
    assert docker_client.resolve_endpoint() == 'tcp://127.0.0.1:2375'
    cfg.CONF.set_override(
        'default_endpoint', 'unix:///run/x.sock', group='docker'
    )
    try:
        assert docker_client.resolve_endpoint() == 'unix:///run/x.sock'
        assert docker_client.resolve_endpoint('ssh://h') == 'ssh://h'
    finally:
        cfg.CONF.clear_override('default_endpoint', group='docker')


def test_unanswering_endpoint_is_reported(tmp_path):
    with pytest.raises(docker_client.EndpointUnavailable) as refused:
        docker_client.connect('unix://%s/none.sock' % tmp_path)
    assert 'is not answering' in str(refused.value)


class _Forward(socketserver.BaseRequestHandler):
    """Forwards a unix socket to the engine; while the server's ``stalled``
    event (if any) is set, requests are held back, as an overloaded engine
    holds them."""

    def handle(self):
        upstream = socket.socket(socket.AF_UNIX)
        upstream.connect(self.server.upstream)
        stalled = getattr(self.server, 'stalled', threading.Event())

        def pump(src, dst, hold):
            try:
                while data := src.recv(65536):
                    while hold.is_set():
                        time.sleep(0.05)
                    dst.sendall(data)
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # a client that timed out has closed its end

        back = threading.Thread(
            target=pump, args=(upstream, self.request, threading.Event())
        )
        back.start()
        pump(self.request, upstream, stalled)
        back.join()
        upstream.close()


def test_create_waits_for_an_engine_that_is_still_starting(
    stacks, docker_host, tmp_path
):
    # A Docker host that a server in the same stack is still booting looks
    # like this: nothing listens on the endpoint yet.
    if not docker_host.startswith('unix://'):
        pytest.fail('this test forwards to a unix:// engine')
    late = tmp_path / 'late.sock'

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True
        upstream = docker_host[len('unix://') :]

    servers = []

    def come_up_late():
        time.sleep(2)
        servers.append(Server(str(late), _Forward))
        servers[0].serve_forever()

    threading.Thread(target=come_up_late, daemon=True).start()
    started = time.monotonic()
    try:
        stack = stacks.create(
            container_template(
                {
                    'docker_endpoint': 'unix://%s' % late,
                    'cmd': SLEEP,
                    'init': True,
                }
            )
        )
        assert stack['stack_status'] == 'COMPLETE', stack[
            'stack_status_reason'
        ]
        assert time.monotonic() - started >= 2
        assert stacks.delete(stack) == 'DELETE_COMPLETE'
    finally:
        while not servers:
            time.sleep(0.1)
        servers[0].shutdown()
        servers[0].server_close()
        docker_client.forget('unix://%s' % late)


def test_delete_outlasts_an_engine_that_stops_answering(
    stacks, api, docker_host, tmp_path
):
    # An overloaded engine answers nothing for a while: calls time out.
    # Delete polls again (for up to endpoint_wait_timeout) instead of
    # failing.
    from oslo_config import cfg

    forwarded = tmp_path / 'slow.sock'
    endpoint = 'unix://%s' % forwarded

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True
        upstream = docker_host[len('unix://') :]
        stalled = threading.Event()

    server = Server(str(forwarded), _Forward)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cfg.CONF.set_override('api_timeout', 1, group='docker')
    try:
        stack = stacks.create(
            container_template(
                {'docker_endpoint': endpoint, 'cmd': SLEEP, 'init': True}
            )
        )
        assert stack['stack_status'] == 'COMPLETE', stack[
            'stack_status_reason'
        ]
        container_id = stacks.resource(stack, 'c')['physical_resource_id']
        server.stalled.set()
        threading.Timer(3, server.stalled.clear).start()
        started = time.monotonic()
        assert stacks.delete(stack) == 'DELETE_COMPLETE'
        assert time.monotonic() - started >= 3
        assert api.containers(all=True, filters={'id': container_id}) == []
    finally:
        server.stalled.clear()
        server.shutdown()
        server.server_close()
        cfg.CONF.clear_override('api_timeout', group='docker')
        docker_client.forget(endpoint)
