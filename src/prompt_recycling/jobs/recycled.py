"""The recycling job of one source run and pair: every evaluated cell (vocabulary size × step)
recycled by every method and scored on the target, and the identity control, with one model
load. A prompt scored before on the same target, examples and settings (another cell, an earlier
run of a grid that has since grown) is read back from :mod:`prompt_recycling.scorecache`."""

from __future__ import annotations

import numpy as np

from prompt_recycling.analysis.rows import rows_of, write_rows
from prompt_recycling.errors import RecyclingError
from prompt_recycling.jobs.common import model_info, precision
from prompt_recycling.jobs.scoring import accuracy_text, pair_coords, setup
from prompt_recycling.settings import EvalConfig, ReaderConfig

DUPLICATE_RTOL = 1e-5  # recycled prompts this close to another method's are the same prompt


def _same_prompt(a: np.ndarray, b: np.ndarray) -> bool:
    scale = max(float(np.abs(b).max()), 1e-12)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=0, atol=DUPLICATE_RTOL * scale))


def _cache(adapter, target_json, split_file, reader, evaluation):
    from dataclasses import asdict

    from prompt_recycling.fsutil import file_sha256
    from prompt_recycling.scorecache import ScoreCache, context

    key = context(
        model_info(target_json),
        file_sha256(split_file),
        asdict(reader),
        asdict(evaluation),
        precision(adapter),
        adapter,
    )
    return ScoreCache(key)


def evaluate_run(
    *,
    dataset: str,
    seed: int,
    source_json: str,
    target_json: str,
    split_file: str,
    reader: ReaderConfig,
    evaluation: EvalConfig,
    word_offset: int,
    cells: list[dict],
    identity: dict[int, str],
    identity_table: str,
    threads: int | None = None,
    init: str = "",
) -> None:
    """Score one source run (``seed``; ``init``: its value of the init axis, empty without
    one) recycled onto the target, and as it is.

    ``cells``: per evaluated cell ``{"size", "step", "prompt"`` (the source checkpoint),
    ``"recyclers"`` (``{method: fitted recycler file}``), ``"recycled"`` (``{method: where the
    recycled prompt goes}``), ``"table"}``. A recycled prompt numerically equal to one scored
    before in its cell (lin-comb and v2v-lin) reuses that prompt's predictions and names it in
    ``same_as``. ``identity``: ``{step: source checkpoint}`` scored on the target as they are
    when the widths agree (otherwise ``identity_table`` gets no rows).
    """
    import torch

    from prompt_recycling.prompt_io import read_prompt

    adapter, data, run = setup(
        model_json=target_json, split_file=split_file, reader=reader, ev=evaluation, threads=threads
    )
    cache = _cache(adapter, target_json, split_file, reader, evaluation)

    def scored(prompt: np.ndarray) -> dict:
        return cache.results(prompt, lambda p: run(data, torch.from_numpy(p)))

    coords = pair_coords(
        dataset=dataset,
        seed=seed,
        source_json=source_json,
        target_json=target_json,
        adapter=adapter,
        evaluation=evaluation,
    ) | {"init": init}
    from prompt_recycling.diagnostics import unit_rows

    units = unit_rows(adapter.embedding_table.detach().float().cpu().numpy())
    recyclers: dict[str, object] = {}  # fitted recyclers by file, loaded once
    for cell in cells:
        rows = _cell(cell, coords, scored, units, data.labels, word_offset, recyclers)
        write_rows(rows, cell["table"])
    rows = []
    if model_info(source_json)["width"] != model_info(target_json)["width"]:
        print("widths differ: no identity control for this pair")
    else:
        for step, prompt in identity.items():
            results = scored(read_prompt(prompt))
            rows += rows_of(
                results, data.labels, **coords, condition="identity", step=step, prompt=prompt
            )
            print(f"identity step={step}: {accuracy_text(results)}")
    write_rows(rows, identity_table)
    print(f"scores: {cache.misses} prompts scored, {cache.hits} read back from {cache.folder}")


def _cell(cell, coords, scored, units, gold, word_offset, loaded) -> list[dict]:
    """The rows of one cell: its checkpoint through every method's recycler."""
    from prompt_recycling.diagnostics import prompt_features
    from prompt_recycling.prompt_io import read_prompt, write_prompt
    from prompt_recycling.recyclers import load_recycler

    if sorted(cell["recyclers"]) != sorted(cell["recycled"]):
        raise RecyclingError(
            f"recyclers {sorted(cell['recyclers'])} and outputs {sorted(cell['recycled'])} differ"
        )
    size, step, source_prompt = cell["size"], cell["step"], read_prompt(cell["prompt"])
    done: list[tuple[str, np.ndarray, dict]] = []  # (method, prompt, results) of the cell
    rows = []
    for method, file in cell["recyclers"].items():
        if file not in loaded:
            loaded[file] = load_recycler(file)
        rec = loaded[file]
        if not rec.diagnostics:
            raise RecyclingError(
                f"{file} carries no diagnostics (fitted by an older version): refit it with "
                f"`snakemake --forcerun {file}`"
            )
        prompt_out = rec(source_prompt)
        write_prompt(prompt_out, cell["recycled"][method])
        same = next((m for m, p, _ in done if _same_prompt(prompt_out, p)), "")
        results = next(r for m, _, r in done if m == same) if same else scored(prompt_out)
        if not same:
            done.append((method, prompt_out, results))
        features = prompt_features(source_prompt, prompt_out, rec.diagnostics, units, step)
        rows += rows_of(
            results,
            gold,
            **coords,
            condition="recycled",
            method=method,
            vocab_size=size,
            word_offset=word_offset,
            step=step,
            same_as=same,
            prompt=cell["recycled"][method],
            features=features,
        )
        print(
            f"{method} n={size} step={step}: {accuracy_text(results)}"
            + (f" (same prompt as {same})" if same else "")
        )
    return rows
