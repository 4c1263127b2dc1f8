"""scripts/browser-walk: the real frontend in Chromium against scripts/develop, on this test run's stack."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

# homeassistant: the compatibility run walks the oldest release's frontend too (tests.stack_marker).
pytestmark = [pytest.mark.real_model, pytest.mark.homeassistant]
CHROMIUM = Path("/usr/bin/chromium")
WALK_TIMEOUT = 900  # seconds; the walk takes about 2.5 minutes on two shared cores
STEPS = [
    "login",
    "devices-and-services",
    "add-integration",
    "model-source",
    "local-model-file",
    "agent-created",
    "voice-assistant",
    "assist-request",
    "assist-reply",
    "assist-streaming",
    "assist-answer",
    "dashboard",
    "dashboard-light-off",
    "broken-model-listed",
    "broken-model-error",
]


def test_browser_walk_adds_the_agent_and_talks_to_it(model_path: Path, tmp_path: Path) -> None:
    """Every step of the walk shows what a user should see, with one screenshot each, in order."""
    if not CHROMIUM.exists():  # .ci/run installs it: there a missing browser fails the run
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    venv = Path(sys.prefix)  # the Home Assistant this test run uses (.venv or .venv-oldest)
    command = [str(REPO / "scripts" / "browser-walk"), "--venv", str(venv), "--shots", str(tmp_path)]
    command += ["--model", str(model_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=WALK_TIMEOUT, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    shots = sorted(path.name for path in tmp_path.glob("*.png"))
    assert shots == [f"{number:02d}-{step}.png" for number, step in enumerate(STEPS, 1)]
    assert all((tmp_path / name).stat().st_size > 10_000 for name in shots)  # a real page, not a blank one
