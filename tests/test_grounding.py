"""Grounding rules (pure): calls must point at what the user said, speech must say what was done."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant

from custom_components.home_llm.grounding import (
    Grounding,
    asks_to_add,
    check_answer,
    confirmation,
    done_phrase,
    head_kind,
    hold_ungrounded,
    is_grounded,
    load_grounding,
    may_act,
    normalise,
    object_phrase,
    request_parts,
    said_words,
    words,
)
from custom_components.home_llm.house import async_build_house
from custom_components.home_llm.parser import Call
from custom_components.home_llm.policy import Verdict, check_call
from custom_components.home_llm.snapshot import Device, House

from .houses import make_house

DATASETS = Path(__file__).resolve().parent.parent / "datasets"

# Devices of Home Assistant's demo house, with their real names and readings.
DEMO = make_house(
    Device("fan.living_room_fan", "Living Room Fan", "off"),
    Device("fan.ceiling_fan", "Ceiling Fan", "off"),
    Device("cover.garage_door", "Garage Door", "closed", attributes={"device_class": "garage"}),
    Device("cover.kitchen_window", "Kitchen Window", "closed"),
    Device("light.kitchen_lights", "Kitchen Lights", "on"),
    Device("light.ceiling_lights", "Ceiling Lights", "on"),
    Device("light.bed_light", "Bed Light", "off"),
    Device("switch.decorative_lights", "Decorative Lights", "on"),
    Device("switch.ac", "AC", "off", attributes={"device_class": "outlet"}),
    Device("media_player.living_room", "Living Room", "playing"),
    Device("climate.heatpump", "HeatPump", "heat", attributes={"current_temperature": 25.0, "temperature": 20.0}),
    Device("climate.ecobee", "Ecobee", "heat_cool", attributes={"current_temperature": 23}),
    Device("sensor.outside_temperature", "Outside Temperature", "15.6", attributes={"device_class": "temperature"}),
    Device("todo.shopping_list", "Shopping List", "0"),
)


def _allowed(domain: str, service: str, entity_id: str, **arguments: object) -> Verdict:
    return Verdict(Call(domain, service, entity_id, dict(arguments)), True)


def _held(verdict: Verdict, text: str, previous: str = "") -> list[str]:
    """The sentences said for the calls held back (empty: the call runs)."""
    keep, held = hold_ungrounded([verdict], DEMO, text, previous)
    assert len(keep) + len(held) == 1
    return [hold.sentence for hold in held]


@pytest.mark.parametrize(
    ("word", "expected"),
    [("Lights", "light"), ("blinds", "blind"), ("switches", "switch"), ("batteries", "battery"),
     ("heating", "heat"), ("lighting", "light"), ("glass", "glass"), ("status", "status"), ("ring", "ring"),
     ("setting", "set"), ("dimming", "dim"), ("calling", "call")],
)  # fmt: skip
def test_normalise(word: str, expected: str) -> None:
    assert normalise(word) == expected


def test_words_drop_filler_and_punctuation() -> None:
    assert words("Turn OFF the kitchen's lights, please!") == {"turn", "kitchen", "light"}
    assert words("light.living_room_rgbww_lights", spoken=False) == {"light", "living", "rgbww"}


def test_switch_is_a_verb_or_a_device_kind() -> None:
    assert "switch" not in words("switch off the bed light")
    assert "switch" not in words("switch the lights off")
    assert "switch" in words("turn off the switch")


# --- the relevance gate ----------------------------------------------------------------------


def test_garage_door_does_not_toggle_the_living_room_fan() -> None:
    """The walk from issue 11: "open the garage door" ran fan.toggle(fan.living_room_fan)."""
    held = _held(_allowed("fan", "toggle", "fan.living_room_fan"), "open the garage door")
    assert held == ["Which device do you mean by 'garage door'?"]


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("turn off the kitchen lights", _allowed("light", "turn_off", "light.kitchen_lights")),
        ("switch kitchen lights off", _allowed("light", "turn_off", "light.kitchen_lights")),
        ("open the garage door", _allowed("cover", "open_cover", "cover.garage_door")),
        ("raise up kitchen window", _allowed("cover", "open_cover", "cover.kitchen_window")),
        ("close the blinds", _allowed("cover", "close_cover", "cover.kitchen_window")),  # a word for the kind
        ("it's too dark in here", _allowed("light", "turn_on", "light.bed_light")),
        ("unpause our living room", _allowed("media_player", "media_play", "media_player.living_room")),
        ("turn the music down", _allowed("media_player", "volume_down", "media_player.living_room")),
        ("make it warmer, 22 degrees", _allowed("climate", "set_temperature", "climate.heatpump", temperature=22)),
        ("turn on the plug", _allowed("switch", "turn_on", "switch.ac")),
        ("turn off the switch", _allowed("switch", "turn_off", "switch.decorative_lights")),
        ("add milk to my shopping list", _allowed("todo", "add_item", "todo.shopping_list", item="milk")),
        ("add milk", _allowed("todo", "add_item", "todo.shopping_list", item="milk")),
    ],
)
def test_calls_the_words_point_at_run(text: str, verdict: Verdict) -> None:
    assert _held(verdict, text) == []


@pytest.mark.parametrize(
    ("text", "verdict", "sentence"),
    [
        ("open the garage door", _allowed("light", "turn_on", "light.bed_light"), "by 'garage door'"),
        ("turn off the kitchen lights", _allowed("fan", "turn_off", "fan.ceiling_fan"), "by 'kitchen lights'"),
        ("tell me a joke", _allowed("media_player", "media_play", "media_player.living_room"), "by 'joke'"),
        ("turn it off", _allowed("light", "turn_off", "light.bed_light"), "Which device do you mean?"),
        # "switch" as a verb is no word for a switch.
        ("switch off the bed light", _allowed("switch", "turn_off", "switch.ac"), "by 'bed light'"),
    ],
)
def test_calls_the_words_do_not_point_at_are_asked_about(text: str, verdict: Verdict, sentence: str) -> None:
    held = _held(verdict, text)
    assert len(held) == 1
    assert sentence in held[0]


def test_follow_up_uses_the_previous_request() -> None:
    off = _allowed("light", "turn_off", "light.bed_light")
    assert _held(off, "turn it off", previous="turn on the bed light") == []
    assert _held(off, "that one too", previous="turn off the bed light") == []
    # A new request with its own object does not borrow the previous one's words.
    assert _held(off, "open the garage door", previous="turn on the bed light") != []
    assert said_words("and now the fan", "turn on the bed light") == {"fan"}


def test_group_command_reaches_every_device_in_the_area() -> None:
    house = make_house(
        Device("light.counter", "Counter", "on", area="Kitchen"),
        Device("light.pendant", "Pendant", "on", area="Kitchen"),
        Device("fan.attic", "Attic", "on", area="Attic"),
    )
    verdicts = [_allowed("light", "turn_off", "light.counter"), _allowed("light", "turn_off", "light.pendant"),
                _allowed("fan", "turn_off", "fan.attic")]  # fmt: skip
    keep, held = hold_ungrounded(verdicts, house, "turn off the kitchen lights")
    assert [v.call.entity_id for v in keep] == ["light.counter", "light.pendant"]
    assert [h.call.entity_id for h in held] == ["fan.attic"]
    assert held[0].verdict == Verdict(held[0].call, False, "the request does not mention Attic")


def test_aliases_ground_a_call() -> None:
    device = Device("light.x1", "X1", "off", aliases=("reading lamp",))
    assert is_grounded(Call("light", "turn_on", "light.x1"), device, said_words("reading on"))
    assert not is_grounded(Call("light", "turn_on", "light.x1"), device, said_words("turn on the fan"))


def test_refused_verdicts_are_left_to_the_policy() -> None:
    refused = Verdict(Call("fan", "toggle", "fan.living_room_fan"), False, "not allowed")
    keep, held = hold_ungrounded([refused], DEMO, "open the garage door")
    assert keep == [refused]
    assert held == []


def test_object_phrase() -> None:
    assert object_phrase("Open the garage door!") == "garage door"
    assert object_phrase("make me a sandwich") == "sandwich"
    assert object_phrase("turn it off") == ""
    assert object_phrase("Turn off the Lights in the Kitchen, please") == "Lights in the Kitchen"


# --- to-do items -----------------------------------------------------------------------------


def test_sandwich_is_not_added_to_the_shopping_list() -> None:
    """The walk from issue 11: "make me a sandwich" silently added "sandwich"."""
    held = _held(_allowed("todo", "add_item", "todo.shopping_list", item="sandwich"), "make me a sandwich")
    assert held == ["I did not add 'sandwich' to the Shopping List: you did not ask me to add anything."]


@pytest.mark.parametrize(
    ("text", "asked"),
    [("add milk", True), ("put eggs on the list", True), ("remember to buy bread", True),
     ("note: call mum", True), ("make me a sandwich", False), ("I'm hungry", False)],
)  # fmt: skip
def test_asks_to_add(text: str, asked: bool) -> None:
    assert asks_to_add(text) is asked


# --- confirmations ---------------------------------------------------------------------------


def test_confirmation_names_devices_and_changes() -> None:
    done = [
        (Call("fan", "turn_on", "fan.living_room_fan"), "Living Room Fan", "on"),
        (Call("light", "turn_off", "light.kitchen_lights"), "Kitchen Lights", "off"),
        (Call("light", "turn_off", "light.ceiling_lights"), "Ceiling Lights", "off"),
        (Call("climate", "set_temperature", "climate.heatpump", {"temperature": 22.5}), "HeatPump", "heat"),
    ]
    assert confirmation(done) == (
        "Turned on the Living Room Fan. Turned off the Kitchen Lights and the Ceiling Lights. "
        "Set the HeatPump to 22.5 degrees."
    )


@pytest.mark.parametrize(
    ("call", "state", "phrase"),
    [
        (Call("fan", "toggle", "fan.x"), "on", "Turned on the Device"),
        (Call("cover", "toggle", "cover.x"), "closing", "Closed the Device"),
        (Call("fan", "toggle", "fan.x"), None, "Toggled the Device"),
        (Call("light", "turn_on", "light.x", {"brightness": 64}), "on", "Turned on the Device (brightness 25%)"),
        (Call("media_player", "volume_set", "m.x", {"volume_level": 0.4}), None, "Set the volume of the Device to 40%"),
        (Call("todo", "add_item", "todo.x", {"item": "milk"}), None, "Added 'milk' to the Device"),
        (Call("scene", "turn_on", "scene.x"), None, "Activated the Device"),
        (Call("climate", "set_temperature", "c.x", {"target_temp_low": 19, "target_temp_high": 25}), None,
         "Set the Device to 19 to 25 degrees"),
        (Call("fan", "fly", "fan.x"), None, "Ran fan.fly on the Device"),
        (Call("cover", "set_cover_position", "cover.x"), None, "Ran cover.set_cover_position on the Device"),
    ],
)  # fmt: skip
def test_done_phrase(call: Call, state: str | None, phrase: str) -> None:
    assert done_phrase(call, "Device", state) == phrase


# --- answers about readings ------------------------------------------------------------------


def test_invented_temperature_is_not_said() -> None:
    """The walk from issue 11: an invented "55 degrees Fahrenheit" for a room with no sensor."""
    answer = check_answer(
        "what is the temperature in the living room?", "It is 55 degrees Fahrenheit in the living room.", DEMO
    )
    assert answer == "I don't know the temperature in the living room — no device in this house reports it."


def test_invented_reading_is_replaced_by_the_real_one() -> None:
    answer = check_answer("how warm is it outside?", "It is 30 degrees outside.", DEMO)
    assert answer == "Outside Temperature shows 15.6."
    answer = check_answer("what's the temperature?", "72 degrees.", DEMO)
    assert answer == "Outside Temperature shows 15.6, Ecobee shows 23 and HeatPump shows 25."


@pytest.mark.parametrize(
    ("text", "speech"),
    [
        ("what is the temperature outside?", "It is 15.6 degrees outside."),
        ("what is the temperature outside?", "About 16 degrees."),  # rounded
        ("how warm is the heatpump set?", "It is set to 20 degrees."),
        ("set the heatpump to 21 degrees", "Setting 21 degrees."),  # the user's own number
        ("what is 12 times 4?", "48"),  # not a reading
    ],
)
def test_true_or_unchecked_answers_are_kept(text: str, speech: str) -> None:
    assert check_answer(text, speech, DEMO) == speech


@pytest.mark.parametrize(
    ("text", "speech", "said"),
    [
        # A stale or invented state is replaced by the house's (the cached prompt may hold an old line).
        ("is the kitchen light on?", "No, the kitchen lights are off.", "The Kitchen Lights are on."),
        ("is the garage door open?", "Yes, the garage door is open.", "The Garage Door is closed."),
        ("bed light status?", "The bed light is on.", "The Bed Light is off."),
        # A true state, no state word, no question, or no single device named: the model's words stay.
        ("is the kitchen light on?", "Yes, the kitchen lights are on.", None),
        ("is the living room fan on?", "I am not sure.", None),
        ("turn off the bed light", "The bed light is on.", None),
        ("is everything off?", "Yes, everything is off.", None),
        ("are the lights on?", "No, they are off.", None),
    ],
)
def test_answer_about_a_state_says_the_houses_state(text: str, speech: str, said: str | None) -> None:
    assert check_answer(text, speech, DEMO) == (said or speech)


# --- streaming ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "acts"),
    [("hello", False), ("tell me a joke", False), ("what is 12 times 4?", False), ("who are you?", False),
     ("turn off the kitchen lights", True), ("make me a sandwich", True), ("bed light off", True),
     ("what is the temperature in the living room?", True)],
)  # fmt: skip
def test_may_act(text: str, acts: bool) -> None:
    assert may_act(text, DEMO) is acts


# --- the development split: no correct call is held back --------------------------------------


async def test_no_expected_dev_call_is_held(hass: HomeAssistant, demo_house: HomeAssistant) -> None:
    """Every call datasets/*.dev.jsonl expects, said with its own sentence on the demo house, runs.
    (The held-out *.test.jsonl split is not used here: nothing is tuned on it.)"""
    house = async_build_house(hass)
    blocked, total = [], 0
    for path in sorted(DATASETS.glob("*.dev.jsonl")):
        for line in path.read_text().splitlines():
            case = json.loads(line)
            if "house" in case:
                continue  # a blind split's case is said of its own house (the eval runs those)
            for expected in case["expect"]:
                domain, _, service = expected["service"].partition(".")
                _keep, held = hold_ungrounded([_allowed(domain, service, expected["entity_id"])], house, case["text"])
                total += 1
                blocked += [(case["text"], expected)] if held else []
    assert total >= 100
    assert blocked == []


def test_a_call_against_the_words_is_asked_about() -> None:
    """ "get the garage open" must not close it; "turn on the tv and turn off the lights" says both ways."""
    assert _held(_allowed("cover", "close_cover", "cover.garage_door"), "get the garage open")
    assert _held(_allowed("light", "turn_on", "light.kitchen_lights"), "switch the kitchen lights off")
    assert not _held(_allowed("light", "turn_off", "light.kitchen_lights"), "switch the kitchen lights off")
    assert not _held(
        _allowed("light", "turn_off", "light.kitchen_lights"), "turn on the fan and turn off the kitchen lights"
    )
    assert not _held(_allowed("cover", "close_cover", "cover.kitchen_window"), "lower the kitchen window")


def test_naming_words_decide_over_kind_words() -> None:
    """A device word the target lacks ("porch", "mirror") holds it; the best-matching device runs."""
    assert _held(_allowed("light", "turn_off", "light.kitchen_lights"), "turn off the front porch lights")
    assert _held(_allowed("light", "turn_on", "light.ceiling_lights"), "turn on the kitchen lights")
    assert not _held(_allowed("light", "turn_on", "light.kitchen_lights"), "turn on the kitchen lights")
    assert not _held(_allowed("light", "turn_on", "light.ceiling_lights"), "turn on the lights")
    assert not _held(_allowed("light", "turn_on", "light.kitchen_lights", color_name="red"), "make the lights red")
    # Several requests in one: each part is matched on its own.
    assert not _held(_allowed("fan", "turn_on", "fan.ceiling_fan"), "kitchen lights off and the ceiling fan on")


def test_a_reading_question_without_a_number_gets_the_house_reading() -> None:
    """ "The living room is currently on." is no answer to a temperature question; a command is left alone."""
    house = make_house(
        Device(
            "sensor.living_room_temperature",
            "Living Room Temperature",
            "21.5",
            attributes={"device_class": "temperature"},
        )
    )
    asked = "what is the temperature in the living room?"
    assert check_answer(asked, "The living room is currently on.", house) == "Living Room Temperature shows 21.5."
    assert check_answer("set the temperature to 21", "Sure.", house) == "Sure."


def test_a_reading_nobody_reports_is_said_plainly() -> None:
    """No kitchen device shows a temperature: the agent says so instead of the model's vague words."""
    answer = check_answer("what is the temperature in the kitchen?", "I don't know.", DEMO)
    assert answer == "I don't know the temperature in the kitchen — no device in this house reports it."


# --- what the words can mean: verbs, kinds, pronouns, statements, questions ---------------------

KETTLE_HOUSE = make_house(
    Device("switch.kettle", "Kettle", "off"),
    Device("vacuum.ground_floor", "Ground Floor", "docked"),
    Device("lock.front_door", "Front Door", "locked"),
    Device("cover.front_window", "Front Window", "closed"),
    Device("light.kitchen", "Kitchen", "off"),
)


def _held_in(house: object, verdict: Verdict, text: str, previous: str = "") -> list[str]:
    keep, held = hold_ungrounded([verdict], house, text, previous)  # type: ignore[arg-type]
    assert len(keep) + len(held) == 1
    return [hold.sentence for hold in held]


@pytest.mark.parametrize(
    ("text", "verdict", "sentence"),
    [
        ("unlock the kitchen window", _allowed("cover", "open_cover", "cover.kitchen_window"), "can't unlock"),
        ("lock up the garage", _allowed("cover", "close_cover", "cover.garage_door"), "can't lock"),
        ("cook some pasta in the kitchen", _allowed("light", "turn_on", "light.kitchen_lights"), "can't cook"),
        ("mute the ceiling fan", _allowed("fan", "turn_off", "fan.ceiling_fan"), "can't mute"),
    ],
)
def test_a_verb_the_domain_cannot_do_holds_the_call(text: str, verdict: Verdict, sentence: str) -> None:
    held = _held(verdict, text)
    assert len(held) == 1
    assert sentence in held[0]


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("boil the kettle", _allowed("switch", "turn_on", "switch.kettle")),  # a switch powers anything
        ("clean the ground floor", _allowed("vacuum", "start", "vacuum.ground_floor")),
        ("please lock the front door", _allowed("lock", "lock", "lock.front_door")),
        ("unlatch the front door lock", _allowed("lock", "open", "lock.front_door")),  # "lock" the noun
    ],
)
def test_a_verb_its_domain_can_do_runs(text: str, verdict: Verdict) -> None:
    assert _held_in(KETTLE_HOUSE, verdict, text) == []


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("turn on the garage light", _allowed("cover", "open_cover", "cover.garage_door")),
        ("switch off the kitchen fan", _allowed("light", "turn_off", "light.kitchen_lights")),
        ("turn on the ceiling lights", _allowed("fan", "turn_on", "fan.ceiling_fan")),
        ("turn on the living room light", _allowed("media_player", "turn_on", "media_player.living_room")),
        ("close the kitchen door", _allowed("cover", "close_cover", "cover.kitchen_window")),
        # The kind said ("light") is no name: the switch shares only it with "bathroom mirror light".
        ("switch on the bathroom mirror light", _allowed("switch", "turn_on", "switch.decorative_lights")),
    ],
)
def test_a_device_of_another_kind_than_the_one_named_is_asked_about(text: str, verdict: Verdict) -> None:
    held = _held(verdict, text)
    assert len(held) == 1
    assert held[0].startswith("Which device do you mean by")


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("turn on the decorative lamp", _allowed("switch", "turn_on", "switch.decorative_lights")),  # named for lights
        ("turn on the light in the garage", _allowed("light", "turn_on", "light.garage")),
        ("set the heatpump fan to low", _allowed("climate", "set_fan_mode", "climate.heatpump", fan_mode="low")),
        ("turn on the ac", _allowed("switch", "turn_on", "switch.ac")),
        ("close the kitchen window blinds", _allowed("cover", "close_cover", "cover.kitchen_window")),
    ],
)
def test_a_device_of_the_kind_named_runs(text: str, verdict: Verdict) -> None:
    house = make_house(*DEMO.devices, Device("light.garage", "Garage", "off"))
    assert _held_in(house, verdict, text) == []


def test_head_kind() -> None:
    assert head_kind("turn on the garage light") == "light"
    assert head_kind("turn on the light in the garage door") == "light"
    assert head_kind("open the garage door") == "door"
    assert head_kind("switch off the bed light") == "light"
    assert head_kind("turn it off") is None


@pytest.mark.parametrize("text", ["dim it", "make them brighter", "turn that off", "pause it", "close it please"])
def test_a_pronoun_with_nothing_before_it_is_asked_about(text: str) -> None:
    assert _held(_allowed("light", "toggle", "light.bed_light"), text) == ["Which device do you mean?"]


@pytest.mark.parametrize("text", ["make it warmer", "set the heatpump to cool", "turn the heat up"])
def test_a_temperature_the_request_does_not_give_is_held(text: str) -> None:
    # The model made the number up: 22 for "warmer", 7 for "cool" (an hvac mode, not a temperature).
    verdict = _allowed("climate", "set_temperature", "climate.heatpump", temperature=22)
    assert _held(verdict, text) == ["Did you want me to do something with the HeatPump? I did not change anything."]


@pytest.mark.parametrize(
    ("text", "previous"),
    [("dim it", "turn on the bed light"), ("make it warmer", ""), ("it's too dark in here", ""),
     ("turn that bed light on", "")],
)  # fmt: skip
def test_a_pronoun_for_the_room_or_the_previous_device_runs(text: str, previous: str) -> None:
    domain, entity = ("climate", "climate.heatpump") if "warm" in text else ("light", "light.bed_light")
    assert _held(_allowed(domain, "turn_on", entity), text, previous) == []


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("I'm going to the kitchen", _allowed("light", "turn_on", "light.kitchen_lights")),
        ("the garage door is painted green", _allowed("cover", "close_cover", "cover.garage_door")),
        ("my daughter loves the ceiling fan", _allowed("fan", "turn_on", "fan.ceiling_fan")),
        ("the decorative lights came from my grandmother", _allowed("switch", "toggle", "switch.decorative_lights")),
    ],
)
def test_a_statement_asks_for_nothing(text: str, verdict: Verdict) -> None:
    held = _held(verdict, text)
    assert len(held) == 1
    assert "I did not change anything" in held[0] or held[0].startswith("Which device")


def test_a_statement_naming_the_device_says_nothing_was_changed() -> None:
    held = _held(_allowed("light", "turn_on", "light.kitchen_lights"), "I'm going to the kitchen")
    assert held == ["Did you want me to do something with the Kitchen Lights? I did not change anything."]


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("it's dark in the kitchen", _allowed("light", "turn_on", "light.kitchen_lights")),
        ("the sun is glaring into the kitchen window", _allowed("cover", "close_cover", "cover.kitchen_window")),
        ("I'm leaving the kitchen, lights out", _allowed("light", "turn_off", "light.kitchen_lights")),
        ("the living room is way too loud", _allowed("media_player", "volume_down", "media_player.living_room")),
        ("the kitchen lights green", _allowed("light", "turn_on", "light.kitchen_lights", color_name="green")),
        ("bed light on", _allowed("light", "turn_on", "light.bed_light")),
    ],
)
def test_a_need_or_a_terse_command_runs(text: str, verdict: Verdict) -> None:
    assert _held(verdict, text) == []


def test_one_of_several_devices_with_the_word_said_is_asked_about() -> None:
    held = _held(_allowed("fan", "turn_on", "fan.living_room_fan"), "turn on the fan")
    assert held == ["Which fan do you mean: the Ceiling Fan or the Living Room Fan?"]
    assert not _held(_allowed("fan", "turn_on", "fan.living_room_fan"), "turn on all the fans")
    assert not _held(_allowed("fan", "turn_on", "fan.living_room_fan"), "turn on the living room fan")
    assert not _held(_allowed("light", "turn_off", "light.bed_light"), "turn off the lights")


@pytest.mark.parametrize(
    ("text", "held"),
    [("is the kitchen light on?", True), ("kitchen lights status?", True), ("what is playing in the living room", True),
     ("can you turn on the kitchen lights?", False), ("how about turning on the kitchen lights", False),
     ("why don't you turn on the kitchen lights", False)],
)  # fmt: skip
def test_a_question_is_answered_from_the_house_not_by_a_call(text: str, held: bool) -> None:
    sentences = _held(_allowed("light", "turn_on", "light.kitchen_lights"), text)
    assert sentences == (["The Kitchen Lights are on."] if held else [])


def test_each_part_of_a_request_keeps_its_own_direction() -> None:
    """ "light up the bed light, and the fan can go off now": the light goes on; "lights out" is off."""
    assert not _held(
        _allowed("light", "turn_on", "light.bed_light"), "light up the bed light, and the fan can go off now"
    )
    assert _held(_allowed("light", "turn_on", "light.kitchen_lights"), "lights out in the kitchen")
    assert not _held(_allowed("light", "turn_off", "light.kitchen_lights"), "lights out in the kitchen")
    parts = request_parts("Turn on the fan. Also dim the bed light")  # "Also" capitalised, after a full stop
    assert [part.strip() for part in parts] == ["Turn on the fan", "dim the bed light"]
    german = load_grounding("de").request_parts("Im Schlafzimmer bitte 17,5 Grad, danke")  # a decimal comma
    assert [part.strip() for part in german] == ["Im Schlafzimmer bitte 17,5 Grad"]  # "danke" names nothing


# A house named the way installations are: a light behind a relay, a brand-named kettle plug, two fans.
INSTALLED = make_house(
    Device("light.bedroom_1", "Bedroom 1", "off", area="Bedroom"),
    Device("switch.deck_string_lights", "Deck String Lights", "off", area="Deck"),
    Device("switch.meross_smart_plug", "Meross Smart Plug", "off"),
    Device("switch.eve_energy_kettle", "Eve Energy Kettle", "off", area="Kitchen"),
    Device("fan.office_fan", "Office Fan", "off"),
    Device("fan.office_desk_fan", "Office Desk Fan", "off"),
    Device("lock.front_door", "Front Door", "locked"),
    Device("lock.shed", "Shed Lock", "locked"),
    Device("media_player.kitchen_sonos", "Kitchen Sonos", "off"),
    Device("light.hue_go_2", "Hue Go 2", "off", attributes={"supported_color_modes": ["hs"]}),
    Device("alarm_control_panel.house", "House Alarm", "disarmed"),
)


def _moved(text: str, call: Call, *, allow_sensitive: bool = False) -> tuple[list[tuple[str, str]], list[str]]:
    """hold_ungrounded with the policy's check: (the calls that run, the reasons of those held)."""

    def check(moved: Call) -> Verdict:
        return check_call(moved, INSTALLED, allow_sensitive=allow_sensitive)

    keep, held = hold_ungrounded([Verdict(call, True)], INSTALLED, text, check=check)
    return [(v.call.service_name, v.call.entity_id) for v in keep if v.allowed], [h.reason for h in held]


@pytest.mark.parametrize(
    ("text", "call", "runs"),
    [
        ("deck lights on", Call("light", "turn_on", "light.bedroom_1"), ("switch.turn_on", "switch.deck_string_lights")),
        ("put the kettle on", Call("switch", "turn_on", "switch.meross_smart_plug"), ("switch.turn_on", "switch.eve_energy_kettle")),
    ],
)  # fmt: skip
def test_a_call_on_a_device_not_named_runs_on_the_one_that_is(text: str, call: Call, runs: tuple[str, str]) -> None:
    assert _moved(text, call) == ([runs], [])


def test_a_call_is_not_moved_where_several_devices_fit_or_the_policy_refuses() -> None:
    # Two office fans: which one is a question, as before.
    assert _moved("switch on an office fan please", Call("light", "turn_on", "light.bedroom_1"))[0] == []
    # Unless the words are one's whole name, as Home Assistant's own sentences read them.
    assert _moved("turn on the office fan please", Call("light", "turn_on", "light.bedroom_1"))[0] == [
        ("fan.turn_on", "fan.office_fan")
    ]
    # The shed is where the words point, but unlocking is a sensitive action: not moved, asked.
    runs, reasons = _moved("unlock the shed", Call("lock", "unlock", "lock.front_door"))
    assert runs == [] and reasons == ["the request does not mention Front Door"]
    moved = _moved("unlock the shed", Call("lock", "unlock", "lock.front_door"), allow_sensitive=True)
    assert moved == ([("lock.unlock", "lock.shed")], [])
    # Written the other way from words that say one way alone: turned, then moved (see _turned).
    assert _moved("deck lights on", Call("light", "turn_off", "light.bedroom_1"))[0] == [
        ("switch.turn_on", "switch.deck_string_lights")
    ]
    assert _moved("deck lights on and off", Call("light", "turn_off", "light.bedroom_1"))[0] == []
    # A kind word alone ("the tv") names no device: the house's only player is not taken for a TV.
    assert _moved("turn on the tv", Call("light", "turn_on", "light.bedroom_1"))[0] == []
    # A call without the setting asked for is moved with it put in ("red" is not lost), or not at all.
    keep, held = hold_ungrounded(
        [Verdict(Call("light", "turn_on", "light.bedroom_1"), True)],
        INSTALLED,
        "make the hue go red",
        check=lambda moved: check_call(moved, INSTALLED),
    )
    assert [v.call for v in keep] == [Call("light", "turn_on", "light.hue_go_2", {"color_name": "red"})]
    assert _moved("make the hue go 3000 kelvin", Call("light", "turn_on", "light.bedroom_1"))[0] == []
    red = Call("light", "turn_on", "light.bedroom_1", {"color_name": "red"})
    assert _moved("make the hue go red", red)[0] == [("light.turn_on", "light.hue_go_2")]
    # A call that carries a value moves only where the words point at one device.
    speed = Call("fan", "set_percentage", "fan.office_desk_fan", {"percentage": 40})
    assert _moved("ceiling fan to 40%", speed)[0] == []  # no ceiling fan: asked
    # A service whose direction the words cannot confirm is not moved ("alarm off" written as arm_home).
    assert _moved("house alarm off", Call("alarm_control_panel", "alarm_arm_home", "lock.shed"))[0] == []
    # Without the policy's check nothing is moved.
    keep, held = hold_ungrounded(
        [Verdict(Call("light", "turn_on", "light.bedroom_1"), True)], INSTALLED, "deck lights on"
    )
    assert keep == [] and len(held) == 1


@pytest.mark.parametrize("text", ["turn the house alarm off", "house alarm off please"])
def test_arming_an_alarm_the_user_asked_off_goes_against_the_words(text: str) -> None:
    arm = Call("alarm_control_panel", "alarm_arm_home", "alarm_control_panel.house")
    keep, held = hold_ungrounded([Verdict(arm, True)], INSTALLED, text)
    assert keep == [] and held[0].reason == "alarm_control_panel.alarm_arm_home goes against the words of the request"
    keep, held = hold_ungrounded([Verdict(arm, True)], INSTALLED, "arm the house alarm")
    assert held == []


VALUED = make_house(
    Device("light.porch", "Porch Light", "off", attributes={"supported_color_modes": ["hs"]}),
    Device(
        "light.hall_downlights",
        "Hall Downlights",
        "off",
        attributes={
            "supported_color_modes": ["color_temp"],
            "min_color_temp_kelvin": 2200,
            "max_color_temp_kelvin": 6500,
        },
    ),
    Device("switch.shelly_bathroom_fan", "Shelly Bathroom Fan", "off"),
    Device("fan.ceiling_2", "Ceiling 2", "off", attributes={"supported_features": 1}),
    Device("climate.hallway", "Hallway", "off", attributes={"supported_features": 1, "min_temp": 7, "max_temp": 30}),
    Device(
        "climate.office_ac", "Office AC", "off", attributes={"supported_features": 1, "min_temp": 16, "max_temp": 30}
    ),
    Device("humidifier.nursery", "Nursery Humidifier", "on", attributes={"min_humidity": 30, "max_humidity": 80}),
    Device("media_player.beam", "Beam", "playing", attributes={"supported_features": 4}),
    Device(
        "water_heater.boiler", "Boiler", "eco", attributes={"supported_features": 1, "min_temp": 40, "max_temp": 65}
    ),
    Device("cover.loft_blind", "Loft Blind", "open", attributes={"supported_features": 4}),
)


def _valued(text: str, call: Call, language: str = "en") -> tuple[list[Call], list[str]]:
    """hold_ungrounded on VALUED with the policy's check, after a reading found nothing (the reading refuses a
    value the words give that the device cannot take: see test_a_value_the_device_cannot_take_is_refused…):
    (the calls that run, the sentences of those held)."""
    grounding = load_grounding(language)

    def check(completed: Call) -> Verdict:
        return check_call(completed, VALUED, phrases=grounding.phrases)

    keep, held = hold_ungrounded(
        [Verdict(call, True)], VALUED, text, grounding=grounding, check=check, read_first=False
    )
    return [v.call for v in keep if v.allowed], [h.sentence for h in held]


@pytest.mark.parametrize(
    ("text", "call", "runs"),
    [
        ("set the porch light to 50%", Call("light", "turn_on", "light.porch"), Call("light", "turn_on", "light.porch", {"brightness": 128})),
        ("make the porch light blue", Call("light", "turn_on", "light.porch"), Call("light", "turn_on", "light.porch", {"color_name": "blue"})),
        ("ceiling 2 to 40 percent", Call("fan", "turn_on", "fan.ceiling_2"), Call("fan", "set_percentage", "fan.ceiling_2", {"percentage": 40})),
        ("set the hallway to 21", Call("climate", "turn_on", "climate.hallway"), Call("climate", "set_temperature", "climate.hallway", {"temperature": 21.0})),
        # "Dim" written as turn_off: the percentage says it stays on.
        ("dim the porch light to 40%", Call("light", "turn_off", "light.porch"), Call("light", "turn_on", "light.porch", {"brightness": 102})),
        # A plain number where every value is a percentage or a temperature.
        ("nursery humidifier to 55", Call("humidifier", "turn_on", "humidifier.nursery"), Call("humidifier", "set_humidity", "humidifier.nursery", {"humidity": 55})),
        ("beam volume 60", Call("media_player", "volume_up", "media_player.beam"), Call("media_player", "volume_set", "media_player.beam", {"volume_level": 0.6})),
        ("boiler to 55", Call("water_heater", "turn_on", "water_heater.boiler"), Call("water_heater", "set_temperature", "water_heater.boiler", {"temperature": 55.0})),
        # A colour temperature in kelvin; "halfway" is 50 %.
        ("hall downlights to 3000 kelvin", Call("light", "turn_on", "light.hall_downlights"), Call("light", "turn_on", "light.hall_downlights", {"color_temp_kelvin": 3000})),
        ("loft blind halfway", Call("cover", "close_cover", "cover.loft_blind"), Call("cover", "set_cover_position", "cover.loft_blind", {"position": 50})),
        # A light "turned off" for a colour the words ask, with no word for off: it stays on, in that colour.
        ("make the porch light blue", Call("light", "turn_off", "light.porch"), Call("light", "turn_on", "light.porch", {"color_name": "blue"})),
    ],
)  # fmt: skip
def test_a_value_the_model_left_out_is_set_from_the_request(text: str, call: Call, runs: Call) -> None:
    assert _valued(text, call) == ([runs], [])


@pytest.mark.parametrize(
    ("text", "call", "language", "sentence"),
    [
        # A relay cannot dim: switched on as written it would not do what was asked.
        ("set the shelly bathroom fan to 50%", Call("switch", "turn_on", "switch.shelly_bathroom_fan"), "en",
         "Did you want the Shelly Bathroom Fan set to 50%? I could not do that, so I did not change anything."),
        # A white-only light asked for a colour; a colour temperature said in words the agent does not set.
        ("make the hall downlights red", Call("light", "turn_on", "light.hall_downlights"), "en",
         "Did you want the Hall Downlights set to red? I could not do that, so I did not change anything."),
        ("set the porch light to warm white", Call("light", "turn_on", "light.porch"), "en",
         "Did you want the Porch Light set to warm white? I could not do that, so I did not change anything."),
        ("set the porch light to warm white", Call("light", "turn_off", "light.porch"), "en",
         "Did you want the Porch Light set to warm white? I could not do that, so I did not change anything."),
        # Out of the thermostat's range.
        ("set the hallway to 85", Call("climate", "turn_on", "climate.hallway"), "en",
         "Did you want the Hallway set to 85? I could not do that, so I did not change anything."),
        ("Mach die Hall Downlights blau", Call("light", "turn_on", "light.hall_downlights"), "de",
         "Soll ich Hall Downlights auf blau stellen? Das konnte ich nicht, daher habe ich nichts geändert."),
    ],
)  # fmt: skip
def test_a_value_the_call_cannot_set_holds_it(text: str, call: Call, language: str, sentence: str) -> None:
    assert _valued(text, call, language) == ([], [sentence])


def test_a_number_in_the_name_or_another_part_is_no_value() -> None:
    on = Call("fan", "turn_on", "fan.ceiling_2")
    assert _valued("turn on ceiling 2", on) == ([on], [])
    assert _valued("ceiling 2 to 3", on) == ([on], [])  # a fan's plain number may be a speed step: not read
    off = Call("light", "turn_off", "light.porch")
    assert _valued("turn off the porch light", off) == ([off], [])
    assert _valued("turn the blue porch light off", off) == ([off], [])  # the words say off: no colour set
    # Two parts: the percentage is the other call's, not this one's (where Home Assistant's sentences
    # read both parts, 2026's do, the fan's part runs too).
    porch = Call("light", "turn_on", "light.porch")
    keep, held = _valued("turn on the porch light and set ceiling 2 to 40%", porch)
    assert keep[0] == porch and held == []
    assert keep[1:] in ([], [Call("fan", "set_percentage", "fan.ceiling_2", {"percentage": 40})])
    assert _valued("turn on the porch light", porch) == ([porch], [])
    # German colour words come from Home Assistant's own lists ("blau" -> blue).
    assert _valued("Mach das Porch Light blau", porch, "de")[0] == [
        Call("light", "turn_on", "light.porch", {"color_name": "blue"})
    ]


def test_a_call_with_its_value_moves_to_the_device_the_words_name() -> None:
    other = Call("climate", "set_temperature", "climate.hallway", {"temperature": 22})
    assert _valued("office AC to 22", other) == (
        [Call("climate", "set_temperature", "climate.office_ac", {"temperature": 22.0})],
        [],
    )
    # Moved, the value must still fit the device it lands on: 12 is below the office AC's 16.
    calls, held = _valued("office AC to 12", Call("climate", "set_temperature", "climate.hallway", {"temperature": 12}))
    assert calls == [] and held == ["Which device do you mean by 'office AC to 12'?"]
    # Written without the value on the wrong device: moved and the value put in.
    plain = Call("climate", "turn_on", "climate.hallway")
    assert _valued("office AC to 22", plain)[0] == [
        Call("climate", "set_temperature", "climate.office_ac", {"temperature": 22.0})
    ]


MOVES = make_house(
    Device("light.babyzimmer", "Babyzimmer", "off", area="Babyzimmer"),
    Device("cover.rollladen_kinderzimmer", "Rollladen Kinderzimmer", "closed", area="Kinderzimmer"),
    Device("cover.rollladen_kueche", "Rollladen Küche", "open", area="Küche"),
    Device(
        "humidifier.luftbefeuchter",
        "Luftbefeuchter Babyzimmer",
        "on",
        attributes={"min_humidity": 30, "max_humidity": 80},
    ),
    Device("media_player.fernseher", "Fernseher", "on"),
    Device("valve.gas_shutoff", "Gas Shutoff", "open"),
    Device("switch.rain_barrel_pump", "Rain Barrel Pump", "off"),
    Device("cover.rollladen_babyzimmer", "Rollladen Babyzimmer", "open", area="Babyzimmer"),
    Device("lock.front_door", "Front Door", "locked"),
)


def _moves(text: str, call: Call, language: str) -> list[Call]:
    """The calls that run when `call` is held on MOVES (moved where the words point, or none)."""
    grounding = load_grounding(language)

    def check(moved: Call) -> Verdict:
        return check_call(moved, MOVES, phrases=grounding.phrases)

    keep, _held = hold_ungrounded([Verdict(call, True)], MOVES, text, grounding=grounding, check=check)
    return [v.call for v in keep if v.allowed]


@pytest.mark.parametrize(
    ("text", "call", "language", "runs"),
    [
        # The same move on the device the words name, with its own service, where the words say the way.
        ("Fahr den Rollladen im Kinderzimmer hoch", Call("light", "turn_on", "light.babyzimmer"), "de",
         Call("cover", "open_cover", "cover.rollladen_kinderzimmer")),
        ("Mach den Rollladen im Kinderzimmer auf", Call("light", "turn_on", "light.babyzimmer"), "de",
         Call("cover", "open_cover", "cover.rollladen_kinderzimmer")),
        ("shut off the gas", Call("switch", "turn_off", "switch.rain_barrel_pump"), "en",
         Call("valve", "close_valve", "valve.gas_shutoff")),
        # Named only by a kind word that is in the device's own name: the move said, or the value given.
        ("Schalte den Fernseher aus", Call("light", "turn_off", "light.babyzimmer"), "de",
         Call("media_player", "turn_off", "media_player.fernseher")),
        ("Luftbefeuchter auf 55 Prozent", Call("light", "turn_on", "light.babyzimmer"), "de",
         Call("humidifier", "set_humidity", "humidifier.luftbefeuchter", {"humidity": 55})),
        # Written the other way from the words: turned, on its device or the one the words name.
        ("Mach den Rollladen im Kinderzimmer runter", Call("cover", "open_cover", "cover.rollladen_kinderzimmer"), "de",
         Call("cover", "close_cover", "cover.rollladen_kinderzimmer")),
        ("Fahr den Rollladen im Kinderzimmer runter", Call("light", "turn_on", "light.babyzimmer"), "de",
         Call("cover", "close_cover", "cover.rollladen_kinderzimmer")),
        ("Mach den Luftbefeuchter aus", Call("light", "turn_on", "light.babyzimmer"), "de",
         Call("humidifier", "turn_off", "humidifier.luftbefeuchter")),
    ],
)  # fmt: skip
def test_a_call_moves_with_the_same_move_to_the_device_named(text: str, call: Call, language: str, runs: Call) -> None:
    assert _moves(text, call, language) == [runs]


@pytest.mark.parametrize(
    ("text", "call", "language"),
    [
        # "auf" before more words is a preposition, not "open"; "die Hälfte" is a setting not read.
        ("Fahr den Rollladen in der Küche auf die Hälfte", Call("light", "turn_on", "light.babyzimmer"), "de"),
        # A kind word in the name, but no move said and no value: muting is not switching on.
        ("Fernseher stumm", Call("switch", "turn_on", "switch.rain_barrel_pump"), "de"),
        # Turned the way the words say, but they point at no one device: three shutters.
        ("Mach den Rollladen runter", Call("cover", "open_cover", "cover.rollladen_kueche"), "de"),
        # Locks are never turned: unlocking is never a guess.
        ("unlock the front door", Call("lock", "lock", "lock.front_door"), "en"),
    ],
)  # fmt: skip
def test_a_call_does_not_move_where_the_words_do_not_say_the_move(text: str, call: Call, language: str) -> None:
    assert _moves(text, call, language) == []


def test_parts_that_share_their_verb_are_read_each_with_it() -> None:
    # "Fahr ... runter" is said once for both rooms: each part reads with the words the parts share.
    text = "Fahr die Rollläden im Kinderzimmer und im Babyzimmer runter"
    assert _moves(text, Call("light", "turn_on", "light.babyzimmer"), "de") == [
        Call("cover", "close_cover", "cover.rollladen_kinderzimmer"),
        Call("cover", "close_cover", "cover.rollladen_babyzimmer"),
    ]
    # A part no lent words make readable leaves the whole request to the usual rules.
    assert (
        load_grounding("de")._home_assistant_reading(
            MOVES, "Fahr den Rollladen im Kinderzimmer und das Ding runter", lambda c: Verdict(c, True)
        )
        is None
    )


def test_a_thermostat_among_several_is_asked_about() -> None:
    """A temperature for "the thermostat" in a house with two is not set on the one the model guessed."""
    guess = Call("climate", "set_temperature", "climate.hallway", {"temperature": 22})
    calls, held = _valued("set the thermostat to 22", guess)
    assert calls == [] and held == ["Which thermostat do you mean: the Hallway or the Office AC?"]
    assert _valued("set the hallway thermostat to 22", guess)[0] == [
        Call("climate", "set_temperature", "climate.hallway", {"temperature": 22})
    ]


TWINS = make_house(
    Device("fan.bedroom_1_fan", "Bedroom 1 Fan", "on"),
    Device("fan.bedroom_2_fan", "Bedroom 2 Fan", "on"),
    Device("light.bedroom", "Bedroom Light", "on"),
)


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        # One fan asked for, two named as well: which one is a question, not the model's guess.
        ("turn off the bedroom fan", "Which fan do you mean: the Bedroom 1 Fan or the Bedroom 2 Fan?"),
        ("turn off bedroom fan two", "Which fan do you mean: the Bedroom 1 Fan or the Bedroom 2 Fan?"),
        # Its number, "both" or a plural tell: it runs.
        ("turn off the bedroom 1 fan", None),
        ("turn off bedroom fan one", None),
        ("turn off both bedroom fans", None),
        ("turn off the bedroom fans", None),
    ],
)
def test_one_device_asked_for_where_several_fit_equally_is_asked_about(text: str, sentence: str | None) -> None:
    off = Call("fan", "turn_off", "fan.bedroom_1_fan")
    keep, held = hold_ungrounded([Verdict(off, True)], TWINS, text)
    assert [h.sentence for h in held] == ([sentence] if sentence else [])
    assert [v.call for v in keep] == ([] if sentence else [off])


def test_a_relay_named_for_what_it_drives_is_not_another_kind_of_its_room() -> None:
    house = make_house(
        Device("switch.towel_rail", "Towel Rail", "off", area="Bathroom"),
        Device("switch.shelly1_ensuite", "Shelly1 Ensuite", "off", area="Ensuite"),
        Device("switch.tree", "Christmas Tree", "off", area="Lounge"),
        Device("switch.gefriertruhe", "Shelly Plug S Gefriertruhe", "on", area="Keller"),
    )

    def kept(text: str, entity_id: str, language: str = "en") -> bool:
        call = Call("switch", "turn_on", entity_id)
        keep, _held = hold_ungrounded([Verdict(call, True)], house, text, grounding=load_grounding(language))
        return [v.call for v in keep] == [call]

    assert not kept("bathroom extractor fan on", "switch.towel_rail")  # only its room was said
    assert kept("bathroom towel rail on", "switch.towel_rail")
    assert kept("ensuite fan on", "switch.shelly1_ensuite")  # a brand and its room: it may drive the fan
    assert kept("turn on the tree lights", "switch.tree")  # a word of its own said
    assert not kept("Mach das Licht im Keller an", "switch.gefriertruhe", "de")


def test_a_mode_the_thermostat_lacks_is_not_run_as_something_else() -> None:
    ac = make_house(
        Device("climate.gym_ac", "Gym AC", "cool", attributes={"hvac_modes": ("off", "cool"), "supported_features": 1}),
    )
    on = Call("climate", "turn_on", "climate.gym_ac")
    keep, held = hold_ungrounded([Verdict(on, True)], ac, "set the gym AC to heat")
    assert keep == [] and [h.sentence for h in held] == [
        "I cannot set the Gym AC to heat: it has no such mode, so I did not change it."
    ]
    keep, held = hold_ungrounded([Verdict(on, True)], ac, "Stell die Gym AC auf Heizen", grounding=load_grounding("de"))
    assert keep == [] and [h.sentence for h in held] == [
        "Ich kann Gym AC nicht auf 'Heizen' stellen, deshalb habe ich nichts geändert."
    ]
    keep, held = hold_ungrounded([Verdict(on, True)], ac, "turn on the gym AC")
    assert [v.call for v in keep] == [on] and held == []


@pytest.mark.parametrize(
    ("text", "call", "runs"),
    [
        ("put the haiku fan on whoosh", Call("fan", "turn_on", "fan.haiku"), Call("fan", "set_preset_mode", "fan.haiku", {"preset_mode": "whoosh"})),
        ("mini split fan on high", Call("climate", "turn_on", "climate.mini_split"), Call("climate", "set_fan_mode", "climate.mini_split", {"fan_mode": "high"})),
        ("mini split on sleep", Call("climate", "turn_on", "climate.mini_split"), Call("climate", "set_preset_mode", "climate.mini_split", {"preset_mode": "sleep"})),
        ("turn the haiku fan on", Call("fan", "turn_on", "fan.haiku"), Call("fan", "turn_on", "fan.haiku")),  # "on" is no mode
        ("put the haiku fan on turbo", Call("fan", "turn_on", "fan.haiku"), Call("fan", "turn_on", "fan.haiku")),  # not its own
    ],
)  # fmt: skip
def test_a_mode_from_the_devices_own_list_completes_a_turn_on(text: str, call: Call, runs: Call) -> None:
    house = make_house(
        Device("fan.haiku", "Haiku Fan", "on", attributes={"supported_features": 8 | 32, "preset_modes": ["auto", "whoosh", "on"]}),
        Device("climate.mini_split", "Mini Split", "cool", attributes={"supported_features": 8 | 16, "fan_modes": ["auto", "high"], "preset_modes": ["sleep"]}),
    )  # fmt: skip
    grounding = load_grounding("en")
    keep, held = hold_ungrounded(
        [Verdict(call, True)], house, text, check=lambda c: check_call(c, house, phrases=grounding.phrases)
    )
    assert [v.call for v in keep] == [runs] and held == []


def test_a_verb_the_lists_lack_does_not_hold_a_call_the_other_words_name() -> None:
    house = make_house(
        Device("water_heater.hive_hot_water", "Hot Water", "off", area="Hall"),
        Device("light.workbench_led", "Workbench LED", "on", attributes={"supported_color_modes": ["color_temp"]}),
        Device("light.nursery_lamp", "Nursery Lamp", "on", area="Nursery"),
        Device("light.emma", "Emma's Lamp", "on", area="Emma's Room"),
    )

    def kept(text: str, call: Call) -> bool:
        keep, _held = hold_ungrounded([Verdict(call, True)], house, text)
        return [v.call for v in keep] == [call]

    assert kept("stick the hot water on", Call("water_heater", "turn_on", "water_heater.hive_hot_water"))
    assert kept("workbench LED to 5000K", Call("light", "turn_on", "light.workbench_led", {"color_temp_kelvin": 5000}))
    # No article after it: "kid" is no verb, and names no device here.
    assert not kept("kid's room light off", Call("light", "turn_off", "light.nursery_lamp"))


def test_auf_before_an_article_is_a_place_not_a_direction() -> None:
    balcony = make_house(Device("switch.balkon", "Lichterkette", "on", area="Balkon"))
    written = Call("switch", "turn_on", "switch.balkon")
    keep, held = hold_ungrounded(
        [Verdict(written, True)],
        balcony,
        "Lichterkette auf dem Balkon aus",
        grounding=load_grounding("de"),
        check=lambda c: check_call(c, balcony),
    )
    assert [v.call for v in keep] == [Call("switch", "turn_off", "switch.balkon")] and held == []


def test_a_source_named_by_its_last_words_is_selected() -> None:
    house = make_house(
        Device("media_player.lounge", "Lounge Sonos", "idle", attributes={"supported_features": 2048, "source_list": ["BBC Radio 4", "BBC Radio 6 Music", "Radio X"]}),
        Device("media_player.tv", "Samsung Frame", "on", attributes={"supported_features": 2048, "source_list": ["HDMI 1", "Netflix"]}),
    )  # fmt: skip
    grounding = load_grounding("en")
    assert grounding.asked_source("put Radio 4 on", house) == Call(
        "media_player", "select_source", "media_player.lounge", {"source": "BBC Radio 4"}
    )
    assert grounding.asked_source("stick 6 Music on", house) == Call(
        "media_player", "select_source", "media_player.lounge", {"source": "BBC Radio 6 Music"}
    )
    assert grounding.asked_source("put the radio on", house) is None  # one word: no source's end
    assert grounding.asked_source("put Radio 7 on", house) is None  # fmt: skip
    # One part of several: read by its words when Home Assistant's sentences read the others.
    kettle = make_house(*house.devices, Device("switch.kettle", "Kettle", "off"))
    read = grounding.read_request(kettle, "kettle on and stick 6 Music on the Sonos", lambda c: check_call(c, kettle))
    assert [v.call for v in read or []] == [
        Call("switch", "turn_on", "switch.kettle"),
        Call("media_player", "select_source", "media_player.lounge", {"source": "BBC Radio 6 Music"}),
    ]


def test_have_before_a_name_asks_for_a_job_not_a_question() -> None:
    robot = make_house(Device("vacuum.roborock_s7", "Roborock S7", "docked", aliases=("Robbie",)))
    start = Call("vacuum", "start", "vacuum.roborock_s7")
    grounding = load_grounding("en")
    assert not grounding.asks_about_state("have Robbie vacuum")
    assert grounding.asks_about_state("have the kids left?") and grounding.asks_about_state("have you locked up")
    keep, held = hold_ungrounded([Verdict(start, True)], robot, "have Robbie vacuum")
    assert [v.call for v in keep] == [start] and held == []


def test_a_unit_word_does_not_name_one_of_several() -> None:
    """ "Stell die Heizung auf 20 Grad" with two heaters: "Grad" is the value's unit, not a name."""
    heaters = make_house(
        Device("climate.stube", "Heizung Stube", "auto", attributes={"supported_features": 1}),
        Device("climate.kinderzimmer", "Heizung Kinderzimmer", "auto", attributes={"supported_features": 1}),
    )
    guess = Call("climate", "set_temperature", "climate.kinderzimmer", {"temperature": 20})
    german = load_grounding("de")
    keep, held = hold_ungrounded([Verdict(guess, True)], heaters, "Stell die Heizung auf 20 Grad", grounding=german)
    assert keep == [] and [h.reason for h in held] == ["several devices are called 'heizung'"]
    keep, held = hold_ungrounded([Verdict(guess, True)], heaters, "Heizung Kinderzimmer auf 20 Grad", grounding=german)
    assert [v.call for v in keep] == [guess] and held == []


def test_a_kind_word_in_the_target_name_tells_it_from_a_near_name() -> None:
    """ "air" is a word for air conditioning, but "key light air" names the Key Light Air better."""
    lights = make_house(
        Device(
            "light.elgato_key_light", "Elgato Key Light", "on", attributes={"supported_color_modes": ["color_temp"]}
        ),
        Device(
            "light.elgato_key_light_air",
            "Elgato Key Light Air",
            "on",
            attributes={"supported_color_modes": ["color_temp"]},
        ),
    )
    air = Call("light", "turn_on", "light.elgato_key_light_air")
    keep, held = hold_ungrounded([Verdict(air, True)], lights, "key light air on")
    assert [v.call for v in keep] == [air] and held == []
    plain = Call("light", "turn_on", "light.elgato_key_light")
    keep, held = hold_ungrounded([Verdict(plain, True)], lights, "key light air on")
    assert keep == [] and [h.call for h in held] == [plain]  # the near name is not what was said
    keep, held = hold_ungrounded([Verdict(plain, True)], lights, "turn on the key light")
    assert keep == [] and len(held) == 1  # both are key lights: which one is asked


def test_a_request_for_several_reaches_each_one_the_model_left_out() -> None:
    """ "Both", "all" or a plural: the same call on each other device the words name as well."""

    def ran(text: str, call: Call) -> list[str]:
        keep, _held = hold_ungrounded([Verdict(call, True)], TWINS, text, check=lambda c: check_call(c, TWINS))
        return [v.call.entity_id for v in keep if v.allowed]

    off = Call("fan", "turn_off", "fan.bedroom_1_fan")
    assert ran("turn off both bedroom fans", off) == ["fan.bedroom_1_fan", "fan.bedroom_2_fan"]
    assert ran("turn off all the fans", off) == ["fan.bedroom_1_fan", "fan.bedroom_2_fan"]
    # One asked for, or another kind: nothing added (the bedroom light is no fan).
    assert ran("turn off the bedroom 1 fan", off) == ["fan.bedroom_1_fan"]
    assert ran("fans off", off) == ["fan.bedroom_1_fan"]  # a plural naming nothing is not every fan
    light = Call("light", "turn_off", "light.bedroom")
    assert ran("turn off the bedroom lights", light) == ["light.bedroom"]


PLAYERS = make_house(
    Device("media_player.bedroom_tv", "Bedroom TV", "playing", attributes={"supported_features": 1 | 8 | 32})
)


@pytest.mark.parametrize(
    ("text", "language", "call", "runs"),
    [
        ("mute the bedroom tv", "en", Call("media_player", "volume_up", "media_player.bedroom_tv"),
         Call("media_player", "volume_mute", "media_player.bedroom_tv", {"is_volume_muted": True})),
        ("Pausiere den Bedroom TV", "de", Call("media_player", "turn_off", "media_player.bedroom_tv"),
         Call("media_player", "media_pause", "media_player.bedroom_tv")),
        # No verb for one service, or the device cannot: as written.
        ("turn off the bedroom tv", "en", Call("media_player", "turn_off", "media_player.bedroom_tv"),
         Call("media_player", "turn_off", "media_player.bedroom_tv")),
        ("skip the song on the bedroom tv", "en", Call("media_player", "turn_on", "media_player.bedroom_tv"),
         Call("media_player", "media_next_track", "media_player.bedroom_tv")),
    ],
)  # fmt: skip
def test_a_verb_for_one_service_picks_it(text: str, language: str, call: Call, runs: Call) -> None:
    """ "Mute the tv" written as volume_up runs volume_mute, where the device can."""
    grounding = load_grounding(language)
    check = lambda made: check_call(made, PLAYERS, phrases=grounding.phrases)  # noqa: E731
    keep, held = hold_ungrounded([check(call)], PLAYERS, text, grounding=grounding, check=check)
    assert [v.call for v in keep if v.allowed] == [runs] and held == []


_ADDS = {"supported_features": 1}  # TodoListEntityFeature.CREATE_TODO_ITEM
LISTS = make_house(
    Device("todo.albert_heijn", "Albert Heijn", "3", attributes=_ADDS),
    Device("todo.johnnys_seeds", "Johnny's Seeds", "0", attributes=_ADDS),
    Device("todo.restock", "Restock", "2", attributes=_ADDS),
    Device("todo.zuhause", "Zuhause", "1", aliases=("Einkaufsliste",), attributes=_ADDS),
    Device("todo.garden_seeds", "Garden Seeds", "0", attributes=_ADDS),
    Device("todo.garden_tools", "Garden Tools", "0", attributes=_ADDS),
    Device("light.restock_shelf", "Shelf Light", "off"),
)


def _added(text: str, calls: list[Call], language: str = "en") -> list[Call]:
    """The calls that run on LISTS when the model wrote `calls` for `text`."""
    grounding = load_grounding(language)

    def check(call: Call) -> Verdict:
        return check_call(call, LISTS, phrases=grounding.phrases)

    verdicts = [check(call) for call in calls]
    keep, _held = hold_ungrounded(verdicts, LISTS, text, grounding=grounding, check=check)
    return [verdict.call for verdict in keep if verdict.allowed]


@pytest.mark.parametrize(
    ("text", "written", "language", "runs"),
    [
        # Lists named after a shop, a purpose or a name: Home Assistant's own sentences read list and item.
        ("add stroopwafels to albert heijn", Call("todo", "add_item", "todo.restock", {"item": "stroopwafels"}), "en",
         Call("todo", "add_item", "todo.albert_heijn", {"item": "stroopwafels"})),
        ("add sungold tomato seeds to johnny's", Call("light", "turn_on", "light.restock_shelf"), "en",
         Call("todo", "add_item", "todo.johnnys_seeds", {"item": "sungold tomato seeds"})),
        ("add paper towels to the restock list", Call("light", "turn_on", "light.restock_shelf"), "en",
         Call("todo", "add_item", "todo.restock", {"item": "paper towels"})),
        ("put eggs on the albert heijn list", Call("todo", "add_item", "todo.albert_heijn", {"item": "egg"}), "en",
         Call("todo", "add_item", "todo.albert_heijn", {"item": "eggs"})),
        # By an alias, and German's verb is not part of the item.
        ("Setz Kaffee auf die Einkaufsliste", Call("todo", "add_item", "todo.restock", {"item": "Setz Kaffee"}), "de",
         Call("todo", "add_item", "todo.zuhause", {"item": "Kaffee"})),
    ],
)  # fmt: skip
def test_an_item_is_added_to_the_list_home_assistants_sentences_read(
    text: str, written: Call, language: str, runs: Call
) -> None:
    assert _added(text, [written], language) == [runs]


def test_a_reading_runs_where_the_model_wrote_no_call() -> None:
    # The model answered in words ("I can't find that list"); the conversation then says only what ran.
    assert _added("add stroopwafels to albert heijn", []) == [
        Call("todo", "add_item", "todo.albert_heijn", {"item": "stroopwafels"})
    ]


@pytest.mark.parametrize(
    ("text", "written"),
    [
        # Not a sentence for adding to a list: nothing changes.
        ("turn on the shelf light", [Call("light", "turn_on", "light.restock_shelf")]),
    ],
)
def test_no_list_is_guessed_where_the_sentences_read_none_or_several(text: str, written: list[Call]) -> None:
    assert _added(text, written) == written


def test_a_list_two_names_share_the_word_for_is_asked_about() -> None:
    """ "garden" begins two lists' names (Garden Seeds, Garden Tools): the model's pick is a guess."""
    assert _added("add a rake to garden", [Call("todo", "add_item", "todo.garden_tools", {"item": "a rake"})]) == []


ROOMS = make_house(
    Device("climate.schlafzimmer", "Thermostat", "heat", area="Schlafzimmer", attributes={"supported_features": 1}),
    Device("climate.kueche", "Thermostat Küche", "heat", area="Küche", attributes={"supported_features": 1}),
    Device(
        "light.schlafzimmer", "Deckenlampe", "off", area="Schlafzimmer", attributes={"supported_color_modes": ["hs"]}
    ),
    Device(
        "light.nachttisch", "Nachttisch", "off", area="Schlafzimmer", attributes={"supported_color_modes": ["onoff"]}
    ),
)


def _read(text: str, language: str) -> list[Call] | None:
    """What Home Assistant's sentences read `text` as on ROOMS."""
    return load_grounding(language).read_by_home_assistant(text, ROOMS)


def _words_read(language: str, house: House, text: str) -> list[Call] | None:
    """The calls the words alone read `text` as on `house` (read_request, every call allowed), or None."""
    read = load_grounding(language).read_request(house, text, lambda call: Verdict(call, True))
    return None if read is None else [verdict.call for verdict in read]


def test_an_area_with_the_intents_own_domain_names_its_devices() -> None:
    # The sentence names a room and a temperature: the room's climate device, as Home Assistant does.
    # (German's "Stell die Heizung im Schlafzimmer auf 18 Grad" is read from the intents of 2026 on.)
    assert _read("set the temperature in the Schlafzimmer to 18", "en") == [
        Call("climate", "set_temperature", "climate.schlafzimmer", {"temperature": 18})
    ]
    assert _read("turn off the lights in the Schlafzimmer", "en") == [
        Call("light", "turn_off", "light.nachttisch"),
        Call("light", "turn_off", "light.schlafzimmer"),
    ]
    # Brightness in the model's 0-255 and a colour by name.
    assert _read("set Deckenlampe brightness to 50%", "en") == [
        Call("light", "turn_on", "light.schlafzimmer", {"brightness": 128})
    ]
    # Not one of Home Assistant's sentences: nothing is read. A thermostat turns on as in Home Assistant
    # (the policy then asks whether this one can).
    assert _read("it is cold in here", "en") is None
    assert _read("turn on the thermostat", "en") == [Call("climate", "turn_on", "climate.schlafzimmer")]


DIMMING = make_house(
    Device("switch.grow_lights_rack_1", "Grow Lights Rack 1", "on"),
    Device("light.hot_tub", "Hot Tub Light", "on", attributes={"supported_color_modes": ["onoff"]}),
    Device("light.esstisch", "Esstisch", "on", attributes={"supported_color_modes": ["brightness"]}),
)


@pytest.mark.parametrize(
    ("text", "call", "language", "held"),
    [
        # "dim" asks for brightness: a relay or an on/off bulb has none, whatever the model wrote.
        ("dim the grow lights on rack 1", Call("switch", "turn_on", "switch.grow_lights_rack_1"), "en",
         "I cannot dim or brighten the Grow Lights Rack 1, so I did not change it."),
        ("dim the hot tub light", Call("light", "turn_off", "light.hot_tub"), "en",
         "I cannot dim or brighten the Hot Tub Light, so I did not change it."),
        ("Dimm die Grow Lights Rack 1 auf 50 Prozent", Call("switch", "turn_on", "switch.grow_lights_rack_1"), "de",
         "Grow Lights Rack 1 lässt sich nicht dimmen, deshalb habe ich nichts geändert."),
        # A light that dims runs.
        ("Dimm den Esstisch auf 40 Prozent", Call("light", "turn_on", "light.esstisch", {"brightness": 102}), "de", None),
    ],
)  # fmt: skip
def test_a_verb_for_a_setting_the_device_lacks_holds_the_call(
    text: str, call: Call, language: str, held: str | None
) -> None:
    grounding = load_grounding(language)

    def check(checked: Call) -> Verdict:
        return check_call(checked, DIMMING, phrases=grounding.phrases)

    keep, holds = hold_ungrounded([check(call)], DIMMING, text, grounding=grounding, check=check)
    assert [hold.sentence for hold in holds] == ([held] if held else [])
    assert [verdict.call for verdict in keep if verdict.allowed] == ([] if held else [call])


SOURCES = make_house(
    Device("media_player.living_room_tv", "Living Room TV", "on",
           attributes={"source_list": ["HDMI 1", "HDMI 2", "Twitch", "Netflix"], "supported_features": 2048}),
    Device("media_player.bedroom_tv", "Bedroom TV", "on",
           attributes={"source_list": ["Netflix", "YouTube"], "supported_features": 2048}),
    Device("media_player.kuechenradio", "Küchenradio", "on",
           attributes={"source_list": ["NDR 2", "TV", "Bedroom TV"], "supported_features": 2048}),
)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "language", "runs"),
    [
        ("tv to twitch", "en", ("media_player.living_room_tv", "Twitch")),
        ("switch the living room tv to hdmi2", "en", ("media_player.living_room_tv", "HDMI 2")),  # spaced or not
        ("switch the living room tv to hdmi 2", "en", ("media_player.living_room_tv", "HDMI 2")),
        ("put netflix on in the bedroom", "en", ("media_player.bedroom_tv", "Netflix")),
        ("Mach mal NDR 2 an", "de", ("media_player.kuechenradio", "NDR 2")),
        # Two players have it and the words name neither; a source that is a device's or kind's name.
        ("put netflix on", "en", None),
        ("turn on the tv", "en", None),
        ("play the bedroom tv", "en", None),
        # Another service asked for, a question, not a request at all.
        ("pause twitch on the tv", "en", None),
        ("is twitch on?", "en", None),
        ("I hate twitch", "en", None),
    ],
)
def test_a_source_one_player_has_is_selected(text: str, language: str, runs: tuple[str, str] | None) -> None:
    call = load_grounding(language).asked_source(text, SOURCES)
    assert (call.entity_id, call.arguments["source"]) == runs if call else runs is None


@pytest.mark.parametrize(
    ("text", "call", "language", "runs"),
    [
        # A white is a colour temperature; a colour Home Assistant's German list lacks ("rosa").
        ("Mach die Hall Downlights warmweiß", Call("light", "turn_off", "light.hall_downlights"), "de",
         Call("light", "turn_on", "light.hall_downlights", {"color_temp_kelvin": 2700})),
        ("hall downlights cool white", Call("light", "turn_on", "light.hall_downlights"), "en",
         Call("light", "turn_on", "light.hall_downlights", {"color_temp_kelvin": 6500})),
        ("Mach das Porch Light rosa", Call("light", "turn_off", "light.porch"), "de",
         Call("light", "turn_on", "light.porch", {"color_name": "pink"})),
    ],
)  # fmt: skip
def test_a_white_or_colour_word_completes_the_call(text: str, call: Call, language: str, runs: Call) -> None:
    assert _valued(text, call, language) == ([runs], [])


ROBOT = make_house(
    Device("vacuum.roomba", "Roomba", "docked"),
    Device("light.lounge", "Lamp", "off", area="Lounge"),
    Device("cover.kitchen_window", "Kitchen Window", "open", area="Kitchen"),
)
ROBOTS = make_house(
    Device("vacuum.roborock_s7", "Roborock S7 Downstairs", "docked"),
    Device("vacuum.braava", "Braava Jet", "docked"),
)


@pytest.mark.parametrize(
    ("text", "house", "language", "runs"),
    [
        ("hoover the lounge", ROBOT, "en", "vacuum.roomba"),
        ("clean the kitchen floor", ROBOT, "en", "vacuum.roomba"),
        ("hoover the house please", ROBOT, "en", "vacuum.roomba"),
        ("Sauge das ganze Haus", ROBOT, "de", "vacuum.roomba"),
        ("vacuum downstairs", ROBOTS, "en", "vacuum.roborock_s7"),  # of several, the one the words name
        # Not a place, several robots and no name, not a start, not a cleaning verb first.
        ("clean the windows", ROBOT, "en", None),
        ("vacuum the car", ROBOT, "en", None),
        ("vacuum the lounge", ROBOTS, "en", None),
        ("stop vacuuming the lounge", ROBOT, "en", None),
        ("is the roomba cleaning?", ROBOT, "en", None),
    ],
)
def test_a_cleaning_verb_starts_the_vacuum_it_can_only_mean(
    text: str, house: House, language: str, runs: str | None
) -> None:
    call = load_grounding(language).asked_cleaning(text, house)
    assert (call.entity_id if call else None) == runs


GARDEN = make_house(
    Device("valve.bhyve_orchard_drip", "Orchard Drip", "closed", area="Orchard", attributes={"device_class": "water"}),
    Device("valve.misting_system", "Misting System", "closed", area="Greenhouse", attributes={"device_class": "water"}),
    Device("valve.gas_main", "Gas Main", "closed", area="Orchard", attributes={"device_class": "gas"}),
    Device("switch.orchard_lights", "Orchard Lights", "off", area="Orchard"),
)


@pytest.mark.parametrize(
    ("text", "language", "runs"),
    [
        ("water the orchard", "en", "valve.bhyve_orchard_drip"),  # the valve of the area named, never the gas
        ("could you water the greenhouse please", "en", "valve.misting_system"),
        ("Gieß den Obstgarten", "de", None),  # no area of that name
        ("Orchard sprengen", "de", "valve.bhyve_orchard_drip"),  # "Rasen sprengen": the verb at the end
        ("water the lawn", "en", None),  # nothing the words name
        ("water the orchard for ten minutes", "en", None),  # more than a place: the model's
        ("stop watering the orchard", "en", None),
        ("turn on the orchard lights", "en", None),  # no watering verb
    ],
)
def test_a_watering_verb_opens_the_water_valve_of_the_place_named(text: str, language: str, runs: str | None) -> None:
    call = load_grounding(language).asked_watering(text, GARDEN)
    assert (call.entity_id if call else None) == runs
    if call is not None:
        assert call.service == "open_valve"


def test_a_watering_verb_uses_the_only_water_valve() -> None:
    one = make_house(
        Device("valve.beete", "Bewässerung", "closed", area="Garten", attributes={"device_class": "water"}),
        Device("valve.gas", "Gashahn", "closed", area="Keller", attributes={"device_class": "gas"}),
    )
    assert load_grounding("de").asked_watering("Gieß die Bewässerung", one) == Call(
        "valve", "open_valve", "valve.beete"
    )
    assert load_grounding("de").asked_watering("Gieß den Garten", one) == Call("valve", "open_valve", "valve.beete")
    assert load_grounding("de").asked_watering("Gieß den Keller", one) is None  # not where the valve is
    assert load_grounding("de").asked_watering("Garten giessen", one) == Call("valve", "open_valve", "valve.beete")


def test_a_rooms_lights_include_the_switches_named_as_lights() -> None:
    house = make_house(
        Device("light.under_cabinet", "Under Cabinet Lights", "on", area="Kitchen"),
        Device("switch.kasa_kitchen_island", "Island Pendants", "on", area="Kitchen"),
        Device("switch.dishwasher", "Dishwasher", "on", area="Kitchen"),
        Device("switch.shelly_flur", "Flurlicht", "on", area="Flur"),
    )
    assert sorted(
        c.entity_id for c in load_grounding("en").read_by_home_assistant("kitchen lights off", house) or []
    ) == [
        "light.under_cabinet",
        "switch.kasa_kitchen_island",
    ]
    assert load_grounding("de").read_by_home_assistant("Schalte das Licht im Flur aus", house) == [
        Call("switch", "turn_off", "switch.shelly_flur")
    ]


def test_a_rooms_player_is_paused_or_resumed_by_its_state() -> None:
    gym = make_house(
        Device("media_player.sonos_move", "Sonos Move", "paused", area="Gym"),
        Device("media_player.gym_chromecast", "Gym Chromecast", "off", area="Gym"),
    )
    grounding = load_grounding("en")
    assert grounding.read_by_home_assistant("resume the music in the gym", gym) == [
        Call("media_player", "media_play", "media_player.sonos_move")
    ]
    assert grounding.read_by_home_assistant("pause the music in the gym", gym) is None  # nothing plays


def test_a_request_that_says_no_place_names_the_one_device_it_fits() -> None:
    flat = make_house(
        Device("media_player.lounge_sonos", "Lounge Sonos", "playing", area="Lounge"),
        Device("media_player.frame_tv", "Samsung Frame", "on", area="Lounge"),
        Device("climate.hive", "Hive Heating", "heat", attributes={"supported_features": 1}),
        Device("light.desk", "Desk Lamp", "on"),
        Device("light.sofa", "Sofa Lamp", "on"),
    )
    grounding = load_grounding("en")
    assert grounding.read_by_home_assistant("skip this song", flat) == [
        Call("media_player", "media_next_track", "media_player.lounge_sonos")  # the only one playing
    ]
    assert grounding.read_by_home_assistant("set the temperature to 20", flat) == [
        Call("climate", "set_temperature", "climate.hive", {"temperature": 20})
    ]
    assert grounding.read_by_home_assistant("resume", flat) is None  # nothing paused; two players
    assert grounding.read_by_home_assistant("turn off the lights", flat) is None  # all of them: not guessed
    two = make_house(*flat.devices, Device("media_player.kitchen", "Kitchen Radio", "playing", area="Kitchen"))
    assert grounding.read_by_home_assistant("skip this song", two) is None  # which one: the model's or a question


@pytest.mark.parametrize(
    ("text", "language", "read"),
    [
        ("kill the kitchen lights", "en", "turn off the kitchen lights"),
        ("could you please fire up the dust collector", "en", "turn on the dust collector"),
        ("stick the kettle on", "en", "turn the kettle on"),
        ("shut the curtains in the lounge", "en", "close the curtains in the lounge"),
        ("retract the awning", "en", "close the awning"),
        ("shut the porch light off", "en", "turn the porch light off"),
        ("put Netflix on the TV", "en", None),  # no ending "on"/"off": a source, not a switch
        ("Lösch das Licht im Flur", "de", "schalte das Licht im Flur aus"),
        ("Dreh das Gas ab", "de", "schalte das Gas aus"),
        ("Licht im Flur bitte ausschalten", "de", "schalte Licht im Flur bitte aus"),  # the verb at the end
        ("Lass den Saugi mal laufen", "de", "starte den Saugi mal"),
        ("Mach das Licht aus", "de", None),  # Home Assistant's own verb
    ],
)
def test_verbs_home_assistant_lacks_are_read_as_ones_it_has(text: str, language: str, read: str | None) -> None:
    assert load_grounding(language).rephrased(text) == read


def test_a_rephrased_request_runs_as_home_assistant_reads_it() -> None:
    house = make_house(
        Device("light.kitchen", "Kitchen Pendants", "on", area="Kitchen"),
        Device("switch.kasa_kettle", "Kettle", "off", area="Kitchen"),
        Device("cover.lounge", "Lounge Curtains", "open", area="Lounge", attributes={"device_class": "curtain"}),
    )
    grounding = load_grounding("en")

    def check(call: Call) -> Verdict:
        return check_call(call, house, phrases=grounding.phrases)

    for text, call in [
        ("kill the kitchen lights", Call("light", "turn_off", "light.kitchen")),
        ("stick the kettle on", Call("switch", "turn_on", "switch.kasa_kettle")),
        ("shut the lounge curtains", Call("cover", "close_cover", "cover.lounge")),
    ]:
        assert [v.call for v in grounding.read_request(house, text, check) or []] == [call], text
    assert grounding.read_request(house, "kill the lights in the garage", check) is None  # no such room


@pytest.mark.parametrize(
    ("text", "language", "runs"),
    [
        ("switch off both nightstands", "en", ["light.left_nightstand", "light.right_nightstand"]),
        ("Beide Nachttischlampen aus", "de", ["light.left_nightstand", "light.right_nightstand"]),
        ("Alle Rollläden runter", "de", ["cover.rollladen_bad", "cover.rollladen_kueche", "cover.rollladen_flur"]),
        ("both blinds down", "en", None),  # three, not two
        # No name has "lamp", but lamps are lights: every light ("all the curtains" goes by names).
        ("all the lamps off", "en", ["light.left_nightstand", "light.right_nightstand"]),
        ("Alle Lampen aus", "de", ["light.left_nightstand", "light.right_nightstand"]),
    ],
)
def test_all_or_both_is_read_once_for_each_device_it_names(text: str, language: str, runs: list[str] | None) -> None:
    house = make_house(
        Device("light.left_nightstand", "Nachttischlampe links", "on", aliases=("Left Nightstand",)),
        Device("light.right_nightstand", "Nachttischlampe rechts", "on", aliases=("Right Nightstand",)),
        Device("cover.rollladen_bad", "Rollladen Bad", "open", attributes={"supported_features": 3}),
        Device("cover.rollladen_kueche", "Rollladen Küche", "open", attributes={"supported_features": 3}),
        Device("cover.rollladen_flur", "Rollladen Flur Blinds", "open", attributes={"supported_features": 3}),
    )
    if language == "en":  # English names for the English requests
        house = make_house(
            Device("light.left_nightstand", "Left Nightstand", "on"),
            Device("light.right_nightstand", "Right Nightstand", "on"),
            *(Device(f"cover.{room}", f"{room.title()} Blinds", "open", attributes={"supported_features": 3}) for room in ("bad", "kueche", "flur")),
        )  # fmt: skip
    grounding = load_grounding(language)
    calls = grounding.read_by_home_assistant(text, house) or grounding._read(text, house)
    assert (None if calls is None else sorted(call.entity_id for call in calls)) == (sorted(runs) if runs else None)


def test_names_with_template_characters_are_read_as_plain_words() -> None:
    # Entity names and areas are untrusted: hassil's template syntax in them ([ ], { }, < >, |) is text.
    hostile = make_house(
        Device("light.evil", "[bad|{name}] <x>", "off", area="<r> [a"),
        Device("todo.t", "{item} [x", "0", attributes={"supported_features": 1}),
        Device("light.kitchen", "Kitchen", "off"),
    )
    grounding = load_grounding("en")
    assert grounding.read_by_home_assistant("turn on [bad|{name}] <x>", hostile) == [
        Call("light", "turn_on", "light.evil")
    ]
    assert grounding.read_by_home_assistant("add milk to the {item} [x list", hostile) == [
        Call("todo", "add_item", "todo.t", {"item": "milk"})
    ]
    assert grounding.read_by_home_assistant("turn on bad", hostile) is None
    assert load_grounding("de").read_by_home_assistant("Schalte [bad|{name}] <x> ein", hostile) == [
        Call("light", "turn_on", "light.evil")
    ]


def test_very_long_names_texts_and_requests_are_not_read_by_home_assistant() -> None:
    # hassil's matching time grows with the names in its slot lists and the text: a hostile name of
    # thousands of words took minutes. Such names are left out; such texts and requests go to the model.
    huge = " ".join(f"word{index}" for index in range(3000))
    house = make_house(
        Device("light.huge", huge, "off", area=huge, aliases=(huge,)),
        Device("light.kitchen", "Kitchen Light", "off", area="Kitchen"),
        Device("light.hall", "Hall Light", "off", area="Hall"),
    )
    grounding = load_grounding("en")
    assert grounding.read_by_home_assistant("turn on the kitchen light", house) == [
        Call("light", "turn_on", "light.kitchen")
    ]
    assert grounding.read_by_home_assistant("turn on " + huge, house) is None
    assert grounding.read_by_home_assistant("turn on the kitchen light " + "please " * 40, house) is None
    # Nor rephrased, read as a setting or once for each of "all" (their patterns run on the text too).
    assert grounding._read("kill all the lights " + "and " * 2000 + "to 21", house) is None

    def check(call: Call) -> Verdict:
        return check_call(call, house, phrases=grounding.phrases)

    # A room said before the objects and "<kind> in <room>" look for every room and name: the huge ones not.
    german = load_grounding("de")
    assert german.read_request(house, "Mach im Kitchen das Kitchen Light an", check) is not None
    assert german.read_request(house, f"Mach im {huge} das Licht an", check) is None
    four = "turn on the kitchen light, turn off the hall light, turn on the hall light, turn off the kitchen light"
    assert grounding.read_request(house, four, check) is not None
    assert grounding.read_request(house, four + ", turn on the hall light", check) is None


def test_each_part_home_assistant_reads_runs_when_every_part_reads() -> None:
    grounding = load_grounding("en")

    def check(call: Call) -> Verdict:
        return check_call(call, ROOMS, phrases=grounding.phrases)

    written = [check(Call("light", "turn_on", "light.nachttisch"))]
    keep, held = hold_ungrounded(
        written, ROOMS, "turn on the Deckenlampe and turn off the Nachttisch", grounding=grounding, check=check
    )
    assert [v.call for v in keep] == [
        Call("light", "turn_on", "light.schlafzimmer"),
        Call("light", "turn_off", "light.nachttisch"),
    ]
    assert held == []
    # One part it cannot read ("make it cosy"): no reading, the model's calls go through the usual rules.
    assert grounding._home_assistant_reading(ROOMS, "turn on the Deckenlampe and make it cosy", check) is None


@pytest.mark.parametrize(
    ("text", "call", "runs"),
    [
        # German verbs for lights off and awnings out; a toggle where the words say one way.
        ("Lösch das Porch Light", Call("light", "toggle", "light.porch"), Call("light", "turn_off", "light.porch")),
        ("Porch Light einschalten", Call("light", "toggle", "light.porch"), Call("light", "turn_on", "light.porch")),
    ],
)
def test_a_toggle_takes_the_way_the_words_say(text: str, call: Call, runs: Call) -> None:
    assert _valued(text, call, "de") == ([runs], [])


RELAYS = make_house(
    Device("switch.shelly1pm_84cca8a1b2c3", "shelly1pm-84cca8a1b2c3", "off", area="Kitchen"),
    Device("switch.coffee", "Coffee Maker", "off", area="Study"),
    Device("light.hall", "Hall Light", "off", area="Hall"),
)


def test_a_rooms_light_is_its_only_relay_named_by_ids_alone() -> None:
    grounding = load_grounding("en")
    assert grounding.read_by_home_assistant("turn on the kitchen light", RELAYS) == [
        Call("switch", "turn_on", "switch.shelly1pm_84cca8a1b2c3")
    ]
    # A relay named after what it drives is not a light.
    assert grounding.read_by_home_assistant("turn on the study light", RELAYS) is None


BRANDS = make_house(
    Device("light.antler_chandelier", "Antler Chandelier", "off", area="Great Room", attributes={"supported_color_modes": ["brightness"]}),
    Device("cover.greenhouse_roof_vent", "Greenhouse Roof Vent", "closed", area="Greenhouse", attributes={"supported_features": 15}),
    Device("media_player.bedroom_1_tv", "Bedroom 1 TV", "on", area="Bedroom 1"),
    Device("media_player.living_room_tv", "Living Room Roku TV", "on", area="Living Room"),
    Device("climate.living_room", "Living Room", "heat", area="Living Room", attributes={"supported_features": 1, "min_temp": 7, "max_temp": 35}),
    Device("light.key_light", "Elgato Key Light", "off", area="Office"),
    Device("light.key_light_air", "Elgato Key Light Air", "off", area="Office"),
)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        # The brand dropped: a name's last words that no other device has.
        ("turn on the chandelier", [Call("light", "turn_on", "light.antler_chandelier")]),
        ("turn off the roku tv", [Call("media_player", "turn_off", "media_player.living_room_tv")]),
        ("turn on the key light air", [Call("light", "turn_on", "light.key_light_air")]),
        # "TV" is in two names, "Bedroom" is a room's word, "Elgato Key Light" is a full name: not short names.
        ("turn off the tv", None),
        ("turn off the bedroom", None),
        # "Light" is the Elgato Key Light's own word, but "the light" may be any light.
        ("turn on the light", None),
    ],
)
def test_a_name_without_its_brand_or_room_reads_when_it_is_the_only_one(text: str, calls: list[Call] | None) -> None:
    assert load_grounding("en").read_by_home_assistant(text, BRANDS) == calls


@pytest.mark.parametrize(
    ("text", "implied"),
    [
        ("vent to 50 percent", ["set vent to 50 percent", "set vent volume to 50 percent"]),
        ("chandelier 25%", ["set chandelier to 25 %", "set chandelier volume to 25 %"]),
        ("cool the living room to 23", ["set the living room to 23 degrees", "set the living room temperature to 23"]),
        ("warm up the kitchen to 21 degrees", ["set the kitchen to 21 degrees", "set the kitchen temperature to 21"]),
        # A bare number or degrees: only as a thermostat's temperature or a player's volume (no brightness);
        # a percentage also as a player's volume. Home Assistant's sentences say which device fits.
        (
            "office AC to 68",
            [
                "set the office AC temperature to 68",
                "set the office temperature to 68",
                "set office AC volume to 68",
                "set office AC to 68 percent",
            ],
        ),
        (
            "salon aircon to 23",
            [
                "set the salon aircon temperature to 23",
                "set the salon temperature to 23",
                "set salon aircon volume to 23",
                "set salon aircon to 23 percent",
            ],
        ),
        (
            "mini split to twenty one",
            ["set the mini split temperature to 21", "set mini split volume to 21", "set mini split to 21 percent"],
        ),
        (
            "bay window shade to half",
            ["set bay window shade to 50 percent", "set bay window shade volume to 50 percent"],
        ),
        ("the den to 70 degrees", ["set the the den temperature to 70", "set the den temperature to 70"]),
        # A verb before an article and "to" only says "set" ("crank the Sonos to 70"); a verb with its
        # particle ("turn on") is read as said, and a value without "to" may be by how much.
        ("turn the lights to 50%", ["set the lights to 50 %", "set the lights volume to 50 %"]),
        (
            "crank the Sonos to 70",
            [
                "set the the Sonos temperature to 70",
                "set the Sonos temperature to 70",
                "set the Sonos volume to 70",
                "set the Sonos to 70 percent",
            ],
        ),
        ("turn on the lights to 50%", []),
        ("raise the volume 10 percent", []),
        # A bare number above any fan's speed steps is a percentage too; a volume said after the name.
        ("Dyson to 3", ["set the Dyson temperature to 3", "set Dyson volume to 3"]),
        (
            "Arc volume to 25",
            ["set the Arc volume temperature to 25", "set Arc volume to 25", "set Arc volume to 25 percent"],
        ),
        ("pendants at half", ["set pendants to 50 percent", "set pendants volume to 50 percent"]),
        ("dim the kitchen light to about a quarter", ["set the kitchen light to 25 percent"]),
        # Fractions and numbers as people say them.
        ("blinds to three quarters open", ["set blinds to 75 percent", "set blinds volume to 75 percent"]),
        ("hot tub to a hundred and two", ["set the hot tub temperature to 102", "set hot tub volume to 102"]),
        ("what is 50 percent of 20", []),
    ],
)
def test_a_setting_said_without_set_is_read_as_set(text: str, implied: list[str]) -> None:
    assert load_grounding("en").implied_settings(text) == implied


@pytest.mark.parametrize(
    ("text", "implied"),
    [
        # "mach"/"dreh" before an article only say "stell" (Home Assistant reads "stell … auf 30 Prozent"
        # only with "Helligkeit"); "ein Viertel" is 25 percent.
        ("Mach das Licht auf dreißig Prozent", ["das Licht auf 30 Prozent", "das Licht Lautstärke auf 30 Prozent"]),
        ("Luster auf ein Viertel", ["Luster auf 25 prozent", "Luster Lautstärke auf 25 prozent"]),
        (
            "Dreh die Heizung auf 22",
            [
                "stell die Temperatur die Heizung auf 22",
                "stell die Heizung auf 22 Grad",
                "stell die Temperatur Heizung auf 22",
                "stell Heizung auf 22 Grad",
                "stell die Temperatur auf 22",
                "stell auf 22 Grad",
                "die Heizung Lautstärke auf 22",
                "die Heizung auf 22 prozent",
            ],
        ),
    ],
)
def test_a_setting_said_without_stell_is_read_as_set_in_german(text: str, implied: list[str]) -> None:
    assert load_grounding("de").implied_settings(text) == implied


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("Heizung auf zweiundzwanzig", [Call("climate", "set_temperature", "climate.stube", {"temperature": 22})]),
        ("Stube auf neunzehn Grad", [Call("climate", "set_temperature", "climate.stube", {"temperature": 19})]),
        ("Dreh die Heizung in der Stube auf 21 Grad", [Call("climate", "set_temperature", "climate.stube", {"temperature": 21})]),
        ("Deckenlampe auf dreißig Prozent", [Call("light", "turn_on", "light.stube", {"brightness": 76})]),
        ("Stube auf 40", None),  # a bare number for a room of lights and a thermostat: not read as light
    ],
)  # fmt: skip
def test_a_german_temperature_or_number_word_without_a_verb_reads(text: str, read: list[Call] | None) -> None:
    house = make_house(
        Device("climate.stube", "Heizung", "heat", area="Stube", attributes={"supported_features": 1, "min_temp": 5, "max_temp": 30}),
        Device("light.stube", "Deckenlampe", "on", area="Stube", attributes={"supported_color_modes": ["brightness"]}),
    )  # fmt: skip
    grounding = load_grounding("de")
    verdicts = grounding.read_request(house, text, lambda call: check_call(call, house, phrases=grounding.phrases))
    assert (None if verdicts is None else [v.call for v in verdicts]) == read


def test_a_setting_said_without_set_runs() -> None:
    grounding = load_grounding("en")

    def check(call: Call) -> Verdict:
        return check_call(call, BRANDS, phrases=grounding.phrases)

    keep, held = hold_ungrounded([], BRANDS, "vent to 50 percent", grounding=grounding, check=check)
    assert [v.call for v in keep] == [
        Call("cover", "set_cover_position", "cover.greenhouse_roof_vent", {"position": 50})
    ]
    assert held == []
    assert load_grounding("de").implied_settings("Heiz das Bad auf 22") == [
        "das Bad auf 22 grad",
        "stell die Temperatur Bad auf 22",
        "stell Bad auf 22 Grad",
    ]


def test_the_volume_of_one_player_among_several_is_asked_about() -> None:
    # "the volume" names no player; with two, one picked by the model is a guess.
    keep, held = hold_ungrounded(
        [Verdict(Call("media_player", "volume_down", "media_player.bedroom_1_tv"), True)],
        BRANDS,
        "turn the volume down",
    )
    assert keep == []
    assert [hold.sentence for hold in held] == [
        "Which volume do you mean: the Bedroom 1 TV or the Living Room Roku TV?"
    ]


def test_the_heating_of_one_room_among_several_is_asked_about() -> None:
    # "heating" is no plural: it names every thermostat, and a temperature set on a guess is a wrong action.
    house = make_house(
        Device(
            "climate.tado_bedroom",
            "Bedroom",
            "heat",
            area="Bedroom",
            attributes={"supported_features": 1, "min_temp": 7, "max_temp": 35},
        ),
        Device(
            "climate.tado_lounge",
            "Lounge",
            "heat",
            area="Lounge",
            attributes={"supported_features": 1, "min_temp": 7, "max_temp": 35},
        ),
    )
    call = Call("climate", "set_temperature", "climate.tado_bedroom", {"temperature": 22})
    keep, held = hold_ungrounded([Verdict(call, True)], house, "turn the heating up to 22")
    assert keep == []
    assert [hold.sentence for hold in held] == ["Which heating do you mean: the Bedroom or the Lounge?"]


@pytest.mark.parametrize(
    ("text", "language", "written", "runs"),
    [
        ("switch the bedroom AC to heat", "en", Call("climate", "turn_on", "climate.ac"),
         Call("climate", "set_hvac_mode", "climate.ac", {"hvac_mode": "heat"})),
        ("switch the bedroom AC over to cool mode", "en", Call("climate", "turn_on", "climate.ac"),
         Call("climate", "set_hvac_mode", "climate.ac", {"hvac_mode": "cool"})),
        ("set the bedroom AC to cool", "en", Call("climate", "set_temperature", "climate.ac", {"temperature": 7}),
         Call("climate", "set_hvac_mode", "climate.ac", {"hvac_mode": "cool"})),
        ("Stell die Klimaanlage im Schlafzimmer auf Kühlen", "de", Call("climate", "turn_on", "climate.ac"),
         Call("climate", "set_hvac_mode", "climate.ac", {"hvac_mode": "cool"})),
        # Written on a device the words do not name: moved to the thermostat they name, with its mode.
        ("switch the bedroom AC to heat", "en", Call("switch", "turn_on", "switch.bot"),
         Call("climate", "set_hvac_mode", "climate.ac", {"hvac_mode": "heat"})),
    ],
)  # fmt: skip
def test_a_thermostat_mode_said_after_to_is_set(text: str, language: str, written: Call, runs: Call) -> None:
    house = make_house(
        Device(
            "climate.ac",
            "Bedroom AC",
            "off",
            area="Schlafzimmer",
            attributes={"hvac_modes": ("off", "heat", "cool"), "supported_features": 1, "min_temp": 7, "max_temp": 35},
        ),
        Device(
            "climate.heater",
            "Greenhouse Heater",
            "heat",
            attributes={"hvac_modes": ["off", "heat"], "supported_features": 1, "min_temp": 7, "max_temp": 35},
        ),
        Device("switch.bot", "SwitchBot 3F", "off", area="Kitchen"),
    )
    grounding = load_grounding(language)

    def check(call: Call) -> Verdict:
        return check_call(call, house, phrases=grounding.phrases)

    keep, held = hold_ungrounded([check(written)], house, text, grounding=grounding, check=check)
    assert ([v.call for v in keep], held) == ([runs], [])
    # A mode the thermostat does not have is not set, and the temperature the model made up is held.
    heater = check(Call("climate", "set_temperature", "climate.heater", {"temperature": 7}))
    keep, held = hold_ungrounded([heater], house, "set the greenhouse heater to cool", check=check)
    assert keep == [] and len(held) == 1


@pytest.mark.parametrize(
    ("text", "language", "runs"),
    [
        ("Mach lauter", "de", Call("media_player", "volume_up", "media_player.stube")),
        ("Musik in der Stube ein bisschen leiser", "de", Call("media_player", "volume_down", "media_player.stube")),
        ("Mach die Musik bitte leiser", "de", Call("media_player", "volume_down", "media_player.stube")),
        ("a bit quieter please", "en", Call("media_player", "volume_down", "media_player.stube")),
        # Anything else said, or a question: not a request for the volume.
        ("Die Nachbarn sind lauter als wir", "de", None),
        ("is it louder now?", "en", None),
    ],
)
def test_louder_or_quieter_turns_the_only_players_volume(text: str, language: str, runs: Call | None) -> None:
    house = make_house(Device("media_player.stube", "Sonos Stube", "playing", area="Stube"), *ROOMS.devices)
    assert load_grounding(language).asked_volume(text, house) == runs
    # With two players the words must name one.
    two = make_house(*house.devices, Device("media_player.kueche", "Radio Küche", "playing", area="Küche"))
    assert load_grounding("de").asked_volume("Mach lauter", two) is None
    assert load_grounding("de").asked_volume("Mach das Radio lauter", two) == Call(
        "media_player", "volume_up", "media_player.kueche"
    )


PATIO = make_house(
    Device("cover.terrace_awning", "Terrace Awning", "open", attributes={"device_class": "awning"}),
    Device("vacuum.deebot", "Deebot", "cleaning", aliases=("the robot",)),
    Device("light.terrace", "Terrace Lanterns", "off"),
)


@pytest.mark.parametrize(
    ("text", "call", "runs"),
    [
        # A verb of the rephrase table is checked as the verb it stands for, in a part of the request too.
        ("retract the awning", Call("cover", "close_cover", "cover.terrace_awning"), "close_cover"),
        (
            "pull the awning in, the wind's picking up",
            Call("cover", "open_cover", "cover.terrace_awning"),
            "close_cover",
        ),
        ("roll the awning out", Call("cover", "open_cover", "cover.terrace_awning"), "open_cover"),
        # "base" says where a vacuum goes, not which device: the robot is named.
        ("send the robot back to base", Call("vacuum", "return_to_base", "vacuum.deebot"), "return_to_base"),
    ],
)
def test_a_rephrased_verb_and_a_service_word_do_not_hold_a_right_call(text: str, call: Call, runs: str) -> None:
    grounding = load_grounding("en")
    keep, held = hold_ungrounded(
        [Verdict(call, True)], PATIO, text, check=lambda c: check_call(c, PATIO, phrases=grounding.phrases)
    )
    assert [v.call.service for v in keep] == [runs]
    assert not held


def test_a_german_compound_names_its_place_and_kind() -> None:
    """ "Gangbeleuchtung" is the light of the Gang; "Vorzimmerlicht" the light of the Vorzimmer."""
    house = make_house(
        Device("switch.hmip_bsm_diele", "Diele Licht", "off", area="Diele", aliases=("Gangbeleuchtung",)),
        Device("switch.shelly1_vorzimmer", "Vorzimmer Licht", "off", area="Vorzimmer"),
        Device("media_player.wohnzimmer", "Wohnzimmer", "off", area="Wohnzimmer"),
        Device("cover.sonnenstore", "Sonnenstore", "open"),
    )
    grounding = load_grounding("de")

    def runs(text: str, call: Call) -> list[Call]:
        keep, _ = hold_ungrounded(
            [Verdict(call, True)],
            house,
            text,
            grounding=grounding,
            check=lambda c: check_call(c, house, phrases=grounding.phrases),
        )
        return [v.call for v in keep]

    on_diele = Call("switch", "turn_on", "switch.hmip_bsm_diele")
    assert runs("Mach im Gang das Licht an", on_diele) == [on_diele]
    assert runs("Vorzimmerlicht an", Call("media_player", "turn_on", "media_player.wohnzimmer")) == [
        Call("switch", "turn_on", "switch.shelly1_vorzimmer")
    ]
    assert "tor" not in grounding.words("Sonnenstore")  # a short kind noun ends too many words
    valves = make_house(
        Device("valve.gas_hauptventil", "Gas Hauptventil", "open", area="Keller"),
        Device("valve.wasser_haupthahn", "Wasser Haupthahn", "open", area="Keller"),
        Device("switch.keller", "Keller Licht", "off", area="Keller"),
    )
    keep, held = hold_ungrounded(
        [Verdict(Call("switch", "turn_on", "switch.keller"), True)],
        valves,
        "Mach das Ventil zu",
        grounding=grounding,
        check=lambda c: check_call(c, valves, phrases=grounding.phrases),
    )
    assert not keep and held  # "das Ventil" is either valve: a device's compound gives its place only


def test_back_names_a_place_before_a_noun() -> None:
    """ "the back door" is the brand-named lock of the Back Porch; "back" in "turn it back on" names nothing."""
    house = make_house(
        Device("lock.schlage_encode", "Schlage Encode", "unlocked", area="Back Porch"),
        Device("lock.front_door", "Front Door", "unlocked", area="Foyer"),
        Device("cover.garage_door", "Garage Door", "closed", attributes={"device_class": "garage"}),
    )
    grounding = load_grounding("en")
    keep, held = hold_ungrounded(
        [Verdict(Call("lock", "lock", "lock.front_door"), True)],
        house,
        "lock the back door",
        check=lambda c: check_call(c, house, phrases=grounding.phrases),
    )
    assert [v.call.entity_id for v in keep] == ["lock.schlage_encode"] and not held
    assert "back" not in grounding.words("turn the light back on")


def test_a_room_word_names_the_only_device_of_that_room() -> None:
    house = make_house(
        Device("light.shelly_pro_1_diele", "Diele Licht", "on", area="Diele"),
        Device("light.kuche_led_band", "Küchen LED", "on", area="Küche"),
        Device("light.kuche_decke", "Küche Deckenlicht", "off", area="Küche"),
    )
    grounding = load_grounding("de")
    assert grounding.read_by_home_assistant("Mach die Diele aus", house) == [
        Call("light", "turn_off", "light.shelly_pro_1_diele")
    ]
    assert grounding.read_by_home_assistant("Mach die Küche aus", house) is None  # two devices there


def test_a_mode_from_a_devices_own_list_is_read_on_the_device_named() -> None:
    house = make_house(
        Device(
            "climate.mini_split",
            "Mini Split",
            "cool",
            attributes={"hvac_modes": ["off", "cool", "dry", "fan_only"], "fan_modes": ["auto", "low", "high"]},
        ),
        Device("climate.daikin_suite", "Master Suite Daikin", "off", attributes={"fan_modes": ["Auto", "Silence"]}),
        Device("fan.maxxair_fan", "MaxxAir Fan", "off", attributes={"preset_modes": ["breeze"]}),
    )
    grounding = load_grounding("en")
    assert grounding.asked_mode("mini split fan on high", house) == Call(
        "climate", "set_fan_mode", "climate.mini_split", {"fan_mode": "high"}
    )
    assert grounding.asked_mode("master suite daikin fan on silence", house) == Call(
        "climate", "set_fan_mode", "climate.daikin_suite", {"fan_mode": "Silence"}
    )
    assert grounding.asked_mode("switch the mini split over to dry mode", house) == Call(
        "climate", "set_hvac_mode", "climate.mini_split", {"hvac_mode": "dry"}
    )
    assert grounding.asked_mode("fan on auto", house) is None  # two thermostats have it: which one
    assert grounding.asked_mode("is the mini split on high?", house) is None  # a question
    assert (
        _words_read("en", house, "set the mini split to dry and cool") is None
    )  # "cool" is a setting, no remark to leave out: not read as dry alone


def test_a_rough_value_a_plural_name_and_a_target_name_no_other_device() -> None:
    """ "about three quarters" names no device (the model's open_cover gets the position said); "shutters"
    is the one cover named "… Shutters" (not the gate, a door by its class); "target" is a setting."""
    house = make_house(
        Device("cover.deck_awning", "Deck Awning", "closed", area="Deck", attributes={"device_class": "awning", "supported_features": 15}),
        Device("cover.main_gate", "Main Gate", "closed", area="Driveway", attributes={"device_class": "gate"}),
        Device("cover.master_suite_shutters", "Master Suite Shutters", "open", area="Master Suite", attributes={"device_class": "blind", "supported_features": 15}),
        Device("humidifier.basement_dehumidifier", "Basement Dehumidifier", "on", area="Basement", attributes={"humidity": 50, "min_humidity": 30, "max_humidity": 80}),
        Device("light.deck", "Deck Light", "off", area="Deck"),
    )  # fmt: skip
    check = lambda call: check_call(call, house)  # noqa: E731
    opened = Verdict(Call("cover", "open_cover", "cover.deck_awning"), True)
    keep, held = hold_ungrounded([opened], house, "awning out about three quarters", check=check, read_first=False)
    assert ([v.call for v in keep], held) == (
        [Call("cover", "set_cover_position", "cover.deck_awning", {"position": 75})],
        [],
    )
    assert _words_read("en", house, "shutters to 40%") == [
        Call("cover", "set_cover_position", "cover.master_suite_shutters", {"position": 40})
    ]
    assert _words_read("en", house, "dehumidifier target 45") == [
        Call("humidifier", "set_humidity", "humidifier.basement_dehumidifier", {"humidity": 45})
    ]
    assert _words_read("en", house, "lights to 40%") is None  # a plural kind said alone may mean several


def test_a_vacuum_sent_back_and_a_player_played_on_are_read() -> None:
    """ "dock X", "X zurück in die Station", "Spiel X weiter": the services Home Assistant's sentences say
    another way (return_to_base, media_play)."""
    house = make_house(
        Device("vacuum.dreame", "Valetudo", "cleaning", aliases=("Dusty",)),
        Device("vacuum.roborock", "Roborock Q7 Max", "cleaning", area="Flur", aliases=("Rosi",)),
        Device("media_player.kuchenradio", "Küchenradio", "paused", area="Küche", attributes={"supported_features": 16385}),
    )  # fmt: skip
    docked = lambda entity_id: [Call("vacuum", "return_to_base", entity_id)]  # noqa: E731
    assert _words_read("en", house, "dock Dusty") == docked("vacuum.dreame")
    assert _words_read("de", house, "Die Rosi soll zurück in ihre Station") == docked("vacuum.roborock")
    assert _words_read("de", house, "Roborock zurück in die Station") == docked("vacuum.roborock")
    assert _words_read("de", house, "Spiel das Küchenradio weiter") == [
        Call("media_player", "media_play", "media_player.kuchenradio")
    ]


def test_of_two_parts_naming_the_device_the_one_with_a_number_gives_the_value() -> None:
    house = make_house(
        Device("climate.paul", "Thermostat Paul", "heat", area="Kinderzimmer Paul", attributes={"hvac_modes": ["auto", "heat"], "temperature": 21, "min_temp": 5, "max_temp": 30, "temperature_unit": "°C", "supported_features": 1}),
        Device("climate.bad", "Thermostat Bad", "heat", area="Bad", attributes={"hvac_modes": ["auto", "heat"], "temperature": 22, "min_temp": 5, "max_temp": 30, "temperature_unit": "°C", "supported_features": 1}),
    )  # fmt: skip
    grounding = load_grounding("de")
    text = "Bei Paul ist's zu warm, stell sein Thermostat auf 18"
    keep, held = grounding.hold_ungrounded(
        [Verdict(Call("climate", "turn_on", "climate.paul"), True)], house, text, check=lambda c: check_call(c, house)
    )
    assert ([v.call for v in keep], held) == (
        [Call("climate", "set_temperature", "climate.paul", {"temperature": 18})],
        [],
    )


def test_a_colour_word_home_assistant_lacks_is_read_as_one_it_has() -> None:
    """German "lila" (not in Home Assistant's colour list, which says "violett"), also for both of a pair;
    not where it is a word of a name."""
    house = make_house(
        Device("light.play_links", "Hue Play links", "on", area="Büro", attributes={"supported_color_modes": ["hs"]}),
        Device("light.play_rechts", "Hue Play rechts", "on", area="Büro", attributes={"supported_color_modes": ["hs"]}),
    )  # fmt: skip
    purple = lambda entity_id: Call("light", "turn_on", entity_id, {"color_name": "purple"})  # noqa: E731
    assert _words_read("de", house, "Mach beide Hue Plays lila") == [
        purple("light.play_links"),
        purple("light.play_rechts"),
    ]
    assert _words_read("de", house, "Hue Play rechts auf lila") == [purple("light.play_rechts")]
    named = make_house(Device("light.lila", "Lila Lampe", "off", attributes={"supported_color_modes": ["hs"]}))
    assert load_grounding("de")._with_colours_as_read("Lila Lampe auf lila", named) == "Lila Lampe auf lila"


def test_the_music_among_several_players_is_the_one_playing() -> None:
    """ "pause the music" with a Sonos playing and a TV only on: the Sonos; with both playing: asked about."""
    sonos = Device("media_player.gym_sonos", "Gym Sonos", "playing", area="Gym", attributes={"supported_features": 1})
    tv = Device("media_player.gym_tv", "Gym TV", "on", area="Gym", attributes={"supported_features": 1})
    fan = Device("fan.gym_fan", "Haiku Fan", "off", area="Gym", aliases=("Gym Fan",))
    text = "gym fan on and pause the music"
    for house, runs in [
        (make_house(sonos, tv, fan), True),
        (make_house(sonos, replace(tv, state="playing"), fan), False),
    ]:
        paused = Verdict(Call("media_player", "media_pause", "media_player.gym_sonos"), True)
        keep, held = hold_ungrounded([paused], house, text, check=lambda c, h=house: check_call(c, h), read_first=False)
        assert (len(keep), len(held)) == ((1, 0) if runs else (0, 1))


@pytest.mark.parametrize(
    ("language", "text", "service", "runs"),
    [
        ("en", "disarm alarmo", "alarm_arm_home", False),  # the model's opposite: asked about, never run
        ("en", "disarm alarmo", "alarm_disarm", True),
        ("en", "arm alarmo", "alarm_disarm", False),
        ("en", "arm alarmo for the night", "alarm_arm_night", True),
        ("de", "Alarmo unscharf schalten", "alarm_arm_away", False),
        ("de", "Alarmo scharf schalten", "alarm_disarm", False),
    ],
)  # fmt: skip
def test_an_alarm_armed_or_disarmed_against_the_words_is_asked_about(
    language: str, text: str, service: str, runs: bool
) -> None:
    house = make_house(Device("alarm_control_panel.alarmo", "Alarmo", "disarmed", attributes={"supported_features": 7}))
    grounding = load_grounding(language)
    verdict = Verdict(Call("alarm_control_panel", service, "alarm_control_panel.alarmo"), True)
    keep, held = grounding.hold_ungrounded([verdict], house, text, read_first=False)
    assert (len(keep), len(held)) == ((1, 0) if runs else (0, 1))
    if held:
        asked = grounding.phrases.text(
            "against_disarm" if service == "alarm_disarm" else "against_arm", name=grounding.the("Alarmo")
        )
        assert held[0].sentence == asked


def test_a_listed_mode_is_read_by_this_languages_word_for_it() -> None:
    """A fan's or thermostat fan's modes are listed in English: German says them its own way."""
    house = make_house(
        Device("fan.ventilator", "Ventilator", "off", area="Schlafzimmer", attributes={"preset_modes": ["normal", "nature", "sleep"]}),
        Device("climate.webasto", "Webasto Heizung", "heat", area="Salon", attributes={"fan_modes": ["low", "medium", "high"]}),
        Device("fan.mehmet", "Ventilator Mehmet", "off", area="Mehmet", attributes={"preset_modes": ["normal", "nature"]}),
    )  # fmt: skip
    preset = lambda entity_id, mode: [Call("fan", "set_preset_mode", entity_id, {"preset_mode": mode})]  # noqa: E731
    assert _words_read("de", house, "Ventilator im Schlafzimmer auf Nachtmodus") == preset("fan.ventilator", "sleep")
    assert _words_read("de", house, "Stell Mehmets Ventilator auf Naturmodus") == preset("fan.mehmet", "nature")
    assert _words_read("de", house, "Gebläse von der Webasto Heizung auf niedrig") == [
        Call("climate", "set_fan_mode", "climate.webasto", {"fan_mode": "low"})
    ]
    assert _words_read("de", house, "Ventilator Mehmet auf Turbo") is None  # it lists no boost
    assert _words_read("de", house, "Ventilator Mehmet auf Nachtmodus") is None  # nor sleep
    assert _words_read("fr", house, "mets le ventilateur de la chambre en mode nuit") is None  # no such room
    fans = make_house(Device("fan.ventilateur", "Ventilateur", "off", attributes={"preset_modes": ["normal", "sleep"]}))
    assert _words_read("fr", fans, "mets le ventilateur en mode nuit") == preset("fan.ventilateur", "sleep")
    assert _words_read("es", fans, "pon el ventilador en modo noche") == preset("fan.ventilateur", "sleep")
    assert _words_read("en", fans, "fan to night mode") == preset("fan.ventilateur", "sleep")


VILLA = make_house(
    Device("climate.daikin_salon", "Salón Daikin", "cool", area="Salón", attributes={"supported_features": 1}),
    Device(
        "climate.daikin_suite", "Master Suite Daikin", "off", area="Master Suite", attributes={"supported_features": 1}
    ),
    Device("valve.olive_grove_drip", "Olive Grove Drip", "closed", attributes={"device_class": "water"}),
    Device("scene.relax", "Relax", "unknown"),
    Device("light.salon", "Salón Lamp", "off", area="Salón"),
)


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        # A name or area typed without its accents.
        ("salon aircon to 23", [Call("climate", "set_temperature", "climate.daikin_salon", {"temperature": 23})]),
        ("turn on the salon lamp", [Call("light", "turn_on", "light.salon")]),
        # A verb that stands for several: "start" a valve opens it.
        ("start the olive grove drip", [Call("valve", "open_valve", "valve.olive_grove_drip")]),
        ("set the relax scene", [Call("scene", "turn_on", "scene.relax")]),
    ],
)
def test_unaccented_names_and_verbs_that_stand_for_several_are_read(text: str, calls: list[Call]) -> None:
    assert _words_read("en", VILLA, text) == calls


def test_a_brightness_said_with_dim_or_a_word_for_half_is_read() -> None:
    lamps = make_house(
        Device("light.nursery_lamp", "Nursery Lamp", "on", attributes={"supported_color_modes": ["brightness"]}),
        Device("light.decke", "Deckenlampe Wohnzimmer", "on", attributes={"supported_color_modes": ["brightness"]}),
    )
    assert _words_read("en", lamps, "dim the nursery lamp to ten percent") == [
        Call("light", "turn_on", "light.nursery_lamp", {"brightness": 26})
    ]
    assert _words_read("de", lamps, "Deckenlampe Wohnzimmer auf die Hälfte") == [
        Call("light", "turn_on", "light.decke", {"brightness": 128})
    ]


def test_a_players_volume_said_without_the_word_is_read() -> None:
    house = make_house(
        Device("media_player.sonos_move", "Sonos Move", "playing", area="Gym", attributes={"supported_features": 4}),
        Device("media_player.kuche", "Radio", "playing", area="Küche", attributes={"supported_features": 4}),
        Device("climate.gym", "Gym Heater", "heat", area="Gym", attributes={"supported_features": 1}),
    )
    assert _words_read("en", house, "the Sonos to 70") == [
        Call("media_player", "volume_set", "media_player.sonos_move", {"volume_level": 0.7})
    ]
    assert _words_read("de", house, "Musik in der Küche auf 30 Prozent") == [
        Call("media_player", "volume_set", "media_player.kuche", {"volume_level": 0.3})
    ]
    assert _words_read("en", house, "gym heater to 20") == [  # a thermostat's number: a temperature
        Call("climate", "set_temperature", "climate.gym", {"temperature": 20})
    ]


def test_a_colour_temperature_in_kelvin_is_read_on_the_light_named_most() -> None:
    desk = make_house(
        Device("light.key_light", "Elgato Key Light", "on", attributes={"supported_color_modes": ["color_temp"]}),
        Device(
            "light.key_light_air", "Elgato Key Light Air", "on", attributes={"supported_color_modes": ["color_temp"]}
        ),
        Device("light.strip", "TV Backlight", "on", attributes={"supported_color_modes": ["hs"]}),
    )
    grounding = load_grounding("en")
    assert grounding.asked_kelvin("key light air to 4500 kelvin", desk) == Call(
        "light", "turn_on", "light.key_light_air", {"color_temp_kelvin": 4500}
    )
    assert grounding.asked_kelvin("key light to 4000K", desk) is None  # the Air is a key light too: which one
    assert grounding.asked_kelvin("backlight to 3000K", desk) is None  # no colour temperatures


def test_a_value_the_device_cannot_take_is_refused_as_the_words_read_it() -> None:
    lamp = make_house(
        Device(
            "light.sofa",
            "Sofa Lamp",
            "on",
            attributes={
                "supported_color_modes": ["color_temp"],
                "min_color_temp_kelvin": 2200,
                "max_color_temp_kelvin": 4000,
            },
        ),
        Device("lock.front", "Front Door", "locked"),
    )
    grounding = load_grounding("en")

    def read(text: str) -> list[Verdict] | None:
        """read_request with the real policy."""
        return grounding.read_request(lamp, text, lambda call: check_call(call, lamp, phrases=grounding.phrases))

    (too_cold,) = read("sofa lamp to 6000 kelvin")  # the model would only write some other value
    assert not too_cold.allowed and too_cold.for_value and "6000" in too_cold.reason
    (red,) = read("make the sofa lamp red")
    assert not red.allowed and red.for_value
    assert [v.call.arguments for v in read("sofa lamp to 3000 kelvin")] == [{"color_temp_kelvin": 3000}]
    assert read("unlock the front door") is None  # refused for what it is, not a value: the usual rules


def test_a_humidity_is_read_on_the_humidifier_named() -> None:
    house = make_house(
        Device("humidifier.shop", "Shop Dehumidifier", "on", area="Shop", attributes={"min_humidity": 30}),
        Device("humidifier.keller", "Luftentfeuchter Keller", "on", area="Keller"),
        Device("light.shop", "Shop Lights", "on", area="Shop", attributes={"supported_color_modes": ["brightness"]}),
    )
    assert load_grounding("en").asked_humidity("dehumidifier in the shop down to 40%", house) == Call(
        "humidifier", "set_humidity", "humidifier.shop", {"humidity": 40}
    )
    assert load_grounding("de").asked_humidity("Stell den Entfeuchter im Keller auf 50 Prozent", house) == Call(
        "humidifier", "set_humidity", "humidifier.keller", {"humidity": 50}
    )
    assert load_grounding("en").asked_humidity("shop lights to 40%", house) is None  # no humidity word


SHOP = make_house(
    Device("switch.air_compressor", "Air Compressor", "on", area="Workshop"),
    Device("switch.shop_lights", "Shop Lights", "on", area="Workshop"),
    Device("humidifier.meaco", "Dehumidifier", "off", area="Bedroom"),
    Device("light.kitchen_cans", "Kitchen Cans", "off", area="Kitchen"),
    Device("todo.restock", "Restock List", "3", attributes={"supported_features": 1}),
)


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        # A part that only says why is left out; the others are read.
        (
            "I'm done in the shop, kill the compressor and the shop lights",
            [Call("switch", "turn_off", "switch.air_compressor"), Call("switch", "turn_off", "switch.shop_lights")],
        ),
        (
            "dehumidifier on, I've got washing drying in the bedroom",
            [Call("humidifier", "turn_on", "humidifier.meaco")],
        ),
        # A name is no remark, though its words are a room's ("cans" is a filler word): both go off.
        (
            "kitchen cans, and the compressor off",
            [Call("light", "turn_off", "light.kitchen_cans"), Call("switch", "turn_off", "switch.air_compressor")],
        ),
        # "them" is said before: only the model can say what to add.
        ("we're almost out of paper towels, add them to the restock list", None),
        # A wish with a direction is a request.
        (
            "I want the shop lights off, and the compressor off",
            [Call("switch", "turn_off", "switch.shop_lights"), Call("switch", "turn_off", "switch.air_compressor")],
        ),
    ],
)
def test_a_remark_is_left_out_of_a_reading(text: str, calls: list[Call] | None) -> None:
    assert _words_read("en", SHOP, text) == calls


@pytest.mark.parametrize(
    ("text", "language", "service"),
    [
        ("arm the security system, we're heading into town", "en", "alarm_arm_away"),
        ("arm the alarm in home mode", "en", "alarm_arm_home"),
        ("Wir fahren weg, Alarmanlage scharf schalten", "de", "alarm_arm_away"),
        ("arm the alarm", "en", None),  # how is not said: the model's, or a question
        ("don't arm the alarm, we're home", "en", None),
        ("disarm the alarm, we're home", "en", None),  # never read: disarming is the policy's to allow
        ("arm the alarm, we're off to bed", "en", None),  # away or night: not guessed
    ],
)
def test_arming_the_alarm_is_read_when_the_words_say_how(text: str, language: str, service: str | None) -> None:
    house = make_house(
        Device("alarm_control_panel.hub", "Ajax Hub", "disarmed", attributes={"supported_features": 63}),
        Device("light.porch", "Porch Light", "off"),
    )
    read = load_grounding(language).asked_arming(text, house)
    assert read == (None if service is None else Call("alarm_control_panel", service, "alarm_control_panel.hub"))


def test_a_word_that_fits_two_kinds_of_device_asks() -> None:
    villa = make_house(
        Device("water_heater.pool_heat_pump", "Pool Heat Pump", "heat_pump"),
        Device("valve.garden_irrigation", "Garden Irrigation", "closed", attributes={"device_class": "water"}),
        Device("climate.salon", "Salón Daikin", "off"),
    )

    def held(text: str) -> list[str]:
        call = Call("water_heater", "turn_on", "water_heater.pool_heat_pump")
        return [hold.reason for hold in hold_ungrounded([Verdict(call, True)], villa, text)[1]]

    assert held("turn the water on") == ["'water' fits devices of several kinds"]  # the valve, or the heat pump
    assert held("turn the hot water on") == []  # only a water heater is hot water


def test_a_name_written_kind_then_room_is_read_when_said_kind_in_room() -> None:
    altbau = make_house(
        Device("climate.bad", "Heizkörper Bad", "heat", area="Bad", attributes={"supported_features": 401}),
        Device(
            "cover.kinderzimmer",
            "Rollladen Kinderzimmer",
            "open",
            area="Kinderzimmer",
            attributes={"supported_features": 15},
        ),
        Device("light.bad", "Spiegelschrank", "off", area="Bad"),
    )
    assert _words_read("de", altbau, "Heizkörper im Bad ausschalten") == [Call("climate", "turn_off", "climate.bad")]
    assert _words_read("de", altbau, "Rollladen im Kinderzimmer auf halb") == [
        Call("cover", "set_cover_position", "cover.kinderzimmer", {"position": 50})
    ]


def test_a_name_written_room_then_kind_is_read_alone_and_said_kind_in_room() -> None:
    """ "Licht Stube" is the light of that name, not every light of the Stube; "Mach das Licht in der
    Stube auf dreißig Prozent" is it too ("mach" only says "set"; Home Assistant reads no "mach … auf")."""
    bauernhof = make_house(
        Device("light.stube", "Licht Stube", "on", area="Stube", attributes={"supported_color_modes": ["brightness"]}),
        Device("light.herrgottswinkel", "Herrgottswinkel", "on", area="Stube"),
        Device("light.kuchl", "Kuchl Deckenlicht", "off", area="Kuchl"),
    )
    assert _words_read("de", bauernhof, "Licht Stube abdrehen") == [Call("light", "turn_off", "light.stube")]
    assert _words_read("de", bauernhof, "Mach das Licht in der Stube auf dreißig Prozent") == [
        Call("light", "turn_on", "light.stube", {"brightness": 76})
    ]
    assert _words_read("de", bauernhof, "Licht in der Stube auf ein Viertel") == [
        Call("light", "turn_on", "light.stube", {"brightness": 64})
    ]


def test_a_compound_kind_and_an_inflected_name_are_read_as_written() -> None:
    """ "Storen in der Stube" for the only …storen of the Stube; "den gemütlichen Abend" for the scene
    Gemütlicher Abend; two …storen there make "Storen in der Stube" either, so it is not read."""
    chalet = make_house(
        Device("cover.stube", "Lamellenstoren Stube", "open", area="Stube", attributes={"supported_features": 15}),
        Device("scene.abend", "Gemütlicher Abend", "unknown"),
        Device("light.stube", "Stubenlampe", "off", area="Stube"),
    )
    assert _words_read("de", chalet, "Lass die Storen in der Stube runter") == [
        Call("cover", "close_cover", "cover.stube")
    ]
    assert _words_read("de", chalet, "Starte den gemütlichen Abend") == [Call("scene", "turn_on", "scene.abend")]
    two = make_house(
        *chalet.devices,
        Device("cover.seite", "Seitenstoren Stube", "open", area="Stube", attributes={"supported_features": 15}),
    )
    assert _words_read("de", two, "Lass die Storen in der Stube runter") is None


def test_a_number_and_a_half_is_one_value_not_two_parts() -> None:
    """ "twenty one and a half" is 21.5, not "twenty one" and a half-bright light."""
    house = make_house(
        Device(
            "climate.office_trv",
            "Office TRV",
            "heat",
            area="Office",
            attributes={"supported_features": 401, "min_temp": 5, "max_temp": 30},
        ),
        Device("light.desk", "Desk Lamp", "off", area="Office", attributes={"supported_color_modes": ["brightness"]}),
    )
    assert _words_read("en", house, "office TRV twenty one and a half") == [
        Call("climate", "set_temperature", "climate.office_trv", {"temperature": 21.5})
    ]
    assert load_grounding("en").request_parts("office TRV twenty one and a half") == [
        "office TRV twenty one and a half"
    ]
    assert load_grounding("de").with_digits("Büro auf einundzwanzigeinhalb Grad") == "Büro auf 21.5 Grad"


def test_a_water_heater_is_set_by_home_assistants_temperature_sentences() -> None:
    house = make_house(
        Device(
            "water_heater.hot_tub", "Hot Tub", "electric", area="Deck", attributes={"min_temp": 80, "max_temp": 104}
        ),
        Device("water_heater.pool_heat_pump", "Pool Heat Pump", "heat_pump", area="Pool"),
        Device("light.pool", "Pool Lights", "off", area="Pool"),
    )
    assert _words_read("en", house, "set the hot tub to 102") == [
        Call("water_heater", "set_temperature", "water_heater.hot_tub", {"temperature": 102})
    ]
    assert _words_read("en", house, "heat the pool to 30") == [
        Call("water_heater", "set_temperature", "water_heater.pool_heat_pump", {"temperature": 30})
    ]


def test_a_room_said_before_the_objects_is_read_for_the_devices_of_that_room() -> None:
    house = make_house(
        Device("light.kinderzimmer_decke", "Deckenlampe", "on", area="Kinderzimmer"),
        Device("light.sternenhimmel", "Sternenhimmel", "off", area="Kinderzimmer"),
        Device("light.key_light", "Key Light", "on", area="Arbeitszimmer"),
    )
    assert _words_read("de", house, "Im Kinderzimmer die Deckenlampe aus und den Sternenhimmel an") == [
        Call("light", "turn_off", "light.kinderzimmer_decke"),
        Call("light", "turn_on", "light.sternenhimmel"),
    ]
    assert _words_read("de", house, "Mach im Kinderzimmer das Key Light aus") is None  # not in that room


def test_a_part_ending_in_too_takes_the_first_parts_ending() -> None:
    house = make_house(
        Device("switch.kaffeemaschine", "Kaffeemaschine", "off"),
        Device("light.unterbau", "Küche Unterbauleuchte", "off", aliases=("Arbeitsplattenlicht",)),
    )
    assert _words_read("de", house, "Mach die Kaffeemaschine an und das Arbeitsplattenlicht auch") == [
        Call("switch", "turn_on", "switch.kaffeemaschine"),
        Call("light", "turn_on", "light.unterbau"),
    ]


def _run_in(house: House, language: str, verdict: Verdict, text: str) -> tuple[list[Call], list[str]]:
    """The calls that run and the sentences said (a question held, a reason refused) when the model wrote
    `verdict` for `text` on `house`, with the call policy's check (values in range) as the conversation uses it."""
    grounding = load_grounding(language)

    def check(call: Call) -> Verdict:
        return check_call(call, house, phrases=grounding.phrases)

    keep, held = hold_ungrounded([check(verdict.call)], house, text, grounding=grounding, check=check)
    return [v.call for v in keep if v.allowed], [hold.sentence for hold in held] + [
        v.reason for v in keep if not v.allowed and v.reason
    ]


# Kinds several devices share: by compound ("Deckenlampe", "Schreibtischlampe"; "Flurlicht", "Küchenlicht"),
# by a name's word ("Bodenheizung").
WG = make_house(
    Device("light.lea", "Schreibtischlampe Lea", "off", area="Zimmer Lea"),
    Device("light.jonas", "Deckenlampe Jonas", "off", area="Zimmer Jonas"),
    Device("light.flur", "Flurlicht", "off", area="Flur"),
    Device("light.kueche", "Küchenlicht", "off", area="Küche"),
    Device("climate.bad", "Bodenheizung Bad", "heat", area="Bad", attributes={"supported_features": 1, "min_temp": 5, "max_temp": 30}),
    Device("climate.schlafzimmer", "Bodenheizung Schlafzimmer", "heat", area="Schlafzimmer", attributes={"supported_features": 1, "min_temp": 5, "max_temp": 30}),
)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        # "Lampe" ends two names' compounds; "mach" names nothing.
        ("Mach die Lampe an", _allowed("light", "turn_on", "light.lea")),
        ("Machen Sie mal das Licht aus", _allowed("light", "turn_off", "light.flur")),
        # "Bodenheizung" is the whole of what names two thermostats.
        ("Bodenheizung auf 20 Grad", _allowed("climate", "set_temperature", "climate.bad", temperature=20)),
    ],
)
def test_a_word_several_devices_share_asks_which_in_german(text: str, verdict: Verdict) -> None:
    ran, said = _run_in(WG, "de", verdict, text)
    assert ran == [] and len(said) == 1


def test_a_device_named_whole_runs_where_its_kind_is_shared() -> None:
    named = _allowed("light", "turn_on", "light.lea")
    assert _run_in(WG, "de", named, "Mach die Schreibtischlampe an") == ([named.call], [])


def test_a_value_said_is_the_value_set_or_asked_about() -> None:
    """A colour temperature said and written as a brightness, a temperature said and written as another:
    the said value runs where the device takes it, else the request is asked about (nothing runs)."""
    house = make_house(
        Device("light.sofa", "Sofa Lamp", "on", attributes={"supported_color_modes": ["color_temp"], "min_color_temp_kelvin": 2200, "max_color_temp_kelvin": 4000}),
        Device("climate.nest", "Nest Thermostat", "heat", attributes={"supported_features": 1, "min_temp": 50, "max_temp": 90}),
    )  # fmt: skip
    brightness = _allowed("light", "turn_on", "light.sofa", brightness=60)
    assert _run_in(house, "en", brightness, "sofa lamp to 2700 kelvin")[0] == [
        Call("light", "turn_on", "light.sofa", {"color_temp_kelvin": 2700})
    ]
    ran, said = _run_in(house, "en", brightness, "sofa lamp to 6000 kelvin")  # refused as the words read it
    assert ran == [] and "between 2200 and 4000, not 6000" in said[0]
    written = _allowed("climate", "set_temperature", "climate.nest", temperature=90)
    assert _run_in(house, "en", written, "set the heat to seventy-three")[0] == [
        Call("climate", "set_temperature", "climate.nest", {"temperature": 73.0})
    ]
    ran, said = _run_in(house, "en", written, "set the heat to 95")
    assert ran == [] and "95" in said[0]
    assert _run_in(house, "en", written, "set the heat to 90")[0] == [written.call]


def test_requests_said_the_way_people_say_them_are_read() -> None:
    """A remark before a colon or a dash, a closing "bitte", the formal "Machen Sie", a direction
    before the value, a spoken decimal, and "the heat" for the only thermostat (not the water heater)."""
    haus = make_house(
        Device("light.kueche", "Küchenlicht", "on", area="Küche"),
        Device("light.diele", "Dielenlicht", "on", area="Diele"),
        Device("lock.haustuer", "Haustür", "unlocked", area="Diele"),
        Device("climate.bad", "Heizung Bad", "heat", area="Bad", attributes={"supported_features": 1, "min_temp": 5, "max_temp": 30}),
        Device("cover.schlafzimmer", "Rollladen Schlafzimmer", "open", area="Schlafzimmer", attributes={"supported_features": 15}),
        Device("cover.wohnzimmer", "Rollladen Wohnzimmer", "open", area="Wohnzimmer", attributes={"supported_features": 15}),
    )  # fmt: skip
    assert _words_read(
        "de", haus, "Wir gehen schlafen: Küchenlicht aus – Dielenlicht aus und die Haustür abschließen"
    ) == [
        Call("light", "turn_off", "light.kueche"),
        Call("light", "turn_off", "light.diele"),
        Call("lock", "lock", "lock.haustuer"),
    ]
    assert _words_read("de", haus, "Bad auf 22 Grad bitte") == [
        Call("climate", "set_temperature", "climate.bad", {"temperature": 22.0})
    ]
    assert _words_read("de", haus, "Es wird dunkel, machen Sie bitte alle Rollläden runter") == [
        Call("cover", "close_cover", "cover.schlafzimmer"),
        Call("cover", "close_cover", "cover.wohnzimmer"),
    ]
    assert _words_read("de", haus, "Heizung Bad runter auf siebzehn") == [
        Call("climate", "set_temperature", "climate.bad", {"temperature": 17.0})
    ]
    assert _words_read("de", haus, "Stellen Sie das Bad auf einundzwanzig Komma fünf Grad") == [
        Call("climate", "set_temperature", "climate.bad", {"temperature": 21.5})
    ]
    farm = make_house(
        Device("climate.t6", "Honeywell T6", "heat", attributes={"supported_features": 1, "min_temp": 50, "max_temp": 90}),
        Device("water_heater.rheem", "Rheem Water Heater", "eco", attributes={"min_temp": 110, "max_temp": 140}),
    )  # fmt: skip
    for text, temperature in [("turn the heat down to 66", 66.0), ("set the heat to sixty eight point five", 68.5)]:
        assert _words_read("en", farm, text) == [
            Call("climate", "set_temperature", "climate.t6", {"temperature": temperature})
        ]


def test_a_player_or_fan_turned_on_for_a_setting_it_lacks_is_asked_about() -> None:
    """ "put ESPN on the Roku" (no such source), "Ventilator auf Turbo" (no such mode): turning it on is
    not what was asked; a plain "turn on the Roku please" runs."""
    house = make_house(
        Device("media_player.roku", "Roku", "off", attributes={"source_list": ["Hulu", "Netflix"]}),
        Device("fan.mehmet", "Ventilator Mehmet", "off", attributes={"preset_modes": ["normal", "nature"]}),
    )
    roku = _allowed("media_player", "turn_on", "media_player.roku")
    ran, said = _run_in(house, "en", roku, "put ESPN on the Roku")
    assert ran == [] and "ESPN" in said[0]
    assert _run_in(house, "en", roku, "turn on the Roku please") == ([roku.call], [])
    ran, said = _run_in(house, "de", _allowed("fan", "turn_on", "fan.mehmet"), "Ventilator Mehmet auf Turbo")
    assert ran == [] and "Turbo" in said[0]
    ran, said = _run_in(house, "de", roku, "Mach auf dem Roku Disney Plus an")  # the German word order
    assert ran == [] and "Disney Plus" in said[0]
    assert _run_in(house, "de", roku, "Mach den Roku an") == ([roku.call], [])
    plug = make_house(*house.devices, Device("switch.pc", "PC Steckdose", "off"))
    ran, said = _run_in(plug, "de", _allowed("switch", "turn_on", "switch.pc"), "Mach auf dem Roku Disney Plus an")
    assert ran == [] and "Disney Plus" in said[0]  # the model's call on another device, moved to the Roku: asked


def test_a_near_name_the_house_lacks_is_read_as_the_one_it_has() -> None:
    """ "the front room" for the Living Room; "Glotze" for the Fernseher; a word the house has is kept."""
    house = make_house(
        Device("cover.curtains", "Living Room Curtains", "open", area="Living Room", attributes={"supported_features": 15}),
        Device("media_player.tv", "Fernseher", "on", area="Wohnzimmer"),
    )  # fmt: skip
    assert _words_read("en", house, "close the curtains in the front room") == [
        Call("cover", "close_cover", "cover.curtains")
    ]
    assert _words_read("de", house, "Mach die Glotze aus") == [Call("media_player", "turn_off", "media_player.tv")]
    assert load_grounding("en")._with_near_names("turn on the living room lights", house) == (
        "turn on the living room lights"
    )


def test_a_colour_after_in_and_a_verb_in_a_name() -> None:
    """ "Stimmungslicht in Blau", "mach das Stimmungslicht blau" set the colour; "play" of a light named
    Hue Play is its name, not a verb no light can do."""
    house = make_house(
        Device("light.go", "Hue Go", "off", aliases=("Stimmungslicht",), attributes={"supported_color_modes": ["hs"]}),
        Device("light.play_left", "Hue Play Left", "off", attributes={"supported_color_modes": ["hs"]}),
    )
    for text in ("Stimmungslicht in Blau bitte", "mach das Stimmungslicht blau"):
        assert _words_read("de", house, text) == [Call("light", "turn_on", "light.go", {"color_name": "blue"})]
    assert (
        load_grounding("en").verb_misfit("light", "make the hue play left purple", house.device("light.play_left"))
        is None
    )
    assert load_grounding("en").verb_misfit("light", "play music on the hue play left") == "play"
    assert load_grounding("en")._as_colour_setting("the strip in blue") == "the strip to blue"  # "to", not "at"


def test_a_source_said_with_a_space_and_an_alarm_mode_said_after_to() -> None:
    """ "HDMI 2" is the source HDMI2; "Alarmanlage auf Teilschutz" arms it at home (no "scharf" said)."""
    house = make_house(
        Device("media_player.tv", "Fernseher", "on", attributes={"source_list": ["HDMI1", "HDMI2"]}),
        Device("alarm_control_panel.bosch", "Alarmanlage", "disarmed", attributes={"supported_features": 3}),
    )
    assert _words_read("de", house, "Fernseher auf HDMI 2") == [
        Call("media_player", "select_source", "media_player.tv", {"source": "HDMI2"})
    ]
    assert _words_read("de", house, "Alarmanlage auf Teilschutz, wir gehen schlafen") == [
        Call("alarm_control_panel", "alarm_arm_home", "alarm_control_panel.bosch")
    ]
    assert _words_read("de", house, "Alarmanlage auf aus") is None


def test_a_statement_before_a_colon_only_says_why() -> None:
    """ "kids are down: sound machine to rain and nursery lamp off": the first part is a statement."""
    house = make_house(
        Device("media_player.hatch", "Sound Machine", "on", attributes={"source_list": ["Rain", "Ocean"]}),
        Device("light.nursery", "Nursery Lamp", "on"),
    )
    assert _words_read("en", house, "kids are down: sound machine to rain and nursery lamp off") == [
        Call("media_player", "select_source", "media_player.hatch", {"source": "Rain"}),
        Call("light", "turn_off", "light.nursery"),
    ]
    assert load_grounding("en")._is_remark("kids are down", house)
    assert not load_grounding("en")._is_remark("nursery lamp off", house)


def test_a_room_and_kind_compound_no_device_is_named_is_read_as_room_and_kind() -> None:
    """ "Küchenlicht aus" where the kitchen's light is the Tradfri Küche; "das ganze Licht in der Stube" is
    every light there; a water heater turns off by Home Assistant's sentences."""
    wg = make_house(
        Device("light.kueche", "Tradfri Küche", "on", area="Küche"),
        Device("light.flur", "Flurlicht", "off", area="Flur"),
        Device("light.stube", "Licht Stube", "on", area="Stube"),
        Device("light.winkel", "Herrgottswinkel", "on", area="Stube"),
        Device("water_heater.boiler", "Boiler", "eco", attributes={"min_temp": 35, "max_temp": 60}),
    )
    assert _words_read("de", wg, "Küchenlicht aus und Flurlicht an") == [
        Call("light", "turn_off", "light.kueche"),
        Call("light", "turn_on", "light.flur"),
    ]
    assert _words_read("de", wg, "Mach das ganze Licht in der Stube aus") == [
        Call("light", "turn_off", "light.stube"),
        Call("light", "turn_off", "light.winkel"),
    ]
    assert _words_read("de", wg, "Boiler aus") == [Call("water_heater", "turn_off", "water_heater.boiler")]


def test_a_label_before_a_colon_is_left_out_and_a_sensor_shares_no_short_name() -> None:
    """ "bedtime for the kids: …" names what follows; "the PC" is the PC Plug though the PC Power Draw
    (a sensor, never switched) begins with the same word."""
    house = make_house(
        Device("light.emma", "Emma's Ceiling Light", "on"),
        Device("light.unicorn", "Unicorn Night Light", "off"),
        Device("switch.pc", "PC Plug", "on"),
        Device("sensor.pc_power", "PC Power Draw", "120"),
    )
    assert _words_read("en", house, "bedtime for the kids: turn off Emma's ceiling light and turn on the unicorn") == [
        Call("light", "turn_off", "light.emma"),
        Call("light", "turn_on", "light.unicorn"),
    ]
    assert _words_read("en", house, "turn off the PC") == [Call("switch", "turn_off", "switch.pc")]


def test_what_is_outside_is_read_for_the_outdoor_areas() -> None:
    """ "pause the music outside" on the Deck's only speaker; "the outdoor lights" in every outdoor area."""
    house = make_house(
        Device("media_player.deck", "Deck Speaker", "playing", area="Deck"),
        Device("media_player.lounge", "Lounge Speaker", "playing", area="Lounge"),
        Device("light.pool", "Pool Lights", "off", area="Pool"),
        Device("light.terrace", "Terrace Lanterns", "off", area="Terrace"),
        Device("light.lounge", "Lounge Lamp", "off", area="Lounge"),
    )
    assert _words_read("en", house, "pause the music outside") == [
        Call("media_player", "media_pause", "media_player.deck")
    ]
    assert _words_read("en", house, "turn on the outdoor lights") == [
        Call("light", "turn_on", "light.pool"),
        Call("light", "turn_on", "light.terrace"),
    ]
    assert _words_read("en", house, "turn on the outdoor light") is None  # one of two: which?


def test_a_plug_several_plugs_are_is_asked_about() -> None:
    """ "turn off the plug" with a PC Plug and a Sim Rig Plug: which one; "the PC plug" runs."""
    house = make_house(Device("switch.pc", "PC Plug", "on"), Device("switch.rig", "Sim Rig Plug", "on"))
    written = _allowed("switch", "turn_off", "switch.pc")
    ran, said = _run_in(house, "en", written, "turn off the plug")
    assert ran == [] and len(said) == 1
    assert _run_in(house, "en", written, "turn off the PC plug") == ([written.call], [])


def test_a_part_that_only_says_a_value_belongs_to_the_part_before() -> None:
    """ "Mach die Pendelleuchte warmweiss, so 2700 Kelvin", "…etwas dunkler, so auf vierzig Prozent": one
    request whose value the model left out, put in."""
    german = load_grounding("de")
    assert german.request_parts("Mach die Pendelleuchte warmweiss, so 2700 Kelvin") == [
        "Mach die Pendelleuchte warmweiss, so 2700 Kelvin"
    ]
    assert len(german.request_parts("Küchenlicht aus, Flurlicht an")) == 2
    house = make_house(
        Device("light.decke", "Deckenlampe Wohnzimmer", "on", area="Wohnzimmer", attributes={"supported_color_modes": ["brightness"]})
    )  # fmt: skip
    written = _allowed("light", "turn_on", "light.decke")
    assert _run_in(house, "de", written, "Die Deckenlampe im Wohnzimmer etwas dunkler, so auf vierzig Prozent") == (
        [Call("light", "turn_on", "light.decke", {"brightness": 102})],
        [],
    )


def test_a_word_for_a_light_after_its_whole_name_is_read_as_the_name() -> None:
    house = make_house(
        Device("light.0xbc33", "Kitchen Counter", "off", area="Kitchen", attributes={"supported_color_modes": ["brightness"]})
    )  # fmt: skip
    assert _words_read("en", house, "kitchen counter lights at three quarters") == [
        Call("light", "turn_on", "light.0xbc33", {"brightness": 191})
    ]


def test_a_german_noun_whose_ending_is_cut_is_no_plural_for_two_devices() -> None:
    """ "Storen hoch" with the Storen Schlafzimmer and Storen Stube: which (German plurals are listed, not
    guessed from a cut ending)."""
    house = make_house(
        Device("cover.schlafzimmer", "Storen Schlafzimmer", "closed", area="Schlafzimmer", attributes={"supported_features": 15}),
        Device("cover.stube", "Storen Stube", "closed", area="Stube", attributes={"supported_features": 15}),
    )  # fmt: skip
    ran, said = _run_in(house, "de", _allowed("cover", "open_cover", "cover.schlafzimmer"), "Storen hoch")
    assert ran == [] and len(said) == 1


def test_a_name_of_kind_and_owner_said_with_the_owner_first() -> None:
    house = make_house(Device("fan.mehmet", "Ventilator Mehmet", "off"), Device("fan.lea", "Ventilator Lea", "off"))
    assert _words_read("de", house, "Mach Mehmets Ventilator an") == [Call("fan", "turn_on", "fan.mehmet")]


def test_a_landmark_is_no_kind_and_a_list_is_read_with_its_article() -> None:
    """ "Hue Play hinterm Fernseher auf Grün": the TV says where the light is; "Trag Müll runterbringen in
    den Putzplan ein": Home Assistant's list sentences lack "den"."""
    house = make_house(
        Device("light.hue_play_tv", "Hue Play TV", "off", area="Wohnzimmer", attributes={"supported_color_modes": ["hs"]}),
        Device("media_player.tv", "Samsung TV", "on", area="Wohnzimmer"),
        Device("todo.putzplan", "Putzplan", "4", attributes={"supported_features": 1}),
    )  # fmt: skip
    written = _allowed("light", "turn_on", "light.hue_play_tv")
    assert _run_in(house, "de", written, "Hue Play hinterm Fernseher auf Grün") == (
        [Call("light", "turn_on", "light.hue_play_tv", {"color_name": "green"})],
        [],
    )
    assert _words_read("de", house, "Trag Müll runterbringen in den Putzplan ein") == [
        Call("todo", "add_item", "todo.putzplan", {"item": "Müll runterbringen"})
    ]


def test_a_fraction_then_a_direction_is_a_position() -> None:
    house = make_house(
        Device("cover.markise", "Markise", "closed", area="Wintergarten", attributes={"supported_features": 15, "device_class": "awning"})
    )  # fmt: skip
    assert _words_read("de", house, "Markise halb raus") == [
        Call("cover", "set_cover_position", "cover.markise", {"position": 50})
    ]


def test_a_relay_named_for_its_place_is_that_place_s_light() -> None:
    house = make_house(
        Device("switch.porch", "Front Porch", "on", area="Front Porch"), Device("switch.kettle", "Kettle", "off")
    )
    assert _words_read("en", house, "porch light off") == [Call("switch", "turn_off", "switch.porch")]
    assert _words_read("en", house, "kettle light off") is None  # a kettle is no light


def test_a_kind_said_alone_is_the_one_device_of_that_kind() -> None:
    """ "turn off the TV" with one TV and a speaker is the Great Room TV, also in a list ("the TV and the
    fan"); not where a player named for no kind may be the TV, nor "the lamp" with a ceiling light that may
    be one, nor "the light" with several lights."""
    house = make_house(
        Device("media_player.tv", "Great Room TV", "on", area="Great Room"),
        Device("media_player.deck", "Deck Speaker", "playing", area="Deck"),
        Device("fan.great_room", "Great Room Fan", "on", area="Great Room"),
        Device("light.bunk", "Bunk Room Light", "on", area="Bunk Room"),
        Device("light.ceiling", "Primary Bedroom Ceiling", "on", area="Primary Suite"),
        Device("light.sofa", "Sofa Lamp", "on", area="Great Room"),
    )
    tv_off = Call("media_player", "turn_off", "media_player.tv")
    assert _words_read("en", house, "turn off the TV") == [tv_off]
    assert _words_read("en", house, "turn off the TV and the great room fan") == [
        tv_off,
        Call("fan", "turn_off", "fan.great_room"),
    ]
    for text in ("turn off the lamp", "turn off the light"):
        assert _words_read("en", house, text) is None
    unnamed = make_house(Device("media_player.volumio", "Volumio", "playing"), *house.devices[2:])
    assert _words_read("en", unnamed, "turn on the tv") is None  # the Volumio may be no TV


def test_a_remark_after_the_request_leaves_it_one_part() -> None:
    """ "Stell die Stube auf 35 Grad, mir is saukalt" written as 30 (its maximum): the remark is no second
    request, so the number said is checked and 35 is past the range: asked, nothing set. A temperature in
    degrees written as a mode ("auf 5 Grad" as heat) is the temperature asked for."""
    house = make_house(
        Device("climate.stube", "Stube", "heat", area="Stube", attributes={"min_temp": 8, "max_temp": 30, "hvac_modes": ["heat", "off"], "supported_features": 385}),
    )  # fmt: skip
    thirty = _allowed("climate", "set_temperature", "climate.stube", temperature=30)
    assert _run_in(house, "de", thirty, "Stell die Stube auf 35 Grad, mir is saukalt")[0] == []
    heat = _allowed("climate", "set_hvac_mode", "climate.stube", hvac_mode="heat")
    assert _run_in(house, "de", heat, "Stell die Stube auf 5 Grad, nur Frostschutz")[0] == []
    assert _run_in(house, "de", heat, "Stell die Stube auf 15 Grad")[0] == [
        Call("climate", "set_temperature", "climate.stube", {"temperature": 15.0})
    ]


def test_water_is_no_light_and_a_compound_says_its_kind() -> None:
    """ "Mach das Wasser im Garten an" is no light of the garden; "Gartenbeleuchtung" is a light, not the
    garden's valve; "das Wasser" is still the garden's valve."""
    garden = make_house(
        Device("valve.rasen", "Rasen", "closed", area="Garten", attributes={"device_class": "water"}),
        Device("valve.hochbeet", "Bewässerung Gemüsegarten", "closed", area="Garten", attributes={"device_class": "water"}),
        Device("light.weg", "Wegbeleuchtung", "off", area="Garten"),
    )  # fmt: skip
    ran, _ = _run_in(garden, "de", _allowed("light", "turn_on", "light.weg"), "Mach das Wasser im Garten an")
    assert ran == []
    ran, _ = _run_in(garden, "de", _allowed("valve", "open_valve", "valve.hochbeet"), "Zünd die Gartenbeleuchtung an")
    assert ran == []
    assert load_grounding("de").head_kind("Zünd die Gartenbeleuchtung an") == "light"
    rasen = _allowed("valve", "open_valve", "valve.rasen")
    assert _run_in(garden, "de", rasen, "Mach das Wasser am Rasen an")[0] == [rasen.call]


def test_a_word_two_devices_share_is_asked_about() -> None:
    """An alias's words count among the short names ("Deckenlampe" of two lights: not read, asked about);
    "the Tasmota" may be a light or a plug; "the speaker volume" with two speakers; "das Licht" with
    several lights."""
    house = make_house(
        Device("light.decke", "Wohnzimmer Decke", "on", area="Wohnzimmer", aliases=("Deckenlampe Wohnzimmer",)),
        Device("light.jonas", "Deckenlampe Jonas", "on", area="Zimmer Jonas"),
        Device("light.tasmota", "Tasmota 4A2F1C", "on", area="Den"),
        Device("switch.tasmota_plug", "Tasmota Plug 2", "on", area="Garage"),
        Device("media_player.beam", "Sonos Beam", "on", aliases=("Living Room Speaker",), attributes={"supported_features": 4}),
        Device("media_player.mini", "Bedroom Speaker", "on", attributes={"supported_features": 4}),
    )  # fmt: skip
    assert _words_read("de", house, "Mach die Deckenlampe aus") is None
    for language, verdict, text in [
        ("de", _allowed("light", "turn_off", "light.jonas"), "Mach die Deckenlampe aus"),
        ("en", _allowed("light", "turn_off", "light.tasmota"), "turn off the Tasmota"),
        ("en", _allowed("media_player", "volume_set", "media_player.mini", volume_level=0.2), "set the speaker volume to 20"),
        ("de", _allowed("light", "turn_on", "light.jonas"), "Mach das Licht an"),
    ]:  # fmt: skip
        ran, said = _run_in(house, language, verdict, text)
        assert ran == [] and said, text
    assert "speaker" in _run_in(house, "en", _allowed("media_player", "volume_set", "media_player.mini", volume_level=0.2), "set the speaker volume to 20")[1][0]  # fmt: skip


def test_one_lamp_of_a_room_is_not_every_light_there() -> None:
    """ "turn off the living room lamp" with three lights there is not read (the model's pick is asked
    about); "the living room lights" and "the living room light" are every light there."""
    house = make_house(
        Device("light.play_1", "Hue Play Left", "on", area="Living Room"),
        Device("light.play_2", "Hue Play Right", "on", area="Living Room"),
        Device("light.go", "Hue Go", "on", area="Living Room"),
    )
    assert _words_read("en", house, "turn off the living room lamp") is None
    assert _words_read("de", house, "Mach die Lampe im Living Room aus") is None
    for text in ("turn off the living room lights", "turn off the living room light"):
        assert len(_words_read("en", house, text) or []) == 3, text


def test_several_items_said_are_added_one_by_one() -> None:
    """ "Setz Spüli und Klopapier auf die Einkaufsliste": two items, as Home Assistant's list keeps them."""
    house = make_house(Device("todo.einkauf", "Einkaufsliste", "0", attributes={"supported_features": 1}))
    assert _words_read("de", house, "Setz Spüli und Klopapier auf die Einkaufsliste") == [
        Call("todo", "add_item", "todo.einkauf", {"item": "Spüli"}),
        Call("todo", "add_item", "todo.einkauf", {"item": "Klopapier"}),
    ]
    assert _words_read("de", house, "Tu Kaffee, Butter und Eier auf die Einkaufsliste") == [
        Call("todo", "add_item", "todo.einkauf", {"item": item}) for item in ("Kaffee", "Butter", "Eier")
    ]  # Home Assistant's reading drops the commas; "tu" is "setz"


def test_a_verb_at_the_end_a_setting_noun_after_the_value_and_a_plus_said() -> None:
    """German puts the verb last ("… auf 60 Grad stellen", "Storen … herunterlassen", "Markise
    reinfahren", "Alle Lichter … löschen"), also after "Könnten Sie bitte"; "at half speed" sets half;
    "Disney Plus" is the source Disney+; "the telly" is the one TV beside a Sonos."""
    haus = make_house(
        Device("water_heater.boiler", "Boiler", "eco", attributes={"min_temp": 40, "max_temp": 70, "supported_features": 1}),
        Device("cover.storen", "Storen Küche", "open", area="Küche", attributes={"supported_features": 15}),
        Device("cover.markise", "Markise", "open", attributes={"device_class": "awning", "supported_features": 15}),
        Device("light.stehlampe", "Stehlampe Stube", "on", area="Stube"),
        Device("light.stubenlampe", "Stubenlampe", "on", area="Stube"),
    )  # fmt: skip
    for text, calls in [
        ("Könnten Sie bitte den Boiler auf 60 Grad stellen?", [Call("water_heater", "set_temperature", "water_heater.boiler", {"temperature": 60.0})]),
        ("Storen in der Küche herunterlassen", [Call("cover", "close_cover", "cover.storen")]),
        ("Markise reinfahren", [Call("cover", "close_cover", "cover.markise")]),
        ("Alle Lichter in der Stube löschen", [Call("light", "turn_off", "light.stehlampe"), Call("light", "turn_off", "light.stubenlampe")]),
    ]:  # fmt: skip
        assert _words_read("de", haus, text) == calls, text
    lounge = make_house(
        Device("fan.ceiling", "Bedroom Ceiling Fan", "on", area="Bedroom", attributes={"percentage": 33, "supported_features": 1}),
        Device("media_player.tv", "Lounge TV", "on", area="Lounge", attributes={"source_list": ["Netflix", "Disney+"], "supported_features": 2048 | 256}),
        Device("media_player.lounge", "Lounge", "playing", area="Lounge", aliases=("Lounge Sonos",)),
    )  # fmt: skip
    assert _words_read("en", lounge, "bedroom ceiling fan at half speed") == [
        Call("fan", "set_percentage", "fan.ceiling", {"percentage": 50})
    ]
    assert _words_read("en", lounge, "put Disney Plus on the lounge TV") == [
        Call("media_player", "select_source", "media_player.tv", {"source": "Disney+"})
    ]
    assert _words_read("en", lounge, "turn the telly off") == [Call("media_player", "turn_off", "media_player.tv")]


def test_both_in_a_room_and_the_house_temperature() -> None:
    """ "both the lamps in the bedroom" is the two lamps there (not three); "make it seventy-four in here"
    sets the one thermostat; "make it brighter in here" is no temperature."""
    house = make_house(
        Device("light.margaret", "Margaret's Lamp", "on", area="Bedroom"),
        Device("light.walter", "Walter's Lamp", "on", area="Bedroom"),
        Device("light.hall", "Hall Lamp", "on", area="Hall"),
        Device("light.kid_1", "Kid Lamp 1", "on", area="Kids"),
        Device("light.kid_2", "Kid Lamp 2", "on", area="Kids"),
        Device("light.kid_3", "Kid Lamp 3", "on", area="Kids"),
        Device("climate.t6", "Honeywell Home", "heat", attributes={"min_temp": 50, "max_temp": 90, "supported_features": 1}),
    )  # fmt: skip
    assert _words_read("en", house, "Turn off both the lamps in the bedroom") == [
        Call("light", "turn_off", "light.margaret"),
        Call("light", "turn_off", "light.walter"),
    ]
    assert _words_read("en", house, "Turn off both the lamps in the kids") is None  # three there
    assert _words_read("en", house, "make it seventy-four in here") == [
        Call("climate", "set_temperature", "climate.t6", {"temperature": 74.0})
    ]
    assert _words_read("en", house, "make it brighter in here") is None


def test_a_device_in_another_room_than_the_one_said_is_asked_about() -> None:
    """ "Mach die Deckenlampe im Kinderzimmer blau" is not the Deckenlampe Wohnzimmer (the model's pick);
    a device whose name says the room is still meant ("the kitchen speaker in the kitchen")."""
    house = make_house(
        Device("light.wohnzimmer", "Deckenlampe Wohnzimmer", "on", area="Wohnzimmer", attributes={"supported_color_modes": ["hs"]}),
        Device("light.kinder", "Kinderzimmer Decke", "on", area="Kinderzimmer", attributes={"supported_color_modes": ["brightness"]}),
        Device("media_player.kitchen", "Kitchen Speaker", "on", area="Dining"),
        Device("light.kitchen", "Kitchen Light", "on", area="Kitchen"),
    )  # fmt: skip
    blue = _allowed("light", "turn_on", "light.wohnzimmer", color_name="blue")
    assert _run_in(house, "de", blue, "Mach die Deckenlampe im Kinderzimmer blau")[0] == []
    assert _run_in(house, "de", blue, "Mach die Deckenlampe im Wohnzimmer blau")[0] == [blue.call]
    speaker = _allowed("media_player", "turn_off", "media_player.kitchen")
    assert _run_in(house, "en", speaker, "turn off the speaker in the kitchen")[0] == [speaker.call]
    hostile = make_house(*house.devices, Device("light.odd", "Odd", "on", area="(" * 5000))  # an area no one says
    assert _run_in(hostile, "de", blue, "Mach die Deckenlampe im Kinderzimmer blau")[0] == []


def test_more_german_word_orders() -> None:
    """ "Pendelleuchte abdrehen", "Stell im Wohnzimmer 22 Grad ein", "Küchenspots aus" (the Küche Spots),
    "Licht in der Diele bitte auf 20 Prozent" (Home Assistant's room sentence wants "Helligkeit")."""
    haus = make_house(
        Device("light.pendel", "Pendelleuchte", "on", area="Esszimmer"),
        Device("light.spots", "Küche Spots", "on", area="Küche"),
        Device("light.diele", "Diele", "on", area="Diele", attributes={"supported_color_modes": ["brightness"]}),
        Device("climate.wohnzimmer", "Wohnzimmer", "heat", area="Wohnzimmer", attributes={"min_temp": 5, "max_temp": 25, "supported_features": 1}),
    )  # fmt: skip
    for text, calls in [
        ("Pendelleuchte abdrehen", [Call("light", "turn_off", "light.pendel")]),
        ("Stell im Wohnzimmer 22 Grad ein", [Call("climate", "set_temperature", "climate.wohnzimmer", {"temperature": 22.0})]),
        ("Küchenspots aus", [Call("light", "turn_off", "light.spots")]),
        ("Licht in der Diele bitte auf 20 Prozent", [Call("light", "turn_on", "light.diele", {"brightness": 51})]),
    ]:  # fmt: skip
        assert _words_read("de", haus, text) == calls, text


def test_a_source_on_the_telly_a_mode_after_on_and_a_bare_humidity() -> None:
    """ "stick the telly on bbc iplayer" may act ("telly" is a near name of a TV); "put the
    aircon on dry" is the mode; "dehumidifier to 45" is its humidity (a number past 100 is not)."""
    house = make_house(
        Device("media_player.tv", "Lounge TV", "on", area="Lounge", attributes={"source_list": ["BBC iPlayer", "ITVX"], "supported_features": 2048}),
        Device("climate.daikin", "Main Bedroom Aircon", "cool", attributes={"hvac_modes": ["off", "cool", "dry"], "supported_features": 1}),
        Device("humidifier.basement", "Basement Dehumidifier", "on", attributes={"min_humidity": 30, "max_humidity": 80}),
    )  # fmt: skip
    assert _words_read("en", house, "stick the telly on bbc iplayer") == [
        Call("media_player", "select_source", "media_player.tv", {"source": "BBC iPlayer"})
    ]
    assert _words_read("en", house, "put the main bedroom aircon on dry") == [
        Call("climate", "set_hvac_mode", "climate.daikin", {"hvac_mode": "dry"})
    ]
    assert _words_read("en", house, "dehumidifier to 45") == [
        Call("humidifier", "set_humidity", "humidifier.basement", {"humidity": 45})
    ]
    assert _words_read("en", house, "dehumidifier to 450") is None


def test_a_step_runs_only_when_a_word_asks_for_one() -> None:
    """ "Spiel Radio Energy in der Stube" written as volume_up changes nothing; "Mach die Stube lauter" and
    "the living room is way too loud" step; a number said is a value ("Stube auf 40 Prozent": volume_set)."""
    house = make_house(
        Device("media_player.stube", "Stube", "playing", area="Stube", attributes={"source_list": ["Radio SRF 1"], "supported_features": 4 | 1024}),
    )  # fmt: skip
    up = _allowed("media_player", "volume_up", "media_player.stube")
    assert _run_in(house, "de", up, "Spiel Radio Energy in der Stube")[0] == []
    assert _run_in(house, "de", up, "Mach die Stube lauter")[0] == [up.call]
    assert _run_in(house, "de", up, "Stube auf 40 Prozent")[0] == [
        Call("media_player", "volume_set", "media_player.stube", {"volume_level": 0.4})
    ]
    down = _allowed("media_player", "volume_down", "media_player.stube")
    assert _run_in(house, "en", down, "the stube is way too loud")[0] == [down.call]


def test_a_chore_said_later_and_get_it_going_ask_for_action() -> None:
    """ "get the Deebot hoovering" (a vacuum's chore, not leading) and "get the exhaust fan going in the
    barn" ("going" is no setting) run as written."""
    house = make_house(
        Device("vacuum.deebot", "Deebot", "docked", attributes={"supported_features": 8192}),
        Device("fan.barn", "Barn Exhaust Fan", "off", area="Barn", attributes={"supported_features": 48}),
    )  # fmt: skip
    start = _allowed("vacuum", "start", "vacuum.deebot")
    assert _run_in(house, "en", start, "get the Deebot hoovering")[0] == [start.call]
    fan = _allowed("fan", "turn_on", "fan.barn")
    assert _run_in(house, "en", fan, "get the exhaust fan going in the barn")[0] == [fan.call]


def test_a_clause_saying_why_is_split_off_without_a_comma() -> None:
    """Speech has no commas: "switch the dehumidifier on it's damp in here" is a request and why; a clause
    tied to the request ("while I'm out", "to its dock") stays in it."""
    english = load_grounding("en")
    assert english.request_parts("switch the dehumidifier on it's damp in here") == [
        "switch the dehumidifier on",
        "it's damp in here",
    ]
    assert english.request_parts("run the roomba while I'm out") == ["run the roomba while I'm out"]
    assert english.request_parts("Shut the blinds and turn the sign off, thanks.") == [
        "Shut the blinds",
        "turn the sign off",
    ]  # "thanks" is no part of its own
    assert english.request_parts("send the Roborock back to its dock") == ["send the Roborock back to its dock"]
    house = make_house(
        Device("climate.hive", "Heating", "heat", area="Hallway", attributes={"hvac_modes": ["off", "heat"]}),
        Device("light.lounge", "Lounge Ceiling Light", "off", area="Lounge"),
    )
    off = _allowed("climate", "turn_off", "climate.hive")
    assert _run_in(house, "en", off, "turn the heating off please we're going out")[0] == [off.call]


def test_a_room_and_kind_two_rooms_share_is_no_short_name() -> None:
    """ "the bedroom light" with the Garden Bedroom Light and the Sea View Bedroom's lamps may be either: not
    read (the model's pick is then checked); with one bedroom it is that bedroom's light."""
    both = make_house(
        Device("light.garden_bedroom", "Garden Bedroom Light", "off", area="Garden Bedroom"),
        Device("light.sea_view_lamps", "Sea View Bedroom Lamps", "off", area="Sea View Bedroom"),
    )
    assert _words_read("en", both, "turn on the bedroom light") is None
    one = make_house(
        Device("light.garden_bedroom", "Garden Bedroom Light", "off", area="Garden Bedroom"),
        Device("light.kitchen", "Kitchen Lamps", "off", area="Kitchen"),
    )
    assert _words_read("en", one, "turn on the bedroom light") == [Call("light", "turn_on", "light.garden_bedroom")]


def test_a_kind_word_alone_asks_where_another_device_of_it_has_no_such_word() -> None:
    """ "turn on the fan" with the Haiku Fan and the Shop Exhaust (a fan too) asks; "turn up the sonos" with
    Sonos 1 and Sonos 2 asks ("Sonos" is no plural)."""
    house = make_house(
        Device("fan.gym", "Haiku Fan", "off", area="Gym", attributes={"supported_features": 1}),
        Device("fan.shop_exhaust", "Shop Exhaust", "off", area="Workshop", attributes={"supported_features": 1}),
        Device("media_player.sonos_1", "Sonos 1", "playing", area="Kitchen", attributes={"supported_features": 4}),
        Device("media_player.sonos_2", "Sonos 2", "playing", area="Patio", attributes={"supported_features": 4}),
    )
    fan = _allowed("fan", "turn_on", "fan.gym")
    assert _run_in(house, "en", fan, "turn on the fan")[0] == []
    assert _run_in(house, "en", fan, "turn on the haiku fan")[0] == [fan.call]
    louder = _allowed("media_player", "volume_up", "media_player.sonos_1")
    ran, said = _run_in(house, "en", louder, "turn up the sonos")
    assert ran == [] and "Sonos 2" in said[0]
    alone = make_house(Device("fan.gym", "Haiku Fan", "off", area="Gym", attributes={"supported_features": 1}))
    assert _run_in(alone, "en", fan, "turn on the fan")[0] == [fan.call]


@pytest.mark.parametrize(
    ("text", "language", "call"),
    [
        ("Kannst du in Behandlung eins das Licht ausmachen?", "de", Call("light", "turn_off", "light.behandlung_1")),
        ("Schalte das Licht in Behandlung 1 aus", "de", Call("light", "turn_off", "light.behandlung_1")),
        ("Im Vorzimmer das Licht nur halb hell", "de", Call("light", "turn_on", "light.vorzimmer", {"brightness": 128})),
        ("Das Radio in der Kuchl ein bisserl lauter", "de", Call("media_player", "volume_up", "media_player.kuchl")),
        ("Fahr die Markise Terrasse raus, die Sonne knallt", "de", Call("cover", "open_cover", "cover.markise")),
        ("Fahr die Markise Terrasse rein", "de", Call("cover", "close_cover", "cover.markise")),
        # no verb but the way an awning goes (four blind writers said it so); "die Hendln wollen raus" names no device
        ("Markise Terrasse rein", "de", Call("cover", "close_cover", "cover.markise")),
        ("Die Hendln wollen raus", "de", None),
        ("Halt mal die Musik in der Kuchl an", "de", Call("media_player", "media_pause", "media_player.kuchl")),  # "halt … an": a verb
        ("Rollo im Schlafzimmer aufziehen", "de", Call("cover", "open_cover", "cover.rollo")),
        ("Warmwasser auf sechzig Grad hochdrehen", "de", Call("water_heater", "set_temperature", "water_heater.boiler", {"temperature": 60.0})),
        ("Den Deebot losschicken, im Vorzimmer ist alles voller Brösel", "de", Call("vacuum", "start", "vacuum.deebot")),
        ("open the roof vent a quarter of the way", "en", Call("cover", "set_cover_position", "cover.vent", {"position": 25})),
        ("open the roof vent halfway", "en", Call("cover", "set_cover_position", "cover.vent", {"position": 50})),
        ("die Hälfte", "de", None),  # a fraction after nothing but an article: no call, no error
        ("Vorzimmer die Hälfte", "de", Call("light", "turn_on", "light.vorzimmer", {"brightness": 128})),
    ],
)  # fmt: skip
def test_names_places_fractions_and_verbs_as_people_say_them(text: str, language: str, call: Call | None) -> None:
    """A name said "<kind> in <place>" or with its number in words, a room before its light's brightness, a
    regional word, a verb at the end, a fraction said as how far: read as Home Assistant's sentences have them."""
    house = make_house(
        Device("light.behandlung_1", "Licht Behandlung 1", "on", area="Behandlungsraum 1"),
        Device("light.behandlung_2", "Licht Behandlung 2", "on", area="Behandlungsraum 2"),
        Device("light.vorzimmer", "Vorzimmer", "off", area="Vorzimmer", attributes={"supported_color_modes": ["brightness"]}),
        Device("vacuum.deebot", "Deebot", "docked", area="Vorzimmer", attributes={"supported_features": 8192}),
        Device("media_player.kuchl", "Radio Kuchl", "playing", area="Kuchl", attributes={"supported_features": 4 | 1024}),
        Device("cover.markise", "Markise Terrasse", "closed", area="Terrasse", attributes={"device_class": "awning", "supported_features": 3}),
        Device("cover.rollo", "Rollo Schlafzimmer", "closed", area="Schlafzimmer", attributes={"supported_features": 3}),
        Device("cover.vent", "Roof Vent", "closed", area="Greenhouse", attributes={"supported_features": 7}),
        Device("water_heater.boiler", "Warmwasserspeicher", "eco", aliases=("Warmwasser",), attributes={"min_temp": 40, "max_temp": 70, "supported_features": 1}),
    )  # fmt: skip
    assert _words_read(language, house, text) == ([call] if call else None)


SMALLHOLDING = make_house(
    Device("valve.polytunnel", "Polytunnel Drip Line", "closed", area="Polytunnel", attributes={"device_class": "water"}),
    Device("valve.veg_beds", "Raised Beds Sprinkler", "closed", area="Veg Garden", attributes={"device_class": "water"}),
    Device("switch.yard_flood", "Yard Flood", "off", area="Yard"),
    Device("light.grow", "Grow Lights", "on", area="Greenhouse"),
    Device("switch.plug_3", "Plug 3", "off", area="Living Room", aliases=("Christmas Tree",)),
    Device("humidifier.mister", "Misting System", "off", area="Greenhouse", attributes={"min_humidity": 30, "max_humidity": 95}),
    Device("fan.stall", "Stalllüfter", "on", area="Stall", attributes={"preset_modes": ["Tag", "Nacht"], "supported_features": 9}),
    Device("alarm_control_panel.praxis", "Alarmanlage Praxis", "disarmed", attributes={"supported_features": 3}),
    Device("fan.standventilator", "Standventilator", "off", area="Behandlungsraum 2", attributes={"supported_features": 1}),
    Device("light.behandlung_2", "Licht Behandlung 2", "on", area="Behandlungsraum 2"),
)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "language", "calls"),
    [
        ("water the tomatoes in the polytunnel", "en", [Call("valve", "open_valve", "valve.polytunnel")]),
        ("water the tomatoes", "en", None),  # no place: which valve is a guess
        ("water the raised beds and the polytunnel", "en", [Call("valve", "open_valve", "valve.veg_beds"), Call("valve", "open_valve", "valve.polytunnel")]),
        ("yard light on", "en", [Call("switch", "turn_on", "switch.yard_flood")]),  # a flood is a light
        ("plug in the christmas tree", "en", [Call("switch", "turn_on", "switch.plug_3")]),
        ("set the misting system to eighty percent humidity", "en", [Call("humidifier", "set_humidity", "humidifier.mister", {"humidity": 80})]),
        ("Den Stalllüfter auf Nachtbetrieb stellen", "de", [Call("fan", "set_preset_mode", "fan.stall", {"preset_mode": "Nacht"})]),
        ("Mach die Alarmanlage scharf, wir gehen jetzt alle", "de", [Call("alarm_control_panel", "alarm_arm_away", "alarm_control_panel.praxis")]),
        ("In Behandlung 2 ist es stickig, mach den Standventilator an", "de", [Call("fan", "turn_on", "fan.standventilator")]),
    ],
)  # fmt: skip
def test_purposes_places_and_values_of_the_fifth_round_are_read(
    text: str, language: str, calls: list[Call] | None
) -> None:
    """What grows where a valve waters, a room alone after "and", a floodlight, "plug in", a value's noun after
    it, a preset said as a compound, how the house is left, a room said in the remark before the request."""
    assert _words_read(language, SMALLHOLDING, text) == calls


def test_a_toggle_written_for_a_way_said_moves_to_the_device_named() -> None:
    """ "switch the lights over the worktop on" written as a toggle of another light: the way said, on the
    light the words name."""
    house = make_house(
        Device("light.lounge", "Lounge Ceiling Light", "off", area="Lounge"),
        Device("light.worktop", "Kitchen Worktop Lights", "off", area="Kitchen"),
    )
    toggle = _allowed("light", "toggle", "light.lounge")
    assert _run_in(house, "en", toggle, "switch the lights over the worktop on")[0] == [
        Call("light", "turn_on", "light.worktop")
    ]


def test_a_remark_a_request_points_back_at_is_kept() -> None:
    """ "Mir ist kalt im Wintergarten, machen Sie da bitte die Heizung an": "da" is the Wintergarten the remark
    names; "die Markise" with one awning and two Rollos is the awning (a Rollo is no awning)."""
    house = make_house(
        Device("climate.wohnzimmer", "Heizkörper Wohnzimmer", "heat", area="Wohnzimmer"),
        Device("climate.wintergarten", "Wintergarten", "off", area="Wintergarten"),
        Device("cover.markise", "Balkonmarkise", "closed", area="Balkon", attributes={"supported_features": 3}),
        Device("cover.rollo", "Rollo Schlafzimmer", "open", area="Schlafzimmer", attributes={"supported_features": 3}),
    )
    heat = _allowed("climate", "turn_on", "climate.wintergarten")
    assert _run_in(house, "de", heat, "Mir ist kalt im Wintergarten, machen Sie da bitte die Heizung an")[0] == [
        heat.call
    ]
    awning = _allowed("cover", "open_cover", "cover.markise")
    assert _run_in(house, "de", awning, "Könnten Sie bitte die Markise ausfahren?")[0] == [awning.call]
    deck = make_house(
        Device("cover.deck_awning", "Deck Awning", "closed", attributes={"supported_features": 3}),
        Device("cover.garage", "Garage", "closed", attributes={"device_class": "garage", "supported_features": 3}),
    )
    out = _allowed("cover", "open_cover", "cover.deck_awning")
    assert _run_in(deck, "en", out, "roll out the awning")[0] == [out.call]  # a garage door is no awning


BACKSTUBE = make_house(
    Device("cover.hoftor", "Hoftor", "open", area="Hof", attributes={"supported_features": 3}),
    Device("cover.rollgitter", "Rollgitter", "closed", area="Laden", attributes={"device_class": "gate", "supported_features": 11}),
    Device("light.zimmer_1", "Zimmer 1 Licht", "off", area="Zimmer 1"),
    Device("light.zimmer_2", "Zimmer 2 Licht", "off", area="Zimmer 2"),
    Device("fan.dunstabzug", "Dunstabzug Backstube", "off", area="Backstube", attributes={"supported_features": 1}),
    Device("switch.vorheizen", "Backofen Vorheizen", "off", area="Backstube", aliases=("Ofen",)),
    Device("lock.niedergang", "Niedergang", "locked"),
    Device("media_player.roam", "Sonos Roam", "playing", area="Salon", attributes={"supported_features": 1 | 4}),
    Device("todo.rewe", "REWE", "5", attributes={"supported_features": 1}),
    Device("todo.wg", "WG Einkaufsliste", "7", aliases=("Einkaufsliste",), attributes={"supported_features": 1}),
)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "call"),
    [
        ("Mach dat Hoftor zu", Call("cover", "close_cover", "cover.hoftor")),  # Ruhrgebiet
        ("Mach in Zimmer eins 's Licht an", Call("light", "turn_on", "light.zimmer_1")),
        ("Schalt's Licht in Zimmer 2 ein", Call("light", "turn_on", "light.zimmer_2")),  # the verb's "'s"
        ("Abzug an", Call("fan", "turn_on", "fan.dunstabzug")),  # the end of its compound
        ("Ofen vorheizen", Call("switch", "turn_on", "switch.vorheizen")),
        ("Schreib Milch auf den REWE-Zettel", Call("todo", "add_item", "todo.rewe", {"item": "Milch"})),
        ("Pack Klopapier auf die Einkaufsliste", Call("todo", "add_item", "todo.wg", {"item": "Klopapier"})),
    ],
)  # fmt: skip
def test_dialect_and_everyday_german_verbs_are_read(text: str, call: Call) -> None:
    """Regional words ("dat", "'s"), verbs for switching on ("vorheizen") and adding ("pack … auf"), a list
    called a "Zettel": read as Home Assistant's sentences have them."""
    assert _words_read("de", BACKSTUBE, text) == [call]


@pytest.mark.parametrize(
    ("text", "written", "runs"),
    [
        ("Schließ den Niedergang auf", Call("lock", "lock", "lock.niedergang"), False),  # aufschließen: unlock
        ("Rollgitter hoch, die ersten Kunden sind da", Call("cover", "stop_cover", "cover.rollgitter"), False),
        ("Halt das Rollgitter an", Call("cover", "stop_cover", "cover.rollgitter"), True),
        ("Mach ma Pause mit der Mucke", Call("media_player", "media_pause", "media_player.roam"), True),
    ],
)  # fmt: skip
def test_a_call_against_the_german_verb_is_held(text: str, written: Call, runs: bool) -> None:
    """A separable verb read whole ("schließ … auf" unlocks), a stop where the words ask to move: held."""
    ran, said = _run_in(BACKSTUBE, "de", Verdict(written, True), text)
    assert (ran == [written]) is runs and (not said) is runs


def test_the_value_of_one_part_is_the_value_of_the_device_it_names() -> None:
    """A request and a remark after a comma: the value said in the part that names the device is its value
    (set where the model left it out, held where the device cannot take it)."""
    cabin = make_house(
        Device("light.lese", "Leselampe Kajüte", "off", attributes={"supported_color_modes": ["brightness"]}),
        Device("light.desk", "Schreibtischlampe", "on", attributes={"supported_color_modes": ["color_temp"], "min_color_temp_kelvin": 2200, "max_color_temp_kelvin": 4000}),
    )  # fmt: skip
    plain = _allowed("light", "turn_on", "light.lese")
    assert _run_in(cabin, "de", plain, "Leselampe auf 20 Prozent, ich bin so müde") == (
        [Call("light", "turn_on", "light.lese", {"brightness": 51})],
        [],
    )
    ran, said = _run_in(
        cabin,
        "de",
        _allowed("light", "turn_on", "light.desk"),
        "Schreibtischlampe auf 6500 Kelvin, so richtig Tageslicht",
    )
    assert ran == [] and "6500" in said[0]


BARN = make_house(
    Device("switch.bedroom_1_baseboard", "Bedroom 1 Baseboard", "on", area="Bedroom 1"),
    Device("switch.bedroom_2_baseboard", "Bedroom 2 Baseboard", "off", area="Bedroom 2"),
    Device("light.bedroom_1", "Bedroom 1 Lamp", "off", area="Bedroom 1"),
    Device("light.wiz", "WiZ RGBW Tunable A1B2C3", "off", aliases=("Ceiling bulb",), attributes={"supported_color_modes": ["color_temp", "hs"], "min_color_temp_kelvin": 2200, "max_color_temp_kelvin": 6500}),
    Device("cover.blind_1", "Threshing Floor Blind 1", "open", attributes={"device_class": "blind", "supported_features": 15}),
    Device("cover.blind_2", "Threshing Floor Blind 2", "open", attributes={"device_class": "blind", "supported_features": 15}),
    Device("todo.canadian_tire", "Canadian Tire", "2", attributes={"supported_features": 1}),
)  # fmt: skip


def test_kinds_numbers_and_items_as_people_say_them() -> None:
    """A baseboard is a heater, four digits after "to" on a light are kelvin, a number right after the noun
    names ("blind 2"), and a list item is kept without its article."""
    heater = _allowed("switch", "turn_off", "switch.bedroom_1_baseboard")
    assert _run_in(BARN, "en", heater, "turn off the heater in bedroom one") == ([heater.call], [])
    assert _words_read("en", BARN, "ceiling bulb to 2700") == [
        Call("light", "turn_on", "light.wiz", {"color_temp_kelvin": 2700})
    ]
    assert _words_read("en", BARN, "ceiling bulb to 20") == [Call("light", "turn_on", "light.wiz", {"brightness": 51})]
    stop = _allowed("cover", "stop_cover", "cover.blind_2")
    assert _run_in(BARN, "en", stop, "stop blind 2!") == ([stop.call], [])
    assert _run_in(BARN, "en", stop, "stop the blind")[0] == []  # which one
    assert _words_read("en", BARN, "add a propane refill to the canadian tire list") == [
        Call("todo", "add_item", "todo.canadian_tire", {"item": "propane refill"})
    ]


def test_a_volume_step_moves_to_the_player_named_and_about_halfway_is_a_position() -> None:
    """ "A touch louder on the arc" written on another player runs on the Arc (the step is the way the words
    say); the other way is asked about. "About halfway" is 50 %, the "about" only how sure."""
    den = make_house(
        Device("media_player.arc", "Sonos Arc", "playing", area="Living Room", attributes={"supported_features": 4 | 1024}),
        Device("media_player.samsung", "Samsung", "on", area="Den", attributes={"supported_features": 4 | 1024}),
        Device("cover.awning", "Awning", "closed", attributes={"device_class": "awning", "supported_features": 7}),
    )  # fmt: skip
    up = _allowed("media_player", "volume_up", "media_player.samsung")
    assert _run_in(den, "en", up, "a touch louder on the arc please")[0] == [
        Call("media_player", "volume_up", "media_player.arc")
    ]
    down = _allowed("media_player", "volume_down", "media_player.samsung")
    assert _run_in(den, "en", down, "a touch louder on the arc please")[0] == []
    assert _words_read("en", den, "open the awning about halfway") == [
        Call("cover", "set_cover_position", "cover.awning", {"position": 50})
    ]


def test_a_name_said_whole_wins_over_its_room_and_ein_is_no_number() -> None:
    """ "Ladenbeleuchtung an" reads as the Laden's lights and as the Ladenbeleuchtung: the one named whole.
    "ein" after a name is the verb's particle, not a brightness of 1 %; "wieder" only colours."""
    laden = make_house(
        Device("light.ladenbeleuchtung", "Ladenbeleuchtung", "off", area="Laden", attributes={"supported_color_modes": ["brightness"]}),
        Device("light.vitrine", "Vitrine LED", "off", area="Laden", attributes={"supported_color_modes": ["brightness"]}),
        Device("cover.klappe", "Taubenschlag Ausflugklappe", "open", aliases=("Taubenklappe",), attributes={"supported_features": 3}),
    )  # fmt: skip
    on = [Call("light", "turn_on", "light.ladenbeleuchtung")]
    assert _words_read("de", laden, "Ladenbeleuchtung an") == on
    assert _words_read("de", laden, "Schalte die Ladenbeleuchtung ein") == on
    assert _words_read("de", laden, "Ladenbeleuchtung ein") is None  # was a brightness of 1 %: left to the model
    assert _words_read("de", laden, "Könnten Sie bitte die Taubenklappe wieder schließen") == [
        Call("cover", "close_cover", "cover.klappe")
    ]


def test_a_lock_call_against_the_words_asks_about_locking() -> None:
    """A lock written the other way from the words is asked about as locking, not as switching or closing."""
    ran, said = _run_in(BACKSTUBE, "de", _allowed("lock", "lock", "lock.niedergang"), "Schließ den Niedergang auf")
    assert ran == [] and said == [
        "Soll ich Niedergang abschließen? Das habe ich nicht gehört, daher habe ich es nicht getan."
    ]


def test_two_rooms_joined_by_and_are_each_read() -> None:
    """ "Heizung in Zimmer 1 und Zimmer 2 auf 17 Grad": the request read for each room; both run where each
    reads the same service, else the model reads it."""
    pension = make_house(
        Device("climate.z1", "Zimmer 1 Thermostat", "heat", area="Zimmer 1", attributes={"supported_features": 1, "min_temp": 5, "max_temp": 30}),
        Device("climate.z2", "Zimmer 2 Thermostat", "heat", area="Zimmer 2", attributes={"supported_features": 1, "min_temp": 5, "max_temp": 30}),
        Device("light.z1", "Zimmer 1 Licht", "off", area="Zimmer 1"),
        Device("lock.z2", "Zimmer 2 Tür", "locked", area="Zimmer 2"),
    )  # fmt: skip
    assert _words_read("de", pension, "Heizung in Zimmer 1 und Zimmer 2 runter auf 17 Grad, die sind abgereist") == [
        Call("climate", "set_temperature", "climate.z1", {"temperature": 17.0}),
        Call("climate", "set_temperature", "climate.z2", {"temperature": 17.0}),
    ]
    assert _words_read("de", pension, "Stell im Zimmer 1 und im Zimmer 2 die Heizung auf 20 Grad") == [
        Call("climate", "set_temperature", "climate.z1", {"temperature": 20.0}),
        Call("climate", "set_temperature", "climate.z2", {"temperature": 20.0}),
    ]
    assert _words_read("de", pension, "Mach in Zimmer 1 und Zimmer 2 das Licht an") is None  # no light in Zimmer 2


def test_a_number_no_name_has_after_the_noun_is_asked_about() -> None:
    """ "lamp 3 on" where only Lamp 1 and Lamp 2 exist: the model's Lamp 1 is asked about, not run."""
    lamps = make_house(Device("light.lamp_1", "Lamp 1", "off"), Device("light.lamp_2", "Lamp 2", "off"))
    assert _run_in(lamps, "en", _allowed("light", "turn_on", "light.lamp_1"), "lamp 3 on")[0] == []
    assert _run_in(lamps, "en", _allowed("light", "turn_on", "light.lamp_2"), "lamp 2 on")[0] == [
        Call("light", "turn_on", "light.lamp_2")
    ]


def test_a_request_with_a_closing_remark_is_read_without_it() -> None:
    """ "…, ist schon wieder alle" only closes the request: the request before it is read as if said alone."""
    assert _words_read("de", BACKSTUBE, "Pack Klopapier auf die Einkaufsliste, ist schon wieder alle") == [
        Call("todo", "add_item", "todo.wg", {"item": "Klopapier"})
    ]


def test_two_rooms_whose_lights_are_a_light_and_a_relay_are_both_read() -> None:
    """ "the kitchen and dining room lights": the kitchen's light is a relay, the dining room's a dimmer."""
    home = make_house(
        Device("switch.kitchen", "Kitchen Lights", "off", area="Kitchen"),
        Device("light.dining", "Dining Room Dimmer", "off", area="Dining Room"),
        Device("light.barn", "Barn Floodlights", "off", area="Barn"),
    )
    assert _words_read("en", home, "turn on the kitchen and dining room lights") == [
        Call("switch", "turn_on", "switch.kitchen"),
        Call("light", "turn_on", "light.dining"),
    ]


def test_a_name_said_whole_is_grounded_whatever_the_other_words() -> None:
    """Chatter after the name ("we've got the grandkids", "before the client arrives") names no device:
    a name of two or more words said whole grounds the call, unless a longer name holding it is said too."""
    farm = make_house(
        Device("water_heater.wh", "Water Heater", "gas", area="Basement", attributes={"min_temp": 90, "max_temp": 140, "temperature": 120, "supported_features": 1}),
        Device("climate.house", "Honeywell Thermostat", "heat", attributes={"min_temp": 50, "max_temp": 90}),
        Device("cover.shades", "Conference Room Shades", "open", area="Conference Room"),
        Device("scene.meeting", "Client Meeting", "unknown", area="Conference Room"),
        Device("light.strip", "Kitchen Light Strip", "off"),
        Device("light.kitchen", "Kitchen Light", "off"),
    )  # fmt: skip
    heat = _allowed("water_heater", "set_temperature", "water_heater.wh", temperature=130)
    said = "bump the water heater up to 130, we've got the grandkids this weekend"
    assert _run_in(farm, "en", heat, said)[0] == [heat.call]
    shades = _allowed("cover", "close_cover", "cover.shades")
    said = "Could you close the conference room shades before the client arrives?"
    assert _run_in(farm, "en", shades, said)[0] == [shades.call]
    # "kitchen light strip": the Kitchen Light's name is said whole, but inside the strip's longer one, so
    # the model's Kitchen Light is not grounded: the call moves to the strip the words name
    assert _run_in(farm, "en", _allowed("light", "turn_on", "light.kitchen"), "kitchen light strip on")[0] == [
        Call("light", "turn_on", "light.strip")
    ]


def test_the_services_own_words_name_no_device() -> None:
    """ "Set the alarm for the night": "night" is alarm_arm_night's, not the Hallway Night Light's."""
    home = make_house(
        Device("alarm_control_panel.house", "House Alarm", "armed_home", area="Hall"),
        Device("light.night", "Hallway Night Light", "off", area="Hallway"),
    )
    arm = _allowed("alarm_control_panel", "alarm_arm_night", "alarm_control_panel.house")
    assert _run_in(home, "en", arm, "Set the alarm for the night")[0] == [arm.call]
    assert _run_in(home, "en", _allowed("light", "turn_on", "light.night"), "Set the alarm for the night")[0] == []


def test_a_call_moved_to_the_device_named_takes_the_value_said() -> None:
    """The model's set_temperature on the other AC with its own number, moved to the one named: the number
    said, or asked about where that AC does not take it (it ran with the model's 84 before)."""
    acs = {"hvac_modes": ["off", "cool"], "min_temp": 60, "max_temp": 86, "temperature": 72, "supported_features": 1}
    rental = make_house(
        Device("climate.living", "Living Room AC", "cool", area="Living Room", attributes=acs),
        Device("climate.master", "Bedroom AC", "cool", area="Master Bedroom", attributes=acs),
    )
    written = _allowed("climate", "set_temperature", "climate.living", temperature=84)
    assert _run_in(rental, "en", written, "set the bedroom AC to 55, we like very cold")[0] == []
    assert _run_in(rental, "en", written, "set the bedroom AC to 70")[0] == [
        Call("climate", "set_temperature", "climate.master", {"temperature": 70.0})
    ]


def test_a_kind_and_a_step_word_among_several_is_asked_about() -> None:
    """ "fan faster please" with two fans running: which one (the model's pick ran before)."""
    fans = {"percentage": 50, "percentage_step": 25, "supported_features": 1}
    rental = make_house(
        Device("fan.living", "Living Room Ceiling Fan", "on", area="Living Room", attributes=fans),
        Device("fan.master", "Master Bedroom Fan", "on", area="Master Bedroom", attributes=fans),
    )
    faster = _allowed("fan", "increase_speed", "fan.living")
    assert _run_in(rental, "en", faster, "fan faster please")[0] == []
    assert _run_in(rental, "en", faster, "living room fan faster please")[0] == [faster.call]


def test_a_spelled_number_is_a_number_said() -> None:
    """ "radio volume to forty percent" written as volume_up: the value said, not "asks for no step"; a
    temperature spelled out is one said ("Heizung auf zweiundzwanzig")."""
    radio = make_house(
        Device(
            "media_player.radio", "Kitchen Radio", "playing", attributes={"volume_level": 0.2, "supported_features": 4}
        )
    )
    louder = _allowed("media_player", "volume_up", "media_player.radio")
    assert _run_in(radio, "en", louder, "radio volume to forty percent")[0] == [
        Call("media_player", "volume_set", "media_player.radio", {"volume_level": 0.4})
    ]
    grounding = load_grounding("de")
    assert grounding.says_number("Heizung auf zweiundzwanzig") and not grounding.says_number("Heizung an")


def test_full_brightness_is_one_hundred_percent() -> None:
    """ "workbench light full", "right up to full brightness please": the model's plain turn_on gets 100 %."""
    bench = make_house(
        Device(
            "light.bench",
            "Workbench Light",
            "on",
            attributes={"brightness": 128, "supported_color_modes": ["brightness"]},
        )
    )
    plain = _allowed("light", "turn_on", "light.bench")
    for said in ("workbench light full", "Workbench light right up to full brightness please"):
        assert _run_in(bench, "en", plain, said)[0] == [Call("light", "turn_on", "light.bench", {"brightness": 255})]
    assert load_grounding("en").with_digits("open the blinds halfway please") == "open the blinds to 50 percent"


def test_a_player_switched_for_a_volume_step_takes_the_step() -> None:
    """ "Opas Radio bissle leiser" written as turn_on (it ran before): volume_down; "on, a bit louder" stays on."""
    radio = make_house(
        Device("media_player.opa", "Opas Radio", "playing", attributes={"volume_level": 0.5, "supported_features": 4}),
        Device(
            "media_player.stall", "Stallradio", "playing", attributes={"volume_level": 0.5, "supported_features": 4}
        ),
    )
    written = _allowed("media_player", "turn_on", "media_player.opa")
    assert _run_in(radio, "de", written, "Opas Radio bissle leiser")[0] == [
        Call("media_player", "volume_down", "media_player.opa")
    ]
    assert _run_in(radio, "de", written, "Mach Opas Radio an")[0] == [written.call]


def test_a_names_own_way_word_asks_for_nothing() -> None:
    """ "Schalt 'Praxis geöffnet' aus, wir machen zu" written as turn_on (it ran): turned off; the name's
    "geöffnet" is no "open". "Badlüfter an, hab grad geduscht" written as turn_off: on ("an" ends its part)."""
    praxis = make_house(
        Device("input_boolean.offen", "Praxis geöffnet", "on"),
        Device("switch.luefter", "Badlüfter", "off", area="Bad"),
    )
    opened = _allowed("input_boolean", "turn_on", "input_boolean.offen")
    assert _run_in(praxis, "de", opened, "Schalt 'Praxis geöffnet' aus, wir machen zu")[0] == [
        Call("input_boolean", "turn_off", "input_boolean.offen")
    ]
    off = _allowed("switch", "turn_off", "switch.luefter")
    assert _run_in(praxis, "de", off, "Badlüfter an, hab grad geduscht")[0] == [
        Call("switch", "turn_on", "switch.luefter")
    ]


def test_degrees_set_on_a_device_without_a_temperature_are_asked_about() -> None:
    """ "Behandlung 1 auf 24 Grad heizen" written as the room's light on (it ran): asked; the thermostat runs.
    "it's 30 degrees in here, fan on" sets no degrees: the fan runs."""
    room = make_house(
        Device("light.b1", "Behandlung 1 Licht", "off", attributes={"supported_color_modes": ["color_temp"]}),
        Device("climate.b1", "Heizung Behandlung 1", "heat", attributes={"min_temp": 5, "max_temp": 30, "temperature": 20, "supported_features": 1}),
        Device("fan.desk", "Desk Fan", "off"),
    )  # fmt: skip
    light = _allowed("light", "turn_on", "light.b1")
    assert _run_in(room, "de", light, "Behandlung 1 auf 24 Grad heizen")[0] == []
    heat = _allowed("climate", "set_temperature", "climate.b1", temperature=24)
    assert _run_in(room, "de", heat, "Behandlung 1 auf 24 Grad heizen")[0] == [heat.call]
    fan = _allowed("fan", "turn_on", "fan.desk")
    assert _run_in(room, "en", fan, "it's 30 degrees in here, desk fan on")[0] == [fan.call]


def test_darker_on_an_on_off_bulb_is_asked_about() -> None:
    """ "Mach das Terrassenlicht ein bisschen dunkler" written as turn_on (it ran): an on/off bulb has no
    brightness; "make the porch light brighter" alike."""
    porch = make_house(Device("light.t", "Terrassenlicht", "off", attributes={"supported_color_modes": ["onoff"]}))
    on = _allowed("light", "turn_on", "light.t")
    assert _run_in(porch, "de", on, "Mach das Terrassenlicht ein bisschen dunkler")[0] == []
    assert _run_in(porch, "en", on, "make the terrassenlicht brighter")[0] == []
    assert _run_in(porch, "de", on, "Mach das Terrassenlicht an")[0] == [on.call]


def test_southern_elisions_and_dialect_ways_are_read() -> None:
    """ "Stell d'Heizung auf 22 Grad", "Rollladen im Wohnzimmer nunter", "Deebot soll ma durchsaugen"."""
    german = load_grounding("de")
    assert german.as_written("Stell d'Heizung auf 22 Grad") == "Stell die Heizung auf 22 Grad"
    assert german.as_written("Mach in Zimmer eins 's Licht an") == "Mach in Zimmer eins das Licht an"
    farm = make_house(
        Device("climate.vito", "Heizung", "heat", attributes={"min_temp": 5, "max_temp": 30, "temperature": 20, "supported_features": 1}),
        Device("cover.wz", "Rollladen Wohnzimmer", "open", area="Wohnzimmer", attributes={"supported_features": 15}),
        Device("vacuum.deebot", "Deebot", "docked"),
    )  # fmt: skip
    assert _words_read("de", farm, "Stell d'Heizung auf 22 Grad") == [
        Call("climate", "set_temperature", "climate.vito", {"temperature": 22.0})
    ]
    assert _words_read("de", farm, "Rollladen im Wohnzimmer nunter") == [Call("cover", "close_cover", "cover.wz")]
    start = _allowed("vacuum", "start", "vacuum.deebot")
    assert _run_in(farm, "de", start, "Deebot soll ma durchsaugen")[0] == [start.call]


def test_an_awning_out_and_in_and_a_door_locked_with_the_verb_last() -> None:
    """ "Markise raus, die Sonne knallt", "Markise rein", "Haustür zuschließen"."""
    terrace = make_house(
        Device("cover.markise", "Markise Terrasse", "closed", attributes={"device_class": "awning", "supported_features": 15}),
        Device("lock.haustuer", "Haustür", "unlocked"),
    )  # fmt: skip
    assert _words_read("de", terrace, "Markise raus, die Sonne knallt") == [
        Call("cover", "open_cover", "cover.markise")
    ]
    assert _words_read("de", terrace, "Markise rein") == [Call("cover", "close_cover", "cover.markise")]
    assert _words_read("de", terrace, "Haustür zuschließen") == [Call("lock", "lock", "lock.haustuer")]


def test_a_hostile_name_is_left_out_as_text_only() -> None:
    """Untrusted names in without_name: regex characters are literal, a name past MAX_NAME is not used."""
    tricky = Device("switch.x", "(.*)+ [a-z]{9999}", "off")
    assert Grounding.without_name("turn (.*)+ [a-z]{9999} off", tricky).split() == ["turn", "off"]
    huge = Device("switch.y", "geöffnet " * 5000, "off")
    text = "Schalt das geöffnet aus"
    assert Grounding.without_name(text, huge) == text
