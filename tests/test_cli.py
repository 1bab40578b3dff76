"""The heat-docker command, run as users run it, against a real Docker."""

import json
import os
import pathlib
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid

from conftest import IMAGE
import pytest

HEAT_DOCKER = pathlib.Path(sys.executable).with_name('heat-docker')
TIMEOUT = 120
STACK_LABEL = 'org.openstack.heat.stack-name'
CONTAINER = 'DockerInc::Docker::Container'

GREETER = (
    """
heat_template_version: 2021-04-16
parameters:
  greeting:
    type: string
    default: hello
resources:
  web:
    type: DockerInc::Docker::Container
    properties:
      image: %s
      cmd: [sh, -c, "exec sleep 1000"]
      init: true
      env:
        GREETING: {get_param: greeting}
outputs:
  greeting:
    description: The greeting the container was given.
    value: {get_param: greeting}
  status:
    value: {get_attr: [web, status]}
"""
    % IMAGE
)

FAILING = (
    """
heat_template_version: 2021-04-16
resources:
  broken:
    type: DockerInc::Docker::Container
    properties:
      image: %s
      cmd: [sh, -c, "echo cannot start; exit 3"]
      init: true
"""
    % IMAGE
)

BAD_MEMORY = (
    """
heat_template_version: 2021-04-16
resources:
  web:
    type: DockerInc::Docker::Container
    properties:
      image: %s
      memory: lots
"""
    % IMAGE
)


def command(state_dir, *args, docker_host=None):
    """argv and environment of a heat-docker command."""
    env = dict(os.environ)
    if docker_host:
        env['DOCKER_HOST'] = docker_host
    return [HEAT_DOCKER, '--state-dir', str(state_dir), *args], env


def run(state_dir, *args, docker_host=None, cwd=None):
    argv, env = command(state_dir, *args, docker_host=docker_host)
    return subprocess.run(
        argv, capture_output=True, text=True, env=env, timeout=TIMEOUT, cwd=cwd
    )


def delete_stack(state_dir, name, docker_host):
    """``stack delete --yes --wait``, which must succeed; its result."""
    result = run(
        state_dir,
        'stack',
        'delete',
        name,
        '--yes',
        '--wait',
        docker_host=docker_host,
    )
    succeeded(result)
    return result


def stack_status(state_dir, name, docker_host):
    """``stack show NAME -c stack_status``, which must succeed."""
    shown = run(
        state_dir,
        'stack',
        'show',
        name,
        '-f',
        'value',
        '-c',
        'stack_status',
        docker_host=docker_host,
    )
    return succeeded(shown).strip()


def succeeded(result):
    assert result.returncode == 0, result.stderr
    assert 'Traceback' not in result.stderr
    return result.stdout


def failed(result):
    """stderr of a command that must have failed cleanly."""
    assert result.returncode != 0, result.stdout
    assert 'Traceback' not in result.stderr
    return result.stderr


@pytest.fixture
def heat_docker(tmp_path, docker_host):
    """Runs heat-docker with its state in tmp_path, on the test engine."""
    return lambda *args: run(tmp_path, *args, docker_host=docker_host)


@pytest.fixture
def stack_name(api):
    """A fresh stack name; its containers are removed after the test."""
    name = 'cli-%s' % uuid.uuid4().hex[:8]
    yield name
    for container in owned_containers(api, name):
        api.remove_container(container['Id'], force=True)


def owned_containers(api, stack_name):
    return api.containers(
        all=True, filters={'label': '%s=%s' % (STACK_LABEL, stack_name)}
    )


def env_of(api, container_id):
    return api.inspect_container(container_id)['Config']['Env']


class Follower:
    """``stack event list --follow`` running beside the other commands."""

    def __init__(self, state_dir, stack_name, docker_host):
        argv, env = command(
            state_dir,
            *('stack', 'event', 'list', stack_name, '--follow'),
            docker_host=docker_host,
        )
        self.process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, text):
        """Read event lines until one holds ``text``."""
        while text not in self.lines.get(timeout=TIMEOUT):
            pass

    def interrupt(self):
        """Ctrl-C; the exit status."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(TIMEOUT)

    def kill(self):
        self.process.kill()
        self.process.wait()


def test_stack_lifecycle(heat_docker, stack_name, api, tmp_path, docker_host):
    template = tmp_path / 'greeter.yaml'
    template.write_text(GREETER)
    environment = tmp_path / 'greeter-env.yaml'
    environment.write_text('parameters:\n  greeting: from the env file\n')

    greeter = ('-t', template, '-e', environment)
    created = heat_docker('stack', 'create', stack_name, *greeter, '--wait')
    shown = succeeded(created)
    assert 'CREATE_COMPLETE' in shown
    assert '[web]: CREATE_COMPLETE' in created.stderr
    assert 'FAILED' not in created.stderr
    (container,) = owned_containers(api, stack_name)
    assert container['State'] == 'running'
    assert 'GREETING=from the env file' in env_of(api, container['Id'])

    follower = Follower(tmp_path, stack_name, docker_host)
    try:
        listed = json.loads(
            succeeded(heat_docker('stack', 'list', '-f', 'json'))
        )
        assert [(s['Stack Name'], s['Stack Status']) for s in listed] == [
            (stack_name, 'CREATE_COMPLETE')
        ]

        stack = json.loads(
            succeeded(heat_docker('stack', 'show', stack_name, '-f', 'json'))
        )
        assert stack['id'] == listed[0]['ID']
        outputs = {
            o['output_key']: o['output_value'] for o in stack['outputs']
        }
        assert outputs == {
            'greeting': 'from the env file',
            'status': 'running',
        }

        status = heat_docker(
            'stack',
            'output',
            'show',
            stack_name,
            'status',
            '-f',
            'value',
            '-c',
            'output_value',
        )
        assert succeeded(status) == 'running\n'

        resources = heat_docker(
            'stack', 'resource', 'list', stack_name, '-f', 'json'
        )
        (web,) = json.loads(succeeded(resources))
        assert web['resource_name'] == 'web'
        assert web['physical_resource_id'] == container['Id']
        assert web['resource_status'] == 'CREATE_COMPLETE'

        events = succeeded(heat_docker('stack', 'event', 'list', stack_name))
        assert '[%s.web]: CREATE_COMPLETE' % stack_name in events
        assert '[%s]: CREATE_COMPLETE' % stack_name in events

        # A machine format gets the stack alone: no event lines on stderr.
        # (As with the openstack client, an environment file's parameters
        # win over --parameter; this update has none.)
        greeting = ('--parameter', 'greeting=from the command line')
        updated = heat_docker(
            'stack',
            'update',
            stack_name,
            '-t',
            template,
            *greeting,
            '--wait',
            '-f',
            'json',
        )
        stack = json.loads(succeeded(updated))
        assert stack['stack_status'] == 'UPDATE_COMPLETE'
        assert 'UPDATE_' not in updated.stderr
        (container,) = owned_containers(api, stack_name)
        assert 'GREETING=from the command line' in env_of(api, container['Id'])

        follower.wait_for('[%s]: UPDATE_COMPLETE' % stack_name)
        assert follower.interrupt() == 0
    finally:
        follower.kill()

    deleted = heat_docker('stack', 'delete', stack_name, '--yes', '--wait')
    succeeded(deleted)
    assert '[%s]: DELETE_COMPLETE' % stack_name in deleted.stderr
    assert owned_containers(api, stack_name) == []

    message = failed(heat_docker('stack', 'show', stack_name))
    assert message.strip() == 'Stack not found: %s' % stack_name


def test_files_are_read_where_the_command_runs(
    stack_name, api, tmp_path, docker_host
):
    """The template's get_file, a relative environment file and a
    parameter file (relative to the template, as heatclient takes it)."""
    templates = tmp_path / 'templates'
    templates.mkdir()
    (templates / 'script.sh').write_text('echo "$GREETING"; exec sleep 1000')
    (templates / 'greeting.txt').write_text('from a parameter file')
    (templates / 'app.yaml').write_text(
        GREETER.replace(
            'cmd: [sh, -c, "exec sleep 1000"]',
            'cmd: [sh, -c, {get_file: script.sh}]',
        )
    )
    (tmp_path / 'env.yaml').write_text('resource_registry: {}\n')
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    files = (
        *('-t', '../templates/app.yaml', '-e', '../env.yaml'),
        *('--parameter-file', 'greeting=greeting.txt'),
    )
    # A first command runs where it is typed while the engine starts.
    succeeded(run(tmp_path, 'engine', 'start', docker_host=docker_host))
    previewed = run(
        tmp_path,
        *('stack', 'create', stack_name, '--dry-run', '-f', 'json'),
        *files,
        docker_host=docker_host,
        cwd=elsewhere,
    )
    assert json.loads(succeeded(previewed))['stack_name'] == stack_name
    created = run(
        tmp_path,
        *('stack', 'create', stack_name, '--wait'),
        *files,
        docker_host=docker_host,
        cwd=elsewhere,
    )
    assert 'CREATE_COMPLETE' in succeeded(created)
    (container,) = owned_containers(api, stack_name)
    config = api.inspect_container(container['Id'])['Config']
    assert config['Cmd'] == ['sh', '-c', 'echo "$GREETING"; exec sleep 1000']
    assert 'GREETING=from a parameter file' in config['Env']
    delete_stack(tmp_path, stack_name, docker_host)

    argv, env = command(
        tmp_path,
        *('stack', 'create', stack_name, '-t', 'templates/missing.yaml'),
        docker_host=docker_host,
    )
    missing = subprocess.run(
        argv, capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert failed(missing).strip() == (
        'Could not fetch template from %s' % (templates / 'missing.yaml')
    )


def test_failing_container_fails_the_command(
    heat_docker, stack_name, tmp_path
):
    template = tmp_path / 'failing.yaml'
    template.write_text(FAILING)
    message = failed(
        heat_docker('stack', 'create', stack_name, '-t', template, '--wait')
    )
    assert 'Stack %s CREATE_FAILED' % stack_name in message
    assert 'broken: CREATE_FAILED' in message
    assert 'exited with code 3' in message
    assert 'cannot start' in message  # the container's last log lines


def test_validate_names_the_bad_property(heat_docker, tmp_path):
    template = tmp_path / 'bad.yaml'
    template.write_text(BAD_MEMORY)
    message = failed(heat_docker('template', 'validate', '-t', template))
    # As the openstack CLI prints it (python-heatclient's own command).
    assert message.strip() == (
        'ERROR: Property error: resources.web.properties.memory: must be a '
        'size in bytes, or with a unit: 512k, 64m, 1.5g'
    )


def test_resource_type_show_describes_every_property(tmp_path):
    shown = run(tmp_path, 'resource', 'type', 'show', CONTAINER, '-f', 'json')
    schema = json.loads(succeeded(shown))
    properties = schema['properties']
    assert properties['init']['description'].startswith(
        'Run an init process as PID 1'
    )
    assert all(p['description'] for p in properties.values())
    assert schema['attributes']['status']['description']


def test_processes_share_one_state_directory(
    heat_docker, api, tmp_path, docker_host
):
    """Several heat-docker processes, each on its own stack, at once."""
    template = tmp_path / 'greeter.yaml'
    template.write_text(GREETER)
    names = ['cli-par-%d-%s' % (i, uuid.uuid4().hex[:6]) for i in range(3)]
    argvs = [
        command(
            tmp_path,
            'stack',
            'create',
            name,
            '-t',
            template,
            '--wait',
            docker_host=docker_host,
        )
        for name in names
    ]
    processes = [
        subprocess.Popen(
            argv,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv, env in argvs
    ]
    try:
        for process in processes:
            _, stderr = process.communicate(timeout=TIMEOUT)
            assert process.returncode == 0, stderr
        listed = json.loads(
            succeeded(heat_docker('stack', 'list', '-f', 'json'))
        )
        assert sorted(
            (s['Stack Name'], s['Stack Status']) for s in listed
        ) == [(name, 'CREATE_COMPLETE') for name in sorted(names)]
        for name in names:
            assert len(owned_containers(api, name)) == 1
    finally:
        for name in names:
            heat_docker('stack', 'delete', name, '--yes', '--wait')
    for name in names:
        assert owned_containers(api, name) == []
    assert 'database is locked' not in (tmp_path / 'heat.log').read_text()


def _free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def test_serve_drives_the_engine_with_the_openstack_cli(
    heat_docker, api, tmp_path, stack_name, docker_host
):
    port = _free_port()
    argv, env = command(
        tmp_path, 'serve', '--port', str(port), docker_host=docker_host
    )
    server = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    openstack_env = {
        **os.environ,
        'OS_AUTH_TYPE': 'none',
        'OS_ENDPOINT': 'http://127.0.0.1:%d/v1/admin' % port,
    }

    def openstack(*args):
        return subprocess.run(
            [pathlib.Path(sys.executable).with_name('openstack'), *args],
            env=openstack_env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )

    try:
        assert 'heat-api on http://127.0.0.1:%d' % port in (
            server.stdout.readline()
        )
        template = tmp_path / 'greeter.yaml'
        template.write_text(GREETER)
        created = openstack(
            'stack',
            'create',
            '-t',
            str(template),
            '--parameter',
            'greeting=via heat-api',
            '--wait',
            stack_name,
        )
        assert created.returncode == 0, created.stderr
        assert 'CREATE_COMPLETE' in created.stdout
        (container,) = owned_containers(api, stack_name)
        assert 'GREETING=via heat-api' in env_of(api, container['Id'])
        shown = openstack(
            'stack',
            'output',
            'show',
            stack_name,
            'status',
            '-f',
            'value',
            '-c',
            'output_value',
        )
        assert shown.stdout.strip() == 'running', shown.stderr

        # The same state, seen by another heat-docker process.
        listed = succeeded(
            heat_docker('stack', 'list', '-f', 'value', '-c', 'Stack Name')
        )
        assert stack_name in listed.split()

        deleted = openstack('stack', 'delete', '--yes', '--wait', stack_name)
        assert deleted.returncode == 0, deleted.stderr
        assert owned_containers(api, stack_name) == []
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(TIMEOUT)


RESIZABLE = (
    """
heat_template_version: 2021-04-16
parameters:
  memory: {type: string, default: 64m}
  command: {type: string, default: exec sleep 1000}
  completion: {type: string, default: running}
resources:
  web:
    type: DockerInc::Docker::Container
    properties:
      image: %s
      cmd: [sh, -c, {get_param: command}]
      memory: {get_param: memory}
      completion: {get_param: completion}
      init: true
"""
    % IMAGE
)


def _resizable(heat_docker, tmp_path, stack_name):
    """A stack of RESIZABLE, created and waited for; its template."""
    template = tmp_path / 'resizable.yaml'
    template.write_text(RESIZABLE)
    succeeded(
        heat_docker('stack', 'create', stack_name, '-t', template, '--wait')
    )
    return template


def test_update_events_say_in_place_or_replaced(
    heat_docker, api, tmp_path, stack_name
):
    template = _resizable(heat_docker, tmp_path, stack_name)
    (before,) = owned_containers(api, stack_name)

    in_place = heat_docker(
        'stack',
        'update',
        stack_name,
        '-t',
        template,
        '--parameter',
        'memory=96m',
        '--wait',
    )
    succeeded(in_place)
    assert '[web]: UPDATE_COMPLETE  state changed' in in_place.stderr
    assert 'requires replacement' not in in_place.stderr
    (same,) = owned_containers(api, stack_name)
    assert same['Id'] == before['Id']

    replaced = heat_docker(
        'stack',
        'update',
        stack_name,
        '-t',
        template,
        '--parameter',
        'memory=96m',
        '--parameter',
        'command=exec sleep 999',
        '--wait',
    )
    succeeded(replaced)
    assert 'The Resource web requires replacement.' in replaced.stderr
    assert '[web]: CREATE_COMPLETE' in replaced.stderr
    assert '[web]: DELETE_COMPLETE' in replaced.stderr
    (new,) = owned_containers(api, stack_name)
    assert new['Id'] != before['Id']
    succeeded(heat_docker('stack', 'delete', stack_name, '--yes', '--wait'))


def test_a_wait_fails_when_its_update_is_cancelled(
    heat_docker, tmp_path, stack_name, docker_host
):
    template = _resizable(heat_docker, tmp_path, stack_name)
    argv, env = command(
        tmp_path,
        *('stack', 'update', stack_name, '-t', template, '--wait'),
        *('--parameter', 'command=exec sleep 20'),
        *('--parameter', 'completion=exited'),
        docker_host=docker_host,
    )
    waiting = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + TIMEOUT
    while stack_status(tmp_path, stack_name, docker_host) != (
        'UPDATE_IN_PROGRESS'
    ):
        assert time.monotonic() < deadline, 'the update did not begin'
        time.sleep(0.1)
    # Heat rolls a cancelled update back with no end of the update's own.
    succeeded(heat_docker('stack', 'cancel', stack_name))
    _out, err = waiting.communicate(timeout=TIMEOUT)
    assert waiting.returncode == 1, err
    assert 'Stack %s ROLLBACK_' % stack_name in err
    assert 'before its UPDATE ended' in err
    while stack_status(tmp_path, stack_name, docker_host).endswith(
        'IN_PROGRESS'
    ):
        assert time.monotonic() < deadline, 'the rollback did not end'
        time.sleep(0.2)
    delete_stack(tmp_path, stack_name, docker_host)


def test_a_suspended_stack_is_resumed_before_it_is_checked(
    heat_docker, tmp_path, stack_name, docker_host
):
    _resizable(heat_docker, tmp_path, stack_name)
    succeeded(heat_docker('stack', 'suspend', stack_name, '--wait'))
    # Checked, its resources would be CHECK_*, which Heat never resumes.
    refused = failed(heat_docker('stack', 'check', stack_name, '--wait'))
    assert 'Stack %s is suspended: resume it before' % stack_name in refused
    assert stack_status(tmp_path, stack_name, docker_host) == (
        'SUSPEND_COMPLETE'
    )
    succeeded(heat_docker('stack', 'resume', stack_name, '--wait'))
    succeeded(heat_docker('stack', 'check', stack_name, '--wait'))
    delete_stack(tmp_path, stack_name, docker_host)
