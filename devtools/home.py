"""Home Assistant in this process, with a house and the Home LLM agent, for one turn at a time.

Set up like Home Assistant's own bootstrap (registries, core config, auth) in a temporary config
folder, but never started: the start event does not fire, so the HTTP server does not listen.
The integration comes from this repository (its folder is importable as `custom_components`).
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import voluptuous as vol
from homeassistant import bootstrap, loader
from homeassistant.auth.const import GROUP_ID_ADMIN
from homeassistant.config_entries import ConfigEntries, ConfigEntry, ConfigEntryState
from homeassistant.core import Context, CoreState, HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import async_get_platforms
from homeassistant.setup import async_setup_component

from custom_components.home_llm.config_flow import SERVICES_SECTION, agent_fields
from custom_components.home_llm.const import CONF_ALLOWED_SERVICES, CONF_MODEL_PATH, DOMAIN, MODEL_OPTIONS

from .houses import FileHouse, house_key

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = REPO / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
CORE_CONFIG = {"name": "Home LLM devtools", "unit_system": "metric", "time_zone": "UTC"}


class SetupError(Exception):
    """Home Assistant or the agent could not be set up; the message says why."""


@dataclass(frozen=True, slots=True)
class CallResult:
    service: str
    entity_id: str
    status: str  # done, refused or failed
    error: str | None
    data: dict[str, Any] = field(default_factory=dict)  # the arguments, as the policy normalized them
    held: bool = False  # refused by the grounding (the call did not point at the user's words), not the policy

    @property
    def made(self) -> bool:
        """The service was called (a refused call never reaches Home Assistant)."""
        return self.status != "refused"


@dataclass(frozen=True, slots=True)
class Turn:
    speech: str
    calls: list[CallResult]
    changed: dict[str, dict[str, str]]
    latency_ms: float
    prompt_tokens: int
    conversation_id: str | None = None  # pass it to the next turn to continue the conversation


async def async_config_flow_entry(hass: HomeAssistant, model_path: str) -> dict[str, Any]:
    """Add the agent through the real config flow: the menu's "local" step, or the single model-path step."""
    flow = hass.config_entries.flow
    result = await flow.async_init(DOMAIN, context={"source": "user"})
    if result["type"] is FlowResultType.MENU:
        result = await flow.async_configure(result["flow_id"], {"next_step_id": "local"})
    if result["type"] is FlowResultType.FORM:
        result = await flow.async_configure(result["flow_id"], {CONF_MODEL_PATH: model_path})
    if result["type"] is not FlowResultType.CREATE_ENTRY:
        raise SetupError(f"the config flow did not create an entry for {model_path}: {result.get('errors') or result}")
    return result


class Home:
    """One Home Assistant, one loaded model; houses can be switched between turns."""

    def __init__(self, model_path: str | Path | None = DEFAULT_MODEL, options: dict[str, Any] | None = None) -> None:
        """Without a model path, Home Assistant and the houses only (no agent). `options` are the
        agent's options (const.py keys), saved through its options flow as a user would."""
        self.model_path = str(Path(model_path).resolve()) if model_path else None
        if self.model_path and not Path(self.model_path).is_file():
            raise SetupError(f"model file not found: {self.model_path} (run scripts/setup)")
        self.options = dict(options or {})
        self.hass: HomeAssistant = None  # type: ignore[assignment]
        self.entry: ConfigEntry | None = None
        self.context: Context | None = None
        self.agent_id = ""
        self.outcomes: list[Any] = []  # what the agent did with each call of the current turn
        self.holds: list[Any] = []  # the calls the grounding held back in the current turn
        self._tmp = tempfile.TemporaryDirectory(prefix="home_llm_devtools_")
        self._house = "none"
        self._file_house: FileHouse | None = None

    async def __aenter__(self) -> Home:
        try:
            await self._async_start()
        except BaseException:
            await self.async_close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.async_close()

    async def _async_start(self) -> None:
        hass = self.hass = HomeAssistant(self._tmp.name)
        loader.async_setup(hass)
        hass.config.skip_pip = True
        hass.config_entries = ConfigEntries(hass, {})
        await loader.async_get_custom_components(hass)
        await bootstrap.async_load_base_functionality(hass)
        await async_process_ha_core_config(hass, CORE_CONFIG)
        hass.set_state(CoreState.running)  # running, but the start event (which opens HTTP) never fires
        for domain in ("homeassistant", "conversation"):
            if not await async_setup_component(hass, domain, {}):
                raise SetupError(f"Home Assistant's {domain} integration did not set up")
        user = await hass.auth.async_create_system_user("Home LLM devtools", group_ids=[GROUP_ID_ADMIN])
        self.context = Context(user_id=user.id)
        if self.model_path:
            await self._async_add_agent()

    async def _async_add_agent(self) -> None:
        hass = self.hass
        result = await async_config_flow_entry(hass, self.model_path)
        self.entry = result["result"]
        await hass.async_block_till_done()
        if self.options:
            await self._async_save_options(self.options)
        agents = er.async_entries_for_config_entry(er.async_get(hass), self.entry.entry_id)
        if not agents or hass.states.get(agents[0].entity_id) is None:
            raise SetupError(f"the agent did not start: {self.entry.reason or self.entry.state}")
        self.agent_id = agents[0].entity_id
        self._watch_outcomes()

    async def _async_save_options(self, options: dict[str, Any]) -> None:
        """Save options through the forms a user would use (their checks apply): the model's settings
        through the entry's options flow (the model reloads), the rest through the agent's Reconfigure."""
        model = {key: value for key, value in options.items() if key in MODEL_OPTIONS}
        agent = {key: value for key, value in options.items() if key not in MODEL_OPTIONS}
        if model:
            flow = self.hass.config_entries.options
            result = await flow.async_init(self.entry.entry_id)
            await self._async_submit(flow, result, {**self.entry.options, **model}, options)
        if agent:
            subentry = next(iter(self.entry.subentries.values()))
            flow = self.hass.config_entries.subentries
            result = await flow.async_init(
                (self.entry.entry_id, subentry.subentry_type),
                context={"source": "reconfigure", "subentry_id": subentry.subentry_id},
            )
            # The whole form, as the browser sends it: the agent's current values, then the new ones.
            # It holds the allowed services in a section; the agent stores them flat.
            known = {str(key.schema) for key in agent_fields()}
            form = {"name": subentry.title, **{k: v for k, v in subentry.data.items() if k in known}, **agent}
            if (services := form.pop(CONF_ALLOWED_SERVICES, None)) is not None:
                form[SERVICES_SECTION] = {CONF_ALLOWED_SERVICES: services}
            await self._async_submit(flow, result, form, options)
        await self.hass.async_block_till_done()  # the update listener reloads the entry
        if self.entry.state is not ConfigEntryState.LOADED:
            raise SetupError(f"the agent did not start with the options {options}: {self.entry.reason}")

    async def async_set_options(self, options: dict[str, Any]) -> None:
        """Set options directly, for settings no form shows: the model's on the entry (it reloads),
        the rest on the agent (its next turn uses them)."""
        entries = self.hass.config_entries
        model = {key: value for key, value in options.items() if key in MODEL_OPTIONS}
        if model:
            entries.async_update_entry(self.entry, options={**self.entry.options, **model})
        subentry = next(iter(self.entry.subentries.values()))
        agent = {key: value for key, value in options.items() if key not in MODEL_OPTIONS}
        entries.async_update_subentry(self.entry, subentry, data={**subentry.data, **agent})
        await self.hass.async_block_till_done()

    @staticmethod
    async def _async_submit(flow: Any, result: dict[str, Any], form: dict[str, Any], options: dict[str, Any]) -> None:
        """Submit one form; a value it refuses is a SetupError naming the options."""
        try:
            result = await flow.async_configure(result["flow_id"], form)
        except vol.Invalid as err:  # data_entry_flow.InvalidData: a value the form does not accept
            raise SetupError(f"the agent's options refused {options}: {err}") from err
        if result["type"] not in (FlowResultType.CREATE_ENTRY, FlowResultType.ABORT) or result.get("reason") not in (
            None,
            "reconfigure_successful",
        ):
            detail = {**result.get("errors", {}), **result.get("description_placeholders", {})}
            raise SetupError(f"the agent's options refused {options}: {detail or result.get('reason')}")

    @property
    def lora_path(self) -> str | None:
        """The LoRA adapter the loaded model runs with (None: the base model alone)."""
        settings = getattr(self.entry.runtime_data, "settings", None) if self.entry else None
        return getattr(settings, "lora_path", None)

    def _watch_outcomes(self) -> None:
        """Keep the outcome of every call the agent makes (the agent's own record, with errors)."""
        module = sys.modules["custom_components.home_llm.conversation"]
        if not hasattr(module, "async_run_calls"):
            raise SetupError("the agent no longer runs calls through conversation.async_run_calls: update devtools")
        run_calls: Callable[..., Any] = module.async_run_calls

        async def recording_run_calls(*args: Any, **kwargs: Any) -> Any:
            outcomes = await run_calls(*args, **kwargs)
            self.outcomes.extend(outcomes)
            return outcomes

        module.async_run_calls = recording_run_calls
        if not hasattr(module, "hold_ungrounded"):
            raise SetupError("the agent no longer holds calls through conversation.hold_ungrounded: update devtools")
        hold_ungrounded: Callable[..., Any] = module.hold_ungrounded

        def recording_hold_ungrounded(*args: Any, **kwargs: Any) -> Any:
            keep, held = hold_ungrounded(*args, **kwargs)
            self.holds.extend(held)
            return keep, held

        module.hold_ungrounded = recording_hold_ungrounded

    async def async_use_house(self, house: list[dict[str, Any]] | None) -> None:
        """Make `house` (None: Home Assistant's demo house) the house of the next turns."""
        key = house_key(house)
        if key == self._house:
            return
        await self._async_remove_house()
        if house is None:
            await self._async_add_demo()
        else:
            self._file_house = FileHouse(self.hass, house)
            await self._file_house.async_add()
        self._house = key
        await self.hass.async_block_till_done()

    async def _async_add_demo(self) -> None:
        hass = self.hass
        if "demo" not in hass.config.components:
            if not await async_setup_component(hass, "demo", {"demo": {}}):
                raise SetupError("Home Assistant's demo integration did not set up")
        else:  # taken out for a file house earlier: add its entry again
            await hass.config_entries.flow.async_init("demo", context={"source": "import"}, data={})
        await hass.async_block_till_done()

    async def _async_remove_house(self) -> None:
        if self._file_house is not None:
            await self._file_house.async_remove()
            self._file_house = None
        for entry in self.hass.config_entries.async_entries("demo"):
            await self.hass.config_entries.async_remove(entry.entry_id)
        await self.hass.async_block_till_done()

    async def async_turn(
        self, text: str, *, restore: bool = False, conversation_id: str | None = None, language: str = "en"
    ) -> Turn:
        """One turn through conversation.process, as the admin user, in a fresh conversation
        or, given the `conversation_id` of an earlier turn, in that one.

        With `restore`, the states the turn changed are put back afterwards, so every case of an
        eval sees the same house (and the same prompt prefix, which llama.cpp keeps cached).
        """
        hass = self.hass
        before = {state.entity_id: state for state in hass.states.async_all()}
        self.outcomes, self.holds = [], []
        if hasattr(self.entry.runtime_data, "last_prompt_tokens"):  # a turn read without the model reads none
            self.entry.runtime_data.last_prompt_tokens = 0
        context = Context(user_id=self.context.user_id)
        start = time.perf_counter()
        data = {"text": text, "agent_id": self.agent_id, "language": language}
        if conversation_id is not None:
            data["conversation_id"] = conversation_id
        response = await hass.services.async_call(
            "conversation",
            "process",
            data,
            blocking=True,
            return_response=True,
            context=context,
        )
        latency_ms = (time.perf_counter() - start) * 1000
        await hass.async_block_till_done()
        # Only what this turn's calls changed: the demo house also changes a few states by itself.
        touched = [
            state
            for state in sorted(hass.states.async_all(), key=lambda state: state.entity_id)
            if state.context.id == context.id and state.entity_id in before and state.entity_id != self.agent_id
        ]
        changed = {
            state.entity_id: {"from": before[state.entity_id].state, "to": state.state}
            for state in touched
            if before[state.entity_id].state != state.state
        }
        if restore:
            for state in touched:
                old = before[state.entity_id]
                hass.states.async_set(state.entity_id, old.state, old.attributes)
            await hass.async_block_till_done()
        speech = response["response"]["speech"].get("plain", {}).get("speech", "")
        held = [hold.call for hold in self.holds]
        calls = [
            CallResult(
                outcome.call.service_name,
                outcome.call.entity_id,
                outcome.status,
                outcome.error,
                dict(outcome.call.arguments),
                outcome.status == "refused" and outcome.call in held,
            )
            for outcome in self.outcomes
        ]
        prompt_tokens = getattr(self.entry.runtime_data, "last_prompt_tokens", 0)
        return Turn(speech, calls, changed, round(latency_ms, 1), prompt_tokens, response.get("conversation_id"))

    async def async_close(self) -> None:
        """Unload everything (the model's worker thread included) and stop Home Assistant."""
        hass = self.hass
        if hass is not None:
            if self.entry is not None:
                await hass.config_entries.async_unload(self.entry.entry_id)
            for platform in [*async_get_platforms(hass, "demo"), *async_get_platforms(hass, "sun")]:
                await platform.async_reset()
            await hass.async_stop()
            self.hass = None  # type: ignore[assignment]
        self._tmp.cleanup()


def quiet_logs() -> None:
    """Keep the tools' output to their own result: only errors from Home Assistant."""
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    # The demo house's camera wants ffmpeg and libturbojpeg; neither matters to the agent.
    for name in ("haffmpeg", "homeassistant.components.camera", "homeassistant.components.demo"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
