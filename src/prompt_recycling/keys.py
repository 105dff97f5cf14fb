"""Content keys of the shared resources: a short digest of exactly the settings a model's
description, a prepared data set or a fitted recycler is made from.

The key is part of the file's path (:mod:`prompt_recycling.paths`), so Snakemake sees every
change as a new file, never through metadata it may skip: a config that changes a model's
source, a data set's splits or a recycler's settings asks for new files, and the jobs that read
them rerun because their inputs changed; two configs that agree share one file. A ``path:``
source enters through the fingerprint of its content
(:func:`prompt_recycling.fingerprint.content_fingerprint`), so replacing the files in place is a
change too, while touching them is not.

What a key leaves out is what the resource does not depend on: a title (cosmetic), how a model
reads its inputs (template, length, placement, tuning: params of the jobs that read) and how a
data set is read by a model (its template). Torch-free.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from prompt_recycling import paths
from prompt_recycling.errors import RecyclingError
from prompt_recycling.wordlist import RULE

KEY_LENGTH = 10
MODEL_FETCH_KEYS = ("source", "convert", "architecture")  # what a model's description reads
DATA_READ_ONLY = ("title", "template")  # read by the jobs, not by preparing the splits


def digest(value) -> str:
    """A short sha256 of ``value`` as canonical JSON."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:KEY_LENGTH]


class Keys:
    """The keys of one config's shared resources, each computed once (a ``path:`` source is
    fingerprinted on first use: at planning time, only for what the grid asks for).

    Args:
        models: the config's ``models`` block; ``datasets``: its ``datasets`` block.
        recycling: the ``recycling`` block; ``word_offset``, ``held_out``: the grid's.
        fingerprints: the fingerprint cache file (``None``: no cache).
    """

    def __init__(
        self,
        models: dict,
        datasets: dict,
        recycling: dict,
        word_offset: int,
        held_out: int,
        fingerprints: str | None = paths.FINGERPRINTS,
    ):
        self._models, self._datasets, self._recycling = models, datasets, recycling
        self._fit = {"word_offset": word_offset, "held_out_words": held_out, "words": RULE}
        self._cache = fingerprints
        self.model = cache(self._model)
        self.data = cache(self._data)
        self.recycler = cache(self._recycler)

    def _source(self, source: dict, where: str) -> dict:
        if "path" not in source:
            return dict(source)
        from prompt_recycling.fingerprint import content_fingerprint

        try:
            content = content_fingerprint(source["path"], self._cache)
        except RecyclingError as exc:
            raise RecyclingError(f"config key '{where}.source.path': {exc}") from None
        return {**source, "content": content}

    def _model(self, name: str) -> str:
        """A model's key: its source (content, for a path), conversion and architecture, and
        those of the model it converts with."""
        spec = self._models[name]
        entry = {k: spec[k] for k in MODEL_FETCH_KEYS if k in spec}
        entry["source"] = self._source(spec["source"], f"models.{name}")
        reference = ((spec.get("convert") or {}).get("onnx-bert") or {}).get("reference")
        return digest({"model": entry, "reference": reference and self.model(reference)})

    def _data(self, name: str) -> str:
        """A data set's key: everything that makes its splits."""
        spec = self._datasets[name]
        entry = {k: v for k, v in spec.items() if k not in DATA_READ_ONLY}
        entry["source"] = self._source(spec["source"], f"datasets.{name}")
        return digest(entry)

    def settings(self, method: str) -> dict:
        """A recycler's settings with the schema's defaults filled in (writing a default out
        is no change), less those added later while at their default."""
        from prompt_recycling.settings import defaults, schema_node, without_added_later

        known = schema_node("recycling")["properties"]
        values = {
            **(defaults("recycling", method) if method in known else {}),
            **(self._recycling.get(method) or {}),
        }
        return without_added_later(method, values)

    def _recycler(self, source: str, target: str, method: str) -> str:
        """A fitted recycler's key (the size is in its file name): the two models, the method's
        settings and the word selection's offset, held-out count and rule for English words."""
        settings = self.settings(method)
        if "base" in settings:  # norm-match fits its base recycler first
            settings = {**settings, "base_settings": self.settings(settings["base"])}
        models = [self.model(source), self.model(target)]
        return digest({"models": models, "method": method, "settings": settings, **self._fit})
