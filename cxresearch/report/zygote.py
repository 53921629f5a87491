"""Report kernels forked from a preloaded template process (a "zygote").

Every report kernel used to start a fresh interpreter and import ipykernel, numpy, pandas,
pyarrow, matplotlib and the package again: about 1.3 CPU s of a report's cost before its
first statistic. Here each process that runs notebooks (the batch's process, or each Dask
worker) starts one *template* the first time it needs a kernel: an interpreter with the
kernel's environment that imports :data:`PRELOAD` and then only waits. For each notebook
it forks a child, which applies *that* kernel's environment, working directory, standard
streams and command line, and runs ``IPKernelApp`` on the connection file jupyter_client
wrote — what ``python -m ipykernel_launcher -f <file>`` does after its imports. The
template never runs user code, so each kernel starts from the same clean state and no
state passes between notebooks.

What keeps a forked kernel equal to a started one:

- the template starts with the environment the kernels get (:func:`kernel_environment`
  laid over the parent's), so ``PYTHONHASHSEED`` (fixed when an interpreter starts), BLAS
  threads, ``MATPLOTLIBRC`` and the rest are what a fresh kernel has; it is keyed by that
  environment and replaced when it changes (a kernel whose own variables name an
  interpreter setting, ``PYTHON*``, starts the usual way);
- the imports run as in a kernel: while they run, ``get_ipython()`` answers like a
  kernel's shell and sys.stdout/stderr look like ipykernel's streams (pandas picks its
  display defaults by both; see ``_BOOT``), and ``MPLBACKEND`` is set to what ipykernel
  sets, so that matplotlib imported here picks the
  backend a kernel's matplotlib picks; Arrow's jemalloc background thread is turned off
  (``JE_ARROW_MALLOC_CONF``, only in the template) because a process with threads must
  not fork: before every fork the template checks that it has one thread, and refuses
  otherwise;
- the child takes the parent's stdout/stderr (passed with the request), a new session (so
  ``killpg`` on its pid interrupts or kills exactly that kernel), default SIGINT handling,
  ``sys.argv``/``sys.path`` as ``ipykernel_launcher`` leaves them, reset warning
  registries, and the template's code is checked for edits (a changed file under the
  package restarts the template).

The parent drives a child through :class:`ForkedKernel`, which behaves like the
``subprocess.Popen`` jupyter_client's ``LocalProvisioner`` keeps (``poll``, ``wait``,
``send_signal``, ``kill``); the template reaps its children and sends each exit status
back. The template ends its kernels and exits when the process that started it ends (its
control socket closes, or its parent changes).

If the template cannot start, dies twice, or refuses a fork, kernels start as before
(``python -m ipykernel_launcher``) and the reason is logged once. Set
``CXRESEARCH_KERNELS=spawn`` to always start kernels that way (and on systems other than
Linux they always are: the template relies on ``fork``, ``/proc`` and ``SOCK_SEQPACKET``).

References
----------
Android's zygote; Python's ``multiprocessing`` forkserver; jupyter_client 8
``LocalProvisioner`` and ``launch_kernel``; ipykernel 7 ``ipykernel_launcher``.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "PRELOAD",
    "ForkedKernel",
    "enabled",
    "kernels_cpu_seconds",
    "launch",
    "provisioner_class",
    "shutdown",
]

logger = logging.getLogger(__name__)

#: Modules the template imports: ipykernel and what the four report notebooks import
#: (measured with ``python -X importtime``: pandas, pyarrow, matplotlib, the package).
PRELOAD: tuple[str, ...] = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "IPython.display",
    "numpy",
    "pandas",
    "pyarrow",
    "matplotlib",
    "matplotlib.pyplot",
    "pandas.io.formats.style",
    "cxresearch.present",
    "cxresearch.story",
    "cxresearch.session",
    "cxresearch.report.manifest",
    "cxresearch.present.driver_plots",
    "cxresearch.present.drivers",
    "cxresearch.stats.drivers",
    "cxresearch.journey.outcomes",
    "cxresearch.journey.run",
    "cxresearch.present.journey",
    "cxresearch.present.qual",
    "cxresearch.qual.run",
)

#: ``spawn`` turns the template off (every kernel a fresh interpreter).
MODE_VARIABLE = "CXRESEARCH_KERNELS"
# Set in the template only (never in a kernel's os.environ): ipykernel's own backend
# choice, and no jemalloc thread (pyarrow links jemalloc, which starts one at import).
_TEMPLATE_ONLY = {
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "JE_ARROW_MALLOC_CONF": "background_thread:false",
}
# Variables that differ per kernel or per test and do not change what an import does.
_PER_KERNEL = frozenset({"JPY_PARENT_PID", "JPY_SESSION_NAME", "PYTEST_CURRENT_TEST"})
# Seconds for the template's imports (a loaded machine) and for a child to answer.
_START_TIMEOUT = 120.0
_FORK_TIMEOUT = 30.0
# Templates that may die or fail to start before this process stops using them.
_MAX_FAILURES = 2
_MESSAGE = 1 << 20


def enabled() -> bool:
    """Whether kernels are forked from a template: on Linux, unless ``CXRESEARCH_KERNELS``
    is ``spawn`` (elsewhere each kernel is a fresh interpreter, as before)."""
    if not sys.platform.startswith("linux"):
        return False
    return os.environ.get(MODE_VARIABLE, "fork").strip().lower() != "spawn"


# --------------------------------------------------------------------------------------
# The parent's side


class ForkedKernel:
    """A kernel forked by the template, driven like ``subprocess.Popen``.

    The kernel is not this process's child: its exit status comes from the template
    (which reaps it) over ``channel``; should the template die first, a ``pidfd`` tells
    whether the kernel still runs (its status is then unknown: -9).
    """

    stdin = stdout = stderr = None
    #: CPU seconds (user + system) the kernel used, once the template has reaped it.
    cpu_seconds: float | None = None

    def __init__(self, pid: int, channel: socket.socket) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.args = ["<forked kernel>"]
        self._channel: socket.socket | None = channel
        self._lock = threading.Lock()
        self._pidfd: int | None = None
        with contextlib.suppress(AttributeError, OSError):
            self._pidfd = os.pidfd_open(pid)

    def _finish(self, code: int) -> None:
        self.returncode = code
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None

    def _exited_without_status(self) -> bool:
        if self._pidfd is not None:
            return bool(select.select([self._pidfd], [], [], 0)[0])
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def poll(self) -> int | None:
        """The exit status if the kernel has ended (as ``Popen.returncode``), else None."""
        with self._lock:
            if self.returncode is not None:
                return self.returncode
            channel = self._channel
            if channel is not None:
                while select.select([channel], [], [], 0)[0]:
                    try:
                        data = channel.recv(_MESSAGE)
                    except OSError:
                        data = b""
                    if not data:  # the template is gone: ask the kernel itself from now on
                        channel.close()
                        self._channel = None
                        break
                    message = json.loads(data)
                    if "exit" in message:
                        self.cpu_seconds = float(message.get("cpu", 0.0))
                        _count_cpu(self.cpu_seconds)
                        self._finish(int(message["exit"]))
                        return self.returncode
            if self._channel is None and self._exited_without_status():
                self._finish(-signal.SIGKILL)
            return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the kernel to end; ``subprocess.TimeoutExpired`` after ``timeout`` s."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            code = self.poll()
            if code is not None:
                return code
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
            channel, pidfd = self._channel, self._pidfd
            waiting = [fd for fd in (channel, pidfd) if fd is not None]
            left = 0.05 if deadline is None else max(0.0, min(0.05, deadline - time.monotonic()))
            with contextlib.suppress(OSError, ValueError):
                select.select(waiting, [], [], left) if waiting else time.sleep(left)

    def send_signal(self, signum: int) -> None:
        """Signal the kernel (nothing once it has ended, as ``Popen``)."""
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


_cpu_lock = threading.Lock()
_cpu = [0.0]


def _count_cpu(seconds: float) -> None:
    with _cpu_lock:
        _cpu[0] += seconds


def kernels_cpu_seconds() -> float:
    """CPU seconds of every forked kernel of this process that has ended.

    Forked kernels are the template's children, not this process's, so
    ``getrusage(RUSAGE_CHILDREN)`` counts them only once the template is reaped (at the end
    of a batch); benchmarks of single notebooks add this instead.
    """
    with _cpu_lock:
        return _cpu[0]


def _code_stamp() -> str:
    # The package's files as they are now: a template that imported older code is replaced
    # (a researcher edits cxresearch and re-runs a batch from the same process).
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        with contextlib.suppress(OSError):
            stat = path.stat()
            digest.update(f"{path}\0{stat.st_mtime_ns}\0{stat.st_size}\n".encode())
    return digest.hexdigest()


# The template's program. Before anything imports pandas (``cxresearch`` does), the
# interpreter is made to look, to an import that asks, as it looks inside a kernel:
# ``get_ipython()`` answers like a kernel's shell and sys.stdout/stderr
# report the encoding and tty-ness of ipykernel's OutStream ("UTF-8", not a tty). pandas
# sets ``display.max_columns`` and ``display.encoding`` from these when it is imported.
_BOOT = """\
import builtins, sys

del sys.path[0]  # as ipykernel_launcher does: no working directory on sys.path


class KernelShell:
    kernel = None


class KernelStream:
    encoding = "UTF-8"

    def __init__(self, stream):
        self.stream = stream

    def isatty(self):
        return False

    def __getattr__(self, name):
        return getattr(self.stream, name)


streams = sys.stdout, sys.stderr
builtins.get_ipython = KernelShell
sys.stdout, sys.stderr = KernelStream(sys.stdout), KernelStream(sys.stderr)
from cxresearch.report.zygote import _serve

_serve(int(sys.argv[1]), streams)
"""


class _Template:
    """One template process and the socket its fork requests go through."""

    def __init__(self, key: tuple[Any, ...], env: Mapping[str, str], cwd: str | None) -> None:
        self.key = key
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._control = ours
        self._lock = threading.Lock()
        # The last argument only names the process in `ps`. (Its kernels show their own
        # command line, which names their connection file: see _set_command_line.)
        marker = f"cxresearch-kernel-template-of-{os.getpid()}"
        try:
            self.process = subprocess.Popen(
                # The kernel's interpreter (argv[0] of its command), as a kernel would run.
                [key[0], "-c", _BOOT, str(theirs.fileno()), marker],
                env={
                    **env,
                    **{k: env.get(k, v) for k, v in _TEMPLATE_ONLY.items()},
                    # Read when ipykernel is imported (IPKernelApp.parent_handle): the
                    # process whose kernels these are, as jupyter_client sets it.
                    "JPY_PARENT_PID": str(os.getpid()),
                },
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                # Not in the batch's process group: a terminal's Ctrl-C goes to the batch,
                # which stops its kernels itself.
                start_new_session=True,
            )
        finally:
            theirs.close()
        ready = self._receive(self._control, _START_TIMEOUT)
        if ready is None or not ready.get("ready"):
            self.close()
            reason = (ready or {}).get("error") or "it did not start"
            raise RuntimeError(f"kernel template: {reason}")

    @staticmethod
    def _receive(channel: socket.socket, timeout: float) -> dict[str, Any] | None:
        if not select.select([channel], [], [], timeout)[0]:
            return None
        data = channel.recv(_MESSAGE)
        return json.loads(data) if data else None

    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self, argv: Sequence[str], env: Mapping[str, str], cwd: str) -> ForkedKernel:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            request = json.dumps({"argv": list(argv), "env": dict(env), "cwd": cwd}).encode()
            with self._lock:
                # The kernel writes where a kernel started here would: this process's
                # stdout and stderr as they are now.
                socket.send_fds(self._control, [request], [theirs.fileno(), 1, 2])
        except OSError as exc:
            ours.close()
            raise RuntimeError(f"kernel template: the request failed ({exc})") from exc
        finally:
            theirs.close()
        reply = self._receive(ours, _FORK_TIMEOUT)
        if reply is None or "pid" not in reply:
            ours.close()
            reason = (reply or {}).get("error") or "no answer to a fork request"
            raise RuntimeError(f"kernel template: {reason}")
        return ForkedKernel(int(reply["pid"]), ours)

    def close(self, wait: float = 5.0) -> None:
        """Take no more requests. The template exits once its running kernels have ended
        (their managers shut them down); it is waited for up to ``wait`` seconds."""
        with contextlib.suppress(OSError):
            self._control.close()
        with contextlib.suppress(Exception):
            self.process.wait(timeout=wait)


_lock = threading.Lock()
_template: _Template | None = None
_failures = 0
_logged: set[str] = set()


def _fall_back(reason: str) -> None:
    if reason not in _logged:
        _logged.add(reason)
        logger.warning("cxresearch: report kernels start without the template: %s", reason)


def _is_launcher(argv: Sequence[str]) -> bool:
    return len(argv) >= 3 and list(argv[1:3]) == ["-m", "ipykernel_launcher"]


def launch(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: str | os.PathLike[str] | None,
    *,
    per_kernel: frozenset[str] = frozenset(),
) -> ForkedKernel | None:
    """Fork a kernel for ``argv`` (``python -m ipykernel_launcher -f FILE``), or None.

    ``env`` is the kernel's whole environment as jupyter_client would pass it to
    ``Popen``; ``per_kernel`` names the variables set for this kernel alone (they do not
    choose the template). None means: start the kernel the usual way (the reason is
    logged once).
    """
    global _template, _failures
    if not enabled():
        return None
    if not _is_launcher(argv):
        _fall_back(f"a kernel command it does not know ({' '.join(argv[:3])})")
        return None
    if any(name.startswith("PYTHON") for name in per_kernel):
        _fall_back("a kernel sets its own PYTHON* variables")
        return None
    workdir = os.fspath(cwd) if cwd is not None else os.getcwd()
    shared = {k: v for k, v in env.items() if k not in _PER_KERNEL and k not in per_kernel}
    key = (argv[0], tuple(sorted(shared.items())), _code_stamp())
    with _lock:
        if _failures >= _MAX_FAILURES:
            return None
        if _template is not None and (_template.key != key or not _template.alive()):
            if not _template.alive():
                _failures += 1
                _fall_back("the template process ended")
            _template.close(wait=0.0)  # kernels it forked still run; it ends after them
            _template = None
            if _failures >= _MAX_FAILURES:
                return None
        if _template is None:
            try:
                _template = _Template(key, shared, workdir)
            except Exception as exc:
                _failures += 1
                _fall_back(str(exc))
                return None
        template = _template
    try:
        return template.fork(argv, env, workdir)
    except Exception as exc:
        _fall_back(str(exc))
        return None


def shutdown() -> None:
    """End this process's template (if any); the next kernel starts a new one."""
    global _template
    with _lock:
        if _template is not None:
            _template.close()
            _template = None


def provisioner_class() -> type:
    """A jupyter_client ``LocalProvisioner`` whose kernels are forked from the template."""
    return _provisioner_class()


_PROVISIONER: type | None = None


def _provisioner_class() -> type:
    global _PROVISIONER
    if _PROVISIONER is not None:
        return _PROVISIONER
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    class ForkingProvisioner(LocalProvisioner):
        """``LocalProvisioner`` with the kernel forked from the template when it can be."""

        per_kernel: frozenset[str] = frozenset()

        async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
            env = dict(kwargs.get("env") or os.environ)
            # As jupyter_client's launch_kernel: ipykernel ends a kernel whose parent died.
            env["JPY_PARENT_PID"] = str(os.getpid())
            process = launch(cmd, env, kwargs.get("cwd"), per_kernel=self.per_kernel)
            if process is None:
                return await super().launch_kernel(cmd, **kwargs)
            self.process = process  # type: ignore[assignment]
            self.pid = process.pid
            self.pgid = process.pid  # the child calls setsid() before its pid is sent
            self.cwd = kwargs.get("cwd", Path.cwd())
            return self.connection_info

    _PROVISIONER = ForkingProvisioner
    return ForkingProvisioner


# --------------------------------------------------------------------------------------
# The template's side (runs in the template process; never in the batch's)


def _preload(streams: tuple[Any, Any]) -> None:
    import builtins

    try:
        for name in PRELOAD:
            importlib.import_module(name)
    finally:
        # Nothing of the kernel-like look (_BOOT) stays: each kernel's own shell and
        # streams take over in the child.
        with contextlib.suppress(AttributeError):
            del builtins.get_ipython  # type: ignore[attr-defined]
        sys.stdout, sys.stderr = streams


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:  # no /proc: threading's count is the best available
        return threading.active_count()


def _serve(control_fd: int, streams: tuple[Any, Any]) -> None:
    """The template's main loop: preload, then fork a kernel per request until the end."""
    control = socket.socket(fileno=control_fd)
    parent = os.getppid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _preload(streams)
    except BaseException as exc:
        control.send(json.dumps({"error": f"importing failed: {exc!r}"[:2000]}).encode())
        os._exit(1)
    if _threads() != 1:
        control.send(json.dumps({"error": f"{_threads()} threads after its imports"}).encode())
        os._exit(1)
    # What the imports left is kept for good (gc.freeze): a kernel's garbage collections
    # then never walk the template's objects, which would write to the pages holding them
    # and so copy them into each kernel (measured: a full collection in a kernel made
    # 28 MiB of the template its own without this; tests/unit/test_report_zygote.py).
    gc.collect()
    gc.freeze()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    children: dict[int, socket.socket] = {}
    control.send(json.dumps({"ready": True, "pid": os.getpid()}).encode())
    closed = False
    try:
        while not (closed and not children):
            watched: list[Any] = [wake_r] if closed else [control, wake_r]
            try:
                readable = select.select(watched, [], [], 1.0)[0]
            except InterruptedError:  # pragma: no cover - PEP 475 retries
                readable = []
            with contextlib.suppress(OSError):
                while os.read(wake_r, 4096):
                    pass
            _reap(children)
            if os.getppid() != parent:  # the batch was killed: so are its kernels
                break
            if control in readable:
                try:
                    data, fds, _, _ = socket.recv_fds(control, _MESSAGE, 3)
                except OSError:
                    data, fds = b"", []
                if not data:
                    # Closed by the batch (or it ended): no more kernels; those running
                    # belong to their managers, which still wait for their exit status.
                    for fd in fds:
                        os.close(fd)
                    closed = True
                    continue
                _fork(json.loads(data), fds, control, (wake_r, wake_w), children)
    finally:
        for pid in list(children):
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        os._exit(0)


def _reap(children: dict[int, socket.socket]) -> None:
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        channel = children.pop(pid, None)
        if channel is not None:
            code = os.waitstatus_to_exitcode(status)
            cpu = usage.ru_utime + usage.ru_stime
            with contextlib.suppress(OSError):
                channel.send(json.dumps({"exit": code, "cpu": cpu}).encode())
            channel.close()


def _fork(
    request: dict[str, Any],
    fds: list[int],
    control: socket.socket,
    wake: tuple[int, int],
    children: dict[int, socket.socket],
) -> None:
    if len(fds) != 3:
        for fd in fds:
            os.close(fd)
        return
    channel = socket.socket(fileno=fds[0])
    out, err = fds[1], fds[2]
    threads = _threads()
    if threads != 1:  # fork() copies one thread: another's locks would stay held for ever
        with contextlib.suppress(OSError):
            channel.send(json.dumps({"error": f"{threads} threads; not forking"}).encode())
        channel.close()
        os.close(out)
        os.close(err)
        return
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(request, channel, out, err, [control, *children.values()], wake)
    os.close(out)
    os.close(err)
    children[pid] = channel


def _child(
    request: dict[str, Any],
    channel: socket.socket,
    out: int,
    err: int,
    others: list[socket.socket],
    wake: tuple[int, int],
) -> None:
    """In the forked child: become the kernel ``request`` describes (never returns)."""
    code = 1
    try:
        os.setsid()  # its own process group: killpg(pid) reaches this kernel only
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for sock in others:
            sock.close()
        for fd in wake:
            os.close(fd)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.close(out)
        os.close(err)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        _as_fresh_interpreter(request["argv"])
        _set_command_line(request["argv"])
        channel.send(json.dumps({"pid": os.getpid()}).encode())
        channel.close()
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        # What the interpreter does at exit (the handlers the imports registered), then
        # leave without returning into the template's loop.
        with contextlib.suppress(BaseException):
            import atexit

            atexit._run_exitfuncs()
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _as_fresh_interpreter(argv: Sequence[str]) -> None:
    """What ``python -m ipykernel_launcher`` would see that the template's imports changed."""
    import importlib.util
    import tempfile
    import warnings

    spec = importlib.util.find_spec("ipykernel_launcher")
    launcher = spec.origin if spec is not None and spec.origin else "ipykernel_launcher"
    sys.argv = [launcher, *argv[3:]]
    sys.orig_argv = list(argv)
    tempfile.tempdir = None  # re-read from this kernel's TMPDIR
    # Warnings shown once per place in the template are shown again in the kernel.
    warnings._filters_mutated()  # type: ignore[attr-defined]
    warnings.onceregistry.clear()  # type: ignore[attr-defined]


def _set_command_line(argv: Sequence[str]) -> None:
    """Show the kernel's own command line in ``ps`` and ``/proc/<pid>/cmdline``.

    A forked child shows its template's command line; a person (or a test) looking for a
    batch's kernels finds them by their connection file's name, as for started kernels.
    The template's own arguments (its program text) leave room enough; the new line is
    written over them, as ``setproctitle`` does on Linux, and cut if it is longer.
    """
    import ctypes

    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[45]), int(fields[46])  # arg_start, arg_end (proc(5) 48, 49)
    except (OSError, IndexError, ValueError):
        return
    size = end - start
    if size <= 1:
        return
    data = b"\0".join(os.fsencode(a) for a in argv)[: size - 1]
    ctypes.memmove(start, data.ljust(size, b"\0"), size)
