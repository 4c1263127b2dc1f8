"""Streaming: speech reaches the chat log as it is generated; call lines never do."""

from __future__ import annotations

import dataclasses
import time

import pytest
from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import chat_session
from hypothesis import given
from hypothesis import strategies as st

from custom_components.home_llm.parser import ALL_FORMATS, LINES, MAX_REPLY_CHARS, parse_reply
from custom_components.home_llm.streaming import SpeechStream

from .scripted import ScriptedBackend

_INPUT_FIELDS = {field.name for field in dataclasses.fields(conversation.ConversationInput)}

AGENT = "conversation.home_llm"

LINES_OF_A_REPLY = [
    "Turning off the kitchen lights.",
    "light.turn_off(light.kitchen_lights)",
    "  light.turn_on(light.bed_light, brightness=128)",
    '{"service": "fan.turn_on", "target_device": "fan.ceiling_fan"}',
    '<tool_call>{"name": "light.turn_on", "arguments": {"entity_id": "light.x"}}</tool_call>',
    'Sure <tool_call>{"name": "switch.turn_on",',
    '"arguments": {"entity_id": "switch.ac"}}</tool_call> done.',
    "<think>maybe light.turn_on(light.x)",
    "still thinking</think>The answer is 10.",
    "```homeassistant",
    "```",
    "Is it on? Yes, it is on.",
    "lights",
    "",
]


def _stream(text: str, cuts: list[int], formats: frozenset[str]) -> tuple[list[str], str]:
    """Feed `text` cut at `cuts`; the releases, and the final speech."""
    stream = SpeechStream(formats)
    released: list[str] = []
    final = parse_reply(text, formats).speech
    start = 0
    for cut in [*sorted(set(cuts)), len(text)]:
        if new := stream.feed(text[start:cut]):
            released.append(new)
            assert final.startswith(stream.released)  # only words the final speech holds, in order
        start = cut
    if new := stream.finish(final):
        released.append(new)
    return released, final


@given(
    lines=st.lists(st.sampled_from(LINES_OF_A_REPLY), min_size=1, max_size=6),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=30),
    grammar=st.booleans(),
)
def test_released_speech_is_always_a_prefix_of_the_final_speech(
    lines: list[str], cuts: list[int], grammar: bool
) -> None:
    text = "\n".join(lines)
    released, final = _stream(text, [c for c in cuts if c <= len(text)], frozenset({LINES}) if grammar else ALL_FORMATS)
    assert "".join(released) == final


def test_speech_streams_before_the_line_ends() -> None:
    text = "Turning off the kitchen lights.\nlight.turn_off(light.kitchen_lights)\n"
    stream = SpeechStream()
    pieces = [stream.feed(text[i : i + 4]) for i in range(0, len(text), 4)]
    assert pieces[:3] == ["", "Turning", " off"]  # a first word could still be a call: held
    assert "".join(pieces) == "Turning off the kitchen lights."
    assert stream.finish(parse_reply(text).speech) == ""


@pytest.mark.parametrize(
    "partial",
    ["light", "light.turn_o", "light.turn_off(light.kit", "  switch.", '{"service"', "``", "Sure <tool", "<think>I am"],
)
def test_what_could_become_a_call_is_held(partial: str) -> None:
    stream = SpeechStream()
    assert stream.feed(partial) in ("", "Sure")
    assert "<" not in stream.released
    assert "(" not in stream.released


def test_a_think_block_over_lines_is_held() -> None:
    stream = SpeechStream()
    assert stream.feed("<think>\nturn on light.x, I mean") == ""
    assert stream.feed("\nok</think>\nDone.") == ""  # the line after the block may be speech, but it is not done
    assert stream.finish("Done.") == "Done."


async def _say_with_listener(
    hass: HomeAssistant, text: str
) -> tuple[conversation.ConversationResult, list[tuple[dict, str]], str]:
    """One turn the way the Assist pipeline runs it: with a chat log delta listener.
    Returns the result, each delta with the kitchen light's state when it arrived, and the
    content the chat log kept."""
    deltas: list[tuple[dict, str]] = []

    def listener(_chat_log: conversation.ChatLog, delta: dict) -> None:
        deltas.append((delta, hass.states.get("light.kitchen_lights").state))

    context = Context()
    # satellite_id became a required field in 2025.12; older releases do not know it.
    satellite = {"satellite_id": None} if "satellite_id" in _INPUT_FIELDS else {}
    user_input = conversation.ConversationInput(
        text=text, context=context, conversation_id=None, device_id=None, language="en", agent_id=AGENT, **satellite
    )
    with (
        chat_session.async_get_chat_session(hass) as session,
        conversation.async_get_chat_log(hass, session, user_input, chat_log_delta_listener=listener) as chat_log,
    ):
        result = await conversation.async_converse(
            hass=hass,
            text=text,
            conversation_id=session.conversation_id,
            context=context,
            language="en",
            agent_id=AGENT,
        )
        logged = chat_log.content[-1].content
    return result, deltas, logged


async def test_speech_is_streamed_and_call_lines_are_not(hass: HomeAssistant, agent: ScriptedBackend) -> None:
    """An answer streams word by word; a command's speech waits for its calls and says what they did."""
    ScriptedBackend.replies = ["Hello! I am Al, the assistant of this house."]
    result, deltas, logged = await _say_with_listener(hass, "hello")
    assert deltas[0][0] == {"role": "assistant"}
    contents = [delta["content"] for delta, _state in deltas[1:]]
    assert len(contents) > 3  # word by word, not all at the end
    assert result.response.speech["plain"]["speech"] == logged == "".join(contents)

    ScriptedBackend.replies = ["Turning off the kitchen lights.\nlight.turn_off(light.kitchen_lights)"]
    result, deltas, logged = await _say_with_listener(hass, "turn off the kitchen lights")
    # Nothing went out before the call ran; then what it did, not the model's claim or its call line.
    assert [(delta, state) for delta, state in deltas[1:]] == [({"content": "Turned off the Kitchen Lights."}, "off")]
    assert result.response.speech["plain"]["speech"] == logged == "Turned off the Kitchen Lights."


async def test_refused_call_is_said_after_the_speech(hass: HomeAssistant, agent: ScriptedBackend) -> None:
    ScriptedBackend.replies = ["Unlocking the front door.\nlock.unlock(lock.front_door)\nDone."]
    result, deltas, logged = await _say_with_listener(hass, "unlock the front door")

    streamed = "".join(delta.get("content", "") for delta, _state in deltas)
    # The refusal, not the model's "Unlocking the front door." (held back on a command).
    assert streamed.startswith("I did not run lock.unlock on lock.front_door")
    assert "lock.unlock(" not in streamed
    assert result.response.speech["plain"]["speech"] == logged == streamed
    assert hass.states.get("lock.front_door").state == "locked"


async def test_reply_without_speech_says_so(hass: HomeAssistant, agent: ScriptedBackend) -> None:
    ScriptedBackend.replies = ["light.turn_off(light.kitchen_lights)"]
    result, deltas, logged = await _say_with_listener(hass, "lights off")
    # A call line alone: nothing streamed until the calls ran, then what they did.
    assert [delta for delta, _state in deltas[1:]] == [{"content": "Turned off the Kitchen Lights."}]
    assert hass.states.get("light.kitchen_lights").state == "off"
    assert result.response.speech["plain"]["speech"] == logged == "Turned off the Kitchen Lights."


def test_each_finished_line_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long reply costs no more per piece than a short one: no re-parsing of what is finished."""
    parsed: list[int] = []
    real_parse = parse_reply

    def counting_parse(text: str, formats: frozenset[str] = ALL_FORMATS):
        parsed.append(len(text))
        return real_parse(text, formats)

    monkeypatch.setattr("custom_components.home_llm.streaming.parse_reply", counting_parse)
    text = "Turning off the kitchen lights.\nlight.turn_off(light.kitchen_lights)\n" * 200
    stream = SpeechStream()
    for start in range(0, len(text), 3):
        stream.feed(text[start : start + 3])
    assert sum(parsed) == len(text)  # every character parsed exactly once
    assert stream.released == real_parse(text).speech


def test_nothing_past_the_parser_limit_is_kept() -> None:
    """The parser reads MAX_REPLY_CHARS characters; the stream keeps and parses no more."""
    stream = SpeechStream()
    for _ in range(30):
        stream.feed("word " * 199 + "\n")
    assert len(stream.text) == MAX_REPLY_CHARS
    assert stream.finish(parse_reply(stream.text).speech) == ""  # all of it was released already


def test_backtracking_line_costs_nothing_later() -> None:
    """`a.((((...` once made every later one-character piece cost 0.4 s (the call-shape pattern backtracked)."""
    stream = SpeechStream()
    stream.feed("a." + "(" * 19_000 + "\n")
    slowest = 0.0
    for char in "Done, and nothing more to say":
        start = time.perf_counter()
        stream.feed(char)
        slowest = max(slowest, time.perf_counter() - start)
    assert slowest < 0.05
    start = time.perf_counter()
    parse_reply("a." + "(" * 19_998)
    assert time.perf_counter() - start < 0.05
