"""Pytest plugin for the compatibility run: marks every test that runs a Home Assistant instance.

scripts/test loads it with `-p tests.stack_marker` and runs `-m homeassistant` on the oldest supported
release: the tests that touch Home Assistant's APIs are those whose own fixtures need `hass` (every test
gets one through conftest's autouse fixture, so that one is not counted), plus modules that run Home
Assistant another way and say so with `pytestmark = pytest.mark.homeassistant`. The pure modules (parser,
grammar, policy, training, fuzzers) do not change with the release and run once.
"""

from __future__ import annotations

import pytest


def _needs_hass(item: pytest.Item) -> bool:
    """Whether the test's own arguments (not the autouse fixtures) reach the `hass` fixture."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    pending, seen = list(info.argnames), set()
    while pending:
        name = pending.pop()
        if name == "hass":
            return True
        if name in seen or name not in info.name2fixturedefs:
            continue
        seen.add(name)
        pending.extend(info.name2fixturedefs[name][-1].argnames)
    return False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that need a Home Assistant instance."""
    for item in items:
        if _needs_hass(item):
            item.add_marker(pytest.mark.homeassistant)
