"""The audit hook that seals a student's kernel (:func:`seal`), built from :mod:`audit`'s checks.

Like every module of this folder it uses only the standard library and runs in the kernel as
text; the checks' module and the allow-list are handed to it.
"""

import os
import sys


def _make_hook(audit, protected, scratch: str, allowed: dict):
    """Build :func:`seal`'s audit hook from the checks above.

    The hook reads no global or built-in name: everything it uses is bound here from C
    functions and immutable values, so student code that patches ``os``, ``os.path``,
    ``builtins``, ``pathlib`` or this module changes nothing, and a frame of the hook found in
    a traceback shows only values that cannot be changed. The same holds for each check it
    calls (``audit.CHECKS``): they get every callable as an argument and hold no cells.
    ``allowed`` is ``confine.allow_list``'s answer: what may be read besides ``scratch``.

    >>> import dis
    >>> from backprop_course.grading.kernel import audit
    >>> empty = {"trees": [], "files": [], "folders": [], "hidden": []}
    >>> code = _make_hook(audit, (), "/tmp/x/", empty).__code__
    >>> [c for c in code.co_consts if hasattr(c, "co_code")]  # no nested function
    []
    >>> sorted({i.opname for i in dis.get_instructions(code)} & {"LOAD_GLOBAL", "LOAD_NAME"})
    []
    >>> reads = {"LOAD_GLOBAL", "LOAD_NAME"}
    >>> [f.__name__ for f in audit.CHECKS if {i.opname for i in dis.get_instructions(f)} & reads]
    []
    >>> [f.__name__ for f in audit.CHECKS if f.__closure__ or f.__defaults__ or f.__kwdefaults__]
    []
    """
    import importlib
    from _stat import S_ISDIR, S_ISLNK
    from pathlib import PosixPath, PurePath, PurePosixPath

    native = importlib.import_module(os.name)  # posix: the C functions behind os
    getcwd, getpid, lstat, readlink = native.getcwd, native.getpid, native.lstat, native.readlink

    # compared in lower case: on a case-insensitive disk SOURCE.IPYNB opens source.ipynb
    protected = frozenset(os.path.realpath(p).lower() for p in protected)
    refused = tuple((frozenset(events), reason) for events, reason in audit._REFUSED)
    fs_events = frozenset(event for event, _, _ in audit._FS_EVENTS)
    fs_args = tuple(audit._FS_EVENTS)
    write_flags = audit._WRITE_FLAGS
    pid = getpid()
    ends = tuple(tuple(p.rstrip("/") + "/" for p in allowed[k]) for k in ("trees", "files"))
    listed = tuple(p.rstrip("/") + "/" for p in allowed["folders"])
    hidden = tuple(p.rstrip("/") + "/" for p in allowed["hidden"])
    readable = (ends[0], frozenset(ends[1]), listed, hidden)
    listing_events = frozenset(("os.listdir", "os.scandir"))
    socket_events = frozenset(("socket.__new__", "socket.connect", "socket.bind"))
    socket_events |= {"socket.sendto", "socket.sendmsg"}
    import socket

    families = frozenset((socket.AF_UNIX, socket.AF_INET, socket.AF_INET6, -1))
    pathlike = (native.DirEntry, native.fspath, (PosixPath, PurePosixPath))
    pathlike += (PurePath.__fspath__, PurePath.__str__)
    str_copy, bytes_decode = str.__str__, bytes.decode
    str_type, bytes_type, int_type = str, bytes, int
    type_, isinstance_, getattr_, len_ = type, isinstance, getattr, len
    denied, oserror, no_import = PermissionError, OSError, ImportError
    spawning = frozenset(audit._SPAWNING_MODULES)
    (refuse_listed, refuse_ctypes, refuse_spawning_import, refuse_code_swap) = audit.CHECKS[:4]
    (refuse_other_signals, refuse_other_prlimit, open_writes, fs_paths) = audit.CHECKS[4:8]
    (refuse_path_after_dir_fd, path_text, real_path, refuse_notebook) = audit.CHECKS[8:12]
    (refuse_outside, refuse_unlisted, refuse_socket) = audit.CHECKS[12:]

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
        listing = False
        if event == "open":
            writes = open_writes(args[1], args[2], write_flags, type_, int_type, str_type)
            paths = (args[0],)
        elif event in listing_events:
            writes, listing = False, True
            paths = (".",) if args[0] is None else (args[0],)
        elif event in socket_events:
            address = refuse_socket(
                event, args, families, len_, type_, str_type, bytes_type, denied
            )
            if address is None:
                return
            writes, paths = True, (address,)
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
            text = type_(paths[0]) is str_type or type_(paths[0]) is bytes_type
            if event == "sqlite3.connect" and text and paths[0][:5] in ("file:", b"file:"):
                raise denied("sqlite3.connect: URIs (file:...) are not allowed while grading")
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
            if (real + "/")[: len_(scratch)] != scratch:
                refuse_outside(event, raw, real, writes, lstat, S_ISDIR, oserror, denied)
                refuse_unlisted(raw, real, listing, readable, len_, denied)

    return hook


def seal(audit, protected, allowed: dict) -> None:
    """Confine student code with an audit hook: what it refuses, and what it cannot.

    ``audit`` is the module of the hook's checks, ``allowed`` what ``confine.allow_list``
    says the kernel may read. Refused from the next cell on, with a ``PermissionError``
    naming the reason:

    - reading a file or listing a folder that ``allowed`` does not name: only the
      interpreter and its standard library, the environment's ``site-packages``, system
      libraries (``/usr``, ``/lib``, ``/etc``), the course package's own modules (never the
      repository around them: ``.git``, ``solutions/``, ``tests/``, build and cache folders,
      editor backups), the kernel's own ``/proc`` entries (not ``net``, which lists every
      socket), its connection file and its working folder. Other kernels' working folders
      (and the sockets in them), other processes' ``/proc``, ``/tmp``, home folders and the
      grader's files are in none of them. Every path is resolved first (symbolic links,
      ``..``, ``/proc/self/fd/N``, ``/proc/self/root``);
    - reading any ``.ipynb`` file or a ``protected`` file (the source holds the solutions),
      even inside an allowed folder;
    - writing, creating, removing, renaming, linking or changing anything outside the working
      folder; opening a folder outside it (a ``dir_fd`` out of it); a ``dir_fd`` followed by
      more than a plain name; making symbolic links; changing the working folder;
    - starting programs (``subprocess``, ``os.system``, ``os.fork``, ``os.exec*``, ``pty``...,
      ``_posixsubprocess.fork_exec`` replaced, importing ``tkinter`` whose Tcl runs programs);
    - signals to other processes and ``resource.prlimit`` on them; sockets other than Unix
      and IP ones (netlink would list every socket of the machine), abstract Unix
      addresses, and Python sockets bound or connected to a path outside the working folder;
    - every audited ``ctypes`` operation (``ctypes.dlopen``, ``dlsym``, ``call_function``,
      ``cdata``, ``string_at``...), loading sqlite extensions and sqlite URIs (``file:...``,
      which sqlite would resolve itself);
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
    ``marshal.loads``, CPython bugs), and such code can then start programs too; files that C
    code opens without Python's ``open`` (``dlopen`` of an extension module: it runs, it is
    not read back). Not refused: ``stat`` of any path (whether a file exists, its size);
    connecting with zmq (from C code) to a Unix socket whose path is known, which would let
    it listen to another kernel's output: every kernel's sockets are in its own working
    folder under a random name that no allowed listing, ``/proc/net`` or netlink shows (and
    where ``namespace.hide_other_kernels`` could run, that folder does not exist for other
    kernels), and driving a kernel needs the key in its connection file, which only that
    kernel may read;
    a thread changing a ``pathlib`` path's cached text between the hook's check and a
    ``shutil``/``sqlite3`` call.

    Behind the hook stands ``confine.confine_process``, which the kernel's launcher applies
    before any thread starts: with Landlock (Linux 5.13+, if the container allows it) the
    operating system itself enforces the same allow-list for reading files and listing
    folders, and refuses running any program, writing outside the working folder, TCP
    (ABI 4+), ptrace and ``/proc/<pid>/mem`` of the grader and, from ABI 6, signals to it;
    every capability is dropped. Without Landlock (older kernels, other systems, some
    container profiles) only this hook stands: there, run graders as an unprivileged user in
    a throw-away container.
    """
    scratch = os.path.realpath(os.getcwd()) + os.sep
    posixsubprocess = sys.modules.get("_posixsubprocess")
    if posixsubprocess is not None:  # loaded already (by subprocess): a fresh one is refused

        def fork_exec(*args, **kwargs):
            raise PermissionError("fork_exec: starting programs is not allowed while grading")

        posixsubprocess.fork_exec = fork_exec
    sys.addaudithook(_make_hook(audit, protected, scratch, allowed))
