"""What every Docker resource type shares: its engine, client, labels,
validation errors, and patience with an engine that does not answer.

A type declares its properties once, as :mod:`heat_docker.spec` entries in
``SPEC_PROPERTIES``; Heat's schema derives from them (``base``).
"""

import dataclasses
import time

from docker import errors as docker_errors
from heat.common import exception
from heat.common.i18n import _
from heat.engine import function
from heat.engine import resource
from oslo_config import cfg
from oslo_log import log as logging
import requests

from heat_docker import client as docker_client
from heat_docker import config
from heat_docker import container_spec as cspec
from heat_docker import image_policy
from heat_docker import image_spec
from heat_docker import policy
from heat_docker import spec
from heat_docker.resources import base

# What an engine that is overloaded, restarting or unreachable raises (the
# Engine API's own errors, docker.errors.APIError, are HTTP errors instead).
UNANSWERED = (requests.exceptions.ConnectionError, requests.exceptions.Timeout)
ENDPOINT_DATA = 'endpoint'

LOG = logging.getLogger(__name__)


class ResourceFailed(exception.Error):
    """What was asked cannot be reached; retrying will not help."""


@dataclasses.dataclass
class Deleting:
    """A delete's state between polls."""

    unanswered_since: float | None = None


class DockerResource(resource.Resource):
    """Base of the Docker resource types."""

    default_client_name = 'docker'

    # A type whose translation module (PROPERTIES, ATTRIBUTES) is given
    # here gets its Heat schema from it; see __init_subclass__.
    SPEC = None
    SPEC_PROPERTIES = {}
    SECRET_PROPERTIES = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        spec_module = cls.__dict__.get('SPEC')
        if spec_module is not None:
            cls.SPEC_PROPERTIES = spec_module.PROPERTIES
            cls.PROPERTIES = tuple(spec_module.PROPERTIES)
            cls.ATTRIBUTES = tuple(spec_module.ATTRIBUTES)
            cls.properties_schema = base.heat_properties(
                spec_module.PROPERTIES
            )
            cls.attributes_schema = base.heat_attributes(
                spec_module.ATTRIBUTES
            )
        # By template name: translate_properties wraps these in every
        # resource load.
        cls.SECRET_PROPERTIES = {
            cls.template_name(name): prop
            for name, prop in cls.SPEC_PROPERTIES.items()
            if spec.holds_secret(prop)
        }

    _known_endpoint = None
    _recorded_data = None

    @staticmethod
    def template_name(name):
        """The template's name for a spec property or attribute."""
        return name

    def values(self, template_values=None):
        """Property values by spec name.

        From ``template_values`` (by template name) where given, else from
        this resource's properties; defaults for what the type lacks.
        """
        if template_values is None:
            template_values = self.properties
        values = {}
        for name, prop in self.SPEC_PROPERTIES.items():
            key = self.template_name(name)
            values[name] = (
                template_values[key]
                if key in self.properties_schema
                else prop.default
            )
        return values

    def translate_properties(
        self, properties, client_resolve=True, ignore_resolve_error=False
    ):
        # What Heat keeps of the properties (its database, events, resource
        # show) and compares on update holds each secret as its digest;
        # Docker is given the template's own values (create_values).
        super().translate_properties(
            properties, client_resolve, ignore_resolve_error
        )
        properties.data = base.redacted(
            self.stack, self.SECRET_PROPERTIES, properties.data
        )

    def create_values(self):
        """Property values by spec name, secrets included, from the
        resource's definition: what the Engine API is given at create."""
        return self.values(
            self.t.properties(self.properties_schema, self.context)
        )

    def _properties_path(self, *path):
        return [
            self.stack.t.RESOURCES,
            self.name,
            self.stack.t.get_section_name('properties'),
            *path,
        ]

    def _endpoint(self):
        """The engine the resource lives on.

        Recorded at create: the defaults behind an empty docker_endpoint
        (heat.conf, DOCKER_HOST) may differ when the stack is next touched.
        """
        if self._known_endpoint is None:
            self._known_endpoint = self._recorded().get(
                ENDPOINT_DATA
            ) or docker_client.resolve_endpoint(
                self.values()['docker_endpoint']
            )
        return self._known_endpoint

    def _record_endpoint(self):
        """Record the endpoint a default chose; one the template names is
        in its properties already (a write to Heat's database saved)."""
        if not self.values()['docker_endpoint']:
            self.data_set(ENDPOINT_DATA, self._endpoint())

    def _recorded(self):
        """The resource's data, read once per resource object: every poll
        needs the endpoint, and each read is a database query."""
        if self._recorded_data is None:
            self._recorded_data = self.data()
        return self._recorded_data

    def _client(self):
        return self.client_plugin().for_endpoint(self._endpoint())

    def _confined(self):
        """Whether projects reach only what is their own (the
        multi-tenant default; see confinement)."""
        return not cfg.CONF[config.GROUP].allow_cross_project_references

    def _ours(self, labels):
        """Whether Docker object ``labels`` say it is the stack's project's."""
        return (labels or {}).get(cspec.PROJECT_LABEL) == self.stack.tenant_id

    def _owner_labels(self):
        return {
            cspec.STACK_ID_LABEL: self.stack.id or '',
            cspec.RESOURCE_LABEL: self.name,
        }

    def _labels(self, name=None):
        labels = {
            **self._owner_labels(),
            cspec.STACK_NAME_LABEL: self.stack.name,
            cspec.PROJECT_LABEL: self.stack.tenant_id or '',
            cspec.RESOURCE_UUID_LABEL: self.uuid,
            cspec.DEPLOYMENT_LABEL: config.deployment(),
        }
        if name:
            labels[cspec.NAME_LABEL] = name
        return labels

    def _invalid(self, prop, message):
        return exception.StackValidationFailed(
            error=_('Property error'),
            path=self._properties_path(self.template_name(prop)),
            message=message,
        )

    def _known_at_validation(self, prop):
        """Whether the property's value is known before any resource of
        the stack exists (literal, or from parameters)."""
        return not any(
            function.dependencies(
                self.properties.data.get(self.template_name(prop))
            )
        )

    def _check_api_version(self, values, api_version):
        for prop, min_api in spec.unsupported(
            self.SPEC_PROPERTIES, values, api_version
        ):
            raise self._invalid(
                prop.split('.')[0],
                _(
                    '%(prop)s needs Docker Engine API %(min)s or newer; the '
                    'engine speaks %(api)s'
                )
                % {'prop': prop, 'min': min_api, 'api': api_version},
            )

    def _policy_refusals(self, values, opts):
        """``[(property, message)]``: what heat.conf does not allow."""
        return []

    def _check_policy(self, values, endpoint):
        """Refuse what heat.conf does not allow, before any Docker call."""
        opts = cfg.CONF[config.GROUP]
        refusals = self._policy_refusals(values, opts)
        if endpoint is not None:
            refusal = policy.endpoint_refusal(endpoint, opts)
            if refusal:
                refusals.insert(0, ('docker_endpoint', refusal))
        if refusals:
            raise self._invalid(*refusals[0])

    def _pull_refusal(self, image):
        """Why the engine may not contact the registry of ``image``: one on
        the Docker host's own services (the policy's local fetches)."""
        return image_policy.pull_refusal(
            image_spec.registry(image), cfg.CONF[config.GROUP]
        )

    def _check_pull(self, image, prop):
        """Before the engine pulls ``image``: refuse what the policy does."""
        refusal = self._pull_refusal(image)
        if refusal:
            raise self._invalid(prop, refusal)

    def _unanswered(self, progress, exc):
        """The engine did not answer (not up yet, overloaded, restarting):
        poll again, for up to [docker] endpoint_wait_timeout in all.
        ``progress`` keeps ``unanswered_since`` between polls."""
        now = time.monotonic()
        if progress.unanswered_since is None:
            progress.unanswered_since = now
        wait = cfg.CONF[config.GROUP].endpoint_wait_timeout
        if now - progress.unanswered_since > wait:
            raise ResourceFailed(
                _(
                    'Docker engine %(endpoint)s did not answer for %(wait)s '
                    's ([docker] endpoint_wait_timeout): %(exc)s'
                )
                % {'endpoint': self._endpoint(), 'wait': wait, 'exc': exc}
            ) from exc
        LOG.warning(
            'Docker engine %s did not answer (%s); trying again',
            self._endpoint(),
            exc,
        )
        return False

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
        """The type's own checks of its values, where they are known."""

    def _validate_policy(self, props):
        """At validate: the policy on ``props`` where they are known."""
        values = self.values()
        known = all(self._known_at_validation(p) for p in props)
        self._check_policy(
            values if known else {}, self._endpoint_at_validation(values)
        )

    def _endpoint_at_validation(self, values):
        """The endpoint, if known at validation; else None."""
        if not self._known_at_validation('docker_endpoint'):
            return None
        return docker_client.resolve_endpoint(values['docker_endpoint'])

    def _validation_client(self, values):
        """The client of the endpoint, if it is known at validation and
        answers; else None, and what needs the engine waits for create."""
        endpoint = self._endpoint_at_validation(values)
        if endpoint is None:
            return None
        try:
            return self.client_plugin().for_endpoint(endpoint)
        except docker_client.EndpointUnavailable as exc:
            # The engine may still be booting: checked again at create.
            LOG.info('%s: not asking the engine at validation: %s', self, exc)
            return None

    def _refused(self, kind, name, exc):
        """The engine's refusal to create ``kind`` ``name``, as one
        sentence."""
        return ResourceFailed(
            _(
                'Docker engine %(endpoint)s refused to create %(kind)s '
                '"%(name)s": %(reason)s'
            )
            % {
                'endpoint': self._endpoint(),
                'kind': kind,
                'name': name,
                'reason': exc.explanation or exc,
            }
        )

    def _removed_when_unused(self, progress, kind, users_of, remove):
        """One poll of a delete: ``remove(client)`` once ``users_of(client)``
        (``{container id: name}``) is empty. This stack's containers are
        waited for (they may be deleted at the same time, when the template
        names the object instead of getting it); a container outside the
        stack fails the delete, named."""
        try:
            client = self._client()
            with self.client_plugin().ignore_not_found:
                users = users_of(client)
                ours = set()
                if users:
                    ours = {
                        c['Id']
                        for c in client.containers(
                            all=True,
                            filters={
                                'label': '%s=%s'
                                % (cspec.STACK_ID_LABEL, self.stack.id)
                            },
                        )
                        if self._made_by_stack(c['Labels'] or {})
                    }
                outside = sorted(n for c, n in users.items() if c not in ours)
                if outside:
                    raise ResourceFailed(
                        _(
                            '%(kind)s %(name)s is still used by containers '
                            'outside stack %(stack)s: %(users)s; remove '
                            'them, then delete again'
                        )
                        % {
                            'kind': kind.capitalize(),
                            'name': self.resource_id,
                            'stack': self.stack.name,
                            'users': ', '.join(outside),
                        }
                    )
                if users:
                    return False
                try:
                    remove(client)
                except docker_errors.APIError as exc:
                    if self.client_plugin().is_conflict(exc):
                        return False  # a container took it up meanwhile
                    raise
            return True
        except UNANSWERED as exc:
            return self._unanswered(progress, exc)

    def _made_by_stack(self, labels):
        """Whether a container with this stack's labels is one of its
        container resources': one run outside Heat from an image the stack
        built inherits the image's labels, naming an image resource."""
        owner = self.stack.get(labels.get(cspec.RESOURCE_LABEL))
        return owner is None or getattr(owner, 'RUNS_CONTAINERS', False)

    def physical_name(self, name):
        """``name``, or one Heat makes from the stack and resource."""
        return name or self.physical_resource_name()
