"""Houses given as files (YAML or JSON): a list of {entity_id, name, state, attributes?, area?, aliases?}.

A file house is made real enough for the agent: states with a friendly name and attributes, entity
registry entries carrying the area and aliases, exposure to Assist, and for each domain the allowed
services, registered here so a call changes the state the way the real integration would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import voluptuous as vol
import yaml
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.core import HomeAssistant, Service, ServiceCall
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import entity_registry as er

from custom_components.home_llm.const import ALLOWED_SERVICES

PLATFORM = "home_llm_devtools"  # the registry platform of file-house entities

ENTITY_SCHEMA = vol.Schema(
    {
        vol.Required("entity_id"): cv.entity_id,
        vol.Required("name"): str,
        vol.Required("state"): vol.Coerce(str),
        vol.Optional("attributes", default=dict): dict,
        vol.Optional("area"): vol.Any(None, str),
        vol.Optional("aliases", default=list): [str],
    }
)
HOUSE_SCHEMA = vol.All([ENTITY_SCHEMA], vol.Length(min=1))

# The state a service leaves behind; services missing here leave the state as it was.
NEW_STATE: dict[str, str] = {
    "turn_on": "on",
    "turn_off": "off",
    "open_cover": "open",
    "close_cover": "closed",
    "lock": "locked",
    "unlock": "unlocked",
    "open": "open",
    "media_play": "playing",
    "media_pause": "paused",
    "media_stop": "idle",
    "start": "cleaning",
    "stop": "idle",
    "pause": "paused",
    "return_to_base": "returning",
    "open_valve": "open",
    "close_valve": "closed",
    "alarm_arm_home": "armed_home",
    "alarm_arm_away": "armed_away",
    "alarm_arm_night": "armed_night",
    "alarm_disarm": "disarmed",
}
TOGGLED = {"on": "off", "off": "on", "open": "closed", "closed": "open"}
SERVICE_SCHEMA = vol.Schema({vol.Required("entity_id"): cv.comp_entity_ids}, extra=vol.ALLOW_EXTRA)


class HouseError(Exception):
    """A house file that cannot be used; the message says why."""


# Home Assistant's feature flags, by domain: each set when the attribute named is there (None: always).
# Every entity of these domains has supported_features in Home Assistant; a house file that leaves it
# out gets the features its attributes show, as the integration that wrote them would have said.
IMPLIED_FEATURES: dict[str, tuple[tuple[str | None, int], ...]] = {
    "climate": (("temperature", 1), ("target_temp_low", 2), ("target_humidity", 4), ("fan_modes", 8),
                ("preset_modes", 16), ("swing_modes", 32), (None, 128 | 256)),
    "fan": (("percentage", 1), ("oscillating", 2), ("direction", 4), ("preset_modes", 8), (None, 16 | 32)),
    "cover": (("current_position", 4), (None, 1 | 2 | 8)),
    "valve": (("current_position", 4), (None, 1 | 2)),
    "media_player": (("volume_level", 4), ("is_volume_muted", 8), ("source_list", 2048),
                     (None, 1 | 16 | 32 | 128 | 256 | 1024 | 4096 | 16384)),
    "water_heater": (("temperature", 1), ("operation_list", 2), (None, 8)),
    "humidifier": (("available_modes", 1),),
    "todo": ((None, 1),),
    "vacuum": ((None, 4 | 8 | 16 | 4096 | 8192),),
    "alarm_control_panel": ((None, 1 | 2 | 4),),
}  # fmt: skip


def implied_features(entity: dict[str, Any]) -> int | None:
    """The supported_features an entity's attributes show, for a domain that has them; None otherwise."""
    flags = IMPLIED_FEATURES.get(entity["entity_id"].split(".")[0])
    if flags is None:
        return None
    return sum(flag for attribute, flag in flags if attribute is None or attribute in entity["attributes"])


def parse_house(entities: Any, source: str) -> list[dict[str, Any]]:
    """Validate a house given as data (a list of entities); supported_features filled in where left out."""
    try:
        house = HOUSE_SCHEMA(entities)
    except vol.Invalid as err:
        raise HouseError(f"{source}: not a house (a list of entity_id, name, state...): {err}") from err
    ids = [entity["entity_id"] for entity in house]
    if len(set(ids)) != len(ids):
        raise HouseError(f"{source}: an entity_id appears twice")
    for entity in house:
        if "supported_features" not in entity["attributes"] and (features := implied_features(entity)) is not None:
            entity["attributes"]["supported_features"] = features
    return house


def load_house(path: str | Path) -> list[dict[str, Any]]:
    """Read a house file (JSON or YAML, by content)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise HouseError(f"cannot read the house file {path}: {err}") from err
    try:
        data = yaml.safe_load(text)  # YAML is a superset of JSON
    except yaml.YAMLError as err:
        raise HouseError(f"{path}: not valid YAML or JSON: {err}") from err
    return parse_house(data, str(path))


def house_key(house: list[dict[str, Any]] | None) -> str:
    """A stable key telling houses apart (None is the demo house)."""
    return "demo" if house is None else json.dumps(house, sort_keys=True)


@dataclass
class FileHouse:
    """A file house set up in a running Home Assistant; `async_remove` takes it out again."""

    hass: HomeAssistant
    entities: list[dict[str, Any]]
    calls: list[ServiceCall] = field(default_factory=list)  # every call the services received
    _replaced: dict[tuple[str, str], Service] = field(default_factory=dict)

    async def async_add(self) -> None:
        hass = self.hass
        areas = ar.async_get(hass)
        registry = er.async_get(hass)
        for entity in self.entities:
            entity_id = entity["entity_id"]
            domain, object_id = entity_id.split(".", 1)
            if (existing := registry.async_get(entity_id)) is not None:
                registry.async_remove(existing.entity_id)  # a leftover of another house
            registry.async_get_or_create(domain, PLATFORM, entity_id, suggested_object_id=object_id)
            area_id = areas.async_get_or_create(entity["area"]).id if entity.get("area") else None
            registry.async_update_entity(entity_id, area_id=area_id, aliases=set(entity["aliases"]))
            hass.states.async_set(entity_id, entity["state"], {**entity["attributes"], "friendly_name": entity["name"]})
            async_expose_entity(hass, "conversation", entity_id, True)
        for domain in sorted({entity["entity_id"].split(".")[0] for entity in self.entities}):
            for service in ALLOWED_SERVICES.get(domain, ()):
                self._register(domain, service)

    def _register(self, domain: str, service: str) -> None:
        """Register the recording service, keeping any real one to put back afterwards."""
        if (real := self.hass.services.async_services_for_domain(domain).get(service)) is not None:
            self._replaced[(domain, service)] = real

        async def handle(call: ServiceCall) -> None:
            self.calls.append(call)
            for entity_id in call.data["entity_id"]:
                if (state := self.hass.states.get(entity_id)) is None:
                    continue
                new = TOGGLED.get(state.state, state.state) if service == "toggle" else NEW_STATE.get(service)
                self.hass.states.async_set(entity_id, new or state.state, state.attributes, context=call.context)

        self.hass.services.async_register(domain, service, handle, schema=SERVICE_SCHEMA)

    async def async_remove(self) -> None:
        hass = self.hass
        registry = er.async_get(hass)
        for entity in self.entities:
            hass.states.async_remove(entity["entity_id"])
            if registry.async_get(entity["entity_id"]) is not None:
                registry.async_remove(entity["entity_id"])
        for domain in {entity["entity_id"].split(".")[0] for entity in self.entities}:
            for service in ALLOWED_SERVICES.get(domain, ()):
                if (real := self._replaced.get((domain, service))) is not None:
                    hass.services.async_register(
                        domain, service, real.job.target, schema=real.schema, supports_response=real.supports_response
                    )
                else:
                    hass.services.async_remove(domain, service)
        await hass.async_block_till_done()
