"""Docker objects labelled as Heat's whose stack or resource is gone."""

import json
import os
import subprocess
import sys
import uuid

from conftest import IMAGE
from conftest import SLEEP
from test_cli import delete_stack
from test_cli import run
from test_cli import succeeded

TEMPLATE = (
    """
heat_template_version: 2021-04-16
resources:
  live:
    type: DockerInc::Docker::Container
    properties:
      image: %s
      cmd: [sh, -c, exec sleep 1000]
"""
    % IMAGE
)


DEPLOYMENT = 'org.openstack.heat.deployment'


def _labelled(api, deployment, stack_id, resource_uuid):
    """A container labelled as Heat's, made behind Heat's back."""
    return api.create_container(
        IMAGE,
        SLEEP,
        labels={
            DEPLOYMENT: deployment,
            'org.openstack.heat.stack-id': stack_id,
            'org.openstack.heat.stack-name': 'orphans-test',
            'org.openstack.heat.resource-name': 'c',
            'org.openstack.heat.resource-uuid': resource_uuid,
        },
    )['Id']


def _listed(state, docker_host):
    """The rows of ``stack orphans -f json``."""
    return json.loads(
        succeeded(
            run(
                state,
                'stack',
                'orphans',
                '-f',
                'json',
                docker_host=docker_host,
            )
        )
    )


def test_orphans_are_listed_and_removed(tmp_path, api, docker_host):
    template = tmp_path / 'live.yaml'
    template.write_text(TEMPLATE)
    name = 'orphans-%s' % uuid.uuid4().hex[:8]
    state = tmp_path / 'state'
    succeeded(
        run(
            state,
            'stack',
            'create',
            name,
            '-t',
            str(template),
            '--wait',
            docker_host=docker_host,
        )
    )
    stack_id = json.loads(
        succeeded(run(state, 'stack', 'show', name, '-f', 'json'))
    )['id']
    [live] = api.containers(
        filters={'label': 'org.openstack.heat.stack-id=%s' % stack_id}
    )
    deployment = live['Labels'][DEPLOYMENT]
    live = live['Id']
    stack_gone = _labelled(api, deployment, str(uuid.uuid4()), 'r1')
    resource_gone = _labelled(api, deployment, stack_id, 'r2')
    # Another Heat's container, on the same engine: not this one's orphan.
    other_heat = _labelled(api, 'another-heat', str(uuid.uuid4()), 'r3')

    listed = _listed(state, docker_host)
    reasons = {row['ID']: row['Reason'] for row in listed}
    assert reasons.get(stack_gone) == 'stack is gone'
    assert reasons.get(resource_gone) == 'resource is gone'
    assert live not in reasons and other_heat not in reasons

    # An operator's heat-engine reads the same database through heat.conf.
    conf = tmp_path / 'heat.conf'
    conf.write_text(
        '[DEFAULT]\nauth_encryption_key = %s\n'
        '[database]\nconnection = sqlite:///%s\n'
        % (
            (state / 'auth_encryption_key').read_text().strip(),
            state / 'heat.sqlite',
        )
    )
    operator = subprocess.run(
        [
            os.path.join(
                os.path.dirname(sys.executable), 'heat-docker-orphans'
            ),
            '--config-file',
            str(conf),
            '--endpoint',
            docker_host,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert operator.returncode == 0, operator.stderr
    lines = operator.stdout.splitlines()
    assert any(
        stack_gone in line and 'stack is gone' in line for line in lines
    )
    assert not any(live in line for line in lines)

    succeeded(
        run(state, 'stack', 'orphans', '--remove', docker_host=docker_host)
    )
    remaining = {c['Id'] for c in api.containers(all=True)}
    assert stack_gone not in remaining and resource_gone not in remaining
    assert live in remaining and other_heat in remaining
    api.remove_container(other_heat, force=True)
    delete_stack(state, name, docker_host)


def test_an_adopted_stack_s_container_is_no_orphan(tmp_path, api, docker_host):
    """Adopted objects keep the labels of the stack they were abandoned
    from, whose id is gone: the resource that holds them decides."""
    template = tmp_path / 'live.yaml'
    template.write_text(TEMPLATE)
    abandoned = 'abandoned-%s' % uuid.uuid4().hex[:8]
    adopted = 'adopted-%s' % uuid.uuid4().hex[:8]
    state = tmp_path / 'state'
    data = tmp_path / 'abandoned.json'
    for command in (
        ('create', abandoned, '-t', str(template), '--wait'),
        ('abandon', abandoned, '--output-file', str(data)),
        ('adopt', adopted, '--adopt-file', str(data), '--wait'),
    ):
        succeeded(run(state, 'stack', *command, docker_host=docker_host))
    [container] = json.loads(data.read_text())['resources'].values()
    held = container['resource_id']

    listed = _listed(state, docker_host)
    assert held not in {row['ID'] for row in listed}
    succeeded(
        run(state, 'stack', 'orphans', '--remove', docker_host=docker_host)
    )
    assert api.inspect_container(held)['State']['Running']
    delete_stack(state, adopted, docker_host)
