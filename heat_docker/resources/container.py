"""DockerInc::Docker::Container: a Docker container as a Heat resource."""

import dataclasses
import time

from docker import errors as docker_errors
from heat.common import exception
from heat.common.i18n import _
from heat.engine import function
from heat.engine import resource
from heat.engine import support
from oslo_config import cfg
from oslo_log import log as logging

from heat_docker import client as docker_client
from heat_docker import config
from heat_docker import container_spec as cspec
from heat_docker import spec
from heat_docker.resources import base

LOG = logging.getLogger(__name__)

LOG_TAIL_LINES = 10
ENDPOINT_DATA = 'endpoint'


class ContainerFailed(exception.Error):
    """The container cannot reach what was asked; retrying will not help."""


@dataclasses.dataclass
class _Progress:
    """State carried between a handle_* call and its check_*_complete."""

    deadline: float
    connected: bool = False
    killed: bool = False


class DockerContainer(resource.Resource):
    """A Docker container, created through the Docker Engine API.

    Every create parameter of the Engine API is reachable: through a typed
    property, or through ``api_config`` and ``api_host_config`` by Engine
    API field name.
    """

    support_status = support.SupportStatus(version='2014.1')

    default_client_name = 'docker'

    PROPERTIES = tuple(cspec.PROPERTIES)
    ATTRIBUTES = tuple(cspec.ATTRIBUTES)

    properties_schema = base.heat_properties(cspec.PROPERTIES)
    attributes_schema = base.heat_attributes(cspec.ATTRIBUTES)
    SPEC_ATTRIBUTES = {name: name for name in cspec.ATTRIBUTES}

    @staticmethod
    def template_name(name):
        """The template's name for a container_spec property or attribute."""
        return name

    def values(self, template_values=None):
        """Property values by container_spec name.

        From ``template_values`` (by template name) where given, else from
        this resource's properties; defaults for what the type lacks.
        """
        if template_values is None:
            template_values = self.properties
        values = {}
        for name, prop in cspec.PROPERTIES.items():
            key = self.template_name(name)
            values[name] = (
                template_values[key]
                if key in self.properties_schema
                else prop.default
            )
        return values

    def _properties_path(self, *path):
        return [
            self.stack.t.RESOURCES,
            self.name,
            self.stack.t.get_section_name('properties'),
            *path,
        ]

    def _endpoint(self):
        """The engine the container lives on.

        Recorded at create: the defaults behind an empty docker_endpoint
        (heat.conf, DOCKER_HOST) may differ when the stack is next touched.
        """
        return self.data().get(
            ENDPOINT_DATA
        ) or docker_client.resolve_endpoint(self.values()['docker_endpoint'])

    def _client(self):
        return self.client_plugin().for_endpoint(self._endpoint())

    def _labels(self):
        return {
            cspec.STACK_ID_LABEL: self.stack.id or '',
            cspec.STACK_NAME_LABEL: self.stack.name,
            cspec.RESOURCE_LABEL: self.name,
        }

    def _invalid(self, prop, message):
        return exception.StackValidationFailed(
            error=_('Property error'),
            path=self._properties_path(self.template_name(prop)),
            message=message,
        )

    def _check_api_version(self, values, api_version):
        for prop, min_api in cspec.unsupported(values, api_version):
            raise self._invalid(
                prop.split('.')[0],
                _(
                    '%(prop)s needs Docker Engine API %(min)s or newer; the '
                    'engine speaks %(api)s'
                )
                % {'prop': prop, 'min': min_api, 'api': api_version},
            )

    def validate(self):
        super().validate()
        self._validate_values()

    def validate_template(self):
        # Heat's template validate checks only the structure; refuse bad
        # values there too, before any stack is created.
        super().validate_template()
        try:
            self.properties.validate(with_value=True)
        except exception.StackValidationFailed as exc:
            raise exception.StackValidationFailed(
                error=exc.error,
                path=self._properties_path(*exc.path[1:]),
                message=exc.error_message,
            ) from exc
        self._validate_values()

    def _validate_values(self):
        values = self.values()
        try:
            cspec.expand(values)
        except spec.InvalidValue as exc:
            raise self._invalid(exc.prop, exc.message) from exc
        endpoint_key = self.template_name('docker_endpoint')
        if isinstance(
            self.properties.data.get(endpoint_key), function.Function
        ):
            return  # known at create, where the version is checked again
        try:
            client = self.client_plugin().for_endpoint(
                values['docker_endpoint']
            )
        except docker_client.EndpointUnavailable as exc:
            # The engine may still be booting; the version is checked again
            # before the container is created.
            LOG.info('Not checking API versions at validation: %s', exc)
            return
        self._check_api_version(values, client.api_version)

    # Create

    def handle_create(self):
        wait = cfg.CONF[config.GROUP].endpoint_wait_timeout
        return _Progress(deadline=time.monotonic() + wait)

    def check_create_complete(self, progress):
        if not progress.connected:
            try:
                client = self._client()
            except docker_client.EndpointUnavailable as exc:
                if time.monotonic() < progress.deadline:
                    return False
                raise ContainerFailed(
                    _(
                        '%(exc)s; gave up after %(wait)s s '
                        '([docker] endpoint_wait_timeout)'
                    )
                    % {
                        'exc': exc,
                        'wait': cfg.CONF[config.GROUP].endpoint_wait_timeout,
                    }
                ) from exc
            self.data_set(ENDPOINT_DATA, self._endpoint())
            self._create_container(client)
            progress.connected = True
        return self._reached(self.values()['completion'])

    def _create_container(self, client):
        values = self.values()
        self._check_api_version(values, client.api_version)
        self._ensure_image(client, values)
        body, extra_networks = cspec.expand(
            values, self._labels(), client.api_version
        )
        created = client.create_container_from_config(
            body, name=values['name']
        )
        self.resource_id_set(created['Id'])
        for network, endpoint_config in extra_networks.items():
            ipam = endpoint_config.get('IPAMConfig') or {}
            client.connect_container_to_network(
                self.resource_id,
                network,
                aliases=endpoint_config.get('Aliases'),
                ipv4_address=ipam.get('IPv4Address'),
                ipv6_address=ipam.get('IPv6Address'),
            )
        client.start(self.resource_id)

    def _ensure_image(self, client, values):
        image, policy = values['image'], values['image_pull_policy']
        if policy != cspec.PULL_ALWAYS:
            try:
                client.inspect_image(image)
                return
            except Exception as exc:
                self.client_plugin().ignore_not_found(exc)
            if policy == cspec.PULL_NEVER:
                raise ContainerFailed(
                    _(
                        'Image %s is not present on the Docker engine and '
                        'image_pull_policy is "never"'
                    )
                    % image
                )
        credentials = values['registry_credentials'] or {}
        auth = {
            k: credentials[k]
            for k in ('username', 'password', 'email')
            if credentials.get(k)
        } or None
        LOG.info('Pulling image %s', image)
        try:
            client.pull(image, auth_config=auth)
        except docker_errors.APIError as exc:
            raise ContainerFailed(
                _('Pulling image %(image)s failed: %(error)s')
                % {'image': image, 'error': exc.explanation or exc}
            ) from exc

    def _logs_tail(self, client):
        text = client.logs(self.resource_id, tail=LOG_TAIL_LINES)
        return text.decode('utf-8', 'replace').strip()

    def _reached(self, completion):
        """Whether the container reached ``completion``; raise if it can't."""
        client = self._client()
        state = client.inspect_container(self.resource_id)['State']
        health = (state.get('Health') or {}).get('Status')
        status = state['Status']
        failure = None
        if status in ('exited', 'dead'):
            if completion == cspec.EXITED and state['ExitCode'] == 0:
                return True
            failure = _('exited with code %s') % state['ExitCode']
        elif status in ('created', 'restarting') or completion == cspec.EXITED:
            return False
        elif completion == cspec.RUNNING:
            return status == 'running'
        elif health is None:
            failure = _(
                'has no healthcheck, so it cannot become healthy '
                '(set the healthcheck property or use completion '
                '"running")'
            )
        elif health == 'unhealthy':
            failure = _('is unhealthy')
        else:
            return health == 'healthy'
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

    # Stop and delete

    def _begin_stop(self):
        """Send the stop signal; return the progress to poll, or None."""
        if self.resource_id is None:
            return None
        try:
            client = self._client()
        except docker_client.EndpointUnavailable as exc:
            LOG.warning(
                'Treating container %s as gone: %s', self.resource_id, exc
            )
            return None
        with self.client_plugin().ignore_not_found:
            info = client.inspect_container(self.resource_id)
            grace = self.values()['stop_timeout']
            if grace is None:
                grace = info['Config'].get('StopTimeout')
            if grace is None:
                grace = cfg.CONF[config.GROUP].stop_timeout
            if info['State']['Running']:
                # The container's own stop signal also disables its restart
                # policy until it is started again, as "docker stop" does.
                client.kill(
                    self.resource_id,
                    signal=info['Config'].get('StopSignal') or 'SIGTERM',
                )
            return _Progress(deadline=time.monotonic() + grace)
        return None

    def _stopped(self, progress):
        client = self._client()
        if not client.inspect_container(self.resource_id)['State']['Running']:
            return True
        if time.monotonic() >= progress.deadline and not progress.killed:
            client.kill(self.resource_id, signal='SIGKILL')
            progress.killed = True
        return False

    def handle_delete(self):
        return self._begin_stop()

    def check_delete_complete(self, progress):
        if progress is None:
            return True
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
                raise
        return True

    # Suspend, resume, check

    def handle_suspend(self):
        return self._begin_stop()

    def check_suspend_complete(self, progress):
        return progress is None or self._stopped(progress)

    def handle_resume(self):
        if self.resource_id:
            self._client().start(self.resource_id)

    def check_resume_complete(self, _):
        return self._reached(cspec.RUNNING) if self.resource_id else True

    def handle_check(self):
        completion = self.values()['completion']
        if not self._reached(completion):
            raise ContainerFailed(
                _('Container %(id)s is not %(c)s')
                % {'id': self.resource_id[:12], 'c': completion}
            )

    # Update

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        # self.properties still holds the values from before the update.
        before = self.values()
        after = self.values({**self.properties, **prop_diff})
        body = cspec.live_update_fields(before, after)
        if body is None:
            raise resource.UpdateReplace(self.name)
        client = self._client()
        if body:
            response = client._post_json(
                client._url('/containers/{0}/update', self.resource_id),
                data=body,
            )
            client._raise_for_status(response)
        new_name = after.get('name')
        if new_name and new_name != before.get('name'):
            client.rename(self.resource_id, new_name)

    # Attributes

    def _resolve_attribute(self, name):
        if not self.resource_id:
            return None
        name = self.SPEC_ATTRIBUTES[name]
        client = self._client()
        with self.client_plugin().ignore_not_found:
            if cspec.ATTRIBUTES[name][1] == cspec.LOGS:
                observed = client.logs(self.resource_id).decode(
                    'utf-8', 'replace'
                )
            else:
                observed = client.inspect_container(self.resource_id)
            return cspec.attribute(name, observed)
        return None

    def get_reference_id(self):
        return self.resource_id


def resource_mapping():
    return {'DockerInc::Docker::Container': DockerContainer}
