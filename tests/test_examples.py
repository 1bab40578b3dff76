"""The examples, run end to end (the Nova one validated only)."""

import pathlib
import time
import urllib.request

from conftest import REPO
from conftest import container_template
import pytest

EXAMPLES = REPO / 'examples'


def load(path):
    from heat.common import template_format

    return template_format.parse(pathlib.Path(path).read_text())


def env_parameters(path):
    from heat.common import environment_format

    return environment_format.parse(pathlib.Path(path).read_text())[
        'parameters'
    ]


def fetch(url, attempts=50):
    """GET a page on 127.0.0.1, retrying while the server starts."""
    assert url.startswith('http://127.0.0.1:')
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2)


def free_port():
    from conftest import _free_port

    return _free_port()


def test_hello(stacks):
    params = {
        **env_parameters(EXAMPLES / 'hello' / 'hello-env.yaml'),
        'port': free_port(),
    }
    stack = stacks.create(load(EXAMPLES / 'hello' / 'hello.yaml'), params)
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    outputs = stacks.outputs(stack)
    assert outputs['health'] == 'healthy'
    assert fetch(outputs['url']).strip() == params['message']
    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert stacks.owned_containers(stack) == []


def test_two_tier_wires_address_port_and_password(stacks):
    params = {'web_port': free_port()}
    stack = stacks.create(
        load(EXAMPLES / 'two-tier' / 'two-tier.yaml'), params
    )
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    outputs = stacks.outputs(stack)
    db_ip = stacks.container(stack, 'db')['NetworkSettings']['IPAddress']
    assert outputs['db_address'] == '%s:3306' % db_ip
    page = fetch(outputs['url'])
    assert 'users from %s:3306:' % db_ip in page
    assert 'alice\nbob' in page
    web_env = stacks.container(stack, 'web')['Config']['Env']
    db_env = stacks.container(stack, 'db')['Config']['Env']
    password = [e for e in db_env if e.startswith('DB_PASSWORD=')]
    assert password and password[0] in web_env
    assert stacks.delete(stack) == 'DELETE_COMPLETE'


def test_job_completes_before_the_service_that_waits_on_it(stacks):
    stack = stacks.create(
        load(EXAMPLES / 'job' / 'job.yaml'),
        {'port': free_port(), 'schema_version': '7'},
    )
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    outputs = stacks.outputs(stack)
    assert outputs['migration_log'] == 'migration done'
    assert outputs['migration_exit_code'] == 0
    assert fetch(outputs['url']).strip() == 'schema 7'
    job = stacks.container(stack, 'migrate')
    service = stacks.container(stack, 'service')
    assert job['State']['FinishedAt'] <= service['State']['StartedAt']
    volume = job['Mounts'][0]['Name']
    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert volume not in [
        v['Name'] for v in stacks.api.volumes()['Volumes'] or []
    ]


def test_failing_job_fails_the_stack_and_the_service_never_starts(stacks):
    template = load(EXAMPLES / 'job' / 'job.yaml')
    template['resources']['migrate']['properties']['cmd'] = [
        'sh',
        '-c',
        'echo "schema is locked"; exit 4',
    ]
    stack = stacks.create(template, {'port': free_port()})
    assert stack['stack_status'] == 'FAILED'
    assert 'exited with code 4' in stack['stack_status_reason']
    assert 'schema is locked' in stack['stack_status_reason']
    service = stacks.resource(stack, 'service')
    assert (service['resource_action'], service['physical_resource_id']) == (
        'INIT',
        '',
    )


@pytest.fixture
def tls_options(docker_host):
    from oslo_config import cfg

    if docker_host.tls is None:
        pytest.fail(
            'the TCP+TLS endpoint exists only on the engine the '
            'tests start (HEAT_DOCKER_TEST_DOCKER_HOST is set)'
        )
    url, certs = docker_host.tls
    overrides = {
        'tls_ca_cert': certs / 'ca.pem',
        'tls_client_cert': certs / 'client-cert.pem',
        'tls_client_key': certs / 'client-key.pem',
    }
    for name, value in overrides.items():
        cfg.CONF.set_override(name, str(value), group='docker')
    yield url
    for name in overrides:
        cfg.CONF.clear_override(name, group='docker')


def test_two_endpoints_one_over_tcp_with_tls(
    stacks, docker_host, tls_options, monkeypatch, tmp_path
):
    from heat_docker import client

    # Both URLs reach the tests' engine: one over its unix socket, one
    # over TCP with client-certificate TLS. The process's CA bundle and
    # proxy variables (here: a CA that is not the engine's, and a proxy
    # that does not answer) are not the engine's business.
    other_ca = tmp_path / 'other-ca.pem'
    other_ca.write_text((docker_host.tls[1] / 'client-cert.pem').read_text())
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', str(other_ca))
    monkeypatch.setenv('HTTPS_PROXY', 'http://127.0.0.1:9')
    client.forget(tls_options)
    stack = stacks.create(
        load(EXAMPLES / 'two-endpoints' / 'two-endpoints.yaml'),
        {'cache_endpoint': tls_options, 'worker_endpoint': str(docker_host)},
    )
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    outputs = stacks.outputs(stack)
    assert fetch(outputs['cache_url']).strip() == 'cached'
    assert outputs['worker_log'] == 'worker using ' + outputs['cache_url']
    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert stacks.owned_containers(stack) == []


def test_tls_endpoint_refuses_a_client_without_certificates(
    stacks, docker_host
):
    from oslo_config import cfg

    if docker_host.tls is None:
        pytest.fail("needs the TCP+TLS endpoint of the tests' engine")
    cfg.CONF.set_override('endpoint_wait_timeout', 0, group='docker')
    try:
        stack = stacks.create(
            container_template({'docker_endpoint': docker_host.tls[0]})
        )
    finally:
        cfg.CONF.clear_override('endpoint_wait_timeout', group='docker')
    assert stack['stack_status'] == 'FAILED'
    assert 'is not answering' in stack['stack_status_reason']


def test_nova_example_validates_with_its_nested_template(stacks):
    nested = (EXAMPLES / 'nova' / 'docker-host.yaml').read_text()
    params = {'image': 'debian-12', 'flavor': 'm1.small', 'network': 'private'}
    assert (
        stacks.validation_error(
            load(EXAMPLES / 'nova' / 'app-on-nova.yaml'),
            params,
            {'docker-host.yaml': nested},
        )
        is None
    )
    # Heat validates a nested stack only when it creates it, so the nested
    # template is validated alone too. Heat asks Keystone whether Nova is
    # there before it looks at a server's properties; with no cloud, the
    # server is stubbed (OS::Heat::None) and the rest checked for real.
    no_nova = {'resource_registry': {'OS::Nova::Server': 'OS::Heat::None'}}
    assert (
        stacks.validation_error(
            load(EXAMPLES / 'nova' / 'docker-host.yaml'),
            params,
            environment=no_nova,
        )
        is None
    )
    broken = nested.replace('get_attr: [server,', 'get_attr: [servr,')
    from heat.common import template_format

    assert 'servr' in stacks.validation_error(
        template_format.parse(broken), params, environment=no_nova
    )


def test_app_builds_its_image_and_runs_two_tiers(stacks, api):
    params = {
        **env_parameters(EXAMPLES / 'app' / 'app-env.yaml'),
        'port': free_port(),
    }
    stack = stacks.create(load(EXAMPLES / 'app' / 'app.yaml'), params)
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    outputs = stacks.outputs(stack)
    first = fetch(outputs['url']).splitlines()
    second = fetch(outputs['url']).splitlines()
    assert first[0] == params['greeting']
    assert int(second[1].split()[-1]) == int(first[1].split()[-1]) + 1
    assert api.inspect_image(outputs['image_id'])['RepoTags'] == [
        'localhost/heat-docker/app:latest'
    ]
    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert stacks.owned_containers(stack) == []
    assert not api.networks(names=[outputs['network']])
    assert outputs['volume'] not in [
        v['Name'] for v in api.volumes()['Volumes'] or ()
    ]
    assert not api.images(name='localhost/heat-docker/app')
