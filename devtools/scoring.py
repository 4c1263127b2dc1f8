"""Arguments scored: does a call's data say what the expected call's `data` says (pure).

An expected call may carry `data` in Home Assistant's own argument names. Only the keys it gives are
checked (a call may add others), each on one scale with a tolerance, so that the forms the agent
writes and the forms a dataset's author writes compare:

    brightness_pct / brightness      percent of full, +-2 points (brightness 0-255 is read as percent)
    percentage, position, humidity   +-2 points
    volume_level                     0-1 (a value above 1 is read as percent), +-0.02
    temperature, target_temp_*       +-0.5 degrees
    color_temp_kelvin                +-300 K
    color_name / rgb_color           the same colour: names and rgb within 60 (Euclidean) of each other
    duration                         the same number of seconds ("0:05:00", 300)
    text and flags (hvac_mode, source, item, is_volume_muted ...) equal, ignoring case and blanks
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from homeassistant.util.color import color_name_to_rgb

PERCENT_KEYS = frozenset({"brightness_pct", "percentage", "position", "humidity", "percentage_step"})
TEMPERATURE_KEYS = frozenset({"temperature", "target_temp_low", "target_temp_high"})
COLOR_KEYS = frozenset({"color_name", "rgb_color"})
COLOR_DISTANCE = 60.0


def argument_errors(expected: Mapping[str, Any], made: Mapping[str, Any]) -> list[str]:
    """The expected keys whose value the made call does not give (missing or off); [] when all match."""
    return [key for key, value in expected.items() if not _matches(key, value, made)]


def _matches(key: str, value: Any, made: Mapping[str, Any]) -> bool:
    """Whether `made` gives `key` the value `value`, on the key's scale."""
    if key in COLOR_KEYS:
        return _same_color(_rgb(key, value), _made_color(made))
    if key == "brightness_pct":
        return _close(value, _made_brightness_pct(made), 2)
    if key not in made:
        return False
    given = made[key]
    if key in PERCENT_KEYS:
        return _close(value, given, 2)
    if key == "volume_level":
        return _close(_fraction(value), _fraction(given), 0.02)
    if key in TEMPERATURE_KEYS:
        return _close(value, given, 0.5)
    if key == "color_temp_kelvin":
        return _close(value, given, 300)
    if key == "duration":
        return _seconds(value) is not None and _seconds(value) == _seconds(given)
    return _text(value) == _text(given)


def _number(value: Any) -> float | None:
    """A number from a number or a numeric string ("40", "40%"); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().rstrip("%"))
        except ValueError:
            return None
    return None


def _close(expected: Any, given: Any, tolerance: float) -> bool:
    """Both numbers, within `tolerance` of each other."""
    a, b = _number(expected), _number(given)
    return a is not None and b is not None and abs(a - b) <= tolerance + 1e-9


def _fraction(value: Any) -> float | None:
    """A volume as 0-1: a "40%" string or a value above 1 is a percentage."""
    number = _number(value)
    if number is None:
        return None
    return number / 100 if number > 1 or (isinstance(value, str) and value.strip().endswith("%")) else number


def _made_brightness_pct(made: Mapping[str, Any]) -> float | None:
    """The call's brightness as percent of full, from brightness_pct or brightness (0-255)."""
    if "brightness_pct" in made:
        return _number(made["brightness_pct"])
    level = _number(made.get("brightness"))
    return None if level is None else level * 100 / 255


def _rgb(key: str, value: Any) -> tuple[int, int, int] | None:
    """A colour as rgb: a name Home Assistant knows, or an rgb triple; None otherwise."""
    if key == "color_name":
        try:
            return tuple(color_name_to_rgb(str(value).strip().lower()))  # type: ignore[return-value]
        except ValueError:
            return None
    if isinstance(value, list | tuple) and len(value) == 3 and all(_number(v) is not None for v in value):
        return tuple(int(_number(v)) for v in value)  # type: ignore[return-value, arg-type]
    return None


def _made_color(made: Mapping[str, Any]) -> tuple[int, int, int] | None:
    """The colour a call sets, from its color_name or rgb_color."""
    for key in ("color_name", "rgb_color"):
        if key in made and (rgb := _rgb(key, made[key])) is not None:
            return rgb
    return None


def _same_color(a: tuple[int, int, int] | None, b: tuple[int, int, int] | None) -> bool:
    """Two colours within COLOR_DISTANCE of each other."""
    return a is not None and b is not None and math.dist(a, b) <= COLOR_DISTANCE


def _seconds(value: Any) -> int | None:
    """Seconds from a number or "H:MM:SS" / "H:MM"."""
    number = _number(value)
    if number is not None:
        return int(number)
    if isinstance(value, str) and re.fullmatch(r"\d+(:\d\d){1,2}", value.strip()):
        parts = [int(p) for p in value.strip().split(":")]
        parts += [0] * (3 - len(parts))
        return parts[0] * 3600 + parts[1] * 60 + parts[2]
    return None


def _text(value: Any) -> str:
    """Text compared without case and extra blanks; booleans and numbers as their text."""
    return " ".join(str(value).casefold().split())
