"""DockerInc::Docker::Network: a Docker network as a Heat resource."""

from heat.common.i18n import _
from heat.engine import support
from oslo_config import cfg

from heat_docker import config
from heat_docker import container_spec as cspec
from heat_docker import network_spec as nspec
from heat_docker import policy
from heat_docker.resources import base
from heat_docker.resources import docker_resource
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
        made = client.create_network(**nspec.create_arguments(body))['Id']
        limit = cfg.CONF[config.GROUP].max_project_networks
        if limit:
            # Counted once made: networks made at once each count the
            # others, and the newest beyond the limit go.
            held = cspec.oldest_first(
                n for n in client.networks() if self._ours(n.get('Labels'))
            )
            if made not in [n['Id'] for n in held[:limit]]:
                client.remove_network(made)
                raise docker_resource.ResourceFailed(
                    _(
                        'The project has %(n)d networks on %(endpoint)s, '
                        'the most [docker] max_project_networks allows; '
                        'delete one, or ask the operator for more'
                    )
                    % {'n': limit, 'endpoint': self._endpoint()}
                )
        return made

    def _inspect(self, client):
        return client.inspect_network(self.resource_id)

    def _users(self, client):
        return nspec.users(self._inspect(client))

    def _remove(self, client):
        client.remove_network(self.resource_id)


def resource_mapping():
    return {'DockerInc::Docker::Network': DockerNetwork}
