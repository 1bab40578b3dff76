"""Projects sharing a Docker endpoint reach only what is their own.

Under the default, multi-tenant configuration, whatever a template names
that already exists on the endpoint (containers, named volumes, user
networks, images another project's stack made) must carry the stack's
project label, and a name another project holds is refused with a clear
reason. Checked at validation for what is known then, and at create for
the rest, before the container is made. ``[docker]
allow_cross_project_references`` opens it all (the standalone command
does).
"""

from docker import errors as docker_errors
from heat.common import exception
from heat.common.i18n import _

from heat_docker import config
from heat_docker import container_api
from heat_docker import container_spec as cspec
from heat_docker import tenancy
from heat_docker.resources import docker_resource


class Confinement:
    """Mixed into a Docker resource: needs ``_confined``, ``_ours``,
    ``_invalid``, ``_endpoint``, ``_client`` and Heat's Resource."""

    def _validate_confinement(self, client, known):
        """What can be checked before create, from the values ``known``
        then: references, and a name held by another project."""
        self._check_references(client, known, at_create=False)
        if known.get('image'):
            with self.client_plugin().ignore_not_found:
                info = client.inspect_image(known['image'])
                self._check_image_owner(info, known['image'])
        if known.get('name'):
            # Held by this project, the name may be this resource's own.
            holder = self._name_holder(client, known['name'])
            if holder is not None and not self._ours(holder):
                raise self._invalid(
                    'name', self._name_taken(known['name'], holder)
                )

    def _check_owner(self, client, container, prop, at_create=True):
        """Refuse ``container`` unless it is one of the stack's project.

        ``prop`` names the property that names it; None for external_id.
        A container not found is refused at create, and passed at
        validation (the stack may yet make it).
        """
        if not self._confined():
            return
        try:
            labels = client.inspect_container(container)['Config']['Labels']
        except docker_errors.NotFound:
            if not at_create:
                return
            message = _('no container %(c)s on %(e)s') % {
                'c': container,
                'e': self._endpoint(),
            }
        else:
            if self._ours(labels or {}):
                return
            message = tenancy.cross_project_refusal(container)
        if prop is not None:
            raise self._invalid(prop, message)
        raise exception.StackValidationFailed(
            path=[self.stack.t.RESOURCES, self.name, 'external_id'],
            message=message,
        )

    def _check_image_owner(self, info, image):
        labels = info['Config'].get('Labels') or {}
        if (
            self._confined()
            and cspec.PROJECT_LABEL in labels
            and not self._ours(labels)
        ):
            raise self._invalid('image', tenancy.foreign_image_refusal(image))

    def validate_external(self):
        # Heat validates a resource with external_id only through this.
        super().validate_external()
        self._check_owner(self._client(), self.external_id, None)

    def _check_references(self, client, values, at_create=True):
        if not self._confined():
            return
        for prop, container in tenancy.container_references(values):
            self._check_owner(client, container, prop, at_create)
        for prop, volume in tenancy.volume_references(values):
            self._check_volume(client, volume, prop, values, at_create)
        for prop, network in tenancy.network_references(values):
            self._check_network(client, network, prop)

    def _on_project_network(self, client, values):
        """``values``, on the project's own network where the container
        would be on Docker's default bridge: there every project's
        containers reach each other, and may spoof each other's
        addresses. The network is made at the project's first use, and
        kept."""
        if not self._confined():
            return values
        networks = values['networks'] or []
        named = [
            n for n in networks if n['network'] in container_api.DEFAULT_BRIDGE
        ]
        if not named and not cspec.joins_default_bridge(values):
            return values
        network = self._project_network(client)
        if named:
            return {
                **values,
                'networks': [
                    dict(n, network=network) if n in named else n
                    for n in networks
                ],
            }
        return {
            **values,
            'network_mode': network,
            'networks': [{'network': network}],
        }

    def _project_network(self, client):
        """The id of the project's own network, made if missing."""
        name = cspec.PROJECT_NETWORK_PREFIX + self.stack.tenant_id
        found = cspec.oldest_first(client.networks(names=[name]), name)
        if not found:
            # Docker's check_duplicate is no lock: containers made at once,
            # by one engine or several, may each make one.
            try:
                client.create_network(
                    name, labels=self._project_labels(), check_duplicate=True
                )
            except docker_errors.APIError as exc:
                if not self.client_plugin().is_conflict(exc):
                    raise self._refused('network', name, exc) from exc
            found = cspec.oldest_first(client.networks(names=[name]), name)
        # The oldest stays the oldest: every container picks the same one.
        network, duplicates = found[0], found[1:]
        if not self._ours(network.get('Labels')):
            raise docker_resource.ResourceFailed(
                _(
                    "Network %(n)s, where this project's containers go "
                    'instead of the default bridge, is not labelled as this '
                    "project's; the operator must remove it"
                )
                % {'n': name}
            )
        for duplicate in duplicates:
            if self._ours(duplicate.get('Labels')):
                with self.client_plugin().ignore_conflict_and_not_found:
                    client.remove_network(duplicate['Id'])
        return network['Id']

    def _check_network(self, client, network, prop):
        """Refuse a network of another project, or made outside Heat. One
        not found is left to the engine, which names it missing."""
        try:
            labels = client.inspect_network(network).get('Labels') or {}
        except docker_errors.NotFound:
            return
        if not self._ours(labels):
            raise self._invalid(prop, tenancy.foreign_network_refusal(network))

    def _check_volume(self, client, volume, prop, values, at_create):
        """Refuse a named volume of another project, or made outside Heat.

        At create a missing one is made first, labelled as this project's
        (with the labels its mount asks for): Docker would make it with
        no labels, and then no project could be told to own it.
        """
        if not self._confined():
            return
        try:
            labels = client.inspect_volume(volume).get('Labels') or {}
        except docker_errors.NotFound:
            if at_create:
                asked = {}
                for mount in values.get('mounts') or ():
                    if mount.get('source') == volume:
                        asked.update(mount.get('labels') or {})
                client.create_volume(
                    volume, labels={**asked, **self._project_labels()}
                )
            return
        if not self._ours(labels):
            raise self._invalid(prop, tenancy.foreign_volume_refusal(volume))

    def _project_labels(self):
        return {
            cspec.PROJECT_LABEL: self.stack.tenant_id or '',
            cspec.DEPLOYMENT_LABEL: config.deployment(),
        }

    def _name_holder(self, client, name):
        """The labels of the container named ``name``, or None. Docker
        also finds a container by a prefix of its id, which is no name
        (and would tell which ids exist)."""
        try:
            info = client.inspect_container(name)
        except docker_errors.NotFound:
            return None
        if info['Name'] != '/' + name.lstrip('/'):
            return None
        return info['Config'].get('Labels') or {}

    def _name_taken(self, name, holder):
        """Why ``name`` cannot be had: who holds it, as far as this
        project may know."""
        if self._ours(holder):
            owner = _('resource %(r)s of stack %(s)s') % {
                'r': holder.get(cspec.RESOURCE_LABEL),
                's': holder.get(cspec.STACK_NAME_LABEL),
            }
        else:
            owner = _(
                'a container of another project, or one Heat did not make'
            )
        return _(
            'the name %(name)s is already used on %(endpoint)s by %(owner)s; '
            'choose another name'
        ) % {'name': name, 'endpoint': self._endpoint(), 'owner': owner}
