"""Diagnostics: model settings, agents' options, the model file's metadata and the backend's prompt size;
secrets redacted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.home_llm.const import (
    BACKEND_LLAMA_CPP,
    BACKEND_REMOTE,
    CONF_API_KEY,
    CONF_BACKEND,
    CONF_BASE_URL,
    CONF_MODEL_PATH,
    CONF_REMOTE_MODEL,
    CONF_TEMPERATURE,
    DOMAIN,
)
from custom_components.home_llm.diagnostics import async_get_config_entry_diagnostics


@pytest.fixture
async def loaded_entry(core: HomeAssistant, model_path: Path) -> AsyncIterator[MockConfigEntry]:
    hass = core
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_BACKEND: BACKEND_LLAMA_CPP, CONF_MODEL_PATH: str(model_path)},
        options={CONF_TEMPERATURE: 0.2},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    yield entry
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_local_model(hass: HomeAssistant, loaded_entry: MockConfigEntry, model_path: Path) -> None:
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_entry)
    assert diagnostics["data"] == dict(loaded_entry.data)
    assert diagnostics["options"] == {}  # the model's settings: none set
    # The version 1 entry's options became its agent's (migration).
    assert diagnostics["agents"] == [
        {"title": "Mock Title", "type": "conversation", "options": {CONF_TEMPERATURE: 0.2}}
    ]
    model = diagnostics["model"]
    assert model["architecture"] == "llama"
    assert model["quant"] == "Q4_1"
    assert model["context_length"] == 8192
    assert model["size"] == 98362432
    assert model["chat_template_chars"] > 100
    assert "chat_template" not in model
    assert diagnostics["backend"]["type"] == "LlamaCppBackend"
    assert diagnostics["backend"]["last_prompt_tokens"] == 0  # no turn yet
    assert diagnostics["backend"]["chat_format"] == "chatml"


async def test_remote_server_redacts_the_key(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={
            CONF_BACKEND: BACKEND_REMOTE,
            CONF_BASE_URL: "http://gpu-box:8080/v1",
            CONF_API_KEY: "sk-secret",
            CONF_REMOTE_MODEL: "home-3b",
        },
    )
    entry.add_to_hass(hass)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["data"][CONF_API_KEY] == "**REDACTED**"
    assert "sk-secret" not in str(diagnostics)
    assert diagnostics["model"] is None
    assert diagnostics["backend"] == {"type": None, "chat_format": None, "last_prompt_tokens": None}


async def test_missing_model_file(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, data={CONF_BACKEND: BACKEND_LLAMA_CPP, CONF_MODEL_PATH: str(tmp_path / "gone.gguf")}
    )
    entry.add_to_hass(hass)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["model"]["error"] == "model_not_found"


async def test_remote_server_url_loses_its_password(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={
            CONF_BACKEND: BACKEND_REMOTE,
            CONF_BASE_URL: "http://admin:secret@gpu-box:8080/v1",
            CONF_REMOTE_MODEL: "home-3b",
        },
    )
    entry.add_to_hass(hass)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["data"][CONF_BASE_URL] == "http://gpu-box:8080/v1"
    assert "secret" not in str(diagnostics)
