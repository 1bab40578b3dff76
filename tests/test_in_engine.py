"""Commands run in the warm engine, for pipes and terminals alike, with
the same output as where they were typed; those that draw progress on a
terminal, read the user's files or ask the user run where they were typed.

Which side ran a command is read from Python's own import log
(``-X importtime``) of the command's process: run in the engine, it never
imports cliff.
"""

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios

import pytest
from test_cli import GREETER
from test_cli import TIMEOUT
from test_cli import command
from test_cli import owned_containers
from test_cli import succeeded


def _imports_cliff(import_log):
    return any(
        line.startswith('import time:') and line.rstrip().endswith(' cliff')
        for line in import_log.splitlines()
    )


def _piped(state_dir, docker_host, *args, stdin=None, environ=()):
    """The command with its output piped, and ``environ`` added to its
    environment; (result, whether its own process imported cliff)."""
    argv, env = command(state_dir, *args, docker_host=docker_host)
    result = subprocess.run(
        [sys.executable, '-X', 'importtime', *argv],
        capture_output=True,
        text=True,
        env={**env, **dict(environ)},
        stdin=stdin,
        timeout=TIMEOUT,
    )
    return result, _imports_cliff(result.stderr)


def _without_import_log(stderr):
    return ''.join(
        line
        for line in stderr.splitlines(keepends=True)
        if not line.startswith('import time:')
    )


# Tables wider than this are fitted to it on a terminal.
COLUMNS = 60


def _on_terminal(state_dir, docker_host, *args):
    """The command with stdout and stderr on a terminal COLUMNS wide: (its
    output, whether it imported cliff)."""
    argv, env = command(state_dir, *args, docker_host=docker_host)
    leader, follower = pty.openpty()
    fcntl.ioctl(
        follower, termios.TIOCSWINSZ, struct.pack('HHHH', 24, COLUMNS, 0, 0)
    )
    process = subprocess.Popen(
        [sys.executable, '-X', 'importtime', *argv],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal's last writer closed it
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(TIMEOUT) == 0
    text = b''.join(chunks).decode().replace('\r\n', '\n')
    return _without_import_log(text), _imports_cliff(text)


@pytest.fixture
def stack(tmp_path, docker_host, api):
    """A stack of one container, made by a piped ``stack create --wait``
    run in the engine; its name."""
    template = tmp_path / 'web.yaml'
    template.write_text(GREETER)
    state = tmp_path / 'state'
    # The first command starts the engine, where it runs.
    argv, env = command(state, 'engine', 'start', docker_host=docker_host)
    succeeded(
        subprocess.run(
            argv, capture_output=True, text=True, env=env, timeout=TIMEOUT
        )
    )
    created, cliff = _piped(
        state,
        docker_host,
        *('stack', 'create', 'web', '-t', template, '--wait'),
    )
    succeeded(created)
    assert not cliff, 'the create ran in the command, not the engine'
    assert 'CREATE_COMPLETE' in created.stdout
    assert '[web]: CREATE_COMPLETE' in created.stderr
    yield 'web'
    for container in owned_containers(api, 'web'):
        api.remove_container(container['Id'], force=True)


def test_commands_run_in_the_engine_as_where_they_were_typed(
    stack, tmp_path, docker_host
):
    state = tmp_path / 'state'
    # A global option other than --state-dir keeps a command where it was
    # typed.
    here = ('--log-file', os.devnull)
    for args in (
        ('stack', 'show', stack, '-f', 'json'),
        ('stack', 'list', '-f', 'json'),
        ('stack', 'list', '-f', 'value', '-c', 'Stack Name'),
        # heatclient's, that need nothing of the command's process.
        ('stack', 'resource', 'list', stack, '-f', 'json'),
        ('stack', 'output', 'show', stack, '--all', '-f', 'json'),
        ('stack', 'event', 'list', stack, '-f', 'value', '-c', 'id'),
    ):
        piped, cliff = _piped(state, docker_host, *args)
        assert not cliff, args
        shown, cliff = _on_terminal(state, docker_host, *args)
        assert not cliff, args
        typed, cliff = _on_terminal(state, docker_host, *here, *args)
        assert cliff, args
        assert succeeded(piped) == shown == typed, args
        if args[-2:] == ('-f', 'json'):
            json.loads(shown)

    # Tables fitted to the terminal, and progress and help drawn on it.
    table = ('stack', 'resource', 'list', stack)
    shown, cliff = _on_terminal(state, docker_host, *table)
    assert not cliff
    typed, _ = _on_terminal(state, docker_host, *here, *table)
    assert shown == typed
    assert len(max(shown.splitlines(), key=len)) < len(
        max(
            succeeded(_piped(state, docker_host, *table)[0]).splitlines(),
            key=len,
        )
    ), 'the table was not fitted to the terminal'
    # cliff's width settings are read of the user's environment.
    narrow, cliff = _piped(
        state,
        docker_host,
        *table,
        environ={'CLIFF_MAX_TERM_WIDTH': str(COLUMNS)},
    )
    assert cliff, 'CLIFF_MAX_TERM_WIDTH is not read in the engine'
    assert succeeded(narrow) == shown
    # The progress display is drawn where the command was typed (as is
    # help, which cliff pages on a terminal).
    checked, cliff = _on_terminal(
        state, docker_host, 'stack', 'check', stack, '--wait'
    )
    assert cliff
    assert 'CHECK_COMPLETE' in checked

    # argparse's and heatclient's errors: the same words.
    for args in (
        ('stack', 'create'),
        ('stack', 'nonsense'),
        ('stack', 'resource', 'show', stack, 'nope'),
    ):
        engine, _ = _piped(state, docker_host, *args)
        typed, _ = _piped(state, docker_host, *here, *args)
        assert engine.returncode == typed.returncode != 0, args
        assert _without_import_log(engine.stderr) == _without_import_log(
            typed.stderr
        )
    # heatclient's commands that read the user's files, or wait (their
    # Ctrl-C is their process's), run where they were typed.
    validated, cliff = _piped(
        state,
        docker_host,
        *('template', 'validate', '-t', tmp_path / 'web.yaml', '-f', 'json'),
    )
    assert cliff
    assert 'Parameters' in json.loads(succeeded(validated))
    cancelled, cliff = _piped(
        state, docker_host, 'stack', 'cancel', 'nope', '--wait'
    )
    assert cliff
    assert cancelled.returncode == 1
    assert 'nope' in cancelled.stderr


def test_delete_asks_on_a_terminal_before_it_deletes(
    stack, tmp_path, docker_host, api
):
    state = tmp_path / 'state'
    for answer, kept in ((b'n\n', True), (b'y\n', False)):
        leader, follower = pty.openpty()
        os.write(leader, answer)
        try:
            deleted, cliff = _piped(
                state,
                docker_host,
                *('stack', 'delete', stack, '--wait'),
                stdin=follower,
            )
        finally:
            os.close(follower)
            os.close(leader)
        assert cliff, 'the question is asked where the command was typed'
        assert 'Are you sure' in succeeded(deleted)
        assert bool(owned_containers(api, stack)) == kept
    assert '[%s]: DELETE_COMPLETE' % stack in deleted.stderr


def test_a_reader_of_the_first_line_alone_does_not_fail_the_command(
    stack, tmp_path, docker_host
):
    """``heat-docker stack show NAME -f value | head -1``: the output comes
    in one piece, as cliff's does, even with Python's output unbuffered."""
    argv, env = command(
        tmp_path / 'state',
        *('stack', 'show', stack, '-f', 'value'),
        docker_host=docker_host,
    )
    process = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**env, 'PYTHONUNBUFFERED': '1'},
    )
    assert process.stdout.readline()
    process.stdout.close()
    _out, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, err
