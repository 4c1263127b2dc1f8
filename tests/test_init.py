"""Entry set-up and unload with the real llama.cpp backend and bad model files."""

import threading
from pathlib import Path

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.home_llm.const import CONF_MODEL_PATH, DOMAIN


async def test_setup_loads_the_model_and_unload_frees_it(hass: HomeAssistant, core: HomeAssistant, model_path: Path) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_MODEL_PATH: str(model_path)}, title="SmolLM2")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("conversation.smollm2") is not None
    backend = entry.runtime_data
    assert any(t.name.startswith("home_llm_llama") for t in threading.enumerate())

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert backend._llama is None
    assert not any(t.name.startswith("home_llm_llama") for t in threading.enumerate())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        (b"this is not a model", "is not a GGUF model file"),
        (b"GGUF\x03\x00\x00\x00" + b"\x00" * 8, "incomplete or damaged"),
    ],
)
async def test_bad_model_file_fails_setup(
    hass: HomeAssistant, core: HomeAssistant, tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "model.gguf"
    if content is not None:
        path.write_bytes(content)
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_MODEL_PATH: str(path)})
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert message in entry.reason
    assert str(path) in entry.reason


@pytest.mark.parametrize(("options", "adapter"), [({}, True), ({"house_adapter": False}, False)])
async def test_house_adapter_is_applied_to_the_default_model_unless_turned_off(
    hass: HomeAssistant, core: HomeAssistant, model_path: Path, options: dict, adapter: bool
) -> None:
    from custom_components.home_llm import SHIPPED_ADAPTER  # noqa: PLC0415

    entry = MockConfigEntry(domain=DOMAIN, data={CONF_MODEL_PATH: str(model_path)}, options=options)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.runtime_data.settings.lora_path == (str(SHIPPED_ADAPTER) if adapter else None)
    assert await hass.config_entries.async_unload(entry.entry_id)
