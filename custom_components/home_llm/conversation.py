"""The conversation entity: runs one turn, from the user's words to speech and service calls."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from homeassistant.components import conversation
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import TemplateError
from homeassistant.helpers import intent, template
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .actions import Outcome, async_run_calls, outcome_speech
from .backends import BackendError, Sampling
from .const import (
    CONF_EXTRA_ATTRIBUTES,
    CONF_MAX_TOKENS,
    CONF_MIN_P,
    CONF_MODEL_PATH,
    CONF_NUM_EXAMPLES,
    CONF_PROMPT,
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
    DEFAULT_REMEMBER_TURNS,
    DEFAULT_RESPONSE_TIMEOUT,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_K,
    DEFAULT_TOP_P,
    DEFAULT_USE_GRAMMAR,
    DOMAIN,
)
from .grammar import build_grammar
from .grounding import check_answer, hold_ungrounded, may_act
from .house import async_build_house
from .parser import parse_reply, reply_formats
from .policy import allowed_services, check_calls, sensitive_allowed
from .prewarm import Prewarmer
from .prompt import Message, build_messages, clean_house, prefix_messages, recent_turns
from .snapshot import House
from .streaming import SpeechStream

if TYPE_CHECKING:
    from . import HomeLlmConfigEntry

_LOGGER = logging.getLogger(__name__)

NOTHING_HEARD = "I did not catch that. Please say it again."
NO_ANSWER = "Sorry, I have no answer to that."
BAD_PROMPT_TEMPLATE = "Sorry, the prompt template in this agent's options has an error: {error}"


@dataclass(slots=True)
class _TurnResult:
    """What the streamed turn produced: the words the user got and what the calls did."""

    speech: str = ""
    outcomes: list[Outcome] = field(default_factory=list)


async def async_setup_entry(
    hass: HomeAssistant, entry: HomeLlmConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    async_add_entities([HomeLlmConversationEntity(entry)])


class HomeLlmConversationEntity(conversation.ConversationEntity, conversation.AbstractConversationAgent):
    """A local model that answers and controls the devices exposed to Assist."""

    _attr_has_entity_name = True
    _attr_name = None
    _attr_supported_features = conversation.ConversationEntityFeature.CONTROL
    _attr_supports_streaming = True  # read by Home Assistant 2025.7+; 2025.4 streams to the chat log anyway

    def __init__(self, entry: HomeLlmConfigEntry) -> None:
        self.entry = entry
        self._attr_unique_id = entry.entry_id
        self._persona_template: template.Template | None = None
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="Home LLM",
            model=Path(entry.data.get(CONF_MODEL_PATH) or entry.data.get(CONF_REMOTE_MODEL) or "").name or None,
            entry_type=DeviceEntryType.SERVICE,
        )

    @property
    def supported_languages(self) -> list[str] | Literal["*"]:
        return MATCH_ALL

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        conversation.async_set_agent(self.hass, self.entry, self)
        backend = self.entry.runtime_data
        if hasattr(backend, "async_prewarm"):  # a local prompt cache to keep warm
            prewarmer = Prewarmer(self.hass, backend, self._prewarm_prefix)
            prewarmer.async_start()
            self.async_on_remove(prewarmer.async_stop)

    async def async_will_remove_from_hass(self) -> None:
        conversation.async_unset_agent(self.hass, self.entry)
        await super().async_will_remove_from_hass()

    async def _async_handle_message(
        self, user_input: conversation.ConversationInput, chat_log: conversation.ChatLog
    ) -> conversation.ConversationResult:
        options = self.entry.options
        text = user_input.text.strip()
        if not text:
            return self._finish(user_input, chat_log, NOTHING_HEARD, [])

        house = async_build_house(self.hass, allowed_services(options))
        history = [
            Message(content.role, content.content)
            for content in chat_log.content[:-1]  # the last one is this turn's user text
            if content.role in ("user", "assistant") and content.content
        ]
        try:
            prompt_args = self._prompt_args(house)
        except TemplateError as err:
            _LOGGER.error("The prompt template failed: %s", err)
            return self._error(user_input, chat_log, BAD_PROMPT_TEMPLATE.format(error=err))
        messages = build_messages(
            house,
            text,
            history=recent_turns(history, int(options.get(CONF_REMEMBER_TURNS, DEFAULT_REMEMBER_TURNS))),
            **prompt_args,
        )
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
            user_input, house, messages=messages, grammar=grammar, sampling=sampling, result=result, previous=previous
        )
        try:
            # The chat log passes each delta on as it comes (chat dialog, Assist pipeline, TTS).
            async for _content in chat_log.async_add_delta_content_stream(user_input.agent_id, deltas):
                pass
        except BackendError as err:
            _LOGGER.error("The model failed: %s", err)
            return self._error(user_input, chat_log, f"Sorry, the model failed: {err}")
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
    ) -> AsyncGenerator[dict[str, str]]:
        """The assistant's deltas: speech as soon as it is surely speech, then, once the calls
        ran, what they really did. Call lines never leave here.

        A request that may act on the house (or asks for a reading) holds the model's speech back
        until the end: when calls ran, the user hears what they did instead of the model's claim.
        """
        options = self.entry.options
        yield {"role": "assistant"}
        pieces: asyncio.Queue[str | None] = asyncio.Queue()
        generating = self.hass.async_create_task(
            self.entry.runtime_data.async_generate(
                messages,
                grammar=grammar,
                sampling=sampling,
                timeout=float(options.get(CONF_RESPONSE_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT)),
                on_text=pieces.put_nowait,
            ),
            "home_llm generate",
        )
        generating.add_done_callback(lambda _task: pieces.put_nowait(None))
        formats = reply_formats(options, grammar_in_use=grammar is not None)
        hold = may_act(user_input.text, house)
        stream = _HeldSpeech(formats) if hold else SpeechStream(formats)
        try:
            while (piece := await pieces.get()) is not None:
                if new := stream.feed(piece):
                    yield {"content": new}
                await asyncio.sleep(0)  # get() does not pause while pieces are queued: let other tasks run
            generation = generating.result()
        finally:
            generating.cancel()  # the chat log stopped listening: stop the model too

        _LOGGER.debug("Model reply: %r", generation.text)
        reply = parse_reply(generation.text, formats)
        text = user_input.text.strip()
        speech = reply.speech
        if not reply.calls:  # an answer: a reading it states must be one the house shows
            speech = check_answer(text, speech, house)
        elif hold:  # a command: only what its calls really did is said, not the model's claim
            speech = ""
        if new := stream.finish(speech):
            yield {"content": new}
        verdicts = check_calls(reply.calls, house, allow_sensitive=sensitive_allowed(options))
        verdicts, held = hold_ungrounded(verdicts, house, text, previous)
        verdicts += [hold.verdict for hold in held]  # reported as refused, with the reason
        outcomes = await async_run_calls(self.hass, verdicts, house, user_input.context)
        spoken = stream.released  # the model's speech as the user got it
        after = " ".join(part for part in (spoken, outcome_speech(outcomes, held)) if part) or NO_ANSWER
        if after != spoken:
            yield {"content": after[len(spoken) :]}
        result.speech = after
        result.outcomes = outcomes

    @callback
    def _prompt_args(self, house: House) -> dict[str, Any]:
        """Persona (the prompt template, rendered for this house), examples and attributes.
        Raises TemplateError."""
        options = self.entry.options
        return {
            "persona": self._render_persona(house, options.get(CONF_PROMPT, DEFAULT_PERSONA)),
            "num_examples": int(options.get(CONF_NUM_EXAMPLES, DEFAULT_NUM_EXAMPLES)),
            "extra_attributes": tuple(options.get(CONF_EXTRA_ATTRIBUTES, DEFAULT_EXTRA_ATTRIBUTES)),
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
        """The prompt prefix the next turn will start with (None: the template fails)."""
        house = async_build_house(self.hass, allowed_services(self.entry.options))
        try:
            return prefix_messages(house, **self._prompt_args(house))
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


def _target(outcome: Outcome) -> intent.IntentResponseTarget:
    return intent.IntentResponseTarget(
        type=intent.IntentResponseTargetType.ENTITY, name=outcome.name, id=outcome.call.entity_id
    )
