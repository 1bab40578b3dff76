"""What the engine keeps of Heat's database: the actions in progress;
at its start, those a dead engine left (as Heat's engine does at start in
a cloud) and the stacks deleted long ago (as a cloud's operator does with
``heat-manage purge_deleted``)."""

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

DEAD_ENGINE_REASON = 'Engine went down during stack %s'
# A deleted stack (its row, events, resources and templates) is kept this
# long for "stack list --deleted", then purged.
KEEP_DELETED_DAYS = 7


def fail_dead_actions(context):
    """Fail what a dead engine left in progress, as Heat's engine does at
    start for legacy stacks (convergence stacks are left IN_PROGRESS
    there, for another live engine to take over). This engine holds the
    state directory alone, so every action in progress is a dead one's.
    Their resources lose the dead engine's locks, so that a delete or a
    converging update takes them over at once."""
    from heat.db import api as db_api
    from heat.db import models
    from heat.engine import stack as parser
    from heat.objects import stack as stack_object

    stacks = stack_object.Stack.get_all(
        context, filters={'status': parser.Stack.IN_PROGRESS}, show_nested=True
    )
    failed = []
    for stored in stacks:
        reason = DEAD_ENGINE_REASON % stored.action
        stack = parser.Stack.load(context, stack=stored)
        stack.reset_stack_and_resources_in_progress(reason)
        failed.append(stored.id)
    with db_api.context_manager.writer.using(context) as session:
        session.query(models.Resource).filter(
            models.Resource.status == parser.Stack.IN_PROGRESS
        ).update(
            {'status': parser.Stack.FAILED, 'engine_id': None},
            synchronize_session=False,
        )
        session.query(models.Resource).filter(
            models.Resource.engine_id.isnot(None)
        ).update({'engine_id': None}, synchronize_session=False)
        session.query(models.StackLock).delete(synchronize_session=False)
    return failed


def actions_in_progress(context):
    """Names of the top-level stacks with an action in progress."""
    from heat.objects import stack as stack_object

    return sorted(
        s.name
        for s in stack_object.Stack.get_all(
            context, filters={'status': 'IN_PROGRESS'}, show_nested=True
        )
        if s.owner_id is None
    )


def purge_deleted():
    """Purge the stacks deleted more than KEEP_DELETED_DAYS ago, with all
    Heat keeps of them, as ``heat-manage purge_deleted`` does: without it
    the database grows with every stack ever deleted."""
    from heat.db import api as db_api

    try:
        db_api.purge_deleted(KEEP_DELETED_DAYS, 'days')
    except Exception:
        LOG.exception('Could not purge the stacks deleted long ago')
