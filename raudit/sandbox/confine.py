"""Confine the current process so that it can only compute, with what the kernel offers.

Applied, in this order, by :func:`confine` in a freshly forked (single-threaded) child:

1. **rlimits**: address space (memory), CPU seconds, no core files; the hard limits equal the soft
   ones (a model cannot raise them again);
2. **an empty network namespace** (``unshare(CLONE_NEWUSER | CLONE_NEWNET)``: only a loopback that
   is down; the user namespace also takes root's powers over the rest of the machine away);
3. **Landlock** (Linux ≥ 5.13, ABI 1-7): no file may be written, created, removed, renamed or
   executed outside a private temporary folder; from ABI 4 no TCP connect or bind; from ABI 6
   no signal to a process outside the jail and no abstract Unix socket outside it;
4. **seccomp-bpf** (through libseccomp, called with ``ctypes``): no ``execve``, no ``fork`` or
   ``clone`` of a process (threads are fine), no ``socket`` (except TCP for the Dask engine's
   client), no ``ptrace``, mounts, namespaces, kernel keyrings, BPF, ``io_uring`` or rlimit changes;
   signals only to itself.

Each step says whether it is in force; a missing one (an old kernel, macOS, a container without
user namespaces, no libseccomp) is skipped and named in :attr:`Protections.missing`, and the
caller warns. Nothing here needs a package beyond the standard library.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Final, Literal

__all__ = ["Protections", "confine", "landlock_abi", "Network"]

Network = Literal["none", "local", "open"]

_X86_64: Final = os.uname().machine in ("x86_64", "amd64") if hasattr(os, "uname") else False
# syscall numbers are the same on every architecture for these (the "generic" table since 5.x)
_SYS_LANDLOCK_CREATE_RULESET, _SYS_LANDLOCK_ADD_RULE, _SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
_PR_SET_NO_NEW_PRIVS, _PR_SET_PDEATHSIG = 38, 1
_CLONE_NEWUSER, _CLONE_NEWNET, _CLONE_THREAD = 0x10000000, 0x40000000, 0x00010000

# Landlock access rights (include/uapi/linux/landlock.h), with the ABI that introduced them.
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_WRITES: Final = (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12)
_FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1
_RULE_PATH_BENEATH = 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


@dataclass(frozen=True)
class Protections:
    """Which protections confine the process that opens and calls the model.

    Attributes
    ----------
    in_force : tuple of str
        One sentence per protection applied.
    missing : tuple of str
        One sentence per protection this platform lacks (the audit warns about each).
    limits : mapping
        The memory, CPU and wall-time limits.
    start : str
        How the child process was started (forked, or a fresh interpreter because other threads ran).
    """

    in_force: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    limits: dict[str, Any] = field(default_factory=dict)
    start: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The lineage's ``jail`` section."""
        return {"process": "a separate child process; the report is rendered and written by the parent from plain data",
                "start": self.start, "in_force": list(self.in_force), "missing": list(self.missing), "limits": dict(self.limits)}


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    """Landlock's ABI version on this kernel (0: not available)."""
    if not sys.platform.startswith("linux"):
        return 0
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(ctypes.c_long(_SYS_LANDLOCK_CREATE_RULESET), None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return int(abi) if abi > 0 else 0


# ---------------------------------------------------------------------------------------------- 1. rlimits

def _rlimits(memory: int, cpu: int) -> list[str]:
    import resource

    done = []
    for name, value, what in (("RLIMIT_AS", memory, f"address space at most {memory / 2**30:.1f} GiB"),
                              ("RLIMIT_CPU", cpu, f"at most {cpu:,} CPU seconds"), ("RLIMIT_CORE", 0, "no core files")):
        limit = getattr(resource, name, None)
        if limit is None:
            continue
        soft, hard = resource.getrlimit(limit)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        try:
            resource.setrlimit(limit, (value, value if name != "RLIMIT_CPU" else value + 5))
        except (ValueError, OSError):
            continue
        done.append(what)
    return done


# ---------------------------------------------------------------------------------------------- 2. namespaces

def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _network_namespace() -> bool:
    """Move into a new user and network namespace (same uid and gid inside): no interface but a down loopback."""
    if not sys.platform.startswith("linux"):
        return False
    uid, gid = os.getuid(), os.getgid()
    libc = _libc()
    if libc.unshare(ctypes.c_int(_CLONE_NEWUSER | _CLONE_NEWNET)) != 0:
        return False
    try:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    except OSError:
        return False
    return True


# ---------------------------------------------------------------------------------------------- 3. Landlock

def _landlock(abi: int, writable: str, *, network: bool) -> list[str]:
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    fs = _FS_EXECUTE | _FS_WRITES
    if abi >= 2:
        fs |= _FS_REFER
    if abi >= 3:
        fs |= _FS_TRUNCATE
    net = (_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 and not network else 0
    scoped = (_SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL) if abi >= 6 else 0
    attr = _RulesetAttr(fs, net, scoped)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = libc.syscall(ctypes.c_long(_SYS_LANDLOCK_CREATE_RULESET), ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return []
    try:
        folder_rights = fs & ~_FS_EXECUTE
        file_rights = _FS_WRITE_FILE | (_FS_TRUNCATE if abi >= 3 else 0)
        for path, rights in ((writable, folder_rights), ("/dev/null", file_rights)):
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = _PathBeneath(rights, fd)
                if libc.syscall(ctypes.c_long(_SYS_LANDLOCK_ADD_RULE), ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                                ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                    return []
            finally:
                os.close(fd)
        if libc.syscall(ctypes.c_long(_SYS_LANDLOCK_RESTRICT_SELF), ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            return []
    finally:
        os.close(ruleset)
    done = [f"Landlock ABI {abi}: no file written, created, removed or executed outside a private temporary folder"]
    if net:
        done.append(f"Landlock ABI {abi}: no TCP connection or listening port")
    if scoped:
        done.append(f"Landlock ABI {abi}: no signal to a process outside the jail, no abstract Unix socket outside it")
    return done


# ---------------------------------------------------------------------------------------------- 4. seccomp

class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


_ACT_ALLOW: Final = 0x7FFF0000
_CMP_NE, _CMP_EQ, _CMP_MASKED_EQ = 1, 4, 7
#: Syscalls a computing process never needs: each refused with EPERM.
_DENIED: Final = ("execve", "execveat", "fork", "vfork", "ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2",
                  "pivot_root", "chroot", "unshare", "setns", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
                  "userfaultfd", "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
                  "swapon", "swapoff", "io_uring_setup", "io_uring_enter", "io_uring_register", "setrlimit", "acct",
                  "open_by_handle_at", "name_to_handle_at", "fanotify_init", "quotactl", "syslog", "settimeofday",
                  "clock_settime", "adjtimex", "sethostname", "setdomainname", "pidfd_open", "pidfd_send_signal",
                  "pidfd_getfd", "mount_setattr", "move_mount", "open_tree", "fsopen", "fsmount", "fsconfig")


def _libseccomp() -> Any:
    """libseccomp, by its soname first: ``find_library`` runs ``ldconfig``, which a confined process may not."""
    for name in ("libseccomp.so.2", ctypes.util.find_library("seccomp")):
        if name:
            try:
                return ctypes.CDLL(name, use_errno=True)
            except OSError:
                continue
    return None


def _seccomp(*, network: bool) -> list[str]:  # size: one rule per syscall family, each a line
    lib = _libseccomp()
    if lib is None:
        return []
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(_ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    ctx = lib.seccomp_init(_ACT_ALLOW)
    if not ctx:
        return []

    def deny(call: str, code: int = errno.EPERM, *conditions: tuple[int, int, int, int]) -> bool:
        nr = lib.seccomp_syscall_resolve_name(call.encode())
        if nr < 0:
            return True  # not on this architecture: nothing to deny
        array = (_ArgCmp * max(1, len(conditions)))(*[_ArgCmp(*c) for c in conditions])
        return lib.seccomp_rule_add_array(ctx, 0x00050000 | code, nr, len(conditions), array) == 0

    pid = os.getpid()
    try:
        ok = all(deny(call) for call in _DENIED)
        ok &= deny("clone", errno.EPERM, (0, _CMP_MASKED_EQ, _CLONE_THREAD, 0))  # a process, not a thread
        ok &= deny("clone3", errno.ENOSYS)  # flags sit behind a pointer seccomp cannot read: libc falls back to clone
        ok &= deny("prlimit64", errno.EPERM, (2, _CMP_NE, 0, 0))  # reading limits is fine, setting them is not
        ok &= deny("kill", errno.EPERM, (0, _CMP_NE, pid, 0))
        ok &= deny("tgkill", errno.EPERM, (0, _CMP_NE, pid, 0))
        if network:  # the Dask client: TCP (IPv4 or IPv6) only
            ok &= all(deny("socket", errno.EACCES, (0, _CMP_EQ, family, 0)) for family in (1, 16, 17))
        else:
            ok &= deny("socket", errno.EACCES)
        if not ok or lib.seccomp_load(ctx) != 0:
            return []
    finally:
        lib.seccomp_release(ctx)
    what = "no new programs or processes (execve, fork, process clone), no ptrace, mounts, namespaces, BPF, io_uring, " \
           "keyrings or rlimit changes; signals only to itself"
    return [f"seccomp-bpf: {what}", "seccomp-bpf: " + ("sockets for TCP only (the Dask client)" if network else "no sockets")]


# ---------------------------------------------------------------------------------------------- all together

# size: applies each protection in the order the kernel needs them, recording what each gave
def confine(*, writable: str, memory: int, cpu: int, network: Network = "none") -> Protections:
    """Confine this process for good; return which protections are in force and which are missing.

    Parameters
    ----------
    writable : str
        The one folder the process may write in (a private temporary folder).
    memory : int
        Bytes of address space.
    cpu : int
        CPU seconds (then SIGXCPU, and SIGKILL five seconds later).
    network : {"none", "local", "open"}
        ``"none"``: no socket and no network; ``"local"``: TCP sockets inside the empty network namespace
        (raudit's own Dask cluster, threads of this process, which listen and talk on it); ``"open"``: TCP
        to the machine's network (a Dask scheduler the user named).

    Notes
    -----
    Call it in a freshly forked child, before any thread starts: a user namespace can only be
    entered by a single-threaded process, and rlimits, Landlock and seccomp then hold for every
    thread the model starts.
    """
    in_force: list[str] = []
    missing: list[str] = []
    linux = sys.platform.startswith("linux")
    if linux:
        libc = _libc()
        libc.prctl(ctypes.c_int(_PR_SET_PDEATHSIG), ctypes.c_ulong(9), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    try:
        in_force += _rlimits(memory, cpu)
    except ImportError:
        missing.append("rlimits (memory and CPU limits): not on this platform; only the wall-time limit applies")
    if network != "open":
        if _network_namespace():
            in_force.append("an empty network namespace: no network interface (in a user namespace without power "
                            "over the rest of the machine)")
        else:
            missing.append("network namespace: user namespaces are not available here")
    if linux:
        libc.prctl(ctypes.c_int(_PR_SET_NO_NEW_PRIVS), ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    abi = landlock_abi()
    landlock = _landlock(abi, writable, network=network != "none") if abi else []
    if landlock:
        in_force += landlock
    else:
        missing.append("Landlock (Linux ≥ 5.13): files outside the temporary folder can be written")
    filtered = _seccomp(network=network != "none") if linux else []
    if filtered:
        in_force += filtered
    else:
        missing.append("seccomp (libseccomp): new processes and sockets are not blocked by a syscall filter")
    return Protections(tuple(in_force), tuple(missing))
