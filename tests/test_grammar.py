"""The call grammar: free speech, but call lines only for exposed devices and allowed services."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.home_llm.arguments import SERVICE_SLOTS
from custom_components.home_llm.grammar import build_grammar, int_range
from custom_components.home_llm.parser import LINES, parse_reply
from custom_components.home_llm.policy import check_calls
from custom_components.home_llm.snapshot import Device

from .adversarial import ARG_HOUSE
from .gbnf import accepts, gbnf_to_regex
from .houses import CARD_HOUSE, MIXED_HOUSE, make_house
from .test_new_services import SERVICE_HOUSE

GRAMMAR = build_grammar(CARD_HOUSE)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "turning on the kitchen lights for you now\nlight.turn_on(light.kitchen)",
        "light.turn_off(light.office)\nfan.toggle(fan.office)",
        "\n\nOk\n\nlight.turn_on(light.office)",
        "If Mary is 7 years old, then you are 10 years old (7+3=10).",
        "Die Küche ist jetzt hell! 100 %\nZweite Zeile.\n\nlight.turn_on(light.office)",
        "(a parenthesis at the start) is fine.",
    ],
)
def test_accepts(text: str) -> None:
    assert accepts(GRAMMAR, text)


@pytest.mark.parametrize(
    "text",
    [
        "light.turn_on(lock.front_door)",  # not a light, not exposed
        "fan.turn_on(light.kitchen)",  # wrong domain
        "light.dim(light.kitchen)",  # not an allowed service
        "ok\nlight.turn_on(light.kitchen) ",  # a call line with trailing blanks
        "homeassistant.restart(light.kitchen)",
        "Sure.\nlight.turn_on(lock.front_door) ok",  # a later line starting like a call must be one
        "Sure (7+3=10)",  # speech ending with ")": the model must finish it differently
        "light.turn_on(light.office)\nand some speech after the calls",
        "\n".join(["light.toggle(light.office)"] * 11),  # more calls than one turn may make
    ],
)
def test_rejects(text: str) -> None:
    assert not accepts(GRAMMAR, text)


def test_names_are_valid_gbnf_rule_names() -> None:
    grammar = build_grammar(MIXED_HOUSE)
    for line in grammar.splitlines():
        name = line.split("::=")[0].strip()
        assert name and all(c.isalnum() or c == "-" for c in name), name


def test_empty_house_allows_speech_only() -> None:
    grammar = build_grammar(make_house())
    assert accepts(grammar, "There is nothing to control.")
    assert not accepts(grammar, "light.turn_on(light.kitchen)")


def test_llama_cpp_compiles_the_grammar() -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    for house in (CARD_HOUSE, MIXED_HOUSE, ARG_HOUSE, SERVICE_HOUSE, make_house()):
        assert llama_cpp.LlamaGrammar.from_string(build_grammar(house), verbose=False) is not None


def admitted_text(grammar: str) -> st.SearchStrategy[str]:
    """Whole replies the grammar admits, and (so that calls are not rare) its call lines alone."""
    whole = st.from_regex(gbnf_to_regex(grammar), fullmatch=True)
    if "calls ::=" not in grammar:
        return whole
    return st.one_of(whole, st.from_regex(gbnf_to_regex(grammar, start="calls"), fullmatch=True))


_ENTITY_IDS = st.from_regex(r"(light|switch|fan|cover|lock|media_player)\.[a-z0-9_]{1,12}", fullmatch=True)


@st.composite
def houses(draw: st.DrawFn):
    ids = draw(st.lists(_ENTITY_IDS, min_size=0, max_size=8, unique=True))
    names = draw(st.lists(st.text(min_size=1, max_size=12), min_size=len(ids), max_size=len(ids)))
    return make_house(*(Device(i, n, "on") for i, n in zip(ids, names, strict=True)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), house=houses())
def test_every_admitted_reply_yields_only_allowed_calls(data: st.DataObject, house) -> None:
    """For random houses, whatever the grammar admits parses to calls the policy accepts."""
    text = data.draw(admitted_text(build_grammar(house)))
    reply = parse_reply(text, frozenset({LINES}))
    assert all(verdict.allowed for verdict in check_calls(reply.calls, house, allow_sensitive=True))


ARG_GRAMMAR = build_grammar(ARG_HOUSE)


@pytest.mark.parametrize(
    "text",
    [
        "Dimming it.\nlight.turn_on(light.kitchen, brightness=128)",
        "light.turn_on(light.kitchen, brightness=0, rgb_color=(255, 0, 0))",
        'light.turn_on(light.kitchen, color_name="red")',
        "light.turn_on(light.kitchen, color_temp_kelvin=6535)",
        "light.turn_on(light.porch)",
        "climate.set_temperature(climate.heatpump, temperature=21.5)",
        'climate.set_temperature(climate.heatpump, temperature=35, hvac_mode="heat")',
        "climate.set_temperature(climate.ecobee, target_temp_low=19, target_temp_high=24.25)",
        'climate.set_fan_mode(climate.ecobee, fan_mode="auto_low")',
        'fan.set_preset_mode(fan.bedroom, preset_mode="sleep")',
        "cover.set_cover_position(cover.garage_door, position=100)",
        "media_player.volume_set(media_player.bedroom, volume_level=0.35)",
        "water_heater.set_temperature(water_heater.tank, temperature=44)",
        'todo.add_item(todo.shopping, item="Milch & Käse, 2 l")',
        'timer.start(timer.tea, duration="0:03:00")',
        "timer.start(timer.tea)",
    ],
)
def test_accepts_arguments(text: str) -> None:
    assert accepts(ARG_GRAMMAR, text)


@pytest.mark.parametrize(
    "text",
    [
        "light.turn_on(light.kitchen, brightness=256)",
        "light.turn_on(light.kitchen, brightness=-1)",
        "light.turn_on(light.kitchen, brightness=012)",
        "light.turn_on(light.porch, brightness=10)",  # an on/off light has no brightness
        'light.turn_on(light.kitchen, rgb_color=(255, 0, 0), color_name="red")',
        "light.turn_on(light.kitchen, color_temp_kelvin=1999)",
        "light.turn_off(light.kitchen, brightness=10)",
        "light.turn_on(light.kitchen, entity_id=lock.front_door)",
        "climate.set_temperature(climate.heatpump, temperature=35.5)",
        "climate.set_temperature(climate.heatpump, temperature=6)",
        "climate.set_temperature(climate.heatpump)",
        'climate.set_temperature(climate.heatpump, temperature=20, hvac_mode="cool")',
        "climate.set_temperature(climate.heatpump, target_temp_low=19, target_temp_high=24)",
        'climate.set_fan_mode(climate.heatpump, fan_mode="on_low")',  # no fan modes there
        "fan.set_percentage(fan.bedroom, percentage=50)",  # preset only
        "cover.set_cover_position(cover.hall_window, position=101)",
        "media_player.volume_set(media_player.bedroom, volume_level=1.5)",
        "water_heater.set_temperature(water_heater.tank, temperature=43)",
        'todo.add_item(todo.shopping, item="")',
        'todo.add_item(todo.shopping, item=" milk")',
        'todo.add_item(todo.shopping, item="a\\"b")',
        'timer.start(timer.tea, duration="0:60:00")',
        "lock.unlock(lock.front_door, code=1234)",
    ],
)
def test_rejects_arguments(text: str) -> None:
    assert not accepts(ARG_GRAMMAR, text)


_ARG_DOMAINS = ("light", "climate", "fan", "cover", "media_player", "humidifier", "water_heater", "todo", "timer")
_MODES = st.lists(st.text(min_size=0, max_size=6), max_size=4)
_NUMBER = st.one_of(st.none(), st.integers(-50, 7000), st.floats(-50, 7000), st.sampled_from([math.nan, math.inf]))


@st.composite
def _attributes(draw: st.DrawFn) -> dict[str, object]:
    """Random attributes of the kinds the arguments read, some missing, odd or out of order."""
    keys = {
        "supported_features": st.integers(0, 2**16),
        "supported_color_modes": st.lists(st.sampled_from(["onoff", "brightness", "color_temp", "hs", "rgbw", "xy"])),
        "min_color_temp_kelvin": _NUMBER, "max_color_temp_kelvin": _NUMBER,
        "min_temp": _NUMBER, "max_temp": _NUMBER, "min_humidity": _NUMBER, "max_humidity": _NUMBER,
        "hvac_modes": _MODES, "fan_modes": _MODES, "preset_modes": _MODES, "source_list": _MODES,
        "device_class": st.sampled_from(["garage", "window", "door"]),
    }  # fmt: skip
    chosen = draw(st.lists(st.sampled_from(sorted(keys)), unique=True))
    return {key: draw(keys[key]) for key in chosen}


@st.composite
def argument_houses(draw: st.DrawFn):
    ids = draw(
        st.lists(
            st.from_regex(rf"({'|'.join(_ARG_DOMAINS)})\.[a-z0-9_]{{1,8}}", fullmatch=True),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    return make_house(*(Device(i, "Device", "on", attributes=draw(_attributes())) for i in ids))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), house=argument_houses())
def test_every_admitted_argument_call_is_accepted(data: st.DataObject, house) -> None:
    """Random houses with random ranges and modes: every call the grammar admits passes the policy."""
    text = data.draw(admitted_text(build_grammar(house)))
    reply = parse_reply(text, frozenset({LINES}))
    for verdict in check_calls(reply.calls, house, allow_sensitive=True):
        assert verdict.allowed, (text, verdict.reason)


def test_every_argument_service_appears_for_the_argument_houses() -> None:
    """The argument houses can be given every argument service: none is silently dropped."""
    grammar = build_grammar(make_house(*ARG_HOUSE.devices, *SERVICE_HOUSE.devices))
    for domain, service in SERVICE_SLOTS:
        assert f'"{service}("' in grammar, (domain, service)


SERVICE_GRAMMAR = build_grammar(SERVICE_HOUSE)


@pytest.mark.parametrize(
    "text",
    [
        "Faster.\nfan.increase_speed(fan.living_room_fan)",
        "fan.decrease_speed(fan.living_room_fan)",
        "fan.increase_speed(fan.living_room_fan, percentage_step=100)",
        "fan.decrease_speed(fan.living_room_fan, percentage_step=1)",
        "media_player.volume_mute(media_player.living_room, is_volume_muted=true)",
        "media_player.volume_mute(media_player.living_room, is_volume_muted=false)",
        'media_player.select_source(media_player.lounge_room, source="youtube")',
        'media_player.select_source(media_player.lounge_room, source="dvd")',
        'climate.set_hvac_mode(climate.hvac, hvac_mode="fan_only")',
        'climate.set_hvac_mode(climate.heatpump, hvac_mode="off")',
        "climate.set_temperature(climate.hvac, temperature=24)",
        'climate.set_temperature(climate.heatpump, temperature=20.5, hvac_mode="heat")',
    ],
)
def test_accepts_new_services(text: str) -> None:
    assert accepts(SERVICE_GRAMMAR, text)


@pytest.mark.parametrize(
    "text",
    [
        "fan.increase_speed(fan.preset_only_limited_fan)",  # no speeds to step through
        "fan.increase_speed(fan.living_room_fan, percentage_step=0)",
        "fan.increase_speed(fan.living_room_fan, percentage_step=101)",
        "fan.increase_speed(fan.living_room_fan, percentage=50)",
        "media_player.volume_mute(media_player.living_room)",
        "media_player.volume_mute(media_player.living_room, is_volume_muted=maybe)",
        'media_player.volume_mute(media_player.living_room, is_volume_muted="true")',
        "media_player.volume_mute(media_player.living_room, is_volume_muted=1)",
        "media_player.volume_mute(media_player.lounge_room, is_volume_muted=true)",  # the TV cannot mute
        'media_player.select_source(media_player.lounge_room, source="netflix")',
        'media_player.select_source(media_player.lounge_room, source="DVD")',
        "media_player.select_source(media_player.lounge_room, source=dvd)",
        'media_player.select_source(media_player.living_room, source="dvd")',  # no source selection
        'climate.set_hvac_mode(climate.hvac, hvac_mode="heat_cool")',
        'climate.set_hvac_mode(climate.heatpump, hvac_mode="cool")',
        "climate.set_hvac_mode(climate.hvac)",
        "climate.set_temperature(climate.hvac, temperature=36)",
    ],
)
def test_rejects_new_services(text: str) -> None:
    assert not accepts(SERVICE_GRAMMAR, text)


@pytest.mark.parametrize(
    ("low", "high"), [(0, 0), (0, 9), (7, 35), (0, 255), (43, 60), (99, 101), (2000, 6535), (5, 1000)]
)
def test_int_range_is_exact(low: int, high: int) -> None:
    pattern = gbnf_to_regex(f"root ::= {' | '.join(int_range(low, high))}\n")
    admitted = {n for n in range(0, 7000) if pattern.fullmatch(str(n))}
    assert admitted == set(range(low, high + 1))


def test_a_huge_device_bound_keeps_the_grammar_small() -> None:
    """max_temp=1e308 once made a 701 kB grammar; the grammar writes numbers up to 999,999 only."""
    house = make_house(
        Device(
            "climate.lab",
            "Lab",
            "heat",
            attributes={"min_temp": 7, "max_temp": 1e308, "hvac_modes": ["heat"], "supported_features": 1},
        )
    )
    grammar = build_grammar(house)
    assert len(grammar) < 20_000
    assert accepts(grammar, "Setting it.\nclimate.set_temperature(climate.lab, temperature=21)")
