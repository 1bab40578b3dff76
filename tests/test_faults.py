"""Faults on a real engine: each ends complete, or failed with a reason,
and a retry or a delete then leaves nothing behind."""

import errno
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import types
import uuid

from conftest import IMAGE
from conftest import REGISTRY_PASSWORD
from conftest import REGISTRY_USER
from conftest import REPO
import docker
import pytest
from test_cli import command
from test_cli import delete_stack
from test_cli import failed
from test_cli import owned_containers
from test_cli import run
from test_cli import succeeded
import yaml

# PID 1 ignores SIGTERM: a delete waits out its 3 s grace, time enough to
# kill the engine in the middle of it.
STUBBORN = ['sleep', '86400']


def _template(tmp_path, count):
    resources = {
        'c%d' % i: {
            'type': 'DockerInc::Docker::Container',
            'properties': {'image': IMAGE, 'cmd': STUBBORN, 'stop_timeout': 3},
        }
        for i in range(count)
    }
    path = tmp_path / 'stack.yaml'
    path.write_text(
        yaml.safe_dump(
            {'heat_template_version': '2021-04-16', 'resources': resources}
        )
    )
    return str(path)


def _background(state, docker_host, *args):
    """``heat-docker ARGS`` running beside the test, its output piped."""
    argv, env = command(state, *args, docker_host=docker_host)
    return subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _engine_killed_when(state, docker_host, until, *args):
    """Start ``heat-docker ARGS``; SIGKILL the engine it talks to once
    ``until()`` holds: its stderr and exit status. A command that started
    the engine runs where it was typed: still waiting, it meets a new
    engine. One that a running engine took ends, and says so."""
    process = _background(state, docker_host, *args)
    deadline = time.monotonic() + 60
    while not until():
        assert time.monotonic() < deadline, 'the moment never came'
        assert process.poll() is None, 'the command ended first'
        time.sleep(0.05)
    os.kill(int((state / 'engine.lock').read_text()), signal.SIGKILL)
    _out, err = process.communicate(timeout=120)
    return process.returncode, err


def _failed_with(state, docker_host, name, reason):
    """The stack's status and reason, as the next engine left them."""
    shown = run(
        state,
        *('stack', 'show', name, '-f', 'json'),
        docker_host=docker_host,
    )
    stack = json.loads(succeeded(shown))
    assert reason in stack['stack_status_reason']
    return stack['stack_status']


def test_engine_killed_mid_create_then_delete_leaves_nothing(
    tmp_path, api, docker_host
):
    name = 'fault-%s' % uuid.uuid4().hex[:8]
    state = tmp_path / 'state'
    create = ['stack', 'create', name, '-t', _template(tmp_path, 6), '--wait']
    # The first command: it starts the engine, and waits where it runs.
    code, err = _engine_killed_when(
        state, docker_host, lambda: owned_containers(api, name), *create
    )
    # The next engine fails what the dead one left in progress.
    reason = 'Engine went down during stack CREATE'
    assert code == 1
    assert 'Stack %s CREATE_FAILED' % name in err
    assert reason in err
    assert _failed_with(state, docker_host, name, reason) == 'CREATE_FAILED'
    delete_stack(state, name, docker_host)
    assert owned_containers(api, name) == []


def test_engine_killed_mid_delete_then_delete_leaves_nothing(
    tmp_path, api, docker_host
):
    name = 'fault-%s' % uuid.uuid4().hex[:8]
    state = tmp_path / 'state'
    create = ['stack', 'create', name, '-t', _template(tmp_path, 4)]
    succeeded(run(state, *create, '--wait', docker_host=docker_host))
    since = time.time()

    def stop_signal_sent():
        return bool(
            list(
                api.events(
                    since=since,
                    until=time.time(),
                    decode=True,
                    filters={'type': 'container', 'event': 'kill'},
                )
            )
        )

    delete = ['stack', 'delete', name, '--yes', '--wait']
    # Run in the engine, the command ends with it.
    code, err = _engine_killed_when(
        state, docker_host, stop_signal_sent, *delete
    )
    assert code == 1
    assert 'stopped before the command ended' in err
    reason = 'Engine went down during stack DELETE'
    assert _failed_with(state, docker_host, name, reason) == 'DELETE_FAILED'
    assert owned_containers(api, name), 'the delete ended before the kill'
    deleted = delete_stack(state, name, docker_host)
    assert 'DELETE_COMPLETE' in deleted.stderr
    assert owned_containers(api, name) == []


def test_update_converge_recovers_a_create_its_engine_died_in(
    tmp_path, api, docker_host
):
    name = 'fault-%s' % uuid.uuid4().hex[:8]
    state = tmp_path / 'state'
    template = _template(tmp_path, 6)
    create = ['stack', 'create', name, '-t', template, '--wait']
    _engine_killed_when(
        state, docker_host, lambda: owned_containers(api, name), *create
    )
    updated = run(
        state,
        'stack',
        'update',
        name,
        '--existing',
        '--converge',
        '--wait',
        docker_host=docker_host,
    )
    succeeded(updated)
    assert len(owned_containers(api, name)) == 6
    delete_stack(state, name, docker_host)
    assert owned_containers(api, name) == []


def _engine_in(directory):
    """A private dockerd in ``directory``, with the test image."""
    tool = str(REPO / 'tools' / 'private-dockerd')

    def start():
        return subprocess.run(
            [tool, 'start', directory],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    host = start()
    subprocess.run(
        [str(REPO / 'tools' / 'build-images')],
        env={**os.environ, 'DOCKER_HOST': host},
        check=True,
    )
    return types.SimpleNamespace(
        host=host,
        api=docker.APIClient(base_url=host, version='auto'),
        start=start,
        stop=lambda: subprocess.run([tool, 'stop', directory], check=True),
    )


@pytest.fixture
def own_engine():
    """A private dockerd of this test's own, to stop and start again."""
    directory = tempfile.mkdtemp(prefix='hdf-', dir='/tmp')
    engine = _engine_in(directory)
    yield engine
    engine.api.close()
    engine.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def small_engine():
    """A private dockerd whose data root is a 160 MiB tmpfs, to fill."""
    directory = tempfile.mkdtemp(prefix='hds-', dir='/tmp')
    data = os.path.join(directory, 'data')
    os.mkdir(data)
    subprocess.run(
        ['mount', '-t', 'tmpfs', '-o', 'size=160m', 'tmpfs', data], check=True
    )
    engine = _engine_in(directory)
    engine.data = data
    yield engine
    engine.api.close()
    engine.stop()
    subprocess.run(['umount', data], check=False)
    shutil.rmtree(directory, ignore_errors=True)


def _fill(directory):
    """Write zeros into ``directory`` until its filesystem is full."""
    path = os.path.join(directory, 'filler')
    with open(path, 'wb') as filler:
        try:
            while True:
                filler.write(bytes(2**20))
                filler.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return path


def test_a_full_disk_fails_create_and_pull_clearly_then_delete_cleans(
    tmp_path, small_engine, registry
):
    state = tmp_path / 'state'
    name = 'full-%s' % uuid.uuid4().hex[:8]
    path = tmp_path / 'stack.yaml'
    pulled = '%s/heat-docker/busybox:latest' % registry
    path.write_text(
        yaml.safe_dump(
            {
                'heat_template_version': '2021-04-16',
                'resources': {
                    'local': {
                        'type': 'DockerInc::Docker::Container',
                        'properties': {'image': IMAGE, 'cmd': STUBBORN},
                    },
                    'pulled': {
                        'type': 'DockerInc::Docker::Container',
                        'properties': {
                            'image': pulled,
                            'cmd': STUBBORN,
                            'registry_credentials': {
                                'username': REGISTRY_USER,
                                'password': REGISTRY_PASSWORD,
                            },
                        },
                    },
                },
            }
        )
    )
    filler = _fill(small_engine.data)
    created = run(
        state,
        'stack',
        'create',
        name,
        '-t',
        str(path),
        '--wait',
        docker_host=small_engine.host,
    )
    reasons = failed(created)
    assert (
        'local: CREATE_FAILED: ContainerFailed: resources.local: Docker '
        'engine %s refused to create the container: ' % small_engine.host
    ) in reasons
    assert 'no space left on device' in reasons
    assert (
        'pulled: CREATE_FAILED: ContainerFailed: resources.pulled: '
        + ('Pulling image %s failed: ' % pulled)
        in reasons
    )
    assert 'http+docker' not in reasons

    os.remove(filler)
    delete_stack(state, name, small_engine.host)
    assert small_engine.api.containers(all=True) == []


def _restarted_when(engine, until, pause=2):
    deadline = time.monotonic() + 60
    while not until():
        assert time.monotonic() < deadline, 'the moment never came'
        time.sleep(0.05)
    engine.stop()
    time.sleep(pause)
    engine.start()


def test_docker_restarted_mid_create_and_mid_delete(tmp_path, own_engine):
    api = own_engine.api
    name = 'restart-%s' % uuid.uuid4().hex[:8]
    state = tmp_path / 'state'
    path = tmp_path / 'stack.yaml'
    path.write_text(
        yaml.safe_dump(
            {
                'heat_template_version': '2021-04-16',
                'resources': {
                    'c%d' % i: {
                        'type': 'DockerInc::Docker::Container',
                        'properties': {
                            'image': IMAGE,
                            'cmd': [
                                'sh',
                                '-c',
                                'sleep 4; touch /tmp/ready; exec sleep 1000',
                            ],
                            'completion': 'healthy',
                            'healthcheck': {
                                'test': 'test -f /tmp/ready',
                                'interval': '1s',
                                'start_period': '60s',
                            },
                            'restart_policy': {'Name': 'always'},
                            'stop_timeout': 3,
                        },
                    }
                    for i in range(3)
                },
            }
        )
    )
    creating = _background(
        state,
        own_engine.host,
        'stack',
        'create',
        name,
        '-t',
        str(path),
        '--wait',
    )
    _restarted_when(own_engine, lambda: len(owned_containers(api, name)) == 3)
    out, err = creating.communicate(timeout=300)
    assert creating.returncode == 0, err
    assert 'CREATE_COMPLETE' in out

    deleting = _background(
        state, own_engine.host, 'stack', 'delete', name, '--yes', '--wait'
    )
    since = time.time()
    _restarted_when(
        own_engine,
        lambda: list(
            api.events(
                since=since,
                until=time.time(),
                decode=True,
                filters={'type': 'container', 'event': 'kill'},
            )
        ),
    )
    out, err = deleting.communicate(timeout=300)
    assert deleting.returncode == 0, err
    assert owned_containers(api, name) == []
