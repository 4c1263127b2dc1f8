"""The config flow: a local GGUF path, checked before the entry exists."""

from pathlib import Path

from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.home_llm.const import CONF_MODEL_PATH, DOMAIN


async def _start(hass: HomeAssistant):
    return await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})


async def test_local_file_creates_entry(hass: HomeAssistant, core: HomeAssistant, model_path: Path) -> None:
    result = await _start(hass)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_MODEL_PATH: f" {model_path} "})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_MODEL_PATH: str(model_path)}
    assert result["title"] == "Smollm2 135M 8k Lc100K Mix1 Ep2"
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_errors(hass: HomeAssistant, core: HomeAssistant, tmp_path: Path) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_MODEL_PATH: str(tmp_path / "x.gguf")})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_MODEL_PATH: "model_not_found"}
    not_gguf = tmp_path / "notes.txt"
    not_gguf.write_text("hello")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_MODEL_PATH: str(not_gguf)})
    assert result["errors"] == {CONF_MODEL_PATH: "model_not_gguf"}
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_one_entry_per_model_file(hass: HomeAssistant, core: HomeAssistant, model_path: Path) -> None:
    for _ in range(2):
        result = await _start(hass)
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_MODEL_PATH: str(model_path)})
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert await hass.config_entries.async_unload(entry.entry_id)
