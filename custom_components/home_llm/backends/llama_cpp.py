"""In-process llama.cpp through llama-cpp-python, on one worker thread of its own.

One `Llama` instance lives as long as the config entry: llama-cpp-python keeps the KV cache of
the previous prompt and reuses its longest common prefix, so a stable system prompt is read once.
The single worker thread also means one turn at a time per model: a turn waits behind the one
running. Each turn has its own stop, set by its own timeout or cancellation (or by closing), checked
between small batches of the prompt and at every generated token; a stopped turn raises, so part of a
reply never passes for a whole one. `async_prewarm` reads a new prompt prefix ahead of the next turn
(after a state change) with every core, as nobody is waiting; a waiting turn stops it between small
batches, so a user never waits for a prewarm, and the turn reads with one core less.

The context grows with the house: when a prompt and its reply do not fit, the model is loaded again
with a larger context (a multiple of 1024, at most the model's trained context); a house too big
even for that gets a message that says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jinja2 import TemplateError

from ..const import CHAT_FORMAT_AUTO, CHAT_FORMAT_CHATML, CHAT_FORMAT_GGUF, CHATML_STOP, DEFAULT_MAX_TOKENS
from ..lora import LoraMismatch, check_adapter
from ..model_files import ModelFileError, read_model_info
from ..prompt import Message, fold_system, to_chatml, tokenize_prompt
from . import BackendError, Generation, Sampling, TextCallback

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LlamaSettings:
    model_path: str
    context_length: int
    threads: int
    batch_size: int
    chat_format: str = CHAT_FORMAT_AUTO
    lora_path: str | None = None  # a GGUF LoRA adapter applied on top of the model
    flash_attention: bool = False


# Prompt tokens read between two checks of a stop (a turn's timeout, a turn waiting on a prewarm,
# closing). llama.cpp cannot be interrupted inside one llama_decode call except through its abort
# callback, which it calls at every node of the compute graph: from Python that is a ctypes call
# taking the GIL hundreds of times a batch. Reading in small batches instead costs nothing
# measurable (466 prompt tokens in 5.4-5.7 s whether in batches of 32, 64, 128 or 512).
READ_BATCH = 64
CONTEXT_STEP = 1024  # a grown context is a multiple of this: a growing history does not reload each turn
UNLOADED = "the model was unloaded (the integration is reloading or was removed)"


@dataclass(eq=False, slots=True)
class Turn:
    """One turn's request and its own stop, which only its timeout, its cancellation or closing set."""

    prompt: str
    stop_strings: list[str]
    grammar: str | None
    sampling: Sampling
    emit: TextCallback | None = None  # called on the worker thread with each new piece
    stop: threading.Event = field(default_factory=threading.Event)
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None  # when the worker took it up; None while it waits behind another


def all_cores() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_threads() -> int:
    """All cores this process may use but one, which is left to Home Assistant itself.

    llama.cpp's threads wait for each other at every step, so when anything else needs a core
    the whole model stalls: on a busy 2-core machine, 2 threads generated 0.4-3 tokens/s where
    1 thread made 15. (llama-cpp-python's own default, half the cores, assumes hyper-threading.)
    A prewarm, which runs while nobody talks, reads with all cores (all_cores).
    """
    return max(all_cores() - 1, 1)


def prewarm_threads(threads: int) -> int:
    """Threads for a prewarm, which nobody waits for: every core while the machine has them free,
    else the turn's `threads` (llama.cpp's threads wait for each other at every step, so on a 2-core
    machine busy with other work a second thread slowed the read to a crawl instead of speeding it)."""
    cores = all_cores()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on Unix: no load figure
        load = 0.0
    return max(cores, threads) if load <= threads + 0.5 else threads


def context_for(needed: int, trained: int | None) -> int | None:
    """The context to load for `needed` tokens (prompt and reply): the next multiple of
    CONTEXT_STEP, at most the model's trained context; None when even that is too small."""
    if trained is not None and needed > trained:
        return None
    size = -(-needed // CONTEXT_STEP) * CONTEXT_STEP
    return min(size, trained) if trained else size


def too_big_message(needed: int, trained: int) -> str:
    """What a user reads when the house does not fit the model at all."""
    return (
        f"the house's prompt and the reply need {needed} tokens, more than this model's trained context "
        f"({trained} tokens): expose fewer entities to Assist, lower the in-context examples or the "
        "remembered turns, or use a model with a longer context"
    )


def peak_rss_mib() -> float | None:
    """This process's peak resident memory (Linux), for the benchmark and diagnostics."""
    try:
        import resource  # noqa: PLC0415 - not on Windows
    except ImportError:
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def resolve_chat_format(setting: str, template: str | None) -> str:
    """ChatML (the model card's format) unless the GGUF carries another template, or the option says."""
    if setting in (CHAT_FORMAT_CHATML, CHAT_FORMAT_GGUF):
        return setting if template or setting == CHAT_FORMAT_CHATML else CHAT_FORMAT_CHATML
    if template and "<|im_start|>" not in template:
        return CHAT_FORMAT_GGUF
    return CHAT_FORMAT_CHATML


def read_prompt(llama: Any, tokens: list[int], stop: Callable[[], bool] = lambda: False) -> int:
    """Read `tokens` into the KV cache of `llama` without generating: keep the cached prefix,
    drop the rest (as llama-cpp-python's generate does), read the new part in small batches and
    stop between two when `stop()` says so. Returns the number of tokens read."""
    cached = llama.longest_token_prefix(llama._input_ids, tokens)
    if not llama._ctx.kv_cache_seq_rm(-1, cached, -1):
        llama.reset()
        cached = 0
    llama.n_tokens = cached
    read = 0
    for start in range(cached, len(tokens), READ_BATCH):
        if stop():
            break
        batch = tokens[start : start + READ_BATCH]
        llama.eval(batch)
        read += len(batch)
    return read


@lru_cache(maxsize=4)
def _compiled_grammar(text: str) -> Any:
    from llama_cpp import LlamaGrammar  # noqa: PLC0415 - imported on the worker thread

    return LlamaGrammar.from_string(text, verbose=False)


class LlamaCppBackend:
    """A GGUF model loaded in this process."""

    def __init__(self, settings: LlamaSettings) -> None:
        self.settings = settings
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="home_llm_llama")
        self._llama: Any = None
        self._turns: set[Turn] = set()  # submitted and still awaited; a prewarm yields to those not started
        self._lock = threading.Lock()
        self._closing = False
        self._formatter: Any = None  # the GGUF's own chat template, when that is the format in use
        self.chat_format = CHAT_FORMAT_CHATML
        self.last_prompt_tokens = 0
        self.last_cached_tokens = 0  # of those, how many the KV cache held already
        self.trained_context: int | None = None  # the model's own limit, from its GGUF header
        self._reply_tokens = DEFAULT_MAX_TOKENS  # the last turn's max_tokens: room a prewarm keeps for it
        self._threads = 1
        self._told_too_big = False  # the log says once that the house does not fit, not at every turn
        # (tokens needed, trained context) while the last prompt did not fit: the options form says so
        self.too_big: tuple[int, int] | None = None

    async def async_load(self) -> None:
        """Load the model on the worker thread; raise BackendError with the reason."""
        try:
            await self._run(self._load)
        except BackendError:
            await self.async_close()
            raise

    def _load(self) -> None:
        try:
            from llama_cpp import Llama  # noqa: PLC0415 - heavy import, worker thread only
        except ImportError as err:
            raise BackendError(f"llama-cpp-python is not installed: {err}") from err
        self._threads = self.settings.threads or default_threads()
        if self.settings.lora_path:  # llama.cpp's own error for a misfit adapter says little
            try:
                check_adapter(self.settings.model_path, self.settings.lora_path)
            except LoraMismatch as err:
                raise BackendError(str(err)) from err
        try:
            self.trained_context = read_model_info(self.settings.model_path).context_length
        except ModelFileError as err:
            raise BackendError(f"not a usable GGUF model ({err})") from err
        context = self.settings.context_length
        if self.trained_context:
            context = min(context, self.trained_context)
        self._llama = self._open(Llama, context)
        template = self._llama.metadata.get("tokenizer.chat_template")
        self.chat_format = resolve_chat_format(self.settings.chat_format, template)
        if self.chat_format == CHAT_FORMAT_GGUF:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter  # noqa: PLC0415

            def token_text(token: int) -> str:
                return self._llama._model.token_get_text(token) if token != -1 else ""

            self._formatter = Jinja2ChatFormatter(
                template=template,
                eos_token=token_text(self._llama.token_eos()),
                bos_token=token_text(self._llama.token_bos()),
            )

    def _open(self, llama_class: Any, context: int) -> Any:
        """A `Llama` for the settings with `context` tokens of context; BackendError with the reason."""
        try:
            return llama_class(
                model_path=self.settings.model_path,
                n_ctx=context,
                n_threads=self._threads,
                n_threads_batch=self._threads,
                n_batch=self.settings.batch_size,
                use_mmap=True,  # the weights stay in the page cache, shared, not copied
                lora_path=self.settings.lora_path or None,
                flash_attn=self.settings.flash_attention,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as err:
            raise BackendError(f"llama.cpp could not load {self.settings.model_path}: {err}") from err

    def _fit(self, needed: int) -> Any:
        """Worker: the model with a context of at least `needed` tokens (loaded again with a larger
        one when needed); BackendError when the model's trained context is too small."""
        llama = self._llama
        if needed <= llama.n_ctx():
            self.too_big = None
            return llama
        context = context_for(needed, self.trained_context)
        if context is None:
            self.too_big = (needed, self.trained_context or 0)
            message = too_big_message(needed, self.trained_context or 0)
            if not self._told_too_big:
                self._told_too_big = True
                _LOGGER.warning("Home LLM: %s", message)
            raise BackendError(message)
        from llama_cpp import Llama  # noqa: PLC0415 - loaded already

        self.too_big = None
        _LOGGER.info("The house needs %s tokens of context: loading the model with %s", needed, context)
        llama.close()
        self._llama = None
        self._llama = self._open(Llama, context)
        return self._llama

    def render(self, messages: list[Message]) -> tuple[str, list[str]]:
        """Prompt text in the model's chat format, and the strings that end its reply."""
        if self._formatter is None:
            return to_chatml(messages), [CHATML_STOP]
        try:
            result = self._format(messages)
        except (TemplateError, ValueError):  # raise_exception(): a template that takes one system message
            result = self._format(fold_system(messages))  # the changes or states block joins the first
        stop = result.stop if isinstance(result.stop, list) else [result.stop] if result.stop else []
        return result.prompt, stop

    def _format(self, messages: list[Message]) -> Any:
        """The GGUF chat template's rendering of `messages`; raises jinja2's TemplateError, or
        ValueError where the template calls raise_exception (llama-cpp-python's)."""
        return self._formatter(messages=[{"role": m.role, "content": m.content} for m in messages])

    async def _run(self, func: Any, *args: Any) -> Any:
        """`func(*args)` on the worker thread; BackendError once the worker is shut down."""
        try:
            future = asyncio.get_running_loop().run_in_executor(self._executor, func, *args)
        except RuntimeError as err:  # "cannot schedule new futures after shutdown"
            raise BackendError(UNLOADED) from err
        return await future

    async def async_generate(
        self,
        messages: list[Message],
        *,
        grammar: str | None,
        sampling: Sampling,
        timeout: float,
        on_text: TextCallback | None = None,
    ) -> Generation:
        """Complete the assistant turn after `messages` (see Backend); raise BackendError with the reason."""
        prompt, stop_strings = self.render(messages)
        emit = None
        if on_text is not None:
            loop = asyncio.get_running_loop()

            def emit(text: str) -> None:
                loop.call_soon_threadsafe(on_text, text)

        turn = Turn(prompt, stop_strings, grammar, sampling, emit)
        self._reply_tokens = sampling.max_tokens
        with self._lock:
            self._turns.add(turn)  # a prewarm in flight stops at its next batch
        try:
            return await asyncio.wait_for(self._run(self._generate, turn), timeout)
        except TimeoutError as err:
            turn.stop.set()  # this turn only: the worker drops it, or stops it at its next batch or token
            raise BackendError(_timeout_message(turn, timeout)) from err
        except asyncio.CancelledError:
            turn.stop.set()  # nobody waits for this reply any more
            raise
        finally:
            with self._lock:
                self._turns.discard(turn)

    async def async_prewarm(self, messages: list[Message]) -> int:
        """Read the prompt of `messages` into the KV cache without generating; returns the
        number of tokens read (0 when it was cached already or a turn came first)."""
        prompt, _stop = self.render(messages)
        return await self._run(self._prewarm, prompt)

    def _turn_waiting(self) -> bool:
        """Whether a turn was submitted and the worker has not taken it up yet."""
        with self._lock:
            return any(turn.started is None for turn in self._turns)

    def _prewarm(self, prompt: str) -> int:
        """Worker: read `prompt` with every core, stopping at a batch boundary when a turn comes."""
        if self._llama is None or self._turn_waiting():
            return 0
        tokens = tokenize_prompt(self._llama, prompt)  # only the template's markers are special tokens
        llama = self._fit(len(tokens) + self._reply_tokens)  # the turn will not have to load it again
        llama._ctx.set_n_threads(self._threads, prewarm_threads(self._threads))  # nobody waits: all free cores
        try:
            return read_prompt(llama, tokens, stop=lambda: self._turn_waiting() or self._closing)
        except (RuntimeError, ValueError) as err:
            raise BackendError(f"llama.cpp failed: {err}") from err

    def _generate(self, turn: Turn) -> Generation:
        """Worker: the reply to `turn`; BackendError when its stop is set before the reply is whole."""
        from llama_cpp import LogitsProcessorList, StoppingCriteriaList  # noqa: PLC0415 - loaded with the model

        from .greedy_grammar import GreedyGrammar  # noqa: PLC0415 - numpy and llama_cpp: worker thread only

        with self._lock:
            turn.started = time.monotonic()
        stopped, sampling, emit = turn.stop, turn.sampling, turn.emit
        if stopped.is_set() or self._closing:  # timed out or cancelled while it waited
            raise BackendError(self._stopped_message())
        if self._llama is None:
            raise BackendError(UNLOADED)
        tokens = tokenize_prompt(self._llama, turn.prompt)  # only the template's markers are special tokens
        llama = self._fit(len(tokens) + sampling.max_tokens)
        llama._ctx.set_n_threads(self._threads, self._threads)  # one core left to Home Assistant
        self.last_prompt_tokens = len(tokens)
        self.last_cached_tokens = llama.longest_token_prefix(llama._input_ids, tokens)
        greedy = None
        try:
            # Greedy decoding checks the token it picks against the grammar first (greedy_grammar.py);
            # sampling at a temperature keeps llama-cpp-python's grammar over the whole vocabulary.
            if turn.grammar and sampling.temperature == 0:
                greedy = GreedyGrammar(llama, turn.grammar)
            # The prompt but its last token is read here, between checks of the stop; llama-cpp-python
            # then finds it cached and reads only the last token, whose logits give the first sample.
            read_prompt(llama, tokens[:-1], stop=stopped.is_set)
            if stopped.is_set():
                raise BackendError(self._stopped_message())
            chunks = llama.create_completion(
                tokens,
                max_tokens=sampling.max_tokens,
                temperature=sampling.temperature,
                top_k=sampling.top_k,
                top_p=sampling.top_p,
                min_p=sampling.min_p,
                stop=turn.stop_strings,
                grammar=_compiled_grammar(turn.grammar) if turn.grammar and greedy is None else None,
                logits_processor=LogitsProcessorList([greedy]) if greedy is not None else None,
                stopping_criteria=StoppingCriteriaList([lambda _ids, _logits: stopped.is_set()]),
                stream=True,
            )
            pieces: list[str] = []
            for chunk in chunks:
                piece = chunk["choices"][0]["text"]
                if piece:
                    pieces.append(piece)
                    if emit is not None:
                        emit(piece)
        except (RuntimeError, ValueError) as err:
            raise BackendError(f"llama.cpp failed: {err}") from err
        finally:
            if greedy is not None:
                greedy.close()
        if stopped.is_set():  # cut off: what was generated is not the reply
            raise BackendError(self._stopped_message())
        text = "".join(pieces)
        return Generation(
            text=text,
            prompt_tokens=len(tokens),
            completion_tokens=len(llama.tokenize(text.encode(), add_bos=False, special=True)) if text else 0,
        )

    def _stopped_message(self) -> str:
        """Why a turn's worker gave up before the reply was whole."""
        return UNLOADED if self._closing else "the reply was stopped before it was finished"

    async def async_close(self) -> None:
        """Stop every turn, free the model on its own thread, then stop the thread."""
        with self._lock:
            self._closing = True  # a prewarm in flight stops at its next batch, a queued turn at its start
            for turn in self._turns:
                turn.stop.set()

        def close() -> None:
            if self._llama is not None:
                self._llama.close()
                self._llama = None

        loop = asyncio.get_running_loop()
        with contextlib.suppress(RuntimeError):  # already shut down
            await loop.run_in_executor(self._executor, close)
        await loop.run_in_executor(None, self._executor.shutdown, True)


def _timeout_message(turn: Turn, timeout: float) -> str:
    """What a timed-out turn tells the user: busy with another request, or slow itself."""
    started = turn.started
    if started is None:
        return f"the model was busy with another request and did not start on this one within {timeout:g} seconds"
    waited = started - turn.submitted
    if waited >= 1:
        return (
            f"the model did not answer within {timeout:g} seconds "
            f"({waited:.0f} of them waiting while it was busy with another request)"
        )
    return f"the model did not answer within {timeout:g} seconds"
