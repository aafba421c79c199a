"""One submission's kernel seen from the grader: replayable cells and proxies for its answers.

A :class:`Session` runs the source's setup cells and the student's answer cells in a
:class:`~backprop_course.grading.boundary.sandbox.Sandbox` and remembers them, so that when the
kernel dies (``os._exit`` in a function a test calls, a segfault) or stops answering after a
timeout it can start a fresh kernel and replay them, leaving out any answer cell that itself
killed the kernel.
Tests then carry on; only the affected part loses points.

A session may have a time *budget* (``backprop-course grade --submission-timeout``): wall-clock
seconds for the whole submission, counted from when its kernel is ready. Every cell and call
gets its own timeout cut to the time left, and once none is left nothing more runs:
:attr:`Session.out_of_time` tells the grader to stop, so a submission whose every function
sleeps just under the per-call timeout cannot stall a class's batch.

A test that measures a student's function hands it a ``checks.CallCounter`` (or
``CountingMul``): the session makes a counted twin of the counter's function in the kernel
(``kernel_side.Counted``) and passes the twin instead. The twin writes a record of every call
(and of every product, for a multiply) to a pipe whose read end only the grader holds; after
the call the session counts those records into the test's counter, so ``counter.count`` (and
``CountingMul.products_in``) say what the student's code did, from nothing the kernel can
rewrite.

Test cells run in the grader's process and see the student's answers through
:class:`Proxy` (a function: calling it runs the student's function in the kernel with plain-data
arguments and decodes the plain-data result) and :class:`RemoteObject` (any other object the
student's code returns, kept in the kernel). An exception in the student's code reaches the test
as a :class:`StudentError` that is also an instance of the matching built-in exception class, so
``except ValueError`` in a test works.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass, field

from backprop_course.grading.boundary.errors import StudentError, student_error
from backprop_course.grading.boundary.sandbox import Outcome, Sandbox
from backprop_course.grading.kernel import wire
from backprop_course.grading.scoring.counters import CallCounter, CountingMul
from backprop_course.grading.scoring.writeback import write_back

#: How many times one submission's kernel may be restarted before its remaining parts fail.
MAX_RESTARTS = 3
#: Least seconds a setup cell may take in the kernel.
SETUP_TIMEOUT = 30.0
#: Most seconds the grader waits for a call's last counter record to come through the pipe.
RECORD_WAIT = 5.0


@dataclass
class _Cell:
    code: str
    answer_id: str | None = None


@dataclass
class Usage:
    """What a test touched: answer names it used and errors their code raised."""

    names: set[str] = field(default_factory=set)
    errors: list[StudentError] = field(default_factory=list)
    timed_out: bool = False
    #: the submission's time budget ran out during this test
    out_of_time: bool = False


class Session:
    """Runs a submission's cells in a kernel, restarting and replaying it when it dies."""

    def __init__(self, sandbox: Sandbox, *, budget: float | None = None) -> None:
        if budget is not None and not budget > 0:
            raise ValueError(f"budget must be a positive number of seconds, got {budget!r}")
        self.sandbox = sandbox
        #: seconds the whole submission may take once its kernel is ready (None: no bound)
        self.budget = budget
        self.deadline: float | None = None
        #: True once a cell or call was cut short, or not run, because the budget ran out
        self.out_of_time = False
        self.cells: list[_Cell] = []
        self.crashed: set[str] = set()
        self.restarts = 0
        self.usage = Usage()
        self.notes: list[str] = []
        #: ``obj -> Ref | Handle | None``: how functions and kernel objects are passed back.
        self.refs = None
        #: ``counter -> its twin's handle`` in the running kernel
        self._twins: dict[CallCounter, wire.Handle] = {}
        #: ``key -> counter``: whose calls a record of the pipe counts
        self._counters: dict[int, CallCounter] = {}

    # -- kernel --------------------------------------------------------------------------
    def start(self) -> Outcome:
        """Start the kernel (first time); the budget's clock starts when it is ready."""
        outcome = self.sandbox.start()
        if self.budget is not None:
            self.deadline = time.monotonic() + self.budget
        return outcome

    def remaining(self) -> float:
        """Seconds left of the budget (``inf`` without one)."""
        if self.deadline is None:
            return math.inf
        return self.deadline - time.monotonic()

    def _out_of_time(self) -> Outcome:
        self.out_of_time = True
        self.usage.out_of_time = True
        message = f"not run: the submission's time bound of {self.budget:g} s is used up"
        return Outcome("timeout", evalue=message)

    def _run(self, code: str, timeout: float) -> Outcome:
        """Run code with ``timeout`` cut to the budget's time left."""
        left = self.remaining()
        if left <= 0:
            return self._out_of_time()
        outcome = self.sandbox.run(code, timeout=min(timeout, left))
        if outcome.status == "timeout" and left < timeout:
            self._out_of_time()
            outcome = Outcome(
                "timeout", evalue=f"stopped at the submission's time bound of {self.budget:g} s"
            )
        return outcome

    def _revive(self) -> bool:
        """Restart a dead kernel and replay the cells so far; False when out of restarts."""
        if self.sandbox.alive:
            return True
        if self.restarts >= MAX_RESTARTS:
            return False
        self.restarts += 1
        self._twins.clear()  # the twins died with the kernel; counts so far are kept
        if not self.sandbox.start().ok:
            return False
        for cell in self.cells:
            if cell.answer_id in self.crashed:
                continue
            self._run(cell.code, self._timeout(cell.answer_id))
            if self.out_of_time:
                return False
            if not self.sandbox.alive:
                if cell.answer_id is None:
                    return False
                self.crashed.add(cell.answer_id)
                return self._revive()
        return True

    def _timeout(self, answer_id: str | None) -> float:
        """Setup cells are the instructor's (imports, data): at least SETUP_TIMEOUT seconds, so
        a busy machine does not fail them; answer cells get the per-cell timeout."""
        if answer_id is None:
            return max(self.sandbox.timeout, SETUP_TIMEOUT)
        return self.sandbox.timeout

    def run_cell(self, code: str, answer_id: str | None = None) -> Outcome:
        """Run a setup cell (``answer_id`` None) or an answer cell and remember it for replays."""
        if self.remaining() <= 0:
            return self._out_of_time()
        if not self._revive():
            if self.out_of_time:
                return self._out_of_time()
            return Outcome("dead", evalue="the kernel died too often; remaining cells not run")
        outcome = self._run(code, self._timeout(answer_id))
        if outcome.status in ("dead", "timeout") and answer_id is not None:
            self.crashed.add(answer_id)
        if outcome.status != "dead" or answer_id is None:  # an answer killing it is never replayed
            self.cells.append(_Cell(code, answer_id))
        return outcome

    def request(self, code: str, answer: str) -> object:
        """Run a helper request; return the decoded reply or raise :class:`StudentError`."""
        if self.usage.timed_out:
            outcome = Outcome("timeout", evalue="skipped: an earlier call in this test timed out")
            raise student_error(answer, outcome)
        if self.remaining() <= 0:
            raise student_error(answer, self._out_of_time())
        if not self._revive():
            if self.out_of_time:
                raise student_error(answer, self._out_of_time())
            raise student_error(
                answer, Outcome("dead", evalue="the kernel died too often; not run")
            )
        outcome = self._run(code, self.sandbox.timeout)
        if outcome.status == "timeout":
            self.usage.timed_out = True
        if outcome.ok and outcome.reply is None:
            outcome = Outcome("error", "RuntimeError", "no result came back from the kernel")
        if not outcome.ok:
            error = student_error(answer, outcome)
            self.usage.errors.append(error)
            raise error
        try:
            return wire.decode(outcome.reply, make_handle=self._handle)
        except wire.WireError as exc:
            raise student_error(
                answer, Outcome("error", "TypeError", f"returned something that is not data: {exc}")
            ) from None

    def _handle(self, handle: wire.Handle) -> RemoteObject:
        return RemoteObject(self, handle, self._current_answer)

    _current_answer = "?"

    # -- answers -------------------------------------------------------------------------
    def describe(self, names: list[str]) -> dict[str, tuple]:
        """Ask the kernel what each answer name is; ``{name: ("missing",) | ...}``."""
        if not names:
            return {}
        self._current_answer = names[0]
        code = f"__backprop_course__.describe({names!r})"
        self.usage = Usage()
        try:
            reply = self.request(code, names[0])
        except StudentError as exc:
            if not self.out_of_time:  # the grader says so once, for the whole submission
                self.notes.append(f"could not read {', '.join(names)}: {exc.outcome.describe()}")
            return {name: ("missing",) for name in names}
        finally:
            self.usage = Usage()
        if not isinstance(reply, dict):
            return {name: ("missing",) for name in names}
        out = {}
        for name in names:
            entry = reply.get(name)
            kind = entry[0] if isinstance(entry, list) and entry else None
            if kind == "value" and len(entry) == 2:
                out[name] = ("value", entry[1])
            else:
                out[name] = ("callable",) if kind == "callable" else ("missing",)
        return out

    def call(self, target: str | int, args: tuple, kwargs: dict, answer: str) -> object:
        """Call a student function (by name or handle number) with plain-data arguments."""
        self.usage.names.add(answer)
        self._current_answer = answer
        used: list[CallCounter] = []
        try:
            payload = wire.encode((tuple(args), dict(kwargs)), to_ref=self._to_ref(used, answer))
        except wire.WireError as exc:
            raise TypeError(
                f"the grader can only pass plain data to {answer} ({exc}); fix the test"
            ) from None
        mark = secrets.token_hex(8) if used else ""
        code = f"__backprop_course__.call({target!r}, {payload!r}, {mark!r})"
        try:
            reply = self.request(code, answer)
        except StudentError:
            if mark:  # the student's error is what the test sees
                self._count(mark, answer, strict=False)
            raise
        if mark:
            self._count(mark, answer)
        if not (isinstance(reply, tuple) and len(reply) == 2):
            raise student_error(
                answer, Outcome("error", "TypeError", "the kernel's reply is malformed")
            )
        result, after = reply
        if isinstance(after, tuple) and len(after) == 2:
            write_back(args, after[0])
            write_back(kwargs, after[1])
        return result

    # -- counters ------------------------------------------------------------------------
    def _to_ref(self, used: list, answer: str):
        """``refs`` that also turns a test's counters into their twins in the kernel."""

        def to_ref(obj):
            if isinstance(obj, CallCounter):
                handle = self._twin(obj, answer)
                if obj not in used:
                    used.append(obj)
                return handle
            return self.refs(obj) if self.refs is not None else None

        return to_ref

    def _twin(self, counter: CallCounter, answer: str) -> wire.Handle:
        """The handle of ``counter``'s twin in the kernel, made on first use."""
        if counter in self._twins:
            return self._twins[counter]
        try:
            fn = wire.encode(counter.fn, to_ref=self._to_ref([], answer))
        except wire.WireError as exc:
            raise TypeError(
                f"the grader cannot pass the counted function {counter.fn!r} to {answer} ({exc}); "
                "count a function the setup defines, or a module's function"
            ) from None
        key = len(self._counters) + 1
        self._counters[key] = counter
        products = isinstance(counter, CountingMul)
        code = f"__backprop_course__.counted({fn!r}, {key}, {products})"
        remote = self.request(code, answer)
        if not isinstance(remote, RemoteObject):
            raise student_error(answer, Outcome("error", "TypeError", "no counter came back"))
        self._twins[counter] = remote._handle
        return remote._handle

    def _count(self, mark: str, answer: str, *, strict: bool = True) -> None:
        """Count the records the twins wrote to the grader's pipe up to ``e MARK``.

        ``c KEY`` is one call; ``m KEY A B OUT`` one call of a multiply and its product,
        kept only if ``A * B`` is ``OUT`` (so only products ``mul`` made can be traced).
        A record that lies, an unreadable one, or a flood of them is tampering: the test
        fails (``strict``; after a student error that error is what the test sees)."""
        records = self.sandbox.records
        if records is None:
            return
        lines, complete = records.take(mark, RECORD_WAIT if self.sandbox.alive else 0.5)
        lies = records.overflow
        for line in lines:
            parts = line.split(" ")
            counter = (
                self._counters.get(int(parts[1])) if len(parts) > 1 and parts[1].isdigit() else None
            )
            if counter is None or parts[0] not in ("c", "m") or len(parts) not in (2, 5):
                lies = True
                continue
            counter.count += 1
            if parts[0] == "m" and isinstance(counter, CountingMul):
                try:
                    a, b, out = (float.fromhex(x) for x in parts[2:])
                except ValueError:
                    lies = True
                    continue
                lies = not counter.record(a, b, out) or lies
        if (lies or not complete) and strict and self.sandbox.alive:
            raise student_error(
                answer,
                Outcome(
                    "error",
                    "RuntimeError",
                    "the grader's call counter was tampered with (its records are not what "
                    "the counted function wrote)",
                ),
            )

    def close(self) -> None:
        """Stop the kernel."""
        self.sandbox.close()


class Proxy:
    """A student's function seen from a test: calls run in the student's kernel."""

    def __init__(self, session: Session, name: str) -> None:
        self._session, self._name = session, name

    def __call__(self, *args, **kwargs):
        return self._session.call(self._name, args, kwargs, self._name)

    def __repr__(self) -> str:
        return f"<student function {self._name}>"


class RemoteObject:
    """An object the student's code returned that is not plain data; it stays in the kernel."""

    def __init__(self, session: Session, handle: wire.Handle, answer: str) -> None:
        self._session, self._handle, self._answer = session, handle, answer

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        session, handle, answer = self._session, self._handle, self._answer
        session.usage.names.add(answer)
        code = f"__backprop_course__.attr({handle.number}, {name!r})"
        return session.request(code, f"{answer} (.{name})")

    def __call__(self, *args, **kwargs):
        session, handle = self._session, self._handle
        return session.call(handle.number, args, kwargs, self._answer)

    def __getitem__(self, key):
        session, handle = self._session, self._handle
        session.usage.names.add(self._answer)
        code = f"__backprop_course__.item({handle.number}, {wire.encode(key)!r})"
        return session.request(code, f"{self._answer}[...]")

    def __len__(self) -> int:
        session, handle = self._session, self._handle
        session.usage.names.add(self._answer)
        n = session.request(f"__backprop_course__.length({handle.number})", self._answer)
        if type(n) is not int or n < 0:
            raise TypeError(f"len() of the student's {handle.type_name} is not a count: {n!r}")
        return n

    def __repr__(self) -> str:
        return f"<student {self._handle.type_name} object>"
