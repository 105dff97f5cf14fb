"""Model throughput against this machine's matmul throughput ("roofline"), measured in one run.

For each model, first the GFLOP/s of ``torch.mm`` at the model's own GEMM shapes, with the same
thread count, device and dtype as the model runs (fp32, and bf16 on plain bf16 tensors): a
layer's (rows x d) @ (d x d) (query, key, value, output), (rows x d) @ (d x ff) (FFN up) and
(rows x ff) @ (ff x d) (FFN down), rows = the real-token count of a typical batch (batch size x
mean tokens per example, prompt included). The roofline is these combined by their FLOP share in
a layer (total FLOPs / total time). Then, through the project's own code path
(``load_adapter``, ``encode_examples``, ``score``) on the RT test sentences with a prompt of 20
vectors:

- evaluation, fp32: length-sorted batches of 64 (``evaluate.score``), as examples/s and GFLOP/s,
  as a share of the fp32 roofline;
- the padded baseline in the same run: the same examples in input order, every batch padded to
  ``max_length`` (64) text tokens + the prompt, as the code did before. It calls
  ``adapter.score_ids`` with ``adapter._pad`` wrapped to right-pad its output to that fixed width
  (pad id, attention mask 0), so the model sees exactly what a pad-to-max_length tokenizer gives
  and the scores match the sorted path (the largest difference is printed);
- evaluation, bf16 autocast (``bf16=True``): as a ratio to fp32 and a share of the bf16 roofline;
- training step, fp32: ``score_ids`` + cross-entropy + ``backward()`` to the prompt only (the
  model is frozen: no weight gradients), one epoch of the project's length-bucketed batches of
  16 (``tune.batch_indices``), as a share of the fp32 roofline measured at 16-example rows.

FLOPs are counted on real (non-padding) tokens only, prompt positions included (they are
computed). Per real token of a batch whose longest member has T tokens (prompt included):
forward = 2 x W + L x 4 x T x d, W = the matmul weights applied per token (the Linear weights of
the L encoder layers, 12 d^2 each; not the embeddings, nor the pooler that runs on [CLS] only
and whose output is unused), 4 x T x d = attention scores (Q K^T) and values (P V). Training =
forward + backward, the backward counted as 2 x W (input gradients of the matmuls, one more
forward's worth; no weight gradients) + L x 8 x T x d (the gradients of both attention products
with respect to both their inputs). Layer norms, softmax, GELU and the cosine head are not
counted; the attention FLOPs are (a few % of the total at T ~ 50), though the roofline is matmul
only. Timings: warm-up, then the median of ``--repeats`` full passes (mm: of 20 calls).
A full run takes a while on 2 CPU cores (mpnet-base the longest); ``--n`` and ``--repeats``
shorten it, ``--device cuda`` runs it on a GPU (timed with ``torch.cuda.synchronize``).

    python bench/bench_roofline.py [--models minilm-l3,minilm-l6,mpnet-base] [--threads 2]
        [--n 1041] [--repeats 3] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F
import transformers

from prompt_recycling.evaluate import EncodedExamples, encode_examples, length_batches, score
from prompt_recycling.examples import read_examples
from prompt_recycling.locate import data_file, model_location
from prompt_recycling.models import load_adapter
from prompt_recycling.tune import batch_indices

LABELS = ["negative", "positive"]
DATA = data_file("rt-polarity", "test")
GOALS = {"eval": 0.80, "bf16": 2.0, "train": 0.50}  # the targets this bench checks
MM_CALLS = 20


def sync(device: torch.device) -> None:
    """Wait for queued GPU work, so that a timer measures it (a no-op on CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_seconds(fn, repeats: int, device: torch.device, warmup=None) -> float:
    """Median wall time of ``repeats`` calls of ``fn``, after one call of ``warmup`` (or fn)."""
    (warmup or fn)()
    times = []
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# --- the matmul roofline -------------------------------------------------------------------


def mm_gflops(rows: int, k: int, n: int, dtype, device: torch.device) -> float:
    """GFLOP/s of (rows x k) @ (k x n), the weight a transposed (n x k) view as in F.linear."""
    a = torch.randn(rows, k, dtype=dtype, device=device)
    w = torch.randn(n, k, dtype=dtype, device=device)
    seconds = median_seconds(lambda: torch.mm(a, w.t()), MM_CALLS, device)
    return 2 * rows * k * n / seconds / 1e9


def roofline(shape: dict, rows: int, dtype, device: torch.device) -> dict:
    """mm GFLOP/s per GEMM of a layer and combined by FLOP share (total FLOPs / total time)."""
    d, ff = shape["d"], shape["ff"]
    gemms = {"dxd": (d, d, 4), "up": (d, ff, 1), "down": (ff, d, 1)}  # (k, n, count per layer)
    rates = {name: mm_gflops(rows, k, n, dtype, device) for name, (k, n, _) in gemms.items()}
    flops = {name: 2 * rows * k * n * c for name, (k, n, c) in gemms.items()}
    rates["all"] = sum(flops.values()) / sum(flops[g] / rates[g] for g in gemms)
    return rates


def roofline_line(label: str, rows: int, rates: dict) -> str:
    return (
        f"  mm {label:4s} @ {rows:5d} rows: d x d {rates['dxd']:7.1f}, up {rates['up']:7.1f}, "
        f"down {rates['down']:7.1f} -> roofline {rates['all']:7.1f} GFLOP/s"
    )


# --- FLOP counting -------------------------------------------------------------------------


def model_shape(adapter) -> dict:
    """Layers, width, FFN width and the matmul weights applied per token (see the docstring)."""
    config = adapter.model.config
    layers = adapter.model.encoder.layer
    weights = sum(
        m.weight.numel() for m in layers.modules() if isinstance(m, torch.nn.Linear)
    )  # the pooler sits outside encoder.layer: [CLS] only, output unused
    return {
        "layers": len(layers),
        "d": config.hidden_size,
        "ff": config.intermediate_size,
        "weights": weights,
    }


def batch_flops(shape: dict, lengths: list[int], train: bool = False) -> float:
    """FLOPs of one batch on its real tokens; ``lengths`` per example, prompt included."""
    tokens, width = sum(lengths), max(lengths)
    attention = shape["layers"] * 4 * width * shape["d"]
    if train:  # backward: matmul input gradients (one more forward) + 2 x attention
        return tokens * (4 * shape["weights"] + 3 * attention)
    return tokens * (2 * shape["weights"] + attention)


def flops_of(shape: dict, batches, ids, prompt_len: int, train: bool = False) -> float:
    return sum(
        batch_flops(shape, [len(ids[i]) + prompt_len for i in idx], train) for idx in batches
    )


# --- the measured paths --------------------------------------------------------------------


def time_eval(adapter, data, prompt, batch: int, repeats: int) -> tuple[float, torch.Tensor]:
    """Median seconds of ``evaluate.score`` over all examples, and its scores."""
    out = {}

    def run():
        out["scores"] = score(adapter, data, prompt, batch, progress=False)

    warm = EncodedExamples(data.ids[: 2 * batch], data.labels[: 2 * batch])
    seconds = median_seconds(
        run,
        repeats,
        adapter.device,
        warmup=lambda: score(adapter, warm, prompt, batch, progress=False),
    )
    return seconds, out["scores"]


def padded_scores(adapter, ids, prompt, batch: int) -> torch.Tensor:
    """The old way: input order, every batch padded to ``max_length`` text tokens (+ prompt).

    ``_pad`` (right-pad to the batch's longest, mask from the lengths) is wrapped so its output
    is further right-padded to the fixed width with the pad id and mask 0: the attention mask
    and the pooling mask stay exact, only compute is added.
    """
    original, width, pad_id = adapter._pad, adapter.max_length, adapter.tokenizer.pad_token_id

    def fixed_pad(seqs):
        tokens, mask = original(seqs)
        extra = width - tokens.shape[1]
        return F.pad(tokens, (0, extra), value=pad_id), F.pad(mask, (0, extra), value=0)

    adapter._pad = fixed_pad  # an instance attribute shadows the method
    try:
        with torch.inference_mode():
            parts = [
                adapter.score_ids(prompt, ids[i : i + batch]).cpu()
                for i in range(0, len(ids), batch)
            ]
    finally:
        del adapter._pad
    return torch.cat(parts)


def train_epoch(adapter, ids, labels, prompt, batches) -> None:
    """Forward + backward to the prompt on each batch (no optimizer: its cost is P x E)."""
    for idx in batches:
        scores = adapter.score_ids(prompt, [ids[i] for i in idx])
        loss = F.cross_entropy(scores, labels[idx].to(scores.device))
        prompt.grad = None
        loss.backward()


# --- one model -----------------------------------------------------------------------------


def load(location: str, args, bf16: bool):
    return load_adapter(location, LABELS, max_length=args.max_length, device=args.device, bf16=bf16)


def time_padded(adapter, data, prompt, ours, args) -> tuple[float, float]:
    """Median seconds of the padded baseline, and its largest difference to ``ours`` (the
    scores of the sorted path)."""
    batch, out = args.batch_size, {}

    def run():
        out["scores"] = padded_scores(adapter, data.ids, prompt, batch)

    seconds = median_seconds(
        run,
        args.repeats,
        adapter.device,
        warmup=lambda: padded_scores(adapter, data.ids[:batch], prompt, batch),
    )
    return seconds, (out["scores"] - ours).abs().max().item()


def time_train(adapter, data, prompt, args) -> tuple[float, list]:
    """Median seconds of one epoch of training steps over ``data``, and its batches."""
    lengths = [len(x) for x in data.ids]
    batches = [  # epoch 0 of the project's length-bucketed batches
        batch_indices(lengths, args.train_batch, seed=0, step=s)
        for s in range(1, math.ceil(len(data) / args.train_batch) + 1)
    ]
    param = torch.nn.Parameter(prompt.clone().to(adapter.device))
    labels = torch.from_numpy(data.labels)
    seconds = median_seconds(
        lambda: train_epoch(adapter, data.ids, labels, param, batches),
        args.repeats,
        adapter.device,
        warmup=lambda: train_epoch(adapter, data.ids, labels, param, batches[:2]),
    )
    return seconds, batches


def measure(location: str, examples, args) -> dict:
    """Rooflines and timings of one model: everything the report needs."""
    adapter = load(location, args, bf16=False)
    if adapter.architecture != "encoder":
        raise SystemExit(f"{location}: the FLOP counting here covers encoder models only")
    shape, p, device = model_shape(adapter), args.prompt_length, adapter.device
    data = encode_examples(adapter, examples)
    prompt = torch.randn(p, adapter.embed_dim, generator=torch.Generator().manual_seed(0)) * 0.05
    per_example = data.n_tokens / len(data) + p
    m = {"shape": shape, "n": len(data), "per_example": per_example}
    m["eval_rows"] = round(args.batch_size * per_example)
    m["train_rows"] = round(args.train_batch * per_example)
    m["mm32"] = roofline(shape, m["eval_rows"], torch.float32, device)
    m["mm16"] = roofline(shape, m["eval_rows"], torch.bfloat16, device)
    m["mm32_train"] = roofline(shape, m["train_rows"], torch.float32, device)
    sorted_batches = length_batches([len(x) for x in data.ids], args.batch_size)
    m["eval_flops"] = flops_of(shape, sorted_batches, data.ids, p)
    m["executed_padded"] = len(data) * batch_flops(shape, [args.max_length + p])  # full width
    m["t32"], ours = time_eval(adapter, data, prompt, args.batch_size, args.repeats)
    m["t_pad"], m["diff"] = time_padded(adapter, data, prompt, ours, args)
    m["t_train"], train_batches = time_train(adapter, data, prompt, args)
    m["train_flops"] = flops_of(shape, train_batches, data.ids, p, train=True)
    m["train_steps"] = len(train_batches)
    del adapter  # free the fp32 model before loading the bf16 one
    bf16 = load(location, args, bf16=True)
    m["t16"], _ = time_eval(bf16, data, prompt, args.batch_size, args.repeats)  # same ids
    return m


def bench_model(name: str, examples, args) -> dict:
    location = model_location(name)
    m = measure(location, examples, args)
    shape, n = m["shape"], m["n"]
    row = {
        "model": name,
        "mm32": m["mm32"]["all"],
        "mm16": m["mm16"]["all"],
        "mm32_train": m["mm32_train"]["all"],
        "eval32": m["eval_flops"] / m["t32"] / 1e9,
        "eval16": m["eval_flops"] / m["t16"] / 1e9,
        "train": m["train_flops"] / m["t_train"] / 1e9,
        "bf16_x": m["t32"] / m["t16"],
        "padded_x": m["t_pad"] / m["t32"],
    }
    print(
        f"== {name}: {shape['layers']} layers, d={shape['d']}, ff={shape['ff']}, "
        f"{shape['weights']:,} matmul weights per token; n={n}, {m['per_example']:.1f} real "
        f"tokens per example (prompt {args.prompt_length} included)"
    )
    print(roofline_line("fp32", m["eval_rows"], m["mm32"]))
    print(roofline_line("bf16", m["eval_rows"], m["mm16"]))
    print(roofline_line("fp32", m["train_rows"], m["mm32_train"]))
    print(
        f"  eval fp32 sorted  {n / m['t32']:8.1f} ex/s {row['eval32']:7.1f} GFLOP/s "
        f"{100 * row['eval32'] / row['mm32']:5.1f}% of fp32 roofline"
    )
    print(
        f"  eval fp32 padded  {n / m['t_pad']:8.1f} ex/s "
        f"{m['eval_flops'] / m['t_pad'] / 1e9:7.1f} GFLOP/s on real tokens "
        f"({m['executed_padded'] / m['t_pad'] / 1e9:.1f} executed, padding included); sorted "
        f"is {row['padded_x']:.2f}x faster; largest score difference {m['diff']:.1e}"
    )
    print(
        f"  eval bf16 sorted  {n / m['t16']:8.1f} ex/s {row['eval16']:7.1f} GFLOP/s "
        f"{row['bf16_x']:.2f}x fp32, {100 * row['eval16'] / row['mm16']:5.1f}% of bf16 roofline"
    )
    print(
        f"  train step fp32   {n / m['t_train']:8.1f} ex/s {row['train']:7.1f} GFLOP/s "
        f"{100 * row['train'] / row['mm32_train']:5.1f}% of fp32 roofline at "
        f"{m['train_rows']} rows ({m['train_steps']} steps of {args.train_batch})",
        flush=True,
    )
    return row


# --- the summary ---------------------------------------------------------------------------


def verdict(value: float, goal: float) -> str:
    return "met" if value >= goal else "NOT met"


def print_table(rows: list[dict]) -> None:
    head = (
        f"{'model':11s} {'mm32':>7s} {'eval32':>7s} {'%mm32':>6s} {'mm16':>7s} {'eval16':>7s} "
        f"{'x fp32':>6s} {'%mm16':>6s} {'train':>7s} {'%mm32t':>6s} {'vs pad':>6s}"
    )
    print("\n" + head + "\n" + "-" * len(head))
    for r in rows:
        print(
            f"{r['model']:11s} {r['mm32']:7.1f} {r['eval32']:7.1f} "
            f"{100 * r['eval32'] / r['mm32']:5.1f}% {r['mm16']:7.1f} {r['eval16']:7.1f} "
            f"{r['bf16_x']:5.2f}x {100 * r['eval16'] / r['mm16']:5.1f}% {r['train']:7.1f} "
            f"{100 * r['train'] / r['mm32_train']:5.1f}% {r['padded_x']:5.2f}x"
        )
    print(
        "GFLOP/s on real tokens. mm32/mm16: torch.mm roofline at an eval batch's shapes; "
        "%mm32t: train against the fp32 roofline at a training batch's shapes; "
        "vs pad: sorted over padded-to-max_length evaluation speed."
    )
    print("\ngoals:")
    for r in rows:
        eval_share = r["eval32"] / r["mm32"]
        train_share = r["train"] / r["mm32_train"]
        print(
            f"  {r['model']:11s} fp32 eval >= {GOALS['eval']:.0%} of roofline: "
            f"{eval_share:5.1%} {verdict(eval_share, GOALS['eval']):7s} | "
            f"bf16 eval >= {GOALS['bf16']:.0f}x fp32: {r['bf16_x']:4.2f}x "
            f"{verdict(r['bf16_x'], GOALS['bf16']):7s} | "
            f"train >= {GOALS['train']:.0%} of roofline: {train_share:5.1%} "
            f"{verdict(train_share, GOALS['train'])}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="minilm-l3,minilm-l6,mpnet-base")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n", type=int, default=None, help="test sentences (default: all)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--train-batch", type=int, default=16)
    parser.add_argument("--prompt-length", type=int, default=20)
    parser.add_argument("--max-length", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()  # no load reports (e.g. the unused pooler)
    transformers.logging.disable_progress_bar()
    examples = read_examples(DATA, LABELS)[: args.n]
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}; "
        f"RT test n={len(examples)}, eval batch {args.batch_size}, train batch "
        f"{args.train_batch}, prompt {args.prompt_length}, max_length {args.max_length}"
    )
    rows = [bench_model(name, examples, args) for name in args.models.split(",")]
    print_table(rows)


if __name__ == "__main__":
    main()
