"""Templates of the 2013 plugin (OS::Heat::Docker, CFN format) still run."""

from conftest import IMAGE


def test_2013_cfn_template_runs_on_the_same_implementation(
    stacks, docker_host
):
    template = {
        'AWSTemplateFormatVersion': '2010-09-09',
        'Parameters': {'Greeting': {'Type': 'String', 'Default': 'hi'}},
        'Resources': {
            'Db': {
                'Type': 'OS::Heat::Docker',
                'Properties': {
                    'DockerEndpoint': docker_host,
                    'Image': IMAGE,
                    'Cmd': [
                        'sh',
                        '-c',
                        'echo "$GREETING there"; echo done; exec sleep 1000',
                    ],
                    'Env': [
                        {'Fn::Join': ['', ['GREETING=', {'Ref': 'Greeting'}]]}
                    ],
                    'Hostname': 'db2013',
                    'User': 'root',
                    'Memory': 33554432,
                    'PortSpecs': ['3306'],
                    'Privileged': False,
                    'Tty': False,
                    'OpenStdin': False,
                    'StdinOnce': False,
                    'Dns': ['127.0.0.1'],
                    'Volumes': {'/var/lib/db': {}},
                    'VolumesFrom': [],
                },
            },
        },
        'Outputs': {
            'Ip': {'Value': {'Fn::GetAtt': ['Db', 'NetworkIp']}},
            'Head': {'Value': {'Fn::GetAtt': ['Db', 'LogsHead']}},
            'Tail': {'Value': {'Fn::GetAtt': ['Db', 'LogsTail']}},
            'Tcp': {'Value': {'Fn::GetAtt': ['Db', 'NetworkTcpPorts']}},
            'Info': {'Value': {'Fn::GetAtt': ['Db', 'Info']}},
        },
    }
    stack = stacks.create(template, params={'Greeting': 'hello'})
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    info = stacks.container(stack, 'Db')
    assert info['Config']['Hostname'] == 'db2013'
    assert info['HostConfig']['Memory'] == 33554432
    assert '3306/tcp' in info['Config']['ExposedPorts']
    assert info['Config']['Volumes'] == {'/var/lib/db': {}}
    assert 'GREETING=hello' in info['Config']['Env']
    outputs = stacks.outputs(stack)
    assert outputs['Ip'] == info['NetworkSettings']['IPAddress'] != ''
    assert outputs['Head'] == 'hello there'
    assert outputs['Tail'] == 'done'
    assert outputs['Tcp'] == ''
    assert outputs['Info']['Id'] == info['Id']
    assert stacks.delete(stack) == 'DELETE_COMPLETE'
    assert stacks.owned_containers(stack) == []


def test_2013_type_shows_its_camel_case_schema(heat):
    schema = heat.engine.resource_schema(
        heat.context, 'OS::Heat::Docker', with_description=True
    )
    assert {
        'Image',
        'Cmd',
        'Env',
        'DockerEndpoint',
        'PortSpecs',
        'VolumesFrom',
    } <= set(schema['properties'])
    assert {
        'Info',
        'NetworkInfo',
        'NetworkIp',
        'NetworkTcpPorts',
        'NetworkUdpPorts',
        'Logs',
        'LogsHead',
        'LogsTail',
    } <= set(schema['attributes'])
