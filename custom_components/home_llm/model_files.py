"""GGUF model files: header checks, local discovery and Hugging Face downloads.

Everything here blocks (file and network I/O): call it from an executor.
"""

from __future__ import annotations

import hashlib
import math
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
# Read from the network in small pieces: urllib3 2 (Home Assistant 2025.x+) drops the piece being read
# when the connection breaks, so a resume starts at most this far back (1 MiB lost everything below it).
NETWORK_CHUNK = 1 << 16
DOWNLOAD_RETRIES = 5  # reconnections (each resuming where the last one stopped) before giving up
RETRY_DELAY = 1.0  # seconds between reconnections
PART_SUFFIX = ".part"
_MAX_FILE_NAME = 255 - len(PART_SUFFIX)  # bytes in a file name on common file systems, less the suffix

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
# Limits from the format and llama.cpp (gguf.c): a file past them is damaged, whatever its size.
_MAX_DIMS = 4  # GGML_MAX_DIMS
_MAX_KEY = 65535  # a key or tensor name
_MAX_KEPT_STRING = 1 << 20  # a chat template or name kept in memory; real ones are a few kB
_MAX_KVS = 4096  # metadata pairs: real models have 20-60; each costs microseconds to read
_MAX_TENSORS = 8192  # real models have up to ~2,000 (experts merged per layer); each costs microseconds
_U64 = struct.Struct("<Q")
_TYPE_AND_OFFSET = struct.Struct("<IQ")  # a tensor's type and data offset
_SKIP_BLOCK = 1 << 20  # bytes read at a time while skipping a vocabulary
# The fewest bytes each counted item can take, so that a count can be checked against the file.
_MIN_KV_BYTES = 8 + 4 + 1  # key length, value type, a one-byte value
_MIN_TENSOR_BYTES = 8 + 4 + 4 + 8  # name length, dimension count, type, offset
_MIN_ITEM_BYTES = {_STRING: 8} | {code: struct.calcsize(fmt) for code, fmt in _SCALAR_FORMATS.items()}


class _BadHeader(Exception):
    """A header the file cannot hold or the format forbids; `key` names the translated message."""

    def __init__(self, detail: str, key: str = "model_truncated") -> None:
        super().__init__(detail)
        self.key = key


class _HeaderReader:
    """Reads a GGUF header sequentially, checking every length and count against the bytes left."""

    def __init__(self, file: BinaryIO, size: int) -> None:
        self._file = file
        self._size = size
        self._position = 0

    @property
    def position(self) -> int:
        """Bytes read so far."""
        return self._position

    def _claim(self, size: int, what: str) -> None:
        """Refuse to read or skip more than the file still holds (a lying length, not a short file)."""
        left = self._size - self._position
        if size > left:
            raise _BadHeader(f"{what} of {size} bytes at offset {self._position}, only {left} bytes left")
        self._position += size

    def read(self, size: int, what: str = "a value") -> bytes:
        """`size` bytes, which the file must hold."""
        self._claim(size, what)
        data = self._file.read(size)
        if len(data) < size:
            raise _BadHeader("the file shrank while it was read")
        return data

    def skip(self, size: int, what: str) -> None:
        """Move past `size` bytes, which the file must hold."""
        self._claim(size, what)
        self._file.seek(self._position)

    def skip_strings(self, count: int) -> None:
        """Move past `count` strings, walking their lengths in memory: a vocabulary has 100,000+ of them,
        and a read and a seek for each took 0.4 s. The loop is kept to the bare minimum for that reason."""
        unpack, size = _U64.unpack_from, self._size
        start, block, offset, limit = self._position, b"", 0, -1  # offset: the next string's, in the block
        for _ in range(count):
            if offset > limit:  # its length is not in the block: read the block that starts there
                start += offset
                if start > size:
                    raise _BadHeader(f"a string that ends at offset {start}, past the file's end ({size} bytes)")
                self._file.seek(start)
                block, offset = self._file.read(_SKIP_BLOCK), 0
                limit = len(block) - 8
                if limit < 0:
                    raise _BadHeader(f"a string's length at offset {start}, only {size - start} bytes left")
            offset += 8 + unpack(block, offset)[0]
        position = start + offset
        if position > size:
            raise _BadHeader(f"a string that ends at offset {position}, past the file's end ({size} bytes)")
        self._position = position
        self._file.seek(position)

    def scalar(self, fmt: str) -> Any:
        """One fixed-size number."""
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def count(self, item_bytes: int, what: str, limit: int | None = None) -> int:
        """A count of items of at least `item_bytes` each, which must fit in the bytes left (and `limit`)."""
        count, left = self.scalar("<Q"), self._size - self._position
        if count * item_bytes > left:
            raise _BadHeader(f"{count} {what} at offset {self._position}, only {left} bytes left")
        if limit is not None and count > limit:
            raise _BadHeader(f"{count} {what}, more than {limit}")
        return count

    def string(self, limit: int, what: str) -> str:
        """A length-prefixed UTF-8 string of at most `limit` bytes."""
        length = self.scalar("<Q")
        if length > limit:
            self._claim(length, what)  # a length past the file's end is reported as such
            raise _BadHeader(f"{what} of {length} bytes, more than {limit}")
        return self.read(length, what).decode("utf-8", errors="replace")

    def value(self, value_type: int, keep: bool) -> Any:
        """One metadata value; only a kept scalar or string is returned, the rest is skipped."""
        if value_type in _SCALAR_FORMATS:
            return self.scalar(_SCALAR_FORMATS[value_type])
        if value_type == _STRING:
            if keep:
                return self.string(_MAX_KEPT_STRING, "a string")
            self.skip(self.scalar("<Q"), "a string")
            return None
        if value_type == _ARRAY:
            item_type = self.scalar("<I")
            if item_type not in _MIN_ITEM_BYTES:  # arrays of arrays included: llama.cpp refuses them too
                raise _BadHeader(f"array items of type {item_type}")
            count = self.count(_MIN_ITEM_BYTES[item_type], "array items")
            if item_type == _STRING:
                self.skip_strings(count)
            else:
                self.skip(count * _MIN_ITEM_BYTES[item_type], "an array")
            return None
        raise _BadHeader(f"unknown metadata value type {value_type}")


def _read_header(file: BinaryIO, size: int) -> tuple[dict[str, Any], int]:
    """The wanted metadata, and the offset where the last tensor's data ends. Raises _BadHeader."""
    header = _HeaderReader(file, size)
    header.read(8)  # magic and version, checked by the caller
    # Capped as well as checked against the file: a big file of zeros reads as millions of tiny items.
    tensor_count = header.count(_MIN_TENSOR_BYTES, "tensors", _MAX_TENSORS)
    kv_count = header.count(_MIN_KV_BYTES, "metadata pairs", _MAX_KVS)
    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = header.string(_MAX_KEY, "a metadata key")
        keep = key in _WANTED_KEYS or key.endswith(".context_length")
        value = header.value(header.scalar("<I"), keep)
        if keep:
            metadata[key] = value
    if not tensor_count:
        raise _BadHeader("no tensors")
    from gguf import GGML_QUANT_SIZES  # noqa: PLC0415

    quant_sizes = {int(quant): sizes for quant, sizes in GGML_QUANT_SIZES.items()}
    tensors_end = max(_tensor_end(header, quant_sizes) for _ in range(tensor_count))
    alignment = _alignment(metadata)
    data_start = -(-header.position // alignment) * alignment
    return metadata, data_start + tensors_end


def _tensor_end(header: _HeaderReader, quant_sizes: dict[int, tuple[int, int]]) -> int:
    """Read one tensor's description: where its data ends, counted from the data section's start."""
    header.skip(header.scalar("<Q"), "a tensor name")  # its length is checked against the bytes left
    dim_count = header.scalar("<I")
    if dim_count > _MAX_DIMS:  # checked before reading: 40,000 huge dims made the product quadratic
        raise _BadHeader(f"a tensor with {dim_count} dimensions, at most {_MAX_DIMS} allowed")
    dims = struct.unpack(f"<{dim_count}Q", header.read(8 * dim_count))
    tensor_type, offset = _TYPE_AND_OFFSET.unpack(header.read(_TYPE_AND_OFFSET.size))
    if tensor_type not in quant_sizes:
        raise _BadHeader(f"unknown tensor type {tensor_type}")
    block_size, type_size = quant_sizes[tensor_type]
    return offset + math.prod(dims) * type_size // block_size  # at most 4 numbers under 2**64: cheap


def _alignment(metadata: dict[str, Any]) -> int:
    """general.alignment, which llama.cpp requires to be a positive power of two."""
    from gguf import GGUF_DEFAULT_ALIGNMENT  # noqa: PLC0415

    alignment = metadata.get("general.alignment", GGUF_DEFAULT_ALIGNMENT)
    if isinstance(alignment, bool) or not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        raise _BadHeader(f"general.alignment is {alignment!r}, not a positive power of two", "model_bad_metadata")
    return alignment


def read_model_info(path: str | os.PathLike[str]) -> ModelInfo:
    """Check that `path` is a complete GGUF file and return what its header says.

    Raises ModelFileError with key model_not_found, model_unreadable, model_not_gguf,
    model_bad_version, model_truncated or model_bad_metadata.
    """
    path = str(Path(path).expanduser().resolve())
    if not os.path.isfile(path):
        raise ModelFileError("model_not_found", path)
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            metadata, data_end = _read_checked_header(file, size, path)
    except OSError as err:
        raise ModelFileError("model_unreadable", path, err.strerror or str(err)) from err
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
        context_length=context_length if _positive_int(context_length) else None,
        chat_template=_text(metadata.get("tokenizer.chat_template")),
        quant=_quant_name(metadata.get("general.file_type")),
        gguf_type=_text(metadata.get("general.type")),
    )


def _read_checked_header(file: BinaryIO, size: int, path: str) -> tuple[dict[str, Any], int]:
    """Magic and version, then the header; every way a header can be wrong is a ModelFileError."""
    head = file.read(8)
    if len(head) < 8 or head[:4] != GGUF_MAGIC:
        raise ModelFileError("model_not_gguf", path)
    (version,) = struct.unpack("<I", head[4:8])
    if version not in SUPPORTED_GGUF_VERSIONS:
        raise ModelFileError("model_bad_version", path, str(version))
    file.seek(0)
    try:
        return _read_header(file, size)
    except _BadHeader as err:
        raise ModelFileError(err.key, path, str(err)) from err


def _positive_int(value: Any) -> bool:
    """A real count (a bool is an int to Python, not to the format)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _text(value: Any) -> str | None:
    """A metadata value that is text, or None."""
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


def find_local_models(models_dir: str | os.PathLike[str]) -> tuple[list[ModelInfo], list[ModelFileError]]:
    """The usable .gguf models (not LoRA adapters) in `models_dir` by name, and why each other .gguf was skipped."""
    folder = Path(models_dir)
    if not folder.is_dir():
        return [], []
    models, skipped = [], []
    for path in sorted(folder.glob("*.gguf")):
        try:
            info = read_model_info(path)
        except ModelFileError as err:
            skipped.append(err)
            continue
        if info.gguf_type != "adapter":
            models.append(info)
    return models, skipped


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


def download_target(models_dir: str | os.PathLike[str], repo_id: str, file: HubFile) -> str:
    """Where `file` is saved: one flat name per repository and path ("owner--repo--sub--name.gguf"),
    so two hub files never share a local file."""
    name = "--".join([*repo_id.split("/"), *Path(file.filename).parts])
    if len(name.encode()) > _MAX_FILE_NAME:  # still one per hub path: its digest stands in for the long part
        digest = hashlib.sha256(f"{repo_id}/{file.filename}".encode()).hexdigest()[:16]
        name = f"{digest}--{Path(file.filename).name[-(_MAX_FILE_NAME // 2) :]}"
    return str((Path(models_dir) / name).resolve())


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
    target = Path(download_target(folder, repo_id, file))
    part = target.with_name(target.name + PART_SUFFIX)
    if _already_there(target, file):
        return str(target)
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


def _already_there(target: Path, file: HubFile) -> bool:
    """`target` holds exactly `file`: same size, and the hub's sha256 when it lists one."""
    if not target.is_file() or target.stat().st_size != file.size:
        return False
    try:
        _verify(target, file)
    except ModelFileError:
        return False  # another file under this name (or a damaged one): fetched again, replaced once verified
    return True


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
                    for chunk in response.iter_content(NETWORK_CHUNK):
                        if cancel.is_set():
                            raise ModelFileError("download_cancelled", url)
                        if size and have + len(chunk) > size:  # a server that ignores its own length: stop now
                            detail = f"the server sent more than the {size} bytes listed"
                            raise ModelFileError("download_failed", url, detail)
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
    """`part` has the listed size and sha256. Raises ModelFileError download_failed or download_checksum."""
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
