"""OS::Heat::Docker: the 2013 plugin's type, with its CamelCase names.

A thin alias onto :class:`DockerContainer` so CFN-format templates written
for the first Docker plugin run unchanged.
"""

from heat_docker import container_spec as cspec
from heat_docker import container_state
from heat_docker.resources import base
from heat_docker.resources import container

PROPERTIES_2013 = (
    'image',
    'cmd',
    'env',
    'docker_endpoint',
    'hostname',
    'user',
    'memory',
    'port_specs',
    'privileged',
    'tty',
    'open_stdin',
    'stdin_once',
    'dns',
    'volumes',
    'volumes_from',
)
ATTRIBUTES_2013 = (
    'info',
    'network_info',
    'network_ip',
    'network_tcp_ports',
    'network_udp_ports',
    'logs',
    'logs_head',
    'logs_tail',
)


def camel(name):
    return ''.join(part.capitalize() for part in name.split('_'))


class DockerContainer2013(container.DockerContainer):
    """The 2013 Docker plugin's container, kept for its templates."""

    PROPERTIES = tuple(camel(n) for n in PROPERTIES_2013)
    ATTRIBUTES = tuple(camel(n) for n in ATTRIBUTES_2013)

    properties_schema = base.heat_properties(
        {n: cspec.PROPERTIES[n] for n in PROPERTIES_2013}, rename=camel
    )
    attributes_schema = base.heat_attributes(
        {n: container_state.ATTRIBUTES[n] for n in ATTRIBUTES_2013},
        rename=camel,
    )
    SPEC_ATTRIBUTES = {camel(n): n for n in ATTRIBUTES_2013}

    template_name = staticmethod(camel)


def resource_mapping():
    return {'OS::Heat::Docker': DockerContainer2013}
