"""Rules that depend on the engine's host (its GET /info)."""

import re

from heat_docker.validation.common import is_number

# Rules that depend on the engine's host.

# Capabilities Docker before 23 does not know, whatever the kernel.
NEWER_CAPABILITIES = frozenset(('PERFMON', 'BPF', 'CHECKPOINT_RESTORE'))
BUILTIN_LOG_DRIVERS = frozenset(
    'json-file local syslog journald gelf fluentd awslogs splunk gcplogs '
    'logentries etwlogs none'.split()
)


def _cpus_on_host(value, info):
    cpus = info.get('NCPU') or 0
    if is_number(value) and cpus and value > cpus * 10**9:
        return 'asks for %g CPUs; the engine host has %d' % (
            value / 10**9,
            cpus,
        )
    return None


def _cpuset_on_host(value, info):
    cpus = info.get('NCPU') or 0
    numbers = [int(n) for n in re.findall(r'\d+', str(value or ''))]
    if cpus and numbers and max(numbers) >= cpus:
        return 'names CPU %d; the engine host has CPUs 0-%d' % (
            max(numbers),
            cpus - 1,
        )
    return None


def _runtime_on_host(value, info):
    runtimes = info.get('Runtimes') or {}
    if value and runtimes and value not in runtimes:
        return 'names runtime %r; the engine has %s' % (
            value,
            ', '.join(sorted(runtimes)),
        )
    return None


def _log_driver_on_host(value, info):
    driver = value.get('Type') or ''
    plugins = (info.get('Plugins') or {}).get('Log') or []
    if driver and driver not in BUILTIN_LOG_DRIVERS | set(plugins):
        return 'names log driver %r, which the engine does not have' % driver
    return None


def _volume_driver_on_host(value, info):
    plugins = (info.get('Plugins') or {}).get('Volume') or []
    if value and value not in plugins:
        return 'names volume driver %r; the engine has %s' % (
            value,
            ', '.join(plugins),
        )
    return None


def _capabilities_on_engine(value, info):
    release = str(info.get('ServerVersion') or '')
    major = release.split('.')[0]
    if not major.isdigit() or int(major) >= 23:
        return None
    for capability in value:
        name = str(capability).upper().removeprefix('CAP_')
        if name in NEWER_CAPABILITIES:
            return 'has %s, which Docker %s does not know' % (name, release)
    return None


HOST_RULES = {
    'HostConfig.NanoCpus': _cpus_on_host,
    'HostConfig.CpusetCpus': _cpuset_on_host,
    'HostConfig.Runtime': _runtime_on_host,
    'HostConfig.LogConfig': _log_driver_on_host,
    'HostConfig.VolumeDriver': _volume_driver_on_host,
    'HostConfig.CapAdd': _capabilities_on_engine,
    'HostConfig.CapDrop': _capabilities_on_engine,
}
