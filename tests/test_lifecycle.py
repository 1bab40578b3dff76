"""Day two: replacement, rollback, converge, adopt, abandon, snapshots."""

import http.client
import json
import pathlib
import socket
import threading
import time
import urllib.request

from conftest import IMAGE
from conftest import SLEEP
from conftest import container_template
import pytest


def _free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def server(text, port=None, name=None):
    """A container answering ``text`` over HTTP, published on 127.0.0.1."""
    props = {
        'cmd': [
            'sh',
            '-c',
            'echo %s > /tmp/index.html && exec httpd -f -p 80 -h /tmp' % text,
        ],
        'init': True,
        'ports': [{'container_port': 80, 'host_ip': '127.0.0.1'}],
    }
    if port:
        props['ports'][0]['host_port'] = port
    if name:
        props['name'] = name
    return container_template(props)


def test_replacement_starts_the_new_container_before_the_old_stops(
    stacks, api
):
    name = 'hd-fixed-%d' % time.monotonic_ns()
    stack = stacks.create(server('one', name=name))
    old = stacks.container(stack, 'c')['Id']
    since = time.time()
    updated = stacks.update(stack, server('two', name=name))
    assert updated['stack_status'] == 'COMPLETE', updated[
        'stack_status_reason'
    ]
    new = stacks.container(stack, 'c')
    assert new['Id'] != old
    # The fixed name was handed over once the old container was gone.
    assert new['Name'] == '/' + name
    events = stacks.container_events(stack, since, ('start', 'die'))
    new_started = min(
        e.time
        for e in events
        if (e.container, e.action) == (new['Id'], 'start')
    )
    old_died = min(
        e.time for e in events if (e.container, e.action) == (old, 'die')
    )
    assert new_started < old_died
    assert [c['Id'] for c in stacks.owned_containers(stack)] == [new['Id']]


def test_replacement_on_a_fixed_host_port_stops_the_old_one_first(
    stacks, record_property
):
    port = _free_port()
    url = 'http://127.0.0.1:%d/' % port
    stack = stacks.create(server('old', port=port))
    answers = []
    done = threading.Event()

    def watch():
        while not done.is_set():
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    answers.append(
                        (time.monotonic(), response.read().decode().strip())
                    )
            except (OSError, http.client.HTTPException):
                # Refused, or cut off mid-answer as the old one stops.
                pass
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        updated = stacks.update(stack, server('new', port=port))
        deadline = time.monotonic() + 10
        while not any(text == 'new' for _, text in answers):
            assert time.monotonic() < deadline, 'new container never answered'
            time.sleep(0.05)
    finally:
        done.set()
        watcher.join()
    assert updated['stack_status'] == 'COMPLETE', updated[
        'stack_status_reason'
    ]
    last_old = max(t for t, text in answers if text == 'old')
    first_new = min(t for t, text in answers if text == 'new')
    gap = first_new - last_old
    record_property('fixed_port_replacement_gap_s', round(gap, 3))
    print('fixed host port: %.2f s without an answer during replacement' % gap)
    # The stop grace (init forwards SIGTERM, so httpd stops at once) plus
    # one start.
    assert 0 < gap < 5


def test_failed_update_rolls_back_to_the_running_original(stacks, api):
    stack = stacks.create(container_template({'cmd': SLEEP, 'init': True}))
    original = stacks.container(stack, 'c')
    stacks.update(
        stack,
        # A command that cannot start fails at once, whatever the timing.
        container_template({'cmd': ['/bin/no-such-program']}),
        disable_rollback=False,
    )
    updated = stacks.rolled_back(stack)
    assert updated['stack_status'] == 'COMPLETE', updated[
        'stack_status_reason'
    ]
    after = api.inspect_container(original['Id'])
    assert after['State']['Running']
    assert after['Config']['Cmd'] == SLEEP
    assert stacks.container(stack, 'c')['Id'] == original['Id']
    assert [c['Id'] for c in stacks.owned_containers(stack)] == [
        original['Id']
    ]


def test_failed_update_on_a_fixed_port_restarts_the_original(stacks, api):
    port = _free_port()
    stack = stacks.create(server('old', port=port))
    original = stacks.container(stack, 'c')['Id']
    broken = server('new', port=port)
    broken['resources']['c']['properties']['cmd'] = ['/bin/no-such-program']
    stacks.update(stack, broken, disable_rollback=False)
    updated = stacks.rolled_back(stack)
    assert updated['stack_status'] == 'COMPLETE', updated
    assert api.inspect_container(original)['State']['Running']
    with urllib.request.urlopen(
        'http://127.0.0.1:%d/' % port, timeout=5
    ) as response:
        assert response.read().decode().strip() == 'old'


def test_converge_recreates_a_container_removed_by_hand(stacks, api):
    template = container_template({'cmd': SLEEP, 'init': True})
    stack = stacks.create(template)
    old = stacks.container(stack, 'c')['Id']
    api.remove_container(old, force=True)
    updated = stacks.update(stack, template, existing=True, converge=True)
    assert updated['stack_status'] == 'COMPLETE', updated[
        'stack_status_reason'
    ]
    new = stacks.container(stack, 'c')
    assert new['Id'] != old and new['State']['Running']


def test_converge_restarts_a_stopped_container_and_repairs_drift(stacks, api):
    template = container_template(
        {
            'cmd': SLEEP,
            'init': True,
            'memory': '64m',
            'cpu_shares': 512,
            'labels': {'tier': 'app'},
        }
    )
    stack = stacks.create(template)
    container = stacks.container(stack, 'c')['Id']
    api.stop(container, timeout=0)
    api.update_container(container, mem_limit='80m', cpu_shares=700)
    updated = stacks.update(stack, template, existing=True, converge=True)
    assert updated['stack_status'] == 'COMPLETE', updated[
        'stack_status_reason'
    ]
    info = api.inspect_container(container)
    assert stacks.container(stack, 'c')['Id'] == container
    assert info['State']['Running']
    assert info['HostConfig']['Memory'] == 64 << 20
    assert info['HostConfig']['CpuShares'] == 512


def test_converge_leaves_alone_what_the_template_did_not_set(stacks, api):
    # The image's own environment and engine defaults are not drift.
    template = container_template(
        {'cmd': SLEEP, 'init': True, 'env': {'A': '1'}}
    )
    stack = stacks.create(template)
    container = stacks.container(stack, 'c')['Id']
    updated = stacks.update(stack, template, existing=True, converge=True)
    assert updated['stack_status'] == 'COMPLETE'
    assert stacks.container(stack, 'c')['Id'] == container


def _abandoned_and_adopted(stacks, heat, stack):
    """``stack`` abandoned, then adopted from its abandon data; the stack
    adopted."""
    data = heat.engine.abandon_stack(heat.context, stack['stack_identity'])
    stacks.created.remove(stack['stack_identity'])
    adopted = stacks.create(
        data['template'],
        args={'adopt_stack_data': json.dumps(data, default=dict)},
    )
    assert (adopted['stack_action'], adopted['stack_status']) == (
        'ADOPT',
        'COMPLETE',
    ), adopted['stack_status_reason']
    return adopted


def test_abandon_keeps_the_container_and_adopt_takes_it_back(
    stacks, api, heat
):
    stack = stacks.create(container_template({'cmd': SLEEP, 'init': True}))
    container = stacks.container(stack, 'c')['Id']
    adopted = _abandoned_and_adopted(stacks, heat, stack)
    assert stacks.container(adopted, 'c')['Id'] == container
    assert api.inspect_container(container)['State']['Running']
    assert stacks.delete(adopted) == 'DELETE_COMPLETE'
    assert api.containers(all=True, filters={'id': container}) == []


def test_external_container_is_used_and_left_alone(stacks, api):
    outside = api.create_container(IMAGE, command=SLEEP)['Id']
    api.start(outside)
    try:
        template = container_template({'cmd': SLEEP})
        template['resources']['c']['external_id'] = outside
        template['outputs'] = {
            'status': {'value': {'get_attr': ['c', 'status']}}
        }
        stack = stacks.create(template)
        assert stack['stack_status'] == 'COMPLETE', stack[
            'stack_status_reason'
        ]
        assert stacks.outputs(stack)['status'] == 'running'
        assert stacks.delete(stack) == 'DELETE_COMPLETE'
        assert api.inspect_container(outside)['State']['Running']
    finally:
        api.remove_container(outside, force=True)


def _snapshot(heat, stack):
    snapshot = heat.engine.stack_snapshot(
        heat.context, stack['stack_identity'], 'before'
    )
    deadline = time.monotonic() + 60
    while snapshot['status'] == 'IN_PROGRESS':
        assert time.monotonic() < deadline
        time.sleep(0.2)
        snapshot = heat.engine.show_snapshot(
            heat.context, stack['stack_identity'], snapshot['id']
        )
    assert snapshot['status'] == 'COMPLETE', snapshot['status_reason']
    return snapshot


def _snapshot_images(api):
    return sorted(
        tag
        for image in api.images(name='localhost/heat-docker-snapshot')
        for tag in image['RepoTags']
    )


HOT_CONTAINER = container_template({'cmd': SLEEP, 'init': True})
CFN_2013_CONTAINER = {
    'AWSTemplateFormatVersion': '2010-09-09',
    'Resources': {
        'c': {
            'Type': 'OS::Heat::Docker',
            'Properties': {'Image': IMAGE, 'Cmd': SLEEP},
        }
    },
}


@pytest.mark.parametrize(
    'template', [HOT_CONTAINER, CFN_2013_CONTAINER], ids=['hot', '2013']
)
def test_snapshot_and_restore_bring_back_a_files_contents(
    stacks, api, heat, template
):
    stack = stacks.create(template)
    container = stacks.container(stack, 'c')['Id']
    run = api.exec_create(container, ['sh', '-c', 'echo kept > /tmp/state'])
    api.exec_start(run)

    snapshot = _snapshot(heat, stack)
    image = snapshot['data']['resources']['c']['resource_data'][
        'snapshot_image'
    ]
    assert api.inspect_image(image)['RepoTags'] == [image]

    api.remove_container(container, force=True)
    restored = stacks.action(stack, 'restore', snapshot['id'])
    assert restored['stack_status'] == 'COMPLETE', restored[
        'stack_status_reason'
    ]
    back = stacks.container(stack, 'c')
    assert back['Id'] != container
    run = api.exec_create(back['Id'], ['cat', '/tmp/state'])
    assert api.exec_start(run).decode().strip() == 'kept'

    heat.engine.delete_snapshot(
        heat.context, stack['stack_identity'], snapshot['id']
    )
    deadline = time.monotonic() + 30
    while api.images(name=image.rsplit(':', 1)[0]):
        assert time.monotonic() < deadline, 'snapshot image not removed'
        time.sleep(0.2)


@pytest.mark.parametrize(
    'template', [HOT_CONTAINER, CFN_2013_CONTAINER], ids=['hot', '2013']
)
def test_deleting_a_stack_removes_its_snapshot_images(
    stacks, api, heat, template
):
    before = _snapshot_images(api)
    stack = stacks.create(template)
    _snapshot(heat, stack)
    restored = stacks.action(stack, 'restore', _snapshot(heat, stack)['id'])
    assert restored['stack_status'] == 'COMPLETE'
    assert len(_snapshot_images(api)) == len(before) + 2
    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert _snapshot_images(api) == before


def test_a_new_stack_never_gets_a_deleted_stacks_row_ids(stacks, heat):
    """sqlite would hand a deleted newest row's id to the next insert."""
    import sqlite3

    def row_ids(stack):
        with sqlite3.connect(
            pathlib.Path(heat.state_dir, 'heat.sqlite')
        ) as db:
            return db.execute(
                'SELECT stack.user_creds_id, resource.id FROM stack '
                'JOIN resource ON resource.stack_id = stack.id '
                'WHERE stack.id = ?',
                (stack['stack_identity']['stack_id'],),
            ).fetchone()

    template = container_template({'cmd': SLEEP})
    first = stacks.create(template)
    first_ids = row_ids(first)
    assert stacks.delete(first) == 'DELETE_COMPLETE'
    second = stacks.create(template)
    assert second['stack_status'] == 'COMPLETE', second
    creds_id, resource_id = row_ids(second)
    assert creds_id > first_ids[0]
    assert resource_id > first_ids[1]


def test_delete_removes_a_container_made_but_never_recorded(stacks, api):
    """As if the engine died between Docker's create and recording the
    container's id: Heat knows the resource, not the container."""
    from heat.objects import resource as resource_objects

    stack = stacks.create(container_template({'cmd': SLEEP}))
    made = stacks.container(stack, 'c')['Id']
    record = resource_objects.Resource.get_by_name_and_stack(
        stacks.ctx, 'c', stack['stack_identity']['stack_id']
    )
    resource_objects.Resource.update_by_id(
        stacks.ctx,
        record.id,
        {'physical_resource_id': None, 'status': 'IN_PROGRESS'},
    )
    assert stacks.resource(stack, 'c')['physical_resource_id'] == ''

    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert made not in [c['Id'] for c in api.containers(all=True)]


def test_an_adopted_stack_takes_its_snapshot_images_with_it(stacks, api, heat):
    before = _snapshot_images(api)
    stack = stacks.create(HOT_CONTAINER)
    _snapshot(heat, stack)
    restored = stacks.action(stack, 'restore', _snapshot(heat, stack)['id'])
    assert restored['stack_status'] == 'COMPLETE'
    # Its container and the images committed from it carry the labels of
    # the stack it was made in.
    adopted = _abandoned_and_adopted(stacks, heat, stack)
    assert len(_snapshot_images(api)) == len(before) + 2
    assert stacks.delete(adopted) == 'DELETE_COMPLETE'
    assert _snapshot_images(api) == before
