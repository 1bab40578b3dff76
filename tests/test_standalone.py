"""The standalone engine's configuration of Heat."""

import os


def test_heats_environment_and_templates_are_found(heat):
    from oslo_config import cfg

    for option in ('environment_dir', 'template_dir'):
        assert os.path.isdir(cfg.CONF[option]), (option, cfg.CONF[option])
    assert os.listdir(cfg.CONF.environment_dir)


def test_every_foreign_key_is_indexed_as_on_mysql(heat):
    import sqlite3

    with sqlite3.connect(os.path.join(heat.state_dir, 'heat.sqlite')) as db:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )
        ]
        keys = [
            (table, column)
            for table in tables
            for _, _, _, column, *_ in db.execute(
                'PRAGMA foreign_key_list(%s)' % table
            )
        ]
        leading = {
            (table, db.execute('PRAGMA index_info(%s)' % index).fetchone()[2])
            for table in tables
            for _, index, *_ in db.execute('PRAGMA index_list(%s)' % table)
        }
        plan = db.execute(
            'EXPLAIN QUERY PLAN SELECT * FROM event WHERE stack_id = ?',
            ('a-stack',),
        ).fetchall()
    assert ('event', 'stack_id') in keys
    assert [key for key in keys if key not in leading] == []
    assert 'USING INDEX' in plan[0][3], plan


def test_connections_do_not_yield_the_interpreter_at_checkin(heat):
    from heat.db import api as db_api
    from oslo_db.sqlalchemy import engines
    from sqlalchemy import event

    for engine in (
        db_api.context_manager.writer.get_engine(),
        db_api.context_manager.reader.get_engine(),
    ):
        assert not event.contains(engine, 'checkin', engines._thread_yield)


def test_stacks_deleted_long_ago_are_purged(heat, stacks):
    import datetime
    import sqlite3

    from heat_docker.standalone import housekeeping

    template = {'heat_template_version': '2021-04-16', 'resources': {}}
    deleted = [stacks.create(template) for _ in range(2)]
    for stack in deleted:
        assert stacks.delete(stack) == 'DELETE_COMPLETE'
    old, recent = (stack['stack_identity']['stack_id'] for stack in deleted)
    long_ago = datetime.datetime.now(datetime.timezone.utc) - (
        datetime.timedelta(days=housekeeping.KEEP_DELETED_DAYS, hours=1)
    )
    db_path = os.path.join(heat.state_dir, 'heat.sqlite')

    def rows(table, stack_id):
        column = 'id' if table == 'stack' else 'stack_id'
        query = 'SELECT count(*) FROM %s WHERE %s = ?' % (table, column)
        with sqlite3.connect(db_path) as db:
            return db.execute(query, (stack_id,)).fetchone()[0]

    with sqlite3.connect(db_path) as db:
        db.execute(
            'UPDATE stack SET deleted_at = ? WHERE id = ?',
            (long_ago.strftime('%Y-%m-%d %H:%M:%S.%f'), old),
        )
    assert rows('event', old) > 0
    housekeeping.purge_deleted()
    assert (rows('stack', old), rows('event', old)) == (0, 0)
    assert (rows('stack', recent), rows('event', recent) > 0) == (1, True)
