"""Heat resource types for Docker, driven through the Docker Engine API."""

__version__ = '0.1.0'


def resource_mapping():
    from heat_docker.resources import container
    from heat_docker.resources import legacy

    return {**container.resource_mapping(), **legacy.resource_mapping()}


def available_resource_mapping():
    return resource_mapping()
