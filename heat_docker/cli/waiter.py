"""Waiting for a stack's action to end, showing its progress."""

import time

from heat_docker.cli import engine as engine_api
from heat_docker.cli import progress
from heat_docker.cli.common import CommandFailed
from heat_docker.cli.common import events

# Events are read when the engine has stored new ones, at most this often
# (a create of 200 containers stores 400 and more), and at least once a
# WAIT_SECONDS.
MIN_POLL_SECONDS = 0.03
WAIT_SECONDS = 2
# Heat stores the event that ends an action a transaction before the
# stack's own status: the stack is read again, for up to this long, until
# it follows.
CATCH_UP_SECONDS = 5


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
        """Follow the events after ``marker`` until the stack's own event
        ends the action; the stack's status, or None for a stack deleted
        and gone. Ctrl-C stops the waiting, not the action."""
        name, stack_id = path.split('/')[1:3]
        started = False
        engine = self.app.engine
        stored = engine.events_stored()
        try:
            while True:
                polled = time.monotonic()
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
                for event in found:
                    if (
                        event['physical_resource_id'] != stack_id
                        or event['logical_resource_id'] != name
                    ):
                        continue
                    status = event['resource_status']
                    if not status.startswith(self.action + '_'):
                        continue
                    # An action that takes over from one in progress (a
                    # delete after an engine died) first ends that one.
                    if status.endswith(progress.IN_PROGRESS):
                        started = True
                    elif started:
                        return status
                time.sleep(
                    max(0, polled + MIN_POLL_SECONDS - time.monotonic())
                )
                stored = engine.events_stored(stored, WAIT_SECONDS)
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

    def _caught_up(self, path):
        """Once the stack's status no longer says the action is in
        progress (its last event came first)."""
        deadline = time.monotonic() + CATCH_UP_SECONDS
        while time.monotonic() < deadline:
            stack = self.app.engine.call('GET', path, resolve_outputs='False')[
                'stack'
            ]
            if (
                stack['stack_status']
                != self.action + '_' + progress.IN_PROGRESS
            ):
                return
            time.sleep(MIN_POLL_SECONDS / 3)

    def run(self, path, marker):
        """Wait if --wait asked; a failed action ends the command."""
        if not self.parsed_args.wait:
            return
        status = self.wait(path, marker)
        if status and self.action != 'DELETE':
            self._caught_up(path)
        if status and status.endswith(progress.FAILED):
            raise CommandFailed(self.failed(path, status))
