"""The call policy: nothing outside the exposed devices and allowed services gets through."""

import pytest
from homeassistant.components.climate import ClimateEntityFeature
from homeassistant.components.cover import CoverEntityFeature
from homeassistant.components.fan import FanEntityFeature
from homeassistant.components.media_player import MediaPlayerEntityFeature
from homeassistant.components.todo import TodoListEntityFeature
from homeassistant.components.water_heater import WaterHeaterEntityFeature
from homeassistant.util.color import COLORS

from custom_components.home_llm import arguments as a
from custom_components.home_llm.arguments import COLOR_NAMES, SERVICE_SLOTS
from custom_components.home_llm.const import (
    ALLOWED_SERVICES,
    CONF_ALLOW_SENSITIVE,
    CONF_ALLOWED_SERVICES,
    FORBIDDEN_DOMAINS,
)
from custom_components.home_llm.parser import Call
from custom_components.home_llm.policy import (
    MAX_CALLS_PER_TURN,
    allowed_services,
    check_call,
    check_calls,
    sensitive_allowed,
)
from custom_components.home_llm.snapshot import Device, House

from .adversarial import ARG_HOUSE
from .houses import MIXED_HOUSE
from .test_new_services import SERVICE_HOUSE


def test_allowed() -> None:
    verdict = check_call(Call("light", "turn_off", "light.kitchen"), MIXED_HOUSE)
    assert verdict.allowed and verdict.reason is None


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (Call("light", "turn_off", "light.bathroom"), "not a device exposed"),
        (Call("light", "turn_off", "light.kіtchen"), "not a device exposed"),  # Cyrillic i
        (Call("switch", "turn_off", "light.kitchen"), "cannot act on"),
        (Call("light", "set_level", "light.kitchen"), "not an allowed service"),
        (Call("homeassistant", "turn_off", "light.kitchen"), "never allowed"),
        (Call("lock", "unlock", "lock.front_door"), "sensitive"),
        (Call("cover", "open_cover", "cover.garage_door"), "sensitive"),
        (Call("light", "turn_on", "light.kitchen", {"brightness": 3}), "does not support brightness"),
    ],
)
def test_refused(call: Call, reason: str) -> None:
    verdict = check_call(call, MIXED_HOUSE)
    assert not verdict.allowed
    assert reason in verdict.reason


def test_sensitive_can_be_enabled() -> None:
    assert check_call(Call("lock", "unlock", "lock.front_door"), MIXED_HOUSE, allow_sensitive=True).allowed
    assert check_call(Call("cover", "open_cover", "cover.hall_window"), MIXED_HOUSE).allowed


def test_duplicates_dropped_and_too_many_refused() -> None:
    call = Call("light", "turn_off", "light.kitchen")
    assert len(check_calls((call, call), MIXED_HOUSE)) == 1
    many = tuple(Call("light", "turn_off", f"light.k{i}") for i in range(MAX_CALLS_PER_TURN + 1))
    assert not any(v.allowed for v in check_calls(many, MIXED_HOUSE))


def _check(service: str, entity_id: str, arguments: dict[str, object]):
    domain, _, name = service.partition(".")
    return check_call(Call(domain, name, entity_id, arguments), ARG_HOUSE)


@pytest.mark.parametrize(
    ("service", "entity_id", "arguments", "sent"),
    [
        ("light.turn_on", "light.kitchen", {}, {}),
        ("light.turn_on", "light.kitchen", {"brightness": 128}, {"brightness": 128}),
        ("light.turn_on", "light.kitchen", {"brightness": 0.5}, {"brightness": 128}),  # JSON fraction
        ("light.turn_on", "light.kitchen", {"brightness": 1.0}, {"brightness": 255}),
        ("light.turn_on", "light.kitchen", {"brightness": "50%"}, {"brightness": 128}),
        ("light.turn_on", "light.kitchen", {"brightness": "200"}, {"brightness": 200}),
        ("light.turn_on", "light.kitchen", {"rgb_color": [255, 0, 0]}, {"rgb_color": (255, 0, 0)}),
        ("light.turn_on", "light.kitchen", {"rgb_color": "(0, 128,255)"}, {"rgb_color": (0, 128, 255)}),
        ("light.turn_on", "light.kitchen", {"color_name": "Red"}, {"color_name": "red"}),
        ("light.turn_on", "light.kitchen", {"color_temp_kelvin": 2700}, {"color_temp_kelvin": 2700}),
        ("climate.set_temperature", "climate.heatpump", {"temperature": 21.5}, {"temperature": 21.5}),
        (
            "climate.set_temperature",
            "climate.heatpump",
            {"temperature": "22", "hvac_mode": "HEAT"},
            {"temperature": 22.0, "hvac_mode": "heat"},
        ),
        (
            "climate.set_temperature",
            "climate.ecobee",
            {"target_temp_low": 19, "target_temp_high": 24},
            {"target_temp_low": 19.0, "target_temp_high": 24.0},
        ),
        ("climate.set_hvac_mode", "climate.ecobee", {"hvac_mode": "heat_cool"}, {"hvac_mode": "heat_cool"}),
        ("climate.set_fan_mode", "climate.ecobee", {"fan_mode": "auto_low"}, {"fan_mode": "auto_low"}),
        ("climate.set_preset_mode", "climate.ecobee", {"preset_mode": "eco"}, {"preset_mode": "eco"}),
        ("fan.set_percentage", "fan.ceiling", {"percentage": 33}, {"percentage": 33}),
        ("fan.set_preset_mode", "fan.bedroom", {"preset_mode": "sleep"}, {"preset_mode": "sleep"}),
        ("cover.set_cover_position", "cover.hall_window", {"position": "30%"}, {"position": 30}),
        ("cover.set_cover_position", "cover.garage_door", {"position": 0}, {"position": 0}),  # closing is fine
        ("media_player.volume_set", "media_player.bedroom", {"volume_level": 0.4}, {"volume_level": 0.4}),
        ("media_player.volume_set", "media_player.bedroom", {"volume_level": "40%"}, {"volume_level": 0.4}),
        ("humidifier.set_humidity", "humidifier.bedroom", {"humidity": 45}, {"humidity": 45}),
        ("water_heater.set_temperature", "water_heater.tank", {"temperature": 50}, {"temperature": 50.0}),
        ("todo.add_item", "todo.shopping", {"item": " milk "}, {"item": "milk"}),
        ("timer.start", "timer.tea", {"duration": "0:03"}, {"duration": "0:03:00"}),
        ("timer.start", "timer.tea", {"duration": 90}, {"duration": "0:01:30"}),
    ],
)
def test_arguments_accepted_and_normalized(service: str, entity_id: str, arguments: dict, sent: dict) -> None:
    verdict = _check(service, entity_id, arguments)
    assert verdict.allowed, verdict.reason
    assert verdict.call.arguments == sent


@pytest.mark.parametrize(
    ("service", "entity_id", "arguments", "reason"),
    [
        ("light.turn_on", "light.kitchen", {"brightness": -1}, "between 0 and 255"),
        ("light.turn_on", "light.kitchen", {"brightness": 256}, "between 0 and 255"),
        ("light.turn_on", "light.kitchen", {"brightness": 10**400}, "must be a number"),
        ("light.turn_on", "light.kitchen", {"brightness": 1e308}, "not 1e+308"),
        ("light.turn_on", "light.kitchen", {"brightness": float("nan")}, "must be a number"),
        ("light.turn_on", "light.kitchen", {"brightness": True}, "must be a number"),
        ("light.turn_on", "light.kitchen", {"brightness": "bright"}, "must be a number"),
        ("light.turn_on", "light.kitchen", {"brightness": "150%"}, "between 0 and 255"),
        ("light.turn_on", "light.porch", {"brightness": 10}, "does not support brightness"),
        ("light.turn_on", "light.kitchen", {"rgb_color": [255, 0]}, "three numbers"),
        ("light.turn_on", "light.kitchen", {"rgb_color": [256, 0, 0]}, "three numbers"),
        ("light.turn_on", "light.kitchen", {"rgb_color": [255, 0, 0], "color_name": "red"}, "only one of"),
        ("light.turn_on", "light.kitchen", {"color_name": "ultraviolet"}, "must be one of"),
        ("light.turn_on", "light.kitchen", {"color_temp_kelvin": 10000}, "between 2000 and 6535"),
        ("light.turn_on", "light.kitchen", {"entity_id": "lock.front_door"}, "does not take an argument 'entity_id'"),
        ("light.turn_on", "light.kitchen", {"area_id": "kitchen"}, "does not take an argument 'area_id'"),
        ("light.turn_off", "light.kitchen", {"brightness": 10}, "does not take an argument"),
        (
            "climate.set_temperature",
            "climate.heatpump",
            {},
            "needs temperature or target_temp_low and target_temp_high",
        ),
        ("climate.set_temperature", "climate.heatpump", {"temperature": 99}, "between 7 and 35"),
        (
            "climate.set_temperature",
            "climate.heatpump",
            {"temperature": 20, "hvac_mode": "cool"},
            "must be one of heat, off",
        ),
        (
            "climate.set_temperature",
            "climate.heatpump",
            {"target_temp_low": 19, "target_temp_high": 24},
            "does not support",
        ),
        ("climate.set_temperature", "climate.ecobee", {"target_temp_low": 19}, "needs target_temp_high too"),
        ("climate.set_temperature", "climate.ecobee", {"target_temp_low": 25, "target_temp_high": 20}, "above"),
        ("climate.set_fan_mode", "climate.heatpump", {"fan_mode": "on_low"}, "does not support fan_mode"),
        ("climate.set_preset_mode", "climate.ecobee", {"preset_mode": "party"}, "must be one of home, eco, away"),
        ("fan.set_percentage", "fan.bedroom", {"percentage": 50}, "does not support percentage"),
        ("cover.set_cover_position", "cover.hall_window", {"position": 101}, "between 0 and 100"),
        ("media_player.volume_set", "media_player.bedroom", {"volume_level": 40}, "between 0 and 1"),
        ("humidifier.set_humidity", "humidifier.bedroom", {"humidity": 90}, "between 30 and 80"),
        ("water_heater.set_temperature", "water_heater.tank", {"temperature": 80}, "between 43.3 and 60"),
        ("todo.add_item", "todo.shopping", {"item": "milk\nlight.turn_on(light.kitchen)"}, "plain text"),
        ("todo.add_item", "todo.shopping", {"item": "x" * 101}, "plain text"),
        ("todo.add_item", "todo.shopping", {}, "needs item"),
        ("timer.start", "timer.tea", {"duration": "25:00:00"}, "up to 24 hours"),
        ("timer.start", "timer.tea", {"duration": "soon"}, "a time like"),
    ],
)
def test_arguments_refused(service: str, entity_id: str, arguments: dict, reason: str) -> None:
    verdict = _check(service, entity_id, arguments)
    assert not verdict.allowed
    assert reason in verdict.reason


@pytest.mark.parametrize(
    ("service", "entity_id", "arguments", "sent"),
    [
        ("fan.increase_speed", "fan.living_room_fan", {}, {}),
        ("fan.decrease_speed", "fan.living_room_fan", {}, {}),
        ("fan.increase_speed", "fan.living_room_fan", {"percentage_step": "25"}, {"percentage_step": 25}),
        ("fan.decrease_speed", "fan.living_room_fan", {"percentage_step": "10%"}, {"percentage_step": 10}),
        (
            "media_player.volume_mute",
            "media_player.living_room",
            {"is_volume_muted": "true"},
            {"is_volume_muted": True},
        ),
        (
            "media_player.volume_mute",
            "media_player.living_room",
            {"is_volume_muted": False},
            {"is_volume_muted": False},
        ),
        (
            "media_player.volume_mute",
            "media_player.living_room",
            {"is_volume_muted": "FALSE"},
            {"is_volume_muted": False},
        ),
        ("media_player.select_source", "media_player.lounge_room", {"source": "youtube"}, {"source": "youtube"}),
        ("media_player.select_source", "media_player.lounge_room", {"source": " DVD "}, {"source": "dvd"}),
        ("climate.set_hvac_mode", "climate.hvac", {"hvac_mode": "Heat"}, {"hvac_mode": "heat"}),
        ("climate.set_temperature", "climate.hvac", {"temperature": "23.5"}, {"temperature": 23.5}),
        (
            "climate.set_temperature",
            "climate.heatpump",
            {"temperature": 20, "hvac_mode": "off"},
            {"temperature": 20.0, "hvac_mode": "off"},
        ),
    ],
)
def test_new_services_accepted_and_normalized(service: str, entity_id: str, arguments: dict, sent: dict) -> None:
    domain, _, name = service.partition(".")
    verdict = check_call(Call(domain, name, entity_id, arguments), SERVICE_HOUSE)
    assert verdict.allowed, verdict.reason
    assert verdict.call.arguments == sent


@pytest.mark.parametrize(
    ("service", "entity_id", "arguments", "reason"),
    [
        (
            "fan.increase_speed",
            "fan.preset_only_limited_fan",
            {},
            "Preset Only Limited Fan does not support fan.increase_speed",
        ),
        (
            "fan.decrease_speed",
            "fan.preset_only_limited_fan",
            {},
            "Preset Only Limited Fan does not support fan.decrease_speed",
        ),
        ("fan.increase_speed", "fan.living_room_fan", {"percentage_step": 0}, "between 1 and 100"),
        ("fan.increase_speed", "fan.living_room_fan", {"percentage_step": 101}, "between 1 and 100"),
        ("fan.increase_speed", "fan.living_room_fan", {"percentage": 50}, "does not take an argument 'percentage'"),
        ("media_player.volume_mute", "media_player.living_room", {"is_volume_muted": "maybe"}, "true or false"),
        ("media_player.volume_mute", "media_player.living_room", {"is_volume_muted": 1}, "true or false"),
        ("media_player.volume_mute", "media_player.living_room", {}, "needs is_volume_muted"),
        ("media_player.volume_mute", "media_player.lounge_room", {"is_volume_muted": True}, "does not support"),
        (
            "media_player.select_source",
            "media_player.lounge_room",
            {"source": "Netflix"},
            "source must be one of dvd, youtube, not 'Netflix'",
        ),
        ("media_player.select_source", "media_player.lounge_room", {}, "needs source"),
        ("media_player.select_source", "media_player.living_room", {"source": "dvd"}, "does not support"),
        ("climate.set_hvac_mode", "climate.hvac", {"hvac_mode": "heat_cool"}, "must be one of off, heat, cool"),
        ("climate.set_hvac_mode", "climate.hvac", {}, "needs hvac_mode"),
        ("climate.set_temperature", "climate.hvac", {"temperature": 36}, "between 7 and 35"),
        ("climate.set_temperature", "climate.hvac", {"temperature": "warm"}, "must be a number"),
        ("climate.set_temperature", "climate.heatpump", {"target_temp_low": 20, "target_temp_high": 24}, "does not"),
        ("climate.set_temperature", "climate.hvac", {"target_temp_low": 25, "target_temp_high": 24}, "above"),
    ],
)
def test_new_services_refused(service: str, entity_id: str, arguments: dict, reason: str) -> None:
    domain, _, name = service.partition(".")
    verdict = check_call(Call(domain, name, entity_id, arguments), SERVICE_HOUSE)
    assert not verdict.allowed
    assert reason in verdict.reason


def test_opening_a_garage_door_by_position_is_sensitive() -> None:
    verdict = _check("cover.set_cover_position", "cover.garage_door", {"position": 50})
    assert not verdict.allowed and "sensitive" in verdict.reason
    call = Call("cover", "set_cover_position", "cover.garage_door", {"position": 50})
    assert check_call(call, ARG_HOUSE, allow_sensitive=True).allowed


@pytest.mark.parametrize("domain", sorted(FORBIDDEN_DOMAINS))
def test_forbidden_domains_whatever_the_house_says(domain: str) -> None:
    """Even a house that lists the service (an allowlist gone wrong) cannot reach a forbidden domain."""
    house = House(devices=(Device(f"{domain}.x", "X", "on"),), services={domain: ("restart",)})
    verdict = check_call(Call(domain, "restart", f"{domain}.x"), house, allow_sensitive=True)
    assert not verdict.allowed and "never allowed" in verdict.reason


def test_service_outside_the_builtin_allowlist_is_refused() -> None:
    house = House(devices=(Device("light.x", "X", "on"),), services={"light": ("turn_on", "set_level")})
    verdict = check_call(Call("light", "set_level", "light.x"), house)
    assert not verdict.allowed and "not an allowed service" in verdict.reason


def test_options() -> None:
    assert allowed_services({}) == ALLOWED_SERVICES
    assert allowed_services({CONF_ALLOWED_SERVICES: ["light.turn_on", "lock.unlock", "shell_command.run"]}) == {
        "light": ("turn_on",),
        "lock": ("unlock",),
    }
    assert allowed_services({CONF_ALLOWED_SERVICES: []}) == {}
    assert not sensitive_allowed({})
    assert not sensitive_allowed({CONF_ALLOW_SENSITIVE: "yes"})
    assert sensitive_allowed({CONF_ALLOW_SENSITIVE: True})


def test_every_argument_service_is_allowed_and_color_names_are_home_assistants() -> None:
    for domain, service in SERVICE_SLOTS:
        assert service in ALLOWED_SERVICES[domain], (domain, service)
    assert all(name in COLORS for name in COLOR_NAMES)


def test_feature_bits_match_home_assistant() -> None:
    assert a.CLIMATE_TARGET_TEMPERATURE == ClimateEntityFeature.TARGET_TEMPERATURE
    assert a.CLIMATE_TARGET_TEMPERATURE_RANGE == ClimateEntityFeature.TARGET_TEMPERATURE_RANGE
    assert a.CLIMATE_TARGET_HUMIDITY == ClimateEntityFeature.TARGET_HUMIDITY
    assert a.CLIMATE_FAN_MODE == ClimateEntityFeature.FAN_MODE
    assert a.CLIMATE_PRESET_MODE == ClimateEntityFeature.PRESET_MODE
    assert a.FAN_SET_SPEED == FanEntityFeature.SET_SPEED
    assert a.FAN_PRESET_MODE == FanEntityFeature.PRESET_MODE
    assert a.COVER_SET_POSITION == CoverEntityFeature.SET_POSITION
    assert a.MEDIA_PLAYER_VOLUME_SET == MediaPlayerEntityFeature.VOLUME_SET
    assert a.MEDIA_PLAYER_VOLUME_MUTE == MediaPlayerEntityFeature.VOLUME_MUTE
    assert a.MEDIA_PLAYER_SELECT_SOURCE == MediaPlayerEntityFeature.SELECT_SOURCE
    assert a.WATER_HEATER_TARGET_TEMPERATURE == WaterHeaterEntityFeature.TARGET_TEMPERATURE
    assert a.TODO_CREATE_ITEM == TodoListEntityFeature.CREATE_TODO_ITEM


def test_opening_a_gas_valve_is_sensitive() -> None:
    house = House(
        devices=(
            Device("valve.gas_main", "Gas Main", "closed", attributes={"device_class": "gas"}),
            Device("valve.garden", "Garden Water", "closed", attributes={"device_class": "water"}),
        ),
        services={"valve": ALLOWED_SERVICES["valve"]},
    )
    assert "sensitive" in check_call(Call("valve", "open_valve", "valve.gas_main"), house).reason
    assert check_call(Call("valve", "close_valve", "valve.gas_main"), house).allowed
    assert check_call(Call("valve", "open_valve", "valve.garden"), house).allowed
    assert check_call(Call("valve", "open_valve", "valve.gas_main"), house, allow_sensitive=True).allowed


def test_service_signature_for_prompts() -> None:
    assert a.service_signature("light", "turn_on") == "light.turn_on(brightness,rgb_color,color_name,color_temp_kelvin)"
    assert a.service_signature("light", "turn_off") == "light.turn_off"


# Issue 12 item 7: what can open a house without the sensitive option.
OPENERS_HOUSE = House(
    devices=(
        Device("button.gate_release", "Release", "unknown"),
        Device("cover.garage", "Garage", "closed", attributes={"supported_features": 15}),  # no device class
        Device("cover.kitchen_blind", "Garage Blind", "closed",
               attributes={"device_class": "blind", "supported_features": 15}),
        Device("input_button.doorbell", "Doorbell", "unknown"),
        Device("lock.front_door", "Front Door", "locked"),
        Device("scene.arrive", "Arrive Home", "unknown", attributes={"entity_id": ["light.hall", "lock.front_door"]}),
        Device("scene.leave", "Leave", "unknown", attributes={"entity_id": ["light.hall", "switch.garage_opener"]}),
        Device("scene.movie", "Movie Time", "unknown", attributes={"entity_id": ["light.hall", "media_player.tv"]}),
        Device("scene.hue_relax", "Relax", "unknown"),  # an integration's scene: members not listed
        Device("script.welcome", "Welcome", "off"),
        Device("switch.garage_opener", "Opener", "off"),
        Device("switch.front_gate", "Entrance", "off"),
        Device("switch.relay_2", "Back Door", "off"),
        Device("switch.outdoor_lights", "Outdoor Lights", "off"),
        Device("switch.gateway_power", "Gateway", "off"),
        Device("switch.garage_light", "Garage Light", "off", attributes={"device_class": "switch"}),
        Device("switch.shelly_1_garagentor", "Garagentor", "off"),
        Device("switch.relais_hof", "Hoftor", "off"),
        Device("switch.sonoff_4", "Haustür Summer", "off"),
        Device("cover.portail", "Portail", "closed"),
        Device("switch.rele_3", "Puerta del patio", "off"),
        Device("switch.pumpe", "Poolpumpe Motor", "off"),
    ),
    services={d: ALLOWED_SERVICES[d] for d in
              ("button", "cover", "input_button", "lock", "scene", "script", "switch")},
)  # fmt: skip


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (Call("switch", "turn_on", "switch.garage_opener"), "its name says so"),  # the entity id says garage
        (Call("switch", "toggle", "switch.front_gate"), "its name says so"),
        (Call("switch", "turn_on", "switch.relay_2"), "its name says so"),  # the name says door
        (Call("cover", "open_cover", "cover.garage"), "its name says so"),
        (Call("cover", "set_cover_position", "cover.garage", {"position": 10}), "its name says so"),
        # Names in the user's language: German compounds, French and Spanish words.
        (Call("switch", "turn_on", "switch.shelly_1_garagentor"), "its name says so"),
        (Call("switch", "turn_on", "switch.relais_hof"), "its name says so"),
        (Call("switch", "turn_on", "switch.sonoff_4"), "its name says so"),
        (Call("cover", "open_cover", "cover.portail"), "its name says so"),
        (Call("switch", "toggle", "switch.rele_3"), "its name says so"),
        (Call("button", "press", "button.gate_release"), "allow sensitive actions in the agent's options"),
        (Call("input_button", "press", "input_button.doorbell"), "allow sensitive actions in the agent's options"),
        (Call("script", "turn_on", "script.welcome"), "allow sensitive actions in the agent's options"),
        (Call("scene", "turn_on", "scene.arrive"), "sets lock.front_door"),
        (Call("scene", "turn_on", "scene.leave"), "sets switch.garage_opener"),
    ],
)
def test_what_may_open_the_house_needs_the_sensitive_option(call: Call, reason: str) -> None:
    verdict = check_call(call, OPENERS_HOUSE)
    assert not verdict.allowed
    assert "sensitive action that is turned off" in verdict.reason and reason in verdict.reason
    assert check_call(call, OPENERS_HOUSE, allow_sensitive=True).allowed


@pytest.mark.parametrize(
    "call",
    [
        Call("switch", "turn_off", "switch.garage_opener"),  # switching an opener off opens nothing
        Call("cover", "close_cover", "cover.garage"),
        Call("cover", "set_cover_position", "cover.garage", {"position": 0}),
        Call("cover", "open_cover", "cover.kitchen_blind"),  # a device class says what it is
        Call("switch", "turn_on", "switch.garage_light"),
        Call("switch", "turn_on", "switch.outdoor_lights"),  # words, not substrings: outdoor, gateway
        Call("switch", "turn_on", "switch.gateway_power"),
        Call("switch", "turn_on", "switch.pumpe"),  # "Motor" is no gate (Tor): whole words and known compounds
        Call("scene", "turn_on", "scene.movie"),  # scenes run unless they set a lock, alarm or opener
        Call("scene", "turn_on", "scene.hue_relax"),
        Call("lock", "lock", "lock.front_door"),
    ],
)
def test_everyday_actions_stay_allowed(call: Call) -> None:
    assert check_call(call, OPENERS_HOUSE).allowed
