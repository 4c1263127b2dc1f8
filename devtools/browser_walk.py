"""scripts/browser-walk: the real Home Assistant frontend in Chromium, used as a person would.

    scripts/browser-walk [--venv .venv-oldest] [--shots docs/screenshots] [--keep]

Starts scripts/develop (`--no-agent`: onboarded, no Home LLM yet) with a fresh config folder on a
free port, then in headless Chromium: log in; Settings -> Devices & services -> Add integration ->
Home LLM -> local file -> the default model; Settings -> Voice assistants -> the Home LLM agent;
the Assist dialog: "turn off the kitchen lights" (the reply streams in, the light turns off, checked
over the REST API and in the dashboard's dialog); then a broken .gguf in the models folder and the
form's message about it. A screenshot per step goes to --shots. Runs with .venv-browser's Python
(Playwright from PyPI) and Debian's /usr/bin/chromium; Home Assistant runs in --venv.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = REPO / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium's own connections are refused on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
USERNAME = PASSWORD = "dev"  # scripts/develop's user on 127.0.0.1
READY_TIMEOUT = 420  # seconds; the first start of a stack builds the frontend's caches
UI_TIMEOUT = 30_000  # ms for a page or dialog to show
LOAD_TIMEOUT = 300_000  # ms for the config flow's test load of the model and the entry's setup
FIRST_LOAD_TIMEOUT = 90_000  # ms for the first dashboard after login (it stays on "Loading data" when a
# websocket command of the frontend fails, e.g. the service list when tts cannot import mutagen)
REPLY_TIMEOUT = 300_000  # ms for the agent's answer on two shared cores
REQUEST = "turn off the kitchen lights"
QUESTION = "What can you help me with?"
LIGHT = "light.kitchen_lights"
BROKEN_NAME = "broken.gguf"
# Dialog hosts of the frontends 2025.4-2026.2; a role=dialog element sits in their shadow root, where
# Playwright's scoped locators do not see the slotted content.
DIALOG_HOSTS = "ha-dialog, ha-md-dialog, ha-wa-dialog, ha-adaptive-dialog"


class WalkError(Exception):
    """A step of the walk did not show what a user should see; the message says which."""


def default_venv() -> Path:
    """The newest stack, .venv (scripts/setup makes it; .venv-oldest holds the oldest supported release)."""
    return REPO / ".venv"


def missing_in(venv: Path) -> str | None:
    """Why `venv` cannot serve the walk (no Home Assistant, frontend or llama-cpp-python), or None."""
    if not (venv / "bin" / "hass").exists():
        return f"no Home Assistant in {venv} (run scripts/setup)"
    check = "import hass_frontend, llama_cpp, turbojpeg"
    done = subprocess.run([str(venv / "bin" / "python"), "-c", check], capture_output=True, text=True, check=False)
    if done.returncode:
        return f"{venv} lacks what scripts/develop needs ({check}): {done.stderr.strip().splitlines()[-1]}"
    return None


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """scripts/develop's Home Assistant for this walk: its address, config folder and log."""

    base: str
    config: Path
    log: Path
    token: str | None = None

    @property
    def models(self) -> Path:
        """The folder the local-file step lists (config/models)."""
        return self.config / "models"

    def state(self, entity_id: str) -> str:
        """An entity's state through the REST API, with the browser's own access token."""
        request = urllib.request.Request(
            f"{self.base}/api/states/{entity_id}", headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["state"]

    def states(self) -> list[dict]:
        """All entity states through the REST API."""
        request = urllib.request.Request(f"{self.base}/api/states", headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)


def fresh_config(model: Path) -> Path:
    """A new config folder: develop's configuration.yaml and a models folder holding the default model."""
    config = Path(tempfile.mkdtemp(prefix="browser-walk-"))
    shutil.copy(REPO / "config" / "configuration.yaml", config / "configuration.yaml")
    (config / "models").mkdir()
    (config / "models" / model.name).symlink_to(model)
    return config


@contextmanager
def develop(venv: Path, model: Path, keep: bool) -> Iterator[Server]:
    """Run scripts/develop --no-agent on a free port; always stop it and remove its config folder."""
    port = free_port()
    config = fresh_config(model)
    log = config / "develop.log"
    command = [str(venv / "bin" / "python"), "-m", "devtools.develop", "--no-agent", "--port", str(port)]
    command += ["--config", str(config), "--model", str(model)]
    with log.open("w") as out:
        # Its own session, so the whole group (develop and its hass) can be ended if it hangs.
        process = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_ready(process, log)
        yield Server(f"http://127.0.0.1:{port}", config, log)
    finally:
        stop(process)
        if keep:
            print(f"[browser-walk] kept {config}", flush=True)
        else:
            shutil.rmtree(config, ignore_errors=True)


def wait_ready(process: subprocess.Popen, log: Path) -> None:
    """Wait for develop's ready line; a failed start raises with the end of its log."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        if "[develop] ready:" in log.read_text(errors="replace"):
            return
        time.sleep(1)
    raise WalkError("scripts/develop did not get ready:\n" + log.read_text(errors="replace")[-3000:])


def stop(process: subprocess.Popen) -> None:
    """SIGTERM develop (it stops Home Assistant cleanly); kill the group if that takes too long."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class Walk:
    """The browser side: one page, numbered screenshots and what each step saw."""

    page: object
    server: Server
    shots: Path
    taken: list[Path] = field(default_factory=list)

    def shot(self, name: str) -> None:
        """Save the next numbered screenshot (NN-name.png)."""
        path = self.shots / f"{len(self.taken) + 1:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        self.taken.append(path)
        print(f"[browser-walk] {path.relative_to(REPO) if path.is_relative_to(REPO) else path}", flush=True)

    def dialog(self):
        """The dialog on top: its host element, whose light DOM holds the slotted content."""
        return self.page.locator(DIALOG_HOSTS).last

    def settle(self, ms: int = 800) -> None:
        """Let animations finish before a screenshot."""
        self.page.wait_for_timeout(ms)


def log_in(walk: Walk) -> None:
    """The login page, as a person fills it; keep the access token for REST checks."""
    page = walk.page
    page.goto(walk.server.base + "/")
    page.get_by_role("textbox", name="Username").fill(USERNAME)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    walk.shot("login")
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    # The first page after login is the default dashboard (which one moved between releases).
    page.get_by_text("Settings", exact=True).wait_for(timeout=FIRST_LOAD_TIMEOUT)
    page.wait_for_function("() => localStorage.hassTokens", timeout=UI_TIMEOUT)
    walk.server.token = page.evaluate("() => JSON.parse(localStorage.hassTokens).access_token")


def open_integrations(walk: Walk) -> None:
    """Settings -> Devices & services from the sidebar."""
    page = walk.page
    page.get_by_text("Settings", exact=True).click()
    page.get_by_text("Devices & services", exact=True).first.click()
    page.get_by_role("button", name="Add integration").wait_for(timeout=UI_TIMEOUT)


def search_brand(walk: Walk) -> None:
    """Add integration, then type the name into the brand search as a person would."""
    walk.page.get_by_role("button", name="Add integration").click()
    search = walk.dialog().get_by_role("textbox", name=re.compile("search", re.I))
    search.wait_for(timeout=UI_TIMEOUT)
    search.press_sequentially("Home LLM", delay=30)


def add_home_llm(walk: Walk) -> str:
    """Add integration -> Home LLM -> local file -> the default model; returns the new agent's name."""
    open_integrations(walk)
    walk.settle()
    walk.shot("devices-and-services")
    search_brand(walk)
    home_llm = walk.dialog().get_by_text("Home LLM", exact=True)
    home_llm.wait_for(timeout=UI_TIMEOUT)
    walk.settle()
    walk.shot("add-integration")
    home_llm.click()
    local = walk.dialog().get_by_text(re.compile("GGUF file on this machine", re.I))
    local.wait_for(timeout=LOAD_TIMEOUT)  # the flow may first check that llama-cpp-python imports
    walk.settle()
    walk.shot("model-source")
    local.click()
    shown = model_field(walk).aria_snapshot()
    if DEFAULT_MODEL.name not in shown:
        raise WalkError(f"the local-file step does not offer {DEFAULT_MODEL.name}: {shown!r}")
    walk.settle()
    walk.shot("local-model-file")
    before = agent_entities(walk.server)
    walk.dialog().get_by_role("button", name="Submit").click()
    finish = walk.dialog().get_by_role("button", name="Finish")
    finish.wait_for(timeout=LOAD_TIMEOUT)
    walk.settle()
    walk.shot("agent-created")
    finish.click()
    return wait_new_agent(walk, before)


def model_field(walk: Walk):
    """The form's "Model file" field: a combobox up to 2025.x, a picker (a list item that opens a search) later."""
    form = walk.dialog()
    combobox = form.get_by_role("combobox", name=re.compile("model file", re.I))
    picker = form.get_by_label(re.compile("model file", re.I)).and_(form.locator("ha-picker-field"))
    field_ = combobox.or_(picker).first
    field_.wait_for(timeout=UI_TIMEOUT)
    return field_


def type_model_path(walk: Walk, path: str) -> None:
    """Type a path into the Model file field as a custom value, the way each frontend takes one."""
    form = walk.dialog()
    field_ = model_field(walk)
    if field_.get_attribute("role") == "combobox":
        for _attempt in range(3):
            # Typed key by key as a person does, then Enter: the combo box takes a custom value on its key
            # events (fill() alone left the preselected model in place on 2025.4).
            field_.click()
            field_.press("ControlOrMeta+a")
            field_.press_sequentially(path)
            field_.press("Enter")
            # Leaving the field (a click on the title) closes its drop-down.
            form.get_by_role("heading", name=re.compile("model file", re.I)).click()
            walk.settle(300)
            if field_.input_value() == path:
                return
        raise WalkError(f"the Model file field did not take the typed path {path!r}: it shows {field_.input_value()!r}")
    field_.click()
    form.get_by_role("textbox", name=re.compile("search|custom", re.I)).fill(path)
    form.get_by_text(re.compile("custom item", re.I)).first.click()


def agent_entities(server: Server) -> dict[str, str]:
    """Conversation agents other than Home Assistant's own: entity id -> friendly name."""
    return {
        state["entity_id"]: state["attributes"].get("friendly_name", state["entity_id"])
        for state in server.states()
        if state["entity_id"].startswith("conversation.") and state["entity_id"] != "conversation.home_assistant"
    }


def wait_new_agent(walk: Walk, before: dict[str, str]) -> str:
    """The friendly name of the agent the flow added (its entity appears once the model is loaded)."""
    deadline = time.monotonic() + LOAD_TIMEOUT / 1000
    while time.monotonic() < deadline:
        if new := {k: v for k, v in agent_entities(walk.server).items() if k not in before}:
            entity_id, name = next(iter(new.items()))
            print(f"[browser-walk] agent {name!r} ({entity_id})", flush=True)
            return name
        time.sleep(1)
    raise WalkError("no Home LLM conversation entity appeared after the flow finished")


def pick_agent(walk: Walk, agent: str) -> None:
    """Settings -> Voice assistants -> the preferred assistant -> conversation agent = the Home LLM agent."""
    page = walk.page
    page.get_by_text("Settings", exact=True).click()
    page.get_by_text("Voice assistants", exact=True).first.click()
    page.get_by_role("button", name="Add assistant").wait_for(timeout=UI_TIMEOUT)
    # The assistant made at onboarding, listed by name once the page loaded its list (the
    # sidebar's title is the first "Home Assistant" on the page).
    assistant = page.get_by_text("Home Assistant", exact=True).nth(1)
    assistant.wait_for(timeout=UI_TIMEOUT)
    assistant.click()
    picker = walk.dialog().get_by_role("combobox", name=re.compile("conversation agent", re.I))
    picker.wait_for(timeout=UI_TIMEOUT)
    picker.click()
    page.get_by_role("option", name=agent, exact=True).click()
    walk.settle()
    walk.shot("voice-assistant")
    walk.dialog().get_by_role("button", name=re.compile("update|create", re.I)).click()
    walk.dialog().wait_for(state="detached", timeout=UI_TIMEOUT)


def converse(walk: Walk) -> None:
    """The Assist dialog: the command turns the light off (checked over REST); a question's answer streams in."""
    page = walk.page
    if walk.server.state(LIGHT) != "on":
        raise WalkError(f"{LIGHT} should start on in the demo house, it is {walk.server.state(LIGHT)}")
    page.get_by_text("Overview", exact=True).first.click()
    page.get_by_text("Overview", exact=True).last.wait_for(timeout=UI_TIMEOUT)  # the dashboard's title
    assist = page.get_by_role("button", name="Assist", exact=True)
    if assist.count():
        assist.click()
    else:  # 2026.x's toolbar icons have no accessible name; "a" is the frontend's Assist shortcut
        page.keyboard.press("a")
    box = walk.dialog().get_by_role("textbox")
    box.wait_for(timeout=UI_TIMEOUT)
    box.fill(REQUEST)
    walk.shot("assist-request")
    box.press("Enter")
    replies = watch_reply(walk)
    print(f"[browser-walk] {REQUEST!r}: the reply as it came in: {replies}", flush=True)
    walk.shot("assist-reply")
    if walk.server.state(LIGHT) != "off":
        raise WalkError(f"after {REQUEST!r} {LIGHT} is {walk.server.state(LIGHT)}; the reply was {replies[-1]!r}")
    # A command's speech is held until its calls ran (one delta); a question's answer streams.
    box.fill(QUESTION)
    box.press("Enter")
    replies = watch_reply(walk, streaming_shot="assist-streaming")
    print(f"[browser-walk] {QUESTION!r}: the reply as it came in: {replies}", flush=True)
    walk.shot("assist-answer")
    if not any(text != ELLIPSIS and text.endswith(ELLIPSIS) for text in replies):
        raise WalkError(f"the answer to {QUESTION!r} did not stream: the dialog showed {replies}")


def watch_reply(walk: Walk, streaming_shot: str | None = None) -> list[str]:
    """Each different text of the agent's last message until it is final.

    The Assist dialog shows "…" at once, appends each streamed delta before a trailing "…", and
    replaces the whole text with the final speech at the pipeline's intent-end.
    """
    seen: list[str] = []
    deadline = time.monotonic() + REPLY_TIMEOUT / 1000
    while time.monotonic() < deadline:
        text = walk.page.evaluate(LAST_REPLY_JS)
        if text and (not seen or text != seen[-1]):
            seen.append(text)
            partial = text != ELLIPSIS and text.endswith(ELLIPSIS)
            if partial and streaming_shot and not any(shot.stem.endswith(streaming_shot) for shot in walk.taken):
                walk.shot(streaming_shot)
        if seen and not seen[-1].endswith(ELLIPSIS):
            return seen
        walk.page.wait_for_timeout(50)
    raise WalkError(f"no final reply within {REPLY_TIMEOUT // 1000} s; seen {seen}")


ELLIPSIS = "\u2026"
# The Assist dialog's messages live in shadow roots: search them all for the last agent ("hass") bubble,
# a div up to 2025.x, an ha-markdown (its text in .content) later.
LAST_REPLY_JS = """() => {
  const deep = (root) => {
    const found = [...root.querySelectorAll('.message.hass')];
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) found.push(...deep(el.shadowRoot));
    return found;
  };
  const last = deep(document).at(-1);
  if (!last) return '';
  return (typeof last.content === 'string' ? last.content : last.textContent).trim();
}"""


def dashboard_light(walk: Walk) -> None:
    """The Overview dashboard's Kitchen Lights row, then its dialog, which must say Off."""
    page = walk.page
    walk.dialog().get_by_role("button", name="Close").first.click()
    row = page.get_by_text("Kitchen Lights", exact=True).first
    page.wait_for_timeout(1000)  # the dashboard renders its cards
    if not row.count():  # 2026.x's overview shows areas and summaries: the light is under "Lights"
        page.get_by_role("button", name=re.compile("^Lights")).click()
    row.scroll_into_view_if_needed()
    walk.settle()
    walk.shot("dashboard")
    tile = page.get_by_role("button", name=re.compile("^Kitchen Lights"))  # 2026.x: a tile; 2025.x: a row
    (tile.first if tile.count() else row).click()
    more_info = walk.dialog()
    more_info.get_by_text("Off", exact=True).first.wait_for(timeout=UI_TIMEOUT)
    walk.settle()
    walk.shot("dashboard-light-off")
    more_info.get_by_role("button", name="Close").first.click()


def broken_model(walk: Walk) -> None:
    """A broken .gguf in the models folder: the form names it, and picking it shows why it cannot be used."""
    broken = walk.server.models / BROKEN_NAME
    broken.write_text("this is not a GGUF model\n")
    try:
        open_integrations(walk)
        search_brand(walk)
        walk.dialog().get_by_text("Home LLM", exact=True).click()
        walk.dialog().get_by_text(re.compile("GGUF file on this machine", re.I)).click()
        form = walk.dialog()
        form.get_by_text(BROKEN_NAME).first.wait_for(timeout=UI_TIMEOUT)
        walk.settle()
        walk.shot("broken-model-listed")
        type_model_path(walk, str(broken))
        form.get_by_role("button", name="Submit").click()
        # The field's own error names the whole path (the form-wide one above it names only the file).
        message = form.get_by_text(re.compile(re.escape(str(broken)) + " is not a GGUF", re.I))
        message.first.wait_for(timeout=LOAD_TIMEOUT)
        walk.settle()
        walk.shot("broken-model-error")
        form.get_by_role("button", name="Close").first.click()
    finally:
        broken.unlink(missing_ok=True)


def run_walk(server: Server, shots: Path) -> list[Path]:
    """All steps in one fresh Chromium profile; on a failure, a last screenshot and the dialog's tree."""
    from playwright.sync_api import Error, sync_playwright  # noqa: PLC0415 - only .venv-browser has it

    shots.mkdir(parents=True, exist_ok=True)
    for old in [*shots.glob("[0-9][0-9]-*.png"), shots / "failure.png"]:  # a shorter walk leaves no strays
        old.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="browser-walk-profile-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, viewport=VIEWPORT
        )
        context.set_default_timeout(UI_TIMEOUT)
        walk = Walk(context.pages[0] if context.pages else context.new_page(), server, shots)
        try:
            log_in(walk)
            agent = add_home_llm(walk)
            pick_agent(walk, agent)
            converse(walk)
            dashboard_light(walk)
            broken_model(walk)
        except (Error, WalkError) as err:
            failure = shots / "failure.png"
            walk.page.screenshot(path=str(failure))
            tree = walk.dialog().aria_snapshot() if walk.dialog().count() else walk.page.locator("body").aria_snapshot()
            raise WalkError(
                f"{err}\nscreenshot: {failure}\nwhat the page showed:\n{tree[-3000:]}"
                f"\nHome Assistant's errors:\n{logged_errors(server.log)}"
            ) from err
        finally:
            context.close()
    return walk.taken


def logged_errors(log: Path, limit: int = 12) -> str:
    """The distinct ERROR lines of Home Assistant's log (a failing import shows here, not in the page)."""
    lines = [line for line in log.read_text(errors="replace").splitlines() if " ERROR " in line]
    distinct = list(dict.fromkeys(line.split(") ", 1)[-1] for line in lines))
    return "\n".join(distinct[:limit]) or "(none)"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="scripts/browser-walk", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--venv", type=Path, default=default_venv(), help="Home Assistant's virtual env (default: %(default)s)"
    )
    parser.add_argument("--shots", type=Path, default=REPO / "docs" / "screenshots", help="screenshot folder")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="GGUF model (default: %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the config folder (its develop.log) afterwards")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the walk; 0 when every step showed what it should."""
    args = parse_args(argv)
    venv, shots, model = args.venv.resolve(), args.shots.resolve(), args.model.resolve()
    if problem := missing_in(venv):
        print(f"browser-walk: {problem}", file=sys.stderr)
        return 2
    if not model.is_file():
        print(f"browser-walk: model file not found: {model} (run scripts/setup)", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print(f"browser-walk: {CHROMIUM} missing: apt-get install chromium", file=sys.stderr)
        return 2
    # SIGTERM ends the walk like Ctrl+C, so Home Assistant is stopped and the config folder removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    try:
        with develop(venv, model, args.keep) as server:
            print(f"[browser-walk] Home Assistant ({venv.name}) up in {time.monotonic() - started:.0f} s", flush=True)
            taken = run_walk(server, shots)
    except WalkError as err:
        print(f"browser-walk: {err}", file=sys.stderr)
        return 1
    print(f"[browser-walk] passed: {len(taken)} screenshots in {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
