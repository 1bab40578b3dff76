"""DockerInc::Docker::Network and ::Volume on a real engine, wired to
containers with get_resource."""

import copy
import subprocess
import uuid

from conftest import IMAGE
import docker
import pytest
from test_policy import one_endpoint_only  # noqa: F401 (fixture)

from heat_docker import config
from heat_docker import network_spec
from heat_docker import volume_spec

SLEEPER = {'cmd': ['sh', '-c', 'exec sleep 1000'], 'init': True}


def _template(resources, outputs=None):
    template = {'heat_template_version': '2021-04-16', 'resources': resources}
    if outputs:
        template['outputs'] = {k: {'value': v} for k, v in outputs.items()}
    return template


def _data_mount(volume):
    """A mount of the stack's volume resource ``volume`` at /data."""
    return {
        'type': 'volume',
        'source': {'get_resource': volume},
        'target': '/data',
    }


def _subnet(api):
    """A /24 that no network of the engine, nor the host (where other
    engines' bridges may be), uses."""
    used = {
        pool.get('Subnet')
        for network in api.networks()
        for pool in (
            api.inspect_network(network['Id'])['IPAM']['Config'] or ()
        )
    }
    routes = subprocess.run(
        ['ip', '-4', 'route', 'show'], capture_output=True, text=True
    ).stdout
    for third in range(10, 250):
        subnet = '172.31.%d.0/24' % third
        if subnet not in used and subnet not in routes:
            return subnet
    raise AssertionError('no free subnet')


def _app(subnet, volume_name, **container):
    return _template(
        {
            'net': {
                'type': 'DockerInc::Docker::Network',
                'properties': {
                    'ipam': {
                        'config': [
                            {
                                'subnet': subnet,
                                'gateway': subnet.replace('0/24', '1'),
                            }
                        ]
                    },
                    'labels': {'tier': 'app'},
                },
            },
            'data': {
                'type': 'DockerInc::Docker::Volume',
                'properties': {'name': volume_name},
            },
            'c': {
                'type': 'DockerInc::Docker::Container',
                'properties': {
                    'image': IMAGE,
                    **SLEEPER,
                    'networks': [
                        {
                            'network': {'get_resource': 'net'},
                            'aliases': ['db'],
                            'ipv4_address': subnet.replace('0/24', '5'),
                        }
                    ],
                    'mounts': [_data_mount('data')],
                    **container,
                },
            },
        },
        outputs={
            'subnets': {'get_attr': ['net', 'subnets']},
            'gateways': {'get_attr': ['net', 'gateways']},
            'network': {'get_attr': ['net', 'name']},
            'mountpoint': {'get_attr': ['data', 'mountpoint']},
            'volume': {'get_resource': 'data'},
            'members': {'get_attr': ['net', 'containers']},
        },
    )


def test_a_container_on_its_network_and_volume(stacks, api):
    subnet = _subnet(api)
    volume_name = 'hd-%s' % uuid.uuid4().hex[:8]
    stack = stacks.create(_app(subnet, volume_name))
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    outputs = stacks.outputs(stack)
    network_id = stacks.resource(stack, 'net')['physical_resource_id']
    network = api.inspect_network(network_id)
    assert network['Name'] == outputs['network']
    assert network['Name'].startswith(stack['stack_name'])
    assert network['Labels']['tier'] == 'app'
    assert (
        network['Labels']['org.openstack.heat.stack-id']
        == (stack['stack_identity']['stack_id'])
    )
    assert outputs['subnets'] == [subnet]
    assert outputs['gateways'] == [subnet.replace('0/24', '1')]
    container = stacks.container(stack, 'c')
    endpoint = container['NetworkSettings']['Networks'][network['Name']]
    assert endpoint['IPAddress'] == subnet.replace('0/24', '5')
    assert 'db' in endpoint['Aliases']
    assert container['Id'] in outputs['members']
    assert outputs['volume'] == volume_name
    volume = api.inspect_volume(volume_name)
    assert volume['Mountpoint'] == outputs['mountpoint']
    assert volume['Labels']['org.openstack.heat.resource-name'] == 'data'
    (mount,) = container['Mounts']
    assert (mount['Type'], mount['Name']) == ('volume', volume_name)

    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    with pytest.raises(docker.errors.NotFound):
        api.inspect_network(network_id)
    with pytest.raises(docker.errors.NotFound):
        api.inspect_volume(volume_name)


def test_a_built_image_network_and_volume_and_data_outliving_a_replacement(
    stacks, api
):
    subnet = _subnet(api)
    volume_name = 'hd-%s' % uuid.uuid4().hex[:8]
    repository = 'localhost/heat-docker-test/all-%s' % uuid.uuid4().hex[:8]

    def template(mark):
        app = _app(
            subnet,
            volume_name,
            image={'get_resource': 'img'},
            cmd=['sh', '-c', 'echo $MARK >> /data/marks; exec sleep 1000'],
            env={'MARK': mark},
        )
        app['resources']['img'] = {
            'type': 'DockerInc::Docker::Image',
            'properties': {
                'reference': repository + ':1',
                'build': {
                    'dockerfile': 'FROM %s\nRUN echo built > /built\n' % IMAGE
                },
            },
        }
        return app

    def marks(container):
        run = api.exec_create(
            container['Id'], ['cat', '/data/marks', '/built']
        )
        return api.exec_start(run['Id']).decode().split()

    stack = stacks.create(template('one'))
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    first = stacks.container(stack, 'c')
    image_id = api.inspect_image(repository + ':1')['Id']
    assert first['Image'] == image_id
    network = stacks.outputs(stack)['network']
    endpoint = first['NetworkSettings']['Networks'][network]
    assert endpoint['IPAddress'] == subnet.replace('0/24', '5')
    assert [(m['Type'], m['Name']) for m in first['Mounts']] == [
        ('volume', volume_name)
    ]
    assert marks(first) == ['one', 'built']

    updated = stacks.update(stack, template('two'))
    assert updated['stack_status'] == 'COMPLETE', updated[
        'stack_status_reason'
    ]
    second = stacks.container(stack, 'c')
    assert second['Id'] != first['Id']
    assert marks(second) == ['one', 'two', 'built']

    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert stacks.owned_containers(stack) == []
    assert not api.networks(names=[network])
    with pytest.raises(docker.errors.NotFound):
        api.inspect_volume(volume_name)
    assert api.images(name=repository) == []
    with pytest.raises(docker.errors.ImageNotFound):
        api.inspect_image(image_id)


def test_a_retained_volume_outlives_its_stack(stacks, api):
    volume_name = 'hd-%s' % uuid.uuid4().hex[:8]
    writer = _template(
        {
            'data': {
                'type': 'DockerInc::Docker::Volume',
                'deletion_policy': 'Retain',
                'properties': {'name': volume_name},
            },
            'c': {
                'type': 'DockerInc::Docker::Container',
                'properties': {
                    'image': IMAGE,
                    'cmd': ['sh', '-c', 'echo kept > /data/file'],
                    'completion': 'exited',
                    'mounts': [_data_mount('data')],
                },
            },
        }
    )
    first = stacks.create(writer)
    assert first['stack_status'] == 'COMPLETE', first['stack_status_reason']
    assert stacks.delete(first) == 'DELETE_COMPLETE'
    try:
        reader = _template(
            {
                'c': {
                    'type': 'DockerInc::Docker::Container',
                    'properties': {
                        'image': IMAGE,
                        'cmd': ['sh', '-c', 'test "$(cat /d/file)" = kept'],
                        'completion': 'exited',
                        'mounts': [
                            {
                                'type': 'volume',
                                'source': volume_name,
                                'target': '/d',
                            }
                        ],
                    },
                },
            }
        )
        second = stacks.create(reader)
        assert second['stack_status'] == 'COMPLETE', second[
            'stack_status_reason'
        ]
        assert stacks.delete(second) == 'DELETE_COMPLETE'
    finally:
        api.remove_volume(volume_name, force=True)


def test_a_volume_made_outside_heat_is_not_taken_by_name(stacks, api):
    """Docker hands an existing volume to a create of its name; the
    stack's delete would then remove it, and a Compose project's data."""
    volume_name = 'hd-by-hand-%s' % uuid.uuid4().hex[:8]
    api.create_volume(volume_name)
    try:
        message = stacks.validation_error(
            _template(
                {
                    'data': {
                        'type': 'DockerInc::Docker::Volume',
                        'properties': {'name': volume_name},
                    }
                }
            )
        )
        assert (
            'resources.data.properties.name: volume %s exists and no stack '
            'of this project made it' % volume_name
        ) in message
        assert api.inspect_volume(volume_name)['Name'] == volume_name
    finally:
        api.remove_volume(volume_name, force=True)


def test_a_delete_names_the_containers_outside_the_stack(stacks, api):
    stack = stacks.create(
        _template(
            {
                'net': {'type': 'DockerInc::Docker::Network'},
                'data': {'type': 'DockerInc::Docker::Volume'},
            },
            outputs={
                'network': {'get_attr': ['net', 'name']},
                'volume': {'get_resource': 'data'},
            },
        )
    )
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    outputs = stacks.outputs(stack)
    name = 'outsider-%s' % uuid.uuid4().hex[:8]
    outsider = api.create_container(
        IMAGE,
        ['sleep', '1000'],
        name=name,
        host_config=api.create_host_config(
            network_mode=outputs['network'],
            binds=['%s:/data' % outputs['volume']],
        ),
    )
    api.start(outsider['Id'])
    try:
        assert stacks.delete(stack) == 'DELETE_FAILED'
        shown = stacks.engine.show_stack(stacks.ctx, stack['stack_identity'])
        reason = shown[0]['stack_status_reason']
        assert 'still used by containers outside stack' in reason
        assert name in reason
    finally:
        api.remove_container(outsider['Id'], force=True)
    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert not api.networks(names=[outputs['network']])


@pytest.mark.usefixtures('one_endpoint_only')
def test_policy_refuses_drivers_and_host_paths_at_validation(stacks):
    from oslo_config import cfg

    def refusal(resource_type, properties):
        return stacks.validation_error(
            _template({'r': {'type': resource_type, 'properties': properties}})
        )

    # heat.conf's defaults for the drivers.
    cfg.CONF.set_override('allowed_network_drivers', ['bridge'], config.GROUP)
    cfg.CONF.set_override('allowed_volume_drivers', ['local'], config.GROUP)
    macvlan = {'driver': 'macvlan', 'options': {'parent': 'eth0'}}
    message = refusal('DockerInc::Docker::Network', macvlan)
    assert 'resources.r.properties.driver' in message
    assert 'allowed_network_drivers' in message
    cfg.CONF.set_override(
        'allowed_network_drivers', ['bridge', 'macvlan'], config.GROUP
    )
    message = refusal('DockerInc::Docker::Network', macvlan)
    assert 'resources.r.properties.options' in message
    assert 'allow_host_interfaces' in message
    # Docker joins a bridge of the host that exists, whoever made it.
    bridge = {'options': {'com.docker.network.bridge.name': 'virbr0'}}
    message = refusal('DockerInc::Docker::Network', bridge)
    assert (
        "resources.r.properties.options: a bridge network on the host's "
        'interfaces (com.docker.network.bridge.name virbr0) is not allowed'
    ) in message
    # The host routes a network's subnet to it, whatever it covered.
    cfg.CONF.set_override('allowed_subnets', ['172.28.0.0/14'], config.GROUP)
    subnet = {'ipam': {'config': [{'subnet': '10.0.0.0/8'}]}}
    message = refusal('DockerInc::Docker::Network', subnet)
    assert (
        'resources.r.properties.ipam: subnet 10.0.0.0/8 is not allowed; the '
        'operator can allow it with [docker] allowed_subnets (a range that '
        'holds 10.0.0.0/8)'
    ) in message
    subnet = {'ipam': {'config': [{'subnet': '172.29.1.0/24'}]}}
    assert refusal('DockerInc::Docker::Network', subnet) is None
    bind = {'driver_opts': {'type': 'none', 'o': 'bind', 'device': '/etc'}}
    message = refusal('DockerInc::Docker::Volume', bind)
    assert 'resources.r.properties.driver_opts' in message
    assert 'a bind mount of /etc' in message
    assert 'allowed_bind_roots' in message
    message = refusal('DockerInc::Docker::Volume', {'driver': 'nfs-plugin'})
    assert 'allowed_volume_drivers' in message
    assert refusal('DockerInc::Docker::Network', {}) is None
    assert refusal('DockerInc::Docker::Volume', {}) is None


def test_translation_without_heat():
    body = network_spec.create_body(
        {
            'driver': 'bridge',
            'internal': True,
            'ipam': {'config': [{'subnet': '10.1.0.0/24'}]},
            'labels': {'org.openstack.heat.stack-id': 'forged'},
        },
        'n',
        {'org.openstack.heat.stack-id': 'real'},
    )
    assert body['Name'] == 'n'
    assert body['Internal'] is True
    assert body['IPAM']['Config'][0]['Subnet'] == '10.1.0.0/24'
    assert body['Labels'] == {'org.openstack.heat.stack-id': 'real'}
    assert network_spec.create_arguments(body)['check_duplicate'] is True
    arguments = volume_spec.create_arguments(
        {'driver_opts': {'type': 'tmpfs'}}, 'v', {'a': 'b'}
    )
    assert arguments == {
        'name': 'v',
        'driver': 'local',
        'driver_opts': {'type': 'tmpfs'},
        'labels': {'a': 'b'},
    }


def test_what_a_replacement_would_share_without_heat():
    def pools(*subnets):
        return {'ipam': {'config': [{'subnet': s} for s in subnets]}}

    wide = pools('10.2.0.0/16', 'fd00:2::/64')
    assert network_spec.replacement_clashes(wide, pools('10.3.0.0/24')) == []
    assert network_spec.replacement_clashes(wide, pools('fd00:3::/64')) == []
    assert network_spec.replacement_clashes(wide, pools('10.2.5.0/24')) == [
        "the subnet 10.2.5.0/24, which overlaps the old network's 10.2.0.0/16"
    ]
    assert network_spec.replacement_clashes({}, {}) == []
    [named] = network_spec.replacement_clashes({'name': 'n'}, {'name': 'n'})
    assert 'the name "n"' in named
    assert network_spec.replacement_clashes({'name': 'n'}, {'name': 'm'}) == []
    assert volume_spec.replacement_clashes({}, {}) == []
    assert volume_spec.replacement_clashes({'name': 'v'}, {'name': 'w'}) == []
    [same] = volume_spec.replacement_clashes({'name': 'v'}, {'name': 'v'})
    assert 'the name "v"' in same


def test_networks_change_in_place(stacks, api):
    def template(attachments):
        return _template(
            {
                'front': {'type': 'DockerInc::Docker::Network'},
                'back': {'type': 'DockerInc::Docker::Network'},
                'c': {
                    'type': 'DockerInc::Docker::Container',
                    'properties': {
                        'image': IMAGE,
                        **SLEEPER,
                        'networks': attachments,
                    },
                },
            },
            outputs={
                'front': {'get_attr': ['front', 'name']},
                'back': {'get_attr': ['back', 'name']},
            },
        )

    front = {'network': {'get_resource': 'front'}}
    back = {'network': {'get_resource': 'back'}, 'aliases': ['api']}
    stack = stacks.create(template([front]))
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    names = stacks.outputs(stack)
    before = stacks.container(stack, 'c')
    assert set(before['NetworkSettings']['Networks']) == {names['front']}

    updated = stacks.update(stack, template([front, back]))
    assert updated['stack_status'] == 'COMPLETE', updated[
        'stack_status_reason'
    ]
    after = stacks.container(stack, 'c')
    assert after['Id'] == before['Id']
    networks = after['NetworkSettings']['Networks']
    assert set(networks) == {names['front'], names['back']}
    assert 'api' in networks[names['back']]['Aliases']

    updated = stacks.update(stack, template([back]))
    assert updated['stack_status'] == 'COMPLETE', updated[
        'stack_status_reason'
    ]
    last = stacks.container(stack, 'c')
    assert last['Id'] == before['Id']
    assert set(last['NetworkSettings']['Networks']) == {names['back']}


def _resolves(api, container_id, host):
    run = api.exec_create(container_id, ['ping', '-c1', '-W2', host])
    output = api.exec_start(run['Id']).decode()
    return api.exec_inspect(run['Id'])['ExitCode'] == 0, output


def test_links_resolve_on_user_networks(stacks, api):
    """The engine drops HostConfig.Links on a user-defined network; the
    endpoint's links carry them there, on create and on a live connect."""
    db_name = 'hd-db-%s' % uuid.uuid4().hex[:8]

    def template(web_networks):
        return _template(
            {
                'front': {'type': 'DockerInc::Docker::Network'},
                'back': {'type': 'DockerInc::Docker::Network'},
                'db': {
                    'type': 'DockerInc::Docker::Container',
                    'properties': {
                        'image': IMAGE,
                        **SLEEPER,
                        'name': db_name,
                        'networks': [
                            {'network': {'get_resource': 'front'}},
                            {'network': {'get_resource': 'back'}},
                        ],
                    },
                },
                'web': {
                    'type': 'DockerInc::Docker::Container',
                    'depends_on': ['db'],
                    'properties': {
                        'image': IMAGE,
                        **SLEEPER,
                        'links': {db_name: 'database'},
                        'networks': [
                            {'network': {'get_resource': n}}
                            for n in web_networks
                        ],
                    },
                },
            }
        )

    stack = stacks.create(template(['front']))
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    web = stacks.container(stack, 'web')
    assert _resolves(api, web['Id'], 'database')[0]

    updated = stacks.update(stack, template(['back']))
    assert updated['stack_status'] == 'COMPLETE', updated[
        'stack_status_reason'
    ]
    after = stacks.container(stack, 'web')
    assert after['Id'] == web['Id']
    resolved, output = _resolves(api, web['Id'], 'database')
    assert resolved, output


def test_a_missing_network_is_named_and_nothing_is_left(stacks, api):
    stack = stacks.create(
        _template(
            {
                'c': {
                    'type': 'DockerInc::Docker::Container',
                    'properties': {
                        'image': IMAGE,
                        **SLEEPER,
                        'networks': [{'network': 'appnet-missing'}],
                    },
                }
            }
        )
    )
    assert stack['stack_status'] == 'FAILED'
    reason = stack['stack_status_reason']
    assert (
        'network "appnet-missing" (property networks) does not exist on '
        in reason
    ), reason
    assert 'declare a DockerInc::Docker::Network or create it' in reason
    assert 'http+docker' not in reason
    assert stacks.owned_containers(stack) == []


def test_an_update_preview_sees_the_resources_the_update_keeps(stacks, api):
    def template(memory='64m', volume_labels=None, network_labels=None):
        return _template(
            {
                'vol': {
                    'type': 'DockerInc::Docker::Volume',
                    'properties': {'labels': volume_labels or {}},
                },
                'net': {
                    'type': 'DockerInc::Docker::Network',
                    'properties': {'labels': network_labels or {}},
                },
                'c': {
                    'type': 'DockerInc::Docker::Container',
                    'properties': {
                        'image': IMAGE,
                        **SLEEPER,
                        'memory': memory,
                        'mounts': [_data_mount('vol')],
                        'networks': [{'network': {'get_resource': 'net'}}],
                    },
                },
            }
        )

    stack = stacks.create(template())
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']

    def preview(changed):
        shown = stacks.engine.preview_update_stack(
            stacks.ctx, stack['stack_identity'], changed, {}, {}, {}
        )
        return {
            what: sorted(r['resource_name'] for r in resources)
            for what, resources in shown.items()
            if resources
        }

    # Heat's own preview took the references to vol and net for changes.
    assert preview(template()) == {'unchanged': ['c', 'net', 'vol']}
    assert preview(template(memory='128m')) == {
        'unchanged': ['net', 'vol'],
        'updated': ['c'],
    }
    # A replacement changes what refers to it: a volume's makes a new
    # container, a network's is joined in place.
    assert preview(template(volume_labels={'v': '2'})) == {
        'replaced': ['c', 'vol'],
        'unchanged': ['net'],
    }
    assert preview(template(network_labels={'v': '2'})) == {
        'replaced': ['net'],
        'unchanged': ['vol'],
        'updated': ['c'],
    }

    # The updates do as previewed.
    before = stacks.container(stack, 'c')
    updated = stacks.update(stack, template(memory='128m'))
    assert updated['stack_status'] == 'COMPLETE', updated[
        'stack_status_reason'
    ]
    after = stacks.container(stack, 'c')
    assert after['Id'] == before['Id']
    assert after['HostConfig']['Memory'] == 128 * 2**20
    updated = stacks.update(
        stack, template(memory='128m', volume_labels={'v': '2'})
    )
    assert updated['stack_status'] == 'COMPLETE', updated[
        'stack_status_reason'
    ]
    assert stacks.container(stack, 'c')['Id'] != before['Id']


def test_a_replacement_beside_a_fixed_name_or_subnet_is_refused(stacks, api):
    subnet = _subnet(api)
    volume_name = 'heat-docker-test-%s' % uuid.uuid4().hex[:8]
    template = _app(subnet, volume_name)
    stack = stacks.create(template)
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    container = stacks.container(stack, 'c')['Id']

    def relabelled(**fixed):
        changed = copy.deepcopy(template)
        for name in ('net', 'data'):
            properties = changed['resources'][name]['properties']
            properties['labels'] = {'tier': 'changed'}
            properties.update(fixed.get(name, {}))
        return changed

    # Docker would hand the new volume the old one, and refuse a second
    # network on the subnet: refused, each naming why, nothing changed.
    refused = stacks.update(stack, relabelled())
    assert refused['stack_status'] == 'FAILED'
    reasons = {
        name: stacks.resource(stack, name)['resource_status_reason']
        for name in ('net', 'data')
    }
    assert 'the name "%s"' % volume_name in reasons['data']
    assert 'the subnet %s' % subnet in reasons['net']
    assert 'leave labels unchanged' in reasons['net']
    assert api.inspect_volume(volume_name)['Labels'].get('tier') is None
    assert stacks.container(stack, 'c')['Id'] == container

    # The template as it was: nothing to do, nothing replaced.
    reverted = stacks.update(stack, template)
    assert reverted['stack_status'] == 'COMPLETE', reverted[
        'stack_status_reason'
    ]
    assert stacks.container(stack, 'c')['Id'] == container

    # With a new name and subnet as well, the replacement is made.
    other_subnet = _subnet(api)
    other_name = volume_name + '-2'
    moved = relabelled(
        data={'name': other_name},
        net={'ipam': {'config': [{'subnet': other_subnet}]}},
    )
    [attachment] = moved['resources']['c']['properties']['networks']
    attachment['ipv4_address'] = other_subnet.replace('0/24', '5')
    replaced = stacks.update(stack, moved)
    assert replaced['stack_status'] == 'COMPLETE', replaced[
        'stack_status_reason'
    ]
    assert api.inspect_volume(other_name)['Labels']['tier'] == 'changed'
    assert not api.volumes(filters={'name': '^%s$' % volume_name})['Volumes']


def test_converge_keeps_the_networks_and_volumes_that_are_there(stacks, api):
    template = _template(
        {
            'net': {
                'type': 'DockerInc::Docker::Network',
                'properties': {'labels': {'tier': 'app'}},
            },
            'data': {
                'type': 'DockerInc::Docker::Volume',
                'properties': {'labels': {'tier': 'app'}},
            },
            'c': {
                'type': 'DockerInc::Docker::Container',
                'properties': {
                    'image': IMAGE,
                    **SLEEPER,
                    'networks': [{'network': {'get_resource': 'net'}}],
                    'mounts': [_data_mount('data')],
                },
            },
        }
    )
    stack = stacks.create(template)
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']

    def physical_ids():
        return {
            name: stacks.resource(stack, name)['physical_resource_id']
            for name in ('net', 'data', 'c')
        }

    made = physical_ids()
    # Their names and labels as Docker reports them are Heat's, not the
    # template's: that is no drift, and a volume replaced loses its data.
    converged = stacks.update(stack, template, existing=True, converge=True)
    assert converged['stack_status'] == 'COMPLETE', converged[
        'stack_status_reason'
    ]
    assert physical_ids() == made
    # A volume gone is made again.
    api.remove_container(made['c'], force=True)
    api.remove_volume(made['data'])
    converged = stacks.update(stack, template, existing=True, converge=True)
    assert converged['stack_status'] == 'COMPLETE', converged[
        'stack_status_reason'
    ]
    again = physical_ids()
    assert again['net'] == made['net']
    assert again['data'] != made['data']
    api.inspect_volume(again['data'])
    assert api.inspect_container(again['c'])['State']['Running']
