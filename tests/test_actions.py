"""End to end on the demo house: calls with arguments change real state; bad ones are refused and said.

The model is the scripted backend (exact replies); everything else is real: the demo
integration's entities and services, the policy, Home Assistant's service schemas.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.core import Context, HomeAssistant, ServiceCall
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.home_llm.actions import async_run_calls
from custom_components.home_llm.arguments import (
    SERVICE_SLOTS,
    Choice,
    Duration,
    Flag,
    Range,
    Rgb,
    Text,
    check_arguments,
    service_available,
    usable_choices,
)
from custom_components.home_llm.const import (
    ALLOWED_SERVICES,
    CONF_ALLOW_SENSITIVE,
    CONF_ALLOWED_SERVICES,
    CONF_MODEL_PATH,
    CONF_REPLY_FORMAT,
    CONF_USE_GRAMMAR,
    DOMAIN,
)
from custom_components.home_llm.house import async_build_house
from custom_components.home_llm.parser import Call
from custom_components.home_llm.policy import Verdict

from .scripted import ScriptedBackend

AGENT = "conversation.home_llm"


@pytest.fixture
async def setup_agent(demo_house: HomeAssistant, model_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Sets the integration up on the demo house with the given options; replies come from ScriptedBackend."""
    entries: list[MockConfigEntry] = []
    ScriptedBackend.replies = []
    ScriptedBackend.instances = []

    async def setup(**options: Any) -> ScriptedBackend:
        entry = MockConfigEntry(
            domain=DOMAIN, data={CONF_MODEL_PATH: str(model_path)}, options=options, title="Home LLM"
        )
        entry.add_to_hass(demo_house)
        assert await demo_house.config_entries.async_setup(entry.entry_id)
        await demo_house.async_block_till_done()
        entries.append(entry)
        return ScriptedBackend.instances[-1]

    with patch("custom_components.home_llm.LlamaCppBackend", ScriptedBackend):
        yield setup
        for entry in entries:
            assert await demo_house.config_entries.async_unload(entry.entry_id)


async def _say(
    hass: HomeAssistant, reply: str, user: MockUser | None = None, *, text: str = "do it"
) -> conversation.ConversationResult:
    """The user says `text`; the model answers `reply`. A call runs only if `text` names its device."""
    ScriptedBackend.replies = [reply]
    context = Context(user_id=user.id) if user else Context()
    return await conversation.async_converse(
        hass=hass, text=text, conversation_id=None, context=context, language="en", agent_id=AGENT
    )


def _text_for(entity_id: str) -> str:
    """A request naming the device as its entity id does ("set the living room fan")."""
    return "set the " + entity_id.split(".", 1)[1].replace("_", " ")


def _speech(result: conversation.ConversationResult) -> str:
    return result.response.speech["plain"]["speech"]


async def test_brightness_and_colour(hass: HomeAssistant, setup_agent, hass_admin_user: MockUser) -> None:
    await setup_agent()
    assert hass.states.get("light.bed_light").state == "off"
    result = await _say(
        hass,
        "Dimming it.\nlight.turn_on(light.bed_light, brightness=64, rgb_color=(255, 0, 0))",
        hass_admin_user,
        text="make the bed light dim and red",
    )
    state = hass.states.get("light.bed_light")
    assert state.state == "on"
    assert state.attributes["brightness"] == 64
    assert state.attributes["rgb_color"] == (255, 0, 0)
    assert state.context.user_id == hass_admin_user.id
    assert [t.id for t in result.response.success_results] == ["light.bed_light"]
    # Said from the call that ran, not from the model's words.
    assert _speech(result) == "Turned on the Bed Light (brightness 25%, colour 255, 0, 0)."


async def test_json_format_with_fraction_and_colour_string(hass: HomeAssistant, setup_agent) -> None:
    """The v2/v3 JSON line as the model family writes it, read when the grammar is off."""
    await setup_agent(**{CONF_USE_GRAMMAR: False, CONF_REPLY_FORMAT: "json"})
    await _say(
        hass,
        '{"service": "light.turn_on", "target_device": "light.bed_light", "brightness": 0.5, "color_name": "blue"}',
        text="bed light half bright and blue",
    )
    state = hass.states.get("light.bed_light")
    assert state.attributes["brightness"] == 128
    assert state.attributes["rgb_color"] == (0, 0, 255)


async def test_grammar_on_reads_only_call_lines(hass: HomeAssistant, setup_agent) -> None:
    """With the grammar in use, a JSON line is speech, never a call."""
    await setup_agent()
    result = await _say(hass, '{"service": "light.turn_off", "target_device": "light.kitchen_lights"}')
    assert hass.states.get("light.kitchen_lights").state == "on"
    assert result.response.success_results == []


@pytest.mark.parametrize(
    ("reply", "entity_id", "attributes"),
    [
        ("climate.set_temperature(climate.heatpump, temperature=22.5)", "climate.heatpump", {"temperature": 22.5}),
        (
            "climate.set_temperature(climate.ecobee, target_temp_low=19, target_temp_high=25)",
            "climate.ecobee",
            {"target_temp_low": 19, "target_temp_high": 25},
        ),
        ('climate.set_fan_mode(climate.ecobee, fan_mode="on_high")', "climate.ecobee", {"fan_mode": "on_high"}),
        ('climate.set_preset_mode(climate.ecobee, preset_mode="eco")', "climate.ecobee", {"preset_mode": "eco"}),
        ("climate.set_humidity(climate.hvac, humidity=45)", "climate.hvac", {"humidity": 45}),
        ("fan.set_percentage(fan.living_room_fan, percentage=66)", "fan.living_room_fan", {"percentage": 66}),
        ('fan.set_preset_mode(fan.preset_only_limited_fan, preset_mode="sleep")', "fan.preset_only_limited_fan",
         {"preset_mode": "sleep"}),
        ("media_player.volume_set(media_player.bedroom, volume_level=40%)", "media_player.bedroom", {"volume_level": 0.4}),
        ("humidifier.set_humidity(humidifier.humidifier, humidity=45)", "humidifier.humidifier", {"humidity": 45}),
        ("water_heater.set_temperature(water_heater.demo_water_heater_celsius, temperature=50)",
         "water_heater.demo_water_heater_celsius", {"temperature": 50}),
    ],
)  # fmt: skip
async def test_argument_services_change_state(
    hass: HomeAssistant, setup_agent, reply: str, entity_id: str, attributes: dict[str, object]
) -> None:
    await setup_agent()
    values = " ".join(str(value) for value in attributes.values())  # a temperature is run only when said
    result = await _say(hass, "Setting it.\n" + reply, text=f"{_text_for(entity_id)} to {values}")
    state = hass.states.get(entity_id)
    assert {key: state.attributes.get(key) for key in attributes} == attributes, _speech(result)
    assert [t.id for t in result.response.success_results] == [entity_id]


async def test_hvac_mode_changes_state(hass: HomeAssistant, setup_agent) -> None:
    await setup_agent()
    await _say(hass, 'climate.set_hvac_mode(climate.ecobee, hvac_mode="cool")', text="cool with the ecobee")
    assert hass.states.get("climate.ecobee").state == "cool"


@pytest.mark.parametrize(
    ("reply", "entity_id", "reason"),
    [
        ("light.turn_on(light.kitchen_lights, brightness=300)", "light.kitchen_lights", "brightness must be between 0 and 255"),
        ("light.turn_on(light.kitchen_lights, brightness=-5)", "light.kitchen_lights", "brightness must be between 0 and 255"),
        ("climate.set_temperature(climate.heatpump, temperature=90)", "climate.heatpump", "temperature must be between 7 and 35"),
        ('climate.set_fan_mode(climate.heatpump, fan_mode="on_low")', "climate.heatpump", "HeatPump does not support fan_mode"),
        ('climate.set_hvac_mode(climate.heatpump, hvac_mode="cool")', "climate.heatpump", "hvac_mode must be one of heat, off"),
        ("fan.set_percentage(fan.preset_only_limited_fan, percentage=50)", "fan.preset_only_limited_fan",
         "does not support percentage"),
        ("light.turn_on(light.kitchen_lights, area_id=kitchen)", "light.kitchen_lights", "does not take an argument 'area_id'"),
        ("cover.open_cover(cover.garage_door)", "cover.garage_door", "sensitive action that is turned off"),
        ("light.turn_off(all)", "all", "not a device exposed to Assist"),
    ],
)  # fmt: skip
async def test_refusals_are_said_and_change_nothing(
    hass: HomeAssistant, setup_agent, reply: str, entity_id: str, reason: str
) -> None:
    await setup_agent(**{CONF_USE_GRAMMAR: False})
    before = _device_states(hass)
    result = await _say(hass, "Sure.\n" + reply)
    assert reason in _speech(result)
    assert [t.id for t in result.response.failed_results] == [entity_id]
    assert _device_states(hass) == before


def _device_states(hass: HomeAssistant) -> dict[str, tuple[str, dict[str, object]]]:
    return {s.entity_id: (s.state, dict(s.attributes)) for s in hass.states.async_all() if s.domain in ALLOWED_SERVICES}


async def test_sensitive_actions_are_refused_by_default(hass: HomeAssistant, setup_agent) -> None:
    async_expose_entity(hass, "conversation", "lock.front_door", True)
    await setup_agent()
    result = await _say(hass, "Unlocking.\nlock.unlock(lock.front_door)")
    assert hass.states.get("lock.front_door").state == "locked"
    assert "lock.unlock on Front Door is a sensitive action that is turned off" in _speech(result)
    assert [t.id for t in result.response.failed_results] == ["lock.front_door"]


async def test_sensitive_actions_with_the_option(hass: HomeAssistant, setup_agent, hass_admin_user: MockUser) -> None:
    async_expose_entity(hass, "conversation", "lock.front_door", True)
    await setup_agent(**{CONF_ALLOW_SENSITIVE: True})
    result = await _say(hass, "Unlocking.\nlock.unlock(lock.front_door)", hass_admin_user, text="unlock the front door")
    assert hass.states.get("lock.front_door").state == "unlocked"
    assert [t.id for t in result.response.success_results] == ["lock.front_door"]


async def test_non_exposed_lock_stays_locked_even_with_sensitive_on(hass: HomeAssistant, setup_agent) -> None:
    await setup_agent(**{CONF_ALLOW_SENSITIVE: True, CONF_USE_GRAMMAR: False})
    result = await _say(
        hass, '<tool_call>{"name": "lock.unlock", "arguments": {"entity_id": "lock.front_door"}}</tool_call>'
    )
    assert hass.states.get("lock.front_door").state == "locked"
    assert "not a device exposed to Assist" in _speech(result)


async def test_allowlist_option(hass: HomeAssistant, setup_agent) -> None:
    backend = await setup_agent(**{CONF_ALLOWED_SERVICES: ["light.turn_off"]})
    result = await _say(hass, "light.turn_on(light.bed_light, brightness=10)")
    assert hass.states.get("light.bed_light").state == "off"
    assert "light.turn_on is not an allowed service" in _speech(result)
    _messages, grammar, _sampling = backend.requests[-1]
    assert '"turn_off("' in grammar and '"turn_on("' not in grammar


async def test_home_assistant_schema_is_checked_before_calling(hass: HomeAssistant, demo_house: HomeAssistant) -> None:
    """Defence in depth: a call marked allowed but outside the service's own schema is refused, not run."""
    house = async_build_house(hass)
    bad = Verdict(Call("light", "turn_on", "light.bed_light", {"brightness": "very"}), True)
    outcomes = await async_run_calls(hass, [bad], house, Context())
    assert outcomes[0].status == "refused"
    assert "Home Assistant refused the arguments" in outcomes[0].error
    assert hass.states.get("light.bed_light").state == "off"


async def test_a_hanging_service_call_fails_after_its_timeout(hass: HomeAssistant, demo_house: HomeAssistant) -> None:
    """A device that never answers does not hold the turn: the call fails with a clear reason."""
    release = asyncio.Event()

    async def never_answers(call: ServiceCall) -> None:
        await release.wait()

    hass.services.async_register("light", "turn_on", never_answers)  # replaces the demo's handler
    house = async_build_house(hass)
    call = Verdict(Call("light", "turn_on", "light.bed_light", {}), True)
    try:
        with patch("custom_components.home_llm.actions.SERVICE_CALL_TIMEOUT", 0.05):
            outcomes = await async_run_calls(hass, [call], house, Context())
    finally:
        release.set()
    assert outcomes[0].status == "failed"
    assert outcomes[0].error == "it did not finish within 0.05 s"


def _sample(value: object) -> object:
    match value:
        case Range(low, high, integer):
            middle = (low + high) / 2
            return round(middle) if integer else round(middle, 1)
        case Choice(options):
            return options[0]
        case Rgb():
            return (10, 20, 30)
        case Flag():
            return True
        case Text():
            return "milk"
        case Duration():
            return "0:01:00"
    raise AssertionError(value)


async def test_argument_rules_agree_with_home_assistant_schemas(hass: HomeAssistant, demo_house: HomeAssistant) -> None:
    """Every argument our rules accept for a demo device passes the schema its service registered."""
    house = async_build_house(hass)
    checked = 0
    for device in house.devices:
        for domain, service in SERVICE_SLOTS:
            if device.domain != domain or not service_available(domain, service, device):
                continue
            slots = usable_choices(domain, service, device)
            required = [slot.required for slot in SERVICE_SLOTS[(domain, service)]]
            for index, groups in enumerate(slots):
                for group in groups:
                    # This group, plus the first choice of every other required slot.
                    arguments: dict[str, object] = {}
                    for other, (other_groups, needed) in enumerate(zip(slots, required, strict=True)):
                        chosen = group if other == index else (other_groups[0] if needed else ())
                        arguments.update({name: _sample(value) for name, value in chosen})
                    normalized = check_arguments(domain, service, device, arguments)
                    schema = hass.services.async_services_for_domain(domain)[service].schema
                    schema({**normalized, "entity_id": device.entity_id})
                    checked += 1
    assert checked >= 20
