"""Which prompt-tuning settings make a prompt learn on each default model (calibration).

For each model and setting (init x optimizer x learning rate), tune a prompt on the training
split and record, at every checkpoint: the mean training loss since the last checkpoint,
validation accuracy, and the prompt's mean row norm against the median norm of the model's own
English word rows (a prompt far outside the rows the recyclers are fitted on cannot be mapped
well). Zero-shot validation accuracy is the reference row (step 0, no prompt).

    python bench/calibrate_tuning.py                          # the default models, RT data
    python bench/calibrate_tuning.py --models mpnet-base --steps 25,50,100,200 \
        --settings class-label:adam:0.01,sampled-vocab:adam:0.01
    python bench/calibrate_tuning.py --models qwen-0.5b --steps 20,40,60,80,120 --bf16 \
        --settings class-label:adam:0.03 --prompt-length 10 --max-length 80 \
        --out bench/results/calibrate_causal.csv     # config/causal.yaml

Needs the fetched models and data (``snakemake --profile profiles/local prompts_all`` or
``resources/...`` targets). Writes a CSV with every number (``--out``) and prints a table.
Measured results and the settings chosen from them: ``bench/results/calibrate_tuning.md``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from prompt_recycling.evaluate import encode_examples, evaluate
from prompt_recycling.examples import read_examples
from prompt_recycling.locate import data_file, model_location
from prompt_recycling.models import load_adapter
from prompt_recycling.settings import TuneConfig, fold_seed
from prompt_recycling.tune import tune_prompt, word_rows

LABELS = ["negative", "positive"]
# (init, optimizer, learning rate): the landed T5 setting first, then the candidates
SETTINGS = [
    ("random-uniform", "adafactor", 0.3),
    ("sampled-vocab", "adam", 0.03),
    ("class-label", "adam", 0.03),
    ("sampled-vocab", "adafactor-scaled", 0.3),
    ("class-label", "adafactor-scaled", 0.3),
    ("sampled-vocab", "adam", 0.01),
]


def calibrate(model: str, setting, args, train, val) -> list[dict]:
    init, optimizer, lr = setting
    location = model_location(model)
    adapter = load_adapter(location, LABELS, max_length=args.max_length, bf16=args.bf16)
    table = adapter.embedding_table.detach().float()
    vocab_norm = float(table[word_rows(adapter, 5000)].norm(dim=-1).median())
    data = encode_examples(adapter, val)
    rows = []
    if args.zero_shot:
        zs = evaluate(adapter, data, None, args.eval_batch, progress=False)
        rows.append({"model": model, "setting": "zero-shot", "step": 0, **_acc(zs)})
    name = f"{init} / {optimizer} {lr:g}"
    config = TuneConfig(
        prompt_length=args.prompt_length,
        init=init,
        optimizer=optimizer,
        learning_rate=lr,
        batch_size=args.batch_size,
        steps=[0, *args.steps],
        seed=args.seed,
        init_seed=fold_seed(args.seed, model),
        save_every=10**9,
        bf16=args.bf16,
    )
    losses: list[float] = []
    start = time.perf_counter()

    def at_checkpoint(step, prompt):
        result = evaluate(adapter, data, prompt, args.eval_batch, progress=False)
        window = losses[-25:] if losses else [float("nan")]
        rows.append(
            {
                "model": model,
                "setting": name,
                "step": step,
                **_acc(result),
                "train_loss": float(np.mean(window)),
                "row_norm": float(prompt.norm(dim=-1).mean()),
                "vocab_norm": vocab_norm,
                "seconds": time.perf_counter() - start,
            }
        )
        print(f"  {model} {name} step {step}: val {100 * result['accuracy']:.1f}%", flush=True)

    tune_prompt(
        adapter,
        train,
        config,
        Path(args.scratch) / model / name.replace(" ", "_").replace("/", ""),
        progress=False,
        on_step=lambda s, loss: losses.append(loss),
        on_checkpoint=at_checkpoint,
    )
    return rows


def _acc(result: dict) -> dict:
    return {
        "val_accuracy": result["accuracy"],
        "positive_share": result["label_shares"][LABELS[1]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="minilm-l3,minilm-l6,mpnet-base")
    parser.add_argument("--dataset", default="rt-polarity")
    parser.add_argument("--steps", default="25,50,100,200,400")
    parser.add_argument(
        "--settings", default="", help="init:optimizer:lr,... (default: the built-in list)"
    )
    parser.add_argument("--prompt-length", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--eval-batch", type=int, default=64)
    parser.add_argument("--n-val", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--bf16", action="store_true", help="bf16 autocast for tuning and scoring (tuning.bf16)"
    )
    parser.add_argument("--scratch", default="/tmp/calibrate_tuning")
    parser.add_argument("--out", default="bench/results/calibrate_tuning.csv")
    args = parser.parse_args()
    args.steps = [int(s) for s in args.steps.split(",")]
    settings = SETTINGS
    if args.settings:
        settings = [
            (i, o, float(lr)) for i, o, lr in (x.split(":") for x in args.settings.split(","))
        ]
    torch.set_num_threads(args.threads)
    train = read_examples(data_file(args.dataset, "train"), LABELS)
    val = read_examples(data_file(args.dataset, "validation"), LABELS)[: args.n_val]
    rows = []
    for model in args.models.split(","):
        for i, setting in enumerate(settings):
            args.zero_shot = i == 0  # the zero-shot reference once per model
            rows += calibrate(model, setting, args, train, val)
            pd.DataFrame(rows).to_csv(args.out, index=False)  # keep what is done
    table = pd.DataFrame(rows)
    shown = table.assign(
        val=(100 * table.val_accuracy).round(1),
        pos=(100 * table.positive_share).round(0),
        norm=(table.row_norm / table.vocab_norm).round(1),
    )
    precision = "bf16" if args.bf16 else "fp32"
    print(
        f"\nvalidation n={len(val)}, prompt length {args.prompt_length}, batch {args.batch_size}, "
        f"{precision}, {args.max_length} text tokens"
    )
    print("val = validation accuracy %, pos = % predicted positive, norm = row norm / vocab norm")
    print(
        shown.pivot_table(index=["model", "setting"], columns="step", values="val", sort=False)
        .round(1)
        .to_markdown()
    )
    print(
        shown.pivot_table(index=["model", "setting"], columns="step", values="norm", sort=False)
        .round(1)
        .to_markdown()
    )


if __name__ == "__main__":
    main()
