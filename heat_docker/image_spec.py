"""DockerInc::Docker::Image: its properties, declared once, and the
translation to the Engine API: the build context (a tar), the arguments of
``POST /build``, the reading of its output stream (the failing step and
what it printed), and the attributes from ``GET /images/{id}/json``. No
Heat here: testable on its own."""

import collections
import dataclasses
import io
import os
import posixpath
import re
import tempfile

from docker import auth as docker_auth
from docker import utils as docker_utils

from heat_docker import container_spec as cspec
from heat_docker.spec import BOOLEAN
from heat_docker.spec import LIST
from heat_docker.spec import MAP
from heat_docker.spec import NO_CONTAINER_CHANGE
from heat_docker.spec import STRING
from heat_docker.spec import Allowed
from heat_docker.spec import Pattern
from heat_docker.spec import Prop

DOCKERFILE = 'Dockerfile'
# Output lines of the failing step told in its failure.
TAIL_LINES = 10
# A context directory is spooled to disk beyond this size.
SPOOL_BYTES = 16 * 2**20
BUILD_NETWORK_MODES = ('default', 'bridge', 'none', 'host')

BUILD = {
    'dockerfile': Prop(
        STRING,
        'The text of the Dockerfile. It replaces a Dockerfile of files or '
        'context.',
    ),
    'files': Prop(
        MAP,
        'Files of the build context: relative path -> text content.',
    ),
    'context': Prop(
        STRING,
        'A directory on the heat-engine host sent as the build context '
        '(its .dockerignore is honoured; files override its files). The '
        'operator allows directories with [docker] '
        'allowed_build_context_roots.',
        constraints=(Pattern(r'^/.*$', 'an absolute path'),),
    ),
    'args': Prop(MAP, 'Build arguments (ARG of the Dockerfile).'),
    'target': Prop(STRING, 'The stage of a multi-stage Dockerfile to build.'),
    'labels': Prop(MAP, "Labels of the image, beside Heat's own."),
    'no_cache': Prop(
        BOOLEAN,
        'Build every step anew, without the cache. Where projects are '
        "confined, every build does: the engine's cache is every "
        "project's.",
        default=False,
    ),
    'pull': Prop(
        BOOLEAN,
        'Pull the base images even when the engine has them.',
        default=False,
    ),
    'network_mode': Prop(
        STRING,
        'Network of the RUN steps: default (bridge), none, or host (the '
        'operator allows it with [docker] allow_host_namespaces).',
        constraints=(Allowed(BUILD_NETWORK_MODES),),
    ),
}

PROPERTIES = {
    'reference': Prop(
        STRING,
        'The image to pull, [registry[:port]/]name[:tag][@digest]; with '
        'build, the tag the built image gets (no digest).',
        constraints=(cspec.IMAGE_REFERENCE,),
    ),
    'build': Prop(
        MAP,
        'Build the image: from the dockerfile text, files, and a context '
        'directory.',
        schema=BUILD,
    ),
    'tags': Prop(
        LIST,
        'Further tags of the image, name[:tag].',
        schema=Prop(STRING, 'A tag.', constraints=(cspec.IMAGE_REFERENCE,)),
    ),
    'push': Prop(
        BOOLEAN,
        'Push the reference and each tag to its registry (the operator '
        'allows registries with [docker] allowed_push_registries). '
        'Deleting the resource leaves the pushed images in the registry.',
        default=False,
    ),
    'registry_credentials': Prop(
        MAP,
        'Credentials for the registry of the reference (or the one '
        'named), to pull and push; other registries get those of '
        "heat.conf. A build's base images use heat.conf's only.",
        schema=cspec.PROPERTIES['registry_credentials'].schema,
        update=NO_CONTAINER_CHANGE,
    ),
    'image_pull_policy': Prop(
        STRING,
        'When to pull the reference: "missing" pulls only if the engine '
        'does not have it, "always" pulls anew, "never" fails if it is '
        'not present. Default: [docker] default_pull_policy. Not for a '
        'build (see build.pull).',
        constraints=(Allowed(cspec.PULL_POLICIES),),
    ),
    'platform': Prop(
        STRING, 'Platform to pull or build for: os[/arch[/variant]].'
    ),
    'docker_endpoint': Prop(
        STRING,
        'Docker Engine endpoint of the image (unix://, tcp:// or ssh:// '
        'URL); the default endpoint when absent.',
        constraints=(cspec.ENDPOINT,),
    ),
}

# What the policy judges (heat_docker.image_policy.image_refusals).
POLICY_PROPERTIES = ('reference', 'build', 'tags', 'push')


def _repo_digest(info, values):
    digests = info.get('RepoDigests') or []
    for reference in [values.get('reference') or ''] + tags_wanted(values):
        repository = docker_utils.parse_repository_tag(reference)[0]
        for digest in digests:
            if digest.split('@')[0] in (repository, _familiar(repository)):
                return digest
    return digests[0] if digests else None


# Attributes: name -> (description, how it reads GET /images/{id}/json
# and the property values).
ATTRIBUTES = {
    'id': (
        'The id of the image, sha256:...; get_resource gives it too.',
        lambda info, values: info['Id'],
    ),
    'repo_digest': (
        'The image in its registry, repository@sha256:..., once pulled or '
        'pushed; null for an image only built here.',
        _repo_digest,
    ),
    'tags': (
        'The tags of the image on its engine.',
        lambda info, values: info.get('RepoTags') or [],
    ),
    'size': (
        'The size of the image in bytes.',
        lambda info, values: info.get('Size'),
    ),
    'created': (
        'When the image was made (RFC 3339).',
        lambda info, values: info.get('Created'),
    ),
}


def attribute(name, info, values):
    return ATTRIBUTES[name][1](info, values)


def _familiar(repository):
    """``repository`` as Docker shows it: Docker Hub's prefixes off."""
    for prefix in ('docker.io/library/', 'docker.io/'):
        if repository.startswith(prefix):
            return repository[len(prefix) :]
    return repository


def full_tag(reference):
    """``name:tag`` of a tag reference, ``latest`` where it names none."""
    repository, tag = docker_utils.parse_repository_tag(reference)
    return '%s:%s' % (repository, tag or 'latest')


def split_tag(reference):
    return tuple(full_tag(reference).rsplit(':', 1))


def is_digest(reference):
    return '@' in reference


DOCKER_HUB = docker_auth.INDEX_NAME


def registry(reference):
    """The registry (host[:port]) of ``reference``; docker.io for Docker
    Hub."""
    return docker_auth.resolve_repository_name(reference)[0]


def tags_wanted(values):
    """The tags the image gets: its reference (unless a digest) and
    ``tags``, as name:tag."""
    wanted = []
    for reference in [values.get('reference')] + list(
        values.get('tags') or ()
    ):
        if reference and not is_digest(reference):
            tag = full_tag(reference)
            if tag not in wanted:
                wanted.append(tag)
    return wanted


def credentials(values, for_registry):
    """The template's credentials when they are for ``for_registry`` (the
    registry they name, else the reference's), else None."""
    given = values.get('registry_credentials') or {}
    auth = {
        k: given[k] for k in ('username', 'password', 'email') if given.get(k)
    }
    own = given.get('registry') or registry(
        values.get('reference') or (tags_wanted(values) or ['docker.io'])[0]
    )
    return auth if auth and own == for_registry else None


def users(containers, image_id, resource_uuid):
    """``{container id: name}`` of ``containers`` (as listed) that run
    ``image_id``, less those made outside Heat: they have the labels of
    the image, its resource's uuid among them."""
    return {
        c['Id']: (c.get('Names') or ['/' + c['Id'][:12]])[0].lstrip('/')
        for c in containers
        if c.get('ImageID') == image_id
        and (c.get('Labels') or {}).get(cspec.RESOURCE_UUID_LABEL)
        != resource_uuid
    }


def _outside_context(path):
    normal = posixpath.normpath(path)
    return normal.startswith(('/', '../')) or normal in ('.', '..')


def problems(values):
    """``[(property, message)]``: what the engine cannot be asked."""
    found = []
    build = values.get('build')
    reference = values.get('reference')
    if not build and not reference:
        found.append(('reference', 'give the image to pull, or a build'))
    if build:
        files = build.get('files') or {}
        if reference and is_digest(reference):
            found.append(
                (
                    'reference',
                    'a built image gets a tag, name[:tag], not a digest',
                )
            )
        if not (
            build.get('dockerfile')
            or DOCKERFILE in files
            or build.get('context')
        ):
            found.append(
                (
                    'build',
                    'give the dockerfile text, a Dockerfile in files, or '
                    'a context directory',
                )
            )
        context = build.get('context')
        if context and not os.path.isdir(context):
            found.append(
                (
                    'build.context',
                    'no directory %s on the heat-engine host' % context,
                )
            )
        for path, content in sorted(files.items()):
            if _outside_context(path):
                found.append(
                    (
                        'build.files',
                        '%s is not a relative path inside the context' % path,
                    )
                )
            elif not isinstance(content, str):
                found.append(
                    ('build.files', 'the content of %s is no text' % path)
                )
        if values.get('image_pull_policy'):
            found.append(
                (
                    'image_pull_policy',
                    'is for pulling the reference; for a build, build.pull '
                    'pulls its base images anew',
                )
            )
    for tag in values.get('tags') or ():
        if is_digest(tag):
            found.append(('tags', '%s: a tag has no digest' % tag))
    if values.get('push') and not tags_wanted(values):
        found.append(('push', 'give a reference or tags to push'))
    return found


def dockerfile_text(build):
    """The Dockerfile the build uses, or None if it cannot be read."""
    if build.get('dockerfile'):
        return build['dockerfile']
    files = build.get('files') or {}
    if DOCKERFILE in files:
        return files[DOCKERFILE]
    try:
        with open(os.path.join(build['context'], DOCKERFILE)) as f:
            return f.read()
    except (OSError, TypeError, UnicodeDecodeError):
        return None


def build_context(build):
    """The build context as a tar file object: the context directory's
    files (less what its .dockerignore excludes), then ``files``, then
    the dockerfile text as Dockerfile. In memory unless large."""
    extra = dict(build.get('files') or {})
    if build.get('dockerfile'):
        extra[DOCKERFILE] = build['dockerfile']
    root = build.get('context')
    included = []
    if root:
        patterns = []
        try:
            with open(os.path.join(root, '.dockerignore')) as f:
                patterns = [
                    line.strip()
                    for line in f
                    if line.strip() and not line.startswith('#')
                ]
        except FileNotFoundError:
            pass
        included = sorted(docker_utils.exclude_paths(root, patterns))
    return docker_utils.create_archive(
        root or '/',
        files=included,
        fileobj=tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        if root
        else io.BytesIO(),
        extra_files=sorted(extra.items()),
    )


def build_arguments(values, labels, context=None, nocache=False):
    """docker-py's ``build`` arguments for the tar ``context``, its
    output decoded: Heat's ``labels`` over the template's."""
    build = values['build']
    return {
        'fileobj': context,
        'custom_context': True,
        'decode': True,
        'rm': True,
        'forcerm': True,
        'nocache': nocache or bool(build.get('no_cache')),
        # Heat pulls the base images itself, before (see build.pull).
        'pull': False,
        'buildargs': {k: str(v) for k, v in (build.get('args') or {}).items()},
        'target': build.get('target') or None,
        'network_mode': build.get('network_mode') or None,
        'labels': {**(build.get('labels') or {}), **labels},
        'platform': values.get('platform') or None,
        # A build takes as long as its steps do.
        'timeout': None,
    }


_STEP = re.compile(r'^Step (\d+)/\d+ : (.*)$')
_LAYER = re.compile(r'^ ---> ([0-9a-f]{12,64})$')
_ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')
_BUILDER_NOTES = (
    ' ---> ',
    'Removing intermediate container ',
    'Successfully built ',
    'Successfully tagged ',
)
_EXIT_CODE = re.compile(r"^The command '.*' returned a non-zero code: (\d+)$")


@dataclasses.dataclass
class BuildLog:
    """What a build's output stream told."""

    image_id: str | None = None
    step: str | None = None  # "4 (RUN make)"
    output: collections.deque = dataclasses.field(
        default_factory=lambda: collections.deque(maxlen=TAIL_LINES)
    )
    # The layers (intermediate images) this build made, not its cache's.
    made: list = dataclasses.field(default_factory=list)
    error: str | None = None
    _instruction: str = ''
    _from_cache: bool = False

    def line(self, text):
        text = _ANSI.sub('', text).rstrip()
        step = _STEP.match(text)
        if step:
            instruction = step.group(2)
            if len(instruction) > 200:
                instruction = instruction[:200] + '...'
            self.step = '%s (%s)' % (step.group(1), instruction)
            self._instruction = instruction.split(' ', 1)[0].upper()
            self._from_cache = False
            self.output.clear()
            return
        layer = _LAYER.match(text)
        if text == ' ---> Using cache':
            self._from_cache = True
        elif layer:
            if self._instruction not in ('', 'FROM') and not self._from_cache:
                self.made.append(layer.group(1))
        elif text.strip() and not text.startswith(_BUILDER_NOTES):
            self.output.append(text)


def follow_build(stream):
    """Read a build's decoded output stream to its end: a BuildLog."""
    log = BuildLog()
    pending = ''
    for item in stream:
        if item.get('error') or item.get('errorDetail'):
            log.error = (item.get('errorDetail') or {}).get(
                'message'
            ) or item.get('error')
            break
        aux = item.get('aux')
        if isinstance(aux, dict) and aux.get('ID'):
            log.image_id = aux['ID']
        pending += item.get('stream') or ''
        *lines, pending = pending.split('\n')
        for text in lines:
            log.line(text)
    if pending:
        log.line(pending)
    return log


def build_failure(log):
    """Why the build failed, to follow "Building image X": where, how,
    and the last lines the failing step printed."""
    error = log.error or 'the engine reported no image'
    exit_code = _EXIT_CODE.match(error)
    if exit_code:
        error = 'it exited with code %s' % exit_code.group(1)
    where = ' at step %s' % log.step if log.step else ''
    message = 'failed%s: %s' % (where, error)
    if log.output:
        message += '; its last output:\n' + '\n'.join(log.output)
    return message
