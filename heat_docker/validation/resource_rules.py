"""Rules of HostConfig: resources, limits, security."""

import re

from heat_docker.validation.common import CPUSET
from heat_docker.validation.common import DEVICE_CGROUP_RULE
from heat_docker.validation.common import IPC_SYSCTLS
from heat_docker.validation.common import MIN_MEMORY
from heat_docker.validation.common import RLIMITS
from heat_docker.validation.common import host_config
from heat_docker.validation.common import is_number
from heat_docker.validation.common import rule

# HostConfig: resources


def _at_least(minimum, what, zero_means=None):
    def check(value, body):
        if not is_number(value) or value == 0:
            return None
        if value < minimum:
            return 'must be %sat least %s; got %s' % (
                '0 (%s) or ' % zero_means if zero_means else '',
                what,
                value,
            )
        return None

    return check


def _between(low, high, unset=()):
    def check(value, body):
        if not is_number(value) or value in unset or low <= value <= high:
            return None
        return 'must be between %s and %s%s; got %s' % (
            low,
            high,
            ''.join(' (or %s)' % u for u in unset),
            value,
        )

    return check


rule('HostConfig.Memory')(
    _at_least(MIN_MEMORY, '6 MiB (6291456 bytes)', zero_means='no limit')
)
rule('HostConfig.MemoryReservation')(
    _at_least(MIN_MEMORY, '6 MiB (6291456 bytes)', zero_means='none')
)
rule('HostConfig.KernelMemory')(
    _at_least(MIN_MEMORY, '6 MiB (6291456 bytes)', zero_means='none')
)
rule('HostConfig.MemorySwappiness')(_between(0, 100, unset=(-1,)))
rule('HostConfig.OomScoreAdj')(_between(-1000, 1000))
rule('HostConfig.CpuShares')(_between(2, 262144, unset=(0,)))
rule('HostConfig.CpuPeriod')(_between(1000, 1000000, unset=(0,)))
rule('HostConfig.BlkioWeight')(_between(10, 1000, unset=(0,)))
rule('HostConfig.ShmSize')(_between(0, float('inf')))
rule('HostConfig.CpuQuota')(_at_least(1000, '1000 (1 ms)'))
# Below 0.01 CPU the kernel refuses the quota, or there is no limit.
rule('HostConfig.NanoCpus')(_at_least(10**7, '10000000 (0.01 CPU)'))


@rule('HostConfig.Memory')
def _negative_memory(value, body):
    if is_number(value) and value < 0:
        return 'cannot be negative; got %s' % value
    return None


@rule('HostConfig.MemorySwap')
def _memory_swap(value, body):
    memory = host_config(body, 'Memory') or 0
    if is_number(value) and value > 0:
        if not memory:
            return 'needs a memory limit (HostConfig.Memory) too'
        if value < memory:
            return (
                'must be at least the memory limit %s (it counts memory '
                % (memory)
                + 'plus swap), or -1 for unlimited swap; got %s' % value
            )
    return None


@rule('HostConfig.MemoryReservation')
def _reservation(value, body):
    memory = host_config(body, 'Memory') or 0
    if is_number(value) and value > 0 and memory and value > memory:
        return 'cannot be above the memory limit %s; got %s' % (memory, value)
    return None


@rule('HostConfig.NanoCpus')
def _nano_cpus(value, body):
    if not (is_number(value) and value):
        return None
    if value < 0:
        return 'cannot be negative'
    for field in ('CpuPeriod', 'CpuQuota'):
        if (host_config(body, field) or 0) > 0:
            return 'cannot be set with HostConfig.%s' % field
    return None


@rule('HostConfig.CpuRealtimeRuntime')
def _realtime(value, body):
    period = host_config(body, 'CpuRealtimePeriod') or 0
    if is_number(value) and value and period and value > period:
        return 'cannot be above HostConfig.CpuRealtimePeriod (%s)' % period
    return None


def _cpuset(value, body):
    if value and not CPUSET.match(str(value)):
        return 'must be numbers and ranges such as 0-2,4; got %r' % value
    return None


rule('HostConfig.CpusetCpus')(_cpuset)
rule('HostConfig.CpusetMems')(_cpuset)


@rule('HostConfig.IOMaximumBandwidth')
@rule('HostConfig.IOMaximumIOps')
def _windows_only(value, body):
    if value:
        return 'is for Windows: Linux engines refuse it'
    return None


@rule('HostConfig.Ulimits')
def _ulimits(value, body):
    for limit in value:
        name = str(limit.get('Name'))
        if name.lower() not in RLIMITS:
            return 'has no limit %r (%s)' % (name, ', '.join(sorted(RLIMITS)))
        soft, hard = limit.get('Soft'), limit.get('Hard')
        unbounded = {soft, hard} & {-1}
        if (
            is_number(soft)
            and is_number(hard)
            and (
                (not unbounded and soft > hard) or (soft == -1 and hard != -1)
            )
        ):
            return 'has %s soft limit %s above its hard limit %s' % (
                name,
                soft,
                hard,
            )
    return None


@rule('HostConfig.Sysctls')
def _sysctls(value, body):
    for name in value:
        if name in IPC_SYSCTLS or name.startswith('fs.mqueue.'):
            if host_config(body, 'IpcMode') == 'host':
                return (
                    "has %s, which cannot be set in the host's IPC " % (name)
                    + 'namespace'
                )
        elif name.startswith('net.'):
            if host_config(body, 'NetworkMode') == 'host':
                return (
                    "has %s, which cannot be set in the host's network "
                    % (name)
                    + 'namespace'
                )
        else:
            return (
                'has %s: only namespaced sysctls can be set (net.*, '
                'fs.mqueue.*, and kernel.msg*, kernel.sem, kernel.shm*)' % name
            )
    return None


@rule('HostConfig.SecurityOpt')
def _security_opt(value, body):
    for option in value:
        text = str(option)
        if text == 'systempaths=unconfined':
            return (
                'has systempaths=unconfined, a docker CLI option the engine '
                'refuses: set api_host_config MaskedPaths: [] and '
                'ReadonlyPaths: [] instead'
            )
        if text in ('no-new-privileges', 'disable'):
            continue
        match = re.match(r'^([^=:]+)[=:](.*)$', text)
        if not match or match.group(1) not in (
            'label',
            'apparmor',
            'seccomp',
            'no-new-privileges',
        ):
            return (
                'has %r: options are label=, apparmor=, seccomp=, ' % (text)
                + 'no-new-privileges'
            )
        key, setting = match.groups()
        if key == 'no-new-privileges' and setting.lower() not in (
            '1 t true 0 f false'.split()
        ):
            return 'has %r: no-new-privileges takes true or false' % text
    return None


@rule('HostConfig.DeviceCgroupRules')
def _device_rules(value, body):
    for rule_text in value:
        if not DEVICE_CGROUP_RULE.match(str(rule_text)):
            return (
                'has %r: rules read "c|b|a MAJOR:MINOR rwm", e.g. '
                % (rule_text)
                + '"c 1:3 rwm"'
            )
    return None


@rule('HostConfig.Devices')
def _devices(value, body):
    for device in value:
        inside = device.get('PathInContainer') or ''
        if inside and not inside.startswith('/'):
            return 'has PathInContainer %r: an absolute path' % inside
        permissions = device.get('CgroupPermissions') or ''
        if (
            not permissions
            or set(permissions) - set('rwm')
            or len(set(permissions)) != len(permissions)
        ):
            return 'has CgroupPermissions %r: r, w and m, each once' % (
                permissions
            )
    return None
