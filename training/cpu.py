"""What the training CPU can do: its bf16 instructions and its name (pure, no torch)."""

from __future__ import annotations

import platform
from pathlib import Path


def cpu_bf16_flags(cpuinfo: str | None = None) -> list[str]:
    """The CPU's bf16 matrix instructions (amx_bf16, avx512_bf16) from /proc/cpuinfo; [] where it has none."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:  # not Linux: no way to tell, so the safe float32
            return []
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines() if line.startswith("flags")), [])
    return sorted(set(flags) & {"amx_bf16", "avx512_bf16"})


def cpu_name() -> str:
    """The CPU's model name (lscpu's), for the recipe: tokens/s mean little without it."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "cpu"
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "cpu")
