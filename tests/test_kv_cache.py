"""devtools.kv_cache measures every KV-cache setting with the real model (shape of the report, not speed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools import kv_cache

pytestmark = pytest.mark.real_model


def test_every_setting_is_measured_at_every_cache_length(tmp_path: Path, model_path: Path) -> None:
    out = tmp_path / "kv.json"
    argv = ["--model", str(model_path), "--fills", "32,96", "--tokens", "2", "--reps", "1", "--out", str(out)]
    assert kv_cache.main(argv) == 0
    report = json.loads(out.read_text())
    assert set(report["ms_per_token"]) == set(kv_cache.SETTINGS)
    for per_fill in report["ms_per_token"].values():
        assert set(per_fill) == {"32", "96"}
        assert all(0 < ms < 10_000 for ms in per_fill.values())
