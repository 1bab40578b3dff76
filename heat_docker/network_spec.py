"""DockerInc::Docker::Network: its properties, declared once, and the
translation to the Engine API (``POST /networks/create``), its attributes from
``GET /networks/{id}``. No Heat here: testable on its own."""

import ipaddress

from docker import types as docker_types

from heat_docker import spec
from heat_docker.spec import BOOLEAN
from heat_docker.spec import LIST
from heat_docker.spec import MAP
from heat_docker.spec import STRING
from heat_docker.spec import Prop

DEFAULT_DRIVER = 'bridge'
# The driver option that names an interface of the Docker host: the parent
# of a macvlan or ipvlan network (a dummy one when unset), the bridge of a
# bridge network (an existing bridge is joined, whoever made it).
HOST_INTERFACE_OPTIONS = {
    'macvlan': 'parent',
    'ipvlan': 'parent',
    'bridge': 'com.docker.network.bridge.name',
}

_POOL = {
    'subnet': Prop(
        STRING, 'Subnet in CIDR form, e.g. 10.42.0.0/24.', api='Subnet'
    ),
    'ip_range': Prop(
        STRING,
        'Part of the subnet that containers get addresses from (CIDR).',
        api='IPRange',
    ),
    'gateway': Prop(STRING, "The subnet's gateway address.", api='Gateway'),
    'aux_addresses': Prop(
        MAP,
        'Addresses the driver must not hand out, by host name.',
        api='AuxiliaryAddresses',
    ),
}


def _ipam(value):
    pools = [
        docker_types.IPAMPool(
            subnet=pool.get('subnet'),
            iprange=pool.get('ip_range'),
            gateway=pool.get('gateway'),
            aux_addresses=pool.get('aux_addresses'),
        )
        for pool in value.get('config') or ()
    ]
    return {
        'IPAM': docker_types.IPAMConfig(
            driver=value.get('driver') or 'default', pool_configs=pools
        )
    }


PROPERTIES = {
    'name': Prop(
        STRING,
        'Name of the network. When absent, Heat makes one from the stack '
        'and resource names.',
        api='Name',
    ),
    'driver': Prop(
        STRING, 'Network driver.', api='Driver', default=DEFAULT_DRIVER
    ),
    'options': Prop(MAP, "Options of the network's driver.", api='Options'),
    'ipam': Prop(
        MAP,
        'IP address management: its driver, and the address pools.',
        expand=_ipam,
        schema={
            'driver': Prop(STRING, 'IPAM driver.', default='default'),
            'config': Prop(
                LIST,
                'Address pools.',
                schema=Prop(MAP, 'An address pool.', schema=_POOL),
            ),
        },
    ),
    'internal': Prop(
        BOOLEAN,
        'Restrict external access to the network.',
        api='Internal',
        default=False,
    ),
    'attachable': Prop(
        BOOLEAN,
        'Let containers not created with the network attach to it later.',
        api='Attachable',
        default=False,
    ),
    'enable_ipv6': Prop(
        BOOLEAN, 'Enable IPv6 on the network.', api='EnableIPv6', default=False
    ),
    'labels': Prop(
        MAP, "Labels of the network, beside Heat's own.", api='Labels'
    ),
    'docker_endpoint': Prop(
        STRING,
        'Docker Engine endpoint of the network (unix://, tcp:// or ssh:// '
        'URL); the default endpoint when absent.',
    ),
}

# Attributes: name -> (description, how it reads GET /networks/{id}).
ATTRIBUTES = {
    'id': ('The id Docker gave the network.', lambda info: info['Id']),
    'name': ('The name of the network.', lambda info: info['Name']),
    'subnets': (
        'The subnets of the network (CIDR).',
        lambda info: [
            pool['Subnet']
            for pool in (info.get('IPAM') or {}).get('Config') or ()
            if pool.get('Subnet')
        ],
    ),
    'gateways': (
        'The gateways of its subnets.',
        lambda info: [
            pool['Gateway']
            for pool in (info.get('IPAM') or {}).get('Config') or ()
            if pool.get('Gateway')
        ],
    ),
    'containers': (
        'The containers attached to the network: id -> name and addresses.',
        lambda info: info.get('Containers') or {},
    ),
}


# docker-py's create_network keyword for each field of the create body.
_KEYWORDS = {
    'Name': 'name',
    'Driver': 'driver',
    'Options': 'options',
    'IPAM': 'ipam',
    'Internal': 'internal',
    'Attachable': 'attachable',
    'EnableIPv6': 'enable_ipv6',
    'Labels': 'labels',
}


def create_body(values, name, labels):
    """The body of ``POST /networks/create``: Heat's labels over the
    template's."""
    body = {'Name': name}
    for prop_name, prop in PROPERTIES.items():
        value = values.get(prop_name)
        if value is not None and prop_name != 'name':
            body.update(prop.contributions(value))
    body['Labels'] = {**(values.get('labels') or {}), **labels}
    return body


def create_arguments(body):
    """docker-py's ``create_network`` arguments for ``body``."""
    return {
        'check_duplicate': True,
        **{_KEYWORDS[field]: value for field, value in body.items()},
    }


def _subnets(values):
    return [
        ipaddress.ip_network(pool['subnet'], strict=False)
        for pool in (values.get('ipam') or {}).get('config') or ()
        if pool.get('subnet')
    ]


def replacement_clashes(before, after):
    """What a replacement made as ``after`` says, beside the network
    ``before`` made, would share with it."""
    clashes = []
    name = spec.name_kept(before, after)
    if name:
        clashes.append('the name "%s", which Docker gives one network' % name)
    old = _subnets(before)
    for subnet in _subnets(after):
        overlapped = [
            str(o)
            for o in old
            if o.version == subnet.version and o.overlaps(subnet)
        ]
        if overlapped:
            clashes.append(
                "the subnet %s, which overlaps the old network's %s"
                % (subnet, ', '.join(overlapped))
            )
    return clashes


def users(inspect):
    """``{container id: name}`` of the containers on the network."""
    return {
        container_id: attached.get('Name') or container_id[:12]
        for container_id, attached in (inspect.get('Containers') or {}).items()
    }


def host_interface(values):
    """``(option, interface)``: the option that names the Docker host's
    interface the network uses, and its value ('' for a macvlan or ipvlan
    network's dummy one); None for a network with no such option."""
    driver = values.get('driver') or DEFAULT_DRIVER
    option = HOST_INTERFACE_OPTIONS.get(driver)
    interface = (values.get('options') or {}).get(option)
    if option is None or (driver == DEFAULT_DRIVER and not interface):
        return None
    return option, interface or ''


def subnets(values):
    """The subnets the network's address pools set."""
    pools = (values.get('ipam') or {}).get('config') or ()
    return [pool['subnet'] for pool in pools if pool.get('subnet')]
