"""A project member runs containers through Heat's whole lifecycle."""

import json

from .conftest import IMAGE
from .conftest import container
from .conftest import container_ids
from .conftest import stack_containers
from .conftest import template

APP = template(
    {
        'web': container(
            memory={'get_param': 'memory'},
            cmd={'get_param': 'cmd'},
            labels={'tier': 'web'},
        )
    },
    parameters={
        'memory': {'type': 'string', 'default': '64m'},
        'cmd': {
            'type': 'comma_delimited_list',
            'default': 'sh,-c,trap "exit 0" TERM; while :; do sleep 1 & wait; '
            'done',
        },
    },
    outputs={
        'name': {'get_attr': ['web', 'name']},
        'status': {'get_attr': ['web', 'status']},
        'address': {'get_attr': ['web', 'network_ip']},
        'id': {'get_resource': 'web'},
    },
)


def test_a_member_runs_a_stack_through_its_whole_life(demo, api):
    assert 'admin' not in demo.session.auth.get_access(demo.session).role_names

    path = demo.write(APP)
    name = demo.name()
    created = demo.openstack('stack', 'create', '--wait', '-t', path, name)
    assert 'CREATE_COMPLETE' in created.stdout
    stack_id = demo.stack(name).id
    demo.stacks.append(stack_id)

    first = demo.physical_id(stack_id, 'web')
    info = api.inspect_container(first)
    assert info['State']['Running']
    assert info['HostConfig']['Memory'] == 64 * 2**20
    assert info['Config']['Labels']['tier'] == 'web'
    assert demo.output(stack_id, 'id') == first
    assert demo.output(stack_id, 'name') == info['Name'].lstrip('/')
    assert demo.output(stack_id, 'status') == 'running'
    # On the project's own network, not Docker's default bridge.
    [(network, endpoint)] = info['NetworkSettings']['Networks'].items()
    assert network == 'heat-project-%s' % demo.project_id
    address = endpoint['IPAddress']
    assert address and demo.output(stack_id, 'address') == address
    shown = demo.openstack(
        'stack',
        'resource',
        'show',
        stack_id,
        'web',
        '--with-attr',
        'running',
        '--with-attr',
        'health',
        '-f',
        'json',
    )
    attributes = json.loads(shown.stdout)['attributes']
    assert attributes['running'] is True
    assert attributes['health'] == 'none'

    # In place: the same container, a new memory limit.
    demo.update(stack_id, parameters={'memory': '96m'})
    assert demo.physical_id(stack_id, 'web') == first
    assert api.inspect_container(first)['HostConfig']['Memory'] == 96 * 2**20

    # Replaced: a new command needs a new container; the old one goes.
    demo.update(stack_id, parameters={'cmd': 'sh,-c,exec sleep 3600'})
    second = demo.physical_id(stack_id, 'web')
    assert second != first
    assert api.inspect_container(second)['Config']['Cmd'] == [
        'sh',
        '-c',
        'exec sleep 3600',
    ]
    assert [c['Id'] for c in stack_containers(api, stack_id)] == [second]

    demo.openstack('stack', 'suspend', '--wait', stack_id)
    assert not api.inspect_container(second)['State']['Running']
    demo.openstack('stack', 'resume', '--wait', stack_id)
    assert api.inspect_container(second)['State']['Running']
    checked = demo.openstack('stack', 'check', '--wait', stack_id)
    assert 'CHECK_COMPLETE' in checked.stdout

    demo.openstack('stack', 'delete', '--yes', '--wait', stack_id)
    assert stack_containers(api, stack_id) == []


def test_a_property_error_at_template_validate_names_the_property(demo, api):
    before = container_ids(api)
    path = demo.write(template({'web': container(memory='lots')}))
    done = demo.openstack(
        'orchestration', 'template', 'validate', '-t', path, check=False
    )
    assert done.returncode != 0
    assert 'resources.web.properties.memory' in done.stderr
    assert 'must be a size in bytes' in done.stderr
    assert container_ids(api) == before


def test_policy_refuses_another_endpoint_and_privileged(demo, api):
    before = container_ids(api)
    for properties, words in (
        (
            {'docker_endpoint': 'tcp://127.0.0.1:9'},
            (
                'resources.web.properties.docker_endpoint',
                'endpoint tcp://127.0.0.1:9 is not allowed',
                '[docker] allowed_endpoints',
            ),
        ),
        (
            {'privileged': True},
            (
                'resources.web.properties.privileged',
                'a privileged container is not allowed',
                '[docker] allow_privileged = true',
            ),
        ),
    ):
        path = demo.write(template({'web': container(**properties)}))
        validated = demo.openstack(
            'orchestration', 'template', 'validate', '-t', path, check=False
        )
        assert validated.returncode != 0
        for word in words:
            assert word in validated.stderr
        created = demo.openstack(
            'stack', 'create', '--wait', '-t', path, demo.name(), check=False
        )
        assert created.returncode != 0
        assert words[2] in created.stderr
    assert container_ids(api) == before


def test_the_image_is_the_one_given(demo, api):
    stack_id = demo.create(template({'web': container()}))
    info = api.inspect_container(demo.physical_id(stack_id, 'web'))
    assert info['Config']['Image'] == IMAGE
    assert info['Config']['Labels']['org.openstack.heat.project-id'] == (
        demo.project_id
    )
