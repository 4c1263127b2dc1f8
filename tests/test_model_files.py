"""GGUF model files: header checks on real files, local discovery, and downloads from a fake hub."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from gguf import LlamaFileType
from homeassistant.core import HomeAssistant

from custom_components.home_llm import model_files
from custom_components.home_llm.model_files import (
    HubFile,
    ModelFileError,
    describe_size,
    download_hub_file,
    download_target,
    find_local_models,
    list_hub_files,
    quant_from_filename,
    read_lora_adapter,
    read_model_info,
)

from .fake_hub import FakeHub, make_gguf, start_fake_hub
from .fake_hub import HubFile as ServedFile

REPO_ID = "acon96/Home-3B-v3-GGUF"
PREFIX = "acon96--Home-3B-v3-GGUF--"  # downloads are named after their repository


@pytest.fixture
async def hub(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, socket_enabled: None) -> AsyncIterator[FakeHub]:
    """The fake hub on 127.0.0.1 (sockets stay limited to that address), named by HF_ENDPOINT;
    reconnections without the 1 s pause."""
    fake = FakeHub()
    runner = await start_fake_hub(fake)
    monkeypatch.setenv("HF_ENDPOINT", fake.url)
    monkeypatch.setattr(model_files, "RETRY_DELAY", 0.01)
    yield fake
    await runner.cleanup()


# --- Header checks ---


def test_reads_the_default_model(model_path: Path) -> None:
    info = read_model_info(model_path)
    assert info.architecture == "llama"
    assert info.quant == "Q4_1"
    assert info.context_length == 8192
    assert info.chat_template and "<|im_start|>" in info.chat_template
    assert info.size == model_path.stat().st_size
    assert info.path == str(model_path.resolve())


def test_missing(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError) as err:
        read_model_info(tmp_path / "nope.gguf")
    assert err.value.key == "model_not_found"


def test_directory_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError) as err:
        read_model_info(tmp_path)
    assert err.value.key == "model_not_found"


@pytest.mark.parametrize("content", [b"", b"GGU", b"PK\x03\x04 a zip file", b"<html>not found</html>"])
def test_not_gguf(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelFileError) as err:
        read_model_info(path)
    assert err.value.key == "model_not_gguf"


def test_unsupported_version(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF" + (99).to_bytes(4, "little") + b"\0" * 32)
    with pytest.raises(ModelFileError) as err:
        read_model_info(path)
    assert err.value.key == "model_bad_version"
    assert err.value.detail == "99"


@pytest.mark.parametrize("keep", [24, 4096, 0.5, 0.999])
def test_truncated(tmp_path: Path, model_path: Path, keep: float) -> None:
    with open(model_path, "rb") as source:
        data = source.read(int(model_path.stat().st_size * keep) if isinstance(keep, float) else keep)
    path = tmp_path / "cut.gguf"
    path.write_bytes(data)
    with pytest.raises(ModelFileError) as err:
        read_model_info(path)
    assert err.value.key == "model_truncated"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ((0).to_bytes(8, "little") * 2, "no tensors"),  # no tensors, no metadata
        ((1).to_bytes(8, "little") * 2 + (3).to_bytes(8, "little") + b"key" + (99).to_bytes(4, "little"), "type 99"),
    ],
)
def test_damaged_header(tmp_path: Path, body: bytes, detail: str) -> None:
    path = tmp_path / "odd.gguf"
    path.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + body + b"\0" * 64)
    with pytest.raises(ModelFileError) as err:
        read_model_info(path)
    assert err.value.key == "model_truncated"
    assert detail in err.value.detail


def test_small_real_gguf_metadata(tmp_path: Path) -> None:
    make_gguf(tmp_path / "tiny.gguf", file_type=LlamaFileType.MOSTLY_Q6_K, context_length=1024)
    info = read_model_info(tmp_path / "tiny.gguf")
    assert (info.architecture, info.quant, info.context_length, info.name) == ("llama", "Q6_K", 1024, "Tiny test model")
    assert info.gguf_type is None


def test_unknown_file_type_has_no_quant(tmp_path: Path) -> None:
    make_gguf(tmp_path / "odd.gguf", file_type=9999)  # type: ignore[arg-type]
    assert read_model_info(tmp_path / "odd.gguf").quant is None


def test_missing_architecture(tmp_path: Path) -> None:
    make_gguf(tmp_path / "anon.gguf", architecture=None)
    with pytest.raises(ModelFileError) as err:
        read_model_info(tmp_path / "anon.gguf")
    assert err.value.key == "model_bad_metadata"


def test_lora_adapter(tmp_path: Path, model_path: Path) -> None:
    make_gguf(tmp_path / "lora.gguf", gguf_type="adapter")
    assert read_lora_adapter(tmp_path / "lora.gguf").gguf_type == "adapter"
    with pytest.raises(ModelFileError) as err:
        read_lora_adapter(model_path)
    assert err.value.key == "lora_not_adapter"


def test_find_local_models(tmp_path: Path) -> None:
    assert find_local_models(tmp_path / "absent") == ([], [])
    make_gguf(tmp_path / "b.Q4_K_M.gguf")
    make_gguf(tmp_path / "a.Q6_K.gguf", file_type=LlamaFileType.MOSTLY_Q6_K)
    make_gguf(tmp_path / "adapter.gguf", gguf_type="adapter")  # not a model
    (tmp_path / "broken.gguf").write_bytes(b"GGUF")  # skipped
    (tmp_path / "notes.txt").write_text("not a model")
    found, skipped = find_local_models(tmp_path)
    assert [(Path(info.path).name, info.quant) for info in found] == [
        ("a.Q6_K.gguf", "Q6_K"),
        ("b.Q4_K_M.gguf", "Q4_K_M"),
    ]
    assert [(Path(err.path).name, err.key) for err in skipped] == [("broken.gguf", "model_not_gguf")]


def test_unreadable_file_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_gguf(tmp_path / "locked.gguf")
    real_open = open

    def refuse(path: object, *args: object, **kwargs: object) -> object:
        if str(path).endswith("locked.gguf"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", refuse)
    found, skipped = find_local_models(tmp_path)
    assert found == []
    assert [(Path(err.path).name, err.key) for err in skipped] == [("locked.gguf", "model_unreadable")]
    assert "Permission denied" in skipped[0].detail


@pytest.mark.parametrize(
    ("name", "quant"),
    [
        ("Home-3B-v3.q4_k_m.gguf", "Q4_K_M"),
        ("Home-3B-v3.q3_k_l.gguf", "Q3_K_L"),
        ("model-Q6_K.gguf", "Q6_K"),
        ("Home-3B-v3.f16.gguf", "F16"),
        ("sub/dir/Qwen2-7B-IQ4_XS.gguf", "IQ4_XS"),
        ("plain.gguf", None),
    ],
)
def test_quant_from_filename(name: str, quant: str | None) -> None:
    assert quant_from_filename(name) == quant


def test_describe_size() -> None:
    assert [describe_size(size) for size in (5, 2_500, 98_000_000, 1_700_000_000)] == [
        "5 B",
        "2.5 kB",
        "98.0 MB",
        "1.7 GB",
    ]


# --- Listing and downloading from the fake hub ---


def _listed(hub: FakeHub, name: str) -> HubFile:
    served = hub.repos[REPO_ID][name]
    return HubFile(name, len(served.content), hashlib.sha256(served.content).hexdigest(), quant_from_filename(name))


async def test_list_hub_files(hass: HomeAssistant, hub: FakeHub, tmp_path: Path) -> None:
    big = make_gguf(tmp_path / "big.gguf", tensor_values=4096)
    small = make_gguf(tmp_path / "small.gguf")
    hub.repos[REPO_ID] = {"Home-3B-v3.q4_k_m.gguf": ServedFile(big), "Home-3B-v3.q3_k_l.gguf": ServedFile(small)}
    files = await hass.async_add_executor_job(list_hub_files, REPO_ID)
    assert files == [  # smallest first; README.md is not offered
        HubFile("Home-3B-v3.q3_k_l.gguf", len(small), hashlib.sha256(small).hexdigest(), "Q3_K_L"),
        HubFile("Home-3B-v3.q4_k_m.gguf", len(big), hashlib.sha256(big).hexdigest(), "Q4_K_M"),
    ]


@pytest.mark.parametrize(
    ("repo_id", "key"),
    [("someone/missing", "hub_repo_not_found"), ("not a repo id", "hub_unreachable"), ("owner/docs", "hub_no_gguf")],
)
async def test_list_hub_files_errors(hass: HomeAssistant, hub: FakeHub, repo_id: str, key: str) -> None:
    hub.repos["owner/docs"] = {}
    with pytest.raises(ModelFileError) as err:
        await hass.async_add_executor_job(list_hub_files, repo_id)
    assert err.value.key == key


async def test_hub_down(hass: HomeAssistant, hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(ModelFileError) as err:
        await hass.async_add_executor_job(list_hub_files, REPO_ID)
    assert err.value.key == "hub_unreachable"


async def _download(hass: HomeAssistant, file: HubFile, folder: Path, cancel: threading.Event | None = None) -> str:
    progress: list[tuple[int, int]] = []

    def run() -> str:
        return download_hub_file(
            REPO_ID, file, folder, cancel=cancel or threading.Event(), on_progress=lambda *p: progress.append(p)
        )

    path = await hass.async_add_executor_job(run)
    assert progress[-1] == (file.size, file.size)
    return path


async def test_download(hass: HomeAssistant, hub: FakeHub, tmp_path: Path) -> None:
    data = make_gguf(tmp_path / "src.gguf", tensor_values=100_000)
    hub.repos[REPO_ID] = {"Home-3B-v3.q4_k_m.gguf": ServedFile(data)}
    folder = tmp_path / "models"
    path = await _download(hass, _listed(hub, "Home-3B-v3.q4_k_m.gguf"), folder)
    assert Path(path) == folder / "acon96--Home-3B-v3-GGUF--Home-3B-v3.q4_k_m.gguf"
    assert _content(path) == data
    assert sorted(p.name for p in folder.iterdir()) == ["acon96--Home-3B-v3-GGUF--Home-3B-v3.q4_k_m.gguf"]
    # A second time the file is already there: nothing is fetched.
    fetched = len(hub.requests)
    assert download_hub_file(REPO_ID, _listed(hub, "Home-3B-v3.q4_k_m.gguf"), folder, cancel=threading.Event()) == path
    assert len(hub.requests) == fetched


def test_download_target_keeps_hub_paths_apart(tmp_path: Path) -> None:
    def target(repo_id: str, filename: str) -> str:
        return Path(download_target(tmp_path, repo_id, HubFile(filename, 1, None, None))).name

    names = {
        target("owner/repo", "m.gguf"),
        target("owner/repo", "a/m.gguf"),
        target("owner/repo", "b/m.gguf"),
        target("other/repo", "m.gguf"),
    }
    assert names == {
        "owner--repo--m.gguf",
        "owner--repo--a--m.gguf",
        "owner--repo--b--m.gguf",
        "other--repo--m.gguf",
    }
    assert target("owner/repo", "../../escape.gguf") == "owner--repo--..--..--escape.gguf"  # stays in the folder
    assert len(target("owner/repo", "x" * 300 + ".gguf").encode()) <= 255  # a name the file system accepts


async def test_same_file_name_in_two_folders(hass: HomeAssistant, hub: FakeHub, tmp_path: Path) -> None:
    first = make_gguf(tmp_path / "1.gguf", name="First model")
    second = make_gguf(tmp_path / "2.gguf", name="Other model")
    assert len(first) == len(second) and first != second
    hub.repos[REPO_ID] = {"a/m.Q4_K_M.gguf": ServedFile(first), "b/m.Q4_K_M.gguf": ServedFile(second)}
    folder = tmp_path / "models"
    first_path = await _download(hass, _listed(hub, "a/m.Q4_K_M.gguf"), folder)
    second_path = await _download(hass, _listed(hub, "b/m.Q4_K_M.gguf"), folder)
    assert first_path != second_path
    assert (_content(first_path), _content(second_path)) == (first, second)


async def test_reused_file_is_checked(hass: HomeAssistant, hub: FakeHub, tmp_path: Path) -> None:
    data = make_gguf(tmp_path / "src.gguf", name="Right model")
    hub.repos[REPO_ID] = {"m.Q4_K_M.gguf": ServedFile(data)}
    file = _listed(hub, "m.Q4_K_M.gguf")
    folder = tmp_path / "models"
    folder.mkdir()
    stale = download_target(folder, REPO_ID, file)
    wrong = make_gguf(Path(stale), name="Wrong model")  # same size, other bytes
    assert len(wrong) == len(data)
    path = await _download(hass, file, folder)
    assert path == stale
    assert _content(path) == data
    assert any("/resolve/" in request for request, _ in hub.requests)  # fetched again, not reused


async def test_interrupted_download_resumes(hass: HomeAssistant, hub: FakeHub, tmp_path: Path) -> None:
    data = make_gguf(tmp_path / "src.gguf", tensor_values=200_000)  # 800 kB
    hub.repos[REPO_ID] = {"m.Q4_K_M.gguf": ServedFile(data, drop_after=300_000)}
    path = await _download(hass, _listed(hub, "m.Q4_K_M.gguf"), tmp_path / "models")
    assert _content(path) == data
    assert hub.dropped == 1
    ranges = [header for request_path, header in hub.requests if "/resolve/" in request_path]
    assert ranges[0] is None
    assert ranges[1] is not None and int(ranges[1].removeprefix("bytes=").rstrip("-")) >= 262_144


async def test_partial_file_from_an_earlier_run_is_resumed(hass: HomeAssistant, hub: FakeHub, tmp_path: Path) -> None:
    data = make_gguf(tmp_path / "src.gguf", tensor_values=50_000)
    hub.repos[REPO_ID] = {"m.Q4_K_M.gguf": ServedFile(data)}
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / f"{PREFIX}m.Q4_K_M.gguf.part").write_bytes(data[:1000])
    path = await _download(hass, _listed(hub, "m.Q4_K_M.gguf"), folder)
    assert _content(path) == data
    assert hub.requests[-1][1] == "bytes=1000-"


async def test_server_that_ignores_range_starts_again(hass: HomeAssistant, hub: FakeHub, tmp_path: Path) -> None:
    data = make_gguf(tmp_path / "src.gguf", tensor_values=50_000)
    hub.repos[REPO_ID] = {"m.Q4_K_M.gguf": ServedFile(data, ignore_range=True)}
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / f"{PREFIX}m.Q4_K_M.gguf.part").write_bytes(b"x" * 1000)  # would fail the checksum if kept
    path = await _download(hass, _listed(hub, "m.Q4_K_M.gguf"), folder)
    assert _content(path) == data


async def test_complete_partial_file_is_only_checked(hass: HomeAssistant, hub: FakeHub, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    data = make_gguf(folder / f"{PREFIX}m.Q4_K_M.gguf.part")  # every byte there; the hub lists no checksum
    file = HubFile("m.Q4_K_M.gguf", len(data), None, "Q4_K_M")
    path = await hass.async_add_executor_job(_blocking_download, file, folder)
    assert _content(path) == data
    assert hub.requests == []


async def test_more_bytes_than_listed(hass: HomeAssistant, hub: FakeHub, tmp_path: Path) -> None:
    data = make_gguf(tmp_path / "src.gguf", tensor_values=1_000_000)  # 4 MB where 100 kB were listed
    hub.repos[REPO_ID] = {"m.Q4_K_M.gguf": ServedFile(data)}
    file = HubFile("m.Q4_K_M.gguf", 100_000, None, "Q4_K_M")
    progress: list[int] = []

    def run() -> str:
        return download_hub_file(
            REPO_ID,
            file,
            tmp_path / "models",
            cancel=threading.Event(),
            on_progress=lambda done, _: progress.append(done),
        )

    with pytest.raises(ModelFileError) as err:
        await hass.async_add_executor_job(run)
    assert err.value.key == "download_failed"
    assert "more than the 100000 bytes" in err.value.detail
    assert max(progress, default=0) <= file.size  # it stopped at the declared size
    assert list((tmp_path / "models").iterdir()) == []


async def test_wrong_checksum_leaves_nothing(hass: HomeAssistant, hub: FakeHub, tmp_path: Path) -> None:
    data = make_gguf(tmp_path / "src.gguf")
    hub.repos[REPO_ID] = {"m.Q4_K_M.gguf": ServedFile(data, listed_sha256="0" * 64)}
    file = HubFile("m.Q4_K_M.gguf", len(data), "0" * 64, "Q4_K_M")
    with pytest.raises(ModelFileError) as err:
        await hass.async_add_executor_job(_blocking_download, file, tmp_path / "models")
    assert err.value.key == "download_checksum"
    assert list((tmp_path / "models").iterdir()) == []


async def test_wrong_size_leaves_nothing(hass: HomeAssistant, hub: FakeHub, tmp_path: Path) -> None:
    data = make_gguf(tmp_path / "src.gguf")
    hub.repos[REPO_ID] = {"m.Q4_K_M.gguf": ServedFile(data)}
    file = HubFile("m.Q4_K_M.gguf", len(data) + 10, None, "Q4_K_M")  # the server sends fewer bytes
    with pytest.raises(ModelFileError) as err:
        await hass.async_add_executor_job(_blocking_download, file, tmp_path / "models")
    assert err.value.key == "download_failed"
    assert list((tmp_path / "models").iterdir()) == []


async def test_file_gone_from_repository(hass: HomeAssistant, hub: FakeHub, tmp_path: Path) -> None:
    data = make_gguf(tmp_path / "src.gguf")
    hub.repos[REPO_ID] = {"m.Q4_K_M.gguf": ServedFile(data, gone=True)}
    with pytest.raises(ModelFileError) as err:
        await hass.async_add_executor_job(_blocking_download, _listed(hub, "m.Q4_K_M.gguf"), tmp_path / "models")
    assert err.value.key == "download_failed"
    assert list((tmp_path / "models").iterdir()) == []


async def test_gives_up_after_repeated_drops(
    hass: HomeAssistant, hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # every connection is refused
    file = HubFile("m.Q4_K_M.gguf", 1000, None, "Q4_K_M")
    with pytest.raises(ModelFileError) as err:
        await hass.async_add_executor_job(_blocking_download, file, tmp_path / "models")
    assert err.value.key == "download_failed"
    assert list((tmp_path / "models").iterdir()) == []


def test_no_disk_space(tmp_path: Path) -> None:
    file = HubFile("huge.F16.gguf", 10**18, None, "F16")  # an exabyte: more than any disk has free
    with pytest.raises(ModelFileError) as err:
        download_hub_file(REPO_ID, file, tmp_path, cancel=threading.Event())
    assert err.value.key == "download_no_space"
    assert "GB needed" in err.value.detail
    assert list(tmp_path.iterdir()) == []


async def test_cancel_stops_and_cleans_up(hass: HomeAssistant, hub: FakeHub, tmp_path: Path) -> None:
    data = make_gguf(tmp_path / "src.gguf", tensor_values=500_000)  # 2 MB, sent slowly
    hub.repos[REPO_ID] = {"m.Q4_K_M.gguf": ServedFile(data, delay=0.02)}
    cancel = threading.Event()
    folder = tmp_path / "models"

    def run() -> None:
        download_hub_file(
            REPO_ID,
            _listed(hub, "m.Q4_K_M.gguf"),
            folder,
            cancel=cancel,
            on_progress=lambda done, _total: done > 200_000 and cancel.set(),
        )

    with pytest.raises(ModelFileError) as err:
        await hass.async_add_executor_job(run)
    assert err.value.key == "download_cancelled"
    assert list(folder.iterdir()) == []


async def test_cancel_during_reconnect_pause(
    hass: HomeAssistant, hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ModelFileError) as err:
        await hass.async_add_executor_job(
            lambda: download_hub_file(REPO_ID, HubFile("m.gguf", 10, None, None), tmp_path, cancel=cancel)
        )
    assert err.value.key == "download_cancelled"


def _blocking_download(file: HubFile, folder: Path) -> str:
    return download_hub_file(REPO_ID, file, folder, cancel=threading.Event())


def _content(path: str) -> bytes:
    return Path(path).read_bytes()
