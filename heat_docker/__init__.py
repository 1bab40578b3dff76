"""Heat resource types for Docker, driven through the Docker Engine API."""

__version__ = '0.1.0'


def resource_mapping():
    from heat_docker.resources import container
    from heat_docker.resources import image
    from heat_docker.resources import legacy
    from heat_docker.resources import network
    from heat_docker.resources import volume

    return {
        **container.resource_mapping(),
        **image.resource_mapping(),
        **legacy.resource_mapping(),
        **network.resource_mapping(),
        **volume.resource_mapping(),
    }


def available_resource_mapping():
    return resource_mapping()
