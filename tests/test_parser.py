"""Parsing model replies: speech and calls in every format the model family writes."""

import json
from pathlib import Path

import pytest

from custom_components.home_llm.const import CONF_REPLY_FORMAT
from custom_components.home_llm.grammar import build_grammar
from custom_components.home_llm.parser import (
    ALL_FORMATS,
    GRAMMAR,
    JSON,
    LINES,
    TOOL_CALL,
    Call,
    parse_reply,
    reply_formats,
)
from custom_components.home_llm.streaming import SpeechStream

from .adversarial import ARG_HOUSE
from .gbnf import accepts


def test_card_format() -> None:
    reply = parse_reply("turning on the kitchen lights for you now\nlight.turn_on(light.kitchen)")
    assert reply.speech == "turning on the kitchen lights for you now"
    assert reply.calls == (Call("light", "turn_on", "light.kitchen"),)


def test_fenced_calls_and_several_calls() -> None:
    reply = parse_reply("Done.\n```homeassistant\nlight.turn_off(light.a)\nswitch.turn_on(switch.b)\n```\n")
    assert reply.speech == "Done."
    assert [c.service_name for c in reply.calls] == ["light.turn_off", "switch.turn_on"]


def test_arguments() -> None:
    reply = parse_reply("ok\nlight.turn_on(light.kitchen, brightness=128, rgb_color=(255,0,0), color_name='red')")
    assert reply.calls == (
        Call("light", "turn_on", "light.kitchen", {"brightness": 128, "rgb_color": [255, 0, 0], "color_name": "red"}),
    )


def test_json_lines() -> None:
    reply = parse_reply(
        'Setting it.\n{"service": "light.turn_on", "target_device": "light.kitchen", "brightness": 0.5, "rgb_color": "(255,0,0)"}'
    )
    assert reply.speech == "Setting it."
    assert reply.calls == (Call("light", "turn_on", "light.kitchen", {"brightness": 0.5, "rgb_color": "(255,0,0)"}),)


def test_tool_call_and_think() -> None:
    reply = parse_reply(
        "<think>the user wants light</think>Sure.\n"
        '<tool_call>{"name": "light.turn_on", "arguments": {"entity_id": "light.kitchen"}}</tool_call>'
    )
    assert reply.speech == "Sure."
    assert reply.calls == (Call("light", "turn_on", "light.kitchen"),)


def test_intent_style_tool_names() -> None:
    reply = parse_reply('<tool_call>{"name": "HassTurnOff", "arguments": {"name": "cover.hall"}}</tool_call>')
    assert reply.calls == (Call("cover", "close_cover", "cover.hall"),)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "If Mary is 7 years old, then you are 10 years old (7+3=10).",
        "light.turn_on()",
        "light.turn_on(light.a, light.b)",
        "light.turn_on(brightness=3)",
        "{not json",
        '{"service": 5, "target_device": "light.a"}',
        '<tool_call>{"name": "light.turn_on"',
        "```",
    ],
)
def test_no_calls(text: str) -> None:
    reply = parse_reply(text)
    assert reply.calls == ()


def test_unclosed_think_is_dropped() -> None:
    assert parse_reply("<think>never ends\nlight.turn_on(light.a)").calls == ()


def test_non_string_input() -> None:
    assert parse_reply(None).calls == ()  # type: ignore[arg-type]


def test_v001_arguments_of_every_kind() -> None:
    reply = parse_reply(
        "ok\n"
        "climate.set_temperature(climate.hvac, temperature=21.5, hvac_mode='heat')\n"
        "light.turn_on(light.kitchen, brightness=50%, rgb_color=[0, 128, 255])\n"
        'todo.add_item(todo.shopping, item="eggs, milk (2 l)")\n'
        'timer.start(timer.tea, duration="0:03:00")\n'
        "light.turn_off(entity_id=light.porch)"
    )
    assert reply.speech == "ok"
    assert reply.calls == (
        Call("climate", "set_temperature", "climate.hvac", {"temperature": 21.5, "hvac_mode": "heat"}),
        Call("light", "turn_on", "light.kitchen", {"brightness": "50%", "rgb_color": [0, 128, 255]}),
        Call("todo", "add_item", "todo.shopping", {"item": "eggs, milk (2 l)"}),
        Call("timer", "start", "timer.tea", {"duration": "0:03:00"}),
        Call("light", "turn_off", "light.porch"),
    )


def test_new_service_calls_in_every_format() -> None:
    """Issue 11's services: the grammar's bare `true`, a quoted source with a blank, JSON booleans."""
    reply = parse_reply(
        "Done.\n"
        "fan.increase_speed(fan.living_room_fan)\n"
        "fan.decrease_speed(fan.living_room_fan, percentage_step=25)\n"
        "media_player.volume_mute(media_player.living_room, is_volume_muted=true)\n"
        'media_player.select_source(media_player.lounge_room, source="HDMI 1")\n'
        '{"service": "media_player.volume_mute", "target_device": "media_player.bedroom", "is_volume_muted": false}\n'
        '<tool_call>{"name": "media_player.select_source", '
        '"arguments": {"entity_id": "media_player.lounge_room", "source": "dvd"}}</tool_call>'
    )
    assert reply.speech == "Done."
    assert reply.calls == (
        Call("media_player", "select_source", "media_player.lounge_room", {"source": "dvd"}),  # tool calls first
        Call("fan", "increase_speed", "fan.living_room_fan"),
        Call("fan", "decrease_speed", "fan.living_room_fan", {"percentage_step": 25}),
        Call("media_player", "volume_mute", "media_player.living_room", {"is_volume_muted": "true"}),
        Call("media_player", "select_source", "media_player.lounge_room", {"source": "HDMI 1"}),
        Call("media_player", "volume_mute", "media_player.bedroom", {"is_volume_muted": False}),
    )


def test_tool_call_with_arguments_as_a_json_string() -> None:
    reply = parse_reply(
        '<tool_call>{"name": "climate.set_temperature", "arguments": "{\\"entity_id\\": \\"climate.hvac\\", '
        '\\"temperature\\": 22}"}</tool_call>'
    )
    assert reply.calls == (Call("climate", "set_temperature", "climate.hvac", {"temperature": 22}),)


@pytest.mark.parametrize(
    "line",
    [
        '{"service": "light.turn_on", "entity_id": ["light.a", "light.b"]}',
        '{"service": "light.turn_on", "target": {"area_id": "kitchen"}}',
        '{"service": "light.turn_on", "entity_id": "light.a", "target_device": "lock.b"}',
        '{"name": "light.turn_on", "arguments": {"entity_id": null}}',
    ],
)
def test_json_targets_must_be_one_entity_id(line: str) -> None:
    assert parse_reply(line).calls == ()


def test_several_formats_in_one_reply() -> None:
    reply = parse_reply(
        "Sure.\nlight.turn_off(light.a)\n"
        '{"service": "switch.turn_on", "target_device": "switch.b"}\n'
        '<tool_call>{"name": "fan.turn_on", "arguments": {"entity_id": "fan.c"}}</tool_call>'
    )
    assert reply.speech == "Sure."
    assert sorted(c.entity_id for c in reply.calls) == ["fan.c", "light.a", "switch.b"]


def test_formats_limit_what_is_read() -> None:
    text = 'light.turn_off(light.a)\n{"service": "switch.turn_on", "target_device": "switch.b"}'
    lines_only = parse_reply(text, frozenset({LINES}))
    assert [c.entity_id for c in lines_only.calls] == ["light.a"]
    assert lines_only.speech == ""  # the JSON line is neither a call nor words for the user
    assert [c.entity_id for c in parse_reply(text, frozenset({JSON})).calls] == ["switch.b"]


def test_reply_formats_option() -> None:
    assert reply_formats({}, grammar_in_use=True) == frozenset({LINES, GRAMMAR})
    assert reply_formats({CONF_REPLY_FORMAT: JSON}, grammar_in_use=True) == frozenset({LINES, GRAMMAR})
    assert reply_formats({}, grammar_in_use=False) == ALL_FORMATS
    assert reply_formats({CONF_REPLY_FORMAT: "auto"}, grammar_in_use=False) == ALL_FORMATS
    assert reply_formats({CONF_REPLY_FORMAT: TOOL_CALL}, grammar_in_use=False) == frozenset({TOOL_CALL})
    assert reply_formats({CONF_REPLY_FORMAT: "nonsense"}, grammar_in_use=False) == ALL_FORMATS


# Speech under the house grammar (its first line may be anything not ending in ")"), which a
# parser that drops <think> blocks before looking for calls read as calls (issue 12 item 6).
THINK_SMUGGLED = [
    "light.turn_on(light.kitchen, brightness=999)<think></think>",
    "light.turn_on(light.kitchen)<think>x</think>",
    "lock.unlock(lock.front_door)<THINK>\n</think>",
    "<think></think>light.turn_on(light.kitchen, brightness=999)<think>",
    "Sure.\nLight.\n<think>a</think>light.turn_off(light.kitchen)<think></think>",
]


@pytest.mark.parametrize("reply", THINK_SMUGGLED)
def test_think_tags_do_not_turn_grammar_speech_into_calls(reply: str) -> None:
    """Speech the grammar admits stays speech: no call is read out of it, and it is not spoken
    as a call either."""
    formats = reply_formats({}, grammar_in_use=True)
    assert accepts(build_grammar(ARG_HOUSE), reply)  # the model can write it under the grammar
    parsed = parse_reply(reply, formats)
    assert parsed.calls == ()
    assert "turn_" not in parsed.speech and "unlock" not in parsed.speech
    stream = SpeechStream(formats)  # the streamed words agree with the parsed ones
    for char in reply:
        stream.feed(char)
    assert parsed.speech.startswith(stream.released)


def test_grammar_calls_are_read_as_written_and_think_dropped_from_speech() -> None:
    formats = reply_formats({}, grammar_in_use=True)
    reply = parse_reply("Sure <think>hmm</think> thing.\nlight.turn_on(light.kitchen, brightness=128)", formats)
    assert reply.speech == "Sure  thing."
    assert reply.calls == (Call("light", "turn_on", "light.kitchen", {"brightness": 128}),)
    # Without the grammar the think block is still dropped first (models write calls after it).
    assert parse_reply("<think>x</think>light.turn_on(light.kitchen)").calls == (
        Call("light", "turn_on", "light.kitchen"),
    )


REAL_REPLIES = json.loads((Path(__file__).parent / "adversarial" / "real_replies.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", REAL_REPLIES, ids=lambda c: f"{'grammar' if c['grammar'] else 'free'}: {c['user']}")
def test_real_replies_of_the_default_model(case: dict) -> None:
    """Replies SmolLM2-135M wrote on the demo house (scripts: see tests/adversarial/real_replies.json).

    Without the grammar it invents calls (`volume.set_bed_volume(40)`): those are no calls and
    are not spoken either. With it, every call line is well formed, arguments included.
    """
    formats = reply_formats({}, grammar_in_use=case["grammar"])
    reply = parse_reply(case["reply"], formats)
    assert reply.speech == case["speech"]
    assert [[c.service_name, c.entity_id, c.arguments] for c in reply.calls] == case["calls"]
