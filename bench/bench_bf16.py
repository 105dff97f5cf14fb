"""Is bf16 evaluation safe on this CPU? Prediction agreement and speed, fp32 against bf16.

For each model and data set, score the test split with no prompt, with prompts drawn the way
tuned prompts start, and with every tuned prompt of a default grid run
(``results/default/prompts``), once in fp32 and once under bf16 autocast, in the same
process. Prints, per model, the share of
identical predictions, the largest accuracy difference and the fp32 / bf16 time ratio. The
criterion for making bf16 the default: >= 99.5% identical predictions and accuracy within 0.3
points for every prompt.

    python bench/bench_bf16.py [--models minilm-l3,minilm-l6] [--dataset rt-polarity]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from prompt_recycling.evaluate import encode_examples, predict
from prompt_recycling.examples import read_examples
from prompt_recycling.locate import data_file, grid_of, model_location
from prompt_recycling.models import load_adapter
from prompt_recycling.settings import TuneConfig, fold_seed
from prompt_recycling.tune import init_prompt, load_prompt_tensor

LABELS = ["negative", "positive"]


def prompts_for(adapter, model: str, dataset: str, n_random: int, length: int) -> dict:
    out = {"zero-shot": None}
    for k in range(n_random):
        config = TuneConfig(prompt_length=length, init="sampled-vocab", steps=[1])
        config.init_seed = fold_seed(k, model, "bench")
        out[f"random {k}"] = init_prompt(adapter, config)
    grid = grid_of("config/config.yaml")  # the default grid's tuned prompts, where they exist
    for init in grid.init_values():  # (None,) without an init axis
        for seed in grid.seeds:
            run = f"{init}/seed{seed}" if init else f"seed{seed}"
            for step, path in grid.trained_checkpoints(dataset, model, seed, init).items():
                if Path(path).exists():
                    out[f"{run}/step {step}"] = load_prompt_tensor(path)
    return out


def timed_predictions(adapter, data, prompt, batch: int) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    pred = predict(adapter, data, prompt, batch, progress=False).numpy()
    return pred, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="minilm-l3,minilm-l6")
    parser.add_argument("--dataset", default="rt-polarity")
    parser.add_argument("--random", type=int, default=2)
    parser.add_argument("--prompt-length", type=int, default=20)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    examples = read_examples(data_file(args.dataset, "test"), LABELS)
    gold = np.array([ex.label for ex in examples])
    print(f"{args.dataset} test n={len(examples)}, {args.threads} threads, batch {args.batch_size}")
    for model in args.models.split(","):
        location = model_location(model)
        runs = {}
        for bf16 in (False, True):
            adapter = load_adapter(location, LABELS, max_length=args.max_length, bf16=bf16)
            data = encode_examples(adapter, examples)
            prompts = prompts_for(adapter, model, args.dataset, args.random, args.prompt_length)
            runs[bf16] = {
                k: timed_predictions(adapter, data, p, args.batch_size) for k, p in prompts.items()
            }
        agree, diff, t32, t16 = [], [], 0.0, 0.0
        for name, (p32, s32) in runs[False].items():
            p16, s16 = runs[True][name]
            agree.append((p32 == p16).mean())
            diff.append(abs((p32 == gold).mean() - (p16 == gold).mean()))
            t32, t16 = t32 + s32, t16 + s16
        worst = int(np.argmin(agree))
        ok = min(agree) >= 0.995 and max(diff) <= 0.003
        print(
            f"{model}: {len(agree)} prompts; identical predictions min {100 * min(agree):.2f}% "
            f"(mean {100 * np.mean(agree):.2f}%, worst: {list(runs[False])[worst]}); "
            f"largest accuracy difference {100 * max(diff):.2f} points; "
            f"fp32 {t32:.1f} s, bf16 {t16:.1f} s: {t32 / t16:.2f}x; "
            f"criterion {'met' if ok else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
