"""What the checked bf16 screen costs: fp32, the screen before, and the screen now, per prompt.

For each target of a finished default grid (run from its working directory), scores the grid's
recycled prompts (``--seeds``, every cell and method; lin-comb's equal prompts included) with
contextual calibration, as ``evaluate_recycled`` does, in the same process three ways:

- ``fp32``: every example in fp32 (the reference predictions);
- ``before``: the earlier screen, kept here as the baseline: bf16 on every example, fp32 on a
  fixed random sample of 64 and on every example within 4x the sample's largest margin error,
  widened until the margin is twice every error seen;
- ``now``: :func:`prompt_recycling.evaluate.score` with ``evaluation.bf16: checked``: fp32 on the
  closest calls in bf16 (the smallest margins) until every margin left is 4x every error seen.

Prints per target and way: seconds per prompt, the ratio to fp32 and to ``before``, examples
rescored in fp32 per prompt, and the predictions (raw and calibrated) that differ from fp32's.
On the first ``--correlate`` prompts per target it also scores plain bf16 and fp32 and prints
the correlation, over the examples, between the bf16 margin and its error: the screen measures
the error on the closest calls, which stands for all examples only if the two are unrelated.

    python bench/bench_screen.py [--config config/config.yaml] [--seeds 0,1]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import time
from pathlib import Path

import numpy as np
import torch

from prompt_recycling import evaluate as ev
from prompt_recycling.device import set_threads
from prompt_recycling.evaluate import encode_content_free, encode_examples, evaluate_calibrated
from prompt_recycling.jobs.common import load_model, read_split
from prompt_recycling.locate import grid_of
from prompt_recycling.settings import EvalConfig, ReaderConfig

SAMPLE_BEFORE = 64


def recheck_before(screen, adapter, data, prompt, batch_size, shifts):
    """The earlier screen (the baseline): a fixed random sample measures the error."""
    n = len(data)
    seen = np.sort(np.random.default_rng(0).choice(n, min(SAMPLE_BEFORE, n), replace=False))
    exact = screen.clone()
    margins = ev.decision_margins(screen, shifts).numpy()
    with ev.fp32(adapter):
        ev._score_into(exact, adapter, data, prompt, seen, batch_size)
        margin = ev.CHECK_SAFETY * ev._margin_error(screen, exact, seen)
        while True:
            near = np.setdiff1d(np.flatnonzero(margins <= margin), seen)
            ev._score_into(exact, adapter, data, prompt, near, batch_size)
            seen = np.union1d(seen, near)
            worst = ev._margin_error(screen, exact, seen)
            if worst <= margin / 2:
                break
            margin = ev.CHECK_SAFETY * worst
    print(f"bf16 screen: {len(seen)} of {n} scored again in fp32")
    return exact


def timed(adapter, data, prompt, free, batch, way):
    """(raw and calibrated predictions, seconds, examples rescored in fp32) of one way."""
    now = ev._recheck
    ev._recheck = recheck_before if way == "before" else now
    said = io.StringIO()
    try:
        precision = ev.fp32(adapter) if way == "fp32" else contextlib.nullcontext()
        with contextlib.redirect_stdout(said), precision:
            start = time.perf_counter()
            out = evaluate_calibrated(adapter, data, prompt, batch, free)
            seconds = time.perf_counter() - start
    finally:
        ev._recheck = now
    rescored = sum(int(k) for k in re.findall(r"bf16 screen: (\d+) of", said.getvalue()))
    return np.stack([out[c]["predictions"] for c in (False, True)]), seconds, rescored


def margin_error_correlation(adapter, data, prompt) -> float:
    """Over the examples: correlation of the bf16 margin with the largest error of a score
    difference (what bounds the margin's error)."""
    with torch.inference_mode():
        checked, adapter.checked = adapter.checked, False
        try:
            screen = ev.score(adapter, data, prompt, 64, progress=False)
        finally:
            adapter.checked = checked
        with ev.fp32(adapter):
            exact = ev.score(adapter, data, prompt, 64, progress=False)
    delta = screen - exact
    error = (delta.max(-1).values - delta.min(-1).values).numpy()
    return float(np.corrcoef(ev.decision_margins(screen).numpy(), error)[0, 1])


def prompts_of(grid, target: str, dataset: str, seeds: list[int]) -> list[Path]:
    files = []
    for d, source, tgt, seed, size, step in grid.recycled_cells():
        if (d, tgt) == (dataset, target) and seed in seeds:
            cell = grid.recycled_cell(d, source, tgt, seed, size, step)
            files += [Path(p) for p in cell["recycled"].values() if Path(p).exists()]
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--correlate", type=int, default=6)
    args = parser.parse_args()
    set_threads(1)  # as every evaluation job: one thread
    grid = grid_of(args.config)
    config = EvalConfig(**grid.evaluation())
    seeds = [int(s) for s in args.seeds.split(",")]
    dataset = grid.datasets[0]
    print(f"{dataset} {config.split}, seeds {seeds}, one thread")
    for target in sorted({b for _, b in grid.pairs}):
        reader = ReaderConfig(**grid.reader(target, dataset))
        adapter = load_model(grid.model_file(target), reader, bf16="checked")
        if not adapter.checked:
            raise SystemExit("bf16 is not native on this CPU: the screen is off (fp32)")
        data = encode_examples(adapter, read_split(grid.data_file(dataset, config.split), reader))
        free = encode_content_free(adapter, config.content_free)
        files = prompts_of(grid, target, dataset, seeds)
        if not files:
            raise SystemExit(f"no recycled prompts onto {target}: run the grid first")
        total = {w: [0.0, 0, 0] for w in ("fp32", "before", "now")}
        corr = []
        for k, file in enumerate(files):
            prompt = torch.from_numpy(np.load(file)).float()
            if k < args.correlate:
                corr.append(margin_error_correlation(adapter, data, prompt))
            ref = None
            for way in total:
                pred, seconds, rescored = timed(adapter, data, prompt, free, 64, way)
                ref = pred if ref is None else ref
                total[way][0] += seconds
                total[way][1] += rescored
                total[way][2] += int((pred != ref).sum())
        n = len(files)
        print(f"{target}: {n} prompts, {len(data)} examples each")
        if corr:
            print(
                f"  bf16 margin vs its error over the examples, {len(corr)} prompts: "
                f"correlation {min(corr):+.3f} to {max(corr):+.3f}"
            )
        for way, (seconds, rescored, differ) in total.items():
            print(
                f"  {way:6s} {seconds / n:5.2f} s/prompt"
                f"  fp32/{way} {total['fp32'][0] / seconds:.2f}x"
                f"  before/{way} {total['before'][0] / seconds:.2f}x"
                f"  rescored {rescored / n:5.1f}/prompt  predictions differing from fp32 {differ}"
            )


if __name__ == "__main__":
    main()
