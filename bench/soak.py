"""Soak: stacks created, updated in place and deleted concurrently, round
after round, by ``heat-docker`` processes sharing one state directory.

    python bench/soak.py [--stacks 4] [--containers 10] [--rounds 20]

DOCKER_HOST names the engine (bench/soak starts a private one). Every
action must succeed, every update must keep the containers (in place), and
after each round no container labelled with a soak stack may remain. It
prints one line per round and a summary; any failure ends it non-zero.
"""

import argparse
import concurrent.futures
import json
import pathlib
import subprocess
import sys
import tempfile
import time

import docker
import yaml

IMAGE = 'localhost/heat-docker/busybox:latest'
CMD = ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1 & wait; done']
HEAT_DOCKER = pathlib.Path(sys.executable).with_name('heat-docker')
LABEL = 'org.openstack.heat.stack-name'


def template(containers, memory):
    return {
        'heat_template_version': '2021-04-16',
        'resources': {
            'c%d' % i: {
                'type': 'DockerInc::Docker::Container',
                'properties': {'image': IMAGE, 'cmd': CMD, 'memory': memory},
            }
            for i in range(containers)
        },
    }


def heat_docker(state, *args):
    done = subprocess.run(
        [str(HEAT_DOCKER), '--state-dir', str(state), *args],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError('%s: %s' % (' '.join(args[:3]), done.stderr))
    return done.stdout


def container_ids(api, name):
    found = api.containers(
        all=True, filters={'label': '%s=%s' % (LABEL, name)}
    )
    return sorted(c['Id'] for c in found)


def one_stack(state, workdir, api, name, containers):
    """Create, update in place, delete; the seconds of each."""
    times = []
    for memory, args in (
        ('32m', ['stack', 'create', name]),
        ('48m', ['stack', 'update', name]),
    ):
        path = workdir / ('%s-%s.yaml' % (name, memory))
        path.write_text(yaml.safe_dump(template(containers, memory)))
        start = time.monotonic()
        heat_docker(state, *args, '-t', str(path), '--wait')
        times.append(time.monotonic() - start)
        if memory == '32m':
            created = container_ids(api, name)
    if container_ids(api, name) != created:
        raise RuntimeError('%s: the update replaced containers' % name)
    start = time.monotonic()
    heat_docker(state, 'stack', 'delete', name, '--yes', '--wait')
    times.append(time.monotonic() - start)
    if container_ids(api, name):
        raise RuntimeError('%s: containers left after delete' % name)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--stacks', type=int, default=4)
    parser.add_argument('--containers', type=int, default=10)
    parser.add_argument('--rounds', type=int, default=20)
    parser.add_argument('--out', default='bench/results/soak.json')
    args = parser.parse_args()
    api = docker.from_env(version='auto').api
    rounds = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as workdir:
        workdir = pathlib.Path(workdir)
        state = workdir / 'state'
        with concurrent.futures.ThreadPoolExecutor(args.stacks) as pool:
            for round_number in range(args.rounds):
                begun = time.monotonic()
                names = [
                    'soak-%d-%d' % (round_number, i)
                    for i in range(args.stacks)
                ]
                times = list(
                    pool.map(
                        lambda n: one_stack(
                            state, workdir, api, n, args.containers
                        ),
                        names,
                    )
                )
                leaked = api.containers(all=True, filters={'label': LABEL})
                leaked = [
                    c for c in leaked if c['Labels'][LABEL].startswith('soak-')
                ]
                if leaked:
                    raise RuntimeError(
                        'round %d leaked %d containers'
                        % (round_number, len(leaked))
                    )
                rounds.append(
                    {'seconds': time.monotonic() - begun, 'stacks': times}
                )
                print(
                    'round %2d: %.1f s (create, update, delete of the '
                    'slowest stack: %s)'
                    % (
                        round_number,
                        rounds[-1]['seconds'],
                        ', '.join('%.1f' % t for t in max(times)),
                    ),
                    flush=True,
                )
    total = time.monotonic() - started
    summary = {
        'stacks': args.stacks,
        'containers_per_stack': args.containers,
        'rounds': args.rounds,
        'actions': 3 * args.stacks * args.rounds,
        'failed_actions': 0,
        'leaked_containers': 0,
        'seconds': total,
        'per_round': rounds,
    }
    pathlib.Path(args.out).write_text(json.dumps(summary, indent=1) + '\n')
    print(
        '%d rounds of %d stacks x %d containers: %d actions, none failed, '
        'nothing leaked, %.0f s'
        % (
            args.rounds,
            args.stacks,
            args.containers,
            summary['actions'],
            total,
        )
    )


if __name__ == '__main__':
    main()
