"""scripts/demo "<sentence>": one turn against a house, printed as one JSON object.

{"speech": str, "calls": [{"service", "entity_id", "ok", "error"}], "changed": {entity_id: {"from", "to"}},
 "latency_ms": float}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from .home import DEFAULT_MODEL, Home, SetupError, quiet_logs
from .houses import HouseError, load_house


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__.splitlines()[0])
    parser.add_argument("sentence", help='what you say, e.g. "turn off the kitchen lights"')
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="GGUF model file (default: %(default)s)")
    parser.add_argument("--house", help="house file (YAML or JSON list of entities); default: the demo house")
    return parser.parse_args(argv)


async def run(sentence: str, model: str, house_file: str | None) -> dict:
    house = load_house(house_file) if house_file else None
    async with Home(model) as home:
        await home.async_use_house(house)
        turn = await home.async_turn(sentence)
    return {
        "speech": turn.speech,
        "calls": [
            {"service": call.service, "entity_id": call.entity_id, "ok": call.status == "done", "error": call.error}
            for call in turn.calls
        ],
        "changed": turn.changed,
        "latency_ms": turn.latency_ms,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quiet_logs()
    try:
        result = asyncio.run(run(args.sentence, args.model, args.house))
    except (SetupError, HouseError) as err:
        print(f"demo: {err}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
