"""Heat's real engine in this process, with sqlite state and no OpenStack.

Heat imports must come after :func:`boot` selects oslo.service's threading
backend, so callers import heat modules lazily, after booting.
"""

import contextlib
import fcntl
import gc
from importlib import metadata
import os
import re
import secrets
import sqlite3
import sys
import threading
import time
import types
import zlib

from oslo_service import backend

STATE_ENV = 'HEAT_DOCKER_STATE_DIR'
# Where pip puts openstack-heat's etc/heat: api-paste.ini, environment.d,
# templates.
HEAT_ETC = os.path.join(sys.prefix, 'etc', 'heat')


def default_state_dir():
    if os.environ.get(STATE_ENV):
        return os.environ[STATE_ENV]
    base = os.environ.get('XDG_STATE_HOME') or os.path.expanduser(
        '~/.local/state'
    )
    return os.path.join(base, 'heat-docker')


def _encryption_key(state_dir):
    """The key Heat encrypts hidden parameters with, kept beside the state."""
    path = os.path.join(state_dir, 'auth_encryption_key')
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as key_file:
            key_file.write(secrets.token_hex(16))
    with open(path) as key_file:
        return key_file.read().strip()


def _schema_stamp():
    """A number for the installed Heat: its schema is migrated when the
    database's stamp (sqlite's user_version) differs."""
    heat = 'openstack-heat %s' % metadata.version('openstack-heat')
    return zlib.crc32(heat.encode()) & 0x7FFFFFFF


def _migrate(engine, db_path, state_dir):
    stamp = _schema_stamp()
    # Migrations hold one connection's transaction while inspecting through
    # another, so they run before writes are serialised; one process at a
    # time migrates.
    with open(os.path.join(state_dir, 'migrate.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with contextlib.closing(sqlite3.connect(db_path)) as db:
            if db.execute('PRAGMA user_version').fetchone()[0] == stamp:
                return
        from heat.db import migration

        migration.db_sync(engine=engine)
        with engine.connect() as conn:
            db = conn.connection.dbapi_connection
            _never_reuse_ids(db)
            # Readers and the writer no longer block each other.
            db.execute('PRAGMA journal_mode = WAL')
            db.execute('PRAGMA user_version = %d' % stamp)
        engine.dispose()


# Waiting for sqlite's write lock, a connection sleeps and retries at
# growing intervals (up to 0.1 s), long after the lock was released; the
# threads of this process take turns on a lock that wakes the next at once.
_WRITE_TURN = threading.Lock()
WRITE_WAIT = 60


def _prepare_database(writer, reader, db_path, state_dir):
    """Migrate the schema, then make sqlite safe for concurrent writers.

    oslo.db begins deferred transactions: one that has read and then wants
    to write, while another connection has written, fails at once with
    "database is locked" (no busy wait helps). Every writer transaction
    here begins IMMEDIATE instead, taking the write lock at BEGIN, and
    waits for it (busy_timeout): writers in this process and in other
    heat-docker processes on the same state take turns. Heat's read-only
    transactions go to a second engine on the same file and, the journal
    being a write-ahead log, read without waiting for the writer.
    """
    from sqlalchemy import event

    for engine in {writer, reader}:
        event.listen(engine, 'connect', _wait_and_write_ahead)
    _migrate(writer, db_path, state_dir)
    for engine in {writer, reader}:
        event.listen(engine, 'connect', _enforce_foreign_keys)

    @event.listens_for(writer, 'before_cursor_execute', retval=True)
    def _begin_immediate(conn, cursor, statement, params, context, many):
        if statement == 'BEGIN':  # oslo.db's own BEGIN, see its engines.py
            if not _WRITE_TURN.acquire(timeout=WRITE_WAIT):
                raise RuntimeError(
                    'heat.sqlite: no turn to write after %d s' % WRITE_WAIT
                )
            conn.info['write_turn'] = True
            statement = 'BEGIN IMMEDIATE'
        return statement, params

    @event.listens_for(writer, 'commit')
    def _commit(conn):
        _end_write_turn(conn, 'COMMIT')

    @event.listens_for(writer, 'rollback')
    def _rollback(conn):
        _end_write_turn(conn, 'ROLLBACK')


def _end_write_turn(conn, statement):
    """End the transaction here, then hand the turn to the next writer
    (SQLAlchemy would end it only after this event)."""
    if not conn.info.pop('write_turn', False):
        return
    try:
        dbapi_conn = conn.connection.dbapi_connection
        if dbapi_conn.in_transaction:
            dbapi_conn.execute(statement)
    finally:
        _WRITE_TURN.release()


# Connections kept open per engine (writer, reader); more are opened when
# more threads need one, and closed when given back.
POOLED_CONNECTIONS = 16


def _keep_connections(engine):
    """oslo.db gives sqlite no connection pool: every transaction opened
    the file, read the schema, set its pragmas and closed the file again,
    checkpointing the write-ahead log whenever it was the last one open.
    Connections are pooled instead (the pool SQLAlchemy itself uses for
    sqlite files), with the listeners oslo.db and this module attached."""
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


def _wait_and_write_ahead(dbapi_conn, _record):
    dbapi_conn.execute('PRAGMA busy_timeout = 60000')
    # With a write-ahead log, a commit survives a crash of the process
    # without waiting for the disk; only a power loss can undo the last.
    dbapi_conn.execute('PRAGMA synchronous = NORMAL')


def _enforce_foreign_keys(dbapi_conn, _record):
    # As on MySQL: the schema's ON DELETE CASCADE (resource_data with its
    # resource, ...) takes effect only with foreign keys on. Not during
    # migrations, where sqlite's table rebuilds would cascade.
    dbapi_conn.execute('PRAGMA foreign_keys = ON')


_INTEGER_ID = re.compile(r'^(\s*)id INTEGER NOT NULL,', re.MULTILINE)
_ID_KEY = re.compile(r',\s*PRIMARY KEY \(id\)')


def _never_reuse_ids(dbapi_conn):
    """Give every table with an integer id AUTOINCREMENT.

    Without it sqlite hands the id of a deleted newest row to the next
    insert, which MySQL never does and Heat does not expect: cleanup of
    one stack then deletes the user_creds a new stack was just given, and
    a new resource finds a deleted one's resource_data. SQLite cannot
    alter a primary key, so each table is rebuilt, once, by its documented
    procedure (https://www.sqlite.org/lang_altertable.html#otheralter).
    """
    tables = [
        (name, sql)
        for name, sql in dbapi_conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
        )
        if _INTEGER_ID.search(sql) and _ID_KEY.search(sql)
    ]
    if not tables:
        return
    dbapi_conn.isolation_level = None
    dbapi_conn.execute('PRAGMA foreign_keys = OFF')
    dbapi_conn.execute('BEGIN IMMEDIATE')
    for name, sql in tables:
        indexes = [
            index_sql
            for (index_sql,) in dbapi_conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' "
                'AND tbl_name = ? AND sql IS NOT NULL',
                (name,),
            )
        ]
        rebuilt = _ID_KEY.sub('', sql, count=1)
        rebuilt = _INTEGER_ID.sub(
            r'\1id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,',
            rebuilt,
            count=1,
        )
        rebuilt = rebuilt.replace(name, '%s_rebuilt' % name, 1)
        dbapi_conn.execute(rebuilt)
        dbapi_conn.execute(
            'INSERT INTO %s_rebuilt SELECT * FROM %s' % (name, name)
        )
        dbapi_conn.execute('DROP TABLE %s' % name)
        dbapi_conn.execute(
            'ALTER TABLE %s_rebuilt RENAME TO %s' % (name, name)
        )
        for index_sql in indexes:
            dbapi_conn.execute(index_sql)
    violations = dbapi_conn.execute('PRAGMA foreign_key_check').fetchall()
    if violations:
        dbapi_conn.execute('ROLLBACK')
        raise RuntimeError('heat.sqlite: foreign keys broken: %s' % violations)
    dbapi_conn.execute('COMMIT')


class Heat:
    """A started heat-engine in this process: ``engine`` and ``context``.

    ``engine`` is Heat's own EngineService; its RPC methods are called
    directly, as heat-api would call them over the message bus.
    """

    def __init__(self, engine, context, state_dir):
        self.engine = engine
        self.context = context
        self.state_dir = state_dir

    def stop(self):
        from heat.db import api as db_api

        self.engine.stop()
        # The last connection to close checkpoints the write-ahead log.
        db_api.context_manager.dispose_pool()


# An in-progress resource (check_*_complete) is polled after FIRST_POLL s,
# then at doubling intervals up to Heat's own wait (1 s).
FIRST_POLL = 0.05


def _tune_for_one_engine():
    """Heat paces itself for many engines sharing a message bus: a stack's
    independent resources are dispatched one per second, and every task is
    polled once a second. With one engine in this process that only makes
    independent resources wait for each other (200 containers would start
    over 200 s) and every create or delete last at least a second, a chain
    of 50 containers 50 s and more. Here the resources are dispatched at
    once, and polled soon and then less and less often.

    Each finished resource also records itself in the sync point of the
    resources (or the stack) waiting on it: read, then written only if no
    other engine wrote in between, else retried after a random wait of up
    to 10 ms per resource still outstanding (seconds, for 200). Threads of
    one engine take turns instead, and never collide with each other.
    """
    from futurist import _thread as futurist_thread
    from heat.engine import scheduler
    from heat.engine import sync_point

    update_sync_point = sync_point.update_sync_point
    one_at_a_time = threading.Lock()

    def _update_sync_point(*args, **kwargs):
        with one_at_a_time:
            return update_sync_point(*args, **kwargs)

    sync_point.update_sync_point = _update_sync_point

    # Heat's own switch for its paced sleeps: the second between
    # independent resources (and snapshots) goes; TaskRunner's polls are
    # paced below.
    scheduler.ENABLE_SLEEP = False

    def _sleep(task, wait_time):
        if wait_time:  # Heat's first step after a handler waits for 0 s
            polls = task.__dict__.setdefault('_heat_docker_polls', 0)
            task._heat_docker_polls = polls + 1
            time.sleep(min(wait_time, FIRST_POLL * 2**polls))

    scheduler.TaskRunner._sleep = _sleep
    # An idle futurist worker notices that the process is exiting only when
    # its wait for work times out; oslo.service leaves one behind for each
    # of Heat's timers, so every command ended with a second of waiting.
    futurist_thread.ThreadWorker.MAX_IDLE_FOR = 0.1


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


def _load_plugins_when_used():
    """Heat imports every client plugin and custom constraint at start-up:
    novaclient, neutron_lib and the like, over a second, when here only
    Docker's and Heat's own are used. They are imported on first use."""
    from heat.engine import clients
    from heat.engine import resources

    clients._mgr = _ClientPlugins()
    resources._get_mapping = lambda namespace: [
        [entry_point.name, _DeferredPlugin(entry_point)]
        for entry_point in metadata.entry_points(group=namespace)
    ]


@contextlib.contextmanager
def _eventlet_hidden():
    """futurist and oslo.messaging import eventlet, when installed, only to
    offer green threads, which the threading backend never uses; importing
    it costs half a second of start-up. Hidden while Heat loads, eventlet
    stays importable afterwards for whatever else wants it."""
    hidden = 'eventlet' not in sys.modules
    if hidden:
        sys.modules['eventlet'] = None
    try:
        yield
    finally:
        if hidden:
            del sys.modules['eventlet']


def boot(state_dir, plugin_dirs=None, log_file=None, debug=False):
    """Configure and start Heat's engine in this process; return a Heat.

    Heat's convergence engine runs with worker threads, so independent
    resources are worked on in parallel. With ``plugin_dirs``, Heat loads
    the resource types from there as a heat-engine does (the tests point it
    at contrib/); without, they are registered directly.
    """
    # Loading Heat allocates hundreds of thousands of objects that live as
    # long as the process: the collector would scan them again and again
    # while they load (a tenth of start-up) and at every collection after.
    # They are kept out of its sight once loaded.
    gc.disable()
    try:
        with _eventlet_hidden():
            heat = _boot(state_dir, plugin_dirs, log_file, debug)
        gc.freeze()
        return heat
    finally:
        gc.enable()


def _boot(state_dir, plugin_dirs, log_file, debug):
    backend.init_backend(backend.BackendType.THREADING)

    from heat.common import config as heat_config  # noqa: F401 (options)
    from heat.common import context
    from heat.common import messaging
    from heat.db import api as db_api
    from heat.engine import resources
    from heat.engine import service
    from heat.rpc import api as rpc_api
    from oslo_config import cfg
    from oslo_log import log as logging

    os.makedirs(state_dir, exist_ok=True)
    conf = cfg.CONF
    logging.register_options(conf)
    conf([], project='heat', default_config_files=[])
    conf.set_override('plugin_dirs', plugin_dirs or [])
    conf.set_override('deferred_auth_method', 'password')
    conf.set_override('convergence_engine', True)
    # Stack users and projects (for signals) live in Heat's fake Keystone.
    conf.import_opt(
        'keystone_backend',
        'heat.engine.clients.os.keystone.heat_keystoneclient',
    )
    conf.set_override(
        'keystone_backend',
        'heat.engine.clients.os.keystone.fake_keystoneclient'
        '.FakeKeystoneClient',
    )
    conf.set_override('encrypt_parameters_and_properties', True)
    conf.set_override('auth_encryption_key', _encryption_key(state_dir))
    # One user on their own machine: the permissive policy, and abandon
    # and adopt, are safe to offer.
    conf.set_override('enable_stack_abandon', True)
    conf.set_override('enable_stack_adopt', True)
    from heat_docker import config as docker_config

    for name, value in docker_config.PERMISSIVE.items():
        conf.set_override(name, value, group=docker_config.GROUP)
    db_path = os.path.join(state_dir, 'heat.sqlite')
    for option in ('connection', 'slave_connection'):
        conf.set_override(option, 'sqlite:///%s' % db_path, group='database')
    # Heat's @reader transactions go to the "slave" engine.
    db_api.context_manager.configure(synchronous_reader=False)
    db_api.context_manager.append_on_engine_create(_keep_connections)
    conf.set_override('debug', debug)
    if log_file:
        conf.set_override('log_file', log_file)
    conf.set_override(
        'environment_dir', os.path.join(HEAT_ETC, 'environment.d')
    )
    conf.set_override('template_dir', os.path.join(HEAT_ETC, 'templates'))
    logging.setup(conf, 'heat')
    messaging.setup('fake://')

    _prepare_database(
        db_api.get_engine(),
        db_api.context_manager.reader.get_engine(),
        db_path,
        state_dir,
    )
    _load_plugins_when_used()
    resources.initialise()
    _tune_for_one_engine()
    if not plugin_dirs:
        import heat_docker

        for name, cls in heat_docker.resource_mapping().items():
            resources.global_env().register_class(name, cls)
    engine = service.EngineService('heat-docker', rpc_api.ENGINE_TOPIC)
    engine.start()
    return Heat(
        engine,
        context.RequestContext(
            user_id='heat-docker',
            project_id='admin',
            project_name='admin',
            roles=['admin'],
            is_admin=True,
            username='heat-docker',
            # There is no Keystone. Heat asks the service catalog which
            # OpenStack services (and so resource types) exist: one that is
            # not empty but lists no endpoints answers "none" at once. The
            # URL is never called; Heat only insists on having one.
            auth_url='http://127.0.0.1/no-keystone',
            auth_token_info={
                'token': {'catalog': [{'type': 'identity', 'endpoints': []}]}
            },
        ),
        state_dir,
    )
