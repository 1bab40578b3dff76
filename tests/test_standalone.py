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
