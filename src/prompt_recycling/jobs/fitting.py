"""The pair jobs: how alike two vocabularies are (``describe_pair``) and the recyclers fitted
on them (``fit_recyclers``); neither depends on a data set or a step."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from prompt_recycling.diagnostics import HELD_OUT
from prompt_recycling.errors import RecyclingError
from prompt_recycling.fsutil import atomic_path
from prompt_recycling.jobs.common import model_info


def fit_recyclers(
    *,
    source_json: str,
    target_json: str,
    method: str,
    settings: dict,
    word_offset: int,
    outputs: dict[int, str],
    threads: int | None = None,
    held_out: int = HELD_OUT,
) -> None:
    """Fit one recycler per vocabulary size (``outputs``: ``{size: file}``) for a pair and
    method, the two tables loaded once; ``settings`` go to recyclers that take any (v2v-nn).
    Each carries its error on the ``held_out`` words after its selection (its diagnostics)."""
    from prompt_recycling.device import set_threads
    from prompt_recycling.embeddings import load_vocab_table
    from prompt_recycling.transfer import fit_recycler

    set_threads(threads)
    src, tgt = model_info(source_json), model_info(target_json)
    tables = load_vocab_table(src["location"]), load_vocab_table(tgt["location"])
    for size, output in outputs.items():
        recycler, selection = fit_recycler(
            *tables, method, num_words=size, word_offset=word_offset, held_out=held_out, **settings
        )
        print(
            f"{src['name']} -> {tgt['name']} {method} n={size}: {selection.summary()}; "
            f"fit error {recycler.fit_error:.4f}, on {recycler.diagnostics['heldout_words']} "
            f"held-out words {recycler.diagnostics['heldout_error']:.4f}"
        )
        recycler.save(output)


def describe_pair(
    *, source_json: str, target_json: str, word_offset: int, max_size: int, output: str
) -> dict:
    """How alike two models' vocabularies are over the words that fit the recyclers (median
    row cosine for equal widths, 10-nearest-neighbour overlap for any), and a clear error when
    the pair shares too few words for the largest vocabulary size."""
    from prompt_recycling.embeddings import load_vocab_table
    from prompt_recycling.pairs import similarity
    from prompt_recycling.transfer import select_for_pair

    src, tgt = model_info(source_json), model_info(target_json)
    source, target = load_vocab_table(src["location"]), load_vocab_table(tgt["location"])
    try:
        selection = select_for_pair(source, target, max_size, word_offset)
    except RecyclingError as exc:  # too few shared words for the largest size
        raise RecyclingError(
            f"config key 'grid.vocab_sizes': {src['name']} -> {tgt['name']}: {exc}"
        ) from None
    vs = source.embeddings[selection.source_ids]
    vt = target.embeddings[selection.target_ids]
    info = {
        "source": src["name"],
        "target": tgt["name"],
        "source_width": src["width"],
        "target_width": tgt["width"],
        "n_shared": selection.n_shared,
        "n_words": selection.n_filtered,
        "n_selected": len(selection.pieces),
        "same_ids": float(np.mean(selection.source_ids == selection.target_ids)),
        **similarity(vs, vt),
    }
    with atomic_path(output) as tmp:
        Path(tmp).write_text(json.dumps(info, indent=2) + "\n")
    print(info)
    return info
