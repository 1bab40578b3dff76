"""Secrets stay out of events, stack show, resource show, logs and the DB."""

import pathlib

from conftest import REGISTRY_PASSWORD
from conftest import REGISTRY_USER
from conftest import SLEEP

DB_PASSWORD = 'hidden-db-password-31415926'


def template(registry):
    return {
        'heat_template_version': '2021-04-16',
        'parameters': {
            'db_password': {'type': 'string', 'hidden': True},
            'registry_password': {'type': 'string', 'hidden': True},
        },
        'resources': {
            'c': {
                'type': 'DockerInc::Docker::Container',
                'properties': {
                    'image': '%s/heat-docker/busybox:latest' % registry,
                    'cmd': SLEEP,
                    'init': True,
                    'registry_credentials': {
                        'username': REGISTRY_USER,
                        'password': {'get_param': 'registry_password'},
                    },
                    'env': {'PLAIN': 'visible'},
                    'secret_env': {
                        'DB_PASSWORD': {'get_param': 'db_password'}
                    },
                },
            }
        },
        'outputs': {'info': {'value': {'get_attr': ['c', 'info']}}},
    }


def everything_heat_shows_or_keeps(stacks, heat, stack):
    ident = stack['stack_identity']
    seen = [
        repr(heat.engine.show_stack(heat.context, ident)),
        repr(stacks.resource(stack, 'c')),
    ]
    for event in heat.engine.list_events(heat.context, ident):
        seen.append(
            repr(
                heat.engine.list_events(
                    heat.context,
                    ident,
                    filters={
                        'uuid': event['event_identity']['path'].rsplit('/', 1)[
                            -1
                        ]
                    },
                )
            )
        )
    state = pathlib.Path(heat.state_dir)
    seen.append((state / 'heat.log').read_text(errors='replace'))
    for db_file in state.glob('heat.sqlite*'):
        seen.append(db_file.read_bytes().decode('latin-1'))
    return '\n'.join(seen)


def test_secrets_reach_the_container_and_nowhere_else(
    stacks, heat, api, registry
):
    params = {
        'db_password': DB_PASSWORD,
        'registry_password': REGISTRY_PASSWORD,
    }
    stack = stacks.create(template(registry), params)
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    container = stacks.container(stack, 'c')
    assert 'DB_PASSWORD=' + DB_PASSWORD in container['Config']['Env']
    info = stacks.outputs(stack)['info']
    assert 'DB_PASSWORD=******' in info['Config']['Env']
    assert 'PLAIN=visible' in info['Config']['Env']

    updated = stacks.update(stack, template(registry), params)
    assert updated['stack_status'] == 'COMPLETE'
    assert stacks.container(stack, 'c')['Id'] == container['Id']

    kept = everything_heat_shows_or_keeps(stacks, heat, updated)
    assert 'visible' in kept  # the grep sees what is there to see
    for secret in (DB_PASSWORD, REGISTRY_PASSWORD):
        at = kept.find(secret)
        assert at == -1, kept[max(0, at - 300) : at + 60]

    changed = stacks.update(
        stack,
        template(registry),
        {**params, 'db_password': 'another-one-2718'},
    )
    assert changed['stack_status'] == 'COMPLETE'
    replaced = stacks.container(stack, 'c')
    assert replaced['Id'] != container['Id']
    assert 'DB_PASSWORD=another-one-2718' in replaced['Config']['Env']
    api.remove_image('%s/heat-docker/busybox:latest' % registry, force=True)
