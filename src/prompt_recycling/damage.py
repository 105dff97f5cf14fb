"""Outputs that Snakemake takes as done but that are missing, empty or cut short.

Snakemake decides what to run from the files' presence and times: a deleted or truncated
intermediate file (an evaluation CSV, a prompt .npy, a recycler .safetensors) goes unnoticed
while the tables made from it exist. :func:`damaged_outputs` reads each planned output just
enough to tell: cheap, torch-free, no file is written. A model's description counts as damaged
when the model's folder no longer matches the files it was fetched as.
"""

from __future__ import annotations

import csv
import json
import struct
from collections.abc import Callable, Iterable
from pathlib import Path

SKIPPED = ("logs", "benchmarks")  # folders of records, not outputs anything reads


class Damaged(Exception):
    """Why a file cannot be what its job wrote."""


def _check_csv(path: Path) -> None:
    with path.open("rb") as f:
        f.seek(-1, 2)
        if f.read(1) != b"\n":  # pandas and the csv module end every row with one
            raise Damaged("cut short (no final line break)")
    with path.open(newline="") as f:
        # pandas writes a frame with no columns as a bare line break: header and rows of 0 fields
        rows = csv.reader(f)
        header = next(rows, [])
        for row in rows:
            if len(row) != len(header):
                raise Damaged(
                    f"line {rows.line_num} has {len(row)} fields, the header {len(header)}"
                )


def _check_npy(path: Path) -> None:
    import numpy as np

    array = np.load(path, mmap_mode="r")
    size = path.stat().st_size
    want = getattr(array, "offset", 0) + array.nbytes
    del array
    if size != want:
        raise Damaged(f"{size} bytes, its header says {want}")


def _check_safetensors(path: Path) -> None:
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise Damaged("cut short (no header length)")
        (length,) = struct.unpack("<Q", head)
        if length > size - 8:
            raise Damaged(f"header of {length} bytes in a file of {size}")
        header = json.loads(f.read(length))
    if not isinstance(header, dict):
        raise Damaged("header is not a JSON object")
    ends = [
        entry["data_offsets"][1]
        for name, entry in header.items()
        if name != "__metadata__" and isinstance(entry, dict) and "data_offsets" in entry
    ]
    want = 8 + length + max(ends, default=0)
    if size != want:
        raise Damaged(f"{size} bytes, its header says {want}")


def _check_json(path: Path) -> None:
    """Readable JSON; a model's description also checks the model's folder against the
    manifest of its files it records (:mod:`prompt_recycling.verify`)."""
    value = json.loads(path.read_text())
    if isinstance(value, dict) and isinstance(value.get("files"), dict) and "folder" in value:
        from prompt_recycling.verify import changes

        problems = changes(value["folder"], value["files"])
        if problems:
            raise Damaged(f"the model's folder changed since it was fetched: {problems[0]}")


def _check_jsonl(path: Path) -> None:
    """Every line JSON; a prepared split also the sha256 its data set's manifest recorded."""
    with path.open() as f:
        for n, line in enumerate(f, start=1):
            if line.strip():
                try:
                    json.loads(line)
                except ValueError:
                    raise Damaged(f"line {n} is not JSON") from None
    from prompt_recycling.verify import split_change

    why = split_change(path)
    if why:
        raise Damaged(f"changed since the data set was prepared: {why}")


def _check_parquet(path: Path) -> None:
    with path.open("rb") as f:
        start = f.read(4)
        f.seek(max(path.stat().st_size - 4, 0))
        end = f.read(4)
    if start != b"PAR1" or end != b"PAR1" or path.stat().st_size < 12:
        raise Damaged("no PAR1 marker at both ends")


CHECKS: dict[str, Callable[[Path], None]] = {
    ".csv": _check_csv,
    ".npy": _check_npy,
    ".safetensors": _check_safetensors,
    ".json": _check_json,
    ".jsonl": _check_jsonl,
    ".parquet": _check_parquet,
}


def why_damaged(path: Path) -> str | None:
    """Why ``path`` is not a whole output (None when it is): missing, empty, or unreadable by
    its type. A folder only has to exist."""
    if path.is_dir():
        return None
    if not path.exists():
        return "missing"
    if path.stat().st_size == 0:
        return "empty"
    check = CHECKS.get(path.suffix.lower())
    if check is None:
        return None
    try:
        check(path)
    except Damaged as exc:
        return str(exc)
    except (OSError, ValueError, KeyError, IndexError, TypeError, csv.Error, struct.error) as exc:
        # ValueError covers JSON, Unicode and numpy header errors
        first = (str(exc).splitlines() or [""])[0]
        return f"unreadable ({type(exc).__name__}: {first})"
    return None


def damaged_outputs(files: Iterable[str], workdir: str | Path = ".") -> list[tuple[str, str]]:
    """``(path, why)`` of each planned output (relative to ``workdir``) that is missing, empty
    or unreadable by its type; files under logs/ and benchmarks/ are skipped. In the order
    given, each path once."""
    out, seen = [], set()
    for name in files:
        if not name or name in seen or Path(name).parts[0] in SKIPPED:
            continue
        seen.add(name)
        why = why_damaged(Path(workdir) / name)
        if why:
            out.append((name, why))
    return out
