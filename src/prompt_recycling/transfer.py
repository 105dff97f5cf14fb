"""Recycle one prompt file from a source model to a target model (what the CLI runs)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from prompt_recycling import wordlist
from prompt_recycling.diagnostics import HELD_OUT, recycler_diagnostics
from prompt_recycling.embeddings import VocabTable, load_vocab_table
from prompt_recycling.errors import RecyclingError
from prompt_recycling.prompt_io import check_output, check_row_norm, read_prompt, write_prompt
from prompt_recycling.recyclers import Recycler, get_recycler
from prompt_recycling.vocab import (
    DEFAULT_NUM_WORDS,
    DEFAULT_WORD_OFFSET,
    AlignedVocab,
    TokenSelection,
    align_vocabularies,
    select_tokens,
    tokenizer_vocab,
)


def align_pair(source: VocabTable, target: VocabTable) -> AlignedVocab:
    """The two models' word pieces aligned by string."""
    src_vocab, src_special = tokenizer_vocab(source.tokenizer)
    tgt_vocab, tgt_special = tokenizer_vocab(target.tokenizer)
    listed = wordlist.t5_word_ids(src_vocab)  # T5's vocabulary: the authors' released word list
    # Ids past the end of an embedding table (added tokens without rows) cannot be used.
    src_vocab = {p: i for p, i in src_vocab.items() if i < len(source.embeddings)}
    tgt_vocab = {p: i for p, i in tgt_vocab.items() if i < len(target.embeddings)}
    words = (wordlist.NAME, listed) if listed else None
    return align_vocabularies(src_vocab, tgt_vocab, src_special, tgt_special, word_ids=words)


def select_for_pair(
    source: VocabTable,
    target: VocabTable,
    num_words: int = DEFAULT_NUM_WORDS,
    word_offset: int = DEFAULT_WORD_OFFSET,
) -> TokenSelection:
    """Align two models' tokenizers by string and select the recycler's fitting tokens."""
    return select_tokens(align_pair(source, target), num_words=num_words, word_offset=word_offset)


def held_out_words(aligned: AlignedVocab, selection: TokenSelection, size: int = HELD_OUT):
    """The (up to ``size``) word pieces that follow the selected ones in frequency order: rows
    the recycler never saw, to measure how well its map generalises. None if there are none."""
    offset = selection.word_offset + len(selection.pieces)
    size = min(size, selection.n_filtered - offset)
    return select_tokens(aligned, size, offset) if size > 0 else None


def fit_recycler(
    source: VocabTable,
    target: VocabTable,
    method: str,
    num_words: int = DEFAULT_NUM_WORDS,
    word_offset: int = DEFAULT_WORD_OFFSET,
    seed: int = 0,
    held_out: int = HELD_OUT,
    **settings,
) -> tuple[Recycler, TokenSelection]:
    """Select tokens for the pair and fit a recycler on their paired embedding rows; its
    ``diagnostics`` hold its error on the ``held_out`` words after the selection.

    ``settings`` go to recyclers that take any (v2v-nn: epochs, learning_rate, ...)."""
    aligned = align_pair(source, target)
    selection = select_tokens(aligned, num_words=num_words, word_offset=word_offset)
    config = {"seed": seed, **settings} if method == "v2v-nn" else {}
    recycler = get_recycler(method, **config)
    vs, vt = source.embeddings[selection.source_ids], target.embeddings[selection.target_ids]
    recycler.fit(vs, vt)
    held = held_out_words(aligned, selection, held_out)
    rows = (source.embeddings[held.source_ids], target.embeddings[held.target_ids]) if held else ()
    recycler.diagnostics = recycler_diagnostics(recycler, vs, vt, *rows)
    return recycler, selection


def peft_task_type(table: VocabTable) -> str:
    """PEFT task type for a model, used when writing a fresh PEFT adapter for it."""
    config = table.config
    if getattr(config, "is_encoder_decoder", False):
        return "SEQ_2_SEQ_LM"
    if any("CausalLM" in a or "LMHead" in a for a in (config.architectures or [])):
        return "CAUSAL_LM"
    return "FEATURE_EXTRACTION"


@dataclass
class RecycleReport:
    n_shared: int
    n_filtered: int
    n_selected: int
    fit_error: float
    prompt_shape: tuple[int, int]
    output_shape: tuple[int, int]


def recycle_file(
    source: str | os.PathLike,
    target: str | os.PathLike,
    prompt: str | os.PathLike,
    method: str,
    output: str | os.PathLike,
    num_words: int = DEFAULT_NUM_WORDS,
    word_offset: int = DEFAULT_WORD_OFFSET,
    seed: int = 0,
    log: Callable[[str], None] = print,
    ledger: bool = False,
) -> RecycleReport:
    """Read a prompt, recycle it from ``source`` to ``target`` and write ``output`` atomically.

    Inputs are checked before any model is read, so bad input fails fast and writes nothing.
    With ``ledger`` an existing output file is replaced only if this tool wrote it
    (:func:`prompt_recycling.prompt_io.write_prompt`).
    """
    get_recycler(method)  # unknown method -> error before any work
    check_output(output, ledger)  # format, parent folder, never a folder of the user's
    ps = read_prompt(prompt)  # (P, E_s)
    src, tgt = load_vocab_table(source), load_vocab_table(target)
    if ps.shape[1] != src.width:
        raise RecyclingError(
            f"prompt width {ps.shape[1]} does not match the source model's embedding width "
            f"{src.width} ({source})"
        )
    recycler, selection = fit_recycler(src, tgt, method, num_words, word_offset, seed)
    log(f"tokens: {selection.summary()}")
    log(f"{method}: fit error (relative, on the selected rows) {recycler.fit_error:.4f}")
    pt = recycler(ps)  # (P, E_t)
    if not np.isfinite(pt).all():
        raise RecyclingError(f"{method} produced NaN or inf values; nothing written")
    check_row_norm(pt, f"the prompt {method} recycled (nothing written)")
    write_prompt(
        pt,
        output,
        base_model=str(target),
        like=prompt,
        task_type=peft_task_type(tgt),
        ledger=ledger,
    )
    log(f"wrote {output}: prompt {ps.shape} -> {pt.shape}")
    return RecycleReport(
        selection.n_shared,
        selection.n_filtered,
        len(selection.pieces),
        float(recycler.fit_error),
        tuple(ps.shape),
        tuple(pt.shape),
    )
