"""The config flow's remote server source: menu -> `remote` (URL, key, timeout) -> `remote_model`.

Validation lists the models of a real server: llama-cpp-python's own, or small aiohttp servers on
127.0.0.1 for a server that hangs or is not an OpenAI API. Each failure has its own translated error.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.home_llm.const import (
    BACKEND_REMOTE,
    CONF_API_KEY,
    CONF_BACKEND,
    CONF_BASE_URL,
    CONF_REMOTE_MODEL,
    CONF_REMOTE_TIMEOUT,
    DOMAIN,
)

if TYPE_CHECKING:
    from .remote_servers import LlamaServerProcess

pytest_plugins = ["tests.remote_servers"]
COMPONENT = Path(__file__).resolve().parent.parent / "custom_components" / DOMAIN


async def open_remote_step(hass: HomeAssistant) -> dict[str, Any]:
    """The first menu, then its "remote server" option."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "remote" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "remote"})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "remote"
    return result


def server_input(base_url: str, api_key: str | None = None, timeout: float = 10) -> dict[str, Any]:
    user_input: dict[str, Any] = {CONF_BASE_URL: base_url, CONF_REMOTE_TIMEOUT: timeout}
    if api_key is not None:
        user_input[CONF_API_KEY] = api_key
    return user_input


@pytest.mark.usefixtures("core")
async def test_remote_server_creates_a_working_entry(hass: HomeAssistant, llama_server: LlamaServerProcess) -> None:
    result = await open_remote_step(hass)
    # Without /v1: the flow adds it.
    url = f"http://127.0.0.1:{llama_server.port}/"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], server_input(url, f" {llama_server.api_key} ", 15)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "remote_model"
    selector = result["data_schema"].schema[CONF_REMOTE_MODEL].config
    assert selector["options"] == [llama_server.model_id]  # the server's own models are offered
    assert selector["custom_value"] is True

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_REMOTE_MODEL: llama_server.model_id}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "SmolLM2-135M-Instruct.Q4_1 (127.0.0.1)"
    assert result["data"] == {
        CONF_BASE_URL: llama_server.base_url,
        CONF_API_KEY: llama_server.api_key,
        CONF_REMOTE_TIMEOUT: 15,
        CONF_REMOTE_MODEL: llama_server.model_id,
        CONF_BACKEND: BACKEND_REMOTE,
    }
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.state is ConfigEntryState.LOADED
    assert [(sub.subentry_type, sub.title) for sub in entry.subentries.values()] == [("conversation", "Home LLM")]
    assert hass.states.get("conversation.home_llm") is not None  # the server's first agent, ready to use

    # The same model on the same server a second time: refused.
    result = await open_remote_step(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], server_input(llama_server.base_url, llama_server.api_key)
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_REMOTE_MODEL: llama_server.model_id}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "remote_already_configured"
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("core")
async def test_each_failure_has_its_own_error(
    hass: HomeAssistant, llama_server: LlamaServerProcess, fault_server
) -> None:
    """Refused, 401, timeout, not OpenAI, not a URL: each its own message; then a good URL goes on."""
    hanging = await fault_server("hang")
    html = await fault_server("html_models")
    closed = await fault_server()
    await closed.stop()  # nothing listens on its port any more
    cases = [
        (server_input("ftp://gpu-box/v1"), {CONF_BASE_URL: "remote_invalid_url"}, ""),
        (server_input(closed.base_url), {"base": "remote_cannot_connect"}, "connection refused"),
        (server_input(llama_server.base_url, "wrong-key"), {"base": "remote_invalid_auth"}, "HTTP 401"),
        (server_input(llama_server.base_url), {"base": "remote_invalid_auth"}, "HTTP 401"),  # a key is needed
        (server_input(hanging.base_url, timeout=1), {"base": "remote_timeout"}, "sent nothing for 1 seconds"),
        (server_input(html.base_url), {"base": "remote_not_openai"}, "its models list is not JSON"),
    ]
    result = await open_remote_step(hass)
    for user_input, errors, detail in cases:
        result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
        assert result["type"] is FlowResultType.FORM, user_input
        assert result["step_id"] == "remote"
        assert result["errors"] == errors, user_input
        assert detail in result["description_placeholders"]["detail"]
    assert not hass.config_entries.async_entries(DOMAIN)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], server_input(llama_server.base_url, llama_server.api_key)
    )
    assert result["step_id"] == "remote_model"


@pytest.mark.usefixtures("core")
async def test_server_without_models_asks_for_a_name(hass: HomeAssistant, fault_server) -> None:
    """An OpenAI-compatible server may list nothing (a proxy, for instance): the name is typed."""
    server = await fault_server(models=())
    result = await open_remote_step(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], server_input(server.base_url))
    assert result["step_id"] == "remote_model"
    assert "options" not in result["data_schema"].schema[CONF_REMOTE_MODEL].config
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_REMOTE_MODEL: "  "})
    assert result["type"] is FlowResultType.FORM  # an empty name is asked again
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_REMOTE_MODEL: "qwen2.5:7b"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_REMOTE_MODEL] == "qwen2.5:7b"
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert await hass.config_entries.async_unload(entry.entry_id)


def test_every_error_is_translated() -> None:
    """strings.json and en.json match, and hold every error, abort and exception the remote code uses."""
    strings = json.loads((COMPONENT / "strings.json").read_text())
    assert strings == json.loads((COMPONENT / "translations" / "en.json").read_text())
    backend = (COMPONENT / "backends" / "openai.py").read_text()
    flow = (COMPONENT / "remote_flow.py").read_text()
    kinds = set(re.findall(r'RemoteError\(\s*"(\w+)"', backend))  # the flow shows each as remote_<kind>
    assert {"cannot_connect", "invalid_auth", "timeout", "not_openai"} <= kinds
    config = strings["config"]
    assert {f"remote_{kind}" for kind in kinds} | set(re.findall(r'= "(remote_\w+)"', flow)) <= set(config["error"])
    assert set(re.findall(r'reason="(\w+)"', flow)) <= set(config["abort"])
    assert set(config["step"]["remote"]["data"]) == {CONF_BASE_URL, CONF_API_KEY, CONF_REMOTE_TIMEOUT}
    assert set(config["step"]["remote_model"]["data"]) == {CONF_REMOTE_MODEL}
    exceptions = set(re.findall(r'translation_key="(\w+)"', backend))
    assert exceptions == {"remote_not_ready", "remote_invalid_auth", "remote_not_openai"}
    assert all("{detail}" in strings["exceptions"][key]["message"] for key in exceptions)


@pytest.mark.usefixtures("core")
async def test_password_in_the_url_stays_out_of_the_unique_id(hass: HomeAssistant, fault_server) -> None:
    """The entry keeps the URL as typed (its requests need it); the unique id and the form show none of it."""
    server = await fault_server()
    result = await open_remote_step(hass)
    url = server.base_url.replace("http://", "http://admin:secret@")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], server_input(url))
    assert result["step_id"] == "remote_model"
    assert result["description_placeholders"]["url"] == server.base_url
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_REMOTE_MODEL: "fault-model"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_BASE_URL] == url
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.unique_id == f"{server.base_url}#fault-model"
    assert "secret" not in entry.title
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("core")
async def test_failure_messages_name_no_password(hass: HomeAssistant, fault_server) -> None:
    closed = await fault_server()
    await closed.stop()
    result = await open_remote_step(hass)
    url = closed.base_url.replace("http://", "http://admin:secret@")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], server_input(url))
    assert result["errors"] == {"base": "remote_cannot_connect"}
    assert result["description_placeholders"]["url"] == closed.base_url
    assert "connection refused" in result["description_placeholders"]["detail"]
    assert "secret" not in str(result["description_placeholders"])
