"""Config flow: add an agent for a local GGUF model file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers.selector import TextSelector

from .const import CONF_MODEL_PATH, DOMAIN
from .model_files import ModelFileError, read_model_info


class HomeLlmConfigFlow(ConfigFlow, domain=DOMAIN):
    """Pick a model file; it is checked before the entry exists."""

    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            path = str(Path(user_input[CONF_MODEL_PATH].strip()).expanduser())
            try:
                info = await self.hass.async_add_executor_job(read_model_info, path)
            except ModelFileError as err:
                errors[CONF_MODEL_PATH] = err.key
                placeholders = {"path": err.path, "detail": err.detail}
            else:
                await self.async_set_unique_id(info.path)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=info.name or Path(info.path).stem, data={CONF_MODEL_PATH: info.path}
                )
        return self.async_show_form(
            step_id="user",
            data_schema=vol.Schema({vol.Required(CONF_MODEL_PATH): TextSelector()}),
            errors=errors,
            description_placeholders=placeholders or {"path": "", "detail": ""},
        )
