"""scripts/demo "<sentence>" ["<next sentence>" ...]: turns against a house, one JSON object a line.

Several sentences are said in one conversation (the same conversation_id, so the agent hears the
earlier turns), each printed as soon as its turn ends:

{"speech": str, "calls": [{"service", "entity_id", "ok", "error"}], "changed": {entity_id: {"from", "to"}},
 "latency_ms": float}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from .home import DEFAULT_MODEL, Home, SetupError, Turn, quiet_logs
from .houses import HouseError, load_house


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line: sentences, model and house."""
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "sentences", nargs="+", metavar="sentence", help='what you say, e.g. "turn off the kitchen lights"'
    )
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="GGUF model file (default: %(default)s)")
    parser.add_argument("--house", help="house file (YAML or JSON list of entities); default: the demo house")
    parser.add_argument("--language", default="en", help="the turns' language, as Assist sends it (default: en)")
    return parser.parse_args(argv)


def turn_object(turn: Turn) -> dict[str, Any]:
    """DESIGN.md's per-turn object."""
    return {
        "speech": turn.speech,
        "calls": [
            {"service": call.service, "entity_id": call.entity_id, "ok": call.status == "done", "error": call.error}
            for call in turn.calls
        ],
        "changed": turn.changed,
        "latency_ms": turn.latency_ms,
    }


async def run(sentences: list[str], model: str, house_file: str | None, language: str = "en") -> None:
    """Say the sentences one after the other in one conversation, printing each turn."""
    house = load_house(house_file) if house_file else None
    async with Home(model) as home:
        await home.async_use_house(house)
        conversation_id = None
        for sentence in sentences:
            turn = await home.async_turn(sentence, conversation_id=conversation_id, language=language)
            conversation_id = turn.conversation_id
            print(json.dumps(turn_object(turn), ensure_ascii=False), flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the demo; a bad house or model is a one-line error (exit 2)."""
    args = parse_args(argv)
    quiet_logs()
    try:
        asyncio.run(run(args.sentences, args.model, args.house, args.language))
    except (SetupError, HouseError) as err:
        print(f"demo: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
