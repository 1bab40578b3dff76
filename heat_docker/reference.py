"""The resource types' reference, rendered from their Heat schemas.

Each schema derives from its type's property table (:mod:`heat_docker.spec`
entries), so the reference says what the tables say and nothing else.
``python -m heat_docker.reference > doc/resource-types.rst`` writes it;
``tests/test_reference.py`` fails when the committed copy is out of date.
"""

import json
import sys
import textwrap

from oslo_service import backend

import heat_docker

TITLE = 'Resource types'
WIDTH = 79
INDENT = '    '


def render():
    """The reference of every type in ``heat_docker.resource_mapping()``,
    as reStructuredText."""
    # Heat's imports would settle oslo.service on eventlet; the standalone
    # engine, which may share the process (the tests), runs on threads.
    backend.init_backend(backend.BackendType.THREADING)
    lines = [
        '=' * len(TITLE),
        TITLE,
        '=' * len(TITLE),
        '',
        *_wrapped(
            'Generated from the property tables by ``python -m '
            'heat_docker.reference``; do not edit. ``heat-docker resource '
            'type show TYPE`` shows the same schema.',
            '',
        ),
    ]
    for name, cls in sorted(heat_docker.resource_mapping().items()):
        lines += ['', name, '-' * len(name), '']
        lines += _wrapped(_first_paragraph(cls.__doc__), '')
        lines += ['', 'Properties', '~' * len('Properties'), '']
        for prop, schema in sorted(cls.properties_schema.items()):
            lines += _property(prop, schema, '', top=True)
        lines += ['Attributes', '~' * len('Attributes'), '']
        # Heat adds its own (show) to a type's schema once it makes one.
        attributes = {**cls.base_attributes_schema, **cls.attributes_schema}
        for attribute, schema in sorted(attributes.items()):
            lines += ['``%s``' % attribute]
            lines += _wrapped(schema.description, INDENT) + ['']
    return '\n'.join(lines) + '\n'


def _property(name, schema, indent, top=False):
    from heat.engine import constraints

    facts = [schema.type]
    if schema.required:
        facts.append('required')
    lines = ['%s``%s`` (%s)' % (indent, name, ', '.join(facts))]
    body = indent + INDENT
    lines += _wrapped(schema.description or '', body)
    notes = []
    if schema.default is not None:
        default = schema.default
        if not isinstance(default, str):
            default = json.dumps(default)  # as a template writes it
        notes.append('Default: ``%s``.' % default)
    notes += [_constraint(c) for c in schema.constraints]
    if top:
        notes.append(
            'Updates without replacement.'
            if schema.update_allowed
            else 'An update of it replaces the resource.'
        )
    if notes:
        lines += [''] + _wrapped(' '.join(notes), body)
    lines.append('')
    nested = schema.schema
    if isinstance(nested, constraints.AnyIndexDict):
        lines += _property('%s[]' % name, nested['*'], body)
    elif nested:
        for key, item in sorted(nested.items()):
            lines += _property('%s.%s' % (name, key), item, body)
    return lines


def _constraint(constraint):
    from heat.engine import constraints

    if isinstance(constraint, constraints.AllowedValues):
        return 'One of: %s.' % ', '.join(
            '``%s``' % value for value in constraint.allowed
        )
    if isinstance(constraint, constraints.Range):
        bounds = [
            '%s %s' % (word, value)
            for word, value in (
                ('at least', constraint.min),
                ('at most', constraint.max),
            )
            if value is not None
        ]
        return 'Must be %s.' % ' and '.join(bounds)
    if isinstance(constraint, constraints.AllowedPattern):
        if constraint.description:
            return _sentence(constraint.description)
        return 'Must match ``%s``.' % constraint.pattern
    return _sentence(constraint.description or type(constraint).__name__)


def _sentence(text):
    return text[0].upper() + text[1:].rstrip('.') + '.'


def _first_paragraph(doc):
    return ' '.join((doc or '').strip().split('\n\n')[0].split())


def _wrapped(text, indent):
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


if __name__ == '__main__':
    sys.stdout.write(render())
