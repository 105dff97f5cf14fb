"""What each job of the grid does; ``workflow/scripts/*.py`` call these, one each.

Every function takes plain paths and values (no Snakemake object), so each job can be run and
tested from Python. Evaluation jobs write CSV rows that carry all their grid coordinates.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from prompt_recycling.errors import RecyclingError
from prompt_recycling.fsutil import atomic_path

ROW_FIELDS = [
    "dataset",
    "kind",
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
    "prompt",
]


def write_rows(rows: list[dict], path: str | os.PathLike) -> None:
    """Write evaluation rows (missing fields left empty) as CSV, atomically."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=ROW_FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in ROW_FIELDS})


def _row(result: dict, **coords) -> dict:
    return {
        **coords,
        "accuracy": result["accuracy"],
        "n": result["n"],
        "per_class_accuracy": json.dumps(result["per_class_accuracy"]),
    }


def _model_options(config: dict, name: str) -> dict:
    spec = config["models"][name]
    ev = config.get("evaluation") or {}
    return {
        "kind": spec.get("kind"),
        "template": spec.get("template"),
        "max_length": spec.get("max_length", ev.get("max_length", 128)),
    }


def describe_model(
    config: dict,
    name: str,
    out_json: str,
    resources: str = "resources",
    find_links: str | None = None,
) -> dict:
    """Fetch model ``name`` and record where it is, its kind, width and parameter count."""
    import torch
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoModelForSeq2SeqLM

    from prompt_recycling.embeddings import resolve_model_dir
    from prompt_recycling.models import detect_kind
    from prompt_recycling.resources import fetch_model

    location = fetch_model(config, name, resources, find_links)
    model_config = AutoConfig.from_pretrained(resolve_model_dir(location))
    kind = config["models"][name].get("kind") or detect_kind(model_config)
    loader = {"seq2seq": AutoModelForSeq2SeqLM, "causal": AutoModelForCausalLM}.get(kind, AutoModel)
    with torch.device("meta"):
        skeleton = loader.from_config(model_config)
    info = {
        "name": name,
        "title": config["models"][name].get("title", name),
        "location": str(location),
        "kind": kind,
        "width": int(skeleton.get_input_embeddings().weight.shape[1]),
        "params": int(sum(p.numel() for p in skeleton.parameters())),
    }
    with atomic_path(out_json) as tmp:
        Path(tmp).write_text(json.dumps(info, indent=2) + "\n")
    return info


def _info(path: str) -> dict:
    return json.loads(Path(path).read_text())


def _adapter(config: dict, model_json: str, dataset: str, device: str | None = None):
    """The frozen model with the data set's verbalizers; logs how long loading took."""
    import time

    from prompt_recycling.models import load_adapter

    start = time.perf_counter()
    info = _info(model_json)
    labels = config["datasets"][dataset].get("labels", ["negative", "positive"])
    opts = _model_options(config, info["name"])
    opts["template"] = config["datasets"][dataset].get("template") or opts["template"]
    ev = config.get("evaluation") or {}
    adapter = load_adapter(
        info["location"], labels, device=device, bf16=ev.get("bf16", False), **opts
    )
    print(f"timing: model load {time.perf_counter() - start:.2f} s")
    return adapter


def _examples(config: dict, data_dir: str, dataset: str, split: str):
    from prompt_recycling.data import read_examples

    labels = config["datasets"][dataset].get("labels", ["negative", "positive"])
    return read_examples(Path(data_dir) / f"{split}.jsonl", labels)


def train_prompts(
    config: dict,
    model_json: str,
    data_dir: str,
    dataset: str,
    seed: int,
    outputs: list[str],
    threads: int | None = None,
) -> None:
    """One training run writes every configured step checkpoint (``outputs``, in step order)."""
    from prompt_recycling.device import set_threads
    from prompt_recycling.tune import TuneConfig, tune_prompt

    set_threads(threads)
    t = config.get("tuning") or {}
    steps = [int(Path(p).stem.split("-")[1]) for p in outputs]
    tune = TuneConfig(
        prompt_length=t.get("prompt_length", 100),
        init=t.get("init", "random-uniform"),
        optimizer=t.get("optimizer", "adafactor"),
        learning_rate=t.get("learning_rate", 0.3),
        batch_size=t.get("batch_size", 32),
        steps=steps,
        seed=seed,
        save_every=t.get("save_every", 100),
    )
    adapter = _adapter(config, model_json, dataset)
    train = _examples(config, data_dir, dataset, "train")
    tune_prompt(adapter, train, tune, Path(outputs[0]).parent, progress=True)


def fit_recyclers(
    config: dict,
    source_json: str,
    target_json: str,
    method: str,
    sizes: list[int],
    outputs: list[str],
    threads: int | None = None,
) -> None:
    """Fit one recycler per vocabulary size for a pair and method (tables loaded once)."""
    from prompt_recycling.device import set_threads
    from prompt_recycling.embeddings import load_vocab_table
    from prompt_recycling.recycle import fit_recycler

    set_threads(threads)
    src, tgt = _info(source_json), _info(target_json)
    tables = load_vocab_table(src["location"]), load_vocab_table(tgt["location"])
    offset = (config.get("grid") or {}).get("word_offset", 1000)
    settings = (config.get("recycling") or {}).get(method) or {}
    for size, output in zip(sizes, outputs, strict=True):
        recycler, selection = fit_recycler(
            *tables, method, num_words=size, word_offset=offset, **settings
        )
        print(
            f"{src['name']} -> {tgt['name']} {method} n={size}: {selection.summary()}; "
            f"fit error {recycler.fit_error:.4f}"
        )
        recycler.save(output)


def _setup(config: dict, model_json: str, dataset: str, data_dir: str, threads: int | None):
    """What every evaluation job starts with: threads, the model, the examples, batch size."""
    from prompt_recycling.device import set_threads

    set_threads(threads)
    adapter = _adapter(config, model_json, dataset)
    examples = _examples(config, data_dir, dataset, _split(config))
    batch = (config.get("evaluation") or {}).get("batch_size", 32)
    return _info(model_json), adapter, examples, batch


def evaluate_recycled(
    config: dict,
    dataset: str,
    source_json: str,
    target_json: str,
    seed: int,
    data_dir: str,
    items: list[dict],
    output: str,
    threads: int | None = None,
) -> None:
    """Recycle every source prompt of the group and score it on the target (one model load).

    ``items``: dicts with method, size, step, prompt (source checkpoint), recycler (file),
    recycled (where to write the recycled prompt).
    """
    import torch

    from prompt_recycling.evaluate import evaluate
    from prompt_recycling.grid import pair_kind
    from prompt_recycling.prompt_io import read_prompt, write_prompt
    from prompt_recycling.recyclers import load_recycler

    tgt, adapter, examples, batch = _setup(config, target_json, dataset, data_dir, threads)
    src = _info(source_json)
    offset = (config.get("grid") or {}).get("word_offset", 1000)
    kind = pair_kind(src, tgt)
    recyclers: dict[str, object] = {}
    rows = []
    for item in items:
        rec = recyclers.setdefault(item["recycler"], load_recycler(item["recycler"]))
        recycled = rec(read_prompt(item["prompt"]))
        write_prompt(recycled, item["recycled"])
        result = evaluate(adapter, examples, torch.from_numpy(recycled), batch, progress=False)
        rows.append(
            _row(
                result,
                dataset=dataset,
                kind="recycled",
                model=tgt["name"],
                source=src["name"],
                pair_kind=kind,
                method=item["method"],
                vocab_size=item["size"],
                word_offset=offset,
                step=item["step"],
                seed=seed,
                prompt=item["recycled"],
            )
        )
        print(
            f"{item['method']} n={item['size']} step={item['step']}: "
            f"accuracy {result['accuracy']:.4f}"
        )
    write_rows(rows, output)


def _split(config: dict) -> str:
    return (config.get("evaluation") or {}).get("split", "test")


def evaluate_tuned(
    config: dict,
    dataset: str,
    model_json: str,
    seed: int,
    data_dir: str,
    prompts: list[str],
    steps: list[int],
    output: str,
    threads: int | None = None,
) -> None:
    """Score a model's own tuned prompts at every step (re-tuned / source reference)."""
    from prompt_recycling.evaluate import evaluate
    from prompt_recycling.tune import load_prompt_tensor

    info, adapter, examples, batch = _setup(config, model_json, dataset, data_dir, threads)
    rows = []
    for step, prompt in zip(steps, prompts, strict=True):
        result = evaluate(adapter, examples, load_prompt_tensor(prompt), batch, progress=False)
        rows.append(
            _row(
                result,
                dataset=dataset,
                kind="tuned",
                model=info["name"],
                step=step,
                seed=seed,
                prompt=prompt,
            )
        )
    write_rows(rows, output)


def evaluate_baseline(
    config: dict,
    dataset: str,
    model_json: str,
    data_dir: str,
    kind: str,
    output: str,
    threads: int | None = None,
) -> None:
    """``zero-shot`` (no prompt) or ``random`` (K prompts sampled from the vocabulary)."""
    from prompt_recycling.evaluate import evaluate
    from prompt_recycling.tune import TuneConfig, init_prompt

    info, adapter, examples, batch = _setup(config, model_json, dataset, data_dir, threads)
    rows = []
    if kind == "zero-shot":
        result = evaluate(adapter, examples, None, batch, progress=False)
        rows.append(_row(result, dataset=dataset, kind=kind, model=info["name"]))
    elif kind == "random":
        length = (config.get("tuning") or {}).get("prompt_length", 100)
        for k in range((config.get("grid") or {}).get("random_prompts", 3)):
            prompt = init_prompt(
                adapter, TuneConfig(prompt_length=length, init="sampled-vocab", seed=10_000 + k)
            )
            result = evaluate(adapter, examples, prompt, batch, progress=False)
            rows.append(
                _row(result, dataset=dataset, kind=kind, model=info["name"], random_index=k)
            )
    else:
        raise RecyclingError(f"unknown baseline {kind!r}")
    write_rows(rows, output)


def recycled_items(grid, dataset, source, target, seed) -> list[dict]:
    """The recycled prompts one ``evaluate_recycled`` job makes and scores."""
    from prompt_recycling.grid import prompt_path, recycled_path, recycler_path

    return [
        {
            "method": m,
            "size": n,
            "step": st,
            "prompt": prompt_path(dataset, source, seed, st),
            "recycler": recycler_path(source, target, m, n),
            "recycled": recycled_path(dataset, source, target, seed, m, n, st),
        }
        for m in grid.recyclers
        for st, n in grid.cells()
    ]
