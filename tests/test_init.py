"""Entry set-up and unload with the real llama.cpp backend and bad model files; migration of version 1
entries; several agents on one loaded model."""

import threading
from pathlib import Path
from unittest.mock import patch

import pytest
from homeassistant.components import conversation
from homeassistant.components.conversation.const import DATA_COMPONENT
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.home_llm.const import CONF_CONTEXT_LENGTH, CONF_MODEL_PATH, CONF_PROMPT, CONF_TEMPERATURE, DOMAIN

from .scripted import ScriptedBackend


async def test_setup_loads_the_model_and_unload_frees_it(
    hass: HomeAssistant, core: HomeAssistant, model_path: Path
) -> None:
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


async def test_version_1_entry_becomes_a_model_with_one_agent(
    hass: HomeAssistant, core: HomeAssistant, model_path: Path
) -> None:
    """Options of a version 1 entry become its first agent's; the model's settings stay on the entry;
    the agent keeps its entity id, device and name (registry entries moved to the subentry, as core did)."""
    title = "Smollm2 135M 8k Lc100K Mix1 Ep2"  # what version 1 named entries: the GGUF's general.name
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        title=title,
        data={CONF_MODEL_PATH: str(model_path)},
        options={CONF_PROMPT: "You are Bob.", CONF_TEMPERATURE: 0.3, CONF_CONTEXT_LENGTH: 1024},
    )
    entry.add_to_hass(hass)
    devices, entities = dr.async_get(hass), er.async_get(hass)
    device = devices.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, entry.entry_id)}, name=title
    )
    old = entities.async_get_or_create(
        "conversation", DOMAIN, entry.entry_id, config_entry=entry, device_id=device.id, suggested_object_id="old_agent"
    )
    with patch("custom_components.home_llm.LlamaCppBackend", ScriptedBackend):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()

    assert (entry.version, entry.minor_version) == (2, 1)
    assert entry.options == {CONF_CONTEXT_LENGTH: 1024}
    assert entry.runtime_data.settings.context_length == 1024
    (subentry,) = entry.subentries.values()
    assert (subentry.subentry_type, subentry.title) == ("conversation", title)
    assert subentry.data == {CONF_PROMPT: "You are Bob.", CONF_TEMPERATURE: 0.3}
    moved = entities.async_get(old.entity_id)
    assert moved.entity_id == "conversation.old_agent"
    assert (moved.unique_id, moved.config_subentry_id, moved.device_id) == (
        subentry.subentry_id,
        subentry.subentry_id,
        device.id,
    )
    device = devices.async_get(device.id)
    assert device.identifiers == {(DOMAIN, subentry.subentry_id)}
    assert device.config_entries_subentries == {entry.entry_id: {subentry.subentry_id}}
    assert hass.states.get("conversation.old_agent") is not None
    assert len(er.async_entries_for_config_entry(entities, entry.entry_id)) == 1  # no second agent appeared
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_entry_from_a_newer_version_is_not_set_up(hass: HomeAssistant, core: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, version=3, data={CONF_MODEL_PATH: "/nowhere.gguf"})
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


class PrewarmingBackend(ScriptedBackend):
    """A scripted backend with a prompt cache to keep warm (as LlamaCppBackend has)."""

    async def async_prewarm(self, messages: list) -> int:
        """Nothing to read: the test looks at which agent's prefix would be warmed."""
        return 0


async def test_agents_share_one_loaded_model(hass: HomeAssistant, core: HomeAssistant, model_path: Path) -> None:
    """Two agents on one model: one backend, each agent with its own prompt and sampling; only the
    agent that answered last keeps its prefix warm (the agents share one prompt cache)."""
    ScriptedBackend.instances = []
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=2,
        data={CONF_MODEL_PATH: str(model_path)},
        subentries_data=[
            {"subentry_type": "conversation", "title": title, "unique_id": None, "data": data}
            for title, data in [("Al", {}), ("Bob", {CONF_PROMPT: "You are Bob.", CONF_TEMPERATURE: 0.7})]
        ],
    )
    entry.add_to_hass(hass)
    with patch("custom_components.home_llm.LlamaCppBackend", PrewarmingBackend):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert len(ScriptedBackend.instances) == 1
    ScriptedBackend.replies = ["Hi, I am Al.", "Hi, I am Bob."]
    for agent_id in ("conversation.al", "conversation.bob"):
        await conversation.async_converse(
            hass=hass, text="hello", conversation_id=None, context=Context(), language="en", agent_id=agent_id
        )
    (al_messages, _, al_sampling), (bob_messages, _, bob_sampling) = ScriptedBackend.instances[0].requests
    assert al_messages[0].content.startswith("You are 'Al'") and al_sampling.temperature == 0.0
    assert bob_messages[0].content.startswith("You are Bob.") and bob_sampling.temperature == 0.7
    al, bob = (hass.data[DATA_COMPONENT].get_entity(agent_id) for agent_id in ("conversation.al", "conversation.bob"))
    assert al._prewarm_prefix() is None  # Bob answered last: his prefix is the one in the cache
    assert bob._prewarm_prefix()[0].content.startswith("You are Bob.")
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert ScriptedBackend.instances[0].closed
