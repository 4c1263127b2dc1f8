"""Training examples made from the blind dev splits (training.cases): the prompt is the one the agent builds
for the same house in a real Home Assistant, the reply is what the agent accepts, held-out splits are refused."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant

from custom_components.home_llm.grammar import build_grammar
from custom_components.home_llm.house import async_build_house
from custom_components.home_llm.parser import parse_reply
from custom_components.home_llm.policy import check_calls
from devtools.houses import FileHouse, load_house
from training import cases, dataset, tokens

from .gbnf import accepts

DATASETS = Path(__file__).resolve().parent.parent / "datasets"
DEV_FILES = sorted(DATASETS.glob("*_blind*.dev.jsonl"))
EXAMPLES = [e for path in DEV_FILES for e in cases.examples_from(path, random.Random(3))]


def test_every_blind_dev_file_gives_examples_of_each_taught_kind() -> None:
    """Commands, arguments, several calls and the no-call kinds; questions and unsafe requests are left out."""
    assert len(DEV_FILES) >= 12
    kinds = {e.kind for e in EXAMPLES}
    assert {"case-command", "case-command_args", "case-multi", "case-absent", "case-ambiguous"} <= kinds
    assert not kinds & {"case-question", "case-unsafe"}
    assert {e.language for e in EXAMPLES} == {"en", "de"}
    assert all(e.persona == dataset.GERMAN_PERSONA for e in EXAMPLES if e.language == "de")


def test_every_reply_parses_to_the_expected_calls_and_passes_the_policy() -> None:
    for example in EXAMPLES:
        calls = parse_reply(example.reply).calls
        assert len(calls) == len(example.calls) and parse_reply(example.reply).speech, example.reply
        verdicts = check_calls(list(calls), example.house(), allow_sensitive=True)
        assert all(v.allowed for v in verdicts), (example.user, verdicts)


@pytest.mark.parametrize("example", random.Random(5).sample(EXAMPLES, 30), ids=lambda e: e.kind)
def test_reply_is_what_the_grammar_allows(example: dataset.Example) -> None:
    assert accepts(build_grammar(example.house()), example.reply), example.reply


def test_arguments_are_written_as_the_model_writes_them() -> None:
    assert cases.model_arguments("light.turn_on", {"brightness_pct": 40, "color_name": "Red"}) == {
        "brightness": 102,
        "color_name": "red",
    }
    assert cases.model_arguments("media_player.volume_set", {"volume_level": 0.25}) == {"volume_level": 0.25}
    case = {"text": "kitchen 40%", "language": "en", "intent": "command_args",
            "expect": [{"service": "light.turn_on", "entity_id": "light.k", "data": {"brightness_pct": 40}}]}  # fmt: skip
    device = {"entity_id": "light.k", "name": "Kitchen", "state": "off", "attributes": {}}
    sentence, calls = cases.reply_for(case, {"light.k": device}, random.Random(0))
    assert calls == ["light.turn_on(light.k, brightness=102)"] and sentence


def test_no_call_cases_answer_in_their_language_and_a_missing_device_is_skipped() -> None:
    ambiguous = {"text": "Licht aus", "language": "de", "intent": "ambiguous", "expect": []}
    assert cases.reply_for(ambiguous, {}, random.Random(0)) == ("Welches Gerät meinst du?", [])
    question = {"text": "is the door locked?", "language": "en", "intent": "question", "expect": []}
    assert cases.reply_for(question, {}, random.Random(0)) is None
    unknown = {"text": "x on", "intent": "command", "expect": [{"service": "light.turn_on", "entity_id": "light.x"}]}
    assert cases.reply_for(unknown, {}, random.Random(0)) is None


def test_held_out_splits_are_never_read() -> None:
    with pytest.raises(SystemExit, match="only"):
        cases.dev_files([DATASETS / "outside_blind.test.jsonl"])


def _fields(device: object) -> tuple:
    """A snapshot device's fields, comparable across the two copies of the class."""
    return tuple(getattr(device, name) for name in ("entity_id", "name", "state", "area", "aliases", "attributes"))


async def test_prompt_house_is_the_snapshot_the_agent_takes(core: HomeAssistant) -> None:
    """The same house file set up in Home Assistant snapshots to the example's house, aliases and areas too."""
    path = DATASETS / "outside_blind6.dev.jsonl"
    case = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    example = next(e for e in cases.examples_from(path, random.Random(0)) if e.user == case["text"])
    house = FileHouse(core, load_house(path.parent / case["house"]))
    await house.async_add()
    try:
        agent_house = async_build_house(core)
    finally:
        await house.async_remove()
    # Two copies of snapshot.Device (training.pure loads the integration's modules apart): compare fields.
    assert [_fields(d) for d in agent_house.devices] == [_fields(d) for d in example.house().devices]
    assert any(device.aliases for device in agent_house.devices)
    assert agent_house.services == {d: tuple(s) for d, s in example.services.items() if s}


def test_token_file_adds_a_sample_of_the_cases(model_path: Path) -> None:
    files = [DATASETS / "outside_blind6.dev.jsonl"]
    splits, meta = tokens.build(model_path, train=4, validation=2, seed=5, max_len=1280, case_files=files, case_count=6)
    assert meta["case_examples"] == 6 and meta["cases"] == {"outside_blind6.dev.jsonl": 240}
    assert len(splits["train"]) == 10
