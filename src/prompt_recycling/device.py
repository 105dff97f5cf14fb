"""Device, precision and thread settings shared by training and evaluation."""

from __future__ import annotations

import contextlib
import os

import torch


def pick_device(device: str | None = None) -> torch.device:
    """``device`` if given, else CUDA when available, else CPU."""
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def set_threads(threads: int | None = None) -> None:
    """Use the cores a job was given (Snakemake ``threads``); else leave torch's default."""
    threads = threads or int(os.environ.get("PROMPT_RECYCLING_THREADS", "0") or 0)
    if threads > 0:
        torch.set_num_threads(threads)


def autocast(device: torch.device, bf16: bool):
    """bf16 autocast when asked for (on CUDA or CPU); a no-op context otherwise."""
    if not bf16:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
