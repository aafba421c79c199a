"""The grader's helper inside a student's kernel (its source is sent there as text).

The kernel is started by :data:`LAUNCHER`, which calls :func:`confine_process` before
ipykernel starts (no new privileges, no capabilities, Landlock where the system has it). The
first cell a grading kernel runs, before any student code, calls :func:`install`: it caps
the kernel's address space (``RLIMIT_AS``, soft and hard) so a memory bomb ends in
``MemoryError``, disables core dumps, blocks the modules the exercise forbids (an audit hook
refuses their import and the reading of their files), seals the kernel (:func:`seal`) and
puts a :class:`Helper` at ``__backprop_course__`` in the user namespace.

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


#: Landlock's file-system rights (linux/landlock.h), by the ABI version that introduced them.
_LANDLOCK_EXECUTE = 1 << 0
_LANDLOCK_READ = 1 << 2
_LANDLOCK_WRITES = (
    (1, (1 << 1) | sum(1 << bit for bit in range(4, 13))),  # write, remove, make anything
    (2, 1 << 13),  # REFER: link or rename across folders
    (3, 1 << 14),  # TRUNCATE
)
_LANDLOCK_SCOPES = (6, 0b11)  # abstract unix sockets and signals of processes outside
_LANDLOCK_NET = (4, 0b11)  # TCP bind and connect


def _readable_around(hidden) -> list[str]:
    """Paths whose files may be read so that every file is readable but ``hidden``.

    Landlock only allows, so hiding a file means allowing, beneath each folder on the way to
    it, every other entry (listing folders stays allowed).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for name in ("a.txt", "secret.ipynb", "sub/b.txt"):
    ...         os.makedirs(os.path.dirname(os.path.join(tmp, name)), exist_ok=True)
    ...         open(os.path.join(tmp, name), "w").close()
    ...     paths = _readable_around([os.path.join(tmp, "secret.ipynb")])
    ...     sorted(os.path.relpath(p, tmp) for p in paths if p.startswith(tmp + os.sep))
    ['a.txt', 'sub']
    >>> "/" in paths, any(p.endswith("secret.ipynb") for p in paths)
    (False, False)
    """
    hidden = {os.path.realpath(path) for path in hidden}
    on_the_way = set()
    for path in hidden:
        while True:
            parent = os.path.dirname(path)
            if parent == path:
                break
            on_the_way.add(parent)
            path = parent
    readable = []
    for folder in sorted(on_the_way):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            path = os.path.join(folder, name)
            if path not in on_the_way and path not in hidden:
                readable.append(path)
    return readable


def _landlock(libc, ctypes, scratch: str, hidden=()) -> int:
    """Confine this process and its future threads and children with Landlock; return its ABI.

    Handled (so refused unless a rule allows it): running any program; writing, creating,
    removing or renaming files anywhere but beneath ``scratch`` (and writing ``/dev/null``);
    reading the ``hidden`` files (every other file stays readable); TCP; and, from ABI 6,
    signals to and abstract sockets of processes outside the sandbox. Landlock also refuses
    ptrace and ``/proc/<pid>/mem`` of any process outside it (the grading worker). Returns 0
    when the system has no Landlock (or refuses it).
    """
    syscall = libc.syscall
    syscall.restype = ctypes.c_long
    create, add_rule, restrict = 444, 445, 446  # the same numbers on every architecture
    abi = syscall(create, None, ctypes.c_size_t(0), ctypes.c_uint32(1))  # _VERSION
    if abi < 1:
        return 0
    writes = 0
    for version, bits in _LANDLOCK_WRITES:
        if abi >= version:
            writes |= bits
    truncate = (1 << 14) if abi >= 3 else 0
    rules = [(scratch, writes | _LANDLOCK_READ), ("/dev/null", (1 << 1) | truncate)]
    handled = writes | _LANDLOCK_EXECUTE
    if hidden:
        handled |= _LANDLOCK_READ
        rules += [(path, _LANDLOCK_READ) for path in _readable_around(hidden)]

    class RulesetAttr(ctypes.Structure):
        _fields_ = [(n, ctypes.c_uint64) for n in ("fs", "net", "scoped")]

    class PathBeneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]

    attr = RulesetAttr(handled, 0, 0)
    size = 8
    if abi >= _LANDLOCK_NET[0]:
        attr.net, size = _LANDLOCK_NET[1], 16
    if abi >= _LANDLOCK_SCOPES[0]:
        attr.scoped, size = _LANDLOCK_SCOPES[1], 24
    ruleset = syscall(create, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return 0
    try:
        for path, allowed in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC | os.O_NOFOLLOW)
            except OSError:
                continue  # gone since it was listed
            try:
                allowed &= handled
                if not os.path.isdir(path) or os.path.islink(path):
                    allowed &= (1 << 1) | _LANDLOCK_READ | truncate  # rights a file can have
                rule = PathBeneath(allowed, fd)
                added = syscall(add_rule, ruleset, 1, ctypes.byref(rule), ctypes.c_uint32(0))
            finally:
                os.close(fd)
            if added != 0 and path == scratch:
                return 0  # better no Landlock than a kernel that cannot write its own folder
        if syscall(restrict, ruleset, ctypes.c_uint32(0)) != 0:
            return 0
    finally:
        os.close(ruleset)
    return abi


def confine_process(scratch: str | None = None, hidden=()) -> dict:
    """Confine the kernel process before it starts (Linux; each step best effort).

    Run by the kernel's launcher (:data:`LAUNCHER`) before ipykernel starts its threads, so
    every thread of the kernel and every child inherits it: no new privileges ever
    (``PR_SET_NO_NEW_PRIVS``), every capability dropped (a root kernel is then an ordinary
    process of uid 0: no ``/dev/mem``, no raising its limits, no ptrace of other users), and
    :func:`_landlock` with ``scratch`` (default: the current folder) as the only writable
    folder and the ``hidden`` files (the source notebook) unreadable. Returns what was
    applied, for the grader's tests.
    """
    done = {"no_new_privs": False, "capabilities_dropped": False, "landlock_abi": 0}
    if not sys.platform.startswith("linux"):
        return done
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return done
    done["no_new_privs"] = libc.prctl(38, 1, 0, 0, 0) == 0  # PR_SET_NO_NEW_PRIVS
    libc.prctl(47, 4, 0, 0, 0)  # PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL
    for cap in range(64):
        if libc.prctl(24, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:  # PR_CAPBSET_DROP
            break  # EINVAL: past the last capability this kernel knows

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [(n, ctypes.c_uint32) for n in ("effective", "permitted", "inheritable")]

    header, data = Header(0x20080522, 0), (Data * 2)()  # _LINUX_CAPABILITY_VERSION_3, all 0
    done["capabilities_dropped"] = libc.capset(ctypes.byref(header), data) == 0
    scratch = os.path.realpath(scratch or os.getcwd())
    done["landlock_abi"] = _landlock(libc, ctypes, scratch, tuple(hidden))
    return done


#: Python code that starts the kernel confined:
#: ``python -c LAUNCHER KERNEL_SIDE_PY [HIDDEN_FILE ...] -- -f CONNECTION_FILE``.
LAUNCHER = (
    "import runpy, sys\n"
    "end = sys.argv.index('--')\n"
    "helper = runpy.run_path(sys.argv[1], run_name='backprop_course_kernel_launch')\n"
    "helper['confine_process'](hidden=sys.argv[2:end])\n"
    "sys.argv[: end + 1] = ['ipykernel_launcher']\n"
    "runpy.run_module('ipykernel_launcher', run_name='__main__', alter_sys=True)\n"
)


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


#: Audit events refused once sealed, with the reason given to the student.
_REFUSED = (
    (
        ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork")
        + ("os.forkpty", "pty.spawn", "os.startfile", "webbrowser.open"),
        "starting programs is not allowed while grading",
    ),
    (("os.killpg",), "signalling other processes is not allowed while grading"),
    (("os.symlink",), "symbolic links cannot be made while grading"),
    (("os.chdir",), "the working folder cannot be changed while grading"),
    (
        ("gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames")
        + ("sys.settrace", "sys.setprofile", "code.__new__"),
        "the grader's own objects are off limits while grading",
    ),
    (
        ("sqlite3.enable_load_extension", "sqlite3.load_extension"),
        "loading native code is not allowed while grading",
    ),
)

#: Audit events that change the file system: positions of their paths and of their dir_fd.
_FS_EVENTS = (
    ("os.remove", (0,), (1,)),
    ("os.rename", (0, 1), (2, 3)),
    ("os.rmdir", (0,), (1,)),
    ("os.mkdir", (0,), (2,)),
    ("os.truncate", (0,), ()),
    ("os.chmod", (0,), (2,)),
    ("os.chown", (0,), (3,)),
    ("os.link", (0, 1), (2, 3)),
    ("os.utime", (0,), (3,)),
    ("os.setxattr", (0,), ()),
    ("os.removexattr", (0,), ()),
    ("shutil.rmtree", (0,), (1,)),
    ("shutil.move", (0, 1), ()),
    ("shutil.copyfile", (1,), ()),
    ("shutil.copytree", (1,), ()),
    ("sqlite3.connect", (0,), ()),
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
#: Modules that start programs without an audit event (Tcl's ``exec``; ``fork_exec``).
_SPAWNING_MODULES = ("_posixsubprocess", "tkinter", "_tkinter")


# The checks below are the audit hook's parts, one per family of events. Each is a plain
# function that reads no global or built-in name and closes over nothing: every callable and
# value it uses is an argument, passed by the hook from what _make_hook bound at build time.
# Why not closures or default arguments: a check reached from a traceback (the hook's frame
# shows them) could be rewired through ``__closure__[i].cell_contents`` (no audit event) or
# ``__defaults__``; a function without cells, called with every argument, has nothing to
# rewire, and assigning its ``__code__`` is refused by _refuse_code_swap.


def _refuse_listed(event, refused, denied):
    """Refuse the events of :data:`_REFUSED` outright, with the reason listed there.

    They start programs, signal process groups, make symbolic links (which could later lead
    a path out of the working folder), change the working folder (which every relative path
    is checked against), reach the grader's objects (``gc``, frames, tracing, new code
    objects) or load native code into sqlite.
    """
    for events, reason in refused:
        if event in events:
            raise denied(f"{event}: {reason}")


def _refuse_ctypes(event, denied):
    """Refuse every audited ``ctypes`` operation: C code can rewrite memory, hook included."""
    if event[:7] == "ctypes.":
        raise denied(f"{event}: calling C code through ctypes is not allowed while grading")


def _refuse_spawning_import(name, spawning, str_copy, no_import):
    """Refuse importing a module that starts programs without an audit event.

    ``_posixsubprocess.fork_exec`` and Tcl's ``exec`` (``tkinter``) run programs from C
    without any event this hook could refuse, so the modules themselves are refused.
    """
    name = str_copy(name)
    if name in spawning or name.split(".")[0] in spawning:
        raise no_import(f"{name}: starting programs is not allowed while grading")


def _refuse_code_swap(args, len_, denied):
    """Refuse assigning a function's ``__code__``: it would rewrite a function (a check too)."""
    if len_(args) > 1 and args[1] == "__code__":
        raise denied("replacing a function's code is not allowed while grading")


def _refuse_other_signals(args, pid, isinstance_, int_type, denied):
    """Refuse ``os.kill`` of any process but the kernel itself (the grader, other kernels)."""
    if not (isinstance_(args[0], int_type) and args[0] == pid):
        raise denied("os.kill: signalling other processes is not allowed while grading")


def _refuse_other_prlimit(args, pid, denied):
    """Refuse ``resource.prlimit`` on another process (lowering the grader's limits)."""
    if args[0] != 0 and args[0] != pid:
        raise denied("resource.prlimit: other processes are off limits while grading")


def _open_writes(mode, flags, write_flags, type_, int_type, str_type):
    """Whether an ``open`` event may write, by its ``os.open`` flags or its mode's letters."""
    writes = type_(flags) is int_type and flags & write_flags != 0
    if type_(mode) is str_type:
        writes = writes or "w" in mode or "a" in mode or "x" in mode or "+" in mode
    return writes


def _fs_paths(event, args, fs_args, len_, type_, int_type):
    """The paths a file-system event of :data:`_FS_EVENTS` changes, and whether a ``dir_fd``
    (a folder opened earlier, not ``None`` nor ``-1``) makes them relative to it."""
    for item in fs_args:
        if item[0] == event:
            positions, dir_fds = item[1], item[2]
    paths = ()
    for position in positions:
        if position < len_(args):
            paths = (*paths, args[position])
    relative = False
    for position in dir_fds:
        fd = args[position] if position < len_(args) else None
        if fd is not None and not (type_(fd) is int_type and fd == -1):
            relative = True
    return paths, relative


def _refuse_path_after_dir_fd(
    event, paths, isinstance_, str_type, bytes_type, str_copy, bytes_decode, denied
):
    """Refuse anything but a plain name after a ``dir_fd``.

    The folder was opened earlier, so it is inside the working folder (no other folder can be
    opened); a plain name stays in it, a path (``..``, ``a/b``) could leave it.
    """
    for path in paths:
        if isinstance_(path, str_type):
            name = str_copy(path)
        elif isinstance_(path, bytes_type):
            name = bytes_decode(path, "utf-8", "surrogateescape")
        else:
            name = "/"
        if name in ("", ".", "..") or "/" in name:
            raise denied(f"{event}: only a plain name may follow dir_fd")


def _path_text(
    event,
    arg,
    pathlike,
    isinstance_,
    type_,
    getattr_,
    str_type,
    bytes_type,
    int_type,
    str_copy,
    bytes_decode,
    denied,
):
    """The exact text the C function will use for ``arg``, whatever its class pretends.

    ``None`` for a file descriptor (its file was checked when it was opened). A path object
    counts only as ``os.DirEntry`` or an unpatched ``pathlib`` path (``pathlike`` holds their
    types, the C ``fspath`` and pathlib's own ``__fspath__`` and ``__str__``); any other class
    is refused, since its ``__fspath__`` could answer the check and the call differently.
    """
    dir_entry, fspath, pathlib_types, fspath0, str0 = pathlike
    if isinstance_(arg, int_type):
        return None
    if isinstance_(arg, str_type):
        return str_copy(arg)
    if isinstance_(arg, bytes_type):
        return bytes_decode(arg, "utf-8", "surrogateescape")
    if type_(arg) is dir_entry or (
        type_(arg) in pathlib_types
        and getattr_(type_(arg), "__fspath__") is fspath0
        and getattr_(type_(arg), "__str__") is str0
    ):
        raw = fspath(arg)
        return str_copy(raw) if isinstance_(raw, str_type) else bytes_decode(raw)
    raise denied(f"{event}: paths must be str, bytes or pathlib paths while grading")


def _real_path(raw, getcwd, lstat, readlink, s_islnk, oserror, denied):
    """Resolve ``raw`` as the kernel will (``os.path.realpath``, from C functions only).

    Every symbolic link (``/proc/self/fd/N`` included) and ``..`` is followed, so a notebook
    or a path outside the working folder is found under whatever name it is given.
    """
    todo = (raw if raw[:1] == "/" else getcwd() + "/" + raw).split("/")[::-1]
    real, hops = "", 0
    while todo:
        name = todo.pop()
        if name == "" or name == ".":
            continue
        if name == "..":
            real = real[: real.rfind("/")] if real else ""
            continue
        here = real + "/" + name
        try:
            is_link = s_islnk(lstat(here).st_mode)
        except oserror:
            is_link = False
        if not is_link:
            real = here
            continue
        hops += 1
        if hops > 40:
            raise denied(f"{raw}: too many symbolic links")
        target = readlink(here)
        if target[:1] == "/":
            real = ""
        todo.extend(target.split("/")[::-1])
    return real or "/"


def _refuse_notebook(raw, real, protected, denied):
    """Refuse any ``.ipynb`` file and the ``protected`` files: the source holds the solutions.

    ``protected`` is in lower case, as ``real`` is compared: on a case-insensitive disk
    ``SOURCE.IPYNB`` opens ``source.ipynb``.
    """
    if ".ipynb" in (raw[-6:].lower(), real[-6:].lower()) or real.lower() in protected:
        raise denied(f"{raw}: notebooks cannot be read while grading")


def _refuse_other_proc(raw, real, own_proc, len_, lstat, oserror, denied):
    """Refuse ``/proc/<pid>`` of any other process than the kernel and its threads.

    The grading worker's memory, environment and open files (its notebooks) are there.
    """
    if real[:6] == "/proc/" and (real + "/")[: len_(own_proc)] != own_proc:
        head = real[6:].split("/")[0]
        if head.isdigit():
            try:
                lstat(f"{own_proc}task/{head}")
            except oserror:
                raise denied(f"{raw}: other processes are off limits") from None


def _refuse_outside(event, raw, real, writes, private, lstat, s_isdir, oserror, denied):
    """Outside the working folder, refuse writing, the connection files and opening folders.

    The ``.json`` files in ``private`` are the kernels' connection files, whose keys would let
    code drive another student's kernel; a folder opened outside the working folder would be
    a ``dir_fd`` out of it.
    """
    if writes:
        raise denied(f"{event} {raw}: only the working folder is writable")
    if private and real[: real.rfind("/") + 1] == private and real[-5:] == ".json":
        raise denied(f"{raw}: the kernels' connection files are off limits")
    try:
        is_dir = s_isdir(lstat(real).st_mode)
    except oserror:
        is_dir = False
    if is_dir and event == "open":
        raise denied(f"{raw}: folders outside the working folder cannot be opened")


#: The hook's checks, for the test that none of them reads a global or holds a cell.
_CHECKS = (
    _refuse_listed,
    _refuse_ctypes,
    _refuse_spawning_import,
    _refuse_code_swap,
    _refuse_other_signals,
    _refuse_other_prlimit,
    _open_writes,
    _fs_paths,
    _refuse_path_after_dir_fd,
    _path_text,
    _real_path,
    _refuse_notebook,
    _refuse_other_proc,
    _refuse_outside,
)


def _make_hook(protected, scratch: str, private: str):
    """Build :func:`seal`'s audit hook from the checks above.

    The hook reads no global or built-in name: everything it uses is bound here from C
    functions and immutable values, so student code that patches ``os``, ``os.path``,
    ``builtins``, ``pathlib`` or this module changes nothing, and a frame of the hook found in
    a traceback shows only values that cannot be changed. The same holds for each check it
    calls (the module's ``_CHECKS``): they get every callable as an argument and hold no cells.

    >>> import dis
    >>> code = _make_hook((), "/tmp/x/", "/tmp/y/").__code__
    >>> [c for c in code.co_consts if hasattr(c, "co_code")]  # no nested function
    []
    >>> sorted({i.opname for i in dis.get_instructions(code)} & {"LOAD_GLOBAL", "LOAD_NAME"})
    []
    >>> reads = {"LOAD_GLOBAL", "LOAD_NAME"}
    >>> [f.__name__ for f in _CHECKS if {i.opname for i in dis.get_instructions(f)} & reads]
    []
    >>> [f.__name__ for f in _CHECKS if f.__closure__ or f.__defaults__ or f.__kwdefaults__]
    []
    """
    import importlib
    from _stat import S_ISDIR, S_ISLNK
    from pathlib import PosixPath, PurePath, PurePosixPath

    native = importlib.import_module(os.name)  # posix: the C functions behind os
    getcwd, getpid, lstat, readlink = native.getcwd, native.getpid, native.lstat, native.readlink

    # compared in lower case: on a case-insensitive disk SOURCE.IPYNB opens source.ipynb
    protected = frozenset(os.path.realpath(p).lower() for p in protected)
    refused = tuple((frozenset(events), reason) for events, reason in _REFUSED)
    fs_events = frozenset(event for event, _, _ in _FS_EVENTS)
    fs_args = tuple(_FS_EVENTS)
    write_flags = _WRITE_FLAGS
    pid = getpid()
    own_proc = f"/proc/{pid}/"
    pathlike = (native.DirEntry, native.fspath, (PosixPath, PurePosixPath))
    pathlike += (PurePath.__fspath__, PurePath.__str__)
    str_copy, bytes_decode = str.__str__, bytes.decode
    str_type, bytes_type, int_type = str, bytes, int
    type_, isinstance_, getattr_, len_ = type, isinstance, getattr, len
    denied, oserror, no_import = PermissionError, OSError, ImportError
    spawning = frozenset(_SPAWNING_MODULES)
    (refuse_listed, refuse_ctypes, refuse_spawning_import, refuse_code_swap) = _CHECKS[:4]
    (refuse_other_signals, refuse_other_prlimit, open_writes, fs_paths) = _CHECKS[4:8]
    (refuse_path_after_dir_fd, path_text, real_path, refuse_notebook) = _CHECKS[8:12]
    (refuse_other_proc, refuse_outside) = _CHECKS[12:]

    def hook(event, args):
        refuse_listed(event, refused, denied)
        refuse_ctypes(event, denied)
        if event == "import" and isinstance_(args[0], str_type):
            refuse_spawning_import(args[0], spawning, str_copy, no_import)
            return
        if event == "object.__setattr__":
            refuse_code_swap(args, len_, denied)
        if event == "os.kill":
            refuse_other_signals(args, pid, isinstance_, int_type, denied)
            return
        if event == "resource.prlimit":
            refuse_other_prlimit(args, pid, denied)
            return
        if event == "open":
            writes = open_writes(args[1], args[2], write_flags, type_, int_type, str_type)
            paths = (args[0],)
        elif event in fs_events:
            paths, relative = fs_paths(event, args, fs_args, len_, type_, int_type)
            if relative:
                refuse_path_after_dir_fd(
                    event, paths, isinstance_, str_type, bytes_type, str_copy, bytes_decode, denied
                )
                return
            writes = True
            if event == "sqlite3.connect" and type_(paths[0]) is str_type:
                if paths[0] == ":memory:" or paths[0] == "":
                    return
        else:
            return
        for arg in paths:
            raw = path_text(
                event,
                arg,
                pathlike,
                isinstance_,
                type_,
                getattr_,
                str_type,
                bytes_type,
                int_type,
                str_copy,
                bytes_decode,
                denied,
            )
            if raw is None:
                continue  # a file descriptor: its file was checked when it was opened
            real = real_path(raw, getcwd, lstat, readlink, S_ISLNK, oserror, denied)
            refuse_notebook(raw, real, protected, denied)
            refuse_other_proc(raw, real, own_proc, len_, lstat, oserror, denied)
            if (real + "/")[: len_(scratch)] != scratch:
                refuse_outside(event, raw, real, writes, private, lstat, S_ISDIR, oserror, denied)

    return hook


def seal(protected, private: str = "") -> None:
    """Confine student code with an audit hook: what it refuses, and what it cannot.

    Refused from the next cell on, with a ``PermissionError`` naming the reason:

    - reading any ``.ipynb`` file or a ``protected`` file (the source holds the solutions),
      under any name (symbolic links, ``..``, ``/proc/self/fd/N`` are resolved first);
    - writing, creating, removing, renaming, linking or changing anything outside the working
      folder; opening a folder outside it (a ``dir_fd`` out of it); a ``dir_fd`` followed by
      more than a plain name; making symbolic links; changing the working folder;
    - starting programs (``subprocess``, ``os.system``, ``os.fork``, ``os.exec*``, ``pty``...,
      ``_posixsubprocess.fork_exec`` replaced, importing ``tkinter`` whose Tcl runs programs);
    - ``/proc/<pid>`` of any other process (the grading worker's memory, environment, open
      files), signals to other processes, ``resource.prlimit`` on them, and the ``.json``
      files in the folder ``private`` (the kernels' connection files, whose keys would let
      code drive another student's kernel);
    - every audited ``ctypes`` operation (``ctypes.dlopen``, ``dlsym``, ``call_function``,
      ``cdata``, ``string_at``...) and loading sqlite extensions;
    - reaching or rewriting the hook: ``gc.get_objects``/``get_referrers``/``get_referents``,
      ``sys.settrace``/``setprofile``, ``sys._current_frames``, building code objects
      (``code.__new__``, ``CodeType.replace``) and assigning a function's ``__code__``.

    The hook reads no global name (see :func:`_make_hook`): patching ``os``, ``os.path``,
    ``builtins``, ``pathlib`` or the helper's module does not weaken it, and its frame (from a
    traceback) holds only values that cannot be changed. Paths handed to events raised from
    Python code (``shutil.*``, ``sqlite3.connect``) must be ``str``, ``bytes``, ``pathlib``
    paths or ``os.DirEntry``; ``open`` events always carry the converted text.

    Not covered, because nothing raises an audit event for it: code that corrupts the
    interpreter's memory can remove the hook (``ctypes`` structures or unions over a pointer,
    ``numpy.lib.stride_tricks.as_strided`` with wild strides, a crafted code object through
    ``marshal.loads``, CPython bugs), and such code can then start programs too.
    Not refused at all: reading files that are neither notebooks nor protected (the course
    package, other students' reports), sockets (zmq connects from C code, so other kernels'
    sockets are reachable; driving a kernel needs its key), a thread changing a ``pathlib``
    path's cached text between the hook's check and a ``shutil``/``sqlite3`` call.

    Behind the hook stands :func:`confine_process`, which the kernel's launcher applies
    before any thread starts: with Landlock (Linux 5.13+, if the container allows it) the
    operating system itself refuses running any program, writing outside the working
    folder, reading the protected files (hard links or other mounts of them excepted), TCP,
    ptrace and ``/proc/<pid>/mem`` of the grader and, from Landlock ABI 6, signals to it;
    every capability is dropped. It does not hide other students' notebooks or the
    connection files from code that got past the hook. Without Landlock (older kernels,
    other systems, some container profiles) only this hook stands: there, run graders as an
    unprivileged user in a throw-away container.
    """
    scratch = os.path.realpath(os.getcwd()) + os.sep
    posixsubprocess = sys.modules.get("_posixsubprocess")
    if posixsubprocess is not None:  # loaded already (by subprocess): a fresh one is refused

        def fork_exec(*args, **kwargs):
            raise PermissionError("fork_exec: starting programs is not allowed while grading")

        posixsubprocess.fork_exec = fork_exec
    sys.addaudithook(_make_hook(protected, scratch, private))


class Counted:
    """A test's counter (``checks.CallCounter``) mirrored in the kernel: ``fn`` counted.

    The grader hands it to the student's function in place of the test's counter and reads
    :meth:`calls` after each call. Its count only rises by calling it; code that lowers it
    through the slot is tampering, and the grader fails the test when a count goes down.
    """

    __slots__ = ("_fn", "_n")

    def __init__(self, fn) -> None:
        self._fn = fn
        self._n = 0

    def __call__(self, *args, **kwargs):
        self._n += 1
        return self._fn(*args, **kwargs)

    def calls(self) -> int:
        """How many times it was called."""
        return self._n


class Helper:
    """Runs the grader's requests in the kernel and publishes plain-data replies."""

    def __init__(self, wire, user_ns, shapes=None) -> None:
        self._wire = wire
        self._shapes = shapes  # the module explaining numpy's shape errors (kernel/shapes.py)
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
        try:
            result = fn(*args, **kwargs)
        except ValueError as exc:  # a shape error is told in the student's names and shapes
            explained = self._shapes.explain_shape_error(exc) if self._shapes else None
            if explained is None:
                raise
            raise ValueError(explained) from None
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

    def counted(self, payload: str) -> None:
        """Reply with a handle to a :class:`Counted` twin of the function ``payload`` holds."""
        fn = self._wire.decode(payload, make_handle=self._from_handle, resolve_ref=self._resolve)
        if not callable(fn):
            raise TypeError("a counter needs a function")
        self._reply(Counted(fn))

    def calls(self, number: int) -> None:
        """Reply with the count of the :class:`Counted` twin held as handle ``number``."""
        twin = self._objects[number]
        self._reply(twin.calls() if type(twin) is Counted else None)


def install(
    wire_source: str, extra_memory_bytes: int, forbidden, protected=(), shapes_source: str = ""
) -> Helper:
    """Limit memory, block forbidden modules, seal files and return the helper (in the kernel).

    ``wire_source`` and ``shapes_source`` are the source texts of the wire codec and of the
    shape-error explainer (``kernel/wire.py``, ``kernel/shapes.py``), run here as modules.
    """
    import types

    modules = []
    for name, source in (("wire", wire_source), ("shapes", shapes_source)):
        module = types.ModuleType(f"backprop_course_{name}")
        if source:
            code = compile(source, f"<backprop-course {name}>", "exec", dont_inherit=True)
            exec(code, module.__dict__)
        modules.append(module if source else None)
    wire, shapes = modules
    limit_memory(extra_memory_bytes)
    block_modules(forbidden)
    from IPython.display import publish_display_data  # noqa: F401  (imported before sealing)

    try:  # imported before sealing: importing it later opens libraries, which is refused
        import ctypes  # noqa: F401
    except ImportError:
        pass
    private = ""
    if "-f" in sys.argv[:-1]:  # the kernel's connection file: its folder holds the others'
        private = os.path.dirname(os.path.realpath(sys.argv[sys.argv.index("-f") + 1])) + os.sep
    seal(protected, private)
    from IPython import get_ipython

    return Helper(wire, get_ipython().user_ns, shapes)
