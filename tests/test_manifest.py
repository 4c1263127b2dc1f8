"""The manifest's requirements and hacs.json's minimum release fit the Home Assistant this stack runs.

scripts/test runs this on the newest and the oldest supported release, so both ends of the range are checked.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import homeassistant
from awesomeversion import AwesomeVersion
from homeassistant.components.light import LightEntityFeature
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.core import HomeAssistant
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.setup import async_setup_component
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .conftest import REPO

MANIFEST = json.loads((REPO / "custom_components/home_llm/manifest.json").read_text())
HACS = json.loads((REPO / "hacs.json").read_text())


def _ha_constraints() -> dict[str, Requirement]:
    """Home Assistant's own pins (package_constraints.txt), by package name."""
    path = Path(homeassistant.__file__).parent / "package_constraints.txt"
    pins = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            pins[canonicalize_name(requirement.name)] = requirement
    return pins


def test_requirements_are_ranges_not_exact_pins() -> None:
    """An exact pin fights any other integration or core pin of the same package: ranges only."""
    for line in MANIFEST["requirements"]:
        specifiers = Requirement(line).specifier
        assert specifiers, f"{line}: give a lower bound"
        assert not any(spec.operator in ("==", "===") for spec in specifiers), f"{line}: exact pin"


def test_requirements_admit_the_installed_and_core_pinned_versions() -> None:
    """Each requirement accepts what this stack installed and any version Home Assistant itself pins."""
    constraints = _ha_constraints()
    for line in MANIFEST["requirements"]:
        requirement = Requirement(line)
        installed = metadata.version(requirement.name)
        assert requirement.specifier.contains(installed), f"{line} rejects the installed {installed}"
        core = constraints.get(canonicalize_name(requirement.name))
        for spec in core.specifier if core else ():
            if spec.operator == "==":
                assert requirement.specifier.contains(spec.version), f"{line} fights core's {core}"


def test_hacs_minimum_is_not_newer_than_this_release() -> None:
    """hacs.json's minimum release is one this stack satisfies (the oldest stack runs exactly it)."""
    assert AwesomeVersion(HA_VERSION) >= AwesomeVersion(HACS["homeassistant"])


async def test_the_frontends_service_list_loads(hass: HomeAssistant) -> None:
    """The UI asks for every service's description right after login; a stack that cannot build it stalls there.

    Reading a services.yaml with feature filters imports the base integrations (tts needs mutagen on
    2026.2): without it the frontend stays on "Loading data" (requirements_newest.txt installs it).
    """
    assert await async_setup_component(hass, "light", {})
    descriptions = await async_get_all_descriptions(hass)
    transition = descriptions["light"]["turn_on"]["fields"]["transition"]
    assert transition["filter"] == {"supported_features": [LightEntityFeature.TRANSITION]}  # filter resolved
