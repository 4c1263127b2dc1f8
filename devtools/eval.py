"""scripts/eval: score the agent on datasets of sentences with the calls they should make.

    scripts/eval --dataset FILE.jsonl [--dataset MORE.jsonl] [--house FILE] [--model PATH] --out REPORT.json
                 [--adapter PATH|none] [--option KEY=VALUE ...]

A dataset has one JSON object a line: {"text": str, "expect": [{"service": str, "entity_id": str,
"data"?: {...}}]} (`expect: []`: nothing may be touched), optionally "house" (a list of entities, or a
house file path relative to the dataset) replacing the run's house for that case, and "language" (the
turn's language, default en). A case is right when the set of calls made equals the expected set and
each expected call's `data` is what the made call gives (devtools/scoring.py: tolerances); the report
also gives accuracy without arguments, per argument, and the turns the grounding held a call in
("asked"), by reason, with those whose held calls were the expected ones ("held but right").
One Home Assistant and one loaded model serve the whole run; cases that share a house run one after
the other, so the house is built once and the model's cache of the prompt prefix is reused.

`--adapter` runs the model with another GGUF LoRA adapter (`none`: the base model alone) and
`--option` sets any agent option (the keys of const.py's CONF_*, as in the options form; the value
is read as JSON when it parses, else as a string), so runs compare adapters and options without
editing files. The report records the adapter that ran (path and sha256) and the options.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import voluptuous as vol
from tqdm import tqdm

from custom_components.home_llm.config_flow import options_schema
from custom_components.home_llm.const import CONF_HOUSE_ADAPTER, CONF_LORA_PATH

from .home import DEFAULT_MODEL, Home, SetupError, Turn, quiet_logs
from .houses import HouseError, house_key, load_house, parse_house
from .scoring import argument_errors

CALL_SCHEMA = vol.Schema(
    {vol.Required("service"): str, vol.Required("entity_id"): str, vol.Optional("data"): {str: object}}
)
CASE_SCHEMA = vol.Schema(
    {
        vol.Required("text"): vol.All(str, vol.Length(min=1)),
        vol.Required("expect"): [CALL_SCHEMA],
        vol.Optional("house"): vol.Any(str, list),
        vol.Optional("language"): vol.All(str, vol.Match(r"^[a-z]{2,3}([-_][A-Za-z0-9]+)*$")),
    },
    extra=vol.ALLOW_EXTRA,  # e.g. "intent", kept in the per-case results
)


class DatasetError(Exception):
    """A dataset line that cannot be scored; the message says where and why."""


class OptionError(Exception):
    """An --option or --adapter that cannot be used; the message says why."""


def agent_option_keys() -> list[str]:
    """Every option the agent's options form has (a local model's form: all of them)."""
    return [str(key.schema) for key in options_schema(local_model=True).schema]


def parse_options(pairs: list[str], adapter: str | None) -> dict[str, Any]:
    """`KEY=VALUE` pairs (value: JSON when it parses, else the string) and the adapter, as options."""
    known = agent_option_keys()
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep:
            raise OptionError(f"--option {pair!r}: write KEY=VALUE")
        if key not in known:
            raise OptionError(f"--option {key!r}: not an agent option; the options are {', '.join(known)}")
        if key in (CONF_LORA_PATH, CONF_HOUSE_ADAPTER) and adapter is not None:
            raise OptionError(f"--option {key} and --adapter both choose the adapter: give one")
        try:
            options[key] = json.loads(text)
        except json.JSONDecodeError:
            options[key] = text
    if adapter is not None and adapter.lower() == "none":
        options |= {CONF_LORA_PATH: "", CONF_HOUSE_ADAPTER: False}  # the base model alone
    elif adapter is not None:
        if not Path(adapter).is_file():
            raise OptionError(f"--adapter {adapter}: no such file")
        options[CONF_LORA_PATH] = str(Path(adapter).resolve())
    return options


def adapter_record(path: str | None) -> dict[str, str] | None:
    """Which adapter ran: its path and sha256 (None: the base model alone)."""
    if path is None:
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return {"path": path, "sha256": digest.hexdigest()}


def load_cases(path: Path) -> list[dict[str, Any]]:
    """Read a dataset; each case gets its source, line number and house (None: the run's house)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise DatasetError(f"cannot read the dataset {path}: {err}") from err
    cases = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            case = CASE_SCHEMA(json.loads(line))
        except (json.JSONDecodeError, vol.Invalid) as err:
            raise DatasetError(f"{where}: not a case ({{text, expect[, house]}}): {err}") from err
        if isinstance(case.get("house"), str):
            case["house"] = load_house(path.parent / case["house"])
        elif "house" in case:
            case["house"] = parse_house(case["house"], where)
        cases.append({**case, "dataset": path.name, "line": number})
    return cases


def call_set(calls: list[dict[str, str]]) -> set[tuple[str, str]]:
    """The calls as a set of (service, entity_id): order and repeats do not matter."""
    return {(call["service"], call["entity_id"]) for call in calls}


def wrong_arguments(expect: list[dict[str, Any]], made: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Per expected call with `data` ("light.turn_on(light.x)"), the argument keys the made call got wrong."""
    wrong = {}
    unused = list(made)  # two items on one list: each expected call meets a made call of its own
    for call in expect:
        if not call.get("data"):
            continue
        target = (call["service"], call["entity_id"])
        candidates = [m for m in unused if (m["service"], m["entity_id"]) == target]
        fitting = next((m for m in candidates if not argument_errors(call["data"], m["data"])), None)
        if fitting is not None:
            unused.remove(fitting)
        elif errors := argument_errors(call["data"], candidates[0]["data"] if candidates else {}):
            wrong[_calls_label([call])] = errors
    return wrong


HOLD_REASON_SHAPES = (  # the grounding's reasons that name a device or a word, as one group each
    (re.compile(r"^the request does not mention .*$"), "the request does not mention <device>"),
    (re.compile(r"^'[^']*' is not .*$"), "'<words>' is not <device>"),
    (re.compile(r"^.* cannot (\S+)$"), r"<device> cannot \1"),
    (re.compile(r"'[^']*'"), "'<words>'"),
)


def hold_reason(reason: str, call: dict[str, Any]) -> str:
    """A grounding reason with the device, the service and quoted words taken out, to group by."""
    reason = reason.replace(call["service"], "<service>").replace(call["entity_id"], "<device>")
    for shape, group in HOLD_REASON_SHAPES:
        reason = shape.sub(group, reason)
    return reason


def score_case(case: dict[str, Any], turn: Turn) -> dict[str, Any]:
    """One case's result: what the turn did against what the case expects."""
    made = [{"service": c.service, "entity_id": c.entity_id, "data": c.data} for c in turn.calls if c.made]
    held = [{"service": c.service, "entity_id": c.entity_id, "reason": c.error or ""} for c in turn.calls if c.held]
    expected = call_set(case["expect"])
    calls_right = call_set(made) == expected
    wrong = wrong_arguments(case["expect"], made) if calls_right else {}
    return {
        "dataset": case["dataset"],
        "line": case["line"],
        "text": case["text"],
        "intent": case.get("intent"),
        "expect": case["expect"],
        "made": made,
        "refused": [
            {"service": c.service, "entity_id": c.entity_id, "error": c.error} for c in turn.calls if not c.made
        ],
        "correct": calls_right and not wrong,
        "correct_calls": calls_right,
        "wrong_arguments": wrong,
        "held": held,
        # The model's calls were the expected ones and the grounding held (some of) them back.
        "held_but_right": bool(held) and bool(expected) and call_set(made + held) == expected,
        "asked": bool(held),
        "false_action": not expected and bool(made),
        "speech": turn.speech,
        "latency_ms": turn.latency_ms,
        "prompt_tokens": turn.prompt_tokens,
    }


def _ratio(part: int, whole: int) -> float | None:
    """part / whole to four places; None when there is no whole."""
    return round(part / whole, 4) if whole else None


def breakdown(results: list[dict[str, Any]], key: Any) -> dict[str, dict[str, Any]]:
    """Accuracy per group of results, the group given by `key(result)`."""
    groups: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        groups[key(result)].append(result["correct"])
    return {
        name: {"cases": len(marks), "correct": sum(marks), "accuracy": _ratio(sum(marks), len(marks))}
        for name, marks in sorted(groups.items())
    }


def false_actions_by_intent(quiet: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Of the cases that must touch nothing, how many did, per intent (absent, unsafe, chitchat...)."""
    groups: dict[str, list[bool]] = defaultdict(list)
    for result in quiet:
        groups[result["intent"] or "(none)"].append(result["false_action"])
    return {
        name: {"cases": len(marks), "false_actions": sum(marks), "rate": _ratio(sum(marks), len(marks))}
        for name, marks in sorted(groups.items())
    }


def by_argument(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per argument key of the expected calls: cases with the right calls, and of those, the right value."""
    groups: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        if not result["correct_calls"]:
            continue
        wrong = {key for keys in result["wrong_arguments"].values() for key in keys}
        for call in result["expect"]:
            for key in call.get("data") or {}:
                groups[key].append(key not in wrong)
    return {
        key: {"cases": len(marks), "correct": sum(marks), "accuracy": _ratio(sum(marks), len(marks))}
        for key, marks in sorted(groups.items())
    }


def asked_by_reason(results: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Turns the grounding held a call in, by reason: how many, and how many of them held a right call."""
    groups: dict[str, dict[str, int]] = defaultdict(lambda: {"turns": 0, "held_but_right": 0})
    for result in results:
        for reason in sorted({hold_reason(h["reason"], h) for h in result["held"]}):
            groups[reason]["turns"] += 1
            groups[reason]["held_but_right"] += result["held_but_right"]
    return dict(sorted(groups.items(), key=lambda item: -item[1]["turns"]))


def _calls_label(calls: list[dict[str, str]]) -> str:
    """Calls as one sorted label ("light.turn_off(light.a)"), "(nothing)" for none."""
    return ", ".join(sorted(f"{c['service']}({c['entity_id']})" for c in calls)) or "(nothing)"


def confusions(results: list[dict[str, Any]], top: int = 10) -> list[dict[str, Any]]:
    """The commonest wrong answers: what was expected and what was made instead, with counts."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for result in results:
        if not result["correct"]:
            counts[(_calls_label(result["expect"]), _calls_label(result["made"]))] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [{"expected": expected, "made": made, "cases": count} for (expected, made), count in ranked]


def expected_service(result: dict[str, Any]) -> str:
    """The services a case expects, as one label."""
    return ",".join(sorted({call["service"] for call in result["expect"]})) or "(none)"


def summarize(results: list[dict[str, Any]], model: str, datasets: list[str], house: str | None) -> dict[str, Any]:
    """The report: totals, latency, breakdowns and every case's result."""
    latencies = np.array([r["latency_ms"] for r in results])
    tokens = np.array([r["prompt_tokens"] for r in results if r["prompt_tokens"]] or [0])
    quiet = [r for r in results if not r["expect"]]
    return {
        "model": model,
        "datasets": datasets,
        "house": house or "demo",
        "machine": {"system": platform.platform(), "processor": platform.machine(), "cpus": os.cpu_count()},
        "cases": len(results),
        "accuracy": _ratio(sum(r["correct"] for r in results), len(results)),
        "accuracy_without_arguments": _ratio(sum(r["correct_calls"] for r in results), len(results)),
        "cases_with_arguments": sum(any(c.get("data") for c in r["expect"]) for r in results),
        "held_but_right": sum(r["held_but_right"] for r in results),
        "held_but_right_rate": _ratio(sum(r["held_but_right"] for r in results), len(results)),
        "asked": sum(r["asked"] for r in results),
        "false_action_rate": _ratio(sum(r["false_action"] for r in quiet), len(quiet)),
        "no_action_cases": len(quiet),
        "latency_ms": {
            "p50": round(float(np.percentile(latencies, 50)), 1),
            "p95": round(float(np.percentile(latencies, 95)), 1),
            "mean": round(float(latencies.mean()), 1),
        },
        # Turns the words alone decided (Home Assistant's reading) never ask the model: no prompt.
        "read_without_model": sum(not r["prompt_tokens"] for r in results),
        "prompt_tokens": {"mean": round(float(tokens.mean()), 1), "max": int(tokens.max())},
        "by_dataset": breakdown(results, lambda r: r["dataset"]),
        "by_domain": breakdown(results, lambda r: expected_service(r).split(".")[0] if r["expect"] else "(none)"),
        "by_service": breakdown(results, expected_service),
        "by_argument": by_argument(results),
        "asked_by_reason": asked_by_reason(results),
        "false_actions_by_intent": false_actions_by_intent(quiet),
        "confusions": confusions(results),
        "results": results,
    }


def draw_chart(report: dict[str, Any], path: Path) -> None:
    """Accuracy per expected service, and the latency distribution."""
    import matplotlib  # noqa: PLC0415 - only when a chart is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    services = report["by_service"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [3, 2]})
    names = list(services)
    left.barh(names, [services[n]["accuracy"] for n in names], color="#4c72b0")
    for index, name in enumerate(names):
        accuracy = services[name]["accuracy"]
        left.text(
            min(accuracy, 0.9) + 0.01, index, f"{services[name]['correct']}/{services[name]['cases']}", va="center"
        )
    left.set_xlim(0, 1)
    left.set_xlabel("accuracy (exact set of calls)")
    left.set_title(
        f"accuracy {report['accuracy']:.0%}, false actions "
        f"{report['false_action_rate'] or 0:.0%} ({report['cases']} cases)"
    )
    right.hist([r["latency_ms"] for r in report["results"]], bins=30, color="#55a868")
    right.axvline(report["latency_ms"]["p50"], color="black", linestyle="--", label="p50")
    right.axvline(report["latency_ms"]["p95"], color="red", linestyle="--", label="p95")
    right.set_xlabel("latency per turn (ms)")
    right.legend()
    fig.suptitle(Path(report["model"]).name)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run_order(house: list[dict[str, Any]] | None, run_house: list[dict[str, Any]] | None) -> tuple:
    """Where a case's house runs: the run's house first, then the others so that houses whose
    prompts start alike (same domains, then the same device lines, as the prompt sorts them) run
    one after the other and the model reuses the cached prompt prefix. Cases sharing a house run
    together, in file order (the sort is stable)."""
    if house_key(house) == house_key(run_house):
        return (0,)
    if house is None:  # the demo house, when the run has a house of its own
        return (1,)
    domains = sorted({entity["entity_id"].split(".")[0] for entity in house})
    lines = sorted((entity["entity_id"], entity["name"], entity["state"]) for entity in house)
    return (2, domains, lines, house_key(house))


async def run_cases(
    model: str, cases: list[dict[str, Any]], run_house: list[dict[str, Any]] | None, options: dict[str, Any]
) -> tuple[list[dict[str, Any]], str | None]:
    """Score every case; also returns the adapter the model ran with."""
    order = sorted(range(len(cases)), key=lambda i: run_order(cases[i].get("house", run_house), run_house))
    results: list[dict[str, Any] | None] = [None] * len(cases)
    async with Home(model, options) as home:
        for index in tqdm(order, desc="eval", unit="case", file=sys.stderr):
            case = cases[index]
            await home.async_use_house(case.get("house", run_house))
            turn = await home.async_turn(case["text"], restore=True, language=case.get("language", "en"))
            results[index] = score_case(case, turn)
        lora_path = home.lora_path
    return results, lora_path  # type: ignore[return-value]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="scripts/eval", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, action="append", required=True, help="JSONL dataset (repeatable)")
    parser.add_argument("--house", help="house file (YAML or JSON); default: Home Assistant's demo house")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="GGUF model file (default: %(default)s)")
    parser.add_argument("--out", type=Path, required=True, help="report JSON; the chart goes next to it (.png)")
    parser.add_argument("--limit", type=int, help="score only the first N cases of each dataset")
    parser.add_argument(
        "--adapter",
        help="GGUF LoRA adapter to run instead of the shipped one; 'none': the base model alone",
    )
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an agent option (repeatable), e.g. num_examples=3 or use_grammar=false; VALUE is JSON or a string",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the eval and write the report; a bad input is a one-line error (exit 2)."""
    args = parse_args(argv)
    quiet_logs()
    try:
        options = parse_options(args.option, args.adapter)
        run_house = load_house(args.house) if args.house else None
        cases = [case for path in args.dataset for case in load_cases(path)[: args.limit]]
        if not cases:
            raise DatasetError("the datasets hold no cases")
        results, lora_path = asyncio.run(run_cases(args.model, cases, run_house, options))
    except (DatasetError, HouseError, OptionError, SetupError) as err:
        print(f"eval: {err}", file=sys.stderr)
        return 2
    report = summarize(results, args.model, [str(p) for p in args.dataset], args.house)
    report = {**report, "adapter": adapter_record(lora_path), "options": options}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    draw_chart(report, args.out.with_suffix(".png"))
    keys = (
        "cases",
        "accuracy",
        "accuracy_without_arguments",
        "held_but_right",
        "asked",
        "false_action_rate",
        "latency_ms",
        "read_without_model",
        "prompt_tokens",
        "adapter",
        "options",
    )
    summary = {k: report[k] for k in keys}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
