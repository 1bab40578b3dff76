"""Docker objects made by this Heat whose stack or resource is gone.

A container can outlive Heat's record of it: an engine killed between
Docker's create and the record, a database restored from an older backup,
a stack purged by hand. :func:`find` lists, on one Docker endpoint, the
containers this Heat deployment made (label ``deployment``, see
``config.deployment``; other Heats' stacks, on a shared engine, are not in
this database) whose stack or resource is not in its database, and the
snapshot images of its stacks that are gone; :func:`remove` removes them.
The same code serves ``heat-docker stack orphans`` and operators of a
heat-engine (``heat-docker-orphans --config-file /etc/heat/heat.conf``,
reading Heat's database as heat-manage does).
"""

import argparse
import collections
import sys

from heat_docker import config
from heat_docker import container_spec as cspec

Orphan = collections.namedtuple(
    'Orphan', 'kind id name project stack resource reason'
)
COLUMNS = ('Kind', 'ID', 'Name', 'Project', 'Stack', 'Resource', 'Reason')


def _heat_labelled(client):
    label = {'label': '%s=%s' % (cspec.DEPLOYMENT_LABEL, config.deployment())}
    for container in client.containers(all=True, filters=label):
        name = (container.get('Names') or ['/'])[0].lstrip('/')
        yield 'container', container['Id'], name, container['Labels']
    for image in client.images(filters=label):
        name = ','.join(image.get('RepoTags') or ()) or image['Id']
        yield 'image', image['Id'], name, image['Labels']


def find(context, client):
    """The orphans on ``client``'s engine, by ``context``'s sight of
    Heat's database (an admin context sees every project)."""
    from heat.db import api as db_api
    from heat.objects import stack as stack_objects

    resources_of = {}  # stack id -> {name: resource row}, None if gone
    found = []
    # Images that a container runs stay: Docker would refuse their removal,
    # and the container (a snapshot restored, say) needs them.
    in_use = {c.get('ImageID') for c in client.containers(all=True)}
    for kind, object_id, name, labels in _heat_labelled(client):
        stack_id = labels.get(cspec.STACK_ID_LABEL) or ''
        if stack_id not in resources_of:
            stack = stack_id and stack_objects.Stack.get_by_id(
                context, stack_id
            )
            resources_of[stack_id] = (
                db_api.resource_get_all_by_stack(context, stack_id)
                if stack
                else None
            )
        resources = resources_of[stack_id]
        resource = labels.get(cspec.RESOURCE_LABEL)
        if resources is None:
            reason = 'stack is gone'
        elif kind == 'image':
            continue  # a snapshot of a live stack
        elif _recorded(labels, resources):
            continue
        else:
            reason = 'resource is gone'
        # What its labels leave unclaimed may still be held: an adopted
        # stack's objects keep the labels of the stack abandoned.
        if object_id in in_use or _held(context, object_id):
            continue
        found.append(
            Orphan(
                kind,
                object_id,
                name,
                labels.get(cspec.PROJECT_LABEL, ''),
                '%s (%s)' % (labels.get(cspec.STACK_NAME_LABEL, ''), stack_id),
                resource,
                reason,
            )
        )
    return found


def _held(context, object_id):
    """Whether a live stack's resource has the object as its own."""
    from heat.db import api as db_api
    from heat.objects import stack as stack_objects

    return any(
        stack_objects.Stack.get_by_id(context, row.stack_id)
        for row in db_api.resource_get_all_by_physical_resource_id(
            context, object_id
        )
    )


def _recorded(labels, resources):
    uuid = labels.get(cspec.RESOURCE_UUID_LABEL)
    if uuid:  # containers made before this label are known by name
        return uuid in {row.uuid for row in resources.values()}
    return labels.get(cspec.RESOURCE_LABEL) in resources


def remove(client, orphan):
    if orphan.kind == 'container':
        client.remove_container(orphan.id, force=True)
    else:
        client.remove_image(orphan.id, force=True)


def main(argv=None):
    """heat-docker-orphans: the report for a heat-engine's operator."""
    parser = argparse.ArgumentParser(
        prog='heat-docker-orphans',
        description='List (and with --remove, remove) the Docker objects '
        "labelled as Heat's whose stack or resource is no longer in "
        "Heat's database.",
    )
    parser.add_argument(
        '--config-file',
        action='append',
        help='heat.conf (default: /etc/heat/heat.conf); may be repeated',
    )
    parser.add_argument(
        '--endpoint',
        action='append',
        help='Docker endpoint to look at (default: [docker] '
        'default_endpoint); may be repeated',
    )
    parser.add_argument('--remove', action='store_true')
    args = parser.parse_args(argv)

    from oslo_service import backend

    backend.init_backend(backend.BackendType.THREADING)
    from heat.common import config as heat_config  # noqa: F401 (options)
    from heat.common import context
    from oslo_config import cfg

    from heat_docker import client as docker_client

    cfg.CONF(
        [],
        project='heat',
        default_config_files=args.config_file or ['/etc/heat/heat.conf'],
    )
    admin = context.get_admin_context()
    for endpoint in args.endpoint or [docker_client.resolve_endpoint()]:
        client = docker_client.connect(endpoint)
        for orphan in find(admin, client):
            if args.remove:
                remove(client, orphan)
            print(
                '\t'.join(
                    [endpoint, *map(str, orphan)]
                    + (['removed'] if args.remove else [])
                )
            )
    return 0


if __name__ == '__main__':
    sys.exit(main())
