"""What the Docker engine would refuse, refused at template validate.

The rules are moby's own (Docker 20.10, Engine API 1.41, Linux: the
daemon's verifyContainerSettings and verifyPlatformContainerSettings,
runconfig's decode checks, the mount and log-option parsers, and what runc
refuses at start), written per Engine API field. They look at the fields
each property contributes, the same contributions the create body is built
from, so a value set through ``api_host_config`` meets the same rule as
its typed property, and a refusal names the property that set it. A rule
that depends on the host (its CPUs, its cgroup version, its plugins) is
left to the engine. Plain functions: no Heat, no Docker calls.
"""

from heat_docker import container_spec as cspec
from heat_docker.validation import config_rules  # noqa: F401 (registers)
from heat_docker.validation import mount_rules  # noqa: F401 (registers)
from heat_docker.validation import network_rules  # noqa: F401 (registers)
from heat_docker.validation import resource_rules  # noqa: F401 (registers)
from heat_docker.validation.common import RULES
from heat_docker.validation.engine_host import HOST_RULES


def _effective(values):
    """The fields ``values`` send, as the create body has them, each with
    the property that set it last (a typed property over an escape
    hatch): ``(body, {path: property})``."""
    body, setters = {}, {}
    for name, path, value in cspec.contributions(values):
        cspec.spec.merge_into(body, path, value)
        setters[path] = name
    return body, setters


def problems(values):
    """``[(property, message)]`` for what the engine would refuse."""
    body, setters = _effective(values)
    found = []
    for path, name in setters.items():
        value = cspec.spec.dig(body, path)
        for check in RULES.get(path, ()):
            message = check(value, body)
            if message:
                found.append((name, '%s %s' % (path, message)))
    return found


def host_problems(values, info):
    """``[(property, message)]`` for what this engine's host refuses:
    ``info`` is its ``GET /info``."""
    body, setters = _effective(values)
    found = []
    for path, name in setters.items():
        check = HOST_RULES.get(path)
        message = check and check(cspec.spec.dig(body, path), info)
        if message:
            found.append((name, '%s %s' % (path, message)))
    return found
