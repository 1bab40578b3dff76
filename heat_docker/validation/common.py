"""What the rule modules share: moby's constants, the registry of
rules by Engine API field, and small helpers."""

import ipaddress
import re

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


def host_config(body, field, default=None):
    return (body.get('HostConfig') or {}).get(field, default)


def shares_network(body):
    return str(host_config(body, 'NetworkMode', '')).startswith('container:')


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_ip(text, version=None):
    try:
        address = ipaddress.ip_address(str(text).strip())
    except ValueError:
        return False
    return version is None or address.version == version
