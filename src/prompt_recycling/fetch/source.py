"""A config entry's source, and the fingerprint (sha256) and size of what fetching it produced.

Every ``models:`` and ``datasets:`` entry names its source: one mapping with exactly one of these
keys::

    hub: google/t5-base-lm-adapt          # Hub id (optional: revision; data sets: subset)
    path: /data/models/my-t5              # a local directory or file
    pypi: {artifacts: [...], ...}         # pinned registry artifacts (see fetch.registry)

Models and data sets both begin by looking up their entry and telling which origin it
has, and both the registry
(verifying what it extracted) and the prepared splits (their manifest) fingerprint files by
sha256 (:func:`prompt_recycling.fsutil.file_sha256`, taken here for both, with the digest of a
folder).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from prompt_recycling.errors import RecyclingError
from prompt_recycling.fsutil import file_sha256

ORIGINS = ("hub", "path", "pypi")


def source_origin(source: dict, name: str) -> str:
    if not isinstance(source, dict):
        raise RecyclingError(f"source of {name!r} must be a mapping, got {source!r}")
    origins = [k for k in ORIGINS if k in source]
    if len(origins) != 1:
        unknown = sorted(set(source) - set(ORIGINS) - {"revision", "subset"})
        hint = f" (unknown keys: {unknown})" if unknown else ""
        raise RecyclingError(
            f"source of {name!r} needs exactly one of {ORIGINS}, got {sorted(source)}{hint}"
        )
    return origins[0]


def config_entry(config: dict, section: str, name: str) -> dict:
    """Entry ``name`` of ``config[section]`` (``models`` or ``datasets``), which needs a source."""
    entries = config.get(section) or {}
    if name not in entries:
        raise RecyclingError(f"no {section[:-1]} named {name!r} in the config ({sorted(entries)})")
    spec = entries[name]
    if not isinstance(spec, dict) or "source" not in spec:
        raise RecyclingError(f"{section}.{name} needs a 'source'")
    return spec


def tree_digest(path: str | os.PathLike, skip: tuple[str, ...] = ()) -> str:
    """sha256 of a file, or of a folder: over its sorted (relative path, file sha256) pairs
    (but the files whose relative path is in ``skip``)."""
    path = Path(path)
    if path.is_file():
        return file_sha256(path)
    h = hashlib.sha256()
    files = (p for p in path.rglob("*") if p.is_file())
    for file in sorted(p for p in files if p.relative_to(path).as_posix() not in skip):
        h.update(f"{file.relative_to(path).as_posix()}\0{file_sha256(file)}\n".encode())
    return h.hexdigest()


def folder_size(path: str | os.PathLike) -> int:
    """Bytes in a file, or in all the files under a folder."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
