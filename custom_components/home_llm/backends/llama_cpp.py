"""In-process llama.cpp through llama-cpp-python, on one worker thread of its own.

One `Llama` instance lives as long as the config entry: llama-cpp-python keeps the KV cache of
the previous prompt and reuses its longest common prefix, so a stable system prompt is read once.
The single worker thread also means one turn at a time per model.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..const import CHATML_STOP
from ..prompt import Message, to_chatml
from . import BackendError, Generation, Sampling

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LlamaSettings:
    model_path: str
    context_length: int
    threads: int
    batch_size: int


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
        self._cancel = threading.Event()
        self.last_prompt_tokens = 0

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
        try:
            self._llama = Llama(
                model_path=self.settings.model_path,
                n_ctx=self.settings.context_length,
                n_threads=self.settings.threads or None,
                n_batch=self.settings.batch_size,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as err:
            raise BackendError(f"llama.cpp could not load {self.settings.model_path}: {err}") from err

    async def _run(self, func: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, func, *args)

    async def async_generate(
        self, messages: list[Message], *, grammar: str | None, sampling: Sampling, timeout: float
    ) -> Generation:
        prompt = to_chatml(messages)
        self._cancel.clear()
        future = self._run(self._generate, prompt, grammar, sampling)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError as err:
            self._cancel.set()  # stops the worker at its next token
            raise BackendError(f"the model did not answer within {timeout:g} seconds") from err

    def _generate(self, prompt: str, grammar: str | None, sampling: Sampling) -> Generation:
        from llama_cpp import StoppingCriteriaList  # noqa: PLC0415 - loaded with the model

        if self._llama is None:
            raise BackendError("the model is not loaded")
        llama = self._llama
        tokens = llama.tokenize(prompt.encode(), add_bos=False, special=True)
        if len(tokens) + sampling.max_tokens > llama.n_ctx():
            raise BackendError(
                f"the prompt ({len(tokens)} tokens) does not fit the context length ({llama.n_ctx()}); "
                "expose fewer entities or raise the context length"
            )
        self.last_prompt_tokens = len(tokens)
        try:
            result = llama.create_completion(
                tokens,
                max_tokens=sampling.max_tokens,
                temperature=sampling.temperature,
                top_k=sampling.top_k,
                top_p=sampling.top_p,
                min_p=sampling.min_p,
                stop=[CHATML_STOP],
                grammar=_compiled_grammar(grammar) if grammar else None,
                stopping_criteria=StoppingCriteriaList([lambda _ids, _logits: self._cancel.is_set()]),
            )
        except (RuntimeError, ValueError) as err:
            raise BackendError(f"llama.cpp failed: {err}") from err
        usage = result.get("usage", {})
        return Generation(
            text=result["choices"][0]["text"],
            prompt_tokens=usage.get("prompt_tokens", len(tokens)),
            completion_tokens=usage.get("completion_tokens", 0),
        )

    async def async_close(self) -> None:
        """Free the model on its own thread, then stop the thread."""
        self._cancel.set()

        def close() -> None:
            if self._llama is not None:
                self._llama.close()
                self._llama = None

        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, close)
        except RuntimeError:
            pass  # already shut down
        await loop.run_in_executor(None, self._executor.shutdown, True)
