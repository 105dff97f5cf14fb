"""Atomic writes: a reader never sees a half-written file or directory, nor a missing one.

The new content is written to a temporary sibling (same filesystem, so renames are atomic),
fsynced, renamed onto the final path, and the parent directory is fsynced so that the rename
itself survives a crash. An existing directory is swapped with the new one in a single step
(Linux ``renameat2(RENAME_EXCHANGE)``), so the path is never missing; the old copy, now at the
temporary name, is deleted afterwards. Where the exchange is unavailable (not Linux, a C library
without ``renameat2``, a filesystem that refuses it) the old directory is moved aside first, which
leaves a moment with nothing at the path. What is written gets the mode a plain ``open`` gives
under the umask (``0o666 & ~umask``), also where the writer made a private file.

The ledger (:data:`LEDGER`, one per folder) records the files the command line wrote there with
the sha256 of their content: an existing file is replaced only if the ledger vouches for it
(:func:`check_replaceable`), so a file of the user's is never overwritten.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from prompt_recycling.errors import RecyclingError

_AT_FDCWD = -100  # <fcntl.h>: paths relative to the working directory
_RENAME_EXCHANGE = 2  # <linux/fs.h>


def check_parent(path: str | os.PathLike) -> Path:
    """Return ``path`` as a Path, or fail if its parent directory does not exist."""
    path = Path(path)
    parent = path.absolute().parent
    if not parent.is_dir():
        what = "is not a directory" if parent.exists() else "does not exist"
        raise RecyclingError(f"output directory {parent} {what} (for {path})")
    return path


@functools.cache
def _renameat2():
    """libc's ``renameat2``, or None where there is none (not Linux, old or other C library)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        func = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


def exchange(a: str | os.PathLike, b: str | os.PathLike) -> None:
    """Swap the two existing paths ``a`` and ``b`` atomically; OSError where unsupported."""
    func = _renameat2()
    if func is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available", str(a))
    if func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(a), None, str(b))


def _fsync_dir(path: Path) -> None:
    """Persist a directory's entries (best effort: some systems cannot open directories)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    """Persist a written file, or every file and folder under a written directory."""
    if not path.is_dir():
        with open(path, "rb") as f:
            os.fsync(f.fileno())
        return
    for folder, _, files in os.walk(path):
        for name in files:
            file = os.path.join(folder, name)
            if not os.path.islink(file):
                with open(file, "rb") as f:
                    os.fsync(f.fileno())
        _fsync_dir(Path(folder))


def _usual_mode(path: Path, umask: int) -> None:
    """Give a written file (or every entry of a written folder) the mode a plain ``open`` would:
    ``0o666 & ~umask`` (``0o777`` for folders and files with an execute bit). Writers that make
    their own private file (``mkstemp``, safetensors' ``save_file``) leave 0600 otherwise."""
    entries = [path]
    if path.is_dir():
        entries += [p for p in path.rglob("*") if not p.is_symlink()]
    for entry in entries:
        executable = entry.is_dir() or entry.stat().st_mode & 0o111
        entry.chmod((0o777 if executable else 0o666) & ~umask)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _replace_dir(new: Path, path: Path) -> None:
    """Put directory ``new`` at ``path``, where a directory already is, and delete the old one."""
    try:
        exchange(new, path)  # ``new`` now holds the old directory
        old = new
    except OSError:  # two steps, with a moment where ``path`` is missing
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
        try:
            os.replace(path, old / "x")
        except BaseException:
            old.rmdir()
            raise
        try:
            os.replace(new, path)
        except BaseException:
            os.replace(old / "x", path)  # put the old one back
            old.rmdir()
            raise
    _fsync_dir(path.parent)
    _remove(old)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of ``path``; on success move it onto ``path`` atomically.

    The temporary file or directory lives in the same parent, so the final rename is atomic on
    one filesystem. On error the temporary is removed and ``path`` is untouched. An existing
    directory at ``path`` is replaced (swapped in one step where possible, see module docstring).
    """
    path = check_parent(path)
    prefix = f".{path.name}.tmp-"
    umask = os.umask(0)
    os.umask(umask)
    if directory:
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=path.parent))
    else:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=path.suffix, dir=path.parent)
        os.close(fd)
        tmp = Path(name)
    try:
        yield tmp
        _usual_mode(tmp, umask)  # after the writer: some replace the temporary with a 0600 file
        _fsync_tree(tmp)
        if directory and path.is_dir():
            _replace_dir(tmp, path)
        else:
            os.replace(tmp, path)
            _fsync_dir(path.parent)
    except BaseException:
        _remove(tmp)
        raise


def publish(pairs: dict[str, str]) -> list[str]:
    """Copy each file ``{source: destination}`` onto its destination, each atomically (a reader
    sees the old file or the new one, never a part); returns the destinations."""
    for source, dest in pairs.items():
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(dest) as tmp:
            shutil.copyfile(source, tmp)
    return list(pairs.values())


# --- the ledger: which files of a folder the command line wrote ------------------------------

LEDGER = ".prompt-recycle.json"  # {"files": {name: sha256 of what was written, or null}}


def file_sha256(path: str | os.PathLike) -> str:
    """The sha256 of a file's content (hex)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _read_ledger(folder: Path) -> dict[str, str | None]:
    """The folder's ledger; an unreadable or foreign one vouches for nothing."""
    try:
        files = json.loads((folder / LEDGER).read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        return {}
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if v is None or isinstance(v, str)}


def written_here(path: str | os.PathLike) -> bool:
    """Whether the file at ``path`` is one this tool wrote: its folder's ledger holds its name
    with the sha256 of its content (or null: a write was under way, e.g. a run killed there).
    A symbolic link is never one."""
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        return False
    entry = _read_ledger(path.parent).get(path.name, "")
    return entry is None or entry == file_sha256(path)


def check_replaceable(path: str | os.PathLike, what: str = "output") -> None:
    """Fail unless ``path`` is free or holds a file this tool wrote (:func:`written_here`)."""
    path = Path(path)
    if (path.exists() or path.is_symlink()) and not written_here(path):
        raise RecyclingError(
            f"{what} {path} exists and was not written by prompt-recycle; refusing to replace "
            f"it (move it away, or name a new file)"
        )


def record(paths, pending: bool = False) -> None:
    """Update the ledgers of ``paths``' folders: before a write (``pending``) each name is
    marked as being written; after it, each existing file's sha256 is kept and a missing
    file's name dropped. Writers in one folder take turns (``flock`` on the folder, where the
    filesystem offers it)."""
    import fcntl

    by_folder: dict[Path, list[Path]] = {}
    for p in map(Path, paths):
        by_folder.setdefault(p.absolute().parent, []).append(p)
    for folder, files in by_folder.items():
        fd = os.open(folder, os.O_RDONLY)
        try:
            with contextlib.suppress(OSError):  # some network filesystems have no flock
                fcntl.flock(fd, fcntl.LOCK_EX)
            ledger = _read_ledger(folder)
            for p in files:
                if pending:
                    ledger[p.name] = None
                elif p.is_file() and not p.is_symlink():
                    ledger[p.name] = file_sha256(p)
                else:
                    ledger.pop(p.name, None)
            if ledger:
                with atomic_path(folder / LEDGER) as tmp:
                    tmp.write_text(json.dumps({"files": ledger}, indent=1) + "\n")
            else:
                (folder / LEDGER).unlink(missing_ok=True)
        finally:
            os.close(fd)


@contextlib.contextmanager
def recorded(paths) -> Iterator[None]:
    """Mark ``paths`` as being written, run the block, then record what it left there."""
    paths = list(paths)
    record(paths, pending=True)
    try:
        yield
    finally:
        record(paths)


def code_digest(files, classes=(), algorithm: str = "sha256") -> str:
    """Digest of the source of ``files`` and of the files that define ``classes``: each file's
    name and bytes (a class without a source file, or a file that cannot be read, counts by
    its name alone)."""
    import inspect
    from pathlib import Path

    paths = {Path(f) for f in files}
    for cls in classes:
        if cls is not object:
            with contextlib.suppress(TypeError):  # built-in: no source file
                paths.add(Path(inspect.getfile(cls)))
    h = hashlib.new(algorithm)
    for path in sorted(paths):
        h.update(path.name.encode())
        with contextlib.suppress(OSError):  # sourceless install: the name stands in
            h.update(path.read_bytes())
    return h.hexdigest()
