"""A student's kernel: started fresh, limited, and driven one cell at a time through nbclient.

:class:`Sandbox` starts an IPython kernel in a scratch folder (one BLAS thread, no history),
runs the helper of :mod:`~backprop_course.grading.kernel.kernel_side` first (memory cap, forbidden
modules), then runs code with a per-cell timeout. Every run ends in an :class:`Outcome`, never
an exception: ``"ok"``, ``"error"`` (with the exception's name and message), ``"timeout"`` or
``"dead"``. After a timeout the kernel is interrupted and probed; when it does not answer, or
when it died (``os._exit``, a segfault, ``exit()``), :attr:`Sandbox.alive` is False and the
caller restarts it.

Only the helper's replies (a private MIME type) and error messages are kept from a cell's
output, so a flood of prints costs the grader no memory.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from backprop_course.grading.kernel import audit, confine, kernel_side, seal, shapes, wire

_KERNEL_MODULES = {"wire": wire, "shapes": shapes, "confine": confine, "audit": audit, "seal": seal}

#: Longest error message kept from the kernel.
MAX_MESSAGE = 2000
#: Most bytes of a kernel's counter records kept (a kernel writing more gets its counts refused).
MAX_RECORD_BYTES = 16 << 20


@dataclass
class Outcome:
    """How one cell ended: ``status`` is ``"ok"``, ``"error"``, ``"timeout"`` or ``"dead"``."""

    status: str
    ename: str = ""
    evalue: str = ""
    reply: str | None = None

    @property
    def ok(self) -> bool:
        """True when the cell finished without an exception."""
        return self.status == "ok"

    def describe(self) -> str:
        """One line for a report: the exception, the timeout or the dead kernel."""
        if self.status == "error":
            return f"{self.ename}: {self.evalue}" if self.evalue else self.ename
        return self.evalue or self.status


#: Longest temporary folder the kernel's socket paths (folder + 30 + 'kernel-N') fit under.
_MAX_TMP_CHARS = 60


class _Client(NotebookClient):
    """nbclient's client keeping only the helper's replies and errors from a cell's output.

    On a timeout nbclient interrupts the kernel and finishes the cell with an error reply
    (``interrupt_on_timeout``, ``error_on_timeout``), which also ends its output listener;
    :attr:`timed_out` records that it happened.
    """

    timed_out = False

    async def _async_handle_timeout(self, timeout, cell=None):
        self.timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

    def output(self, outs, msg, display_id, cell_index):
        msg_type = msg["msg_type"]
        content = msg["content"]
        if msg_type == "error":
            outs.append(
                {
                    "output_type": "error",
                    "ename": str(content.get("ename", ""))[:200],
                    "evalue": str(content.get("evalue", ""))[:MAX_MESSAGE],
                }
            )
        elif msg_type == "display_data":
            data = content.get("data", {})
            reply = data.get(kernel_side.MIME) if isinstance(data, dict) else None
            if isinstance(reply, str):
                outs[:] = [o for o in outs if o.get("output_type") == "error"]
                outs.append({"output_type": "reply", "text": reply})
        return None


def _bootstrap_code(
    extra_memory_bytes: int, forbidden: tuple[str, ...], protected: tuple[str, ...]
) -> str:
    helper = inspect.getsource(kernel_side)
    sources = {name: inspect.getsource(_KERNEL_MODULES[name]) for name in kernel_side.SOURCES}
    return (
        "def __backprop_course_boot():\n"
        "    import types\n"
        "    mod = types.ModuleType('backprop_course_kernel_side')\n"
        f"    code = compile({helper!r}, '<backprop-course helper>', 'exec', dont_inherit=True)\n"
        "    exec(code, mod.__dict__)\n"
        f"    return mod.install({sources!r}, {int(extra_memory_bytes)}, {tuple(forbidden)!r}, "
        f"{tuple(protected)!r})\n"
        "__backprop_course__ = __backprop_course_boot()\n"
        "del __backprop_course_boot\n"
    )


class _Records:
    """The grader's end of a kernel's record pipe (``kernel_side.Counted``), drained by a thread.

    The kernel holds only the write end, so code in it can add lines but never take one
    back. At most :data:`MAX_RECORD_BYTES` are kept; past that the pipe is still drained (so
    the kernel never blocks on it) and :attr:`overflow` is set.
    """

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_inheritable(self.write_fd, True)
        self._lines: list[str] = []
        self._kept = 0
        self.overflow = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        rest = b""
        while True:
            try:
                chunk = os.read(self.read_fd, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                break
            *lines, rest = (rest + chunk).split(b"\n")
            if len(rest) > 4096:
                rest = b""
            with self._changed:
                for line in lines:
                    self._kept += len(line)
                    if self._kept > MAX_RECORD_BYTES:
                        self.overflow = True
                    else:
                        self._lines.append(line.decode("ascii", "replace"))
                self._changed.notify_all()
        os.close(self.read_fd)

    def take(self, mark: str, timeout: float) -> tuple[list[str], bool]:
        """The lines up to ``e MARK`` (which is dropped) and whether it came within
        ``timeout`` seconds; without it, every line so far."""
        end = f"e {mark}"
        with self._changed:
            self._changed.wait_for(lambda: end in self._lines, timeout=timeout)
            if end in self._lines:
                at = self._lines.index(end)
                lines, self._lines = self._lines[:at], self._lines[at + 1 :]
                return lines, True
            lines, self._lines = self._lines, []
            return lines, False

    def close_writer(self) -> None:
        """Close the grader's copy of the write end (the kernel has its own)."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1


class Sandbox:
    """One student's kernel.

    Parameters
    ----------
    timeout : float
        Seconds each cell (and each call of a student function) may run.
    memory_mb : float
        Memory the student's code may allocate on top of the kernel's own (address space).
    forbidden : tuple of str
        Modules the student's code may not import.
    protected : tuple of str
        Files the student's code may not open (the source notebook); no code in the kernel
        may open a ``.ipynb`` file or start another program.
    startup_timeout : float
        Seconds the kernel may take to start.
    """

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        memory_mb: float = 1024,
        forbidden: tuple[str, ...] = (),
        protected: tuple[str, ...] = (),
        startup_timeout: float = 60.0,
    ) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if not memory_mb > 0:
            raise ValueError(f"memory_mb must be a positive number of megabytes, got {memory_mb!r}")
        self.timeout = float(timeout)
        self.memory_mb = float(memory_mb)
        self.forbidden = tuple(forbidden)
        # absolute here: the kernel resolves them in its own scratch folder, where a relative
        # path (`grade solutions/05.ipynb subs/*.ipynb`) named nothing and hid nothing
        self.protected = tuple(os.path.abspath(p) for p in protected)
        self.startup_timeout = float(startup_timeout)
        self._client: _Client | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.alive = False
        self._launched = False
        self._launch_error: Exception | None = None
        #: the record pipe of the running kernel (its counted functions write there)
        self.records: _Records | None = None

    # -- life cycle -----------------------------------------------------------------------
    def launch(self) -> None:
        """Start the kernel process without waiting for it (see :meth:`start`).

        Launching takes milliseconds and the kernel then boots on its own, so a batch can
        launch the next submission's kernel before grading the current one.
        """
        self.close()
        # the kernel's sockets live in this folder, and a Unix socket's path must stay under
        # 108 bytes: a long temporary folder (a deep $TMPDIR) would stop every kernel starting
        base = tempfile.gettempdir()
        if len(base) > _MAX_TMP_CHARS and os.access("/tmp", os.W_OK):
            base = "/tmp"
        if len(base) > _MAX_TMP_CHARS:
            raise ValueError(
                f"the temporary folder {base!r} is too long for the kernel's sockets "
                f"(at most {_MAX_TMP_CHARS} characters): set TMPDIR to a shorter folder"
            )
        self._tmp = tempfile.TemporaryDirectory(prefix="backprop-course-grade-", dir=base)
        workdir = Path(self._tmp.name)
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")])
        client = _Client(
            nb,
            timeout=self.timeout,
            startup_timeout=self.startup_timeout,
            kernel_name="python3",
            allow_errors=True,
            interrupt_on_timeout=True,
            error_on_timeout={"ename": "TimeoutError", "evalue": "timed out", "traceback": []},
            shutdown_kernel="immediate",
            iopub_timeout=2,
            extra_arguments=["--HistoryManager.enabled=False"],
        )
        client.km = client.create_kernel_manager()
        # its key stays in its own folder, the only one of the grader's it can see
        client.km.connection_file = str(workdir / "connection.json")
        # the kernel confines itself (confine.confine_process) before ipykernel starts: it
        # reads only its allow-list, never the protected files (Landlock, where the system has it)
        client.km.kernel_spec.argv = [
            sys.executable,
            "-c",
            confine.LAUNCHER,
            confine.__file__,
            *self.protected,
            "--",
            "-f",
            "{connection_file}",
        ]
        client.km.transport = "ipc"
        client.km.ip = str(workdir / "kernel")
        env = dict(os.environ)
        env.update(
            OPENBLAS_NUM_THREADS="1",
            OMP_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            MALLOC_ARENA_MAX="2",
            MPLBACKEND="Agg",
            TMPDIR=str(workdir),
            # the kernel may write only here (Landlock): IPython's profile goes in it, or a
            # machine without ~/.ipython yet kills every kernel as it starts
            IPYTHONDIR=str(workdir / "ipython"),
            PYDEVD_DISABLE_FILE_VALIDATION="1",
        )
        self.records = _Records()
        env[kernel_side.RECORDS_FD] = str(self.records.write_fd)
        self._client = client
        try:
            client.start_new_kernel(
                cwd=str(workdir),
                env=env,
                stderr=subprocess.DEVNULL,
                pass_fds=(self.records.write_fd,),
            )
        except Exception as exc:  # reported by start()
            self._launch_error = exc
        else:
            self._launch_error = None
        self.records.close_writer()  # the pipe ends (the thread stops) when the kernel does
        self._launched = True

    def start(self) -> Outcome:
        """Wait for a launched kernel (or launch a fresh one) and install the helper."""
        if not self._launched:
            self.launch()
        self._launched = False
        client = self._client
        try:
            if self._launch_error is not None:
                raise self._launch_error
            client.start_new_kernel_client()
        except Exception as exc:  # a kernel that cannot start is this submission's failure
            self.close()
            return Outcome("dead", "KernelStartError", f"the kernel did not start: {exc}")
        self.alive = True
        extra = int(self.memory_mb * 1024 * 1024)
        code = _bootstrap_code(extra, self.forbidden, self.protected)
        outcome = self.run(code, timeout=self.startup_timeout)
        if not outcome.ok:
            self.alive = False
        return outcome

    def close(self) -> None:
        """Stop the kernel (immediately) and remove its scratch folder."""
        client, self._client = self._client, None
        self.alive = False
        self._launched = False
        if client is not None and client.km is not None:
            try:
                client._cleanup_kernel()
            except Exception:  # already dead or half started: nothing left to stop
                pass
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        if self.records is not None:
            self.records.close_writer()
            self.records = None

    # -- running code ---------------------------------------------------------------------
    def run(self, code: str, *, timeout: float | None = None) -> Outcome:
        """Run ``code`` as one cell and say how it ended (never raises for the student's code)."""
        if self._client is None or not self.alive:
            return Outcome("dead", evalue="the kernel is not running")
        client = self._client
        client.timeout = max(1, round(timeout if timeout is not None else self.timeout))
        cell = nbformat.v4.new_code_cell(code)
        client.nb.cells[0] = cell
        client.timed_out = False
        try:
            client.execute_cell(cell, 0, store_history=False)
        except CellTimeoutError:
            return self._after_timeout(client.timeout)
        except DeadKernelError:
            self.alive = False
            return Outcome("dead", evalue="the kernel died (os._exit, exit(), a crash or a kill)")
        except Exception as exc:  # a broken channel is a dead kernel for our purposes
            self.alive = False
            return Outcome("dead", evalue=f"lost the kernel: {type(exc).__name__}: {exc}")
        if not self._client_alive():
            self.alive = False
            return Outcome("dead", evalue="the kernel died (os._exit, exit(), a crash or a kill)")
        if client.timed_out:
            return self._after_timeout(client.timeout)
        reply = None
        for out in cell.outputs:
            if out.get("output_type") == "error":
                return Outcome("error", out["ename"], out["evalue"])
            if out.get("output_type") == "reply":
                reply = out["text"]
        return Outcome("ok", reply=reply)

    def _client_alive(self) -> bool:
        try:
            return bool(self._client is not None and run_sync(self._client.km.is_alive)())
        except Exception:
            return False

    def _after_timeout(self, seconds: float) -> Outcome:
        message = f"timed out after {seconds:g} s (an infinite loop, or far too slow)"
        # nbclient has interrupted the kernel; a kernel that ignores it gets restarted
        probe = nbformat.v4.new_code_cell("None")
        self._client.nb.cells[0] = probe
        self._client.timeout = 2
        self._client.timed_out = False
        try:
            self._client.execute_cell(probe, 0, store_history=False)
        except Exception:  # died: restart before the next cell
            self.alive = False
        if self._client.timed_out or not self._client_alive():
            self.alive = False  # ignores interrupts: restart before the next cell
        return Outcome("timeout", evalue=message)
