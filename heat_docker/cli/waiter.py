"""Waiting for a stack's action to end, showing its progress."""

from heat_docker.cli import progress
from heat_docker.cli.common import CommandFailed

# The engine answers at the action's end, or after this long with the
# events stored meanwhile.
PROGRESS_SECONDS = 0.2


class Waiter:
    """Waits for a stack's action to end, showing its progress."""

    def __init__(self, cmd, parsed_args, action):
        self.app = cmd.app
        self.parsed_args = parsed_args
        self.action = action
        self.show_progress = progress.for_command(
            self.app.stderr,
            parsed_args.wait,
            getattr(parsed_args, 'formatter', 'table') != 'table',
            self.app.options.verbose_level > 1,
        )

    def wait(self, path, before):
        """Follow the action's events until the engine says it has ended;
        the stack's status, or None for a stack deleted and gone. The
        action began after event ``before`` (None: with the stack's
        first). Ctrl-C stops the waiting, not the action."""
        name, stack_id = path.split('/')[1:3]
        engine = self.app.engine
        # Where the action's events begin: found by the engine from
        # ``before`` (until it has answered once, an engine that died may
        # have left it unanswered).
        since = None
        shown = 0 if self.show_progress.shows_events else None
        try:
            while True:
                state = engine.action_state(
                    stack_id,
                    self.action,
                    since,
                    before,
                    PROGRESS_SECONDS,
                    shown,
                )
                if state is None:
                    engine.ensure()
                    continue
                since = state['since']
                if state['events']:
                    self.show_progress.events(state['events'], name)
                    shown = state['events'][-1]['seq']
                if state['ended']:
                    return state['status']
        except KeyboardInterrupt:
            self.show_progress.close()
            self.app.stderr.write(
                '\nStopped waiting. The %s of stack %s goes on in the '
                'engine; to cancel it: heat-docker stack cancel %s%s\n'
                % (
                    self.action,
                    name,
                    '--no-rollback ' if self.action == 'CREATE' else '',
                    name,
                )
            )
            raise
        finally:
            self.show_progress.close()

    def failed(self, path, stack_status):
        """What failed: the failed resources and their reasons, or the
        stack's own reason when no resource failed."""
        stack = self.app.engine.call('GET', path, resolve_outputs='False')[
            'stack'
        ]
        resources = self.app.engine.call(
            'GET', path + '/resources', nested_depth=5
        )['resources']
        lines = ['Stack %s %s' % (stack['stack_name'], stack_status)]
        if not stack_status.startswith(self.action + '_'):
            lines[0] += ' before its %s ended' % self.action
        lines += [
            '%s: %s: %s'
            % (
                r['resource_name'],
                r['resource_status'],
                r['resource_status_reason'],
            )
            for r in resources
            if r['resource_status'].endswith(progress.FAILED)
        ] or [stack['stack_status_reason']]
        return '\n'.join(lines)

    def run(self, path, before):
        """Wait if --wait asked; an action that did not complete (it
        failed, was cancelled, or its stack was deleted meanwhile) ends the
        command."""
        if not self.parsed_args.wait:
            return
        status = self.wait(path, before)
        if status == '%s_%s' % (self.action, progress.COMPLETE):
            return
        if status is None:
            if self.action == 'DELETE':
                return
            raise CommandFailed(
                'Stack %s was deleted before its %s ended'
                % (path.split('/')[1], self.action)
            )
        raise CommandFailed(self.failed(path, status))
