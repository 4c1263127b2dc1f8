"""Pure call policy: which parsed calls may reach Home Assistant. No Home Assistant imports.

The model's reply is untrusted input. A call passes only if it names an exposed entity by its
exact id, a service of that entity's own domain that is registered and allowed for the domain,
is not a forbidden or (unless enabled) sensitive action, and carries only the arguments that
service takes, with values this entity accepts (arguments.py). An accepted call carries its
arguments normalized (a brightness fraction becomes 0-255, a "50%" volume 0.5, ...).

Sensitive (refused unless the user turns sensitive actions on): unlocking, disarming, opening a
garage door, gate, door or gas valve, and what may do so unseen: a script or a button runs whatever
its owner set up, a switch or cover without a device class whose name says garage/gate/door may be
the opener, and a scene that lists a lock, an alarm panel or such an opener among its members sets
their state (which state, the agent cannot see). Other scenes run: Home Assistant exposes scenes to
Assist by default, and "movie time" must keep working.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from .arguments import ArgumentError, check_arguments
from .const import (
    ALLOWED_SERVICES,
    CONF_ALLOW_SENSITIVE,
    CONF_ALLOWED_SERVICES,
    DEFAULT_ALLOW_SENSITIVE,
    FORBIDDEN_DOMAINS,
    OPT_IN_SERVICES,
    SENSITIVE_COVER_CLASSES,
    SENSITIVE_NAME_ENDS,
    SENSITIVE_NAME_STARTS,
    SENSITIVE_NAME_WORDS,
    SENSITIVE_SCENE_DOMAINS,
    SENSITIVE_SERVICES,
    SENSITIVE_VALVE_CLASSES,
)
from .lexicon import ENGLISH, Phrases
from .parser import Call
from .snapshot import Device, House

MAX_CALLS_PER_TURN = 10


@dataclass(frozen=True, slots=True)
class Verdict:
    call: Call  # as the model wrote it when refused; with normalized arguments when allowed
    allowed: bool
    reason: str | None = None  # why it was refused, for the user
    for_value: bool = False  # refused only for a value the device cannot take (6000 K on a 2200-4000 K bulb)


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
    """Whether the call may unlock, disarm or open the house (see the module's docstring)."""
    if (call.domain, call.service) in SENSITIVE_SERVICES | OPT_IN_SERVICES:
        return True
    device = house.device(call.entity_id)
    if call.domain == "scene":
        return bool(_sensitive_members(device, house))
    if call.domain == "valve":
        return call.service == "open_valve" and _device_class(device) in SENSITIVE_VALVE_CLASSES
    if call.domain not in ("cover", "switch") or not _may_open(call.entity_id, device):
        return False
    if call.service == "set_cover_position":
        return call.arguments.get("position") != 0  # any opening at all
    return call.service in ("open_cover", "turn_on", "toggle")


def _device_class(device: Device | None) -> object:
    """The device's device_class attribute (None when it has none)."""
    return device.attributes.get("device_class") if device else None


def _names_an_opening(entity_id: str, device: Device | None) -> bool:
    """Whether the entity id or the name has a word like garage, gate or door (not outdoor, gateway)."""
    text = f"{entity_id.partition('.')[2]} {device.name if device else ''}".lower()
    return any(
        word in SENSITIVE_NAME_WORDS or word.startswith(SENSITIVE_NAME_STARTS) or word.endswith(SENSITIVE_NAME_ENDS)
        for word in re.split(r"[\W_]+", text)
    )


def _may_open(entity_id: str, device: Device | None) -> bool:
    """A cover, switch or valve that may open the house: by its device class, or, without one, by its name."""
    device_class = _device_class(device)
    domain = entity_id.partition(".")[0]
    if device_class is not None:
        return device_class in (SENSITIVE_VALVE_CLASSES if domain == "valve" else SENSITIVE_COVER_CLASSES)
    return domain in ("cover", "switch") and _names_an_opening(entity_id, device)


def _sensitive_members(scene: Device | None, house: House) -> list[str]:
    """The members of a scene (its `entity_id` attribute) that are locks, alarm panels or openers."""
    members = scene.attributes.get("entity_id") if scene else None
    if not isinstance(members, list | tuple):
        return []  # a scene that does not list its members (Hue, ...) sets lights: it runs
    return [
        member
        for member in members
        if isinstance(member, str)
        and (member.partition(".")[0] in SENSITIVE_SCENE_DOMAINS or _may_open(member, house.device(member)))
    ]


def _sensitive_refusal(call: Call, device: Device, house: House, phrases: Phrases) -> str:
    """Why a sensitive call was refused, saying how the user can allow it."""
    named = {"service": call.service_name, "name": device.name}
    if (call.domain, call.service) in OPT_IN_SERVICES:
        return phrases.text("sensitive_opt_in", **named)
    if call.domain == "scene":
        return phrases.text("sensitive_scene", **named, members=", ".join(_sensitive_members(device, house)))
    if call.domain in ("cover", "switch") and _device_class(device) is None:
        return phrases.text("sensitive_by_name", **named)
    return phrases.text("sensitive", **named)


def check_call(
    call: Call, house: House, *, allow_sensitive: bool = False, phrases: Phrases = ENGLISH.phrases
) -> Verdict:
    """Accept or refuse one call against the turn's house (`phrases`: the turn's language, for the reason)."""

    def refuse(key: str) -> Verdict:
        """The call refused with the reason `key` names."""
        return Verdict(call, False, phrases.text(key, service=call.service_name, entity_id=call.entity_id))

    if call.domain in FORBIDDEN_DOMAINS:
        return refuse("never_allowed")
    device = house.device(call.entity_id)
    if device is None:
        return refuse("not_exposed")
    if device.domain != call.domain:
        return refuse("cannot_act")
    if call.service not in house.services_for(call.domain) or call.service not in ALLOWED_SERVICES.get(call.domain, ()):
        return refuse("not_allowed")
    try:
        arguments = check_arguments(call.domain, call.service, device, call.arguments)
    except ArgumentError as err:
        return Verdict(call, False, err.reason(phrases), for_value=True)  # str(err) is English: the reason is said
    accepted = replace(call, arguments=arguments)
    if not allow_sensitive and is_sensitive(accepted, house):
        return Verdict(call, False, _sensitive_refusal(accepted, device, house, phrases))
    return Verdict(accepted, True)


def check_calls(
    calls: Iterable[Call], house: House, *, allow_sensitive: bool = False, phrases: Phrases = ENGLISH.phrases
) -> list[Verdict]:
    """Verdicts for a reply's calls, duplicates dropped; too many calls are all refused."""
    unique: list[Call] = []
    for call in calls:
        if call not in unique:
            unique.append(call)
    if len(unique) > MAX_CALLS_PER_TURN:
        reason = phrases.text("too_many", count=MAX_CALLS_PER_TURN)
        return [Verdict(c, False, reason) for c in unique]
    return [check_call(call, house, allow_sensitive=allow_sensitive, phrases=phrases) for call in unique]
