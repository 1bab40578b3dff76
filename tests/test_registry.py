"""Pulling from a private registry on 127.0.0.1, with credentials."""

from conftest import IMAGE
from conftest import REGISTRY_MARKER
from conftest import REGISTRY_PASSWORD
from conftest import REGISTRY_USER
from conftest import SLEEP
from conftest import container_template
import pytest


@pytest.fixture
def image(registry, api):
    reference = '%s/heat-docker/busybox:latest' % registry
    yield reference
    if api.images(name=reference):
        api.remove_image(reference, force=True)  # the tag only


def marker_of(api, container):
    """What the registry's image put in /registry-marker."""
    run = api.exec_create(container, ['cat', '/registry-marker'])
    return api.exec_start(run).decode().strip()


def pulling(stacks, properties, password):
    """Create a container whose image comes from the registry, the password
    given as a hidden parameter (as it should be: a template's own text is
    stored as it is)."""
    template = container_template(
        {
            **properties,
            'registry_credentials': {
                'username': REGISTRY_USER,
                'password': {'get_param': 'registry_password'},
            },
        }
    )
    template['parameters'] = {
        'registry_password': {'type': 'string', 'hidden': True}
    }
    return stacks.create(template, {'registry_password': password})


def test_missing_image_is_pulled_with_credentials(stacks, api, image):
    assert api.images(name=image) == []
    stack = pulling(
        stacks, {'image': image, 'cmd': SLEEP, 'init': True}, REGISTRY_PASSWORD
    )
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    container = stacks.container(stack, 'c')
    assert container['Config']['Image'] == image
    assert marker_of(api, container['Id']) == REGISTRY_MARKER
    [digest] = api.inspect_image(image)['RepoDigests']
    assert digest.startswith(image.rsplit(':', 1)[0] + '@sha256:')


def test_wrong_password_fails_clearly_and_keeps_it_secret(stacks, image):
    wrong = 'not-the-password-1234'
    stack = pulling(stacks, {'image': image, 'cmd': SLEEP}, wrong)
    assert stack['stack_status'] == 'FAILED'
    reason = stack['stack_status_reason']
    assert image.split('/')[0] in reason
    assert 'unauthorized' in reason.lower()
    assert wrong not in reason
    assert stacks.owned_containers(stack) == []


def test_pull_policy_always_pulls_a_present_image(stacks, api, image):
    # The reference names a local image with other content first.
    api.tag(IMAGE, image)
    local_id = api.inspect_image(image)['Id']
    stack = pulling(
        stacks,
        {
            'image': image,
            'cmd': SLEEP,
            'init': True,
            'image_pull_policy': 'always',
        },
        REGISTRY_PASSWORD,
    )
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    pulled = api.inspect_image(image)['Id']
    assert pulled != local_id
    container = stacks.container(stack, 'c')
    assert container['Image'] == pulled
    assert marker_of(api, container['Id']) == REGISTRY_MARKER


def test_a_build_pulls_its_missing_base_with_heat_conf_s_credentials(
    stacks, api, image
):
    from oslo_config import cfg

    from heat_docker import config

    # Heat pulls the base itself, before the build, so that the pull meets
    # the policy and the base's ONBUILD triggers are read first.
    cfg.CONF.set_override(
        'registry_credentials',
        ['%s=%s:%s' % (image.split('/')[0], REGISTRY_USER, REGISTRY_PASSWORD)],
        group=config.GROUP,
    )
    try:
        assert api.images(name=image) == []
        stack = stacks.create(
            {
                'heat_template_version': '2021-04-16',
                'resources': {
                    'i': {
                        'type': 'DockerInc::Docker::Image',
                        'properties': {
                            'build': {
                                'dockerfile': 'FROM %s\nRUN true\n' % image
                            }
                        },
                    }
                },
            }
        )
        assert stack['stack_status'] == 'COMPLETE', stack[
            'stack_status_reason'
        ]
        built = stacks.resource(stack, 'i')['physical_resource_id']
        made = api.create_container(built, ['cat', '/registry-marker'])
        api.start(made)
        api.wait(made)
        assert api.logs(made).decode().strip() == REGISTRY_MARKER
        api.remove_container(made)
        assert stacks.delete(stack) == 'DELETE_COMPLETE'
    finally:
        cfg.CONF.clear_override('registry_credentials', group=config.GROUP)
