"""Heat schemas derived from :mod:`heat_docker.spec` declarations."""

from heat.engine import attributes
from heat.engine import constraints
from heat.engine import function
from heat.engine import properties
from heat.engine import support

from heat_docker import spec


def _constraint(c):
    if isinstance(c, spec.Range):
        return constraints.Range(min=c.min, max=c.max)
    if isinstance(c, spec.Allowed):
        return constraints.AllowedValues(list(c.values))
    if isinstance(c, spec.Pattern):
        return constraints.AllowedPattern(
            c.regex, description='must be %s' % c.description
        )
    raise TypeError(c)


def describe(prop):
    """The property's description with where it goes in the Engine API."""
    notes = []
    if prop.api:
        notes.append('Engine API: %s' % prop.api)
    if prop.min_api:
        notes.append('needs API %s or newer' % prop.min_api)
    if prop.update == spec.LIVE:
        notes.append('updated in place')
    elif prop.update == spec.RENAME:
        notes.append('updated in place by renaming')
    elif prop.update == spec.CONNECT:
        notes.append('connected and disconnected in place')
    return prop.description + (' (%s.)' % '; '.join(notes) if notes else '')


# Every property and attribute has been supported since this release.
SINCE = support.SupportStatus(version='0.1.0')


def heat_property(prop):
    nested = None
    if isinstance(prop.schema, dict):
        nested = {k: heat_property(p) for k, p in prop.schema.items()}
    elif isinstance(prop.schema, spec.Prop):
        nested = heat_property(prop.schema)
    return properties.Schema(
        prop.type,
        describe(prop),
        default=prop.default,
        schema=nested,
        required=prop.required,
        constraints=[_constraint(c) for c in prop.constraints],
        update_allowed=prop.update != spec.REPLACE,
        support_status=SINCE,
    )


class Redacted(function.Function):
    """A property holding secrets, as Heat keeps, shows and compares it:
    each secret resolved, then digested (``spec.redact``)."""

    def __init__(self, stack, name, prop, value):
        super().__init__(stack, name, value)
        self.prop = prop

    def result(self):
        value = function.resolve(self.args)
        return spec.redact({self.fn_name: self.prop}, {self.fn_name: value})[
            self.fn_name
        ]


def redacted(stack, secret_props, data):
    """Property ``data`` (by template name) with each of ``secret_props``
    (the properties that hold secrets) wrapped in :class:`Redacted`."""
    return {
        name: Redacted(stack, name, secret_props[name], value)
        if name in secret_props
        else value
        for name, value in data.items()
    }


def heat_properties(props, rename=lambda name: name):
    return {rename(name): heat_property(p) for name, p in props.items()}


def heat_attributes(attrs, rename=lambda name: name):
    return {
        rename(name): attributes.Schema(
            description,
            cache_mode=attributes.Schema.CACHE_NONE,
            support_status=SINCE,
        )
        for name, (description, *_how) in attrs.items()
    }
