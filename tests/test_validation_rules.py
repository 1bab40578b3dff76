"""The engine's own rules, refused at validate, both ways.

Generated bad values are refused with the property named and no Docker
call; a sample of generated valid values is accepted by a real engine at
create. A value that validates but that Docker refuses is a bug.
"""

from conftest import IMAGE
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import pytest

from heat_docker import container_spec as cspec
from heat_docker import validation

MIB = 2**20

# Each strategy draws property values that a Docker engine refuses.
BAD = {
    'memory': st.integers(1, 6 * MIB - 1).map(str),
    'memory_swap': st.integers(8 * MIB, 63 * MIB).map(
        lambda swap: ('64m', str(swap))
    ),
    'memory_reservation': st.integers(1, 6 * MIB - 1).map(str),
    'cpus': st.floats(0.0000001, 0.0099),
    'cpu_shares_api': st.one_of(
        st.integers(-1000, -1), st.just(1), st.integers(262145, 10**7)
    ),
    'swappiness': st.one_of(st.integers(-1000, -2), st.integers(101, 10**6)),
    'oom_score_adj': st.one_of(
        st.integers(-(10**6), -1001), st.integers(1001, 10**6)
    ),
    'cpu_period': st.one_of(st.integers(1, 999), st.integers(1000001, 10**8)),
    'restart': st.tuples(
        st.sampled_from(['always', 'unless-stopped', 'no']),
        st.integers(1, 100),
    ),
    'stop_signal': st.from_regex(r'SIG[A-Z]{6,10}', fullmatch=True),
    'host_ip': st.from_regex(r'[a-z]{3,12}', fullmatch=True),
    'interval_us': st.integers(1, 999),
    'ulimit': st.tuples(st.integers(2, 10**6), st.integers(1, 10**6)).filter(
        lambda soft_hard: soft_hard[0] > soft_hard[1]
    ),
    'sysctl': st.from_regex(r'(kernel|vm|dev)\.[a-z_]{3,12}', fullmatch=True),
    'dns': st.from_regex(r'[a-z]{2,10}\.example\.com', fullmatch=True),
}


def _values(kind, drawn):
    """Property values (as a validated template gives them) for ``kind``."""
    return {
        'memory': lambda: {'memory': drawn},
        'memory_swap': lambda: {'memory': drawn[0], 'memory_swap': drawn[1]},
        'memory_reservation': lambda: {'memory_reservation': drawn},
        'cpus': lambda: {'cpus': drawn},
        'cpu_shares_api': lambda: {'api_host_config': {'CpuShares': drawn}},
        'swappiness': lambda: {'api_host_config': {'MemorySwappiness': drawn}},
        'oom_score_adj': lambda: {'oom_score_adj': drawn},
        'cpu_period': lambda: {'api_host_config': {'CpuPeriod': drawn}},
        'restart': lambda: {
            'restart_policy': {'Name': drawn[0], 'MaximumRetryCount': drawn[1]}
        },
        'stop_signal': lambda: {'stop_signal': drawn},
        'host_ip': lambda: {
            'ports': [
                {'container_port': 80, 'protocol': 'tcp', 'host_ip': drawn}
            ]
        },
        'interval_us': lambda: {
            'healthcheck': {'test': 'true', 'interval': '%dus' % drawn}
        },
        'ulimit': lambda: {
            'ulimits': [{'name': 'nofile', 'soft': drawn[0], 'hard': drawn[1]}]
        },
        'sysctl': lambda: {'sysctls': {drawn: '1'}},
        'dns': lambda: {'dns': [drawn]},
    }[kind]()


@pytest.mark.parametrize('kind', sorted(BAD))
def test_generated_bad_values_are_refused_naming_the_property(kind):
    @settings(max_examples=40, deadline=None)
    @given(BAD[kind])
    def refused(drawn):
        values = _values(kind, drawn)
        found = validation.problems(values)
        assert found, values
        assert {prop for prop, _ in found} <= set(values)

    refused()


# Drawn from what the engine takes, on any host.
GOOD = st.fixed_dictionaries(
    {},
    optional={
        'memory': st.integers(6, 512).map(lambda m: '%dm' % m),
        'cpus': st.sampled_from([0.01, 0.1, 0.5, 1.0]),
        'cpu_shares': st.integers(2, 262144),
        'oom_score_adj': st.integers(-1000, 1000),
        'pids_limit': st.integers(1, 10**5),
        'stop_signal': st.sampled_from(
            ['SIGTERM', 'SIGQUIT', 'SIGRTMIN+3', 'INT', '9', 'SIGUSR1']
        ),
        'restart_policy': st.one_of(
            st.builds(
                lambda n: {'Name': 'on-failure', 'MaximumRetryCount': n},
                st.integers(0, 10),
            ),
            st.sampled_from(
                [
                    {'Name': name, 'MaximumRetryCount': 0}
                    for name in ('no', 'always', 'unless-stopped')
                ]
            ),
        ),
        'ports': st.lists(
            st.fixed_dictionaries(
                {
                    'container_port': st.integers(1, 65535),
                    'protocol': st.sampled_from(['tcp', 'udp']),
                    'host_ip': st.just('127.0.0.1'),
                }
            ),
            max_size=2,
            unique_by=lambda p: (p['container_port'], p['protocol']),
        ),
        'sysctls': st.sampled_from(
            [{'net.ipv4.ip_unprivileged_port_start': '1024'}, {}]
        ),
        'extra_hosts': st.dictionaries(
            st.from_regex(r'[a-z]{1,10}', fullmatch=True),
            st.ip_addresses(v=4).map(str),
            max_size=2,
        ),
        'ulimits': st.builds(
            lambda soft, extra: [
                {'name': 'nofile', 'soft': soft, 'hard': soft + extra}
            ],
            st.integers(64, 1024),
            st.integers(0, 1024),
        ),
        'shm_size': st.integers(1, 256).map(lambda m: '%dm' % m),
    },
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(values=GOOD)
def test_generated_valid_values_are_created_by_a_real_engine(api, values):
    values = {'image': IMAGE, 'cmd': ['true'], **values}
    assert validation.problems(values) == []
    body, _ = cspec.expand(values)
    created = api.create_container_from_config(body)
    api.remove_container(created['Id'], force=True)
