"""Greedy decoding under a GBNF grammar, checking the chosen token first (as llama.cpp itself does).

llama-cpp-python puts the grammar in its sampler chain, which checks every token of the vocabulary
(49,152 for SmolLM2) against the grammar at every step: about 10 ms a generated token on one core,
a third of a warm turn. llama.cpp's own sampler (`common_sampler_sample`) checks the token it would
pick first and applies the grammar to the whole vocabulary only when that token does not fit. For
greedy decoding (temperature 0, the default) that gives the same tokens: the most likely token that
fits the grammar is the most likely token when it fits. This is that, as a llama-cpp-python logits
processor, used instead of the chain's grammar (see LlamaCppBackend._generate). Imported and run on
the model's worker thread only (llama_cpp and numpy are heavy imports).
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp._internals import LlamaSampler

# llama_token_data as numpy sees it: what llama_sampler_apply reads and writes.
_TOKEN_DATA = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)


class GreedyGrammar:
    """A logits processor for one generation: leaves the logits alone when their most likely token
    fits the grammar, else sets every token that does not fit to -inf."""

    def __init__(self, llama: Any, grammar: str) -> None:
        """A fresh grammar state for `grammar` (GBNF text, root rule `root`) over the vocabulary of
        `llama`; ValueError when llama.cpp cannot parse it."""
        parsed = llama_cpp.llama_sampler_init_grammar(llama._model.vocab, grammar.encode(), b"root")
        if not parsed:  # NULL: llama.cpp printed why; a chain holding it would crash at the first token
            raise ValueError("llama.cpp could not parse the reply grammar")
        self._sampler = LlamaSampler()  # a chain that holds only the grammar, and frees it
        llama_cpp.llama_sampler_chain_add(self._sampler.sampler, parsed)
        self._seen: int | None = None  # tokens of input_ids already accepted (None: the prompt's)

    def __call__(self, input_ids: np.ndarray, logits: np.ndarray) -> np.ndarray:
        """The logits for the next token, given the prompt and the tokens generated so far."""
        self._accept(input_ids)
        best = int(np.argmax(logits))
        if self._fits(best, float(logits[best])):
            return logits
        return self._masked(logits)

    def close(self) -> None:
        """Free the grammar's state now rather than at garbage collection."""
        self._sampler.close()

    def _accept(self, input_ids: np.ndarray) -> None:
        """Advance the grammar over the tokens generated since the last call."""
        if self._seen is None:  # the first call: input_ids is the prompt
            self._seen = len(input_ids)
        for token in input_ids[self._seen :]:
            llama_cpp.llama_sampler_accept(self._sampler.sampler, int(token))
        self._seen = len(input_ids)

    def _fits(self, token: int, logit: float) -> bool:
        """Whether the grammar admits `token` next (it sets the logit of a token it refuses to -inf)."""
        candidate = llama_cpp.llama_token_data(token, logit, 0.0)
        candidates = llama_cpp.llama_token_data_array(data=ctypes.pointer(candidate), size=1, selected=-1, sorted=False)
        llama_cpp.llama_sampler_apply(self._sampler.sampler, ctypes.byref(candidates))
        return candidate.logit != -math.inf

    def _masked(self, logits: np.ndarray) -> np.ndarray:
        """`logits` with every token the grammar does not admit next set to -inf."""
        data = np.zeros(len(logits), dtype=_TOKEN_DATA)
        data["id"] = np.arange(len(logits))
        data["logit"] = logits
        candidates = llama_cpp.llama_token_data_array(
            data=data.ctypes.data_as(ctypes.POINTER(llama_cpp.llama_token_data)),
            size=len(logits),
            selected=-1,
            sorted=False,
        )
        llama_cpp.llama_sampler_apply(self._sampler.sampler, ctypes.byref(candidates))
        return data["logit"].copy()
