"""A small vocabulary for declaring resource properties once.

Each property is one :class:`Prop`: its type, constraints, description, the
Docker Engine API field it fills, how it updates and the API version it
needs. The Heat schema (``heat_docker.resources.base``), the translation to
Engine API bodies and back, update-versus-replace and the docs are all
derived from these entries. Nothing here imports Heat, so the translation is
testable on its own.
"""

from collections.abc import Callable
import dataclasses
import hashlib
import re
from typing import Any

from docker.utils import utils as docker_utils

STRING, INTEGER, NUMBER, BOOLEAN, LIST, MAP, ANY = (
    'String',
    'Integer',
    'Number',
    'Boolean',
    'List',
    'Map',
    'Any',
)

# The networks every Docker engine has, which no user network may be.
PREDEFINED_NETWORKS = frozenset(('bridge', 'default', 'host', 'none'))

# How a change to a property reaches a running container.
REPLACE = 'replace'  # a new container replaces the old one
LIVE = 'live'  # POST /containers/{id}/update
RENAME = 'rename'  # POST /containers/{id}/rename
# POST /networks/{id}/connect and /disconnect
CONNECT = 'connect'
NO_CONTAINER_CHANGE = 'none'  # affects Heat's handling only, not the container


class InvalidValue(ValueError):
    """A property value that its schema admits but the API cannot take."""

    def __init__(self, prop, message):
        self.prop = prop
        self.message = message
        super().__init__('%s: %s' % (prop, message))


@dataclasses.dataclass(frozen=True)
class Range:
    min: float | None = None
    max: float | None = None


@dataclasses.dataclass(frozen=True)
class Allowed:
    values: tuple


@dataclasses.dataclass(frozen=True)
class Pattern:
    """A regular expression the whole value must match, as Heat checks it."""

    regex: str
    description: str


@dataclasses.dataclass(frozen=True)
class Prop:
    """One property: what it is, and where it goes in the Engine API.

    ``api`` is the field's path in ``docker inspect`` output
    (``Config.Hostname``, ``HostConfig.Memory``); the create body uses the
    same names. ``expand`` turns a validated value into ``{path: value}``
    contributions (by default the value itself at ``api``); ``flatten`` reads
    the value back from inspect (by default the field at ``api``). A
    property with neither ``api`` nor ``expand`` steers Heat's handling only.
    """

    type: str
    description: str
    api: str | None = None
    expand: Callable[[Any], dict] | None = None
    flatten: Callable[[dict], Any] | None = None
    update: str = REPLACE
    min_api: str | None = None
    default: Any = None
    required: bool = False
    constraints: tuple = ()
    schema: Any = None  # dict of Props for a MAP, one Prop for LIST items
    secret: bool = False

    def contributions(self, value):
        if self.expand is not None:
            return self.expand(value)
        if self.api is not None:
            return {self.api: value}
        return {}

    def read_back(self, inspect):
        if self.flatten is not None:
            return self.flatten(inspect)
        if self.api is not None:
            return dig(inspect, self.api)
        return None


def dig(data, path):
    for key in path.split('.'):
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


SIZE = Pattern(
    r'^\d+(\.\d+)?[bkmgBKMG]?$',
    'a size in bytes, or with a unit: 512k, 64m, 1.5g',
)
DURATION = Pattern(
    r'^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$|^\d+$',
    'a duration such as 30s, 1m30s, 500ms (bare numbers are seconds)',
)

_DURATION_UNITS = {
    'ns': 1,
    'us': 10**3,
    'ms': 10**6,
    's': 10**9,
    'm': 60 * 10**9,
    'h': 3600 * 10**9,
}


def size_bytes(value):
    return docker_utils.parse_bytes(str(value))


def duration_ns(value):
    text = str(value)
    if text.isdigit():
        return int(text) * 10**9
    return int(
        sum(
            float(n) * _DURATION_UNITS[u]
            for n, _, u in re.findall(r'(\d+(\.\d+)?)(ns|us|ms|s|m|h)', text)
        )
    )


def version_tuple(version):
    return tuple(int(p) for p in str(version).split('.'))


def unsupported(props, values, api_version, prefix=''):
    """Names of the properties set in ``values`` newer than ``api_version``."""
    found = []
    for name, prop in props.items():
        value = values.get(name) if isinstance(values, dict) else None
        if value is None:
            continue
        path = prefix + name
        if prop.min_api and (
            version_tuple(prop.min_api) > version_tuple(api_version)
        ):
            found.append((path, prop.min_api))
        if isinstance(prop.schema, dict):
            found += unsupported(prop.schema, value, api_version, path + '.')
        elif isinstance(prop.schema, Prop) and isinstance(
            prop.schema.schema, dict
        ):
            for i, item in enumerate(value or ()):
                found += unsupported(
                    prop.schema.schema,
                    item,
                    api_version,
                    '%s[%d].' % (path, i),
                )
    return found


_DIGEST = re.compile(r'sha256:[0-9a-f]{64}')


def digest(value):
    """What a secret is kept as in Heat's records: a digest, not the value.

    A digest stays as it is: Heat's records are read back through the same
    redaction (on update and delete).
    """
    if isinstance(value, str) and _DIGEST.fullmatch(value):
        return value
    return 'sha256:' + hashlib.sha256(str(value).encode()).hexdigest()


def holds_secret(prop):
    """Whether the property is a secret or has secret fields."""
    return prop.secret or (
        isinstance(prop.schema, dict)
        and any(holds_secret(p) for p in prop.schema.values())
    )


def redact(props, values):
    """``values`` with every secret replaced by its digest.

    A secret property is digested whole, or value by value for a map; the
    secret fields of a map property are digested inside it.
    """
    redacted = dict(values)
    for name, prop in props.items():
        value = values.get(name)
        if value is None:
            continue
        if prop.secret:
            redacted[name] = (
                {k: digest(v) for k, v in value.items()}
                if isinstance(value, dict)
                else digest(value)
            )
        elif isinstance(prop.schema, dict) and isinstance(value, dict):
            redacted[name] = redact(prop.schema, value)
    return redacted


def name_kept(before, after):
    """The name of a replacement as ``after`` gives it, when it is the name
    ``before`` gave the object it replaces; else None."""
    name = after.get('name')
    return name if name and name == before.get('name') else None


def merge_into(target, path, value):
    """Put ``value`` at ``path``; lists extend and maps merge."""
    *parents, leaf = path.split('.')
    for key in parents:
        target = target.setdefault(key, {})
    current = target.get(leaf)
    if isinstance(current, list) and isinstance(value, list):
        target[leaf] = current + [v for v in value if v not in current]
    elif isinstance(current, dict) and isinstance(value, dict):
        target[leaf] = {**current, **value}
    else:
        target[leaf] = value
