"""Prompt building: the model card's layout, examples from the house, history trimming."""

from custom_components.home_llm.const import DEFAULT_PERSONA
from custom_components.home_llm.prompt import (
    Message,
    build_messages,
    device_line,
    examples,
    prefix_messages,
    recent_turns,
    system_prompt,
    to_chatml,
)
from custom_components.home_llm.snapshot import Device, House

from .houses import CARD_HOUSE, MIXED_HOUSE, make_house


def test_system_prompt_follows_the_model_card() -> None:
    house = House(CARD_HOUSE.devices, {"fan": ("turn_on", "turn_off"), "light": ("turn_off", "turn_on")})
    assert system_prompt(house, DEFAULT_PERSONA) == (
        f"{DEFAULT_PERSONA}\n"
        "Services: fan.turn_on, fan.turn_off, light.turn_off, light.turn_on\n"
        "Devices:\n"
        "fan.office 'Office fan' = off\n"
        "light.kitchen 'Kitchen Light' = on\n"
        "light.office 'Office Light' = on"
    )


def test_device_line_drops_quotes_from_names() -> None:
    assert device_line(Device("light.x", "Bob's Lamp", "off")) == "light.x 'Bobs Lamp' = off"


def test_examples_use_the_house() -> None:
    pairs = examples(MIXED_HOUSE, 5)
    assert pairs[0][0] == "what can you do?"  # a question answered without a call comes first
    assert pairs[1] == (
        "turn off the kitchen light",
        "Turning off the kitchen light for you now.\nlight.turn_off(light.kitchen)",
    )
    assert pairs[2] == ("switch on the ac", "Switching on the ac.\nswitch.turn_on(switch.ac)")
    assert pairs[3] == ("open the garage door", "Opening the garage door.\ncover.open_cover(cover.garage_door)")
    assert pairs[4] == ("is the kitchen light on?", "The kitchen light is on.")  # and a state question last
    assert examples(MIXED_HOUSE, 0) == []
    assert len(examples(MIXED_HOUSE, 1)) == 1
    assert len(examples(MIXED_HOUSE, 3)) == 3


def test_only_the_state_question_reads_states() -> None:
    changed = make_house(*(Device(d.entity_id, d.name, "unavailable") for d in MIXED_HOUSE.devices))
    assert examples(changed, 5)[:-1] == examples(MIXED_HOUSE, 5)[:-1]
    assert examples(changed, 5)[-1] == ("is the kitchen light on?", "The kitchen light is unavailable.")


def test_examples_in_an_empty_house() -> None:
    assert examples(make_house(), 3) == [examples(MIXED_HOUSE, 3)[0]]


def test_build_messages_order() -> None:
    history = [Message("user", "hi"), Message("assistant", "Hello!")]
    messages = build_messages(CARD_HOUSE, "turn on the fan", persona="P", history=history, num_examples=2)
    assert [m.role for m in messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    assert messages[-1] == Message("user", "turn on the fan")
    assert messages[-3:-1] == history


def test_recent_turns_keeps_whole_exchanges() -> None:
    history = [Message("user", "a"), Message("assistant", "A"), Message("user", "b"), Message("assistant", "B")]
    assert recent_turns(history, 1) == history[2:]
    assert recent_turns(history, 5) == history
    assert recent_turns(history, 0) == []


def test_chatml() -> None:
    text = to_chatml([Message("system", "S"), Message("user", "U")])
    assert text == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"


def test_extra_attributes_in_device_lines() -> None:
    lamp = Device("light.kitchen", "Kitchen Light", "on", attributes={"brightness": 128, "rgb_color": (255, 0, 0)})
    assert device_line(lamp) == "light.kitchen 'Kitchen Light' = on"
    assert device_line(lamp, ("brightness",)) == "light.kitchen 'Kitchen Light' = on;brightness=128"
    assert device_line(lamp, ("rgb_color", "humidity", "brightness")) == (
        "light.kitchen 'Kitchen Light' = on;rgb_color=(255,0,0);brightness=128"  # missing ones are left out
    )
    speaker = Device("media_player.den", "Den", "playing", attributes={"volume_level": 0.5, "media_title": "A\nB"})
    assert (
        device_line(speaker, ("volume_level", "media_title"))
        == "media_player.den 'Den' = playing;volume_level=0.5;media_title=A B"
    )
    assert "brightness=128" in system_prompt(make_house(lamp), "P", ("brightness",))


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def test_nothing_per_turn_in_the_prefix() -> None:
    """Two turns differ only after the house's part: llama.cpp reuses all of it."""
    prefix = to_chatml(prefix_messages(MIXED_HOUSE, persona="P", num_examples=5)).removesuffix(
        "<|im_start|>assistant\n"
    )
    first = to_chatml(build_messages(MIXED_HOUSE, "turn on the ac", persona="P", num_examples=5))
    history = [Message("user", "hi"), Message("assistant", "Hello!")]
    second = to_chatml(build_messages(MIXED_HOUSE, "what time is it?", persona="P", history=history, num_examples=5))
    assert first.startswith(prefix)
    assert second.startswith(prefix)
    assert build_messages(MIXED_HOUSE, "x", persona="P", num_examples=5)[:-1] == prefix_messages(
        MIXED_HOUSE, persona="P", num_examples=5
    )


def test_a_state_change_keeps_the_prompt_before_its_device_line() -> None:
    changed = make_house(
        *(
            Device(d.entity_id, d.name, "unavailable" if d.entity_id == "switch.ac" else d.state)
            for d in MIXED_HOUSE.devices
        )
    )
    before = to_chatml(build_messages(MIXED_HOUSE, "hi", persona="P", num_examples=5))
    after = to_chatml(build_messages(changed, "hi", persona="P", num_examples=5))
    assert before != after
    # Everything up to the changed line is shared, so only the rest is read again.
    assert _common_prefix(before, after) == before.index("switch.ac 'AC' = ") + len("switch.ac 'AC' = ")
