"""Fuzzing the parser and the policy with arbitrary and mutated model replies, and the corpus.

The loop is seeded, so a failure replays. Every call the policy accepts is checked against an
oracle written here, independently of arguments.py and policy.py: the house's own entity ids,
a hand-written table of services and argument bounds, and the sensitive actions. An accepted
call the oracle does not allow is an escape; there must be none. The Home Assistant test then
checks that only accepted calls reach Home Assistant's service bus.
"""

from __future__ import annotations

import math
import random
import re
import time
import unicodedata

import pytest
from homeassistant.const import EVENT_CALL_SERVICE
from homeassistant.core import Context, Event, HomeAssistant

from custom_components.home_llm import policy
from custom_components.home_llm.actions import async_run_calls
from custom_components.home_llm.arguments import SERVICE_SLOTS
from custom_components.home_llm.const import ALLOWED_SERVICES
from custom_components.home_llm.house import async_build_house
from custom_components.home_llm.parser import ALL_FORMATS, LINES, Call, parse_reply
from custom_components.home_llm.policy import check_calls
from custom_components.home_llm.snapshot import House

from .adversarial import ARG_HOUSE, load_corpus

FUZZ_CASES = 100_000
SEED = 20_260_427

# --- the oracle: what may ever run in ARG_HOUSE, written out by hand -------------------------
_BYTE = ("int", 0, 255)
_ORACLE_SERVICES: dict[str, dict[str, dict[str, tuple]]] = {
    # entity id -> service -> argument -> allowed values
    "light.kitchen": {
        "turn_on": {"brightness": _BYTE, "rgb_color": ("rgb",), "color_name": ("name",),
                    "color_temp_kelvin": ("int", 2000, 6535)},
        "turn_off": {}, "toggle": {},
    },
    "light.porch": {"turn_on": {}, "turn_off": {}, "toggle": {}},
    "climate.heatpump": {
        "turn_on": {}, "turn_off": {},
        "set_temperature": {"temperature": ("float", 7, 35), "hvac_mode": ("one", "heat", "off")},
        "set_hvac_mode": {"hvac_mode": ("one", "heat", "off")},
    },
    "climate.ecobee": {
        "turn_on": {}, "turn_off": {},
        "set_temperature": {"target_temp_low": ("float", 7, 35), "target_temp_high": ("float", 7, 35),
                            "hvac_mode": ("one", "off", "cool", "heat_cool", "auto")},
        "set_hvac_mode": {"hvac_mode": ("one", "off", "cool", "heat_cool", "auto")},
        "set_fan_mode": {"fan_mode": ("one", "on_low", "auto_low")},
        "set_preset_mode": {"preset_mode": ("one", "home", "eco", "away")},
    },
    "fan.ceiling": {"turn_on": {}, "turn_off": {}, "toggle": {}, "set_percentage": {"percentage": ("int", 0, 100)},
                    "increase_speed": {"percentage_step": ("int", 1, 100)},
                    "decrease_speed": {"percentage_step": ("int", 1, 100)}},
    "fan.bedroom": {"turn_on": {}, "turn_off": {}, "toggle": {}, "set_preset_mode": {"preset_mode": ("one", "auto", "sleep")}},
    "cover.hall_window": {"open_cover": {}, "close_cover": {}, "stop_cover": {}, "toggle": {},
                          "set_cover_position": {"position": ("int", 0, 100)}},
    "cover.garage_door": {"close_cover": {}, "stop_cover": {}, "set_cover_position": {"position": ("int", 0, 0)}},
    "lock.front_door": {"lock": {}},
    "alarm_control_panel.home": {"alarm_arm_home": {}, "alarm_arm_away": {}, "alarm_arm_night": {}},
    "media_player.bedroom": {
        **{s: {} for s in ("turn_on", "turn_off", "media_play", "media_pause", "media_stop", "media_next_track",
                           "media_previous_track", "volume_up", "volume_down")},
        "volume_set": {"volume_level": ("float", 0, 1)},
    },
    "humidifier.bedroom": {"turn_on": {}, "turn_off": {}, "toggle": {}, "set_humidity": {"humidity": ("int", 30, 80)}},
    "water_heater.tank": {"turn_on": {}, "turn_off": {}, "set_temperature": {"temperature": ("float", 43.3, 60)}},
    "todo.shopping": {"add_item": {"item": ("text",)}},
    "timer.tea": {"start": {"duration": ("duration",)}, "pause": {}, "cancel": {}, "finish": {}},
    "switch.ac": {"turn_on": {}, "turn_off": {}, "toggle": {}},
}  # fmt: skip


def _value_ok(rule: tuple, value: object) -> bool:
    kind = rule[0]
    if kind == "int":
        return type(value) is int and rule[1] <= value <= rule[2]
    if kind == "float":
        return type(value) is float and math.isfinite(value) and rule[1] <= value <= rule[2]
    if kind == "one":
        return value in rule[1:]
    if kind == "rgb":
        return type(value) is tuple and len(value) == 3 and all(type(v) is int and 0 <= v <= 255 for v in value)
    if kind == "name":
        return isinstance(value, str) and value.isalpha() and value.islower()
    if kind == "text":
        return (isinstance(value, str) and 0 < len(value) <= 100 and value == value.strip()
                and not any(unicodedata.category(c) == "Cc" for c in value))  # fmt: skip
    if kind == "duration":
        match = re.fullmatch(r"(\d+):([0-5]\d):([0-5]\d)", value) if isinstance(value, str) else None
        return match is not None and int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3]) <= 24 * 3600
    return False


def oracle_allows(call: Call) -> bool:
    """Whether the call may run in ARG_HOUSE (sensitive actions off), by the hand-written table."""
    services = _ORACLE_SERVICES.get(call.entity_id)
    if services is None or call.entity_id.split(".")[0] != call.domain or call.service not in services:
        return False
    rules = services[call.service]
    return all(key in rules and _value_ok(rules[key], value) for key, value in call.arguments.items())


# --- seeds and mutations ----------------------------------------------------------------------
_SAMPLES: dict[str, list[object]] = {
    "brightness": [128, 0.5, "50%", 255, 0], "rgb_color": [(255, 0, 0), "(0,128,255)"], "color_name": ["red", "blue"],
    "color_temp_kelvin": [2700, 6500], "temperature": [21, 22.5, 50, 45], "target_temp_low": [19], "target_temp_high": [24],
    "hvac_mode": ["heat", "cool", "off"], "fan_mode": ["on_low", "auto_low", "low"], "preset_mode": ["eco", "sleep", "auto"],
    "humidity": [45, 55], "percentage": [50, 33], "position": [30, 0, 100], "volume_level": [0.4, "40%"],
    "item": ["milk", "oat milk"], "duration": ["0:05:00", "0:10"],
    "percentage_step": [25, 10], "is_volume_muted": [True, "true", "maybe"], "source": ["dvd", "netflix"],
}  # fmt: skip
_ENTITY_POOL = [d.entity_id for d in ARG_HOUSE.devices] + [
    "lock.back_door",
    "light.k\u0456tchen",
    "all",
    "light.kitchen\u200b",
    "LIGHT.KITCHEN",
    "light.*",
    "area.kitchen",
    "light.kitchen,lock.front_door",
    "",
]
_SERVICE_POOL = [f"{d}.{s}" for d, services in ARG_HOUSE.services.items() for s in services] + [
    "homeassistant.restart",
    "shell_command.run",
    "python_script.exec",
    "lock.unlock",
    "lock.open",
    "alarm_control_panel.alarm_disarm",
    "cover.open_cover",
    "light.set_level",
    "hassio.host_shutdown",
    "HassTurnOff",
]
_NUMBER_POOL = ["-1", "256", "1e999", "-1e999", "nan", "inf", "9" * 30, "0.5", "50%", "-50%", "1e-9", "-0.0", "1_000",
                "0x10", "7", "35.5", "True", "None", "[]", "()", "(1,2)", "''"]  # fmt: skip
_KEY_POOL = ["brightness", "entity_id", "area_id", "device_id", "target", "temperature", "item", "position", "rgb_color",
             "hvac_mode", "volume_level", "name", "service", "percentage", "duration", "color_name"]  # fmt: skip
_CHARS = [
    *"()[]{}\"',=.:_ \n\r\t-+%#`<>/\\0123456789abcdeflnorstuv",
    "\u0456",
    "\u043e",
    "\uff4c",
    "\u200b",
    "\u2028",
    "\x00",
    "\x85",
    "é",
    "🙂",
]
_SNIPPETS = ["```", "```homeassistant\n", "<tool_call>", "</tool_call>", "<think>", "</think>", "\n", "{", "}",
             '"service": ', '"arguments": ', '"entity_id": "lock.front_door"', ", brightness=300", "lock.unlock("]  # fmt: skip


def _render(rng: random.Random, service: str, entity_id: str, arguments: dict[str, object]) -> str:
    """One call in one of the formats the model family writes."""
    style = rng.randrange(4)
    if style == 0:
        shown = "".join(f", {k}={v!r}" if isinstance(v, str) and rng.random() < 0.5 else f", {k}={v}"
                        for k, v in arguments.items())  # fmt: skip
        return f"{service}({entity_id}{shown})"
    if style == 1:
        items = "".join(f', "{k}": {_json(v)}' for k, v in arguments.items())
        return f'{{"service": "{service}", "target_device": "{entity_id}"{items}}}'
    items = "".join(f', "{k}": {_json(v)}' for k, v in arguments.items())
    body = f'{{"name": "{service}", "arguments": {{"entity_id": "{entity_id}"{items}}}}}'
    return f"<tool_call>{body}</tool_call>" if style == 2 else f"```homeassistant\n{service}({entity_id})\n```"


def _json(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return f'"{value}"' if isinstance(value, str) else str(value)


def _seed(rng: random.Random, house: House) -> str:
    """A plausible reply: speech and one to three calls, with arguments drawn from the samples."""
    lines = [rng.choice(["Sure.", "Turning it on for you now.", "Done!", ""])]
    for _ in range(rng.randint(1, 3)):
        device = rng.choice(house.devices)
        services = house.services_for(device.domain) or ("turn_on",)
        service = rng.choice(services)
        arguments: dict[str, object] = {}
        for slot in SERVICE_SLOTS.get((device.domain, service), ()):
            if slot.required or rng.random() < 0.6:
                for name in rng.choice(slot.choices):
                    arguments[name] = rng.choice(_SAMPLES[name])
        lines.append(_render(rng, f"{device.domain}.{service}", device.entity_id, arguments))
    return "\n".join(lines)


def _mutate(rng: random.Random, text: str, seeds: list[str]) -> str:
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(9)
        position = rng.randint(0, len(text))
        if kind == 0 and text:
            text = text[:position] + text[position + 1 :]
        elif kind == 1:
            text = text[:position] + rng.choice(_CHARS) + text[position:]
        elif kind == 2:
            text = text[:position] + rng.choice(_SNIPPETS) + text[position:]
        elif kind == 3:
            text = re.sub(r"-?\d+(\.\d+)?%?", lambda _m: rng.choice(_NUMBER_POOL), text, count=rng.randint(1, 3))
        elif kind == 4:
            text = re.sub(r"[a-z_]+\.[a-z0-9_]+(?=\))|(?<=\")[a-z_]+\.[a-z0-9_]+(?=\")",
                          lambda _m: rng.choice(_ENTITY_POOL), text, count=1)  # fmt: skip
        elif kind == 5:
            text = re.sub(r"^[a-z_]+\.[a-z_]+(?=\()|(?<=\"service\": \")[^\"]+|(?<=\"name\": \")[^\"]+",
                          lambda _m: rng.choice(_SERVICE_POOL), text, count=1, flags=re.MULTILINE)  # fmt: skip
        elif kind == 6:
            text = re.sub(r"[a-z_]+(?==)|(?<=, \")[a-z_]+(?=\":)", lambda _m: rng.choice(_KEY_POOL), text, count=1)
        elif kind == 7:
            other = rng.choice(seeds)
            text = text[:position] + other[rng.randint(0, len(other)) :]
        else:
            lines = text.split("\n")
            rng.shuffle(lines)
            text = "\n".join(lines + lines[: rng.randint(0, 2)])
    return text


def _arbitrary(rng: random.Random) -> str:
    return "".join(rng.choice(_CHARS + _SNIPPETS) for _ in range(rng.randint(0, 80)))


def fuzz_cases(count: int, house: House, seed: int = SEED):
    rng = random.Random(seed)
    seeds = [_seed(rng, house) for _ in range(300)] + [
        case["reply"] for case in load_corpus() if len(case["reply"]) < 2000
    ]
    for index in range(count):
        if index % 10 == 0:
            yield _arbitrary(rng)
        elif index % 10 == 1:
            yield rng.choice(seeds)
        else:
            yield _mutate(rng, rng.choice(seeds), seeds)


# --- the tests ------------------------------------------------------------------------------
def test_fuzz_parser_and_policy(capsys: pytest.CaptureFixture[str]) -> None:
    """100,000 arbitrary and mutated replies: the parser never raises, no accepted call escapes."""
    started = time.perf_counter()
    figures = {"cases": 0, "calls": 0, "accepted": 0, "refused": 0, "escapes": 0}
    escapes: list[tuple[str, Call]] = []
    for text in fuzz_cases(FUZZ_CASES, ARG_HOUSE):
        figures["cases"] += 1
        formats = ALL_FORMATS if figures["cases"] % 4 else frozenset({LINES})
        reply = parse_reply(text, formats)
        assert isinstance(reply.speech, str)
        for verdict in check_calls(reply.calls, ARG_HOUSE):
            figures["calls"] += 1
            if not verdict.allowed:
                figures["refused"] += 1
                assert verdict.reason
            elif oracle_allows(verdict.call):
                figures["accepted"] += 1
            else:
                figures["escapes"] += 1
                escapes.append((text, verdict.call))
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nfuzz: {figures} in {seconds:.1f} s")
    assert escapes == []
    assert figures["cases"] == FUZZ_CASES
    # The mutations must reach the policy both ways, or the fuzz proves nothing.
    assert figures["accepted"] > FUZZ_CASES // 20
    assert figures["refused"] > FUZZ_CASES // 5


def _escapes(count: int) -> int:
    escapes = 0
    for text in fuzz_cases(count, ARG_HOUSE):
        verdicts = check_calls(parse_reply(text).calls, ARG_HOUSE)
        escapes += sum(v.allowed and not oracle_allows(v.call) for v in verdicts)
    return escapes


def test_the_fuzz_catches_a_broken_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the argument checks switched off, the same loop finds escapes: it can fail."""
    monkeypatch.setattr(policy, "check_arguments", lambda _domain, _service, _device, arguments: dict(arguments))
    assert _escapes(5000) > 0
    monkeypatch.undo()
    assert _escapes(5000) == 0
    monkeypatch.setattr(policy, "is_sensitive", lambda _call, _house: False)
    assert _escapes(5000) > 0


def test_oracle_is_not_trivial() -> None:
    assert oracle_allows(Call("light", "turn_on", "light.kitchen", {"brightness": 128}))
    assert not oracle_allows(Call("light", "turn_on", "light.kitchen", {"brightness": 256}))
    assert not oracle_allows(Call("lock", "unlock", "lock.front_door"))
    assert not oracle_allows(Call("cover", "set_cover_position", "cover.garage_door", {"position": 5}))
    assert not oracle_allows(Call("light", "turn_on", "lock.front_door"))


@pytest.mark.parametrize("case", load_corpus(), ids=lambda case: case["name"])
def test_adversarial_corpus(case: dict) -> None:
    """Each reply of the corpus: exactly the listed calls are accepted, the others refused with a reason."""
    reply = parse_reply(case["reply"])
    verdicts = check_calls(reply.calls, ARG_HOUSE)
    accepted = sorted(
        [f"{v.call.service_name}", v.call.entity_id, _plain(v.call.arguments)] for v in verdicts if v.allowed
    )
    assert accepted == sorted(case["accepted"])
    refused = [v for v in verdicts if not v.allowed]
    assert len(refused) == case["refused"]
    assert all(v.reason for v in refused)
    assert all(oracle_allows(v.call) for v in verdicts if v.allowed)


def _plain(arguments: dict[str, object]) -> dict[str, object]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in arguments.items()}


async def test_only_accepted_calls_reach_home_assistant(
    demo_house: HomeAssistant, capsys: pytest.CaptureFixture[str]
) -> None:
    """Mutated replies on the real demo house: every service call on the bus is one the policy accepted."""
    hass = demo_house
    # Demo vacuums dock on a 30 s timer that would outlive the test: leave them out of the allowlist.
    house = async_build_house(hass, {d: s for d, s in ALLOWED_SERVICES.items() if d != "vacuum"})
    context = Context()
    reached: list[tuple[str, str, str]] = []

    def record(event: Event) -> None:
        if event.context.id == context.id:
            data = event.data["service_data"]
            reached.append((event.data["domain"], event.data["service"], data.get("entity_id")))

    unsubscribe = hass.bus.async_listen(EVENT_CALL_SERVICE, record)
    counts = {"cases": 0, "accepted": 0, "refused": 0, "done": 0}
    try:
        for text in fuzz_cases(1500, house, seed=SEED + 1):
            counts["cases"] += 1
            reached.clear()
            verdicts = check_calls(parse_reply(text).calls, house)
            outcomes = await async_run_calls(hass, verdicts, house, context)
            await hass.async_block_till_done()
            accepted = {(v.call.domain, v.call.service, v.call.entity_id) for v in verdicts if v.allowed}
            assert set(reached) <= accepted, text
            counts["accepted"] += len(accepted)
            counts["refused"] += sum(not v.allowed for v in verdicts)
            counts["done"] += sum(o.status == "done" for o in outcomes)
    finally:
        unsubscribe()
        # Demo covers move on a timer; stop them so that none is left running.
        for service in ("stop_cover", "stop_cover_tilt"):
            await hass.services.async_call("cover", service, {"entity_id": "all"}, blocking=True)
    with capsys.disabled():
        print(f"\nfuzz on the demo house: {counts}")
    assert counts["done"] > 100 and counts["refused"] > 100, counts
