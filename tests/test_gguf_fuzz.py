"""The GGUF header reader against hostile files: hand-made regressions, then hypothesis fuzzing.

Every file must give a ModelInfo or a ModelFileError, never another exception, and within
50 ms. The fuzz mutates two kinds of headers: the default model's real header (its counts,
lengths, types and dims found with gguf's own reader) and headers built here from random parts.

CI runs 2,000 hand-built and 300 real-header examples (the real header is 1.8 MB: about
0.1 s an example). The full run, 10,000 per test, is:
    HOME_LLM_GGUF_FUZZ_EXAMPLES=10000 scripts/test tests/test_gguf_fuzz.py -q -s -k test_fuzz
and prints the count and the slowest header (CPU and wall) of each test.
"""

from __future__ import annotations

import os
import struct
import tempfile
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import gguf  # the reader imports it lazily: imported here, the import is not timed as a header
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.home_llm.model_files import ModelFileError, ModelInfo, find_local_models, read_model_info

FUZZ_EXAMPLES = os.environ.get("HOME_LLM_GGUF_FUZZ_EXAMPLES")  # examples per fuzz test; unset: the CI counts
TIME_LIMIT = 0.050  # seconds per header
U64_MAX = 2**64 - 1
F32, Q4_0 = 0, 2  # ggml tensor types
STRING, ARRAY, UINT32, INT32, FLOAT32, BOOL, UINT64 = 8, 9, 4, 5, 6, 7, 10

# --- building headers by hand ---------------------------------------------------------------


def u32(value: int) -> bytes:
    """A little-endian uint32 (wrapped, so any int can be written)."""
    return struct.pack("<I", value % 2**32)


def u64(value: int) -> bytes:
    """A little-endian uint64 (wrapped)."""
    return struct.pack("<Q", value % 2**64)


def gguf_string(text: bytes, length: int | None = None) -> bytes:
    """A GGUF string: its length (or a lying one), then its bytes."""
    return u64(len(text) if length is None else length) + text


def kv(key: bytes, value_type: int, payload: bytes) -> bytes:
    """One metadata pair; `payload` is the value already encoded."""
    return gguf_string(key) + u32(value_type) + payload


def tensor_info(name: bytes, dims: list[int], tensor_type: int = F32, offset: int = 0) -> bytes:
    """One tensor's description in the header."""
    return gguf_string(name) + u32(len(dims)) + b"".join(u64(d) for d in dims) + u32(tensor_type) + u64(offset)


ARCH = kv(b"general.architecture", STRING, gguf_string(b"llama"))
WEIGHTS = tensor_info(b"weights", [4])  # 16 bytes of float32


def gguf_file(
    kvs: list[bytes],
    tensors: list[bytes],
    *,
    tensor_count: int | None = None,
    kv_count: int | None = None,
    data: int = 64,
    alignment: int = 32,
) -> bytes:
    """A whole file: header, padding to `alignment`, then `data` bytes of tensor data."""
    header = (
        b"GGUF"
        + u32(3)
        + u64(len(tensors) if tensor_count is None else tensor_count)
        + u64(len(kvs) if kv_count is None else kv_count)
        + b"".join(kvs)
        + b"".join(tensors)
    )
    return header + b"\0" * (-len(header) % alignment + data)


def read_bytes(path: Path, content: bytes, size: int | None = None) -> tuple[ModelInfo | ModelFileError, float]:
    """Write `content` (sparsely grown to `size`), read it back: the outcome, and the reader's CPU seconds.

    CPU time, not wall time, is held to the limit: the test machine is shared, and time spent
    waiting for a core says nothing about the reader. The fuzz report gives both.
    """
    with open(path, "wb") as file:
        file.write(content)
        if size is not None and size > len(content):
            file.truncate(size)  # a hole, not written bytes: the real model's size costs nothing
    start, wall = time.thread_time(), time.perf_counter()
    try:
        outcome: ModelInfo | ModelFileError = read_model_info(path)
    except ModelFileError as err:
        outcome = err
    seconds = time.thread_time() - start
    WALL[0] = time.perf_counter() - wall
    return outcome, seconds


WALL = [0.0]  # the last read's wall-clock seconds, for the fuzz report


# --- regressions: each crashed or stalled the reader before -----------------------------


def test_hand_built_header_is_valid(tmp_path: Path) -> None:
    outcome, _ = read_bytes(tmp_path / "m.gguf", gguf_file([ARCH], [WEIGHTS]))
    assert isinstance(outcome, ModelInfo)
    assert outcome.architecture == "llama"


@pytest.mark.parametrize("length", [2**63, 2**45, U64_MAX, 2**32])
def test_huge_key_length(tmp_path: Path, length: int) -> None:
    content = gguf_file([gguf_string(b"general.architecture", length) + u32(STRING)], [WEIGHTS])
    outcome, _ = read_bytes(tmp_path / "m.gguf", content)
    assert isinstance(outcome, ModelFileError)
    assert outcome.key == "model_truncated"
    assert "bytes left" in outcome.detail


@pytest.mark.parametrize("length", [2**63, 2**45, 2**20])
def test_huge_string_value(tmp_path: Path, length: int) -> None:
    for key in (b"general.architecture", b"tokenizer.ggml.merges"):  # a value kept, and one skipped
        content = gguf_file([kv(key, STRING, gguf_string(b"llama", length))], [WEIGHTS])
        outcome, _ = read_bytes(tmp_path / "m.gguf", content)
        assert isinstance(outcome, ModelFileError)
        assert outcome.key == "model_truncated"


@pytest.mark.parametrize(("item_type", "count"), [(0, 2**63), (UINT64, 2**61), (STRING, 2**40), (ARRAY, 2**62)])
def test_huge_array_count(tmp_path: Path, item_type: int, count: int) -> None:
    content = gguf_file([ARCH, kv(b"tokenizer.ggml.tokens", ARRAY, u32(item_type) + u64(count))], [WEIGHTS])
    outcome, seconds = read_bytes(tmp_path / "m.gguf", content)
    assert isinstance(outcome, ModelFileError)
    assert outcome.key == "model_truncated"
    assert seconds < TIME_LIMIT


@pytest.mark.parametrize("depth", [1, 100_000])
def test_nested_arrays(tmp_path: Path, depth: int) -> None:
    nested = (u32(ARRAY) + u64(1)) * depth + u32(UINT32) + u64(0)  # an array in an array in ...
    content = gguf_file([ARCH, kv(b"x", ARRAY, nested)], [WEIGHTS])
    outcome, _ = read_bytes(tmp_path / "m.gguf", content)
    assert isinstance(outcome, ModelFileError)
    assert outcome.key == "model_truncated"


@pytest.mark.parametrize(
    "alignment",
    [
        kv(b"general.alignment", STRING, gguf_string(b"32")),
        kv(b"general.alignment", FLOAT32, struct.pack("<f", 32.0)),
        kv(b"general.alignment", BOOL, b"\1"),
        kv(b"general.alignment", INT32, struct.pack("<i", -32)),
        kv(b"general.alignment", UINT32, u32(0)),
        kv(b"general.alignment", UINT32, u32(3)),  # llama.cpp wants a power of two
    ],
)
def test_alignment_must_be_a_positive_power_of_two(tmp_path: Path, alignment: bytes) -> None:
    outcome, _ = read_bytes(tmp_path / "m.gguf", gguf_file([ARCH, alignment], [WEIGHTS]))
    assert isinstance(outcome, ModelFileError)
    assert outcome.key == "model_bad_metadata"
    assert "general.alignment" in outcome.detail


def test_good_alignment_is_used(tmp_path: Path) -> None:
    alignment = kv(b"general.alignment", UINT32, u32(64))
    outcome, _ = read_bytes(tmp_path / "m.gguf", gguf_file([ARCH, alignment], [WEIGHTS], alignment=64, data=16))
    assert isinstance(outcome, ModelInfo)
    cut, _ = read_bytes(tmp_path / "m.gguf", gguf_file([ARCH, alignment], [WEIGHTS], alignment=64, data=15))
    assert isinstance(cut, ModelFileError)


def test_many_huge_dims_fail_fast(tmp_path: Path) -> None:
    content = gguf_file([ARCH], [tensor_info(b"weights", [U64_MAX] * 40_000)])
    outcome, seconds = read_bytes(tmp_path / "m.gguf", content)
    assert isinstance(outcome, ModelFileError)
    assert outcome.key == "model_truncated"
    assert "dimensions" in outcome.detail
    assert seconds < TIME_LIMIT


@pytest.mark.parametrize("dims", [[U64_MAX] * 4, [2**62, 2**62]])
def test_huge_dims_are_truncation(tmp_path: Path, dims: list[int]) -> None:
    outcome, _ = read_bytes(tmp_path / "m.gguf", gguf_file([ARCH], [tensor_info(b"weights", dims)]))
    assert isinstance(outcome, ModelFileError)
    assert outcome.key == "model_truncated"


@pytest.mark.parametrize(
    ("field", "count", "size"),
    [
        ("kv_count", U64_MAX, None),
        ("tensor_count", U64_MAX, None),
        ("kv_count", 2**40, None),
        ("kv_count", 4_000_000, 100_000_000),
        ("tensor_count", 4_000_000, 100_000_000),
    ],
)
def test_huge_counts(tmp_path: Path, field: str, count: int, size: int | None) -> None:
    # With `size`, the file is grown with zeros, which read as millions of valid tiny pairs or tensors.
    content = gguf_file([ARCH], [WEIGHTS], **{field: count})
    outcome, seconds = read_bytes(tmp_path / "m.gguf", content, size)
    assert isinstance(outcome, ModelFileError)
    assert outcome.key == "model_truncated"
    assert seconds < TIME_LIMIT


def test_unknown_tensor_type(tmp_path: Path) -> None:
    outcome, _ = read_bytes(tmp_path / "m.gguf", gguf_file([ARCH], [tensor_info(b"weights", [4], 9999)]))
    assert isinstance(outcome, ModelFileError)
    assert outcome.key == "model_truncated"


def test_bad_file_is_skipped_and_named_in_the_local_list(tmp_path: Path) -> None:
    (tmp_path / "good.gguf").write_bytes(gguf_file([ARCH], [WEIGHTS]))
    (tmp_path / "hostile.gguf").write_bytes(gguf_file([gguf_string(b"k", 2**63) + u32(STRING)], [WEIGHTS]))
    (tmp_path / "odd-alignment.gguf").write_bytes(
        gguf_file([ARCH, kv(b"general.alignment", STRING, gguf_string(b"x"))], [WEIGHTS])
    )
    models, skipped = find_local_models(tmp_path)
    assert [Path(info.path).name for info in models] == ["good.gguf"]
    assert [(Path(err.path).name, err.key) for err in skipped] == [
        ("hostile.gguf", "model_truncated"),
        ("odd-alignment.gguf", "model_bad_metadata"),
    ]


# --- fuzzing ------------------------------------------------------------------------------

# Values that break naive readers, written over a count, a length, a type or a dim.
INTERESTING = [0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 31, 255, 2**16, 2**31, 2**32 - 1, 2**32, 2**45, 2**62, 2**63, U64_MAX]


@cache
def real_header(model: Path) -> tuple[bytes, int, tuple[tuple[int, int], ...]]:
    """The default model's header bytes, its file size, and (offset, width) of every count,
    length, type and dim in it, as gguf's own reader finds them (string data and float values left out)."""
    reader = gguf.GGUFReader(model)
    fields = list(reader.fields.values()) + [tensor.field for tensor in reader.tensors]
    spots: set[tuple[int, int]] = set()
    for field in fields:
        offset = field.offset
        for index, part in enumerate(field.parts):
            if part.dtype.kind == "u" and part.nbytes in (4, 8) and index < 8:  # a vocabulary's first items only
                spots.add((offset, part.nbytes))
            elif part.dtype.kind == "u" and part.nbytes > 8 and part.size <= 4:  # a tensor's dims
                spots.update((offset + 8 * i, 8) for i in range(part.size))
            offset += part.nbytes
    with open(model, "rb") as file:
        header = file.read(reader.data_offset)
    return header, model.stat().st_size, tuple(sorted(spots))


@st.composite
def mutations(draw: st.DrawFn, content: bytes, spots: tuple[tuple[int, int], ...]) -> bytes:
    """`content` with 1-4 of: a count/length/type/dim overwritten, bits flipped, bytes cut."""
    data = bytearray(content)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["spot", "spot", "flip", "cut"]))
        if kind == "spot" and spots:
            offset, width = draw(st.sampled_from(spots))
            value = draw(st.sampled_from(INTERESTING) | st.integers(0, 2**64 - 1))
            data[offset : offset + width] = (
                value.to_bytes(8, "little")[:width] if value < 2 ** (8 * width) else b"\xff" * width
            )
        elif kind == "flip" and data:
            position = draw(st.integers(0, len(data) - 1))
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[draw(st.integers(8, max(8, len(data)))) :]
    return bytes(data)


_KEYS = [
    b"general.architecture",
    b"general.alignment",
    b"general.name",
    b"general.file_type",
    b"general.type",
    b"llama.context_length",
    b"tokenizer.chat_template",
    b"tokenizer.ggml.tokens",
    b"x",
]


@st.composite
def hand_built(draw: st.DrawFn) -> tuple[bytes, tuple[tuple[int, int], ...]]:
    """A header from random parts (any value type, any key, 0-3 tensors), and where its numbers are."""
    parts: list[bytes] = [b"GGUF" + u32(draw(st.sampled_from([2, 3])))]
    kvs = draw(st.lists(st.tuples(st.sampled_from(_KEYS), st.integers(0, 13), st.binary(max_size=24)), max_size=6))
    tensors = draw(
        st.lists(
            st.tuples(
                st.lists(st.sampled_from(INTERESTING[:8]), max_size=5),
                st.sampled_from([F32, Q4_0, 1, 30, 9999]),
                st.integers(0, 256),
            ),
            max_size=3,
        )
    )
    parts += [u64(len(tensors)), u64(len(kvs))]
    for key, value_type, raw in kvs:
        payload = raw
        if value_type == STRING:
            payload = gguf_string(raw)
        elif value_type == ARRAY:
            payload = u32(draw(st.integers(0, 12))) + u64(len(raw) // 4) + raw
        parts.append(kv(key, value_type, payload))
    parts += [tensor_info(b"t", dims, tensor_type, offset) for dims, tensor_type, offset in tensors]
    spots, offset = [], 0
    for part in parts:  # every 4-byte step of the header is a candidate for a huge number
        spots += [(offset + step, 8) for step in range(0, len(part) - 7, 4)] or [(offset, 4)]
        offset += len(part)
    return b"".join(parts) + bytes(draw(st.integers(0, 512))), tuple(spots)


def _check(path: Path, content: bytes, size: int | None, figures: list[float]) -> None:
    """The reader's contract for one file: a ModelInfo or a ModelFileError, in time."""
    outcome, seconds = read_bytes(path, content, size)
    figures[0] = max(figures[0], seconds)
    figures[1] = max(figures[1], WALL[0])
    figures[2] += 1
    assert isinstance(outcome, ModelInfo | ModelFileError)
    assert seconds < TIME_LIMIT, f"{seconds * 1000:.1f} ms of CPU for one header"


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """One file rewritten by every example (hypothesis runs many examples per test call)."""
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "fuzz.gguf"


@pytest.fixture(scope="module")
def report() -> Iterator[dict[str, list[float]]]:
    """Slowest header (CPU and wall) and count per fuzz test, printed at the end (seen with -s)."""
    figures: dict[str, list[float]] = {}
    yield figures
    for name, (cpu, wall, count) in figures.items():
        print(f"\n{name}: {int(count)} headers, slowest {cpu * 1000:.1f} ms CPU, {wall * 1000:.1f} ms wall")


def _fuzz(ci_examples: int) -> settings:
    """Hypothesis settings: no deadline (the test times the reader alone), no example database in the checkout."""
    examples = int(FUZZ_EXAMPLES) if FUZZ_EXAMPLES else ci_examples
    return settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def test_fuzz_real_header(model_path: Path, scratch: Path, report: dict[str, list[float]]) -> None:
    header, size, spots = real_header(model_path)
    worst = report.setdefault("real model header", [0.0, 0.0, 0])
    unchanged, _ = read_bytes(scratch, header, size)
    assert isinstance(unchanged, ModelInfo)  # the unmutated header, grown to the model's size, is valid

    @_fuzz(300)
    @given(mutations(header, spots), st.booleans())
    def run(content: bytes, full_size: bool) -> None:
        _check(scratch, content, size if full_size else None, worst)

    run()


def test_fuzz_hand_built(scratch: Path, report: dict[str, list[float]]) -> None:
    worst = report.setdefault("hand-built headers", [0.0, 0.0, 0])

    @_fuzz(2000)
    @given(hand_built().flatmap(lambda built: mutations(*built)))
    def run(content: bytes) -> None:
        _check(scratch, content, None, worst)

    run()
