"""heat-docker's commands beside the openstack CLI's, on one engine.

``heat-docker serve`` runs the engine of a state directory and heat-api on
127.0.0.1; the openstack CLI (python-heatclient) talks to that heat-api,
and heat-docker commands with the same ``--state-dir`` talk to the same
engine over its socket. So both see the same stacks, and each command's
output can be compared with the openstack CLI's.

Read-only commands run on one stack, by both CLIs, one after the other.
Commands that change a stack run on twins: stacks made alike from the
same template, one driven by heat-docker, the other by the openstack CLI,
each given the same arguments.

What is normalised, and why (nothing else is):

* hrefs of links: heat-api builds them from the request's host, which is
  ``http://localhost`` on heat-docker's unix socket and
  ``http://127.0.0.1:PORT`` for the openstack CLI.
* between twins: the stack's name and id, snapshot ids and timestamps
  (creation_time, updated_time), which are the twins' own.
* ``stack create --dry-run``: creation_time, the time of the preview.
* the openstack CLI's stderr: a line "Could not load ..." that one of the
  other OpenStack clients installed beside heatclient (blazarclient)
  prints at every start, whatever the command.

The openstack CLI, when it waits (``--wait``), writes the action's events
to stdout before its result; heat-docker shows progress on stderr, and
with a machine format (``-f json``) none at all, so that stdout is the
result alone. That is by design, and the tests check it as such; the
result itself is compared.
"""

import collections
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
import uuid
import warnings

from conftest import stop_engines
import pytest
from test_cli import FAILING
from test_cli import GREETER
from test_cli import TIMEOUT
from test_cli import _free_port
from test_cli import command
from test_cli import owned_containers

OPENSTACK = pathlib.Path(sys.executable).with_name('openstack')
SERVE_SECONDS = 120
# serve exits in seconds on SIGINT; killed when it has not by then.
SERVE_EXIT_SECONDS = 30
HEAT_API = '<heat-api>'
TIME = re.compile(r'\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?Z?')
# A line of the openstack CLI's event log, as its --wait writes them.
EVENT_LINE = re.compile(
    r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ [0-9a-f-]{36} \[[^\]]+\]: [A-Z_]+ '
)
OTHER_CLIENT_NOISE = "Could not load '"
MISSING = 'parity-no-such-stack'

Stack = collections.namedtuple('Stack', 'name id')


def _without_noise(stderr):
    return ''.join(
        line
        for line in stderr.splitlines(keepends=True)
        if not line.startswith(OTHER_CLIENT_NOISE)
    )


def _split_events(stdout):
    """The openstack CLI's stdout of a --wait: (event lines, result)."""
    start = re.search(r'^[\[{]', stdout, re.M)
    if start is None:
        return stdout, ''
    return stdout[: start.start()], stdout[start.start() :]


def _event_lines(text):
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, 'no event lines'
    for line in lines:
        assert EVENT_LINE.match(line), line
    return lines


def _start(argv, env):
    return subprocess.Popen(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process):
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return subprocess.CompletedProcess(
        process.args, process.returncode, stdout, _without_noise(stderr)
    )


class Clis:
    """heat-docker and the openstack CLI, on the engine ``serve`` runs."""

    def __init__(self, root, docker_host, port):
        self.root = root
        self.state_dir = root / 'state'
        self.docker_host = docker_host
        self.port = port
        self.openstack_env = {
            **{k: v for k, v in os.environ.items() if not k[:3] == 'OS_'},
            'OS_AUTH_TYPE': 'none',
            'OS_ENDPOINT': 'http://127.0.0.1:%d/v1/admin' % port,
        }
        self.files = {}
        self.names = []  # every stack the tests make, for the cleanup
        self.twins = {}  # 'heat-docker' and 'openstack': Stack
        self.server = None  # the serve process

    def file(self, name, text):
        path = self.root / name
        path.write_text(text)
        self.files[name.split('.')[0]] = str(path)

    def args(self, args, stack=None):
        """``args`` with {stack} and the files' {names} filled in."""
        values = dict(
            self.files, stack=stack or self.twins['heat-docker'].name
        )
        return [str(a).format(**values) for a in args]

    def _heat_docker(self, args):
        argv, env = command(
            self.state_dir, *map(str, args), docker_host=self.docker_host
        )
        return _start(argv, env)

    def _openstack(self, args):
        return _start([OPENSTACK, *map(str, args)], self.openstack_env)

    def serving(self):
        """Fail at once if ``serve`` has ended, or stopped serving (its
        socket gone), rather than compare what commands say without it.
        (If heat_docker/ is edited during the run, heat-docker commands
        also say on stderr that serve runs other code, which the
        comparisons of stderr then see.)"""
        if self.server.poll() is not None:
            pytest.fail(
                'heat-docker serve exited (status %s); its stderr is in %s'
                % (self.server.returncode, self.root / 'serve.err')
            )
        if not (self.state_dir / 'engine.sock').exists():
            pytest.fail('heat-docker serve stopped serving: no engine.sock')

    def heat_docker(self, *args):
        result = _finish(self._heat_docker(args))
        self.serving()
        return result

    def openstack(self, *args):
        result = _finish(self._openstack(args))
        self.serving()
        return result

    def pair(self, heat_docker_args, openstack_args):
        """Both commands, run at once; their results."""
        started = [
            self._heat_docker(heat_docker_args),
            self._openstack(openstack_args),
        ]
        results = tuple(_finish(p) for p in started)
        self.serving()
        return results

    def new_name(self, role):
        name = 'parity-%s-%s' % (role, uuid.uuid4().hex[:8])
        self.names.append(name)
        return name

    def normalised(self, text, twin=None, **more):
        """``text`` with the hrefs' host made alike; for a twin, its name,
        id and times too, and each of ``more``'s values (a twin's own ids)
        replaced by its key."""
        for base in ('http://127.0.0.1:%d' % self.port, 'http://localhost'):
            text = text.replace(base, HEAT_API)
        if twin is not None:
            text = text.replace(twin.id, '<stack-id>')
            text = text.replace(twin.name, '<stack-name>')
            text = TIME.sub('<time>', text)
        for key, value in more.items():
            text = text.replace(value, '<%s>' % key)
        return text


def ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Traceback' not in result.stderr, result.stderr
    return result.stdout


def _wait_for_announce(server, log):
    deadline = time.monotonic() + SERVE_SECONDS
    while 'heat-api on' not in log.read_text():
        if server.poll() is not None or time.monotonic() > deadline:
            raise AssertionError('serve did not start: %s' % log.read_text())
        time.sleep(0.1)


@pytest.fixture(scope='module')
def clis(docker_host, api, tmp_path_factory):
    """``serve`` on a fresh state directory, and the twin stacks, made by
    ``stack create --wait -f json`` of each CLI (their results are kept in
    ``clis.created``)."""
    root = tmp_path_factory.mktemp('parity')
    clis = Clis(root, docker_host, _free_port())
    clis.file('greeter.yaml', GREETER)
    clis.file('failing.yaml', FAILING)
    clis.file('greeter-env.yaml', 'parameters:\n  greeting: from env\n')
    argv, env = command(
        clis.state_dir,
        'serve',
        '--port',
        str(clis.port),
        docker_host=docker_host,
    )
    with (
        open(root / 'serve.out', 'w') as out,
        open(root / 'serve.err', 'w') as err,
    ):
        server = subprocess.Popen(
            argv, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL
        )
    clis.server = server
    try:
        _wait_for_announce(server, root / 'serve.out')
        create = (
            'stack',
            'create',
            '-t',
            clis.files['greeter'],
            '-e',
            clis.files['greeter-env'],
            '--wait',
            '-f',
            'json',
        )
        names = clis.new_name('hd'), clis.new_name('os')
        by_heat_docker, by_openstack = clis.pair(
            (*create, names[0]), (*create, '--poll', '1', names[1])
        )
        created = json.loads(ok(by_heat_docker))
        clis.twins['heat-docker'] = Stack(names[0], created['id'])
        created = json.loads(_split_events(ok(by_openstack))[1])
        clis.twins['openstack'] = Stack(names[1], created['id'])
        clis.created = {
            'heat-docker': by_heat_docker,
            'openstack': by_openstack,
        }
        yield clis
    finally:
        try:
            # (Without the check that serve runs: if it does not, the
            # command's own engine deletes them.)
            listed = _finish(
                clis._heat_docker(
                    ('stack', 'list', '-f', 'value', '-c', 'Stack Name')
                )
            )
            names = listed.stdout.split() if listed.returncode == 0 else []
            if names:
                delete = ('stack', 'delete', '--yes', '--wait', *names)
                _finish(clis._heat_docker(delete))
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(SERVE_EXIT_SECONDS)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
                warnings.warn(
                    'heat-docker serve did not exit within %d s of SIGINT; '
                    'killed' % SERVE_EXIT_SECONDS,
                    stacklevel=1,
                )
            stop_engines(root)  # one a command may have started, if any
            for name in clis.names:
                for container in owned_containers(api, name):
                    api.remove_container(container['Id'], force=True)


def same(clis, *args):
    """Run ``args`` with each CLI on the same stack; both outputs."""
    args = clis.args(args)
    return clis.pair(args, args)


def assert_same_output(clis, *args):
    """Both CLIs succeed, and print the same (hrefs aside)."""
    by_heat_docker, by_openstack = same(clis, *args)
    ok(by_heat_docker)
    ok(by_openstack)
    assert clis.normalised(by_heat_docker.stdout) == clis.normalised(
        by_openstack.stdout
    )
    return by_heat_docker.stdout


def twin_results(clis, *args, waits=True):
    """Run ``args`` with heat-docker on its twin and with the openstack CLI
    on its own; both results as JSON, normalised for their twin. With
    ``waits``, the openstack CLI's stdout starts with the action's events;
    heat-docker's is the result alone."""
    twins = clis.twins['heat-docker'], clis.twins['openstack']
    by_heat_docker, by_openstack = clis.pair(
        *(clis.args(args, twin.name) for twin in twins)
    )
    stdout = ok(by_openstack)
    if waits:
        events, stdout = _split_events(stdout)
        _event_lines(events)
    return {
        'heat-docker': (twins[0], ok(by_heat_docker)),
        'openstack': (twins[1], stdout),
    }


def assert_twins_alike(clis, *args, waits=True):
    results = twin_results(clis, *args, waits=waits)
    (hd_twin, hd_out), (os_twin, os_out) = results.values()
    normalised = json.loads(clis.normalised(hd_out, hd_twin))
    assert normalised == json.loads(clis.normalised(os_out, os_twin))
    return normalised


def _twin_shows_alike(clis):
    assert_twins_alike(
        clis, 'stack', 'show', '{stack}', '-f', 'json', waits=False
    )


def test_stack_create_wait(clis):
    by_heat_docker = clis.created['heat-docker']
    by_openstack = clis.created['openstack']
    # heat-docker's machine-format stdout is the stack alone, its stderr
    # quiet; the openstack CLI's stdout has the events first.
    assert by_heat_docker.stderr == ''
    created = json.loads(by_heat_docker.stdout)
    events, result = _split_events(by_openstack.stdout)
    assert len(_event_lines(events)) >= 4
    twin = clis.twins['openstack']
    assert '[%s]: CREATE_COMPLETE' % twin.name in events
    assert list(created) == list(json.loads(result))
    assert json.loads(
        clis.normalised(by_heat_docker.stdout, clis.twins['heat-docker'])
    ) == json.loads(clis.normalised(result, twin))
    assert created['stack_status'] == 'CREATE_COMPLETE'
    _twin_shows_alike(clis)


@pytest.mark.parametrize(
    'args',
    [('-f', 'json'), ('-f', 'value'), ('--short', '-f', 'json')],
    ids=['json', 'value', 'short-json'],
)
def test_stack_list(clis, args):
    assert_same_output(clis, 'stack', 'list', *args)


@pytest.mark.parametrize('formatter', ['json', 'value', 'csv'])
def test_stack_list_columns_both_have(clis, formatter):
    columns = ('ID', 'Stack Name', 'Stack Status')
    columns += ('Creation Time', 'Updated Time')
    selected = [a for c in columns for a in ('-c', c)]
    listed = assert_same_output(
        clis, 'stack', 'list', '-f', formatter, *selected
    )
    for twin in clis.twins.values():
        assert twin.id in listed


@pytest.mark.parametrize(
    'args',
    [
        ('-f', 'json'),
        ('-f', 'value'),
        ('-f', 'yaml'),
        ('-f', 'shell'),
        ('--no-resolve-outputs', '-f', 'json'),
        ('-f', 'table', '-c', 'id', '-c', 'stack_name', '-c', 'stack_status'),
    ],
    ids=['json', 'value', 'yaml', 'shell', 'no-outputs-json', 'table'],
)
def test_stack_show(clis, args):
    shown = assert_same_output(clis, 'stack', 'show', '{stack}', *args)
    assert clis.twins['heat-docker'].id in shown


def test_stack_show_table_of_structured_values(clis):
    assert_same_output(
        clis,
        *('stack', 'show', '{stack}', '-f', 'table'),
        *('-c', 'parameters', '-c', 'outputs', '-c', 'tags'),
    )


READ_ONLY = {
    'output list': ('stack', 'output', 'list', '{stack}'),
    'output show': ('stack', 'output', 'show', '{stack}', 'greeting'),
    'output show --all': ('stack', 'output', 'show', '{stack}', '--all'),
    'resource list': ('stack', 'resource', 'list', '{stack}'),
    'resource show': ('stack', 'resource', 'show', '{stack}', 'web'),
    'event list': ('stack', 'event', 'list', '{stack}'),
    'template show': ('stack', 'template', 'show', '{stack}'),
    'environment show': ('stack', 'environment', 'show', '{stack}'),
    'file list': ('stack', 'file', 'list', '{stack}'),
    'export': ('stack', 'export', '{stack}'),
}


@pytest.mark.parametrize('formatter', ['json', 'value'])
@pytest.mark.parametrize('args', READ_ONLY.values(), ids=READ_ONLY)
def test_read_only_stack_commands(clis, args, formatter):
    output = assert_same_output(clis, *args, '-f', formatter)
    assert output.strip()


ORCHESTRATION = {
    'template version list': ('orchestration', 'template', 'version', 'list'),
    'template function list': (
        *('orchestration', 'template', 'function', 'list'),
        'heat_template_version.2021-04-16',
    ),
    'resource type list': ('orchestration', 'resource', 'type', 'list'),
    'template validate': (
        *('orchestration', 'template', 'validate'),
        *('-t', '{greeter}', '-e', '{greeter-env}'),
    ),
}


@pytest.mark.parametrize('formatter', ['json', 'value'])
@pytest.mark.parametrize('args', ORCHESTRATION.values(), ids=ORCHESTRATION)
def test_orchestration_commands(clis, args, formatter):
    output = assert_same_output(clis, *args, '-f', formatter)
    assert output.strip()


@pytest.mark.parametrize('formatter', ['json', 'value'])
@pytest.mark.parametrize('name', ['resource type list', 'template validate'])
def test_heat_docker_short_names(clis, name, formatter):
    """heat-docker's ``resource type list`` and ``template validate`` are
    the openstack CLI's ``orchestration ...`` commands."""
    args = clis.args((*ORCHESTRATION[name], '-f', formatter))
    by_heat_docker, by_openstack = clis.pair(args[1:], args)
    assert ok(by_heat_docker) == ok(by_openstack)
    if name == 'resource type list':
        assert 'DockerInc::Docker::Container' in by_heat_docker.stdout


@pytest.mark.parametrize('formatter', ['json', 'value'])
def test_stack_update_dry_run(clis, formatter):
    preview = assert_same_output(
        clis,
        *('stack', 'update', '{stack}', '-t', '{greeter}'),
        *('--parameter', 'greeting=previewed', '--dry-run'),
        *('-f', formatter),
    )
    assert 'web' in preview
    _twin_shows_alike(clis)  # nothing changed


@pytest.mark.parametrize('formatter', ['json', 'value'])
def test_stack_create_dry_run(clis, formatter):
    args = clis.args(
        (
            *('stack', 'create', '-t', '{greeter}', '--dry-run'),
            *('-f', formatter, 'parity-preview'),
        )
    )
    by_heat_docker, by_openstack = map(ok, clis.pair(args, args))
    # creation_time is the time of each preview.
    assert TIME.sub('<time>', clis.normalised(by_heat_docker)) == (
        TIME.sub('<time>', clis.normalised(by_openstack))
    )
    assert 'parity-preview' in by_heat_docker
    listed = ok(clis.heat_docker('stack', 'list', '-f', 'value'))
    assert 'parity-preview' not in listed


def test_stack_update_wait(clis):
    updated = assert_twins_alike(
        clis,
        *('stack', 'update', '{stack}', '-t', '{greeter}'),
        *('--parameter', 'greeting=updated', '--wait', '-f', 'json'),
    )
    assert updated['stack_status'] == 'UPDATE_COMPLETE'
    _twin_shows_alike(clis)


def test_stack_update_existing_wait(clis):
    updated = assert_twins_alike(
        clis,
        *('stack', 'update', '{stack}', '--existing'),
        *('--parameter', 'greeting=patched', '--wait', '-f', 'json'),
    )
    assert updated['stack_status'] == 'UPDATE_COMPLETE'
    _twin_shows_alike(clis)
    greeting = ok(
        clis.heat_docker(
            *clis.args(('stack', 'output', 'show', '{stack}', 'greeting')),
            *('-f', 'value', '-c', 'output_value'),
        )
    )
    assert greeting == 'patched\n'


def test_stack_check_suspend_resume_wait(clis):
    for action in ('check', 'suspend', 'resume'):
        (row,) = assert_twins_alike(
            clis, 'stack', action, '{stack}', '--wait', '-f', 'json'
        )
        assert row['Stack Status'] == '%s_COMPLETE' % action.upper()
        _twin_shows_alike(clis)


def _snapshot_done(clis, stack, snapshot_id):
    deadline = time.monotonic() + TIMEOUT
    while True:
        shown = clis.heat_docker(
            'stack', 'snapshot', 'show', stack, snapshot_id, '-f', 'json'
        )
        status = json.loads(ok(shown))['snapshot']['status']
        if status != 'IN_PROGRESS':
            return status
        assert time.monotonic() < deadline, 'snapshot still in progress'
        time.sleep(0.2)


def test_stack_snapshot_create_list_show(clis):
    results = twin_results(
        clis,
        *('stack', 'snapshot', 'create', '{stack}'),
        *('--name', 'parity-snapshot', '-f', 'json'),
        waits=False,
    )
    normalised = []
    ids = {}
    for cli, (twin, stdout) in results.items():
        ids[cli] = json.loads(stdout)['ID']
        text = clis.normalised(stdout, twin, **{'snapshot-id': ids[cli]})
        normalised.append(json.loads(text))
    assert normalised[0] == normalised[1]
    for cli, (twin, _) in results.items():
        assert _snapshot_done(clis, twin.name, ids[cli]) == 'COMPLETE'

    for formatter in ('json', 'value'):
        listed = assert_same_output(
            clis, 'stack', 'snapshot', 'list', '{stack}', '-f', formatter
        )
        assert ids['heat-docker'] in listed
        shown = assert_same_output(
            clis,
            *('stack', 'snapshot', 'show', '{stack}', ids['heat-docker']),
            *('-f', formatter),
        )
        assert 'parity-snapshot' in shown


def test_stack_failures_list(clis):
    """A failed ``stack create --wait``, then its failures listed."""
    names = clis.new_name('failing-hd'), clis.new_name('failing-os')
    create = ('stack', 'create', '-t', clis.files['failing'], '--wait')
    results = clis.pair(
        (*create, names[0]), (*create, '--poll', '1', names[1])
    )
    for name, result in zip(names, results, strict=True):
        assert result.returncode == 1, result.stdout + result.stderr
        assert 'Traceback' not in result.stderr
        assert 'Stack %s CREATE_FAILED' % name in result.stderr
    # Where they differ, by design: heat-docker's message names the failed
    # resources and why (the openstack CLI's has the stack's status only,
    # the reasons being in the events it wrote to stdout).
    assert 'broken: CREATE_FAILED: ' in results[0].stderr
    assert results[1].stderr.strip() == 'Stack %s CREATE_FAILED' % names[1]

    for args in ((), ('--long',)):
        by_heat_docker, by_openstack = same(
            clis, 'stack', 'failures', 'list', names[0], *args
        )
        assert ok(by_heat_docker) == ok(by_openstack)
        assert 'exited with code 3' in by_heat_docker.stdout


def test_stack_delete_yes_wait(clis):
    names = clis.new_name('deleted-hd'), clis.new_name('deleted-os')
    create = ('stack', 'create', '-t', clis.files['greeter'], '--wait')
    for created in clis.pair(
        (*create, names[0]), (*create, '--poll', '1', names[1])
    ):
        ok(created)
    delete = ('stack', 'delete', '--yes', '--wait')
    by_heat_docker, by_openstack = clis.pair(
        (*delete, names[0]), (*delete, names[1])
    )
    # Neither prints a result; the openstack CLI writes the events it saw
    # to stdout, heat-docker its progress to stderr.
    assert ok(by_heat_docker) == ''
    _event_lines(ok(by_openstack))
    assert by_openstack.stderr == ''
    assert '[%s]: DELETE_COMPLETE' % names[0] in by_heat_docker.stderr
    for name in names:
        by_heat_docker, by_openstack = same(clis, 'stack', 'show', name)
        assert by_heat_docker.returncode == by_openstack.returncode == 1
        assert by_heat_docker.stderr == by_openstack.stderr
        assert by_heat_docker.stderr == 'Stack not found: %s\n' % name


@pytest.mark.parametrize(
    'args',
    [
        pytest.param(('stack', 'show', MISSING), id='show'),
        pytest.param(('stack', 'check', MISSING), id='check'),
        pytest.param(('stack', 'suspend', MISSING), id='suspend'),
        pytest.param(
            ('stack', 'resume', MISSING, '--wait'), id='resume --wait'
        ),
        pytest.param(
            ('stack', 'update', MISSING, '--existing'), id='update --existing'
        ),
        pytest.param(('stack', 'delete', '--yes', MISSING), id='delete'),
        pytest.param(
            ('stack', 'delete', '--yes', '--wait', MISSING), id='delete --wait'
        ),
        pytest.param(
            ('stack', 'update', MISSING, '--wait'),
            id='update without template',
        ),
    ],
)
def test_errors_alike(clis, args):
    by_heat_docker, by_openstack = same(clis, *args)
    assert by_heat_docker.returncode == 1
    assert 'Traceback' not in by_heat_docker.stderr
    assert (
        by_heat_docker.returncode,
        by_heat_docker.stdout,
        by_heat_docker.stderr,
    ) == (by_openstack.returncode, by_openstack.stdout, by_openstack.stderr)


def test_create_of_a_taken_name_fails_alike(clis):
    by_heat_docker, by_openstack = same(
        clis, 'stack', 'create', '-t', '{greeter}', '{stack}'
    )
    assert by_heat_docker.returncode == 1
    assert 'already exists' in by_heat_docker.stderr
    assert (by_heat_docker.returncode, by_heat_docker.stderr) == (
        by_openstack.returncode,
        by_openstack.stderr,
    )
