"""Independent resources are worked on in parallel; stacks run side by side."""

import pathlib
import time

from conftest import container_template

WIDTH = 6


def wide_template():
    """WIDTH independent containers, each healthy only after 2 s, and
    ignoring SIGTERM so that deletes wait out a 1 s grace."""
    slow = {
        'cmd': [
            'sh',
            '-c',
            'sleep 2; touch /tmp/ready; while true; do sleep 1; done',
        ],
        'healthcheck': {
            'test': 'test -f /tmp/ready',
            'interval': '500ms',
            'start_period': '10s',
        },
        'completion': 'healthy',
        'stop_timeout': 1,
    }
    template = container_template(slow)
    for i in range(1, WIDTH):
        template['resources']['c%d' % i] = template['resources']['c']
    return template


def test_independent_containers_are_created_and_deleted_in_parallel(
    stacks, api
):
    since = time.time()
    stack = stacks.create(wide_template())
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    created = stacks.container_events(stack, since, ('start', 'health_status'))
    starts = [e.time for e in created if e.action == 'start']
    healthy = [e.time for e in created if e.action == 'health_status: healthy']
    assert len(starts) == len(healthy) == WIDTH
    # Every container started before the first became healthy (2 s in).
    assert max(starts) < min(healthy)

    since = time.time()
    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    deleted = stacks.container_events(stack, since, ('kill', 'die'))
    terms = [e.time for e in deleted if (e.action, e.signal) == ('kill', '15')]
    dies = [e.time for e in deleted if e.action == 'die']
    assert len(terms) == WIDTH
    assert len(dies) == WIDTH
    # Each got its stop signal before any had to be killed after the grace.
    assert max(terms) < min(dies)


def test_stacks_run_side_by_side_without_database_errors(stacks, heat):
    names = []
    for _ in range(4):
        ident = heat.engine.create_stack(
            heat.context,
            'side-%d' % time.monotonic_ns(),
            container_template(
                {'cmd': ['sh', '-c', 'exec sleep 1000'], 'init': True}
            ),
            {},
            {},
            {},
        )
        stacks.created.append(ident)
        names.append(ident)
    finished = [stacks.wait(ident) for ident in names]
    assert [s['stack_status'] for s in finished] == ['COMPLETE'] * 4
    for stack in finished:
        assert stacks.delete(stack) == 'DELETE_COMPLETE'
    log = pathlib.Path(heat.state_dir, 'heat.log').read_text()
    assert 'database is locked' not in log
