"""Twenty turns at once on the real model: each is answered whole or fails with a clear reason.

The worker reads one turn at a time; the others wait. A turn that times out or is cancelled while it
waits must not stop the turn being answered, and an answered turn must be the same reply the model
gives to that prompt alone (greedy sampling, so any cut or mix-up shows as a different text).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from custom_components.home_llm.backends import BackendError, Generation, Sampling
from custom_components.home_llm.backends.llama_cpp import LlamaCppBackend, LlamaSettings
from custom_components.home_llm.const import DEFAULT_PERSONA
from custom_components.home_llm.prompt import Message, build_messages

from .houses import CARD_HOUSE

pytestmark = pytest.mark.real_model
SAMPLING = Sampling(temperature=0.0, top_k=40, top_p=1.0, min_p=0.0, max_tokens=8)
# Distinct first words: every prompt leaves the cache at the same point (the user's words), so a
# reply does not depend on which turn ran before it.
TEXTS = ("turn on the office light", "what is on in the house?", "hello", "is the kitchen light on?")
TURNS = 20
TIMING_OUT = {17, 18, 19}  # queued behind 16 others with a 10 ms timeout: they time out waiting
CANCELLED = 16  # cancelled while it waits, as when the user leaves


@pytest.fixture
async def backend(model_path: Path) -> AsyncIterator[LlamaCppBackend]:
    """The default model, loaded once for the test."""
    backend = LlamaCppBackend(LlamaSettings(model_path=str(model_path), context_length=2048, threads=0, batch_size=512))
    await backend.async_load()
    yield backend
    await backend.async_close()


def _messages(text: str) -> list[Message]:
    """A turn on a small house, no examples: short prompts, so twenty turns stay cheap."""
    return build_messages(CARD_HOUSE, text, persona=DEFAULT_PERSONA)


async def _answer(backend: LlamaCppBackend, text: str, timeout: float = 300) -> Generation:
    """The model's reply to `text`; raises BackendError as a turn would."""
    return await backend.async_generate(_messages(text), grammar=None, sampling=SAMPLING, timeout=timeout)


async def test_twenty_concurrent_turns_are_answered_whole_or_fail_clearly(backend: LlamaCppBackend) -> None:
    await _answer(backend, "good morning")  # the house's prompt is read once, as after a prewarm
    alone = {text: (await _answer(backend, text)).text for text in TEXTS}

    tasks = [
        asyncio.ensure_future(_answer(backend, TEXTS[i % len(TEXTS)], 0.01 if i in TIMING_OUT else 300))
        for i in range(TURNS)
    ]
    await asyncio.sleep(0)  # all submitted, the first one running
    tasks[CANCELLED].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)

    for i, result in enumerate(results):
        if i in TIMING_OUT:
            assert isinstance(result, BackendError), result
            assert str(result).startswith("the model was busy with another request"), result
        elif i == CANCELLED:
            assert isinstance(result, asyncio.CancelledError), result
        else:  # answered, and whole: the reply this prompt gets alone
            assert isinstance(result, Generation), result
            assert result.text == alone[TEXTS[i % len(TEXTS)]], i
    assert backend._turns == set()  # nothing left behind for a prewarm to wait on
