"""A backend that answers with scripted replies, for exact control in entity tests."""

from __future__ import annotations

from custom_components.home_llm.backends import BackendError, Generation, Sampling
from custom_components.home_llm.prompt import Message


class ScriptedBackend:
    """Stands in for LlamaCppBackend: same constructor and methods, replies from a list."""

    replies: list[str | Exception] = []
    instances: list[ScriptedBackend] = []

    def __init__(self, settings: object) -> None:
        self.settings = settings
        self.requests: list[tuple[list[Message], str | None, Sampling]] = []
        self.closed = False
        ScriptedBackend.instances.append(self)

    async def async_load(self) -> None:
        return None

    async def async_generate(
        self, messages: list[Message], *, grammar: str | None, sampling: Sampling, timeout: float
    ) -> Generation:
        self.requests.append((messages, grammar, sampling))
        if not ScriptedBackend.replies:
            raise BackendError("no scripted reply left")
        reply = ScriptedBackend.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return Generation(text=reply, prompt_tokens=100, completion_tokens=10)

    async def async_close(self) -> None:
        self.closed = True
