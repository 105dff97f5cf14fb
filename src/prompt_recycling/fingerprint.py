"""Content fingerprint of a local ``path:`` source, cheap to recompute when nothing changed.

A config's model or data set may come from a local file or folder used in place (``path:``).
What depends on it reruns when its content changes, and only then: a ``touch``, or a copy with
the same bytes, keeps the fingerprint. Snakemake computes it at every DAG build (every
``snakemake -n``), so it must cost little when nothing changed: a cache (a JSON file, by default
``resources/.fingerprints.json`` under the working directory, the Snakemake workdir) maps each
file's absolute path to its (size, mtime_ns, sha256), and a file is hashed again only when its
size or mtime_ns differ from its entry.

What counts: every regular file under the folder, by relative posix path, size and sha256.
Symlinks are followed; files and folders inside it whose name starts with ``.`` (``.git``,
``.ipynb_checkpoints``) are skipped, and so is a symlinked folder that leads back to one of its
own ancestors (a loop). A single file counts by its content alone, so renaming it keeps its
fingerprint; inside a folder, renaming a file changes it. An empty folder has a fingerprint too
(of nothing), other than that of a folder holding one empty file.

Limitation: a change that keeps a file's size and mtime_ns (bytes rewritten and the old mtime
put back, or a second write within the file system's timestamp granularity) is not seen while
the cache holds the file's entry; delete the cache, or pass ``cache=None``, to hash it all again.

The cache is read once per call and written, only when it changed, atomically (a temporary
sibling renamed onto it, :func:`~prompt_recycling.fsutil.atomic_path`): concurrent writers cannot
corrupt it, though one may drop the other's new entries, which only means hashing those files
again. A corrupt or unreadable cache is ignored, and one that cannot be written is left as is.
Entries of files that no longer exist under the fingerprinted folder are dropped.
"""

from __future__ import annotations

import hashlib
import json
import os

from prompt_recycling import paths
from prompt_recycling.errors import RecyclingError
from prompt_recycling.fetch.source import file_sha256
from prompt_recycling.fsutil import atomic_path

DEFAULT_CACHE = paths.FINGERPRINTS


def _raise(error: OSError) -> None:
    raise error


def listed_files(root: str) -> list[tuple[str, str]]:
    """Sorted (relative posix path, absolute path) of the regular files under folder ``root``,
    not hidden (names starting with ``.``), symlinks followed except back to an ancestor."""
    found = []
    ancestors = {root: {os.path.realpath(root)}}  # real paths of each folder's ancestors
    for folder, dirs, names in os.walk(root, onerror=_raise, followlinks=True):
        above = ancestors.pop(folder)
        kept = []
        for name in dirs:
            real = os.path.realpath(os.path.join(folder, name))
            if not name.startswith(".") and real not in above:
                kept.append(name)
                ancestors[os.path.join(folder, name)] = above | {real}
        dirs[:] = kept
        for name in names:
            file = os.path.join(folder, name)
            if not name.startswith(".") and os.path.isfile(file):
                found.append((os.path.relpath(file, root).replace(os.sep, "/"), file))
    return sorted(found)


def _load(cache: str | os.PathLike) -> dict:
    """The cache's entries; empty where it is missing, unreadable or not a JSON object."""
    try:
        with open(cache, encoding="utf-8") as f:
            entries = json.load(f)
    except (OSError, ValueError):
        return {}
    return entries if isinstance(entries, dict) else {}


def _save(cache: str | os.PathLike, entries: dict) -> None:
    """Write the cache atomically; where it cannot be written, leave it (it only saves time)."""
    try:
        os.makedirs(os.path.dirname(os.path.abspath(cache)), exist_ok=True)
        with atomic_path(cache) as tmp:
            tmp.write_text(json.dumps(entries, sort_keys=True, indent=0), encoding="utf-8")
    except (OSError, RecyclingError):
        pass


def _fresh(entry: object, stat: os.stat_result) -> bool:
    """Whether a cache entry still holds for a file: same size and mtime_ns, a sha256 kept."""
    return (
        isinstance(entry, list)
        and len(entry) == 3
        and entry[:2] == [stat.st_size, stat.st_mtime_ns]
        and isinstance(entry[2], str)
        and len(entry[2]) == 64
    )


def content_fingerprint(
    path: str | os.PathLike, cache: str | os.PathLike | None = DEFAULT_CACHE
) -> str:
    """16 hex digits of the content of file or folder ``path`` (see the module docstring).

    sha256 over the sorted (relative posix path, size, file sha256) of its files; a single file
    has an empty relative path. A file's sha256 comes from ``cache`` (a JSON file, relative to
    the working directory) while its size and mtime_ns match the entry; ``cache=None`` hashes
    every file. A missing ``path`` raises :class:`RecyclingError`.
    """
    root = os.path.abspath(path)
    if os.path.isfile(root):
        files = [("", root)]
    elif os.path.isdir(root):
        files = listed_files(root)
    elif os.path.exists(root):
        raise RecyclingError(f"local source {path} is neither a file nor a folder")
    else:
        raise RecyclingError(f"local source {path} does not exist")
    entries = _load(cache) if cache is not None else {}
    changed = False
    h = hashlib.sha256()
    for rel, file in files:
        stat = os.stat(file)  # before hashing: a write during it makes the entry stale
        entry = entries.get(file)
        if _fresh(entry, stat):
            digest = entry[2]
        else:
            digest = file_sha256(file)
            entries[file] = [stat.st_size, stat.st_mtime_ns, digest]
            changed = True
        h.update(f"{rel}\0{stat.st_size}\0{digest}\n".encode())
    if cache is not None:
        if os.path.isdir(root):
            seen = {file for _, file in files}
            stale = [f for f in entries if f.startswith(root + os.sep) and f not in seen]
            for file in stale:
                del entries[file]
            changed = changed or bool(stale)
        if changed:
            _save(cache, entries)
    return h.hexdigest()[:16]
