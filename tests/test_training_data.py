"""The synthetic training data: deterministic, split cleanly, broad (every allowed service, every
kind of request, houses of 3 to 60 devices), and every reply is one the agent itself would accept
(the grammar admits it, the parser reads exactly its calls, the policy lets them through) for a
prompt built by the agent's own prompt code."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from custom_components.home_llm.const import ALLOWED_SERVICES, DEFAULT_PERSONA
from custom_components.home_llm.grammar import build_grammar
from custom_components.home_llm.parser import parse_reply
from custom_components.home_llm.policy import check_calls
from custom_components.home_llm.prompt import build_messages, to_chatml
from training import dataset, evaluate

from .gbnf import accepts

EXAMPLES = dataset.generate(300, seed=5)
LARGE = dataset.generate(8000, seed=8)  # the size and seed of a real training run
CALL_KINDS = {
    "single",
    "args",
    "multi",
    "group",
    "area-pick",
    "named-switch",
    "partial-name",
    "indirect",
    "terse",
    "real-name",
    "purpose",
    "two-areas",
}


def _called(example: dataset.Example, call: str) -> dict:
    """The device a call line names."""
    entity_id = call.split("(", 1)[1].split(",", 1)[0].rstrip(")")
    return next(d for d in example.devices if d["entity_id"] == entity_id)


def _by_kind(examples: list[dataset.Example], per_kind: int) -> list[dataset.Example]:
    seen: Counter[str] = Counter()
    picked = []
    for example in examples:
        if seen[example.kind] < per_kind:
            seen[example.kind] += 1
            picked.append(example)
    return picked


def test_same_seed_same_data_other_seed_other_data() -> None:
    assert dataset.generate(50, seed=5) == EXAMPLES[:50]
    assert dataset.generate(50, seed=6) != EXAMPLES[:50]


def test_split_keeps_validation_apart(tmp_path) -> None:
    train, validation = dataset.split(200, 40, seed=3)
    assert len(train) == 200 and len(validation) == 40
    assert not {dataset._key(e) for e in train} & {dataset._key(e) for e in validation}
    assert not [e for e in validation if e in train]
    dataset.write_jsonl(validation, tmp_path / "validation.jsonl")
    assert dataset.read_jsonl(tmp_path / "validation.jsonl") == validation


def test_every_allowed_service_is_taught() -> None:
    """8,000 examples (a training run's size) call every service of the allowlist at least a few times."""
    called = Counter(call.split("(")[0] for e in LARGE for call in e.calls)
    allowed = {f"{domain}.{service}" for domain, services in ALLOWED_SERVICES.items() for service in services}
    rare = {name: called[name] for name in allowed if called[name] < 5}
    assert not rare, rare


def test_arguments_of_each_kind_are_taught() -> None:
    arguments = {key for e in LARGE for call in parse_reply("\n".join(e.calls)).calls for key in call.arguments}
    for name in ("brightness", "color_name", "rgb_color", "color_temp_kelvin", "temperature", "target_temp_low",
                 "hvac_mode", "position", "percentage", "volume_level", "item", "duration", "humidity"):  # fmt: skip
        assert name in arguments, name


def test_kind_mix() -> None:
    """Mostly single commands; about a quarter answered without a call; every kind present."""
    mix = Counter(e.kind for e in LARGE)
    assert set(mix) == CALL_KINDS | dataset.NO_CALL_KINDS
    assert max(mix, key=mix.get) == "single"
    no_call = sum(mix[k] for k in dataset.NO_CALL_KINDS) / len(LARGE)
    assert 0.2 <= no_call <= 0.3, no_call
    assert all(bool(e.calls) == (e.kind in CALL_KINDS) for e in LARGE)
    assert {e.num_examples for e in LARGE} == {0, 1, 2, 3, 4, 5}


def test_house_sizes_span_3_to_60() -> None:
    """Houses are drawn from 3 to 60 devices; under the token limit the biggest stop growing earlier."""
    rng = random.Random(1)
    drawn = [dataset.house_size(rng) for _ in range(5000)]
    assert min(drawn) == 3 and max(drawn) == 60
    unlimited = [len(e.devices) for e in dataset.generate(400, seed=2, max_tokens=0)]
    assert min(unlimited) == 3 and max(unlimited) > 50
    sizes = [len(e.devices) for e in LARGE]
    assert min(sizes) == 3 and max(sizes) >= 30
    assert sum(size > 20 for size in sizes) > 400  # big houses are not a rarity


def test_examples_fit_the_token_limit() -> None:
    """With the default model's own tokenizer, prompt and reply stay within dataset.MAX_TOKENS."""
    llama_cpp = pytest.importorskip("llama_cpp")
    model = Path(__file__).parent.parent / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not model.is_file():
        pytest.skip("default model not downloaded")
    llama = llama_cpp.Llama(model_path=str(model), vocab_only=True, verbose=False)
    biggest = sorted(LARGE, key=lambda e: -sum(len(d["name"]) + len(d["entity_id"]) for d in e.devices))[:200]
    for example in biggest:
        text = to_chatml(example.messages()) + example.reply + "<|im_end|>"  # an Updated devices block too
        assert len(llama.tokenize(text.encode(), add_bos=False, special=True)) <= dataset.MAX_TOKENS


def test_a_quarter_is_prompted_with_updated_devices() -> None:
    """The changes_last layout is taught: the cached lines show the old state, the block today's, and a
    state question about a changed device is answered with today's state."""
    stale = [example for example in LARGE if example.stale]
    assert 0.15 < len(stale) / len(LARGE) < 0.3  # STALE_SHARE, less the largest houses (no room for the block)
    for example in stale[:200]:
        text = to_chatml(example.messages())
        cached, _, block = text.partition("Updated devices:\n")
        for entity_id, old in example.stale.items():
            device = next(d for d in example.devices if d["entity_id"] == entity_id)
            assert re.search(rf"^{re.escape(entity_id)} .* = {old}\b", cached, re.M), (entity_id, cached)
            assert re.search(rf"^{re.escape(entity_id)} .* = {device['state']}\b", block, re.M), (entity_id, block)
    asked = [
        example
        for example in stale
        if example.kind == "question"
        and any(d["entity_id"] in example.stale and d["name"].lower() in example.user.lower() for d in example.devices)
    ]
    assert len(asked) >= 20
    for example in asked:
        device = next(
            d for d in example.devices if d["entity_id"] in example.stale and d["name"].lower() in example.user.lower()
        )
        assert device["state"] in example.reply.replace("_", " ") or not example.calls


def test_every_reply_parses_to_its_calls_and_passes_the_policy() -> None:
    """For all 8,000: the parser reads exactly `calls` back and the policy accepts each of them."""
    for example in LARGE:
        calls = parse_reply(example.reply).calls
        assert example.reply.split("\n")[1:] == example.calls
        assert calls == tuple(call for line in example.calls for call in parse_reply(line).calls), example
        assert len(calls) == len(example.calls), example
        assert parse_reply(example.reply).speech, example  # a sentence always comes first
        verdicts = check_calls(list(calls), example.house(), allow_sensitive=True)
        assert all(v.allowed for v in verdicts), (example.user, verdicts)


@pytest.mark.parametrize("example", [*_by_kind(LARGE, 12), *EXAMPLES[:40]], ids=lambda e: e.kind)
def test_reply_is_what_the_agent_accepts(example: dataset.Example) -> None:
    house = example.house()
    assert accepts(build_grammar(house), example.reply), example.reply
    messages = build_messages(house, example.user, persona=DEFAULT_PERSONA, num_examples=example.num_examples)
    assert messages[-1].content == example.user
    for call in example.calls:  # the right device is in the prompt
        entity_id = call[call.index("(") + 1 :].split(",")[0].rstrip(")")
        assert entity_id in messages[0].content


def test_the_words_decide_the_device() -> None:
    """Switches named after what they power are called by name; "off" never toggles; the area said wins."""
    for example in LARGE:
        words = example.user.lower()
        if "toggle" not in words and "flip" not in words:
            assert not any(".toggle(" in call for call in example.calls), example.user
        if example.kind == "area-pick":
            device = _called(example, example.calls[0])
            assert device["area"].lower() in words, (example.user, device)
    named = [e for e in LARGE if e.kind == "named-switch"]
    assert sum(e.calls[0].startswith("switch.") for e in named) > len(named) / 2
    assert any(e.calls[0].startswith(("light.", "fan.")) for e in named)


def test_no_call_kinds_touch_nothing_and_absent_things_are_absent() -> None:
    for example in LARGE:
        if example.kind in dataset.NO_CALL_KINDS:
            assert example.calls == [] and not parse_reply(example.reply).calls
        names = " ".join(d["name"].lower() for d in example.devices)
        if example.kind == "absent" and (thing := next((t for t in dataset.ABSENT_THINGS if t in example.user), None)):
            assert thing not in names
        if example.kind == "ambiguous":
            assert example.reply.startswith(("Which", "There are"))
    # A to-do item is added only when the user asks to add something.
    for example in LARGE:
        if any(call.startswith("todo.add_item") for call in example.calls):
            assert any(word in example.user.lower() for word in ("add", "put", "note", "setz", "schreib", "füg")), (
                example.user
            )


def test_todo_lists_are_present_when_the_house_cannot_do_it() -> None:
    cannot = [e for e in LARGE if e.kind == "cannot"]
    assert any(any(d["entity_id"].startswith("todo.") for d in e.devices) for e in cannot)


def test_no_request_is_a_held_out_text() -> None:
    """datasets/*.jsonl are the evaluation's texts: none is trained on (compared without case or punctuation)."""
    folder = Path(__file__).parent.parent / "datasets"
    held_out = set()
    for path in folder.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            if line.strip():
                held_out.add(dataset._normal(json.loads(line)["text"]))
    if not held_out:
        pytest.skip("no datasets/*.jsonl present")
    validation = dataset.generate(800, seed=8 + 1_000_003)  # split()'s validation stream for LARGE
    assert not held_out & {dataset._normal(e.user) for e in [*LARGE, *validation]}


def test_evaluation_scores_calls_with_arguments_per_kind() -> None:
    """training/evaluate.py: exact means the same calls with the same arguments; a call on a no-call
    case is a false action; the rates are kept per kind."""
    command = next(e for e in LARGE if e.kind == "args" and re.search(r"=\d+\)$", e.reply))
    question = next(e for e in LARGE if e.kind == "question")
    right = command.reply
    wrong_value = re.sub(r"=(\d+)\)$", lambda m: f"={int(m[1]) + 1})", right)
    rows = [
        evaluate.score(command, right),
        evaluate.score(command, wrong_value),
        evaluate.score(question, question.reply),
        evaluate.score(question, "Sure.\n" + command.calls[0]),
    ]
    assert [r["exact"] for r in rows] == [True, False, True, False]
    assert rows[1]["targets"] and not rows[1]["false_action"]
    assert rows[3]["false_action"] and rows[3]["unrequested"]
    summary = evaluate.summarize(["args", "args", "question", "question"], rows)
    assert summary["exact"] == 0.5 and summary["command_exact"] == 0.5
    assert summary["per_kind"]["args"] | {} == {
        "cases": 2, "exact": 0.5, "targets": 1.0, "false_action_rate": None, "unrequested_call_rate": 0.0,
    }  # fmt: skip
    assert summary["per_kind"]["question"]["false_action_rate"] == 0.5


# (kinds, what the user says, the service it must call): words the generator teaches for issue 20's misses.
SAID_TO_SERVICE = (
    ({"single", "real-name"}, r"\billuminate the", r"light\.turn_on"),
    ({"single", "real-name"}, r"\bengage the", r"(light|switch)\.turn_on|lock\.lock"),
    ({"single", "real-name"}, r"\bkill the", r"\w+\.turn_off|media_player\.media_stop"),
    ({"single", "real-name", "args"}, r"\baccelerate the|\bspeed up the", r"fan\.increase_speed"),
    ({"single", "real-name", "args"}, r"\bslow down the|\bslow the .* down", r"fan\.decrease_speed"),
    ({"single", "real-name", "purpose"}, r"previous station|back a station", r"media_player\.media_previous_track"),
    ({"args", "real-name", "purpose"}, r"^mute the|\bsilence the", r"media_player\.volume_mute"),
    ({"args", "real-name"}, r"volume to \d+", r"media_player\.volume_set"),
    ({"purpose"}, r"water", r"valve\.(open|close)_valve"),
    ({"purpose"}, r"grocer|shopping list", r"todo\.add_item"),
    ({"purpose"}, r"^(vacuum|hoover|clean|do the)|floor needs", r"vacuum\.start"),
    ({"purpose"}, r"\bthe music\b|\bsong\b|station", r"media_player\."),
    ({"real-name"}, r"^set the [a-z ]+ to \d+(\.5)? degrees$", r"climate\.set_temperature"),
    # German (issue 21): the brief's own sentences, in their kinds
    (
        {"area-pick"},
        r"^(mach|schalte?)( bitte| mal)? (das licht|die lampe) (in der|im|auf der|auf dem) .* aus$",
        r"light\.turn_off",
    ),
    ({"single", "area-pick"}, r"^fahr (bitte )?(den|das|die) .*(runter|herunter)$", r"cover\.close_cover"),
    ({"args", "area-pick"}, r"^stelle? (die heizung|das thermostat) .*auf \d+(,5)? grad$", r"climate\.set_temperature"),
    ({"args", "single"}, r"^(füge?|setz|schreib) (bitte )?\w+ (zur|zum|auf)", r"todo\.add_item"),
    ({"args", "single", "area-pick"}, r"^(schalte|mach) .* stumm$", r"media_player\.volume_mute"),
)


@pytest.mark.parametrize(("kinds", "said", "service"), SAID_TO_SERVICE, ids=lambda v: str(v)[:24])
def test_verbs_and_purposes_call_their_service(kinds: set[str], said: str, service: str) -> None:
    """Each phrasing of issue 20 is taught more than once, always with its service (how many times moves with
    the held-out texts the generator leaves out: a new dataset file shifts its random draws)."""
    matched = [e for e in LARGE if e.kind in kinds and len(e.calls) == 1 and re.search(said, e.user.lower())]
    assert len(matched) >= 2, said
    for example in matched:
        assert re.match(service, example.calls[0]), (example.user, example.calls)


def test_houses_are_named_the_way_real_installations_are() -> None:
    """Brand and protocol words, the kind repeated, numbers; lights behind switches asked for as lights."""
    names = [d["name"] for e in LARGE for d in e.devices]
    brands = {b for words in dataset.BRANDS.values() for b in words}
    assert sum(any(b in n for b in brands) for n in names) > len(names) / 20
    assert any(re.search(r"\b(\w+) \1$", n.lower()) for n in names)  # "Porch Light Light"
    real = [e for e in LARGE if e.kind == "real-name"]
    on_switch = [e for e in real if e.calls[0].startswith("switch.") and re.search(r"\blight", e.user.lower())]
    assert len(on_switch) >= 20
    for example in on_switch:  # no light entity could be meant instead
        said = example.user.lower()
        assert not any(d["entity_id"].startswith("light.") and d["area"] and dataset._area_named(said, d["area"])
                       for d in example.devices), example.user  # fmt: skip
    called = [(e, _called(e, e.calls[0])["name"]) for e in real]
    numbered = [(e, name) for e, name in called if re.search(r" \d$", name)]
    assert numbered and all(name[-1] in e.user for e, name in numbered)  # the number said decides
    doors = [e for e in real if e.calls[0].startswith("lock.") and "door" in e.user]
    assert doors


def test_two_areas_turn_both_the_same_way() -> None:
    both = [e for e in LARGE if e.kind == "two-areas"]
    assert len(both) > 50
    for example in both:
        services = {call.split("(")[0] for call in example.calls}
        assert len(services) == 1 and len(example.calls) >= 2, example.calls
        assert services.pop().endswith("_" + ("on" if re.search(r"\bon\b", example.user) else "off"))


def test_a_share_is_german() -> None:
    """About 15 % in German (issue 21): German houses with ASCII ids, German requests and replies, mostly the
    German persona; the English mix's kinds and no-call share otherwise."""
    german = [e for e in LARGE if e.language == "de"]
    assert 0.12 < len(german) / len(LARGE) < 0.18
    assert {e.kind for e in german} == {"single", "args", "multi", "area-pick", "question", "chat", "absent", "cannot"}
    assert 0.6 < sum(e.persona == dataset.GERMAN_PERSONA for e in german) / len(german) < 0.8
    assert 0.2 < sum(e.kind in dataset.NO_CALL_KINDS for e in german) / len(german) < 0.35
    assert german[0].messages()[0].content.startswith(german[0].persona or DEFAULT_PERSONA)
    for example in german:
        assert not re.search(r"\b(Turning|Setting|Sure|the|I)\b", example.reply), example.reply
        assert all(d["entity_id"].isascii() for d in example.devices)
        for call in example.calls:  # the reply names each device as the house writes it
            assert _called(example, call)["name"] in example.reply, example.reply
    ids = " ".join(d["entity_id"] for e in german for d in e.devices)
    assert re.search(r"ue|ae|oe", ids) and any(c in d["name"] for e in german for d in e.devices for c in "äöüß")
    assert any("=" in call for e in german for call in e.calls)  # arguments too
