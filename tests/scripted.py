"""A backend that answers with scripted replies, for exact control in entity tests."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from custom_components.home_llm.backends import BackendError, Generation, Sampling, TextCallback
from custom_components.home_llm.prompt import Message


class ScriptedBackend:
    """Stands in for LlamaCppBackend: same constructor and methods, replies from a list.

    With `on_text`, a reply is streamed in pieces of `piece_size` characters, each on a later
    pass of the event loop, as a real backend's tokens arrive.
    """

    replies: ClassVar[list[str | Exception]] = []
    instances: ClassVar[list[ScriptedBackend]] = []
    piece_size = 3

    def __init__(self, settings: object) -> None:
        self.settings = settings
        self.requests: list[tuple[list[Message], str | None, Sampling]] = []
        self.closed = False
        ScriptedBackend.instances.append(self)

    async def async_load(self) -> None:
        return None

    async def async_generate(
        self,
        messages: list[Message],
        *,
        grammar: str | None,
        sampling: Sampling,
        timeout: float,
        on_text: TextCallback | None = None,
    ) -> Generation:
        self.requests.append((messages, grammar, sampling))
        if not ScriptedBackend.replies:
            raise BackendError("no scripted reply left")
        reply = ScriptedBackend.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        if on_text is not None:
            for start in range(0, len(reply), self.piece_size):
                on_text(reply[start : start + self.piece_size])
                await asyncio.sleep(0)
        return Generation(text=reply, prompt_tokens=100, completion_tokens=10)

    async def async_close(self) -> None:
        self.closed = True
