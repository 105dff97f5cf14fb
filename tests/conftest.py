"""Shared fixtures: tiny models saved to disk, built from configs (no downloads)."""

from __future__ import annotations

import numpy as np
import pytest

from prompt_recycling.tiny import BERT_SPECIALS, save_tiny_bert, wordpiece_vocab

N_WORDS = 1200


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
