"""Does contextual calibration help on the default models, and with which content-free inputs?

On the *validation* split (the test split stays untouched), for each target model of a finished
grid: zero-shot, the model's own tuned prompts and the prompts recycled onto it (every recycler,
seed and trained step at the default word count), each scored once and then read out raw and
after calibration with each content-free set. Prints, per model x condition x set, the mean
accuracy, the share of prompts calibration improves, and the mean share of the most-predicted
label (a collapsed prompt sits near 100%).

    python bench/calibrate_content_free.py --grid /path/to/finished/grid

Measured results and the default chosen from them: ``bench/results/calibrate_content_free.md``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from prompt_recycling.evaluate import content_free_bias, encode_content_free, encode_examples
from prompt_recycling.evaluate import score as score_all
from prompt_recycling.examples import read_examples
from prompt_recycling.locate import data_file, grid_of, model_location
from prompt_recycling.models import load_adapter

SETS = {
    "N/A": ["N/A"],
    "empty": [""],
    "[MASK]": ["[MASK]"],
    "all three (Zhao et al.)": ["", "N/A", "[MASK]"],
    "random words (default)": "random-words",  # vocab.random_word_texts: 20 x 10 words
}


def prompts_of(grid, root: Path, dataset: str, model: str, size: int) -> list[tuple]:
    """(condition, label, prompt file) for one target: zero-shot, its tuned prompts and the
    prompts recycled onto it at ``size`` words (trained steps only), from the grid's plan."""
    out = [("zero-shot", "zero-shot", None)]
    for init in grid.init_values():  # (None,) without an init axis
        if model in grid.tuned_models:
            for seed in grid.seeds:
                for step, path in grid.checkpoints(dataset, model, seed, init).items():
                    if step:
                        out.append(("tuned", "tuned", root / path))
        for d, source, target, seed, n, step in grid.recycled_cells():
            if (d, target, n) == (dataset, model, size) and step:
                cell = grid.recycled_cell(d, source, target, seed, n, step, init)
                out += [("recycled", m, root / p) for m, p in cell["recycled"].items()]
    return [item for item in out if item[2] is None or item[2].exists()]  # those made


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--grid", type=Path, default=Path("."))
    ap.add_argument("--dataset", default="rt-polarity")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--out", type=Path, default=Path("bench/results/calibrate_content_free.csv"))
    args = ap.parse_args()
    grid = grid_of("config/config.yaml", args.grid)
    labels = grid.blocks["datasets"][args.dataset]["labels"]
    max_length = grid.evaluation()["max_length"]
    size = grid.default_vocab_size
    val = read_examples(data_file(args.dataset, "validation", args.grid), labels)
    targets = sorted({b for _, b in grid.pairs})
    rows = []
    for model in targets:
        adapter = load_adapter(model_location(model, args.grid), labels, max_length=max_length)
        data = encode_examples(adapter, val)
        free = {k: encode_content_free(adapter, v) for k, v in SETS.items()}
        for condition, label, path in prompts_of(grid, args.grid, args.dataset, model, size):
            prompt = None if path is None else torch.from_numpy(np.load(path)).float()
            scores = score_all(adapter, data, prompt, args.batch, progress=False)
            readouts = {"raw": scores}
            for k, f in free.items():
                readouts[k] = scores - content_free_bias(adapter, f, prompt)
            for k, s in readouts.items():
                pred = s.argmax(-1).numpy()
                shares = np.bincount(pred, minlength=len(labels)) / len(pred)
                rows.append(
                    {
                        "model": model,
                        "condition": condition,
                        "recycler": label,
                        "prompt": str(path or ""),
                        "readout": k,
                        "accuracy": float((pred == data.labels).mean()),
                        "top_label_share": float(shares.max()),
                    }
                )
        print(f"{model}: {sum(r['model'] == model for r in rows) // (len(SETS) + 1)} prompts")
    table = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    raw = table[table.readout == "raw"].set_index(["model", "prompt"]).accuracy
    table["better_than_raw"] = [
        a > raw[(m, p)] for m, p, a in zip(table.model, table.prompt, table.accuracy, strict=True)
    ]
    summary = (
        table.groupby(["model", "condition", "readout"], sort=False)
        .agg(
            prompts=("accuracy", "size"),
            accuracy=("accuracy", "mean"),
            improved=("better_than_raw", "mean"),
            top_label=("top_label_share", "mean"),
        )
        .reset_index()
    )
    for c in ("accuracy", "improved", "top_label"):
        summary[c] = (100 * summary[c]).round(1)
    print(f"validation n = {len(val)}; accuracy, improved and top label in %")
    print(summary.to_markdown(index=False))


if __name__ == "__main__":
    main()
