"""Prompt tokens read again after a state change, per prompt layout and house size.

    .venv/bin/python -m devtools.reread [--sizes 10,50,200] [--changes 20] [--examples 5]

llama.cpp keeps the previous prompt's tokens and reads a new prompt from the first token that
differs: after a state change, what follows the changed text is read again (by the prewarm, or by the
turn when it comes first). For each layout this toggles a random device of a generated house
(`devtools.bench.generate_house`) `--changes` times, building the prompt prefix the agent would, and
reports the mean tokens read again and the prefix's length at the end. Only the tokenizer is loaded.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import replace
from typing import Any

from custom_components.home_llm.const import ALLOWED_SERVICES, DEFAULT_PERSONA
from custom_components.home_llm.prompt import (
    PROMPT_LAYOUTS,
    StateBaseline,
    prefix_messages,
    to_chatml,
    tokenize_prompt,
)
from custom_components.home_llm.snapshot import Device, House

from .bench import KINDS_TOGGLED, generate_house
from .home import DEFAULT_MODEL


def house_of(size: int) -> House:
    """The bench's generated house of `size` entities as a snapshot (every service its domains have)."""
    devices = tuple(
        sorted(
            (Device(e["entity_id"], e["name"], e["state"], e["area"]) for e in generate_house(size)),
            key=lambda device: device.entity_id,
        )
    )
    domains = {device.domain for device in devices}
    return House(devices=devices, services={d: s for d, s in ALLOWED_SERVICES.items() if d in domains})


def toggled(house: House, entity_id: str) -> House:
    """`house` with the state of `entity_id` switched (on/off, open/closed, idle/playing)."""
    devices = tuple(
        replace(d, state=KINDS_TOGGLED.get(d.state, "on")) if d.entity_id == entity_id else d for d in house.devices
    )
    return replace(house, devices=devices)


def measure(llama: Any, size: int, layout: str, *, changes: int, examples: int, seed: int) -> dict[str, int]:
    """Mean tokens read again per change, and the prefix's tokens after the last change."""
    rng = random.Random(seed)
    house, baseline = house_of(size), StateBaseline()

    def tokens(current: House) -> list[int]:
        messages = prefix_messages(
            current, persona=DEFAULT_PERSONA, num_examples=examples, layout=layout, baseline=baseline
        )
        return tokenize_prompt(llama, to_chatml(messages))

    previous, read = tokens(house), []
    for _ in range(changes):
        house = toggled(house, rng.choice(house.devices).entity_id)
        current = tokens(house)
        read.append(len(current) - llama.longest_token_prefix(previous, current))  # what llama.cpp keeps
        previous = current
    return {"read_again": round(sum(read) / len(read)), "prefix_tokens": len(previous)}


def main(argv: list[str] | None = None) -> int:
    """Print one JSON line per house size."""
    parser = argparse.ArgumentParser(prog="python -m devtools.reread", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,50,200", help="house sizes, comma-separated (default: %(default)s)")
    parser.add_argument("--changes", type=int, default=20, help="random state changes (default: %(default)s)")
    parser.add_argument("--examples", type=int, default=5, help="in-context examples (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=14, help="which devices change (default: %(default)s)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="GGUF whose tokenizer counts")
    args = parser.parse_args(argv)
    from llama_cpp import Llama  # noqa: PLC0415 - heavy import, only here

    llama = Llama(model_path=args.model, vocab_only=True, verbose=False)
    for size in (int(size) for size in args.sizes.split(",")):
        row = {
            layout: measure(llama, size, layout, changes=args.changes, examples=args.examples, seed=args.seed)
            for layout in PROMPT_LAYOUTS
        }
        print(json.dumps({"entities": size, **row}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
