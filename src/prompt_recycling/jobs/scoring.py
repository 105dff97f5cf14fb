"""The evaluation jobs of a model's own tuned prompts and of the zero-shot, random-prompt and
null-prompt baselines (recycled prompts and the identity control: :mod:`.recycled`). Each
loads its model once, scores on ``evaluation.split`` and writes rows with all their
coordinates: one row per condition as it is and, with ``evaluation.calibrate``, one after
contextual calibration (the same scores, the same content-free inputs for every condition)."""

from __future__ import annotations

from dataclasses import replace

from prompt_recycling.analysis.rows import rows_of, write_rows
from prompt_recycling.errors import RecyclingError
from prompt_recycling.jobs.common import (
    load_model,
    model_info,
    placement,
    precision,
    read_split,
)
from prompt_recycling.paths import baseline_parts
from prompt_recycling.settings import EvalConfig, ReaderConfig, TuneConfig, fold_seed


def setup(*, model_json: str, split_file: str, reader: ReaderConfig, ev: EvalConfig, threads):
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


def accuracy_text(results: dict) -> str:
    text = f"accuracy {results[False]['accuracy']:.4f}"
    return text + (f", calibrated {results[True]['accuracy']:.4f}" if True in results else "")


def pair_coords(*, dataset, seed, source_json, target_json, adapter, evaluation) -> dict:
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


def evaluate_tuned(
    *,
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
    init: str = "",
) -> None:
    """Score a model's own tuned prompts (``{step: file}``; the run of ``seed`` and ``init``,
    its value of the init axis, empty without one) on the evaluation split and, given
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
    adapter, data, run = setup(
        model_json=model_json, split_file=split_file, reader=reader, ev=evaluation, threads=threads
    )
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
                init=init,
                precision=precision(adapter),
                placement=placement(adapter),
                prompt=prompt,
            )
            print(f"{split} step={step}: {accuracy_text(results)}")
    write_rows(rows, output)


def evaluate_baseline(
    *,
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
    model's tuned prompts start (``tune``'s init; ``random/<init>`` on an init axis: the rows
    carry the init), with seeds of their own, or ``null-prompt``
    (encoders only): a zero prompt of ``tune.prompt_length`` rows in its place whose slots get
    attention mask 0, so it costs only what the placement does to the text's positions."""
    import torch

    from prompt_recycling.tune import init_prompt

    info = model_info(model_json)
    name = info["name"]
    baseline, init = baseline_parts(baseline)
    if baseline == "null-prompt" and info["architecture"] != "encoder":
        raise RecyclingError(
            f"config key 'models.{name}.architecture': the null-prompt control masks the "
            f"prompt's slots of an encoder; {name} is a {info['architecture']} model: set its "
            f"architecture to {info['architecture']!r} so that the grid does not plan it"
        )
    adapter, data, run = setup(
        model_json=model_json, split_file=split_file, reader=reader, ev=evaluation, threads=threads
    )
    coords = {
        "dataset": dataset,
        "condition": baseline,
        "init": init or "",
        "split": evaluation.split,
        "model": name,
        "precision": precision(adapter),
        "placement": placement(adapter),
    }
    rows = []
    if baseline == "zero-shot":
        results = run(data, None)
        rows += rows_of(results, data.labels, **coords)
        print(f"zero-shot: {accuracy_text(results)}")
    elif baseline == "random":
        for k in range(random_prompts):
            draw = replace(tune, seed=k, init_seed=fold_seed(k, name, "random"))
            results = run(data, init_prompt(adapter, draw))
            rows += rows_of(results, data.labels, **coords, random_index=k)
            print(f"random {k}: {accuracy_text(results)}")
    elif baseline == "null-prompt":
        with adapter.masked_prompt():  # the content-free inputs of calibration too
            results = run(data, torch.zeros(tune.prompt_length, adapter.embed_dim))
        rows += rows_of(results, data.labels, **coords)
        print(f"null prompt (length {tune.prompt_length}): {accuracy_text(results)}")
    else:
        raise RecyclingError(f"unknown baseline {baseline!r}")
    write_rows(rows, output)
