"""Diagnostics: the model's settings, each agent's options, the model file's metadata and the
backend's last prompt size; no secrets."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .backends.openai import redact_url
from .const import CONF_API_KEY, CONF_BASE_URL, CONF_MODEL_PATH
from .model_files import ModelFileError, read_model_info

TO_REDACT = {CONF_API_KEY}


async def async_get_config_entry_diagnostics(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, Any]:
    """The entry's settings (no API key, no password in the server URL), the model's options, the
    agents (subentries) with their options, the model file and the backend."""
    backend = getattr(entry, "runtime_data", None)
    data = async_redact_data(dict(entry.data), TO_REDACT)
    if CONF_BASE_URL in data:
        data[CONF_BASE_URL] = redact_url(data[CONF_BASE_URL])  # the server stays useful to read; not its password
    return {
        "data": data,
        "options": dict(entry.options),
        "agents": [
            {"title": subentry.title, "type": subentry.subentry_type, "options": dict(subentry.data)}
            for subentry in getattr(entry, "subentries", {}).values()
        ],
        "model": await _async_model_metadata(hass, entry.data.get(CONF_MODEL_PATH)),
        "backend": {
            "type": type(backend).__name__ if backend is not None else None,
            "chat_format": getattr(backend, "chat_format", None),
            "last_prompt_tokens": getattr(backend, "last_prompt_tokens", None),
        },
    }


async def _async_model_metadata(hass: HomeAssistant, path: str | None) -> dict[str, Any] | None:
    """The model file's header facts (the chat template by its length only), or why it cannot be read."""
    if not path:
        return None  # a remote server: no local file
    try:
        info = await hass.async_add_executor_job(read_model_info, path)
    except ModelFileError as err:
        return {"path": path, "error": err.key, "detail": err.detail}
    metadata = asdict(info)
    template = metadata.pop("chat_template")
    metadata["chat_template_chars"] = len(template) if template else 0
    return metadata
