"""Pure: commands read with Home Assistant's own sentences ("add milk to the shopping list").

Home Assistant's intents package holds, per language, the sentences its built-in agent understands
(turn on, set brightness, open a cover to a position, pause, add to a list...), and hassil, its
sentence matcher, reads the device, area and values from a request that is one of them. Where a whole
request reads as exactly one set of calls on this house, that reading is surer than the small model's:
lists named after a shop ("Albert Heijn") or devices whose name the model misreads. The grounding runs
those calls in place of the model's (each through the call policy). Both packages are installed with
Home Assistant; without them nothing is read and the grounding works as before.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from .arguments import COLOR_NAMES
from .parser import Call
from .snapshot import Device, House

try:
    from hassil import Intents, recognize_all
    from hassil.errors import HassilError
    from hassil.intents import RangeFractionType, RangeSlotList, RangeType, TextSlotList
    from hassil.parser import ParseError
except ImportError:  # outside Home Assistant (the training environment): nothing is read
    Intents = None  # type: ignore[assignment,misc]

_LOGGER = logging.getLogger(__name__)

# A turned-on or -off device: its service by domain (the off service None where there is none).
_TURN: dict[str, tuple[str, str | None]] = {
    "light": ("turn_on", "turn_off"),
    "switch": ("turn_on", "turn_off"),
    "fan": ("turn_on", "turn_off"),
    "media_player": ("turn_on", "turn_off"),
    "input_boolean": ("turn_on", "turn_off"),
    "humidifier": ("turn_on", "turn_off"),
    "climate": ("turn_on", "turn_off"),
    "water_heater": ("turn_on", "turn_off"),
    "siren": ("turn_on", "turn_off"),
    "cover": ("open_cover", "close_cover"),
    "valve": ("open_valve", "close_valve"),
    "lock": ("lock", "unlock"),
    "scene": ("turn_on", None),
    "script": ("turn_on", "turn_off"),
}
# Domains no sentence acts on: their names do not share a short name with a device that acts.
READ_ONLY = frozenset({"sensor", "binary_sensor", "weather", "event", "image", "camera", "device_tracker"})
_MEDIA = {
    "HassMediaPause": "media_pause",
    "HassMediaUnpause": "media_play",
    "HassMediaNext": "media_next_track",
    "HassMediaPrevious": "media_previous_track",
}
# The players a room's media intent acts on, by state (as Home Assistant's own handlers): pause, next
# and previous the playing ones; resume the paused ones where there are any.
_MEDIA_STATES = {
    "HassMediaPause": ("playing",),
    "HassMediaNext": ("playing",),
    "HassMediaPrevious": ("playing",),
    "HassMediaUnpause": ("paused", None),  # None: every player, where none is paused
}
# The domains an intent acts on when its sentence names an area and no domain ("Heizung im
# Schlafzimmer auf 18 Grad": the climate devices of that room).
_INTENT_DOMAINS = {
    "HassLightSet": "light",
    "HassClimateSetTemperature": ["climate", "water_heater"],
    "HassSetPosition": "cover",
    "HassFanSetSpeed": "fan",
    "HassSetVolume": "media_player",
    "HassMediaPlayerMute": "media_player",
    "HassMediaPlayerUnmute": "media_player",
    "HassVacuumStart": "vacuum",
    "HassVacuumReturnToBase": "vacuum",
} | dict.fromkeys(_MEDIA, "media_player")
# The intents whose calls this module builds; Home Assistant's others (timers, weather, states) are
# not commands on a device of the house, or not ones the model's format has.
INTENTS = (
    "HassTurnOn", "HassTurnOff", "HassLightSet", "HassClimateSetTemperature", "HassSetPosition",
    "HassSetVolume", "HassMediaPlayerMute", "HassMediaPlayerUnmute", "HassFanSetSpeed", "HassVacuumStart",
    "HassVacuumReturnToBase", "HassListAddItem", *_MEDIA,
)  # fmt: skip
# Sentences that say no place ("skip this song", "set the temperature to 21") need the speaker's area;
# an agent has none, so they are read for the whole house with this stand-in area and count only where
# they name one device: the only player in the state the intent wants, the only thermostat or fan.
_ANYWHERE = "\x00anywhere"
_HOUSE_WIDE_STATES = {
    **_MEDIA_STATES,
    "HassSetVolume": ("playing", None),
    "HassMediaPlayerMute": ("playing", None),
    "HassMediaPlayerUnmute": ("playing", None),
    "HassClimateSetTemperature": (None,),
    "HassFanSetSpeed": (None,),
}
# Temperatures as Home Assistant's list has them (0-100, halves), up to 200: a water heater or hot tub
# in °F is set to 102-140.
_TEMPERATURES = (
    RangeSlotList("temperature", 0, 200, type=RangeType.TEMPERATURE, fraction_type=RangeFractionType.HALVES)
    if Intents is not None
    else None
)
# A slot list no request can match (the sentences need one for {area} and {floor} even where a house has none).
_NO_PLACE = TextSlotList.from_tuples([("\x00", "\x00")], allow_template=False) if Intents is not None else None


def command_sentences(data: Mapping[str, Any] | None) -> Any | None:
    """Home Assistant's command sentences of one language as hassil intents, or None."""
    if Intents is None or not data or not data.get("intents"):
        return None
    wanted = {name: intent for name, intent in data["intents"].items() if name in INTENTS}
    try:
        return Intents.from_dict({**data, "intents": wanted}) if wanted else None
    except (KeyError, TypeError, ValueError):  # a package version whose format this hassil does not read
        return None


def read_command(
    sentences: Any | None,
    text: str,
    house: House,
    kind_words: frozenset[str] = frozenset(),
    light_words: frozenset[str] = frozenset(),
) -> list[Call] | None:
    """The calls the whole request asks for when Home Assistant's sentences read it one way only,
    else None (not one of its sentences, a name two devices share, a device the intent cannot move).
    `kind_words`: the language's words for kinds of device ("light"), never a short name on their own;
    `light_words`: its words for a light ("lamp"), which make a switch named with one a room's light."""
    if sentences is None or not text.strip() or len(text) > MAX_TEXT or not house.devices:
        return None  # a text longer than any spoken command is left to the model: matching time grows with it
    readings: set[str] = set()
    added: dict[str, list[Call]] = {}
    try:
        lists = _house_slot_lists(house, kind_words)
        results = list(recognize_all(text, sentences, slot_lists=lists, intent_context={"area": _ANYWHERE}))
    except (HassilError, ParseError):  # a sentence this hassil cannot match (another package version): not read
        _LOGGER.debug("Home Assistant's sentences could not read %r", text, exc_info=True)
        return None
    for result in results:
        # A room's reading narrowed to the device named whole first: "Ladenbeleuchtung an" is read as the
        # Laden's lights and as the Ladenbeleuchtung, one reading once narrowed.
        calls = _named_alone(_calls(result, house, light_words), text, house)
        if calls:
            key = json.dumps([(c.service_name, c.entity_id, c.arguments) for c in calls], sort_keys=True, default=str)
            readings.add(key)
            added[key] = calls
    if len(readings) > 1 and _one_list(added.values()):
        # German sentences also read the verb into the item ("Setz Kaffee"): the shortest item is meant.
        readings = {min(readings, key=len)}
    return added[readings.pop()] if len(readings) == 1 else None


def _named_alone(calls: list[Call], text: str, house: House) -> list[Call]:
    """A room's reading narrowed to the one of its devices whose whole name the text says ("Licht Stube
    abdrehen" for the light named Licht Stube, not every light of the Stube); the calls as read otherwise."""
    if len(calls) < 2:
        return calls
    folded = f" {' '.join(re.findall(r'[^\W_]+', text.casefold()))} "
    named = [
        call
        for call in calls
        if (device := house.device(call.entity_id)) is not None
        and any(f" {' '.join(re.findall(r'[^\W_]+', name.casefold()))} " in folded for name in _spoken_names(device))
    ]
    return named if len(named) == 1 else calls


def _one_list(readings: Iterable[list[Call]]) -> bool:
    """True when every reading adds one item to the same list (they differ only in the item)."""
    lists = {calls[0].entity_id if len(calls) == 1 and calls[0].service == "add_item" else "" for calls in readings}
    return len(lists) == 1 and "" not in lists


# Matching time grows quickly with the length of the text and of the names in the slot lists: longer ones
# than any spoken command or real device name are not read (a hostile 3,000-word name took minutes).
MAX_TEXT = 250
MAX_NAME = 100
_MAX_SHORT_WORDS = 8  # a name's leading and trailing forms are O(words²) characters

# The slot lists of the last houses read: one turn reads up to ~20 sentences on the same house, and
# building the lists is most of a reading's cost at 200 entities. Each entry keeps its devices alive, so
# an id is never reused while it is cached.
_SLOT_LISTS: dict[tuple[int, frozenset[str]], tuple[tuple[Device, ...], dict[str, Any]]] = {}


def _house_slot_lists(house: House, kind_words: frozenset[str]) -> dict[str, Any]:
    """The house's slot lists, built once per house and language (see _SLOT_LISTS)."""
    key = (id(house.devices), kind_words)
    cached = _SLOT_LISTS.get(key)
    if cached is not None and cached[0] is house.devices:
        return cached[1]
    lists = _slot_lists(house.devices, kind_words)
    if len(_SLOT_LISTS) >= 8:
        _SLOT_LISTS.clear()
    _SLOT_LISTS[key] = (house.devices, lists)
    return lists


def _slot_lists(devices: Iterable[Device], kind_words: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The house's names (each with its entity id and context) and areas as hassil slot lists."""
    devices = list(devices)
    names: list[tuple[str, str, dict[str, str]]] = []
    areas = {device.area for device in devices if device.area and len(device.area) <= MAX_NAME}
    short = _short_names(devices, areas, kind_words)
    for device in devices:
        # Home Assistant's temperature sentences are for thermostats; a water heater is set the same way.
        context = {"domain": "climate" if device.domain == "water_heater" else device.domain}
        if isinstance(device_class := device.attributes.get("device_class"), str):
            context["device_class"] = device_class
        spoken = _spoken_names(device) + short.get(device.entity_id, [])
        names += [(said, device.entity_id, context) for name in spoken for said in _with_unaccented(name)]
    places = [(said, area) for area in sorted(areas) for said in _with_unaccented(area)]
    # Names and areas are the house's untrusted text: matched as plain words, never parsed as templates.
    return {
        "name": TextSlotList.from_tuples(names, allow_template=False),
        "area": TextSlotList.from_tuples(places, allow_template=False) if areas else _NO_PLACE,
        "floor": _NO_PLACE,
        "temperature": _TEMPERATURES,
    }


def _with_unaccented(text: str) -> list[str]:
    """A name as written and, where it has accents, without them: people type "Salon" for "Salón"."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return [text, plain] if plain != text and plain.strip() else [text]


def _spoken_names(device: Device) -> list[str]:
    """A device's name and aliases; a list also by the leading words of its name ("Johnny's" for
    "Johnny's Seeds"), as people shorten a shop's name."""
    spoken = {name for name in (device.name, *device.aliases) if len(name) <= MAX_NAME}
    if device.domain == "todo" and len(device.name) <= MAX_NAME:
        words = device.name.split()
        spoken |= {" ".join(words[:count]) for count in range(1, len(words))}
    return sorted(name for name in spoken if name.strip())


def _short_names(devices: list[Device], areas: set[str], kind_words: frozenset[str]) -> dict[str, list[str]]:
    """Each device's leading or trailing name (or alias) words that say it and nothing else in the house
    ("Chandelier" for "Antler Chandelier", "Key Light Air" for "Elgato Key Light Air"): people drop the
    brand or the room. A form two devices' names or aliases share, a full name, only a room's words
    ("Bedroom" of "Bedroom 1 TV"), only words for a kind ("Light" of "Elgato Key Light": "the light" may be
    any light) or no letter at all ("1") is left out."""
    said = {name.casefold() for device in devices for name in _spoken_names(device)}
    room_words = {word for area in areas for word in area.casefold().split()}
    owners: dict[str, set[str]] = {}
    forms: dict[str, str] = {}  # the form as first written, by its casefolded words
    for device in devices:
        if device.domain in READ_ONLY:
            continue  # a sensor is asked about, never switched: "PC" is the PC Plug, not the PC Power Draw
        for name in _spoken_names(device):  # an alias's forms too: "Deckenlampe" of Deckenlampe Wohnzimmer
            words = name.split()
            if len(words) > _MAX_SHORT_WORDS:
                continue
            for count in range(1, len(words)):
                for form in (" ".join(words[:count]), " ".join(words[count:])):
                    owners.setdefault(form.casefold(), set()).add(device.entity_id)
                    forms.setdefault(form.casefold(), form)
    # A room's words name the only device of that room ("Mach die Diele aus" for the Diele Licht).
    in_area = Counter(device.area.casefold() for device in devices if device.area)
    alone = {
        device.entity_id: device.area.casefold()
        for device in devices
        if device.area and in_area[device.area.casefold()] == 1
    }
    short: dict[str, list[str]] = {}
    for folded, ids in sorted(owners.items()):
        if (
            len(ids) == 1
            and folded not in said
            and (not set(folded.split()) <= room_words or alone.get(next(iter(ids))) == folded)
            and not set(folded.split()) <= kind_words
            and re.search(r"[^\W\d_]", folded)
            and not _room_kind_shared(folded, next(iter(ids)), devices, room_words, kind_words)
        ):
            short.setdefault(ids.pop(), []).append(forms[folded])
    return short


def _room_kind_shared(
    folded: str, entity_id: str, devices: list[Device], room_words: set[str], kind_words: frozenset[str]
) -> bool:
    """True when a form says only a room and a kind ("Bedroom Light" of the Garden Bedroom Light) and
    another device of that domain is in a room of those words (the Sea View Bedroom's lamps): "the bedroom
    light" may be either."""
    said = set(folded.split())
    rooms = said & room_words
    if not rooms or not said - rooms <= kind_words:
        return False
    domain = entity_id.split(".", 1)[0]
    return any(
        device.entity_id != entity_id
        and device.domain == domain
        and rooms <= set((device.area or "").casefold().split())
        for device in devices
    )


def _calls(result: Any, house: House, light_words: frozenset[str]) -> list[Call]:
    """The calls one hassil reading asks for on its targets ([] when it names none or cannot be a call)."""
    slots: dict[str, Any] = dict(getattr(result.intent_data, "slots", None) or {})
    slots |= {name: entity.value for name, entity in result.entities.items()}
    if "domain" not in slots and result.intent.name in _INTENT_DOMAINS:
        slots["domain"] = _INTENT_DOMAINS[result.intent.name]
    if "name" not in slots and slots.get("area", _ANYWHERE) == _ANYWHERE:  # no place said
        targets = _anywhere(result.intent.name, slots, house)
    else:
        targets = _targets(slots, house, light_words)
        if "name" not in slots and result.intent.name in _MEDIA_STATES:
            targets = _in_state(targets, _MEDIA_STATES[result.intent.name])
    calls = [_call(result.intent.name, slots, device) for device in targets]
    return calls if calls and all(calls) else []  # type: ignore[return-value]


def _anywhere(intent: str, slots: Mapping[str, Any], house: House) -> list[Device]:
    """The one device a sentence that says no place means (see _ANYWHERE), or none."""
    if intent not in _HOUSE_WIDE_STATES or "domain" not in slots:
        return []
    domains = slots["domain"] if isinstance(slots["domain"], list) else [slots["domain"]]
    for domain in domains:  # "set the temperature to 20": the thermostat before a water heater
        found = _in_state([d for d in house.devices if d.domain == domain], _HOUSE_WIDE_STATES[intent])
        if found:
            return found if len(found) == 1 else []
    return []


def _in_state(devices: list[Device], states: tuple[str | None, ...]) -> list[Device]:
    """The devices in the first of `states` any of them is in (None: all of them), or none."""
    for state in states:
        found = [device for device in devices if state is None or device.state == state]
        if found:
            return found
    return []


def _targets(slots: Mapping[str, Any], house: House, light_words: frozenset[str] = frozenset()) -> list[Device]:
    """The devices a reading names: by name (in the area it says, if any), or those of its domain and
    class in the area it says, a room's lights with the switches named as lights ("Island Pendants").
    A reading with neither names nothing here ("turn on the lights")."""
    area = slots.get("area")
    if (name := slots.get("name")) is not None:
        device = house.device(str(name))
        return [device] if device is not None and (area is None or device.area in (None, area)) else []
    if area is None or "domain" not in slots:
        return []
    domains = set(slots["domain"] if isinstance(slots["domain"], list) else [slots["domain"]])
    device_class = slots.get("device_class")
    found = [
        device
        for device in house.devices
        if device.area == area
        and device.domain in domains
        and (device_class is None or device.attributes.get("device_class") == device_class)
    ]
    if "light" in domains and device_class is None:  # lights on relays and plugs are the room's lights too
        found += [d for d in house.devices if d.area == area and d.domain == "switch" and _lights(d, light_words)]
    if not found and "light" in domains:  # "the kitchen light" where a relay with a bare id drives it
        relays = [device for device in house.devices if device.area == area and device.domain == "switch"]
        found = relays if len(relays) == 1 and _names_nothing(relays[0]) else []
    return found


# Words a relay's firmware puts in its name ("shellyplus2pm-c049ef Switch 0"): they say what it is,
# not what it drives.
RELAY_WORDS = frozenset({"switch", "relay", "channel", "output", "schalter", "relais", "kanal", "ausgang"})


def _lights(device: Device, light_words: frozenset[str]) -> bool:
    """True when a device's name says it is a light: a word for one, alone or ending a compound
    ("Island Pendants", "Flurlicht")."""
    words = re.findall(r"[^\W_]+", device.name.casefold())
    return any(word.endswith(light) for word in words for light in light_words)


def _names_nothing(device: Device) -> bool:
    """True when a device's name says nothing of what it drives: ids, model numbers and relay words
    only ("shelly1pm-84cca8a1b2c3"), so the only relay of a room with no light is that room's light."""
    words = re.findall(r"[^\W_]+", device.name.casefold())
    return bool(words) and all(word in RELAY_WORDS or any(c.isdigit() for c in word) for word in words)


def _call(intent: str, slots: Mapping[str, Any], device: Device) -> Call | None:
    """The call `intent` with `slots` makes on `device`, or None where it has none."""
    domain = device.domain
    service: str | None = None
    arguments: dict[str, object] = {}
    if intent in ("HassTurnOn", "HassTurnOff"):
        turn = _TURN.get(domain)
        service = None if turn is None else turn[0] if intent == "HassTurnOn" else turn[1]
    elif intent == "HassLightSet" and domain == "light":
        service, arguments = "turn_on", _light_values(slots)
        if not arguments:
            return None
    elif intent == "HassClimateSetTemperature" and domain in ("climate", "water_heater") and "temperature" in slots:
        service, arguments = "set_temperature", {"temperature": _number(slots["temperature"])}
    elif intent == "HassSetPosition" and domain == "cover" and "position" in slots:
        service, arguments = "set_cover_position", {"position": _number(slots["position"])}
    elif intent == "HassFanSetSpeed" and domain == "fan" and "percentage" in slots:
        service, arguments = "set_percentage", {"percentage": _number(slots["percentage"])}
    elif intent == "HassSetVolume" and domain == "media_player" and "volume_level" in slots:
        service, arguments = "volume_set", {"volume_level": round(float(slots["volume_level"]) / 100, 2)}
    elif intent in ("HassMediaPlayerMute", "HassMediaPlayerUnmute") and domain == "media_player":
        service, arguments = "volume_mute", {"is_volume_muted": intent == "HassMediaPlayerMute"}
    elif intent in _MEDIA and domain == "media_player":
        service = _MEDIA[intent]
    elif intent in ("HassVacuumStart", "HassVacuumReturnToBase") and domain == "vacuum":
        service = "start" if intent == "HassVacuumStart" else "return_to_base"
    elif intent == "HassListAddItem" and domain == "todo" and str(slots.get("item", "")).strip():
        service, arguments = "add_item", {"item": str(slots["item"]).strip()}
    return Call(domain, service, device.entity_id, arguments) if service else None


def _light_values(slots: Mapping[str, Any]) -> dict[str, object]:
    """A light's brightness (0-255, the model's format) and colour from HassLightSet's slots."""
    values: dict[str, object] = {}
    if "brightness" in slots:
        values["brightness"] = round(float(slots["brightness"]) * 255 / 100)
    if str(slots.get("color", "")).lower() in COLOR_NAMES:
        values["color_name"] = str(slots["color"]).lower()
    return values


def _number(value: object) -> int | float:
    """A slot's number as the model writes it: 21, not 21.0."""
    number = float(value)  # type: ignore[arg-type]
    return int(number) if number.is_integer() else number
