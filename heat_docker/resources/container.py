"""DockerInc::Docker::Container: a Docker container as a Heat resource."""

import re
import time
import uuid

from docker import errors as docker_errors
from docker.auth import resolve_repository_name
from heat.common import exception
from heat.common.i18n import _
from heat.engine import support
from oslo_config import cfg
from oslo_log import log as logging

from heat_docker import client as docker_client
from heat_docker import config
from heat_docker import container_spec as cspec
from heat_docker import container_state
from heat_docker import image_policy
from heat_docker import policy
from heat_docker import spec
from heat_docker import validation
from heat_docker.resources import base
from heat_docker.resources import confinement
from heat_docker.resources import docker_resource
from heat_docker.resources import replacement
from heat_docker.resources import snapshots
from heat_docker.resources import stopping
from heat_docker.resources.docker_resource import UNANSWERED
from heat_docker.resources.snapshots import ADOPTED_FROM_DATA
from heat_docker.resources.snapshots import SNAPSHOT_DATA
from heat_docker.resources.snapshots import SNAPSHOT_REPOSITORY

LOG = logging.getLogger(__name__)

LOG_TAIL_LINES = 10
# A start or removal the engine answers with a server error is asked again
# for this long (see _server_error_may_pass).
SERVER_ERROR_SECONDS = 3


class ContainerFailed(docker_resource.ResourceFailed):
    """The container cannot reach what was asked; retrying will not help."""


class DockerContainer(
    stopping.Stopping,
    replacement.Replacement,
    snapshots.Snapshots,
    confinement.Confinement,
    docker_resource.DockerResource,
):
    """A Docker container, created through the Docker Engine API.

    Every create parameter of the Engine API is reachable: through a typed
    property, or through ``api_config`` and ``api_host_config`` by Engine
    API field name.
    """

    support_status = support.SupportStatus(version='2014.1')

    PROPERTIES = tuple(cspec.PROPERTIES)
    ATTRIBUTES = tuple(container_state.ATTRIBUTES)

    properties_schema = base.heat_properties(cspec.PROPERTIES)
    attributes_schema = base.heat_attributes(container_state.ATTRIBUTES)
    SPEC_ATTRIBUTES = {name: name for name in container_state.ATTRIBUTES}
    RUNS_CONTAINERS = True
    SPEC_PROPERTIES = cspec.PROPERTIES

    def values(self, template_values=None):
        # The operator's caps stand for the limits a template leaves out,
        # in what is created, compared on update and read back live.
        return policy.with_capped_limits(
            super().values(template_values), cfg.CONF[config.GROUP]
        )

    def add_dependencies(self, deps):
        """A link names the container it links to (a template for Heat's
        old contrib resource names it; it cannot get_resource it): a
        container of this stack of that name is made first, as Docker
        needs it to be."""
        super().add_dependencies(deps)
        links = self.template_name('links')
        if links not in self.properties_schema:
            return
        try:
            linked = cspec.linked_names(self.properties[links])
        except (ValueError, TypeError):
            return  # refused at validation, naming the property
        for other in self.stack.values():
            if other is self or not isinstance(other, DockerContainer):
                continue
            name = other.template_name('name')
            if name not in other.properties_schema:
                continue
            try:
                wanted = other.properties[name]
            except (ValueError, TypeError):
                continue
            if wanted and wanted.lstrip('/') in linked:
                deps += (self, other)

    def _check_values(self, values, judged):
        """Refuse what the Docker engine would take from the ``judged``
        values: at validate those known then, at create all of them."""
        try:
            cspec.expand(values)
        except spec.InvalidValue as exc:
            raise self._invalid(exc.prop, exc.message) from exc
        for prop, message in validation.problems(judged):
            raise self._invalid(prop, message)

    def _check_host(self, client, values):
        """Refuse what the engine's host cannot give (CPUs, runtimes,
        drivers), from its /info."""
        info = docker_client.engine_info(client)
        for prop, message in validation.host_problems(values, info):
            raise self._invalid(prop, message)

    def _policy_refusals(self, values, opts):
        return policy.refusals(values, opts)

    def _validate_values(self):
        values = self.values()
        # Values from other resources are judged at create.
        known = {
            k: v for k, v in values.items() if self._known_at_validation(k)
        }
        self._check_values(values, known)
        # Checked again at create, where the endpoint is known.
        self._check_policy(values, self._endpoint_at_validation(values))
        client = self._validation_client(values)
        if client is None:
            return
        self._check_api_version(values, client.api_version)
        self._check_host(client, known)
        if self._confined():
            self._validate_confinement(client, known)

    # Create

    def handle_create(self):
        progress = stopping.Progress()
        self._connect_and_create(progress)
        return progress

    def check_create_complete(self, progress):
        # The start is sent from the first poll: Heat's work for the next
        # resources goes on while Docker starts this one.
        if self.resource_id is None:
            self._connect_and_create(progress)
            return False
        if progress.started is None:
            self._start(progress)
            return False
        settled = progress.started + container_state.SETTLE_SECONDS
        if time.monotonic() < settled:
            return False
        try:
            return self._reached(self.values()['completion'])
        except UNANSWERED as exc:
            return self._unanswered(progress, exc)

    def _connect_and_create(self, progress):
        """Create the container once its engine answers."""
        values = self.create_values()
        self._check_policy(values, self._endpoint())
        try:
            client = self._client()
        except docker_client.EndpointUnavailable as exc:
            self._unanswered(progress, exc)
            return
        self._record_endpoint()
        if values['image'].startswith(SNAPSHOT_REPOSITORY + ':'):
            # Restored from a snapshot: its images go with the stack.
            self.data_set(SNAPSHOT_DATA, values['image'])
        try:
            self._create_container(client, values)
        except (docker_client.EndpointUnavailable, *UNANSWERED) as exc:
            self._unanswered(progress, exc)
        except docker_errors.APIError as exc:
            if not self.client_plugin().met_engine_stopping(client, exc):
                raise
            self._unanswered(progress, exc)

    def _start(self, progress):
        """Start the container; one created just before its engine stopped
        answering is started once it answers again."""
        try:
            client = self._client()
            client.start(self.resource_id)
        except (docker_client.EndpointUnavailable, *UNANSWERED) as exc:
            self._unanswered(progress, exc)
            return
        except docker_errors.APIError as exc:
            if self.client_plugin().met_engine_stopping(
                client, exc
            ) or self._server_error_may_pass(progress, exc):
                self._unanswered(progress, exc)
                return
            raise self._start_refused(
                client, self.create_values(), exc
            ) from exc
        progress.started = time.monotonic()

    @staticmethod
    def _server_error_may_pass(progress, exc):
        """Whether a server error of a start or a removal is asked again:
        an engine that stops fails what is under way (e.g. "failed to
        update store for object type *libnetwork.endpoint") while it still
        answers pings, so the request is repeated for SERVER_ERROR_SECONDS
        before the error is taken for a refusal."""
        if not exc.is_server_error():
            return False
        now = time.monotonic()
        if progress.server_error_since is None:
            progress.server_error_since = now
        return now - progress.server_error_since < SERVER_ERROR_SECONDS

    def _start_refused(self, client, values, exc):
        """The engine refused to start the container: it is removed (no
        half-made container stays behind), and the refusal told in one
        sentence."""
        with self.client_plugin().ignore_not_found:
            client.remove_container(self.resource_id, force=True)
        self.resource_id_set(None)
        reason = exc.explanation or str(exc)
        missing = re.search(r'network (\S+) not found', reason)
        if missing:
            network = missing.group(1)
            prop = (
                'network_mode'
                if values['network_mode'] == network
                else 'networks'
            )
            return ContainerFailed(
                _(
                    'network "%(network)s" (property %(prop)s) does not '
                    'exist on %(endpoint)s; declare a '
                    'DockerInc::Docker::Network or create it'
                )
                % {
                    'network': network,
                    'prop': prop,
                    'endpoint': self._endpoint(),
                }
            )
        return ContainerFailed(
            _(
                'Docker engine %(endpoint)s refused to start the container: '
                '%(reason)s'
            )
            % {'endpoint': self._endpoint(), 'reason': reason}
        )

    def _create_container(self, client, values):
        self._check_values(values, values)
        self._check_api_version(values, client.api_version)
        self._check_host(client, values)
        self._check_references(client, values)
        values = self._on_project_network(client, values)
        if self._pull_policy(values) == cspec.PULL_ALWAYS:
            # Otherwise the image is looked at only if the create misses
            # it, as the docker CLI does (a request less per container).
            self._ensure_image(client, values)
        name = values['name']
        body, extra_networks = cspec.expand(
            values, self._labels(name), client.api_version
        )
        if name and self.replaces is not None:
            # The container this one replaces still holds the name until it
            # is deleted; its deletion renames this one (see _hand_over).
            name = '%s-%s' % (name, uuid.uuid4().hex[:8])
        try:
            created = client.create_container_from_config(body, name=name)
        except docker_errors.APIError as exc:
            if not (
                self.client_plugin().is_not_found(exc)
                and self._ensure_image(client, values)
            ):
                self._create_refused(client, name, exc)
            try:
                created = client.create_container_from_config(body, name=name)
            except docker_errors.APIError as again:
                self._create_refused(client, name, again)
        self.resource_id_set(created['Id'])
        if self._confined():
            self._check_created_image(client, values['image'])
        for network, endpoint_config in extra_networks.items():
            self.client_plugin().connect(
                client, self.resource_id, network, endpoint_config
            )

    def _check_created_image(self, client, image):
        """Check the owner of the image the container was made from, not
        of what its tag named before the create: another project may move
        the tag meanwhile. A refused one's container is removed before it
        ever starts."""
        used = client.inspect_container(self.resource_id)['Image']
        try:
            self._check_image_owner(client.inspect_image(used), image)
        except exception.StackValidationFailed:
            with self.client_plugin().ignore_not_found:
                client.remove_container(self.resource_id, force=True)
            self.resource_id_set(None)
            raise

    def _create_refused(self, client, name, exc):
        """Raise why the engine refused the create (EndpointUnavailable when
        it is stopping: asked again once it answers)."""
        if self.client_plugin().met_engine_stopping(client, exc):
            raise docker_client.EndpointUnavailable(str(exc)) from exc
        holder = None
        if name and self.client_plugin().is_conflict(exc):
            holder = self._name_holder(client, name)
        if holder is not None:
            message = self._name_taken(name, holder)
            raise self._invalid('name', message) from exc
        raise ContainerFailed(
            _(
                'Docker engine %(endpoint)s refused to create the '
                'container: %(reason)s'
            )
            % {'endpoint': self._endpoint(), 'reason': exc.explanation or exc}
        ) from exc

    @staticmethod
    def _pull_policy(values):
        return (
            values['image_pull_policy']
            or cfg.CONF[config.GROUP].default_pull_policy
        )

    def _ensure_image(self, client, values):
        """Pull the image if the policy asks for it: whether it pulled."""
        image = values['image']
        pull = self._pull_policy(values)
        by_id = cspec.is_image_id(image)
        if pull != cspec.PULL_ALWAYS or by_id:
            try:
                self._check_image_owner(client.inspect_image(image), image)
                return False
            except Exception as exc:
                self.client_plugin().ignore_not_found(exc)
            if by_id:
                raise ContainerFailed(
                    _(
                        'Image %(image)s is not on %(endpoint)s, and an '
                        'image id cannot be pulled'
                    )
                    % {'image': image, 'endpoint': self._endpoint()}
                )
            if pull == cspec.PULL_NEVER:
                raise ContainerFailed(
                    _(
                        'Image %s is not present on the Docker engine and '
                        'image_pull_policy is "never"'
                    )
                    % image
                )
        self._check_pull(image, 'image')
        credentials = values['registry_credentials'] or {}
        auth = {
            k: credentials[k]
            for k in ('username', 'password', 'email')
            if credentials.get(k)
        } or config.registry_auth(resolve_repository_name(image)[0])
        LOG.info('Pulling image %s', image)
        try:
            client.pull(image, auth_config=auth)
        except docker_errors.APIError as exc:
            error = image_policy.fetch_error(
                exc.explanation or exc, cfg.CONF[config.GROUP]
            )
            raise ContainerFailed(
                _('Pulling image %(image)s failed: %(error)s')
                % {'image': image, 'error': error}
            ) from exc
        return True

    def _logs_tail(self, client):
        text = client.logs(self.resource_id, tail=LOG_TAIL_LINES)
        return text.decode('utf-8', 'replace').strip()

    def _reached(self, completion):
        """Whether the container reached ``completion``; raise if it can't."""
        client = self._client()
        info = client.inspect_container(self.resource_id)
        reached, failure = container_state.completion_state(
            info['State'],
            completion,
            container_state.restarted_by_docker(info),
        )
        if failure is None:
            return reached
        raise ContainerFailed(
            _(
                'Container %(id)s %(failure)s while waiting for it to be '
                '%(completion)s. Last log lines:\n%(logs)s'
            )
            % {
                'id': self.resource_id[:12],
                'failure': failure,
                'completion': completion,
                'logs': self._logs_tail(client),
            }
        )

    # Delete

    def handle_delete(self):
        return self._begin_stop(unrecorded=True)

    def check_delete_complete(self, progress):
        if progress is not None:
            try:
                if not self._stopped_and_removed(progress):
                    return False
            except UNANSWERED as exc:
                return self._unanswered(progress, exc)
            if self.stack.action == self.stack.DELETE and self._recorded().get(
                SNAPSHOT_DATA
            ):
                self._remove_snapshot_images(self._client())
        if self.replaced_by is not None and self.resource_id is not None:
            self._hand_over(self._client())
        return True

    def _stopped_and_removed(self, progress):
        with self.client_plugin().ignore_not_found:
            if not self._stopped(progress):
                return False
            try:
                self._client().remove_container(
                    self.resource_id, v=self.values()['remove_volumes']
                )
            except Exception as exc:
                if self.client_plugin().is_conflict(exc):
                    return False  # removal already in progress
                if isinstance(
                    exc, docker_errors.APIError
                ) and self._server_error_may_pass(progress, exc):
                    return False  # asked again at the next poll
                raise
        return True

    # Suspend, resume, check

    def handle_suspend(self):
        return self._begin_stop()

    def check_suspend_complete(self, progress):
        if progress is None:
            return True
        try:
            with self.client_plugin().ignore_not_found:
                return self._stopped(progress)
        except UNANSWERED as exc:
            return self._unanswered(progress, exc)
        return True

    def handle_resume(self):
        if self.resource_id:
            self._client().start(self.resource_id)

    def check_resume_complete(self, _):
        return (
            self._reached(container_state.RUNNING)
            if self.resource_id
            else True
        )

    def handle_check(self):
        completion = self.values()['completion']
        if not self._reached(completion):
            raise ContainerFailed(
                _('Container %(id)s is not %(c)s')
                % {'id': self.resource_id[:12], 'c': completion}
            )

    # Update

    def needs_replace_with_prop_diff(
        self, changed_properties_set, after_props, before_props
    ):
        before = self.values()
        after = self.values(after_props)
        return cspec.live_update_fields(before, after) is None

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        before = self.values()
        after = self.values({**self.properties, **prop_diff})
        client = self._client()
        plugin = self.client_plugin()
        # Values from other resources are known only now: a network or
        # link the update adds meets the rules a create's does.
        self._check_policy(after, self._endpoint())
        self._check_references(client, after)
        body = cspec.live_update_fields(before, after)
        if body:
            plugin.update_container(client, self.resource_id, body)
        new_name = after.get('name')
        if new_name and new_name != before.get('name'):
            client.rename(self.resource_id, new_name)
        disconnect, connect = cspec.network_changes(before, after)
        for network in disconnect:
            with plugin.ignore_not_found:
                client.disconnect_container_from_network(
                    self.resource_id, network
                )
        for network, endpoint_config in connect.items():
            plugin.connect(client, self.resource_id, network, endpoint_config)
        state = client.inspect_container(self.resource_id)['State']
        completion = after['completion']
        if completion != container_state.EXITED and not state['Running']:
            # Stopped behind Heat's back; found by converge (see
            # parse_live_resource_data).
            client.start(self.resource_id)
        return completion

    def check_update_complete(self, completion):
        return completion is None or self._reached(completion)

    # Live state, adoption

    def _show_resource(self):
        # Also Heat's "show" attribute: secret env values are masked.
        return container_state.mask_secret_env(
            self._client().inspect_container(self.resource_id),
            self.values()['secret_env'] or {},
        )

    def parse_live_resource_data(self, resource_properties, resource_data):
        values = self.values(resource_properties)
        live = cspec.live_values(values, resource_data)
        reached, failure = container_state.completion_state(
            resource_data['State'], values['completion']
        )
        # A container stopped by hand is drift too: converge restarts it.
        live['completion'] = None if failure else values['completion']
        return {self.template_name(k): v for k, v in live.items()}

    def handle_adopt(self, resource_data):
        super().handle_adopt(resource_data)
        try:
            info = self._show_resource()
        except Exception as exc:
            if self.client_plugin().is_not_found(exc):
                raise ContainerFailed(
                    _('No container %s to adopt') % self.resource_id
                ) from exc
            raise
        self._check_owner(self._client(), self.resource_id, None)
        self._record_endpoint()
        made_in = (info['Config'].get('Labels') or {}).get(
            cspec.STACK_ID_LABEL
        )
        if made_in and made_in != self.stack.id:
            self.data_set(ADOPTED_FROM_DATA, made_in)

    # Attributes

    def _resolve_attribute(self, name):
        if not self.resource_id:
            return None
        name = self.SPEC_ATTRIBUTES[name]
        client = self._client()
        with self.client_plugin().ignore_not_found:
            if container_state.ATTRIBUTES[name][1] == container_state.LOGS:
                observed = client.logs(self.resource_id).decode(
                    'utf-8', 'replace'
                )
            else:
                observed = self._show_resource()
            return container_state.attribute(name, observed)
        return None

    def get_reference_id(self):
        return self.resource_id


def resource_mapping():
    return {'DockerInc::Docker::Container': DockerContainer}
