"""The audit hook's parts: what a sealed kernel refuses, one check per family of events.

:mod:`~backprop_course.grading.kernel.seal` builds the hook from :data:`CHECKS` and the tables
here. Like every module of this folder it uses only the standard library and runs in the
kernel as text.
"""

import os

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


def _refuse_outside(event, raw, real, writes, lstat, s_isdir, oserror, denied):
    """Outside the working folder, refuse writing and opening folders (a folder opened
    outside it would be a ``dir_fd`` out of it)."""
    if writes:
        raise denied(f"{event} {raw}: only the working folder is writable")
    try:
        is_dir = s_isdir(lstat(real).st_mode)
    except oserror:
        is_dir = False
    if is_dir and event == "open":
        raise denied(f"{raw}: folders outside the working folder cannot be opened")


def _refuse_unlisted(raw, real, listing, allowed, len_, denied):
    """Refuse reading (or, ``listing``, listing) what the allow-list does not cover.

    ``allowed`` is ``(trees, files, folders, hidden)`` of ``confine.allow_list``, each path
    ending in ``/``: a path is readable in a tree or as a listed file, listable also in a
    folder, unless a hidden path holds it more closely than the entry that allows it (the
    repository around the course package, the source notebook).
    """
    trees, files, folders, hidden = allowed
    path = real + "/"
    best = -1
    if path in files:
        best = len_(path)
    for root in trees:
        if len_(root) > best and path[: len_(root)] == root:
            best = len_(root)
    if listing:
        for root in folders:
            if len_(root) > best and path[: len_(root)] == root:
                best = len_(root)
    for root in hidden:
        if len_(root) >= best and path[: len_(root)] == root:
            best = -1
    if best < 0:
        raise denied(
            f"{raw}: not readable while grading (only Python, its libraries, the course "
            "package's modules and your own working folder are)"
        )


def _refuse_socket(event, args, families, len_, type_, str_type, bytes_type, denied):
    """Refuse sockets of another family than ``families`` (a netlink socket lists every socket
    of the machine, other kernels' by path) and abstract Unix addresses; return the path of
    a Unix address (which the hook then checks like a file written: only the working
    folder's), or None."""
    if event == "socket.__new__":
        if len_(args) > 1 and args[1] not in families:
            raise denied(f"{event}: this kind of socket is not allowed while grading")
        return None
    address = args[1] if len_(args) > 1 else None
    if type_(address) is str_type or type_(address) is bytes_type:
        if len_(address) == 0 or address[:1] == "\0" or address[:1] == b"\0":
            raise denied(f"{event}: abstract Unix sockets are not allowed while grading")
        return address
    return None  # a (host, port) pair: TCP, refused by Landlock where it runs


#: The hook's checks, for the test that none of them reads a global or holds a cell.
CHECKS = (
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
    _refuse_outside,
    _refuse_unlisted,
    _refuse_socket,
)
