"""Shared fixtures: custom integrations on, the default model, the demo house."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import async_get_platforms
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.home_llm.const import CONF_MODEL_PATH, DOMAIN

from .scripted import ScriptedBackend

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = REPO / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/home_llm in every test."""


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The default model; in CI a missing model fails the run, elsewhere it skips."""
    path = Path(os.environ.get("HOME_LLM_MODEL", DEFAULT_MODEL))
    if not path.is_file():
        message = f"default model missing at {path}: run scripts/setup"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
async def core(hass: HomeAssistant) -> HomeAssistant:
    """Home Assistant with its core integration (expose settings live there)."""
    assert await async_setup_component(hass, "homeassistant", {})
    return hass


@pytest.fixture
async def demo_house(core: HomeAssistant) -> AsyncIterator[HomeAssistant]:
    """Home Assistant's own demo integration: a real house with lights, fans, covers, locks..."""
    hass = core
    assert await async_setup_component(hass, "demo", {"demo": {}})
    await hass.async_block_till_done()
    yield hass
    # Resetting the demo platforms stops their polling timers, which the test harness rejects.
    for platform in [*async_get_platforms(hass, "demo"), *async_get_platforms(hass, "sun")]:
        await platform.async_reset()
    await hass.async_block_till_done()


@pytest.fixture
async def agent(demo_house: HomeAssistant, model_path: Path) -> AsyncIterator[ScriptedBackend]:
    """The integration on the demo house, answering from ScriptedBackend.replies (exact control)."""
    ScriptedBackend.replies = []
    ScriptedBackend.instances = []
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_MODEL_PATH: str(model_path)}, title="Home LLM")
    entry.add_to_hass(demo_house)
    with patch("custom_components.home_llm.LlamaCppBackend", ScriptedBackend):
        assert await demo_house.config_entries.async_setup(entry.entry_id)
        await demo_house.async_block_till_done()
        yield ScriptedBackend.instances[-1]
    assert await demo_house.config_entries.async_unload(entry.entry_id)
    assert ScriptedBackend.instances[-1].closed
