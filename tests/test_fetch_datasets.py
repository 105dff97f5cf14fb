"""Data set preparation: deterministic, stratified, de-duplicated splits and manifests."""

import json
from collections import Counter

import pytest
from tinygrid import dataset_entry

from prompt_recycling.errors import RecyclingError
from prompt_recycling.examples import Example, read_examples
from prompt_recycling.fetch.datasets import cap, prepare_dataset, split

LABELS = ["negative", "positive"]


def examples(n_pos=60, n_neg=40, repeats=5):
    out = [Example(f"good text {i}", 1) for i in range(n_pos)]
    out += [Example(f"bad text {i}", 0) for i in range(n_neg)]
    out += [Example("good text 0", 1)] * repeats  # repeated texts
    return out


def test_split_is_deterministic_stratified_and_deduplicated():
    a = split(examples(), {"train": 50, "validation": 20, "test": None}, seed=3)
    b = split(examples(), {"train": 50, "validation": 20, "test": None}, seed=3)
    c = split(examples(), {"train": 50, "validation": 20, "test": None}, seed=4)
    assert a == b and a != c
    assert {k: len(v) for k, v in a.items()} == {"train": 50, "validation": 20, "test": 30}
    assert Counter(ex.label for ex in a["train"]) == {1: 30, 0: 20}  # 60/40 kept
    assert Counter(ex.label for ex in a["validation"]) == {1: 12, 0: 8}
    texts = [ex.text for part in a.values() for ex in part]
    assert len(texts) == len(set(texts)) == 100


def test_caps_are_stratified():
    capped = cap(examples(repeats=0), 10, seed=0)
    assert len(capped) == 10 and Counter(ex.label for ex in capped) == {1: 6, 0: 4}


def test_split_larger_than_data():
    with pytest.raises(RecyclingError, match="add up to 120, more than the 100 examples"):
        split(examples(), {"train": 100, "validation": 20}, seed=0)


def write_csv(path, rows, header="review,sentiment"):
    path.write_text(header + "\n" + "".join(f'"{t}",{s}\n' for t, s in rows))


def test_imdb_csv_manifest_and_br_tags(tmp_path):
    rows = [(f"Great<br /><br />film {i}", "positive") for i in range(12)]
    rows += [(f"Awful film {i}", "negative") for i in range(8)] + [("Awful film 0", "negative")]
    write_csv(tmp_path / "imdb.csv", rows)
    spec = {
        "format": "imdb-csv",
        "labels": LABELS,
        "seed": 1,
        "title": "IMDB test",
        "splits": {"train": 10, "validation": 5, "test": None},
        "max_eval": 4,
    }
    manifest = prepare_dataset(
        "imdb", dataset_entry(**spec), tmp_path / "imdb.csv", tmp_path / "out"
    )
    assert manifest["raw_examples"] == 21
    assert {s: v["n"] for s, v in manifest["splits"].items()} == {
        "train": 10,
        "validation": 4,
        "test": 4,
    }
    assert manifest["splits"]["train"]["label_counts"] == {"negative": 4, "positive": 6}
    on_disk = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert on_disk == manifest and "title" not in on_disk  # cosmetic: not part of the splits
    train = read_examples(tmp_path / "out" / "train.jsonl", LABELS)
    assert all("<br" not in ex.text for ex in train)
    assert any(ex.text.startswith("Great film") for ex in train)


def test_csv_without_the_expected_columns(tmp_path):
    write_csv(tmp_path / "x.csv", [("a", "positive")], header="text,label")
    with pytest.raises(RecyclingError, match="expected columns 'review' and 'sentiment'"):
        prepare_dataset(
            "imdb", dataset_entry(format="imdb-csv"), tmp_path / "x.csv", tmp_path / "o"
        )


def test_label_outside_the_verbalizers(tmp_path):
    write_csv(tmp_path / "x.csv", [("a", "positive"), ("b", "neutral")])
    with pytest.raises(RecyclingError, match="'neutral' is not one of"):
        prepare_dataset(
            "imdb", dataset_entry(format="imdb-csv"), tmp_path / "x.csv", tmp_path / "o"
        )


def test_unknown_format(tmp_path):
    with pytest.raises(RecyclingError, match="unknown format 'parquet'"):
        prepare_dataset("x", {"format": "parquet"}, tmp_path, tmp_path / "o")
