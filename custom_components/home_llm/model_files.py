"""GGUF model files: header checks, local discovery and Hugging Face downloads.

Everything here blocks (file and network I/O): call it from an executor.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

GGUF_MAGIC = b"GGUF"
SUPPORTED_GGUF_VERSIONS = (2, 3)
DOWNLOAD_CHUNK = 1 << 20
DOWNLOAD_RETRIES = 5  # reconnections (each resuming where the last one stopped) before giving up
RETRY_DELAY = 1.0  # seconds between reconnections
PART_SUFFIX = ".part"

# A quant name in a file name: "Home-3B-v3.q4_k_m.gguf", "model-Q6_K.gguf", "model.f16.gguf".
_QUANT_IN_NAME = re.compile(r"(?<![A-Za-z0-9])(I?Q\d(?:_[A-Za-z0-9]+)*|BF16|F16|F32)(?![A-Za-z0-9])", re.IGNORECASE)


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
    gguf_type: str | None = None  # general.type: "model", or "adapter" for a LoRA


@dataclass(frozen=True, slots=True)
class HubFile:
    """A .gguf file in a Hugging Face repository, as the hub lists it."""

    filename: str
    size: int
    sha256: str | None
    quant: str | None


# GGUF value types (gguf's GGUFValueType): fixed-size scalars, strings and arrays.
_SCALAR_FORMATS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
# The metadata read; everything else (the tokenizer's vocabulary above all) is skipped unread,
# which makes reading a header take milliseconds instead of seconds.
_WANTED_KEYS = {
    "general.architecture",
    "general.name",
    "general.file_type",
    "general.type",
    "general.alignment",
    "tokenizer.chat_template",
}


class _HeaderReader:
    """Reads a GGUF header sequentially; a short read means the file is cut."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file

    def read(self, size: int) -> bytes:
        data = self._file.read(size)
        if len(data) < size:
            raise EOFError("the header ends early")
        return data

    def scalar(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        return self.read(self.scalar("<Q")).decode("utf-8", errors="replace")

    def value(self, value_type: int, keep: bool) -> Any:
        if value_type in _SCALAR_FORMATS:
            return self.scalar(_SCALAR_FORMATS[value_type])
        if value_type == _STRING:
            if keep:
                return self.string()
            self._file.seek(self.scalar("<Q"), os.SEEK_CUR)
            return None
        if value_type == _ARRAY:
            item_type, count = self.scalar("<I"), self.scalar("<Q")
            if item_type in _SCALAR_FORMATS:
                self._file.seek(count * struct.calcsize(_SCALAR_FORMATS[item_type]), os.SEEK_CUR)
            else:
                for _ in range(count):
                    self.value(item_type, keep=False)
            return None
        raise ValueError(f"unknown metadata value type {value_type}")


def _read_header(file: BinaryIO) -> tuple[dict[str, Any], int]:
    """The wanted metadata, and the offset where the last tensor's data ends."""
    from gguf import GGML_QUANT_SIZES, GGUF_DEFAULT_ALIGNMENT, GGMLQuantizationType  # noqa: PLC0415

    header = _HeaderReader(file)
    header.read(8)  # magic and version, checked by the caller
    tensor_count, kv_count = header.scalar("<Q"), header.scalar("<Q")
    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = header.string()
        keep = key in _WANTED_KEYS or key.endswith(".context_length")
        value = header.value(header.scalar("<I"), keep)
        if keep:
            metadata[key] = value
    if not tensor_count:
        raise ValueError("no tensors")
    tensors_end = 0
    for _ in range(tensor_count):
        header.string()  # name
        dims = [header.scalar("<Q") for _ in range(header.scalar("<I"))]
        tensor_type, offset = header.scalar("<I"), header.scalar("<Q")
        block_size, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(tensor_type)]
        elements = 1
        for dim in dims:
            elements *= dim
        tensors_end = max(tensors_end, offset + elements * type_size // block_size)
    alignment = metadata.get("general.alignment") or GGUF_DEFAULT_ALIGNMENT
    data_start = -(-file.tell() // alignment) * alignment
    return metadata, data_start + tensors_end


def read_model_info(path: str | os.PathLike[str]) -> ModelInfo:
    """Check that `path` is a complete GGUF file and return what its header says.

    Raises ModelFileError with key model_not_found, model_not_gguf, model_bad_version,
    model_truncated or model_bad_metadata.
    """
    path = str(Path(path).expanduser().resolve())
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
        file.seek(0)
        try:
            metadata, data_end = _read_header(file)
        except (EOFError, ValueError, KeyError, struct.error) as err:
            raise ModelFileError("model_truncated", path, str(err)) from err
    if data_end > size:
        raise ModelFileError("model_truncated", path, f"tensor data ends at {data_end}, file has {size} bytes")

    architecture = metadata.get("general.architecture")
    if not isinstance(architecture, str) or not architecture:
        raise ModelFileError("model_bad_metadata", path, "general.architecture is missing")
    context_length = metadata.get(f"{architecture}.context_length")
    return ModelInfo(
        path=path,
        size=size,
        architecture=architecture,
        name=_text(metadata.get("general.name")),
        context_length=context_length if isinstance(context_length, int) else None,
        chat_template=_text(metadata.get("tokenizer.chat_template")),
        quant=_quant_name(metadata.get("general.file_type")),
        gguf_type=_text(metadata.get("general.type")),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _quant_name(file_type: Any) -> str | None:
    """general.file_type as a quant name: 15 -> "Q4_K_M"."""
    from gguf import LlamaFileType  # noqa: PLC0415

    try:
        return LlamaFileType(file_type).name.removeprefix("MOSTLY_").replace("ALL_", "")
    except ValueError:
        return None


def read_lora_adapter(path: str | os.PathLike[str]) -> ModelInfo:
    """Check that `path` is a GGUF LoRA adapter (general.type == "adapter")."""
    info = read_model_info(path)
    if info.gguf_type != "adapter":
        raise ModelFileError("lora_not_adapter", info.path, info.gguf_type or "no general.type")
    return info


def quant_from_filename(filename: str) -> str | None:
    """The quant a file name states ("q4_k_m" -> "Q4_K_M"), or None."""
    matches = _QUANT_IN_NAME.findall(Path(filename).name.removesuffix(".gguf"))
    return matches[-1].upper() if matches else None


def find_local_models(models_dir: str | os.PathLike[str]) -> list[ModelInfo]:
    """The usable .gguf models (not LoRA adapters) in `models_dir`, by name; broken files are skipped."""
    folder = Path(models_dir)
    if not folder.is_dir():
        return []
    models = []
    for path in sorted(folder.glob("*.gguf")):
        try:
            info = read_model_info(path)
        except ModelFileError:
            continue
        if info.gguf_type != "adapter":
            models.append(info)
    return models


def hub_endpoint() -> str:
    """The hub's address; HF_ENDPOINT (a mirror, or a test server) is read at each call."""
    from huggingface_hub import constants  # noqa: PLC0415

    return os.environ.get("HF_ENDPOINT", constants.ENDPOINT).rstrip("/")


def list_hub_files(repo_id: str, revision: str | None = None) -> list[HubFile]:
    """The .gguf files of a model repository with their sizes and checksums.

    Raises ModelFileError with key hub_repo_not_found, hub_unreachable or hub_no_gguf.
    """
    from huggingface_hub import HfApi  # noqa: PLC0415
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError  # noqa: PLC0415
    from requests import RequestException  # noqa: PLC0415

    try:
        info = HfApi(endpoint=hub_endpoint()).model_info(repo_id, revision=revision, files_metadata=True, timeout=30)
    except RepositoryNotFoundError as err:
        raise ModelFileError("hub_repo_not_found", repo_id) from err
    except (HfHubHTTPError, RequestException, ValueError) as err:
        # ValueError: a repository id that is not "owner/name".
        raise ModelFileError("hub_unreachable", repo_id, str(err).splitlines()[0]) from err
    files = [
        HubFile(
            filename=sibling.rfilename,
            size=int(sibling.size or 0),
            sha256=sibling.lfs.sha256 if sibling.lfs else None,
            quant=quant_from_filename(sibling.rfilename),
        )
        for sibling in info.siblings or []
        if sibling.rfilename.lower().endswith(".gguf")
    ]
    if not files:
        raise ModelFileError("hub_no_gguf", repo_id)
    return sorted(files, key=lambda file: file.size)


ProgressCallback = Callable[[int, int], None]  # (bytes on disk, total bytes)


def download_target(models_dir: str | os.PathLike[str], file: HubFile) -> str:
    """Where `file` is saved: in the models folder, without the repository's sub-folders."""
    return str((Path(models_dir) / Path(file.filename).name).resolve())


def download_hub_file(
    repo_id: str,
    file: HubFile,
    models_dir: str | os.PathLike[str],
    *,
    cancel: threading.Event,
    on_progress: ProgressCallback | None = None,
    revision: str | None = None,
) -> str:
    """Download `file` into `models_dir` and return its path.

    The bytes go to `<name>.part`, which is renamed only once complete and matching the hub's
    sha256. A dropped connection resumes from the bytes already received; any failure, and a
    `cancel` from the caller, removes the partial file. Raises ModelFileError with key
    download_no_space, download_failed, download_checksum or download_cancelled.
    """
    folder = Path(models_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = Path(download_target(folder, file))
    part = target.with_name(target.name + PART_SUFFIX)
    if target.is_file() and target.stat().st_size == file.size:
        return str(target)  # downloaded before: only renamed once its checksum matched
    have = part.stat().st_size if part.exists() else 0  # left by a Home Assistant that stopped mid-download
    free = shutil.disk_usage(folder).free
    if file.size - have > free:
        raise ModelFileError(
            "download_no_space", str(folder), f"{describe_size(file.size - have)} needed, {describe_size(free)} free"
        )
    from huggingface_hub import hf_hub_url  # noqa: PLC0415

    url = hf_hub_url(repo_id, file.filename, revision=revision, endpoint=hub_endpoint())
    try:
        _fetch(url, part, file.size, cancel, on_progress)
        _verify(part, file)
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return str(target)


def _fetch(url: str, part: Path, size: int, cancel: threading.Event, on_progress: ProgressCallback | None) -> None:
    """Stream `url` into `part`, reconnecting with a Range request after a dropped connection."""
    from huggingface_hub.errors import HfHubHTTPError  # noqa: PLC0415
    from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status  # noqa: PLC0415
    from requests import RequestException  # noqa: PLC0415

    failures = 0
    while True:
        have = part.stat().st_size if part.exists() else 0
        if size and have >= size:
            return
        headers = build_hf_headers()
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            with get_session().get(url, headers=headers, stream=True, timeout=30) as response:
                hf_raise_for_status(response)
                if have and response.status_code != 206:
                    have = 0  # the server ignored the range: start again
                with open(part, "ab" if have else "wb") as out:
                    for chunk in response.iter_content(DOWNLOAD_CHUNK):
                        if cancel.is_set():
                            raise ModelFileError("download_cancelled", url)
                        out.write(chunk)
                        have += len(chunk)
                        failures = 0  # progress was made: the retry budget starts again
                        if on_progress is not None:
                            on_progress(have, size)
            if not size or have >= size:
                return
            error: Exception = ConnectionError(f"connection closed after {have} of {size} bytes")
        except HfHubHTTPError as err:
            raise ModelFileError("download_failed", url, str(err).splitlines()[0]) from err
        except RequestException as err:
            error = err
        failures += 1
        if failures > DOWNLOAD_RETRIES:
            raise ModelFileError("download_failed", url, str(error))
        if cancel.wait(RETRY_DELAY):
            raise ModelFileError("download_cancelled", url)


def _verify(part: Path, file: HubFile) -> None:
    size = part.stat().st_size
    if file.size and size != file.size:
        raise ModelFileError("download_failed", file.filename, f"got {size} bytes, expected {file.size}")
    if file.sha256 is None:
        return
    digest = hashlib.sha256()
    with open(part, "rb") as data:
        while chunk := data.read(DOWNLOAD_CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != file.sha256.lower():
        raise ModelFileError("download_checksum", file.filename, f"sha256 {digest.hexdigest()}, hub says {file.sha256}")


def describe_size(size: int) -> str:
    """A size for people: 98.0 MB, 1.7 GB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"
