"""The one schema of evaluation rows: columns, writing, reading, the key, predictions.

Every evaluation writes self-describing rows: all grid coordinates, the kind of condition, the
accuracy, the share of examples predicted as each label, and the per-example predictions and
gold labels (one digit per example while there are at most 10 labels, else space-separated), so
that any two conditions scored on the same examples can be compared pairwise later.

Kinds: ``recycled`` (a source prompt mapped by a recycler), ``identity`` (the source prompt
used on the target as is, for pairs of equal width), ``tuned`` (a prompt tuned on the model
itself: the re-tuned baseline on a target, the source prompt's own accuracy on a source),
``zero-shot`` (no prompt) and ``random`` (prompts drawn the way tuned prompts start).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np

from prompt_recycling.fsutil import atomic_path

KINDS = ("recycled", "identity", "tuned", "zero-shot", "random")
COLUMNS = [
    "dataset",
    "kind",
    "split",
    "model",
    "source",
    "pair_kind",
    "method",
    "vocab_size",
    "word_offset",
    "step",
    "seed",
    "random_index",
    "accuracy",
    "n",
    "per_class_accuracy",
    "label_shares",
    "same_as",
    "precision",
    "prompt",
    "predictions",
    "gold",
]
KEY = [
    "dataset",
    "kind",
    "split",
    "model",
    "source",
    "method",
    "vocab_size",
    "step",
    "seed",
    "random_index",
]
INT_COLUMNS = ["vocab_size", "word_offset", "step", "seed", "random_index", "n"]
STR_COLUMNS = ["source", "pair_kind", "method", "same_as", "prompt", "predictions", "gold"]


def encode_labels(values) -> str:
    """Label indices -> compact string (``"0110..."``; space-separated past 10 labels)."""
    values = np.asarray(values, dtype=np.int64)
    if len(values) and values.max() >= 10:
        return " ".join(map(str, values))
    return "".join(map(str, values))


def decode_labels(text: str) -> np.ndarray:
    text = str(text)
    if " " in text:
        return np.array(text.split(), dtype=np.int64)
    return np.frombuffer(text.encode(), dtype=np.uint8).astype(np.int64) - ord("0")


def row(result: dict, gold, **coords) -> dict:
    """An evaluation row from :func:`prompt_recycling.evaluate.evaluate`'s result."""
    return {
        **coords,
        "accuracy": result["accuracy"],
        "n": result["n"],
        "per_class_accuracy": json.dumps(result["per_class_accuracy"]),
        "label_shares": json.dumps(result["label_shares"]),
        "predictions": encode_labels(result["predictions"]),
        "gold": encode_labels(gold),
    }


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
        return pd.read_parquet(path)
    dtypes = {c: "Int64" for c in INT_COLUMNS} | {c: str for c in STR_COLUMNS}
    table = pd.read_csv(path, dtype=dtypes)
    for c in STR_COLUMNS:
        if c in table:
            table[c] = table[c].fillna("")
    return table
