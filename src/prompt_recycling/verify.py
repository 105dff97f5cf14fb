"""Fetched files and prepared splits, checked again before anything reads them.

Fetching records a manifest of the folder it made available: every file's relative path, size,
modification time (ns) and sha256 (the same listing as
:func:`prompt_recycling.fingerprint.content_fingerprint`: hidden names skipped, symlinks
followed). Every later reader checks the folder against it: a file missing, added, or of another
size is a change at the cost of a ``stat``; a file whose mtime differs is hashed again, and is a
change only if its bytes are. So an edit in place (two rows of an embedding table swapped, same
size) is caught for the price of one hash of the edited file, and an untouched folder costs one
``stat`` per file (``bench/bench_verify.py`` measures both against a full hash).

A prepared data set's ``manifest.json`` records each split's sha256; a job hashes the split it
reads in full (:func:`check_split`: a few MB of text).

Limitation: bytes rewritten with the old mtime put back are not seen; ``full=True`` hashes every
file whatever its mtime (what the ``fetch-model`` command does before it reports a folder good).
"""

from __future__ import annotations

import os

from prompt_recycling.errors import RecyclingError
from prompt_recycling.fsutil import file_sha256


def _listing(folder: str | os.PathLike) -> list[tuple[str, str]]:
    from prompt_recycling.fingerprint import listed_files

    return listed_files(os.fspath(folder))


def file_manifest(folder: str | os.PathLike, skip: tuple[str, ...] = ()) -> dict[str, dict]:
    """``{relative path: {size, mtime_ns, sha256}}`` of every file under ``folder`` (but those
    named in ``skip``)."""
    manifest = {}
    for rel, path in _listing(folder):
        if rel in skip:
            continue
        st = os.stat(path)
        manifest[rel] = {
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "sha256": file_sha256(path),
        }
    return manifest


def changes(
    folder: str | os.PathLike, manifest: dict[str, dict], skip: tuple[str, ...] = (), full=False
) -> list[str]:
    """What differs between ``folder`` and its ``manifest``, one phrase per file (empty: none)."""
    if not os.path.isdir(folder):
        return [f"{folder} is gone"]
    found = {rel: path for rel, path in _listing(folder) if rel not in skip}
    problems = [f"{rel} is missing" for rel in sorted(set(manifest) - set(found))]
    problems += [f"{rel} was added" for rel in sorted(set(found) - set(manifest))]
    for rel in sorted(set(found) & set(manifest)):
        want, st = manifest[rel], os.stat(found[rel])
        if st.st_size != want["size"]:
            problems.append(f"{rel} is {st.st_size} bytes, not {want['size']}")
        elif full or st.st_mtime_ns != want["mtime_ns"]:
            if file_sha256(found[rel]) != want["sha256"]:
                problems.append(f"{rel}'s content changed")
    return problems


def check_folder(folder: str | os.PathLike, manifest: dict[str, dict], what: str, fix: str) -> None:
    """Raise a one-line :class:`RecyclingError` when ``folder`` differs from ``manifest``.

    ``what``: the folder's role (``model 'minilm-l6'``); ``fix``: what to do about it."""
    problems = changes(folder, manifest)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise RecyclingError(
            f"{what}: {folder} changed since it was fetched: {problems[0]}{more}; {fix}"
        )


def split_change(path: str | os.PathLike) -> str | None:
    """Why a prepared split differs from what its data set's ``manifest.json`` (beside it)
    recorded, or None (also for a file with no manifest beside it, or no digest in it)."""
    import json

    manifest = os.path.join(os.path.dirname(os.path.abspath(path)), "manifest.json")
    try:
        with open(manifest, encoding="utf-8") as f:
            want = json.load(f)["splits"][os.path.basename(path).removesuffix(".jsonl")]["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    have = file_sha256(os.fspath(path))
    if have != want:
        return f"its sha256 is {have[:12]}..., the manifest's {want[:12]}..."
    return None


def check_split(path: str | os.PathLike) -> None:
    """Raise a one-line :class:`RecyclingError` when a prepared split changed since it was
    written: every job hashes the split it reads (a few MB: milliseconds)."""
    why = split_change(path)
    if why:
        manifest = os.path.join(os.path.dirname(os.fspath(path)), "manifest.json")
        raise RecyclingError(
            f"{path} changed since the data set was prepared ({why}); prepare it again: "
            f"snakemake --forcerun {manifest}"
        )
