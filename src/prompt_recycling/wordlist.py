"""The authors' English word list for T5's SentencePiece vocabulary.

Lester et al. (2022) fitted their recyclers on a released list of 16,779 ids of T5's
32,100-piece vocabulary (package data, provenance in ``data/README.md``), not on a rule: it
drops the German, French and Romanian pieces that "ASCII and alphabetic" keeps. A tokenizer
gets the list when it *is* that vocabulary: 32,100 pieces, and every listed id holds the
listed piece (with or without its ``▁``). Any other tokenizer keeps the rule of
:func:`prompt_recycling.vocab.is_english_word`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources

from prompt_recycling.errors import RecyclingError

FILE = "filtered-vocab-english-only.json"
SHA256 = "eaff7a364f60cd2e6c12f7c5e4f254f22045832c634a816b15080a635417159f"
T5_VOCAB_SIZE = 32100  # 32,000 SentencePiece pieces + 100 sentinels
NAME = "the authors' T5 list"
# which pieces count as English words, in a fitted recycler's key: a change refits recyclers
RULE = f"ASCII-alphabetic; T5's vocabulary: the authors' list {SHA256[:12]}"


@cache
def authors_list() -> dict[int, str]:
    """``id -> piece`` of the released list, in its (ascending id) order; checked by sha256."""
    raw = resources.files("prompt_recycling").joinpath("data", FILE).read_bytes()
    if hashlib.sha256(raw).hexdigest() != SHA256:
        raise RecyclingError(f"the packaged {FILE} is not the released list (sha256 differs)")
    return {int(k): v for k, v in json.loads(raw).items()}


def t5_word_ids(vocab: Mapping[str, int]) -> frozenset[int] | None:
    """The listed ids when ``vocab`` (``piece -> id``) is T5's vocabulary, else None."""
    if len(vocab) != T5_VOCAB_SIZE:
        return None
    piece_at = {i: p for p, i in vocab.items()}
    words = authors_list()
    if all(piece_at.get(i) in (w, "\u2581" + w) for i, w in words.items()):
        return frozenset(words)
    return None
