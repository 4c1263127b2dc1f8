"""The house as the model sees it for one turn: plain data, no Home Assistant imports.

`house.py` builds a `House` from Home Assistant once per turn; the prompt, the grammar, the
parser's consumers and the call policy all read this one object, so they always agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Device:
    """One entity exposed to Assist."""

    entity_id: str
    name: str
    state: str
    area: str | None = None
    aliases: tuple[str, ...] = ()
    attributes: Mapping[str, object] = field(default_factory=dict)

    @property
    def domain(self) -> str:
        return self.entity_id.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class House:
    """Exposed devices (sorted by entity id) and the services the model may call per domain."""

    devices: tuple[Device, ...]
    services: Mapping[str, tuple[str, ...]]

    def device(self, entity_id: str) -> Device | None:
        for device in self.devices:
            if device.entity_id == entity_id:
                return device
        return None

    def services_for(self, domain: str) -> tuple[str, ...]:
        return self.services.get(domain, ())

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(sorted({device.domain for device in self.devices}))
