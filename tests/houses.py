"""Small houses for the pure tests."""

from custom_components.home_llm.const import ALLOWED_SERVICES
from custom_components.home_llm.snapshot import Device, House


def make_house(*devices: Device) -> House:
    domains = sorted({d.domain for d in devices})
    return House(
        devices=tuple(sorted(devices, key=lambda d: d.entity_id)),
        services={domain: ALLOWED_SERVICES[domain] for domain in domains if domain in ALLOWED_SERVICES},
    )


CARD_HOUSE = make_house(
    Device("light.office", "Office Light", "on"),
    Device("fan.office", "Office fan", "off"),
    Device("light.kitchen", "Kitchen Light", "on"),
)

MIXED_HOUSE = make_house(
    Device("light.kitchen", "Kitchen Light", "on", area="Kitchen"),
    Device("switch.ac", "AC", "off"),
    Device("lock.front_door", "Front Door", "locked"),
    Device("cover.garage_door", "Garage Door", "closed", attributes={"device_class": "garage"}),
    Device("cover.hall_window", "Hall Window", "open", attributes={"device_class": "window"}),
    Device("media_player.living_room", "Living Room", "playing"),
)
