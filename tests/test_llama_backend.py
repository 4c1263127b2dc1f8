"""The in-process llama.cpp backend with the real default model: prefix reuse, prewarm, streaming."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import llama_cpp
import pytest
from llama_cpp import LlamaGrammar, LogitsProcessorList
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from custom_components.home_llm.backends import BackendError, Sampling
from custom_components.home_llm.backends.greedy_grammar import GreedyGrammar
from custom_components.home_llm.backends.llama_cpp import (
    CONTEXT_STEP,
    READ_BATCH,
    LlamaCppBackend,
    LlamaSettings,
    Turn,
    all_cores,
    context_for,
    default_threads,
    prewarm_threads,
)
from custom_components.home_llm.const import DEFAULT_MAX_TOKENS, DEFAULT_PERSONA, PROMPT_LAYOUT_STATES_LAST
from custom_components.home_llm.grammar import build_grammar
from custom_components.home_llm.prompt import Message, build_messages, prefix_messages, tokenize_prompt
from custom_components.home_llm.snapshot import Device

from .houses import MIXED_HOUSE, make_house

pytestmark = pytest.mark.real_model
SAMPLING = Sampling(temperature=0.0, top_k=40, top_p=1.0, min_p=0.0, max_tokens=16)
LONG = Sampling(temperature=0.0, top_k=40, top_p=1.0, min_p=0.0, max_tokens=200)  # longer than any test waits
STORY = [Message("system", "You are a storyteller."), Message("user", "Tell me a very long story about a dragon.")]


@pytest.fixture
async def backend(model_path: Path) -> AsyncIterator[LlamaCppBackend]:
    backend = LlamaCppBackend(LlamaSettings(model_path=str(model_path), context_length=2048, threads=0, batch_size=512))
    await backend.async_load()
    yield backend
    await backend.async_close()


def _prefix(house=MIXED_HOUSE) -> list[Message]:
    return prefix_messages(house, persona=DEFAULT_PERSONA, num_examples=5)


def _turn(text: str, house=MIXED_HOUSE) -> list[Message]:
    return build_messages(house, text, persona=DEFAULT_PERSONA, num_examples=5)


def _tokens(backend: LlamaCppBackend, messages: list[Message]) -> int:
    prompt, _stop = backend.render(messages)
    return len(backend._llama.tokenize(prompt.encode(), add_bos=False, special=True))


async def test_all_cores_but_one_by_default(backend: LlamaCppBackend) -> None:
    assert default_threads() == max(len(os.sched_getaffinity(0)) - 1, 1)
    assert backend._llama.n_threads == default_threads()


async def test_the_next_turn_reuses_the_house_prefix(backend: LlamaCppBackend) -> None:
    await backend.async_generate(_turn("turn on the ac"), grammar=None, sampling=SAMPLING, timeout=120)
    assert backend.last_cached_tokens == 0
    await backend.async_generate(_turn("what can you do?"), grammar=None, sampling=SAMPLING, timeout=120)
    # All of the system prompt and examples came from the cache; only the new words were read.
    assert backend.last_cached_tokens >= _tokens(backend, _prefix()) - 3
    assert backend.last_prompt_tokens - backend.last_cached_tokens < 20


async def test_prewarm_reads_only_what_changed_and_the_turn_starts_warm(backend: LlamaCppBackend) -> None:
    assert await backend.async_prewarm(_prefix()) == _tokens(backend, _prefix())  # cold: all of it
    assert await backend.async_prewarm(_prefix()) == 0  # nothing changed: nothing read

    changed = make_house(
        *(Device(d.entity_id, d.name, "unavailable" if d.domain == "switch" else d.state) for d in MIXED_HOUSE.devices)
    )
    read = await backend.async_prewarm(_prefix(changed))
    assert 0 < read < _tokens(backend, _prefix(changed)) // 2  # from the changed line on only

    await backend.async_generate(_turn("turn on the ac", changed), grammar=None, sampling=SAMPLING, timeout=120)
    assert backend.last_cached_tokens >= _tokens(backend, _prefix(changed)) - 3


async def test_a_turn_stops_a_prewarm_in_flight(backend: LlamaCppBackend) -> None:
    total = _tokens(backend, _prefix())
    assert total > 4 * READ_BATCH
    prewarm = asyncio.ensure_future(backend.async_prewarm(_prefix()))
    turn = asyncio.ensure_future(backend.async_generate(_turn("hello"), grammar=None, sampling=SAMPLING, timeout=120))
    read = await prewarm
    assert read <= 2 * READ_BATCH  # it gave way after at most a batch or two
    generation = await turn
    assert generation.prompt_tokens == backend.last_prompt_tokens
    assert backend.last_cached_tokens == read  # what the prewarm read was not lost


async def test_reply_streams_in_pieces(backend: LlamaCppBackend) -> None:
    pieces: list[str] = []
    sampling = Sampling(temperature=0.0, top_k=40, top_p=1.0, min_p=0.0, max_tokens=24)
    generation = await backend.async_generate(
        _turn("if mary is 7 years old, and I am 3 years older than her. how old am I?"),
        grammar=None,
        sampling=sampling,
        timeout=120,
        on_text=pieces.append,
    )
    assert len(pieces) > 2
    assert "".join(pieces) == generation.text


YES_OR_NO = 'root ::= "yes" | "no"'


async def test_greedy_decoding_checks_the_picked_token_and_gives_the_grammars_reply(backend: LlamaCppBackend) -> None:
    """The grammar applied the way llama.cpp's own sampler does (GreedyGrammar) gives the reply the
    grammar over the whole vocabulary gives, with the house's grammar."""
    grammar = build_grammar(MIXED_HOUSE)
    llama = backend._llama
    for text in ("turn off the kitchen light", "is the garage door open?", "pause the living room"):
        tokens = tokenize_prompt(llama, backend.render(_turn(text))[0])
        whole = llama.create_completion(
            tokens, max_tokens=40, temperature=0.0, grammar=LlamaGrammar.from_string(grammar, verbose=False)
        )
        greedy = GreedyGrammar(llama, grammar)
        checked = llama.create_completion(
            tokens, max_tokens=40, temperature=0.0, logits_processor=LogitsProcessorList([greedy])
        )
        greedy.close()
        assert checked["choices"][0]["text"] == whole["choices"][0]["text"]


async def test_a_greedy_turn_holds_to_the_grammar_when_the_likeliest_token_does_not_fit(
    backend: LlamaCppBackend,
) -> None:
    """A story prompt under a yes-or-no grammar: the likeliest tokens do not fit, the reply still does."""
    generation = await backend.async_generate(STORY, grammar=YES_OR_NO, sampling=SAMPLING, timeout=120)
    assert generation.text in ("yes", "no")


async def test_a_grammar_llama_cpp_cannot_parse_fails_the_turn_with_a_reason(backend: LlamaCppBackend) -> None:
    with pytest.raises(BackendError, match="could not parse the reply grammar"):
        await backend.async_generate(STORY, grammar='root ::= ("yes"', sampling=SAMPLING, timeout=120)
    generation = await backend.async_generate(STORY, grammar=YES_OR_NO, sampling=SAMPLING, timeout=120)
    assert generation.text in ("yes", "no")  # the model's thread carries on


async def test_a_closed_backend_does_not_prewarm(backend: LlamaCppBackend) -> None:
    await backend.async_close()
    assert await asyncio.get_running_loop().run_in_executor(None, backend._prewarm, "text") == 0


async def test_a_queued_turns_timeout_does_not_cut_the_running_turn(backend: LlamaCppBackend) -> None:
    sampling = Sampling(temperature=0.0, top_k=40, top_p=1.0, min_p=0.0, max_tokens=24)
    alone = await backend.async_generate(STORY, grammar=None, sampling=sampling, timeout=120)
    running = asyncio.ensure_future(backend.async_generate(STORY, grammar=None, sampling=sampling, timeout=120))
    await asyncio.sleep(0)  # the worker takes it first
    queued = backend.async_generate(_turn("hello"), grammar=None, sampling=SAMPLING, timeout=0.02)
    done, failed = await asyncio.gather(running, queued, return_exceptions=True)
    assert done.text == alone.text  # all of it: the other turn's timeout stopped only that turn
    assert isinstance(failed, BackendError)
    assert "busy with another request" in str(failed)


async def test_a_new_turn_does_not_revive_a_timed_out_one(backend: LlamaCppBackend) -> None:
    pieces: list[str] = []
    with pytest.raises(BackendError, match="did not answer within"):
        await backend.async_generate(STORY, grammar=None, sampling=LONG, timeout=0.3, on_text=pieces.append)
    given_up = len(pieces)
    await backend.async_generate([*STORY[:1], Message("user", "hi")], grammar=None, sampling=SAMPLING, timeout=120)
    assert len(pieces) <= given_up + 2  # the timed-out turn stopped at its next token, not at 200


async def test_a_stopped_reply_raises_instead_of_returning_part_of_it(backend: LlamaCppBackend) -> None:
    pieces: list[str] = []

    def emit(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 3:
            turn.stop.set()  # as its timeout would, on the event loop

    turn = Turn(*backend.render(STORY), grammar=None, sampling=LONG, emit=emit)
    with pytest.raises(BackendError, match="stopped"):
        await backend._run(backend._generate, turn)
    assert 3 <= len(pieces) <= 4


async def test_a_stop_interrupts_the_prompt_read(backend: LlamaCppBackend) -> None:
    llama = backend._llama
    total = _tokens(backend, _turn("hello"))
    assert total > 3 * READ_BATCH
    turn = Turn(*backend.render(_turn("hello")), grammar=None, sampling=SAMPLING)
    batches: list[int] = []
    eval_tokens = llama.eval

    def eval_then_stop(tokens: list[int]) -> None:
        batches.append(len(tokens))
        eval_tokens(tokens)
        turn.stop.set()  # as its timeout would, while the prompt is read

    llama.eval = eval_then_stop
    with pytest.raises(BackendError, match="stopped"):
        await backend._run(backend._generate, turn)
    del llama.eval
    assert batches == [READ_BATCH]  # one small batch of the prompt, then it gave up
    # What was read stays usable: a prewarm of the same prompt reads only the rest.
    assert await backend.async_prewarm(_turn("hello")) == total - READ_BATCH


async def test_closing_stops_a_running_turn_and_refuses_new_ones(backend: LlamaCppBackend) -> None:
    running = asyncio.ensure_future(backend.async_generate(STORY, grammar=None, sampling=LONG, timeout=120))
    await asyncio.sleep(0)
    await backend.async_close()
    with pytest.raises(BackendError, match="unloaded"):
        await running  # not a part of the story passed off as the reply
    with pytest.raises(BackendError, match="unloaded"):
        await backend.async_generate(STORY, grammar=None, sampling=SAMPLING, timeout=120)
    with pytest.raises(BackendError, match="unloaded"):
        await backend.async_prewarm(STORY)


def _batch_threads(backend: LlamaCppBackend) -> int:
    return llama_cpp.llama_n_threads_batch(backend._llama._ctx.ctx)


async def test_a_prewarm_reads_with_every_core_and_a_turn_with_one_less(
    backend: LlamaCppBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "getloadavg", lambda: (0.2, 0.2, 0.2))  # a quiet machine
    await backend.async_prewarm(_prefix())
    assert _batch_threads(backend) == all_cores()  # nobody is waiting
    await backend.async_generate(_turn("hello"), grammar=None, sampling=SAMPLING, timeout=120)
    assert _batch_threads(backend) == default_threads()  # one core left to Home Assistant
    assert llama_cpp.llama_n_threads(backend._llama._ctx.ctx) == default_threads()


def test_a_busy_machine_prewarms_with_the_turns_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "getloadavg", lambda: (float(all_cores()) + 2, 0.0, 0.0))
    assert prewarm_threads(1) == 1
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert prewarm_threads(1) == all_cores()


def _big_house(size: int):
    return make_house(*(Device(f"light.lamp_{n}", f"Lamp {n}", "on") for n in range(size)))


async def test_the_context_grows_with_the_house(model_path: Path) -> None:
    backend = LlamaCppBackend(LlamaSettings(model_path=str(model_path), context_length=512, threads=0, batch_size=512))
    await backend.async_load()
    try:
        house = _big_house(60)
        needed = _tokens(backend, _prefix(house)) + SAMPLING.max_tokens
        assert needed > 512
        await backend.async_prewarm(_prefix(house))  # grown ahead of the turn
        # Room for the prompt and a reply of the default length, the turn's max_tokens not known yet.
        assert backend._llama.n_ctx() == context_for(needed - SAMPLING.max_tokens + DEFAULT_MAX_TOKENS, 8192)
        await backend.async_generate(_turn("turn off lamp 3", house), grammar=None, sampling=SAMPLING, timeout=120)
        assert backend.last_cached_tokens >= _tokens(backend, _prefix(house)) - 3  # not loaded again
    finally:
        await backend.async_close()


async def test_a_house_too_big_for_the_model_says_so(backend: LlamaCppBackend, caplog) -> None:
    backend.trained_context = 1024  # as a model trained on 1024 tokens
    house = _big_house(120)
    with pytest.raises(BackendError, match=r"need \d+ tokens, more than this model's trained context \(1024"):
        await backend.async_generate(_turn("hi", house), grammar=None, sampling=SAMPLING, timeout=120)
    with pytest.raises(BackendError, match="expose fewer entities"):
        await backend.async_prewarm(_prefix(house))
    assert caplog.text.count("trained context") == 1  # logged once, not at every turn


def test_context_for_rounds_up_to_the_trained_context() -> None:
    assert context_for(1, 8192) == CONTEXT_STEP
    assert context_for(CONTEXT_STEP + 1, 8192) == 2 * CONTEXT_STEP
    assert context_for(8000, 8192) == 8192
    assert context_for(8193, 8192) is None
    assert context_for(5000, None) == 5 * CONTEXT_STEP  # a model that does not say


def test_a_template_with_one_system_message_gets_the_states_in_it(model_path: Path) -> None:
    strict = (
        "{% for m in messages %}{% if m['role'] == 'system' and not loop.first %}"
        "{{ raise_exception('system messages must come first') }}{% endif %}"
        "[{{ m['role'] }}]{{ m['content'] }}\n{% endfor %}"
    )
    backend = LlamaCppBackend(LlamaSettings(model_path=str(model_path), context_length=512, threads=1, batch_size=64))
    backend._formatter = Jinja2ChatFormatter(template=strict, eos_token="</s>", bos_token="<s>")
    messages = build_messages(MIXED_HOUSE, "hi", persona="P", num_examples=2, layout=PROMPT_LAYOUT_STATES_LAST)
    prompt, _stop = backend.render(messages)
    assert prompt.count("[system]") == 1
    assert "Devices:" in prompt.split("[user]")[0]
    assert "States:\ncover.garage_door = closed" in prompt.split("[user]")[0]
