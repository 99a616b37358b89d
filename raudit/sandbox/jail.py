"""Run a function in a confined child process and return its plain-data result.

The parent starts the child in one of two ways (:func:`start_method`):

- **fork** when no other Python thread runs in the parent (the command line, most scripts): no
  re-import, start-up is the fork, a few milliseconds. A forked child has only the thread that
  forked; a lock another thread held at that moment would stay held in the child for ever, so
- **spawn** when other threads run (a notebook, MLflow's or Dask's background threads, a web
  server): a fresh Python interpreter (fork + exec, nothing inherited but the environment) reads
  the function, pickled with cloudpickle, from the private folder. It costs the interpreter's
  start and imports (about a second or two) and needs the function and what it holds (a model
  given in memory, a DataFrame) to pickle.

Either way the work runs on a new thread of the child (:func:`_in_a_fresh_thread`): GNU OpenMP's
thread pool belongs to the thread that started it, which a fork leaves without its pool threads.

The child confines itself (:func:`raudit.sandbox.confine.confine`), runs the function and sends
back, over a pipe, what it prints, the warnings it raises, progress events and finally its result
or its exception. The parent relays them as they come and waits, with the wall-time limit; the
child's private temporary folder is removed afterwards whatever happened.

A child that dies from a signal (a segfault in compiled model code, the CPU limit's SIGXCPU/SIGKILL,
the kernel's OOM killer), runs past the wall-time limit, or runs out of its address space ends in a
:class:`JailFailure`, an :class:`~raudit.errors.InputError` (exit 2) that names the model as the cause.
Nothing has been written by then: the report is rendered and written by the parent, later.
"""

from __future__ import annotations

import gc
import io
import os
import pickle
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, Final, Literal

from raudit.config import JailLimits
from raudit.errors import InputError, RauditError
from raudit.sandbox.confine import Network, Protections, confine

__all__ = ["run_jailed", "JailFailure", "current", "available", "start_method", "NO_JAIL"]

#: What the lineage says when the platform cannot fork (the model runs in raudit's own process).
NO_JAIL: Final = "no jail: this platform cannot fork a child process, so the model runs in raudit's own process"

_HEADER: Final = struct.Struct("<Q")
_current: Protections | None = None
_relay: Any = None


class JailFailure(InputError):
    """The jailed model crashed, hung or reached a limit (exit 2)."""


def available() -> bool:
    """Whether this platform can fork a jailed child (POSIX)."""
    return hasattr(os, "fork") and sys.platform != "win32"


def current() -> Protections | None:
    """The protections of the jail this process runs in (None outside a jail)."""
    return _current


def relay(kind: str, *payload: Any) -> bool:
    """Send an event (``"progress"``, ...) from the jailed child to the parent; False outside a jail."""
    if _relay is None:
        return False
    _relay(kind, *payload)
    return True


# ---------------------------------------------------------------------------------------------- how the child starts

Start = Literal["fork", "spawn"]


def _other_threads() -> list[str]:
    """The names of the Python threads running beside the calling one."""
    me = threading.current_thread()
    return sorted(t.name for t in threading.enumerate() if t is not me and t.is_alive())


def start_method() -> tuple[Start, str]:
    """How the next jailed child starts, and the sentence the lineage records about it.

    ``"fork"`` when no other Python thread runs (a lock one of them held at the fork would stay held
    in the child, which would wait for it for ever); ``"spawn"`` (a fresh interpreter) otherwise.
    """
    others = _other_threads()
    if others:
        shown = ", ".join(others[:4]) + (f" and {len(others) - 4} more" if len(others) > 4 else "")
        return "spawn", (f"a fresh Python interpreter (the calling process ran {len(others)} other thread(s): {shown}; "
                         "a forked child could wait for ever on a lock one of them held)")
    return "fork", "forked from raudit's process (no other thread of it was running Python)"


#: How long the child waits for its work thread to start before it runs the work on its main thread instead.
THREAD_START_S: Final = 20.0


def _in_a_fresh_thread(work: Callable[[], Any]) -> Any:
    """``work()`` on a new thread of the child, with the forking thread's context variables and scikit-learn settings.

    Native libraries keep per-thread state that a fork leaves stale: GNU OpenMP (libgomp, which has no
    fork handler) keeps its thread pool in the forking thread's storage, and the first parallel region
    the child's main thread runs waits for ever for pool threads the fork did not copy. A new thread
    has no pool yet, so OpenMP starts one. Landlock and seccomp, applied before, hold for it too.

    The thread is started with ``_thread`` and waited for with a timeout (:data:`THREAD_START_S`),
    never with ``threading.Thread.start``, which waits without one: a thread that cannot start in a
    forked child (a lock of the parent's left held) makes the work run on the main thread instead of
    hanging the audit.
    """
    import _thread
    import contextvars

    box: dict[str, Any] = {}
    context = contextvars.copy_context()
    sklearn = sys.modules.get("sklearn")
    settings = sklearn.get_config() if sklearn is not None else None  # thread-local in scikit-learn
    claim, done = _thread.allocate_lock(), _thread.allocate_lock()
    done.acquire()

    def run() -> None:
        if not claim.acquire(blocking=False):
            return  # too late: the main thread ran the work
        try:
            if sklearn is not None and settings is not None:
                sklearn.set_config(**settings)
            box["result"] = context.run(work)
        except BaseException as exc:  # noqa: B036 - re-raised on the child's main thread, which reports it
            box["error"] = exc
        finally:
            done.release()

    try:
        _thread.start_new_thread(run, ())
    except RuntimeError:
        pass  # no thread can start here: the main thread runs the work below
    deadline = time.monotonic() + THREAD_START_S
    while not claim.locked() and time.monotonic() < deadline:
        time.sleep(0.005)
    if claim.acquire(blocking=False):  # the thread did not start in time (or at all): run the work here
        return context.run(work)
    done.acquire()
    if "error" in box:
        raise box["error"]
    return box.get("result")


# ---------------------------------------------------------------------------------------------- the child

class _Writer(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` of the child: text goes to the parent, which prints it."""

    def __init__(self, send: Callable[..., None], stream: str) -> None:
        self._send, self._stream = send, stream

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if text:
            self._send("out", self._stream, text)
        return len(text)

    def isatty(self) -> bool:
        return False


def mapping_proxy(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    """A read-only mapping rebuilt in the parent (``MappingProxyType`` has no name pickle can write)."""
    return MappingProxyType(items)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is MappingProxyType:
            return mapping_proxy, (dict(obj),)
        return NotImplemented


def _dumps(message: tuple[Any, ...]) -> bytes:
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(message)
    return buf.getvalue()


#: Modules whose classes the parent rebuilds from the child's messages: plain frozen data and raudit's errors.
_DATA_MODULES: Final = frozenset({"raudit.report.report", "raudit.report.results", "raudit.engine.profile", "raudit.stats.sketch",
                                  "raudit.engine.roles", "raudit.sandbox.confine", "raudit.errors", "raudit.sandbox.jail"})
#: Other globals the messages may name (containers, NumPy arrays and scalars, the read-only mapping above).
_DATA_GLOBALS: Final = frozenset({("builtins", "frozenset"), ("builtins", "set"), ("builtins", "complex"),
                                  ("raudit.sandbox.jail", "mapping_proxy"), ("collections", "OrderedDict"),
                                  ("numpy._core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
                                  ("numpy._core.numeric", "_frombuffer"), ("numpy", "ndarray"), ("numpy", "dtype"),
                                  ("copyreg", "_reconstructor"), ("builtins", "object")})


class _ParentUnpickler(pickle.Unpickler):
    """Reads the child's messages: a compromised child must not run code in the parent through them.

    Only plain data: raudit's report, profile, statistics and error classes (built without running their code
    beyond a dataclass ``__init__`` or an exception's), Python's exception classes, containers and
    NumPy arrays; modules are never imported on the child's say-so (a name from a module the parent
    has not imported is refused).
    """

    def find_class(self, module: str, name: str) -> Any:
        ok = (module, name) in _DATA_GLOBALS or module in _DATA_MODULES or module.startswith(("numpy.dtypes", "raudit.stats.")) \
            or (module == "numpy" and name in _NUMPY_SCALARS)
        obj = _lookup(module, name) if (ok or module == "builtins") else None
        if obj is None or (not ok and not (isinstance(obj, type) and issubclass(obj, BaseException))):
            raise pickle.UnpicklingError(f"the jailed process sent {module}.{name}, which is not plain data")
        if module.startswith("raudit.") and not (isinstance(obj, type) or obj is mapping_proxy):
            raise pickle.UnpicklingError(f"the jailed process sent the function {module}.{name}")
        return obj


_NUMPY_SCALARS: Final = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
                                   "float32", "float64", "longdouble", "complex64", "complex128", "str_", "bytes_", "datetime64",
                                   "timedelta64"})


def _lookup(module: str, name: str) -> Any:
    """``module.name`` from a module the parent has imported already, else None (nothing is imported here)."""
    obj = sys.modules.get(module)
    for part in name.split("."):
        if obj is None or part.startswith("__"):
            return None
        obj = getattr(obj, part, None)
    return obj


def _loads(data: bytes) -> Any:
    return _ParentUnpickler(io.BytesIO(data)).load()


def _sender(fd: int) -> Callable[..., None]:
    def send(*message: Any) -> None:
        try:
            data = _dumps(message)
        except Exception as exc:  # an unpicklable result: say what it was instead
            data = _dumps(("internal", f"{type(exc).__name__} while sending {message[0]!r} to the parent: {exc}"))
        view = memoryview(_HEADER.pack(len(data)) + data)
        while view:
            view = view[os.write(fd, view):]
    return send


def _portable(exc: BaseException) -> tuple[str, str, str, str | None]:
    """An exception as plain text (module, class, message, hint): the parent rebuilds raudit's and Python's own."""
    cls = type(exc)
    if isinstance(exc, RauditError):
        return cls.__module__, cls.__qualname__, str(exc.args[0] if exc.args else ""), exc.hint
    return cls.__module__, cls.__qualname__, str(exc), None


def _rebuilt(module: str, name: str, message: str, hint: str | None) -> BaseException:
    cls = _lookup(module, name) if module in _DATA_MODULES or module == "builtins" else None
    if isinstance(cls, type) and issubclass(cls, RauditError):
        return cls(message, hint=hint)
    if isinstance(cls, type) and issubclass(cls, Exception) and module == "builtins":
        try:
            return cls(message)
        except Exception:
            pass
    return RuntimeError(f"{module}.{name}: {message}" if module != "builtins" else f"{name}: {message}")


# size: the child's whole life: confine, relay output and warnings, run, send the outcome, never return
def _child(fd: int, work: Callable[[], Any], writable: str, limits: JailLimits, network: Network, start: str) -> None:
    global _current, _relay
    code = 0
    send = _sender(fd)
    try:
        import faulthandler

        faulthandler.disable()  # a crash here is the model's, reported by the parent; no dump of the parent's stack
        os.environ["TMPDIR"] = writable
        os.environ["JOBLIB_MULTIPROCESSING"] = "0"  # joblib would try a semaphore in /dev/shm, which the jail refuses
        tempfile.tempdir = writable
        protections = confine(writable=writable, memory=limits.memory_bytes, cpu=limits.cpu, network=network)
        _current = Protections(protections.in_force, protections.missing, limits.describe(), start)
        send("jail", _current)
        _relay = send
        sys.stdout, sys.stderr = _Writer(send, "stdout"), _Writer(send, "stderr")  # type: ignore[assignment]
        with warnings.catch_warnings(record=True) as caught:
            try:
                result = _in_a_fresh_thread(work)
            finally:
                for w in caught:
                    send("warning", str(w.message), w.category.__module__, w.category.__qualname__, w.filename, w.lineno)
        send("result", result)
    except MemoryError:
        send("limit", "memory")
    except RecursionError as exc:
        send("error", *_portable(InputError(f"the model exhausted the stack ({exc})")), "")
    except BaseException as exc:  # noqa: B036 - everything goes to the parent, which decides (a PanicException too)
        send("error", *_portable(exc), "".join(traceback.format_exception(exc)))
    finally:
        try:
            sys.stdout.flush()
        except Exception:
            code = 1
        os._exit(code)


# ---------------------------------------------------------------------------------------------- the parent

def _frames(fd: int, pid: int, deadline: float) -> Iterator[tuple[Any, ...] | None]:
    """The child's messages, as they come; ``None`` once when the wall-time limit passes."""
    buf = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            yield None
            return
        ready, _, _ = select.select([fd], [], [], min(left, 1.0))
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return
        buf += chunk
        while len(buf) >= _HEADER.size:
            (n,) = _HEADER.unpack_from(buf)
            if len(buf) < _HEADER.size + n:
                break
            message = _loads(bytes(buf[_HEADER.size:_HEADER.size + n]))
            del buf[:_HEADER.size + n]
            yield message


_SIGNALS: Final[dict[int, str]] = {signal.SIGSEGV: "a segmentation fault (compiled code read or wrote memory it does not own)",
                   signal.SIGBUS: "a bus error (compiled code read memory it does not own)",
                   signal.SIGILL: "an illegal instruction", signal.SIGFPE: "an arithmetic fault in compiled code",
                   signal.SIGABRT: "an abort in compiled code"}


def _death(sig: int | None, code: int | None, limits: JailLimits, model: str) -> JailFailure:
    if sig is not None:
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return JailFailure(
                f"the model {model} was stopped: it used the jail's CPU limit of {limits.cpu:,} s, or the system killed it "
                f"(signal {signal.Signals(sig).name}); no report was written",
                hint="a model that loops or allocates without bound does this; if the audit is just large, raise the limit "
                     "with --jail-limit cpu=8h (or jail_limits = {cpu = \"8h\"} in raudit.toml)")
        what = _SIGNALS.get(sig, f"signal {sig}")
        return JailFailure(f"the model {model} crashed raudit's jailed process with {what}; no report was written",
                           hint="the model file is corrupt or hostile: its compiled parts (tree indices, graph, booster) "
                                "are not what the library that runs them expects. Re-export it from the training code")
    return JailFailure(f"the jailed process that ran the model {model} ended without a result (exit status {code}); "
                       "no report was written")


@contextmanager
def _private_folder() -> Iterator[str]:
    folder = tempfile.mkdtemp(prefix="raudit-jail-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class _Started:
    """A started child: its pid, and how to wait for it (a forked pid, or a spawned interpreter's ``Popen``)."""

    def __init__(self, pid: int, process: subprocess.Popen[bytes] | None = None) -> None:
        self.pid, self.process = pid, process

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def wait(self) -> tuple[int | None, int | None]:
        """Wait for the child; its signal (None if it exited) and exit code (None if a signal ended it)."""
        if self.process is not None:
            code = self.process.wait()
            return (-code, None) if code < 0 else (None, code)
        _, status = os.waitpid(self.pid, 0)
        if os.WIFSIGNALED(status):
            return os.WTERMSIG(status), None
        return None, os.WEXITSTATUS(status) if os.WIFEXITED(status) else status


def _fork(work: Callable[[], Any], read_fd: int, write_fd: int, writable: str, limits: JailLimits, network: Network,
          start: str) -> _Started:
    pid = -1
    gc.freeze()  # the parent's objects move out of the collector's sight: the child's collections do not copy their pages
    try:
        pid = os.fork()
    finally:
        if pid != 0:
            gc.unfreeze()
    if pid == 0:  # pragma: no cover - the child; coverage cannot follow it
        os.close(read_fd)
        _child(write_fd, work, writable, limits, network, start)
    return _Started(pid)


def _itself(value: Any) -> Any:
    """Unpickles a substitute as itself (see :func:`_pickled`)."""
    return value


def _pickled(work: Callable[[], Any], portable: Mapping[type, Callable[[Any], Any]], start: str) -> bytes:
    """``work`` and everything it holds, for a fresh interpreter (cloudpickle: closures, lambdas, local classes)."""
    import cloudpickle

    class _Pickler(cloudpickle.Pickler):  # type: ignore[misc, name-defined]
        def reducer_override(self, obj: Any) -> Any:
            convert = portable.get(type(obj))
            if convert is not None:
                return _itself, (convert(obj),)
            return super().reducer_override(obj)

    buf = io.BytesIO()
    try:
        _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(work)
    except Exception as exc:
        raise InputError(f"raudit runs the model in {start.partition(' (')[0]} because this process runs other threads, "
                         f"and what the audit was given cannot be sent to it ({type(exc).__name__}: {exc})",
                         hint="give the model and the data as files, or call raudit where no other thread runs "
                              "(the command line does)") from None
    return buf.getvalue()


def _spawn(work: Callable[[], Any], write_fd: int, writable: str, limits: JailLimits, network: Network, start: str,
           portable: Mapping[type, Callable[[Any], Any]]) -> _Started:
    payload = _pickled(work, portable, start)
    job = os.path.join(writable, "job.pickle")
    with open(job, "wb") as fh:
        pickle.dump((writable, limits, network, start, payload), fh, protocol=pickle.HIGHEST_PROTOCOL)
    # the same modules as here: this process's search path (a test folder, a script's folder) goes first
    path = os.pathsep.join(p or os.getcwd() for p in sys.path if isinstance(p, str))
    env = {**os.environ, "PYTHONPATH": path}
    process = subprocess.Popen([sys.executable, "-m", "raudit.sandbox.spawned", str(write_fd), job], pass_fds=(write_fd,),
                               stdin=subprocess.DEVNULL, env=env)
    return _Started(process.pid, process)


# size: the parent's side of the pipe: start the child, relay each message, enforce the wall time, turn every ending into one result
def run_jailed(work: Callable[[], Any], *, model: str, limits: JailLimits, network: Network = "none",
               progress: Any = None, portable: Mapping[type, Callable[[Any], Any]] | None = None) -> tuple[Any, Protections]:
    """Run ``work()`` in a confined child process; return its result and the protections it ran under.

    Parameters
    ----------
    work : callable
        Runs in the child. Forked (:func:`start_method`), it sees the parent's objects as they
        were; spawned, it and what it holds are pickled with cloudpickle. Its result must pickle
        (plain data, a :class:`~raudit.report.report.Report`).
    model : str
        How messages name the model (its path, or "given in memory").
    limits : JailLimits
    network : {"none", "local", "open"}
        See :func:`raudit.sandbox.confine.confine` (``"local"``/``"open"``: the Dask engine).
    progress : object, optional
        Receives the child's progress events (``start``, ``check_started``, ``check_done``).
    portable : mapping of type to callable, optional
        For a spawned child: objects of these types are sent as what the callable makes of them
        (a Dask client as its scheduler's address).

    Raises
    ------
    JailFailure
        The child crashed, hung past the wall-time limit or ran out of memory.
    InputError
        Other threads run here and ``work`` cannot be pickled for a fresh interpreter.
    Exception
        What ``work`` raised, re-raised here (an :class:`~raudit.InputError` keeps its exit code 2).
    """
    if not available():
        warnings.warn(f"raudit: {NO_JAIL}", UserWarning, stacklevel=2)
        return work(), Protections((), (NO_JAIL,), limits.describe(), "in raudit's own process")
    method, start = start_method()
    with _private_folder() as writable:
        read_fd, write_fd = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            child = _fork(work, read_fd, write_fd, writable, limits, network, start) if method == "fork" else \
                _spawn(work, write_fd, writable, limits, network, start, portable or {})
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        outcome: tuple[Any, ...] | None = None
        protections = Protections((), (), limits.describe(), start)
        timed_out = False
        try:
            for message in _frames(read_fd, child.pid, time.monotonic() + limits.wall):
                if message is None:
                    timed_out = True
                    break
                if message[0] in ("result", "error", "limit", "internal"):
                    outcome = message
                elif message[0] == "jail":
                    protections = message[1]
                    for gap in protections.missing:
                        warnings.warn(f"raudit: the jail lacks {gap}", UserWarning, stacklevel=2)
                else:
                    _relayed(message, progress)
        finally:
            os.close(read_fd)
            if timed_out or outcome is None:
                child.kill()  # a child that closed its end without a result must not linger either
            sig, code = child.wait()
    if timed_out:
        raise JailFailure(f"the model {model} did not finish within the jail's wall-time limit of {limits.wall:,} s; "
                          "it was stopped and no report was written",
                          hint="a model that hangs does this; if the audit is just long, raise the limit with --jail-limit "
                               "wall=8h (or jail_limits = {wall = \"8h\"} in raudit.toml)")
    if outcome is None:
        raise _death(sig, code, limits, model)
    return _ending(outcome, limits, model), protections


def _ending(outcome: tuple[Any, ...], limits: JailLimits, model: str) -> Any:
    kind = outcome[0]
    if kind == "result":
        return outcome[1]
    if kind == "limit":
        raise JailFailure(f"the model {model} ran out of the jail's memory limit of {limits.memory_bytes / 2**30:.1f} GiB "
                          "(address space); it was stopped and no report was written",
                          hint="a model that allocates without bound does this; if the audit is just large, raise the limit "
                               "with --jail-limit memory=32GiB (or jail_limits = {memory = \"32GiB\"} in raudit.toml)")
    if kind == "internal":
        raise RuntimeError(outcome[1])
    exc, text = _rebuilt(*outcome[1:5]), outcome[5]
    if not isinstance(exc, RauditError) and text:
        exc.add_note(f"in raudit's jailed process:\n{text}")
    raise exc


def _relayed(message: tuple[Any, ...], progress: Any) -> None:
    kind = message[0]
    if kind == "out":
        stream = sys.stdout if message[1] == "stdout" else sys.stderr
        stream.write(message[2])
        stream.flush()
    elif kind == "warning":
        _, text, module, name, filename, lineno = message
        category = _lookup(str(module), str(name))
        if not (isinstance(category, type) and issubclass(category, Warning)):
            category = UserWarning
        warnings.warn_explicit(str(text), category, str(filename), int(lineno))
    elif kind == "progress" and progress is not None:
        getattr(progress, message[1])(*message[2:])
