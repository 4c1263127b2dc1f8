"""Score the model (with or without an adapter) on a JSONL of cases, through the agent's own
prompt, grammar and parser: exact-call accuracy (arguments included), the same per kind of
request (single, args, area-pick, named-switch, absent...), false-action rate and latency.

    python -m training.evaluate training/runs/main/validation.jsonl --lora custom_components/home_llm/adapters/home.gguf

A case is a line of training/dataset.py's Example format (devices, services, user, calls, kind);
the validation split that training/train.py writes is such a file.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from training.dataset import read_jsonl
from training.pure import const, grammar, parser, prompt

MODEL = Path("models/SmolLM2-135M-Instruct.Q4_1.gguf")


def call_keys(text: str) -> set[tuple[str, str, str, str]]:
    """The calls a reply (or the call lines of a case) asks for, arguments included, as comparable keys."""
    return {
        (c.domain, c.service, c.entity_id, json.dumps(c.arguments, sort_keys=True))
        for c in parser.parse_reply(text).calls
    }


def score(case, text: str) -> dict[str, bool]:
    """One case's verdicts: exact calls, the right devices and services (arguments aside), and a
    false action (a call where none was asked) or an unrequested call (one the user did not ask for)."""
    got, want = call_keys(text), call_keys("\n".join(case.calls))
    return {
        "exact": got == want,
        "targets": {k[:3] for k in got} == {k[:3] for k in want},
        "false_action": bool(got) and not want,
        "unrequested": bool({k[:3] for k in got} - {k[:3] for k in want}),
        "asked": bool(want),
    }


def summarize(kinds: list[str], rows: list[dict[str, bool]]) -> dict:
    """Overall and per-kind rates: exact calls; false actions as a share of the no-call cases."""

    def rates(picked: list[dict[str, bool]]) -> dict:
        no_call = [r for r in picked if not r["asked"]]
        return {
            "cases": len(picked),
            "exact": round(sum(r["exact"] for r in picked) / max(len(picked), 1), 3),
            "targets": round(sum(r["targets"] for r in picked) / max(len(picked), 1), 3),
            "false_action_rate": round(sum(r["false_action"] for r in no_call) / len(no_call), 3) if no_call else None,
            "unrequested_call_rate": round(sum(r["unrequested"] for r in picked) / max(len(picked), 1), 3),
        }

    commands = [r for r in rows if r["asked"]]
    summary = rates(rows) | {
        "command_exact": round(sum(r["exact"] for r in commands) / max(len(commands), 1), 3),
        "no_call_cases": len(rows) - len(commands),
    }
    summary["per_kind"] = {
        kind: rates([r for k, r in zip(kinds, rows, strict=True) if k == kind]) for kind in sorted(set(kinds))
    }
    return summary


def evaluate(cases, model: Path, lora: Path | None, *, num_examples: int, threads: int = 0, show: int = 0) -> dict:
    """Run every case through the model with the agent's prompt and grammar; per-kind scores and latency."""
    from llama_cpp import Llama, LlamaGrammar  # noqa: PLC0415

    llama = Llama(
        model_path=str(model),
        lora_path=str(lora) if lora else None,
        n_ctx=4096,
        n_threads=threads or None,
        verbose=False,
    )
    rows: list[dict[str, bool]] = []
    seconds: list[float] = []
    for index, case in enumerate(cases):
        house = case.house()
        messages = case.messages(num_examples)  # changes_last where the case's prompt holds stale states
        begun = time.perf_counter()
        out = llama.create_completion(
            prompt.to_chatml(messages),
            max_tokens=const.DEFAULT_MAX_TOKENS,
            temperature=0.0,
            stop=[const.CHATML_STOP],
            grammar=LlamaGrammar.from_string(grammar.build_grammar(house), verbose=False),
        )
        seconds.append(time.perf_counter() - begun)
        text = out["choices"][0]["text"]
        rows.append(score(case, text))
        if index < show:
            print(f"--- [{case.kind}] {case.user!r}\n want {case.calls}\n got  {text!r}")
    return summarize([case.kind for case in cases], rows) | {
        "latency_mean_s": round(statistics.mean(seconds), 3),
        "latency_p50_s": round(statistics.median(seconds), 3),
        "lora": str(lora) if lora else None,
        "num_examples": num_examples,
    }


def main() -> None:
    """Score a JSONL of cases and print one JSON line."""
    args = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("cases", type=Path)
    args.add_argument("--model", type=Path, default=MODEL)
    args.add_argument("--lora", type=Path, default=None)
    args.add_argument("--num-examples", type=int, default=const.DEFAULT_NUM_EXAMPLES)
    args.add_argument("--limit", type=int, default=0)
    args.add_argument("--threads", type=int, default=0)
    args.add_argument("--show", type=int, default=0, help="print the first N replies")
    opts = args.parse_args()
    cases = read_jsonl(opts.cases)
    cases = cases[: opts.limit] if opts.limit else cases
    print(
        json.dumps(
            evaluate(cases, opts.model, opts.lora, num_examples=opts.num_examples, threads=opts.threads, show=opts.show)
        )
    )


if __name__ == "__main__":
    main()
