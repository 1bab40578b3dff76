"""Bad input is refused by template validate, naming the property."""

from conftest import IMAGE
from conftest import container_template
import pytest

BAD_INPUT = [
    ('memory', 'lots', 'memory', 'must be a size'),
    ('memory_swap', '-2', 'memory_swap', 'must be a size'),
    ('cap_add', ['NOPE'], 'cap_add', 'NOPE'),
    ('restart_policy', {'Name': 'sometimes'}, 'restart_policy', 'sometimes'),
    ('port_specs', ['http'], 'port_specs', 'must be a port'),
    ('cpu_shares', 1, 'cpu_shares', '1 is out of range'),
    (
        'volumes',
        {'/srv': {'bind': 'relative'}},
        'volumes',
        "'relative' is not an absolute path",
    ),
    ('volumes', 'not-a-map', 'volumes', 'must be a map or a list'),
    ('volumes', ['/etc:/hostetc'], 'volumes', 'a list item names a container'),
    ('env', 'A=1', 'env', 'must be a list of "KEY=value" strings'),
    (
        'devices',
        [{'path_on_host': '/etc/passwd'}],
        'devices',
        'must be a path under /dev',
    ),
    (
        'api_host_config',
        {'Memroy': 1},
        'api_host_config',
        'unknown Engine API field(s) Memroy',
    ),
    (
        'api_host_config',
        {'AutoRemove': True},
        'api_host_config',
        'AutoRemove cannot be set',
    ),
    (
        'api_config',
        {'Hostnme': 'x'},
        'api_config',
        'unknown Engine API field(s) Hostnme',
    ),
    ('completion', 'done', 'completion', '"done" is not an allowed value'),
    (
        'image_pull_policy',
        'sometimes',
        'image_pull_policy',
        'not an allowed value',
    ),
    (
        'healthcheck',
        {'test': 'true', 'interval': 'soon'},
        'healthcheck',
        'must be a duration',
    ),
    (
        'healthcheck',
        {'test': 'true', 'start_interval': '1s'},
        'healthcheck',
        'needs Docker Engine API 1.44 or newer; the engine speaks 1.41',
    ),
    ('mounts', [{'type': 'bind', 'target': '/x'}], 'mounts', 'source'),
    (
        'docker_endpoint',
        'docker.example:2375',
        'docker_endpoint',
        'must be a unix://, tcp:// or ssh:// URL',
    ),
    ('name', 'bad name!', 'name', 'must be letters, digits'),
    ('ports', [{'container_port': 70000}], 'ports', 'out of range'),
    # The engine's own rules (heat_docker/validation.py).
    (
        'api_host_config',
        {'MemorySwappiness': 500},
        'api_host_config',
        'HostConfig.MemorySwappiness must be between 0 and 100',
    ),
    ('memory', '1m', 'memory', 'HostConfig.Memory must be 0 (no limit) or'),
    (
        'restart_policy',
        {'Name': 'always', 'MaximumRetryCount': 3},
        'restart_policy',
        'MaximumRetryCount works only with on-failure',
    ),
    (
        'ports',
        [{'container_port': 80, 'host_ip': 'localhost'}],
        'ports',
        "host address 'localhost', which is no IP address",
    ),
    ('stop_signal', 'SIGNOPE', 'stop_signal', 'must be a signal name'),
    ('sysctls', {'vm.swappiness': '1'}, 'sysctls', 'only namespaced'),
    (
        'log_config',
        {'driver': 'json-file', 'options': {'max-sise': '1m'}},
        'log_config',
        "option 'max-sise', which the json-file driver does not take",
    ),
    # Against what the engine's host has (its /info).
    ('cpus', 1000, 'cpus', 'asks for 1000 CPUs; the engine host has'),
    ('runtime', 'nope', 'runtime', "names runtime 'nope'; the engine has"),
    ('cap_add', ['PERFMON'], 'cap_add', 'PERFMON, which Docker 20.10'),
    (
        'log_config',
        {'driver': 'nope'},
        'log_config',
        "names log driver 'nope'",
    ),
]


@pytest.mark.parametrize(
    'prop, value, named, message',
    BAD_INPUT,
    ids=['%s-%d' % (case[0], i) for i, case in enumerate(BAD_INPUT)],
)
def test_bad_input_is_refused_at_validate(
    stacks, api, prop, value, named, message
):
    before = api.containers(all=True)
    text = stacks.validation_error(container_template({prop: value}))
    assert text is not None
    assert 'resources.c.properties.%s' % named in text, text
    assert message in text, text
    assert api.containers(all=True) == before


def test_missing_image_is_refused(stacks):
    template = container_template({})
    del template['resources']['c']['properties']['image']
    text = stacks.validation_error(template)
    assert 'Property image not assigned' in text, text


def test_refused_stack_create_makes_no_container(stacks, api):
    from heat.common import exception
    import oslo_messaging

    before = api.containers(all=True)
    with pytest.raises(oslo_messaging.ExpectedException) as refused:
        stacks.create(container_template({'memory': 'lots'}))
    assert isinstance(
        refused.value.exc_info[1], exception.StackValidationFailed
    )
    assert 'resources.c.properties.memory' in str(refused.value.exc_info[1])
    assert api.containers(all=True) == before


def test_a_good_template_validates_with_its_descriptions(stacks):
    assert (
        stacks.validation_error(
            container_template({'memory': '1g', 'image': IMAGE})
        )
        is None
    )


def test_image_reference_is_checked(stacks):
    text = stacks.validation_error(
        container_template({'image': 'Not An/Image'})
    )
    assert 'resources.c.properties.image' in text
    assert 'must be an image reference' in text


@pytest.mark.parametrize(
    'constraint, good, bad',
    [
        ('docker.image', 'registry.example.com:5000/app:1.2', 'UPPER/case'),
        ('docker.endpoint', 'tcp://10.0.0.5:2376', 'docker.example:2375'),
        ('docker.port', '53/udp', 'http'),
    ],
)
def test_custom_constraints_for_parameters(stacks, constraint, good, bad):
    import oslo_messaging

    template = {
        'heat_template_version': '2021-04-16',
        'parameters': {
            'value': {
                'type': 'string',
                'constraints': [{'custom_constraint': constraint}],
            }
        },
        'resources': {},
    }
    # Heat checks parameter values against custom constraints at create.
    assert stacks.create(template, {'value': good})['stack_status'] == (
        'COMPLETE'
    )
    with pytest.raises(oslo_messaging.ExpectedException) as refused:
        stacks.create(template, {'value': bad})
    assert 'must be' in str(refused.value.exc_info[1])


def test_every_property_and_attribute_is_documented(heat):
    from heat.engine import resources

    for type_name in ('DockerInc::Docker::Container', 'OS::Heat::Docker'):
        cls = resources.global_env().get_class(type_name)
        for section in (cls.properties_schema, cls.attributes_schema):
            for name, schema in section.items():
                if name == 'show':  # Heat's own, on every resource type
                    continue
                assert schema.description, (type_name, name)
                assert schema.support_status.status == 'SUPPORTED', name
                assert schema.support_status.version, name
