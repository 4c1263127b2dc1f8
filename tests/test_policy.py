"""The call policy: nothing outside the exposed devices and allowed services gets through."""

import pytest

from custom_components.home_llm.parser import Call
from custom_components.home_llm.policy import MAX_CALLS_PER_TURN, check_call, check_calls

from .houses import MIXED_HOUSE


def test_allowed() -> None:
    verdict = check_call(Call("light", "turn_off", "light.kitchen"), MIXED_HOUSE)
    assert verdict.allowed and verdict.reason is None


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (Call("light", "turn_off", "light.bathroom"), "not a device exposed"),
        (Call("light", "turn_off", "light.kіtchen"), "not a device exposed"),  # Cyrillic i
        (Call("switch", "turn_off", "light.kitchen"), "cannot act on"),
        (Call("light", "set_level", "light.kitchen"), "not an allowed service"),
        (Call("homeassistant", "turn_off", "light.kitchen"), "never allowed"),
        (Call("lock", "unlock", "lock.front_door"), "sensitive"),
        (Call("cover", "open_cover", "cover.garage_door"), "sensitive"),
        (Call("light", "turn_on", "light.kitchen", {"brightness": 3}), "arguments"),
    ],
)
def test_refused(call: Call, reason: str) -> None:
    verdict = check_call(call, MIXED_HOUSE)
    assert not verdict.allowed
    assert reason in verdict.reason


def test_sensitive_can_be_enabled() -> None:
    assert check_call(Call("lock", "unlock", "lock.front_door"), MIXED_HOUSE, allow_sensitive=True).allowed
    assert check_call(Call("cover", "open_cover", "cover.hall_window"), MIXED_HOUSE).allowed


def test_duplicates_dropped_and_too_many_refused() -> None:
    call = Call("light", "turn_off", "light.kitchen")
    assert len(check_calls((call, call), MIXED_HOUSE)) == 1
    many = tuple(Call("light", "turn_off", f"light.k{i}") for i in range(MAX_CALLS_PER_TURN + 1))
    assert not any(v.allowed for v in check_calls(many, MIXED_HOUSE))
