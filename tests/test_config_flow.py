"""The config flow, options flow and reconfigure, against real files, the real llama.cpp (import
check and test load) and a fake Hugging Face hub on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import voluptuous as vol
from gguf import LlamaFileType
from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.home_llm import config_flow, model_files
from custom_components.home_llm.backends import BackendError
from custom_components.home_llm.config_flow import (
    ALL_SERVICES,
    SERVICES_SECTION,
    agent_fields,
    llama_cpp_importable,
    model_fields,
    model_title,
)
from custom_components.home_llm.const import (
    BACKEND_LLAMA_CPP,
    BACKEND_REMOTE,
    CONF_ALLOW_SENSITIVE,
    CONF_ALLOWED_SERVICES,
    CONF_API_KEY,
    CONF_BACKEND,
    CONF_BASE_URL,
    CONF_CHAT_FORMAT,
    CONF_CONTEXT_LENGTH,
    CONF_EXTRA_ATTRIBUTES,
    CONF_LORA_PATH,
    CONF_MAX_TOKENS,
    CONF_MODEL_PATH,
    CONF_PROMPT,
    CONF_PROMPT_LAYOUT,
    CONF_REMOTE_MODEL,
    CONF_TEMPERATURE,
    CONF_THREADS,
    CONF_TOP_K,
    DEFAULT_AGENT_NAME,
    DEFAULT_HF_REPO,
    DEFAULT_PERSONA,
    DOMAIN,
    PROMPT_LAYOUT_CARD,
    PROMPT_LAYOUT_CHANGES_LAST,
    SUBENTRY_CONVERSATION,
)
from custom_components.home_llm.prompt import prefix_messages
from custom_components.home_llm.snapshot import Device

from .fake_hub import FakeHub, HubFile, make_gguf, start_fake_hub
from .houses import CARD_HOUSE, make_house
from .test_gguf_fuzz import STRING, WEIGHTS, gguf_file, gguf_string, u32

SMOL_TITLE = (
    "SmolLM2 135M Instruct (Q4_1)"  # from the file name; the GGUF's general.name is "Smollm2 135M 8k Lc100K..."
)
SMOL_DOWNLOAD = "acon96--Home-3B-v3-GGUF--SmolLM2-135M-Instruct.Q4_1.gguf"  # named after the repository and file


@pytest.fixture(autouse=True)
def _core(core: HomeAssistant) -> None:
    """The flow sets up the integration's dependencies (conversation), which need the core component."""


@pytest.fixture
def models_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A config directory of this test's own, so the models folder is <tmp>/config/models."""
    hass.config.config_dir = str(tmp_path / "config")
    return tmp_path / "config" / "models"


@pytest.fixture
async def hub(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, socket_enabled: None) -> AsyncIterator[FakeHub]:
    fake = FakeHub()
    runner = await start_fake_hub(fake)
    monkeypatch.setenv("HF_ENDPOINT", fake.url)
    monkeypatch.setattr(model_files, "RETRY_DELAY", 0.01)
    monkeypatch.setattr(config_flow, "PROGRESS_INTERVAL", 0.05)
    yield fake
    await runner.cleanup()


@pytest.fixture
def model(model_path: Path) -> str:
    """The default model's resolved path: what an entry stores."""
    return str(model_path.resolve())


@pytest.fixture
async def loaded_entry(core: HomeAssistant, model: str) -> AsyncIterator[MockConfigEntry]:
    """An entry for the default model, set up (the model loaded); unloaded at the end."""
    hass = core
    path = model
    entry = MockConfigEntry(
        domain=DOMAIN, title=SMOL_TITLE, unique_id=path, data={CONF_BACKEND: BACKEND_LLAMA_CPP, CONF_MODEL_PATH: path}
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield entry
    if entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def _choose(hass: HomeAssistant, source: str) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": source})


def _options(result: dict[str, Any], key: str) -> list[dict[str, str]]:
    return result["data_schema"].schema[key].config["options"]


def _agents(entry: config_entries.ConfigEntry) -> list[tuple[str, dict[str, Any]]]:
    """The entry's agents: (name, options) of each conversation subentry."""
    return [
        (subentry.title, dict(subentry.data))
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_CONVERSATION
    ]


async def _unload_all(hass: HomeAssistant) -> None:
    await hass.async_block_till_done()
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


# --- The menu and the llama-cpp-python check ---


async def test_menu(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["huggingface", "local", "remote"]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "remote"})
    assert result["step_id"] == "remote"  # the remote server's own step


async def test_llama_cpp_import_check(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> None:
    assert await hass.async_add_executor_job(llama_cpp_importable)  # the real llama_cpp, in a child process
    monkeypatch.setattr(config_flow, "LLAMA_CPP_MODULE", "home_llm_no_such_module")
    assert not await hass.async_add_executor_job(llama_cpp_importable)
    monkeypatch.setattr(config_flow, "IMPORT_TIMEOUT", 0.001)  # a child process that hangs
    assert not await hass.async_add_executor_job(llama_cpp_importable)


@pytest.mark.parametrize(
    ("skip_pip", "requirement"),
    [
        (True, "llama-cpp-python==0.3.36"),  # Home Assistant runs with --skip-pip: nothing is installed
        (False, "home-llm-missing @ file:///nonexistent/home-llm-missing"),  # the installer fails
        (False, "gguf==0.19.0"),  # installed, yet the module still does not import
    ],
)
async def test_llama_cpp_unavailable_points_to_remote(
    hass: HomeAssistant, models_dir: Path, monkeypatch: pytest.MonkeyPatch, skip_pip: bool, requirement: str
) -> None:
    monkeypatch.setattr(config_flow, "LLAMA_CPP_MODULE", "home_llm_no_such_module")
    monkeypatch.setattr(config_flow, "LLAMA_CPP_REQUIREMENT", requirement)
    monkeypatch.setattr(config_flow, "matching_wheel", lambda: None)  # the shipped wheels: tests/test_wheels.py
    hass.config.skip_pip = skip_pip
    result = await _choose(hass, "local")
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["step_id"] == "install_llama_cpp"
    assert result["description_placeholders"] == {"requirement": requirement}
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "llama_cpp_unavailable"
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_install_then_continue(hass: HomeAssistant, models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check fails once, the installer succeeds, the second check passes: on to the chosen step."""
    checks = iter([False, True])
    monkeypatch.setattr(config_flow, "llama_cpp_importable", lambda: next(checks))
    monkeypatch.setattr(config_flow, "LLAMA_CPP_REQUIREMENT", "gguf==0.19.0")  # already installed: no pip run
    monkeypatch.setattr(config_flow, "matching_wheel", lambda: None)
    hass.config.skip_pip = False
    result = await _choose(hass, "huggingface")
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "huggingface"


# --- Local file ---


def _fill_models_dir(models_dir: Path, model: str) -> None:
    models_dir.mkdir(parents=True)
    (models_dir / "smol.gguf").symlink_to(model)
    make_gguf(models_dir / "tiny.Q6_K.gguf", file_type=LlamaFileType.MOSTLY_Q6_K)
    make_gguf(models_dir / "adapter.gguf", gguf_type="adapter")  # not offered as a model


async def test_local_lists_models_and_creates_entry(core: HomeAssistant, models_dir: Path, model: str) -> None:
    hass = core
    _fill_models_dir(models_dir, model)
    result = await _choose(hass, "local")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "local"
    labels = [option["label"] for option in _options(result, CONF_MODEL_PATH)]
    assert labels == [
        "SmolLM2-135M-Instruct.Q4_1.gguf (Q4_1, 98.4 MB, llama, context 8192)",  # the link, resolved
        "tiny.Q6_K.gguf (Q6_K, 608 B, llama, context 2048)",
    ]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL_PATH: f" {models_dir / 'smol.gguf'} "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == SMOL_TITLE
    assert result["data"] == {CONF_BACKEND: BACKEND_LLAMA_CPP, CONF_MODEL_PATH: model}
    assert result["result"].unique_id == model
    assert _agents(result["result"]) == [(DEFAULT_AGENT_NAME, {})]  # an agent comes with the model
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    state = hass.states.get("conversation.home_llm")
    assert state is not None and state.name == DEFAULT_AGENT_NAME
    await _unload_all(hass)


@pytest.mark.parametrize("create", [False, True])
async def test_local_step_says_where_to_put_models(hass: HomeAssistant, models_dir: Path, create: bool) -> None:
    """No model to list: the form names the folder the code reads (missing, or empty), and its example too."""
    if create:
        await hass.async_add_executor_job(os.makedirs, models_dir)
    result = await _choose(hass, "local")
    assert result["step_id"] == "local"
    assert result["errors"] == {"base": "models_folder_empty" if create else "models_folder_missing"}
    placeholders = result["description_placeholders"]
    assert placeholders["folder"] == str(models_dir)
    assert placeholders["example"] == str(models_dir / "SmolLM2-135M-Instruct.Q4_1.gguf")


@pytest.mark.parametrize(
    ("path", "quant", "title"),
    [
        ("/config/models/SmolLM2-135M-Instruct.Q4_1.gguf", "Q4_1", "SmolLM2 135M Instruct (Q4_1)"),
        ("/m/acon96--Home-3B-v3-GGUF--Home-3B-v3.q4_k_m.gguf", None, "Home 3B v3 (Q4_K_M)"),
        ("/m/Meta-Llama-3.1-8B-Instruct-IQ3_XXS.gguf", None, "Meta Llama 3.1 8B Instruct (IQ3_XXS)"),
        ("/m/qwen2.5-0.5b-instruct-fp16.gguf", "F16", "qwen2.5 0.5b instruct fp16 (F16)"),
        ("/m/model.gguf", None, "model"),
    ],
)
def test_model_title_is_the_file_a_person_picked(path: str, quant: str | None, title: str) -> None:
    assert model_title(path, quant) == title


async def test_local_errors(hass: HomeAssistant, models_dir: Path, model_path: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    make_gguf(tmp_path / "anon.gguf", architecture=None)
    make_gguf(tmp_path / "tiny.gguf")  # a real GGUF that llama.cpp cannot run
    (tmp_path / "cut.gguf").write_bytes(make_gguf(tmp_path / "whole.gguf")[:200])
    (tmp_path / "v99.gguf").write_bytes(b"GGUF" + (99).to_bytes(4, "little") + b"\0" * 32)
    result = await _choose(hass, "local")
    for name, key in [
        ("absent.gguf", "model_not_found"),
        ("notes.txt", "model_not_gguf"),
        ("v99.gguf", "model_bad_version"),
        ("cut.gguf", "model_truncated"),
        ("anon.gguf", "model_bad_metadata"),
        ("tiny.gguf", "model_load_failed"),
    ]:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_MODEL_PATH: str(tmp_path / name)}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {CONF_MODEL_PATH: key}, name
        assert result["description_placeholders"]["path"] == str(tmp_path / name)
        assert result["data_schema"]({})[CONF_MODEL_PATH] == str(tmp_path / name)  # what was typed stays
    assert "could not load" in result["description_placeholders"]["detail"]
    assert not hass.config_entries.async_entries(DOMAIN)


def _fill_with_bad_files(models_dir: Path) -> None:
    """One usable file and two that crashed the local list before: a lying length and an odd name."""
    models_dir.mkdir(parents=True)
    make_gguf(models_dir / "tiny.Q6_K.gguf", file_type=LlamaFileType.MOSTLY_Q6_K)
    (models_dir / "hostile.gguf").write_bytes(gguf_file([gguf_string(b"k", 2**63) + u32(STRING)], [WEIGHTS]))
    (models_dir / "two\nlines.gguf").write_bytes(b"GGUF")


def _check_skipped(result: dict[str, Any], models_dir: Path) -> None:
    """The form offers the usable file and names each skipped one with its translated reason."""
    assert [Path(option["value"]).name for option in _options(result, CONF_MODEL_PATH)] == ["tiny.Q6_K.gguf"]
    assert result["errors"] == {"base": "models_skipped"}
    skipped = result["description_placeholders"]["skipped"]  # sentences: the form shows plain text
    assert "\n" not in skipped
    assert skipped.startswith("hostile.gguf is incomplete or damaged (a metadata key of 9223372036854775808")
    assert skipped.endswith(" two?lines.gguf is not a GGUF model file. Download a .gguf file of the model.")
    assert result["description_placeholders"]["folder"] == str(models_dir)


async def test_local_names_skipped_files(hass: HomeAssistant, models_dir: Path, tmp_path: Path) -> None:
    _fill_with_bad_files(models_dir)
    result = await _choose(hass, "local")
    assert result["step_id"] == "local"
    _check_skipped(result, models_dir)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_MODEL_PATH: str(tmp_path / "x")})
    assert result["errors"] == {CONF_MODEL_PATH: "model_not_found", "base": "models_skipped"}


async def test_reconfigure_names_skipped_files(hass: HomeAssistant, models_dir: Path) -> None:
    _fill_with_bad_files(models_dir)
    path = str(models_dir / "tiny.Q6_K.gguf")
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=path, data={CONF_BACKEND: BACKEND_LLAMA_CPP, CONF_MODEL_PATH: path}
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    _check_skipped(result, models_dir)


async def test_one_entry_per_model_file(hass: HomeAssistant, models_dir: Path, model: str) -> None:
    path = model
    MockConfigEntry(domain=DOMAIN, unique_id=path, data={CONF_MODEL_PATH: path}).add_to_hass(hass)
    result = await _choose(hass, "local")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_MODEL_PATH: path})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# --- Hugging Face ---


async def test_huggingface_download_creates_entry(
    core: HomeAssistant, models_dir: Path, model_path: Path, hub: FakeHub, tmp_path: Path
) -> None:
    hass = core
    smol = await hass.async_add_executor_job(model_path.read_bytes)
    hub.repos[DEFAULT_HF_REPO] = {
        "SmolLM2-135M-Instruct.Q4_1.gguf": HubFile(smol, drop_after=30_000_000),
        "tiny.Q3_K_L.gguf": HubFile(make_gguf(tmp_path / "a.gguf")),
        "tiny.Q4_K_M.gguf": HubFile(make_gguf(tmp_path / "b.gguf", tensor_values=100)),
    }
    result = await _choose(hass, "huggingface")
    assert result["step_id"] == "huggingface"
    assert result["data_schema"]({})["repo_id"] == DEFAULT_HF_REPO
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"repo_id": f" {DEFAULT_HF_REPO} "})
    assert result["step_id"] == "pick_file"
    assert result["data_schema"]({})["file"] == "tiny.Q4_K_M.gguf"  # the model card's balanced quant
    assert [option["label"] for option in _options(result, "file")] == [
        "tiny.Q3_K_L.gguf (Q3_K_L, 608 B): smallest, significant quality loss - not recommended",
        "tiny.Q4_K_M.gguf (Q4_K_M, 768 B): medium, balanced quality",
        "SmolLM2-135M-Instruct.Q4_1.gguf (Q4_1, 98.4 MB)",
    ]
    assert result["description_placeholders"]["folder"] == str(models_dir)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"file": "SmolLM2-135M-Instruct.Q4_1.gguf"}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["step_id"] == "download"
    assert result["description_placeholders"]["size"] == "98.4 MB"
    await hass.async_block_till_done()  # the download, the checks and the test load
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entries = hass.config_entries.async_entries(DOMAIN)
    assert [entry.data[CONF_MODEL_PATH] for entry in entries] == [str(models_dir / SMOL_DOWNLOAD)]
    assert entries[0].title == SMOL_TITLE
    assert _agents(entries[0]) == [(DEFAULT_AGENT_NAME, {})]
    assert entries[0].state is ConfigEntryState.LOADED
    assert hub.dropped == 1  # the transfer was cut once and resumed
    assert sorted(os.listdir(models_dir)) == [SMOL_DOWNLOAD]
    assert (models_dir / SMOL_DOWNLOAD).stat().st_size == len(smol)
    await _unload_all(hass)


async def test_huggingface_repository_errors(hass: HomeAssistant, models_dir: Path, hub: FakeHub) -> None:
    hub.repos["owner/docs-only"] = {}
    result = await _choose(hass, "huggingface")
    for repo_id, key in [
        ("someone/missing", "hub_repo_not_found"),
        ("owner/docs-only", "hub_no_gguf"),
        ("not a repository", "hub_unreachable"),
    ]:
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {"repo_id": repo_id})
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"repo_id": key}
        assert result["description_placeholders"]["repo_id"] == repo_id


def _served(tmp_path: Path, fault: str) -> HubFile:
    content = make_gguf(tmp_path / "served.gguf", tensor_values=20_000)
    return {
        "checksum": HubFile(content, listed_sha256="0" * 64),
        "no_space": HubFile(content, listed_size=10**18),  # more than any disk has free
        "gone": HubFile(content, gone=True),  # listed, but the quant's file is not there any more
        "unloadable": HubFile(content),  # downloads fine, but llama.cpp cannot run it
    }[fault]


@pytest.mark.parametrize(
    "case",
    [
        ("checksum", "download_checksum", []),
        ("no_space", "download_no_space", []),
        ("gone", "download_failed", []),
        ("unloadable", "model_load_failed", ["owner--repo--m.Q4_K_M.gguf"]),
    ],
)
async def test_download_failures(
    hass: HomeAssistant, models_dir: Path, hub: FakeHub, tmp_path: Path, case: tuple[str, str, list[str]]
) -> None:
    fault, key, left = case
    hub.repos["owner/repo"] = {"m.Q4_K_M.gguf": _served(tmp_path, fault)}
    result = await _choose(hass, "huggingface")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"repo_id": "owner/repo"})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"file": "m.Q4_K_M.gguf"})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pick_file"  # the user can try again or pick another file
    assert result["errors"] == {"base": key}
    assert sorted(os.listdir(models_dir)) == left  # a failed download leaves nothing behind
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_file_that_already_has_an_entry(
    hass: HomeAssistant, models_dir: Path, hub: FakeHub, tmp_path: Path
) -> None:
    hub.repos["owner/repo"] = {"sub/m.Q4_K_M.gguf": HubFile(make_gguf(tmp_path / "m.gguf"))}
    target = str(models_dir.parent.resolve() / "models" / "owner--repo--sub--m.Q4_K_M.gguf")
    MockConfigEntry(domain=DOMAIN, unique_id=target, data={CONF_MODEL_PATH: target}).add_to_hass(hass)
    result = await _choose(hass, "huggingface")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"repo_id": "owner/repo"})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"file": "sub/m.Q4_K_M.gguf"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert not [request for request in hub.requests if "/resolve/" in request[0]]  # nothing downloaded


async def test_leaving_mid_download_leaves_nothing(
    hass: HomeAssistant, models_dir: Path, hub: FakeHub, tmp_path: Path
) -> None:
    content = make_gguf(tmp_path / "big.gguf", tensor_values=1_000_000)  # 4 MB, sent slowly
    hub.repos["owner/repo"] = {"m.Q4_K_M.gguf": HubFile(content, delay=0.02)}
    result = await _choose(hass, "huggingface")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"repo_id": "owner/repo"})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"file": "m.Q4_K_M.gguf"})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    part = models_dir / "owner--repo--m.Q4_K_M.gguf.part"
    for _ in range(200):
        await asyncio.sleep(0.05)
        if part.exists() and part.stat().st_size > 300_000:
            break
    shown = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert shown["type"] is FlowResultType.SHOW_PROGRESS
    assert 0 < int(shown["description_placeholders"]["percent"]) < 100
    hass.config_entries.flow.async_abort(result["flow_id"])  # the user closes the dialog
    await hass.async_block_till_done()
    assert os.listdir(models_dir) == []
    assert not hass.config_entries.async_entries(DOMAIN)


# --- Reconfigure ---


async def test_reconfigure_to_another_file(hass: HomeAssistant, loaded_entry: MockConfigEntry, tmp_path: Path) -> None:
    other = tmp_path / "copy-of-smol.gguf"
    os.link(loaded_entry.data[CONF_MODEL_PATH], other)  # the same bytes under another name
    taken = MockConfigEntry(domain=DOMAIN, unique_id=str(tmp_path / "taken.gguf"), data={})
    taken.add_to_hass(hass)
    os.link(loaded_entry.data[CONF_MODEL_PATH], tmp_path / "taken.gguf")
    first_backend = loaded_entry.runtime_data

    result = await loaded_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    assert result["data_schema"]({})[CONF_MODEL_PATH] == loaded_entry.data[CONF_MODEL_PATH]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_MODEL_PATH: str(tmp_path / "x")})
    assert result["errors"] == {CONF_MODEL_PATH: "model_not_found"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL_PATH: str(tmp_path / "taken.gguf")}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await loaded_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_MODEL_PATH: str(other)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert loaded_entry.data == {CONF_BACKEND: BACKEND_LLAMA_CPP, CONF_MODEL_PATH: str(other)}
    assert loaded_entry.unique_id == str(other)
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.runtime_data is not first_backend  # reloaded with the new file
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2


async def test_reconfigure_same_file(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    result = await loaded_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL_PATH: loaded_entry.data[CONF_MODEL_PATH]}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()


async def test_reconfigure_remote_entry(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_BACKEND: BACKEND_REMOTE, CONF_BASE_URL: "http://x/v1"})
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_remote"


# --- Options ---


async def test_model_settings_save_and_reload_the_model(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """The entry's options are the loaded model's settings: saving them loads the model again."""
    first_backend = loaded_entry.runtime_data
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    defaults = result["data_schema"]({})
    assert defaults[CONF_CHAT_FORMAT] == "auto"
    assert CONF_PROMPT not in defaults  # an agent's option, on the agent
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_CONTEXT_LENGTH: 1024.0, CONF_THREADS: 1.0, CONF_CHAT_FORMAT: "chatml"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    options = loaded_entry.options
    assert options[CONF_CONTEXT_LENGTH] == 1024 and isinstance(options[CONF_CONTEXT_LENGTH], int)
    assert options[CONF_LORA_PATH] == ""
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.runtime_data is not first_backend  # saving reloaded the model
    assert loaded_entry.runtime_data.settings.context_length == 1024

    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert (
        result["data_schema"]({})[CONF_CONTEXT_LENGTH] == 4096
    )  # defaults stay defaults; current values are suggested
    suggested = {key.schema: key.description["suggested_value"] for key in result["data_schema"].schema}
    assert suggested[CONF_CONTEXT_LENGTH] == 1024


async def test_model_settings_say_when_the_house_does_not_fit(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A house whose prompt needs more than the model's trained context: the model's settings form
    says so with the figures, and stops saying it once a prompt fits."""
    backend = loaded_entry.runtime_data
    backend.trained_context = 4096  # as a model trained on what the entry loaded (4096 tokens)
    big = make_house(*(Device(f"light.room_{index}", f"Room {index} Light", "on") for index in range(400)))
    with pytest.raises(BackendError, match="more than this model's trained context"):
        await backend.async_prewarm(prefix_messages(big, persona=DEFAULT_PERSONA, num_examples=5))
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert result["errors"] == {"base": "house_too_big"}
    needed = int(result["description_placeholders"]["needed"])
    assert needed > 4096 and result["description_placeholders"]["trained"] == "4096"
    hass.config_entries.options.async_abort(result["flow_id"])

    await backend.async_prewarm(prefix_messages(CARD_HOUSE, persona=DEFAULT_PERSONA, num_examples=5))
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert result["errors"] == {}


async def test_agents_are_added_and_reconfigured_on_one_loaded_model(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Add agent and Reconfigure agent: own name, prompt and options; the model is never loaded again."""
    backend = loaded_entry.runtime_data
    (first_id,) = loaded_entry.subentries  # the version 1 entry's agent, migrated
    assert hass.states.get("conversation.smollm2_135m_instruct_q4_1") is not None  # named as before

    result = await hass.config_entries.subentries.async_init(
        (loaded_entry.entry_id, SUBENTRY_CONVERSATION), context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "user"
    defaults = result["data_schema"]({SERVICES_SECTION: {}})
    assert defaults["name"] == DEFAULT_AGENT_NAME  # the migrated agent is named after the entry: the name is free
    assert defaults[CONF_PROMPT] == DEFAULT_PERSONA
    assert defaults[SERVICES_SECTION][CONF_ALLOWED_SERVICES] == ALL_SERVICES
    services = result["data_schema"].schema[SERVICES_SECTION]
    assert services.options == {"collapsed": True}  # the ~80 services do not fill the form
    labels = {
        option["value"]: option["label"] for option in services.schema.schema[CONF_ALLOWED_SERVICES].config["options"]
    }
    assert labels["light.turn_on"] == "Light: turn on"
    assert labels["media_player.volume_set"] == "Media player: volume set"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "name": " Kitchen helper ",
            CONF_PROMPT: "You are Bob, in a house of {{ states.light | count }} lights.",
            CONF_TOP_K: 20.0,
            SERVICES_SECTION: {CONF_ALLOWED_SERVICES: ["light.turn_on", "light.turn_off"]},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    new_id = next(key for key in loaded_entry.subentries if key != first_id)
    agent = loaded_entry.subentries[new_id]
    assert agent.title == "Kitchen helper"
    assert agent.data[CONF_TOP_K] == 20 and isinstance(agent.data[CONF_TOP_K], int)
    assert agent.data[CONF_ALLOWED_SERVICES] == ["light.turn_on", "light.turn_off"]
    assert SERVICES_SECTION not in agent.data  # stored flat, as the agent reads it
    state = hass.states.get("conversation.kitchen_helper")
    assert state is not None
    assert loaded_entry.runtime_data is backend  # one model for both agents, not loaded again

    result = await hass.config_entries.subentries.async_init(
        (loaded_entry.entry_id, SUBENTRY_CONVERSATION),
        context={"source": config_entries.SOURCE_RECONFIGURE, "subentry_id": new_id},
    )
    assert result["step_id"] == "reconfigure"
    schema = result["data_schema"].schema
    suggested = {key.schema: (key.description or {}).get("suggested_value") for key in schema}
    assert suggested["name"] == "Kitchen helper"
    (services_key,) = schema[SERVICES_SECTION].schema.schema
    assert services_key.description["suggested_value"] == ["light.turn_on", "light.turn_off"]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Cook", CONF_TEMPERATURE: 0.5, SERVICES_SECTION: {CONF_ALLOWED_SERVICES: []}}
    )
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert loaded_entry.subentries[new_id].data[CONF_TEMPERATURE] == 0.5
    assert hass.states.get("conversation.kitchen_helper").name == "Cook"  # the device follows the new name
    assert loaded_entry.runtime_data is backend

    hass.config_entries.async_remove_subentry(loaded_entry, new_id)
    await hass.async_block_till_done()
    assert hass.states.get("conversation.kitchen_helper") is None
    assert hass.states.get("conversation.smollm2_135m_instruct_q4_1") is not None
    assert loaded_entry.runtime_data is backend


async def test_agent_and_model_option_errors(hass: HomeAssistant, model_path: Path, tmp_path: Path) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_BACKEND: BACKEND_LLAMA_CPP, CONF_MODEL_PATH: str(model_path)})
    entry.add_to_hass(hass)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_CONVERSATION), context={"source": config_entries.SOURCE_USER}
    )
    with pytest.raises(InvalidData) as err:  # the template selector rejects bad syntax
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {"name": "x", CONF_PROMPT: "{{ states('light.x' }}"}
        )
    assert CONF_PROMPT in err.value.schema_errors
    make_gguf(tmp_path / "lora.gguf", gguf_type="adapter")
    result = await hass.config_entries.options.async_init(entry.entry_id)
    for lora, key in [(str(tmp_path / "none.gguf"), "model_not_found"), (str(model_path), "lora_not_adapter")]:
        result = await hass.config_entries.options.async_configure(result["flow_id"], {CONF_LORA_PATH: lora})
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {CONF_LORA_PATH: key}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_LORA_PATH: f" {tmp_path / 'lora.gguf'} "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_LORA_PATH] == str((tmp_path / "lora.gguf").resolve())


async def test_remote_server_has_agent_options_only(hass: HomeAssistant) -> None:
    """A remote server has no model settings here (no options flow); its agents have all theirs."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=2,
        data={CONF_BACKEND: BACKEND_REMOTE, CONF_BASE_URL: "http://x/v1", CONF_REMOTE_MODEL: "m", CONF_API_KEY: "k"},
        subentries_data=[
            {
                "subentry_type": SUBENTRY_CONVERSATION,
                "title": "Home LLM",
                "unique_id": None,
                "data": {"reply_format": "auto", CONF_ALLOWED_SERVICES: ["light.turn_on"]},
            },
        ],
    )
    entry.add_to_hass(hass)
    assert not config_flow.HomeLlmConfigFlow.async_supports_options_flow(entry)
    (subentry_id,) = entry.subentries
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_CONVERSATION),
        context={"source": config_entries.SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    keys = {key.schema for key in result["data_schema"].schema}
    assert CONF_TEMPERATURE in keys and CONF_ALLOW_SENSITIVE in keys
    assert not keys & {CONF_CONTEXT_LENGTH, CONF_THREADS, CONF_LORA_PATH, CONF_CHAT_FORMAT}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Home LLM", CONF_MAX_TOKENS: 256}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[subentry_id].data[CONF_MAX_TOKENS] == 256
    # The services section left out: the agent keeps its narrower choice, not the default (all).
    assert entry.subentries[subentry_id].data[CONF_ALLOWED_SERVICES] == ["light.turn_on"]
    assert entry.subentries[subentry_id].data["reply_format"] == "auto"  # options this form does not show are kept

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_CONVERSATION), context={"source": config_entries.SOURCE_USER}
    )
    # "Home LLM" is taken: the new agent's suggested name says which model it runs on.
    assert result["data_schema"]({})["name"] == f"{DEFAULT_AGENT_NAME} ({entry.title})"
    assert CONF_EXTRA_ATTRIBUTES in entry.subentries[subentry_id].data  # the form's defaults are saved


# --- Every message the flows can show is written, in both string files ---


def test_strings_cover_every_message() -> None:
    root = Path(config_flow.__file__).parent
    strings = json.loads((root / "strings.json").read_text())
    assert strings == json.loads((root / "translations" / "en.json").read_text())
    sources = (root / "model_files.py").read_text() + (root / "config_flow.py").read_text()
    error_keys = set(re.findall(r'ModelFileError\(\s*"(\w+)"', sources))
    assert {"model_not_found", "download_checksum", "hub_no_gguf", "model_load_failed"} <= error_keys
    config = strings["config"]
    assert {key for key in error_keys if not key.startswith("lora_")} <= set(config["error"])
    assert {key for key in error_keys if key.startswith(("model_", "lora_"))} <= set(strings["options"]["error"])
    reasons = set(re.findall(r'reason="(\w+)"', sources)) | {"already_configured", "reconfigure_successful"}
    assert reasons <= set(config["abort"])
    assert {"user", "huggingface", "pick_file", "local", "reconfigure"} <= set(config["step"])
    assert set(config["step"]["user"]["menu_options"]) == {"huggingface", "local", "remote"}
    assert set(config["progress"]) == set(re.findall(r'progress_action="(\w+)"', sources))
    options = strings["options"]["step"]["init"]
    fields = {key.schema for key in model_fields()}
    assert set(options["data"]) == fields
    assert set(options["data_description"]) == fields
    agent = strings["config_subentries"][SUBENTRY_CONVERSATION]
    assert set(agent["initiate_flow"]) == {"user", "reconfigure"}
    in_section = {CONF_ALLOWED_SERVICES}
    for step in ("user", "reconfigure"):
        form = agent["step"][step]
        fields = {key.schema for key in agent_fields()} - in_section | {"name"}
        assert set(form["data"]) == set(form["data_description"]) == fields
        assert set(form["sections"][SERVICES_SECTION]["data"]) == in_section


async def test_agent_picks_a_prompt_layout(hass: HomeAssistant) -> None:
    """The agent form offers the three prompt layouts (changes_last by default) and saves the one picked."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=2,
        data={CONF_BACKEND: BACKEND_REMOTE, CONF_BASE_URL: "http://x/v1", CONF_REMOTE_MODEL: "m", CONF_API_KEY: "k"},
        subentries_data=[{"subentry_type": SUBENTRY_CONVERSATION, "title": "Home LLM", "unique_id": None, "data": {}}],
    )
    entry.add_to_hass(hass)
    (subentry_id,) = entry.subentries
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_CONVERSATION),
        context={"source": config_entries.SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    assert result["data_schema"]({"name": "Home LLM"})[CONF_PROMPT_LAYOUT] == PROMPT_LAYOUT_CHANGES_LAST
    with pytest.raises(vol.Invalid):
        result["data_schema"]({"name": "Home LLM", CONF_PROMPT_LAYOUT: "sideways"})
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Home LLM", CONF_PROMPT_LAYOUT: PROMPT_LAYOUT_CARD}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[subentry_id].data[CONF_PROMPT_LAYOUT] == PROMPT_LAYOUT_CARD
