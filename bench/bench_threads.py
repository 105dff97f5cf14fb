"""Which thread layout gets the most work out of this machine: J jobs x T threads per job.

Runs the same unit of work (one evaluation of the RT test split with a 20-vector prompt, or a
fixed number of training steps) as J concurrent processes of T threads each, for every layout
with J x T = the core count, and prints the throughput of each layout relative to one job using
every core. The local profile's ``set-threads`` follows the winner.

    python bench/bench_threads.py [--models minilm-l3,minilm-l6] [--cores 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

WORK = r"""
import json, sys, time, torch
from prompt_recycling.examples import read_examples
from prompt_recycling.evaluate import encode_examples, score
from prompt_recycling.models import load_adapter
from prompt_recycling.settings import TuneConfig
from prompt_recycling.tune import tune_prompt
from prompt_recycling.locate import data_file, model_location
model, threads, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
torch.set_num_threads(threads)
labels = ["negative", "positive"]
location = model_location(model)
adapter = load_adapter(location, labels, max_length=64)
if what == "eval":
    data = encode_examples(adapter, read_examples(data_file("rt-polarity", "test"), labels))
    prompt = torch.randn(20, adapter.embed_dim) * 0.05
    score(adapter, data, prompt, 64, progress=False)  # warm-up
    start = time.perf_counter()
    score(adapter, data, prompt, 64, progress=False)
else:
    train = read_examples(data_file("rt-polarity", "train"), labels)
    config = TuneConfig(prompt_length=20, init="sampled-vocab", optimizer="adam",
                        learning_rate=0.03, batch_size=16, steps=[40], save_every=10**6)
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        tune_prompt(adapter, train, config, tmp + "/p", progress=False)
print(time.perf_counter() - start)
"""


def run_layout(model: str, jobs: int, threads: int, what: str) -> float:
    """Wall seconds for ``jobs`` concurrent processes of ``threads`` threads to finish one unit
    each (start-up excluded: each process times its own unit)."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORK, model, str(threads), what],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        for _ in range(jobs)
    ]
    times = [float(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    return max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="minilm-l3,minilm-l6")
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--what", default="eval,train")
    args = parser.parse_args()
    layouts = [(j, args.cores // j) for j in range(1, args.cores + 1) if args.cores % j == 0]
    results = {}
    for what in args.what.split(","):
        for model in args.models.split(","):
            base = None
            for jobs, threads in layouts:
                start = time.perf_counter()
                wall = run_layout(model, jobs, threads, what)
                throughput = jobs / wall
                base = base or throughput
                results[f"{what} {model} {jobs}x{threads}"] = throughput / base
                print(
                    f"{what:5s} {model:10s} {jobs} jobs x {threads} threads: {wall:6.2f} s for "
                    f"{jobs} unit(s) -> {throughput / base:.2f}x the throughput of 1 x "
                    f"{args.cores} ({time.perf_counter() - start:.0f} s with start-up)"
                )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
