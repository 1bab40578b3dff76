"""DockerInc::Docker::Volume: a Docker volume as a Heat resource."""

from heat.common.i18n import _
from heat.engine import support

from heat_docker import policy
from heat_docker import tenancy
from heat_docker import volume_spec as vspec
from heat_docker.resources import base
from heat_docker.resources import shared_object


class DockerVolume(shared_object.SharedObject):
    """A Docker volume. ``get_resource`` gives its name, which a
    container's ``mounts[].source`` (type volume) and ``volumes`` take.
    It is removed only when no container uses it; ``deletion_policy:
    Retain`` keeps it, data and all. Every property change replaces it."""

    support_status = support.SupportStatus(version=base.SINCE.version)

    KIND = 'volume'
    SPEC = vspec
    POLICY_PROPERTIES = ('driver', 'driver_opts')

    def _policy_refusals(self, values, opts):
        return policy.volume_refusals(values, opts)

    def _validate_values(self):
        super()._validate_values()
        values = self.values()
        if values['name'] and self._known_at_validation('name'):
            client = self._validation_client(values)
            if client is not None:
                self._check_name(client, values['name'])

    def _check_name(self, client, name):
        """Refuse the name of a volume that exists and is not the
        project's: Docker hands an existing volume to its create, and the
        stack's delete would remove it, data and all. Unconfined too (the
        standalone command): a volume Compose or a user made is not
        Heat's to remove."""
        with self.client_plugin().ignore_not_found:
            if self._ours(client.inspect_volume(name).get('Labels')):
                return
            if self._confined():
                raise self._invalid(
                    'name', tenancy.foreign_name_refusal('volume', name)
                )
            raise self._invalid(
                'name',
                _(
                    'volume %s exists and no stack of this project made '
                    'it; its delete would remove it, data and all. Mount '
                    'it by its name in the container (as Compose does '
                    'with external: true), or choose another name'
                )
                % name,
            )

    def _create(self, client, values, name):
        if values['name']:
            self._check_name(client, name)
        arguments = vspec.create_arguments(values, name, self._labels())
        return client.create_volume(**arguments)['Name']

    def _inspect(self, client):
        return client.inspect_volume(self.resource_id)

    def _users(self, client):
        self._inspect(client)  # gone: nothing to wait for
        return {
            c['Id']: (c.get('Names') or ['/' + c['Id'][:12]])[0].lstrip('/')
            for c in client.containers(
                all=True, filters={'volume': self.resource_id}
            )
        }

    def _remove(self, client):
        client.remove_volume(self.resource_id)


def resource_mapping():
    return {'DockerInc::Docker::Volume': DockerVolume}
