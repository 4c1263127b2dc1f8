"""scripts/eval: scoring, file houses, and a real run on a slice of the shipped datasets."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import entity_registry as er

from custom_components.home_llm.house import async_build_house
from devtools.eval import DatasetError, load_cases, score_case, summarize
from devtools.home import CallResult, Turn
from devtools.houses import FileHouse, HouseError, load_house

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
        "text": "turn off the desk lamp",
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
    assert results[6]["prompt_tokens"] < min(r["prompt_tokens"] for r in results[:6]) - 300
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
