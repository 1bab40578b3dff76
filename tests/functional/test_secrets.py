"""Secrets reach the container, and nothing Heat keeps or shows."""

import json

from .conftest import container
from .conftest import template

APP = template(
    {
        'web': container(
            secret_env={'API_KEY': {'get_param': 'api_key'}},
            registry_credentials={
                'registry': '127.0.0.1:5999',
                'username': 'heat',
                'password': {'get_param': 'registry_password'},
            },
        )
    },
    parameters={
        'api_key': {'type': 'string', 'hidden': True},
        'registry_password': {'type': 'string', 'hidden': True},
    },
)


def test_secrets_are_in_no_dump_log_event_or_show(demo, api, cloud):
    secrets = {
        'api_key': 'gate-api-key-7f3c91',
        'registry_password': 'gate-registry-pw-55e0a2',
    }
    stack_id = demo.create(APP, parameters=secrets)
    first = demo.physical_id(stack_id, 'web')
    env = api.inspect_container(first)['Config']['Env']
    assert 'API_KEY=%s' % secrets['api_key'] in env

    updated = {
        'api_key': 'gate-api-key-updated-0b4d',
        'registry_password': 'gate-registry-pw-updated-9c1e',
    }
    demo.update(stack_id, APP, parameters=updated)
    second = demo.physical_id(stack_id, 'web')
    env = api.inspect_container(second)['Config']['Env']
    assert 'API_KEY=%s' % updated['api_key'] in env

    seen = {
        'stack show': demo.openstack(
            'stack', 'show', stack_id, '-f', 'json'
        ).stdout,
        'resource show': demo.openstack(
            'stack', 'resource', 'show', stack_id, 'web', '-f', 'json'
        ).stdout,
        'events': demo.openstack(
            'stack', 'event', 'list', stack_id, '-f', 'json'
        ).stdout,
        # Each event of the container in full, with its properties.
        'event show': json.dumps(
            [
                demo.heat.events.get(stack_id, 'web', e.id).to_dict()
                for e in demo.heat.events.list(stack_id, resource_name='web')
            ]
        ),
        "Heat's database": cloud.mysqldump(),
        "the cloud's logs": cloud.logs(),
    }
    assert 'API_KEY' in seen['resource show']
    assert 'sha256:' in seen['event show']
    for where, text in seen.items():
        for secret in [*secrets.values(), *updated.values()]:
            assert secret not in text, '%s shows %s' % (where, secret)
