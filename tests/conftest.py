"""Fixtures: a private Docker engine, and Heat's real engine in-process.

The Docker-backed tests skip only where no engine can be had (not root, or
no dockerd), and then say why; under CI (``CI`` or
``HEAT_DOCKER_REQUIRE_DOCKER`` set) that is a failure instead.
"""

import collections
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import docker
import pytest

from heat_docker.cli import engine

Event = collections.namedtuple('Event', 'time action container signal')
STACK_NAME_LABEL = 'org.openstack.heat.stack-name'
REPO = pathlib.Path(__file__).resolve().parents[1]
IMAGE = 'localhost/heat-docker/busybox:latest'
STACK_TIMEOUT = 90


def _stop_as_at_ctrl_c(signum, frame):
    raise KeyboardInterrupt('SIGTERM')


def pytest_configure(config):
    # A run ended by SIGTERM (timeout(1), a CI limit) tears its fixtures
    # down as at Ctrl-C, stopping the private dockerds it started.
    signal.signal(signal.SIGTERM, _stop_as_at_ctrl_c)


def missing(reason):
    """What a Docker-backed test needs is missing: it fails under CI
    (``CI`` or ``HEAT_DOCKER_REQUIRE_DOCKER``), else it skips, saying
    why."""
    if os.environ.get('CI') or os.environ.get('HEAT_DOCKER_REQUIRE_DOCKER'):
        pytest.fail('Docker-backed tests cannot run: ' + reason)
    pytest.skip(reason)


def _make_tls_material(directory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate."""

    def openssl(*args):
        subprocess.run(
            ['openssl', *args], cwd=directory, check=True, capture_output=True
        )

    openssl(
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-keyout',
        'ca-key.pem',
        '-out',
        'ca.pem',
        '-subj',
        '/CN=test-ca',
    )
    for name, usage in (
        ('server', 'serverAuth\nsubjectAltName=IP:127.0.0.1'),
        ('client', 'clientAuth'),
    ):
        (directory / (name + '.ext')).write_text(
            'extendedKeyUsage=%s\n' % usage
        )
        openssl(
            'req',
            '-newkey',
            'rsa:2048',
            '-nodes',
            '-keyout',
            name + '-key.pem',
            '-out',
            name + '.csr',
            '-subj',
            '/CN=' + name,
        )
        openssl(
            'x509',
            '-req',
            '-in',
            name + '.csr',
            '-CA',
            'ca.pem',
            '-CAkey',
            'ca-key.pem',
            '-CAcreateserial',
            '-days',
            '2',
            '-out',
            name + '-cert.pem',
            '-extfile',
            name + '.ext',
        )


class Engine(str):
    """DOCKER_HOST of the test engine; ``tls`` is its TCP+TLS endpoint and
    certificate directory, when the tests started the engine."""

    tls = None


def _free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


@pytest.fixture(scope='session')
def docker_host():
    """DOCKER_HOST of a private engine that has the test image."""
    host = os.environ.get('HEAT_DOCKER_TEST_DOCKER_HOST')
    private_dir = None
    tls = None
    if not host:
        if os.geteuid() != 0 or not shutil.which('dockerd'):
            missing(
                'no Docker engine: run as root with Debian docker.io '
                'installed, or set HEAT_DOCKER_TEST_DOCKER_HOST'
            )
        # A short path: unix socket paths are limited to 108 bytes.
        private_dir = tempfile.mkdtemp(prefix='hd-', dir='/tmp')
        certs = pathlib.Path(private_dir) / 'tls'
        certs.mkdir()
        _make_tls_material(certs)
        tls = ('tcp://127.0.0.1:%d' % _free_port(), certs)
        host = subprocess.run(
            [
                REPO / 'tools' / 'private-dockerd',
                'start',
                private_dir,
                '--host',
                tls[0],
                '--tlsverify',
                '--tlscacert',
                str(certs / 'ca.pem'),
                '--tlscert',
                str(certs / 'server-cert.pem'),
                '--tlskey',
                str(certs / 'server-key.pem'),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    subprocess.run(
        [REPO / 'tools' / 'build-images'],
        env={**os.environ, 'DOCKER_HOST': host},
        check=True,
    )
    engine = Engine(host)
    engine.tls = tls
    yield engine
    if private_dir:
        subprocess.run(
            [REPO / 'tools' / 'private-dockerd', 'stop', private_dir],
            check=False,
        )
        shutil.rmtree(private_dir, ignore_errors=True)


@pytest.fixture(scope='session')
def api(docker_host):
    client = docker.APIClient(base_url=docker_host, version='auto')
    yield client
    client.close()


REGISTRY_USER, REGISTRY_PASSWORD = 'heat', 'registry-secret-4711'
REGISTRY_MARKER = 'pulled from the registry'


@pytest.fixture(scope='session')
def registry(api, tmp_path_factory):
    """A private registry on 127.0.0.1 (Debian's docker-registry) that asks
    for a password, holding the test image; yields its host:port."""
    import bcrypt

    if not shutil.which('docker-registry'):
        missing("no docker-registry: install Debian's docker-registry")
    root = tmp_path_factory.mktemp('registry')
    address = '127.0.0.1:%d' % _free_port()
    hashed = bcrypt.hashpw(REGISTRY_PASSWORD.encode(), bcrypt.gensalt())
    (root / 'htpasswd').write_text(
        '%s:%s\n' % (REGISTRY_USER, hashed.decode())
    )
    (root / 'config.yml').write_text(
        'version: 0.1\n'
        'storage: {filesystem: {rootdirectory: %s}}\n'
        'http: {addr: "%s"}\n'
        'auth: {htpasswd: {realm: test, path: %s}}\n'
        % (root / 'data', address, root / 'htpasswd')
    )
    server = subprocess.Popen(
        ['docker-registry', 'serve', str(root / 'config.yml')],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(address.split(':'), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError('docker-registry did not start') from None
            time.sleep(0.2)
    # An image that exists nowhere but in the registry: a container that
    # has its marker file was made from a pull.
    push_marked(
        api,
        '%s/heat-docker/busybox:latest' % address,
        '/registry-marker',
        REGISTRY_MARKER,
    )
    yield address
    server.terminate()
    server.wait(10)


def push_marked(api, reference, path, marker):
    """Push, as ``reference`` (REPOSITORY:TAG on the tests' registry), an
    image of IMAGE whose file ``path`` says ``marker``; no local tag is
    left, so that a stack has to pull it."""
    repository, tag = reference.rsplit(':', 1)
    made = api.create_container(
        IMAGE, ['sh', '-c', 'echo %s > %s' % (marker, path)]
    )
    api.start(made)
    api.wait(made)
    api.commit(made, repository=repository, tag=tag)
    api.remove_container(made)
    auth = {'username': REGISTRY_USER, 'password': REGISTRY_PASSWORD}
    for line in api.push(
        repository, tag, auth_config=auth, stream=True, decode=True
    ):
        if 'error' in line:
            raise RuntimeError('push failed: %s' % line['error'])
    api.remove_image(reference)


@pytest.fixture(scope='session')
def heat(docker_host, tmp_path_factory):
    """Heat's engine in this process, loading the plugin from contrib/."""
    from oslo_config import cfg

    from heat_docker import standalone

    os.environ['DOCKER_HOST'] = docker_host
    state = tmp_path_factory.mktemp('heat-state')
    engine = standalone.boot(
        str(state),
        plugin_dirs=[str(REPO / 'contrib')],
        log_file=str(state / 'heat.log'),
    )
    # Test containers whose PID 1 ignores SIGTERM need not hold up deletes.
    cfg.CONF.set_override('stop_timeout', 2, group='docker')
    yield engine
    engine.stop()


class Stacks:
    """Drives stacks through Heat's EngineService, as heat-api would."""

    def __init__(self, heat, api, ctx=None):
        self.heat = heat
        self.api = api
        self.ctx = ctx or heat.context
        self.created = []
        self.others = []

    @property
    def engine(self):
        return self.heat.engine

    def as_project(self, project_id):
        """A driver acting as a member of another project; cleaned up with
        this one."""
        ctx = self.ctx.to_dict()
        user = 'member-of-%s' % project_id
        ctx.update(
            project=project_id,
            project_id=project_id,
            project_name=project_id,
            user=user,
            user_id=user,
            username=user,
            roles=['member'],
            is_admin=False,
        )
        other = Stacks(self.heat, self.api, type(self.ctx).from_dict(ctx))
        self.others.append(other)
        return other

    def wait(self, ident, timeout=STACK_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            stack = self.engine.show_stack(self.ctx, ident)[0]
            if stack['stack_status'] != 'IN_PROGRESS':
                return stack
            if time.monotonic() > deadline:
                raise AssertionError('stack still in progress: %s' % stack)
            time.sleep(0.1)

    def create(self, template, params=None, files=None, args=None):
        name = 'test-%s' % uuid.uuid4().hex[:8]
        ident = self.engine.create_stack(
            self.ctx, name, template, params or {}, files or {}, args or {}
        )
        self.created.append(ident)
        return self.wait(ident)

    def rolled_back(self, stack):
        """Wait for the rollback that follows a failed update."""
        ident = stack['stack_identity']
        deadline = time.monotonic() + STACK_TIMEOUT
        while True:
            shown = self.engine.show_stack(self.ctx, ident)[0]
            if shown['stack_action'] == 'ROLLBACK' and (
                shown['stack_status'] != 'IN_PROGRESS'
            ):
                return shown
            if time.monotonic() > deadline:
                raise AssertionError('no rollback: %s' % shown)
            time.sleep(0.1)

    def _stack_events(self, ident):
        return [
            e
            for e in self.engine.list_events(self.ctx, ident)
            if e['resource_name'] == ident['stack_name']
        ]

    def _run(self, stack, start):
        """Start a stack action and wait for the stack event that ends it.

        Some actions start in a background thread, so the stack's status
        alone cannot tell a finished action from one not yet begun.
        """
        ident = stack['stack_identity']
        seen = len(self._stack_events(ident))
        start()
        deadline = time.monotonic() + STACK_TIMEOUT
        while time.monotonic() < deadline:
            ended = [
                e
                for e in self._stack_events(ident)[seen:]
                if e['resource_status'] != 'IN_PROGRESS'
            ]
            if ended:
                return self.wait(ident)
            time.sleep(0.1)
        raise AssertionError('stack action did not end')

    def update(self, stack, template, params=None, **args):
        """Update; ``args`` as for Heat: existing, converge, ..."""
        return self._run(
            stack,
            lambda: self.engine.update_stack(
                self.ctx,
                stack['stack_identity'],
                template,
                params or {},
                {},
                args,
            ),
        )

    def delete(self, stack):
        from heat.common import exception

        ident = stack['stack_identity']
        self.engine.delete_stack(self.ctx, ident)
        deadline = time.monotonic() + STACK_TIMEOUT
        while time.monotonic() < deadline:
            try:
                shown = self.engine.show_stack(self.ctx, ident)[0]
            except exception.EntityNotFound:
                return 'DELETE_COMPLETE'
            if shown['stack_status'] != 'IN_PROGRESS':
                return '%s_%s' % (shown['stack_action'], shown['stack_status'])
            time.sleep(0.1)
        raise AssertionError('delete did not finish')

    def action(self, stack, name, *args):
        """Run stack_check, stack_suspend, stack_resume, stack_restore..."""
        method = getattr(self.engine, 'stack_' + name)
        return self._run(
            stack,
            lambda: method(self.ctx, stack['stack_identity'], *args),
        )

    def validation_error(
        self, template, params=None, files=None, environment=None
    ):
        """Heat's message refusing ``template``, or None if it is valid."""
        result = self.engine.validate_template(
            self.ctx,
            template,
            {**(environment or {}), 'parameters': params or {}},
            files or {},
        )
        return result.get('Error')

    def resource(self, stack, name):
        return self.engine.describe_stack_resource(
            self.ctx, stack['stack_identity'], name
        )

    def container(self, stack, name):
        """Inspect output of the container behind resource ``name``."""
        resource_id = self.resource(stack, name)['physical_resource_id']
        return self.api.inspect_container(resource_id)

    def outputs(self, stack):
        return {o['output_key']: o['output_value'] for o in stack['outputs']}

    def container_events(self, stack, since, actions):
        """Docker's events for the stack's containers since ``since``:
        ``Event(time, action, container, signal)`` with action in
        ``actions`` (compared up to any ":"), in order."""
        found = self.api.events(
            since=since,
            until=time.time(),
            decode=True,
            filters={
                'label': '%s=%s' % (STACK_NAME_LABEL, stack['stack_name']),
                'type': 'container',
            },
        )
        return [
            Event(
                e['timeNano'],
                e['Action'],
                e['id'],
                e['Actor']['Attributes'].get('signal'),
            )
            for e in found
            if e['Action'].split(':')[0] in actions
        ]

    def owned_containers(self, stack):
        return self.api.containers(
            all=True,
            filters={
                'label': 'org.openstack.heat.stack-name=%s'
                % stack['stack_name']
            },
        )

    def cleanup(self):
        for other in self.others:
            other.cleanup()
        for ident in self.created:
            try:
                self.delete({'stack_identity': ident})
            except Exception:  # best effort: the test already reported
                pass


@pytest.fixture
def stacks(heat, api):
    driver = Stacks(heat, api)
    yield driver
    driver.cleanup()


def container_template(properties, outputs=None, extra_resources=None):
    """A HOT template with one container ``c`` (and optional others)."""
    resources = {
        'c': {
            'type': 'DockerInc::Docker::Container',
            'properties': {'image': IMAGE, **properties},
        }
    }
    resources.update(extra_resources or {})
    template = {'heat_template_version': '2021-04-16', 'resources': resources}
    if outputs:
        template['outputs'] = {k: {'value': v} for k, v in outputs.items()}
    return template


SLEEP = ['sh', '-c', 'exec sleep 1000']


def stop_engines(directory):
    """Stop every heat-docker engine whose state directory is under
    ``directory`` (a test's commands start one per state directory)."""
    for socket_path in pathlib.Path(directory).rglob('engine.sock'):
        lock = socket_path.with_name('engine.lock')
        try:
            pid = int(lock.read_text().strip())
        except (OSError, ValueError):
            continue
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + 60
        while engine.alive(pid):
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                break
            time.sleep(0.05)


@pytest.fixture(autouse=True)
def _engines_stopped(tmp_path):
    yield
    stop_engines(tmp_path)
