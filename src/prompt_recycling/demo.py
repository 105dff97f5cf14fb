"""A self-contained demonstration: recycle a prompt between two tiny models built on the fly.

The target's input embeddings are a planted linear map of the source's (plus noise), so the
ideal recycled prompt is known and each recycler's error against it can be printed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from prompt_recycling.prompt_io import read_prompt, write_prompt
from prompt_recycling.recyclers import RECYCLERS
from prompt_recycling.tiny import save_tiny_bert, wordpiece_vocab
from prompt_recycling.transfer import recycle_file


def run_demo(
    workdir: str | None = None,
    num_words: int = 600,
    word_offset: int = 100,
    prompt_length: int = 20,
    log: Callable[[str], None] = print,
) -> dict[str, float]:
    """Build two tiny BERTs (32-d source, 48-d target), recycle a prompt with every method and
    return each method's relative error against the planted ideal prompt."""
    rng = np.random.default_rng(0)
    pieces = wordpiece_vocab(1200)
    e_s, e_t = 32, 48
    vs = rng.normal(size=(len(pieces), e_s)).astype(np.float32)
    planted = rng.normal(size=(e_s, e_t)) / np.sqrt(e_s)  # (E_s, E_t)
    vt = (vs @ planted + 0.01 * rng.normal(size=(len(pieces), e_t))).astype(np.float32)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        tmp = Path(tmp)
        src = save_tiny_bert(tmp / "source", pieces, hidden=e_s, seed=1, word_embeddings=vs)
        tgt = save_tiny_bert(tmp / "target", pieces, hidden=e_t, seed=2, word_embeddings=vt)
        log(f"built tiny models: {src.name} ({e_s}-d), {tgt.name} ({e_t}-d), {len(pieces)} pieces")
        prompt = rng.uniform(-0.5, 0.5, size=(prompt_length, e_s)).astype(np.float32)
        write_prompt(prompt, tmp / "prompt.npy")
        ideal = prompt @ planted
        errors = {}
        for method in RECYCLERS:
            out = tmp / f"recycled-{method}.npy"
            log(f"--- {method}")
            recycle_file(src, tgt, tmp / "prompt.npy", method, out, num_words, word_offset, log=log)
            got = read_prompt(out)
            errors[method] = float(np.linalg.norm(got - ideal) / np.linalg.norm(ideal))
            log(f"{method}: error against the planted ideal prompt {errors[method]:.4f}")
    return errors
