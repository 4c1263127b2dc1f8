"""Training examples from written cases: the blind dev splits' houses, requests and expected calls.

The generator's houses and sentences are ours; the blind dev splits were written by people who never saw
them (README, *Other people's words*), so they teach how real installations are named and talked to. Only
`*.dev.jsonl` files are read: a held-out split (`*.test.jsonl`) is never trained on. A case becomes an
example in the generator's format (`dataset.Example`): the house as the agent snapshots it (names,
aliases, areas, the attributes the prompt keeps), the request, and a reply that is a short sentence in
the case's language plus the expected calls, or, where nothing should run, a sentence that asks or says
why. Questions and unsafe requests are left out: their right answer needs the house's state or the
policy, which the case does not write down.

    python -m training.cases datasets/outside_blind2.dev.jsonl ...   # counts per kind, and a sample
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import yaml

from training import dataset

SKIPPED_INTENTS = frozenset({"question", "unsafe"})
# In-context examples in the prompt: fewer than the agent's default 5, as the generator also draws fewer, so
# that a written house (15-25 devices with aliases) fits 1,024 tokens and a step costs less.
IN_CONTEXT_EXAMPLES = (0, 1, 2)
# What the model says where nothing should run, by the case's intent and language.
NO_CALL_REPLIES: dict[str, dict[str, str]] = {
    "en": {
        "absent": "I couldn't find that in this house.",
        "impossible": "Sorry, that device can't do that.",
        "ambiguous": "Which one do you mean?",
    },
    "de": {
        "absent": "Das finde ich in diesem Haus nicht.",
        "impossible": "Das kann dieses Gerät leider nicht.",
        "ambiguous": "Welches Gerät meinst du?",
    },
}
# The attributes a house file's entity keeps in the prompt: those the agent's snapshot keeps (a copy of
# house.py's, which imports Home Assistant; tests/test_training_cases.py compares the two snapshots).
SNAPSHOT_ATTRIBUTES = frozenset(
    {
        "brightness", "rgb_color", "color_temp_kelvin", "min_color_temp_kelvin", "max_color_temp_kelvin",
        "supported_color_modes", "temperature", "current_temperature", "target_temp_high", "target_temp_low",
        "min_temp", "max_temp", "humidity", "min_humidity", "max_humidity", "hvac_modes", "fan_mode",
        "fan_modes", "preset_mode", "preset_modes", "percentage", "current_position", "volume_level",
        "source_list", "media_title", "device_class", "entity_id", "supported_features",
    }
)  # fmt: skip


def dev_files(paths: list[Path]) -> list[Path]:
    """The files asked for, refusing any that is not a dev split."""
    for path in paths:
        if not path.name.endswith(".dev.jsonl"):
            raise SystemExit(f"{path}: only *.dev.jsonl files are trained on (held-out splits never are)")
    return paths


def load_house(path: Path) -> list[dict]:
    """A house file's entities as the generator's device dicts, sorted as the snapshot sorts them."""
    from devtools.houses import implied_features  # noqa: PLC0415 - devtools needs Home Assistant's voluptuous

    devices = []
    for entity in yaml.safe_load(path.read_text(encoding="utf-8")):
        attributes = dict(entity.get("attributes") or {})
        if "supported_features" not in attributes:
            features = implied_features({"entity_id": entity["entity_id"], "attributes": attributes})
            if features is not None:
                attributes["supported_features"] = features
        devices.append(
            {
                "entity_id": entity["entity_id"],
                "name": entity.get("name") or entity["entity_id"].split(".", 1)[1].replace("_", " "),
                "state": str(entity.get("state", "unknown")),
                "area": entity.get("area"),
                "aliases": sorted(entity.get("aliases") or ()),
                "attributes": {k: v for k, v in attributes.items() if k in SNAPSHOT_ATTRIBUTES},
            }
        )
    return sorted(devices, key=lambda device: device["entity_id"])


def model_arguments(service: str, data: dict) -> dict:
    """A call's service data as the model writes it: brightness in 0-255 where the case gives a percentage."""
    args = dict(data)
    if "brightness_pct" in args:
        args = {"brightness": round(float(args.pop("brightness_pct")) * 255 / 100), **args}
    if service == "light.turn_on" and "color_name" in args:
        args["color_name"] = str(args["color_name"]).lower()
    return args


def call_sentence(device: dict, service: str, language: str, rng: random.Random) -> str:
    """A short sentence for one call, in the generator's words where it has them."""
    domain, name = dataset.domain_of(device), device["name"]
    if language == "de":
        plain = dataset.DE_PLAIN.get(domain, {}).get(service)
        return rng.choice(plain[1]).format(**dataset.device_forms(device)) if plain else f"Erledigt: {name}."
    plain = dataset.PLAIN.get(domain, {}).get(service)
    return dataset._fill(rng.choice(plain[0][1]), name.lower()) if plain else f"Okay, setting the {name.lower()}."


def reply_for(case: dict, devices: dict[str, dict], rng: random.Random) -> tuple[str, list[str]] | None:
    """The reply to learn and its call lines; None where the case cannot be taught from its own words."""
    language = case.get("language", "en")
    if not case["expect"]:
        sentence = NO_CALL_REPLIES.get(language, NO_CALL_REPLIES["en"]).get(case.get("intent", ""))
        return (sentence, []) if sentence else None
    sentences, calls = [], []
    for call in case["expect"]:
        device = devices.get(call["entity_id"])
        if device is None:
            return None
        service = call["service"].split(".", 1)[1]
        sentences.append(call_sentence(device, service, language, rng))
        calls.append(dataset.call_line(device, service, model_arguments(call["service"], call.get("data") or {})))
    sentence = sentences[0] if len(sentences) == 1 else " ".join(sentences)
    return sentence, calls


def examples_from(path: Path, rng: random.Random) -> list[dataset.Example]:
    """The cases of one dev file that can be taught, as examples on their own houses."""
    houses: dict[str, list[dict]] = {}
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        if case.get("intent") in SKIPPED_INTENTS or "house" not in case:
            continue
        if case["house"] not in houses:
            houses[case["house"]] = load_house(path.parent / case["house"])
        devices = houses[case["house"]]
        made = reply_for(case, {d["entity_id"]: d for d in devices}, rng)
        if made is None:
            continue
        sentence, calls = made
        example = dataset.Example(
            devices, dataset._services(devices), case["text"], "\n".join([sentence, *calls]), calls,
            f"case-{case.get('intent', 'command')}", rng.choice(IN_CONTEXT_EXAMPLES),
        )  # fmt: skip
        if case.get("language") == "de":
            example.language, example.persona = "de", dataset.GERMAN_PERSONA
        examples.append(example)
    return examples


def main() -> None:
    """Command line: how many examples each file gives, by kind, and one of them in full."""
    rng = random.Random(0)
    for path in dev_files([Path(p) for p in sys.argv[1:]]):
        examples = examples_from(path, rng)
        kinds: dict[str, int] = {}
        for example in examples:
            kinds[example.kind] = kinds.get(example.kind, 0) + 1
        print(path.name, len(examples), kinds)
    if sys.argv[1:]:
        print(examples[0].user, "->", examples[0].reply, sep="\n")


if __name__ == "__main__":
    main()
