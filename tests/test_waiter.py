"""--wait against an engine whose answers are made certain.

The engine's restart itself is tested for real (tests/test_faults.py);
here the moment is made certain: the first wait finds no engine, as when
it was killed before answering, and the command has read events since.
How often events are read is counted on a clock the test moves.
"""

import io
import types

import pytest

from heat_docker.cli import waiter

STACK_ID = 'b0d4a2f1-0000-4000-8000-000000000001'
EVENTS = [
    {
        'id': 'event-%d' % i,
        'event_time': '2026-11-27T00:00:0%dZ' % i,
        'resource_name': name,
        'logical_resource_id': name,
        'physical_resource_id': STACK_ID if name == 'web' else 'c1',
        'resource_status': status,
        'resource_status_reason': '',
    }
    for i, (name, status) in enumerate(
        [
            ('web', 'CREATE_IN_PROGRESS'),
            ('c1', 'CREATE_IN_PROGRESS'),
            ('web', 'CREATE_FAILED'),
        ]
    )
]


class RestartedEngine:
    """The engine as the waiter sees it: none answers the first wait; the
    next one tells the end of the action that began after ``marker`` (a
    create: after no event), as the real one finds it in the database."""

    def __init__(self):
        self.markers = []

    def action_state(self, stack_id, action, since, marker, timeout):
        assert (stack_id, action) == (STACK_ID, 'CREATE')
        self.markers.append(marker)
        assert len(self.markers) < 10, 'the end was never found'
        if len(self.markers) == 1:
            return None
        began = [e['id'] for e in EVENTS].index(marker) + 1 if marker else 0
        ended = 'CREATE_FAILED' in [
            e['resource_status']
            for e in EVENTS[began:]
            if e['physical_resource_id'] == STACK_ID
        ]
        return {
            'ended': ended,
            'status': 'CREATE_FAILED' if ended else None,
            'since': began,
            'progress': '2:%d' % len(self.markers),
        }

    def call(self, method, path, marker=None, sort_dir=None):
        assert (method, path) == ('GET', 'stacks/web/%s/events' % STACK_ID)
        ids = [e['id'] for e in EVENTS]
        return {'events': EVENTS[ids.index(marker) + 1 if marker else 0 :]}


def waiter_for(engine, stderr, formatter='table'):
    app = types.SimpleNamespace(
        engine=engine,
        stderr=stderr,
        options=types.SimpleNamespace(verbose_level=1),
    )
    return waiter.Waiter(
        types.SimpleNamespace(app=app),
        types.SimpleNamespace(wait=True, formatter=formatter),
        'CREATE',
    )


def test_the_action_is_found_from_the_marker_it_began_at():
    engine = RestartedEngine()
    stderr = io.StringIO()
    waiting = waiter_for(engine, stderr)
    status = waiting.wait('stacks/web/%s' % STACK_ID, None)
    assert status == 'CREATE_FAILED'
    # The events were read to their end before the engine answered; it
    # is still asked from where the action began.
    assert engine.markers == [None, None]
    assert stderr.getvalue().count('\n') == len(EVENTS)


class BusyEngine:
    """An action whose progress changes at every answer and that ends at
    the tenth; each answer takes PROGRESS_SECONDS on the test's clock."""

    def __init__(self):
        self.now = 0.0
        self.answers = 0
        self.reads = []

    def action_state(self, stack_id, action, since, marker, timeout):
        self.now += timeout
        self.answers += 1
        ended = self.answers == 10
        return {
            'ended': ended,
            'status': 'CREATE_COMPLETE' if ended else None,
            'since': 0,
            'progress': str(self.answers),
        }

    def call(self, method, path, marker=None, sort_dir=None):
        self.reads.append(self.now)
        return {'events': []}


@pytest.mark.parametrize(
    'formatter, reads',
    [
        # Off a terminal, a line per event: read at most once a second,
        # and at the end.
        ('table', [0.2, 1.2, 2.0]),
        # A machine format shows no progress: the end needs no events.
        ('json', []),
    ],
)
def test_events_are_read_as_often_as_the_display_wants(
    monkeypatch, formatter, reads
):
    engine = BusyEngine()
    monkeypatch.setattr(waiter.time, 'monotonic', lambda: engine.now)
    waiting = waiter_for(engine, io.StringIO(), formatter)
    assert waiting.wait('stacks/web/%s' % STACK_ID, None) == 'CREATE_COMPLETE'
    assert engine.reads == pytest.approx(reads)
