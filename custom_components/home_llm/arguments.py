"""Pure argument rules for the services a model may call with arguments. No Home Assistant imports.

For each service: which arguments it takes (in slots: one choice per slot, some slots required),
and for each argument the values this entity allows, read from its snapshot attributes (supported
features, min/max temperature, its own hvac/fan/preset modes, colour modes, a player's sources...).
The policy reads values through `check_arguments`; the grammar writes only values from the same
`value_domain`. A refusal is an ArgumentError: a phrase of languages/*.yaml and its values, said in
the turn's language by the policy.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from .lexicon import ENGLISH, FALLBACK_LANGUAGE, Phrases, base_language
from .snapshot import Device


@dataclass(frozen=True, slots=True)
class Range:
    low: float
    high: float
    integer: bool


@dataclass(frozen=True, slots=True)
class Choice:
    options: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rgb:
    """Three bytes: (red, green, blue)."""


@dataclass(frozen=True, slots=True)
class Flag:
    """A boolean: true or false."""


@dataclass(frozen=True, slots=True)
class Text:
    max_length: int


@dataclass(frozen=True, slots=True)
class Duration:
    max_seconds: int


ValueDomain = Range | Choice | Rgb | Flag | Text | Duration


@dataclass(frozen=True, slots=True)
class Slot:
    """One place in a call: at most one of `choices` (each a group of arguments given together)."""

    choices: tuple[tuple[str, ...], ...]
    required: bool = False


def _optional(*names: str) -> Slot:
    return Slot(tuple((name,) for name in names))


def _required(*groups: tuple[str, ...]) -> Slot:
    return Slot(groups, required=True)


# The arguments each service takes, in the order the grammar writes them. A service not listed
# here takes no argument beyond its target entity.
SERVICE_SLOTS: dict[tuple[str, str], tuple[Slot, ...]] = {
    ("light", "turn_on"): (_optional("brightness"), _optional("rgb_color", "color_name", "color_temp_kelvin")),
    ("climate", "set_temperature"): (
        _required(("temperature",), ("target_temp_low", "target_temp_high")),
        _optional("hvac_mode"),
    ),
    ("climate", "set_hvac_mode"): (_required(("hvac_mode",)),),
    ("climate", "set_fan_mode"): (_required(("fan_mode",)),),
    ("climate", "set_preset_mode"): (_required(("preset_mode",)),),
    ("climate", "set_humidity"): (_required(("humidity",)),),
    ("fan", "set_percentage"): (_required(("percentage",)),),
    ("fan", "set_preset_mode"): (_required(("preset_mode",)),),
    ("fan", "increase_speed"): (_optional("percentage_step"),),
    ("fan", "decrease_speed"): (_optional("percentage_step"),),
    ("cover", "set_cover_position"): (_required(("position",)),),
    ("media_player", "volume_set"): (_required(("volume_level",)),),
    ("media_player", "volume_mute"): (_required(("is_volume_muted",)),),
    ("media_player", "select_source"): (_required(("source",)),),
    ("humidifier", "set_humidity"): (_required(("humidity",)),),
    ("water_heater", "set_temperature"): (_required(("temperature",)),),
    ("todo", "add_item"): (_required(("item",)),),
    ("timer", "start"): (_optional("duration"),),
}

# Colour names Home Assistant knows (homeassistant.util.color.COLORS; a test checks each).
COLOR_NAMES: tuple[str, ...] = (
    "red", "green", "blue", "yellow", "orange", "purple", "pink", "white", "cyan", "magenta",
    "violet", "lime", "teal", "navy", "gold", "coral", "turquoise", "lavender", "crimson", "indigo",
)  # fmt: skip

# Colour modes (homeassistant.components.light.ColorMode values) and feature bits of Home
# Assistant's entity feature flags; tests check them against Home Assistant's own enums.
_COLOR_MODES = frozenset({"hs", "xy", "rgb", "rgbw", "rgbww"})
_NO_BRIGHTNESS_MODES = frozenset({"onoff", "unknown"})
CLIMATE_TARGET_TEMPERATURE = 1
CLIMATE_TARGET_TEMPERATURE_RANGE = 2
CLIMATE_TARGET_HUMIDITY = 4
CLIMATE_FAN_MODE = 8
CLIMATE_PRESET_MODE = 16
FAN_SET_SPEED = 1
FAN_PRESET_MODE = 8
COVER_SET_POSITION = 4
MEDIA_PLAYER_VOLUME_SET = 4
MEDIA_PLAYER_VOLUME_MUTE = 8
MEDIA_PLAYER_SELECT_SOURCE = 2048
WATER_HEATER_TARGET_TEMPERATURE = 1
TODO_CREATE_ITEM = 1
MAX_TODO_ITEM = 100
MAX_TIMER_SECONDS = 24 * 3600

# Services Home Assistant registers for entities with a feature only (it refuses the others):
# checked even when the call has no argument, so that the grammar never offers them.
SERVICE_FEATURES: dict[tuple[str, str], int] = {
    ("fan", "increase_speed"): FAN_SET_SPEED,
    ("fan", "decrease_speed"): FAN_SET_SPEED,
    ("media_player", "volume_mute"): MEDIA_PLAYER_VOLUME_MUTE,
    ("media_player", "select_source"): MEDIA_PLAYER_SELECT_SOURCE,
}


@dataclass(frozen=True, slots=True)
class Names:
    """Argument names, said in the user's language: groups joined by "or", names in a group by "and"."""

    groups: tuple[tuple[str, ...], ...]


def _names(*names: str) -> Names:
    """One group of argument names: "brightness", or "target_temp_low and target_temp_high"."""
    return Names((names,))


class ArgumentError(ValueError):
    """An argument the policy refuses: a phrase key (`argument_errors.*` in languages/*.yaml) and the
    values it says; str() is the English sentence, for logs and callers that do not translate."""

    def __init__(self, key: str, /, **values: object) -> None:
        """`values`: plain text, or Names for argument names (said by the language's own words)."""
        super().__init__(key)
        self.key = f"argument_errors.{key}"
        self.values = values

    def __str__(self) -> str:
        """The reason in English."""
        return self.reason(ENGLISH.phrases)

    def reason(self, phrases: Phrases) -> str:
        """The reason in the language of `phrases`, with the values put in."""
        said = {key: _say_names(v, phrases) if isinstance(v, Names) else str(v) for key, v in self.values.items()}
        return phrases.text(self.key, **said)


def _say_names(names: Names, phrases: Phrases) -> str:
    """Names as `phrases` writes them, joined by its "and" and "or"; the names the service takes when
    that would say two choices the same ("Farbe oder Farbe": rgb_color and color_name are both colours)."""
    groups = [tuple(_argument_name(name, phrases) for name in group) for group in names.groups]
    if len(set(groups)) < len(groups):
        groups = list(names.groups)
    return f" {phrases.text('or')} ".join(f" {phrases.text('and')} ".join(group) for group in groups)


def _argument_name(name: str, phrases: Phrases) -> str:
    """An argument's name in the language's own `arguments:` words, else as the service takes it.

    English keeps the service's names (its reasons read as they always did; its `arguments:` words are
    for the brackets of confirmations), and so does a language without a file of its own.
    """
    if base_language(phrases.language) == FALLBACK_LANGUAGE:
        return name
    return phrases.own(f"arguments.{name}") or name


def _features(device: Device) -> int:
    value = device.attributes.get("supported_features")
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


def _number(device: Device, key: str, default: float | None = None) -> float | None:
    value = device.attributes.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return default
    return float(value)


def _range(
    device: Device, low_key: str, high_key: str, *, integer: bool, default: tuple[float, float] | None = None
) -> Range | None:
    low = _number(device, low_key, default[0] if default else None)
    high = _number(device, high_key, default[1] if default else None)
    if low is None or high is None or low > high:
        return None
    return Range(low, high, integer)


def _choice(device: Device, key: str) -> Choice | None:
    options = device.attributes.get(key)
    if not isinstance(options, list | tuple):
        return None
    kept = tuple(dict.fromkeys(str(o) for o in options if isinstance(o, str) and _is_plain_text(str(o))))
    return Choice(kept) if kept else None


def _is_plain_text(text: str) -> bool:
    """No control characters, quotes, backslashes or blanks at the ends: safe inside a quoted argument."""
    return bool(text) and text == text.strip() and not any(c in '"\\' or unicodedata.category(c) == "Cc" for c in text)


def _light_modes(device: Device) -> set[str]:
    modes = device.attributes.get("supported_color_modes")
    return {str(m) for m in modes} if isinstance(modes, list | tuple | set | frozenset) else set()


def value_domain(domain: str, name: str, device: Device) -> ValueDomain | None:
    """The values `device` accepts for argument `name`, or None when it does not take it."""
    features = _features(device)
    match (domain, name):
        case ("light", "brightness"):
            return Range(0, 255, True) if _light_modes(device) - _NO_BRIGHTNESS_MODES else None
        case ("light", "rgb_color"):
            return Rgb() if _light_modes(device) & _COLOR_MODES else None
        case ("light", "color_name"):
            return Choice(COLOR_NAMES) if _light_modes(device) & _COLOR_MODES else None
        case ("light", "color_temp_kelvin"):
            if "color_temp" not in _light_modes(device):
                return None
            return _range(device, "min_color_temp_kelvin", "max_color_temp_kelvin", integer=True)
        case ("climate", "temperature"):
            if not features & CLIMATE_TARGET_TEMPERATURE:
                return None
            return _range(device, "min_temp", "max_temp", integer=False)
        case ("climate", "target_temp_low" | "target_temp_high"):
            if not features & CLIMATE_TARGET_TEMPERATURE_RANGE:
                return None
            return _range(device, "min_temp", "max_temp", integer=False)
        case ("climate", "hvac_mode"):
            return _choice(device, "hvac_modes")
        case ("climate", "fan_mode"):
            return _choice(device, "fan_modes") if features & CLIMATE_FAN_MODE else None
        case ("climate", "preset_mode"):
            return _choice(device, "preset_modes") if features & CLIMATE_PRESET_MODE else None
        case ("climate", "humidity"):
            if not features & CLIMATE_TARGET_HUMIDITY:
                return None
            return _range(device, "min_humidity", "max_humidity", integer=True)
        case ("fan", "percentage"):
            return Range(0, 100, True) if features & FAN_SET_SPEED else None
        case ("fan", "preset_mode"):
            return _choice(device, "preset_modes") if features & FAN_PRESET_MODE else None
        case ("fan", "percentage_step"):
            return Range(1, 100, True) if features & FAN_SET_SPEED else None
        case ("cover", "position"):
            return Range(0, 100, True) if features & COVER_SET_POSITION else None
        case ("media_player", "volume_level"):
            return Range(0, 1, False) if features & MEDIA_PLAYER_VOLUME_SET else None
        case ("media_player", "is_volume_muted"):
            return Flag() if features & MEDIA_PLAYER_VOLUME_MUTE else None
        case ("media_player", "source"):
            return _choice(device, "source_list") if features & MEDIA_PLAYER_SELECT_SOURCE else None
        case ("humidifier", "humidity"):
            return _range(device, "min_humidity", "max_humidity", integer=True, default=(0, 100))
        case ("water_heater", "temperature"):
            if not features & WATER_HEATER_TARGET_TEMPERATURE:
                return None
            return _range(device, "min_temp", "max_temp", integer=False)
        case ("todo", "item"):
            return Text(MAX_TODO_ITEM) if features & TODO_CREATE_ITEM else None
        case ("timer", "duration"):
            return Duration(MAX_TIMER_SECONDS)
    return None


def usable_choices(domain: str, service: str, device: Device) -> list[list[tuple[tuple[str, ValueDomain], ...]]]:
    """Per slot, the argument groups this device can take, with their value domains."""
    slots: list[list[tuple[tuple[str, ValueDomain], ...]]] = []
    for slot in SERVICE_SLOTS.get((domain, service), ()):
        groups = []
        for group in slot.choices:
            domains = [(name, value_domain(domain, name, device)) for name in group]
            if all(d is not None for _, d in domains):
                groups.append(tuple((name, d) for name, d in domains if d is not None))
        slots.append(groups)
    return slots


def _has_service_feature(domain: str, service: str, device: Device) -> bool:
    """Whether `device` has the feature Home Assistant needs for this service (if any)."""
    needed = SERVICE_FEATURES.get((domain, service), 0)
    return _features(device) & needed == needed


def service_available(domain: str, service: str, device: Device) -> bool:
    """Whether `device` supports the service and can take every argument it requires."""
    if not _has_service_feature(domain, service, device):
        return False
    slots = SERVICE_SLOTS.get((domain, service), ())
    usable = usable_choices(domain, service, device)
    return all(groups or not slot.required for slot, groups in zip(slots, usable, strict=True))


def service_signature(domain: str, service: str) -> str:
    """`light.turn_on(brightness,rgb_color,...)`: the Home-LLM v2 "Services:" entry, for a prompt."""
    names = [name for slot in SERVICE_SLOTS.get((domain, service), ()) for group in slot.choices for name in group]
    return f"{domain}.{service}({','.join(names)})" if names else f"{domain}.{service}"


def check_arguments(domain: str, service: str, device: Device, arguments: Mapping[str, object]) -> dict[str, object]:
    """The arguments as Home Assistant takes them, or ArgumentError saying what is wrong."""
    if not _has_service_feature(domain, service, device):
        raise ArgumentError("service_unsupported", name=device.name, service=f"{domain}.{service}")
    slots = SERVICE_SLOTS.get((domain, service), ())
    known = [name for slot in slots for group in slot.choices for name in group]
    normalized: dict[str, object] = {}
    for key, value in arguments.items():
        if key not in known:
            raise ArgumentError("not_taken", service=f"{domain}.{service}", argument=_shown(key))
        value_range = value_domain(domain, key, device)
        if value_range is None:
            raise ArgumentError("argument_unsupported", name=device.name, argument=_names(key))
        normalized[key] = normalize(key, value_range, value)
    for slot in slots:
        used = [group for group in slot.choices if any(name in normalized for name in group)]
        if len(used) > 1:
            raise ArgumentError("only_one", service=f"{domain}.{service}", arguments=Names(tuple(used)))
        if used and (missing := [name for name in used[0] if name not in normalized]):
            raise ArgumentError("needs_too", service=f"{domain}.{service}", arguments=_names(*missing))
        if slot.required and not used:
            raise ArgumentError("needs", service=f"{domain}.{service}", arguments=Names(slot.choices))
    low, high = normalized.get("target_temp_low"), normalized.get("target_temp_high")
    if isinstance(low, float) and isinstance(high, float) and low > high:
        raise ArgumentError("low_above_high", low=_names("target_temp_low"), high=_names("target_temp_high"))
    return normalized


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def normalize(name: str, value_range: ValueDomain, value: object) -> object:
    """One argument value, converted (fractions, percent, text forms) and checked against its range."""
    match value_range:
        case Range():
            return _normalize_number(name, value_range, value)
        case Choice(options):
            if isinstance(value, str):
                wanted = value.strip().casefold()
                for option in options:
                    if option.casefold() == wanted:
                        return option
            raise ArgumentError("not_one_of", argument=_names(name), options=", ".join(options), value=_shown(value))
        case Rgb():
            return _normalize_rgb(value)
        case Flag():
            return _normalize_flag(name, value)
        case Text(max_length):
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str) or not _is_plain_text(value.strip()) or len(value.strip()) > max_length:
                raise ArgumentError("not_text", argument=_names(name), max_length=max_length)
            return value.strip()
        case Duration(max_seconds):
            seconds = _seconds(value)
            if seconds is None or not 0 <= seconds <= max_seconds:
                raise ArgumentError("not_duration", argument=_names(name), hours=max_seconds // 3600)
            return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    raise ArgumentError("unsupported", argument=_names(name))  # pragma: no cover - every domain is matched


def _to_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value) if abs(value) < 10**15 else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?(\d{1,15}(\.\d{0,6})?|\.\d{1,6})\s*", value):
        return float(value)
    return None


def _normalize_number(name: str, value_range: Range, value: object) -> int | float:
    number = None
    if isinstance(value, str) and value.strip().endswith("%"):
        percent = _to_float(value.strip()[:-1])
        if percent is not None:
            number = percent / 100 * (255 if name == "brightness" else 1 if value_range.high <= 1 else 100)
    elif name == "brightness" and isinstance(value, float) and 0 <= value <= 1:
        number = value * 255  # a fraction, as the JSON formats write it
    else:
        number = _to_float(value)
    bounds = {"low": _plain(value_range.low), "high": _plain(value_range.high)}
    if number is None:
        raise ArgumentError("not_a_number", argument=_names(name), **bounds)
    if value_range.integer:
        number = round(number)
    if not value_range.low <= number <= value_range.high:
        raise ArgumentError("out_of_range", argument=_names(name), **bounds, value=_plain(number))
    return int(number) if value_range.integer else round(float(number), 2)


def _plain(number: float) -> str:
    if abs(number) >= 1e6:
        return f"{number:g}"  # a huge number the model wrote is not read out digit by digit
    return str(int(number)) if float(number).is_integer() else str(number)


def _normalize_rgb(value: object) -> tuple[int, int, int]:
    if isinstance(value, str):
        value = [part for part in re.split(r"[\s,()\[\]]+", value) if part]
    parts = [_to_float(part) for part in value] if isinstance(value, list | tuple) else []
    if len(parts) != 3 or any(p is None or not p.is_integer() or not 0 <= p <= 255 for p in parts):
        raise ArgumentError("not_rgb", argument=_names("rgb_color"))
    red, green, blue = (int(p) for p in parts if p is not None)
    return (red, green, blue)


def _normalize_flag(name: str, value: object) -> bool:
    """True or false: a JSON boolean, or the words the grammar writes (`true`, `false`)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().casefold() in ("true", "false"):
        return value.strip().casefold() == "true"
    raise ArgumentError("not_flag", argument=_names(name), value=_shown(value))


def _seconds(value: object) -> int | None:
    """Seconds from an int or "H:MM" / "H:MM:SS" (Home Assistant's own reading of two parts)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if abs(value) <= 10**9 else None
    if not isinstance(value, str):
        return None
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?\s*", value)
    if match is None:
        return None
    hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
    if minutes > 59 or seconds > 59:
        return None
    return hours * 3600 + minutes * 60 + seconds
