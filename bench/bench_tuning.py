"""Training-step time against PEFT prompt tuning, and evaluation throughput against a naive
per-(example, label) loop, measured side by side in one run.

    python bench/bench_tuning.py                       # random-init models from configs
    python bench/bench_tuning.py --model DIR --architecture causal   # a real model directory

Random-init models (no download): "causal-small" has SmolLM2-135M's shape (Llama, 30 layers,
576-d, 49,152 vocab) and "t5-small" T5-small's (6+6 layers, 512-d, 32,128 vocab); texts are
pseudo-words. Ours: label-only rank-classification loss (causal: last position only). PEFT:
``PromptTuningConfig`` with its standard loss (causal: LM loss over the whole sequence;
seq2seq: the target's decoder loss). Same batch, sequence length and prompt length.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from prompt_recycling.evaluate import predict
from prompt_recycling.examples import Example
from prompt_recycling.models import load_adapter
from prompt_recycling.settings import TuneConfig
from prompt_recycling.tiny import pseudo_words, save_tiny_gpt2
from prompt_recycling.tune import make_optimizer

LABELS = ["negative", "positive"]
RANDOM_MODELS = ("causal-small", "t5-small")


def random_model(name: str, root: Path) -> tuple[Path, str]:
    from transformers import LlamaConfig, LlamaForCausalLM, T5Config, T5ForConditionalGeneration

    words = pseudo_words(400) + LABELS
    out = root / name
    save_tiny_gpt2(out, words)  # tokenizer files (the model is replaced below)
    (out / "model.safetensors").unlink()
    torch.manual_seed(0)
    if name == "causal-small":
        cfg = LlamaConfig(
            vocab_size=49152,
            hidden_size=576,
            intermediate_size=1536,
            num_hidden_layers=30,
            num_attention_heads=9,
            num_key_value_heads=3,
            tie_word_embeddings=True,
        )
        LlamaForCausalLM(cfg).save_pretrained(out)
        return out, "causal"
    cfg = T5Config(
        vocab_size=32128,
        d_model=512,
        d_ff=2048,
        num_layers=6,
        num_heads=8,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
    )
    T5ForConditionalGeneration(cfg).save_pretrained(out)
    return out, "seq2seq"


def texts(n: int, tokens: int) -> list[Example]:
    words = pseudo_words(400)
    g = torch.Generator().manual_seed(0)
    return [
        Example(" ".join(words[i] for i in torch.randint(400, (tokens,), generator=g)), k % 2)
        for k in range(n)
    ]


def time_interleaved(steps: dict, rounds: int) -> dict[str, list[float]]:
    """Seconds per call of each step, the steps taking turns for ``rounds`` rounds (after one
    warm-up call each), so that a busy machine slows them alike."""
    for step in steps.values():
        step()
    times = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return times


def ours_step(adapter, batch, prompt_len):
    prompt = torch.nn.Parameter(torch.rand(prompt_len, adapter.embed_dim, device=adapter.device))
    opt = make_optimizer([prompt], TuneConfig(optimizer="adafactor", learning_rate=0.3))
    labels = torch.tensor([ex.label for ex in batch], device=adapter.device)
    text = [ex.text for ex in batch]

    def step():
        loss = torch.nn.functional.cross_entropy(adapter.scores(prompt, text), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def peft_step(adapter, batch, prompt_len, kind, max_length):
    from peft import PromptTuningConfig, get_peft_model

    task = "CAUSAL_LM" if kind == "causal" else "SEQ_2_SEQ_LM"
    model = get_peft_model(
        adapter.model, PromptTuningConfig(task_type=task, num_virtual_tokens=prompt_len)
    )
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer(trainable, TuneConfig(optimizer="adafactor", learning_rate=0.3))
    tok = adapter.tokenizer
    if kind == "causal":
        full = [f"{ex.text}\nSentiment: {LABELS[ex.label]}" for ex in batch]
        enc = tok(full, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        labels = enc.input_ids.masked_fill(enc.attention_mask == 0, -100)
        inputs = {
            "input_ids": enc.input_ids,
            "attention_mask": enc.attention_mask,
            "labels": labels,
        }
    else:
        enc = tok(
            [ex.text for ex in batch],
            padding=True,
            truncation=True,
            max_length=max_length,
            return_tensors="pt",
        )
        target = tok([LABELS[ex.label] for ex in batch], padding=True, return_tensors="pt")
        inputs = {
            "input_ids": enc.input_ids,
            "attention_mask": enc.attention_mask,
            "labels": target.input_ids.masked_fill(target.attention_mask == 0, -100),
        }
    inputs = {k: v.to(adapter.device) for k, v in inputs.items()}

    def step():
        loss = model(**inputs).loss
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step, model


def naive_eval(adapter, examples, prompt):
    with torch.inference_mode():
        for ex in examples:
            max(range(len(LABELS)), key=lambda j: adapter.pair_score(prompt, ex.text, j))


def bench(name, model_dir, kind, args):
    adapter = load_adapter(
        model_dir,
        LABELS,
        architecture=kind,
        max_length=args.seq_len,
        device=args.device,
        bf16=args.bf16,
    )
    batch = texts(args.batch, args.seq_len)
    n_params = sum(p.numel() for p in adapter.model.parameters()) / 1e6
    print(
        f"== {name} ({adapter.architecture}, {n_params:.1f}M "
        f"params) batch {args.batch} x {args.seq_len} tokens, prompt {args.prompt_len}, "
        f"device {adapter.device}{' bf16' if args.bf16 else ''}"
    )
    prompt = torch.rand(args.prompt_len, adapter.embed_dim) - 0.5
    evals = texts(args.eval_n, args.seq_len)
    start = time.perf_counter()
    predict(adapter, evals, prompt, batch_size=args.batch, progress=False)
    fast = time.perf_counter() - start
    start = time.perf_counter()
    naive_eval(adapter, evals, prompt)
    naive = time.perf_counter() - start
    print(
        f"evaluation: ours {args.eval_n / fast:8.1f} ex/s, naive per-pair loop "
        f"{args.eval_n / naive:8.1f} ex/s -> {naive / fast:.2f}x"
    )
    if adapter.architecture == "encoder":
        print("training step: PEFT has no standard loss for a headless encoder; skipped")
        return
    ours = ours_step(adapter, batch, args.prompt_len)
    theirs, peft_model = peft_step(
        adapter, batch, args.prompt_len, adapter.architecture, args.seq_len
    )
    times = time_interleaved({"ours": ours, "peft": theirs}, args.steps)
    peft_model.unload() if hasattr(peft_model, "unload") else None
    ours, theirs = statistics.median(times["ours"]), statistics.median(times["peft"])
    ratio = statistics.median(p / o for p, o in zip(times["peft"], times["ours"], strict=True))
    print(
        f"training step (median of {args.steps}, taking turns): ours {ours:.3f} s, "
        f"PEFT prompt tuning {theirs:.3f} s -> {ratio:.2f}x (median of per-round ratios)"
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", action="append", help="real model dir (repeatable)")
    p.add_argument("--architecture", action="append", help="architecture of each --model")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--prompt-len", type=int, default=20)
    p.add_argument("--steps", type=int, default=5, help="timed training steps of each")
    p.add_argument("--only", action="append", choices=RANDOM_MODELS, help="random model(s) to run")
    p.add_argument("--eval-n", type=int, default=16)
    p.add_argument("--device")
    p.add_argument("--bf16", action="store_true")
    args = p.parse_args()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    if args.model:
        kinds = args.architecture or [None] * len(args.model)
        for model, kind in zip(args.model, kinds, strict=True):
            bench(Path(model).name, model, kind, args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only or RANDOM_MODELS:
            model_dir, kind = random_model(name, Path(tmp))
            bench(name, model_dir, kind, args)


if __name__ == "__main__":
    main()
