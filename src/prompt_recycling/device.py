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
    flags = _cpuinfo().get("flags", "").split()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _cpuinfo() -> dict[str, str]:
    """The first CPU's ``model name`` and ``flags`` from ``/proc/cpuinfo`` (empty where there is
    no such file)."""
    try:
        with open("/proc/cpuinfo") as f:
            lines = [x for x in f if x.startswith(("model name", "flags"))][:2]
    except OSError:
        return {}
    return {k.strip(): v.strip() for k, _, v in (x.partition(":") for x in lines)}


def cpu_kind() -> str:
    """The CPU's model name and its widest vector and bf16 instruction sets (``/proc/cpuinfo``;
    else what ``platform`` says), for benchmark reports: speeds and fp32 rounding differ between
    kinds of CPU."""
    import platform

    info = _cpuinfo()
    name = info.get("model name") or platform.processor() or platform.machine()
    flags = info.get("flags", "").split()
    sets = [s for s in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if s in flags]
    return f"{name} ({', '.join(sets)})" if sets else name


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
