"""The ``train_prompts`` job: one tuning run writes every step checkpoint and its history."""

from __future__ import annotations

from prompt_recycling.fsutil import atomic_path
from prompt_recycling.jobs.common import load_model, model_info, read_split
from prompt_recycling.settings import ReaderConfig, TuneConfig


def train_prompts(
    *,
    dataset: str,
    model_json: str,
    train_split: str,
    reader: ReaderConfig,
    tune: TuneConfig,
    checkpoints: dict[int, str],
    state_dir: str,
    history: str,
    threads: int | None = None,
) -> None:
    """Tune one prompt; write ``checkpoints`` (``{step: file}``, the steps of ``tune``) and the
    history (loss and prompt row norm per step, against the vocabulary's median row norm).
    The resume state lives in ``state_dir``, outside the declared outputs."""
    import pandas as pd

    from prompt_recycling.device import set_threads
    from prompt_recycling.tune import tune_prompt, word_rows

    set_threads(threads)
    name = model_info(model_json)["name"]
    adapter = load_model(model_json, reader, bf16=tune.bf16)
    train = read_split(train_split, reader)
    result = tune_prompt(adapter, train, tune, checkpoints, state_dir, progress=True)
    table = adapter.embedding_table.detach().float()
    vocab_norm = float(table[word_rows(adapter, tune.vocab_sample_size)].norm(dim=-1).median())
    frame = pd.DataFrame(result["history"]).assign(
        dataset=dataset, model=name, seed=tune.seed, init=tune.init, vocab_norm=vocab_norm
    )
    with atomic_path(history) as tmp:
        frame.to_csv(tmp, index=False)
