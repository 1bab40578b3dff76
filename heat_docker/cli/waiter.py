"""Waiting for a stack's action to end, showing its progress."""

import math
import time

from heat_docker.cli import engine as engine_api
from heat_docker.cli import progress
from heat_docker.cli.common import CommandFailed
from heat_docker.cli.common import events

# The engine is asked how the action stands this often; its end is told at
# once. Its events are read as often as the progress display wants them (a
# create of 200 containers stores 400 and more, each read through Heat's
# API).
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

    def wait(self, path, marker):
        """Follow the events after ``marker`` until the engine says the
        action has ended; the stack's status, or None for a stack deleted
        and gone. Ctrl-C stops the waiting, not the action."""
        name, stack_id = path.split('/')[1:3]
        engine = self.app.engine
        # Where the action's events begin: found by the engine from the
        # marker the action began at (until it has answered once, an
        # engine that died may have left it unanswered).
        before, since, progress = marker, None, None
        every = self.show_progress.every
        read_at = -math.inf
        try:
            while True:
                state = engine.action_state(
                    stack_id, self.action, since, before, PROGRESS_SECONDS
                )
                if state is not None:
                    since = state['since']
                    if state['ended'] and every is None:
                        return state['status']
                    if not state['ended'] and (
                        state['progress'] == progress
                        or every is None
                        or time.monotonic() < read_at + every
                    ):
                        continue
                    progress = state['progress']
                read_at = time.monotonic()
                try:
                    found = events(
                        app=self.app, path=path, marker=marker, sort_dir='asc'
                    )
                except engine_api.ApiError as exc:
                    if exc.status == 404 and self.action == 'DELETE':
                        return None
                    raise
                for event in found:
                    event['stack_id'] = stack_id
                self.show_progress.events(found, name)
                if found:
                    marker = found[-1]['id']
                if state is not None and state['ended']:
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

    def run(self, path, marker):
        """Wait if --wait asked; an action that did not complete (it
        failed, was cancelled, or its stack was deleted meanwhile) ends the
        command."""
        if not self.parsed_args.wait:
            return
        status = self.wait(path, marker)
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
