"""Replacing a container: Heat creates the new one before it deletes
the old, unless the two cannot both hold what the old one holds."""

from heat_docker import container_spec as cspec


class Replacement:
    """What a container does around its replacement, and on rollback."""

    def _siblings(self, client):
        """Other containers of this resource: a replacement, or the one it
        replaces, found by Heat's labels."""
        found = client.containers(
            all=True,
            filters={
                'label': [
                    '%s=%s' % item for item in self._owner_labels().items()
                ]
            },
        )
        return [c for c in found if c['Id'] != self.resource_id]

    @staticmethod
    def _holds_fixed_addresses(info):
        """Whether the container binds a fixed host port, or has a fixed
        address on a network: one container at a time can."""
        bindings = info['HostConfig'].get('PortBindings') or {}
        networks = info['NetworkSettings'].get('Networks') or {}
        return any(
            b.get('HostPort') for v in bindings.values() for b in v or ()
        ) or any(
            (n.get('IPAMConfig') or {}).get(field)
            for n in networks.values()
            for field in ('IPv4Address', 'IPv6Address')
        )

    def prepare_for_replace(self):
        """Before Heat creates the replacement, free what two cannot hold.

        A fixed host port or network address is held by one container at a
        time, so the old container stops now (a stopped container holds
        neither); any other keeps running until the new one is ready and
        Heat deletes it.
        """
        if self.resource_id is None:
            return
        client = self._client()
        with self.client_plugin().ignore_not_found:
            info = client.inspect_container(self.resource_id)
            if info['State']['Running'] and self._holds_fixed_addresses(info):
                client.stop(self.resource_id, timeout=self._grace(info))

    def restore_prev_rsrc(self, convergence=False):
        """On rollback, this (the previous) container takes over again."""
        if self.resource_id is None:
            return
        client = self._client()
        for sibling in self._siblings(client):
            if sibling['State'] == 'running':
                client.stop(sibling['Id'], timeout=0)
        with self.client_plugin().ignore_not_found:
            if not client.inspect_container(self.resource_id)['State'][
                'Running'
            ]:
                client.start(self.resource_id)

    def _hand_over(self, client):
        """Give this container's name to the one that replaced it."""
        for sibling in self._siblings(client):
            wanted = sibling['Labels'].get(cspec.NAME_LABEL)
            if wanted and '/' + wanted not in sibling['Names']:
                client.rename(sibling['Id'], wanted)
