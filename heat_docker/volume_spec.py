"""DockerInc::Docker::Volume: its properties, declared once, and the
translation to the Engine API (``POST /volumes/create``), its attributes from
``GET /volumes/{name}``. No Heat here: testable on its own."""

from heat_docker import spec
from heat_docker.spec import MAP
from heat_docker.spec import STRING
from heat_docker.spec import Prop

DEFAULT_DRIVER = 'local'

PROPERTIES = {
    'name': Prop(
        STRING,
        'Name of the volume. When absent, Heat makes one from the stack '
        'and resource names.',
        api='Name',
    ),
    'driver': Prop(
        STRING, 'Volume driver.', api='Driver', default=DEFAULT_DRIVER
    ),
    'driver_opts': Prop(
        MAP,
        "Options of the volume's driver (for local: type, o, device).",
        api='Options',
    ),
    'labels': Prop(
        MAP, "Labels of the volume, beside Heat's own.", api='Labels'
    ),
    'docker_endpoint': Prop(
        STRING,
        'Docker Engine endpoint of the volume (unix://, tcp:// or ssh:// '
        'URL); the default endpoint when absent.',
    ),
}

# Attributes: name -> (description, how it reads GET /volumes/{name}).
ATTRIBUTES = {
    'name': ('The name of the volume.', lambda info: info['Name']),
    'mountpoint': (
        "Where the volume's data is on the Docker host.",
        lambda info: info.get('Mountpoint'),
    ),
    'driver': ('The driver of the volume.', lambda info: info.get('Driver')),
}


def create_arguments(values, name, labels):
    """docker-py's ``create_volume`` arguments: Heat's labels over the
    template's."""
    return {
        'name': name,
        'driver': values.get('driver') or DEFAULT_DRIVER,
        'driver_opts': values.get('driver_opts') or None,
        'labels': {**(values.get('labels') or {}), **labels},
    }


def replacement_clashes(before, after):
    """What a replacement made as ``after`` says, beside the volume
    ``before`` made, would share with it."""
    name = spec.name_kept(before, after)
    if name:
        return ['the name "%s", which Docker gives the same volume' % name]
    return []
