"""Keep the model's prompt cache warm: when an exposed entity changes state, read the new prompt
prefix (system prompt, examples, states block) in the background, so the next turn only reads the
user's words.

Debounced (a burst of state changes gives one prewarm), skipped when the prefix did not change,
and always second to a user turn (the backend stops a prewarm when a turn is waiting, at its next
small batch). The backend keeps the cached part of the prompt, so a prewarm reads only the tail
from the first changed token on (with the states_last layout: from the changed state line), and
reads it with every core, as nobody is waiting for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.debounce import Debouncer

from .backends import BackendError, Prewarmable
from .house import ASSISTANT
from .prompt import Message

_LOGGER = logging.getLogger(__name__)

# Seconds after a state change before the prefix is read: a scene's changes arrive within
# milliseconds of each other, and every second waited here is one the next turn may find unread.
PREWARM_DELAY = 0.25


class Prewarmer:
    """Reads `build_prefix()` into `backend`'s cache after exposed entities change."""

    def __init__(
        self,
        hass: HomeAssistant,
        backend: Prewarmable,
        build_prefix: Callable[[], list[Message] | None],
        delay: float = PREWARM_DELAY,
    ) -> None:
        self._hass = hass
        self._backend = backend
        self._build_prefix = build_prefix
        self._last: list[Message] | None = None
        self._unsub: CALLBACK_TYPE | None = None
        self._debouncer = Debouncer(
            hass, _LOGGER, cooldown=delay, immediate=False, function=self._async_prewarm, background=True
        )
        self.prewarms = 0  # prewarms that read tokens, for diagnostics and tests

    @callback
    def async_start(self) -> None:
        """Listen for state changes, and warm the cache once now (the first turn after loading)."""
        self._unsub = self._hass.bus.async_listen(EVENT_STATE_CHANGED, self._async_state_changed)
        self._debouncer.async_schedule_call()

    @callback
    def async_stop(self) -> None:
        """No timer or listener left behind (called when the agent is removed)."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        self._debouncer.async_shutdown()

    @callback
    def _async_state_changed(self, event: Event[EventStateChangedData]) -> None:
        """An exposed entity changed: prewarm once the burst of changes is over."""
        if async_should_expose(self._hass, ASSISTANT, event.data["entity_id"]):
            self._debouncer.async_schedule_call()

    async def _async_prewarm(self) -> None:
        """Read the new prefix, unless it is the one read last."""
        messages = self._build_prefix()
        if messages is None or messages == self._last:
            return
        self._last = messages
        try:
            read = await self._backend.async_prewarm(messages)
        except BackendError as err:
            _LOGGER.debug("Prewarm skipped: %s", err)
            return
        if read:
            self.prewarms += 1
        _LOGGER.debug("Prewarm read %s prompt tokens", read)
