"""Rules of HostConfig: mounts and logging."""

import re

from heat_docker.validation.common import BIND_MODES
from heat_docker.validation.common import GENERIC_LOG_OPTIONS
from heat_docker.validation.common import HUMAN_SIZE
from heat_docker.validation.common import LOG_OPTIONS
from heat_docker.validation.common import SYSLOG_FACILITIES
from heat_docker.validation.common import TMPFS_FLAGS
from heat_docker.validation.common import TMPFS_KEYS
from heat_docker.validation.common import VOLUME_NAME
from heat_docker.validation.common import host_config
from heat_docker.validation.common import rule

# HostConfig: mounts


def _destination(path):
    if not str(path).startswith('/'):
        return 'must be an absolute path; got %r' % path
    if str(path).rstrip('/') == '':
        return "cannot be '/'"
    return None


@rule('HostConfig.Binds')
def _binds(value, body):
    for bind in value:
        parts = str(bind).split(':')
        if len(parts) > 3 or not parts[0]:
            return 'has %r: SOURCE:TARGET[:MODE]' % bind
        if len(parts) == 1:
            return 'has %r: SOURCE:TARGET[:MODE]' % bind
        problem = _destination(parts[1])
        if problem:
            return 'has %r whose target %s' % (bind, problem)
        modes = parts[2].split(',') if len(parts) == 3 else []
        for group in BIND_MODES:
            if len([m for m in modes if m in group]) > 1:
                return 'has %r with conflicting modes' % bind
        unknown = [m for m in modes if not any(m in g for g in BIND_MODES)]
        if unknown:
            return 'has %r with unknown mode %s' % (bind, unknown[0])
        is_bind = parts[0].startswith('/')
        if is_bind and 'nocopy' in modes:
            return 'has %r: nocopy is for volumes, not bind mounts' % bind
        if not is_bind:
            if set(modes) & BIND_MODES[2]:
                return 'has %r: propagation is for bind mounts' % bind
            if not VOLUME_NAME.match(parts[0]):
                return (
                    'has %r: a volume name is letters, digits, "_", ' % (bind)
                    + '"." and "-" (at least two), or an absolute host path'
                )
    return None


@rule('HostConfig.Mounts')
def _mounts(value, body):
    for mount in value:
        kind, source = mount.get('Type'), mount.get('Source') or ''
        problem = _destination(mount.get('Target') or '')
        if problem:
            return 'has a target that %s' % problem
        if kind not in ('bind', 'volume', 'tmpfs'):
            return 'has type %r: bind, volume or tmpfs' % kind
        if kind == 'bind' and not source.startswith('/'):
            return 'has bind source %r: an absolute host path' % source
        if kind == 'tmpfs' and source:
            return 'has a tmpfs mount with a source (%r)' % source
        if kind == 'volume' and not source and mount.get('ReadOnly'):
            return 'has a read-only anonymous volume, which is refused'
        if kind == 'volume' and source and not VOLUME_NAME.match(source):
            return (
                'has volume name %r: letters, digits, "_", "." and "-"'
                % (source)
                + ' (at least two)'
            )
    return None


@rule('HostConfig.Tmpfs')
def _tmpfs(value, body):
    for path, options in value.items():
        problem = _destination(path)
        if problem:
            return 'has a path that %s' % problem
        for option in str(options or '').split(',') if options else ():
            key = option.split('=', 1)[0]
            if option not in TMPFS_FLAGS and not (
                '=' in option and key in TMPFS_KEYS
            ):
                return 'has option %r for %s' % (option, path)
    return None


@rule('HostConfig.VolumesFrom')
def _volumes_from(value, body):
    for item in value:
        if item is None:
            continue
        name, _, mode = str(item).partition(':')
        if not name:
            return 'has an empty entry'
        if mode and not set(mode.split(',')) <= {'rw', 'ro', 'z', 'Z'}:
            return 'has %r: the mode is ro or rw' % item
    return None


@rule('HostConfig.Binds')
@rule('HostConfig.Mounts')
@rule('HostConfig.Tmpfs')
def _duplicate_targets(value, body):
    targets = [
        str(b).split(':')[1]
        for b in host_config(body, 'Binds') or ()
        if ':' in str(b)
    ]
    targets += [m.get('Target') for m in host_config(body, 'Mounts') or ()]
    targets += list(host_config(body, 'Tmpfs') or {})
    seen = set()
    for target in targets:
        if target in seen:
            return (
                'mounts %s twice (binds, mounts and tmpfs together)' % target
            )
        seen.add(target)
    return None


# HostConfig: logging


@rule('HostConfig.LogConfig')
def _log_config(value, body):
    driver, options = value.get('Type') or '', value.get('Config') or {}
    if driver == 'none':
        return None
    mode = options.get('mode', '')
    if mode not in ('', 'blocking', 'non-blocking'):
        return 'has mode %r: blocking or non-blocking' % mode
    if 'max-buffer-size' in options and mode != 'non-blocking':
        return 'has max-buffer-size, which needs mode non-blocking'
    known = LOG_OPTIONS.get(driver)
    if known is None:
        return None  # another driver, or a plugin: the engine knows
    for key in options:
        if key not in known.split() and key not in GENERIC_LOG_OPTIONS:
            return 'has option %r, which the %s driver does not take' % (
                key,
                driver,
            )
    return _log_values(driver, options)


def _log_values(driver, options):
    if 'max-size' in options and not HUMAN_SIZE.match(options['max-size']):
        return 'has max-size %r: a size such as 10m' % options['max-size']
    max_file = options.get('max-file')
    if max_file is not None and not (
        str(max_file).isdigit() and int(max_file) >= 1
    ):
        return 'has max-file %r: a number, at least 1' % max_file
    compress = str(options.get('compress', '')).lower()
    if compress and compress not in '1 t true 0 f false'.split():
        return 'has compress %r: true or false' % compress
    if driver == 'local' and compress in ('', '1', 't', 'true'):
        if max_file is not None and int(max_file) == 1:
            return (
                'has max-file 1 with compression (on by default for the '
                'local driver): set compress false or max-file 2 or more'
            )
    if driver == 'json-file' and compress in ('1', 't', 'true'):
        if 'max-size' not in options or int(max_file or 1) < 2:
            return 'compresses, which needs max-size and max-file 2 or more'
    address = options.get('syslog-address', '')
    if address and not re.match(
        r'^(tcp|tcp\+tls|udp|unix|unixgram)://', address
    ):
        return 'has syslog-address %r: tcp://, udp://, unix://...' % address
    facility = options.get('syslog-facility')
    if facility and not (
        facility in SYSLOG_FACILITIES
        or (facility.isdigit() and int(facility) <= 23)
    ):
        return 'has syslog-facility %r' % facility
    if options.get('syslog-format', '') not in (
        '',
        'rfc3164',
        'rfc5424',
        'rfc5424micro',
    ):
        return 'has syslog-format %r' % options['syslog-format']
    return None
