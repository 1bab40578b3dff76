"""Every change the standalone engine makes to Heat's internals, and to
its libraries', in one place.

Heat paces itself for many engines sharing a message bus, and loads
every plugin it knows at start-up; one engine in one process wants
neither. Each change is a :class:`~.patching.Patch`: what it replaces,
why, the shape it expects of its target, and how it applies.
:func:`apply_all` checks every target first and refuses to start, naming
the library and its version, when one is gone or has changed: a
replacement that silently stopped matching would leave the engine slow
or wrong instead of failing. None of this applies to the plugin in a
heat-engine.
"""

import dataclasses
import functools
from importlib import metadata
import threading
import time
import types

from oslo_log import log as logging

from heat_docker import container_state
from heat_docker.standalone import admission
from heat_docker.standalone import patching

LOG = logging.getLogger(__name__)

# An in-progress resource (check_*_complete) is polled after FIRST_POLL s,
# then at doubling intervals up to Heat's own wait (1 s): a started
# container is judged once it has settled.
FIRST_POLL = container_state.SETTLE_SECONDS
# Threads with nothing to do (executor workers, message listeners) are
# woken when there is something: work queued, a message delivered, their
# stop. They also look by themselves this often, in case.
IDLE_WAKE_SECONDS = 10
# Connections kept open per engine (writer, reader); more are opened when
# more threads need one, and closed when given back.
POOLED_CONNECTIONS = 16


def apply_all():
    for patch in PATCHES:
        patching.check(patch)
    for patch in PATCHES:
        patch.apply()


# The changes.


@dataclasses.dataclass
class _SyncPoint:
    stack_id: str
    input_data: dict = dataclasses.field(default_factory=dict)
    resource_failures: dict = dataclasses.field(default_factory=dict)
    skip_propagate: bool = False


class _SyncPoints:
    """Heat's sync points, held in the memory of the one engine of a state
    directory, with the functions of ``heat.engine.sync_point`` that keep
    them.

    In the database, a sync point's input data is read, decoded, extended,
    encoded and written whole at each predecessor's completion: O(N) work
    and a write transaction each, O(N^2) over a stack of N. Here each
    completion adds one entry. Nothing is lost that a restart needs: an
    engine that starts fails every action left in progress (``daemon``),
    and the next action starts a new traversal with new sync points.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._points = {}

    def create(self, context, entity_id, traversal_id, is_update, stack_id):
        with self._lock:
            self._points[(entity_id, traversal_id, is_update)] = _SyncPoint(
                stack_id
            )

    def _point(self, entity_id, traversal_id, is_update):
        from heat.common import exception

        key = (entity_id, traversal_id, is_update)
        point = self._points.get(key)
        if point is None:
            raise exception.EntityNotFound(entity='Sync Point', name=key)
        return point

    def get(self, context, entity_id, traversal_id, is_update):
        """The sync point as the database would give it (encoded)."""
        from heat.engine import sync_point

        with self._lock:
            point = self._point(entity_id, traversal_id, is_update)
            extra = {'resource_failures': dict(point.resource_failures)}
            if point.skip_propagate:
                extra['skip_propagate'] = True
            return types.SimpleNamespace(
                entity_id=entity_id,
                traversal_id=traversal_id,
                is_update=is_update,
                stack_id=point.stack_id,
                atomic_key=0,
                input_data=sync_point.serialize_input_data(point.input_data),
                extra_data=sync_point.serialize_extra_data(extra),
            )

    def delete_all(self, context, stack_id, traversal_id):
        with self._lock:
            gone = [
                key
                for key, point in self._points.items()
                if key[1] == traversal_id and point.stack_id == stack_id
            ]
            for key in gone:
                del self._points[key]
        return len(gone)

    def update_sync_point(
        self,
        cnxt,
        entity_id,
        current_traversal,
        is_update,
        predecessors,
        new_data,
        new_resource_failures=None,
        is_skip=False,
    ):
        with self._lock:
            point = self._point(entity_id, current_traversal, is_update)
            if new_resource_failures is not None:
                point.resource_failures.update(new_resource_failures)
            if is_skip:
                point.skip_propagate = True
            if new_data is not None:
                point.input_data.update(new_data)
            return (
                dict(point.input_data),
                dict(point.resource_failures),
                point.skip_propagate,
            )


_SYNC_POINTS = _SyncPoints()


def _sync_points_in_memory(name):
    def apply():
        from heat.engine import sync_point

        setattr(sync_point, name, getattr(_SYNC_POINTS, name))

    return apply


def _no_paced_sleeps():
    from heat.engine import scheduler

    scheduler.ENABLE_SLEEP = False


def _polls_soon_then_less_often():
    from heat.engine import scheduler

    def _sleep(self, wait_time):
        admission.TURNS.leave()
        if wait_time:  # Heat's first step after a handler waits for 0 s
            polls = self.__dict__.setdefault('_heat_docker_polls', 0)
            self._heat_docker_polls = polls + 1
            time.sleep(min(wait_time, FIRST_POLL * 2**polls))

    scheduler.TaskRunner._sleep = _sleep


def _notifications_only_when_sent():
    from heat.engine.notification import stack as stack_notification
    from oslo_config import cfg

    send = stack_notification.send

    @functools.wraps(send)
    def send_when_configured(stack):
        if set(cfg.CONF.oslo_messaging_notifications.driver) - {'noop'}:
            send(stack)

    stack_notification.send = send_when_configured


def _new_resources_stored_together():
    from heat.db import api as db_api
    from heat.engine import stack

    store = stack.Stack._update_or_store_resources

    @functools.wraps(store)
    def store_in_one_transaction(self):
        with db_api.context_manager.writer.using(self.context):
            return store(self)

    stack.Stack._update_or_store_resources = store_in_one_transaction


def _resources_take_turns():
    from heat.engine import worker

    check_resource = worker.WorkerService.check_resource

    @functools.wraps(check_resource)
    def check_resource_in_turn(*args, **kwargs):
        return admission.TURNS.run(check_resource, *args, **kwargs)

    worker.WorkerService.check_resource = check_resource_in_turn


# What a stopped worker is woken with: work that does nothing.
_NO_WORK = types.SimpleNamespace(run=lambda: None)


def _stopped_workers_wake():
    from futurist import _thread as futurist_thread

    stop = futurist_thread.ThreadWorker.stop

    @functools.wraps(stop)
    def stop_and_wake(self):
        stop(self)
        self.work_queue.put(_NO_WORK)

    futurist_thread.ThreadWorker.stop = stop_and_wake
    futurist_thread.ThreadWorker.MAX_IDLE_FOR = IDLE_WAKE_SECONDS


def _threads_as_needed():
    from futurist import _futures

    def _maybe_spin_up(self):
        if len(self._workers) >= self._max_workers or (
            sum(1 for worker in self._workers if worker.idle)
            > self._work_queue.qsize()
        ):
            return False
        self._add_thread()
        return True

    _futures.ThreadPoolExecutor._maybe_spin_up = _maybe_spin_up


# The in-process message bus (oslo.messaging's fake driver) wakes its
# listeners when a message is delivered, and when they are stopped.
_DELIVERED = threading.Condition()
_deliveries = 0


def _rpc_wakes_listeners():
    from oslo_messaging._drivers import base
    from oslo_messaging._drivers import impl_fake

    deliver = impl_fake.FakeExchange.deliver_message
    stop = impl_fake.FakeListener.stop

    @functools.wraps(deliver)
    def deliver_and_wake(self, *args, **kwargs):
        global _deliveries
        deliver(self, *args, **kwargs)
        with _DELIVERED:
            _deliveries += 1
            _DELIVERED.notify_all()

    @functools.wraps(stop)
    def stop_and_wake(self):
        stop(self)
        with _DELIVERED:
            _DELIVERED.notify_all()

    def poll(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stopped.is_set():
            seen = _deliveries
            for target in self._targets:
                exchange = self._exchange_manager.get_exchange(target.exchange)
                ctxt, message, reply_q, requeue = exchange.poll(
                    target, self._pool
                )
                if message is not None:
                    return impl_fake.FakeIncomingMessage(
                        ctxt, message, reply_q, requeue
                    )
            pause = IDLE_WAKE_SECONDS
            if deadline is not None:
                pause = min(pause, deadline - time.monotonic())
                if pause < 0:
                    break
            with _DELIVERED:
                if _deliveries == seen:
                    _DELIVERED.wait(pause)
        return None

    impl_fake.FakeExchange.deliver_message = deliver_and_wake
    impl_fake.FakeListener.stop = stop_and_wake
    impl_fake.FakeListener.poll = base.batch_poll_helper(poll)


class _DeferredPlugin:
    """A plugin class named by an entry point, imported when first called."""

    def __init__(self, entry_point):
        self._entry_point = entry_point

    def __call__(self, *args, **kwargs):
        return self._entry_point.load()(*args, **kwargs)


class _ClientPlugins:
    """Heat's client plugins by name (its stevedore manager's interface),
    each imported when first asked for."""

    def __init__(self):
        self._entry_points = {}
        for entry_point in metadata.entry_points(group='heat.clients'):
            self._entry_points.setdefault(entry_point.name, entry_point)

    def names(self):
        return list(self._entry_points)

    def __getitem__(self, name):
        return types.SimpleNamespace(plugin=self._entry_points[name].load())


def _client_plugins_when_used():
    from heat.engine import clients

    clients._mgr = _ClientPlugins()


def _constraints_when_used():
    from heat.engine import resources

    def _get_mapping(namespace):
        return [
            [entry_point.name, _DeferredPlugin(entry_point)]
            for entry_point in metadata.entry_points(group=namespace)
        ]

    resources._get_mapping = _get_mapping


def _keep_connections(engine):
    from sqlalchemy import pool

    unpooled = engine.pool
    if isinstance(unpooled, pool.NullPool):
        engine.pool = pool.QueuePool(
            unpooled._creator,
            pool_size=POOLED_CONNECTIONS,
            max_overflow=-1,
            _dispatch=unpooled.dispatch,
            dialect=unpooled._dialect,
        )


def _tables_fit_the_users_terminal():
    from cliff import utils

    from heat_docker.standalone import commands

    own = utils.terminal_width
    utils.terminal_width = lambda: commands.terminal_width(own)


def _previews_see_the_resources_kept():
    from heat.engine import stk_defn
    from heat.engine import update

    preview = update.StackUpdate.preview

    def preview_with_the_resources_kept(self):
        """Heat's preview, with each resource the update keeps seen as it
        is: the new template's references to it resolve to its physical
        id and attributes, as in the update itself. Those it replaces are
        seen as new, until no more are found."""
        new_stack = self.new_stack
        kept = {
            name: resource
            for name, resource in self.existing_stack.resources.items()
            if type(new_stack.resources.get(name)) is type(resource)
        }
        data = {}
        for name, resource in kept.items():
            try:
                data[name] = resource.node_data(new_stack.defn)
            except Exception:  # seen as new, as by Heat's own preview
                LOG.warning('Previewing %s as new', resource, exc_info=True)
        replaced = set()
        while True:
            for name, node_data in data.items():
                stk_defn.update_resource_data(
                    new_stack.defn,
                    name,
                    None if name in replaced else node_data,
                )
            actions = preview(self)
            if replaced.issuperset(actions['replaced']):
                return actions
            replaced.update(actions['replaced'])

    update.StackUpdate.preview = preview_with_the_resources_kept


# Heat's resource modules that are not loaded: a module's types are
# unusable without the OpenStack service they drive, and these imports
# cost the engine's start most.
UNLOADED_MODULES = {
    # Neutron's API definitions (neutron_lib, os_ken): 0.25 s of a 2.7 s
    # start here, for Neutron's VPN types alone.
    'heat.engine.resources.openstack.neutron.vpnservice',
}


def _unusable_modules_unloaded():
    from heat.common import plugin_loader

    load = plugin_loader._import_module

    def load_if_usable(importer, module_name, package):
        if module_name in UNLOADED_MODULES:
            return None  # as for a module not found: not yielded
        return load(importer, module_name, package)

    plugin_loader._import_module = load_if_usable


def _pooled_sqlite_connections():
    from heat.db import api as db_api

    db_api.context_manager.append_on_engine_create(_keep_connections)


PATCHES = (
    patching.Patch(
        'heat.engine.sync_point.update_sync_point',
        'a finished resource records itself in the sync point of what '
        "waits on it: the database's copy was read, decoded, extended, "
        'encoded and written whole each time, O(N^2) over a stack, with '
        'random waits when another engine wrote first; sync points are '
        "held in the one engine's memory (_SyncPoints)",
        patching.parameters(
            'cnxt',
            'entity_id',
            'current_traversal',
            'is_update',
            'predecessors',
            'new_data',
            'new_resource_failures',
            'is_skip',
        ),
        _sync_points_in_memory('update_sync_point'),
    ),
    *(
        patching.Patch(
            'heat.engine.sync_point.' + name,
            'sync points are held in memory (see update_sync_point)',
            patching.parameters(*signature),
            _sync_points_in_memory(name),
        )
        for name, signature in (
            (
                'create',
                (
                    'context',
                    'entity_id',
                    'traversal_id',
                    'is_update',
                    'stack_id',
                ),
            ),
            ('get', ('context', 'entity_id', 'traversal_id', 'is_update')),
            ('delete_all', ('context', 'stack_id', 'traversal_id')),
        )
    ),
    patching.Patch(
        'heat.engine.scheduler.ENABLE_SLEEP',
        "Heat's switch for its paced sleeps: independent resources are "
        'dispatched one a second, 200 containers over 200 s',
        patching.instance_of(bool),
        _no_paced_sleeps,
    ),
    patching.Patch(
        'heat.engine.scheduler.TaskRunner._sleep',
        'every task is polled once a second: polls come after %s s, then '
        'at doubling intervals' % FIRST_POLL,
        patching.parameters('self', 'wait_time'),
        _polls_soon_then_less_often,
    ),
    patching.Patch(
        'heat.engine.notification.stack.send',
        "every change of a stack's state built a notification's body, "
        "reading the stack's tags from the database, though no "
        'notification driver is configured: it is built when one is',
        patching.parameters('stack'),
        _notifications_only_when_sent,
    ),
    patching.Patch(
        'heat.engine.stack.Stack._update_or_store_resources',
        "a traversal stored each new resource's row in a transaction of "
        'its own, one after another before any resource could begin: '
        '20 transactions and 90 ms at 20 containers. They are stored in '
        'one',
        patching.used_in(
            'heat.engine.stack',
            'current_resources = self._update_or_store_resources()',
            'rsrc.store()',
        ),
        _new_resources_stored_together,
    ),
    patching.Patch(
        'heat.engine.worker.WorkerService.check_resource',
        'each resource is checked by its own thread: side by side on one '
        'interpreter lock and one sqlite writer, the resources of a stack '
        'reached Docker all together, 0.4 s late at 20; %d at a time do '
        'their work up to their first wait, in order '
        '(heat_docker.standalone.admission)' % admission.SLOTS,
        patching.parameters(
            'self',
            'cnxt',
            'resource_id',
            'current_traversal',
            'data',
            'is_update',
        ),
        _resources_take_turns,
    ),
    patching.Patch(
        'futurist._thread.ThreadWorker.stop',
        'a stopped worker noticed its stop only when its wait for work '
        'timed out (MAX_IDLE_FOR), so every idle worker woke each second, '
        'or the engine took that long to stop: a stopped worker is woken '
        'with work that does nothing, and idle ones wait %s s'
        % IDLE_WAKE_SECONDS,
        patching.used_in(
            'futurist._thread',
            'def stop(self) -> None:',
            'self.should_stop = True',
            'self.work_queue.get(True, self.MAX_IDLE_FOR)',
            'work.run()',
            'worker.stop()',
        ),
        _stopped_workers_wake,
    ),
    patching.Patch(
        'futurist._futures.ThreadPoolExecutor._maybe_spin_up',
        "oslo.messaging's executors start a thread at every message until "
        'they hold 64, though idle ones wait for work; each idle one woke '
        'every 0.1 s: after one stack of 20 containers, a fifth of the '
        "engine's CPU went to them. A thread is added only when the idle "
        'ones cannot take the work queued',
        patching.used_in(
            'futurist._futures',
            'self._maybe_spin_up()',
            'def _add_thread(self)',
            'self._work_queue.put(',
            'if w.idle',
        ),
        _threads_as_needed,
    ),
    patching.Patch(
        'oslo_messaging._drivers.impl_fake.FakeListener.poll',
        "heat-api's calls and the engine's casts to itself go over "
        "oslo.messaging's in-process driver, whose listeners look for a "
        'message every 50 ms: each call waited 25 ms on average, and an '
        'idle engine woke 60 times a second. They are woken when a message '
        'is delivered or they are stopped',
        patching.used_in(
            'oslo_messaging._drivers.impl_fake',
            'exchange.poll(target,',
            'time.sleep(pause)',
            'FakeIncomingMessage(ctxt, message, reply_q,',
            'def deliver_message(self, topic, ctxt, message,',
            'def stop(self):\n        self._stopped.set()',
        ),
        _rpc_wakes_listeners,
    ),
    patching.Patch(
        'heat.engine.clients._mgr',
        'Heat imports every client plugin at start-up (novaclient, '
        'neutron_lib, ...: over a second); they are imported on first use',
        patching.used_in(
            'heat.engine.clients', '_mgr.names()', '_mgr[name].plugin'
        ),
        _client_plugins_when_used,
    ),
    patching.Patch(
        'heat.engine.resources._get_mapping',
        'Heat imports every custom constraint at start-up; they are '
        'imported on first use',
        patching.parameters('namespace'),
        _constraints_when_used,
    ),
    patching.Patch(
        'cliff.utils.terminal_width',
        "a command the engine runs for a user's terminal fits its tables "
        "to that terminal, not to the engine's stdout, which is none "
        '(heat_docker.standalone.commands)',
        patching.used_in(
            'cliff.formatters.table',
            'sys.stdout.isatty()',
            'utils.terminal_width()',
        ),
        _tables_fit_the_users_terminal,
    ),
    patching.Patch(
        'heat.engine.update.StackUpdate.preview',
        "an update's preview resolved the new template against a stack "
        'with no resources made, so a reference to one the update keeps '
        'was taken for a change: every container mounting a volume or '
        'joining a network of the stack was shown as replaced. The '
        'kept resources are seen as they are; those replaced as new',
        patching.used_in(
            'heat.engine.update',
            'def preview(self):',
            'self.new_stack.resources[key]',
            '.frozen_definition().properties(',
        ),
        _previews_see_the_resources_kept,
    ),
    patching.Patch(
        'sqlalchemy.pool.NullPool',
        'oslo.db gives sqlite no connection pool: every transaction opened '
        'the file, read the schema and closed it, checkpointing the '
        "write-ahead log; connections are pooled with oslo.db's listeners",
        patching.has_attributes('_creator', '_dialect', 'dispatch'),
        _pooled_sqlite_connections,
    ),
    patching.Patch(
        'heat.common.plugin_loader._import_module',
        'Heat loads every resource module it has; those in '
        'UNLOADED_MODULES, for OpenStack services, are left out',
        patching.used_in(
            'heat.common.plugin_loader',
            'module = _import_module(importer, module_name, package)',
            'if module is not None:',
        ),
        _unusable_modules_unloaded,
    ),
)
