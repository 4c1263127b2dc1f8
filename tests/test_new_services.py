"""The services people ask for (issue 11): fan speed up/down, mute, source, hvac mode, temperature.

A pure house that mirrors the demo integration's devices (checked against the demo below) feeds
the policy and grammar tests; on the demo house itself, bad arguments are refused by the house
grammar and by the policy, and the real model, primed with the call, changes real state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from homeassistant.components import conversation
from homeassistant.components.climate import ClimateEntityFeature
from homeassistant.components.fan import FanEntityFeature
from homeassistant.components.media_player import MediaPlayerEntityFeature
from homeassistant.core import Context, HomeAssistant, State
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.home_llm.const import (
    CONF_ALLOWED_SERVICES,
    CONF_MODEL_PATH,
    CONF_PROMPT,
    DEFAULT_PERSONA,
    DOMAIN,
)
from custom_components.home_llm.grammar import build_grammar
from custom_components.home_llm.house import async_build_house
from custom_components.home_llm.parser import LINES, parse_reply
from custom_components.home_llm.policy import allowed_services, check_calls
from custom_components.home_llm.prompt import system_prompt
from custom_components.home_llm.snapshot import Device

from .gbnf import accepts
from .houses import make_house
from .scripted import ScriptedBackend

AGENT = "conversation.home_llm"
_MP = MediaPlayerEntityFeature
_FAN = FanEntityFeature
_CLIMATE = ClimateEntityFeature

# The demo integration's devices for these services, with the attributes the rules read.
SPEED_FAN = Device(
    "fan.living_room_fan",
    "Living Room Fan",
    "on",
    attributes={
        "supported_features": int(_FAN.SET_SPEED | _FAN.OSCILLATE | _FAN.DIRECTION | _FAN.TURN_OFF | _FAN.TURN_ON)
    },
)
PRESET_FAN = Device(
    "fan.preset_only_limited_fan",
    "Preset Only Limited Fan",
    "off",
    attributes={
        "preset_modes": ["auto", "smart", "sleep", "on"],
        "supported_features": int(_FAN.PRESET_MODE | _FAN.TURN_OFF | _FAN.TURN_ON),
    },
)
YOUTUBE = Device(
    "media_player.living_room",
    "Living Room",
    "playing",
    attributes={
        "supported_features": int(
            _MP.PAUSE
            | _MP.VOLUME_SET
            | _MP.VOLUME_MUTE
            | _MP.TURN_ON
            | _MP.TURN_OFF
            | _MP.PLAY_MEDIA
            | _MP.PLAY
            | _MP.SHUFFLE_SET
            | _MP.SELECT_SOUND_MODE
            | _MP.SEEK
            | _MP.STOP
        )
    },
)
TV = Device(
    "media_player.lounge_room",
    "Lounge room",
    "playing",
    attributes={
        "source_list": ["dvd", "youtube"],
        "supported_features": int(
            _MP.PAUSE
            | _MP.TURN_ON
            | _MP.TURN_OFF
            | _MP.SELECT_SOURCE
            | _MP.PLAY
            | _MP.SHUFFLE_SET
            | _MP.PREVIOUS_TRACK
            | _MP.NEXT_TRACK
            | _MP.SELECT_SOUND_MODE
            | _MP.STOP
        ),
    },
)
HVAC = Device(
    "climate.hvac",
    "Hvac",
    "cool",
    attributes={
        "hvac_modes": ["off", "heat", "cool", "auto", "dry", "fan_only"],
        "min_temp": 7,
        "max_temp": 35,
        "supported_features": int(
            _CLIMATE.TARGET_TEMPERATURE
            | _CLIMATE.TARGET_TEMPERATURE_RANGE
            | _CLIMATE.TARGET_HUMIDITY
            | _CLIMATE.FAN_MODE
            | _CLIMATE.SWING_MODE
            | _CLIMATE.SWING_HORIZONTAL_MODE
            | _CLIMATE.TURN_OFF
            | _CLIMATE.TURN_ON
        ),
    },
)
HEATPUMP = Device(
    "climate.heatpump",
    "HeatPump",
    "heat",
    attributes={
        "hvac_modes": ["heat", "off"],
        "min_temp": 7,
        "max_temp": 35,
        "supported_features": int(_CLIMATE.TARGET_TEMPERATURE | _CLIMATE.TURN_OFF | _CLIMATE.TURN_ON),
    },
)
SERVICE_HOUSE = make_house(SPEED_FAN, PRESET_FAN, YOUTUBE, TV, HVAC, HEATPUMP)  # fmt: skip

# Calls with arguments a device does not take: (reply line, what the policy says).
BAD_CALLS = [
    ('media_player.select_source(media_player.lounge_room, source="netflix")', "source must be one of dvd, youtube"),
    ('media_player.select_source(media_player.living_room, source="dvd")', "Living Room does not support"),
    ('media_player.volume_mute(media_player.living_room, is_volume_muted="maybe")', "must be true or false"),
    ("media_player.volume_mute(media_player.living_room, is_volume_muted=maybe)", "must be true or false"),
    ("media_player.volume_mute(media_player.lounge_room, is_volume_muted=true)", "Lounge room does not support"),
    ("media_player.volume_mute(media_player.living_room)", "needs is_volume_muted"),
    ('climate.set_hvac_mode(climate.hvac, hvac_mode="heat_cool")', "hvac_mode must be one of off, heat, cool"),
    ('climate.set_hvac_mode(climate.heatpump, hvac_mode="cool")', "hvac_mode must be one of heat, off"),
    ("climate.set_temperature(climate.hvac, temperature=40)", "between 7 and 35"),
    ("fan.increase_speed(fan.preset_only_limited_fan)", "does not support fan.increase_speed"),
    ("fan.decrease_speed(fan.living_room_fan, percentage_step=0)", "between 1 and 100"),
]


def _refusals(house, line: str) -> list[str | None]:
    """What the policy says about the calls of one reply line (the grammar's own format)."""
    return [v.reason for v in check_calls(parse_reply(line, frozenset({LINES})).calls, house)]


@pytest.mark.parametrize(("line", "reason"), BAD_CALLS)
def test_bad_arguments_refused_by_grammar_and_policy(line: str, reason: str) -> None:
    assert not accepts(build_grammar(SERVICE_HOUSE), line)
    refusals = _refusals(SERVICE_HOUSE, line)
    assert len(refusals) == 1 and reason in (refusals[0] or ""), refusals


async def test_the_demo_house_is_the_pure_house(demo_house: HomeAssistant) -> None:
    """The snapshot carries what the rules read (source_list included), as SERVICE_HOUSE says."""
    house = async_build_house(demo_house)
    for device in SERVICE_HOUSE.devices:
        real = house.device(device.entity_id)
        assert real is not None, device.entity_id
        assert {key: real.attributes.get(key) for key in device.attributes} == dict(device.attributes)


async def test_bad_arguments_refused_on_the_demo_house(demo_house: HomeAssistant, agent: ScriptedBackend) -> None:
    """Through the agent: the demo house grammar never admits them, the policy refuses them and says why."""
    before = {s.entity_id: (s.state, dict(s.attributes)) for s in demo_house.states.async_all()}
    grammar = build_grammar(async_build_house(demo_house))
    for line, reason in BAD_CALLS:
        assert not accepts(grammar, line), line
        ScriptedBackend.replies = [line]
        [call] = parse_reply(line, frozenset({LINES})).calls
        named = call.entity_id.split(".", 1)[1].replace("_", " ")
        result = await conversation.async_converse(  # the user's words name the device the call targets
            hass=demo_house,
            text=f"set the {named}",
            conversation_id=None,
            context=Context(),
            language="en",
            agent_id=AGENT,
        )
        assert reason in result.response.speech["plain"]["speech"], line
        assert result.response.success_results == []
    await demo_house.async_block_till_done()
    after = {s.entity_id: (s.state, dict(s.attributes)) for s in demo_house.states.async_all()}
    assert {k: v for k, v in after.items() if k.split(".")[0] in ("fan", "media_player", "climate")} == {
        k: v for k, v in before.items() if k.split(".")[0] in ("fan", "media_player", "climate")
    }


def test_the_prompt_lists_a_players_sources() -> None:
    """The model sees the names select_source must use; devices without sources are unchanged."""
    lines = system_prompt(SERVICE_HOUSE, DEFAULT_PERSONA).splitlines()
    assert "media_player.lounge_room 'Lounge room' = playing;source_list=(dvd,youtube)" in lines
    assert "media_player.living_room 'Living Room' = playing" in lines
    services = lines[1].removeprefix("Services: ").split(", ")
    for service in (
        "fan.increase_speed",
        "fan.decrease_speed",
        "media_player.volume_mute",
        "media_player.select_source",
    ):
        assert service in services


# --- the real model on the demo house ---------------------------------------------------------
# The shipped adapter was not trained on these services yet, so each turn is primed: the prompt
# shows an example exchange with the line to write, and the allowlist option narrows the
# grammar to that service (and light.turn_off, whose in-context example shows the call format).
# The reply is still the real llama.cpp's, constrained by the demo house's own grammar, then
# parsed, checked by the policy and run on the demo house.
class Primed(NamedTuple):
    """One primed turn: the service, the user's words, the line to write, and the change to see."""

    service: str
    said: str
    line: str
    entity_id: str
    changed: Callable[[State, State], bool]
    answer: str = "Done."
    start: dict[str, Any] | None = None  # fan.set_percentage data to run first


PRIMED_TURNS = [
    Primed(
        "fan.increase_speed",
        "make the living room fan faster",
        "fan.increase_speed(fan.living_room_fan)",
        "fan.living_room_fan",
        lambda before, after: after.attributes["percentage"] > before.attributes["percentage"],
        "Speeding up the living room fan.",
        {"entity_id": "fan.living_room_fan", "percentage": 33},
    ),
    Primed(
        "fan.decrease_speed",
        "slow down the living room fan",
        "fan.decrease_speed(fan.living_room_fan)",
        "fan.living_room_fan",
        lambda before, after: after.attributes["percentage"] < before.attributes["percentage"],
        "Slowing down the living room fan.",
        {"entity_id": "fan.living_room_fan", "percentage": 66},
    ),
    Primed(
        "media_player.volume_mute",
        "silence the living room",  # not "mute": Home Assistant's sentences would read it without the model
        "media_player.volume_mute(media_player.living_room, is_volume_muted=true)",
        "media_player.living_room",
        lambda before, after: not before.attributes["is_volume_muted"] and after.attributes["is_volume_muted"],
        "Muting the living room.",
    ),
    Primed(
        "media_player.select_source",
        "switch the lounge room to the video app",  # a source named in the words is read without the model
        'media_player.select_source(media_player.lounge_room, source="youtube")',
        "media_player.lounge_room",
        lambda before, after: (before.attributes["source"], after.attributes["source"]) == ("dvd", "youtube"),
        "Switching the lounge room to youtube.",
    ),
    Primed(
        "climate.set_hvac_mode",
        "put the hvac in heat mode",  # "set the hvac to heat" is read without the model (grounding.asked_mode)
        'climate.set_hvac_mode(climate.hvac, hvac_mode="heat")',
        "climate.hvac",
        lambda before, after: (before.state, after.state) == ("cool", "heat"),
        "Setting the hvac to heat.",
    ),
    Primed(
        "climate.set_temperature",
        "let the hvac run at 24 degrees",  # "make the hvac 24 degrees" is read without the model
        "climate.set_temperature(climate.hvac, temperature=24)",
        "climate.hvac",
        lambda before, after: (before.attributes["temperature"], after.attributes["temperature"]) == (21, 24),
        "Setting the hvac to 24 degrees.",
    ),
]


@pytest.fixture
async def primed_agent(demo_house: HomeAssistant, model_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Sets up the integration with the real llama.cpp backend, primed for one turn; unloads it after."""
    entries: list[MockConfigEntry] = []

    async def setup(turn: Primed) -> MockConfigEntry:
        persona = f"{DEFAULT_PERSONA}\nExample:\nuser: {turn.said}\nassistant: {turn.answer}\n{turn.line}"
        # light.turn_off stays allowed so that an in-context example shows the call-line format.
        entry = MockConfigEntry(
            domain=DOMAIN,
            data={CONF_MODEL_PATH: str(model_path)},
            options={CONF_PROMPT: persona, CONF_ALLOWED_SERVICES: [turn.service, "light.turn_off"]},
            title="Home LLM",
        )
        entry.add_to_hass(demo_house)
        assert await demo_house.config_entries.async_setup(entry.entry_id)
        entries.append(entry)
        return entry

    yield setup
    for entry in entries:
        assert await demo_house.config_entries.async_unload(entry.entry_id)


@pytest.mark.real_model
@pytest.mark.parametrize("turn", PRIMED_TURNS, ids=[t.service for t in PRIMED_TURNS])
async def test_real_model_runs_the_new_service(demo_house: HomeAssistant, primed_agent, turn: Primed) -> None:
    """llama.cpp writes the call under the house grammar; it is parsed, allowed and changes the house."""
    hass = demo_house
    entry = await primed_agent(turn)
    generations = _record_generations(entry.runtime_data)
    (agent,) = entry.subentries.values()  # the entry's options became its agent's (migration)
    house_grammar = build_grammar(async_build_house(hass, allowed_services(agent.data)))
    if turn.start is not None:
        await hass.services.async_call("fan", "set_percentage", turn.start, blocking=True)
    before = hass.states.get(turn.entity_id)

    result = await conversation.async_converse(
        hass=hass, text=turn.said, conversation_id=None, context=Context(), language="en", agent_id=AGENT
    )
    await hass.async_block_till_done()

    [(grammar, reply)] = generations
    assert grammar == house_grammar  # llama.cpp sampled under the demo house's grammar...
    assert accepts(grammar, reply)  # ...and wrote a reply it admits
    assert {call.service_name for call in parse_reply(reply, frozenset({LINES})).calls} == {turn.service}, reply
    assert [t.id for t in result.response.success_results] == [turn.entity_id], result.response.speech
    assert turn.changed(before, hass.states.get(turn.entity_id)), reply


BAD_PRIMES = [
    Primed(
        "media_player.select_source",
        "switch the lounge room to netflix",
        'media_player.select_source(media_player.lounge_room, source="netflix")',
        "media_player.lounge_room",
        lambda _before, after: after.attributes["source"] in ("dvd", "youtube"),
    ),
    Primed(
        "media_player.volume_mute",
        "maybe mute the living room",
        "media_player.volume_mute(media_player.living_room, is_volume_muted=maybe)",
        "media_player.living_room",
        lambda _before, after: after.attributes["is_volume_muted"] in (True, False),
    ),
    Primed(
        "climate.set_hvac_mode",
        "set the hvac to heat and cool",
        'climate.set_hvac_mode(climate.hvac, hvac_mode="heat_cool")',
        "climate.hvac",
        lambda _before, after: after.state in ("off", "heat", "cool", "auto", "dry", "fan_only"),
    ),
]


@pytest.mark.real_model
@pytest.mark.parametrize("turn", BAD_PRIMES, ids=[t.service for t in BAD_PRIMES])
async def test_real_model_told_to_write_a_bad_argument_cannot(
    demo_house: HomeAssistant, primed_agent, turn: Primed
) -> None:
    """Told to write a value the device lacks, llama.cpp under the house grammar writes none of it."""
    entry = await primed_agent(turn)
    generations = _record_generations(entry.runtime_data)
    before = demo_house.states.get(turn.entity_id)
    await conversation.async_converse(
        hass=demo_house, text=turn.said, conversation_id=None, context=Context(), language="en", agent_id=AGENT
    )
    await demo_house.async_block_till_done()

    [(grammar, reply)] = generations
    assert turn.line not in reply and accepts(grammar, reply), reply
    house = async_build_house(demo_house)
    for verdict in check_calls(parse_reply(reply, frozenset({LINES})).calls, house):
        assert verdict.allowed, (reply, verdict.reason)  # whatever call it wrote is a valid one
    assert turn.changed(before, demo_house.states.get(turn.entity_id)), reply  # still a value it has


def _record_generations(backend: Any) -> list[tuple[str | None, str]]:
    """(grammar, text) of each reply the backend generates from now on."""
    generations: list[tuple[str | None, str]] = []
    generate = backend.async_generate

    async def recording(messages: Any, **kwargs: Any) -> Any:
        generation = await generate(messages, **kwargs)
        generations.append((kwargs["grammar"], generation.text))
        return generation

    backend.async_generate = recording
    return generations
