"""Projects sharing one Docker endpoint reach only their own containers."""

import contextlib

from conftest import IMAGE
from conftest import SLEEP
from conftest import container_template
from docker import errors as docker_errors
import pytest

from heat_docker import config
from heat_docker import tenancy

PROJECT_LABEL = 'org.openstack.heat.project-id'
OPTION = '[docker] allow_cross_project_references = true in heat.conf'


def test_every_field_that_names_a_container_is_a_reference():
    assert sorted(
        tenancy.container_references(
            {
                'volumes_from': ['data:ro', 'logs'],
                'links': {'db': 'database'},
                'network_mode': 'container:net',
                # The first network joined becomes the network mode.
                'networks': [{'network': 'container:first'}],
                'pid_mode': 'container:pid',
                'ipc_mode': 'container:ipc',
                'api_host_config': {
                    'Cgroup': 'container:cg',
                    'Links': ['/raw:alias'],
                },
            }
        )
    ) == sorted(
        [
            ('links', 'db'),
            ('volumes_from', 'data'),
            ('volumes_from', 'logs'),
            ('network_mode', 'net'),
            ('networks', 'first'),
            ('pid_mode', 'pid'),
            ('ipc_mode', 'ipc'),
            ('api_host_config', 'raw'),
            ('api_host_config', 'cg'),
        ]
    )
    assert (
        tenancy.container_references(
            {'network_mode': 'bridge', 'ipc_mode': 'shareable'}
        )
        == []
    )


@pytest.fixture
def confined(heat):
    """The multi-tenant default: no references across projects."""
    from oslo_config import cfg

    cfg.CONF.set_override(
        'allow_cross_project_references', False, group=config.GROUP
    )
    yield
    cfg.CONF.set_override(
        'allow_cross_project_references', True, group=config.GROUP
    )


@pytest.fixture
def demo_container(stacks, confined):
    """A stack of project "demo" with a named, running container."""
    demo = stacks.as_project('demo')
    name = 'demo-private-%s' % id(demo)
    stack = demo.create(container_template({'cmd': SLEEP, 'name': name}))
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    return demo, stack, name


REFERENCES = [
    ('volumes_from', lambda c: [c]),
    ('links', lambda c: {c: 'peer'}),
    ('network_mode', lambda c: 'container:' + c),
    ('networks', lambda c: [{'network': 'container:' + c}]),
    ('pid_mode', lambda c: 'container:' + c),
    ('ipc_mode', lambda c: 'container:' + c),
    ('api_host_config', lambda c: {'VolumesFrom': [c]}),
]


def test_containers_carry_their_project(stacks, api, demo_container):
    demo, stack, name = demo_container
    labels = demo.container(stack, 'c')['Config']['Labels']
    assert labels[PROJECT_LABEL] == 'demo'


@pytest.mark.parametrize('prop, reference', REFERENCES)
def test_another_projects_container_is_refused_at_validate(
    stacks, api, demo_container, prop, reference
):
    _, _, name = demo_container
    other = stacks.as_project('other')
    before = api.containers(all=True)
    error = other.validation_error(
        container_template({'cmd': SLEEP, prop: reference(name)})
    )
    assert (
        'resources.c.properties.%s: a reference to container %s, which is '
        "not one of this project's containers, is not allowed" % (prop, name)
    ) in error
    assert OPTION in error
    assert api.containers(all=True) == before


def test_external_id_of_another_project_is_refused(
    stacks, api, demo_container
):
    from oslo_messaging.rpc import dispatcher

    demo, stack, name = demo_container
    container_id = demo.container(stack, 'c')['Id']
    other = stacks.as_project('other')
    template = container_template({})
    template['resources']['c']['external_id'] = container_id
    with pytest.raises(dispatcher.ExpectedException) as refused:
        other.create(template)
    message = str(refused.value.exc_info[1])
    assert (
        'resources.c.external_id: a reference to container %s' % container_id
    ) in message
    assert OPTION in message
    assert other.engine.list_stacks(other.ctx) == []


def test_a_reference_known_only_at_create_is_checked_then(
    stacks, api, demo_container
):
    _, _, name = demo_container
    other = stacks.as_project('other')
    template = container_template(
        {'cmd': SLEEP, 'volumes_from': [{'get_attr': ['peer', 'value']}]},
        extra_resources={
            'peer': {
                'type': 'OS::Heat::Value',
                'properties': {'value': name},
            }
        },
    )
    assert other.validation_error(template) is None
    stack = other.create(template)
    assert stack['stack_status'] == 'FAILED'
    assert (
        'a reference to container %s' % name in (stack['stack_status_reason'])
    )
    assert other.owned_containers(stack) == []


def test_a_name_held_by_another_project_is_refused_clearly(
    stacks, api, demo_container
):
    _, _, name = demo_container
    other = stacks.as_project('other')
    error = other.validation_error(
        container_template({'cmd': SLEEP, 'name': name})
    )
    assert (
        'resources.c.properties.name: the name %s is already used on' % name
    ) in error
    assert 'by a container of another project' in error
    # A prefix of its id is no name: it tells nothing, and is free.
    demo, stack, _ = demo_container
    prefix = demo.container(stack, 'c')['Id'][:4]
    assert other.validation_error(container_template({'name': prefix})) is None


def test_a_name_held_in_the_same_project_fails_at_create_naming_the_holder(
    stacks, api, demo_container
):
    demo, first, name = demo_container
    stack = demo.create(container_template({'cmd': SLEEP, 'name': name}))
    assert stack['stack_status'] == 'FAILED'
    reason = stack['stack_status_reason']
    assert 'the name %s is already used on' % name in reason
    assert 'by resource c of stack %s' % first['stack_name'] in reason
    assert '409 Client Error' not in reason and 'Conflict.' not in reason
    assert demo.owned_containers(stack) == []


def test_own_containers_and_the_option_allow_references(
    stacks, api, demo_container
):
    from oslo_config import cfg

    demo, _, name = demo_container
    own = demo.create(
        container_template({'cmd': SLEEP, 'volumes_from': [name]})
    )
    assert own['stack_status'] == 'COMPLETE', own['stack_status_reason']

    cfg.CONF.set_override(
        'allow_cross_project_references', True, group=config.GROUP
    )
    other = stacks.as_project('other')
    allowed = other.create(
        container_template({'cmd': SLEEP, 'network_mode': 'container:' + name})
    )
    assert allowed['stack_status'] == 'COMPLETE', allowed[
        'stack_status_reason'
    ]


def test_another_projects_snapshot_image_is_refused(
    stacks, api, demo_container
):
    demo, stack, _ = demo_container
    container = demo.container(stack, 'c')['Id']
    repository, tag = 'localhost/heat-docker-snapshot', container[:12]
    api.commit(container, repository=repository, tag=tag)
    image = '%s:%s' % (repository, tag)
    try:
        other = stacks.as_project('other')
        error = other.validation_error(
            container_template({'cmd': SLEEP, 'image': image})
        )
        assert (
            'resources.c.properties.image: image %s, made by another '
            "project's stack, is not allowed" % image
        ) in error
        assert OPTION in error
        # Built on, or taken as an Image resource's reference, it is
        # refused as well, at validate.
        for prop, properties in (
            ('build', {'build': {'dockerfile': 'FROM %s\n' % image}}),
            ('reference', {'reference': image}),
        ):
            error = other.validation_error(
                _template(
                    {
                        'i': {
                            'type': 'DockerInc::Docker::Image',
                            'properties': properties,
                        }
                    }
                )
            )
            assert (
                'resources.i.properties.%s: image %s, made by another '
                "project's stack, is not allowed" % (prop, image)
            ) in error
        own = demo.create(container_template({'cmd': SLEEP, 'image': image}))
        assert own['stack_status'] == 'COMPLETE', own['stack_status_reason']
    finally:
        demo.cleanup()
        api.remove_image(image, force=True)


def test_a_tag_moved_after_its_check_is_caught_before_the_start(
    stacks, api, demo_container, monkeypatch
):
    """Another project may move a tag after the image's check at validate:
    the image the container was made from is checked, before its start."""
    from heat_docker.resources.container import DockerContainer

    demo, stack, _ = demo_container
    demos_image = api.commit(demo.container(stack, 'c')['Id'])['Id']
    repository = 'localhost/heat-docker-moved'
    api.tag(IMAGE, repository, 'latest')  # the operator's, no project's
    # The race, made certain: the tag moves during the create's last step
    # before Docker's create, after validation passed the operator's image.
    on_network = DockerContainer._on_project_network

    def moved_meanwhile(self, client, values):
        api.tag(demos_image, repository, 'latest')
        return on_network(self, client, values)

    monkeypatch.setattr(
        DockerContainer, '_on_project_network', moved_meanwhile
    )
    image = repository + ':latest'
    try:
        other = stacks.as_project('other')
        made = other.create(container_template({'cmd': SLEEP, 'image': image}))
        assert made['stack_status'] == 'FAILED'
        assert (
            "image %s, made by another project's stack, is not allowed" % image
        ) in made['stack_status_reason']
        assert other.owned_containers(made) == []
    finally:
        for reference in (image, demos_image):
            with contextlib.suppress(docker_errors.NotFound):
                api.remove_image(reference, force=True)


def test_volumes_are_labelled_and_another_projects_refused(
    stacks, api, confined
):
    demo = stacks.as_project('demo')
    volume = 'tenancy-data-%s' % id(demo)
    stack = demo.create(
        container_template(
            {
                'cmd': SLEEP,
                'mounts': [
                    {
                        'type': 'volume',
                        'source': volume,
                        'target': '/data',
                        'labels': {'tier': 'db'},
                    }
                ],
            }
        )
    )
    try:
        assert stack['stack_status'] == 'COMPLETE', stack[
            'stack_status_reason'
        ]
        labels = api.inspect_volume(volume)['Labels']
        assert labels[PROJECT_LABEL] == 'demo' and labels['tier'] == 'db'

        other = stacks.as_project('other')
        for properties in (
            {'mounts': [{'type': 'volume', 'source': volume, 'target': '/x'}]},
            {'volumes': {volume: {'bind': '/x'}}},
        ):
            prop = next(iter(properties))
            error = other.validation_error(
                container_template({'cmd': SLEEP, **properties})
            )
            assert (
                'resources.c.properties.%s: a mount of volume %s, which is '
                "not one of this project's volumes, is not allowed"
                % (prop, volume)
            ) in error
            assert OPTION in error

        # A volume made outside Heat belongs to no project.
        api.create_volume('tenancy-by-hand-%s' % id(demo))
        error = demo.validation_error(
            container_template(
                {'volumes': {'tenancy-by-hand-%s' % id(demo): {'bind': '/x'}}}
            )
        )
        assert "not one of this project's volumes" in error
    finally:
        demo.cleanup()
        api.remove_volume(volume)
        api.remove_volume('tenancy-by-hand-%s' % id(demo))


def _template(resources):
    return {'heat_template_version': '2021-04-16', 'resources': resources}


def test_an_update_joins_no_network_of_another_project(stacks, api, confined):
    demo = stacks.as_project('demo')
    network = 'tenancy-update-net-%s' % id(demo)
    kept = demo.create(
        _template(
            {
                'net': {
                    'type': 'DockerInc::Docker::Network',
                    'properties': {'name': network},
                }
            }
        )
    )
    other = stacks.as_project('other')

    def joining(networks):
        # The name comes from another resource: unknown at validation.
        return container_template(
            {'cmd': SLEEP, 'networks': networks},
            extra_resources={
                'peer': {
                    'type': 'OS::Heat::Value',
                    'properties': {'value': network},
                },
                'own': {'type': 'DockerInc::Docker::Network'},
            },
        )

    own = {'network': {'get_resource': 'own'}}
    try:
        assert kept['stack_status'] == 'COMPLETE', kept['stack_status_reason']
        stack = other.create(joining([own]))
        assert stack['stack_status'] == 'COMPLETE', stack[
            'stack_status_reason'
        ]
        container = other.container(stack, 'c')['Id']
        updated = other.update(
            stack, joining([own, {'network': {'get_attr': ['peer', 'value']}}])
        )
        assert updated['stack_status'] == 'FAILED'
        assert (
            'resources.c.properties.networks: joining network %s, which is '
            "not one of this project's networks, is not allowed" % network
        ) in updated['stack_status_reason']
        joined = api.inspect_container(container)['NetworkSettings']
        assert network not in joined['Networks']
    finally:
        other.cleanup()
        demo.cleanup()


def test_another_projects_network_and_volume_names_are_refused(
    stacks, api, confined
):
    demo = stacks.as_project('demo')
    suffix = id(demo)
    network, volume = 'tenancy-net-%s' % suffix, 'tenancy-keep-%s' % suffix
    kept = demo.create(
        _template(
            {
                'net': {
                    'type': 'DockerInc::Docker::Network',
                    'properties': {'name': network},
                },
                'vol': {
                    'type': 'DockerInc::Docker::Volume',
                    'deletion_policy': 'Retain',
                    'properties': {'name': volume},
                },
            }
        )
    )
    other = stacks.as_project('other')
    try:
        assert kept['stack_status'] == 'COMPLETE', kept['stack_status_reason']
        # Joining it would reach demo's containers on it.
        for prop, value in (
            ('networks', [{'network': network}]),
            ('network_mode', network),
        ):
            error = other.validation_error(
                container_template({'cmd': SLEEP, prop: value})
            )
            assert (
                'resources.c.properties.%s: joining network %s, which is not '
                "one of this project's networks, is not allowed"
                % (prop, network)
            ) in error
            assert OPTION in error
        # Taking its name, the stack would hold demo's volume, and remove
        # it with its data at its delete: refused at validate, and at
        # create where the name is known only then.
        refusal = (
            'resources.v.properties.name: a volume named %s, which exists '
            "and is not one of this project's, is not allowed" % volume
        )

        def volume_named(name, **resources):
            return _template(
                {
                    'v': {
                        'type': 'DockerInc::Docker::Volume',
                        'properties': {'name': name},
                    },
                    **resources,
                }
            )

        assert refusal in other.validation_error(volume_named(volume))
        value = {'type': 'OS::Heat::Value', 'properties': {'value': volume}}
        late = volume_named({'get_attr': ['late', 'value']}, late=value)
        assert other.validation_error(late) is None
        taken = other.create(late)
        assert taken['stack_status'] == 'FAILED'
        assert refusal in taken['stack_status_reason']
        assert other.delete(taken) == 'DELETE_COMPLETE'
        assert api.inspect_volume(volume)['Labels'][PROJECT_LABEL] == 'demo'
    finally:
        demo.cleanup()
        other.cleanup()
        api.remove_volume(volume)


def _refused_to_move(stack, resource, tag):
    assert stack['stack_status'] == 'FAILED'
    assert (
        'resources.%s.properties.tags: tagging %s, which names an image '
        "that is not one of this project's, is not allowed" % (resource, tag)
    ) in stack['stack_status_reason']


def test_an_image_resource_moves_no_tag_it_does_not_own(stacks, api, confined):
    base = api.inspect_image(IMAGE)['Id']
    other = stacks.as_project('other')
    stack = other.create(
        _template(
            {
                'img': {
                    'type': 'DockerInc::Docker::Image',
                    'properties': {
                        'reference': 'localhost/other/pb:%s' % id(other),
                        'tags': [IMAGE],
                        'build': {'dockerfile': 'FROM %s\n' % IMAGE},
                    },
                }
            }
        )
    )
    try:
        _refused_to_move(stack, 'img', IMAGE)
        # Every project's base image is as it was.
        assert api.inspect_image(IMAGE)['Id'] == base
    finally:
        other.cleanup()


def test_each_project_s_containers_are_on_a_network_of_their_own(
    stacks, api, confined
):
    """Docker's default bridge would put every project's containers on one
    network, where they reach each other: each project's go on its own."""
    demo, other = stacks.as_project('demo'), stacks.as_project('other')
    serving = {'cmd': ['httpd', '-f', '-p', '8000', '-h', '/etc']}
    asleep = {'type': 'DockerInc::Docker::Container'}
    asleep['properties'] = {'image': IMAGE, 'cmd': SLEEP}
    try:
        served = demo.create(
            container_template(serving, extra_resources={'peer': asleep})
        )
        assert served['stack_status'] == 'COMPLETE', served[
            'stack_status_reason'
        ]
        on_bridge = {'type': 'DockerInc::Docker::Container'}
        on_bridge['properties'] = {
            'image': IMAGE,
            'cmd': SLEEP,
            'networks': [{'network': 'bridge'}],
        }
        spying = other.create(
            container_template(
                {'cmd': SLEEP}, extra_resources={'b': on_bridge}
            )
        )
        assert spying['stack_status'] == 'COMPLETE', spying[
            'stack_status_reason'
        ]
        server = demo.container(served, 'c')['NetworkSettings']['Networks']
        assert list(server) == ['heat-project-demo']
        spy = other.container(spying, 'c')['NetworkSettings']['Networks']
        assert list(spy) == ['heat-project-other']
        # Named, the default bridge is the project's network as well.
        named = other.container(spying, 'b')['NetworkSettings']['Networks']
        assert list(named) == ['heat-project-other']
        labels = api.inspect_network('heat-project-other')['Labels']
        assert labels[PROJECT_LABEL] == 'other'
        address = server['heat-project-demo']['IPAddress']
        # busybox-static's wget cannot run here; its nc can.
        request = (
            "printf 'GET /hostname HTTP/1.0\\r\\n\\r\\n' | nc -w 3 %s 8000"
        )

        def fetch(stack_api, stack, name):
            container = stack_api.container(stack, name)['Id']
            run = api.exec_create(container, ['sh', '-c', request % address])
            answer = api.exec_start(run).decode()
            return api.exec_inspect(run)['ExitCode'], answer

        code, answer = fetch(demo, served, 'peer')
        assert code == 0 and '200 OK' in answer, answer
        code, answer = fetch(other, spying, 'c')
        assert code != 0 and '200 OK' not in answer, answer
        # Nobody takes a project's network name first.
        error = other.validation_error(
            _template(
                {
                    'n': {
                        'type': 'DockerInc::Docker::Network',
                        'properties': {'name': 'heat-project-third'},
                    }
                }
            )
        )
        assert (
            'resources.n.properties.name: a name that begins with '
            'heat-project- is kept'
        ) in error
    finally:
        demo.cleanup()
        other.cleanup()
        for network in api.networks(
            names=['heat-project-demo', 'heat-project-other']
        ):
            api.remove_network(network['Id'])


def _unlabelled_image(api):
    """An image with no project's label, as a pull would bring."""
    made = api.create_container(IMAGE, ['true'])
    image = api.commit(made['Id'])['Id']
    api.remove_container(made['Id'])
    return image


def _image(properties):
    return _template(
        {'i': {'type': 'DockerInc::Docker::Image', 'properties': properties}}
    )


def test_an_image_resource_takes_no_name_for_an_image_not_its_own(
    stacks, api, confined
):
    base = api.inspect_image(IMAGE)['Id']
    unlabelled = _unlabelled_image(api)
    other = stacks.as_project('other')
    squat = 'localhost/squat/nginx:%d' % id(other)
    try:
        # A name nobody holds yet, on an image another project could run.
        stack = other.create(
            _image({'reference': unlabelled[7:19], 'tags': [squat]})
        )
        assert stack['stack_status'] == 'FAILED'
        assert (
            'resources.i.properties.tags: tagging %s on an image that is not '
            "one of this project's" % squat
        ) in stack['stack_status_reason']
        assert api.images(name=squat.rsplit(':', 1)[0]) == []
        # The image a replaced resource only named is not its own to move
        # tags from: the operator's base image keeps its name.
        stack = other.create(_image({'reference': IMAGE}))
        assert stack['stack_status'] == 'COMPLETE', stack[
            'stack_status_reason'
        ]
        built = {
            'reference': 'localhost/other/hijack:%d' % id(other),
            'tags': [IMAGE],
            'build': {'dockerfile': 'FROM %s\nRUN true\n' % IMAGE},
        }
        _refused_to_move(other.update(stack, _image(built)), 'i', IMAGE)
        assert api.inspect_image(IMAGE)['Id'] == base
    finally:
        other.cleanup()
        api.remove_image(unlabelled, force=True)


def test_builds_of_two_projects_share_no_cached_step(stacks, api, confined):
    dockerfile = (
        'FROM %s\nRUN cat /proc/sys/kernel/random/uuid > /made\n'
        'CMD ["cat", "/made"]\n' % IMAGE
    )
    made = {}
    projects = [stacks.as_project('demo'), stacks.as_project('other')]
    try:
        for project in projects:
            stack = project.create(
                _image({'build': {'dockerfile': dockerfile}})
            )
            assert stack['stack_status'] == 'COMPLETE', stack[
                'stack_status_reason'
            ]
            image = project.resource(stack, 'i')['physical_resource_id']
            run = api.create_container(image)
            api.start(run)
            api.wait(run)
            made[project] = api.logs(run).decode().strip()
            api.remove_container(run)
        assert made[projects[0]] != made[projects[1]], made
    finally:
        for project in projects:
            project.cleanup()


def test_a_refused_tag_is_not_taken_by_a_rollback(stacks, api, confined):
    base = api.inspect_image(IMAGE)['Id']
    other = stacks.as_project('other')
    template = _image(
        {
            'build': {
                'dockerfile': {
                    'str_replace': {
                        'template': 'FROM %s\nRUN STEP\n' % IMAGE,
                        'params': {'STEP': {'get_param': 'step'}},
                    }
                }
            },
            'tags': [IMAGE],
        }
    )
    template['parameters'] = {'step': {'type': 'string', 'default': 'true'}}
    try:
        stack = other.create(template)
        _refused_to_move(stack, 'i', IMAGE)
        # A failed build, then the rollback to the refused resource: it is
        # refused again, and takes no tag back.
        # The update's failure is seen before its rollback begins: wait for
        # that to end.
        updated = other.rolled_back(
            other.update(
                stack, template, {'step': 'false'}, disable_rollback=False
            )
        )
        _refused_to_move(updated, 'i', IMAGE)
        assert api.inspect_image(IMAGE)['Id'] == base
        assert other.delete(updated) == 'DELETE_COMPLETE'
        assert api.inspect_image(IMAGE)['Id'] == base
    finally:
        other.cleanup()


def test_a_project_s_networks_are_limited(stacks, api, confined):
    from oslo_config import cfg

    other = stacks.as_project('other')

    def held():
        return [
            n
            for n in api.networks()
            if (n.get('Labels') or {}).get(PROJECT_LABEL) == 'other'
        ]

    before = len(held())
    cfg.CONF.set_override('max_project_networks', before + 2, config.GROUP)
    network = {'type': 'DockerInc::Docker::Network'}
    try:
        stack = other.create(
            _template(
                {
                    'n1': network,
                    'n2': {**network, 'depends_on': 'n1'},
                    'n3': {**network, 'depends_on': 'n2'},
                }
            ),
            args={'disable_rollback': True},
        )
        assert stack['stack_status'] == 'FAILED'
        assert ('The project has %d networks on' % (before + 2)) in stack[
            'stack_status_reason'
        ]
        assert 'max_project_networks' in stack['stack_status_reason']
        assert len(held()) == before + 2
    finally:
        other.cleanup()
        cfg.CONF.clear_override('max_project_networks', config.GROUP)
