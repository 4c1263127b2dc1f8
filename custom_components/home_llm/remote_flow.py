"""Config flow steps for a remote OpenAI-compatible server (mixed into the config flow)."""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType

from .const import BACKEND_REMOTE, CONF_API_KEY, CONF_BACKEND, CONF_BASE_URL, CONF_REMOTE_MODEL


class RemoteServerFlowMixin(ConfigFlow):
    """`async_step_remote`: a server URL, optional API key and model name."""

    async def async_step_remote(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        if user_input is not None:
            base_url = user_input[CONF_BASE_URL].rstrip("/")
            await self.async_set_unique_id(f"{base_url}#{user_input[CONF_REMOTE_MODEL]}")
            self._abort_if_unique_id_configured()
            return self.async_create_entry(
                title=user_input[CONF_REMOTE_MODEL],
                data={**user_input, CONF_BASE_URL: base_url, CONF_BACKEND: BACKEND_REMOTE},
            )
        return self.async_show_form(
            step_id="remote",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_BASE_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
                    vol.Optional(CONF_API_KEY): TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD)),
                    vol.Required(CONF_REMOTE_MODEL): TextSelector(),
                }
            ),
        )
