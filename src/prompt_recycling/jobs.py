"""What each job of the grid does; ``workflow/scripts/*.py`` call these, one each.

Every function takes plain paths and values (no Snakemake object), so each job can be run and
tested from Python. Evaluation jobs write rows (:mod:`prompt_recycling.rows`) that carry all
their grid coordinates, per-example predictions and the gold labels.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from prompt_recycling.errors import RecyclingError
from prompt_recycling.fsutil import atomic_path
from prompt_recycling.rows import row, write_rows

DUPLICATE_RTOL = 1e-5  # recycled prompts this close to another method's are the same prompt


def tuning_settings(config: dict, model: str) -> dict:
    """The tuning settings of ``model``: the global ``tuning:`` block, then the model's own
    ``tuning:`` overrides (learning rate, optimizer, init ...)."""
    base = dict(config.get("tuning") or {})
    base.update(config["models"][model].get("tuning") or {})
    return base


def tune_config(config: dict, model: str, seed: int, steps: list[int]):
    """The :class:`TuneConfig` of one run; the init seed folds in the model's name."""
    from prompt_recycling.tune import TuneConfig, fold_seed

    t = tuning_settings(config, model)
    return TuneConfig(
        prompt_length=t.get("prompt_length", 100),
        init=t.get("init", "random-uniform"),
        optimizer=t.get("optimizer", "adafactor"),
        learning_rate=t.get("learning_rate", 0.3),
        batch_size=t.get("batch_size", 32),
        steps=steps,
        seed=seed,
        init_seed=fold_seed(seed, model),
        save_every=t.get("save_every", 100),
    )


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
    """Fetch model ``name`` and record where it is, its kind, width and parameter count (not
    its title: that is cosmetic, and a rename must not make this file stale)."""
    import torch
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoModelForSeq2SeqLM

    from prompt_recycling.embeddings import resolve_model_dir
    from prompt_recycling.fetch import fetch_model
    from prompt_recycling.models import detect_kind

    location = fetch_model(config, name, resources, find_links)
    model_config = AutoConfig.from_pretrained(resolve_model_dir(location))
    kind = config["models"][name].get("kind") or detect_kind(model_config)
    loader = {"seq2seq": AutoModelForSeq2SeqLM, "causal": AutoModelForCausalLM}.get(kind, AutoModel)
    with torch.device("meta"):
        skeleton = loader.from_config(model_config)
    info = {
        "name": name,
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


def _labels(config: dict, dataset: str) -> list[str]:
    return config["datasets"][dataset].get("labels", ["negative", "positive"])


def _adapter(config: dict, model_json: str, dataset: str, training: bool = False):
    """The frozen model with the data set's verbalizers; logs how long loading took. Precision:
    ``evaluation.bf16`` for evaluation, ``tuning.bf16`` for training."""
    from prompt_recycling.models import load_adapter

    start = time.perf_counter()
    info = _info(model_json)
    opts = _model_options(config, info["name"])
    opts["template"] = config["datasets"][dataset].get("template") or opts["template"]
    block = (config.get("tuning") if training else config.get("evaluation")) or {}
    adapter = load_adapter(
        info["location"], _labels(config, dataset), bf16=block.get("bf16", False), **opts
    )
    print(f"timing: model load {time.perf_counter() - start:.2f} s")
    return adapter


def _examples(config: dict, data_dir: str, dataset: str, split: str):
    from prompt_recycling.examples import read_examples

    return read_examples(Path(data_dir) / f"{split}.jsonl", _labels(config, dataset))


def _precision(adapter) -> str:
    return "bf16" if adapter.bf16 else "fp32"


def train_prompts(
    config: dict,
    model_json: str,
    data_dir: str,
    dataset: str,
    seed: int,
    steps: list[int],
    outputs: list[str],
    history: str,
    threads: int | None = None,
) -> None:
    """One training run writes every configured step checkpoint (``outputs``, in step order)
    and its history (loss and prompt row norm per step, against the vocabulary's)."""
    import pandas as pd

    from prompt_recycling.device import set_threads
    from prompt_recycling.tune import tune_prompt, word_rows

    set_threads(threads)
    info = _info(model_json)
    tune = tune_config(config, info["name"], seed, steps)
    adapter = _adapter(config, model_json, dataset, training=True)
    train = _examples(config, data_dir, dataset, "train")
    out_dir = Path(outputs[0]).parent
    if any(Path(p).parent != out_dir for p in outputs):
        raise RecyclingError("the step checkpoints of one run must share a folder")
    result = tune_prompt(adapter, train, tune, out_dir, progress=True)
    table = adapter.embedding_table.detach().float()
    vocab_norm = float(table[word_rows(adapter, tune.vocab_sample_size)].norm(dim=-1).median())
    frame = pd.DataFrame(result["history"]).assign(
        dataset=dataset, model=info["name"], seed=seed, vocab_norm=vocab_norm
    )
    with atomic_path(history) as tmp:
        frame.to_csv(tmp, index=False)


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


def describe_pair(
    config: dict, source_json: str, target_json: str, sizes: list[int], output: str
) -> dict:
    """How alike two models' vocabularies are over the words that fit the recyclers (median
    row cosine for equal widths, 10-nearest-neighbour overlap for any), and a clear error when
    the pair shares too few words for the largest vocabulary size."""
    from prompt_recycling.embeddings import load_vocab_table
    from prompt_recycling.pairs import similarity
    from prompt_recycling.recycle import select_for_pair

    src, tgt = _info(source_json), _info(target_json)
    source, target = load_vocab_table(src["location"]), load_vocab_table(tgt["location"])
    offset = (config.get("grid") or {}).get("word_offset", 1000)
    try:
        selection = select_for_pair(source, target, max(sizes), offset)
    except RecyclingError as exc:  # too few shared words for the largest size
        raise RecyclingError(
            f"config key 'grid.vocab_sizes': {src['name']} -> {tgt['name']}: {exc}"
        ) from None
    vs = source.embeddings[selection.source_ids]
    vt = target.embeddings[selection.target_ids]
    info = {
        "source": src["name"],
        "target": tgt["name"],
        "source_width": src["width"],
        "target_width": tgt["width"],
        "n_shared": selection.n_shared,
        "n_words": selection.n_filtered,
        "n_selected": len(selection.pieces),
        "same_ids": float(np.mean(selection.source_ids == selection.target_ids)),
        **similarity(vs, vt),
    }
    with atomic_path(output) as tmp:
        Path(tmp).write_text(json.dumps(info, indent=2) + "\n")
    print(info)
    return info


def _setup(config: dict, model_json: str, dataset: str, data_dir: str, threads: int | None):
    """What every evaluation job starts with: threads, the model, the encoded examples."""
    from prompt_recycling.device import set_threads
    from prompt_recycling.evaluate import encode_examples

    set_threads(threads)
    adapter = _adapter(config, model_json, dataset)
    split = (config.get("evaluation") or {}).get("split", "test")
    data = encode_examples(adapter, _examples(config, data_dir, dataset, split))
    batch = (config.get("evaluation") or {}).get("batch_size", 32)
    return _info(model_json), adapter, data, batch, split


def _same_prompt(a: np.ndarray, b: np.ndarray) -> bool:
    scale = max(float(np.abs(b).max()), 1e-12)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=0, atol=DUPLICATE_RTOL * scale))


def evaluate_recycled(
    config: dict,
    dataset: str,
    source_json: str,
    target_json: str,
    seed: int,
    data_dir: str,
    items: list[dict],
    identity: list[dict],
    output: str,
    threads: int | None = None,
) -> None:
    """Recycle every source prompt of the group and score it on the target (one model load).

    ``items``: dicts with method, size, step, prompt (source checkpoint), recycler (file),
    recycled (where to write the recycled prompt). ``identity``: dicts with step and prompt,
    scored as they are when source and target have the same width (the identity control).
    A recycled prompt numerically equal to one already scored in its cell (lin-comb and v2v-lin)
    reuses that prompt's predictions and names it in ``same_as``.
    """
    import torch

    from prompt_recycling.evaluate import evaluate
    from prompt_recycling.grid import pair_kind
    from prompt_recycling.prompt_io import read_prompt, write_prompt
    from prompt_recycling.recyclers import load_recycler

    tgt, adapter, data, batch, split = _setup(config, target_json, dataset, data_dir, threads)
    src = _info(source_json)
    offset = (config.get("grid") or {}).get("word_offset", 1000)
    coords = {
        "dataset": dataset,
        "split": split,
        "model": tgt["name"],
        "source": src["name"],
        "pair_kind": pair_kind(src, tgt),
        "seed": seed,
        "precision": _precision(adapter),
    }
    recyclers: dict[str, object] = {}
    scored: dict[tuple, list] = {}  # (size, step) -> [(method, prompt, result)]
    rows = []
    for item in items:
        rec = recyclers.setdefault(item["recycler"], load_recycler(item["recycler"]))
        recycled = rec(read_prompt(item["prompt"]))
        write_prompt(recycled, item["recycled"])
        cell = scored.setdefault((item["size"], item["step"]), [])
        same = next((m for m, p, _ in cell if _same_prompt(recycled, p)), "")
        if same:
            result = next(r for m, _, r in cell if m == same)
        else:
            result = evaluate(adapter, data, torch.from_numpy(recycled), batch, progress=False)
            cell.append((item["method"], recycled, result))
        rows.append(
            row(
                result,
                data.labels,
                **coords,
                kind="recycled",
                method=item["method"],
                vocab_size=item["size"],
                word_offset=offset,
                step=item["step"],
                same_as=same,
                prompt=item["recycled"],
            )
        )
        print(
            f"{item['method']} n={item['size']} step={item['step']}: accuracy "
            f"{result['accuracy']:.4f}" + (f" (same prompt as {same})" if same else "")
        )
    if src["width"] == tgt["width"]:
        for item in identity:
            result = evaluate(
                adapter, data, torch.from_numpy(read_prompt(item["prompt"])), batch, progress=False
            )
            rows.append(
                row(
                    result,
                    data.labels,
                    **coords,
                    kind="identity",
                    step=item["step"],
                    prompt=item["prompt"],
                )
            )
            print(f"identity step={item['step']}: accuracy {result['accuracy']:.4f}")
    write_rows(rows, output)


def evaluate_tuned(
    config: dict,
    dataset: str,
    model_json: str,
    seed: int,
    data_dir: str,
    prompts: list[str],
    steps: list[int],
    output: str,
    validation: bool = True,
    threads: int | None = None,
) -> None:
    """Score a model's own tuned prompts at every step on the evaluation split and, with
    ``validation``, on the validation split (the convergence check)."""
    from prompt_recycling.evaluate import encode_examples, evaluate
    from prompt_recycling.tune import load_prompt_tensor

    info, adapter, data, batch, split = _setup(config, model_json, dataset, data_dir, threads)
    splits = {split: data}
    if validation and split != "validation":
        val = _examples(config, data_dir, dataset, "validation")
        splits["validation"] = encode_examples(adapter, val)
    rows = []
    for name, examples in splits.items():
        for step, prompt in zip(steps, prompts, strict=True):
            tensor = load_prompt_tensor(prompt)
            result = evaluate(adapter, examples, tensor, batch, progress=False)
            rows.append(
                row(
                    result,
                    examples.labels,
                    dataset=dataset,
                    kind="tuned",
                    split=name,
                    model=info["name"],
                    step=step,
                    seed=seed,
                    precision=_precision(adapter),
                    prompt=prompt,
                )
            )
            print(f"{name} step={step}: accuracy {result['accuracy']:.4f}")
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
    """``zero-shot`` (no prompt) or ``random`` (K prompts drawn the way the model's tuned
    prompts start: its tuning init, seeds of their own)."""
    from prompt_recycling.evaluate import evaluate
    from prompt_recycling.tune import fold_seed, init_prompt

    info, adapter, data, batch, split = _setup(config, model_json, dataset, data_dir, threads)
    coords = {
        "dataset": dataset,
        "kind": kind,
        "split": split,
        "model": info["name"],
        "precision": _precision(adapter),
    }
    rows = []
    if kind == "zero-shot":
        result = evaluate(adapter, data, None, batch, progress=False)
        rows.append(row(result, data.labels, **coords))
    elif kind == "random":
        for k in range((config.get("grid") or {}).get("random_prompts", 5)):
            tune = tune_config(config, info["name"], k, [1])
            tune.init_seed = fold_seed(k, info["name"], "random")
            result = evaluate(adapter, data, init_prompt(adapter, tune), batch, progress=False)
            rows.append(row(result, data.labels, **coords, random_index=k))
            print(f"random {k}: accuracy {result['accuracy']:.4f}")
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
        for st, n in grid.cells()
        for m in grid.recyclers
    ]


def identity_items(grid, dataset, source, seed) -> list[dict]:
    """The source prompts an ``evaluate_recycled`` job scores as they are (identity control)."""
    from prompt_recycling.grid import prompt_path

    return [{"step": st, "prompt": prompt_path(dataset, source, seed, st)} for st in grid.steps]
