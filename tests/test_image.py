"""DockerInc::Docker::Image on a real engine: built, tagged, run by a
container through get_resource, pushed and pulled by digest, refused by
the policy, replaced with its containers."""

import pathlib
import tarfile
import uuid

from conftest import IMAGE
from conftest import REGISTRY_PASSWORD
from conftest import REGISTRY_USER
from conftest import push_marked
import docker
import pytest
from test_policy import one_endpoint_only  # noqa: F401 (fixture)

from heat_docker import config
from heat_docker import dockerfile
from heat_docker import image_spec

SLEEPER = {'cmd': ['sh', '-c', 'exec sleep 1000'], 'init': True}
DOCKERFILE = (
    'FROM %s\n'
    'ARG GREETING\n'
    'RUN echo "$GREETING" > /greeting\n'
    'COPY app/ /app/\n' % IMAGE
)


def _template(resources, outputs=None, parameters=None):
    template = {'heat_template_version': '2021-04-16', 'resources': resources}
    if outputs:
        template['outputs'] = {k: {'value': v} for k, v in outputs.items()}
    if parameters:
        template['parameters'] = parameters
    return template


def _image(properties):
    return {'type': 'DockerInc::Docker::Image', 'properties': properties}


def _runner(image, **properties):
    return {
        'type': 'DockerInc::Docker::Container',
        'properties': {'image': image, **SLEEPER, **properties},
    }


def _read(api, container, path):
    run = api.exec_create(container, ['cat', path])
    return api.exec_start(run).decode().strip()


def _app(repository, dockerfile=DOCKERFILE):
    return _template(
        {
            'img': _image(
                {
                    'reference': repository + ':1',
                    'tags': [repository + ':stable'],
                    'build': {
                        'dockerfile': dockerfile,
                        'files': {'app/file.txt': 'from the template\n'},
                        'args': {'GREETING': 'hello'},
                        'labels': {'tier': 'app'},
                    },
                }
            ),
            # An image id is never pulled, whatever the policy says.
            'c': _runner({'get_resource': 'img'}, image_pull_policy='always'),
        },
        outputs={
            'id': {'get_attr': ['img', 'id']},
            'ref': {'get_resource': 'img'},
            'tags': {'get_attr': ['img', 'tags']},
            'size': {'get_attr': ['img', 'size']},
            'created': {'get_attr': ['img', 'created']},
            'repo_digest': {'get_attr': ['img', 'repo_digest']},
        },
    )


def _repository():
    return 'localhost/heat-docker-test/app-%s' % uuid.uuid4().hex[:8]


def test_a_built_image_runs_in_a_container_and_goes_with_its_stack(
    stacks, api
):
    repository = _repository()
    stack = stacks.create(_app(repository))
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    outputs = stacks.outputs(stack)
    image_id = outputs['id']
    assert image_id.startswith('sha256:')
    assert outputs['ref'] == image_id
    assert sorted(outputs['tags']) == [
        repository + ':1',
        repository + ':stable',
    ]
    assert outputs['size'] > 0
    assert outputs['created']
    assert outputs['repo_digest'] is None  # built here, never pushed

    info = api.inspect_image(repository + ':1')
    assert info['Id'] == image_id
    labels = info['Config']['Labels']
    assert labels['tier'] == 'app'
    assert (
        labels['org.openstack.heat.stack-id']
        == (stack['stack_identity']['stack_id'])
    )
    assert labels['org.openstack.heat.resource-name'] == 'img'
    container = stacks.container(stack, 'c')
    assert container['Image'] == image_id
    assert container['Config']['Image'] == image_id
    assert _read(api, container['Id'], '/greeting') == 'hello'
    assert _read(api, container['Id'], '/app/file.txt') == (
        'from the template'
    )

    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert api.images(name=repository) == []
    with pytest.raises(docker.errors.ImageNotFound):
        api.inspect_image(image_id)
    assert stacks.owned_containers(stack) == []


def test_a_failing_build_names_its_step_and_leaves_nothing(stacks, api):
    containers = api.containers(all=True)
    images = api.images(all=True)
    repository = _repository()
    dockerfile = (
        'FROM %s\n'
        'RUN echo layer > /layer\n'
        'RUN echo first words; echo last words >&2; exit 3\n'
        'RUN echo never\n' % IMAGE
    )
    stack = stacks.create(
        _template(
            {
                'img': _image(
                    {
                        'reference': repository + ':1',
                        'build': {'dockerfile': dockerfile},
                    }
                ),
                'c': _runner({'get_resource': 'img'}),
            }
        )
    )
    assert stack['stack_status'] == 'FAILED'
    reason = stack['stack_status_reason']
    assert 'Building image %s:1 on ' % repository in reason, reason
    step = (
        'failed at step 3 (RUN echo first words; echo last words >&2; '
        'exit 3): it exited with code 3; its last output:\n'
    )
    assert step in reason, reason
    # Its stdout and stderr, in whichever order the engine read them.
    tail = reason.split(step, 1)[1].splitlines()
    assert sorted(tail) == ['first words', 'last words'], reason
    for noise in ('http+docker', 'Server Error', 'layer', 'never'):
        assert noise not in reason, reason
    assert api.containers(all=True) == containers
    assert api.images(all=True) == images


def test_a_dockerfile_that_does_not_parse_is_told(stacks):
    stack = stacks.create(
        _template(
            {
                'img': _image(
                    {'build': {'dockerfile': 'FROM %s\nFOO\n' % IMAGE}}
                )
            }
        )
    )
    assert stack['stack_status'] == 'FAILED'
    reason = stack['stack_status_reason']
    assert 'Building image of resource img on ' in reason, reason
    assert 'unknown instruction: FOO' in reason
    assert 'http+docker' not in reason


def test_a_changed_dockerfile_replaces_the_image_and_its_container(
    stacks, api
):
    repository = _repository()
    stack = stacks.create(_app(repository))
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    before = stacks.outputs(stack)['id']
    container = stacks.container(stack, 'c')['Id']

    changed = DOCKERFILE + 'RUN echo v2 > /version\n'
    updated = stacks.update(stack, _app(repository, changed))
    assert updated['stack_status'] == 'COMPLETE', updated[
        'stack_status_reason'
    ]
    after = stacks.outputs(updated)['id']
    assert after != before
    replaced = stacks.container(stack, 'c')
    assert replaced['Id'] != container
    assert replaced['Image'] == after
    assert _read(api, replaced['Id'], '/version') == 'v2'
    # The tags went to the new image; the old one is gone.
    assert api.inspect_image(repository + ':1')['Id'] == after
    assert api.inspect_image(repository + ':stable')['Id'] == after
    with pytest.raises(docker.errors.ImageNotFound):
        api.inspect_image(before)
    with pytest.raises(docker.errors.NotFound):
        api.inspect_container(container)
    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert api.images(name=repository) == []


def test_a_failed_update_rolls_back_to_the_old_image_and_its_tags(stacks, api):
    repository = _repository()
    stack = stacks.create(_app(repository))
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    before = stacks.outputs(stack)['id']
    container = stacks.container(stack, 'c')['Id']

    broken = _app(repository, DOCKERFILE + 'RUN echo v2 > /version\n')
    broken['resources']['c']['properties']['cmd'] = ['sh', '-c', 'exit 1']
    updated = stacks.update(stack, broken, disable_rollback=False)
    rolled = stacks.rolled_back(updated)
    assert rolled['stack_status'] == 'COMPLETE', rolled['stack_status_reason']
    assert stacks.container(stack, 'c')['Id'] == container
    assert api.inspect_image(repository + ':1')['Id'] == before
    assert api.inspect_image(repository + ':stable')['Id'] == before
    assert [i['Id'] for i in api.images(name=repository)] == [before]


def test_an_image_a_container_outside_the_stack_runs_stays(stacks, api):
    repository = _repository()
    stack = stacks.create(
        _template(
            {
                'img': _image(
                    {
                        'reference': repository + ':1',
                        'tags': [repository + ':2'],
                        'build': {'dockerfile': 'FROM %s\n' % IMAGE},
                    }
                )
            }
        )
    )
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    image_id = stacks.resource(stack, 'img')['physical_resource_id']
    outsider = api.create_container(repository + ':1', ['sleep', '1000'])
    try:
        assert stacks.delete(stack) == 'DELETE_COMPLETE'
        # Its last name stays: Docker leaves no image in use nameless.
        assert api.inspect_image(image_id)['RepoTags'] == [repository + ':2']
    finally:
        api.remove_container(outsider['Id'], force=True)
        api.remove_image(image_id)


def test_a_build_from_a_host_context(stacks, api, tmp_path):
    (tmp_path / 'Dockerfile').write_text('FROM %s\nCOPY . /ctx/\n' % IMAGE)
    (tmp_path / 'kept.txt').write_text('kept\n')
    (tmp_path / 'secret.key').write_text('left out\n')
    (tmp_path / '.dockerignore').write_text('# comment\n*.key\n')
    stack = stacks.create(
        _template(
            {
                'img': _image(
                    {
                        'build': {
                            'context': str(tmp_path),
                            'files': {'extra.txt': 'added'},
                        }
                    }
                ),
                'c': _runner({'get_resource': 'img'}),
            }
        )
    )
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    container = stacks.container(stack, 'c')['Id']
    listing = _read(api, container, '/ctx/kept.txt')
    assert listing == 'kept'
    assert _read(api, container, '/ctx/extra.txt') == 'added'
    run = api.exec_create(container, ['ls', '/ctx'])
    assert 'secret.key' not in api.exec_start(run).decode()
    image_id = stacks.resource(stack, 'img')['physical_resource_id']
    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    with pytest.raises(docker.errors.ImageNotFound):
        api.inspect_image(image_id)


def _pushed(stacks, registry, repository, password):
    template = _template(
        {
            'img': _image(
                {
                    'reference': '%s/%s:1' % (registry, repository),
                    'build': {
                        'dockerfile': 'FROM %s\nRUN echo pushed > /marker\n'
                        % IMAGE
                    },
                    'push': True,
                    'registry_credentials': {
                        'username': REGISTRY_USER,
                        'password': {'get_param': 'registry_password'},
                    },
                }
            )
        },
        outputs={'repo_digest': {'get_attr': ['img', 'repo_digest']}},
        parameters={'registry_password': {'type': 'string', 'hidden': True}},
    )
    return stacks.create(template, {'registry_password': password})


def test_pushed_then_pulled_by_digest(stacks, heat, api, registry):
    repository = 'heat-docker/pushed-%s' % uuid.uuid4().hex[:8]
    stack = _pushed(stacks, registry, repository, REGISTRY_PASSWORD)
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    digest = stacks.outputs(stack)['repo_digest']
    assert digest.startswith('%s/%s@sha256:' % (registry, repository))
    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert api.images(name='%s/%s' % (registry, repository)) == []

    template = _template(
        {
            'img': _image(
                {
                    'reference': digest,
                    'registry_credentials': {
                        'username': REGISTRY_USER,
                        'password': {'get_param': 'registry_password'},
                    },
                }
            ),
            'c': _runner({'get_resource': 'img'}),
        },
        outputs={'repo_digest': {'get_attr': ['img', 'repo_digest']}},
        parameters={'registry_password': {'type': 'string', 'hidden': True}},
    )
    pulled = stacks.create(template, {'registry_password': REGISTRY_PASSWORD})
    assert pulled['stack_status'] == 'COMPLETE', pulled['stack_status_reason']
    assert stacks.outputs(pulled)['repo_digest'] == digest
    container = stacks.container(pulled, 'c')
    assert _read(api, container['Id'], '/marker') == 'pushed'
    # The password is kept as a digest: the same template changes nothing.
    again = stacks.update(
        pulled, template, {'registry_password': REGISTRY_PASSWORD}
    )
    assert again['stack_status'] == 'COMPLETE', again['stack_status_reason']
    assert stacks.container(pulled, 'c')['Id'] == container['Id']
    image_id = container['Image']
    assert stacks.delete(pulled) == 'DELETE_COMPLETE'
    with pytest.raises(docker.errors.ImageNotFound):
        api.inspect_image(image_id)

    state = pathlib.Path(heat.state_dir)
    kept = [(state / 'heat.log').read_text(errors='replace')] + [
        db.read_bytes().decode('latin-1') for db in state.glob('heat.sqlite*')
    ]
    assert not any(REGISTRY_PASSWORD in text for text in kept)


def test_a_moved_tag_replaces_the_image_and_its_container(
    stacks, api, registry
):
    repository = '%s/heat-docker/moving-%s' % (registry, uuid.uuid4().hex[:8])

    def template(**image):
        return _template(
            {
                'img': _image(
                    {
                        'reference': repository + ':1',
                        'registry_credentials': {
                            'username': REGISTRY_USER,
                            'password': {'get_param': 'registry_password'},
                        },
                        **image,
                    }
                ),
                'c': _runner({'get_resource': 'img'}),
            },
            parameters={
                'registry_password': {'type': 'string', 'hidden': True}
            },
        )

    params = {'registry_password': REGISTRY_PASSWORD}

    def marker(stack):
        container = stacks.container(stack, 'c')
        return container['Id'], _read(api, container['Id'], '/marker')

    # The "always" policy pulls again at every update.
    push_marked(api, repository + ':1', '/marker', 'a')
    always = template(image_pull_policy='always')
    stack = stacks.create(always, params)
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    first, mark = marker(stack)
    assert mark == 'a'
    same = stacks.update(stack, always, params)
    assert same['stack_status'] == 'COMPLETE', same['stack_status_reason']
    assert marker(stack) == (first, 'a')
    push_marked(api, repository + ':1', '/marker', 'b')
    moved = stacks.update(stack, always, params)
    assert moved['stack_status'] == 'COMPLETE', moved['stack_status_reason']
    second, mark = marker(stack)
    assert (second != first, mark) == (True, 'b')
    assert stacks.delete(stack) == 'DELETE_COMPLETE'

    # Otherwise converge asks the registry, and pulls only what moved.
    missing = template()
    stack = stacks.create(missing, params)
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    first, mark = marker(stack)
    assert mark == 'b'
    push_marked(api, repository + ':1', '/marker', 'c')
    plain = stacks.update(stack, missing, params, existing=True)
    assert plain['stack_status'] == 'COMPLETE', plain['stack_status_reason']
    assert marker(stack) == (first, 'b')
    converged = stacks.update(
        stack, missing, params, existing=True, converge=True
    )
    assert converged['stack_status'] == 'COMPLETE', converged[
        'stack_status_reason'
    ]
    second, mark = marker(stack)
    assert (second != first, mark) == (True, 'c')
    again = stacks.update(stack, missing, params, existing=True, converge=True)
    assert again['stack_status'] == 'COMPLETE', again['stack_status_reason']
    assert marker(stack) == (second, 'c')
    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert api.images(name=repository) == []


def test_a_push_with_a_wrong_password_fails_clearly(stacks, api, registry):
    repository = 'heat-docker/refused-%s' % uuid.uuid4().hex[:8]
    wrong = 'not-the-password-2718'
    stack = _pushed(stacks, registry, repository, wrong)
    assert stack['stack_status'] == 'FAILED'
    reason = stack['stack_status_reason']
    assert 'Pushing image %s/%s:1 from ' % (registry, repository) in reason
    assert 'unauthorized' in reason.lower() or 'auth' in reason.lower()
    assert wrong not in reason
    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert api.images(name='%s/%s' % (registry, repository)) == []


def test_a_pull_with_a_wrong_password_fails_clearly(stacks, registry):
    wrong = 'not-the-password-1414'
    reference = '%s/heat-docker/busybox:latest' % registry
    template = _template(
        {
            'img': _image(
                {
                    'reference': reference,
                    'registry_credentials': {
                        'username': REGISTRY_USER,
                        'password': {'get_param': 'registry_password'},
                    },
                }
            )
        },
        parameters={'registry_password': {'type': 'string', 'hidden': True}},
    )
    stack = stacks.create(template, {'registry_password': wrong})
    assert stack['stack_status'] == 'FAILED'
    reason = stack['stack_status_reason']
    assert 'Pulling image %s on ' % reference in reason, reason
    assert 'unauthorized' in reason.lower()
    for noise in ('http+docker', wrong):
        assert noise not in reason, reason


@pytest.mark.usefixtures('one_endpoint_only')
def test_policy_refuses_at_validate(stacks, api, tmp_path):
    from oslo_config import cfg

    def refusal(properties):
        return stacks.validation_error(_template({'img': _image(properties)}))

    before = api.images(all=True)
    dockerfile = 'FROM %s\n' % IMAGE
    context = {'build': {'context': str(tmp_path)}}
    message = refusal(context)
    assert (
        'resources.img.properties.build.context: a build context of %s is '
        'not allowed' % tmp_path in message
    ), message
    assert '[docker] allowed_build_context_roots' in message
    cfg.CONF.set_override(
        'allowed_build_context_roots', [str(tmp_path.parent)], config.GROUP
    )
    assert refusal(context) is None

    host = {'build': {'dockerfile': dockerfile, 'network_mode': 'host'}}
    message = refusal(host)
    assert 'resources.img.properties.build.network_mode' in message
    assert '[docker] allow_host_namespaces = true' in message

    push = {
        'reference': '127.0.0.1:5999/app:1',
        'tags': ['registry.example.com/app:1'],
        'build': {'dockerfile': dockerfile},
        'push': True,
    }
    message = refusal(push)
    assert (
        'resources.img.properties.push: a push to registry 127.0.0.1:5999 '
        'is not allowed' in message
    ), message
    assert '[docker] allowed_push_registries' in message
    cfg.CONF.set_override(
        'allowed_push_registries', ['127.0.0.1:*'], config.GROUP
    )
    message = refusal(push)
    assert 'a push to registry registry.example.com' in message
    cfg.CONF.set_override(
        'allowed_push_registries',
        ['127.0.0.1:*', '*.example.com'],
        config.GROUP,
    )
    assert refusal(push) is None
    assert api.images(all=True) == before


def test_values_the_engine_cannot_take_are_refused_at_validate(stacks):
    def refusal(properties):
        return stacks.validation_error(_template({'img': _image(properties)}))

    message = refusal({})
    assert 'resources.img.properties.reference' in message
    message = refusal({'build': {'files': {'a.txt': 'a'}}})
    assert 'resources.img.properties.build: give the dockerfile' in message
    message = refusal(
        {'build': {'dockerfile': 'FROM x', 'files': {'../up': 'x'}}}
    )
    assert 'resources.img.properties.build.files: ../up is not' in message
    message = refusal(
        {
            'reference': 'busybox:1',
            'build': {'dockerfile': 'FROM x'},
            'image_pull_policy': 'always',
        }
    )
    assert 'resources.img.properties.image_pull_policy' in message
    message = refusal({'build': {'context': '/nonexistent/ctx'}})
    assert (
        'resources.img.properties.build.context: no directory '
        '/nonexistent/ctx on the heat-engine host' in message
    ), message
    message = refusal({'build': {'dockerfile': 'FROM x'}, 'push': True})
    assert 'resources.img.properties.push: give a reference' in message


def test_what_a_dockerfile_fetches_with_its_variables_replaced():
    text = """# escape=`
ARG REGISTRY=docker.io
ARG TAG
FROM ${REGISTRY}/library/busybox:${TAG:-1.36} AS base
# A stage sees a global ARG only if it declares it again.
ARG REGISTRY
ENV SITE=http://example.org
ARG FILE=/a.tgz
ADD --chown=1:1 $SITE$FILE local.txt /opt/
ADD ["https://example.org/b c", "/b"]
ADD ${UNSET:-$SITE} /c
COPY --from=${REGISTRY}/tools:1 /t /t
RUN echo `
  ${REGISTRY}
FROM base
"""
    assert dockerfile.dockerfile_sources(
        text, {'REGISTRY': 'registry.example:5000'}
    ) == dockerfile.DockerfileSources(
        images=[
            'registry.example:5000/library/busybox:1.36',
            'registry.example:5000/tools:1',
        ],
        urls=['http://example.org/a.tgz', 'https://example.org/b c'],
        # A nested variable: Heat does not read it, and says so.
        unread=['${UNSET:-$SITE}'],
    )


def test_translation_without_heat():
    stream = [
        {'stream': 'Step 1/4 : FROM base'},
        {'stream': '\n'},
        {'stream': ' ---> 40228e3420eb\n'},
        {'stream': 'Step 2/4 : RUN echo a'},
        {'stream': '\n'},
        {'stream': ' ---> Using cache\n'},
        {'stream': ' ---> fc518d3c8d5e\n'},
        {'stream': 'Step 3/4 : COPY a /a\n'},
        {'stream': ' ---> 4294429dfa22\n'},
        {'stream': 'Step 4/4 : RUN make'},
        {'stream': '\n ---> Running in fba6894fd7d4\n'},
        {'stream': 'out1\n'},
        {'stream': '\x1b[91mout2\n\x1b[0m'},
        {'stream': 'Removing intermediate container fba6894fd7d4\n'},
        {
            'errorDetail': {
                'code': 2,
                'message': "The command '/bin/sh -c make' returned a "
                'non-zero code: 2',
            },
            'error': 'ignored',
        },
    ]
    log = image_spec.follow_build(stream)
    assert log.made == ['4294429dfa22']
    assert image_spec.build_failure(log) == (
        'failed at step 4 (RUN make): it exited with code 2; its last '
        'output:\nout1\nout2'
    )
    done = image_spec.follow_build(
        [{'aux': {'ID': 'sha256:abc'}}, {'stream': 'Successfully built a\n'}]
    )
    assert (done.image_id, done.error, list(done.output)) == (
        'sha256:abc',
        None,
        [],
    )

    context = image_spec.build_context(
        {'dockerfile': 'FROM x\n', 'files': {'Dockerfile': 'no', 'a/b': 'c'}}
    )
    with tarfile.open(fileobj=context) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}
    assert members == {'Dockerfile': b'FROM x\n', 'a/b': b'c'}

    arguments = image_spec.build_arguments(
        {'build': {'args': {'N': 1}, 'labels': {'k': 'forged'}}},
        {'k': 'heat'},
    )
    assert arguments['buildargs'] == {'N': '1'}
    assert arguments['labels'] == {'k': 'heat'}
    assert arguments['rm'] and arguments['forcerm']
    assert dockerfile.dockerfile_sources(
        'FROM a:1 AS b\nFROM b\nCOPY --from=c:2 / /\nCOPY --from=b / /\n'
        'COPY --from=0 / /\nFROM scratch\n'
    ) == dockerfile.DockerfileSources(images=['a:1', 'c:2'])
    assert image_spec.tags_wanted(
        {'reference': 'r@sha256:' + 'a' * 64, 'tags': ['x', 'x:latest']}
    ) == ['x:latest']
