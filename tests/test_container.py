"""DockerInc::Docker::Container on Heat's real engine and a real Docker."""

import socket
import threading
import time

from conftest import IMAGE
from conftest import SLEEP
from conftest import container_template
import pytest


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def network(api):
    name = 'hd-test-net-%d' % time.monotonic_ns()
    api.create_network(name)
    yield name
    api.remove_network(name)


def test_old_contrib_properties_reach_the_container(
    stacks, api, docker_host, tmp_path
):
    bound_port, legacy_port = free_port(), free_port()
    (tmp_path / 'hello.txt').write_text('from the host\n')
    properties = {
        'docker_endpoint': docker_host,
        'name': 'hd-legacy-%d' % time.monotonic_ns(),
        'hostname': 'legacyhost',
        'user': 'nobody',
        'memory': 67108864,
        'port_specs': ['7000', '7001/udp'],
        'port_bindings': {
            '8080/tcp': [{'HostIp': '127.0.0.1', 'HostPort': str(bound_port)}],
            '81': [{'HostIp': '127.0.0.1', 'HostPort': str(legacy_port)}],
        },
        'privileged': True,
        'tty': True,
        'open_stdin': True,
        'stdin_once': True,
        'env': ['GREETING=hello', 'EMPTY='],
        'cmd': [
            'sh',
            '-c',
            'echo first line; echo last line; exec sleep 1000',
        ],
        'dns': ['127.0.0.1'],
        'volumes': {str(tmp_path): {'bind': '/data', 'ro': True}},
        'volumes_from': [],
        'restart_policy': {'Name': 'on-failure', 'MaximumRetryCount': 3},
        'cap_add': ['NET_ADMIN'],
        'cap_drop': ['MKNOD'],
        'read_only': True,
        'cpu_shares': 512,
        'devices': [
            {'path_on_host': '/dev/null', 'path_in_container': '/dev/hdnull'}
        ],
        'cpu_set': '0',
    }
    template = container_template(
        properties,
        extra_resources={
            'consumer': {
                'type': 'DockerInc::Docker::Container',
                'properties': {
                    'image': IMAGE,
                    'cmd': SLEEP,
                    'init': True,
                    'volumes_from': [{'get_resource': 'c'}],
                    'env': [
                        {
                            'list_join': [
                                '',
                                ['HEAD=', {'get_attr': ['c', 'logs_head']}],
                            ]
                        },
                        {
                            'list_join': [
                                '',
                                [
                                    'PORTS=',
                                    {'get_attr': ['c', 'network_tcp_ports']},
                                ],
                            ]
                        },
                        {
                            'list_join': [
                                '',
                                ['IP=', {'get_attr': ['c', 'network_ip']}],
                            ]
                        },
                    ],
                },
            },
        },
    )
    stack = stacks.create(template)
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']

    info = stacks.container(stack, 'c')
    config, host = info['Config'], info['HostConfig']
    assert info['Name'] == '/' + properties['name']
    assert config['Hostname'] == 'legacyhost'
    assert config['User'] == 'nobody'
    assert host['Memory'] == 67108864
    assert {'7000/tcp', '7001/udp', '8080/tcp', '81/tcp'} <= set(
        config['ExposedPorts']
    )
    assert host['PortBindings']['8080/tcp'] == [
        {'HostIp': '127.0.0.1', 'HostPort': str(bound_port)}
    ]
    assert host['Privileged'] is True
    assert config['Tty'] and config['OpenStdin'] and config['StdinOnce']
    assert {'GREETING=hello', 'EMPTY='} <= set(config['Env'])
    assert config['Cmd'] == properties['cmd']
    assert host['Dns'] == ['127.0.0.1']
    assert host['Binds'] == ['%s:/data:ro' % tmp_path]
    assert host['RestartPolicy'] == {
        'Name': 'on-failure',
        'MaximumRetryCount': 3,
    }
    assert host['CapAdd'] == ['NET_ADMIN']
    assert host['CapDrop'] == ['MKNOD']
    assert host['ReadonlyRootfs'] is True
    assert host['CpuShares'] == 512
    assert host['Devices'] == [
        {
            'PathOnHost': '/dev/null',
            'PathInContainer': '/dev/hdnull',
            'CgroupPermissions': 'rwm',
        }
    ]
    assert host['CpusetCpus'] == '0'
    assert config['Labels']['org.openstack.heat.resource-name'] == 'c'
    assert (
        config['Labels']['org.openstack.heat.stack-name']
        == (stack['stack_name'])
    )

    consumer = stacks.container(stack, 'consumer')
    env = dict(e.split('=', 1) for e in consumer['Config']['Env'])
    assert env['HEAD'] == 'first line'
    # Host ports in the order of their container ports' keys.
    assert env['PORTS'] == '%d,%d' % (bound_port, legacy_port)
    assert env['IP'] == info['NetworkSettings']['IPAddress'] != ''
    assert consumer['HostConfig']['VolumesFrom'] == [info['Id']]


def test_links_to_a_named_container(stacks):
    peer_name = 'hd-peer-%d' % time.monotonic_ns()
    template = container_template(
        {'cmd': SLEEP, 'init': True, 'links': {peer_name: 'db'}},
        extra_resources={
            'peer': {
                'type': 'DockerInc::Docker::Container',
                'properties': {
                    'image': IMAGE,
                    'cmd': SLEEP,
                    'init': True,
                    'name': peer_name,
                },
            }
        },
    )
    # No depends_on, as in templates for the old contrib resource: the
    # link's name makes the peer come first.
    stack = stacks.create(template)
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    assert stacks.resource(stack, 'peer')['required_by'] == ['c']
    info = stacks.container(stack, 'c')
    assert info['HostConfig']['Links'] == [
        '/%s:%s/db' % (peer_name, info['Name'])
    ]


def test_modern_properties_reach_the_container(stacks, api, network, tmp_path):
    published = free_port()
    volume = 'hd-test-vol-%d' % time.monotonic_ns()
    properties = {
        'entrypoint': ['sh', '-c'],
        'cmd': ['touch /tmp/ready; exec sleep 1000'],
        'working_dir': '/tmp',
        'labels': {'tier': 'test'},
        'env': {'MODE': 'modern', 'COUNT': 3},
        'domainname': 'example.test',
        'mounts': [
            {
                'type': 'bind',
                'source': str(tmp_path),
                'target': '/host',
                'read_only': True,
            },
            {'type': 'volume', 'source': volume, 'target': '/vol'},
            {'type': 'tmpfs', 'target': '/scratch', 'tmpfs_size': '8m'},
        ],
        'networks': [{'network': network, 'aliases': ['web']}],
        'extra_hosts': {'db.local': '127.0.0.2'},
        'dns_search': ['example.test'],
        'dns_options': ['ndots:2'],
        'ports': [
            {
                'container_port': 80,
                'host_ip': '127.0.0.1',
                'host_port': published,
            }
        ],
        'healthcheck': {
            'test': 'test -f /tmp/ready',
            'interval': '1s',
            'timeout': '2s',
            'retries': 2,
            'start_period': '500ms',
        },
        'completion': 'healthy',
        'ulimits': [{'name': 'nofile', 'soft': 512, 'hard': 1024}],
        'sysctls': {'net.core.somaxconn': 256},
        'tmpfs': {'/run': 'size=1m'},
        'shm_size': '32m',
        'pids_limit': 64,
        'cpus': 0.5,
        'memory': '64m',
        'memory_reservation': '32m',
        'memory_swap': '128m',
        'init': True,
        'security_opt': ['no-new-privileges:true'],
        'group_add': ['65534'],
        'stop_signal': 'SIGQUIT',
        'stop_timeout': 3,
        'log_config': {'driver': 'json-file', 'options': {'max-size': '1m'}},
        'api_config': {'Shell': ['/bin/sh', '-e', '-c']},
        'api_host_config': {'IpcMode': 'shareable', 'Memory': 1},
    }
    stack = stacks.create(
        container_template(
            properties,
            outputs={
                'health': {'get_attr': ['c', 'health']},
                'ports': {'get_attr': ['c', 'ports']},
                'ips': {'get_attr': ['c', 'ip_addresses']},
            },
        )
    )
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    try:
        info = stacks.container(stack, 'c')
        config, host = info['Config'], info['HostConfig']
        assert config['Entrypoint'] == ['sh', '-c']
        assert config['WorkingDir'] == '/tmp'
        assert config['Labels']['tier'] == 'test'
        assert {'MODE=modern', 'COUNT=3'} <= set(config['Env'])
        assert config['Domainname'] == 'example.test'
        mounts = {m['Destination']: m for m in info['Mounts']}
        assert mounts['/host']['Source'] == str(tmp_path)
        assert mounts['/host']['RW'] is False
        assert mounts['/vol']['Name'] == volume
        assert host['Mounts'][2]['TmpfsOptions'] == {'SizeBytes': 8 << 20}
        assert host['NetworkMode'] == network
        assert 'web' in info['NetworkSettings']['Networks'][network]['Aliases']
        assert host['ExtraHosts'] == ['db.local:127.0.0.2']
        assert host['DnsSearch'] == ['example.test']
        assert host['DnsOptions'] == ['ndots:2']
        assert host['PortBindings'] == {
            '80/tcp': [{'HostIp': '127.0.0.1', 'HostPort': str(published)}]
        }
        assert config['Healthcheck'] == {
            'Test': ['CMD-SHELL', 'test -f /tmp/ready'],
            'Interval': 10**9,
            'Timeout': 2 * 10**9,
            'Retries': 2,
            'StartPeriod': 5 * 10**8,
        }
        assert host['Ulimits'] == [
            {'Name': 'nofile', 'Soft': 512, 'Hard': 1024}
        ]
        assert host['Sysctls'] == {'net.core.somaxconn': '256'}
        assert host['Tmpfs'] == {'/run': 'size=1m'}
        assert host['ShmSize'] == 32 << 20
        assert host['PidsLimit'] == 64
        assert host['NanoCpus'] == 5 * 10**8
        # The typed property wins over the same field in api_host_config.
        assert host['Memory'] == 64 << 20
        assert host['MemoryReservation'] == 32 << 20
        assert host['MemorySwap'] == 128 << 20
        assert host['Init'] is True
        assert host['SecurityOpt'] == ['no-new-privileges:true']
        assert host['GroupAdd'] == ['65534']
        assert config['StopSignal'] == 'SIGQUIT'
        assert config['StopTimeout'] == 3
        assert host['LogConfig'] == {
            'Type': 'json-file',
            'Config': {'max-size': '1m'},
        }
        assert config['Shell'] == ['/bin/sh', '-e', '-c']
        assert host['IpcMode'] == 'shareable'

        outputs = stacks.outputs(stack)
        assert outputs['health'] == 'healthy'
        assert outputs['ports'] == host['PortBindings']
        assert (
            outputs['ips'][network]
            == info['NetworkSettings']['Networks'][network]['IPAddress']
        )
    finally:
        assert stacks.delete(stack) == 'DELETE_COMPLETE'
        api.remove_volume(volume)


def test_a_second_network_is_connected_before_start(stacks, api, network):
    other = network + '-b'
    api.create_network(other)
    try:
        stack = stacks.create(
            container_template(
                {
                    'cmd': SLEEP,
                    'init': True,
                    'networks': [
                        {'network': network},
                        {'network': other, 'aliases': ['second']},
                    ],
                }
            )
        )
        assert stack['stack_status'] == 'COMPLETE', stack[
            'stack_status_reason'
        ]
        networks = stacks.container(stack, 'c')['NetworkSettings']['Networks']
        assert set(networks) == {network, other}
        assert 'second' in networks[other]['Aliases']
        assert stacks.delete(stack) == 'DELETE_COMPLETE'
    finally:
        api.remove_network(other)


def test_completion_exited_completes_on_exit_code_zero(stacks):
    stack = stacks.create(
        container_template(
            {'cmd': ['sh', '-c', 'echo job done'], 'completion': 'exited'},
            outputs={
                'code': {'get_attr': ['c', 'exit_code']},
                'tail': {'get_attr': ['c', 'logs_tail']},
                'status': {'get_attr': ['c', 'status']},
                'running': {'get_attr': ['c', 'running']},
            },
        )
    )
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    assert stacks.outputs(stack) == {
        'code': 0,
        'tail': 'job done',
        'status': 'exited',
        'running': False,
    }


def test_completion_exited_fails_on_nonzero_exit_with_log_tail(stacks):
    stack = stacks.create(
        container_template(
            {
                'cmd': ['sh', '-c', 'echo cannot migrate; exit 3'],
                'completion': 'exited',
            }
        )
    )
    assert stack['stack_status'] == 'FAILED'
    assert 'exited with code 3' in stack['stack_status_reason']
    assert 'cannot migrate' in stack['stack_status_reason']


def test_out_of_memory_fails_at_once_saying_so(stacks):
    started = time.monotonic()
    stack = stacks.create(
        container_template(
            {
                # Reads /dev/zero into one line that never ends, killed
                # within the settle: a 16 MB limit is filled too late on a
                # slow machine.
                'cmd': ['sh', '-c', 'echo filling; tail /dev/zero'],
                'memory': '8m',
                'memory_swap': '8m',
            }
        )
    )
    assert stack['stack_status'] == 'FAILED'
    reason = stack['stack_status_reason']
    assert 'exited with code 137' in reason
    assert "killed by the kernel's OOM killer" in reason
    assert 'filling' in reason
    assert time.monotonic() - started < 30


def test_container_killed_while_awaited_fails_at_once(stacks, api):
    """docker kill while Heat waits for the container to be healthy."""
    started = time.monotonic()
    template = container_template(
        {
            'cmd': SLEEP,
            'completion': 'healthy',
            'healthcheck': {'test': 'false', 'interval': '30s'},
        }
    )

    def kill_when_created():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            awaited = api.containers(
                filters={
                    'label': 'org.openstack.heat.resource-name=c',
                    'health': 'starting',
                }
            )
            if awaited:
                api.kill(awaited[0]['Id'])
                return
            time.sleep(0.1)

    killer = threading.Thread(target=kill_when_created)
    killer.start()
    stack = stacks.create(template)
    killer.join()
    assert stack['stack_status'] == 'FAILED'
    assert 'exited with code 137' in stack['stack_status_reason']
    assert 'OOM' not in stack['stack_status_reason']
    assert time.monotonic() - started < 30


def test_container_that_stops_while_awaited_fails_at_once(stacks):
    started = time.monotonic()
    stack = stacks.create(
        container_template({'cmd': ['sh', '-c', 'echo bye; exit 0']})
    )
    assert stack['stack_status'] == 'FAILED'
    assert (
        'exited with code 0 while waiting for it to be running'
        in (stack['stack_status_reason'])
    )
    assert 'bye' in stack['stack_status_reason']
    assert time.monotonic() - started < 30


def test_completion_healthy_fails_when_unhealthy(stacks):
    stack = stacks.create(
        container_template(
            {
                'cmd': SLEEP,
                'init': True,
                'completion': 'healthy',
                'healthcheck': {
                    'test': ['CMD', 'false'],
                    'interval': '1s',
                    'retries': 1,
                },
            }
        )
    )
    assert stack['stack_status'] == 'FAILED'
    assert 'is unhealthy' in stack['stack_status_reason']


def test_completion_healthy_needs_a_healthcheck(stacks):
    stack = stacks.create(
        container_template(
            {'cmd': SLEEP, 'init': True, 'completion': 'healthy'}
        )
    )
    assert stack['stack_status'] == 'FAILED'
    assert 'has no healthcheck' in stack['stack_status_reason']


def test_delete_of_a_container_removed_by_hand(stacks, api):
    stack = stacks.create(container_template({'cmd': SLEEP, 'init': True}))
    api.remove_container(stacks.container(stack, 'c')['Id'], force=True)
    assert stacks.delete(stack) == 'DELETE_COMPLETE'


def test_failed_create_leaves_nothing_after_delete(stacks):
    stack = stacks.create(
        container_template(
            {'cmd': ['sh', '-c', 'exit 1'], 'completion': 'exited'}
        )
    )
    assert stack['stack_status'] == 'FAILED'
    assert len(stacks.owned_containers(stack)) == 1
    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert stacks.owned_containers(stack) == []


@pytest.mark.parametrize('grace', [1, 0])
def test_delete_stops_with_the_grace_period_then_kills(stacks, api, grace):
    # sh as PID 1 ignores SIGTERM: delete must fall back to SIGKILL. No
    # grace (Compose's stop_grace_period: 0s) kills at once.
    stack = stacks.create(
        container_template(
            {
                'cmd': ['sh', '-c', 'while true; do sleep 1; done'],
                'stop_timeout': grace,
            }
        )
    )
    started = time.monotonic()
    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert grace <= time.monotonic() - started < 15
    assert stacks.owned_containers(stack) == []


def test_image_pull_policy_never_refuses_a_missing_image(stacks):
    stack = stacks.create(
        container_template(
            {
                'image': 'localhost/heat-docker/absent:1',
                'image_pull_policy': 'never',
            }
        )
    )
    assert stack['stack_status'] == 'FAILED'
    assert (
        'localhost/heat-docker/absent:1 is not present'
        in (stack['stack_status_reason'])
    )
    assert stacks.owned_containers(stack) == []


def test_suspend_resume_and_check(stacks, api):
    stack = stacks.create(container_template({'cmd': SLEEP, 'init': True}))
    container_id = stacks.container(stack, 'c')['Id']

    suspended = stacks.action(stack, 'suspend')
    assert suspended['stack_action'] == 'SUSPEND', suspended
    assert suspended['stack_status'] == 'COMPLETE', suspended
    assert api.inspect_container(container_id)['State']['Running'] is False

    resumed = stacks.action(stack, 'resume')
    assert resumed['stack_status'] == 'COMPLETE', resumed
    assert api.inspect_container(container_id)['State']['Running'] is True

    checked = stacks.action(stack, 'check')
    assert (checked['stack_action'], checked['stack_status']) == (
        'CHECK',
        'COMPLETE',
    )
    api.stop(container_id, timeout=0)
    checked = stacks.action(stack, 'check')
    assert checked['stack_status'] == 'FAILED'
    assert 'exited with code' in checked['stack_status_reason']


def test_update_in_place_keeps_the_container(stacks, api):
    props = {
        'cmd': SLEEP,
        'init': True,
        'memory': '64m',
        'cpu_shares': 512,
        'restart_policy': {'Name': 'no'},
    }
    stack = stacks.create(container_template(props))
    before = stacks.container(stack, 'c')['Id']
    updated = stacks.update(
        stack,
        container_template(
            {
                **props,
                'memory': '96m',
                'cpu_shares': 256,
                'restart_policy': {
                    'Name': 'on-failure',
                    'MaximumRetryCount': 2,
                },
                'name': 'hd-renamed-%d' % time.monotonic_ns(),
            }
        ),
    )
    assert updated['stack_status'] == 'COMPLETE', updated[
        'stack_status_reason'
    ]
    info = stacks.container(stack, 'c')
    assert info['Id'] == before
    assert info['HostConfig']['Memory'] == 96 << 20
    assert info['HostConfig']['CpuShares'] == 256
    assert info['HostConfig']['RestartPolicy'] == {
        'Name': 'on-failure',
        'MaximumRetryCount': 2,
    }
    assert info['Name'].startswith('/hd-renamed-')


def test_update_of_the_command_replaces_the_container(stacks, api):
    stack = stacks.create(container_template({'cmd': SLEEP, 'init': True}))
    before = stacks.container(stack, 'c')['Id']
    updated = stacks.update(
        stack,
        container_template(
            {'cmd': ['sh', '-c', 'exec sleep 999'], 'init': True}
        ),
    )
    assert updated['stack_status'] == 'COMPLETE', updated[
        'stack_status_reason'
    ]
    after = stacks.container(stack, 'c')
    assert after['Id'] != before
    assert after['Config']['Cmd'] == ['sh', '-c', 'exec sleep 999']
    assert [c['Id'] for c in stacks.owned_containers(stack)] == [after['Id']]


def test_removing_a_limit_replaces_the_container(stacks):
    stack = stacks.create(
        container_template({'cmd': SLEEP, 'init': True, 'pids_limit': 64})
    )
    before = stacks.container(stack, 'c')['Id']
    updated = stacks.update(
        stack, container_template({'cmd': SLEEP, 'init': True})
    )
    assert updated['stack_status'] == 'COMPLETE'
    after = stacks.container(stack, 'c')
    assert after['Id'] != before
    assert after['HostConfig']['PidsLimit'] in (None, 0, -1)


def test_endpoint_that_never_answers_fails_with_a_clear_reason(
    stacks, tmp_path
):
    from oslo_config import cfg

    cfg.CONF.set_override('endpoint_wait_timeout', 1, group='docker')
    try:
        stack = stacks.create(
            container_template(
                {'docker_endpoint': 'unix://%s/absent.sock' % tmp_path}
            )
        )
    finally:
        cfg.CONF.clear_override('endpoint_wait_timeout', group='docker')
    assert stack['stack_status'] == 'FAILED'
    assert 'is not answering' in stack['stack_status_reason']
    assert 'endpoint_wait_timeout' in stack['stack_status_reason']


def test_the_container_is_found_where_it_was_created(
    stacks, api, docker_host, monkeypatch
):
    stack = stacks.create(container_template({'cmd': SLEEP, 'init': True}))
    # Later operations with another default engine still reach it.
    monkeypatch.setenv('DOCKER_HOST', 'unix:///nonexistent/docker.sock')
    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert stacks.owned_containers(stack) == []


def test_namespace_and_runtime_properties_reach_the_container(stacks):
    stack = stacks.create(
        container_template(
            {
                'cmd': SLEEP,
                'init': True,
                'network_mode': 'none',
                'ipc_mode': 'shareable',
                'oom_score_adj': 100,
                'runtime': 'runc',
                'userns_mode': 'host',
                'cgroup_parent': '/heat-docker-test',
            },
            extra_resources={
                'mac': {
                    'type': 'DockerInc::Docker::Container',
                    'properties': {
                        'image': IMAGE,
                        'cmd': SLEEP,
                        'init': True,
                        'mac_address': '02:42:ac:11:ff:01',
                        'pid_mode': {
                            'list_join': [
                                ':',
                                ['container', {'get_resource': 'c'}],
                            ]
                        },
                    },
                }
            },
        )
    )
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    host = stacks.container(stack, 'c')['HostConfig']
    assert host['NetworkMode'] == 'none'
    assert host['IpcMode'] == 'shareable'
    assert host['OomScoreAdj'] == 100
    assert host['Runtime'] == 'runc'
    assert host['UsernsMode'] == 'host'
    assert host['CgroupParent'] == '/heat-docker-test'
    mac = stacks.container(stack, 'mac')
    assert mac['Config']['MacAddress'] == '02:42:ac:11:ff:01'
    assert mac['NetworkSettings']['MacAddress'] == '02:42:ac:11:ff:01'
    assert (
        mac['HostConfig']['PidMode']
        == 'container:' + (stacks.resource(stack, 'c')['physical_resource_id'])
    )
