"""What a project's templates may name of other projects' Docker objects.

In a confined engine every container, volume, network and image that Heat
makes carries its project's label. A template may name only its own
project's: another project's container to join or link, volume to mount,
network to join, tag to move or image to run is refused unless the
operator allows cross-project references. Here are the names a
container's values refer to, and the refusals; the look-ups that tell
whose an object is are the resources' (:mod:`.resources.confinement`).
"""

from heat_docker import container_spec as cspec
from heat_docker import policy
from heat_docker import spec

CROSS_PROJECT_OPTION = 'allow_cross_project_references = true'


# HostConfig fields that join another container's namespace as
# "container:NAME".
CONTAINER_MODE_FIELDS = ('NetworkMode', 'PidMode', 'IpcMode', 'Cgroup')


def _named_containers(field, value):
    if field in ('VolumesFrom', 'Links'):
        # "NAME[:ro|rw]" and "NAME:ALIAS": container names have no ":".
        return [
            item.split(':', 1)[0].lstrip('/')
            for item in value
            if isinstance(item, str)
        ]
    if field in CONTAINER_MODE_FIELDS and str(value).startswith('container:'):
        return [value.split(':', 1)[1]]
    return []


def container_references(values):
    """``[(property, container)]``: the existing containers ``values``
    name, by name or id (volumes_from, links, container: modes, and the
    same fields through api_host_config)."""
    return [
        (name, container)
        for name, field, value in policy.host_fields(values)
        for container in _named_containers(field, value)
        if container
    ]


def _named_volumes(field, value):
    if field == 'Binds':
        # "SOURCE:TARGET[:MODE]": a source that is no path names a volume.
        sources = [item.split(':', 1)[0] for item in value]
    elif field == 'Mounts':
        sources = [m.get('Source') for m in value if m.get('Type') == 'volume']
    else:
        return []
    return [s for s in sources if s and not s.startswith('/')]


def volume_references(values):
    """``[(property, volume)]``: the named volumes ``values`` mount (an
    anonymous volume has no name, and no one else can mount it)."""
    return [
        (name, volume)
        for name, field, value in policy.host_fields(values)
        for volume in _named_volumes(field, value)
    ]


def network_references(values):
    """``[(property, network)]``: the user-defined networks ``values``
    join, by name or id (the predefined ones, and container: modes,
    aside)."""
    found = []
    for name, path, value in cspec.contributions(values):
        if path == 'HostConfig.NetworkMode':
            networks = [value]
        elif path == 'NetworkingConfig.EndpointsConfig':
            networks = list(value or ())
        else:
            continue
        found += [
            (name, network)
            for network in networks
            if network
            and network not in spec.PREDEFINED_NETWORKS
            and not network.startswith('container:')
        ]
    return found


def _refusal(what):
    return policy.refusal(what, CROSS_PROJECT_OPTION)


def cross_project_refusal(container):
    """Why a container outside the stack's project may not be named."""
    return _refusal(
        "a reference to container %s, which is not one of this project's "
        'containers,' % container
    )


def foreign_volume_refusal(volume):
    """Why a named volume outside the stack's project may not be mounted."""
    return _refusal(
        "a mount of volume %s, which is not one of this project's volumes,"
        % volume
    )


def foreign_network_refusal(network):
    """Why a network outside the stack's project may not be joined."""
    return _refusal(
        "joining network %s, which is not one of this project's networks,"
        % network
    )


def foreign_name_refusal(kind, name):
    """Why a network or volume resource may not take the name of one
    that exists and is not this project's (its delete would remove it)."""
    return _refusal(
        "a %s named %s, which exists and is not one of this project's,"
        % (kind, name)
    )


def foreign_tag_refusal(tag):
    """Why an image resource may not move a tag that another project's
    image, or one Heat did not make, holds."""
    return _refusal(
        'tagging %s, which names an image that is not one of this '
        "project's," % tag
    )


def unowned_image_tag_refusal(tag):
    """Why an image resource may not tag an image that is not this
    project's (another project asking for the name would run it)."""
    return _refusal(
        "tagging %s on an image that is not one of this project's (only "
        'images it builds take further tags),' % tag
    )


def foreign_image_refusal(image):
    """Why an image that another project's stack made (a snapshot holds a
    container's whole filesystem) may not be run."""
    return _refusal("image %s, made by another project's stack," % image)
