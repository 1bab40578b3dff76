"""The operator's policy: refused at validate, naming property and option."""

import io
import os
import socket
import subprocess
import threading
import types

from conftest import IMAGE
from conftest import REPO
from conftest import SLEEP
from conftest import container_template
import pytest

from heat_docker import config
from heat_docker import container_spec as cspec
from heat_docker import image_policy
from heat_docker import policy

# heat.conf's defaults: what a shared heat-engine allows.
STRICT = {opt.dest: opt.default for opt in config.POLICY_OPTS}


def opts(**overrides):
    return types.SimpleNamespace(**{**STRICT, **overrides})


def _volume_mount(kind, device, options):
    return {
        'Type': 'volume',
        'Target': '/h',
        'VolumeOptions': {
            'DriverConfig': {
                'Name': 'local',
                'Options': {'type': kind, 'device': device, 'o': options},
            }
        },
    }


RULES = [
    (
        {'privileged': True},
        'privileged',
        'a privileged container',
        'allow_privileged = true',
    ),
    (
        {'cap_add': ['ALL']},
        'cap_add',
        'capability ALL',
        'allowed_capabilities',
    ),
    (
        {'devices': [{'path_on_host': '/dev/kvm'}]},
        'devices',
        'access to host devices',
        'allow_devices = true',
    ),
    (
        {'volumes': {'/etc': {'bind': '/host-etc'}}},
        'volumes',
        'a bind mount of /etc',
        'allowed_bind_roots',
    ),
    (
        {'mounts': [{'type': 'bind', 'source': '/', 'target': '/h'}]},
        'mounts',
        'a bind mount of /',
        'allowed_bind_roots',
    ),
    (
        {'network_mode': 'host'},
        'network_mode',
        "the host's network namespace",
        'allow_host_namespaces = true',
    ),
    (
        {'networks': [{'network': 'host'}]},
        'networks',
        "the host's network namespace",
        'allow_host_namespaces = true',
    ),
    (
        {
            'api_host_config': {
                'BlkioDeviceReadBps': [{'Path': '/dev/sda', 'Rate': 1}]
            }
        },
        'api_host_config',
        'access to host devices',
        'allow_devices = true',
    ),
    (
        {
            'ports': [
                {'container_port': 80, 'host_port': 5672, 'protocol': 'tcp'}
            ]
        },
        'ports',
        'publishing on host port 5672',
        'allowed_host_ports',
    ),
    (
        {'port_bindings': {81: '8000-8002'}},
        'port_bindings',
        'publishing on host port 8000',
        'allowed_host_ports',
    ),
    (
        {'api_host_config': {'PidMode': 'host'}},
        'api_host_config',
        "the host's pid namespace",
        'allow_host_namespaces = true',
    ),
    (
        {'api_host_config': {'Privileged': True}},
        'api_host_config',
        'a privileged container',
        'allow_privileged = true',
    ),
    (
        {'security_opt': ['seccomp=unconfined']},
        'security_opt',
        'security option seccomp=unconfined',
        'allow_privileged = true',
    ),
    # A profile of its own may allow all that Docker's default forbids.
    (
        {'security_opt': ['seccomp={"defaultAction": "SCMP_ACT_ALLOW"}']},
        'security_opt',
        'security option seccomp={"defaultAction": "SCMP_ACT_ALLOW"}',
        'allow_privileged = true',
    ),
    (
        {'api_host_config': {'MaskedPaths': []}},
        'api_host_config',
        'masked paths of its own',
        'allow_privileged = true',
    ),
    (
        {'oom_score_adj': -1000},
        'oom_score_adj',
        'a negative OOM score adjustment',
        'allow_privileged = true',
    ),
    (
        {'api_host_config': {'OomKillDisable': True}},
        'api_host_config',
        'OOM kill disabled',
        'allow_privileged = true',
    ),
    (
        {'cgroup_parent': '/docker'},
        'cgroup_parent',
        'cgroup parent /docker',
        'allow_privileged = true',
    ),
    (
        {
            'log_config': {
                'driver': 'syslog',
                'options': {'syslog-address': 'tcp://127.0.0.1:514'},
            }
        },
        'log_config',
        'logging driver syslog',
        'allowed_log_drivers',
    ),
    # A volume made by its mount, with the local driver's mount options:
    # Docker mounts what they say on its host.
    (
        {'api_host_config': {'Mounts': [_volume_mount('none', '/', 'bind')]}},
        'api_host_config',
        'a bind mount of /',
        'allowed_bind_roots',
    ),
    (
        {
            'api_host_config': {
                'Mounts': [_volume_mount('ext4', '/dev/sda1', 'ro')]
            }
        },
        'api_host_config',
        'a volume that mounts /dev/sda1 (type ext4) on the Docker host',
        'allow_devices = true',
    ),
    (
        {'api_host_config': {'VolumeDriver': 'nfs-plugin'}},
        'api_host_config',
        'volume driver nfs-plugin',
        'allowed_volume_drivers',
    ),
    (
        {'pids_limit': 100000},
        'pids_limit',
        'a limit of 100000 processes',
        'max_pids (at least 100000)',
    ),
    (
        {'api_host_config': {'PidsLimit': -1}},
        'api_host_config',
        'no limit on processes',
        'max_pids = 0',
    ),
    # Real-time scheduling with no capability: it can starve the host's
    # other processes, other tenants' included.
    (
        {
            'ulimits': [
                {'name': 'nofile', 'soft': 1024},
                {'name': 'rtprio', 'soft': 1},
            ]
        },
        'ulimits',
        'real-time scheduling (ulimit rtprio)',
        'allow_privileged = true',
    ),
    (
        {'api_host_config': {'Ulimits': [{'Name': 'rtprio', 'Soft': -1}]}},
        'api_host_config',
        'real-time scheduling (ulimit rtprio)',
        'allow_privileged = true',
    ),
    (
        {'ulimits': [{'name': 'nice', 'soft': 20, 'hard': 40}]},
        'ulimits',
        'a nice value below 0 (ulimit nice above 20)',
        'allow_privileged = true',
    ),
]


@pytest.mark.parametrize('values, prop, what, option', RULES)
def test_each_rule_names_the_property_and_the_option(
    values, prop, what, option
):
    [(refused, message)] = policy.refusals(values, opts())
    assert refused == prop
    assert message.startswith(what + ' is not allowed')
    assert '[docker] %s' % option in message
    assert message.endswith(' in heat.conf')


# The engine reads JSON keys ignoring case: each of these is what the
# policy refuses, spelt so that a policy reading Docker's own spelling
# alone would let it through.
MISSPELT = [
    (
        # Docker's own spelling first, for validation; the engine takes the
        # last of the keys it reads alike: a bind mount of its host's /.
        {
            'Mounts': [
                {
                    'Type': 'volume',
                    'Target': '/h',
                    'type': 'bind',
                    'source': '/',
                }
            ]
        },
        "Mounts[0]: the Engine API spells 'type' as 'Type'",
    ),
    (
        {
            'Mounts': [
                {
                    'Type': 'volume',
                    'Target': '/v',
                    'VolumeOptions': {
                        'DriverConfig': {
                            'name': 'local',
                            'Options': {'type': 'ext4', 'device': '/dev/vda'},
                        }
                    },
                }
            ]
        },
        "Mounts[0].VolumeOptions.DriverConfig: the Engine API spells 'name' "
        "as 'Name'",
    ),
    (
        {'LogConfig': {'TYPE': 'syslog'}},
        "LogConfig: the Engine API spells 'TYPE' as 'Type'",
    ),
    (
        {'Ulimits': [{'Name': 'rtprio', 'ſoft': 99, 'Hard': 0}]},
        "Ulimits[0]: the Engine API spells 'ſoft' as 'Soft'",
    ),
    (
        {'PortBindings': {'22/tcp': [{'hostPort': '22'}]}},
        "PortBindings.22/tcp[0]: the Engine API spells 'hostPort' as "
        "'HostPort'",
    ),
]


@pytest.mark.parametrize('host_config, message', MISSPELT)
def test_keys_the_policy_reads_must_be_spelt_as_the_engine_api_does(
    host_config, message
):
    values = {'api_host_config': host_config}
    for policy_opts in (opts(), opts(**config.PERMISSIVE)):
        assert policy.refusals(values, policy_opts) == [
            ('api_host_config', message)
        ]


def test_capped_limits_stand_for_the_limits_a_template_leaves_out():
    capping = opts(max_pids=100, max_memory_mb=64)
    assert policy.with_capped_limits({}, capping) == {
        'pids_limit': 100,
        'memory': 64 * 1024**2,
    }
    # Set in the template, by property or through api_host_config.
    asked = {'pids_limit': 50, 'api_host_config': {'Memory': 2**20}}
    assert policy.with_capped_limits(asked, capping) == asked
    assert policy.refusals(asked, capping) == []
    [(prop, message)] = policy.refusals({'memory': '1g'}, capping)
    assert prop == 'memory'
    assert message.startswith(
        'a limit of 1073741824 bytes of memory is not allowed; the operator '
        'can allow it with [docker] max_memory_mb (at least 1024)'
    )
    [(prop, message)] = policy.refusals(
        {'api_host_config': {'Memory': 0}}, capping
    )
    assert message.startswith('no limit on memory is not allowed')
    assert '[docker] max_memory_mb = 0 in heat.conf' in message
    # Each cap's property is the one the table sends to its field.
    for field, cap in policy.CAPPED_LIMITS.items():
        assert cspec.PROPERTIES[cap.prop].api == 'HostConfig.' + field
    # Bad input is left to validation, which names its property.
    bad = {'env': 42, 'mounts': [{'type': 'bind', 'source': 'rel'}]}
    assert policy.with_capped_limits(bad, capping) == {
        **bad,
        'pids_limit': 100,
        'memory': 64 * 1024**2,
    }
    # No cap: nothing added, anything asked.
    uncapped = opts(max_pids=0, max_memory_mb=0)
    assert policy.with_capped_limits({}, uncapped) == {}
    assert policy.refusals({'pids_limit': 10**6}, uncapped) == []


def test_what_the_options_allow_passes():
    allowing = opts(
        allow_privileged=True,
        allowed_capabilities=['NET_ADMIN'],
        allow_devices=True,
        allowed_bind_roots=['/srv'],
        allow_host_namespaces=True,
    )
    assert (
        policy.refusals(
            {
                'privileged': True,
                'cap_add': ['NET_ADMIN', 'CAP_NET_ADMIN'],
                'devices': [{'path_on_host': '/dev/kvm'}],
                'volumes': {'/srv/data': {'bind': '/data'}, '/cache': {}},
                'mounts': [{'type': 'volume', 'target': '/v'}],
                'network_mode': 'host',
            },
            allowing,
        )
        == []
    )
    [(refused, _)] = policy.refusals({'cap_add': ['SYS_ADMIN']}, allowing)
    assert refused == 'cap_add'
    [(refused, _)] = policy.refusals(
        {'volumes': {'/srv-other': {'bind': '/x'}}}, allowing
    )
    assert refused == 'volumes'


def test_harmless_values_of_guarded_fields_pass():
    assert (
        policy.refusals(
            {
                'ports': [
                    {'container_port': 80, 'protocol': 'tcp'},
                    {
                        'container_port': 81,
                        'host_port': 30001,
                        'protocol': 'tcp',
                    },
                ],
                'port_bindings': {82: '30002-30003'},
                'oom_score_adj': 500,
                'ulimits': [
                    {'name': 'rtprio', 'soft': 0},
                    {'name': 'nice', 'soft': 20},
                    {'name': 'nofile', 'soft': 1024, 'hard': -1},
                ],
                'security_opt': [
                    'no-new-privileges',
                    'apparmor=docker-default',
                ],
                'log_config': {'driver': 'local'},
                'api_host_config': {
                    'OomKillDisable': False,
                    'VolumeDriver': 'local',
                    'Mounts': [
                        _volume_mount('tmpfs', 'tmpfs', 'size=1m'),
                        _volume_mount('none', '/srv/data', 'rbind'),
                    ],
                },
            },
            opts(
                allowed_host_ports=['30000-32767'],
                allowed_log_drivers=['local'],
                allowed_volume_drivers=['local'],
                allowed_bind_roots=['/srv'],
            ),
        )
        == []
    )


def test_a_volume_s_mount_options_meet_the_bind_and_device_rules():
    strict = opts(allowed_volume_drivers=['local'])
    for driver_opts, what, option in [
        ({'o': 'rbind', 'device': '/etc'}, 'a bind mount of /etc', 'roots'),
        (
            {'type': 'nfs', 'o': 'addr=127.0.0.1', 'device': ':/export'},
            'a volume that mounts :/export (type nfs) on the Docker host',
            'allow_devices',
        ),
    ]:
        [(prop, message)] = policy.volume_refusals(
            {'driver_opts': driver_opts}, strict
        )
        assert prop == 'driver_opts'
        assert message.startswith(what + ' is not allowed')
        assert option in message
    assert (
        policy.volume_refusals({'driver_opts': {'type': 'tmpfs'}}, strict)
        == []
    )


def test_endpoint_patterns():
    allowing = opts(allowed_endpoints=['tcp://10.0.*:2376', 'unix:///run/d*'])
    assert policy.endpoint_refusal('tcp://10.0.3.4:2376', allowing) is None
    assert 'allowed_endpoints' in policy.endpoint_refusal(
        'unix:///var/run/docker.sock', allowing
    )
    assert policy.endpoint_refusal('tcp://x', opts()) is not None


@pytest.fixture
def one_endpoint_only(heat, docker_host):
    """heat.conf of a shared cloud: one endpoint, nothing privileged."""
    from oslo_config import cfg

    for name, value in {
        **STRICT,
        'allowed_endpoints': [str(docker_host)],
    }.items():
        cfg.CONF.set_override(name, value, group=config.GROUP)
    yield
    for name in STRICT:
        cfg.CONF.set_override(
            name, config.PERMISSIVE[name], group=config.GROUP
        )


def privileged_template():
    # As a non-root user: root in a privileged container wants every
    # capability, and this machine's bounding set lacks CAP_SYS_RESOURCE.
    return container_template(
        {'cmd': SLEEP, 'init': True, 'privileged': True, 'user': 'nobody'}
    )


@pytest.mark.parametrize('values, prop, what, option', RULES)
def test_each_rule_refuses_at_validate_through_heat(
    stacks, api, one_endpoint_only, values, prop, what, option
):
    before = api.containers(all=True)
    error = stacks.validation_error(container_template(values))
    assert 'resources.c.properties.%s: %s is not allowed' % (prop, what) in (
        error
    )
    assert '[docker] %s' % option in error
    assert api.containers(all=True) == before


def test_a_misspelt_key_is_refused_at_validate_through_heat(
    stacks, api, one_endpoint_only
):
    host_config, message = MISSPELT[0]
    before = api.containers(all=True)
    error = stacks.validation_error(
        container_template({'api_host_config': host_config})
    )
    assert 'resources.c.properties.api_host_config: %s' % message in error
    assert api.containers(all=True) == before


def test_refused_at_validate_then_allowed_by_the_option(
    stacks, api, one_endpoint_only
):
    from oslo_config import cfg

    error = stacks.validation_error(privileged_template())
    assert 'resources.c.properties.privileged' in error
    assert '[docker] allow_privileged = true in heat.conf' in error

    other = container_template({'docker_endpoint': 'tcp://127.0.0.1:9'})
    error = stacks.validation_error(other)
    assert 'resources.c.properties.docker_endpoint' in error
    assert 'allowed_endpoints' in error

    cfg.CONF.set_override('allow_privileged', True, group=config.GROUP)
    stack = stacks.create(privileged_template())
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    assert stacks.container(stack, 'c')['HostConfig']['Privileged'] is True


def test_default_endpoint_is_checked_too(
    stacks, api, one_endpoint_only, monkeypatch
):
    before = api.containers(all=True)
    monkeypatch.setenv('DOCKER_HOST', 'unix:///var/run/docker.sock')
    error = stacks.validation_error(container_template({}))
    assert 'endpoint unix:///var/run/docker.sock is not allowed' in error
    assert api.containers(all=True) == before


def test_endpoint_from_a_parameter_is_checked_at_validate(
    stacks, api, one_endpoint_only
):
    template = container_template(
        {'docker_endpoint': {'get_param': 'endpoint'}}
    )
    template['parameters'] = {'endpoint': {'type': 'string'}}
    before = api.containers(all=True)
    error = stacks.validation_error(
        template, params={'endpoint': 'tcp://127.0.0.1:9'}
    )
    assert 'resources.c.properties.docker_endpoint: endpoint ' in error
    assert 'tcp://127.0.0.1:9 is not allowed' in error
    assert api.containers(all=True) == before


def test_endpoint_from_get_attr_is_checked_at_create(
    stacks, api, one_endpoint_only
):
    template = container_template(
        {'docker_endpoint': {'get_attr': ['where', 'value']}},
        extra_resources={
            'where': {
                'type': 'OS::Heat::Value',
                'properties': {'value': 'tcp://127.0.0.1:9'},
            }
        },
    )
    stack = stacks.create(template)
    assert stack['stack_status'] == 'FAILED'
    assert (
        'endpoint tcp://127.0.0.1:9 is not allowed'
        in (stack['stack_status_reason'])
    )
    assert stacks.owned_containers(stack) == []


@pytest.fixture
def heat_api(heat):
    """heat-api served in-process on 127.0.0.1, as ``heat-docker serve``."""
    from heat_docker.standalone import daemon

    server = daemon.tcp_server(daemon.heat_api(heat.state_dir), 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d/v1/admin' % server.server_address[1]
    server.shutdown()
    server.server_close()


def openstack(endpoint, *args):
    env = {**os.environ, 'OS_AUTH_TYPE': 'none', 'OS_ENDPOINT': endpoint}
    return subprocess.run(
        [os.path.join(os.path.dirname(os.sys.executable), 'openstack'), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_refusals_through_the_openstack_cli(
    heat_api, one_endpoint_only, tmp_path, api
):
    from oslo_config import cfg

    template = tmp_path / 'privileged.yaml'
    template.write_text(
        'heat_template_version: 2021-04-16\n'
        'resources:\n'
        '  c:\n'
        '    type: DockerInc::Docker::Container\n'
        '    properties:\n'
        '      image: %s\n'
        '      cmd: [sh, -c, exec sleep 1000]\n'
        '      init: true\n'
        '      user: nobody\n'
        '      privileged: true\n' % IMAGE
    )
    validated = openstack(
        heat_api, 'orchestration', 'template', 'validate', '-t', str(template)
    )
    assert validated.returncode != 0
    assert 'resources.c.properties.privileged' in validated.stderr
    assert 'allow_privileged' in validated.stderr

    name = 'cli-policy-%d' % os.getpid()
    created = openstack(
        heat_api, 'stack', 'create', '--wait', '-t', str(template), name
    )
    assert created.returncode != 0
    assert 'allow_privileged' in created.stderr

    cfg.CONF.set_override('allow_privileged', True, group=config.GROUP)
    created = openstack(
        heat_api, 'stack', 'create', '--wait', '-t', str(template), name
    )
    assert created.returncode == 0, created.stderr
    assert 'CREATE_COMPLETE' in created.stdout
    label = 'org.openstack.heat.stack-name=%s' % name
    assert len(api.containers(filters={'label': label})) == 1
    deleted = openstack(heat_api, 'stack', 'delete', '--yes', '--wait', name)
    assert deleted.returncode == 0, deleted.stderr
    assert api.containers(all=True, filters={'label': label}) == []


def test_sample_config_is_current():
    generated = subprocess.run(
        [
            os.path.join(
                os.path.dirname(os.sys.executable), 'oslo-config-generator'
            ),
            '--config-file',
            str(REPO / 'etc' / 'oslo-config-generator.conf'),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert (
        generated == (REPO / 'etc' / 'heat-docker.conf.sample').read_text()
    ), (
        'etc/heat-docker.conf.sample is stale: regenerate it with '
        'oslo-config-generator --config-file '
        'etc/oslo-config-generator.conf --output-file '
        'etc/heat-docker.conf.sample'
    )


def _resolving(table):
    def resolve(host, port):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, 'unknown')
        return [(None, None, None, '', (a, 0)) for a in table[host]]

    return resolve


def test_pulls_from_the_docker_host_by_address_and_by_name():
    resolve = _resolving(
        {
            '127.1': ['127.0.0.1'],
            'sneaky.example': ['10.0.0.5', '127.0.0.53'],
            'mapped.example': ['::ffff:127.0.0.1'],
            '169.254.169.254': ['169.254.169.254'],
            '::1': ['::1'],
            '0.0.0.0': ['0.0.0.0'],
            'registry.example': ['10.0.0.5'],
        }
    )
    for registry in [
        'localhost:5000',
        'registry.localhost',
        '127.1:5000',
        '[::1]:5000',
        'sneaky.example',
        'mapped.example:443',
        '169.254.169.254',
        '0.0.0.0:8443',
    ]:
        refusal = image_policy.pull_refusal(registry, opts(), resolve)
        assert refusal.startswith(
            'a pull from registry %s, on the Docker host itself or at a '
            'link-local address, is not allowed' % registry
        ), registry
        assert '[docker] allow_local_fetches = true' in refusal
        allowing = opts(allow_local_fetches=True)
        assert image_policy.pull_refusal(registry, allowing, resolve) is None
    for registry in ['registry.example:5000', 'docker.io', 'unknown.example']:
        assert image_policy.pull_refusal(registry, opts(), resolve) is None


def test_a_pull_error_does_not_quote_what_the_engine_fetched():
    # A registry may redirect the engine to its own host's services.
    for said, shown in [
        (
            'error parsing HTTP 404 response body: invalid character '
            '\'<\' looking for beginning of value: "<html>secret</html>"',
            'error parsing HTTP 404 response body (not shown)',
        ),
        (
            'failed to GET http://10.0.0.6/r with status 401 UNAUTHORIZED: '
            '{"token": "secret"}',
            'failed to GET http://10.0.0.6/r with status 401 UNAUTHORIZED '
            '(not shown)',
        ),
        ('manifest unknown: manifest unknown', None),
    ]:
        assert image_policy.fetch_error(said, opts()) == (shown or said)
        assert (
            image_policy.fetch_error(said, opts(allow_local_fetches=True))
            == said
        )


class _CountingServer:
    """An HTTP service on the Docker host's loopback only: what a tenant
    must not reach through the engine. Counts the requests it gets."""

    def __init__(self):
        import http.server

        requests = self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                requests.append(self.path)
                self.send_response(404)
                self.end_headers()
                self.wfile.write(b'<html>host-only service</html>')

            do_HEAD = do_GET

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(
            ('127.0.0.1', 0), Handler
        )
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def host_only_service():
    server = _CountingServer()
    yield server
    server.close()


def _image_template(properties):
    return {
        'heat_template_version': '2021-04-16',
        'resources': {
            'i': {'type': 'DockerInc::Docker::Image', 'properties': properties}
        },
    }


def test_the_engine_fetches_nothing_from_its_own_host(
    stacks, api, one_endpoint_only, host_only_service
):
    from oslo_config import cfg

    local = '127.0.0.1:%d' % host_only_service.port
    # Any URL: the engine follows redirects, to its own host too.
    for url in ['http://%s/v3' % local, 'https://example.org/a.tgz']:
        adding = _image_template(
            {
                'reference': 'probe:1',
                'build': {
                    'dockerfile': 'FROM %s\nARG URL\nADD ${URL} /s\n' % IMAGE,
                    'args': {'URL': url},
                },
            }
        )
        error = stacks.validation_error(adding)
        assert (
            'resources.i.properties.build: ADD of %s, which the Docker '
            'engine downloads from its own host' % url
        ) in error
        assert '[docker] allow_local_fetches = true' in error

    before = api.containers(all=True)
    images_before = api.images(all=True)
    for template, prop in [
        (
            container_template({'image': local + '/probe:1'}),
            'c.properties.image',
        ),
        (
            _image_template({'reference': local + '/probe:1'}),
            'i.properties.reference',
        ),
        (
            _image_template(
                {
                    'reference': 'probe:1',
                    'build': {'dockerfile': 'FROM %s/base\n' % local},
                }
            ),
            'i.properties.build',
        ),
    ]:
        # Not known to be pulled until create: a present image is not.
        assert stacks.validation_error(template) is None
        stack = stacks.create(template)
        assert stack['stack_status'] == 'FAILED'
        assert (
            'resources.%s: a pull from registry %s, on the Docker host itself'
            % (prop, local)
        ) in stack['stack_status_reason']
        assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert host_only_service.requests == []
    assert api.containers(all=True) == before
    assert api.images(all=True) == images_before

    # The rule, not the engine, kept them out: allowed, the pull goes out.
    cfg.CONF.set_override('allow_local_fetches', True, group=config.GROUP)
    stack = stacks.create(container_template({'image': local + '/probe:1'}))
    assert stack['stack_status'] == 'FAILED'
    assert (
        'Pulling image %s/probe:1 failed' % local
        in (stack['stack_status_reason'])
    )
    assert host_only_service.requests


def test_a_base_image_passes_on_no_fetch(
    stacks, api, one_endpoint_only, host_only_service
):
    """What a base image carries into a build on it: its ENV, read by the
    build's ADD, and its ONBUILD triggers, which the builder runs."""
    url = 'http://127.0.0.1:%d/v3' % host_only_service.port
    base = 'localhost/heat-docker-test/onbuild:%d' % host_only_service.port
    dockerfile = 'FROM %s\nENV U=%s\nONBUILD ADD %s /h\n' % (IMAGE, url, url)
    for _ in api.build(
        fileobj=io.BytesIO(dockerfile.encode()), tag=base, rm=True
    ):
        pass
    try:
        inherited = _image_template(
            {'build': {'dockerfile': 'FROM %s\nADD $U /k\n' % base}}
        )
        error = stacks.validation_error(inherited)
        assert (
            'resources.i.properties.build: a FROM, COPY --from or ADD that '
            'names $U, whose variables Heat cannot resolve'
        ) in error
        # Its own ONBUILD is read as the build's own instructions.
        error = stacks.validation_error(
            _image_template({'build': {'dockerfile': dockerfile}})
        )
        assert 'ADD of %s, which the Docker engine downloads' % url in error
        triggered = _image_template(
            {'build': {'dockerfile': 'FROM %s\n' % base}}
        )
        stack = stacks.create(triggered)
        assert stack['stack_status'] == 'FAILED'
        assert (
            'resources.i.properties.build: the ONBUILD triggers of %s: ADD '
            'of %s, which the Docker engine downloads' % (base, url)
        ) in stack['stack_status_reason']
        assert stacks.delete(stack) == 'DELETE_COMPLETE'
        assert host_only_service.requests == []
    finally:
        api.remove_image(base, force=True)


def test_converge_asks_no_registry_on_the_docker_host(
    stacks, api, one_endpoint_only, host_only_service
):
    # Present already, the image is not pulled; converge asks its registry
    # whether the reference moved, unless the registry is the host's own.
    reference = '127.0.0.1:%d/probe:1' % host_only_service.port
    api.tag(IMAGE, reference)
    try:
        template = _image_template({'reference': reference})
        stack = stacks.create(template)
        assert stack['stack_status'] == 'COMPLETE', stack[
            'stack_status_reason'
        ]
        converged = stacks.update(
            stack, template, existing=True, converge=True
        )
        assert converged['stack_status'] == 'COMPLETE'
        assert host_only_service.requests == []
    finally:
        stacks.cleanup()
        api.remove_image(reference)


def test_a_container_gets_the_capped_limits_its_template_leaves_out(
    stacks, one_endpoint_only
):
    from oslo_config import cfg

    cfg.CONF.set_override('max_memory_mb', 64, group=config.GROUP)
    template = container_template({'cmd': SLEEP, 'init': True})
    stack = stacks.create(template)
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    first = stacks.container(stack, 'c')
    host_config = first['HostConfig']
    assert (host_config['PidsLimit'], host_config['Memory']) == (
        STRICT['max_pids'],
        64 * 1024**2,
    )

    def updated(properties, **args):
        stack_now = stacks.update(
            stack,
            container_template({'cmd': SLEEP, 'init': True, **properties}),
            **args,
        )
        assert stack_now['stack_status'] == 'COMPLETE', stack_now[
            'stack_status_reason'
        ]
        container = stacks.container(stack, 'c')
        assert container['Id'] == first['Id']  # updated in place
        return container['HostConfig']['PidsLimit']

    assert updated({'pids_limit': 100}) == 100
    # Left out again: the cap again, not an unlimited container.
    assert updated({}) == STRICT['max_pids']
    # The live limit is the cap: converge finds no drift to replace.
    assert updated({}, existing=True, converge=True) == STRICT['max_pids']
