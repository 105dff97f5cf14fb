"""Typed settings of the jobs, with their defaults read from the config schema (the one place
defaults live): the workflow fills a config's defaults from the same schema when it validates
it, the CLI's options default to these fields, and each object checks itself on construction
with a message that names the bad value. Torch-free.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import zlib
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from pathlib import Path

from prompt_recycling.errors import RecyclingError

SCHEMA_PATH = Path(__file__).with_name("config.schema.yaml")


@lru_cache(maxsize=1)
def schema() -> dict:
    import yaml

    return yaml.safe_load(SCHEMA_PATH.read_text())


def schema_node(*keys: str) -> dict:
    """The schema of a config block, e.g. ``schema_node("recycling", "v2v-nn")``."""
    node = schema()
    for key in keys:
        node = node["properties"][key]
    return node


def defaults(*keys: str) -> dict:
    """The schema's defaults of one block's keys; ``defaults("datasets", "*")``: of an entry."""
    node = schema_node(*keys[:-1])["additionalProperties"] if keys[-1:] == ("*",) else None
    node = node or schema_node(*keys)
    return {k: v["default"] for k, v in node["properties"].items() if "default" in v}


def choices(*keys: str) -> tuple:
    """The allowed values of an enumerated key (following a ``$ref`` to the definitions)."""
    node = schema_node(*keys[:-1])["properties"][keys[-1]]
    if "$ref" in node:
        node = schema()["definitions"][node["$ref"].rsplit("/", 1)[-1]]
    return tuple(node["enum"])


def template_problem(template: str) -> str | None:
    """Why ``template`` is not a usable input template, or None. A template places the text
    once as ``{text}`` and has no other field (the models fill it with ``str.format`` and split
    it at ``{text}``); literal braces are written ``{{ }}``."""
    import string

    try:
        fields = [f[1] for f in string.Formatter().parse(template) if f[1] is not None]
    except ValueError as exc:
        return f"{template!r} is not a format string ({exc}); write {{{{ }}}} for literal braces"
    if "text" not in fields:
        return f"{template!r} must contain {{text}} (where the text goes)"
    if fields != ["text"]:
        braces = "literal braces: {{ }}"
        return f"{template!r} must contain {{text}} once and no other field ({braces})"
    return None


def _named(cls_name: str, key: str, value, why: str) -> RecyclingError:
    return RecyclingError(f"{cls_name}.{key} = {value!r}: {why}")


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check(obj, positive=(), members=None, integers=()) -> None:
    """Integers (not 4.0, not True; None passes), positive finite numbers and enumerated values;
    the error names the field and its value."""
    name = type(obj).__name__
    for key in integers:
        value = getattr(obj, key)
        if value is not None and not _is_int(value):
            raise _named(name, key, value, "must be an integer")
    for key in positive:
        value = getattr(obj, key)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
            raise _named(name, key, value, "must be a positive number")
        if not math.isfinite(value):
            raise _named(name, key, value, "must be a finite number")
    for key, allowed in (members or {}).items():
        if getattr(obj, key) not in allowed:
            raise _named(name, key, getattr(obj, key), f"must be one of {list(allowed)}")


_MODEL = schema_node("models")["additionalProperties"]["properties"]
ARCHITECTURES = tuple(_MODEL["architecture"]["enum"])
PLACEMENTS = tuple(_MODEL["placement"]["enum"])
_TUNING = defaults("tuning")
_CHOSEN = ("init", "optimizer", "loss", "dropout", "vocab_sample")  # one of the schema's values
_EVALUATION = defaults("evaluation")
RANDOM_WORDS = "random-words"  # content-free inputs drawn from the model's own vocabulary
CONTENT_FREE_WHY = f"must be {RANDOM_WORDS!r} or a list of strings"
_MLP = defaults("recycling", "v2v-nn")
# Settings added after grids were run: while at their schema default they are left out of a
# job's params and a shared file's key (the job fills the default back in), so that a finished
# grid, which was made that way, does not rerun for them.
ADDED_LATER = {
    "tuning": tuple("loss init_range vocab_sample_size vocab_sample weight_decay dropout".split()),
    "v2v-nn": ("init", "loss"),
}


def without_added_later(block: str, values: dict) -> dict:
    """``values`` of the ``tuning`` block or a recycler's settings without the settings of
    :data:`ADDED_LATER` that are at their default."""
    default = _TUNING if block == "tuning" else _MLP if block == "v2v-nn" else {}
    later = ADDED_LATER.get(block, ())
    return {k: v for k, v in values.items() if not (k in later and v == default.get(k))}


PAPER_STEPS = (2000, 5000, 10000, 20000)  # the authors' checkpoints


@dataclass
class TuneConfig:
    """Prompt-tuning settings of one run (defaults: the schema's ``tuning`` block).

    ``init``: ``random-uniform`` = U(-init_range, init_range) (the T5 default);
    ``sampled-vocab`` = rows of the model's own English word pieces (the recyclers' filter),
    drawn from its ``vocab_sample_size`` most frequent ones (``vocab_sample: first-rows``: the
    table's first rows, as the authors); ``class-label`` = the labels' rows, then as sampled-vocab.
    ``optimizer``: ``adafactor`` = T5X's (no parameter scaling), ``adafactor-scaled`` = with
    the update scaled by the parameter's RMS, ``adam``.
    ``init_seed``: seed of the initial prompt (default ``seed``); the grid folds the model's name
    into it so that prompts of equal width on two models do not start from the same tensor.
    ``bf16``: autocast for training (the adapter's precision; part of the fingerprint).
    ``loss``: ``rank`` (cross-entropy over the labels' scores) or ``lm`` (the gold verbalizer's
    tokens, teacher-forced, over the whole vocabulary; LMs only). ``dropout``: False or ``model``.
    """

    prompt_length: int = _TUNING["prompt_length"]
    init: str = _TUNING["init"]
    optimizer: str = _TUNING["optimizer"]
    learning_rate: float = _TUNING["learning_rate"]
    batch_size: int = _TUNING["batch_size"]
    save_every: int = _TUNING["save_every"]  # resume-state period, in steps
    bf16: bool | str = _TUNING["bf16"]
    loss: str = _TUNING["loss"]
    steps: list[int] = field(default_factory=lambda: list(PAPER_STEPS))
    seed: int = 0
    init_seed: int | None = None
    init_range: float = _TUNING["init_range"]  # random-uniform: U(-r, r)
    vocab_sample_size: int = _TUNING["vocab_sample_size"]  # the most frequent word pieces
    vocab_sample: str = _TUNING["vocab_sample"]  # english-words or first-rows
    weight_decay: float = _TUNING["weight_decay"]
    dropout: bool | str = _TUNING["dropout"]

    def __post_init__(self) -> None:
        if not all(_is_int(s) for s in self.steps):
            raise _named("TuneConfig", "steps", self.steps, "must be integers")
        self.steps = [int(s) for s in self.steps]  # numpy integers too
        self.validate()

    def validate(self) -> None:
        counts = ("prompt_length", "batch_size", "save_every", "vocab_sample_size")
        _check(self, integers=(*counts, "seed", "init_seed"))
        _check(
            self,
            positive=counts,
            members={"bf16": (True, False, "auto"), **{k: choices("tuning", k) for k in _CHOSEN}},
        )
        _check(self, positive=("learning_rate", "init_range"))
        decay = self.weight_decay
        if (
            isinstance(decay, bool)
            or not isinstance(decay, numbers.Real)
            or not 0 <= decay < math.inf
        ):
            raise _named("TuneConfig", "weight_decay", decay, "must be a finite number >= 0")
        steps = self.steps
        if not steps or any(s < 0 for s in steps) or steps[-1] <= 0:
            raise _named("TuneConfig", "steps", steps, "must be >= 0 with a positive last one")
        if any(b <= a for a, b in zip(steps, steps[1:], strict=False)):
            raise _named("TuneConfig", "steps", steps, "must be strictly increasing")

    def fingerprint(self) -> str:
        """What a resume state must match: all but the save period (and, at their defaults,
        the settings added since: states saved before them stay valid)."""
        later = ("dropout", "vocab_sample")
        skip = {"save_every", *(k for k in later if getattr(self, k) == _TUNING[k])}
        keep = {k: v for k, v in asdict(self).items() if k not in skip}
        return hashlib.sha1(json.dumps(keep, sort_keys=True).encode()).hexdigest()


def fold_seed(seed: int, *names: str) -> int:
    """A stable 31-bit seed from ``seed`` and names (e.g. the model): crc32, not ``hash``."""
    return zlib.crc32("/".join([str(seed), *names]).encode()) & 0x7FFFFFFF


def run_seeds(seed: int, model: str | None = None) -> dict[str, int]:
    """``seed`` and ``init_seed`` of training run ``seed`` of the grid's model ``model``: the
    model's name is folded into the initial prompt's seed, so that prompts of equal width on
    two models do not start from one tensor (None: no folding; ``init_seed`` None = ``seed``)."""
    return {"seed": seed, "init_seed": fold_seed(seed, model) if model else None}


@dataclass(frozen=True)
class EvalConfig:
    """How evaluations score (defaults: the schema's ``evaluation`` block)."""

    split: str = _EVALUATION["split"]
    batch_size: int = _EVALUATION["batch_size"]
    max_length: int = _EVALUATION["max_length"]
    bf16: bool | str = _EVALUATION["bf16"]
    validation: bool = _EVALUATION["validation"]
    calibrate: bool = _EVALUATION["calibrate"]
    content_free: str | tuple[str, ...] = _EVALUATION["content_free"]

    def __post_init__(self) -> None:
        if not isinstance(self.content_free, str):
            object.__setattr__(self, "content_free", tuple(self.content_free))
        elif self.content_free != RANDOM_WORDS:
            raise _named("EvalConfig", "content_free", self.content_free, CONTENT_FREE_WHY)
        if self.calibrate and not self.content_free:
            raise RecyclingError("evaluation.calibrate needs at least one content_free input")
        _check(
            self,
            integers=("batch_size", "max_length"),
            positive=("batch_size", "max_length"),
            members={k: choices("evaluation", k) for k in ("split", "bf16")},
        )


@dataclass(frozen=True)
class ReaderConfig:
    """How one model reads one data set: its verbalizers (label order), the input template
    (data set's, else model's, else the architecture's default), the architecture (None =
    detected), the text budget in tokens (the prompt comes on top) and, for encoders, where the
    prompt goes (None = the encoder's default, :data:`models.encoder.DEFAULT_PLACEMENT`)."""

    labels: tuple[str, ...]
    max_length: int
    template: str | None = None
    architecture: str | None = None
    placement: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(self.labels))
        if len(self.labels) < 2 or len(set(self.labels)) != len(self.labels):
            raise _named("ReaderConfig", "labels", list(self.labels), "need 2+ distinct labels")
        _check(self, integers=("max_length",), positive=("max_length",))
        _check(
            self,
            members={"architecture": (None, *ARCHITECTURES), "placement": (None, *PLACEMENTS)},
        )
        problem = None if self.template is None else template_problem(self.template)
        if problem:
            raise RecyclingError(f"ReaderConfig.template: {problem}")


@dataclass
class MLPConfig:
    """Training settings of ``v2v-nn`` (defaults: the schema's ``recycling.v2v-nn`` block, the
    authors' released code)."""

    hidden_scale: int = _MLP["hidden_scale"]
    learning_rate: float = _MLP["learning_rate"]
    batch_size: int = _MLP["batch_size"]
    epochs: int = _MLP["epochs"]
    seed: int = _MLP["seed"]
    init: str = _MLP["init"]
    loss: str = _MLP["loss"]
    losses: list[float] = field(default_factory=list)  # mean training loss per epoch

    def __post_init__(self) -> None:
        counts = ("hidden_scale", "batch_size", "epochs")
        _check(
            self,
            integers=(*counts, "seed"),
            positive=(*counts, "learning_rate"),
            members={k: choices("recycling", "v2v-nn", k) for k in ("init", "loss")},
        )


def build(cls, values: dict | None, **extra):
    """``cls(**values, **extra)`` with an unknown key named in the error."""
    values = {**(values or {}), **extra}
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise RecyclingError(
            f"{cls.__name__}: unknown setting {unknown[0]!r}; known: {sorted(known)}"
        )
    return cls(**values)
