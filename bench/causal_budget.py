"""What the causal-LM pair costs on this machine: seconds per tuning step and per 1,000 scored
examples, per model, in fp32, bf16 and bf16-checked, measured in one run.

    python bench/causal_budget.py             # qwen-0.5b and qwen-1.5b; bf16, checked, fp32
    python bench/causal_budget.py --models qwen-0.5b --dtypes bf16 --steps 3 --score 64

Needs the fetched models (``prompt-recycle fetch-model qwen-0.5b qwen-1.5b --config
config/causal.yaml``: the gguf extra; read from ``--resources``/models/<name>) and RT polarity
(``prompt-recycle prepare-data rt-polarity``). A tuning step is the grid's own (``tune_prompt``:
class-label init, Adam, batch 16, prompt length 10, real RT sentences), timed per step after
one warm-up step; scoring is the grid's ``evaluate`` on RT test sentences, the verbalizer read
at the last position only; ``checked`` scores as the grid's ``evaluation.bf16: checked`` does
(no tuning: the grid tunes in bf16) and gives the share of examples scored again in fp32. Each
model and precision runs in a process of its own, so its peak resident memory is its own.
Writes ``--out`` (CSV) and a Markdown table beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

from prompt_recycling.evaluate import encode_examples, evaluate
from prompt_recycling.examples import read_examples
from prompt_recycling.locate import data_file
from prompt_recycling.models import load_adapter
from prompt_recycling.settings import TuneConfig
from prompt_recycling.tune import init_prompt, tune_prompt

LABELS = ["negative", "positive"]


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB


def measure(model: str, dtype: str, args, train, test) -> dict:
    """One model in one precision: fp32, bf16 (plain autocast, tuning and scoring) or checked
    (the grid's evaluation.bf16: checked; scoring only, its tuning is bf16's)."""
    bf16 = {"fp32": False, "bf16": True, "checked": "checked"}[dtype]
    start = time.perf_counter()
    adapter = load_adapter(
        Path(args.resources) / "models" / model,
        LABELS,
        architecture="causal",
        max_length=args.max_length,
        bf16=bf16,
    )
    loaded = time.perf_counter() - start
    config = TuneConfig(
        prompt_length=args.prompt_length,
        init="class-label",
        optimizer="adam",
        learning_rate=0.03,
        batch_size=args.batch_size,
        save_every=10_000,
        bf16=bf16 is True,
        steps=[args.steps + 1],
    )
    stamps = []
    if dtype != "checked":
        with tempfile.TemporaryDirectory() as tmp:
            tune_prompt(
                adapter,
                train,
                config,
                Path(tmp) / "prompts",
                progress=False,
                on_step=lambda step, loss: stamps.append(time.perf_counter()),
            )
    per_step = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]  # after the warm-up
    data = encode_examples(adapter, test)
    prompt = init_prompt(adapter, config)
    start = time.perf_counter()
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        result = evaluate(adapter, data, prompt, args.eval_batch, progress=False)
    scoring = time.perf_counter() - start
    again = re.search(r"bf16 screen: (\d+) of (\d+) scored again", said.getvalue())
    return {
        "model": model,
        "dtype": dtype,
        "load_s": round(loaded, 1),
        "step_s": round(statistics.median(per_step), 2) if per_step else None,
        "steps_timed": len(per_step),
        "score_s_per_1000": round(1000 * scoring / len(test), 1),
        "scored": len(test),
        "rescored_fp32": round(int(again[1]) / int(again[2]), 3) if again else None,
        "init_accuracy": round(100 * result["accuracy"], 1),
        "peak_rss_gb": round(peak_gb(), 1),
    }


def isolated(model: str, dtype: str, argv: list[str]) -> dict:
    """:func:`measure` in a process of its own, so that its peak memory is its own."""
    cmd = [sys.executable, __file__, *argv, "--one", model, dtype]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    row = json.loads(done.stdout.strip().splitlines()[-1])
    print(row, flush=True)
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=["qwen-0.5b", "qwen-1.5b"])
    p.add_argument("--dtypes", nargs="+", default=["bf16", "checked", "fp32"])
    p.add_argument("--steps", type=int, default=4, help="timed tuning steps (after one warm-up)")
    p.add_argument("--score", type=int, default=128, help="test sentences scored")
    p.add_argument("--max-length", type=int, default=80)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--eval-batch", type=int, default=32)
    p.add_argument("--prompt-length", type=int, default=10)
    p.add_argument("--resources", default="resources", help="where fetch-model put them")
    p.add_argument("--out", default="bench/results/causal_budget.csv")
    p.add_argument("--one", nargs=2, metavar=("MODEL", "DTYPE"), help=argparse.SUPPRESS)
    args = p.parse_args()
    torch.manual_seed(0)
    train = read_examples(data_file("rt-polarity", "train"), LABELS)
    test = read_examples(data_file("rt-polarity", "test"), LABELS)[: args.score]
    if args.one:
        print(json.dumps(measure(*args.one, args, train, test)))
        return
    argv = sys.argv[1:]
    rows = [isolated(m, d, argv) for m in args.models for d in args.dtypes]
    table = pd.DataFrame(rows)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    note = (
        f"`python bench/causal_budget.py` ({torch.get_num_threads()} threads): one tuning step "
        f"(batch {args.batch_size}, prompt {args.prompt_length}, RT sentences up to "
        f"{args.max_length} tokens; median of {args.steps}) and 1,000 scored sentences "
        f"(measured on {len(test)}, the verbalizer read at the last position).\n\n"
    )
    out.with_suffix(".md").write_text(note + table.to_markdown(index=False) + "\n")
    print(table.to_markdown(index=False))


if __name__ == "__main__":
    main()
