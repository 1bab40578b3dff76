"""The property table's translation to Engine API bodies, without Heat."""

import pytest

from heat_docker import container_spec as cspec
from heat_docker import container_state
from heat_docker import spec


def body(**values):
    return cspec.expand(values)[0]


def test_port_bindings_in_the_docker_py_map_forms():
    host = body(
        port_bindings={
            '80': 8080,
            '8080/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '18080'}],
            '53/udp': [5353, 5354],
        }
    )['HostConfig']['PortBindings']
    assert host == {
        '80/tcp': [{'HostIp': '', 'HostPort': '8080'}],
        '8080/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '18080'}],
        '53/udp': [
            {'HostIp': '', 'HostPort': '5353'},
            {'HostIp': '', 'HostPort': '5354'},
        ],
    }


def test_bound_and_specified_ports_are_all_exposed():
    created = body(
        port_specs=['7000', '53/udp'],
        port_bindings={'80': 8080},
        ports=[
            {
                'container_port': 443,
                'protocol': 'tcp',
                'host_ip': '127.0.0.1',
                'host_port': None,
            }
        ],
    )
    assert set(created['ExposedPorts']) == {
        '7000/tcp',
        '53/udp',
        '80/tcp',
        '443/tcp',
    }
    assert created['HostConfig']['PortBindings']['443/tcp'] == [
        {'HostIp': '127.0.0.1', 'HostPort': ''}
    ]


@pytest.mark.parametrize(
    'volumes, binds, anonymous',
    [
        (
            {'/srv/data': {'bind': '/data', 'ro': True}},
            ['/srv/data:/data:ro'],
            {},
        ),
        ({'/srv/data': {'bind': '/data'}}, ['/srv/data:/data:rw'], {}),
        ({'/cache': {}}, [], {'/cache': {}}),
        (
            [
                {
                    'path_on_host': '/srv',
                    'path_in_container': '/srv',
                    'permissions': 'ro',
                }
            ],
            ['/srv:/srv:ro'],
            {},
        ),
        (['/cache'], [], {'/cache': {}}),
    ],
)
def test_volumes_in_every_old_contrib_form(volumes, binds, anonymous):
    created = body(volumes=volumes)
    assert created['HostConfig']['Binds'] == binds
    assert created['Volumes'] == anonymous


def test_env_as_list_or_map():
    assert body(env=['A=1', 'B='])['Env'] == ['A=1', 'B=']
    assert body(env={'A': 1, 'B': 'two'})['Env'] == ['A=1', 'B=two']
    with pytest.raises(spec.InvalidValue) as refused:
        body(env='A=1')
    assert refused.value.prop == 'env'


def test_sizes_and_durations():
    created = body(
        memory='1g',
        memory_swap='-1',
        shm_size=65536,
        healthcheck={
            'test': ['CMD', 'true'],
            'interval': '1m30s',
            'timeout': 5,
            'start_period': '250ms',
        },
    )
    assert created['HostConfig']['Memory'] == 1 << 30
    assert created['HostConfig']['MemorySwap'] == -1
    assert created['HostConfig']['ShmSize'] == 65536
    assert created['Healthcheck'] == {
        'Test': ['CMD', 'true'],
        'Interval': 90 * 10**9,
        'Timeout': 5 * 10**9,
        'StartPeriod': 250 * 10**6,
    }


def test_healthcheck_test_forms():
    def test_of(value):
        return body(healthcheck={'test': value})['Healthcheck']['Test']

    assert test_of('curl -f localhost') == ['CMD-SHELL', 'curl -f localhost']
    assert test_of(['cat', '/ready']) == ['CMD', 'cat', '/ready']
    assert test_of(['NONE']) == ['NONE']


def test_devices_default_to_the_host_path_and_rwm():
    assert body(devices=[{'path_on_host': '/dev/fuse'}])['HostConfig'][
        'Devices'
    ] == [
        {
            'PathOnHost': '/dev/fuse',
            'PathInContainer': '/dev/fuse',
            'CgroupPermissions': 'rwm',
        }
    ]


def test_networks_beyond_the_first_wait_for_api_1_44():
    networks = [
        {'network': 'front', 'aliases': ['web']},
        {'network': 'back', 'ipv4_address': '10.9.0.5'},
    ]
    created, extra = cspec.expand({'networks': networks}, api_version='1.41')
    assert created['NetworkingConfig'] == {
        'EndpointsConfig': {'front': {'Aliases': ['web']}}
    }
    assert created['HostConfig']['NetworkMode'] == 'front'
    assert extra == {'back': {'IPAMConfig': {'IPv4Address': '10.9.0.5'}}}

    created, extra = cspec.expand({'networks': networks}, api_version='1.44')
    assert set(created['NetworkingConfig']['EndpointsConfig']) == {
        'front',
        'back',
    }
    assert extra == {}


def test_links_are_legacy_on_the_default_bridge_and_endpoint_links_elsewhere():
    links = {'db': 'database'}
    assert body(links=links)['HostConfig']['Links'] == ['db:database']
    assert 'NetworkingConfig' not in body(links=links)

    on_mode = body(links=links, network_mode='appnet')
    assert 'Links' not in on_mode['HostConfig']
    assert on_mode['NetworkingConfig'] == {
        'EndpointsConfig': {'appnet': {'Links': ['db:database']}}
    }

    networks = [{'network': 'front', 'aliases': ['web']}, {'network': 'back'}]
    created, extra = cspec.expand(
        {'links': links, 'networks': networks}, api_version='1.41'
    )
    assert 'Links' not in created['HostConfig']
    assert created['NetworkingConfig']['EndpointsConfig'] == {
        'front': {'Aliases': ['web'], 'Links': ['db:database']}
    }
    assert extra == {'back': {'Links': ['db:database']}}


def test_typed_properties_win_over_the_escape_hatches():
    created = body(
        memory='64m',
        hostname='typed',
        api_host_config={'Memory': 1, 'OomKillDisable': True},
        api_config={'Hostname': 'raw', 'Shell': ['/bin/sh']},
    )
    assert created['HostConfig']['Memory'] == 64 << 20
    assert created['HostConfig']['OomKillDisable'] is True
    assert created['Hostname'] == 'typed'
    assert created['Shell'] == ['/bin/sh']


def test_labels_merge_with_heats_own():
    created = cspec.expand(
        {'labels': {'tier': 'web'}}, labels={cspec.RESOURCE_LABEL: 'c'}
    )[0]
    assert created['Labels'] == {'tier': 'web', cspec.RESOURCE_LABEL: 'c'}


def test_unsupported_finds_nested_properties_newer_than_the_engine():
    values = {
        'healthcheck': {'test': 'true', 'start_interval': '1s'},
        'mounts': [{'target': '/x', 'subpath': 'a'}],
    }
    assert cspec.unsupported(values, '1.41') == [
        ('healthcheck.start_interval', '1.44'),
        ('mounts[0].subpath', '1.45'),
    ]
    assert cspec.unsupported(values, '1.45') == []


def test_live_update_body_and_what_needs_replacement():
    old = {
        'memory': '64m',
        'cpus': 1.0,
        'pids_limit': 10,
        'restart_policy': {'Name': 'no', 'MaximumRetryCount': 0},
    }
    new = {
        **old,
        'memory': '128m',
        'cpus': 0.5,
        'restart_policy': {'Name': 'always', 'MaximumRetryCount': 0},
    }
    assert cspec.live_update_fields(old, new) == {
        'Memory': 128 << 20,
        'NanoCpus': 5 * 10**8,
        'RestartPolicy': {'Name': 'always', 'MaximumRetryCount': 0},
    }
    # The engine ignores zero: a limit cannot be removed in place.
    assert cspec.live_update_fields(old, {**old, 'pids_limit': None}) is None


def test_every_property_is_described_and_live_ones_map_to_host_config():
    for name, prop in cspec.PROPERTIES.items():
        assert prop.description.endswith('.'), name
        if prop.update == spec.LIVE:
            assert prop.api.startswith('HostConfig.'), name


def test_attributes_from_inspect_and_logs():
    info = {
        'Name': '/web',
        'Image': 'sha256:abc',
        'State': {
            'Status': 'running',
            'Running': True,
            'ExitCode': 0,
            'Health': {'Status': 'healthy'},
        },
        'NetworkSettings': {
            'IPAddress': '',
            'Gateway': '',
            'Ports': {
                '80/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '8080'}],
                '53/udp': [{'HostIp': '', 'HostPort': '5353'}],
                '9000/tcp': None,
            },
            'Networks': {
                'front': {'IPAddress': '10.1.0.2', 'Gateway': '10.1.0.1'}
            },
        },
    }
    assert container_state.attribute('network_ip', info) == '10.1.0.2'
    assert container_state.attribute('network_gateway', info) == '10.1.0.1'
    assert container_state.attribute('network_tcp_ports', info) == '8080'
    assert container_state.attribute('network_udp_ports', info) == '5353'
    assert (
        container_state.attribute('network_info', info)['TcpPorts'] == '8080'
    )
    assert container_state.attribute('ports', info) == {
        '80/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '8080'}],
        '53/udp': [{'HostIp': '', 'HostPort': '5353'}],
    }
    assert container_state.attribute('ip_addresses', info) == {
        'front': '10.1.0.2'
    }
    assert container_state.attribute('name', info) == 'web'
    assert container_state.attribute('health', info) == 'healthy'
    assert container_state.attribute('logs_head', 'one\r\ntwo\r\n') == 'one'
    assert container_state.attribute('logs_tail', 'one\ntwo\n') == 'two'
    assert container_state.attribute('logs_tail', '') == ''


@pytest.mark.parametrize(
    'state, completion, expected',
    [
        ({'Status': 'running'}, 'running', (True, None)),
        ({'Status': 'created'}, 'running', (False, None)),
        (
            {'Status': 'exited', 'ExitCode': 0},
            'running',
            (False, 'exited with code 0'),
        ),
        ({'Status': 'exited', 'ExitCode': 0}, 'exited', (True, None)),
        (
            {'Status': 'exited', 'ExitCode': 2},
            'exited',
            (False, 'exited with code 2'),
        ),
        ({'Status': 'running'}, 'exited', (False, None)),
        (
            {'Status': 'running', 'Health': {'Status': 'starting'}},
            'healthy',
            (False, None),
        ),
        (
            {'Status': 'running', 'Health': {'Status': 'healthy'}},
            'healthy',
            (True, None),
        ),
        (
            {'Status': 'running', 'Health': {'Status': 'unhealthy'}},
            'healthy',
            (False, 'is unhealthy'),
        ),
    ],
)
def test_completion_state(state, completion, expected):
    assert container_state.completion_state(state, completion) == expected


def test_an_exited_container_docker_restarts_is_waited_for():
    exited = {'Status': 'exited', 'ExitCode': 137}
    assert container_state.completion_state(
        exited, 'running', restarted=True
    ) == (
        False,
        None,
    )

    def info(policy, exit_code=137, restarts=0):
        return {
            'HostConfig': {'RestartPolicy': policy},
            'State': {'ExitCode': exit_code},
            'RestartCount': restarts,
        }

    assert container_state.restarted_by_docker(info({'Name': 'always'}))
    assert container_state.restarted_by_docker(
        info({'Name': 'unless-stopped'})
    )
    assert not container_state.restarted_by_docker(info({'Name': 'no'}))
    assert not container_state.restarted_by_docker(info({}))
    on_failure = {'Name': 'on-failure', 'MaximumRetryCount': 2}
    assert container_state.restarted_by_docker(info(on_failure, restarts=1))
    assert not container_state.restarted_by_docker(
        info(on_failure, restarts=2)
    )
    assert not container_state.restarted_by_docker(
        info(on_failure, exit_code=0)
    )


def test_live_values_show_only_drift_in_what_the_template_set():
    values = {
        'memory': '64m',
        'cpu_shares': 512,
        'name': 'web',
        'cpus': None,
        'image': 'x',
    }
    info = {
        'Name': '/web',
        'HostConfig': {
            'Memory': 64 << 20,
            'CpuShares': 700,
            'NanoCpus': 10**9,
        },
    }
    assert cspec.live_values(values, info) == {
        'memory': '64m',
        'cpu_shares': 700,
        'name': 'web',
    }
