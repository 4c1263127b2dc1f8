"""The one module that reads Home Assistant's registries and states: builds the turn's House."""

from __future__ import annotations

from collections.abc import Mapping

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .const import ALLOWED_SERVICES, FORBIDDEN_DOMAINS
from .snapshot import Device, House

ASSISTANT = "conversation"

# Attributes kept in the snapshot: the policy checks arguments against them.
SNAPSHOT_ATTRIBUTES = frozenset(
    {
        "brightness",
        "rgb_color",
        "color_temp_kelvin",
        "min_color_temp_kelvin",
        "max_color_temp_kelvin",
        "supported_color_modes",
        "temperature",
        "current_temperature",
        "target_temp_high",
        "target_temp_low",
        "min_temp",
        "max_temp",
        "humidity",
        "min_humidity",
        "max_humidity",
        "hvac_modes",
        "fan_mode",
        "fan_modes",
        "preset_mode",
        "preset_modes",
        "percentage",
        "current_position",
        "volume_level",
        "source_list",
        "media_title",
        "device_class",
        "entity_id",  # a scene's members: a scene that sets a lock is a sensitive action (policy.py)
        "supported_features",
    }
)


@callback
def async_build_house(hass: HomeAssistant, allowed_services: Mapping[str, tuple[str, ...]] = ALLOWED_SERVICES) -> House:
    """Snapshot of the entities exposed to Assist and the services the model may call."""
    area_registry = ar.async_get(hass)
    entity_registry = er.async_get(hass)
    device_registry = dr.async_get(hass)
    devices: list[Device] = []
    for state in hass.states.async_all():
        if state.domain in FORBIDDEN_DOMAINS or not async_should_expose(hass, ASSISTANT, state.entity_id):
            continue
        aliases: tuple[str, ...] = ()
        area_id = None
        if (entry := entity_registry.async_get(state.entity_id)) is not None:
            aliases = tuple(sorted(entry.aliases))
            area_id = entry.area_id
            if area_id is None and entry.device_id and (device := device_registry.async_get(entry.device_id)):
                area_id = device.area_id
        area = area_registry.async_get_area(area_id) if area_id else None
        devices.append(
            Device(
                entity_id=state.entity_id,
                name=state.name,
                state=state.state,
                area=area.name if area else None,
                aliases=aliases,
                attributes={k: v for k, v in state.attributes.items() if k in SNAPSHOT_ATTRIBUTES},
            )
        )
    devices.sort(key=lambda device: device.entity_id)
    domains = {device.domain for device in devices}
    services = {
        domain: tuple(s for s in allowed_services.get(domain, ()) if hass.services.has_service(domain, s))
        for domain in sorted(domains)
    }
    return House(devices=tuple(devices), services={d: s for d, s in services.items() if s})
