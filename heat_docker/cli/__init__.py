"""The heat-docker command: ``openstack stack ...`` on a warm local engine.

A thin client. It never imports Heat: it talks to the engine of its state
directory (:mod:`heat_docker.standalone.daemon`, started on first use) over
a unix socket, with Heat's own REST API (:mod:`.app`). Each command is
first offered to the warm engine, which runs most of them there, for
pipes and terminals alike (:mod:`.in_engine` says which run where they
were typed): this module and that one import the standard library only,
so such a command costs little more than Python's start.
"""

import contextlib
import os
import sys

from heat_docker.cli import in_engine


def main(argv=None):
    """The command's exit status. Run as the program (no ``argv``), a
    command the engine ran exits as soon as its output is flushed, without
    the interpreter's teardown (a warm "stack list" took 82 ms instead of
    85 to 88 here)."""
    args = sys.argv[1:] if argv is None else argv
    status = in_engine.run(args)
    if status is None:
        from heat_docker.cli import app

        return app.main(args)
    if argv is None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError):  # a reader that went
                stream.flush()
        os._exit(status)
    return status
