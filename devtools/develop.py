"""scripts/develop: a real Home Assistant (`hass -c config`) with the demo house and the Home LLM agent.

    scripts/develop [--port 8123] [--model PATH]

Serves http://127.0.0.1:PORT (log in as dev / dev) until Ctrl+C. On the first start it completes
onboarding; every start it makes sure one Home LLM entry exists (through the real config flow, over
the REST API) and that the preferred Assist pipeline talks to it, so the Assist dialog answers with
the local model. Runtime files stay in config/ (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from .home import DEFAULT_MODEL, REPO

CONFIG_DIR = REPO / "config"
USERNAME = PASSWORD = "dev"  # a local development instance on 127.0.0.1 only
START_TIMEOUT = 300  # seconds; the first start builds the frontend's caches
STOP_TIMEOUT = 30
ONBOARDING_DEFAULTS = {"google_translate", "met", "radio_browser"}


class DevelopError(Exception):
    """Home Assistant did not come up as expected; the message says why."""


class HttpStatusError(DevelopError):
    """Home Assistant answered with an error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Api:
    """A small client for Home Assistant's REST and auth endpoints on 127.0.0.1."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.client_id = f"{self.base}/"
        self.token: str | None = None

    def request(self, method: str, path: str, data: Any = None, *, form: bool = False, timeout: float = 60) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode() if form else json.dumps(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded" if form else "application/json"
        request = urllib.request.Request(self.base + path, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            raise HttpStatusError(f"{method} {path}: HTTP {err.code}: {detail}", err.code) from err
        return json.loads(text) if text else None

    def wait_until_up(self, process: subprocess.Popen, timeout: float = START_TIMEOUT) -> None:
        """Wait until the HTTP server answers (any status: /api/ wants a token)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise DevelopError(f"hass exited with code {process.returncode} while starting (see its log above)")
            try:
                urllib.request.urlopen(f"{self.base}/api/", timeout=5).close()
                return
            except urllib.error.HTTPError:
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(1)
        raise DevelopError(f"Home Assistant did not answer on {self.base} within {timeout} s")

    def onboarding_steps(self) -> dict[str, bool]:
        """Which onboarding steps are done; once all are, Home Assistant drops the endpoint (404)."""
        try:
            return {step["step"]: step["done"] for step in self.request("GET", "/api/onboarding")}
        except HttpStatusError as err:
            if err.status == 404:
                return {}
            raise

    def log_in(self) -> None:
        """Onboard (first start) or log in as the dev user; keep the access token."""
        steps = self.onboarding_steps()
        if not steps.get("user", True):
            user = {"client_id": self.client_id, "name": "Developer", "username": USERNAME, "password": PASSWORD}
            code = self.request("POST", "/api/onboarding/users", {**user, "language": "en"})["auth_code"]
        else:
            flow = self.request(
                "POST",
                "/auth/login_flow",
                {"client_id": self.client_id, "handler": ["homeassistant", None], "redirect_uri": self.client_id},
            )
            result = self.request(
                "POST",
                f"/auth/login_flow/{flow['flow_id']}",
                {"client_id": self.client_id, "username": USERNAME, "password": PASSWORD},
            )
            if result.get("type") != "create_entry":
                raise DevelopError(f"cannot log in as {USERNAME}: {result.get('errors') or result}")
            code = result["result"]
        grant = {"grant_type": "authorization_code", "code": code, "client_id": self.client_id}
        self.token = self.request("POST", "/auth/token", grant, form=True)["access_token"]
        self._finish_onboarding(steps)
        self._remove_broken_defaults()

    def _finish_onboarding(self, steps: dict[str, bool]) -> None:
        if not steps.get("core_config", True):
            self.request("POST", "/api/onboarding/core_config")
        if not steps.get("analytics", True):
            self.request("POST", "/api/onboarding/analytics")
        if not steps.get("integration", True):
            self.request(
                "POST", "/api/onboarding/integration", {"client_id": self.client_id, "redirect_uri": self.client_id}
            )

    def _remove_broken_defaults(self) -> None:
        """Onboarding adds weather, radio and cloud text-to-speech, whose packages the dev .venv lacks."""
        for entry in self.request("GET", "/api/config/config_entries/entry"):
            if entry["domain"] in ONBOARDING_DEFAULTS and entry["state"] != "loaded":
                self.request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")

    def ensure_agent(self, model_path: str) -> dict[str, Any]:
        """The Home LLM entry: the existing one, or a new one through the real config flow."""
        entries = self.request("GET", "/api/config/config_entries/entry?domain=home_llm")
        if entries:
            return entries[0]
        result = self.request("POST", "/api/config/config_entries/flow", {"handler": "home_llm"})
        step = f"/api/config/config_entries/flow/{result['flow_id']}"
        if result["type"] == "menu":
            result = self.request("POST", step, {"next_step_id": "local"})
        if result["type"] == "form":
            result = self.request("POST", step, {"model_path": model_path}, timeout=300)
        if result["type"] != "create_entry":
            raise DevelopError(f"the Home LLM config flow did not create an entry: {result.get('errors') or result}")
        return result["result"]

    def agent_entity(self, entry_id: str) -> str:
        """The agent's conversation entity (a few seconds after the entry is made, once the model is loaded)."""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            for state in self.request("GET", "/api/states"):
                if (
                    state["entity_id"].startswith("conversation.")
                    and state["entity_id"] != "conversation.home_assistant"
                ):
                    return state["entity_id"]
            time.sleep(1)
        raise DevelopError(f"the Home LLM agent of entry {entry_id} did not appear")

    def converse(self, text: str, agent_id: str) -> dict[str, Any]:
        return self.request("POST", "/api/conversation/process", {"text": text, "agent_id": agent_id}, timeout=300)


def ensure_preferred_pipeline(api: Api, agent_id: str) -> None:
    """Make the preferred Assist pipeline talk to the agent (websocket API: pipelines have no REST)."""
    import asyncio  # noqa: PLC0415

    import aiohttp  # noqa: PLC0415 - Home Assistant's own HTTP client

    async def update() -> None:
        async with aiohttp.ClientSession() as session, session.ws_connect(f"{api.base}/api/websocket") as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": api.token})
            if (await ws.receive_json())["type"] != "auth_ok":
                raise DevelopError("the websocket API refused the token")
            await ws.send_json({"id": 1, "type": "assist_pipeline/pipeline/list"})
            listing = (await ws.receive_json())["result"]
            preferred = next(p for p in listing["pipelines"] if p["id"] == listing["preferred_pipeline"])
            if preferred["conversation_engine"] == agent_id:
                return
            fields = {k: v for k, v in preferred.items() if k not in ("id", "type")}
            fields.update(conversation_engine=agent_id, conversation_language="*")
            tts_ids = {state["entity_id"] for state in api.request("GET", "/api/states")}
            if fields.get("tts_engine") not in tts_ids:  # e.g. the removed cloud text-to-speech
                fields.update(tts_engine=None, tts_language=None, tts_voice=None)
            await ws.send_json(
                {"id": 2, "type": "assist_pipeline/pipeline/update", "pipeline_id": preferred["id"], **fields}
            )
            if not (reply := await ws.receive_json())["success"]:
                raise DevelopError(f"cannot point the Assist pipeline at {agent_id}: {reply}")

    asyncio.run(update())


def link_integration(config_dir: Path) -> None:
    """config/custom_components/home_llm -> the repository's integration (a git-ignored link)."""
    link = config_dir / "custom_components" / "home_llm"
    target = REPO / "custom_components" / "home_llm"
    if link.is_symlink() and link.resolve() == target:
        return
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink():
        link.unlink()
    link.symlink_to(target, target_is_directory=True)


def start_hass(config_dir: Path, port: int) -> subprocess.Popen:
    hass = Path(sys.executable).with_name("hass")
    env = {**os.environ, "HOME_LLM_PORT": str(port)}
    return subprocess.Popen([str(hass), "-c", str(config_dir), "--skip-pip"], env=env)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()  # Home Assistant stops cleanly on SIGTERM
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/develop", description=__doc__.splitlines()[0])
    default_port = int(os.environ.get("HOME_LLM_PORT", "8123"))
    parser.add_argument("--port", type=int, default=default_port, help="HTTP port on 127.0.0.1 (default: %(default)s)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="GGUF model file (default: %(default)s)")
    parser.add_argument("--config", type=Path, default=CONFIG_DIR, help="config folder (default: %(default)s)")
    parser.add_argument(
        "--no-agent", action="store_true", help="onboard only; add no Home LLM entry (browser-walk adds it in the UI)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    model = str(Path(args.model).resolve())
    if not Path(model).is_file():
        print(f"develop: model file not found: {model} (run scripts/setup)", file=sys.stderr)
        return 2
    link_integration(args.config)
    # SIGTERM ends this script like Ctrl+C, so Home Assistant is always stopped below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    process = start_hass(args.config, args.port)
    try:
        api = Api(args.port)
        api.wait_until_up(process)
        api.log_in()
        if args.no_agent:
            print(f"[develop] ready: {api.base} (user {USERNAME}, password {PASSWORD}); no agent yet.", flush=True)
            process.wait()
            return process.returncode
        entry = api.ensure_agent(model)
        agent_id = api.agent_entity(entry["entry_id"])
        ensure_preferred_pipeline(api, agent_id)
        print(
            f"[develop] ready: {api.base} (user {USERNAME}, password {PASSWORD}); agent {agent_id}. "
            "Open the Assist dialog and talk to it. Ctrl+C stops Home Assistant.",
            flush=True,
        )
        process.wait()
        return process.returncode
    except DevelopError as err:
        print(f"develop: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    finally:
        stop(process)


if __name__ == "__main__":
    sys.exit(main())
