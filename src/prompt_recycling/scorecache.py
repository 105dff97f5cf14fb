"""Scores of a prompt, kept by content: a job that scores a prompt already scored on the same
target, examples and settings reads the result back instead of scoring again.

One job scores every cell of a source run's recycling (:func:`prompt_recycling.jobs.recycled.
evaluate_run`), so a grid grown by a word count or a step reruns that job; the cache makes the
rerun score only the new prompts. It lives outside every declared output (Snakemake deletes those
before a job runs), under ``resources/scores/<context>/<prompt>.json``:

- ``context``: a digest of everything a result depends on besides the prompt: the target's files
  (the sha256 of each, from its description), the examples' split (its sha256), the reader
  (verbalizers, template, text budget, placement), the evaluation settings (batch size,
  precision as resolved on this machine, calibration and its content-free inputs) and the source
  of the scoring code (:mod:`prompt_recycling.evaluate` and the adapter's classes);
- ``prompt``: the sha256 of the prompt's shape, dtype and bytes.

An entry is written atomically once its result is complete, so it is whole or absent; an entry
that cannot be read is scored again and replaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
from pathlib import Path

import numpy as np

from prompt_recycling import paths
from prompt_recycling.fsutil import atomic_path, code_digest


def _sha256(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def scoring_code(adapter) -> str:
    """The source of the evaluation module and of the adapter's classes."""
    from prompt_recycling import evaluate

    return code_digest([inspect.getfile(evaluate)], type(adapter).__mro__)


def context(model: dict, split_sha256: str, reader, evaluation, precision: str, adapter) -> str:
    """The digest of what a result depends on besides the prompt (see the module)."""
    files = {k: v.get("sha256") for k, v in (model.get("files") or {}).items()}
    return _sha256(
        {
            "model": files or model.get("location"),
            "split": split_sha256,
            "reader": reader,
            "evaluation": evaluation,
            "precision": precision,
            "code": scoring_code(adapter),
        }
    )[:20]


def prompt_digest(prompt: np.ndarray) -> str:
    prompt = np.ascontiguousarray(prompt)
    h = hashlib.sha256(f"{prompt.shape}{prompt.dtype}".encode())
    h.update(prompt.tobytes())
    return h.hexdigest()[:32]


def _encode(results: dict[bool, dict]) -> dict:
    out = {}
    for calibrated, r in results.items():
        out["calibrated" if calibrated else "raw"] = {
            **r,
            "predictions": np.asarray(r["predictions"]).tolist(),
        }
    return out


def _decode(data: dict) -> dict[bool, dict]:
    return {
        key == "calibrated": {**r, "predictions": np.asarray(r["predictions"], dtype=np.int64)}
        for key, r in data.items()
    }


class ScoreCache:
    """``cache.results(prompt, score)``: the cached results of ``prompt`` under ``context``, or
    ``score(prompt)``'s, stored. ``hits`` / ``misses`` count this job's look-ups."""

    def __init__(self, context_digest: str):
        self.folder = Path(paths.score_cache(context_digest))
        self.hits = self.misses = 0

    def results(self, prompt: np.ndarray, score) -> dict[bool, dict]:
        file = self.folder / f"{prompt_digest(prompt)}.json"
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            found = _decode(json.loads(file.read_text()))
            self.hits += 1
            return found
        self.misses += 1
        results = score(prompt)
        self.folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(file) as tmp:
            tmp.write_text(json.dumps(_encode(results)))
        return results
