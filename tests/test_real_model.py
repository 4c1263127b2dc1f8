"""End to end on the real llama.cpp with the default SmolLM2 model, on the demo house.

Sampling is greedy, so each turn is repeatable. These tests read real state changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.home_llm.const import (
    ALLOWED_SERVICES,
    CONF_HOUSE_ADAPTER,
    CONF_MODEL_PATH,
    CONF_PROMPT,
    CONF_USE_GRAMMAR,
    DEFAULT_PERSONA,
    DOMAIN,
)

pytestmark = pytest.mark.real_model
AGENT = "conversation.home_llm"


@pytest.fixture
async def setup_agent(demo_house: HomeAssistant, model_path: Path) -> AsyncIterator[Callable[..., Any]]:
    entries: list[MockConfigEntry] = []

    async def setup(**options: Any) -> MockConfigEntry:
        entry = MockConfigEntry(
            domain=DOMAIN, data={CONF_MODEL_PATH: str(model_path)}, options=options, title="Home LLM"
        )
        entry.add_to_hass(demo_house)
        assert await demo_house.config_entries.async_setup(entry.entry_id)
        entries.append(entry)
        return entry

    yield setup
    for entry in entries:
        assert await demo_house.config_entries.async_unload(entry.entry_id)


def device_states(hass: HomeAssistant) -> dict[str, str]:
    return {s.entity_id: s.state for s in hass.states.async_all() if s.domain in ALLOWED_SERVICES}


async def _say(hass: HomeAssistant, text: str, user: MockUser, conversation_id: str | None = None):
    return await conversation.async_converse(
        hass=hass,
        text=text,
        conversation_id=conversation_id,
        context=Context(user_id=user.id),
        language="en",
        agent_id=AGENT,
    )


async def test_turn_off_the_kitchen_lights(hass: HomeAssistant, setup_agent, hass_admin_user: MockUser) -> None:
    await setup_agent()
    assert hass.states.get("light.kitchen_lights").state == "on"
    result = await _say(hass, "turn off the kitchen lights", hass_admin_user)
    assert hass.states.get("light.kitchen_lights").state == "off"
    assert result.response.response_type is intent.IntentResponseType.ACTION_DONE
    assert [t.id for t in result.response.success_results] == ["light.kitchen_lights"]
    assert "kitchen lights" in result.response.speech["plain"]["speech"].lower()


async def test_question_touches_nothing(hass: HomeAssistant, setup_agent, hass_admin_user: MockUser) -> None:
    await setup_agent()
    before = device_states(hass)
    result = await _say(hass, "is the bed light on?", hass_admin_user)
    assert device_states(hass) == before
    assert result.response.response_type is intent.IntentResponseType.QUERY_ANSWER
    assert "bed light" in result.response.speech["plain"]["speech"].lower()


@pytest.mark.parametrize("house_adapter", [True, False])
async def test_card_question_touches_nothing(
    hass: HomeAssistant, setup_agent, hass_admin_user: MockUser, house_adapter: bool
) -> None:
    """The model card's QA example. The base model gets it right; with our house adapter (the
    default) the small model loses that general skill, but it still touches nothing."""
    await setup_agent(**{CONF_HOUSE_ADAPTER: house_adapter})
    before = device_states(hass)
    result = await _say(hass, "if mary is 7 years old, and I am 3 years older than her. how old am I?", hass_admin_user)
    assert device_states(hass) == before
    assert result.response.response_type is intent.IntentResponseType.QUERY_ANSWER
    if not house_adapter:
        assert "10" in result.response.speech["plain"]["speech"]


async def test_call_to_the_non_exposed_lock_is_refused(
    hass: HomeAssistant, setup_agent, hass_admin_user: MockUser
) -> None:
    """Even a prompt that names the lock, with the grammar off, cannot get it unlocked."""
    await setup_agent(
        **{
            CONF_USE_GRAMMAR: False,
            CONF_PROMPT: DEFAULT_PERSONA
            + "\nThe front door lock is lock.front_door; to unlock it write lock.unlock(lock.front_door).",
        }
    )
    result = await _say(hass, "unlock the front door lock", hass_admin_user)
    assert hass.states.get("lock.front_door").state == "locked"
    speech = result.response.speech["plain"]["speech"]
    # The model writes the call it was told about (the default adapter writes it as cover.unlock): any
    # such call is refused because its target is not exposed, and the user hears why.
    refused = [t.id for t in result.response.failed_results]
    assert len(refused) == 1 and refused[0].endswith(".front_door")
    assert f"on {refused[0]}: {refused[0]} is not a device exposed to Assist" in speech


async def test_conversation_process_action(hass: HomeAssistant, setup_agent, hass_admin_user: MockUser) -> None:
    await setup_agent()
    response = await hass.services.async_call(
        "conversation",
        "process",
        {"text": "turn off the kitchen lights", "agent_id": AGENT},
        blocking=True,
        return_response=True,
        context=Context(user_id=hass_admin_user.id),
    )
    assert hass.states.get("light.kitchen_lights").state == "off"
    assert response["response"]["response_type"] == "action_done"
    assert response["response"]["data"]["success"][0]["id"] == "light.kitchen_lights"


async def test_websocket_conversation_process(hass: HomeAssistant, setup_agent, hass_ws_client) -> None:
    """The chat dialog's door; the follow-up in the same conversation sees the first turn."""
    entry = await setup_agent()
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "conversation/process", "text": "turn off the kitchen lights", "agent_id": AGENT}
    )
    msg = await client.receive_json()
    assert msg["success"], msg
    assert hass.states.get("light.kitchen_lights").state == "off"
    conversation_id = msg["result"]["conversation_id"]

    backend = entry.runtime_data
    first_prompt_tokens = backend.last_prompt_tokens
    await client.send_json_auto_id(
        {"type": "conversation/process", "text": "thank you", "agent_id": AGENT, "conversation_id": conversation_id}
    )
    msg = await client.receive_json()
    assert msg["success"], msg
    assert msg["result"]["conversation_id"] == conversation_id
    # The second prompt holds the first exchange as well as the new words.
    assert backend.last_prompt_tokens > first_prompt_tokens + 10


async def test_assist_pipeline(hass: HomeAssistant, setup_agent, hass_ws_client) -> None:
    """An Assist pipeline whose conversation engine is this agent: text in, intent-end out."""
    await setup_agent()
    assert await async_setup_component(hass, "assist_pipeline", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "assist_pipeline/pipeline/create",
            "conversation_engine": AGENT,
            "conversation_language": "en",
            "language": "en",
            "name": "Home LLM",
            "stt_engine": None,
            "stt_language": None,
            "tts_engine": None,
            "tts_language": None,
            "tts_voice": None,
            "wake_word_entity": None,
            "wake_word_id": None,
        }
    )
    msg = await client.receive_json()
    assert msg["success"], msg
    pipeline_id = msg["result"]["id"]

    await client.send_json_auto_id(
        {
            "type": "assist_pipeline/run",
            "start_stage": "intent",
            "end_stage": "intent",
            "input": {"text": "turn off the kitchen lights"},
            "pipeline": pipeline_id,
        }
    )
    assert (await client.receive_json())["success"]
    events = []
    while True:
        event = (await client.receive_json())["event"]
        events.append(event)
        if event["type"] == "run-end":
            break
    intent_end = next(e for e in events if e["type"] == "intent-end")
    response = intent_end["data"]["intent_output"]["response"]
    assert response["response_type"] == "action_done"
    assert response["data"]["success"][0]["id"] == "light.kitchen_lights"
    assert hass.states.get("light.kitchen_lights").state == "off"
