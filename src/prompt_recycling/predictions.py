"""Per-example predictions as an evaluation row stores them: their encoding, and the metrics
they determine, computed again and compared with the stored ones.

``predictions`` and ``gold`` hold one digit per example while there are at most 10 labels, else
space-separated indices. An evaluation row stores its accuracy, n, per-class accuracy and label
shares next to the predictions they came from. A row whose numbers disagree with its own
predictions (an edited accuracy, a file pieced together from two runs) must not reach the
tables: :func:`check_rows` refuses it with one line naming the file, the row and both numbers.
"""

from __future__ import annotations

import json
import math

import numpy as np

from prompt_recycling.errors import RecyclingError

TOLERANCE = 1e-9  # float rounding of a CSV round trip is far below this


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


def recomputed(predictions: str, gold: str, labels: list[str]) -> dict:
    """``n``, ``accuracy``, ``per_class_accuracy`` and ``label_shares`` from the encoded
    predictions and gold labels of a row (the numbers :func:`~prompt_recycling.evaluate.summarize`
    stores), keyed by ``labels`` in their stored order."""
    pred, gold = decode_labels(predictions), decode_labels(gold)
    if len(pred) != len(gold):
        raise ValueError(f"{len(pred)} predictions but {len(gold)} gold labels")
    if len(pred) and (pred.min() < 0 or pred.max() >= len(labels)):
        raise ValueError(f"a prediction falls outside the {len(labels)} labels")
    right = pred == gold
    per_class = {
        lab: (float(right[gold == k].mean()) if (gold == k).any() else None)
        for k, lab in enumerate(labels)
    }
    shares = np.bincount(pred, minlength=len(labels)) / max(len(pred), 1)
    return {
        "n": len(pred),
        "accuracy": float(right.mean()) if len(pred) else math.nan,
        "per_class_accuracy": per_class,
        "label_shares": dict(zip(labels, map(float, shares), strict=True)),
    }


def _differ(stored, computed) -> bool:
    if stored is None or computed is None:
        return (stored is None) != (computed is None)
    try:
        return not abs(float(stored) - float(computed)) <= TOLERANCE
    except (TypeError, ValueError):
        return True


def _mismatch(r) -> str:
    """The first stored number of row ``r`` its predictions contradict, as a phrase ("" if
    none)."""
    try:
        shares = json.loads(r.label_shares)
        per_class = json.loads(r.per_class_accuracy)
        labels = list(shares)
        if list(per_class) != labels:
            return f"per_class_accuracy names {list(per_class)} but label_shares {labels}"
        want = recomputed(r.predictions, r.gold, labels)
    except (TypeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        return f"its predictions cannot be read back ({exc})"
    stored = {"n": r.n, "accuracy": r.accuracy}
    stored |= {f"per_class_accuracy[{k}]": v for k, v in per_class.items()}
    stored |= {f"label_shares[{k}]": v for k, v in shares.items()}
    computed = {"n": want["n"], "accuracy": want["accuracy"]}
    computed |= {f"per_class_accuracy[{k}]": v for k, v in want["per_class_accuracy"].items()}
    computed |= {f"label_shares[{k}]": v for k, v in want["label_shares"].items()}
    for column, value in stored.items():
        if _differ(value, computed[column]):
            return f"stored {column} {value} but its predictions give {computed[column]}"
    return ""


def check_rows(table, path: str) -> None:
    """Raise a one-line :class:`RecyclingError` at the first row of ``table`` (one evaluation
    file, as :func:`~prompt_recycling.analysis.rows.read_table` reads it) whose stored metrics
    differ from those its stored predictions give."""
    for i, r in enumerate(table.itertuples(index=False)):
        problem = _mismatch(r)
        if problem:
            coords = ", ".join(
                f"{k}={getattr(r, k)}"
                for k in ("condition", "model", "source", "method", "step", "seed")
                if str(getattr(r, k, "")) not in ("", "nan", "<NA>")
            )
            raise RecyclingError(
                f"{path}: row {i + 1} (line {i + 2}; {coords}): {problem}. The file was edited "
                f"or damaged: `snakemake --forcerun {path}` remakes it"
            )
