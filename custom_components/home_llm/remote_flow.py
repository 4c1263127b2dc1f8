"""Config flow steps for a remote OpenAI-compatible server (mixed into the config flow).

`remote`: the server's URL, an optional API key and a timeout; the server must list its models
before the flow goes on. `remote_model`: pick one of them (or type another name).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import voluptuous as vol
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from . import default_agent
from .backends.openai import (
    DEFAULT_REMOTE_TIMEOUT,
    RemoteError,
    async_list_models,
    normalize_base_url,
    redact_url,
    remote_unique_id,
)
from .const import BACKEND_REMOTE, CONF_API_KEY, CONF_BACKEND, CONF_BASE_URL, CONF_REMOTE_MODEL, CONF_REMOTE_TIMEOUT

SERVER_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_BASE_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
        vol.Optional(CONF_API_KEY): TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD)),
        vol.Required(CONF_REMOTE_TIMEOUT, default=DEFAULT_REMOTE_TIMEOUT): NumberSelector(
            NumberSelectorConfig(min=1, max=600, step=1, unit_of_measurement="s", mode=NumberSelectorMode.BOX)
        ),
    }
)


def model_title(model: str, base_url: str) -> str:
    """`models/SmolLM2.Q4_1.gguf` on http://gpu-box:8080/v1 -> `SmolLM2.Q4_1 (gpu-box)`."""
    name = model.rstrip("/").rsplit("/", 1)[-1].removesuffix(".gguf") or model
    return f"{name} ({urlsplit(base_url).hostname})"


class RemoteServerFlowMixin(ConfigFlow):
    """`async_step_remote`: a server URL, optional API key and timeout, then one of its models."""

    _remote_server: dict[str, Any]
    _remote_models: list[str]

    async def async_step_remote(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        placeholders = {"url": "", "detail": ""}
        if user_input is not None:
            try:
                base_url = normalize_base_url(user_input[CONF_BASE_URL])
            except ValueError:
                errors[CONF_BASE_URL] = "remote_invalid_url"
            else:
                api_key = (user_input.get(CONF_API_KEY) or "").strip()
                wait = float(user_input[CONF_REMOTE_TIMEOUT])
                try:
                    self._remote_models = await async_list_models(
                        async_get_clientsession(self.hass), base_url, api_key or None, wait
                    )
                except RemoteError as err:
                    errors["base"] = f"remote_{err.key}"
                    placeholders = {"url": redact_url(base_url), "detail": str(err)}
                else:
                    self._remote_server = {CONF_BASE_URL: base_url, CONF_REMOTE_TIMEOUT: wait}
                    if api_key:
                        self._remote_server[CONF_API_KEY] = api_key
                    return await self.async_step_remote_model()
        return self.async_show_form(
            step_id="remote",
            data_schema=self.add_suggested_values_to_schema(SERVER_SCHEMA, user_input or {}),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_remote_model(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        base_url = self._remote_server[CONF_BASE_URL]
        if user_input is not None and (model := user_input[CONF_REMOTE_MODEL].strip()):
            unique_id = remote_unique_id(base_url, model)  # no password in it: unique ids are not secret
            if unique_id in self._async_current_ids(include_ignore=False):
                return self.async_abort(reason="remote_already_configured")
            await self.async_set_unique_id(unique_id)
            title = model_title(model, base_url)
            return self.async_create_entry(
                title=title,
                data={**self._remote_server, CONF_REMOTE_MODEL: model, CONF_BACKEND: BACKEND_REMOTE},
                subentries=[default_agent(self.hass, title)],  # the server's first agent, ready to use
            )
        models = self._remote_models
        selector: Any = (
            SelectSelector(SelectSelectorConfig(options=models, custom_value=True, mode=SelectSelectorMode.DROPDOWN))
            if models
            else TextSelector()
        )
        schema = vol.Schema({vol.Required(CONF_REMOTE_MODEL, default=models[0] if models else vol.UNDEFINED): selector})
        return self.async_show_form(
            step_id="remote_model",
            data_schema=schema,
            description_placeholders={"url": redact_url(base_url), "count": str(len(models))},
        )
