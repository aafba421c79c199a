"""Each kernel sees only its own scratch folder among the grader's (a mount namespace, Linux).

The kernel's launcher (``confine.LAUNCHER``) calls :func:`hide_other_kernels` first: in a
mount namespace of its own, the kernel gets an empty ``tmpfs`` over the folder that holds
every kernel's scratch folder (``/tmp``, say), with its own scratch folder and everything
there that is not a kernel's scratch folder bound back in place. Other kernels' folders, and
the Unix sockets in them, then do not exist for it, even by a path it was told. Its own
sockets are the real folder's, so the grader reaches them as before.

It needs the right to make a mount namespace (``CAP_SYS_ADMIN``: a grader running as root
outside a container that drops it); elsewhere it does nothing and says so, and the allow-list
(``confine.allow_list``, the audit hook, Landlock) still keeps other kernels' folders
unreadable. Like every module of this folder it uses only the standard library.
"""

import os
import sys

#: The scratch folders this applies to (``Sandbox`` makes them).
PREFIX = "backprop-course-grade-"
_CLONE_NEWNS = 0x00020000
_MS_BIND, _MS_REC, _MS_PRIVATE = 4096, 16384, 1 << 18
_MNT_DETACH = 2


def hide_other_kernels(scratch: str | None = None, keep=()) -> bool:
    """Hide every sibling of ``scratch`` (default: the current folder) from this process.

    Only for a scratch folder named ``backprop-course-grade-*``, and never when a path in
    ``keep`` (the connection file) lies beside it rather than in it. Returns True when
    done; False, with nothing changed, when the system does not allow it.
    """
    if not sys.platform.startswith("linux"):
        return False
    scratch = os.path.realpath(scratch or os.getcwd())
    base = os.path.dirname(scratch)
    if not os.path.basename(scratch).startswith(PREFIX) or base in ("/", ""):
        return False
    for path in keep:  # beside the scratch folder, not in it: it would vanish
        path = os.path.realpath(path) if path else scratch
        if path.startswith(base + os.sep) and not path.startswith(scratch + os.sep):
            return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    if libc.unshare(_CLONE_NEWNS) != 0:
        return False
    # mounts made here stay here (and the host's later mounts do not arrive)
    if libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        return False
    fd = os.open(scratch, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    others = _siblings_to_keep(base)
    try:
        if libc.mount(b"tmpfs", base.encode(), b"tmpfs", 0, b"mode=0755,size=64k") != 0:
            return False
        try:
            os.mkdir(scratch, 0o700)
            bound = libc.mount(
                f"/proc/self/fd/{fd}".encode(), scratch.encode(), None, _MS_BIND, None
            )
        except OSError:
            bound = -1
        if bound != 0:  # back to the folder as it was
            libc.umount2(base.encode(), _MNT_DETACH)
            return False
        _bind_back(libc, base, others)
    finally:
        os.close(fd)
        for _, kind, what in others:
            if kind != "link":
                os.close(what)
    os.chdir(scratch)
    return True


def _siblings_to_keep(base: str) -> list:
    """Everything in ``base`` but the kernels' scratch folders, held open (``O_PATH``) so it
    can be bound back over the empty ``tmpfs``: a checkout, a virtual environment or the
    course package may live in ``/tmp`` too (a CI clone does), and the kernel needs them."""
    kept = []
    for name in os.listdir(base):
        if name.startswith(PREFIX):
            continue
        path = os.path.join(base, name)
        try:
            if os.path.islink(path):
                kept.append((name, "link", os.readlink(path)))
            elif os.path.isdir(path) or os.path.isfile(path):
                kind = "dir" if os.path.isdir(path) else "file"
                kept.append((name, kind, os.open(path, os.O_PATH | os.O_CLOEXEC)))
        except OSError:  # gone meanwhile, or not ours to open: it stays hidden
            continue
    return kept


def _bind_back(libc, base: str, kept: list) -> None:
    """Put each kept entry back at its place under ``base`` (a bind mount, or the same link)."""
    for name, kind, what in kept:
        target = os.path.join(base, name)
        try:
            if kind == "link":
                os.symlink(what, target)
                continue
            if kind == "dir":
                os.mkdir(target)
            else:
                os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            source = f"/proc/self/fd/{what}".encode()
            libc.mount(source, target.encode(), None, _MS_BIND | _MS_REC, None)
        except OSError:
            continue
