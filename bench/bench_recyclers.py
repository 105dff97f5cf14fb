"""Fit and apply times of the three recyclers at the paper's size, on this machine.

N=4000 selected words, E_s=768 (Base), E_t=1024 (Large), P=100 prompt vectors. Baseline in the
same run: v2v-lin solved by the normal equations (the authors' TF "fast" path), which our SVD
solver replaces for accuracy; the ratio shows what that accuracy costs.

    python bench/bench_recyclers.py [--epochs 25]
"""

import argparse
import time

import numpy as np
import torch

from prompt_recycling.recyclers import get_recycler


def timed(fn, repeat=1):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--es", type=int, default=768)
    parser.add_argument("--et", type=int, default=1024)
    parser.add_argument("--p", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=25)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    vs = rng.normal(size=(args.n, args.es)).astype(np.float32)
    vt = (vs @ rng.normal(size=(args.es, args.et)) / 30).astype(np.float32)
    prompt = rng.uniform(-0.5, 0.5, size=(args.p, args.es)).astype(np.float32)
    print(
        f"N={args.n} E_s={args.es} E_t={args.et} P={args.p} torch threads={torch.get_num_threads()}"
    )

    a = vs.astype(np.float64)
    base, _ = timed(lambda: np.linalg.solve(a.T @ a, a.T @ vt.astype(np.float64)), repeat=3)
    print(f"baseline normal-equations solve (float64): {base:.3f} s")
    for method, config in [("v2v-lin", {}), ("lin-comb", {}), ("v2v-nn", {"epochs": args.epochs})]:
        fit_s, rec = timed(lambda m=method, c=config: get_recycler(m, **c).fit(vs, vt))
        apply_s, _ = timed(lambda r=rec: r(prompt), repeat=3)
        print(
            f"{method:9s} fit {fit_s:8.3f} s ({fit_s / base:7.1f}x baseline)  "
            f"apply {apply_s * 1000:8.1f} ms  fit error {rec.fit_error:.4f}"
        )


if __name__ == "__main__":
    main()
