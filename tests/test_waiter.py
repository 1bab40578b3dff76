"""--wait against an engine whose answers are made certain.

The engine's restart itself is tested for real (tests/test_faults.py);
here the moment is made certain: the first wait finds no engine, as when
it was killed before answering.
"""

import io
import os
import socket
import threading
import types

import pytest

from heat_docker import engine_protocol as protocol
from heat_docker.cli import engine as engine_api
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
        'seq': i + 1,
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
    """The engine as the waiter sees it: none answers the first wait (an
    engine is started for the next); the next one tells the end of the
    create and its events, as the real one finds them in the database."""

    def __init__(self):
        self.asked = []
        self.ensured = 0

    def ensure(self):
        self.ensured += 1

    def action_state(self, stack_id, action, since, before, timeout, shown):
        assert (stack_id, action, before) == (STACK_ID, 'CREATE', None)
        self.asked.append((since, shown))
        assert len(self.asked) < 10, 'the end was never found'
        if len(self.asked) == 1:
            return None
        return {
            'ended': True,
            'status': 'CREATE_FAILED',
            'since': 0,
            'events': None if shown is None else EVENTS[shown:],
        }


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


@pytest.mark.parametrize(
    'formatter, shown, lines',
    [
        # Off a terminal, a line per event, from the action's first.
        ('table', 0, len(EVENTS)),
        # A machine format shows no progress: the end needs no events.
        ('json', None, 0),
    ],
)
def test_an_engine_that_did_not_answer_is_started_and_asked_again(
    formatter, shown, lines
):
    engine = RestartedEngine()
    stderr = io.StringIO()
    waiting = waiter_for(engine, stderr, formatter)
    status = waiting.wait('stacks/web/%s' % STACK_ID, None)
    assert status == 'CREATE_FAILED'
    assert engine.ensured == 1
    # Asked again from where the action began: no answer told it.
    assert engine.asked == [(None, shown), (None, shown)]
    assert stderr.getvalue().count('\n') == lines


class BusyEngine:
    """An action that stores an event at every answer and ends at the
    fifth."""

    def __init__(self):
        self.asked = []

    def action_state(self, stack_id, action, since, before, timeout, shown):
        self.asked.append((since, shown))
        ended = len(self.asked) == 5
        return {
            'ended': ended,
            'status': 'CREATE_COMPLETE' if ended else None,
            'since': 7,
            'events': [dict(EVENTS[0], seq=7 + len(self.asked))],
        }


def test_each_answer_brings_the_events_after_those_shown():
    engine = BusyEngine()
    stderr = io.StringIO()
    waiting = waiter_for(engine, stderr)
    assert waiting.wait('stacks/web/%s' % STACK_ID, 7) == 'CREATE_COMPLETE'
    assert engine.asked == [(None, 0), (7, 8), (7, 9), (7, 10), (7, 11)]
    assert stderr.getvalue().count('\n') == 5


# What an engine killed mid-answer has sent: its headers, or (wsgiref
# writes them apart) only its status line, Date and Server.
CUT_OFF_ANSWERS = {
    'in the body': (
        b'HTTP/1.0 200 OK\r\nContent-Type: application/json'
        b'\r\nContent-Length: 40\r\n\r\n{"ended'
    ),
    'in the headers': (
        b'HTTP/1.0 200 OK\r\nDate: Sat, 28 Nov 2026 11:00:00 GMT\r\n'
        b'Server: WSGIServer/0.2 CPython/3.11.7\r\n'
    ),
}


@pytest.fixture(params=sorted(CUT_OFF_ANSWERS))
def engine_cut_off(request, tmp_path):
    """An engine's socket whose every answer is cut off."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(os.path.join(tmp_path, protocol.SOCKET))
    server.listen()
    asked = []

    def answer():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                asked.append(conn.recv(65536).split(b' ')[1].decode())
                conn.sendall(CUT_OFF_ANSWERS[request.param])

    threading.Thread(target=answer, daemon=True).start()
    # "interrupted" makes it the engine's own: none is started.
    yield engine_api.Engine(tmp_path, interrupted=threading.Event()), asked
    server.close()


def test_an_answer_cut_off_by_the_engine_s_death_is_no_answer(engine_cut_off):
    engine, asked = engine_cut_off
    # A request that reached heat-api may have been done: not sent again.
    with pytest.raises(engine_api.EngineError, match='stopped answering'):
        engine.request('GET', 'stacks')
    assert engine.status() is None
    with pytest.raises(engine_api.EngineGone, match='stopped answering'):
        engine.last_event()
    with pytest.raises(engine_api.EngineGone, match='stopped answering'):
        engine.control('retire')
    # The last: after it, the next request would start an engine.
    assert engine.action_state(STACK_ID, 'CREATE', None, None, 1, 0) is None
    assert [path.split('?')[0] for path in asked] == [
        protocol.API_PREFIX + '/stacks',
        protocol.CONTROL_PATH,
        protocol.CONTROL_PATH + '/last-event',
        protocol.CONTROL_PATH + '/retire',
        protocol.CONTROL_PATH + '/action',
    ]
