"""A gate suite for any Heat cloud with heat-docker installed.

It talks only to Heat's REST API, with Keystone tokens (python-heatclient
and the ``openstack`` CLI), and to the Docker endpoint the cloud's engines
use. Configuration comes from the environment:

``OS_*``
    The project member who runs the stacks (not an admin), as in an openrc.
``HEAT_DOCKER_OTHER_OPENRC``
    An openrc file of a member of a second project on the same endpoint,
    for the confinement tests.
``HEAT_DOCKER_ADMIN_OPENRC``
    An openrc file of an admin, for ``orchestration service list``.
``DOCKER_HOST``
    The Docker endpoint the cloud's heat-engines use (to inspect what the
    stacks made); TLS from ``DOCKER_TLS_VERIFY`` and ``DOCKER_CERT_PATH``.
``HEAT_DOCKER_TEST_IMAGE``
    An image present on that endpoint (default
    ``localhost/heat-docker/busybox:latest``, as ``tools/build-images``
    makes); nothing is ever pulled.
``HEAT_CLOUD_DIR``
    The directory of a ``tools/heat-cloud`` cloud: the tests that stop and
    kill engines, dump Heat's database or read its logs need it.

Without them the tests skip, saying why; with ``HEAT_DOCKER_REQUIRE_CLOUD``
set (as ``tools/run-tests`` does) they fail instead.
"""

import os
import pathlib
import shlex
import subprocess
import time
import uuid

import docker
import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
IMAGE = os.environ.get(
    'HEAT_DOCKER_TEST_IMAGE', 'localhost/heat-docker/busybox:latest'
)
SLEEP = ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1 & wait; done']
PROJECT_LABEL = 'org.openstack.heat.project-id'
STACK_ID_LABEL = 'org.openstack.heat.stack-id'
TIMEOUT = 300


def _unavailable(reason):
    if os.environ.get('HEAT_DOCKER_REQUIRE_CLOUD'):
        pytest.fail('The gate suite cannot run: ' + reason)
    pytest.skip(reason)


def read_exports(path):
    """The variables a shell file (an openrc, cloud.env) exports."""
    found = {}
    for line in pathlib.Path(path).read_text().splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == 'export' and '=' in words[1]:
            key, value = words[1].split('=', 1)
            found[key] = value
    return found


def template(resources, outputs=None, parameters=None):
    body = {'heat_template_version': '2021-04-16', 'resources': resources}
    if parameters:
        body['parameters'] = parameters
    if outputs:
        body['outputs'] = {k: {'value': v} for k, v in outputs.items()}
    return body


def container(**properties):
    return {
        'type': 'DockerInc::Docker::Container',
        'properties': {'image': IMAGE, 'cmd': SLEEP, **properties},
    }


class Project:
    """One user's view of Heat: heatclient for the calls, the openstack
    CLI where the test is about what a user types."""

    def __init__(self, variables, tmp_path):
        from heatclient import client as heat_client
        from keystoneauth1 import session
        from keystoneauth1.identity import v3

        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith('OS_')},
            **variables,
        }
        self.tmp_path = tmp_path
        self.session = session.Session(
            auth=v3.Password(
                auth_url=variables['OS_AUTH_URL'],
                username=variables['OS_USERNAME'],
                password=variables['OS_PASSWORD'],
                project_name=variables.get('OS_PROJECT_NAME'),
                user_domain_name=variables.get(
                    'OS_USER_DOMAIN_NAME', 'Default'
                ),
                project_domain_name=variables.get(
                    'OS_PROJECT_DOMAIN_NAME', 'Default'
                ),
            )
        )
        self.heat = heat_client.Client(
            '1',
            session=self.session,
            region_name=variables.get('OS_REGION_NAME'),
            interface=variables.get('OS_INTERFACE', 'public'),
        )
        self.project_id = self.session.get_project_id()
        self.stacks = []

    def openstack(self, *args, check=True):
        """The real openstack CLI, as this user."""
        done = subprocess.run(
            ['openstack', *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done

    def write(self, body):
        path = self.tmp_path / ('%s.yaml' % uuid.uuid4().hex[:8])
        path.write_text(yaml.safe_dump(body))
        return str(path)

    def name(self):
        return 'gate-%s' % uuid.uuid4().hex[:8]

    def create(self, body, parameters=None, wait=True):
        """A new stack; its id. Waits for the create to end."""
        name = self.name()
        stack_id = self.heat.stacks.create(
            stack_name=name, template=body, parameters=parameters or {}
        )['stack']['id']
        self.stacks.append(stack_id)
        if wait:
            self.wait(stack_id, 'CREATE')
        return stack_id

    def stack(self, stack_id):
        return self.heat.stacks.get(stack_id)

    def wait(self, stack_id, action, timeout=TIMEOUT):
        """Wait for ``action`` to end on the stack; it must complete."""
        deadline = time.monotonic() + timeout
        while True:
            stack = self.stack(stack_id)
            if stack.action == action and stack.status != 'IN_PROGRESS':
                assert stack.status == 'COMPLETE', (
                    stack.stack_status,
                    stack.stack_status_reason,
                )
                return stack
            assert time.monotonic() < deadline, stack.stack_status
            time.sleep(0.5)

    def _ended(self, stack_id, action):
        """How many times the stack's own ``action`` has ended."""
        return len(
            [
                event
                for event in self.heat.events.list(stack_id)
                if event.physical_resource_id == stack_id
                and event.resource_status
                in (action + '_COMPLETE', action + '_FAILED')
            ]
        )

    def update(self, stack_id, body=None, parameters=None, **args):
        # Not updated_time: the API gives it to the second, and two
        # updates can share one.
        ended = self._ended(stack_id, 'UPDATE')
        self.heat.stacks.update(
            stack_id,
            template=body,
            parameters=parameters or {},
            existing=body is None,
            **args,
        )
        deadline = time.monotonic() + TIMEOUT
        while self._ended(stack_id, 'UPDATE') == ended:
            assert time.monotonic() < deadline, 'the update did not end'
            time.sleep(0.5)
        return self.wait(stack_id, 'UPDATE')

    def delete(self, stack_id, timeout=TIMEOUT):
        from heatclient import exc

        self.heat.stacks.delete(stack_id)
        deadline = time.monotonic() + timeout
        while True:
            try:
                stack = self.stack(stack_id)
            except exc.HTTPNotFound:
                return
            if stack.stack_status == 'DELETE_COMPLETE':
                return
            assert stack.stack_status != 'DELETE_FAILED', (
                stack.stack_status_reason
            )
            assert time.monotonic() < deadline, stack.stack_status
            time.sleep(0.5)

    def physical_id(self, stack_id, resource):
        return self.heat.resources.get(stack_id, resource).physical_resource_id

    def output(self, stack_id, key):
        return self.heat.stacks.output_show(stack_id, key)['output'][
            'output_value'
        ]

    def cleanup(self):
        for stack_id in self.stacks:
            try:
                self.delete(stack_id)
            except Exception:  # best effort: the test already reported
                pass


def _openrc_variables(name):
    path = os.environ.get(name)
    if not path:
        _unavailable('%s is not set' % name)
    return {k: v for k, v in read_exports(path).items() if k.startswith('OS_')}


@pytest.fixture
def demo(tmp_path):
    if not os.environ.get('OS_AUTH_URL'):
        _unavailable('no cloud: OS_AUTH_URL is not set (source an openrc)')
    variables = {k: v for k, v in os.environ.items() if k.startswith('OS_')}
    project = Project(variables, tmp_path)
    yield project
    project.cleanup()


@pytest.fixture
def other(tmp_path):
    project = Project(_openrc_variables('HEAT_DOCKER_OTHER_OPENRC'), tmp_path)
    yield project
    project.cleanup()


@pytest.fixture
def admin(tmp_path):
    return Project(_openrc_variables('HEAT_DOCKER_ADMIN_OPENRC'), tmp_path)


@pytest.fixture(scope='session')
def api():
    """The Docker endpoint the cloud's engines use."""
    if not os.environ.get('DOCKER_HOST'):
        _unavailable('DOCKER_HOST is not set: the endpoint the cloud uses')
    client = docker.from_env(version='auto').api
    yield client
    client.close()


def container_ids(api):
    return {c['Id'] for c in api.containers(all=True)}


def stack_containers(api, stack_id):
    return api.containers(
        all=True, filters={'label': '%s=%s' % (STACK_ID_LABEL, stack_id)}
    )


class Cloud:
    """A tools/heat-cloud cloud: its engines, database and logs."""

    def __init__(self, directory):
        self.dir = pathlib.Path(directory)
        self.env = read_exports(self.dir / 'cloud.env')

    def engine(self, verb, name):
        subprocess.run(
            [REPO / 'tools' / 'heat-cloud', 'engine', self.dir, verb, name],
            check=True,
            timeout=TIMEOUT,
        )

    def mysqldump(self):
        return subprocess.run(
            self.env['HEAT_CLOUD_MYSQLDUMP_HEAT'],
            shell=True,
            capture_output=True,
            text=True,
            check=True,
            timeout=TIMEOUT,
        ).stdout

    def logs(self):
        """Every log the cloud's services wrote, as one text."""
        directory = pathlib.Path(self.env['HEAT_CLOUD_LOG_DIR'])
        return '\n'.join(
            p.read_text(errors='replace')
            for p in sorted(directory.rglob('*'))
            if p.is_file()
        )


@pytest.fixture
def cloud():
    directory = os.environ.get('HEAT_CLOUD_DIR')
    if not directory:
        _unavailable(
            'HEAT_CLOUD_DIR is not set: these tests stop engines and read '
            "a tools/heat-cloud cloud's database and logs"
        )
    return Cloud(directory)
