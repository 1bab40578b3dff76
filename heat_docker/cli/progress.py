"""Showing a stack action's progress while the command waits for it.

Off a terminal, or with --verbose, each event is one line, as
``openstack stack event list`` prints it. On a terminal each resource has
one line, updated in place, with its state and how long it has been at
it, and the failing resource's reason when one fails; ``rich`` draws it
and is imported only then.
"""

import time

IN_PROGRESS, COMPLETE, FAILED = 'IN_PROGRESS', 'COMPLETE', 'FAILED'


def event_line(event):
    """An event as ``openstack stack event list`` logs it."""
    return '%s [%s]: %s  %s' % (
        event['event_time'],
        event['resource_name'],
        event['resource_status'],
        event.get('resource_status_reason') or '',
    )


class Quiet:
    """No progress: a machine format, or no --wait."""

    # Whether the action's events are read for this display (its end is
    # told without them).
    shows_events = False

    def events(self, events, stack_name):
        pass

    def close(self):
        pass


class EventLines(Quiet):
    shows_events = True

    def __init__(self, stream):
        self.stream = stream

    def events(self, events, stack_name):
        for event in events:
            self.stream.write(event_line(event) + '\n')
        self.stream.flush()


class ResourceTable(Quiet):
    """One line per resource, redrawn in place."""

    shows_events = True

    def __init__(self, stream):
        from rich import console
        from rich import live

        self.rows = {}  # resource name -> [status, started, ended, reason]
        self.stack_name = ''
        # Drawn anew at each refresh, so a running resource's time counts.
        self.live = live.Live(
            get_renderable=self._render,
            console=console.Console(file=stream),
            refresh_per_second=8,
            transient=False,
        )
        self.live.start()

    def events(self, events, stack_name):
        now = time.monotonic()
        self.stack_name = stack_name
        for event in events:
            status = event['resource_status']
            key = event['resource_name']
            if event.get('logical_resource_id') == stack_name and (
                event['physical_resource_id'] == event.get('stack_id')
                or key == stack_name
            ):
                key = None
            row = self.rows.setdefault(key, [status, now, None, ''])
            if status.endswith(IN_PROGRESS):
                row[1], row[2] = now, None
            else:
                row[2] = now
            row[0] = status
            if status.endswith(FAILED):
                row[3] = event.get('resource_status_reason') or ''
        self.live.refresh()

    def _render(self):
        from rich import table
        from rich import text

        grid = table.Table.grid(padding=(0, 2))
        now = time.monotonic()
        # A copy: the refresh thread draws while events come in.
        for name, (status, started, ended, reason) in sorted(
            list(self.rows.items()),
            key=lambda item: (item[0] is None, item[0]),
        ):
            style = (
                'red'
                if status.endswith(FAILED)
                else 'green'
                if status.endswith(COMPLETE)
                else 'yellow'
            )
            grid.add_row(
                text.Text(name or self.stack_name, style='bold'),
                text.Text(status, style=style),
                '%.1fs' % ((ended or now) - started),
                text.Text(reason, style='red'),
            )
        return grid

    def close(self):
        self.live.stop()


def for_command(stream, wait, machine_format, verbose):
    """How a command that waits shows the action's progress."""
    if not wait or machine_format:
        return Quiet()
    if stream.isatty() and not verbose:
        return ResourceTable(stream)
    return EventLines(stream)
