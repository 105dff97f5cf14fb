"""The one schema of evaluation rows: columns, writing, reading, the key, predictions.

Every evaluation writes self-describing rows: all grid coordinates, the condition, the
accuracy, the share of examples predicted as each label, and the per-example predictions and
gold labels (one digit per example while there are at most 10 labels, else space-separated), so
that any two conditions scored on the same examples can be compared pairwise later.

Conditions: ``recycled`` (a source prompt mapped by a recycler), ``identity`` (the source prompt
used on the target as is, for pairs of equal width), ``tuned`` (a prompt tuned on the model
itself: the re-tuned baseline on a target, the source prompt's own accuracy on a source),
``zero-shot`` (no prompt), ``random`` (prompts drawn the way tuned prompts start) and
``null-prompt`` (encoders: a prompt of the tuned length whose slots nothing attends to, the cost
of the placement alone). Tuned prompts past the last recycled step (``grid.validation_steps``)
have validation rows only. With an init axis (``grid.inits``) the rows of a run (recycled,
identity, tuned) and of the random baseline carry its ``init``; without one it is empty.
Rows of an encoder carry its prompt ``placement`` (empty for other architectures).

Every condition is scored twice from the same scores when calibration is on: as it is
(``calibrated`` false) and after contextual calibration on content-free inputs (``calibrated``
true; :func:`prompt_recycling.evaluate.evaluate_calibrated`). A recycled row also carries the
cheap ``features`` that the recyclability predictor reads (JSON; computed without scoring it).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from prompt_recycling.errors import RecyclingError
from prompt_recycling.fsutil import atomic_path
from prompt_recycling.predictions import (  # noqa: F401  (decode_labels: the analysis's)
    check_rows,
    decode_labels,
    encode_labels,
)

COLUMNS = [
    "dataset",
    "condition",
    "split",
    "model",
    "source",
    "size_relation",
    "method",
    "calibrated",
    "vocab_size",
    "word_offset",
    "step",
    "seed",
    "init",
    "random_index",
    "accuracy",
    "n",
    "per_class_accuracy",
    "label_shares",
    "same_as",
    "precision",
    "placement",
    "prompt",
    "features",
    "predictions",
    "gold",
]
KEY = [
    "dataset",
    "condition",
    "split",
    "model",
    "source",
    "method",
    "calibrated",
    "vocab_size",
    "step",
    "seed",
    "init",
    "random_index",
]
INT_COLUMNS = ["vocab_size", "word_offset", "step", "seed", "random_index", "n"]
STR_COLUMNS = [
    "source",
    "init",
    "size_relation",
    "method",
    "same_as",
    "placement",
    "prompt",
    "features",
    "predictions",
    "gold",
]
TRUTH = {True: True, False: False, "True": True, "False": False, "true": True, "false": False}


def row(result: dict, gold, **coords) -> dict:
    """An evaluation row from :func:`prompt_recycling.evaluate.evaluate`'s result."""
    if "features" in coords and isinstance(coords["features"], dict):
        coords["features"] = json.dumps(coords["features"], sort_keys=True)
    return {
        **coords,
        "accuracy": result["accuracy"],
        "n": result["n"],
        "per_class_accuracy": json.dumps(result["per_class_accuracy"]),
        "label_shares": json.dumps(result["label_shares"]),
        "predictions": encode_labels(result["predictions"]),
        "gold": encode_labels(gold),
    }


def rows_of(results: dict[bool, dict], gold, **coords) -> list[dict]:
    """One row per calibration setting of :func:`prompt_recycling.evaluate.evaluate_calibrated`'s
    results, the calibrated one flagged."""
    return [row(r, gold, **coords, calibrated=cal) for cal, r in results.items()]


def write_rows(rows: list[dict], path: str | os.PathLike) -> None:
    """Write evaluation rows (missing fields left empty) as CSV, atomically."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: r.get(k, "") for k in COLUMNS})


def read_table(path: str | os.PathLike):
    """Rows (one file or the aggregated table) with integer coordinates (NA where unset)."""
    import pandas as pd

    path = Path(path)
    if path.suffix == ".parquet":
        return with_init(with_calibration(pd.read_parquet(path)))
    dtypes = {c: "Int64" for c in INT_COLUMNS} | {c: str for c in STR_COLUMNS}
    table = pd.read_csv(path, dtype=dtypes)
    for c in STR_COLUMNS:
        if c in table:
            table[c] = table[c].fillna("")
    return with_init(with_calibration(table))


def with_init(table):
    """An ``init`` column (empty: no init axis), also in rows written before it existed."""
    if "init" not in table:
        table["init"] = ""
    return table


def with_calibration(table):
    """``calibrated`` as booleans; a table written before calibration existed is all raw."""
    if "calibrated" not in table:
        table["calibrated"] = False
    else:
        table["calibrated"] = table["calibrated"].map(TRUTH).fillna(False).astype(bool)
    return table


def expected_counts(expected: dict, widths: dict[str, int]) -> dict[str, int]:
    """Rows per condition from :meth:`prompt_recycling.plan.Grid.expected_rows` and the models'
    embedding widths (the identity control exists for pairs of equal width)."""
    same_width = sum(widths[a] == widths[b] for a, b in expected["pairs"])
    counts = {k: v for k, v in expected.items() if k not in ("pairs", "identity_per_pair")}
    counts["identity"] = expected["identity_per_pair"] * same_width
    return {k: v for k, v in counts.items() if v}


def aggregate(
    files: list[str],
    expected: dict[str, int],
    csv_out: str,
    parquet_out: str | None = None,
    repair: str = "prompt-recycle repair -- <the same snakemake arguments>",
):
    """Concatenate evaluation CSVs (``expected``: rows per condition, :func:`expected_counts`); fail
    unless every condition has its expected row count, no grid coordinate repeats, every row of
    a data set and split scored the same examples, and every stored metric equals the one its
    stored predictions give (:func:`prompt_recycling.predictions.check_rows`)."""
    import pandas as pd

    frames = [read_table(f) for f in files]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    problems = []
    counts = table["condition"].value_counts().to_dict() if len(table) else {}
    for condition, n in expected.items():
        if counts.get(condition, 0) != n:
            problems.append(f"{condition}: expected {n} rows, found {counts.get(condition, 0)}")
    for condition in set(counts) - set(expected):
        problems.append(f"{condition}: {counts[condition]} rows of a condition this grid lacks")
    dupes = table[table.duplicated(KEY, keep=False)] if len(table) else table
    if len(dupes):
        problems.append(
            f"{len(dupes)} rows share their grid coordinates, e.g. {dupes.iloc[0][KEY].to_dict()}"
        )
    if len(table):
        for (dataset, split), g in table.groupby(["dataset", "split"]):
            if g.gold.nunique() != 1:
                problems.append(f"{dataset} {split}: rows scored different example sets")
    if problems:
        raise RecyclingError(
            "results table is inconsistent: "
            + "; ".join(problems)
            + ". An evaluation file holds other rows than this config plans (damaged, edited, or "
            "written by another version). The last published tables stay as they were; "
            f"`{repair}` finds damaged files and remakes them and what depends on them, and "
            "`snakemake --forcerun <file>` remakes one file."
        )
    for file, frame in zip(files, frames, strict=True):  # stored numbers vs predictions
        check_rows(frame, file)
    table = table.sort_values(KEY, na_position="first").reset_index(drop=True)
    Path(csv_out).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(csv_out) as tmp:
        table.to_csv(tmp, index=False)
    if parquet_out:
        with atomic_path(parquet_out) as tmp:
            table.to_parquet(tmp, index=False)
    return table
