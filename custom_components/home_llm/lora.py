"""Does a GGUF LoRA adapter fit a base model? Tensor names and shapes, read from both files' headers.

llama.cpp pairs `<base tensor>.lora_a` (ggml shape [n_in, rank]) with `.lora_b` ([rank, n_out]) and
adds B·A to the base tensor [n_in, n_out]. An adapter made for another model, or with a broken
rank, must be refused with a message that says why, before llama.cpp is asked to load it.
Blocks (file I/O): call it from an executor or the backend's worker thread.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

LORA_SUFFIXES = (".lora_a", ".lora_b")
GGUF_MAGIC = b"GGUF"
# GGUF value types: fixed-size scalars by code; 8 is a string, 9 an array.
_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9
_MAX_DIMS = 4  # GGML_MAX_DIMS


class LoraMismatch(ValueError):
    """The adapter does not fit the model; the message names the first tensors that do not."""


class _Header:
    """Reads a GGUF header front to back, never past the file's end, skipping values it does not need.

    gguf's GGUFReader parses every value (the model's 49k-token vocabulary too), which took 5 s of
    CPU per model on a 2-core machine; skipping them takes milliseconds."""

    def __init__(self, file: BinaryIO, size: int) -> None:
        self._file, self._left = file, size

    def _take(self, size: int) -> None:
        if size > self._left:
            raise ValueError(f"a header field of {size} bytes, {self._left} left in the file")
        self._left -= size

    def read(self, size: int) -> bytes:
        """`size` bytes."""
        self._take(size)
        return self._file.read(size)

    def skip(self, size: int) -> None:
        """Move past `size` bytes."""
        self._take(size)
        self._file.seek(size, os.SEEK_CUR)

    def u32(self) -> int:
        """A little-endian uint32."""
        return struct.unpack("<I", self.read(4))[0]

    def u64(self) -> int:
        """A little-endian uint64."""
        return struct.unpack("<Q", self.read(8))[0]

    def string(self) -> str:
        """A length-prefixed UTF-8 string."""
        return self.read(self.u64()).decode(errors="replace")

    def skip_value(self, kind: int, depth: int = 0) -> None:
        """Move past one metadata value of type `kind`."""
        if kind in _SCALAR_SIZES:
            self.skip(_SCALAR_SIZES[kind])
        elif kind == _STRING:
            self.skip(self.u64())
        elif kind == _ARRAY and depth < 2:
            item, count = self.u32(), self.u64()
            if item in _SCALAR_SIZES:
                self.skip(count * _SCALAR_SIZES[item])
            else:
                if count > self._left:  # each item takes a byte at least: a damaged count
                    raise ValueError(f"an array of {count} items, {self._left} bytes left in the file")
                for _ in range(count):
                    self.skip_value(item, depth + 1)
        else:
            raise ValueError(f"unknown metadata value type {kind}")


def _read(path: str | os.PathLike[str]) -> tuple[str | None, dict[str, tuple[int, ...]]]:
    """general.architecture and every tensor's ggml shape (ne0 first) of a GGUF file."""
    try:
        with open(path, "rb") as file:
            header = _Header(file, os.fstat(file.fileno()).st_size)
            if header.read(4) != GGUF_MAGIC:
                raise ValueError("no GGUF magic")
            header.u32()  # the version: what follows is laid out alike in versions 2 and 3
            n_tensors, n_kv = header.u64(), header.u64()
            arch = None
            for _ in range(n_kv):
                key, kind = header.string(), header.u32()
                if key == "general.architecture" and kind == _STRING:
                    arch = header.string()
                else:
                    header.skip_value(kind)
            tensors = {}
            for _ in range(n_tensors):
                name, n_dims = header.string(), header.u32()
                if n_dims > _MAX_DIMS:
                    raise ValueError(f"tensor {name} has {n_dims} dimensions")
                tensors[name] = tuple(header.u64() for _ in range(n_dims))
                header.skip(4 + 8)  # type, offset
    except (OSError, ValueError, struct.error) as err:
        raise LoraMismatch(f"{path} is not a readable GGUF file: {err}") from err
    return arch, tensors


def _problems(adapter: dict[str, tuple[int, ...]], model: dict[str, tuple[int, ...]]) -> list[str]:
    """Every way the adapter's tensors fail to fit the model's, one line each."""
    problems = []
    bases = {name.removesuffix(s) for name in adapter for s in LORA_SUFFIXES if name.endswith(s)}
    problems += [f"{name} is not a LoRA tensor" for name in adapter if not name.endswith(LORA_SUFFIXES)]
    for base in sorted(bases):
        a, b = adapter.get(base + ".lora_a"), adapter.get(base + ".lora_b")
        if a is None or b is None:
            problems.append(f"{base}: lora_a or lora_b is missing")
        elif base not in model:
            problems.append(f"{base}: the model has no such tensor")
        elif len(a) != 2 or len(b) != 2 or a[1] != b[0]:
            problems.append(f"{base}: lora_a {list(a)} and lora_b {list(b)} do not share a rank")
        elif (a[0], b[1]) != model[base][:2]:
            problems.append(f"{base}: adapter is for a [{a[0]}, {b[1]}] tensor, the model's is {list(model[base])}")
    return problems


def check_adapter(model_path: str | os.PathLike[str], adapter_path: str | os.PathLike[str]) -> int:
    """The number of tensors the adapter changes; LoraMismatch when it does not fit the model."""
    adapter_arch, adapter = _read(adapter_path)
    model_arch, model = _read(model_path)
    if not adapter:
        raise LoraMismatch(f"{adapter_path} holds no tensors")
    if adapter_arch and model_arch and adapter_arch != model_arch:
        raise LoraMismatch(f"{adapter_path} is for a {adapter_arch} model, {model_path} is {model_arch}")
    problems = _problems(adapter, model)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise LoraMismatch(f"{adapter_path} does not fit {model_path}: {'; '.join(problems[:3])}{more}")
    return len(adapter) // 2
