"""How the standalone engine's changes to Heat are told and checked.

A :class:`Patch` says what it replaces, why, the shape it expects of its
target, and how it applies. :func:`check` refuses a target that is gone
or has changed, naming the library that holds it and its version; the
``expect`` builders below state the shapes. The changes themselves are in
:mod:`heat_docker.standalone.patches`.
"""

from collections.abc import Callable
import dataclasses
import importlib
from importlib import metadata
import inspect
from typing import Any


class HeatChanged(RuntimeError):
    """A target of a patch is not what the patch was written for."""


@dataclasses.dataclass(frozen=True)
class Patch:
    target: str  # the dotted name of what is replaced or set
    why: str
    expect: Callable[[Any], str | None]  # what is wrong with it, or None
    apply: Callable[[], None]


def resolve(target):
    """The object at dotted ``target``: a module, then attributes."""
    parts = target.split('.')
    for split in range(len(parts), 0, -1):
        try:
            value = importlib.import_module('.'.join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            value = getattr(value, name)
        return value
    raise ImportError(target)


def check(patch):
    try:
        problem = patch.expect(resolve(patch.target))
    except (ImportError, AttributeError):
        problem = 'is gone'
    if problem:
        raise HeatChanged(
            'heat-docker %s cannot run its engine on %s: %s %s. The '
            'standalone engine replaces it (%s); see '
            'heat_docker/standalone/patches.py.'
            % (
                metadata.version('heat-docker'),
                owner(patch.target),
                patch.target,
                problem,
                patch.why,
            )
        )


def owner(target):
    """The distribution that holds dotted ``target``, and its version."""
    package = target.split('.')[0]
    [distribution, *_] = metadata.packages_distributions()[package]
    return '%s %s' % (distribution, metadata.version(distribution))


# What a target is expected to be.


def parameters(*names):
    def expect(function):
        found = tuple(inspect.signature(function).parameters)
        if found[: len(names)] != names:
            return 'takes (%s), not (%s)' % (
                ', '.join(found),
                ', '.join(names),
            )
        return None

    return expect


def instance_of(*kinds):
    def expect(value):
        if not isinstance(value, kinds):
            return 'is %r' % (value,)
        return None

    return expect


def used_in(module, *uses):
    """The target is used in ``module``'s source as ``uses`` say."""

    def expect(_value):
        source = inspect.getsource(importlib.import_module(module))
        missing = [use for use in uses if use not in source]
        if missing:
            return 'is no longer used as %s in %s' % (
                ' and '.join(missing),
                module,
            )
        return None

    return expect


def has_attributes(*names):
    def expect(pool_class):
        made = pool_class(lambda: None)
        missing = [name for name in names if not hasattr(made, name)]
        if missing:
            return 'has no %s' % ', '.join(missing)
        return None

    return expect
