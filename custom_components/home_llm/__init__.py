"""Home LLM: a local GGUF language model as a Home Assistant conversation agent."""

from __future__ import annotations

from pathlib import Path

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError

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
    DEFAULT_BATCH_SIZE,
    DEFAULT_CHAT_FORMAT,
    DEFAULT_CONTEXT_LENGTH,
    DEFAULT_HOUSE_ADAPTER,
    DEFAULT_THREADS,
    DOMAIN,
)
from .model_files import ModelFileError, read_model_info

PLATFORMS = [Platform.CONVERSATION]
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


async def async_setup_entry(hass: HomeAssistant, entry: HomeLlmConfigEntry) -> bool:
    """Start the entry's backend (in-process model or remote server), then add the agent."""
    if entry.data.get(CONF_BACKEND, BACKEND_LLAMA_CPP) == BACKEND_REMOTE:
        from .backends.openai import async_start_remote_backend  # noqa: PLC0415

        # Raises ConfigEntryNotReady while the server is down, so Home Assistant retries.
        entry.runtime_data = await async_start_remote_backend(hass, entry)
    else:
        entry.runtime_data = await _async_start_llama_backend(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_reload_on_update))
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


async def _async_reload_on_update(hass: HomeAssistant, entry: HomeLlmConfigEntry) -> None:
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: HomeLlmConfigEntry) -> bool:
    """Remove the agent, then free the model and its worker thread."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.async_close()
    return unloaded
