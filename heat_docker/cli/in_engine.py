"""A command run in the warm engine, from the command's side.

Python and cliff start in about 0.07 s, and a table's formatting imports
as much again: more than heat-docker's own work for a small stack. So a
command is offered to the engine of its state directory
(:mod:`heat_docker.standalone.commands`), which runs it with everything
imported already and sends its output back. With it goes what the
command needs of the user's terminal: whether stdin, stdout and stderr
are terminals, and the width its tables are fitted to. Nothing heavier
than the standard library is imported here.

The command runs where it was typed instead (None from :func:`run`):

* with options other than ``--state-dir`` before the command;
* when its user sets how cliff fits tables (``CLIFF_MAX_TERM_WIDTH``,
  ``CLIFF_FIT_WIDTH``), which the engine reads of its own environment;
* with no engine, or one of other settings or code (the command starts or
  replaces it, as ever);
* when the engine leaves it to the command: one that draws its progress
  or help on a terminal, reads or writes the user's files, follows or
  waits as heatclient's commands do (their Ctrl-C is the process's), or
  needs to ask the user something.
"""

import json
import os
import socket
import sys

from heat_docker import engine_protocol as protocol

STATE_DIR_OPTION = '--state-dir'
SIGPIPE_EXIT = 141  # cliff's, for a reader that went


def _split(argv):
    """(state directory, the command's arguments), or None when options
    other than ``--state-dir`` come before the command."""
    state_dir = None
    rest = list(argv)
    while rest and rest[0].startswith('-'):
        option = rest.pop(0)
        if option == STATE_DIR_OPTION and rest:
            state_dir = rest.pop(0)
        elif option.startswith(STATE_DIR_OPTION + '='):
            state_dir = option.split('=', 1)[1]
        else:
            return None
    if not rest:
        return None
    return os.path.abspath(state_dir or protocol.default_state_dir()), rest


def _columns():
    """The width of the terminal stdout is on, as cliff reads it."""
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError):
        return None


def run(argv):
    """The command's exit status if the engine ran it, else None."""
    split = _split(argv)
    if split is None or any(
        name in os.environ for name in protocol.FORMAT_ENVIRONMENT
    ):
        return None
    state_dir, args = split
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(os.path.join(state_dir, protocol.COMMAND_SOCKET))
    except OSError:
        sock.close()
        return None
    with sock:
        request = {
            'argv': args,
            'cwd': os.getcwd(),
            'settings_key': protocol.settings()[1],
            'stdin_tty': sys.stdin is not None and sys.stdin.isatty(),
            'stdout_tty': sys.stdout.isatty(),
            'stderr_tty': sys.stderr.isatty(),
            'columns': _columns(),
        }
        try:
            sock.sendall(json.dumps(request).encode() + b'\n')
        except OSError:
            return None
        return _relay(sock, state_dir)


def _relay(sock, state_dir):
    """Write what the engine sends to stdout and stderr; the exit status.
    Ctrl-C is passed on: the engine stops waiting, as the command would."""
    replies = sock.makefile('rb')
    interrupted = False
    began = False
    while True:
        try:
            line = replies.readline()
        except KeyboardInterrupt:
            if interrupted:
                return 130
            interrupted = True
            try:
                sock.sendall(b'\n')
            except OSError:
                return 130
            continue
        except OSError:
            line = b''
        if not line:
            if not began:
                return None  # the engine went before it took the command
            sys.stderr.write(
                'The engine of %s stopped before the command ended. A '
                'new one, started by the next command, fails the actions '
                'it left in progress ("heat-docker stack list" shows '
                'them).\n' % state_dir
            )
            return 1
        reply = json.loads(line)
        if 'local' in reply:
            return None
        if 'began' in reply:
            began = True
        elif 'out' in reply or 'err' in reply:
            stream, text = (
                (sys.stdout, reply['out'])
                if 'out' in reply
                else (sys.stderr, reply['err'])
            )
            try:
                stream.write(text)
                if stream is sys.stderr:  # the progress, as it comes
                    stream.flush()
            except BrokenPipeError:
                return _reader_went(stream)
        else:
            try:
                sys.stdout.flush()
            except BrokenPipeError:
                return _reader_went(sys.stdout)
            return reply['exit']


def _reader_went(stream):
    """As cliff: a reader that went (``| head``) ends the command, and
    closing the connection ends it in the engine too. (The output is
    written when Python's buffer fills or at the end, as cliff's is, so
    a reader that wants only its first lines does not make it fail.)"""
    os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
    return SIGPIPE_EXIT
