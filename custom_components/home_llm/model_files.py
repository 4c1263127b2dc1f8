"""GGUF model files: read and check a file's header and metadata (blocking; run in an executor)."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

GGUF_MAGIC = b"GGUF"
SUPPORTED_GGUF_VERSIONS = (2, 3)


class ModelFileError(Exception):
    """A model file that cannot be used. `key` names the translated message."""

    def __init__(self, key: str, path: str, detail: str = "") -> None:
        super().__init__(f"{key}: {path}{': ' + detail if detail else ''}")
        self.key = key
        self.path = path
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ModelInfo:
    path: str
    size: int
    architecture: str | None
    name: str | None
    context_length: int | None
    chat_template: str | None
    quant: str | None


def _field(reader: object, key: str) -> object:
    field = reader.get_field(key)  # type: ignore[attr-defined]
    if field is None:
        return None
    try:
        return field.contents()
    except (ValueError, IndexError, UnicodeDecodeError):
        return None


def read_model_info(path: str | os.PathLike[str]) -> ModelInfo:
    """Check that `path` is a complete GGUF file and return what its header says.

    Raises ModelFileError with key model_not_found, model_not_gguf, model_bad_version or
    model_truncated.
    """
    path = str(Path(path).expanduser())
    if not os.path.isfile(path):
        raise ModelFileError("model_not_found", path)
    size = os.path.getsize(path)
    with open(path, "rb") as file:
        head = file.read(8)
    if len(head) < 8 or head[:4] != GGUF_MAGIC:
        raise ModelFileError("model_not_gguf", path)
    (version,) = struct.unpack("<I", head[4:8])
    if version not in SUPPORTED_GGUF_VERSIONS:
        raise ModelFileError("model_bad_version", path, str(version))

    from gguf import GGUFReader, LlamaFileType  # noqa: PLC0415 - numpy-heavy, executor only

    try:
        reader = GGUFReader(path)
    except (ValueError, KeyError, IndexError, OverflowError, TypeError) as err:
        raise ModelFileError("model_truncated", path, str(err)) from err
    data_end = max((t.data_offset + int(t.n_bytes) for t in reader.tensors), default=reader.data_offset)
    if not reader.tensors or data_end > size:
        raise ModelFileError("model_truncated", path, f"tensor data ends at {data_end}, file has {size} bytes")

    architecture = _field(reader, "general.architecture")
    context_length = _field(reader, f"{architecture}.context_length") if architecture else None
    file_type = _field(reader, "general.file_type")
    quant = None
    if isinstance(file_type, int):
        try:
            quant = LlamaFileType(file_type).name.removeprefix("MOSTLY_").replace("ALL_", "")
        except ValueError:
            quant = None
    template = _field(reader, "tokenizer.chat_template")
    name = _field(reader, "general.name")
    return ModelInfo(
        path=path,
        size=size,
        architecture=architecture if isinstance(architecture, str) else None,
        name=name if isinstance(name, str) else None,
        context_length=int(context_length) if isinstance(context_length, int) else None,
        chat_template=template if isinstance(template, str) else None,
        quant=quant,
    )
