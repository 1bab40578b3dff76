"""Faults on a real engine: each ends complete, or failed with a reason,
and a retry or a delete then leaves nothing behind."""

import signal
import subprocess
import time
import uuid

from conftest import IMAGE
from test_cli import command
from test_cli import owned_containers
from test_cli import run
from test_cli import succeeded
import yaml

# PID 1 ignores SIGTERM: a delete waits out its 3 s grace, time enough to
# kill the command in the middle of it.
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


def _killed_when(state, docker_host, until, *args):
    """Start ``heat-docker ARGS``; SIGKILL it once ``until()`` holds."""
    argv, env = command(state, *args, docker_host=docker_host)
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while not until():
        assert time.monotonic() < deadline, 'the moment never came'
        assert process.poll() is None, 'the command ended first'
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_engine_killed_mid_create_then_delete_leaves_nothing(
    tmp_path, api, docker_host
):
    name = 'fault-%s' % uuid.uuid4().hex[:8]
    state = tmp_path / 'state'
    create = ['stack', 'create', name, '-t', _template(tmp_path, 6)]
    _killed_when(
        state, docker_host, lambda: owned_containers(api, name), *create
    )
    delete = ['stack', 'delete', name, '--yes', '--wait']
    succeeded(run(state, *delete, docker_host=docker_host))
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
    _killed_when(state, docker_host, stop_signal_sent, *delete)
    assert owned_containers(api, name), 'the delete ended before the kill'
    deleted = run(state, *delete, docker_host=docker_host)
    succeeded(deleted)
    assert 'DELETE_COMPLETE' in deleted.stderr
    assert owned_containers(api, name) == []
