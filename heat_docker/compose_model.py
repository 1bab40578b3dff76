"""Places in Compose's model of a project, and the variables they hold.

A place is a path in the model (``services.web.ports.0.published``);
:func:`locate` finds which places hold each variable of the project, as
it is, by asking Compose for the model again with the variable changed.
No Heat here.
"""

import dataclasses
import os
import re

# Sections of the model whose entries are named, as the messages say them.
SECTIONS = {
    'services': 'service',
    'networks': 'network',
    'volumes': 'volume',
    'secrets': 'secret',
    'configs': 'config',
}
# Added to a variable's value, they change the structure of what Compose
# parses (short forms, command lines), not a value it takes as it is.
SEPARATORS = 'w x:y=z,/'
# $$, $NAME, ${NAME}, ${NAME<op><argument>}
REFERENCE = re.compile(
    r'\$(?:\$|([A-Za-z_]\w*)|\{([A-Za-z_]\w*)'
    r'(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\})'
)


@dataclasses.dataclass
class Variable:
    """A variable of the project: its value at conversion, the places of
    the model that hold it as it is (path -> (start, end, verbatim): where
    in the string there, None for a whole number; verbatim where any text
    would be held as it is, not parsed), and those that hold it otherwise
    (path -> why it is frozen there; path None for everywhere)."""

    value: str | None = None
    placements: dict = dataclasses.field(default_factory=dict)
    frozen: dict = dataclasses.field(default_factory=dict)


def locate(model, raw, environment, ask):
    """Where each variable of ``raw`` is in ``model``: Compose is asked
    again with the variable changed (``ask(env)``: a future of its model
    then, None if it refuses it), and a place holds the variable as it is
    when its value changed by exactly that; and asked once more with
    separators added, to tell the places that take any text from those
    where Compose parses it (short forms, command lines)."""
    variables = {}
    for name, forms in _forms(raw, model).items():
        variable = variables[name] = Variable()
        values = {_resolve(name, form, environment) for form in forms}
        if len(values) != 1 or None in values:
            variable.frozen[None] = (
                'it is used with several defaults, nested, or with :+'
            )
            continue
        variable.value = values.pop()
    asked = {}
    for name, variable in variables.items():
        if variable.value is not None and not name.startswith('COMPOSE_'):
            for value in (_perturbed(variable.value), _odd(variable.value)):
                asked[name, value] = ask({**os.environ, name: value})
    before = dict(_flatten(model))
    for name, variable in variables.items():
        if (name, _odd(variable.value)) not in asked:
            continue
        after = _answer(asked[name, _perturbed(variable.value)])
        if after is None:
            variable.frozen[None] = 'Compose refuses other values of it'
            continue
        _compare(variable, before, after, _perturbed(variable.value))
        odd = _answer(asked[name, _odd(variable.value)]) or {}
        for path, (start, end, _) in variable.placements.items():
            if start is not None:
                text = before[path]
                verbatim = odd.get(path) == (
                    text[:start] + _odd(variable.value) + text[end:]
                )
                variable.placements[path] = (start, end, verbatim)
    return variables


def _answer(future):
    """The flattened model Compose gave, or None if it refused."""
    model = future.result()
    return None if model is None else dict(_flatten(model))


def _odd(value):
    return (value or '') + SEPARATORS


def _compare(variable, before, after, perturbed):
    """Places of ``variable``: (start, end, False) in a string, or (None,
    None, False) for a whole number."""
    value = variable.value
    for path in before.keys() | after.keys():
        old, new = before.get(path, KeyError), after.get(path, KeyError)
        if old == new:
            continue
        if isinstance(old, str) and isinstance(new, str):
            spans = [
                i
                for i in range(len(old) - len(value) + 1)
                if old[i : i + len(value)] == value
                and old[:i] + perturbed + old[i + len(value) :] == new
            ]
            if len(spans) == 1:
                start = spans[0]
                variable.placements[path] = (start, start + len(value), False)
                continue
        elif (
            type(old) in (int, float)
            and type(new) is type(old)
            and _number(value) == old
            and _number(perturbed) == new
        ):
            variable.placements[path] = (None, None, False)
            continue
        variable.frozen[path] = (
            'a boolean'
            if isinstance(old, bool)
            else 'Compose converts it there (a size, a short form, a '
            'command line...)'
        )


def _number(text):
    try:
        return float(text)
    except ValueError:
        return None


def _perturbed(value):
    """Another value of the same shape, that Compose should take too."""
    if value.lower() in ('true', 'false'):
        return 'false' if value.lower() == 'true' else 'true'
    digits = [i for i, c in enumerate(value) if c.isdigit()]
    if digits:
        i = digits[-1]
        digit = int(value[i])
        return value[:i] + str(digit - 1 if digit else 1) + value[i + 1 :]
    return value + 'z9'


def _resolve(name, form, environment):
    """The value ``${NAME<op><argument>}`` gets, as Compose interpolates;
    None where it is not the variable's own value."""
    op, argument = form
    if '$' in argument or op in (':+', '+'):
        return None
    if op == ':-':
        return environment.get(name) or argument
    if op == '-':
        return environment.get(name, argument)
    return environment.get(name, '')


def _flatten(data, path=()):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _flatten(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _flatten(value, (*path, i))
    else:
        yield path, data


def _strings(data):
    return ((p, v) for p, v in _flatten(data) if isinstance(v, str))


def references(raw, model):
    """(where, name, (op, argument)) of each variable reference in the
    model with no interpolation, in what the model has (that one has every
    profile's services); ``where`` is (section, entry, key)."""
    for path, text in _strings(raw):
        place = where(path)
        if any(str(p).startswith('x-') for p in place) or (
            len(place) > 1 and place[1] not in model.get(place[0], {})
        ):
            continue
        for match in REFERENCE.finditer(text):
            name = match.group(1) or match.group(2)
            if name:
                yield place, name, (match[3] or '', match[4] or '')


def _forms(raw, model):
    forms = {}
    for _, name, form in references(raw, model):
        forms.setdefault(name, set()).add(form)
    return forms


def where(path):
    """The place of ``path``: (section, entry, key) in a named section,
    else (top-level key,)."""
    return tuple(path[:3]) if path[0] in SECTIONS else tuple(path[:1])


def describe(place):
    if place[0] in SECTIONS and len(place) > 1:
        return '%s %s: %s' % (
            SECTIONS[place[0]],
            place[1],
            '.'.join(map(str, place[2:])) or '(itself)',
        )
    return 'top-level %s' % place[0]
