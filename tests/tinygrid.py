"""The tiny grid the workflow and cluster tests run: three tiny random BERT encoders, a small
sentiment-like data set and a config that uses them through ``path:`` sources."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import yaml

from prompt_recycling.tiny import pseudo_words, save_tiny_bert, wordpiece_vocab

# The smallest grid with every kind of job (:func:`small_grid`): one pair, two recyclers, two
# steps, one word count, one seed, no random prompts.
SMALL_JOBS = {
    "fetch_model": 2,
    "prepare_data": 1,
    "train_prompts": 2,
    "describe_pair": 1,
    "fit_recyclers": 2,
    "evaluate_recycled": 1,  # one source run and pair: both cells and the identity control
    "evaluate_tuned": 2,
    "evaluate_baseline": 2,  # zero-shot and null-prompt of the one target
    "aggregate": 1,
    "analyse": 1,
    "figures": 1,
    "write_report": 1,
    "publish": 1,
    "all": 1,
}


def small_grid(config: dict) -> dict:
    """The tiny grid's config cut down to :data:`SMALL_JOBS` (edited in place and returned)."""
    config["grid"].update(
        models=["tiny-a", "tiny-b"],
        pairs=[["tiny-a", "tiny-b"]],
        recyclers=["v2v-lin", "v2v-nn"],
        steps=[0, 2],
        validation_steps=[],
        vocab_sizes=[50],
        default_vocab_size=50,
        random_prompts=0,
    )
    config["tuning"]["save_every"] = 2
    return config


def make_tiny_grid(root: str | os.PathLike, seeds: int = 1) -> Path:
    """A complete tiny grid on disk: three tiny BERT encoders (two 16-d of different depth,
    one 24-d), a small sentiment-like data set in JSON lines, and a config using them through
    ``path:`` sources. Returns the config file. Used by the workflow tests."""
    root = Path(root)
    sentiment = ["negative", "positive", "good", "bad", "great", "awful", "movie"]
    pieces = wordpiece_vocab(400, extra=sentiment)
    models = {
        "tiny-a": save_tiny_bert(
            root / "models/tiny-a", pieces, hidden=16, layers=2, seed=1, initializer_range=0.2
        ),
        "tiny-b": save_tiny_bert(
            root / "models/tiny-b", pieces, hidden=16, layers=2, seed=2, initializer_range=0.2
        ),
        "tiny-big": save_tiny_bert(
            root / "models/tiny-big",
            pieces,
            hidden=24,
            layers=3,
            heads=2,
            seed=3,
            initializer_range=0.2,
        ),
    }
    rng = np.random.default_rng(0)
    words = pseudo_words(400)
    data = root / "data/tiny-sst"
    data.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", 64), ("validation", 16), ("test", 24)):
        with open(data / f"{split}.jsonl", "w") as f:
            for i in range(n):
                label = i % 2
                cue = ["bad", "awful"][i % 3 % 2] if label == 0 else ["good", "great"][i % 3 % 2]
                body = list(rng.choice(words, size=4)) + [cue, "movie"]
                f.write(json.dumps({"text": " ".join(body), "label": label}) + "\n")
    config = {
        "models": {
            name: {"title": name, "source": {"path": str(path)}} for name, path in models.items()
        },
        "datasets": {
            "tiny-sst": {"title": "Tiny SST", "source": {"path": str(data)}, "format": "jsonl"}
        },
        "grid": {
            "datasets": ["tiny-sst"],
            "models": list(models),
            "pairs": [["tiny-a", "tiny-b"], ["tiny-b", "tiny-big"], ["tiny-big", "tiny-a"]],
            "recyclers": ["v2v-lin", "v2v-nn", "lin-comb"],
            "steps": [0, 2, 4],
            "validation_steps": [6],  # trained on, scored on validation only
            "vocab_sizes": [50, 100],
            "default_vocab_size": 100,
            "word_offset": 20,
            "seeds": seeds,
            "sweep": "paper",
            "random_prompts": 2,
        },
        "tuning": {
            "prompt_length": 3,
            "batch_size": 8,
            "save_every": 1,
            "optimizer": "adam",
            "learning_rate": 0.05,
        },
        "evaluation": {"split": "test", "batch_size": 16, "max_length": 32, "validation": True},
        "recycling": {"v2v-nn": {"epochs": 2}},
    }
    path = root / "tiny.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def dataset_entry(**entry) -> dict:
    """A data set entry as the jobs get it: validated, the schema's defaults filled in (the
    source is a placeholder: the preparing function is handed the source's path itself)."""
    from prompt_recycling.configcheck import validate
    from prompt_recycling.settings import SCHEMA_PATH

    entry.setdefault("source", {"path": "."})
    return validate({"datasets": {"d": entry}}, SCHEMA_PATH, required=())["datasets"]["d"]
