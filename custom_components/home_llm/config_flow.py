"""Config flow: a menu of model sources (Hugging Face download, local GGUF file, remote server),
then options and reconfigure. Every file and network access runs in an executor."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import subprocess
import sys
import threading
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import UnknownFlow, section
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TemplateSelector,
    TextSelector,
)
from homeassistant.helpers.translation import async_get_translations
from homeassistant.requirements import RequirementsNotFound, async_process_requirements

from . import default_agent
from .backends import BackendError
from .backends.llama_cpp import LlamaCppBackend, LlamaSettings
from .const import (
    ALLOWED_SERVICES,
    BACKEND_LLAMA_CPP,
    CHAT_FORMAT_AUTO,
    CHAT_FORMAT_CHATML,
    CHAT_FORMAT_GGUF,
    CONF_ALLOW_SENSITIVE,
    CONF_ALLOWED_SERVICES,
    CONF_BACKEND,
    CONF_BATCH_SIZE,
    CONF_CHAT_FORMAT,
    CONF_CONTEXT_LENGTH,
    CONF_EXTRA_ATTRIBUTES,
    CONF_FLASH_ATTENTION,
    CONF_HOUSE_ADAPTER,
    CONF_LORA_PATH,
    CONF_MAX_TOKENS,
    CONF_MIN_P,
    CONF_MODEL_PATH,
    CONF_NUM_EXAMPLES,
    CONF_PROMPT,
    CONF_PROMPT_LAYOUT,
    CONF_REMEMBER_TURNS,
    CONF_RESPONSE_TIMEOUT,
    CONF_TEMPERATURE,
    CONF_THREADS,
    CONF_TOP_K,
    CONF_TOP_P,
    CONF_USE_GRAMMAR,
    DEFAULT_AGENT_NAME,
    DEFAULT_ALLOW_SENSITIVE,
    DEFAULT_BATCH_SIZE,
    DEFAULT_CHAT_FORMAT,
    DEFAULT_CONTEXT_LENGTH,
    DEFAULT_EXTRA_ATTRIBUTES,
    DEFAULT_FLASH_ATTENTION,
    DEFAULT_HF_REPO,
    DEFAULT_HOUSE_ADAPTER,
    DEFAULT_LORA_PATH,
    DEFAULT_MAX_TOKENS,
    DEFAULT_MIN_P,
    DEFAULT_NUM_EXAMPLES,
    DEFAULT_PERSONA,
    DEFAULT_PROMPT_LAYOUT,
    DEFAULT_QUANT,
    DEFAULT_REMEMBER_TURNS,
    DEFAULT_RESPONSE_TIMEOUT,
    DEFAULT_TEMPERATURE,
    DEFAULT_THREADS,
    DEFAULT_TOP_K,
    DEFAULT_TOP_P,
    DEFAULT_USE_GRAMMAR,
    DOMAIN,
    EXTRA_ATTRIBUTE_CHOICES,
    LLAMA_CPP_MODULE,
    LLAMA_CPP_REQUIREMENT,
    MODEL_OPTIONS,
    MODELS_FOLDER,
    PROMPT_LAYOUT_CARD,
    PROMPT_LAYOUT_CHANGES_LAST,
    PROMPT_LAYOUT_STATES_LAST,
    QUANT_DESCRIPTIONS,
    SUBENTRY_CONVERSATION,
)
from .model_files import (
    HubFile,
    ModelFileError,
    ModelInfo,
    describe_size,
    download_hub_file,
    download_target,
    find_local_models,
    list_hub_files,
    read_lora_adapter,
    read_model_info,
)
from .remote_flow import RemoteServerFlowMixin
from .wheels import WheelRefused, matching_wheel
from .wheels import install as install_wheel

_LOGGER = logging.getLogger(__name__)

CONF_REPO_ID = "repo_id"
CONF_HUB_FILE = "file"
VALIDATION_CONTEXT = 512  # the test load only proves the file loads; a small context keeps it cheap
PROGRESS_INTERVAL = 1.0  # seconds between percentage updates of the download step
IMPORT_TIMEOUT = 120
MAX_SKIPPED_SHOWN = 10  # files named in the "skipped" message; the rest are counted


def llama_cpp_importable() -> bool:
    """Import llama-cpp-python in a child process (blocking).

    A build that uses instructions this CPU lacks dies with SIGILL on import: in a child process
    that costs a failed check, not Home Assistant.
    """
    command = [sys.executable, "-c", f"import {LLAMA_CPP_MODULE}"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=IMPORT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        _LOGGER.warning("Could not check llama-cpp-python: %s", err)
        return False
    if result.returncode != 0:
        _LOGGER.warning("llama-cpp-python does not import (exit %s): %s", result.returncode, result.stderr[-2000:])
    return result.returncode == 0


async def async_test_load(path: str) -> None:
    """Load the model once with llama.cpp on the backend's worker, then free it."""
    backend = LlamaCppBackend(
        LlamaSettings(
            model_path=path,
            context_length=VALIDATION_CONTEXT,
            threads=DEFAULT_THREADS,
            batch_size=DEFAULT_BATCH_SIZE,
        )
    )
    try:
        await backend.async_load()  # closes itself when it fails
    except BackendError as err:
        raise ModelFileError("model_load_failed", path, str(err)) from err
    await backend.async_close()


# A quant at the end of a file name: Q4_1, Q4_K_M, IQ3_XXS, Q8_0, F16, BF16 (any case).
_QUANT_SUFFIX = re.compile(r"[.\-_ ]((?:I?Q\d+(?:_[A-Z0-9]+)*)|B?F(?:16|32))$", re.IGNORECASE)


def model_title(path: str, quant: str | None = None) -> str:
    """A name a person recognises, from the file they picked rather than the GGUF's internal
    general.name: `SmolLM2-135M-Instruct.Q4_1.gguf` -> `SmolLM2 135M Instruct (Q4_1)`; a download
    (`owner--repo--file.gguf`) is named after its file."""
    stem = Path(path).name.removesuffix(".gguf").removesuffix(".GGUF").rsplit("--", 1)[-1]
    if match := _QUANT_SUFFIX.search(stem):
        stem, quant = stem[: match.start()], quant or match.group(1)
    # Dots separate words, except in a version number ("Llama-3.1-8B" keeps "3.1").
    words = [word for word in re.split(r"[\s_-]+|(?<!\d)\.|\.(?!\d)", stem) if word and word.upper() != "GGUF"]
    name = " ".join(words) or Path(path).name
    return f"{name} ({quant.upper()})" if quant else name


def _model_title(info: ModelInfo) -> str:
    return model_title(info.path, info.quant)


def _model_label(info: ModelInfo) -> str:
    facts = [info.quant or "unknown quant", describe_size(info.size), info.architecture or "?"]
    if info.context_length:
        facts.append(f"context {info.context_length}")
    return f"{Path(info.path).name} ({', '.join(facts)})"


def _hub_file_label(file: HubFile) -> str:
    label = f"{file.filename} ({file.quant or 'unknown quant'}, {describe_size(file.size)})"
    if description := QUANT_DESCRIPTIONS.get(file.quant or ""):
        label += f": {description}"
    return label


def _model_path_schema(models: list[ModelInfo], default: str | None) -> vol.Schema:
    """A list of the models folder's files that also accepts any typed path."""
    options = [SelectOptionDict(value=info.path, label=_model_label(info)) for info in models]
    key = vol.Required(CONF_MODEL_PATH, default=default) if default else vol.Required(CONF_MODEL_PATH)
    return vol.Schema(
        {
            key: SelectSelector(
                SelectSelectorConfig(options=options, custom_value=True, mode=SelectSelectorMode.DROPDOWN)
            )
        }
    )


async def _async_describe_skipped(hass: HomeAssistant, skipped: list[ModelFileError]) -> str:
    """Per skipped file its translated reason, which names it (the same message as when it is typed in).

    Sentences one after another, not a list: the frontend shows a form's error as plain text."""
    translations = await async_get_translations(hass, hass.config.language, "config", {DOMAIN})
    lines = []
    for err in skipped[:MAX_SKIPPED_SHOWN]:
        reason = translations.get(f"component.{DOMAIN}.config.error.{err.key}", err.key)
        # The name comes from the file system: no line breaks or other control characters in the form.
        name = "".join(char if char.isprintable() else "?" for char in Path(err.path).name)
        lines.append(reason.replace("{path}", name).replace("{detail}", err.detail))
    if len(skipped) > MAX_SKIPPED_SHOWN:
        lines.append(f"(+{len(skipped) - MAX_SKIPPED_SHOWN})")
    return " ".join(lines)


class _DownloadProgress:
    """Bytes received, written by the download thread and read on the event loop."""

    def __init__(self) -> None:
        self.done = 0
        self.total = 0

    def update(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


class HomeLlmConfigFlow(RemoteServerFlowMixin, ConfigFlow, domain=DOMAIN):
    """Pick where the model comes from; a local model is checked and test-loaded before the entry exists."""

    VERSION = 2  # 2: agents are "conversation" subentries (__init__.async_migrate_entry)
    MINOR_VERSION = 1

    def __init__(self) -> None:
        super().__init__()
        self._llama_ready = False
        self._after_install = "local"
        self._install_task: asyncio.Task[bool] | None = None
        self._shipped_wheel: Path | None = None
        self._wheel_refused: WheelRefused | None = None
        self._repo_id = DEFAULT_HF_REPO
        self._hub_files: dict[str, HubFile] = {}
        self._hub_file: HubFile | None = None
        self._download_task: asyncio.Task[ModelInfo] | None = None
        self._progress = _DownloadProgress()
        self._cancel = threading.Event()
        self._downloaded: ModelInfo | None = None
        self._hub_error: ModelFileError | None = None

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> HomeLlmOptionsFlow:
        """The model's settings (context, threads, adapter...), shared by the entry's agents."""
        return HomeLlmOptionsFlow()

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry) -> bool:
        """Only an in-process model has settings of its own; a remote server has its own."""
        return config_entry.data.get(CONF_BACKEND, BACKEND_LLAMA_CPP) == BACKEND_LLAMA_CPP

    @classmethod
    @callback
    def async_get_supported_subentry_types(cls, config_entry: ConfigEntry) -> dict[str, type[ConfigSubentryFlow]]:
        """Agents: each with its own name, prompt and options, all on the entry's model."""
        return {SUBENTRY_CONVERSATION: AgentFlow}

    @property
    def _models_dir(self) -> str:
        return self.hass.config.path(MODELS_FOLDER)

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return self.async_show_menu(step_id="user", menu_options=["huggingface", "local", "remote"])

    # --- llama-cpp-python: checked before a local model is offered, installed if missing ---

    async def _async_require_llama_cpp(self, next_step: str) -> ConfigFlowResult | None:
        """None when llama-cpp-python imports; otherwise the step that tries to install it."""
        if not self._llama_ready:
            self._llama_ready = await self.hass.async_add_executor_job(llama_cpp_importable)
        if self._llama_ready:
            return None
        self._after_install = next_step
        return await self.async_step_install_llama_cpp()

    async def async_step_install_llama_cpp(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        if self._install_task is None:
            # A wheel shipped with the integration (no compiler, no network) when one fits this machine.
            self._shipped_wheel = await self.hass.async_add_executor_job(matching_wheel)
            self._install_task = self.hass.async_create_task(self._async_install_llama_cpp(), eager_start=False)
        elif self._install_task.done():
            self._llama_ready = self._install_task.result()
            next_step = self._after_install
            if not self._llama_ready:
                next_step = "wheel_refused" if self._wheel_refused else "llama_cpp_unavailable"
            return self.async_show_progress_done(next_step_id=next_step)
        return self.async_show_progress(
            step_id="install_llama_cpp",
            progress_action="install_llama_cpp",
            progress_task=self._install_task,
            description_placeholders={"requirement": self._install_requirement},
        )

    @property
    def _install_requirement(self) -> str:
        """What the install step installs: the shipped wheel's file, else the package from the index."""
        return self._shipped_wheel.name if self._shipped_wheel else LLAMA_CPP_REQUIREMENT

    async def _async_install_llama_cpp(self) -> bool:
        if self.hass.config.skip_pip:  # Home Assistant was started with --skip-pip
            return False
        if self._shipped_wheel is not None:
            return await self._async_install_shipped_wheel(self._shipped_wheel)
        try:
            await async_process_requirements(self.hass, DOMAIN, [LLAMA_CPP_REQUIREMENT])
        except RequirementsNotFound as err:
            _LOGGER.warning("Installing %s failed: %s", LLAMA_CPP_REQUIREMENT, err)
            return False
        return await self.hass.async_add_executor_job(llama_cpp_importable)

    async def _async_install_shipped_wheel(self, wheel: Path) -> bool:
        """Install the shipped wheel after checking its sha256; a changed file is refused, nothing installed."""
        try:
            installed = await self.hass.async_add_executor_job(install_wheel, wheel, self.hass.config.config_dir)
        except WheelRefused as err:
            _LOGGER.error("Refusing the shipped llama-cpp-python wheel: %s", err)
            self._wheel_refused = err
            return False
        return installed and await self.hass.async_add_executor_job(llama_cpp_importable)

    async def async_step_llama_cpp_unavailable(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return self.async_abort(
            reason="llama_cpp_unavailable", description_placeholders={"requirement": self._install_requirement}
        )

    async def async_step_wheel_refused(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The shipped wheel is not the file its sha256 records (changed or truncated): say so."""
        assert self._wheel_refused is not None
        refused = self._wheel_refused
        return self.async_abort(
            reason="wheel_refused",
            description_placeholders={"wheel": refused.wheel, "expected": refused.expected, "actual": refused.actual},
        )

    # --- Hugging Face: repository -> file (quant) -> download with progress -> validate ---

    async def async_step_huggingface(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        if (install := await self._async_require_llama_cpp("huggingface")) is not None:
            return install
        errors: dict[str, str] = {}
        placeholders = {"repo_id": self._repo_id, "detail": ""}
        if user_input is not None:
            self._repo_id = user_input[CONF_REPO_ID].strip()
            try:
                files = await self.hass.async_add_executor_job(list_hub_files, self._repo_id)
            except ModelFileError as err:
                errors[CONF_REPO_ID] = err.key
                placeholders = {"repo_id": self._repo_id, "detail": err.detail}
            else:
                self._hub_files = {file.filename: file for file in files}
                return await self.async_step_pick_file()
        return self.async_show_form(
            step_id="huggingface",
            data_schema=vol.Schema({vol.Required(CONF_REPO_ID, default=self._repo_id): TextSelector()}),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_pick_file(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        if user_input is not None:
            self._hub_file = self._hub_files[user_input[CONF_HUB_FILE]]
            # One entry per file: known before the download, so none is wasted.
            target = await self.hass.async_add_executor_job(
                download_target, self._models_dir, self._repo_id, self._hub_file
            )
            await self.async_set_unique_id(target)
            self._abort_if_unique_id_configured()
            return await self.async_step_download()
        errors: dict[str, str] = {}
        placeholders = {"repo_id": self._repo_id, "folder": self._models_dir, "path": "", "detail": ""}
        if self._hub_error is not None:  # the last download or its validation failed
            errors["base"] = self._hub_error.key
            placeholders |= {"path": self._hub_error.path, "detail": self._hub_error.detail}
            self._hub_error = None
        files = list(self._hub_files.values())
        default = next((file.filename for file in files if file.quant == DEFAULT_QUANT), files[0].filename)
        options = [SelectOptionDict(value=file.filename, label=_hub_file_label(file)) for file in files]
        return self.async_show_form(
            step_id="pick_file",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_HUB_FILE, default=default): SelectSelector(
                        SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
                    )
                }
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_download(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        assert self._hub_file is not None
        if self._download_task is None:
            self._progress = _DownloadProgress()
            self._cancel = threading.Event()
            # Not started eagerly, so the worker it starts is one of the tasks Home Assistant tracks.
            self._download_task = self.hass.async_create_task(self._async_download(self._hub_file), eager_start=False)
        elif self._download_task.done():
            task, self._download_task = self._download_task, None
            try:
                self._downloaded = task.result()
            except ModelFileError as err:
                self._hub_error = err
                return self.async_show_progress_done(next_step_id="pick_file")
            return self.async_show_progress_done(next_step_id="finish_download")
        return self.async_show_progress(
            step_id="download",
            progress_action="download",
            progress_task=self._download_task,
            description_placeholders={
                "file": self._hub_file.filename,
                "size": describe_size(self._hub_file.size),
                "percent": str(self._progress.percent),
            },
        )

    async def _async_download(self, file: HubFile) -> ModelInfo:
        """Download on a worker, refreshing the step's percentage, then check and test-load the file."""
        path = await self._async_fetch(file)
        info = await self.hass.async_add_executor_job(read_model_info, path)
        await async_test_load(info.path)
        return info

    async def _async_fetch(self, file: HubFile) -> str:
        job = self.hass.async_add_executor_job(
            partial(
                download_hub_file,
                self._repo_id,
                file,
                self._models_dir,
                cancel=self._cancel,
                on_progress=self._progress.update,
            )
        )
        # The worker's own outcome after a cancel is of no interest, but must be collected.
        job.add_done_callback(lambda done: done.cancelled() or done.exception())
        # Home Assistant stopping: the worker must not hold up the shutdown.
        remove_stop_listener = self.hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, self._async_stop_download)
        try:
            while True:
                finished, _ = await asyncio.wait({job}, timeout=PROGRESS_INTERVAL)
                if finished:
                    return job.result()
                with contextlib.suppress(UnknownFlow):  # re-render the step with the new percentage
                    await self.hass.config_entries.flow.async_configure(self.flow_id)
        except asyncio.CancelledError:
            self._cancel.set()  # the user left: the worker stops and removes the partial file
            raise
        finally:
            remove_stop_listener()

    @callback
    def _async_stop_download(self, _event: Any = None) -> None:
        self._cancel.set()  # the worker stops at its next chunk and removes the partial file

    @callback
    def async_remove(self) -> None:
        """The flow is closed (the user left): stop a download that is still running."""
        self._async_stop_download()

    async def async_step_finish_download(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        assert self._downloaded is not None
        return self._create_llama_entry(self._downloaded)

    # --- Local file: one from the models folder, or any path ---

    async def async_step_local(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        if (install := await self._async_require_llama_cpp("local")) is not None:
            return install
        errors: dict[str, str] = {}
        placeholders = self._local_placeholders()
        default = None
        if user_input is not None:
            default = user_input[CONF_MODEL_PATH].strip()
            try:
                info = await self._async_validate(default)
            except ModelFileError as err:
                errors[CONF_MODEL_PATH] = err.key
                placeholders |= {"path": err.path, "detail": err.detail}
            else:
                return self._create_llama_entry(info)
        models = await self._async_local_models(errors, placeholders)
        return self.async_show_form(
            step_id="local",
            data_schema=_model_path_schema(models, default or (models[0].path if models else None)),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_local_models(self, errors: dict[str, str], placeholders: dict[str, str]) -> list[ModelInfo]:
        """The models folder's usable models; the files skipped, and why, go into a form-wide message,
        and an empty list says which folder to create or copy a model into."""
        models, skipped = await self.hass.async_add_executor_job(find_local_models, self._models_dir)
        if skipped:
            errors.setdefault("base", "models_skipped")
            placeholders["skipped"] = await _async_describe_skipped(self.hass, skipped)
        elif not models and not errors:  # nothing to pick, and no other message: say where files go
            exists = await self.hass.async_add_executor_job(Path(self._models_dir).is_dir)
            errors["base"] = "models_folder_empty" if exists else "models_folder_missing"
        return models

    def _local_placeholders(self) -> dict[str, str]:
        """The folder the code reads, and an example path in it (the form's texts name both)."""
        example = str(Path(self._models_dir) / "SmolLM2-135M-Instruct.Q4_1.gguf")
        return {"folder": self._models_dir, "example": example, "path": "", "detail": "", "skipped": ""}

    async def _async_validate(self, path: str) -> ModelInfo:
        """Header checks, one entry per file, then a real load. Raises ModelFileError."""
        info = await self.hass.async_add_executor_job(read_model_info, path)
        await self.async_set_unique_id(info.path)
        self._abort_if_unique_id_configured()
        await async_test_load(info.path)
        return info

    def _create_llama_entry(self, info: ModelInfo) -> ConfigFlowResult:
        """The entry (the model) with its first agent, so a person has an agent right away."""
        title = _model_title(info)
        return self.async_create_entry(
            title=title,
            data={CONF_BACKEND: BACKEND_LLAMA_CPP, CONF_MODEL_PATH: info.path},
            subentries=[default_agent(self.hass, title)],
        )

    # --- Reconfigure: another model file for the same entry ---

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        entry = self._get_reconfigure_entry()
        if entry.data.get(CONF_BACKEND, BACKEND_LLAMA_CPP) != BACKEND_LLAMA_CPP:
            return self.async_abort(reason="reconfigure_remote")
        errors: dict[str, str] = {}
        placeholders = self._local_placeholders()
        default = entry.data[CONF_MODEL_PATH]
        if user_input is not None:
            default = user_input[CONF_MODEL_PATH].strip()
            try:
                info = await self.hass.async_add_executor_job(read_model_info, default)
                if info.path != entry.unique_id:
                    await self.async_set_unique_id(info.path)
                    self._abort_if_unique_id_configured()
                await async_test_load(info.path)
            except ModelFileError as err:
                errors[CONF_MODEL_PATH] = err.key
                placeholders |= {"path": err.path, "detail": err.detail}
            else:
                return self.async_update_reload_and_abort(
                    entry, unique_id=info.path, title=_model_title(info), data_updates={CONF_MODEL_PATH: info.path}
                )
        models = await self._async_local_models(errors, placeholders)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=_model_path_schema(models, default),
            errors=errors,
            description_placeholders=placeholders,
        )


# --- Options: the model's settings on the entry, each agent's options on its subentry ---

INTEGER_OPTIONS = (
    CONF_TOP_K,
    CONF_MAX_TOKENS,
    CONF_CONTEXT_LENGTH,
    CONF_THREADS,
    CONF_BATCH_SIZE,
    CONF_NUM_EXAMPLES,
    CONF_REMEMBER_TURNS,
    CONF_RESPONSE_TIMEOUT,
)
# Settings of the in-process model; a remote server has its own.
LLAMA_CPP_OPTIONS = MODEL_OPTIONS
ALL_SERVICES = [f"{domain}.{service}" for domain, services in sorted(ALLOWED_SERVICES.items()) for service in services]
SERVICES_SECTION = "services"  # the agent form's collapsed section holding the allowed services


def service_label(service: str) -> str:
    """`media_player.volume_set` -> `Media player: volume set` (the chips of the allowed services)."""
    domain, _, name = service.partition(".")
    return f"{domain.replace('_', ' ').capitalize()}: {name.replace('_', ' ')}"


def _number(minimum: float, maximum: float, step: float = 1, unit: str | None = None) -> NumberSelector:
    config = NumberSelectorConfig(min=minimum, max=maximum, step=step, mode=NumberSelectorMode.BOX)
    if unit:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)


def _multi_select(options: list[str], translation_key: str | None = None) -> SelectSelector:
    config = SelectSelectorConfig(options=options, multiple=True, mode=SelectSelectorMode.DROPDOWN)
    if translation_key:
        config["translation_key"] = translation_key
    return SelectSelector(config)


def _services_select() -> SelectSelector:
    """The allowed services, labelled by domain and action ("Light: turn on"), in domain order."""
    options = [SelectOptionDict(value=service, label=service_label(service)) for service in ALL_SERVICES]
    return SelectSelector(SelectSelectorConfig(options=options, multiple=True, mode=SelectSelectorMode.DROPDOWN))


def agent_fields() -> dict[vol.Optional, Any]:
    """One agent's options with their defaults and bounds (flat)."""
    return {
        vol.Optional(CONF_PROMPT, default=DEFAULT_PERSONA): TemplateSelector(),
        vol.Optional(CONF_TEMPERATURE, default=DEFAULT_TEMPERATURE): _number(0, 2, 0.05),
        vol.Optional(CONF_TOP_K, default=DEFAULT_TOP_K): _number(0, 200),
        vol.Optional(CONF_TOP_P, default=DEFAULT_TOP_P): _number(0, 1, 0.01),
        vol.Optional(CONF_MIN_P, default=DEFAULT_MIN_P): _number(0, 1, 0.01),
        vol.Optional(CONF_MAX_TOKENS, default=DEFAULT_MAX_TOKENS): _number(16, 4096),
        vol.Optional(CONF_USE_GRAMMAR, default=DEFAULT_USE_GRAMMAR): BooleanSelector(),
        vol.Optional(CONF_NUM_EXAMPLES, default=DEFAULT_NUM_EXAMPLES): _number(0, 20),
        vol.Optional(CONF_REMEMBER_TURNS, default=DEFAULT_REMEMBER_TURNS): _number(0, 20),
        vol.Optional(CONF_RESPONSE_TIMEOUT, default=DEFAULT_RESPONSE_TIMEOUT): _number(5, 900, 1, "s"),
        vol.Optional(CONF_ALLOWED_SERVICES, default=ALL_SERVICES): _services_select(),
        vol.Optional(CONF_EXTRA_ATTRIBUTES, default=list(DEFAULT_EXTRA_ATTRIBUTES)): _multi_select(
            list(EXTRA_ATTRIBUTE_CHOICES), "extra_attributes"
        ),
        vol.Optional(CONF_ALLOW_SENSITIVE, default=DEFAULT_ALLOW_SENSITIVE): BooleanSelector(),
        vol.Optional(CONF_PROMPT_LAYOUT, default=DEFAULT_PROMPT_LAYOUT): SelectSelector(
            SelectSelectorConfig(
                options=[PROMPT_LAYOUT_CARD, PROMPT_LAYOUT_CHANGES_LAST, PROMPT_LAYOUT_STATES_LAST],
                translation_key="prompt_layout",
            )
        ),
    }


def model_fields() -> dict[vol.Optional, Any]:
    """The in-process model's settings (flat): one loaded model serves all agents of an entry."""
    return {
        vol.Optional(CONF_CONTEXT_LENGTH, default=DEFAULT_CONTEXT_LENGTH): _number(512, 131072),
        vol.Optional(CONF_THREADS, default=DEFAULT_THREADS): _number(0, 256),
        vol.Optional(CONF_BATCH_SIZE, default=DEFAULT_BATCH_SIZE): _number(32, 8192),
        vol.Optional(CONF_CHAT_FORMAT, default=DEFAULT_CHAT_FORMAT): SelectSelector(
            SelectSelectorConfig(
                options=[CHAT_FORMAT_AUTO, CHAT_FORMAT_CHATML, CHAT_FORMAT_GGUF], translation_key="chat_format"
            )
        ),
        vol.Optional(CONF_HOUSE_ADAPTER, default=DEFAULT_HOUSE_ADAPTER): BooleanSelector(),
        vol.Optional(CONF_LORA_PATH, default=DEFAULT_LORA_PATH): TextSelector(),
        vol.Optional(CONF_FLASH_ATTENTION, default=DEFAULT_FLASH_ATTENTION): BooleanSelector(),
    }


def options_schema(local_model: bool) -> vol.Schema:
    """Every option, flat: the agent's, and the model's for a local model (scripts/eval's --option)."""
    return vol.Schema({**agent_fields(), **(model_fields() if local_model else {})})


def agent_form_schema(name: str = DEFAULT_AGENT_NAME) -> vol.Schema:
    """The agent form: its name, its options, and the ~80 allowed services in a collapsed section."""
    fields: dict[Any, Any] = {vol.Required(CONF_NAME, default=name): TextSelector()}
    for key, selector in agent_fields().items():
        if key.schema == CONF_ALLOWED_SERVICES:
            fields[vol.Optional(SERVICES_SECTION)] = section(vol.Schema({key: selector}), {"collapsed": True})
        else:
            fields[key] = selector
    return vol.Schema(fields)


def _agent_form_values(name: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Saved options -> the form's suggested values (the services inside their section)."""
    values: dict[str, Any] = {key: value for key, value in options.items() if key != CONF_ALLOWED_SERVICES}
    values[CONF_NAME] = name
    if CONF_ALLOWED_SERVICES in options:
        values[SERVICES_SECTION] = {CONF_ALLOWED_SERVICES: options[CONF_ALLOWED_SERVICES]}
    return values


def _agent_options(user_input: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The form's input -> (the agent's name, its options, flat and typed as the agent reads them)."""
    options = {key: value for key, value in user_input.items() if key not in (CONF_NAME, SERVICES_SECTION)}
    options |= user_input.get(SERVICES_SECTION) or {}
    return str(user_input[CONF_NAME]).strip() or DEFAULT_AGENT_NAME, _typed(options)


def _typed(options: Mapping[str, Any]) -> dict[str, Any]:
    """Number boxes give floats: counts are stored as integers."""
    return {key: int(value) if key in INTEGER_OPTIONS else value for key, value in options.items()}


class HomeLlmOptionsFlow(OptionsFlow):
    """The model's settings on one form; saving loads the model again (update listener in __init__)."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Context, threads, batch, prompt format, adapter and flash attention of the loaded model."""
        errors: dict[str, str] = {}
        placeholders = {"path": "", "detail": ""}
        if user_input is not None:
            options = _typed(user_input)
            if CONF_LORA_PATH in options:
                options[CONF_LORA_PATH] = options[CONF_LORA_PATH].strip()
            errors, placeholders = await _async_check_lora(self.hass, options)
            if not errors:
                return self.async_create_entry(data={**self.config_entry.options, **options})
        elif too_big := getattr(getattr(self.config_entry, "runtime_data", None), "too_big", None):
            # The form is where a user looks when turns fail: it says why (saving stays possible).
            errors["base"] = "house_too_big"
            placeholders |= {"needed": str(too_big[0]), "trained": str(too_big[1])}
        schema = self.add_suggested_values_to_schema(
            vol.Schema(model_fields()), user_input or self.config_entry.options
        )
        return self.async_show_form(
            step_id="init", data_schema=schema, errors=errors, description_placeholders=placeholders
        )


async def _async_check_lora(hass: HomeAssistant, options: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """A LoRA adapter path must be a GGUF adapter; it is stored resolved."""
    errors: dict[str, str] = {}
    placeholders = {"path": "", "detail": ""}
    if lora := options.get(CONF_LORA_PATH):
        try:
            info = await hass.async_add_executor_job(read_lora_adapter, lora)
        except ModelFileError as err:
            errors[CONF_LORA_PATH] = err.key
            placeholders |= {"path": err.path, "detail": err.detail}
        else:
            options[CONF_LORA_PATH] = info.path
    return errors, placeholders


class AgentFlow(ConfigSubentryFlow):
    """Add an agent to a model, or change one: its name, prompt and options."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """A new agent on the entry's model (no model is loaded again)."""
        if user_input is not None:
            name, options = _agent_options(user_input)
            return self.async_create_entry(title=name, data=options)
        # A name no agent has yet, so the new agent's entity id is not "..._2".
        name = default_agent(self.hass, self._get_entry().title)["title"]
        return self.async_show_form(step_id="user", data_schema=agent_form_schema(name))

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Change an agent; its next turn uses the new options."""
        subentry = self._get_reconfigure_subentry()
        if user_input is not None:
            name, options = _agent_options(user_input)
            # Options the form does not show (reply_format), or a section a client left out, are kept:
            # an omitted field must not widen what the agent may call.
            return self.async_update_and_abort(self._get_entry(), subentry, title=name, data_updates=options)
        schema = self.add_suggested_values_to_schema(
            agent_form_schema(), _agent_form_values(subentry.title, subentry.data)
        )
        return self.async_show_form(step_id="reconfigure", data_schema=schema)
