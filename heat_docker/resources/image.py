"""DockerInc::Docker::Image: a Docker image, pulled or built, as a Heat
resource."""

import dataclasses
import json

from docker import errors as docker_errors
from heat.common.i18n import _
from heat.engine import support
from heat.objects import resource as resource_objects
from oslo_config import cfg
from oslo_log import log as logging

from heat_docker import config
from heat_docker import container_spec as cspec
from heat_docker import dockerfile
from heat_docker import image_policy
from heat_docker import image_spec as ispec
from heat_docker import tenancy
from heat_docker.resources import base
from heat_docker.resources import docker_resource

LOG = logging.getLogger(__name__)

# Resource data: {"tags": the tags this resource made, "made": whether it
# pulled or built the image}.
MADE_DATA = 'made'


@dataclasses.dataclass
class _Deleting(docker_resource.Deleting):
    tags: list = dataclasses.field(default_factory=list)
    made: bool = False


class DockerImage(docker_resource.DockerResource):
    """A Docker image: pulled from its registry, or built from a
    Dockerfile; tagged, and pushed if asked. ``get_resource`` gives its id,
    which a container's ``image`` takes. Every property change but the
    credentials replaces it (and so the containers that run it). Delete
    removes the tags it made, and the image it pulled or built once no
    container uses it."""

    support_status = support.SupportStatus(version=base.SINCE.version)

    SPEC = ispec

    def _policy_refusals(self, values, opts):
        return image_policy.image_refusals(values, opts)

    def _check_values(self, values):
        for prop, message in ispec.problems(values):
            raise self._invalid(prop, message)

    def _validate_values(self):
        # The policy first: a refused context is not looked at.
        self._validate_policy(ispec.POLICY_PROPERTIES)
        if not all(self._known_at_validation(p) for p in self.SPEC_PROPERTIES):
            return
        values = self.values()
        self._check_values(values)
        client = self._validation_client(values)
        if client is None:
            return
        if values['build']:
            for image in self._sources(values['build']).images:
                self._check_owner(client, image, 'build')
        elif self._pull_policy(values) != cspec.PULL_ALWAYS:
            # Present, it is what the stack gets; pulled anew, it may not be.
            self._check_owner(client, values['reference'], 'reference')

    def _failed(self, message, **args):
        return docker_resource.ResourceFailed(
            message % {'endpoint': self._endpoint(), **args}
        )

    # Create

    def handle_create(self):
        values = self.create_values()
        self._check_policy(values, self._endpoint())
        self._check_values(values)
        client = self._client()
        self._record_endpoint()
        wanted = ispec.tags_wanted(values)
        before = {tag: self._image_id(client, tag) for tag in wanted}
        if values['build']:
            image_id, made = self._build(client, values), True
        else:
            image_id, made = self._pull(client, values)
        tags = [tag for tag in wanted if before[tag] != image_id]
        # Recorded first: whatever fails next, delete cleans up. A pull has
        # moved its reference's tag; the others move once allowed, and
        # only then are they this resource's (to restore, or remove).
        pulled = (
            [] if values['build'] else [ispec.full_tag(values['reference'])]
        )
        self._record_made([t for t in tags if t in pulled], made)
        self.resource_id_set(image_id)
        self._check_tags_held(
            client, values, image_id, {t: before[t] for t in tags}
        )
        self._record_made(tags, made)
        for tag in tags:
            client.tag(image_id, *ispec.split_tag(tag), force=True)
        if values['push']:
            for tag in wanted:
                self._push(client, values, tag)

    def _image_id(self, client, reference):
        with self.client_plugin().ignore_not_found:
            return client.inspect_image(reference)['Id']
        return None

    def _check_owner(self, client, image, prop):
        """Refuse an image another project's stack made (its files are
        theirs), unless the operator allows cross-project references."""
        if cfg.CONF[config.GROUP].allow_cross_project_references:
            return
        with self.client_plugin().ignore_not_found:
            labels = client.inspect_image(image)['Config'].get('Labels')
            project = (labels or {}).get(cspec.PROJECT_LABEL)
            if project is not None and project != self.stack.tenant_id:
                raise self._invalid(prop, tenancy.foreign_image_refusal(image))

    def _check_tags_held(self, client, values, image_id, moved):
        """Refuse to move a tag (``moved``: tag -> the image that holds it,
        or None) from an image that is not this project's: another
        project's, or one every project uses (the operator's base images);
        and to tag an image that is not this project's (one pulled, or
        named): another project asking for that name would run it. The
        tags the replaced resource made are its own; a pull moves its
        reference's tag itself, as it does for a container's image."""
        if not self._confined():
            return
        replaced, replaced_tags = self._replaced_tags()
        reference = values['reference']
        pulled = None if values['build'] else ispec.full_tag(reference)
        ours = None
        for tag, held_by in moved.items():
            if tag == pulled:
                continue
            prop = 'tags'
            if reference and tag == ispec.full_tag(reference):
                prop = 'reference'
            if ours is None:
                info = client.inspect_image(image_id)
                ours = self._ours(info['Config'].get('Labels'))
            if not ours:
                raise self._invalid(
                    prop, tenancy.unowned_image_tag_refusal(tag)
                )
            if held_by is None or (
                held_by == replaced and tag in replaced_tags
            ):
                continue
            labels = client.inspect_image(held_by)['Config'].get('Labels')
            if not self._ours(labels):
                raise self._invalid(prop, tenancy.foreign_tag_refusal(tag))

    def _replaced_tags(self):
        """The image this resource replaces, and the tags it made."""
        if self.replaces is None:
            return None, ()
        previous = resource_objects.Resource.get_obj(
            self.context, self.replaces
        )
        data = {item.key: item.value for item in previous.data}
        made = json.loads(data.get(MADE_DATA) or '{}')
        return previous.physical_resource_id, made.get('tags', ())

    def _auth(self, values, reference):
        registry = ispec.registry(reference)
        return ispec.credentials(values, registry) or config.registry_auth(
            registry
        )

    def _pull_policy(self, values):
        return (
            values['image_pull_policy']
            or cfg.CONF[config.GROUP].default_pull_policy
        )

    @staticmethod
    def _sources(build):
        return dockerfile.dockerfile_sources(
            ispec.dockerfile_text(build), build['args']
        )

    def _pull(self, client, values):
        """The id of the reference, pulled as the pull policy says, and
        whether this resource pulled it."""
        reference = values['reference']
        pull = self._pull_policy(values)
        present = None
        if pull != cspec.PULL_ALWAYS:
            present = self._image_id(client, reference)
        if present is None and pull == cspec.PULL_NEVER:
            message = _(
                '%(i)s is not on %(endpoint)s; image_pull_policy: never'
            )
            raise self._failed(message, i=reference)
        if present is None:
            self._pull_image(
                client,
                values,
                reference,
                'reference',
                self._auth(values, reference),
            )
        self._check_owner(client, reference, 'reference')
        return self._image_id(client, reference), present is None

    def _pull_image(self, client, values, image, prop, auth):
        """Pull ``image``, which ``prop`` asks for, if the policy allows."""
        self._check_pull(image, prop)
        LOG.info('Pulling image %s', image)
        self._stream(
            _('Pulling image %(image)s on %(endpoint)s failed: %(error)s'),
            image,
            lambda: client.pull(
                image,
                auth_config=auth,
                platform=values['platform'] or None,
                stream=True,
                decode=True,
            ),
        )

    def _stream(self, message, image, start):
        """Follow the progress stream of a pull or push ``start()`` makes
        to its end: the engine's refusal, or an error in it, fails the
        resource."""
        opts = cfg.CONF[config.GROUP]
        try:
            for item in start():
                if item.get('error'):
                    raise self._failed(
                        message,
                        image=image,
                        error=image_policy.fetch_error(item['error'], opts),
                    )
        except docker_errors.APIError as exc:
            raise self._failed(
                message,
                image=image,
                error=image_policy.fetch_error(exc.explanation or exc, opts),
            ) from exc

    def _base_ready(self, client, values, image, triggers=True):
        """Make ``image``, which the build builds on, ready: one this
        project may use, pulled here (not by the builder, so the pull meets
        the rules) if missing or ``build.pull`` asks, and its ONBUILD
        triggers, which the builder runs, checked as the Dockerfile is."""
        build = values['build']
        self._check_owner(client, image, 'build')
        if build['pull'] or self._image_id(client, image) is None:
            auth = config.registry_auth(ispec.registry(image))
            self._pull_image(client, values, image, 'build', auth)
            self._check_owner(client, image, 'build')
        base_config = client.inspect_image(image)['Config']
        if not triggers or not base_config.get('OnBuild'):
            return
        sources = dockerfile.dockerfile_sources(
            '\n'.join(base_config['OnBuild']),
            build['args'],
            env=dockerfile.environment(base_config.get('Env')),
        )
        for message in image_policy.dockerfile_refusals(
            sources, cfg.CONF[config.GROUP]
        ):
            raise self._invalid(
                'build',
                _('the ONBUILD triggers of %(image)s: %(refusal)s')
                % {'image': image, 'refusal': message},
            )
        for other in sources.images:
            self._base_ready(client, values, other, triggers=False)

    def _build(self, client, values):
        build = values['build']
        for image in self._sources(build).images:
            self._base_ready(client, values, image)
        what = values['reference'] or _('of resource %s') % self.name
        context = ispec.build_context(build)
        labels = {**(build['labels'] or {}), **self._labels()}
        # The engine's build cache is every project's: a step cached by one
        # would hand its files to another, or its poisoned ones.
        arguments = ispec.build_arguments(
            values, labels, context, nocache=self._confined()
        )
        try:
            log = ispec.follow_build(client.build(**arguments))
        except docker_errors.APIError as exc:
            # Refused before any step: a Dockerfile that does not parse.
            raise self._failed(
                _('Building image %(image)s on %(endpoint)s failed: %(e)s'),
                image=what,
                e=exc.explanation or exc,
            ) from exc
        finally:
            context.close()
        if log.error or not log.image_id:
            # The failing step's container is gone (forcerm); its layers
            # go too.
            for layer in reversed(log.made):
                with self.client_plugin().ignore_conflict_and_not_found:
                    client.remove_image(layer, noprune=True)
            raise self._failed(
                _('Building image %(image)s on %(endpoint)s %(failure)s'),
                image=what,
                failure=ispec.build_failure(log),
            )
        return log.image_id

    def _push(self, client, values, tag):
        LOG.info('Pushing image %s', tag)
        self._stream(
            _('Pushing image %(image)s from %(endpoint)s failed: %(error)s'),
            tag,
            lambda: client.push(
                *ispec.split_tag(tag),
                auth_config=self._auth(values, tag),
                stream=True,
                decode=True,
            ),
        )

    # Update: only the credentials change in place, and need nothing done.

    def needs_replace(self, after_props):
        """Whether the pulled reference now names another image in its
        registry, asked at every update under the "always" policy, and by
        converge."""
        values = self.create_values()
        reference = values['reference']
        pull = self._pull_policy(values)
        if (
            self.resource_id is None
            or values['build']
            or self.values(after_props)['reference'] != reference
            or not (self.converge or pull == cspec.PULL_ALWAYS)
        ):
            return False
        refusal = self._pull_refusal(reference)
        if refusal:
            LOG.warning('Not asking whether %s moved: %s', reference, refusal)
            return False
        client = self._client()
        try:
            descriptor = client.inspect_distribution(
                reference, auth_config=self._auth(values, reference)
            )
        except docker_errors.APIError as exc:
            LOG.warning(
                'Not knowing whether %s moved: its registry says %s',
                reference,
                exc.explanation or exc,
            )
            return False
        digest = '@' + descriptor['Descriptor']['digest']
        pulled = client.inspect_image(self.resource_id).get('RepoDigests')
        return not any(d.endswith(digest) for d in pulled or ())

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        return None

    # Delete

    def _record_made(self, tags, made):
        self.data_set(MADE_DATA, json.dumps({'tags': tags, 'made': made}))

    def _made(self):
        return json.loads(self.data().get(MADE_DATA) or '{}')

    def handle_delete(self):
        if self.resource_id is None:
            return None
        made = self._made()
        return _Deleting(tags=made.get('tags', []), made=made.get('made'))

    def check_delete_complete(self, progress):
        if progress is None:
            return True
        return self._removed_when_unused(
            progress,
            'image',
            self._users,
            lambda client: self._remove(client, progress),
        )

    def _users(self, client):
        """When the stack goes, its containers that run the image: they
        are being deleted too. Otherwise (a replaced image) none: an
        image in use stays."""
        client.inspect_image(self.resource_id)  # gone: nothing to wait for
        if self.stack.action != self.stack.DELETE:
            return {}
        label = '%s=%s' % (cspec.STACK_ID_LABEL, self.stack.id)
        return ispec.users(
            client.containers(all=True, filters={'label': label}),
            self.resource_id,
            self.uuid,
        )

    def _remove(self, client, progress):
        """Remove the tags this resource made that still name its image
        (a replacement may have taken them), then the image if it made
        it, and nothing else names it or runs on it."""
        plugin = self.client_plugin()
        for tag in progress.tags:
            # A conflict: the last name of an image a container runs on.
            with plugin.ignore_conflict_and_not_found:
                if client.inspect_image(tag)['Id'] == self.resource_id:
                    client.remove_image(tag)
        if not progress.made:
            return
        with plugin.ignore_conflict_and_not_found:
            if client.inspect_image(self.resource_id).get('RepoTags'):
                LOG.info('Keeping image %s: it has tags', self.resource_id)
                return
            client.remove_image(self.resource_id)

    # Rollback, check, attributes

    def restore_prev_rsrc(self, convergence=False):
        """On rollback, this (the previous) image takes its tags back."""
        if self.resource_id is None:
            return
        client = self._client()
        for tag in self._made().get('tags', []):
            holder = self._image_id(client, tag)
            if holder not in (None, self.resource_id) and self._confined():
                labels = client.inspect_image(holder)['Config'].get('Labels')
                if not self._ours(labels):
                    LOG.warning('Not taking %s back from %s', tag, holder)
                    continue
            with self.client_plugin().ignore_not_found:
                client.tag(self.resource_id, *ispec.split_tag(tag), force=True)

    def _show_resource(self):
        return self._client().inspect_image(self.resource_id)

    handle_check = _show_resource  # fails if the image is gone

    def parse_live_resource_data(self, resource_properties, resource_data):
        # Nothing of the properties can be read back from an image: it is
        # there (its id unchanged), or gone and made again.
        return {}

    def _resolve_attribute(self, name):
        if not self.resource_id:
            return None
        with self.client_plugin().ignore_not_found:
            return ispec.attribute(name, self._show_resource(), self.values())
        return None

    def get_reference_id(self):
        return self.resource_id


def resource_mapping():
    return {'DockerInc::Docker::Image': DockerImage}
