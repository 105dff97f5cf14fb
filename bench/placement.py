"""Where should an encoder's soft prompt go? The placement penalty of untrained prompts.

The encoders used to insert the prompt after [CLS] with positions in sequence order, so every text
token sat P positions later in every prompted condition and never in zero-shot. For each default
model and placement (``prompt_recycling.models.encoder.PLACEMENTS``), on the *validation* split
(the test split stays untouched), this scores:

- ``zero-shot``: no prompt (the same for every placement);
- ``step-0``: the untrained initial prompt of each grid seed (the tuning's own init and seeds);
- ``random``: the grid's random prompts (``grid.random_prompts`` draws, seeded as the grid does);
- ``null``: P prompt slots with attention mask 0 (present, invisible: the placement alone);
- ``tuned``: a prompt tuned with the default settings (``--tune-steps``, ``--tune-seeds``),

and the penalty of each against zero-shot, in accuracy points.

    python bench/placement.py                        # ~8 minutes on 2 free cores
    python bench/placement.py --tune-steps 100 --tune-seeds 1 --placements after-cls,after-text

Needs the fetched default models and data (``resources/models/<model>.<key>.json``,
``resources/data/<dataset>.<key>/validation.jsonl``). Writes every number to ``--out`` (CSV) and
prints the summary table. Measured results and the choice: ``bench/results/placement.md``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
import yaml

from prompt_recycling.evaluate import encode_examples, evaluate
from prompt_recycling.examples import read_examples
from prompt_recycling.locate import data_file, model_location
from prompt_recycling.models import load_adapter
from prompt_recycling.models.encoder import PLACEMENTS
from prompt_recycling.settings import TuneConfig, fold_seed
from prompt_recycling.tune import init_prompt, tune_prompt

START = time.perf_counter()


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - START:6.0f} s] {msg}", flush=True)


def bench_model(model: str, args, config: dict, train, val) -> list[dict]:
    adapter = load_adapter(model_location(model), args.labels, max_length=args.max_length)
    data = encode_examples(adapter, val)
    tuning = {k: v for k, v in config["tuning"].items() if k != "save_every"}
    tune = TuneConfig(**tuning)
    rows = []

    def run(placement, condition, prompt, index=0, step=0):
        result = evaluate(adapter, data, prompt, args.eval_batch, progress=False)
        rows.append(
            {
                "model": model,
                "placement": placement,
                "condition": condition,
                "index": index,
                "step": step,
                "n": result["n"],
                "accuracy": result["accuracy"],
            }
        )
        return result["accuracy"]

    zero = run("none", "zero-shot", None)
    log(f"{model} zero-shot {100 * zero:.1f}")
    for placement in args.placements:
        adapter.placement = placement
        accs = {"step-0": [], "random": []}
        for seed in range(config["grid"]["seeds"]):  # the grid's step-0 prompts
            draw = TuneConfig(**tuning, seed=seed, init_seed=fold_seed(seed, model))
            accs["step-0"].append(run(placement, "step-0", init_prompt(adapter, draw), seed))
        for k in range(config["grid"]["random_prompts"]):  # jobs.scoring.evaluate_baseline
            draw = TuneConfig(**tuning, seed=k, init_seed=fold_seed(k, model, "random"))
            accs["random"].append(run(placement, "random", init_prompt(adapter, draw), k))
        with adapter.masked_prompt():
            null = run(placement, "null", torch.zeros(tune.prompt_length, adapter.embed_dim))
        log(
            f"{model} {placement}: step-0 {100 * sum(accs['step-0']) / len(accs['step-0']):.1f}"
            f", random {100 * sum(accs['random']) / len(accs['random']):.1f}"
            f", null {100 * null:.1f}"
        )
        for seed in range(args.tune_seeds if placement in args.tune_placements else 0):
            config_t = TuneConfig(
                **{**tuning, "save_every": 10**9},
                steps=args.tune_steps,
                seed=seed,
                init_seed=fold_seed(seed, model),
            )
            start = time.perf_counter()

            def at_checkpoint(step, prompt, placement=placement, seed=seed, start=start):
                acc = run(placement, "tuned", prompt, seed, step)
                log(
                    f"{model} {placement} tuned seed {seed} step {step}: {100 * acc:.1f} "
                    f"({time.perf_counter() - start:.0f} s)"
                )

            with tempfile.TemporaryDirectory() as scratch:
                tune_prompt(
                    adapter,
                    train,
                    config_t,
                    Path(scratch) / "prompt",
                    progress=False,
                    on_checkpoint=at_checkpoint,
                )
    for r in rows:
        r["penalty"] = 100 * (r["accuracy"] - zero)
    return rows


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean accuracy and penalty (points vs zero-shot) per model x placement x condition."""
    table = table.assign(
        condition=table.condition.where(table.step == 0, "tuned@" + table.step.astype(str))
    )
    out = (
        table.groupby(["model", "placement", "condition"], sort=False)
        .agg(
            prompts=("accuracy", "size"),
            n=("n", "first"),
            accuracy=("accuracy", "mean"),
            penalty=("penalty", "mean"),
        )
        .reset_index()
    )
    out["accuracy"] = (100 * out.accuracy).round(1)
    out["penalty"] = out.penalty.round(1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", type=Path, default=Path("config/config.yaml"))
    ap.add_argument("--models", default="minilm-l3,minilm-l6")
    ap.add_argument("--dataset", default="rt-polarity")
    ap.add_argument("--placements", default=",".join(PLACEMENTS))
    ap.add_argument("--tune-steps", default="100,200", help="checkpoints evaluated while tuning")
    ap.add_argument("--tune-seeds", type=int, default=1)
    ap.add_argument(
        "--tune-placements",
        default="after-cls,after-cls-fixed,after-text",
        help="placements that get the tuning check (all: every one of --placements)",
    )
    ap.add_argument("--n-val", type=int, default=500)
    ap.add_argument("--eval-batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("bench/results/placement.csv"))
    args = ap.parse_args()
    config = yaml.safe_load(args.config.read_text())
    args.labels = config["datasets"][args.dataset]["labels"]
    args.max_length = config["evaluation"]["max_length"]
    args.placements = args.placements.split(",")
    tuned = args.tune_placements
    args.tune_placements = args.placements if tuned == "all" else tuned.split(",")
    args.tune_steps = [int(s) for s in args.tune_steps.split(",")] if args.tune_steps else []
    if not args.tune_steps:
        args.tune_seeds = 0
    torch.set_num_threads(args.threads)
    train = read_examples(data_file(args.dataset, "train"), args.labels)
    val = read_examples(data_file(args.dataset, "validation"), args.labels)[: args.n_val]
    rows = []
    for model in args.models.split(","):
        rows += bench_model(model, args, config, train, val)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(args.out, index=False)  # keep what is done
    table = summary(pd.DataFrame(rows))
    print(f"\nvalidation n = {len(val)}; accuracy %, penalty = points vs zero-shot")
    print(
        table.pivot_table(
            index=["model", "placement"], columns="condition", values="penalty", sort=False
        ).to_markdown()
    )
    print(table.to_markdown(index=False))


if __name__ == "__main__":
    main()
