"""A container's snapshots: committed images that go with its stack."""

import re
import time

from heat_docker import container_spec as cspec

SNAPSHOT_DATA = 'snapshot_image'
# The stack an adopted container was made in (its labels still say so).
ADOPTED_FROM_DATA = 'adopted_from_stack'
# Snapshot images are never pulled: "localhost/" keeps any attempt local.
SNAPSHOT_REPOSITORY = 'localhost/heat-docker-snapshot'


class Snapshots:
    """Snapshot, restore and snapshot deletion of a container resource."""

    def handle_snapshot(self):
        client = self._client()
        tag = re.sub(
            r'[^A-Za-z0-9_.-]',
            '_',
            '%s-%s-%d' % (self.stack.id, self.name, time.time_ns() // 10**6),
        )[:128]
        client.commit(
            self.resource_id, repository=SNAPSHOT_REPOSITORY, tag=tag
        )
        self.data_set(SNAPSHOT_DATA, '%s:%s' % (SNAPSHOT_REPOSITORY, tag))

    def _remove_snapshot_images(self, client):
        """With its stack goes every snapshot image of this container.

        Heat deletes a stack's snapshots before its resources, but through
        the template it is deleting, which no longer holds them: their
        handle_delete_snapshot is never called. The images carry the
        container's labels (a commit keeps them): this stack's, and for a
        container adopted from an abandoned stack, that stack's too.
        """
        owners = [self._owner_labels()]
        adopted_from = self._recorded().get(ADOPTED_FROM_DATA)
        if adopted_from:
            owners.append({**owners[0], cspec.STACK_ID_LABEL: adopted_from})
        for owner in owners:
            owned = client.images(
                name=SNAPSHOT_REPOSITORY,
                filters={'label': ['%s=%s' % item for item in owner.items()]},
            )
            for image in owned:
                for tag in image.get('RepoTags') or ():
                    with self.client_plugin().ignore_not_found:
                        client.remove_image(tag, force=True)

    def handle_delete_snapshot(self, snapshot):
        image = snapshot['resource_data'].get(SNAPSHOT_DATA)
        if image:
            with self.client_plugin().ignore_not_found:
                # Forced: a container restored from the snapshot may still
                # run on the image; it keeps the layers, the tag goes.
                self._client().remove_image(image, force=True)

    def handle_restore(self, defn, restore_data):
        """The definition that brings the container back from a snapshot."""
        props = {
            k: v for k, v in self.properties.data.items() if v is not None
        }
        props[self.template_name('image')] = restore_data['resource_data'][
            SNAPSHOT_DATA
        ]
        pull_policy = self.template_name('image_pull_policy')
        if pull_policy in self.properties_schema:
            props[pull_policy] = cspec.PULL_NEVER
        return defn.freeze(properties=props)
