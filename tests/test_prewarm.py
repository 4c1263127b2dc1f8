"""Prewarm: after exposed entities change, the new prompt prefix is read before the next turn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.home_llm.backends.llama_cpp import LlamaCppBackend
from custom_components.home_llm.const import CONF_MAX_TOKENS, CONF_MODEL_PATH, CONF_PROMPT, DOMAIN
from custom_components.home_llm.prewarm import PREWARM_DELAY

pytestmark = pytest.mark.real_model
AGENT = "conversation.home_llm"


@pytest.fixture
async def backend(demo_house: HomeAssistant, model_path: Path) -> AsyncIterator[LlamaCppBackend]:
    """The real model on the demo house; its prewarms are counted in `backend.prewarms`."""
    entry = MockConfigEntry(
        domain=DOMAIN, data={CONF_MODEL_PATH: str(model_path)}, options={CONF_MAX_TOKENS: 16}, title="Home LLM"
    )
    entry.add_to_hass(demo_house)
    assert await demo_house.config_entries.async_setup(entry.entry_id)
    backend: LlamaCppBackend = entry.runtime_data
    backend.prewarms = []  # type: ignore[attr-defined]
    prewarm = backend.async_prewarm

    async def counting_prewarm(messages):
        read = await prewarm(messages)
        backend.prewarms.append(read)  # type: ignore[attr-defined]
        return read

    backend.async_prewarm = counting_prewarm  # type: ignore[method-assign]
    yield backend
    assert await demo_house.config_entries.async_unload(entry.entry_id)  # no timer may be left


async def _wait_for_prewarm(hass: HomeAssistant) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=PREWARM_DELAY + 1))
    await hass.async_block_till_done(wait_background_tasks=True)


async def _say(hass: HomeAssistant, text: str):
    return await conversation.async_converse(
        hass=hass, text=text, conversation_id=None, context=Context(), language="en", agent_id=AGENT
    )


async def test_state_change_prewarms_and_the_next_turn_is_warm(hass: HomeAssistant, backend: LlamaCppBackend) -> None:
    await _wait_for_prewarm(hass)  # the first prewarm, right after loading
    assert len(backend.prewarms) == 1
    assert backend.prewarms[0] > 300  # the whole system prompt and examples

    await hass.services.async_call("light", "turn_off", {"entity_id": "light.ceiling_lights"}, blocking=True)
    hass.states.async_set("light.kitchen_lights", "off", hass.states.get("light.kitchen_lights").attributes)
    await _wait_for_prewarm(hass)
    assert len(backend.prewarms) == 2  # two changes in a row: one prewarm
    assert 0 < backend.prewarms[1] < backend.prewarms[0]  # only from the first changed line on

    await _say(hass, "is the bed light on?")
    # The turn found the house's prefix in the cache: it read only its own words.
    assert backend.last_prompt_tokens - backend.last_cached_tokens < 30


async def test_changes_outside_the_prompt_do_not_prewarm(hass: HomeAssistant, backend: LlamaCppBackend) -> None:
    await _wait_for_prewarm(hass)
    count = len(backend.prewarms)
    hass.states.async_set("lock.front_door", "unlocked")  # not exposed to Assist
    await _wait_for_prewarm(hass)
    hass.states.async_set("light.kitchen_lights", "on", {**hass.states.get("light.kitchen_lights").attributes, "x": 1})
    await _wait_for_prewarm(hass)  # exposed, but the prompt did not change
    assert len(backend.prewarms) == count


async def test_prompt_template_sees_the_house(hass: HomeAssistant, demo_house: HomeAssistant, model_path: Path) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_MODEL_PATH: str(model_path)},
        options={
            CONF_PROMPT: "You run {{ devices | count }} devices. "
            "{{ services | select('search', 'light') | list | count }} light services.",
            CONF_MAX_TOKENS: 4,
        },
        title="Home LLM",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    backend: LlamaCppBackend = entry.runtime_data
    seen = []
    generate = backend.async_generate

    async def recording_generate(messages, **kwargs):
        seen.append(messages)
        return await generate(messages, **kwargs)

    backend.async_generate = recording_generate  # type: ignore[method-assign]
    await _say(hass, "hello")
    assert seen[0][0].content.startswith("You run ")
    assert "light services." in seen[0][0].content
    assert "{{" not in seen[0][0].content

    (agent,) = entry.subentries.values()  # the entry's options became its agent's (migration)
    hass.config_entries.async_update_subentry(entry, agent, data={CONF_PROMPT: "Broken {{ devices | no_such_filter }}"})
    await hass.async_block_till_done()
    result = await _say(hass, "hello")
    assert result.response.error_code is not None
    assert "prompt template" in result.response.speech["plain"]["speech"]
    assert await hass.config_entries.async_unload(entry.entry_id)
