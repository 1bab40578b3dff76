"""What the operator lets templates have the Docker engine fetch and
build: pulls from a registry (not one on the engine's own host), a
Dockerfile's downloads and base images, build contexts, pushes; and what
the engine's fetch errors may show. Judged like :mod:`heat_docker.policy`
(a registry's name may be looked up in DNS); no Heat and no Docker calls.
"""

import fnmatch
import ipaddress
import os
import re
import socket
import urllib.parse

from heat_docker import dockerfile
from heat_docker import image_spec
from heat_docker import policy


def _local_address(text):
    address = ipaddress.ip_address(text.split('%', 1)[0])
    address = getattr(address, 'ipv4_mapped', None) or address
    return (
        address.is_loopback or address.is_link_local or address.is_unspecified
    )


def _local_host(host, resolve):
    """Whether ``host`` is the host itself or link-local, as named or as
    its name resolves here (the Docker host's resolver may differ)."""
    if host == 'localhost' or host.endswith('.localhost'):
        return True
    try:
        found = resolve(host, None)
    except (OSError, UnicodeError):
        return False  # the engine will not reach it either
    return any(_local_address(info[4][0]) for info in found)


def pull_refusal(registry, opts, resolve=socket.getaddrinfo):
    """Why the engine may not pull from ``registry`` (host[:port]) for a
    template, or None: the engine pulls from its own host, where tenants
    reach nothing otherwise."""
    if opts.allow_local_fetches or registry == image_spec.DOCKER_HUB:
        return None
    host = urllib.parse.urlsplit('//' + registry).hostname
    if not host or not _local_host(host, resolve):
        return None
    return policy.refusal(
        'a pull from registry %s, on the Docker host itself or at a '
        'link-local address,' % registry,
        'allow_local_fetches = true',
    )


# Where the engine's errors quote a response it fetched.
_QUOTED_RESPONSE = re.compile(r'(response body|with status [^:]*):.*$', re.S)


def fetch_error(text, opts):
    """The engine's error of a pull, as a template may see it: without
    the response it quotes, unless the operator allows local fetches (a
    registry may redirect the engine to its own host's services)."""
    if opts.allow_local_fetches:
        return text
    return _QUOTED_RESPONSE.sub(r'\1 (not shown)', str(text))


def dockerfile_refusals(sources, opts):
    """Messages refusing what a Dockerfile's ``sources`` (or a base
    image's ONBUILD triggers') fetch, and what Heat cannot read of them
    where a rule depends on it."""
    if opts.allow_local_fetches:
        found = []
    else:
        # Any URL: the engine follows redirects, to its own host too.
        found = [
            policy.refusal(
                'ADD of %s, which the Docker engine downloads from its own '
                'host (following redirects, to any address there; download '
                'it in a RUN step instead),' % url,
                'allow_local_fetches = true',
            )
            for url in sources.urls
        ]
    # Both rules read the Dockerfile: what it names unread escapes them.
    if not opts.allow_local_fetches:
        guard = 'allow_local_fetches = true'
    elif not opts.allow_cross_project_references:
        guard = 'allow_cross_project_references = true'
    else:
        return found
    return found + [
        policy.refusal(
            'a FROM, COPY --from or ADD that names %s, whose variables Heat '
            'cannot resolve (declare them with ARG or ENV, or give them in '
            'build.args),' % word,
            guard,
        )
        for word in sources.unread
    ]


def image_refusals(values, opts):
    """``[(property, message)]`` for an image ``opts`` does not allow: a
    build context on the heat-engine host, a download from the Docker
    host's own services, a build on the host's network,
    a push to a registry not allowed."""
    found = []
    build = values.get('build') or {}
    context = build.get('context')
    # The directory a symbolic link leads to is the one read.
    if context and not policy.under(
        os.path.realpath(context), opts.allowed_build_context_roots
    ):
        found.append(
            (
                'build.context',
                policy.refusal(
                    'a build context of %s' % context,
                    'allowed_build_context_roots (a directory above %s)'
                    % context,
                ),
            )
        )
    if build:
        sources = dockerfile.dockerfile_sources(
            image_spec.dockerfile_text(build), build.get('args')
        )
        found += [('build', m) for m in dockerfile_refusals(sources, opts)]
    if build.get('network_mode') == 'host' and not opts.allow_host_namespaces:
        found.append(
            (
                'build.network_mode',
                policy.refusal(
                    "a build on the host's network namespace",
                    'allow_host_namespaces = true',
                ),
            )
        )
    if values.get('push'):
        registries = {
            image_spec.registry(tag) for tag in image_spec.tags_wanted(values)
        }
        for registry in sorted(registries):
            if not any(
                fnmatch.fnmatchcase(registry, pattern)
                for pattern in opts.allowed_push_registries
            ):
                found.append(
                    (
                        'push',
                        policy.refusal(
                            'a push to registry %s' % registry,
                            'allowed_push_registries (a list that includes '
                            '%s)' % registry,
                        ),
                    )
                )
    return found
