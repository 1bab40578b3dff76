"""The warm engine: started on first use, one per state directory,
replaced between actions, never mid-action; Ctrl-C stops the waiting."""

import os
import shutil
import signal
import stat
import subprocess
import time
import uuid

from conftest import IMAGE
from test_cli import command
from test_cli import delete_stack
from test_cli import failed
from test_cli import owned_containers
from test_cli import run
from test_cli import stack_status
from test_cli import succeeded
import yaml

from heat_docker.cli import engine as engine_api

TIMEOUT = 120

# Healthy after a few seconds: an action that lasts long enough to act on.
SLOW = {
    'heat_template_version': '2021-04-16',
    'resources': {
        'slow': {
            'type': 'DockerInc::Docker::Container',
            'properties': {
                'image': IMAGE,
                'cmd': ['sh', '-c', 'sleep 4; touch /ready; exec sleep 1000'],
                'init': True,
                'healthcheck': {
                    'test': 'test -f /ready',
                    'interval': '1s',
                    'start_period': '30s',
                },
                'completion': 'healthy',
            },
        }
    },
}


def _slow_template(tmp_path):
    path = tmp_path / 'slow.yaml'
    path.write_text(yaml.safe_dump(SLOW))
    return str(path)


def _engine_pid(state):
    return int((state / 'engine.lock').read_text())


def _engine_processes(state):
    """Pids of the engine processes serving ``state``."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as cmdline:
                argv = cmdline.read().split(b'\0')
        except OSError:
            continue
        if (
            b'heat_docker.standalone.daemon' in argv
            and str(state).encode() in argv
            and engine_api.alive(int(entry))
        ):
            found.append(int(entry))
    return found


def _background(state, docker_host, *args, env=None):
    argv, base_env = command(state, *args, docker_host=docker_host)
    return subprocess.Popen(
        argv,
        env={**base_env, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _status(state, docker_host, *args, env=None):
    argv, base_env = command(state, *args, docker_host=docker_host)
    return subprocess.run(
        argv,
        env={**base_env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def _slow_create_started(tmp_path, state, docker_host, api, name):
    """``stack create --wait`` of the slow template, running once its
    container exists."""
    creating = _background(
        state,
        docker_host,
        'stack',
        'create',
        name,
        '-t',
        _slow_template(tmp_path),
        '--wait',
    )
    deadline = time.monotonic() + 60
    while not owned_containers(api, name):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return creating


def test_racing_commands_start_one_engine(tmp_path, docker_host):
    state = tmp_path / 'state'
    commands = [
        _background(state, docker_host, 'stack', 'list', '-f', 'json')
        for _ in range(4)
    ]
    for process in commands:
        out, err = process.communicate(timeout=TIMEOUT)
        assert process.returncode == 0, err
        assert out.strip() == '[]'
    assert _engine_processes(state) == [_engine_pid(state)]
    mode = os.stat(state / 'engine.sock').st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600


def test_engine_status_and_stop(tmp_path, docker_host):
    state = tmp_path / 'state'
    message = failed(run(state, 'engine', 'status', docker_host=docker_host))
    assert 'No engine runs for %s' % state in message
    started = succeeded(
        run(state, 'engine', 'start', '-f', 'yaml', docker_host=docker_host)
    )
    status = yaml.safe_load(started)
    assert status['pid'] == _engine_pid(state)
    assert status['state_dir'] == str(state)
    assert status['state'] == 'running'
    assert status['settings']['DOCKER_HOST'] == docker_host
    assert status['uptime'] >= 0
    stopped = run(state, 'engine', 'stop', docker_host=docker_host)
    succeeded(stopped)
    assert stopped.stderr == 'Stopped the engine of %s (pid %d).\n' % (
        state,
        status['pid'],
    )
    assert not engine_api.alive(status['pid'])
    assert not (state / 'engine.sock').exists()
    failed(run(state, 'engine', 'status', docker_host=docker_host))


def test_the_engine_imports_nothing_of_the_user_s_directory(
    tmp_path, docker_host
):
    project = tmp_path / 'project'
    project.mkdir()
    for module in ('docker', 'yaml', 'heat'):
        (project / ('%s.py' % module)).write_text(
            'raise ImportError("%s.py of the working directory")\n' % module
        )
    state = tmp_path / 'state'
    succeeded(
        run(state, 'engine', 'start', docker_host=docker_host, cwd=project)
    )
    pid = _engine_pid(state)
    assert os.readlink('/proc/%d/cwd' % pid) == '/'
    succeeded(run(state, 'engine', 'stop', docker_host=docker_host))


def test_an_idle_engine_exits(tmp_path, docker_host):
    state = tmp_path / 'state'
    listed = _status(
        state,
        docker_host,
        'stack',
        'list',
        env={'HEAT_DOCKER_ENGINE_IDLE_TIMEOUT': '1'},
    )
    assert listed.returncode == 0, listed.stderr
    pid = _engine_pid(state)
    deadline = time.monotonic() + 30
    while engine_api.alive(pid):
        assert time.monotonic() < deadline, 'the idle engine still runs'
        time.sleep(0.1)


def test_other_settings_replace_the_engine_after_its_action(
    tmp_path, docker_host, api
):
    state = tmp_path / 'state'
    name = 'engine-%s' % uuid.uuid4().hex[:8]
    creating = _slow_create_started(tmp_path, state, docker_host, api, name)
    old = _engine_pid(state)
    other = {'HEAT_DOCKER_DEBUG': '1'}
    listed = _status(state, docker_host, 'stack', 'list', env=other)
    assert listed.returncode == 0, listed.stderr
    assert 'actions in progress on stack %s have ended' % name in listed.stderr
    assert name in listed.stdout
    _out, err = creating.communicate(timeout=TIMEOUT)
    assert creating.returncode == 0, err  # not interrupted
    shown = _status(
        state, docker_host, 'engine', 'start', '-f', 'yaml', env=other
    )
    status = yaml.safe_load(shown.stdout)
    assert status['pid'] != old
    assert status['settings']['HEAT_DOCKER_DEBUG'] == '1'
    assert not engine_api.alive(old)
    delete_stack(state, name, docker_host)


def test_ctrl_c_stops_the_waiting_not_the_action(tmp_path, docker_host, api):
    state = tmp_path / 'state'
    name = 'engine-%s' % uuid.uuid4().hex[:8]
    creating = _slow_create_started(tmp_path, state, docker_host, api, name)
    creating.send_signal(signal.SIGINT)
    _out, err = creating.communicate(timeout=TIMEOUT)
    assert creating.returncode == 130
    assert 'The CREATE of stack %s goes on in the engine' % name in err
    assert 'heat-docker stack cancel --no-rollback %s' % name in err
    assert 'Traceback' not in err
    deadline = time.monotonic() + 60
    while True:
        shown = stack_status(state, name, docker_host)
        if shown != 'CREATE_IN_PROGRESS':
            break
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert shown == 'CREATE_COMPLETE'
    delete_stack(state, name, docker_host)
    assert owned_containers(api, name) == []


def test_cancel_without_rollback_fails_the_create(tmp_path, docker_host, api):
    state = tmp_path / 'state'
    name = 'engine-%s' % uuid.uuid4().hex[:8]
    template = _slow_template(tmp_path)
    succeeded(
        run(
            state,
            'stack',
            'create',
            name,
            '-t',
            template,
            docker_host=docker_host,
        )
    )
    cancelled = run(
        state,
        'stack',
        'cancel',
        '--no-rollback',
        name,
        '--wait',
        docker_host=docker_host,
    )
    shown = stack_status(state, name, docker_host)
    assert shown == 'CREATE_FAILED', cancelled.stderr
    delete_stack(state, name, docker_host)
    assert owned_containers(api, name) == []


def test_a_waiting_command_is_answered_when_the_action_ends(
    tmp_path, docker_host, api
):
    state = tmp_path / 'state'
    succeeded(run(state, 'engine', 'start', docker_host=docker_host))
    engine = engine_api.Engine(state)
    name = 'engine-%s' % uuid.uuid4().hex[:8]
    creating = _slow_create_started(tmp_path, state, docker_host, api, name)
    stack_id = engine.stack_path(name).split('/')[2]

    # While the create goes on, the wait ends at its timeout, with the
    # events stored so far: the stack's and its container's beginnings.
    going = engine.action_state(stack_id, 'CREATE', None, None, 0.3, 0)
    assert (going['ended'], going['status']) == (False, None)
    assert [e['resource_status'] for e in going['events']] == [
        'CREATE_IN_PROGRESS'
    ] * 2
    shown = going['events'][-1]['seq']

    # It ends when the create does, the stack's status stored with it,
    # and brings the events after those shown.
    waited = time.monotonic()
    ended = engine.action_state(
        stack_id, 'CREATE', going['since'], None, 60, shown
    )
    assert time.monotonic() - waited < 30
    assert (ended['ended'], ended['status']) == (True, 'CREATE_COMPLETE')
    assert [
        (e['resource_name'], e['resource_status']) for e in ended['events']
    ] == [
        ('slow', 'CREATE_COMPLETE'),
        (name, 'CREATE_COMPLETE'),
    ]
    assert stack_status(state, name, docker_host) == 'CREATE_COMPLETE'
    _out, err = creating.communicate(timeout=TIMEOUT)
    assert creating.returncode == 0, err
    # Its events as heat-api lists them.
    listed = engine.call(
        'GET', 'stacks/%s/%s/events' % (name, stack_id), sort_dir='asc'
    )['events']
    fields = [
        'id',
        'event_time',
        'resource_name',
        'logical_resource_id',
        'physical_resource_id',
        'resource_status',
        'resource_status_reason',
    ]
    assert [{f: e[f] for f in fields} for e in listed] == [
        {f: e[f] for f in fields} for e in going['events'] + ended['events']
    ]

    # An update that has not begun has not ended, though the stack is
    # COMPLETE: after the last event, none began.
    before = engine.last_event()
    update = engine.action_state(stack_id, 'UPDATE', None, before, 0.2, None)
    assert (update['ended'], update['status'], update['events']) == (
        False,
        None,
        None,
    )

    # A deleted stack: its row says DELETE_COMPLETE until Heat purges it
    # (after the delete ends), then it is gone.
    delete_stack(state, name, docker_host)
    deadline = time.monotonic() + 30
    while True:
        gone = engine.action_state(stack_id, 'DELETE', None, before, 5, None)
        assert gone['ended']
        if gone['status'] is None:
            break
        assert gone['status'] == 'DELETE_COMPLETE'
        assert time.monotonic() < deadline, 'the stack was never purged'
        time.sleep(0.05)


def test_an_engine_whose_state_directory_was_removed_still_stops(
    tmp_path, docker_host
):
    state = tmp_path / 'state'
    succeeded(run(state, 'engine', 'start', docker_host=docker_host))
    pid = _engine_pid(state)
    shutil.rmtree(state)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while engine_api.alive(pid):
        assert time.monotonic() < deadline, 'the engine did not stop'
        time.sleep(0.1)
