"""The grader's helper inside a student's kernel (its source is sent there as text).

The first cell a grading kernel runs, before any student code, calls :func:`install`: it caps
the kernel's address space (``RLIMIT_AS``, soft and hard) so a memory bomb ends in
``MemoryError``, disables core dumps, blocks the modules the exercise forbids (an audit hook
refuses their import and the reading of their files) and puts a :class:`Helper` at
``__backprop_course__`` in the user namespace.

Nothing here is trusted by the grader: a student can replace or break the helper, but all it
ever sends back is JSON text of plain data that the grader decodes itself, so doing so only
loses the student their own points. This module must stay importable and harmless on the
grader's side (it is imported by doctests) and use only the standard library besides the wire
codec it is given.

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


def _vm_size_bytes() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _drop_sys_resource() -> None:
    """As root, give up CAP_SYS_RESOURCE so the student cannot raise the limits back (Linux)."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return
    cap_sys_resource = 24
    libc.prctl(24, cap_sys_resource, 0, 0, 0)  # PR_CAPBSET_DROP: not even for children

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [(n, ctypes.c_uint32) for n in ("effective", "permitted", "inheritable")]

    header, data = Header(0x20080522, 0), (Data * 2)()  # _LINUX_CAPABILITY_VERSION_3
    if libc.capget(ctypes.byref(header), data) != 0:
        return
    mask = ~(1 << cap_sys_resource) & 0xFFFFFFFF
    data[0].effective &= mask
    data[0].permitted &= mask
    data[0].inheritable &= mask
    libc.capset(ctypes.byref(header), data)


def limit_memory(extra_bytes: int) -> int:
    """Cap the address space at the current size plus ``extra_bytes``; return the cap (0: none)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return 0
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if extra_bytes <= 0:
        return 0
    cap = _vm_size_bytes() + extra_bytes
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    _drop_sys_resource()
    return cap


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


#: Audit events of starting another program: its code would run without these hooks.
_SPAWN_EVENTS = frozenset(
    ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork")
    + ("os.forkpty", "pty.spawn", "os.startfile")
)


#: Audit events that change the file system, with the positions of their path arguments.
_FS_EVENTS = {
    "os.remove": (0,),
    "os.rename": (0, 1),
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "os.truncate": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.link": (0, 1),
    "os.symlink": (0, 1),
    "os.utime": (0,),
    "shutil.rmtree": (0,),
    "shutil.move": (0, 1),
    "shutil.copyfile": (1,),
    "shutil.copytree": (1,),
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def seal(protected) -> None:
    """Confine student code: no notebooks read, no programs started, writes only in the cwd.

    Student code has no business reading ``.ipynb`` files while being graded (the source holds
    the solutions), another program would run outside these hooks, and writing elsewhere
    could change the source, the course package or other students' results. Not a sandbox
    against a determined attacker (code calling libc through ctypes is not audited): run
    graders as an unprivileged user in a container for that.
    """
    protected = {os.path.realpath(p) for p in protected}
    scratch = os.path.realpath(os.getcwd()) + os.sep

    def as_path(arg):
        if isinstance(arg, bytes):
            return arg.decode(errors="replace")
        return arg if isinstance(arg, str) else None

    def check_write(event, arg):
        path = as_path(arg)
        if path is not None and not (os.path.realpath(path) + os.sep).startswith(scratch):
            raise PermissionError(f"{event} {path}: only the working folder is writable")

    def hook(event, args):
        if event in _SPAWN_EVENTS:
            raise PermissionError(f"{event}: starting programs is not allowed while grading")
        if event == "open":
            path = as_path(args[0])
            if path is None:
                return
            if path.endswith(".ipynb") or os.path.realpath(path) in protected:
                raise PermissionError(f"{path}: notebooks cannot be read while grading")
            mode, flags = args[1], args[2]
            writes = (isinstance(mode, str) and any(ch in mode for ch in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            if writes:
                check_write("open", path)
        elif event in _FS_EVENTS:
            for position in _FS_EVENTS[event]:
                if position < len(args):
                    check_write(event, args[position])

    sys.addaudithook(hook)


class Helper:
    """Runs the grader's requests in the kernel and publishes plain-data replies."""

    def __init__(self, wire, user_ns) -> None:
        self._wire = wire
        self._ns = user_ns
        self._objects = {}

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

    def call(self, target, payload: str) -> None:
        """Call the function named ``target`` (or held as handle number ``target``)."""
        args, kwargs = self._wire.decode(
            payload, make_handle=self._from_handle, resolve_ref=self._resolve
        )
        fn = self._ns[target] if isinstance(target, str) else self._objects[target]
        result = fn(*args, **kwargs)
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


def install(wire_source: str, extra_memory_bytes: int, forbidden, protected=()) -> Helper:
    """Limit memory, block forbidden modules, seal files and return the helper (in the kernel)."""
    import types

    wire = types.ModuleType("backprop_course_wire")
    exec(compile(wire_source, "<backprop-course wire>", "exec", dont_inherit=True), wire.__dict__)
    limit_memory(extra_memory_bytes)
    block_modules(forbidden)
    from IPython.display import publish_display_data  # noqa: F401  (imported before sealing)

    seal(protected)
    from IPython import get_ipython

    return Helper(wire, get_ipython().user_ns)
