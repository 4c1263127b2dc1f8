"""The shipped datasets: well-formed, disjoint splits, and exactly what the generator makes."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant

from custom_components.home_llm.house import async_build_house
from devtools.eval import load_cases

from .conftest import REPO

DATASETS = REPO / "datasets"
FILES = ["ha_intents.dev.jsonl", "ha_intents.test.jsonl", "chitchat.dev.jsonl", "chitchat.test.jsonl"]
_GENERATOR = importlib.util.spec_from_file_location("generate", DATASETS / "generate.py")
assert _GENERATOR is not None and _GENERATOR.loader is not None
_generate = importlib.util.module_from_spec(_GENERATOR)
_GENERATOR.loader.exec_module(_generate)
MADE_WITH: dict[str, str] = _generate.MADE_WITH


@pytest.mark.homeassistant  # the compatibility run (oldest stack) has the packages the files came from
def test_generator_reproduces_the_shipped_files(tmp_path: Path) -> None:
    """Same seed and packages as when they were made: the generator writes the shipped files again."""
    installed = {package: metadata.version(package) for package in MADE_WITH}
    if installed != MADE_WITH:
        pytest.skip(f"the shipped files were made with {MADE_WITH}; here {installed}")
    subprocess.run(
        [sys.executable, str(DATASETS / "generate.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    for name in FILES:
        assert (tmp_path / name).read_text() == (DATASETS / name).read_text(), name


def test_splits_are_well_formed_and_disjoint() -> None:
    cases = {name: load_cases(DATASETS / name) for name in FILES}
    assert [len(cases[name]) for name in FILES] == [100, 150, 16, 24]
    dev = {c["text"] for c in cases["ha_intents.dev.jsonl"] + cases["chitchat.dev.jsonl"]}
    test = {c["text"] for c in cases["ha_intents.test.jsonl"] + cases["chitchat.test.jsonl"]}
    assert not dev & test
    for name in FILES[:2]:
        assert all(len(c["expect"]) == 1 for c in cases[name])
    for name in FILES[2:]:
        assert all(c["expect"] == [] for c in cases[name])
    chat = {c["text"] for c in cases["chitchat.dev.jsonl"] + cases["chitchat.test.jsonl"]}
    assert "if mary is 7 years old, and I am 3 years older than her. how old am I?" in chat


def test_expected_calls_follow_from_the_intent() -> None:
    lines = [json.loads(line) for name in FILES[:2] for line in (DATASETS / name).read_text().splitlines()]
    for case in lines:
        service, entity_id = case["expect"][0]["service"], case["expect"][0]["entity_id"]
        assert service.split(".")[0] == entity_id.split(".")[0], case
        if case["intent"] == "HassTurnOff":
            assert service.endswith(("turn_off", "close_cover")), case
        if case["intent"] == "HassMediaPause":
            assert service == "media_player.media_pause", case
    assert "cover.open_cover" in {c["expect"][0]["service"] for c in lines}
    # Opening the garage door is refused by the call policy, so no case asks for it.
    assert {"service": "cover.open_cover", "entity_id": "cover.garage_door"} not in [c["expect"][0] for c in lines]


FALSE_ACTIONS = ["false_actions.dev.jsonl", "false_actions.test.jsonl", "false_actions_blind.test.jsonl"]
# false_actions_blind.test.jsonl was written by someone who had not seen the grounding rules, the other
# false-action files or the results (README, Measured accuracy): it checks that the rules were not fitted.
FALSE_ACTION_KINDS = {"absent", "impossible", "ambiguous", "unsafe"}
# Kinds only the dev split has (added when grounding was tuned on dev): they name real devices on purpose.
DEV_ONLY_KINDS = {"statement", "wrong_domain"}
FILLER = {"please", "the", "a", "an", "for", "me", "can", "could", "you", "now", "up"}


def normalized(text: str) -> str:
    """A sentence without case, punctuation and filler words: near-copies compare equal."""
    return " ".join(word for word in re.findall(r"[a-z0-9']+", text.lower()) if word not in FILLER)


def test_false_action_splits_are_well_formed_and_held_out() -> None:
    dev, test, blind = (load_cases(DATASETS / name) for name in FALSE_ACTIONS)
    assert len(test) >= 100 and len(dev) >= 30 and len(blind) >= 90
    for case in dev + test + blind:
        assert case["expect"] == [] and case["intent"] in FALSE_ACTION_KINDS | DEV_ONLY_KINDS, case
    assert {c["intent"] for c in dev} == FALSE_ACTION_KINDS | DEV_ONLY_KINDS
    assert {c["intent"] for c in test} == {c["intent"] for c in blind} == FALSE_ACTION_KINDS
    every = [normalized(c["text"]) for c in dev + test + blind]
    assert len(set(every)) == len(every), "a sentence appears twice (in one split or in two)"
    # Nor may they repeat a sentence of the other held-out and tuning splits.
    others = {normalized(c["text"]) for name in FILES for c in load_cases(DATASETS / name)}
    repeated = set(every) & others
    assert not repeated, f"also in {FILES}: {repeated}"


async def test_false_actions_name_no_device_of_the_demo_house(demo_house: HomeAssistant) -> None:
    """Held-out absent, impossible and ambiguous requests must not name a device the demo house exposes
    (the unsafe ones may: the garage door is there, and opening it is refused). The dev split is not held to
    it: it asks on purpose for absent devices that share a word with present ones ("the kitchen fan" beside
    the "Kitchen" player), statements about real rooms and devices, and wrong-domain requests."""
    names = {device.name.lower() for device in async_build_house(demo_house).devices}
    assert "garage door" in names  # what the unsafe requests rely on
    naming = []
    for name in FALSE_ACTIONS[1:]:
        for case in load_cases(DATASETS / name):
            if case["intent"] == "unsafe":
                continue
            if named := {n for n in names if re.search(rf"\b{re.escape(n)}\b", case["text"].lower())}:
                naming.append(f"{name}:{case['line']} {case['text']!r} names {named}")
    assert not naming, naming


def test_training_generator_never_asks_a_false_action_sentence() -> None:
    """The generator leaves out datasets/*.jsonl texts (training.dataset.held_out_texts); a sample
    of its requests shows ours among them. Canonical phrasings ("unlock the front door") do occur
    there about other houses: only the exact sentences are held out."""
    from training.dataset import generate  # noqa: PLC0415 - pure Python, but only this test needs it

    ours = {" ".join(c["text"].lower().split()) for name in FALSE_ACTIONS for c in load_cases(DATASETS / name)}
    requests = {" ".join(example.user.lower().split()) for example in generate(2000, seed=8)}
    assert not ours & requests


# The splits written blind on houses of their own (datasets/houses/): dev halves to tune on, test halves held out.
BLIND_HOUSE_SPLITS = [
    "outside_blind.dev.jsonl",
    "outside_blind.test.jsonl",
    "german_blind.dev.jsonl",
    "german_blind.test.jsonl",
    "german_blind2.dev.jsonl",
    "outside_blind2.dev.jsonl",
    "german_blind3.dev.jsonl",
    "outside_blind3.dev.jsonl",
    "german_blind4.dev.jsonl",
    "outside_blind4.dev.jsonl",
    "german_blind5.dev.jsonl",
    "outside_blind5.dev.jsonl",
    "german_blind6.dev.jsonl",
    "outside_blind6.dev.jsonl",
    "german_blind7.dev.jsonl",
    "outside_blind7.dev.jsonl",
]


@pytest.mark.parametrize("name", BLIND_HOUSE_SPLITS)
def test_blind_splits_call_devices_their_houses_have(name: str) -> None:
    """Every expected call names a device of the case's house, by a service its domain allows."""
    from custom_components.home_llm.const import ALLOWED_SERVICES  # noqa: PLC0415

    cases = load_cases(DATASETS / name)
    assert len(cases) >= 100
    houses = [{entity["entity_id"] for entity in case["house"]} for case in cases]  # load_cases read them
    for case, house in zip(cases, houses, strict=True):
        for call in case["expect"]:
            domain, service = call["service"].split(".")
            assert call["entity_id"] in house, case
            assert call["entity_id"].split(".")[0] == domain and service in ALLOWED_SERVICES[domain], case
    assert {case["intent"] for case in cases} >= {"command", "question", "absent", "unsafe"}
