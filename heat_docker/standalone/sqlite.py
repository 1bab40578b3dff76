"""What Heat's database needs on sqlite that MySQL does not.

sqlite reuses a deleted row's id, lets two deferred transactions deadlock,
and turns foreign keys off; Heat expects none of that. oslo.db's own
listeners stay in place: these are SQLAlchemy events beside them.
"""

import contextlib
import fcntl
from importlib import metadata
import os
import re
import sqlite3
import threading
import time
import zlib

# What this module changes in Heat's schema, beside Heat's migrations: a
# database is migrated again when this or Heat's version changes.
SCHEMA_CHANGES = 'ids never reused; foreign keys indexed'


def _schema_stamp():
    """A number for the installed Heat and SCHEMA_CHANGES: the schema is
    migrated when the database's stamp (sqlite's user_version) differs."""
    heat = 'openstack-heat %s; %s' % (
        metadata.version('openstack-heat'),
        SCHEMA_CHANGES,
    )
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
            _index_foreign_keys(db)
            # Readers and the writer no longer block each other.
            db.execute('PRAGMA journal_mode = WAL')
            db.execute('PRAGMA user_version = %d' % stamp)
        engine.dispose()


# Waiting for sqlite's write lock, a connection sleeps and retries at
# growing intervals (up to 0.1 s), long after the lock was released; the
# threads of this process take turns on a lock that wakes the next at once.
_WRITE_TURN = threading.Lock()
WRITE_WAIT = 60
# Writer transactions begun since the engine started, counted while the
# turn is held (the warm engine's status shows it; the benchmark divides
# it by the containers created or deleted).
write_transactions = 0
# Commits that stored events or changed a stack's row: a command waiting
# for a stack's action (the control API's "action") is woken by them
# instead of polling heat-api.
progress_commits = 0
_PROGRESS = threading.Condition()


# The database file, read directly (without Heat's ORM) to tell when a
# stack's action has ended: a waiting command asks at every progress
# commit.
_db_path = None


def _wait_for_progress(after, timeout):
    """The count of progress commits, once it exceeds ``after`` or
    ``timeout`` seconds have passed."""
    with _PROGRESS:
        _PROGRESS.wait_for(lambda: progress_commits > after, timeout)
        return progress_commits


def wait_for_action_end(stack_id, action, since, before, timeout, shown):
    """Wait up to ``timeout`` seconds for the end of the stack's
    ``action``; return (whether it ended, its status, since, the events
    after ``shown``).

    The action has ended when, among the stack's own events after event
    ``since`` (an id; None the first time, found from ``before``, the
    :func:`last_event` before the action, or the stack's first), an
    ``action`` IN_PROGRESS is followed by its end, and the stack's row no
    longer says it is in progress: Heat stores the event a transaction
    before the status. An action that takes over from one in progress
    (a delete after an engine died) first ends that one, whose end is
    passed over; one that another action replaced with no end of its own
    (an update cancelled, which rolls back) has ended with the stack's
    state. A stack deleted and gone has ended its action with no status.

    ``shown`` is the id of the last event the waiting command has shown
    (0: none of the action's yet), or None for a command that shows none.
    """
    deadline = time.monotonic() + timeout
    stored = progress_commits
    with _reader() as db:
        if since is None:
            since = _event_before(db, stack_id, before)
        while True:
            ended, status = _action_end(db, stack_id, action, since)
            remaining = deadline - time.monotonic()
            if ended or remaining <= 0:
                break
            stored = _wait_for_progress(stored, remaining)
        events = (
            None
            if shown is None
            else _events_after(db, stack_id, max(shown, since))
        )
        return ended, status, since, events


def last_event():
    """The id of the newest event: the events of an action begun after
    this is read come after it (ids are never reused)."""
    with _reader() as db:
        return _newest_event(db)


def _reader():
    """A read-only connection of its own to the database, closed at the
    end of its ``with``; its transactions are begun explicitly."""
    return contextlib.closing(
        sqlite3.connect(
            'file:%s?mode=ro' % _db_path, uri=True, isolation_level=None
        )
    )


def _newest_event(db):
    return db.execute('SELECT coalesce(max(id), 0) FROM event').fetchone()[0]


def _event_before(db, stack_id, before):
    if before is not None:
        return before
    row = db.execute(
        'SELECT min(id) - 1 FROM event WHERE stack_id = ?', (stack_id,)
    ).fetchone()
    if row[0] is not None:
        return row[0]
    return _newest_event(db)


def _events_after(db, stack_id, after):
    """The stack's own events after event ``after``, with the fields that
    heat-api lists them with (``seq``, their order, added)."""
    return [
        {
            'seq': seq,
            'id': uuid,
            # Heat's isotime: whole seconds, UTC.
            'event_time': created_at[:10] + 'T' + created_at[11:19] + 'Z',
            'resource_name': name,
            'logical_resource_id': name,
            'physical_resource_id': physical_id,
            'resource_status': '%s_%s' % (action, status),
            'resource_status_reason': reason,
            'stack_id': stack_id,
        }
        for (
            seq,
            uuid,
            created_at,
            name,
            physical_id,
            action,
            status,
            reason,
        ) in db.execute(
            'SELECT id, uuid, created_at, resource_name, '
            'physical_resource_id, resource_action, resource_status, '
            'resource_status_reason FROM event '
            'WHERE id > ? AND stack_id = ? ORDER BY id',
            (after, stack_id),
        )
    ]


def _action_end(db, stack_id, action, since):
    """(ended, status) of the stack's ``action`` after event ``since``, in
    one snapshot of the database."""
    with db:  # one read transaction
        db.execute('BEGIN')
        row = db.execute(
            'SELECT action, status FROM stack '
            'WHERE id = ? AND deleted_at IS NULL',
            (stack_id,),
        ).fetchone()
        if row is None:
            return True, None
        if row == (action, 'IN_PROGRESS'):
            return False, None
        started = False
        for event_action, status in db.execute(
            'SELECT resource_action, resource_status FROM event '
            'WHERE id > ? AND stack_id = ? AND physical_resource_id = ? '
            'ORDER BY id',
            (since, stack_id, stack_id),
        ):
            if event_action != action:
                continue
            if status == 'IN_PROGRESS':
                started = True
            elif started:
                return True, '%s_%s' % (action, status)
        if started and row[0] != action:
            # Another took over before it ended: a cancel that rolls back.
            return True, '%s_%s' % row
        return False, None


def prepare(writer, reader, db_path, state_dir):
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

    global _db_path
    _db_path = db_path
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
            global write_transactions
            write_transactions += 1
            statement = 'BEGIN IMMEDIATE'
        elif statement.startswith(('INSERT INTO event ', 'UPDATE stack ')):
            conn.info['progress'] = True
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
    progress = conn.info.pop('progress', False)
    if not conn.info.pop('write_turn', False):
        return
    try:
        dbapi_conn = conn.connection.dbapi_connection
        if dbapi_conn.in_transaction:
            dbapi_conn.execute(statement)
    finally:
        _WRITE_TURN.release()
    if progress and statement == 'COMMIT':
        global progress_commits
        with _PROGRESS:
            progress_commits += 1
            _PROGRESS.notify_all()


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


def _index_foreign_keys(dbapi_conn):
    """Index the columns of every foreign key, as MySQL's InnoDB does.

    Heat's schema counts on it. Without, sqlite reads a whole child table
    to check a parent row's delete (a resource's properties, each deleted
    with its resource, are looked for in every event), and Heat's lookups
    of a stack's events read them all: with the history of 2,500 deleted
    stacks (100,000 events, which Heat keeps), 14 ms each, against 0.2.
    """
    for (table,) in dbapi_conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%'"
    ).fetchall():
        keys = {}
        for key, position, _parent, column, *_ in dbapi_conn.execute(
            'PRAGMA foreign_key_list(%s)' % table
        ):
            keys.setdefault(key, {})[position] = column
        indexed = [
            tuple(
                column
                for _, _, column in dbapi_conn.execute(
                    'PRAGMA index_info(%s)' % index
                )
            )
            for _, index, *_ in dbapi_conn.execute(
                'PRAGMA index_list(%s)' % table
            ).fetchall()
        ]
        for key in keys.values():
            columns = tuple(key[position] for position in sorted(key))
            if not any(index[: len(columns)] == columns for index in indexed):
                dbapi_conn.execute(
                    'CREATE INDEX heat_docker_%s_%s ON %s (%s)'
                    % (table, '_'.join(columns), table, ', '.join(columns))
                )


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
