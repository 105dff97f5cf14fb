"""Tiny, randomly initialised models and vocabularies built on the fly (demo and tests).

Nothing here is downloaded: vocabularies are made of pronounceable pseudo-words, and models are
built from small configs, so everything runs on a CPU in seconds.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np

BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
_ONSETS = "b c d f g h k l m n p r s t v w z br ch dr fl gr pl sh st th tr".split()
_VOWELS = "a e i o u ai ea ou".split()


def _quiet_save(model, out_dir) -> None:
    """``model.save_pretrained(out_dir)`` without transformers' "Writing model shards" bar
    (whose switch is global: it is restored after)."""
    from transformers.utils import logging as hf_logging

    was = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model.save_pretrained(out_dir)
    finally:
        if was:
            hf_logging.enable_progress_bar()


def pseudo_words(n: int) -> list[str]:
    """``n`` distinct lowercase alphabetic pseudo-words, deterministic ("ba", "be", ..., "baba")."""
    syllables = [o + v for o, v in itertools.product(_ONSETS, _VOWELS)]
    words: list[str] = []
    if n <= 0:
        return words
    for length in itertools.count(1):
        for combo in itertools.product(syllables, repeat=length):
            words.append("".join(combo))
            if len(words) == n:
                return words
    raise AssertionError("unreachable")


def wordpiece_vocab(n_words: int, extra: list[str] | None = None) -> list[str]:
    """A WordPiece vocabulary: BERT specials, punctuation and digits (not "words"), pseudo-words,
    and a few ``##`` continuation pieces."""
    pieces = BERT_SPECIALS + list(".,!?'") + [str(d) for d in range(10)]
    pieces += pseudo_words(n_words) + (extra or [])
    pieces += ["##" + s for s in ("s", "ing", "ed", "ly", "er")]
    return list(dict.fromkeys(pieces))  # keep order, drop repeats


def save_bert_tokenizer(pieces: list[str], out_dir: str | os.PathLike):
    from transformers import BertTokenizer

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    vocab_file = out_dir / "vocab.txt"
    vocab_file.write_text("\n".join(pieces) + "\n")
    tokenizer = BertTokenizer(str(vocab_file))
    tokenizer.save_pretrained(out_dir)
    return tokenizer


def save_tiny_bert(
    out_dir: str | os.PathLike,
    pieces: list[str],
    hidden: int = 32,
    layers: int = 2,
    heads: int = 2,
    seed: int = 0,
    word_embeddings: np.ndarray | None = None,
    initializer_range: float = 0.02,
) -> Path:
    """Save a tiny random ``BertModel`` with a WordPiece tokenizer over ``pieces``.

    ``word_embeddings`` (len(pieces), hidden), if given, replaces the random input embeddings.
    """
    import torch
    from transformers import BertConfig, BertModel

    out_dir = Path(out_dir)
    save_bert_tokenizer(pieces, out_dir)
    config = BertConfig(
        vocab_size=len(pieces),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=2 * hidden,
        max_position_embeddings=512,
        initializer_range=initializer_range,
    )
    torch.manual_seed(seed)
    model = BertModel(config)
    if word_embeddings is not None:
        with torch.no_grad():
            model.embeddings.word_embeddings.weight.copy_(torch.from_numpy(word_embeddings))
    _quiet_save(model, out_dir)
    return out_dir


def save_tiny_t5(
    out_dir: str | os.PathLike, words: list[str], d_model: int = 16, seed: int = 0
) -> Path:
    """A tiny random ``T5ForConditionalGeneration`` with a SentencePiece-style (Unigram)
    tokenizer: ``▁word`` pieces for ``words`` plus single letters for anything else."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    out_dir = Path(out_dir)
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    vocab += [("\u2581" + w, -1.0 - i / 100) for i, w in enumerate(words)]
    vocab += [(c, -50.0) for c in "abcdefghijklmnopqrstuvwxyz.,!?'"] + [("\u2581", -40.0)]
    tokenizer = T5Tokenizer(vocab=vocab, extra_ids=0)
    tokenizer.save_pretrained(out_dir)
    config = T5Config(
        vocab_size=len(vocab),
        d_model=d_model,
        d_kv=8,
        d_ff=2 * d_model,
        num_layers=2,
        num_heads=2,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
    )
    torch.manual_seed(seed)
    _quiet_save(T5ForConditionalGeneration(config), out_dir)
    return out_dir


def save_tiny_gpt2(
    out_dir: str | os.PathLike,
    words: list[str],
    n_embd: int = 16,
    seed: int = 0,
    initializer_range: float = 0.02,
) -> Path:
    """A tiny random ``GPT2LMHeadModel`` with a byte-level BPE tokenizer trained on ``words``."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2Tokenizer

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    corpus = [" ".join(words)] * 3
    bpe.train_from_iterator(
        corpus,
        vocab_size=256 + 2 * len(words),
        min_frequency=1,
        special_tokens=["<|endoftext|>"],
        show_progress=False,
    )
    bpe.save_model(str(out_dir))
    tokenizer = GPT2Tokenizer(vocab=str(out_dir / "vocab.json"), merges=str(out_dir / "merges.txt"))
    tokenizer.save_pretrained(out_dir)
    eos = tokenizer.eos_token_id
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_embd=n_embd,
        n_layer=2,
        n_head=2,
        n_positions=512,
        bos_token_id=eos,
        eos_token_id=eos,
        initializer_range=initializer_range,
    )
    torch.manual_seed(seed)
    _quiet_save(GPT2LMHeadModel(config), out_dir)
    return out_dir
