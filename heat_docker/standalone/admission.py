"""Turns for the resources of the one engine: a few at a time do their Heat
work up to their first wait, in the order they came.

Each resource of a stack is checked by its own worker thread
(``WorkerService.check_resource``): it loads the stack, stores its state
and an event, and calls its handler, which sends Docker its create or its
stop. With twenty threads doing that side by side on one interpreter lock
and one sqlite writer, all twenty reach Docker together, 0.4 s after the
first could have; Docker then starts them one after another. Taking turns,
the first resource reaches Docker in a few milliseconds and the others
follow while Docker works.

A thread leaves its turn when its action first waits (``TaskRunner._sleep``:
the handler has returned) or when its check ends. Should every turn be held
for LONGEST_WAIT_SECONDS with no one admitted (a handler that pulls a large
image, say), the threads waiting go on without one, as they would without
turns.
"""

import threading

SLOTS = 2
LONGEST_WAIT_SECONDS = 1.0


class Turns:
    def __init__(self, slots=SLOTS, longest_wait=LONGEST_WAIT_SECONDS):
        self._slots = slots
        self._longest_wait = longest_wait
        self._ready = threading.Condition()
        self._held = 0
        self._admitted = 0
        self._mine = threading.local()

    def enter(self):
        """Wait for a turn (CPython wakes a condition's waiters in the
        order they began to wait)."""
        with self._ready:
            while self._held >= self._slots:
                admitted = self._admitted
                self._ready.wait(self._longest_wait)
                if self._admitted == admitted and self._held >= self._slots:
                    return
            self._held += 1
            self._admitted += 1
            self._mine.holding = True

    def leave(self):
        """Give the turn up, if this thread holds one."""
        if not self.holding():
            return
        self._mine.holding = False
        with self._ready:
            self._held -= 1
            self._ready.notify()

    def run(self, function, *args, **kwargs):
        """``function`` in a turn, which it may leave early."""
        self.enter()
        try:
            return function(*args, **kwargs)
        finally:
            self.leave()

    def holding(self):
        """Whether this thread holds a turn."""
        return getattr(self._mine, 'holding', False)


TURNS = Turns()
