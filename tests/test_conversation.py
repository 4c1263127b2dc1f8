"""One turn through the conversation entity with a scripted backend, on the demo house."""

from __future__ import annotations

from unittest.mock import patch

import pytest
from homeassistant.components import conversation
from homeassistant.components.conversation import trace
from homeassistant.components.conversation.const import DATA_COMPONENT
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import intent
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.home_llm.backends import BackendError
from custom_components.home_llm.const import ALLOWED_SERVICES
from custom_components.home_llm.prompt import Message

from .scripted import ScriptedBackend

AGENT = "conversation.home_llm"


async def _say(hass: HomeAssistant, text: str, conversation_id: str | None = None, context: Context | None = None):
    return await conversation.async_converse(
        hass=hass,
        text=text,
        conversation_id=conversation_id,
        context=context or Context(),
        language="en",
        agent_id=AGENT,
    )


async def test_turns_off_the_kitchen_lights(
    hass: HomeAssistant, agent: ScriptedBackend, hass_admin_user: MockUser
) -> None:
    assert hass.states.get("light.kitchen_lights").state == "on"
    ScriptedBackend.replies = ["Turning off the kitchen lights.\nlight.turn_off(light.kitchen_lights)"]
    context = Context(user_id=hass_admin_user.id)
    result = await _say(hass, "turn off the kitchen lights", context=context)

    state = hass.states.get("light.kitchen_lights")
    assert state.state == "off"
    assert state.context.id == context.id  # the call ran with the user's own Context
    response = result.response
    # What the call did, said from its outcome, not the model's sentence.
    assert response.speech["plain"]["speech"] == "Turned off the Kitchen Lights."
    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    assert [t.id for t in response.success_results] == ["light.kitchen_lights"]
    assert response.failed_results == []


async def test_a_call_on_a_device_not_named_runs_on_the_one_that_is(
    hass: HomeAssistant, agent: ScriptedBackend
) -> None:
    """The model turned on a light the words never named; the one device they name (a switch) is switched."""
    assert hass.states.get("switch.decorative_lights").state == "on"
    ScriptedBackend.replies = ["light.turn_off(light.ceiling_lights)"]
    result = await _say(hass, "turn off the decorative lights")
    assert hass.states.get("switch.decorative_lights").state == "off"
    assert hass.states.get("light.ceiling_lights").state == "on"
    assert result.response.speech["plain"]["speech"] == "Turned off the Decorative Lights."


async def test_user_permissions_apply(
    hass: HomeAssistant, agent: ScriptedBackend, hass_read_only_user: MockUser
) -> None:
    """A user who may not control the light cannot do it through the model either."""
    ScriptedBackend.replies = ["Turning off the kitchen lights.\nlight.turn_off(light.kitchen_lights)"]
    result = await _say(hass, "turn off the kitchen lights", context=Context(user_id=hass_read_only_user.id))
    assert hass.states.get("light.kitchen_lights").state == "on"
    assert "light.turn_off on Kitchen Lights failed" in result.response.speech["plain"]["speech"]
    assert [t.id for t in result.response.failed_results] == ["light.kitchen_lights"]


async def test_prompt_holds_only_exposed_entities(hass: HomeAssistant, agent: ScriptedBackend) -> None:
    ScriptedBackend.replies = ["Hello!"]
    await _say(hass, "hello")
    messages, grammar, _sampling = agent.requests[-1]
    system = messages[0].content
    assert "light.kitchen_lights 'Kitchen Lights' = on" in system
    assert "lock.front_door" not in system  # demo locks are not exposed to Assist
    assert "lock.front_door" not in grammar
    assert messages[-1].content == "hello"


async def test_non_exposed_lock_is_refused(hass: HomeAssistant, agent: ScriptedBackend) -> None:
    assert hass.states.get("lock.front_door").state == "locked"
    ScriptedBackend.replies = ["Unlocking the front door.\nlock.unlock(lock.front_door)"]
    result = await _say(hass, "unlock the front door")
    assert hass.states.get("lock.front_door").state == "locked"
    speech = result.response.speech["plain"]["speech"]
    assert "I did not run lock.unlock on lock.front_door" in speech
    assert "not a device exposed to Assist" in speech
    assert [t.id for t in result.response.failed_results] == ["lock.front_door"]


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("ok\nlight.turn_off(light.garden)", "not a device exposed"),
        ("ok\nlight.explode(light.kitchen_lights)", "not an allowed service"),
        ("ok\nswitch.turn_off(light.kitchen_lights)", "cannot act on"),
        ("ok\nhomeassistant.stop(light.kitchen_lights)", "never allowed"),
    ],
)
async def test_bad_calls_are_refused_and_said(
    hass: HomeAssistant, agent: ScriptedBackend, reply: str, reason: str
) -> None:
    ScriptedBackend.replies = [reply]
    result = await _say(hass, "do something")
    assert hass.states.get("light.kitchen_lights").state == "on"
    assert reason in result.response.speech["plain"]["speech"]


async def test_junk_reply_touches_nothing(hass: HomeAssistant, agent: ScriptedBackend) -> None:
    def device_states() -> dict[str, str]:
        return {s.entity_id: s.state for s in hass.states.async_all() if s.domain in ALLOWED_SERVICES}

    before = device_states()
    ScriptedBackend.replies = ["}{)(light.turn_off(\n```homeassistant\n\x00garbage(((\n"]
    result = await _say(hass, "blah")
    assert device_states() == before
    assert result.response.speech["plain"]["speech"].startswith("}{)(")


async def test_failed_call_is_reported(hass: HomeAssistant, agent: ScriptedBackend) -> None:
    # The demo's fourth-floor vacuum (vacuum.4_fourth_floor on 2025.4, vacuum.demo_vacuum_4_fourth_floor on 2026.2).
    vacuum = next(s for s in hass.states.async_all("vacuum") if s.entity_id.endswith("4_fourth_floor"))
    ScriptedBackend.replies = [f"Starting it.\nvacuum.start({vacuum.entity_id})"]
    result = await _say(hass, "start the fourth floor vacuum")
    speech = result.response.speech["plain"]["speech"]
    assert f"vacuum.start on {vacuum.name} failed" in speech
    assert [t.id for t in result.response.failed_results] == [vacuum.entity_id]


async def test_empty_text_does_not_run_the_model(hass: HomeAssistant, agent: ScriptedBackend) -> None:
    result = await _say(hass, "   ")
    assert agent.requests == []
    assert "did not catch that" in result.response.speech["plain"]["speech"]


async def test_model_that_writes_nothing(hass: HomeAssistant, agent: ScriptedBackend) -> None:
    ScriptedBackend.replies = [""]
    result = await _say(hass, "hello")
    assert result.response.speech["plain"]["speech"] == "Sorry, I have no answer to that."


async def test_backend_failure_is_an_error_reply(hass: HomeAssistant, agent: ScriptedBackend) -> None:
    ScriptedBackend.replies = [BackendError("the model did not answer within 90 seconds")]
    result = await _say(
        hass, "shut the kitchen lights off now"
    )  # not read by Home Assistant's sentences: the model is asked
    assert result.response.response_type is intent.IntentResponseType.ERROR
    assert "did not answer within 90 seconds" in result.response.speech["plain"]["speech"]
    assert hass.states.get("light.kitchen_lights").state == "on"


async def test_follow_up_sees_earlier_turns(hass: HomeAssistant, agent: ScriptedBackend) -> None:
    ScriptedBackend.replies = ["Turning off the kitchen lights.\nlight.turn_off(light.kitchen_lights)", "Done."]
    first = await _say(hass, "turn off the kitchen lights")
    await _say(hass, "and now the bed light", conversation_id=first.conversation_id)
    messages, _grammar, _sampling = agent.requests[-1]
    contents = [m.content for m in messages]
    assert contents[-3:] == ["turn off the kitchen lights", "Turned off the Kitchen Lights.", "and now the bed light"]


def _device_states(hass: HomeAssistant) -> dict[str, str]:
    return {s.entity_id: s.state for s in hass.states.async_all() if s.domain in ALLOWED_SERVICES}


async def test_call_on_a_device_the_words_do_not_name_is_asked_about(
    hass: HomeAssistant, agent: ScriptedBackend
) -> None:
    """Issue 11's walk: "open the garage door" ran fan.toggle(fan.living_room_fan) and said it opened the door."""
    before = _device_states(hass)
    ScriptedBackend.replies = ["Sure, opening the garage door.\nfan.toggle(fan.living_room_fan)"]
    result = await _say(hass, "open the garage door")
    assert _device_states(hass) == before
    assert hass.states.get("fan.living_room_fan").state == "off"
    assert result.response.speech["plain"]["speech"] == "Which device do you mean by 'garage door'?"
    assert result.response.success_results == []
    assert [t.id for t in result.response.failed_results] == ["fan.living_room_fan"]


async def test_follow_up_acts_on_the_device_named_before(hass: HomeAssistant, agent: ScriptedBackend) -> None:
    ScriptedBackend.replies = ["Sure.\nlight.turn_on(light.bed_light)", "Sure.\nlight.turn_off(light.bed_light)"]
    first = await _say(hass, "turn on the bed light")
    assert first.response.speech["plain"]["speech"] == "Turned on the Bed Light."
    second = await _say(hass, "turn it off", conversation_id=first.conversation_id)
    assert hass.states.get("light.bed_light").state == "off"
    assert second.response.speech["plain"]["speech"] == "Turned off the Bed Light."


async def test_area_command_runs_for_the_area_and_not_the_models_extra_call(
    hass: HomeAssistant, agent: ScriptedBackend
) -> None:
    kitchen = ar.async_get(hass).async_create("Kitchen")
    for entity_id in ("light.kitchen_lights", "light.ceiling_lights"):
        er.async_get(hass).async_update_entity(entity_id, area_id=kitchen.id)
    ScriptedBackend.replies = [
        "Done.\nlight.turn_off(light.kitchen_lights)\nlight.turn_off(light.ceiling_lights)\nfan.turn_on(fan.ceiling_fan)"
    ]
    # Home Assistant's own sentences read the request as the kitchen's lights: the fan is not touched.
    result = await _say(hass, "turn off the lights in the kitchen")
    assert hass.states.get("light.kitchen_lights").state == "off"
    assert hass.states.get("light.ceiling_lights").state == "off"
    assert hass.states.get("fan.ceiling_fan").state == "off"
    assert result.response.speech["plain"]["speech"] == "Turned off the Ceiling Lights and the Kitchen Lights."


async def test_todo_item_is_added_only_when_asked(hass: HomeAssistant, agent: ScriptedBackend) -> None:
    """Issue 11's walk: "make me a sandwich" silently added "sandwich" to the shopping list."""
    entry = MockConfigEntry(domain="shopping_list")
    entry.add_to_hass(hass)
    # The list lives in memory only: the shopping list would otherwise write a file in the config folder.
    with (
        patch("homeassistant.components.shopping_list.load_json_array", return_value=[]),
        patch("homeassistant.components.shopping_list.save_json"),
    ):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        await _todo_turns(hass)


async def _todo_turns(hass: HomeAssistant) -> None:
    """ "make me a sandwich" adds nothing; "add milk to the shopping list" adds milk."""
    assert hass.states.get("todo.shopping_list").state == "0"

    ScriptedBackend.replies = ['Sure, making a sandwich.\ntodo.add_item(todo.shopping_list, item="sandwich")']
    result = await _say(hass, "make me a sandwich")
    assert hass.states.get("todo.shopping_list").state == "0"
    speech = result.response.speech["plain"]["speech"]
    assert speech == "I did not add 'sandwich' to the Shopping List: you did not ask me to add anything."

    ScriptedBackend.replies = ['Adding milk.\ntodo.add_item(todo.shopping_list, item="milk")']
    result = await _say(hass, "add milk to the shopping list")
    assert hass.states.get("todo.shopping_list").state == "1"
    assert result.response.speech["plain"]["speech"] == "Added 'milk' to the Shopping List."


async def test_invented_reading_is_not_said(hass: HomeAssistant, agent: ScriptedBackend) -> None:
    """Issue 11's walk: an invented "55 degrees Fahrenheit" for a room nothing measures."""
    ScriptedBackend.replies = ["The temperature in the living room is 55 degrees Fahrenheit."]
    result = await _say(hass, "what is the temperature in the living room?")
    assert result.response.response_type is intent.IntentResponseType.QUERY_ANSWER
    assert result.response.speech["plain"]["speech"] == (
        "I don't know the temperature in the living room — no device in this house reports it."
    )
    ScriptedBackend.replies = ["It is 15.6 degrees outside."]
    result = await _say(hass, "what is the temperature outside?")
    assert result.response.speech["plain"]["speech"] == "It is 15.6 degrees outside."


async def test_extra_system_prompt_follows_the_cached_prefix(hass: HomeAssistant, agent: ScriptedBackend) -> None:
    """A satellite's "start conversation" instructions come after the system prompt and examples
    (the prompt cache still serves those), stay for the whole conversation, and the prompt is traced."""
    ScriptedBackend.replies = ["Hello!", "Shall I close it?", "Closing it."]
    await _say(hass, "hello")
    prefix = agent.requests[-1][0][:-1]  # everything before the user's words
    extra = "The garage door has been open for an hour.\nAsk whether to close it."
    first = await conversation.async_converse(
        hass=hass,
        text="what is going on?",
        conversation_id=None,
        context=Context(),
        language="en",
        agent_id=AGENT,
        extra_system_prompt=extra,
    )
    messages = agent.requests[-1][0]
    assert messages[: len(prefix)] == prefix  # the cached prefix is untouched
    assert messages[len(prefix)] == Message("system", extra)
    assert messages[len(prefix) + 1 :] == [Message("user", "what is going on?")]

    await _say(hass, "yes", conversation_id=first.conversation_id)
    messages = agent.requests[-1][0]
    assert messages[: len(prefix)] == prefix
    assert messages[len(prefix)] == Message("system", extra)  # kept for the conversation
    assert [m.content for m in messages[len(prefix) + 1 :]] == ["what is going on?", "Shall I close it?", "yes"]

    details = [
        event["data"]
        for event in trace.async_get_traces()[-1].as_dict()["events"]
        if event["event_type"] == trace.ConversationTraceEventType.AGENT_DETAIL
    ]
    assert details[-1]["messages"][-1] == {"role": "user", "content": "yes"}
    assert details[-1]["messages"][len(prefix)] == {"role": "system", "content": extra}


async def test_agent_says_it_streams(hass: HomeAssistant, agent: ScriptedBackend) -> None:
    """Home Assistant 2025.7+ streams a reply to TTS only from an entity that says it streams."""
    entity = hass.data[DATA_COMPONENT].get_entity(AGENT)
    assert getattr(entity, "supports_streaming", entity._attr_supports_streaming) is True


async def test_a_fault_in_reading_the_words_leaves_the_turn_to_the_model(
    hass: HomeAssistant, agent: ScriptedBackend, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in one of our readings (an IndexError on words nobody foresaw) costs the reading, not the turn:
    the model is asked and its call runs as usual."""
    ScriptedBackend.replies = ["Turning off the kitchen lights.\nlight.turn_off(light.kitchen_lights)"]
    with patch("custom_components.home_llm.grounding.Grounding.read_request", side_effect=IndexError("boom")):
        result = await _say(hass, "turn off the kitchen lights")
    assert result.response.speech["plain"]["speech"] == "Turned off the Kitchen Lights."
    assert hass.states.get("light.kitchen_lights").state == "off"
    assert len(agent.requests) == 1
    assert "the model reads it instead" in caplog.text
