"""The command line's inputs: argument types (a bad value is an argparse error naming the
flag) and the checks of paths before anything is read or written (library exceptions for
unreadable input become one-line messages in :func:`prompt_recycling.errors.bad_input_message`)."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
from pathlib import Path

from prompt_recycling.errors import RecyclingError, bad_input_message
from prompt_recycling.settings import template_problem

# --- argument types: a bad value is an argparse error naming the flag -------------------------


def int_at_least(low: int, high: int | None = None):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bound = f">= {low}" if high is None else f"in [{low}, {high}]"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    return parse


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def steps_list(text: str) -> list[int]:
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None


def template_arg(text: str) -> str:
    """A usable input template (:func:`prompt_recycling.settings.template_problem`), checked
    before a model loads."""
    problem = template_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def device_arg(text: str) -> str:
    """A torch device that exists here: asking for CUDA on a machine without it fails now,
    not after the model has been read."""
    import torch

    try:
        device = torch.device(text)
    except (RuntimeError, ValueError):
        raise argparse.ArgumentTypeError(
            f"unknown device {text!r} (e.g. cpu, cuda, cuda:1)"
        ) from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise argparse.ArgumentTypeError(f"{text!r}: CUDA is not available on this machine")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise argparse.ArgumentTypeError(
                f"{text!r}: this machine has {torch.cuda.device_count()} CUDA device(s)"
            )
    elif device.type == "mps":
        if not torch.backends.mps.is_available():
            raise argparse.ArgumentTypeError(f"{text!r}: MPS is not available on this machine")
    elif device.type != "cpu":
        raise argparse.ArgumentTypeError(f"device type {device.type!r} is not supported")
    return text


SEED = int_at_least(0, 2**31 - 1)  # the batch order multiplies it; torch takes 64 bits


# --- checks of paths, before anything is read or written ------------------------------------


def check_input(flag: str, path: str, kind: str = "file") -> None:
    """Fail, naming ``flag``, unless ``path`` is a readable file, folder (or ``any``)."""
    p = Path(path)
    if not p.exists():
        raise RecyclingError(f"{flag} {path} does not exist")
    if kind == "file" and p.is_dir():
        raise RecyclingError(f"{flag} {path} is a folder, not a file")
    if kind == "folder" and not p.is_dir():
        raise RecyclingError(f"{flag} {path} is a file, not a folder")
    if not os.access(p, os.R_OK | (os.X_OK if p.is_dir() else 0)):
        raise RecyclingError(f"{flag} {path} is not readable (permission denied)")


def check_model(flag: str, model: str) -> None:
    """A local model must be a folder with a ``config.json``; anything else is a Hub id,
    resolved later (as :func:`prompt_recycling.embeddings.resolve_model_dir` does)."""
    if not (Path(model).exists() or model.startswith((".", "/"))):
        return
    check_input(flag, model, "folder")
    if not (Path(model) / "config.json").is_file():
        raise RecyclingError(f"{flag} {model} holds no config.json (not a transformers model)")


def check_output_dir(flag: str, path: str) -> None:
    """An output folder may be missing (it is made), but not a file, nor under a file, nor in a
    folder we cannot write."""
    p = Path(path).absolute()
    if p.exists() and not p.is_dir():
        raise RecyclingError(f"{flag} {path} is a file, not a folder")
    first = next(a for a in (p, *p.parents) if a.exists())  # the root always exists
    if not first.is_dir():
        raise RecyclingError(f"{flag} {path}: {first} is a file, not a folder")
    if not os.access(first, os.W_OK | os.X_OK):
        raise RecyclingError(f"{flag} {path}: {first} is not writable (permission denied)")


def prepared_labels(data: str) -> tuple[Path, list[str]] | None:
    """The label names of a split made by prepare-data, whose ``manifest.json`` beside it lists
    the split and the names its integer labels index; None for any other file."""
    import json

    for where in dict.fromkeys((Path(os.path.abspath(data)), Path(data).resolve())):
        manifest = where.parent / "manifest.json"
        try:
            content = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(content, dict):
            continue
        names, splits = content.get("labels"), content.get("splits")
        if isinstance(names, list) and isinstance(splits, dict) and where.stem in splits:
            return manifest, [str(n) for n in names]
    return None


def check_labels(data: str, labels: list[str]) -> None:
    """``--labels`` must be a prepared split's own label names, in their order: its integer
    labels index that list, so another order would swap the classes."""
    known = prepared_labels(data)
    if known is not None and known[1] != labels:
        manifest, names = known
        raise RecyclingError(
            f"--labels {','.join(labels)} differ from the labels {','.join(names)} of the "
            f"prepared split --data {data} ({manifest}), which its integer labels index; give "
            f"--labels {','.join(names)}"
        )


# --- errors -------------------------------------------------------------------------------------


@contextlib.contextmanager
def about(flag: str, path: str):
    """Name the flag and path in a bad-input error raised while reading that input."""
    try:
        yield
    except RecyclingError:
        raise
    except Exception as exc:
        message = bad_input_message(exc)
        if message is None:
            raise
        message = message.removeprefix(f"{path}: ")  # said once is enough
        raise RecyclingError(f"{flag} {path}: {message}") from None
