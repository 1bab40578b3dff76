"""What a Dockerfile has the Docker engine fetch: the images it builds on
and the URLs it downloads, read as the builder reads them (its variables
replaced, its ONBUILD triggers counted), for the policy to judge. No Heat
and no Docker calls here."""

import dataclasses
import io
import json
import re

from dockerfile_parse import DockerfileParser


@dataclasses.dataclass
class DockerfileSources:
    """What a Dockerfile has the engine take from elsewhere."""

    # FROM images and COPY/ADD --from images, less its own stages and
    # scratch, as the builder names them once its variables are replaced.
    images: list = dataclasses.field(default_factory=list)
    # ADD sources the engine downloads.
    urls: list = dataclasses.field(default_factory=list)
    # Images and ADD sources with a variable Heat cannot resolve.
    unread: list = dataclasses.field(default_factory=list)


# $NAME, ${NAME}, ${NAME:-default} and ${NAME:+alternative}: the forms the
# builder replaces in FROM, COPY and ADD.
_VARIABLE = re.compile(r'\$(?:(\w+)|\{(\w+)(?:(:[-+])([^}$]*))?\})')


def _expand(word, variables, strict=False):
    """``word`` with its variables replaced as the builder does (unset
    ones by nothing); None if a ``$`` is left that Heat cannot read, or,
    ``strict``, a variable ``variables`` do not declare (the base image's
    ENV may set it)."""
    unknown = []

    def replace(match):
        name = match.group(1) or match.group(2)
        if name not in variables:
            unknown.append(name)
        value = variables.get(name) or ''
        operator, word = match.group(3), match.group(4)
        if operator == ':-':
            return value or word
        if operator == ':+':
            return word if value else ''
        return value

    expanded = _VARIABLE.sub(replace, word)
    if '$' in expanded or (strict and unknown):
        return None
    return expanded


def _arguments(value):
    """The flags (--from=...) and the words of a COPY or ADD, in its
    shell or JSON form."""
    flags = []
    rest = value.strip()
    while rest.startswith('--'):
        flag, _, rest = rest.partition(' ')
        flags.append(flag)
        rest = rest.lstrip()
    if rest.startswith('['):
        try:
            words = json.loads(rest)
        except ValueError:
            words = None
        if isinstance(words, list) and all(isinstance(w, str) for w in words):
            return flags, words
    return flags, rest.split()


def dockerfile_sources(dockerfile, build_args=None, env=None):
    """The images a Dockerfile builds on and the URLs it downloads, its
    variables replaced from its ARG and ENV lines, ``build_args`` and
    ``env`` (the ENV of the image it runs on, for a base image's ONBUILD
    triggers). Instructions under ONBUILD count: they run in the builds
    of the images built on this one."""
    parser = DockerfileParser(
        fileobj=io.BytesIO((dockerfile or '').encode()),
        build_args={k: str(v) for k, v in (build_args or {}).items()},
    )
    sources = DockerfileSources()
    stages = set()
    global_args = {}  # the ARGs before the first FROM: what FROM sees
    seen_from = False

    def image(name, variables, strict):
        expanded = _expand(name, variables, strict)
        if expanded is None:
            sources.unread.append(name)
        elif (
            expanded.lower() not in stages | {'scratch'}
            and not expanded.isdigit()
            and expanded not in sources.images
        ):
            sources.images.append(expanded)

    for item, context in zip(
        parser.structure, parser.context_structure, strict=True
    ):
        instruction, value = item['instruction'], item['value']
        if instruction == 'ONBUILD':
            instruction, _, value = value.strip().partition(' ')
            instruction = instruction.upper()
        if instruction == 'ARG' and not seen_from:
            global_args = dict(context.args)
        elif instruction == 'FROM':
            seen_from = True
            words = [w for w in value.split() if not w.startswith('--')]
            if words:
                image(words[0], global_args, strict=False)
            if len(words) >= 3 and words[1].upper() == 'AS':
                stages.add(words[2].lower())
        elif instruction in ('COPY', 'ADD'):
            variables = {**(env or {}), **context.args, **context.envs}
            flags, words = _arguments(value)
            for flag in flags:
                if flag.startswith('--from='):
                    image(flag.split('=', 1)[1], variables, strict=True)
            for source in words[:-1] if instruction == 'ADD' else ():
                expanded = _expand(source, variables, strict=True)
                if expanded is None:
                    sources.unread.append(source)
                elif expanded.lower().startswith(('http://', 'https://')):
                    sources.urls.append(expanded)
    return sources


def environment(env):
    """``{name: value}`` of an image's ``Config.Env`` list."""
    return dict(item.split('=', 1) for item in env or () if '=' in item)
