"""Adversarial model replies (corpus.json) and the house they are played against.

The house mirrors the demo integration's devices with their real attributes (supported
features, ranges, modes), plus the kinds the demo lacks (lock, alarm, to-do list, timer).
"""

from __future__ import annotations

import json
from pathlib import Path

from custom_components.home_llm.snapshot import Device

from ..houses import make_house

HERE = Path(__file__).parent

ARG_HOUSE = make_house(
    Device("light.kitchen", "Kitchen Light", "on", attributes={
        "supported_color_modes": ["color_temp", "hs"], "min_color_temp_kelvin": 2000, "max_color_temp_kelvin": 6535}),
    Device("light.porch", "Porch Light", "off", attributes={"supported_color_modes": ["onoff"]}),
    Device("climate.heatpump", "HeatPump", "heat", attributes={
        "hvac_modes": ["heat", "off"], "min_temp": 7.0, "max_temp": 35.0, "supported_features": 385}),
    Device("climate.ecobee", "Ecobee", "heat_cool", attributes={
        "hvac_modes": ["off", "cool", "heat_cool", "auto"], "min_temp": 7, "max_temp": 35,
        "fan_modes": ["on_low", "auto_low"], "preset_modes": ["home", "eco", "away"], "supported_features": 442}),
    Device("fan.ceiling", "Ceiling Fan", "off", attributes={"supported_features": 49}),
    Device("fan.bedroom", "Bedroom Fan", "off", attributes={"preset_modes": ["auto", "sleep"], "supported_features": 56}),
    Device("cover.hall_window", "Hall Window", "open", attributes={"supported_features": 15}),
    Device("cover.garage_door", "Garage Door", "closed", attributes={"device_class": "garage", "supported_features": 15}),
    Device("lock.front_door", "Front Door", "locked"),
    Device("alarm_control_panel.home", "Home Alarm", "armed_away"),
    Device("media_player.bedroom", "Bedroom Speaker", "playing", attributes={"supported_features": 4}),
    Device("humidifier.bedroom", "Humidifier", "on", attributes={"min_humidity": 30, "max_humidity": 80}),
    Device("water_heater.tank", "Water Heater", "eco", attributes={"min_temp": 43.3, "max_temp": 60.0, "supported_features": 15}),
    Device("todo.shopping", "Shopping List", "2", attributes={"supported_features": 1}),
    Device("timer.tea", "Tea Timer", "idle"),
    Device("switch.ac", "AC", "off"),
)  # fmt: skip


def load_corpus() -> list[dict]:
    """Cases: {"name", "reply", "accepted": ["domain.service(entity_id)", ...]} (all others refused)."""
    return json.loads((HERE / "corpus.json").read_text(encoding="utf-8"))
