"""What a network and a volume share: Docker objects that containers use,
made once and removed only when no container uses them."""

from docker import errors as docker_errors
from heat.common.i18n import _

from heat_docker.resources import docker_resource


class SharedObject(docker_resource.DockerResource):
    """A subclass names its ``KIND``, its ``SPEC`` module (PROPERTIES,
    ATTRIBUTES, replacement_clashes), the properties the policy judges
    (``POLICY_PROPERTIES``), and how to create, inspect, list the users of
    and remove its object."""

    KIND = None
    POLICY_PROPERTIES = ()

    def _validate_values(self):
        self._validate_policy(self.POLICY_PROPERTIES)

    def handle_create(self):
        values = self.values()
        self._check_policy(values, self._endpoint())
        client = self._client()
        self._record_endpoint()
        name = self.physical_name(values['name'])
        try:
            made = self._create(client, values, name)
        except docker_errors.APIError as exc:
            raise self._refused(self.KIND, name, exc) from exc
        self.resource_id_set(made)

    def needs_replace_with_prop_diff(
        self, changed_properties_set, after_props, before_props
    ):
        """Every change replaces the object (Docker cannot change one), and
        the replacement is made before the object goes: a change that
        keeps what Docker lets one object have is refused, before any."""
        if after_props.get('docker_endpoint') != before_props.get(
            'docker_endpoint'
        ):
            return False
        clashes = self.SPEC.replacement_clashes(before_props, after_props)
        if clashes:
            changed = ', '.join(sorted(changed_properties_set))
            raise docker_resource.ResourceFailed(
                _(
                    '%(kind)s %(resource)s would be replaced to change '
                    '%(changed)s, and its replacement is made before it '
                    'is removed, with %(clashes)s. Change that as well, '
                    'or leave %(changed)s unchanged'
                )
                % {
                    'kind': self.KIND.capitalize(),
                    'resource': self.name,
                    'changed': changed,
                    'clashes': '; and '.join(clashes),
                }
            )
        return False

    def needs_replace_failed(self):
        """A failed update changed nothing (there is no update in place),
        and a failed create made nothing: the object, if it is there, is
        as it was made."""
        if self.resource_id is None:
            return True
        with self.client_plugin().ignore_not_found:
            self._inspect(self._client())
            return False
        return True

    def handle_delete(self):
        if self.resource_id is None:
            return None
        return docker_resource.Deleting()

    def check_delete_complete(self, progress):
        if progress is None:
            return True
        return self._removed_when_unused(
            progress, self.KIND, self._users, self._remove
        )

    def _show_resource(self):
        return self._inspect(self._client())

    def _resolve_attribute(self, name):
        if not self.resource_id:
            return None
        with self.client_plugin().ignore_not_found:
            return self.SPEC.ATTRIBUTES[name][1](self._show_resource())
        return None

    def parse_live_resource_data(self, resource_properties, resource_data):
        # Docker changes no property of a network or volume: it is there
        # (get_live_resource_data found it), or gone and made again.
        return {}

    def _create(self, client, values, name):
        """Create the object; its resource id."""
        raise NotImplementedError

    def _inspect(self, client):
        raise NotImplementedError

    def _users(self, client):
        """``{container id: name}`` of the containers that use it."""
        raise NotImplementedError

    def _remove(self, client):
        raise NotImplementedError
