"""scripts/bench --quick keeps working: a real Home Assistant, the real model, a tiny house.

It checks the report's shape and sanity, not speed (figures come from full runs, not tests).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import REPO

pytestmark = pytest.mark.real_model
KINDS = {"cold", "warm", "changed_no_prewarm", "changed_prewarm", "lived"}


def test_quick_bench_writes_json_and_a_plot(tmp_path: Path, model_path: Path) -> None:
    out, png = tmp_path / "bench.json", tmp_path / "bench.png"
    run = subprocess.run(
        [str(REPO / "scripts" / "bench"), "--quick", "--model", str(model_path), "--out", str(out), "--plot", str(png)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(out.read_text())
    assert [size["entities"] for size in report["sizes"]] == [2, 4]
    assert report["adapter"].endswith("smollm2-135m-home.gguf")  # the built-in adapter, in the raw replay too
    for size in report["sizes"]:
        turns = size["turns"]
        assert set(turns) == KINDS
        assert turns["cold"]["read_tokens"] == turns["cold"]["prompt_tokens"] > 0  # cold: nothing cached
        assert turns["warm"]["read_tokens"] < turns["warm"]["prompt_tokens"] // 2  # warm: the prefix was cached
        # Without prewarm, the turn re-reads from the changed line; with it, no more than a warm turn.
        assert turns["changed_no_prewarm"]["read_tokens"] > turns["changed_prewarm"]["read_tokens"]
        for kind in KINDS:
            assert turns[kind]["p50_ms"] > 0
            assert turns[kind]["raw_p50_ms"] > 0
            assert turns[kind]["ratio_to_raw"] > 0
        assert size["peak_rss_mib"] > 50
        assert size["context"] >= 1024  # the starting context, or more if the house needed it
        assert turns["lived"]["runs"] == 2
    assert report["memory"]["process_peak_rss_mib"] > report["memory"]["model_rss_mib"] > 10
    assert set(report["goals"]) == {
        "warm_largest_over_smallest",
        "turn_over_raw",
        "changed_prewarm_over_warm",
        "changed_no_prewarm_over_warm",
        "lived_p50_over_warm",
        "lived_p95_over_warm",
    }
    assert report["command"].startswith("scripts/bench --quick")
    assert report["machine_at_start"]["cores"] >= 1 and len(report["machine_at_end"]["load_1_5_15"]) == 3
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(run.stdout.strip().splitlines()[-1]) == report["goals"]


def test_reread_counts_what_a_state_change_makes_llama_cpp_read_again(model_path: Path) -> None:
    """devtools.reread: in a 50-entity house the card layout re-reads from the changed device line on,
    changes_last only its block and the examples."""
    from llama_cpp import Llama  # noqa: PLC0415

    from devtools.reread import measure  # noqa: PLC0415

    llama = Llama(model_path=str(model_path), vocab_only=True, verbose=False)
    card = measure(llama, 50, "card", changes=5, examples=5, seed=1)
    changes_last = measure(llama, 50, "changes_last", changes=5, examples=5, seed=1)
    assert 0 < changes_last["read_again"] < card["read_again"] < card["prefix_tokens"]
    assert changes_last["prefix_tokens"] > card["prefix_tokens"]  # the block's lines come on top
    assert measure(llama, 10, "states_last", changes=1, examples=0, seed=1)["read_again"] > 0
