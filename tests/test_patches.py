"""Each change the standalone engine makes to Heat is checked at start."""

import dataclasses
from importlib import metadata
import io
import threading

import pytest

from heat_docker.standalone import patches
from heat_docker.standalone import patching

TARGETS = [patch.target for patch in patches.PATCHES]


@pytest.mark.parametrize('patch', patches.PATCHES, ids=TARGETS)
def test_the_target_has_the_shape_the_change_expects(heat, patch):
    patching.check(patch)


@pytest.mark.parametrize('patch', patches.PATCHES, ids=TARGETS)
def test_a_target_gone_stops_the_engine_naming_its_library(heat, patch):
    # A sibling that does not exist stands for the target gone: deleting
    # the real one would break the engine's threads that read it.
    gone = dataclasses.replace(patch, target=patch.target + '_gone')
    with pytest.raises(patching.HeatChanged) as refused:
        patching.check(gone)
    message = str(refused.value)
    assert '%s is gone' % gone.target in message
    library = {
        'heat': 'openstack-heat',
        'futurist': 'futurist',
        'oslo_messaging': 'oslo.messaging',
        'cliff': 'cliff',
        'sqlalchemy': 'SQLAlchemy',
    }[gone.target.split('.')[0]]
    assert 'on %s %s:' % (library, metadata.version(library)) in message


def test_a_target_of_another_shape_is_refused(heat, monkeypatch):
    from heat.engine import sync_point

    monkeypatch.setattr(sync_point, 'update_sync_point', lambda context: 0)
    with pytest.raises(patching.HeatChanged, match=r'takes \(context\)'):
        patching.check(patches.PATCHES[0])


def test_a_target_no_longer_used_so_is_refused(heat, monkeypatch):
    [clients] = [
        p for p in patches.PATCHES if p.target == 'heat.engine.clients._mgr'
    ]
    monkeypatch.setattr(
        patching.inspect, 'getsource', lambda module: 'nothing of _mgr'
    )
    with pytest.raises(patching.HeatChanged, match='is no longer used as'):
        patching.check(clients)


def _listener(topic):
    """An in-process message bus and a listener of ``topic`` on it."""
    import oslo_messaging
    from oslo_messaging._drivers import impl_fake

    exchanges = impl_fake.FakeExchangeManager('heat-docker-test')
    target = oslo_messaging.Target(topic=topic, exchange='heat-docker-test')
    return exchanges, impl_fake.FakeListener(exchanges, [target])


def _in_thread(function):
    thread = threading.Thread(target=function, daemon=True)
    thread.start()
    return thread


def test_a_delivered_message_wakes_the_waiting_listener(heat):
    exchanges, listener = _listener('wake-test')
    received = []
    waiting = _in_thread(lambda: received.extend(listener.poll(timeout=30)))
    before = patches._deliveries
    exchanges.get_exchange('heat-docker-test').deliver_message(
        'wake-test', {}, {'method': 'ping'}
    )
    waiting.join(30)
    assert patches._deliveries == before + 1
    assert [m.message for m in received] == [{'method': 'ping'}]


def test_a_stopped_listener_is_woken(heat, monkeypatch):
    # Were it not woken, it would wait for its own look, an hour here.
    monkeypatch.setattr(patches, 'IDLE_WAKE_SECONDS', 3600)
    _, listener = _listener('stop-test')
    received = []
    waiting = _in_thread(lambda: received.extend(listener.poll()))
    while not waiting.is_alive():
        threading.Event().wait(0.01)
    listener.stop()
    waiting.join(30)
    assert not waiting.is_alive()
    assert received == []


def test_a_stopped_worker_is_woken(heat, monkeypatch):
    import futurist
    from futurist import _thread as futurist_thread

    # Were it not woken, an idle worker would wait for work for ever.
    monkeypatch.setattr(futurist_thread.ThreadWorker, 'MAX_IDLE_FOR', None)
    executor = futurist.ThreadPoolExecutor(max_workers=2)
    executor.submit(lambda: None).result(timeout=10)
    [worker] = executor._workers
    while not worker.idle:
        threading.Event().wait(0.01)
    stopping = _in_thread(executor.shutdown)
    stopping.join(30)
    try:
        assert not stopping.is_alive()
        assert not worker.is_alive()
    finally:  # else the worker would hold the test run's exit for ever
        worker.work_queue.put(patches._NO_WORK)


def test_sync_points_are_kept_in_memory_one_entry_per_completion(heat):
    from heat.common import exception
    from heat.engine import sync_point

    # The functions of heat.engine.sync_point are the store's own.
    assert sync_point.update_sync_point == (
        patches._SYNC_POINTS.update_sync_point
    )
    sync_point.create(None, 'stack-id', 'traversal', True, 'stack-id')
    predecessors = {(1, True), (2, True)}
    seen = []

    def propagate(entity_id, input_data, failures, skip):
        seen.append((entity_id, input_data, failures, skip))

    for resource in (1, 2):
        sync_point.sync(
            None,
            'stack-id',
            'traversal',
            True,
            propagate,
            predecessors,
            {(resource, True): {'id': resource}},
            {'r%d' % resource: 'failed'} if resource == 2 else None,
        )
    assert seen == [
        (
            'stack-id',
            sync_point.serialize_input_data(
                {(1, True): {'id': 1}, (2, True): {'id': 2}}
            ),
            {'r2': 'failed'},
            False,
        )
    ]
    stored = sync_point.get(None, 'stack-id', 'traversal', True)
    assert sync_point.deserialize_input_data(stored.input_data) == {
        (1, True): {'id': 1},
        (2, True): {'id': 2},
    }
    assert sync_point.delete_all(None, 'stack-id', 'traversal') == 1
    with pytest.raises(exception.EntityNotFound):
        sync_point.get(None, 'stack-id', 'traversal', True)


def test_executor_threads_are_added_only_when_idle_ones_cannot_take_work(
    heat,
):
    import threading

    import futurist

    executor = futurist.ThreadPoolExecutor(max_workers=8)
    try:
        # One task after another: the one idle thread takes each.
        for _ in range(5):
            executor.submit(lambda: None).result(timeout=10)
            while not all(w.idle for w in executor._workers):
                threading.Event().wait(0.01)
        assert executor.num_workers == 1

        # Four at once, each waiting for the others: none waits behind
        # another, so four threads run them.
        together = threading.Barrier(4, timeout=10)
        running = [executor.submit(together.wait) for _ in range(4)]
        for future in running:
            future.result(timeout=20)
        assert executor.num_workers == 4
    finally:
        executor.shutdown()


def test_resources_take_turns_in_order_until_their_first_wait(heat):
    """At most SLOTS checks run up to their first wait (Heat's
    ``TaskRunner._sleep``, patched), in the order they came; turns held
    past LONGEST_WAIT_SECONDS with no one admitted let the others go on."""
    import threading
    import time

    from heat.engine import scheduler
    from heat.engine import worker

    from heat_docker.standalone import admission

    patched = worker.WorkerService.check_resource
    assert patched.__code__.co_name == 'check_resource_in_turn'
    turns = admission.TURNS
    order, running, most, turned = [], [], [0], []
    lock = threading.Lock()

    def check(name):
        """One resource's check: its work in its turn, then its polls."""
        turned.append(turns.holding())
        with lock:
            order.append(name)
            running.append(name)
            most[0] = max(most[0], len(running))
        time.sleep(0.05)
        with lock:
            running.remove(name)
        scheduler.TaskRunner._sleep(None, 0)  # the first wait
        turned.append(turns.holding())
        time.sleep(0.2)

    threads = []
    for name in range(6):
        threads.append(threading.Thread(target=turns.run, args=(check, name)))
        threads[-1].start()
        time.sleep(0.01)  # they come in this order
    for thread in threads:
        thread.join(10)
    assert order == list(range(6))
    assert most[0] == admission.SLOTS
    assert turned.count(True) == turned.count(False) == 6

    slow = admission.Turns(slots=1, longest_wait=0.2)
    held, release = threading.Event(), threading.Event()

    def pull():
        held.set()
        release.wait(10)

    holder = threading.Thread(target=slow.run, args=(pull,))
    holder.start()
    held.wait(10)
    began = time.monotonic()
    slow.run(lambda: None)
    waited = time.monotonic() - began
    release.set()
    holder.join(10)
    assert 0.15 < waited < 2


def test_a_commands_thread_fits_tables_to_its_users_terminal(heat):
    from cliff import utils

    from heat_docker.standalone import commands

    engines_own = utils.terminal_width()
    with commands.users_terminal(io.StringIO(), io.StringIO(), 57):
        assert utils.terminal_width() == 57
        others = []
        other = threading.Thread(
            target=lambda: others.append(utils.terminal_width())
        )
        other.start()
        other.join()
        assert others == [engines_own]
    assert utils.terminal_width() == engines_own


def test_a_notification_is_built_only_when_a_driver_sends_it(
    heat, monkeypatch
):
    from heat.common import messaging
    from heat.common import template_format
    from heat.engine import stack as parser
    from heat.engine import template
    from heat.engine.notification import stack as stack_notification
    from oslo_config import cfg
    import oslo_messaging
    from oslo_messaging.notify import _impl_test

    stack = parser.Stack(
        heat.context,
        'notified',
        template.Template(
            template_format.parse('heat_template_version: 2021-04-16\n')
        ),
    )
    stack.action, stack.status = stack.CREATE, stack.COMPLETE
    built = []
    monkeypatch.setattr(
        stack_notification.engine_api,
        'format_notification_body',
        lambda notified: built.append(notified) or {'stack_name': 'x'},
    )
    # The engine's own configuration: no driver.
    stack_notification.send(stack)
    assert built == []

    cfg.CONF.set_override(
        'driver', ['test'], group='oslo_messaging_notifications'
    )
    try:
        monkeypatch.setattr(
            messaging,
            'NOTIFIER',
            oslo_messaging.Notifier(messaging.NOTIFICATIONS_TRANSPORT),
        )
        monkeypatch.setattr(_impl_test, 'NOTIFICATIONS', [])
        stack_notification.send(stack)
    finally:
        cfg.CONF.clear_override('driver', group='oslo_messaging_notifications')
    assert built == [stack]
    [(_context, message, _priority, _retry)] = _impl_test.NOTIFICATIONS
    assert message['event_type'] == 'orchestration.stack.create.end'


def test_resource_modules_for_openstack_services_are_left_unloaded(heat):
    import sys

    from heat.common import exception
    from heat.engine import resources

    for module in patches.UNLOADED_MODULES:
        assert module not in sys.modules
    env = resources.global_env()
    with pytest.raises(exception.EntityNotFound):
        env.get_class('OS::Neutron::VPNService')
    # The other modules of the package are loaded as ever.
    assert env.get_class('OS::Neutron::Net').__name__ == 'Net'
