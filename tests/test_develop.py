"""scripts/develop: a real `hass` on 127.0.0.1, onboarded, with the agent answering over REST."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from devtools.develop import Api

from .conftest import REPO

pytestmark = pytest.mark.real_model
READY = re.compile(r"\[develop\] ready: \S+ .*agent (conversation\.\S+)\.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_ready(process: subprocess.Popen, log: Path, timeout: float = 420) -> str:
    """The agent's entity id from the ready line; everything else in the log is Home Assistant's."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if match := READY.search(log.read_text(errors="replace")):
            return match.group(1)
        time.sleep(1)
    raise AssertionError("scripts/develop did not get ready:\n" + log.read_text(errors="replace")[-4000:])


def test_develop_serves_home_assistant_with_the_agent(model_path: Path, tmp_path: Path, socket_enabled: None) -> None:
    config = tmp_path / "config"
    config.mkdir()
    shutil.copy(REPO / "config" / "configuration.yaml", config)
    port = free_port()
    log = tmp_path / "develop.log"
    with log.open("w") as output:  # a file, not a pipe: nobody has to keep reading it
        process = subprocess.Popen(
            [
                str(REPO / "scripts" / "develop"),
                "--port",
                str(port),
                "--model",
                str(model_path),
                "--config",
                str(config),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        agent_id = wait_until_ready(process, log)
        api = Api(port)
        api.log_in()  # onboarding is done: this is the login flow of the dev user
        assert api.request("GET", "/api/states/light.kitchen_lights")["state"] == "on"
        reply = api.converse("turn off the kitchen lights", agent_id)
        assert reply["response"]["response_type"] == "action_done", reply
        assert reply["response"]["data"]["success"][0]["id"] == "light.kitchen_lights"
        assert api.request("GET", "/api/states/light.kitchen_lights")["state"] == "off"
        assert (config / "custom_components" / "home_llm").resolve() == REPO / "custom_components" / "home_llm"
    finally:
        process.send_signal(signal.SIGTERM)  # develop stops Home Assistant, then exits
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with pytest.raises(OSError):  # nothing listens any more
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
