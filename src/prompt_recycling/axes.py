"""The grid's axes as the config gives them, checked: repeats, pairs against the models,
steps and validation steps in order, vocabulary sizes. Each error names its config key.
Torch-free (part of the plan)."""

from __future__ import annotations

import itertools

from prompt_recycling.errors import ConfigKeyError


def key_error(key: str, message: str) -> ConfigKeyError:
    return ConfigKeyError(key, message)


def no_repeats(key: str, values) -> None:
    """A repeated grid value would name the same output twice (or silently count once)."""
    seen = set()
    for v in values:
        v = tuple(v) if isinstance(v, list) else v
        if v in seen:
            shown = list(v) if isinstance(v, tuple) else v
            raise key_error(key, f"{shown!r} is listed twice")
        seen.add(v)


def pairs(raw, models: tuple, defined: set) -> tuple[tuple[str, str], ...]:
    """``grid.pairs`` checked against ``grid.models``; ``None`` = every ordered pair."""
    if raw is None:
        pairs = tuple(itertools.permutations(models, 2))
    else:
        pairs = []
        for pair in raw:
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise key_error("grid.pairs", f"each pair is [source, target], got {pair!r}")
            for m in pair:
                if m not in defined:
                    raise key_error("grid.pairs", f"model {m!r} is not defined under models")
                if m not in models:
                    raise key_error("grid.pairs", f"model {m!r} is not in grid.models")
            if pair[0] == pair[1]:
                raise key_error("grid.pairs", f"pair {list(pair)} recycles a model to itself")
            pairs.append((pair[0], pair[1]))
        pairs = tuple(pairs)
        no_repeats("grid.pairs", pairs)
        unpaired = [m for m in models if not any(m in p for p in pairs)]
        if unpaired:
            raise key_error("grid.models", f"{unpaired[0]!r} is in no pair of grid.pairs")
    if not pairs:
        raise key_error("grid.pairs", "the grid has no model pair")
    return pairs


def defined(config: dict, section: str, key: str, names, noun: str) -> tuple:
    names = tuple(names or ())
    for n in names:
        if n not in (config.get(section) or {}):
            raise key_error(key, f"{noun} {n!r} is not defined under {section}")
    no_repeats(key, names)
    return names


def steps(steps) -> tuple[int, ...]:
    steps = tuple(steps or ())
    if not steps or any(not isinstance(s, int) or s < 0 for s in steps) or steps[-1] <= 0:
        raise key_error(
            "grid.steps", f"must be integers >= 0 with a positive last one, got {list(steps)}"
        )
    if any(b <= a for a, b in itertools.pairwise(steps)):
        raise key_error("grid.steps", f"must be strictly increasing, got {list(steps)}")
    return steps


def validation_steps(raw, steps: tuple[int, ...]) -> tuple[int, ...]:
    """``grid.validation_steps``: increasing, all after the last recycled step."""
    extra = tuple(raw or ())
    if any(not isinstance(s, int) or s <= steps[-1] for s in extra):
        raise key_error(
            "grid.validation_steps",
            f"must be integers after the last of grid.steps ({steps[-1]}), got {list(extra)}",
        )
    if any(b <= a for a, b in itertools.pairwise(extra)):
        raise key_error("grid.validation_steps", f"must be strictly increasing, got {list(extra)}")
    return extra


def sizes(g: dict) -> tuple[tuple[int, ...], int]:
    sizes = tuple(g.get("vocab_sizes") or ())
    if not sizes or any(not isinstance(s, int) or s <= 0 for s in sizes):
        raise key_error("grid.vocab_sizes", f"must be positive integers, got {list(sizes)}")
    no_repeats("grid.vocab_sizes", sizes)
    default = g.get("default_vocab_size", max(sizes))
    if default not in sizes:
        raise key_error("grid.default_vocab_size", f"{default} is not in vocab_sizes")
    return tuple(sorted(sizes)), default
