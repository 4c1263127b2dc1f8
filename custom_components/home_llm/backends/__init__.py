"""Backends: where the model runs. Everything above a backend (prompt, grammar, parser,
policy) is the same whichever backend answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ..prompt import Message


@dataclass(frozen=True, slots=True)
class Sampling:
    temperature: float
    top_k: int
    top_p: float
    min_p: float
    max_tokens: int


@dataclass(frozen=True, slots=True)
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int


class BackendError(Exception):
    """The backend could not produce a reply; the message is safe to show a user."""


TextCallback = Callable[[str], None]


class Backend(Protocol):
    async def async_generate(
        self,
        messages: list[Message],
        *,
        grammar: str | None,
        sampling: Sampling,
        timeout: float,
        on_text: TextCallback | None = None,
    ) -> Generation:
        """Complete the assistant turn after `messages`.

        With `on_text`, each new piece of the reply is passed to it, on the event loop, as soon
        as it is generated (streaming); the returned Generation holds the whole reply.
        """

    async def async_close(self) -> None:
        """Free the model and stop worker threads."""


class Prewarmable(Protocol):
    """Optional, for backends with a local prompt cache (detected with getattr)."""

    async def async_prewarm(self, messages: list[Message]) -> int:
        """Read `messages` into the prompt cache without generating, yielding to any turn;
        returns the number of tokens read."""
