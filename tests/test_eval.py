"""scripts/eval: scoring, file houses, and a real run on a slice of the shipped datasets."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import entity_registry as er

from custom_components.home_llm.const import CONF_HOUSE_ADAPTER, CONF_LORA_PATH, CONF_NUM_EXAMPLES, CONF_PROMPT
from custom_components.home_llm.house import async_build_house
from devtools.eval import (
    DatasetError,
    OptionError,
    adapter_record,
    load_cases,
    parse_options,
    run_order,
    score_case,
    summarize,
)
from devtools.home import CallResult, Turn
from devtools.houses import FileHouse, HouseError, load_house
from devtools.scoring import argument_errors

from .conftest import REPO

DESK_HOUSE = [
    {
        "entity_id": "light.desk_lamp",
        "name": "Desk Lamp",
        "state": "on",
        "area": "Office",
        "aliases": ["reading light"],
    },
    {
        "entity_id": "cover.office_blind",
        "name": "Office Blind",
        "state": "closed",
        "attributes": {"current_position": 0},
    },
]


def turn(*calls: CallResult) -> Turn:
    return Turn(speech="ok", calls=list(calls), changed={}, latency_ms=10.0, prompt_tokens=100)


def test_score_compares_the_set_of_calls_made() -> None:
    case = {"text": "t", "expect": [{"service": "light.turn_off", "entity_id": "light.a"}], "dataset": "d", "line": 1}
    right = score_case(case, turn(CallResult("light.turn_off", "light.a", "done", None)))
    assert right["correct"] and not right["false_action"]
    extra = score_case(
        case,
        turn(
            CallResult("light.turn_off", "light.a", "done", None), CallResult("light.turn_on", "light.b", "done", None)
        ),
    )
    assert not extra["correct"]
    # A refused call never ran: it does not count as made, but is reported.
    refused = score_case(case, turn(CallResult("light.turn_off", "light.a", "refused", "not exposed")))
    assert not refused["correct"] and refused["refused"][0]["error"] == "not exposed"

    quiet = {"text": "hi", "expect": [], "dataset": "d", "line": 2}
    acted = score_case(quiet, turn(CallResult("light.turn_on", "light.b", "failed", "boom")))
    assert acted["false_action"] and not acted["correct"]
    report = summarize([right, extra, refused, acted, score_case(quiet, turn())], "m.gguf", ["d"], None)
    assert report["accuracy"] == 0.4
    assert report["false_action_rate"] == 0.5
    assert report["by_service"]["light.turn_off"] == {"cases": 3, "correct": 1, "accuracy": 0.3333}
    assert report["confusions"] == [
        {"expected": "(nothing)", "made": "light.turn_on(light.b)", "cases": 1},
        {"expected": "light.turn_off(light.a)", "made": "(nothing)", "cases": 1},
        {"expected": "light.turn_off(light.a)", "made": "light.turn_off(light.a), light.turn_on(light.b)", "cases": 1},
    ]


def test_arguments_are_scored_on_one_scale_with_tolerances() -> None:
    expect = [{"service": "light.turn_on", "entity_id": "light.a", "data": {"brightness_pct": 40}}]
    case = {"text": "t", "expect": expect, "dataset": "d", "line": 1}
    # 102/255 is 40 %: right; no brightness at all, or 128 (50 %), is the right call with a wrong argument.
    right = score_case(case, turn(CallResult("light.turn_on", "light.a", "done", None, {"brightness": 102})))
    missing = score_case(case, turn(CallResult("light.turn_on", "light.a", "done", None)))
    off = score_case(case, turn(CallResult("light.turn_on", "light.a", "done", None, {"brightness": 128})))
    assert right["correct"] and right["wrong_arguments"] == {}
    assert (missing["correct"], missing["correct_calls"]) == (False, True)
    assert off["wrong_arguments"] == {"light.turn_on(light.a)": ["brightness_pct"]}
    report = summarize([right, missing, off], "m.gguf", ["d"], None)
    assert (report["accuracy"], report["accuracy_without_arguments"]) == (0.3333, 1.0)
    assert report["by_argument"] == {"brightness_pct": {"cases": 3, "correct": 1, "accuracy": 0.3333}}
    assert report["cases_with_arguments"] == 3


@pytest.mark.parametrize(
    ("expected", "made", "right"),
    [
        ({"volume_level": 0.3}, {"volume_level": 0.31}, True),
        ({"volume_level": 30}, {"volume_level": 0.3}, True),  # a percentage written by a dataset's author
        ({"volume_level": 0.3}, {"volume_level": 0.4}, False),
        ({"color_name": "red"}, {"rgb_color": [255, 0, 0]}, True),
        ({"color_name": "red"}, {"color_name": "blue"}, False),
        ({"color_name": "not a colour"}, {"color_name": "not a colour"}, False),  # unknown names never match
        ({"temperature": 22}, {"temperature": 22.5}, True),
        ({"temperature": 22}, {"temperature": 23}, False),
        ({"color_temp_kelvin": 2700}, {"color_temp_kelvin": 3000}, True),
        ({"position": 30}, {"position": "30%"}, True),
        ({"hvac_mode": "Heat"}, {"hvac_mode": "heat"}, True),
        ({"item": "oat  milk"}, {"item": "Oat milk"}, True),
        ({"is_volume_muted": True}, {"is_volume_muted": False}, False),
        ({"duration": "0:05:00"}, {"duration": 300}, True),
        ({"percentage": 50}, {}, False),
    ],
)
def test_argument_values_compare_across_forms(expected: dict, made: dict, right: bool) -> None:
    assert (argument_errors(expected, made) == []) is right


def test_held_but_right_and_asked_are_counted_by_reason() -> None:
    case = {"text": "t", "expect": [{"service": "light.turn_off", "entity_id": "light.a"}], "dataset": "d", "line": 1}
    reason = "the request does not mention Kitchen A"
    held_right = score_case(case, turn(CallResult("light.turn_off", "light.a", "refused", reason, held=True)))
    held_wrong = score_case(case, turn(CallResult("light.turn_off", "light.b", "refused", reason, held=True)))
    refused = score_case(case, turn(CallResult("light.turn_off", "light.a", "refused", "not exposed")))
    assert (held_right["held_but_right"], held_right["asked"]) == (True, True)
    assert (held_wrong["held_but_right"], held_wrong["asked"]) == (False, True)
    assert (refused["held_but_right"], refused["asked"]) == (False, False)  # the policy's, not the grounding's
    report = summarize([held_right, held_wrong, refused], "m.gguf", ["d"], None)
    assert (report["held_but_right"], report["asked"]) == (1, 2)
    assert report["asked_by_reason"] == {"the request does not mention <device>": {"turns": 2, "held_but_right": 1}}


def test_case_data_and_language_are_read(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    call = {"service": "fan.set_percentage", "entity_id": "fan.a", "data": {"percentage": 40}}
    path.write_text(json.dumps({"text": "Lüfter auf 40", "expect": [call], "language": "de"}) + "\n")
    (case,) = load_cases(path)
    assert (case["expect"][0]["data"], case["language"]) == ({"percentage": 40}, "de")
    path.write_text(json.dumps({"text": "t", "expect": [], "language": "de\nDevices:"}) + "\n")
    with pytest.raises(DatasetError, match=r"d\.jsonl:1"):
        load_cases(path)


def test_options_are_json_or_strings_and_only_known_keys(tmp_path: Path) -> None:
    options = parse_options([f"{CONF_NUM_EXAMPLES}=3", "use_grammar=false", f"{CONF_PROMPT}=Be brief."], None)
    assert options == {CONF_NUM_EXAMPLES: 3, "use_grammar": False, CONF_PROMPT: "Be brief."}
    assert parse_options(['allowed_services=["light.turn_on"]'], None) == {"allowed_services": ["light.turn_on"]}
    with pytest.raises(OptionError, match=r"'num_exemples': not an agent option; the options are .*num_examples"):
        parse_options(["num_exemples=3"], None)
    with pytest.raises(OptionError, match="write KEY=VALUE"):
        parse_options(["num_examples"], None)


def test_adapter_choice_becomes_options_and_is_recorded(tmp_path: Path) -> None:
    assert parse_options([], "none") == {CONF_LORA_PATH: "", CONF_HOUSE_ADAPTER: False}
    assert parse_options([], None) == {}
    adapter = tmp_path / "adapter.gguf"
    adapter.write_bytes(b"GGUF adapter bytes")
    assert parse_options([], str(adapter)) == {CONF_LORA_PATH: str(adapter)}
    with pytest.raises(OptionError, match="no such file"):
        parse_options([], str(tmp_path / "missing.gguf"))
    with pytest.raises(OptionError, match="both choose the adapter"):
        parse_options([f"{CONF_LORA_PATH}=x.gguf"], "none")
    record = adapter_record(str(adapter))
    assert record == {"path": str(adapter), "sha256": hashlib.sha256(b"GGUF adapter bytes").hexdigest()}
    assert adapter_record(None) is None


def test_houses_whose_prompts_start_alike_run_one_after_the_other() -> None:
    lamp_only = load_house_from([DESK_HOUSE[0]])
    lamp_off = load_house_from([{**DESK_HOUSE[0], "state": "off"}])
    desk = load_house_from(DESK_HOUSE)  # a cover too: its prompt lists other services first
    file_order = [desk, lamp_only, None, desk, lamp_off, lamp_only]
    order = sorted(range(len(file_order)), key=lambda i: run_order(file_order[i], None))
    # The run's house (the demo house) first; each house's cases together, in file order; the two
    # light-only houses, whose prompts share their services and device line, next to each other.
    assert order == [2, 0, 3, 4, 1, 5]
    assert sorted(range(3), key=lambda i: run_order([desk, None, desk][i], desk)) == [0, 2, 1]


def test_bad_dataset_line_names_file_and_line(tmp_path: Path) -> None:
    dataset = tmp_path / "d.jsonl"
    dataset.write_text('{"text": "hi", "expect": []}\n{"text": "x", "expect": [{"service": "light.turn_on"}]}\n')
    with pytest.raises(DatasetError, match=rf"{dataset}:2: not a case"):
        load_cases(dataset)


def test_house_file_errors(tmp_path: Path) -> None:
    with pytest.raises(HouseError, match="cannot read"):
        load_house(tmp_path / "missing.yaml")
    twice = tmp_path / "twice.json"
    twice.write_text(json.dumps([DESK_HOUSE[0], DESK_HOUSE[0]]))
    with pytest.raises(HouseError, match="appears twice"):
        load_house(twice)


def test_a_house_file_without_supported_features_gets_those_its_attributes_show(tmp_path: Path) -> None:
    """Home Assistant gives every climate, fan, cover or player its features; a file that leaves them
    out gets those its attributes show (a temperature: target temperature; a source list: select source)."""
    path = tmp_path / "house.yaml"
    path.write_text(
        "- {entity_id: climate.ac, name: AC, state: cool, attributes: {temperature: 21, fan_modes: [auto]}}\n"
        "- {entity_id: media_player.tv, name: TV, state: 'on', attributes: {source_list: [HDMI 1]}}\n"
        "- {entity_id: cover.blind, name: Blind, state: open}\n"
        "- {entity_id: fan.desk, name: Desk, state: 'on', attributes: {supported_features: 0, percentage: 50}}\n"
        "- {entity_id: light.lamp, name: Lamp, state: 'on'}\n"
    )
    features = {entity["entity_id"]: entity["attributes"].get("supported_features") for entity in load_house(path)}
    assert features["climate.ac"] == 1 | 8 | 128 | 256  # target temperature, fan mode, off and on
    assert features["media_player.tv"] & 2048 and not features["media_player.tv"] & 4  # a source, no volume
    assert features["cover.blind"] == 1 | 2 | 8  # no position without current_position
    assert features["fan.desk"] == 0  # as the file says
    assert features["light.lamp"] is None  # lights say what they can by their colour modes


async def test_file_house_is_real_enough_for_the_agent(core: HomeAssistant) -> None:
    hass = core
    house = FileHouse(hass, load_house_from(DESK_HOUSE))
    await house.async_add()

    snapshot = async_build_house(hass)
    lamp = snapshot.device("light.desk_lamp")
    assert (lamp.name, lamp.state, lamp.area, lamp.aliases) == ("Desk Lamp", "on", "Office", ("reading light",))
    assert snapshot.device("cover.office_blind").attributes["current_position"] == 0
    assert "turn_off" in snapshot.services["light"]
    assert "open_cover" in snapshot.services["cover"]
    assert async_should_expose(hass, "conversation", "light.desk_lamp")

    await hass.services.async_call("light", "turn_off", {"entity_id": "light.desk_lamp"}, blocking=True)
    await hass.services.async_call("cover", "open_cover", {"entity_id": "cover.office_blind"}, blocking=True)
    assert hass.states.get("light.desk_lamp").state == "off"
    assert hass.states.get("cover.office_blind").state == "open"
    assert [(c.domain, c.service) for c in house.calls] == [("light", "turn_off"), ("cover", "open_cover")]

    await house.async_remove()
    assert hass.states.get("light.desk_lamp") is None
    assert er.async_get(hass).async_get("light.desk_lamp") is None
    assert not hass.services.has_service("light", "turn_off")
    assert ar.async_get(hass).async_get_area_by_name("Office") is not None


def load_house_from(entities: list[dict]) -> list[dict]:
    from devtools.houses import parse_house  # noqa: PLC0415

    return parse_house(entities, "test")


@pytest.mark.real_model
def test_eval_on_a_slice_writes_report_and_chart(model_path: Path, tmp_path: Path) -> None:
    """Ten cases: six generated, three chit-chat, and one with a house of its own."""
    intents = (REPO / "datasets" / "ha_intents.dev.jsonl").read_text().splitlines()[:6]
    chat = (REPO / "datasets" / "chitchat.dev.jsonl").read_text().splitlines()[:3]
    own_house = {
        "text": "make sure the desk lamp is off",  # not one of Home Assistant's sentences: the model is asked
        "expect": [{"service": "light.turn_off", "entity_id": "light.desk_lamp"}],
        "house": DESK_HOUSE,
    }
    dataset = tmp_path / "slice.jsonl"
    dataset.write_text("\n".join([*intents, json.dumps(own_house), *chat]) + "\n")
    out = tmp_path / "out" / "report.json"
    result = subprocess.run(
        [str(REPO / "scripts" / "eval"), "--dataset", str(dataset), "--model", str(model_path), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "eval: 100%" in result.stderr  # the progress bar ran to the end

    report = json.loads(out.read_text())
    results = report["results"]
    assert report["cases"] == len(results) == 10
    assert [r["line"] for r in results] == list(range(1, 11))  # file order, whichever house ran first
    assert report["accuracy"] == round(sum(r["correct"] for r in results) / 10, 4)
    assert report["false_action_rate"] == round(sum(r["false_action"] for r in results[7:]) / 3, 4)
    assert report["latency_ms"]["p50"] <= report["latency_ms"]["p95"]
    assert set(report["by_domain"]) >= {"(none)", "light"}
    assert json.loads(result.stdout)["accuracy"] == report["accuracy"]
    # The line with its own two-entity house got a much shorter prompt than the 40-odd-entity demo house.
    # (A request Home Assistant's sentences read, as the generated ones are, runs without the model: no prompt.)
    demo_prompts = [r["prompt_tokens"] for r in results[:6] + results[7:] if r["prompt_tokens"]]
    assert results[6]["prompt_tokens"] and demo_prompts
    assert results[6]["prompt_tokens"] < min(demo_prompts) - 300
    assert report["read_without_model"] == sum(not r["prompt_tokens"] for r in results) >= 1
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # No --adapter: the shipped adapter ran, and the report says which file it was.
    shipped = REPO / "custom_components" / "home_llm" / "adapters" / "smollm2-135m-home.gguf"
    assert report["adapter"] == {"path": str(shipped), "sha256": hashlib.sha256(shipped.read_bytes()).hexdigest()}
    assert report["options"] == {}


@pytest.mark.real_model
def test_eval_runs_the_base_model_with_options(model_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    command = [str(REPO / "scripts" / "eval"), "--dataset", str(REPO / "datasets" / "false_actions.dev.jsonl")]
    command += ["--limit", "1", "--model", str(model_path), "--out", str(out), "--adapter", "none"]
    command += ["--option", f"{CONF_NUM_EXAMPLES}=0"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["adapter"] is None
    assert report["options"] == {CONF_NUM_EXAMPLES: 0, CONF_LORA_PATH: "", CONF_HOUSE_ADAPTER: False}
    assert set(report["false_actions_by_intent"]) == {"absent"}


def test_two_items_on_one_list_are_scored_each() -> None:
    """Two add_item calls on one list meet the expected items in any order; a wrong second item counts."""
    expect = [
        {"service": "todo.add_item", "entity_id": "todo.list", "data": {"item": "Spüli"}},
        {"service": "todo.add_item", "entity_id": "todo.list", "data": {"item": "Klopapier"}},
    ]
    case = {"text": "t", "expect": expect, "dataset": "d", "line": 1}

    def added(*items: str) -> Turn:
        return turn(*(CallResult("todo.add_item", "todo.list", "done", None, {"item": item}) for item in items))

    assert score_case(case, added("Klopapier", "Spüli"))["correct"]
    wrong = score_case(case, added("Spüli", "Milch"))
    assert wrong["correct_calls"] and not wrong["correct"]
