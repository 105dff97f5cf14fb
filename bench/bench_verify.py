"""What checking a fetched model before each job costs, against hashing it whole.

For each model folder under ``resources/models/`` (the default grid's fetched models), copied
to a temporary folder, in one process: the manifest made at fetch (every file hashed), the check
an untouched folder gets before each job (one ``stat`` per file), the check after a ``touch`` of
the largest file (that file hashed again) and a full re-hash (``full=True``), each the median of
5 runs, with the model's load time (transformers, fp32) for scale. Prints seconds and ratios to
the full hash.

    python bench/bench_verify.py [--models minilm-l3,minilm-l6,mpnet-base]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from prompt_recycling.verify import changes, file_manifest


def median_time(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(name: str, original: Path) -> str:
    """One row of the table, measured on a copy of ``original`` (the touch stays there)."""
    from transformers import AutoModel

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / name
        shutil.copytree(original, folder, symlinks=False)
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
        manifest = file_manifest(folder)
        full = median_time(lambda: changes(folder, manifest, full=True))
        cheap = median_time(lambda: changes(folder, manifest))
        largest = max(manifest, key=lambda rel: manifest[rel]["size"])
        os.utime(folder / largest)  # a touch: same bytes, new mtime
        touched = median_time(lambda: changes(folder, manifest))
        load = median_time(lambda: AutoModel.from_pretrained(folder), repeats=3)
    return (
        f"{name} | {size:.0f} | {full:.3f} | {cheap:.5f} | {touched:.3f} | {load:.2f} | "
        f"{cheap / full:.4f} | {touched / full:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="minilm-l3,minilm-l6,mpnet-base")
    parser.add_argument("--resources", default="resources")
    args = parser.parse_args()
    print(
        "model | MB | full hash s | check (untouched) s | check (touched) s | load s | "
        "untouched/full | touched/full"
    )
    for name in args.models.split(","):
        folder = Path(args.resources) / "models" / name
        if not folder.is_dir():
            print(f"{name}: no folder {folder}; fetch it first (prompt-recycle fetch-model)")
            continue
        print(measure(name, folder))


if __name__ == "__main__":
    main()
