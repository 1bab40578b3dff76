"""Two projects on one endpoint: each reaches only its own containers."""

import time

import pytest

from .conftest import container
from .conftest import container_ids
from .conftest import stack_containers
from .conftest import template

OPTION = '[docker] allow_cross_project_references = true'


@pytest.fixture
def demo_container(demo, api):
    name = demo.name()
    stack_id = demo.create(template({'web': container(name=name)}))
    [found] = stack_containers(api, stack_id)
    labels = found['Labels']
    assert labels['org.openstack.heat.project-id'] == demo.project_id
    return name, found['Id']


@pytest.mark.parametrize(
    'prop, reference',
    [
        ('volumes_from', lambda c: [c]),
        ('links', lambda c: {c: 'peer'}),
        ('network_mode', lambda c: 'container:' + c),
        ('pid_mode', lambda c: 'container:' + c),
        ('ipc_mode', lambda c: 'container:' + c),
        ('name', lambda c: c),
    ],
)
def test_other_project_cannot_reach_demos_container(
    other, api, demo_container, prop, reference
):
    name, _ = demo_container
    before = container_ids(api)
    path = other.write(template({'web': container(**{prop: reference(name)})}))
    validated = other.openstack(
        'orchestration', 'template', 'validate', '-t', path, check=False
    )
    assert validated.returncode != 0
    assert 'resources.web.properties.%s' % prop in validated.stderr
    if prop == 'name':
        assert 'is already used on' in validated.stderr
    else:
        assert "not one of this project's containers" in validated.stderr
        assert OPTION in validated.stderr
    assert container_ids(api) == before


def test_other_project_cannot_adopt_demos_container(
    other, api, demo_container
):
    _, container_id = demo_container
    body = template({'web': {**container(), 'external_id': container_id}})
    created = other.openstack(
        'stack',
        'create',
        '--wait',
        '-t',
        other.write(body),
        other.name(),
        check=False,
    )
    assert created.returncode != 0
    assert 'resources.web.external_id' in created.stderr
    assert OPTION in created.stderr


def test_a_reference_known_at_create_is_checked_then(
    other, api, demo_container
):
    name, _ = demo_container
    body = template(
        {
            'peer': {
                'type': 'OS::Heat::Value',
                'properties': {'value': name},
            },
            'web': container(volumes_from=[{'get_attr': ['peer', 'value']}]),
        }
    )
    stack_id = other.create(body, wait=False)
    stack = other.stack(stack_id)
    while stack.stack_status == 'CREATE_IN_PROGRESS':
        time.sleep(0.5)
        stack = other.stack(stack_id)
    assert stack.stack_status == 'CREATE_FAILED'
    assert "not one of this project's containers" in stack.stack_status_reason
    assert stack_containers(api, stack_id) == []
