"""The evaluation jobs: recycled prompts (and the identity control), a model's own tuned
prompts, and the zero-shot, random-prompt and null-prompt baselines. Each loads its model
once, scores on ``evaluation.split`` and writes rows with all their coordinates: one row per
condition as it is and, with ``evaluation.calibrate``, one after contextual calibration (the
same scores, the same content-free inputs for every condition)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from prompt_recycling.errors import RecyclingError
from prompt_recycling.jobs.common import (
    load_model,
    model_info,
    placement,
    precision,
    read_split,
)
from prompt_recycling.rows import rows_of, write_rows
from prompt_recycling.settings import EvalConfig, ReaderConfig, TuneConfig, fold_seed

DUPLICATE_RTOL = 1e-5  # recycled prompts this close to another method's are the same prompt


def _setup(model_json: str, split_file: str, reader: ReaderConfig, ev: EvalConfig, threads):
    """What every evaluation job starts with: threads, the model, the encoded examples, and
    ``run(data, prompt)``: the raw and (``ev.calibrate``) calibrated results of one prompt."""
    from prompt_recycling.device import set_threads
    from prompt_recycling.evaluate import (
        encode_content_free,
        encode_examples,
        evaluate_calibrated,
    )

    set_threads(threads)
    adapter = load_model(model_json, reader, bf16=ev.bf16)
    free = encode_content_free(adapter, ev.content_free) if ev.calibrate else None

    def run(data, prompt):
        return evaluate_calibrated(adapter, data, prompt, ev.batch_size, free)

    return adapter, encode_examples(adapter, read_split(split_file, reader)), run


def _accuracy(results: dict) -> str:
    text = f"accuracy {results[False]['accuracy']:.4f}"
    return text + (f", calibrated {results[True]['accuracy']:.4f}" if True in results else "")


def _same_prompt(a: np.ndarray, b: np.ndarray) -> bool:
    scale = max(float(np.abs(b).max()), 1e-12)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=0, atol=DUPLICATE_RTOL * scale))


def evaluate_recycled(
    dataset: str,
    seed: int,
    source_json: str,
    target_json: str,
    split_file: str,
    reader: ReaderConfig,
    evaluation: EvalConfig,
    word_offset: int,
    items: list[dict],
    expected: list[tuple[str, int, int]],
    identity: dict[int, str],
    output: str,
    threads: int | None = None,
) -> None:
    """Recycle every source prompt of the group and score it on the target (one model load).

    ``items`` (:meth:`prompt_recycling.plan.Grid.recycled_items`): dicts with method, size,
    step, prompt (source checkpoint), recycler (file), recycled (where the recycled prompt
    goes). ``identity``: ``{step: source checkpoint}``, scored as they are when source and
    target have the same width (the identity control). A recycled prompt numerically equal to
    one already scored in its cell (lin-comb and v2v-lin) reuses that prompt's predictions and
    names it in ``same_as``. ``expected``: the (method, step, size) cells the grid asks for;
    the items must be exactly those.
    """
    import torch

    from prompt_recycling.pairs import size_relation
    from prompt_recycling.prompt_io import read_prompt, write_prompt
    from prompt_recycling.recyclability import prompt_features, unit_rows
    from prompt_recycling.recyclers import load_recycler

    cells = sorted((i["method"], i["step"], i["size"]) for i in items)
    if cells != sorted(expected):
        raise RecyclingError(
            f"recycled prompts {cells} are not the grid's cells {sorted(expected)}"
        )
    adapter, data, run = _setup(target_json, split_file, reader, evaluation, threads)
    units = unit_rows(adapter.embedding_table.detach().float().cpu().numpy())
    src, tgt = model_info(source_json), model_info(target_json)
    coords = {
        "dataset": dataset,
        "split": evaluation.split,
        "model": tgt["name"],
        "source": src["name"],
        "size_relation": size_relation(src, tgt),
        "seed": seed,
        "precision": precision(adapter),
        "placement": placement(adapter),
    }
    recyclers: dict[str, object] = {}
    scored: dict[tuple, list] = {}  # (size, step) -> [(method, prompt, results)]
    rows = []
    for item in items:
        rec = recyclers.setdefault(item["recycler"], load_recycler(item["recycler"]))
        if not rec.diagnostics:
            raise RecyclingError(
                f"{item['recycler']} carries no diagnostics (fitted by an older version): "
                f"refit it with `snakemake -R fit_recyclers`"
            )
        source_prompt = read_prompt(item["prompt"])
        recycled = rec(source_prompt)
        write_prompt(recycled, item["recycled"])
        cell = scored.setdefault((item["size"], item["step"]), [])
        same = next((m for m, p, _ in cell if _same_prompt(recycled, p)), "")
        if same:
            results = next(r for m, _, r in cell if m == same)
        else:
            results = run(data, torch.from_numpy(recycled))
            cell.append((item["method"], recycled, results))
        features = prompt_features(source_prompt, recycled, rec.diagnostics, units, item["step"])
        rows += rows_of(
            results,
            data.labels,
            **coords,
            condition="recycled",
            method=item["method"],
            vocab_size=item["size"],
            word_offset=word_offset,
            step=item["step"],
            same_as=same,
            prompt=item["recycled"],
            features=features,
        )
        print(
            f"{item['method']} n={item['size']} step={item['step']}: {_accuracy(results)}"
            + (f" (same prompt as {same})" if same else "")
        )
    if src["width"] == tgt["width"]:
        for step, prompt in identity.items():
            results = run(data, torch.from_numpy(read_prompt(prompt)))
            rows += rows_of(
                results, data.labels, **coords, condition="identity", step=step, prompt=prompt
            )
            print(f"identity step={step}: {_accuracy(results)}")
    write_rows(rows, output)


def evaluate_tuned(
    dataset: str,
    seed: int,
    model_json: str,
    split_file: str,
    validation_file: str | None,
    reader: ReaderConfig,
    evaluation: EvalConfig,
    checkpoints: dict[int, str],
    output: str,
    threads: int | None = None,
    validation_checkpoints: dict[int, str] | None = None,
) -> None:
    """Score a model's own tuned prompts (``{step: file}``) on the evaluation split and, given
    ``validation_file``, on the validation split too (the convergence check).
    ``validation_checkpoints`` (``{step: file}``, the steps trained past the last recycled one)
    are scored on the validation split only: they tell the best accuracy the run reaches."""
    from prompt_recycling.evaluate import encode_examples
    from prompt_recycling.tune import load_prompt_tensor

    extra = dict(validation_checkpoints or {})
    if extra and not validation_file and evaluation.split != "validation":
        raise RecyclingError(
            f"validation steps {sorted(extra)} need the validation split (evaluation.validation)"
        )
    adapter, data, run = _setup(model_json, split_file, reader, evaluation, threads)
    splits = {evaluation.split: data}
    if validation_file and evaluation.split != "validation":
        splits["validation"] = encode_examples(adapter, read_split(validation_file, reader))
    name, rows = model_info(model_json)["name"], []
    for split, examples in splits.items():
        steps = {**checkpoints, **extra} if split == "validation" else checkpoints
        for step, prompt in steps.items():
            results = run(examples, load_prompt_tensor(prompt))
            rows += rows_of(
                results,
                examples.labels,
                dataset=dataset,
                condition="tuned",
                split=split,
                model=name,
                step=step,
                seed=seed,
                precision=precision(adapter),
                placement=placement(adapter),
                prompt=prompt,
            )
            print(f"{split} step={step}: {_accuracy(results)}")
    write_rows(rows, output)


def evaluate_baseline(
    dataset: str,
    baseline: str,
    model_json: str,
    split_file: str,
    reader: ReaderConfig,
    evaluation: EvalConfig,
    tune: TuneConfig,
    random_prompts: int,
    output: str,
    threads: int | None = None,
) -> None:
    """``zero-shot`` (no prompt), ``random``: ``random_prompts`` prompts drawn the way the
    model's tuned prompts start (``tune``'s init), with seeds of their own, or ``null-prompt``
    (encoders only): a zero prompt of ``tune.prompt_length`` rows in its place whose slots get
    attention mask 0, so it costs only what the placement does to the text's positions."""
    import torch

    from prompt_recycling.tune import init_prompt

    info = model_info(model_json)
    name = info["name"]
    if baseline == "null-prompt" and info["architecture"] != "encoder":
        raise RecyclingError(
            f"config key 'models.{name}.architecture': the null-prompt control masks the "
            f"prompt's slots of an encoder; {name} is a {info['architecture']} model: set its "
            f"architecture to {info['architecture']!r} so that the grid does not plan it"
        )
    adapter, data, run = _setup(model_json, split_file, reader, evaluation, threads)
    coords = {
        "dataset": dataset,
        "condition": baseline,
        "split": evaluation.split,
        "model": name,
        "precision": precision(adapter),
        "placement": placement(adapter),
    }
    rows = []
    if baseline == "zero-shot":
        results = run(data, None)
        rows += rows_of(results, data.labels, **coords)
        print(f"zero-shot: {_accuracy(results)}")
    elif baseline == "random":
        for k in range(random_prompts):
            draw = replace(tune, seed=k, init_seed=fold_seed(k, name, "random"))
            results = run(data, init_prompt(adapter, draw))
            rows += rows_of(results, data.labels, **coords, random_index=k)
            print(f"random {k}: {_accuracy(results)}")
    elif baseline == "null-prompt":
        with adapter.masked_prompt():  # the content-free inputs of calibration too
            results = run(data, torch.zeros(tune.prompt_length, adapter.embed_dim))
        rows += rows_of(results, data.labels, **coords)
        print(f"null prompt (length {tune.prompt_length}): {_accuracy(results)}")
    else:
        raise RecyclingError(f"unknown baseline {baseline!r}")
    write_rows(rows, output)
