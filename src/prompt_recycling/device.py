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


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 natively: a CUDA GPU that supports it, or a CPU with
    AVX-512 BF16 or AMX instructions (elsewhere bf16 is emulated and slower than fp32)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_bf16(setting, device: torch.device) -> bool:
    """``True`` / ``False`` as given; ``"auto"``: bf16 where the device computes it natively."""
    if setting == "auto":
        return native_bf16(device)
    if not isinstance(setting, bool):
        raise ValueError(f"bf16 must be true, false or 'auto', got {setting!r}")
    return setting


def autocast(device: torch.device, bf16: bool):
    """bf16 autocast when asked for (on CUDA or CPU); a no-op context otherwise."""
    if not bf16:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
