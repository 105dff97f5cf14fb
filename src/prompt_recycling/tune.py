"""Prompt tuning on a frozen model, with checkpoints at chosen steps and exact resume.

Only the prompt (P, E) is trained. Batches are a pure function of (seed, step): the examples are
shuffled per epoch with a generator seeded by (seed, epoch), cut into chunks of
``BUCKET_BATCHES`` batches, each chunk sorted by length so that a batch pads to few tokens, and
the batch order inside an epoch shuffled again; a resumed run therefore draws exactly the batches
an uninterrupted run would. The resume state (prompt, optimizer state, step, the checkpoints
written so far and the training history) lives in ``state_dir``, apart from the declared
checkpoint files, and is written atomically every ``save_every`` steps. A killed run restarts
from the last saved state, first restoring checkpoint files a workflow manager may have deleted,
and ends with the same prompt, bit for bit on CPU.

Step 0 may be asked for: its checkpoint is the untrained initial prompt (a control).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from prompt_recycling.errors import RecyclingError
from prompt_recycling.examples import Example
from prompt_recycling.models import ModelAdapter
from prompt_recycling.paths import step_file
from prompt_recycling.progress import bar as progress_bar
from prompt_recycling.prompt_io import write_prompt
from prompt_recycling.resume import fingerprints, load_state, save_state, weights_digest
from prompt_recycling.settings import TuneConfig, fold_seed

BUCKET_BATCHES = 32  # batches per length-sorted chunk of an epoch


def sample_rows(adapter: ModelAdapter, config: TuneConfig) -> torch.Tensor:
    """The rows sampled-vocab and class-label draw from (``config.vocab_sample``)."""
    if config.vocab_sample == "first-rows":
        return torch.arange(min(config.vocab_sample_size, len(adapter.embedding_table)))
    return word_rows(adapter, config.vocab_sample_size)


def word_rows(adapter: ModelAdapter, n: int) -> torch.Tensor:
    """Ids of the model's ``n`` most frequent English word pieces (id order; specials, unused
    slots and non-alphabetic pieces excluded: the recyclers' filter)."""
    from prompt_recycling.vocab import canonical, detect_family, is_english_word, tokenizer_vocab

    vocab, special = tokenizer_vocab(adapter.tokenizer)
    family = detect_family(vocab)
    rows = len(adapter.embedding_table)
    ids = sorted(
        i
        for piece, i in vocab.items()
        if piece not in special and i < rows and is_english_word(canonical(piece, family)[1])
    )
    if not ids:
        raise RecyclingError("the model's vocabulary has no English word pieces to sample from")
    return torch.tensor(ids[:n])


def init_prompt(adapter: ModelAdapter, config: TuneConfig) -> torch.Tensor:
    """Initial prompt (P, E), float32, on CPU."""
    seed = config.seed if config.init_seed is None else config.init_seed
    gen = torch.Generator().manual_seed(seed)
    p, table = config.prompt_length, adapter.embedding_table.detach().float().cpu()
    if config.init == "random-uniform":
        r = config.init_range
        return (torch.rand(p, table.shape[1], generator=gen) * 2 - 1) * r
    pool = sample_rows(adapter, config)
    prompt = table[pool[torch.randint(len(pool), (p,), generator=gen)]].clone()
    if config.init == "class-label":
        for i, label in enumerate(adapter.labels[:p]):
            ids = adapter.tokenizer(label, add_special_tokens=False).input_ids
            prompt[i] = table[ids].mean(0)  # multi-piece labels: mean of their pieces
    return prompt


def _epoch_batches(lengths: tuple[int, ...], batch_size: int, seed: int, epoch: int):
    """The epoch's batches: a seeded permutation cut into chunks of ``BUCKET_BATCHES``
    batches, each chunk sorted by length, the batches then shuffled (seeded)."""
    n = len(lengths)
    gen = torch.Generator().manual_seed(seed * 100_003 + epoch)
    perm = torch.randperm(n, generator=gen).tolist()
    chunk = batch_size * BUCKET_BATCHES
    batches = []
    for start in range(0, n, chunk):
        part = sorted(perm[start : start + chunk], key=lambda i: lengths[i])
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    order = torch.randperm(len(batches), generator=gen).tolist()
    return [batches[i] for i in order]


_epoch_batches_cached = lru_cache(maxsize=4)(_epoch_batches)


def batch_indices(lengths, batch_size: int, seed: int, step: int) -> list[int]:
    """Example indices of (1-based) ``step``: a pure function of (lengths, seed, step).

    ``lengths``: token count per example (or the number of examples: no bucketing, all
    lengths equal). An epoch's last batch may be smaller than ``batch_size``.
    """
    lengths = tuple([0] * lengths) if isinstance(lengths, int) else tuple(lengths)
    per_epoch = len(_epoch_batches_cached(lengths, batch_size, seed, 0))
    epoch, k = divmod(step - 1, per_epoch)
    return list(_epoch_batches_cached(lengths, batch_size, seed, epoch)[k])


def make_optimizer(params, config: TuneConfig):
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    from transformers.optimization import Adafactor

    # T5X settings of the paper: constant lr, decay 0.8, no momentum; "adafactor-scaled"
    # multiplies the step by the parameter's RMS (relative steps for small-norm embeddings).
    return Adafactor(
        params,
        lr=config.learning_rate,
        decay_rate=-0.8,
        weight_decay=config.weight_decay,
        scale_parameter=config.optimizer == "adafactor-scaled",
        relative_step=False,
        warmup_init=False,
        beta1=None,
    )


def row_norm(prompt: torch.Tensor) -> float:
    """Mean L2 norm of the prompt's rows."""
    return float(prompt.detach().float().norm(dim=-1).mean())


def tune_prompt(
    adapter: ModelAdapter,
    train: list[Example],
    config: TuneConfig,
    checkpoints: str | os.PathLike | Mapping[int, str | os.PathLike],
    state_dir: str | os.PathLike | None = None,
    progress: bool = True,
    on_step: Callable[[int, float], None] | None = None,
    on_checkpoint: Callable[[int, torch.Tensor], None] | None = None,
) -> dict:
    """Train a prompt; write its checkpoint at each configured step.

    Args:
        adapter: the frozen model (see :mod:`prompt_recycling.models`).
        train: training examples (tokenized once here).
        config: settings (validated on construction).
        checkpoints: ``{step: file}`` for every configured step, or a folder that gets
            ``step-<k>.npy`` files (:data:`prompt_recycling.paths.STEP_FILE`).
        state_dir: resume state; for a folder the default is ``.<folder>.resume`` beside it.
        on_step: called after every step with (step, loss); for logging and tests.
        on_checkpoint: called with (step, prompt) at each configured step (calibration).

    Returns:
        ``{"checkpoints": {step: path}, "history": [{step, loss, row_norm}, ...]}``; the
        history has one entry per step (loss averaged over the steps since the last entry is
        not done: every step is recorded).
    """
    config.validate()
    if not train:
        raise RecyclingError("no training examples")
    adapter.check_fits(config.prompt_length)
    tokens = adapter.label_token_counts()
    if config.loss == "lm" and tokens is None:
        raise RecyclingError(
            f"tuning.loss: lm needs a language model's label log-likelihoods; "
            f"{adapter.architecture} models score labels otherwise: use loss: rank"
        )
    files, state_dir = _checkpoint_files(checkpoints, config.steps, state_dir)
    state_file = state_dir / "state.pt"
    digest_before = weights_digest(adapter.model)
    ids = adapter.encode([ex.text for ex in train])  # tokenized once
    lengths = [len(x) for x in ids]
    gold = torch.tensor([ex.label for ex in train])
    want = fingerprints(adapter, ids, gold, config, digest_before)

    prompt = torch.nn.Parameter(init_prompt(adapter, config).to(adapter.device))
    opt = make_optimizer([prompt], config)
    start, written, history = 0, {}, []
    state = load_state(state_file, want)
    if state is not None:
        with torch.no_grad():
            prompt.copy_(state["prompt"].to(adapter.device))
        opt.load_state_dict(state["optimizer"])
        start, written, history = state["step"], state["checkpoints"], state["history"]
        print(f"resuming prompt tuning at step {start} from {state_file}")
    # checkpoints written before the saved step: restore any a workflow manager deleted
    for step, saved in written.items():
        if not files[step].exists():
            write_prompt(saved.numpy(), files[step])
    if start == 0 and 0 in config.steps:
        _checkpoint(0, prompt, files[0], written, on_checkpoint)
    last = config.steps[-1]
    todo = set(config.steps)
    bar = progress_bar(total=last, initial=start, desc="prompt tuning", disable=not progress)
    for step in range(start + 1, last + 1):
        idx = batch_indices(lengths, config.batch_size, config.seed, step)
        with dropout_on(
            adapter.model, config.dropout, fold_seed(config.seed, "dropout", str(step))
        ):
            scores = adapter.score_ids(prompt, [ids[i] for i in idx])
        loss = training_loss(scores, gold[idx].to(scores.device), config.loss, tokens)
        if not torch.isfinite(loss):
            raise RecyclingError(f"training loss became {loss.item()} at step {step}; stopping")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        history.append({"step": step, "loss": loss.item(), "row_norm": row_norm(prompt)})
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
        if step in todo:
            _checkpoint(step, prompt, files[step], written, on_checkpoint)
        if step % config.save_every == 0 and step < last:
            save_state(state_file, prompt, opt, step, want, written, history)
        if on_step is not None:
            on_step(step, loss.item())
    bar.close()
    if weights_digest(adapter.model) != digest_before:
        raise RecyclingError("the frozen model's weights changed during prompt tuning")
    state_file.unlink(missing_ok=True)
    if state_dir.exists() and not any(state_dir.iterdir()):
        state_dir.rmdir()
    return {
        "checkpoints": files,
        "history": history,
    }


@contextmanager
def dropout_on(model: torch.nn.Module, dropout, seed: int):
    """With ``dropout`` (``model``) the frozen model runs in train mode for one step, its own
    configured dropout on as T5X prompt tuning runs it, the masks drawn from ``seed`` (a resumed
    run draws what an uninterrupted one would); back in eval mode after. Off (False): no-op."""
    if not dropout:
        yield
        return
    device = next(model.parameters()).device
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)  # the masks: the global generator is restored after the step
        model.train()
        try:
            yield
        finally:
            model.eval()


def training_loss(scores, gold, loss: str = TuneConfig.loss, tokens=None) -> torch.Tensor:
    """``rank``: cross-entropy over the labels' scores (B, L). ``lm``: the negative
    log-likelihood of each gold verbalizer's tokens (its score, a sum over them) per token of
    the batch, as a language model's teacher-forced loss averages (``tokens``: each label's
    token count)."""
    if loss == "lm":
        picked = scores.gather(1, gold[:, None]).squeeze(1)
        return -picked.sum() / tokens.to(scores.device)[gold].sum()
    return F.cross_entropy(scores, gold)


def _checkpoint_files(checkpoints, steps, state_dir) -> tuple[dict[int, Path], Path]:
    """``{step: Path}`` for every configured step (folders created) and the state folder."""
    if isinstance(checkpoints, Mapping):
        files = {int(s): Path(p) for s, p in checkpoints.items()}
        if sorted(files) != sorted(steps):
            raise RecyclingError(f"checkpoint files for steps {sorted(files)}, tuning {steps}")
        if state_dir is None:
            raise RecyclingError("give the resume state folder of checkpoint files by step")
    else:
        folder = Path(checkpoints)
        files = {s: folder / step_file(s) for s in steps}
        state_dir = state_dir or folder.parent / f".{folder.name}.resume"
    for f in files.values():
        f.parent.mkdir(parents=True, exist_ok=True)
    return files, Path(state_dir)


def _checkpoint(step, prompt, path, written, on_checkpoint) -> None:
    value = prompt.detach().float().cpu()
    write_prompt(value.numpy(), path)
    written[step] = value.clone()
    if on_checkpoint is not None:
        on_checkpoint(step, value)


def load_prompt_tensor(path: str | os.PathLike) -> torch.Tensor:
    from prompt_recycling.prompt_io import read_prompt

    return torch.from_numpy(np.ascontiguousarray(read_prompt(path)))
