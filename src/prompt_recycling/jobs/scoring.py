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


def _pair_coords(dataset, seed, source_json, target_json, adapter, evaluation) -> dict:
    from prompt_recycling.pairs import size_relation

    src, tgt = model_info(source_json), model_info(target_json)
    return {
        "dataset": dataset,
        "split": evaluation.split,
        "model": tgt["name"],
        "source": src["name"],
        "size_relation": size_relation(src, tgt),
        "seed": seed,
        "precision": precision(adapter),
        "placement": placement(adapter),
    }


def evaluate_recycled(
    dataset: str,
    seed: int,
    size: int,
    step: int,
    source_json: str,
    target_json: str,
    split_file: str,
    reader: ReaderConfig,
    evaluation: EvalConfig,
    word_offset: int,
    prompt: str,
    recyclers: dict[str, str],
    recycled: dict[str, str],
    output: str,
    threads: int | None = None,
) -> None:
    """Recycle one source checkpoint (``prompt``, at ``step``) with every method's recycler of
    one vocabulary size and score each on the target: one evaluated cell, one model load.

    ``recyclers``: ``{method: fitted recycler file}``; ``recycled``: ``{method: where the
    recycled prompt goes}`` (the same methods). A recycled prompt numerically equal to one
    already scored in the cell (lin-comb and v2v-lin) reuses that prompt's predictions and
    names it in ``same_as``.
    """
    import torch

    from prompt_recycling.prompt_io import read_prompt, write_prompt
    from prompt_recycling.recyclability import prompt_features, unit_rows
    from prompt_recycling.recyclers import load_recycler

    if sorted(recyclers) != sorted(recycled):
        raise RecyclingError(f"recyclers {sorted(recyclers)} and outputs {sorted(recycled)} differ")
    adapter, data, run = _setup(target_json, split_file, reader, evaluation, threads)
    units = unit_rows(adapter.embedding_table.detach().float().cpu().numpy())
    coords = _pair_coords(dataset, seed, source_json, target_json, adapter, evaluation)
    source_prompt = read_prompt(prompt)
    scored: list[tuple[str, np.ndarray, dict]] = []  # (method, prompt, results) of the cell
    rows = []
    for method, file in recyclers.items():
        rec = load_recycler(file)
        if not rec.diagnostics:
            raise RecyclingError(
                f"{file} carries no diagnostics (fitted by an older version): refit it with "
                f"`snakemake --forcerun {file}`"
            )
        prompt_out = rec(source_prompt)
        write_prompt(prompt_out, recycled[method])
        same = next((m for m, p, _ in scored if _same_prompt(prompt_out, p)), "")
        if same:
            results = next(r for m, _, r in scored if m == same)
        else:
            results = run(data, torch.from_numpy(prompt_out))
            scored.append((method, prompt_out, results))
        features = prompt_features(source_prompt, prompt_out, rec.diagnostics, units, step)
        rows += rows_of(
            results,
            data.labels,
            **coords,
            condition="recycled",
            method=method,
            vocab_size=size,
            word_offset=word_offset,
            step=step,
            same_as=same,
            prompt=recycled[method],
            features=features,
        )
        print(
            f"{method} n={size} step={step}: {_accuracy(results)}"
            + (f" (same prompt as {same})" if same else "")
        )
    write_rows(rows, output)


def evaluate_identity(
    dataset: str,
    seed: int,
    source_json: str,
    target_json: str,
    split_file: str,
    reader: ReaderConfig,
    evaluation: EvalConfig,
    checkpoints: dict[int, str],
    output: str,
    threads: int | None = None,
) -> None:
    """The identity control: the source's prompts (``{step: file}``) scored on the target as
    they are, when the two have the same width; otherwise a table with no rows."""
    import torch

    from prompt_recycling.prompt_io import read_prompt

    if model_info(source_json)["width"] != model_info(target_json)["width"]:
        print("widths differ: no identity control for this pair")
        return write_rows([], output)
    adapter, data, run = _setup(target_json, split_file, reader, evaluation, threads)
    coords = _pair_coords(dataset, seed, source_json, target_json, adapter, evaluation)
    rows = []
    for step, prompt in checkpoints.items():
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
    if extra and not validation_file:
        raise RecyclingError(
            f"validation steps {sorted(extra)} need the validation split (evaluation.validation)"
        )
    adapter, data, run = _setup(model_json, split_file, reader, evaluation, threads)
    splits = {evaluation.split: data}
    if validation_file:  # evaluation.split is the test split (the schema's one value)
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
