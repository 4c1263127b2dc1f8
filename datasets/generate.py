"""Generate the shipped datasets from Home Assistant's own sentence templates, over the demo house.

    .venv/bin/python datasets/generate.py [--seed 5] [--out datasets]

Sentences come from the `home-assistant-intents` package (the templates Assist itself understands),
expanded with hassil for each exposed entity of Home Assistant's demo integration. The expected call
follows from the intent and the entity's domain (HassTurnOn on a cover is cover.open_cover...). Only
names that belong to exactly one exposed entity are used. Same seed, same package versions: same files.
The shipped files were made on the oldest supported stack (MADE_WITH); newer template packages and demo
houses give other sentences, so the held-out split stays what it was.

Splits: *.dev.jsonl is for tuning prompts and grammar; *.test.jsonl is held out: never tune on it.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# The packages the shipped files were generated with (scripts/setup's .venv-oldest has exactly these).
MADE_WITH = {"homeassistant": "2025.4.4", "home-assistant-intents": "2025.3.28", "hassil": "2.2.3"}
sys.path.insert(0, str(REPO))

import home_assistant_intents  # noqa: E402
from hassil.intents import IntentData, Intents, TextSlotList  # noqa: E402
from hassil.sample import sample_expression  # noqa: E402

from devtools.home import Home, quiet_logs  # noqa: E402

SEED = 5
DEV_SIZE, TEST_SIZE = 100, 150
PER_DEVICE = {"media_player": 2}  # sentences per (intent, entity); others get DEFAULT_PER_DEVICE
DEFAULT_PER_DEVICE = 5
SAMPLES_PER_TEMPLATE = 200  # the first expansions of each template that we choose from

# (intent, entity domain) -> the service that does it. Locks, valves and vacuums are left out:
# the demo house exposes no lock or valve, and its vacuums have names nobody says.
SERVICES: dict[tuple[str, str], str] = {
    **{("HassTurnOn", d): f"{d}.turn_on" for d in ("light", "switch", "fan", "humidifier")},
    **{("HassTurnOff", d): f"{d}.turn_off" for d in ("light", "switch", "fan", "humidifier")},
    ("HassTurnOn", "cover"): "cover.open_cover",
    ("HassTurnOff", "cover"): "cover.close_cover",
    ("HassLightSet", "light"): "light.turn_on",
    ("HassMediaPause", "media_player"): "media_player.media_pause",
    ("HassMediaUnpause", "media_player"): "media_player.media_play",
    ("HassMediaNext", "media_player"): "media_player.media_next_track",
    ("HassMediaPrevious", "media_player"): "media_player.media_previous_track",
}
# Opening these is refused by the call policy, so no sentence asks for it.
SENSITIVE_OPEN = {"garage", "gate", "door"}

# Chit-chat and questions that must touch nothing (the first is the model card's own example).
CHITCHAT = [
    "if mary is 7 years old, and I am 3 years older than her. how old am I?",
    "hello",
    "good morning!",
    "thank you",
    "who are you?",
    "what can you do?",
    "tell me a joke",
    "what is 12 times 4?",
    "how many days are in a week?",
    "what is the capital of france?",
    "how do I boil an egg?",
    "can you recommend a good book?",
    "what's your name?",
    "never mind",
    "I'm going to bed soon",
    "spell the word house",
    "what is the opposite of hot?",
    "how many legs does a spider have?",
    "say something nice",
    "goodbye",
]
STATE_QUESTIONS = 20  # from the HassGetState templates


def load_intents() -> Intents:
    return Intents.from_dict(home_assistant_intents.get_intents("en"))


async def demo_devices() -> list[dict[str, Any]]:
    """The entities the demo house exposes to Assist, as the agent sees them."""
    from custom_components.home_llm.house import async_build_house  # noqa: PLC0415

    async with Home(None) as home:
        await home.async_use_house(None)
        house = async_build_house(home.hass)
    return [
        {"entity_id": d.entity_id, "name": d.name, "domain": d.domain, "device_class": d.attributes.get("device_class")}
        for d in house.devices
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def block_fits(block: IntentData, device: dict[str, Any]) -> bool:
    """Whether a template block can be said about this entity (its context requirements hold)."""
    required, excluded = block.requires_context or {}, block.excludes_context or {}
    slot_domain = (block.slots or {}).get("domain")
    if "domain" in required and device["domain"] not in _as_list(required["domain"]):
        return False
    if slot_domain and device["domain"] not in _as_list(slot_domain):
        return False
    if "device_class" in required and device["device_class"] not in _as_list(required["device_class"]):
        return False
    return device["domain"] not in _as_list(excluded.get("domain", []))


def sentences_about(intents: Intents, intent: str, device: dict[str, Any]) -> list[str]:
    """Every way (up to a cap per template) the intent's templates say something about this one entity."""
    slot_lists = {
        **intents.slot_lists,
        "name": TextSlotList.from_strings([device["name"].lower()]),
        "area": TextSlotList.from_strings([]),  # the demo house has no areas: area templates drop out
        "floor": TextSlotList.from_strings([]),
        "brightness": TextSlotList.from_strings(["10", "25", "40", "50", "75", "100"]),
    }
    found: list[str] = []
    for block in intents.intents[intent].data:
        rules = {**intents.expansion_rules, **block.expansion_rules}
        if not block_fits(block, device):
            continue
        for template in block.sentences:
            names = set(template.list_names(rules))
            if "name" not in names or names & set(block.wildcard_list_names):
                continue
            # hassil 3 wraps a template's expression in Sentence.expression; hassil 2's Sentence is one.
            expression = getattr(template, "expression", template)
            for text in itertools.islice(sample_expression(expression, slot_lists, rules), SAMPLES_PER_TEMPLATE):
                found.append(" ".join(text.split()))
    return sorted(set(found))


def unique_names(devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = Counter(device["name"].lower() for device in devices)
    return [device for device in devices if counts[device["name"].lower()] == 1]


def action_cases(intents: Intents, devices: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    cases = []
    for (intent, domain), service in SERVICES.items():
        for device in devices:
            if device["domain"] != domain:
                continue
            if service == "cover.open_cover" and device["device_class"] in SENSITIVE_OPEN:
                continue
            texts = sentences_about(intents, intent, device)
            for text in rng.sample(texts, min(len(texts), PER_DEVICE.get(domain, DEFAULT_PER_DEVICE))):
                expect = [{"service": service, "entity_id": device["entity_id"]}]
                cases.append({"text": text, "expect": expect, "intent": intent})
    return cases


def question_cases(intents: Intents, devices: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    questions = sorted({text for device in devices for text in sentences_about(intents, "HassGetState", device)})
    picked = rng.sample(questions, STATE_QUESTIONS)
    return [{"text": text, "expect": [], "intent": "HassGetState"} for text in picked] + [
        {"text": text, "expect": [], "intent": "chitchat"} for text in CHITCHAT
    ]


def split(cases: list[dict[str, Any]], rng: random.Random, dev_size: int, test_size: int | None = None):
    cases = list(cases)
    rng.shuffle(cases)
    end = dev_size + test_size if test_size is not None else None
    return cases[:dev_size], cases[dev_size:end]


def write_jsonl(path: Path, cases: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases), encoding="utf-8")


def generate(out: Path, seed: int = SEED) -> list[Path]:
    quiet_logs()
    logging.getLogger("hassil").setLevel(logging.ERROR)  # empty area lists are on purpose
    intents = load_intents()
    devices = unique_names(asyncio.run(demo_devices()))
    rng = random.Random(seed)
    actions = action_cases(intents, devices, rng)
    # One text may fit two entities' templates in theory; keep a text once so the splits stay disjoint.
    actions = list({case["text"]: case for case in actions}.values())
    dev, test = split(actions, rng, DEV_SIZE, TEST_SIZE)
    chat_dev, chat_test = split(question_cases(intents, devices, rng), rng, 16)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "ha_intents.dev.jsonl": dev,
        "ha_intents.test.jsonl": test,
        "chitchat.dev.jsonl": chat_dev,
        "chitchat.test.jsonl": chat_test,
    }
    for name, cases in files.items():
        write_jsonl(out / name, cases)
    return [out / name for name in files]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    for path in generate(args.out, args.seed):
        print(f"{path}: {sum(1 for _ in path.open(encoding='utf-8'))} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
