"""Score the model (with or without an adapter) on a JSONL of cases, through the agent's own
prompt, grammar and parser: exact-call accuracy, false-action rate and latency.

    python -m training.evaluate training/runs/main/validation.jsonl --lora custom_components/home_llm/adapters/home.gguf

A case is a line of training/dataset.py's Example format (devices, services, user, calls).
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


def evaluate(cases, model: Path, lora: Path | None, *, num_examples: int, threads: int = 0, show: int = 0) -> dict:
    from llama_cpp import Llama, LlamaGrammar  # noqa: PLC0415

    llama = Llama(
        model_path=str(model),
        lora_path=str(lora) if lora else None,
        n_ctx=4096,
        n_threads=threads or None,
        verbose=False,
    )
    exact = false_action = wrong_call = no_call_cases = command_cases = command_exact = 0
    seconds: list[float] = []
    for index, case in enumerate(cases):
        house = case.house()
        messages = prompt.build_messages(house, case.user, persona=const.DEFAULT_PERSONA, num_examples=num_examples)
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
        got = {f"{c.domain}.{c.service}({c.entity_id})" for c in parser.parse_reply(text).calls}
        want = set(case.calls)
        exact += got == want
        wrong_call += bool(got - want)  # any call the user did not ask for
        false_action += bool(got) and not want  # scripts/eval's measure: a call where none was asked
        if want:
            command_cases += 1
            command_exact += got == want
        else:
            no_call_cases += 1
        if index < show:
            print(f"--- {case.user!r}\n want {sorted(want)}\n got  {text!r}")
    n = len(cases)
    return {
        "cases": n,
        "exact": round(exact / n, 3),
        "false_action_rate": round(false_action / max(no_call_cases, 1), 3),
        "unrequested_call_rate": round(wrong_call / n, 3),
        "command_exact": round(command_exact / max(command_cases, 1), 3),
        "no_call_cases": no_call_cases,
        "latency_mean_s": round(statistics.mean(seconds), 3),
        "latency_p50_s": round(statistics.median(seconds), 3),
        "lora": str(lora) if lora else None,
        "num_examples": num_examples,
    }


def main() -> None:
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
