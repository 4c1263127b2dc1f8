"""The conversation entity: runs one turn, from the user's words to speech and service calls."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from homeassistant.components import conversation
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import TemplateError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import intent, template
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect

try:  # the callback type that takes config_subentry_id (Home Assistant 2025.3+)
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
except ImportError:  # older releases: the plain callback (no subentries there)
    from homeassistant.helpers.entity_platform import AddEntitiesCallback as AddConfigEntryEntitiesCallback

from . import agents_signal
from .actions import Outcome, async_run_calls, outcome_speech
from .backends import BackendError, Sampling
from .const import (
    CONF_EXTRA_ATTRIBUTES,
    CONF_MAX_TOKENS,
    CONF_MIN_P,
    CONF_MODEL_PATH,
    CONF_NUM_EXAMPLES,
    CONF_PROMPT,
    CONF_PROMPT_LAYOUT,
    CONF_REMEMBER_TURNS,
    CONF_REMOTE_MODEL,
    CONF_RESPONSE_TIMEOUT,
    CONF_TEMPERATURE,
    CONF_TOP_K,
    CONF_TOP_P,
    CONF_USE_GRAMMAR,
    DEFAULT_EXTRA_ATTRIBUTES,
    DEFAULT_MAX_TOKENS,
    DEFAULT_MIN_P,
    DEFAULT_NUM_EXAMPLES,
    DEFAULT_PERSONA,
    DEFAULT_PROMPT_LAYOUT,
    DEFAULT_REMEMBER_TURNS,
    DEFAULT_RESPONSE_TIMEOUT,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_K,
    DEFAULT_TOP_P,
    DEFAULT_USE_GRAMMAR,
    DOMAIN,
    SUBENTRY_CONVERSATION,
)
from .grammar import build_grammar
from .grounding import Grounding, Hold, cached_grounding, hold_ungrounded, load_grounding
from .house import async_build_house
from .lexicon import Phrases
from .parser import Call, parse_reply, reply_formats
from .policy import Verdict, allowed_services, check_call, check_calls, sensitive_allowed
from .prewarm import Prewarmer
from .prompt import Message, StateBaseline, build_messages, clean_house, clean_persona, prefix_messages, recent_turns
from .snapshot import House
from .streaming import SpeechStream

if TYPE_CHECKING:
    from . import HomeLlmConfigEntry
    from .backends import Backend

_LOGGER = logging.getLogger(__name__)

# hass.data key: entry id -> the agent (subentry id) whose prompt prefix the shared model keeps warm.
# Agents of one entry share one model and one prompt cache: if each kept its own prefix warm they
# would evict each other's after every state change.
WARM_AGENTS = f"{DOMAIN}_warm_agents"


@dataclass(slots=True)
class _TurnResult:
    """What the streamed turn produced: the words the user got and what the calls did."""

    speech: str = ""
    outcomes: list[Outcome] = field(default_factory=list)


async def async_setup_entry(
    hass: HomeAssistant, entry: HomeLlmConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """One agent per "conversation" subentry, all answering from the entry's one loaded model."""
    added: set[str] = set()
    # The configured language's words and phrases are read now, off the event loop, not at the first turn.
    await async_get_grounding(hass, hass.config.language)

    @callback
    def async_add_new_agents() -> None:
        """Add the agents not added yet (an agent added later joins without loading the model again)."""
        for subentry in entry.subentries.values():
            if subentry.subentry_type == SUBENTRY_CONVERSATION and subentry.subentry_id not in added:
                added.add(subentry.subentry_id)
                async_add_entities(
                    [HomeLlmConversationEntity(entry, subentry)], config_subentry_id=subentry.subentry_id
                )

    async_add_new_agents()
    # A removed agent's entity goes with its registry entry; Home Assistant removes that itself.
    entry.async_on_unload(async_dispatcher_connect(hass, agents_signal(entry.entry_id), async_add_new_agents))


class HomeLlmConversationEntity(conversation.ConversationEntity, conversation.AbstractConversationAgent):
    """A local model that answers and controls the devices exposed to Assist."""

    _attr_has_entity_name = True
    _attr_name = None
    _attr_supported_features = conversation.ConversationEntityFeature.CONTROL
    _attr_supports_streaming = True  # read by Home Assistant 2025.7+; 2025.4 streams to the chat log anyway

    def __init__(self, entry: HomeLlmConfigEntry, subentry: ConfigSubentry) -> None:
        """One agent: its name and options come from `subentry`, the model from `entry`."""
        self.entry = entry
        self.subentry_id = subentry.subentry_id
        self._title = subentry.title
        self._attr_unique_id = subentry.subentry_id
        self._persona_template: template.Template | None = None
        self._phrases: Phrases | None = None  # the last turn's language (None: the configured one)
        self._baseline = StateBaseline()  # the states the model's cached prompt shows (changes_last layout)
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, subentry.subentry_id)},
            name=subentry.title,
            manufacturer="Home LLM",
            model=Path(entry.data.get(CONF_MODEL_PATH) or entry.data.get(CONF_REMOTE_MODEL) or "").name or None,
            entry_type=DeviceEntryType.SERVICE,
        )

    @property
    def options(self) -> Mapping[str, Any]:
        """This agent's options, read at each use: reconfiguring an agent takes effect at its next turn."""
        subentry = self.entry.subentries.get(self.subentry_id)
        return subentry.data if subentry is not None else {}

    @property
    def backend(self) -> Backend:
        """The entry's model, shared by all its agents."""
        return self.entry.runtime_data

    @property
    def supported_languages(self) -> list[str] | Literal["*"]:
        """Every language: en, de, fr and es have word lists and phrases (languages/), the others the
        language-free rules, Home Assistant's own words for on/off and English sentences."""
        return MATCH_ALL

    async def async_added_to_hass(self) -> None:
        """Register as the entry's agent (as core does), keep the prompt cache warm, follow renames."""
        await super().async_added_to_hass()
        conversation.async_set_agent(self.hass, self.entry, self)
        self.async_on_remove(
            async_dispatcher_connect(self.hass, agents_signal(self.entry.entry_id), self._async_agent_updated)
        )
        backend = self.backend
        if hasattr(backend, "async_prewarm"):  # a local prompt cache to keep warm
            self.hass.data.setdefault(WARM_AGENTS, {}).setdefault(self.entry.entry_id, self.subentry_id)
            prewarmer = Prewarmer(self.hass, backend, self._prewarm_prefix)
            prewarmer.async_start()
            self.async_on_remove(prewarmer.async_stop)

    async def async_will_remove_from_hass(self) -> None:
        """Unregister; another agent of the entry may keep the cache warm now."""
        conversation.async_unset_agent(self.hass, self.entry)
        warm = self.hass.data.get(WARM_AGENTS, {})
        if warm.get(self.entry.entry_id) == self.subentry_id:
            del warm[self.entry.entry_id]
        await super().async_will_remove_from_hass()

    @callback
    def _async_agent_updated(self) -> None:
        """The agent was renamed in its subentry: its device shows the new name."""
        subentry = self.entry.subentries.get(self.subentry_id)
        if subentry is None or subentry.title == self._title:
            return
        self._title = subentry.title
        registry = dr.async_get(self.hass)
        if device := registry.async_get_device(identifiers={(DOMAIN, self.subentry_id)}):
            registry.async_update_device(device.id, name=subentry.title)

    async def _async_handle_message(
        self, user_input: conversation.ConversationInput, chat_log: conversation.ChatLog
    ) -> conversation.ConversationResult:
        options = self.options
        text = user_input.text.strip()
        grounding = await async_get_grounding(self.hass, turn_language(self.hass, user_input))
        if not text:
            return self._finish(user_input, chat_log, grounding.phrases.text("nothing_heard"), [])
        if WARM_AGENTS in self.hass.data:  # the model's cache now holds this agent's prefix
            self.hass.data[WARM_AGENTS][self.entry.entry_id] = self.subentry_id

        house = async_build_house(self.hass, allowed_services(options))
        history = [
            Message(content.role, content.content)
            for content in chat_log.content[:-1]  # the last one is this turn's user text
            if content.role in ("user", "assistant") and content.content
        ]
        try:
            self._phrases = grounding.phrases  # the prewarm builds the next turn's prefix in this language
            prompt_args = self._prompt_args(house, grounding.phrases)
        except TemplateError as err:
            _LOGGER.error("The prompt template failed: %s", err)
            return self._error(user_input, chat_log, grounding.phrases.text("bad_prompt_template", error=err))
        history = recent_turns(history, int(options.get(CONF_REMEMBER_TURNS, DEFAULT_REMEMBER_TURNS)))
        messages = build_messages(house, text, history=history, **prompt_args)
        messages = _with_extra_system_prompt(messages, _extra_system_prompt(user_input, chat_log), len(history))
        if hasattr(chat_log, "async_trace"):  # the prompt as the model reads it, in the conversation's trace
            chat_log.async_trace({"messages": [{"role": m.role, "content": m.content} for m in messages]})
        grammar = build_grammar(house) if options.get(CONF_USE_GRAMMAR, DEFAULT_USE_GRAMMAR) else None
        sampling = Sampling(
            temperature=float(options.get(CONF_TEMPERATURE, DEFAULT_TEMPERATURE)),
            top_k=int(options.get(CONF_TOP_K, DEFAULT_TOP_K)),
            top_p=float(options.get(CONF_TOP_P, DEFAULT_TOP_P)),
            min_p=float(options.get(CONF_MIN_P, DEFAULT_MIN_P)),
            max_tokens=int(options.get(CONF_MAX_TOKENS, DEFAULT_MAX_TOKENS)),
        )
        result = _TurnResult()
        # A follow-up ("turn it off") points at the device the previous request named.
        previous = next((message.content for message in reversed(history) if message.role == "user"), "")
        deltas = self._async_stream_turn(
            user_input,
            house,
            messages=messages,
            grammar=grammar,
            sampling=sampling,
            result=result,
            previous=previous,
            grounding=grounding,
        )
        try:
            # The chat log passes each delta on as it comes (chat dialog, Assist pipeline, TTS).
            async for _content in chat_log.async_add_delta_content_stream(user_input.agent_id, deltas):
                pass
        except BackendError as err:
            _LOGGER.error("The model failed: %s", err)
            return self._error(user_input, chat_log, grounding.phrases.text("model_failed", error=err))
        return self._finish(user_input, chat_log, result.speech, result.outcomes, logged=True)

    async def _async_stream_turn(
        self,
        user_input: conversation.ConversationInput,
        house: House,
        *,
        messages: list[Message],
        grammar: str | None,
        sampling: Sampling,
        result: _TurnResult,
        previous: str = "",
        grounding: Grounding,
    ) -> AsyncGenerator[dict[str, str]]:
        """The assistant's deltas: speech as soon as it is surely speech, then, once the calls
        ran, what they really did. Call lines never leave here.

        A request the words alone say how to do (Home Assistant's own sentences read it one way only)
        runs as read without the model: the grounding would put those calls in place of the model's.
        A request that may act on the house (or asks for a reading) holds the model's speech back
        until the end: when calls ran, the user hears what they did instead of the model's claim.
        """
        yield {"role": "assistant"}
        text = user_input.text.strip()
        allow_sensitive = sensitive_allowed(self.options)

        def check(call: Call) -> Verdict:
            """The policy's verdict on a call the grounding reads or moves."""
            return check_call(call, house, allow_sensitive=allow_sensitive, phrases=grounding.phrases)

        formats = reply_formats(self.options, grammar_in_use=grammar is not None)
        # In an executor: Home Assistant's sentences are matched against every name of the house (~50 ms
        # for 200 entities in German), too long for the event loop.
        read = await self.hass.async_add_executor_job(self._read_or_none, grounding, house, text, check)
        held_back = read is not None or grounding.may_act(text, house)
        stream = _HeldSpeech(formats) if held_back else SpeechStream(formats)
        verdicts: list[Verdict] = read or []
        held: list[Hold] = []
        speech = ""
        if read is None:
            generated: list[str] = []
            async for delta in self._async_generate(messages, grammar, sampling, stream, generated):
                yield delta
            reply = parse_reply(generated[0], formats)
            verdicts = check_calls(reply.calls, house, allow_sensitive=allow_sensitive, phrases=grounding.phrases)
            grounded = partial(hold_ungrounded, grounding=grounding, check=check, read_first=False)
            verdicts, held = await self.hass.async_add_executor_job(grounded, verdicts, house, text, previous)
            if not reply.calls and not verdicts:  # an answer: a reading it states must be one the house shows
                speech = grounding.check_answer(text, reply.speech, house)
            elif not held_back:  # a command's speech is only what its calls really did
                speech = reply.speech
        if new := stream.finish(speech):
            yield {"content": new}
        verdicts += [hold.verdict for hold in held]  # reported as refused, with the reason
        outcomes = await async_run_calls(self.hass, verdicts, house, user_input.context, grounding)
        spoken = stream.released  # the model's speech as the user got it
        said = outcome_speech(outcomes, held, grounding)
        after = " ".join(part for part in (spoken, said) if part) or grounding.phrases.text("no_answer")
        if after != spoken:
            yield {"content": after[len(spoken) :]}
        result.speech = after
        result.outcomes = outcomes

    @staticmethod
    def _read_or_none(
        grounding: Grounding, house: House, text: str, check: Callable[[Call], Verdict]
    ) -> list[Verdict] | None:
        """The calls the words alone ask for (`Grounding.read_request`), or None: a fault in a reading of our
        own words (untrusted text meets many rules) leaves the turn to the model instead of failing it."""
        try:
            return grounding.read_request(house, text, check)
        except Exception:  # any fault in the rules: logged with its traceback
            _LOGGER.exception("Reading the request %r failed; the model reads it instead", text[:200])
            return None

    async def _async_generate(
        self,
        messages: list[Message],
        grammar: str | None,
        sampling: Sampling,
        stream: SpeechStream,
        generated: list[str],
    ) -> AsyncGenerator[dict[str, str]]:
        """The model's speech as deltas while it writes, as `stream` releases it; its whole text is put
        in `generated` at the end."""
        pieces: asyncio.Queue[str | None] = asyncio.Queue()
        generating = self.hass.async_create_task(
            self.backend.async_generate(
                messages,
                grammar=grammar,
                sampling=sampling,
                timeout=float(self.options.get(CONF_RESPONSE_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT)),
                on_text=pieces.put_nowait,
            ),
            "home_llm generate",
        )
        generating.add_done_callback(lambda _task: pieces.put_nowait(None))
        try:
            while (piece := await pieces.get()) is not None:
                if new := stream.feed(piece):
                    yield {"content": new}
                await asyncio.sleep(0)  # get() does not pause while pieces are queued: let other tasks run
            generation = generating.result()
        finally:
            generating.cancel()  # the chat log stopped listening: stop the model too
        _LOGGER.debug("Model reply: %r", generation.text)
        generated.append(generation.text)

    @callback
    def _prompt_args(self, house: House, phrases: Phrases) -> dict[str, Any]:
        """Persona (the prompt template, rendered for this house), examples and attributes.
        Raises TemplateError."""
        options = self.options
        return {
            "persona": self._render_persona(house, persona_source(options.get(CONF_PROMPT, DEFAULT_PERSONA), phrases)),
            "num_examples": int(options.get(CONF_NUM_EXAMPLES, DEFAULT_NUM_EXAMPLES)),
            "extra_attributes": tuple(options.get(CONF_EXTRA_ATTRIBUTES, DEFAULT_EXTRA_ATTRIBUTES)),
            "layout": options.get(CONF_PROMPT_LAYOUT, DEFAULT_PROMPT_LAYOUT),
            "baseline": self._baseline,
        }

    @callback
    def _render_persona(self, house: House, source: str) -> str:
        """The prompt option is a Home Assistant template; the house is in `devices` and `services`."""
        if self._persona_template is None or self._persona_template.template != source:
            self._persona_template = template.Template(source, self.hass)
        variables = {
            "devices": [
                {
                    "entity_id": d.entity_id,
                    "name": d.name,
                    "state": d.state,
                    "area": d.area,
                    "aliases": list(d.aliases),
                    "attributes": dict(d.attributes),
                }
                for d in clean_house(house).devices  # names and states cannot add lines to the prompt
            ],
            "services": [f"{domain}.{service}" for domain in house.domains for service in house.services_for(domain)],
        }
        return str(self._persona_template.async_render(variables, parse_result=False))

    @callback
    def _prewarm_prefix(self) -> list[Message] | None:
        """The prompt prefix the next turn will start with (None: the template fails, or another
        agent of the entry answered last and its prefix is the one worth keeping)."""
        if self.hass.data.get(WARM_AGENTS, {}).get(self.entry.entry_id, self.subentry_id) != self.subentry_id:
            return None
        house = async_build_house(self.hass, allowed_services(self.options))
        phrases = self._phrases or (cached_grounding(self.hass.config.language) or load_grounding("en")).phrases
        try:
            return prefix_messages(house, **self._prompt_args(house, phrases))
        except TemplateError:
            return None

    def _error(
        self, user_input: conversation.ConversationInput, chat_log: conversation.ChatLog, message: str
    ) -> conversation.ConversationResult:
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_error(intent.IntentResponseErrorCode.UNKNOWN, message)
        return conversation.ConversationResult(response=response, conversation_id=chat_log.conversation_id)

    def _finish(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        speech: str,
        outcomes: list[Outcome],
        *,
        logged: bool = False,
    ) -> conversation.ConversationResult:
        if not logged:  # a streamed reply is in the chat log already
            chat_log.async_add_assistant_content_without_tools(
                conversation.AssistantContent(agent_id=user_input.agent_id, content=speech)
            )
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_speech(speech)
        response.response_type = intent.IntentResponseType.QUERY_ANSWER
        if outcomes:
            response.response_type = intent.IntentResponseType.ACTION_DONE
            response.async_set_results(
                success_results=[_target(o) for o in outcomes if o.status == "done"],
                failed_results=[_target(o) for o in outcomes if o.status != "done"],
            )
        return conversation.ConversationResult(
            response=response,
            conversation_id=chat_log.conversation_id,
            continue_conversation=chat_log.continue_conversation,
        )


class _HeldSpeech(SpeechStream):
    """A SpeechStream that releases nothing while the reply is generated: all of it at finish()."""

    def feed(self, piece: str) -> str:
        """Say nothing yet: the speech is decided once the whole reply is parsed."""
        return ""


def persona_source(prompt_option: str, phrases: Phrases) -> str:
    """The prompt option, or for the default (English) persona its translation in the turn's language,
    as the model card's recipe prompts each language (the adapter is trained on German ones too)."""
    if prompt_option != DEFAULT_PERSONA:
        return prompt_option
    return phrases.own("persona") or prompt_option


def turn_language(hass: HomeAssistant, user_input: conversation.ConversationInput) -> str:
    """The turn's language: what Assist says it is, else the one Home Assistant is set to."""
    language = user_input.language
    return language if language and language != MATCH_ALL else hass.config.language


async def async_get_grounding(hass: HomeAssistant, language: str) -> Grounding:
    """The grounding rules and phrases of a language, read once off the event loop (file I/O)."""
    return cached_grounding(language) or await hass.async_add_executor_job(load_grounding, language)


def _extra_system_prompt(user_input: conversation.ConversationInput, chat_log: conversation.ChatLog) -> str | None:
    """The caller's extra instructions (a satellite's "start conversation"), kept for the whole
    conversation as core's agents do."""
    extra = getattr(user_input, "extra_system_prompt", None) or getattr(chat_log, "extra_system_prompt", None)
    if extra and hasattr(chat_log, "extra_system_prompt"):
        chat_log.extra_system_prompt = extra
    return extra or None


def _with_extra_system_prompt(messages: list[Message], extra: str | None, history_length: int) -> list[Message]:
    """`extra` as a system message right after the cached prefix (system prompt and examples) and
    before the conversation: the prefix stays the same tokens, so the prompt cache still serves it."""
    if not extra or not extra.strip():
        return messages
    at = len(messages) - history_length - 1  # the prefix ends where the history (then the user's words) starts
    return [*messages[:at], Message("system", clean_persona(extra.strip())), *messages[at:]]


def _target(outcome: Outcome) -> intent.IntentResponseTarget:
    return intent.IntentResponseTarget(
        type=intent.IntentResponseTargetType.ENTITY, name=outcome.name, id=outcome.call.entity_id
    )
