"""scripts/bench: latency of a full turn through the conversation entity, by house size.

For each house size (generated houses of lights, switches, fans, covers and media players):
- cold: the prompt cache is empty (the first turn after loading);
- warm: the house's prompt prefix is cached, a new sentence each turn;
- changed_no_prewarm: a device changes and the user speaks at once (no time to prewarm);
- changed_prewarm: a device changes and the user speaks CHANGE_TO_TURN (2) seconds later;
- lived: as people live it: a random exposed entity changes every 5-60 s while turns arrive at
  random times (1-20 s apart), for `--lived` turns (p50/p95 against warm);
then raw llama-cpp-python replays the same token work (same prompts in the same order, same
cache history, same grammar, as many generated tokens) and the ratio is reported.
Writes JSON and a PNG plot. `--quick` is a seconds-long run on a tiny house (CI).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from custom_components.home_llm.backends.llama_cpp import LlamaCppBackend, default_threads, peak_rss_mib, read_prompt
from custom_components.home_llm.const import (
    CONF_CONTEXT_LENGTH,
    CONF_FLASH_ATTENTION,
    CONF_MAX_TOKENS,
    CONF_NUM_EXAMPLES,
    CONF_PROMPT_LAYOUT,
    CONF_THREADS,
    DEFAULT_CONTEXT_LENGTH,
    DEFAULT_PROMPT_LAYOUT,
)
from custom_components.home_llm.prewarm import PREWARM_DELAY
from custom_components.home_llm.prompt import PROMPT_LAYOUTS

from .home import DEFAULT_MODEL, Home, SetupError, quiet_logs
from .houses import parse_house

KINDS = (
    ("light", "Light", "on"),
    ("switch", "Switch", "off"),
    ("fan", "Fan", "off"),
    ("cover", "Blinds", "closed"),
    ("media_player", "Speaker", "idle"),
)
ROOMS = ("Kitchen", "Living Room", "Bedroom", "Office", "Garage", "Hall", "Bathroom", "Attic", "Basement", "Porch")
# Sentences the model answers: Home Assistant's own ("turn off the {name}") run without it (~15 ms), so
# the bench would time the reading, not the model's turn.
SENTENCES = (
    "make sure the {name} is off",
    "is the {name} on?",
    "can you shut the {name} off for me",
    "could you get the {name} going",
    "what can you do?",
    "the {name} should be off",
)
KINDS_TOGGLED = {"on": "off", "off": "on", "closed": "open", "open": "closed", "idle": "playing", "playing": "idle"}
CHANGE_TO_TURN = 2.0  # seconds from a state change to the user's words (changed_prewarm)
LIVED_CHANGE_GAP = (5.0, 60.0)  # seconds between two state changes in the lived scenario
LIVED_TURN_GAP = (1.0, 20.0)  # seconds between the end of a turn and the next one
TURN_KINDS = ("cold", "warm", "changed_no_prewarm", "changed_prewarm", "lived")


def generate_house(size: int) -> list[dict[str, Any]]:
    """`size` entities, five kinds in ten rooms, numbered when a room has several of a kind."""
    house = []
    for index in range(size):
        domain, kind, state = KINDS[index % len(KINDS)]
        room = ROOMS[(index // len(KINDS)) % len(ROOMS)]
        number = index // (len(KINDS) * len(ROOMS))
        name = f"{room} {kind}" + (f" {number + 1}" if number else "")
        house.append(
            {"entity_id": f"{domain}.{name.lower().replace(' ', '_')}", "name": name, "state": state, "area": room}
        )
    return house


@dataclass
class Recorder:
    """Wraps the backend: keeps each turn's prompt, grammar and reply for the raw replay."""

    backend: LlamaCppBackend
    log: list[tuple[str, Any]] = field(default_factory=list)  # ("reset",), ("prewarm", prompt), ("turn", ...)

    def install(self) -> None:
        generate, prewarm = self.backend.async_generate, self.backend.async_prewarm

        async def recording_generate(messages, *, grammar, sampling, timeout, on_text=None):
            # Logged when it is queued on the model's thread: the replay keeps the thread's order.
            prompt, stop = self.backend.render(messages)
            turn = {"prompt": prompt, "stop": stop, "grammar": grammar, "sampling": sampling, "completion": 0}
            self.log.append(("turn", turn))
            generation = await generate(messages, grammar=grammar, sampling=sampling, timeout=timeout, on_text=on_text)
            turn["completion"] = generation.completion_tokens
            return generation

        async def recording_prewarm(messages):
            prompt, _stop = self.backend.render(messages)
            self.log.append(("prewarm", prompt))
            return await prewarm(messages)

        self.backend.async_generate = recording_generate
        self.backend.async_prewarm = recording_prewarm

    async def async_reset(self) -> None:
        """Empty the prompt cache (on the model's own thread), as right after loading."""
        await self.backend._run(self.backend._llama.reset)
        self.log.append(("reset", None))

    async def async_idle(self) -> None:
        """Wait until the model's thread has nothing queued (a prewarm in flight included)."""
        await self.backend._run(lambda: None)


@dataclass
class Sample:
    kind: str  # one of TURN_KINDS
    latency_ms: float
    prompt_tokens: int
    read_tokens: int  # prompt tokens not found in the cache
    completion_tokens: int = 0
    raw_ms: float = 0.0


async def _turn(home: Home, recorder: Recorder, kind: str, text: str) -> Sample:
    asked = sum(op == "turn" for op, _data in recorder.log)
    turn = await home.async_turn(text)
    if sum(op == "turn" for op, _data in recorder.log) == asked:
        raise RuntimeError(f"the model was not asked for {text!r}: a bench sentence must be one it answers")
    backend = recorder.backend
    completion = next(data["completion"] for op, data in reversed(recorder.log) if op == "turn")
    return Sample(
        kind,
        turn.latency_ms,
        backend.last_prompt_tokens,
        backend.last_prompt_tokens - backend.last_cached_tokens,
        completion,
    )


async def _toggle(home: Home, entity_id: str) -> None:
    state = home.hass.states.get(entity_id)
    home.hass.states.async_set(entity_id, KINDS_TOGGLED.get(state.state, "on"), state.attributes)


async def bench_size(
    home: Home, size: int, runs: dict[str, Any], rng: random.Random
) -> tuple[list[Sample], list[tuple[str, Any]]]:
    """Every scenario on a generated house of `size` entities: the samples and the model's log."""
    house = parse_house(generate_house(size), f"generated house of {size}")
    await home.async_use_house(house)
    recorder = Recorder(home.entry.runtime_data)
    recorder.install()
    names = [entity["name"].lower() for entity in house]
    samples: list[Sample] = []
    counter = 0

    def sentence() -> str:
        nonlocal counter
        counter += 1
        return SENTENCES[counter % len(SENTENCES)].format(name=names[(counter * 7) % len(names)])

    await _settle(recorder)  # the new house's prewarm
    for _ in range(runs["cold"]):
        await recorder.async_reset()
        samples.append(await _turn(home, recorder, "cold", sentence()))
        await _settle(recorder)
    for _ in range(runs["warm"]):
        samples.append(await _turn(home, recorder, "warm", sentence()))
        await _settle(recorder)
    for index in range(runs["changed"]):
        # A device from the middle of the list on, so half the house's lines come after it.
        entity_id = house[(len(house) // 2 + index * 3) % len(house)]["entity_id"]
        await _toggle(home, entity_id)
        samples.append(await _turn(home, recorder, "changed_no_prewarm", sentence()))
        await _settle(recorder)
        await _toggle(home, house[(len(house) // 3 + index * 5) % len(house)]["entity_id"])
        await asyncio.sleep(CHANGE_TO_TURN)  # the prewarm has these seconds, as a user gives it
        samples.append(await _turn(home, recorder, "changed_prewarm", sentence()))
        await _settle(recorder)
    samples += await _lived(home, recorder, [entity["entity_id"] for entity in house], runs, rng=rng, sentence=sentence)
    return samples, recorder.log


async def _lived(
    home: Home,
    recorder: Recorder,
    entity_ids: list[str],
    runs: dict[str, Any],
    *,
    rng: random.Random,
    sentence: Callable[[], str],
) -> list[Sample]:
    """`runs["lived"]` turns at random times while a random entity changes every 5-60 s in the
    background (`runs["gaps"]` holds the two ranges of seconds)."""
    turns, home_gaps = runs["lived"], runs["gaps"]
    if turns <= 0:
        return []

    async def change_forever() -> None:
        """Toggle a random entity, wait 5-60 s, again."""
        while True:
            await asyncio.sleep(rng.uniform(*home_gaps["change"]))
            await _toggle(home, rng.choice(entity_ids))

    changes = asyncio.create_task(change_forever())
    samples = []
    try:
        for _ in range(turns):
            await asyncio.sleep(rng.uniform(*home_gaps["turn"]))
            samples.append(await _turn(home, recorder, "lived", sentence()))
    finally:
        changes.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await changes
    await _settle(recorder)
    return samples


async def _settle(recorder: Recorder) -> None:
    """Let the debounced prewarm start and finish, as the seconds between two commands would."""
    await asyncio.sleep(PREWARM_DELAY + 1.0)  # a margin for a busy event loop
    await recorder.async_idle()


def replay_raw(model: str, settings: dict[str, Any], log: list[tuple[str, Any]]) -> list[float]:
    """The same token work with llama-cpp-python alone: returns the time of each turn, in ms."""
    from llama_cpp import Llama, LogitsProcessorList  # noqa: PLC0415

    from custom_components.home_llm.backends.greedy_grammar import GreedyGrammar  # noqa: PLC0415 - numpy

    llama = Llama(
        model_path=model,
        n_ctx=settings["context"],
        n_threads=settings["threads"],
        n_threads_batch=settings["threads"],
        n_batch=512,
        flash_attn=settings["flash"],
        lora_path=settings["lora"] or None,
        verbose=False,
    )
    times = []
    try:
        for op, data in log:
            if op == "reset":
                llama.reset()
            elif op == "prewarm":  # untimed, as the integration's prewarm
                read_prompt(llama, llama.tokenize(data.encode(), add_bos=False, special=True))
            elif op == "turn":
                sampling, grammar = data["sampling"], data["grammar"]
                start = time.perf_counter()
                tokens = llama.tokenize(data["prompt"].encode(), add_bos=False, special=True)
                # Greedy, the grammar checked as the backend checks it (GreedyGrammar): the same token work.
                greedy = GreedyGrammar(llama, grammar) if grammar else None
                llama.create_completion(
                    tokens,
                    max_tokens=max(data["completion"], 1),
                    temperature=0.0,
                    top_k=sampling.top_k,
                    top_p=sampling.top_p,
                    min_p=sampling.min_p,
                    stop=data["stop"],
                    logits_processor=LogitsProcessorList([greedy]) if greedy else None,
                )
                times.append((time.perf_counter() - start) * 1000)
                if greedy is not None:
                    greedy.close()
    finally:
        llama.close()
    return times


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def summarize(samples: list[Sample]) -> dict[str, Any]:
    """Per kind of turn: latency percentiles, against raw llama.cpp, and the tokens read."""
    out: dict[str, Any] = {}
    for kind in TURN_KINDS:
        group = [s for s in samples if s.kind == kind]
        if not group:
            continue
        latency = [s.latency_ms for s in group]
        raw = [s.raw_ms for s in group]
        seconds = sum(latency) / 1000
        out[kind] = {
            "runs": len(group),
            "p50_ms": round(percentile(latency, 50), 1),
            "p95_ms": round(percentile(latency, 95), 1),
            "raw_p50_ms": round(percentile(raw, 50), 1),
            "ratio_to_raw": round(sum(latency) / sum(raw), 3) if sum(raw) else None,
            "prompt_tokens": round(statistics.mean(s.prompt_tokens for s in group)),
            "read_tokens": round(statistics.mean(s.read_tokens for s in group)),
            "completion_tokens": round(statistics.mean(s.completion_tokens for s in group), 1),
            "tokens_per_s": round(sum(s.read_tokens + s.completion_tokens for s in group) / seconds, 1)
            if seconds
            else None,
        }
    return out


def model_rss_mib(model: str, context: int, tokens: int) -> dict[str, float]:
    """Resident memory of a fresh process that loads the model (with this context) and reads a
    prompt of `tokens`: its peak, and the part above what Python and llama_cpp cost before loading."""
    code = (
        "from llama_cpp import Llama\n"
        "def kib(key):\n"
        "    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith(key))\n"
        "base = kib('VmRSS:')\n"
        f"l = Llama(model_path={model!r}, n_ctx={context}, verbose=False)\n"
        f"l.eval(l.tokenize(b'the kitchen light is on. ' * 400)[:{tokens}])\n"
        "print(kib('VmHWM:') / 1024, (kib('VmHWM:') - base) / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    peak, model_part = (float(value) for value in out.stdout.split()[-2:])
    return {"process_peak_rss_mib": round(peak, 1), "model_rss_mib": round(model_part, 1)}


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    sizes = [entry["entities"] for entry in result["sizes"]]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for kind, label in (
        ("cold", "cold (empty cache)"),
        ("changed_no_prewarm", "right after a state change, no prewarm"),
        ("changed_prewarm", f"{CHANGE_TO_TURN:g} s after a state change"),
        ("lived", "lived: random changes and turns"),
        ("warm", "warm"),
    ):
        values = [entry["turns"].get(kind, {}).get("p50_ms", float("nan")) / 1000 for entry in result["sizes"]]
        ax.plot(sizes, values, marker="o", label=label)
    raw = [entry["turns"].get("warm", {}).get("raw_p50_ms", float("nan")) / 1000 for entry in result["sizes"]]
    ax.plot(sizes, raw, linestyle="--", color="gray", label="warm, raw llama-cpp-python")
    ax.set_xlabel("exposed entities")
    ax.set_ylabel("turn latency, p50 (s)")
    ax.set_yscale("log")
    ax.set_title(
        f"Home LLM turn latency ({Path(result['model']).name}, {result['layout']}, {result['threads']} threads)",
        fontsize=10,
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def machine() -> dict[str, Any]:
    """The cores and the load while the bench runs: a loaded machine's figures are not a quiet one's."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cores": os.cpu_count(), "load_1_5_15": [round(x, 2) for x in load] if load else None}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Bench every size in one Home Assistant with one loaded model."""
    gaps = {"change": args.lived_change_gap, "turn": args.lived_turn_gap}
    runs = {"cold": args.cold, "warm": args.warm, "changed": args.changed, "lived": args.lived, "gaps": gaps}
    threads = args.threads or default_threads()
    result: dict[str, Any] = {
        "command": "scripts/bench " + " ".join(args.argv),
        "model": args.model,
        "context": args.context,
        "layout": args.layout,
        "flash_attention": args.flash_attention,
        "threads": threads,
        "max_tokens": args.max_tokens,
        "runs": runs,
        "machine_at_start": machine(),
        "sizes": [],
    }
    options = {
        CONF_CONTEXT_LENGTH: args.context,
        CONF_MAX_TOKENS: args.max_tokens,
        CONF_PROMPT_LAYOUT: args.layout,
        CONF_FLASH_ATTENTION: args.flash_attention,
    }
    if args.threads:
        options[CONF_THREADS] = args.threads
    if args.quick:
        options[CONF_NUM_EXAMPLES] = 0  # the shortest prompt: seconds even on a busy machine
    rng = random.Random(args.seed)
    async with Home(args.model) as home:
        await home.async_set_options(options)  # the model's settings reload it; the agent's apply at once
        result["adapter"] = home.entry.runtime_data.settings.lora_path  # the raw replay applies it too
        for size in args.sizes:
            samples, log = await bench_size(home, size, runs, rng)
            rss = peak_rss_mib()
            context = home.entry.runtime_data._llama.n_ctx()  # grown to fit the house
            raw = await asyncio.get_running_loop().run_in_executor(
                None,
                replay_raw,
                args.model,
                {
                    "context": context,
                    "threads": threads,
                    "flash": args.flash_attention,
                    "lora": home.entry.runtime_data.settings.lora_path,  # the same adapter as the turns
                },
                log,
            )
            for sample, raw_ms in zip(samples, raw, strict=True):
                sample.raw_ms = raw_ms
            turns = summarize(samples)
            result["sizes"].append({"entities": size, "context": context, "turns": turns, "peak_rss_mib": rss})
            print(json.dumps({"entities": size, **{k: v["p50_ms"] for k, v in turns.items()}}), file=sys.stderr)
    result["memory"] = model_rss_mib(args.model, 4096, 50 if args.quick else 2000)  # the default context
    result["machine_at_end"] = machine()
    result["goals"] = goals(result)
    return result


def goals(result: dict[str, Any]) -> dict[str, Any]:
    """The issue's goals, as measured: each ratio is a p50 (or p95) over the warm p50 of its size."""
    sizes = result["sizes"]
    small, large = sizes[0]["turns"], sizes[-1]["turns"]
    all_turns = [t for s in sizes for t in s["turns"].values()]

    def over_warm(kind: str, key: str = "p50_ms") -> list[float]:
        return [round(s["turns"][kind][key] / s["turns"]["warm"]["p50_ms"], 2) for s in sizes if kind in s["turns"]]

    return {
        "warm_largest_over_smallest": round(large["warm"]["p50_ms"] / small["warm"]["p50_ms"], 2),
        "turn_over_raw": round(
            sum(t["ratio_to_raw"] * t["runs"] for t in all_turns) / sum(t["runs"] for t in all_turns), 3
        ),
        "changed_prewarm_over_warm": over_warm("changed_prewarm"),
        "changed_no_prewarm_over_warm": over_warm("changed_no_prewarm"),
        "lived_p50_over_warm": over_warm("lived"),
        "lived_p95_over_warm": over_warm("lived", "p95_ms"),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny house and a few turns: seconds (CI)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="GGUF model (default: %(default)s)")
    parser.add_argument("--sizes", default="10,50,200", help="house sizes, comma-separated (default: %(default)s)")
    parser.add_argument("--cold", type=int, default=3, help="cold turns per size")
    parser.add_argument("--warm", type=int, default=10, help="warm turns per size")
    parser.add_argument(
        "--changed", type=int, default=5, help="state-change turns per size (each with and without prewarm)"
    )
    parser.add_argument("--lived", type=int, default=10, help="turns of the lived scenario per size")
    parser.add_argument(
        "--lived-change-gap", type=_gap, default=LIVED_CHANGE_GAP, help="seconds between changes: MIN,MAX"
    )
    parser.add_argument("--lived-turn-gap", type=_gap, default=LIVED_TURN_GAP, help="seconds between turns: MIN,MAX")
    parser.add_argument("--seed", type=int, default=14, help="random changes and turn times (default: %(default)s)")
    parser.add_argument("--layout", choices=PROMPT_LAYOUTS, default=DEFAULT_PROMPT_LAYOUT, help="prompt layout")
    parser.add_argument("--flash-attention", action="store_true", help="llama.cpp's flash attention")
    parser.add_argument(
        "--context", type=int, default=DEFAULT_CONTEXT_LENGTH, help="starting context length (grows with the house)"
    )
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=0, help="0: the integration's default")
    parser.add_argument("--out", default="bench.json", help="JSON report (default: %(default)s)")
    parser.add_argument("--plot", default="bench.png", help="PNG plot (default: %(default)s)")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.sizes = [int(size) for size in args.sizes.split(",")]
    if args.quick:
        args.sizes, args.cold, args.warm, args.changed, args.context, args.max_tokens = [2, 4], 1, 1, 1, 1024, 4
        args.lived, args.lived_change_gap, args.lived_turn_gap = 2, (0.2, 0.5), (0.1, 0.3)
    return args


def _gap(text: str) -> tuple[float, float]:
    """`5,60` -> (5.0, 60.0): a range of seconds."""
    low, _, high = text.partition(",")
    try:
        gap = (float(low), float(high or low))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r}: write MIN,MAX in seconds") from err
    if not 0 <= gap[0] <= gap[1]:
        raise argparse.ArgumentTypeError(f"{text!r}: need 0 <= MIN <= MAX")
    return gap


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quiet_logs()
    try:
        result = asyncio.run(run(args))
    except SetupError as err:
        print(f"bench: {err}", file=sys.stderr)
        return 2
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    plot(result, Path(args.plot))
    print(json.dumps(result["goals"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
