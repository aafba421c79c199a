"""The kernel process confined by the operating system, before any of its code runs.

The kernel is started by :data:`LAUNCHER`, which runs this file and calls
:func:`confine_process` before ipykernel starts: no new privileges, no capabilities, and, where
the system has Landlock (Linux 5.13+), a ruleset that lets the process write only its scratch
folder, run no program, and read only what :func:`allow_list` names. The same allow-list is
what the audit hook (:mod:`~backprop_course.grading.kernel.seal`) enforces on every system.
:func:`limit_memory` caps the address space once the kernel is up (called by ``install``).

Like every module of this folder it uses only the standard library, so it can run in the
kernel from its file (the launcher) or as text.
"""

import os
import sys


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
_LANDLOCK_WRITE_FILE = 1 << 1
_LANDLOCK_READ_FILE = 1 << 2
_LANDLOCK_READ_DIR = 1 << 3
_LANDLOCK_READ = _LANDLOCK_READ_FILE | _LANDLOCK_READ_DIR
_LANDLOCK_WRITES = (
    (1, _LANDLOCK_WRITE_FILE | sum(1 << bit for bit in range(4, 13))),  # remove, make anything
    (2, 1 << 13),  # REFER: link or rename across folders
    (3, 1 << 14),  # TRUNCATE
)
_LANDLOCK_SCOPES = (6, 0b11)  # abstract unix sockets and signals of processes outside
_LANDLOCK_NET = (4, 0b11)  # TCP bind and connect

#: System folders whose files any program needs (shared libraries, locales, time zones, fonts).
SYSTEM_TREES = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc")
#: Files of /proc and /dev that libraries read (CPU count, memory, random numbers).
SYSTEM_FILES = (
    "/proc/cpuinfo",
    "/proc/meminfo",
    "/proc/stat",
    "/proc/loadavg",
    "/proc/filesystems",
    "/proc/sys",
    "/sys/devices/system/cpu",
    "/sys/fs/cgroup",
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
)
#: Entries of the kernel's own /proc folder left out: ``net`` lists every socket of the
#: machine (other kernels' by path), ``task`` holds ``net`` again per thread.
_PROC_HIDDEN = ("net", "task")
#: What a file of the course package may be called to be readable (no editor backups).
_PACKAGE_SUFFIXES = (".py", ".json", ".pyi", ".typed", ".csv", ".txt")


def _package_files(package: str) -> tuple[list[str], list[str]]:
    """The course package's readable files and its folders: modules and data, never editor
    backups (``x.py~``, ``.x.py.swp``, ``#x.py#``, ``x.py.orig``) nor bytecode without its
    module (a ``.pyc`` of a deleted file)."""
    files, folders = [], []
    for folder, subfolders, names in os.walk(package):
        subfolders[:] = [s for s in subfolders if not s.startswith(".")]
        folders.append(folder)
        cache = os.path.basename(folder) == "__pycache__"
        for name in names:
            if name.startswith((".", "#")) or "~" in name:
                continue
            if cache:
                module = name.split(".")[0] + ".py"
                if name.endswith(".pyc") and os.path.isfile(os.path.join(folder, "..", module)):
                    files.append(os.path.join(folder, name))
            elif name.endswith(_PACKAGE_SUFFIXES):
                files.append(os.path.join(folder, name))
    return files, folders


def allow_list(scratch: str, hidden=(), connection_file: str | None = None) -> dict:
    """What the kernel may read: ``{"trees", "files", "folders", "hidden"}`` (real paths).

    ``trees`` are read whole (the interpreter and its standard library, every ``sys.path``
    folder and the prefixes of the environment, the system folders of :data:`SYSTEM_TREES`,
    matplotlib's font cache, the kernel's own ``/proc`` entries but ``net`` and ``task``, the
    kernel's ``scratch`` folder); ``files`` one by one (the course package's modules and data,
    the kernel's connection file, :data:`SYSTEM_FILES`); ``folders`` may only be listed (the
    package's). ``hidden`` wins over any shorter entry: the repository around the package (when
    the package is not installed in a ``site-packages`` folder: an editable install, or a
    checkout on ``sys.path``) with its ``.git``, ``solutions/``, ``tests/`` and caches, and
    the ``hidden`` files (the source notebook). Other kernels' scratch folders and the
    grader's files (``/tmp``, home folders, ``/autograder``, ``/work``) are in no entry.

    >>> paths = allow_list("/tmp/scratch-x")
    >>> import backprop_course.grading.kernel.confine as me
    >>> me.__file__ in paths["files"], "/tmp/scratch-x" in paths["trees"]
    (True, True)
    >>> repo = os.path.dirname(os.path.dirname(os.path.dirname(me.__file__)))
    >>> [t for t in paths["trees"] if t == repo or t.startswith(os.path.dirname(repo) + "/t")]
    []
    """
    import importlib.util
    import sysconfig

    real = os.path.realpath
    trees = {real(scratch)}
    for path in (sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix):
        trees.add(real(path))
    trees.update(real(p) for p in sysconfig.get_paths().values())
    trees.update(real(p) for p in sys.path if p and os.path.isdir(p))
    trees.update(real(p) for p in SYSTEM_TREES if os.path.exists(p))
    home = os.path.expanduser("~")
    for variable, default, name in (
        ("XDG_CACHE_HOME", ".cache", "matplotlib"),
        ("XDG_CONFIG_HOME", ".config", "matplotlib"),
    ):
        path = os.path.join(os.environ.get(variable) or os.path.join(home, default), name)
        if os.path.isdir(path):
            trees.add(real(path))
    proc = f"/proc/{os.getpid()}"
    try:
        names = os.listdir(proc)
    except OSError:
        names = []
    for name in names:  # not resolved: cwd, exe and root are links (root would be all of /)
        if name not in _PROC_HIDDEN and not os.path.islink(os.path.join(proc, name)):
            trees.add(os.path.join(proc, name))
    files = {p for p in SYSTEM_FILES if os.path.exists(p)}
    if connection_file:
        files.add(real(connection_file))
    folders = [proc]  # listed again by this function once the kernel is confined
    hidden = {real(p) for p in hidden}
    spec = importlib.util.find_spec("backprop_course")
    for package in (spec.submodule_search_locations or []) if spec else []:
        package = real(package)
        package_files, package_folders = _package_files(package)
        files.update(package_files)
        folders += package_folders
        around = os.path.dirname(package)
        if not around.endswith(("site-packages", "dist-packages")):
            hidden.add(around)  # the repository: .git, solutions/, tests/, build/...
    repositories = [h for h in hidden if os.path.isdir(h)]
    prefixes = {real(p) for p in (sys.prefix, sys.exec_prefix)}
    # a sys.path folder inside the repository (PYTHONPATH=., a tests/ folder) is not read;
    # the environment's own folders are (a .venv inside the checkout)
    trees = {
        t
        for t in trees
        if t not in hidden
        and not any(
            t.startswith(r + os.sep) and not any(t.startswith(p) for p in prefixes)
            for r in repositories
        )
    }
    return {
        "trees": sorted(trees),
        "files": sorted(files),
        "folders": sorted(folders),
        "hidden": sorted(hidden),
    }


def _readable_around(hidden, within: str = "/") -> list[str]:
    """Paths beneath ``within`` whose files may be read so that all is readable but ``hidden``.

    Landlock only allows, so hiding a file means allowing, beneath each folder on the way to
    it, every other entry.

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
    inside = within.rstrip("/") + "/"
    on_the_way = set()
    for path in hidden:
        while True:
            parent = os.path.dirname(path)
            if parent == path or not (parent + "/").startswith(inside):
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


def _landlock_rules(allowed: dict, writes: int, truncate: int) -> list[tuple[str, int]]:
    """Landlock's rules for :func:`allow_list`'s entries (a hidden path inside a tree is
    left out by allowing every entry around it)."""
    rules = []
    hidden = allowed["hidden"]
    for tree in allowed["trees"]:
        inner = [h for h in hidden if h.startswith(tree.rstrip("/") + "/")]
        if inner:
            rules += [(p, _LANDLOCK_READ) for p in _readable_around(inner, tree)]
        else:
            rules.append((tree, _LANDLOCK_READ))
    rules += [(path, _LANDLOCK_READ_FILE) for path in allowed["files"]]
    rules += [(path, _LANDLOCK_READ_DIR) for path in allowed["folders"]]
    rules.append(("/dev/null", _LANDLOCK_WRITE_FILE | truncate | _LANDLOCK_READ_FILE))
    return rules


def _landlock(libc, ctypes, scratch: str, allowed: dict) -> int:
    """Confine this process and its future threads and children with Landlock; return its ABI.

    Handled (so refused unless a rule allows it): running any program; writing, creating,
    removing or renaming files anywhere but beneath ``scratch`` (and writing ``/dev/null``);
    reading files and listing folders that ``allowed`` (:func:`allow_list`) does not cover;
    TCP; and, from ABI 6, signals to and abstract sockets of processes outside the sandbox.
    Landlock also refuses ptrace and ``/proc/<pid>/mem`` of any process outside it (the
    grading worker). Returns 0 when the system has no Landlock (or refuses it).
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
    rules = [(scratch, writes | _LANDLOCK_READ)] + _landlock_rules(allowed, writes, truncate)
    handled = writes | _LANDLOCK_EXECUTE | _LANDLOCK_READ

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
        for path, rights in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC | os.O_NOFOLLOW)
            except OSError:
                continue  # gone since it was listed
            try:
                rights &= handled
                if not os.path.isdir(path) or os.path.islink(path):
                    rights &= _LANDLOCK_WRITE_FILE | _LANDLOCK_READ_FILE | truncate  # a file's
                rule = PathBeneath(rights, fd)
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


def confine_process(
    scratch: str | None = None, hidden=(), connection_file: str | None = None
) -> dict:
    """Confine the kernel process before it starts (Linux; each step best effort).

    Run by the kernel's launcher (:data:`LAUNCHER`) before ipykernel starts its threads, so
    every thread of the kernel and every child inherits it: no new privileges ever
    (``PR_SET_NO_NEW_PRIVS``), every capability dropped (a root kernel is then an ordinary
    process of uid 0: no ``/dev/mem``, no raising its limits, no ptrace of other users), and
    :func:`_landlock` with ``scratch`` (default: the current folder) as the only writable
    folder and :func:`allow_list` as all it may read (``hidden``, the source notebook, and the
    repository around the package never). Returns what was applied, for the grader's tests.
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
    allowed = allow_list(scratch, hidden, connection_file)
    done["landlock_abi"] = _landlock(libc, ctypes, scratch, allowed)
    return done


def connection_file(argv) -> str | None:
    """The kernel's connection file in its command line (``-f FILE``), if any.

    >>> connection_file(["ipykernel_launcher", "-f", "/run/kernel-1.json"])
    '/run/kernel-1.json'
    """
    argv = list(argv)
    return argv[argv.index("-f") + 1] if "-f" in argv[:-1] else None


#: Python code that starts the kernel confined:
#: ``python -c LAUNCHER CONFINE_PY [HIDDEN_FILE ...] -- -f CONNECTION_FILE``. It first hides
#: the other kernels' folders (``namespace.py`` beside this file; ``BACKPROP_COURSE_HIDDEN``
#: says whether it could), then confines the process.
LAUNCHER = (
    "import os, runpy, sys\n"
    "end = sys.argv.index('--')\n"
    "here = os.path.dirname(sys.argv[1])\n"
    "namespace = runpy.run_path(os.path.join(here, 'namespace.py'), run_name='bc_namespace')\n"
    "confine = runpy.run_path(sys.argv[1], run_name='backprop_course_kernel_launch')\n"
    "connection = confine['connection_file'](sys.argv[end:])\n"
    "hidden = namespace['hide_other_kernels'](keep=[connection])\n"
    "os.environ['BACKPROP_COURSE_HIDDEN'] = str(int(hidden))\n"
    "confine['confine_process'](hidden=sys.argv[2:end], connection_file=connection)\n"
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
