"""Shared fixtures: tiny models saved to disk, built from configs (no downloads)."""

from __future__ import annotations

import os
import signal
import subprocess

import numpy as np
import pytest

from prompt_recycling.tiny import BERT_SPECIALS, save_tiny_bert, wordpiece_vocab

N_WORDS = 1200


def pytest_collection_modifyitems(items):
    """The workflow tier first: its tests are the longest, and pytest-xdist hands tests out in
    this order (scripts/test.sh), so they start at once and the short ones fill in beside them."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session", autouse=True)
def no_transformers_bars():
    """transformers' own "Loading weights" bars stay out of the outputs the tests read."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


@pytest.fixture(scope="session", autouse=True)
def one_thread_per_worker():
    """Under pytest-xdist (scripts/test.sh: one worker per core), a worker's own torch uses one
    thread, so the workers do not oversubscribe the cores."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_pair(tmp_path_factory):
    """Two tiny BERTs (16-d source, 24-d target) sharing WordPiece strings; the target holds them
    at id + 4 (four extra reserved pieces first, like all-mpnet-base-v2 vs bert-base-uncased)
    and its word embeddings are a planted linear map of the source's."""
    root = tmp_path_factory.mktemp("models")
    rng = np.random.default_rng(0)
    src_pieces = wordpiece_vocab(N_WORDS)
    tgt_pieces = BERT_SPECIALS + [f"[unused{i}]" for i in range(4)] + src_pieces[5:]
    vs = rng.normal(size=(len(src_pieces), 16)).astype(np.float32)
    planted = rng.normal(size=(16, 24)) / 4
    vt = np.zeros((len(tgt_pieces), 24), dtype=np.float32)
    vt[: len(BERT_SPECIALS)] = rng.normal(size=(len(BERT_SPECIALS), 24))
    vt[len(BERT_SPECIALS) : 9] = rng.normal(size=(4, 24))
    vt[9:] = vs[5:] @ planted
    src = save_tiny_bert(root / "src", src_pieces, hidden=16, seed=1, word_embeddings=vs)
    tgt = save_tiny_bert(root / "tgt", tgt_pieces, hidden=24, seed=2, word_embeddings=vt)
    return {"source": src, "target": tgt, "planted": planted, "vs": vs, "vt": vt}


SENTIMENT = ["negative", "positive", "good", "bad", "movie", "great", "awful"]


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """One tiny model of each architecture (seq2seq T5, causal GPT-2, BERT encoder); the verbalizers
    "negative"/"positive" are single pieces in each vocabulary."""
    from prompt_recycling.tiny import pseudo_words, save_tiny_gpt2, save_tiny_t5

    root = tmp_path_factory.mktemp("kinds")
    words = pseudo_words(150) + SENTIMENT
    return {
        "seq2seq": save_tiny_t5(root / "t5", words, d_model=16, seed=0),
        "causal": save_tiny_gpt2(root / "gpt2", words, n_embd=16, seed=0, initializer_range=0.5),
        "encoder": save_tiny_bert(
            root / "bert", wordpiece_vocab(150, extra=SENTIMENT), seed=0, initializer_range=0.2
        ),
    }


@pytest.fixture(scope="session")
def tiny_texts():
    """Deterministic short texts with a sentiment word; label 1 iff the word is positive."""
    from prompt_recycling.examples import Example
    from prompt_recycling.tiny import pseudo_words

    rng = np.random.default_rng(0)
    words = pseudo_words(150)
    examples = []
    for i in range(48):
        label = i % 2
        cue = ["bad", "awful"][i % 4 // 2] if label == 0 else ["good", "great"][i % 4 // 2]
        body = list(rng.choice(words, size=int(rng.integers(2, 7))))
        body.insert(int(rng.integers(0, len(body) + 1)), cue)
        examples.append(Example(" ".join(body) + " movie", label))
    return examples


@pytest.fixture
def cli(capsys):
    """Run ``prompt-recycle`` in-process: ``cli(argv) -> (exit code, stdout, stderr)``."""
    from prompt_recycling.cli import main

    def run(argv):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL a process group started with ``start_new_session`` (no-op once it is gone)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
