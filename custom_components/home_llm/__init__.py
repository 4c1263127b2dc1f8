"""Home LLM: a local GGUF language model as a Home Assistant conversation agent."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry, ConfigSubentryData
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .backends import Backend, BackendError
from .backends.llama_cpp import LlamaCppBackend, LlamaSettings
from .const import (
    BACKEND_LLAMA_CPP,
    BACKEND_REMOTE,
    CONF_BACKEND,
    CONF_BATCH_SIZE,
    CONF_CHAT_FORMAT,
    CONF_CONTEXT_LENGTH,
    CONF_FLASH_ATTENTION,
    CONF_HOUSE_ADAPTER,
    CONF_LORA_PATH,
    CONF_MODEL_PATH,
    CONF_THREADS,
    DEFAULT_AGENT_NAME,
    DEFAULT_BATCH_SIZE,
    DEFAULT_CHAT_FORMAT,
    DEFAULT_CONTEXT_LENGTH,
    DEFAULT_HOUSE_ADAPTER,
    DEFAULT_THREADS,
    DOMAIN,
    MODEL_OPTIONS,
    SUBENTRY_CONVERSATION,
)
from .model_files import ModelFileError, read_model_info

_LOGGER = logging.getLogger(__name__)

PLATFORMS = [Platform.CONVERSATION]
ENTRY_VERSION = 2  # 2: agents are "conversation" subentries; the entry keeps the model and its settings
ENTRY_MINOR_VERSION = 1
# Our house adapter (training/), trained on the default model: used when no adapter is chosen
# and the model is that one (any quantization of it has the same tensor shapes).
SHIPPED_ADAPTER = Path(__file__).parent / "adapters" / "smollm2-135m-home.gguf"
SHIPPED_ADAPTER_BASE = "smollm2-135m-instruct"


def default_lora_path(model_path: str) -> str | None:
    """The shipped adapter for the default model family, else none. Runs in the executor (stat)."""
    if Path(model_path).name.lower().startswith(SHIPPED_ADAPTER_BASE) and SHIPPED_ADAPTER.is_file():
        return str(SHIPPED_ADAPTER)
    return None


type HomeLlmConfigEntry = ConfigEntry[Backend]


def agents_signal(entry_id: str) -> str:
    """Dispatcher signal: the entry's agents (subentries) changed, but not its model."""
    return f"{DOMAIN}_{entry_id}_agents"


def default_agent(hass: HomeAssistant, model: str) -> ConfigSubentryData:
    """The agent a new entry starts with: "Home LLM", or "Home LLM (model)" when that name is taken."""
    taken = {
        subentry.title for entry in hass.config_entries.async_entries(DOMAIN) for subentry in entry.subentries.values()
    }
    title = DEFAULT_AGENT_NAME if DEFAULT_AGENT_NAME not in taken else f"{DEFAULT_AGENT_NAME} ({model})"
    return ConfigSubentryData(data={}, subentry_type=SUBENTRY_CONVERSATION, title=title, unique_id=None)


def _model_settings(entry: ConfigEntry) -> tuple[Any, ...]:
    """What the loaded model depends on: a change to any of it needs the model loaded again."""
    return (dict(entry.data), {key: entry.options.get(key) for key in MODEL_OPTIONS})


async def async_setup_entry(hass: HomeAssistant, entry: HomeLlmConfigEntry) -> bool:
    """Start the entry's backend (in-process model or remote server) once, then add its agents."""
    if entry.data.get(CONF_BACKEND, BACKEND_LLAMA_CPP) == BACKEND_REMOTE:
        from .backends.openai import async_start_remote_backend  # noqa: PLC0415

        # Raises ConfigEntryNotReady while the server is down, so Home Assistant retries.
        entry.runtime_data = await async_start_remote_backend(hass, entry)
    else:
        entry.runtime_data = await _async_start_llama_backend(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    loaded_with = _model_settings(entry)

    async def _async_entry_updated(hass: HomeAssistant, entry: HomeLlmConfigEntry) -> None:
        """Load the model again only when its settings changed; an agent added, edited or removed
        is handled by the conversation platform without touching the model."""
        if _model_settings(entry) != loaded_with:
            await hass.config_entries.async_reload(entry.entry_id)
        else:
            async_dispatcher_send(hass, agents_signal(entry.entry_id))

    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    return True


async def _async_start_llama_backend(hass: HomeAssistant, entry: HomeLlmConfigEntry) -> LlamaCppBackend:
    """Check the model file, then load it on the backend's worker thread."""
    path = entry.data[CONF_MODEL_PATH]
    try:
        await hass.async_add_executor_job(read_model_info, path)
    except ModelFileError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key=err.key,
            translation_placeholders={"path": err.path, "detail": err.detail},
        ) from err

    options = entry.options
    # No adapter chosen (the options form stores ""): ours, if the model is the default one.
    lora_path = options.get(CONF_LORA_PATH) or None
    if lora_path is None and options.get(CONF_HOUSE_ADAPTER, DEFAULT_HOUSE_ADAPTER):
        lora_path = await hass.async_add_executor_job(default_lora_path, path)
    backend = LlamaCppBackend(
        LlamaSettings(
            model_path=path,
            context_length=int(options.get(CONF_CONTEXT_LENGTH, DEFAULT_CONTEXT_LENGTH)),
            threads=int(options.get(CONF_THREADS, DEFAULT_THREADS)),
            batch_size=int(options.get(CONF_BATCH_SIZE, DEFAULT_BATCH_SIZE)),
            chat_format=options.get(CONF_CHAT_FORMAT, DEFAULT_CHAT_FORMAT),
            lora_path=lora_path or None,
            flash_attention=bool(options.get(CONF_FLASH_ATTENTION, False)),
        )
    )
    try:
        await backend.async_load()
    except BackendError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="model_load_failed",
            translation_placeholders={"path": path, "detail": str(err)},
        ) from err
    return backend


async def async_unload_entry(hass: HomeAssistant, entry: HomeLlmConfigEntry) -> bool:
    """Remove the agent, then free the model and its worker thread."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.async_close()
    return unloaded


def split_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Version 1 options -> (the model's settings, the agent's options)."""
    model = {key: value for key, value in options.items() if key in MODEL_OPTIONS}
    agent = {key: value for key, value in options.items() if key not in MODEL_OPTIONS}
    return model, agent


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Version 1 (one agent per entry, options on the entry) -> 2 (agents are subentries)."""
    if entry.version > ENTRY_VERSION:
        return False  # written by a newer Home LLM: a downgrade cannot read it
    if entry.version == 1:
        model_options, agent_options = split_options(entry.options)
        # The agent keeps the entry's title, so its device name and entity id stay what they were.
        subentry = ConfigSubentry(
            data=MappingProxyType(agent_options),
            subentry_type=SUBENTRY_CONVERSATION,
            title=entry.title,
            unique_id=None,
        )
        hass.config_entries.async_add_subentry(entry, subentry)
        _move_agent_to_subentry(hass, entry, subentry.subentry_id)
        hass.config_entries.async_update_entry(
            entry, options=model_options, version=ENTRY_VERSION, minor_version=ENTRY_MINOR_VERSION
        )
        _LOGGER.debug("Migrated %s: its agent is now subentry %s", entry.title, subentry.subentry_id)
    return True


def _move_agent_to_subentry(hass: HomeAssistant, entry: ConfigEntry, subentry_id: str) -> None:
    """The version 1 entity and device (both keyed by the entry id) now belong to the subentry,
    as core's ollama migration does: same entity id, automations and pipelines keep working."""
    entity_registry = er.async_get(hass)
    if entity_id := entity_registry.async_get_entity_id(Platform.CONVERSATION, DOMAIN, entry.entry_id):
        entity_registry.async_update_entity(entity_id, config_subentry_id=subentry_id, new_unique_id=subentry_id)
    device_registry = dr.async_get(hass)
    if device := device_registry.async_get_device(identifiers={(DOMAIN, entry.entry_id)}):
        device_registry.async_update_device(
            device.id,
            new_identifiers={(DOMAIN, subentry_id)},
            add_config_entry_id=entry.entry_id,
            add_config_subentry_id=subentry_id,
        )
        # The device was linked to the entry without a subentry: only the subentry link stays.
        device_registry.async_update_device(
            device.id, remove_config_entry_id=entry.entry_id, remove_config_subentry_id=None
        )
