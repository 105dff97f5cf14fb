"""Labelled examples as JSON lines: one object per line with ``text`` and ``label``.

``label`` is either an index into the verbalizer list or one of its strings. This is the one
format of a prepared split (``resources/data/<name>/<split>.jsonl``) and of the CLI's ``--data``
files, so reading and writing it lives apart from how a data set is fetched.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from prompt_recycling.errors import RecyclingError


@dataclass(frozen=True)
class Example:
    text: str
    label: int  # index into the verbalizers


def parse_labels(labels: str | list[str]) -> list[str]:
    """``"negative,positive"`` or a list -> list of at least two distinct verbalizers."""
    if isinstance(labels, str):
        labels = [x.strip() for x in labels.split(",")]
    labels = [x for x in labels if x]
    if len(labels) < 2 or len(set(labels)) != len(labels):
        raise RecyclingError(f"need at least two distinct labels, got {labels}")
    return labels


def read_examples(path: str | os.PathLike, labels: list[str]) -> list[Example]:
    """Read a JSON-lines file; every label must be a verbalizer index or string."""
    path = Path(path)
    if not path.is_file():
        raise RecyclingError(f"data file {path} does not exist")
    examples = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text, label = row["text"], row["label"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise RecyclingError(
                    f"{path}:{lineno}: expected a JSON object with 'text' and 'label'"
                ) from None
            text = check_text(text, f"{path}:{lineno}")
            examples.append(Example(text, _label_index(label, labels, path, lineno)))
    if not examples:
        raise RecyclingError(f"data file {path} holds no examples")
    return examples


def check_text(text, where: str, field: str = "text") -> str:
    """A text as it is: a string with a character that is not whitespace. Anything else (null,
    a number, a list) is refused, not turned into ``"None"`` or a list's repr."""
    if not isinstance(text, str):
        kind = "null" if text is None else f"{text!r:.40} ({type(text).__name__})"
        raise RecyclingError(f"{where}: field '{field}' is {kind}, not a string")
    if not text.strip():
        raise RecyclingError(f"{where}: field '{field}' is empty")
    return text


def _label_index(label, labels: list[str], path, lineno) -> int:
    where = f"{path}:{lineno}: field 'label'"
    if isinstance(label, bool) or not isinstance(label, int | str):
        raise RecyclingError(f"{where}: {label!r} is not an index or a string")
    if isinstance(label, int):
        if 0 <= label < len(labels):
            return label
    elif label in labels:
        return labels.index(label)
    raise RecyclingError(f"{where}: {label!r} is neither one of {labels} nor an index of one")


def write_examples(examples, path: str | os.PathLike) -> None:
    from prompt_recycling.fsutil import atomic_path

    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for ex in examples:
            f.write(json.dumps({"text": ex.text, "label": ex.label}) + "\n")
