"""The synthetic training data: deterministic, split cleanly, and every reply is one the agent
itself would accept (the grammar admits it, the parser reads exactly its calls, the policy
lets them through) for a prompt built by the agent's own prompt code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custom_components.home_llm.const import DEFAULT_PERSONA
from custom_components.home_llm.grammar import build_grammar
from custom_components.home_llm.parser import parse_reply
from custom_components.home_llm.policy import check_calls
from custom_components.home_llm.prompt import build_messages
from training import dataset

from .gbnf import accepts

EXAMPLES = dataset.generate(300, seed=5)


def test_same_seed_same_data_other_seed_other_data() -> None:
    assert dataset.generate(50, seed=5) == EXAMPLES[:50]
    assert dataset.generate(50, seed=6) != EXAMPLES[:50]


def test_split_keeps_validation_apart(tmp_path) -> None:
    train, validation = dataset.split(200, 40, seed=3)
    assert len(train) == 200 and len(validation) == 40
    assert not {(e.user, e.reply) for e in train} & {(e.user, e.reply) for e in validation}
    dataset.write_jsonl(validation, tmp_path / "validation.jsonl")
    assert dataset.read_jsonl(tmp_path / "validation.jsonl") == validation


def test_covers_every_kind_and_domain() -> None:
    assert {e.kind for e in EXAMPLES} == {"single", "multi", "group", "question", "chat", "absent"}
    called = {call.split(".")[0] for e in EXAMPLES for call in e.calls}
    assert called == set(dataset.KINDS)
    assert {e.num_examples for e in EXAMPLES} == {0, 1, 2, 3, 4, 5}


@pytest.mark.parametrize("example", EXAMPLES[:120], ids=lambda e: e.kind)
def test_reply_is_what_the_agent_accepts(example: dataset.Example) -> None:
    house = example.house()
    grammar = build_grammar(house)
    assert accepts(grammar, example.reply), example.reply
    calls = parse_reply(example.reply).calls
    assert [f"{c.domain}.{c.service}({c.entity_id})" for c in calls] == example.calls
    verdicts = check_calls(list(calls), house, allow_sensitive=True)
    assert all(v.allowed for v in verdicts), verdicts
    messages = build_messages(house, example.user, persona=DEFAULT_PERSONA, num_examples=example.num_examples)
    assert messages[-1].content == example.user
    # The right device is in the prompt; the reply names it as the house does.
    for call in example.calls:
        entity_id = call[call.index("(") + 1 : -1]
        assert entity_id in messages[0].content


def test_no_call_kinds_have_no_call_and_absent_things_are_absent() -> None:
    for example in EXAMPLES:
        if example.kind in ("question", "chat", "absent"):
            assert example.calls == [] and not parse_reply(example.reply).calls
        if example.kind == "absent":
            names = " ".join(d["name"].lower() for d in example.devices)
            thing = next(t for t in dataset.ABSENT_THINGS if t in example.user)
            assert thing not in names


def test_no_phrasing_from_the_held_out_intents_set() -> None:
    """The Home Assistant intents sentences are the evaluation's phrasings: none is trained on."""

    held_out = Path(__file__).parent.parent / "datasets" / "ha_intents.test.jsonl"
    if not held_out.is_file():
        pytest.skip("datasets/ha_intents.test.jsonl not present")
    sentences = {json.loads(line)["text"].lower() for line in held_out.read_text().splitlines() if line.strip()}
    assert not sentences & {e.user.lower() for e in dataset.generate(2000, seed=8)}
