"""Parsing model replies: speech and calls in every format the model family writes."""

import pytest

from custom_components.home_llm.parser import Call, parse_reply


def test_card_format() -> None:
    reply = parse_reply("turning on the kitchen lights for you now\nlight.turn_on(light.kitchen)")
    assert reply.speech == "turning on the kitchen lights for you now"
    assert reply.calls == (Call("light", "turn_on", "light.kitchen"),)


def test_fenced_calls_and_several_calls() -> None:
    reply = parse_reply(
        "Done.\n```homeassistant\nlight.turn_off(light.a)\nswitch.turn_on(switch.b)\n```\n"
    )
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
        "<tool_call>{\"name\": \"light.turn_on\"",
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
