"""Raw llama.cpp: time per generated token with a short and a long prompt cache, per KV-cache setting.

    .venv/bin/python -m devtools.kv_cache [--model GGUF] [--threads 1] [--out kv_cache.json]

A warm turn reads a few tokens and generates ~24, each attending over the whole cache, so a big
house's turn is slower than a small one's. This measures whether llama.cpp's flash attention or a
q8_0 KV cache (which needs flash attention for V) makes the long cache cheaper on this CPU, and what a
second thread does: for each setting, the cache is filled to each length, then `--tokens` tokens are
decoded one at a time (as generation does) `--reps` times; the best repetition counts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from custom_components.home_llm.backends.llama_cpp import default_threads
from devtools.eval import DEFAULT_MODEL

Q8_0 = 8  # ggml's type id of q8_0 (llama_cpp.GGML_TYPE_Q8_0)
SETTINGS: dict[str, dict[str, Any]] = {
    "f16": {"flash_attn": False},
    "f16, one more thread": {"flash_attn": False, "more_threads": True},
    "f16 + flash attention": {"flash_attn": True},
    "q8_0 + flash attention": {"flash_attn": True, "type_k": Q8_0, "type_v": Q8_0},
    "q8_0 K only": {"flash_attn": False, "type_k": Q8_0},  # a quantized V needs flash attention, K does not
}
FILLER_LINE = "light.room_{0} 'Room {0} Light' = on\n"  # device lines, as a house's prompt has


def ms_per_token(llama: Any, tokens: list[int], fill: int, count: int, reps: int) -> float:
    """Best of `reps`: ms per token to decode `count` tokens one by one after `fill` cached ones."""
    llama.reset()
    llama.eval(tokens[:fill])
    best = float("inf")
    for _ in range(reps):
        llama.n_tokens = fill  # back to the same cache length: only the decoded tokens are dropped
        start = time.perf_counter()
        for token in tokens[fill : fill + count]:
            llama.eval([token])
        best = min(best, (time.perf_counter() - start) / count * 1000)
    return round(best, 2)


def measure(model: str, threads: int, fills: list[int], count: int, reps: int) -> dict[str, dict[str, float]]:
    """{setting: {fill: ms per token}} for every setting of SETTINGS."""
    from llama_cpp import Llama  # noqa: PLC0415 - heavy import, only here

    text = "".join(FILLER_LINE.format(index) for index in range(max(fills) // 8 + count))
    results: dict[str, dict[str, float]] = {}
    for name, setting in SETTINGS.items():
        options = {key: value for key, value in setting.items() if key != "more_threads"}
        turn_threads = threads + 1 if setting.get("more_threads") else threads
        llama = Llama(
            model_path=model,
            n_ctx=max(fills) + count + 64,
            n_threads=turn_threads,
            n_batch=512,
            verbose=False,
            **options,
        )
        try:
            tokens = llama.tokenize(text.encode(), add_bos=False)
            results[name] = {str(fill): ms_per_token(llama, tokens, fill, count, reps) for fill in fills}
        finally:
            llama.close()
        print(f"[kv_cache] {name}: {results[name]} ms/token", flush=True)
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m devtools.kv_cache", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="GGUF model (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=default_threads(), help="a turn's threads (%(default)s)")
    parser.add_argument("--fills", default="600,4000", help="cache lengths, comma-separated (default: %(default)s)")
    parser.add_argument("--tokens", type=int, default=24, help="tokens decoded per repetition (default: %(default)s)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions; the best counts (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("kv_cache.json"), help="JSON report")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Measure, print and write the report."""
    args = parse_args(argv)
    fills = [int(fill) for fill in args.fills.split(",")]
    results = measure(args.model, args.threads, fills, args.tokens, args.reps)
    report = {"command": " ".join(sys.argv), "model": args.model, "threads": args.threads, "ms_per_token": results}
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
