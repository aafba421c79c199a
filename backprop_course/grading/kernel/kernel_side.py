"""The grader's helper inside a student's kernel (its source is sent there as text).

The kernel is started confined (:mod:`~backprop_course.grading.kernel.confine`). The first cell
a grading kernel runs, before any student code, calls :func:`install`: it caps the kernel's
address space (``RLIMIT_AS``, soft and hard) so a memory bomb ends in ``MemoryError``,
disables core dumps, blocks the modules the exercise forbids (an audit hook refuses their
import and the reading of their files), seals the kernel
(:func:`~backprop_course.grading.kernel.seal.seal`: what it may read, write and run) and puts a
:class:`Helper` at ``__backprop_course__`` in the user namespace.

Nothing here is trusted by the grader: a student can replace or break the helper, but all it
ever sends back is JSON text of plain data that the grader decodes itself, so doing so only
loses the student their own points. This module must stay importable and harmless on the
grader's side (it is imported by doctests) and use only the standard library besides the
modules whose source it is given.

>>> h = Helper(wire=None, user_ns={"f": len})
>>> h.kind("f"), h.kind("g")
('callable', 'missing')
"""

import os
import sys

#: MIME type of the helper's replies.
MIME = "text/x-backprop-course-reply"
#: Marker in the message of an import refused because the exercise forbids the module.
FORBIDDEN_MARK = "is off limits in this exercise"
#: The modules of this folder whose source :func:`install` is given, in the order it runs them.
SOURCES = ("wire", "shapes", "confine", "audit", "seal")


def block_modules(modules) -> None:
    """Refuse any import of ``modules`` (and their submodules) and any reading of their files."""
    modules = tuple(modules)
    if not modules:
        return
    import importlib.util

    files = set()
    for name in modules:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None:
            for path in (spec.origin, spec.cached):
                if path:
                    files.add(os.path.realpath(path))

    prefixes = tuple(m + "." for m in modules)

    def refuse(name):
        raise ImportError(
            f"{name} {FORBIDDEN_MARK}: the exercise asks you to write this algorithm yourself"
        )

    def hook(event, args):
        if event == "import":
            name = args[0]
            if isinstance(name, str) and name.startswith(prefixes) or name in modules:
                refuse(name)
        elif event == "open" and files and isinstance(args[0], str | bytes):
            path = args[0].decode() if isinstance(args[0], bytes) else args[0]
            if os.path.realpath(path) in files:
                refuse(path)

    sys.addaudithook(hook)


#: The environment variable naming the kernel's end of the grader's record pipe.
RECORDS_FD = "BACKPROP_COURSE_RECORDS_FD"


class Counted:
    """A test's counter (``counters.CallCounter`` or ``CountingMul``) mirrored in the kernel.

    The grader hands it to the student's function in place of the test's counter. Each call
    writes one line to the pipe ``fd``, which only the grader reads: ``c KEY`` before calling
    ``fn``, or, for a multiply (``products``) of two numbers, ``m KEY A B OUT`` (exact
    ``float.hex`` texts) before returning ``OUT``. Nothing in the kernel holds the count, so
    there is nothing to rewrite: code can only add lines, and the grader checks every product
    it is told of.

    >>> import os
    >>> r, w = os.pipe()
    >>> mul = Counted(lambda a, b: a * b, 7, w, products=True)
    >>> mul(1.5, 2.0), Counted(len, 8, w)("ab")
    (3.0, 2)
    >>> os.read(r, 100).decode().split()
    ['m', '7', '0x1.8000000000000p+0', '0x1.0000000000000p+1', '0x1.8000000000000p+1', 'c', '8']
    >>> os.close(r), os.close(w)
    (None, None)
    """

    __slots__ = ("_fn", "_key", "_fd", "_products", "_write")

    def __init__(self, fn, key: int, fd: int, products: bool = False) -> None:
        import posix

        self._fn, self._key, self._fd, self._products = fn, int(key), fd, products
        self._write = posix.write

    def __call__(self, *args, **kwargs):
        if not (self._products and len(args) == 2 and not kwargs):
            self._write(self._fd, f"c {self._key}\n".encode())
            return self._fn(*args, **kwargs)
        a, b = args
        out = self._fn(a, b)
        try:
            texts = [float(v).hex() for v in (a, b, out) if type(v) is not bool]
        except (TypeError, ValueError):  # not numbers: counted, not traced
            texts = []
        line = f"m {self._key} {' '.join(texts)}" if len(texts) == 3 else f"c {self._key}"
        self._write(self._fd, (line + "\n").encode())
        return out


class Helper:
    """Runs the grader's requests in the kernel and publishes plain-data replies."""

    def __init__(self, wire, user_ns, shapes=None, records: int | None = None) -> None:
        import posix

        self._wire = wire
        self._shapes = shapes  # the module explaining numpy's shape errors (kernel/shapes.py)
        self._ns = user_ns
        self._objects = {}
        self._records = records  # the pipe's file descriptor (Counted)
        self._write = posix.write

    def _to_handle(self, obj) -> int:
        number = len(self._objects) + 1
        self._objects[number] = obj
        return number

    def _from_handle(self, handle):
        return self._objects[handle.number]

    def _resolve(self, ref):
        if ref.module is None:
            return self._ns[ref.name]
        import importlib

        obj = importlib.import_module(ref.module)
        for part in ref.name.split("."):
            obj = getattr(obj, part)
        return obj

    def _reply(self, value) -> None:
        from IPython.display import publish_display_data

        text = self._wire.encode(value, to_handle=self._to_handle)
        publish_display_data({MIME: text})

    def kind(self, name: str) -> str:
        """``"missing"``, ``"callable"`` or ``"value"``: what ``name`` is in the notebook."""
        if name not in self._ns:
            return "missing"
        return "callable" if callable(self._ns[name]) else "value"

    def describe(self, names) -> None:
        """Reply ``{name: ["missing"] | ["callable"] | ["value", value]}``."""
        out = {}
        for name in names:
            kind = self.kind(name)
            out[name] = [kind, self._ns[name]] if kind == "value" else [kind]
        self._reply(out)

    def call(self, target, payload: str, mark: str = "") -> None:
        """Call the function named ``target`` (or held as handle number ``target``); then
        write ``e MARK`` to the record pipe, so the grader knows it has every record of it."""
        args, kwargs = self._wire.decode(
            payload, make_handle=self._from_handle, resolve_ref=self._resolve
        )
        fn = self._ns[target] if isinstance(target, str) else self._objects[target]
        try:
            result = fn(*args, **kwargs)
        except ValueError as exc:  # a shape error is told in the student's names and shapes
            explained = self._shapes.explain_shape_error(exc) if self._shapes else None
            if explained is None:
                raise
            raise ValueError(explained) from None
        finally:
            if mark and self._records is not None:
                self._write(self._records, f"e {mark}\n".encode())
        # the arguments as the call left them, so the grader sees in-place changes as a local
        # call would (None when unchanged); objects in them travel as handle 0, never stored
        after = self._wire.encode((args, kwargs), to_handle=lambda obj: 0)
        changed = "null" if after == payload else after
        text = self._wire.encode(result, to_handle=self._to_handle)
        from IPython.display import publish_display_data

        publish_display_data({MIME: '{"__tuple__": [' + text + ", " + changed + "]}"})

    def attr(self, number: int, name: str) -> None:
        """Reply with attribute ``name`` of the object held as handle ``number``."""
        self._reply(getattr(self._objects[number], name))

    def item(self, number: int, payload: str) -> None:
        """Reply with ``obj[key]`` for the object held as handle ``number``."""
        key = self._wire.decode(payload, make_handle=self._from_handle, resolve_ref=self._resolve)
        self._reply(self._objects[number][key])

    def length(self, number: int) -> None:
        """Reply with ``len(obj)`` for the object held as handle ``number``."""
        self._reply(len(self._objects[number]))

    def counted(self, payload: str, key: int, products: bool = False) -> None:
        """Reply with a handle to a :class:`Counted` twin of the function ``payload`` holds,
        writing its records as ``key``."""
        fn = self._wire.decode(payload, make_handle=self._from_handle, resolve_ref=self._resolve)
        if not callable(fn):
            raise TypeError("a counter needs a function")
        if self._records is None:
            raise RuntimeError("the grader gave this kernel no record pipe")
        self._reply(Counted(fn, key, self._records, products))


def install(
    sources: dict, extra_memory_bytes: int, forbidden, protected=(), connection_file=None
) -> Helper:
    """Limit memory, block forbidden modules, seal files and return the helper (in the kernel).

    ``sources`` holds the source texts of this folder's other modules (``"wire"``,
    ``"shapes"``, ``"confine"``, ``"audit"``, ``"seal"``), run here as modules.
    ``connection_file`` defaults to the kernel's ``-f`` argument.
    """
    import types

    modules = {}
    for name, source in sources.items():
        module = types.ModuleType(f"backprop_course_{name}")
        code = compile(source, f"<backprop-course {name}>", "exec", dont_inherit=True)
        exec(code, module.__dict__)
        modules[name] = module
    confine = modules["confine"]
    confine.limit_memory(extra_memory_bytes)
    block_modules(forbidden)
    from IPython.display import publish_display_data  # noqa: F401  (imported before sealing)

    try:  # imported before sealing: importing it later opens libraries, which is refused
        import ctypes  # noqa: F401
    except ImportError:
        pass
    scratch = os.path.realpath(os.getcwd())
    connection_file = connection_file or confine.connection_file(sys.argv)
    allowed = confine.allow_list(scratch, protected, connection_file)
    modules["seal"].seal(modules["audit"], protected, allowed)
    from IPython import get_ipython

    records = os.environ.get(RECORDS_FD, "")
    records = int(records) if records.isdigit() else None
    return Helper(modules.get("wire"), get_ipython().user_ns, modules.get("shapes"), records)
