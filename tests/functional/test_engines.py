"""Two heat-engines: either finishes what the other began."""

import json
import time

from .conftest import TIMEOUT
from .conftest import container
from .conftest import stack_containers
from .conftest import template

ENGINES = ('engine-a', 'engine-b')


def test_both_engines_are_listed(admin):
    listed = admin.openstack('orchestration', 'service', 'list', '-f', 'json')
    rows = json.loads(listed.stdout)
    for engine in ENGINES:
        assert [r for r in rows if r['Host'] == engine and r['Status'] == 'up']


def _app(memory):
    return template({'web': container(memory=memory)})


def test_another_engine_updates_and_deletes_what_one_created(demo, api, cloud):
    cloud.engine('stop', 'engine-b')
    try:
        stack_id = demo.create(_app('64m'))
    finally:
        cloud.engine('start', 'engine-b')
    first = demo.physical_id(stack_id, 'web')
    cloud.engine('stop', 'engine-a')
    try:
        demo.update(stack_id, _app('96m'))
        assert demo.physical_id(stack_id, 'web') == first
        memory = api.inspect_container(first)['HostConfig']['Memory']
        assert memory == 96 * 2**20
        demo.delete(stack_id)
        assert stack_containers(api, stack_id) == []
    finally:
        cloud.engine('start', 'engine-a')


def test_an_engine_killed_mid_create_leaves_nothing_after_delete(
    demo, api, cloud
):
    """engine-a alone starts a create of several containers and is killed
    (SIGKILL, master and workers) once the first exists; engine-b takes
    over the delete."""
    resources = {'c%d' % i: container() for i in range(6)}
    cloud.engine('stop', 'engine-b')
    try:
        stack_id = demo.create(template(resources), wait=False)
        deadline = time.monotonic() + TIMEOUT
        while not stack_containers(api, stack_id):
            assert time.monotonic() < deadline, 'no container was created'
            time.sleep(0.1)
        cloud.engine('kill', 'engine-a')
    finally:
        cloud.engine('start', 'engine-b')
    try:
        made = len(stack_containers(api, stack_id))
        assert 0 < made < len(resources)
        assert demo.stack(stack_id).stack_status == 'CREATE_IN_PROGRESS'
        demo.delete(stack_id, timeout=2 * TIMEOUT)
        assert stack_containers(api, stack_id) == []
    finally:
        cloud.engine('start', 'engine-a')
