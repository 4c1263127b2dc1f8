"""The conversation entity: runs one turn, from the user's words to speech and service calls."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from homeassistant.components import conversation
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import intent
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .actions import Outcome, async_run_calls, outcome_speech
from .backends import BackendError, Sampling
from .const import (
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
from .house import async_build_house
from .parser import parse_reply
from .policy import check_calls
from .prompt import Message, build_messages, recent_turns

if TYPE_CHECKING:
    from . import HomeLlmConfigEntry

_LOGGER = logging.getLogger(__name__)

NOTHING_HEARD = "I did not catch that. Please say it again."
NO_ANSWER = "Sorry, I have no answer to that."


async def async_setup_entry(
    hass: HomeAssistant, entry: HomeLlmConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    async_add_entities([HomeLlmConversationEntity(entry)])


class HomeLlmConversationEntity(conversation.ConversationEntity, conversation.AbstractConversationAgent):
    """A local model that answers and controls the devices exposed to Assist."""

    _attr_has_entity_name = True
    _attr_name = None
    _attr_supported_features = conversation.ConversationEntityFeature.CONTROL

    def __init__(self, entry: HomeLlmConfigEntry) -> None:
        self.entry = entry
        self._attr_unique_id = entry.entry_id
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

        house = async_build_house(self.hass)
        history = [
            Message(content.role, content.content)
            for content in chat_log.content[:-1]  # the last one is this turn's user text
            if content.role in ("user", "assistant") and content.content
        ]
        messages = build_messages(
            house,
            text,
            persona=options.get(CONF_PROMPT, DEFAULT_PERSONA),
            history=recent_turns(history, int(options.get(CONF_REMEMBER_TURNS, DEFAULT_REMEMBER_TURNS))),
            num_examples=int(options.get(CONF_NUM_EXAMPLES, DEFAULT_NUM_EXAMPLES)),
        )
        grammar = build_grammar(house) if options.get(CONF_USE_GRAMMAR, DEFAULT_USE_GRAMMAR) else None
        sampling = Sampling(
            temperature=float(options.get(CONF_TEMPERATURE, DEFAULT_TEMPERATURE)),
            top_k=int(options.get(CONF_TOP_K, DEFAULT_TOP_K)),
            top_p=float(options.get(CONF_TOP_P, DEFAULT_TOP_P)),
            min_p=float(options.get(CONF_MIN_P, DEFAULT_MIN_P)),
            max_tokens=int(options.get(CONF_MAX_TOKENS, DEFAULT_MAX_TOKENS)),
        )
        try:
            generation = await self.entry.runtime_data.async_generate(
                messages,
                grammar=grammar,
                sampling=sampling,
                timeout=float(options.get(CONF_RESPONSE_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT)),
            )
        except BackendError as err:
            _LOGGER.error("The model failed: %s", err)
            response = intent.IntentResponse(language=user_input.language)
            response.async_set_error(intent.IntentResponseErrorCode.UNKNOWN, f"Sorry, the model failed: {err}")
            return conversation.ConversationResult(response=response, conversation_id=chat_log.conversation_id)

        _LOGGER.debug("Model reply: %r", generation.text)
        reply = parse_reply(generation.text)
        verdicts = check_calls(reply.calls, house)
        outcomes = await async_run_calls(self.hass, verdicts, house, user_input.context)
        speech = " ".join(part for part in (reply.speech, outcome_speech(outcomes)) if part)
        return self._finish(user_input, chat_log, speech or NO_ANSWER, outcomes)

    def _finish(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        speech: str,
        outcomes: list[Outcome],
    ) -> conversation.ConversationResult:
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


def _target(outcome: Outcome) -> intent.IntentResponseTarget:
    return intent.IntentResponseTarget(
        type=intent.IntentResponseTargetType.ENTITY, name=outcome.name, id=outcome.call.entity_id
    )
