"""Pure call policy: which parsed calls may reach Home Assistant. No Home Assistant imports.

The model's reply is untrusted input. A call passes only if it names an exposed entity by its
exact id, a service of that entity's own domain that is registered and allowed for the domain,
is not a forbidden or (unless enabled) sensitive action, and carries no argument.
"""

from __future__ import annotations

from dataclasses import dataclass

from .const import FORBIDDEN_DOMAINS, SENSITIVE_COVER_CLASSES, SENSITIVE_SERVICES
from .parser import Call
from .snapshot import House

MAX_CALLS_PER_TURN = 10


@dataclass(frozen=True, slots=True)
class Verdict:
    call: Call
    allowed: bool
    reason: str | None = None  # why it was refused, for the user


def is_sensitive(call: Call, house: House) -> bool:
    if (call.domain, call.service) in SENSITIVE_SERVICES:
        return True
    if call.domain == "cover" and call.service in ("open_cover", "toggle"):
        device = house.device(call.entity_id)
        return device is not None and device.attributes.get("device_class") in SENSITIVE_COVER_CLASSES
    return False


def check_call(call: Call, house: House, *, allow_sensitive: bool = False) -> Verdict:
    """Accept or refuse one call against the turn's house."""

    def refuse(reason: str) -> Verdict:
        return Verdict(call, False, reason)

    if call.domain in FORBIDDEN_DOMAINS:
        return refuse(f"{call.service_name} is never allowed from a conversation")
    device = house.device(call.entity_id)
    if device is None:
        return refuse(f"{call.entity_id} is not a device exposed to Assist")
    if device.domain != call.domain:
        return refuse(f"{call.service_name} cannot act on {call.entity_id}")
    if call.service not in house.services_for(call.domain):
        return refuse(f"{call.service_name} is not an allowed service")
    if call.arguments:
        return refuse(f"{call.service_name} was given arguments that are not supported")
    if not allow_sensitive and is_sensitive(call, house):
        return refuse(f"{call.service_name} on {device.name} is a sensitive action that is turned off")
    return Verdict(call, True)


def check_calls(calls: tuple[Call, ...], house: House, *, allow_sensitive: bool = False) -> list[Verdict]:
    """Verdicts for a reply's calls, duplicates dropped; too many calls are all refused."""
    unique: list[Call] = []
    for call in calls:
        if call not in unique:
            unique.append(call)
    if len(unique) > MAX_CALLS_PER_TURN:
        return [Verdict(c, False, f"more than {MAX_CALLS_PER_TURN} actions in one reply") for c in unique]
    return [check_call(call, house, allow_sensitive=allow_sensitive) for call in unique]
