"""DockerInc::Docker::Network: a Docker network as a Heat resource."""

from heat.engine import support

from heat_docker import network_spec as nspec
from heat_docker import policy
from heat_docker.resources import base
from heat_docker.resources import shared_object


class DockerNetwork(shared_object.SharedObject):
    """A Docker network. ``get_resource`` gives its id, which a
    container's ``networks[].network`` and ``network_mode`` take. It is
    removed once no container uses it; every property change replaces
    it."""

    support_status = support.SupportStatus(version=base.SINCE.version)

    KIND = 'network'
    SPEC = nspec
    POLICY_PROPERTIES = ('driver', 'options')

    def _policy_refusals(self, values, opts):
        return policy.network_refusals(values, opts)

    def _create(self, client, values, name):
        body = nspec.create_body(values, name, self._labels())
        return client.create_network(**nspec.create_arguments(body))['Id']

    def _inspect(self, client):
        return client.inspect_network(self.resource_id)

    def _users(self, client):
        return nspec.users(self._inspect(client))

    def _remove(self, client):
        client.remove_network(self.resource_id)


def resource_mapping():
    return {'DockerInc::Docker::Network': DockerNetwork}
