"""What the Docker engine would refuse, refused at template validate.

The rules are moby's own (Docker 20.10, Engine API 1.41, Linux: the
daemon's verifyContainerSettings and verifyPlatformContainerSettings,
runconfig's decode checks, the mount and log-option parsers, and what runc
refuses at start), written per Engine API field. They look at the fields
each property contributes, the same contributions the create body is built
from, so a value set through ``api_host_config`` meets the same rule as
its typed property, and a refusal names the property that set it. A rule
that depends on the host (its CPUs, its cgroup version, its plugins) is
left to the engine. Plain functions: no Heat, no Docker calls.
"""

import ipaddress
import re

from heat_docker import container_spec as cspec

MIN_MEMORY = 6 * 1024 * 1024  # moby's linuxMinMemory
MS = 10**6  # the engine's healthcheck durations are nanoseconds
SIGNALS = frozenset(
    'ABRT ALRM BUS CHLD CLD CONT FPE HUP ILL INT IO IOT KILL PIPE POLL '
    'PROF PWR QUIT SEGV STKFLT STOP SYS TERM TRAP TSTP TTIN TTOU URG USR1 '
    'USR2 VTALRM WINCH XCPU XFSZ RTMIN RTMAX'.split()
    + ['RTMIN+%d' % n for n in range(1, 16)]
    + ['RTMAX-%d' % n for n in range(1, 15)]
)
RLIMITS = frozenset(
    'cpu fsize data stack core rss nproc nofile memlock as locks '
    'sigpending msgqueue nice rtprio rttime'.split()
)
IPC_SYSCTLS = frozenset(
    'kernel.msgmax kernel.msgmnb kernel.msgmni kernel.sem kernel.shmall '
    'kernel.shmmax kernel.shmmni kernel.shm_rmid_forced'.split()
)
TMPFS_FLAGS = frozenset(
    'defaults ro rw suid nosuid dev nodev exec noexec sync async dirsync '
    'remount mand nomand atime noatime diratime nodiratime bind rbind '
    'unbindable runbindable private rprivate shared rshared slave rslave '
    'relatime norelatime strictatime nostrictatime'.split()
)
TMPFS_KEYS = frozenset('size mode uid gid nr_inodes nr_blocks mpol'.split())
BIND_MODES = (
    {'rw', 'ro'},
    {'z', 'Z'},
    {'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'},
    {'nocopy'},
    {'consistent', 'cached', 'delegated'},
)
PREDEFINED_NETWORKS = frozenset(('bridge', 'default', 'host', 'none'))
LOG_OPTIONS = {
    'json-file': 'max-file max-size compress labels labels-regex env '
    'env-regex tag',
    'local': 'max-file max-size compress',
    'syslog': 'env env-regex labels labels-regex syslog-address '
    'syslog-facility syslog-tls-ca-cert syslog-tls-cert syslog-tls-key '
    'syslog-tls-skip-verify tag syslog-format',
    'journald': 'labels labels-regex env env-regex tag',
}
# Accepted by every driver.
GENERIC_LOG_OPTIONS = frozenset(
    'mode max-buffer-size cache-disabled cache-max-size cache-max-file '
    'cache-compress'.split()
)
SYSLOG_FACILITIES = frozenset(
    'kern user mail daemon auth syslog lpr news uucp cron authpriv ftp'.split()
    + ['local%d' % n for n in range(8)]
)
VOLUME_NAME = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]+$')
CPUSET = re.compile(r'^\d+(-\d+)?(,\d+(-\d+)?)*$')
MAC = re.compile(r'^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$')
DEVICE_CGROUP_RULE = re.compile(
    r'^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$'
)
HUMAN_SIZE = re.compile(r'^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$')

RULES = {}


def rule(path):
    """Register a check of the field at ``path``: ``check(value, body)``
    returns what is wrong, or None."""

    def register(check):
        RULES.setdefault(path, []).append(check)
        return check

    return register


def _effective(values):
    """The fields ``values`` send, as the create body has them, each with
    the property that set it last (a typed property over an escape
    hatch): ``(body, {path: property})``."""
    body, setters = {}, {}
    for name, path, value in cspec.contributions(values):
        cspec.spec.merge_into(body, path, value)
        setters[path] = name
    return body, setters


def problems(values):
    """``[(property, message)]`` for what the engine would refuse."""
    body, setters = _effective(values)
    found = []
    for path, name in setters.items():
        value = cspec.spec.dig(body, path)
        for check in RULES.get(path, ()):
            message = check(value, body)
            if message:
                found.append((name, '%s %s' % (path, message)))
    return found


def host_problems(values, info):
    """``[(property, message)]`` for what this engine's host refuses:
    ``info`` is its ``GET /info``."""
    body, setters = _effective(values)
    found = []
    for path, name in setters.items():
        check = HOST_RULES.get(path)
        message = check and check(cspec.spec.dig(body, path), info)
        if message:
            found.append((name, '%s %s' % (path, message)))
    return found


def _host(body, field, default=None):
    return (body.get('HostConfig') or {}).get(field, default)


def _net_container(body):
    return str(_host(body, 'NetworkMode', '')).startswith('container:')


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _ip(text, version=None):
    try:
        address = ipaddress.ip_address(str(text).strip())
    except ValueError:
        return False
    return version is None or address.version == version


# Config


@rule('Config.StopSignal')
def _stop_signal(value, body):
    text = str(value)
    name = text.upper().removeprefix('SIG')
    if name in SIGNALS or (text.lstrip('-').isdigit() and int(text) != 0):
        return None
    return (
        'must be a signal name (SIGTERM, SIGQUIT, ...) or number; got %r'
        % (value)
    )


@rule('Config.Env')
def _env(value, body):
    for item in value:
        if str(item).split('=', 1)[0] == '':
            return 'has an entry with no name: %r' % item
    return None


@rule('Config.Healthcheck')
def _healthcheck(value, body):
    for field in ('Interval', 'Timeout', 'StartPeriod', 'StartInterval'):
        duration = value.get(field)
        if _number(duration) and duration != 0 and duration < MS:
            return '%s must be 0 (inherit) or at least 1ms; got %sns' % (
                field,
                duration,
            )
    if _number(value.get('Retries')) and value['Retries'] < 0:
        return 'Retries cannot be negative'
    return None


@rule('Config.Hostname')
def _hostname(value, body):
    if value and _host(body, 'UTSMode') == 'host':
        return "cannot be set with the host's UTS namespace"
    if len(str(value)) > 64:
        return 'is longer than 64 characters'
    return None


@rule('Config.Domainname')
def _domainname(value, body):
    if value and _host(body, 'UTSMode') == 'host':
        return "cannot be set with the host's UTS namespace"
    return None


@rule('Config.MacAddress')
def _mac(value, body):
    if not value:
        return None
    if _host(body, 'NetworkMode') == 'host':
        return 'cannot be set with the host network mode'
    if not MAC.match(str(value)):
        return 'must be a MAC address such as 02:42:ac:11:00:02; got %r' % (
            value
        )
    return None


@rule('Config.ExposedPorts')
def _exposed(value, body):
    for key in value:
        message = _port_key(key)
        if message:
            return message
    return None


def _port_key(key):
    port, _, protocol = str(key).partition('/')
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        return 'has port %r: ports are 1 to 65535' % key
    if protocol not in ('tcp', 'udp', 'sctp'):
        return 'has port %r: the protocol is tcp, udp or sctp' % key
    return None


@rule('Config.WorkingDir')
def _working_dir(value, body):
    if value and not str(value).startswith('/'):
        return 'must be an absolute path; got %r' % value
    return None


# HostConfig: networking


def _not_with_container_network(value, body):
    if value and _net_container(body):
        return 'cannot be set with a container: network mode (the ' + (
            "container's own network is used)"
        )
    return None


# What a container sharing another's network namespace cannot set
# (runconfig's validateNetContainerMode).
for _path in (
    'Config.Hostname',
    'Config.MacAddress',
    'Config.ExposedPorts',
    'HostConfig.Links',
    'HostConfig.Dns',
    'HostConfig.ExtraHosts',
    'HostConfig.PortBindings',
    'HostConfig.PublishAllPorts',
):
    rule(_path)(_not_with_container_network)


@rule('HostConfig.NetworkMode')
def _network_mode(value, body):
    if str(value) == 'container:':
        return 'container: must name a container'
    return None


@rule('HostConfig.Links')
def _links(value, body):
    if value and _host(body, 'NetworkMode') == 'host':
        return 'cannot be set with the host network mode'
    for link in value:
        parts = str(link).split(':')
        if len(parts) > 2 or not all(parts):
            return 'must be NAME or NAME:ALIAS; got %r' % link
    return None


@rule('HostConfig.Dns')
def _dns(value, body):
    for server in value:
        if server is not None and not _ip(server):
            return 'must be IP addresses; got %r' % server
    return None


@rule('HostConfig.ExtraHosts')
def _extra_hosts(value, body):
    for entry in value:
        host, _, address = str(entry).partition(':')
        if not host or not (address == 'host-gateway' or _ip(address)):
            return 'must be HOST:IP (or HOST:host-gateway); got %r' % entry
    return None


@rule('HostConfig.PortBindings')
def _port_bindings(value, body):
    for key, bindings in value.items():
        message = _port_key(key)
        if message:
            return message
        for binding in bindings or ():
            host_port = str(binding.get('HostPort') or '')
            ports = host_port.split('-')
            if host_port and not (
                len(ports) <= 2
                and all(p.isdigit() and int(p) <= 65535 for p in ports)
                and int(ports[0]) <= int(ports[-1])
            ):
                return (
                    'has host port %r: a port or a range A-B up to 65535'
                    % (host_port)
                )
            host_ip = binding.get('HostIp') or ''
            if host_ip and not _ip(host_ip):
                # The engine would publish on every address instead.
                return 'has host address %r, which is no IP address' % host_ip
    return None


@rule('NetworkingConfig.EndpointsConfig')
def _endpoints(value, body):
    for network, config in value.items():
        ipam = (config or {}).get('IPAMConfig') or {}
        for field, version in (('IPv4Address', 4), ('IPv6Address', 6)):
            if ipam.get(field) and not _ip(ipam[field], version):
                return 'has %s %r for %s, which is no IPv%d address' % (
                    field,
                    ipam[field],
                    network,
                    version,
                )
        if network in PREDEFINED_NETWORKS and (
            ipam.get('IPv4Address') or ipam.get('IPv6Address')
        ):
            return (
                'sets a fixed address on %s: only user-defined networks '
                % (network)
                + 'take one'
            )
        if network in PREDEFINED_NETWORKS and (config or {}).get('Aliases'):
            return (
                'sets aliases on %s: only user-defined networks take '
                % (network)
                + 'them'
            )
    return None


# HostConfig: restart, namespaces


@rule('HostConfig.RestartPolicy')
def _restart_policy(value, body):
    name = value.get('Name') or ''
    retries = value.get('MaximumRetryCount') or 0
    if name not in ('', 'no', 'always', 'unless-stopped', 'on-failure'):
        return 'has no policy %r' % name
    if retries and name in ('no', 'always', 'unless-stopped'):
        return 'MaximumRetryCount works only with on-failure, not %s' % name
    if _number(retries) and retries < 0:
        return 'MaximumRetryCount cannot be negative'
    return None


def _mode(allowed, container=False):
    def check(value, body):
        text = str(value)
        if text in allowed or (
            container and text.startswith('container:') and len(text) > 10
        ):
            return None
        return 'must be one of %s%s; got %r' % (
            ', '.join(a or '""' for a in allowed),
            ' or container:NAME' if container else '',
            value,
        )

    return check


rule('HostConfig.IpcMode')(
    _mode(('', 'none', 'private', 'host', 'shareable'), container=True)
)
rule('HostConfig.PidMode')(_mode(('', 'host'), container=True))
rule('HostConfig.UTSMode')(_mode(('', 'host')))
rule('HostConfig.UsernsMode')(_mode(('', 'host')))
rule('HostConfig.CgroupnsMode')(_mode(('', 'private', 'host')))
rule('HostConfig.Isolation')(_mode(('', 'default')))


# HostConfig: resources


def _at_least(minimum, what, zero_means=None):
    def check(value, body):
        if not _number(value) or value == 0:
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
        if not _number(value) or value in unset or low <= value <= high:
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
    if _number(value) and value < 0:
        return 'cannot be negative; got %s' % value
    return None


@rule('HostConfig.MemorySwap')
def _memory_swap(value, body):
    memory = _host(body, 'Memory') or 0
    if _number(value) and value > 0:
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
    memory = _host(body, 'Memory') or 0
    if _number(value) and value > 0 and memory and value > memory:
        return 'cannot be above the memory limit %s; got %s' % (memory, value)
    return None


@rule('HostConfig.NanoCpus')
def _nano_cpus(value, body):
    if not (_number(value) and value):
        return None
    if value < 0:
        return 'cannot be negative'
    for field in ('CpuPeriod', 'CpuQuota'):
        if (_host(body, field) or 0) > 0:
            return 'cannot be set with HostConfig.%s' % field
    return None


@rule('HostConfig.CpuRealtimeRuntime')
def _realtime(value, body):
    period = _host(body, 'CpuRealtimePeriod') or 0
    if _number(value) and value and period and value > period:
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
            _number(soft)
            and _number(hard)
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
            if _host(body, 'IpcMode') == 'host':
                return (
                    "has %s, which cannot be set in the host's IPC " % (name)
                    + 'namespace'
                )
        elif name.startswith('net.'):
            if _host(body, 'NetworkMode') == 'host':
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
        for b in _host(body, 'Binds') or ()
        if ':' in str(b)
    ]
    targets += [m.get('Target') for m in _host(body, 'Mounts') or ()]
    targets += list(_host(body, 'Tmpfs') or {})
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


# Rules that depend on the engine's host.

# Capabilities Docker before 23 does not know, whatever the kernel.
NEWER_CAPABILITIES = frozenset(('PERFMON', 'BPF', 'CHECKPOINT_RESTORE'))
BUILTIN_LOG_DRIVERS = frozenset(
    'json-file local syslog journald gelf fluentd awslogs splunk gcplogs '
    'logentries etwlogs none'.split()
)


def _cpus_on_host(value, info):
    cpus = info.get('NCPU') or 0
    if _number(value) and cpus and value > cpus * 10**9:
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
