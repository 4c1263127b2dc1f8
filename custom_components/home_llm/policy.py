"""Pure call policy: which parsed calls may reach Home Assistant. No Home Assistant imports.

The model's reply is untrusted input. A call passes only if it names an exposed entity by its
exact id, a service of that entity's own domain that is registered and allowed for the domain,
is not a forbidden or (unless enabled) sensitive action, and carries only the arguments that
service takes, with values this entity accepts (arguments.py). An accepted call carries its
arguments normalized (a brightness fraction becomes 0-255, a "50%" volume 0.5, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from .arguments import ArgumentError, check_arguments
from .const import (
    ALLOWED_SERVICES,
    CONF_ALLOW_SENSITIVE,
    CONF_ALLOWED_SERVICES,
    DEFAULT_ALLOW_SENSITIVE,
    FORBIDDEN_DOMAINS,
    SENSITIVE_COVER_CLASSES,
    SENSITIVE_SERVICES,
    SENSITIVE_VALVE_CLASSES,
)
from .parser import Call
from .snapshot import House

MAX_CALLS_PER_TURN = 10


@dataclass(frozen=True, slots=True)
class Verdict:
    call: Call  # as the model wrote it when refused; with normalized arguments when allowed
    allowed: bool
    reason: str | None = None  # why it was refused, for the user


def allowed_services(options: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
    """The user's allowlist option ("domain.service" strings; absent = all), within ALLOWED_SERVICES."""
    selected = options.get(CONF_ALLOWED_SERVICES)
    if not isinstance(selected, list | tuple | set | frozenset):
        return dict(ALLOWED_SERVICES)
    chosen = {name for name in selected if isinstance(name, str)}
    narrowed = {d: tuple(s for s in services if f"{d}.{s}" in chosen) for d, services in ALLOWED_SERVICES.items()}
    return {domain: services for domain, services in narrowed.items() if services}


def sensitive_allowed(options: Mapping[str, object]) -> bool:
    """Whether the user turned sensitive actions (unlock, disarm, open a garage door) on."""
    return options.get(CONF_ALLOW_SENSITIVE, DEFAULT_ALLOW_SENSITIVE) is True


def is_sensitive(call: Call, house: House) -> bool:
    """Unlocking, opening a lock, disarming, opening a garage door, gate or door, or a gas valve."""
    if (call.domain, call.service) in SENSITIVE_SERVICES:
        return True
    device = house.device(call.entity_id)
    device_class = device.attributes.get("device_class") if device else None
    if call.domain == "valve":
        return call.service == "open_valve" and device_class in SENSITIVE_VALVE_CLASSES
    if call.domain != "cover" or device_class not in SENSITIVE_COVER_CLASSES:
        return False
    if call.service == "set_cover_position":
        return call.arguments.get("position") != 0  # any opening at all
    return call.service in ("open_cover", "toggle")


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
    if call.service not in house.services_for(call.domain) or call.service not in ALLOWED_SERVICES.get(call.domain, ()):
        return refuse(f"{call.service_name} is not an allowed service")
    try:
        arguments = check_arguments(call.domain, call.service, device, call.arguments)
    except ArgumentError as err:
        return refuse(str(err))
    accepted = replace(call, arguments=arguments)
    if not allow_sensitive and is_sensitive(accepted, house):
        return refuse(f"{call.service_name} on {device.name} is a sensitive action that is turned off")
    return Verdict(accepted, True)


def check_calls(calls: Iterable[Call], house: House, *, allow_sensitive: bool = False) -> list[Verdict]:
    """Verdicts for a reply's calls, duplicates dropped; too many calls are all refused."""
    unique: list[Call] = []
    for call in calls:
        if call not in unique:
            unique.append(call)
    if len(unique) > MAX_CALLS_PER_TURN:
        return [Verdict(c, False, f"more than {MAX_CALLS_PER_TURN} actions in one reply") for c in unique]
    return [check_call(call, house, allow_sensitive=allow_sensitive) for call in unique]
