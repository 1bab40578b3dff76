"""Time stacks of containers through a tools/heat-cloud cloud, beside the
standalone heat-docker command on the same Docker endpoint.

    bench/cloud.py --cloud DIR [--ns 1,10,50] [--runs 3] [--out FILE]

Methods, each a create (``--wait``) and a delete (``--yes --wait``) of N
independent containers, taking turns run by run:

``cloud``
    A create and a delete through heat-api as the cloud's ``demo`` member
    (Keystone token, RabbitMQ, two heat-engines on MariaDB), timed from
    the request to the stack's end state, polled every 0.1 s: the engines'
    time. (``openstack stack create --wait`` adds its start-up and its
    event polls, every 5 s.)
``cloud-fanned``
    The same containers, all depending on one ``OS::Heat::None`` and
    depended on by another: the template shape that keeps Heat from
    staggering independent resources by a second each.
``standalone``
    ``heat-docker stack create --wait`` and ``stack delete --yes --wait``:
    the whole command, Heat's engine in its process.
"""

import argparse
import json
import os
import pathlib
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

IMAGE = 'localhost/heat-docker/busybox:latest'
CMD = ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1 & wait; done']
HEAT_DOCKER = pathlib.Path(sys.executable).with_name('heat-docker')


def template(n, fanned):
    container = {
        'type': 'DockerInc::Docker::Container',
        'properties': {'image': IMAGE, 'cmd': CMD},
    }
    resources = {'c%d' % i: dict(container) for i in range(n)}
    if fanned:
        for body in resources.values():
            body['depends_on'] = ['start']
        resources['start'] = {'type': 'OS::Heat::None'}
        resources['end'] = {
            'type': 'OS::Heat::None',
            'depends_on': ['c%d' % i for i in range(n)],
        }
    return {'heat_template_version': '2021-04-16', 'resources': resources}


def exported(path):
    found = {}
    for line in pathlib.Path(path).read_text().splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == 'export' and '=' in words[1]:
            key, value = words[1].split('=', 1)
            found[key] = os.path.expandvars(value)
    return found


def timed(argv, env):
    start = time.monotonic()
    subprocess.run(argv, env=env, check=True, capture_output=True)
    return time.monotonic() - start


def heat_client(env):
    from heatclient import client
    from keystoneauth1 import session
    from keystoneauth1.identity import v3

    auth = v3.Password(
        auth_url=env['OS_AUTH_URL'],
        username=env['OS_USERNAME'],
        password=env['OS_PASSWORD'],
        project_name=env['OS_PROJECT_NAME'],
        user_domain_name=env['OS_USER_DOMAIN_NAME'],
        project_domain_name=env['OS_PROJECT_DOMAIN_NAME'],
    )
    return client.Client('1', session=session.Session(auth=auth))


def until(heat, stack_id, done):
    from heatclient import exc

    while True:
        try:
            status = heat.stacks.get(stack_id).stack_status
        except exc.HTTPNotFound:
            status = 'DELETE_COMPLETE'
        if status in done:
            return status
        assert not status.endswith('FAILED'), status
        time.sleep(0.1)


def through_api(heat, body, name):
    start = time.monotonic()
    stack_id = heat.stacks.create(stack_name=name, template=body)['stack'][
        'id'
    ]
    until(heat, stack_id, ('CREATE_COMPLETE',))
    create = time.monotonic() - start
    start = time.monotonic()
    heat.stacks.delete(stack_id)
    until(heat, stack_id, ('DELETE_COMPLETE',))
    return create, time.monotonic() - start


def run_once(method, n, env, heat, workdir):
    body = template(n, method == 'cloud-fanned')
    name = 'bench-%s-%d-%d' % (method, n, time.monotonic_ns())
    if method != 'standalone':
        return through_api(heat, body, name)
    path = workdir / ('%d.yaml' % n)
    path.write_text(yaml.safe_dump(body))
    command = [str(HEAT_DOCKER), '--state-dir', str(workdir / 'state')]
    create = timed(
        [*command, 'stack', 'create', '--wait', '-t', str(path), name], env
    )
    delete = timed([*command, 'stack', 'delete', '--yes', '--wait', name], env)
    return create, delete


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cloud', required=True, help='tools/heat-cloud DIR')
    parser.add_argument('--ns', default='1,10,50')
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--out', default='bench/results/cloud.json')
    args = parser.parse_args()

    cloud = pathlib.Path(args.cloud)
    facts = exported(cloud / 'cloud.env')
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith('OS_')},
        **exported(cloud / 'demo-openrc'),
        'DOCKER_HOST': facts['HEAT_CLOUD_DOCKER_HOST'],
    }
    env['PATH'] = '%s/bin:%s' % (facts['HEAT_CLOUD_VENV'], os.environ['PATH'])
    methods = ['cloud', 'cloud-fanned', 'standalone']
    heat = heat_client(env)
    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        workdir = pathlib.Path(workdir)
        for n in [int(x) for x in args.ns.split(',')]:
            for run in range(args.runs):
                for method in methods[run % 3 :] + methods[: run % 3]:
                    create, delete = run_once(method, n, env, heat, workdir)
                    row = results.setdefault('%s N=%d' % (method, n), {})
                    row.setdefault('create', []).append(create)
                    row.setdefault('delete', []).append(delete)
                    print(
                        '%-14s N=%-3d create %6.2f s  delete %6.2f s'
                        % (method, n, create, delete),
                        flush=True,
                    )
    pathlib.Path(args.out).write_text(json.dumps(results, indent=1) + '\n')
    print('\n%-20s %14s %14s' % ('case', 'create (med)', 'delete (med)'))
    for case, row in results.items():
        print(
            '%-20s %12.2f s %12.2f s'
            % (
                case,
                statistics.median(row['create']),
                statistics.median(row['delete']),
            )
        )


if __name__ == '__main__':
    main()
