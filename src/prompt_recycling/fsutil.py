"""Atomic writes: a reader never sees a half-written file or directory."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from prompt_recycling.errors import RecyclingError


def check_parent(path: str | os.PathLike) -> Path:
    """Return ``path`` as a Path, or fail if its parent directory does not exist."""
    path = Path(path)
    parent = path.absolute().parent
    if not parent.is_dir():
        raise RecyclingError(f"output directory {parent} does not exist (for {path})")
    return path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of ``path``; on success rename it onto ``path``.

    The temporary file or directory lives in the same parent, so the final ``os.replace`` is
    atomic on one filesystem. On error the temporary is removed and ``path`` is untouched.
    An existing directory at ``path`` is replaced (moved aside first, then deleted).
    """
    path = check_parent(path)
    prefix = f".{path.name}.tmp-"
    umask = os.umask(0)
    os.umask(umask)
    if directory:
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=path.parent))
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes 0700; give the usual permissions
    else:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=path.suffix, dir=path.parent)
        os.close(fd)
        tmp = Path(name)
        tmp.chmod(0o666 & ~umask)
    try:
        yield tmp
        if directory and path.is_dir():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
            os.replace(path, old / "x")
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise
