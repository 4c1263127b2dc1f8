"""scripts/demo: one real turn on Home Assistant's demo house with the default model."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import REPO

pytestmark = pytest.mark.real_model


def run_demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO / "scripts" / "demo"), *args], capture_output=True, text=True, timeout=600, check=False
    )


def test_turn_off_the_kitchen_lights(model_path: Path) -> None:
    result = run_demo("turn off the kitchen lights", "--model", str(model_path))
    assert result.returncode == 0, result.stderr[-3000:]
    output = json.loads(result.stdout)
    assert set(output) == {"speech", "calls", "changed", "latency_ms"}
    assert output["changed"]["light.kitchen_lights"] == {"from": "on", "to": "off"}
    assert {"service": "light.turn_off", "entity_id": "light.kitchen_lights", "ok": True, "error": None} in output[
        "calls"
    ]
    assert output["speech"]
    assert output["latency_ms"] > 0


def test_bad_house_file_is_a_clear_error(tmp_path: Path) -> None:
    house = tmp_path / "house.yaml"
    house.write_text("- entity_id: not an id\n  name: Lamp\n  state: on\n")
    result = run_demo("turn on the lamp", "--house", str(house))
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"demo: {house}: not a house" in result.stderr
    assert "Traceback" not in result.stderr
