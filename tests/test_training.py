"""Training end to end on the CPU, and adapters that do not fit the model being refused.

The trainer runs in .venv-train (Python 3.11, CPU torch; scripts/setup makes it) as a subprocess:
the test venv has no torch. Data is pre-tokenized here with llama.cpp's tokenizer (training.tokens),
which is also the GPU path's input; llama.cpp then loads what the trainer exported.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFReader
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.home_llm import SHIPPED_ADAPTER
from custom_components.home_llm.backends import BackendError
from custom_components.home_llm.backends.llama_cpp import LlamaCppBackend, LlamaSettings
from custom_components.home_llm.const import CONF_LORA_PATH, CONF_MODEL_PATH, DOMAIN
from custom_components.home_llm.lora import LoraMismatch, check_adapter
from training import tokens
from training.cpu import cpu_bf16_flags
from training.export import write_adapter

from .test_adapter import _last_logits  # one helper for llama.cpp's logits with an adapter

ROOT = Path(__file__).resolve().parent.parent
TRAIN_PYTHON = ROOT / ".venv-train" / "bin" / "python"
MAX_LEN = 450  # keeps 5 of the 24 generated examples (prompts with few examples): short steps


@pytest.fixture(scope="module")
def train_python() -> Path:
    """.venv-train's Python; its absence fails (CI must train), it never skips."""
    if not TRAIN_PYTHON.is_file():
        pytest.fail(f"{TRAIN_PYTHON} is missing: run scripts/setup (it makes .venv-train)")
    return TRAIN_PYTHON


@pytest.fixture(scope="module")
def token_file(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few generated examples, tokenized by llama.cpp as training.tokens writes them."""
    path = tmp_path_factory.mktemp("tokens") / "tokens.npz"
    splits, meta = tokens.build(model_path, train=24, validation=8, seed=5, max_len=MAX_LEN)
    tokens.save(path, splits, meta)
    return path


def _run(python: Path, model_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """training.train in .venv-train on one thread (two wait for each other on a busy 2-core machine)."""
    command = [str(python), "-m", "training.train", "--model", str(model_path), "--device", "cpu", "--threads", "1"]
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [*command, *map(str, args)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _train(python: Path, model_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """_run, which must succeed (its output goes in the assertion message)."""
    result = _run(python, model_path, *args)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_token_file_keeps_tokens_prompt_lengths_and_args(model_path: Path, token_file: Path) -> None:
    splits, meta = tokens.load(token_file)
    args = {k: meta[k] for k in ("model", "train", "validation", "seed", "max_len")}
    assert args == {"model": model_path.name, "train": 24, "validation": 8, "seed": 5, "max_len": MAX_LEN}
    assert meta["kept"] == {name: len(items) for name, items in splits.items()}
    assert len(splits["train"]) >= 3 and splits["validation"]
    tokenize, vocab = tokens.tokenizer(model_path)
    assert meta["vocab"] == vocab
    ids, prompt_len = splits["train"][0]
    # The reply (after the prompt) ends with ChatML's stop marker, as the agent's generation does.
    assert 0 < prompt_len < len(ids) <= MAX_LEN
    assert list(ids[-2:]) == tokenize("<|im_end|>\n")[-2:] or list(ids[-1:]) == tokenize("<|im_end|>")[-1:]


def test_batches_by_tokens_fill_steps_up_to_the_limit() -> None:
    lengths = [100, 120, 300, 310, 700, 900, 90, 95, 400, 50]
    encoded = [(np.zeros(n, dtype=np.int32), n // 2) for n in lengths]
    plan = tokens.batches(encoded, 8, seed=1, max_tokens=1000)
    assert sorted(i for batch in plan for i in batch) == list(range(len(lengths)))  # each example once
    for batch in plan:  # padded to the batch's longest: within the limit, or one example alone
        assert len(batch) == 1 or max(lengths[i] for i in batch) * len(batch) <= 1000
    assert len(plan) < len(lengths)  # short examples share steps
    # Without a token limit: `size` examples a step, as before.
    assert sorted(len(b) for b in tokens.batches(encoded, 4, seed=1)) == [2, 4, 4]


def test_bf16_instructions_are_read_from_cpuinfo() -> None:
    amd = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\n"
    intel = "flags\t\t: avx512f amx_bf16 amx_tile avx512_bf16\n"
    old = "flags\t\t: fpu sse2 avx2 fma\n"
    assert cpu_bf16_flags(amd) == ["avx512_bf16"]
    assert cpu_bf16_flags(intel) == ["amx_bf16", "avx512_bf16"]
    assert cpu_bf16_flags(old) == []


def test_token_file_that_is_not_one_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a token file"):
        tokens.load(tmp_path / "x.npz")


@pytest.fixture(scope="module")
def trained(train_python: Path, model_path: Path, token_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rank-4 LoRA on the top 2 blocks: stopped by a time budget after one step, then resumed to the end."""
    out = tmp_path_factory.mktemp("run")
    common = ["--tokens", token_file, "--out", out, "--rank", "4", "--alpha", "8", "--lora-layers", "2"]
    common += ["--batch", "2", "--lr", "1e-2", "--max-len", MAX_LEN, "--checkpoint-every", "100", "--log-every", "1"]
    # A budget smaller than one step stops after the first, with a checkpoint and an adapter ...
    first = _train(train_python, model_path, *common, "--time-budget", "0.001")
    output = first.stdout + first.stderr  # progress lines go where tqdm writes
    planned = re.search(r"examples, \d+ for validation, (\d+) steps", output)
    assert planned and int(planned.group(1)) >= 2, output[-2000:]  # the data under MAX_LEN gives a few steps
    assert f"step 1/{planned.group(1)} loss" in output and "tokens/s, ETA" in output
    recipe = json.loads((out / "adapter.json").read_text())
    assert (recipe["steps_done"], recipe["stopped_by"]) == (1, "a 0.001 s time budget")
    # ... and the same command without it resumes at step 1 and runs the plan to its end.
    second = _train(train_python, model_path, *common)
    assert "resuming at step 1" in second.stdout
    return out


def test_time_budget_stops_and_the_run_resumes_to_the_end(trained: Path) -> None:
    recipe = json.loads((trained / "adapter.json").read_text())
    steps = recipe["planned_steps"]
    assert steps >= 2 and (recipe["steps_done"], recipe["stopped_by"]) == (steps, "end of plan")
    assert recipe["rank"] == 4 and recipe["data"]["seed"] == 5 and recipe["final_val_loss"] > 0
    log = [json.loads(line) for line in (trained / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "loss" in r] == list(
        range(1, steps + 1)
    )  # each step once: none lost, none redone
    assert [r["step"] for r in log if "val_loss" in r] == [1, steps]  # the whole split at each stop


def test_trained_adapter_fits_and_changes_llama_cpp_output(model_path: Path, trained: Path) -> None:
    adapter = trained / "adapter.gguf"
    assert check_adapter(model_path, adapter) == 2 * 7  # 2 blocks x q, k, v, o, gate, up, down
    assert np.abs(_last_logits(model_path, adapter) - _last_logits(model_path, None)).max() > 0.05


def test_init_adapter_without_training_exports_the_same_adapter(
    train_python: Path, model_path: Path, token_file: Path, trained: Path, tmp_path: Path
) -> None:
    source, out = trained / "adapter.gguf", tmp_path / "same"
    # --epochs 0: no step, only the adapter read in (rank, alpha, blocks its own), validated, written out.
    _train(train_python, model_path, "--tokens", token_file, "--out", out, "--init-adapter", source, "--epochs", "0")
    recipe = json.loads((out / "adapter.json").read_text())
    assert (recipe["steps_done"], recipe["init_adapter"], recipe["rank"], recipe["alpha"]) == (0, source.name, 4, 8)
    original, copy = GGUFReader(source), GGUFReader(out / "adapter.gguf")
    assert {t.name: t.data.tobytes() for t in copy.tensors} == {t.name: t.data.tobytes() for t in original.tensors}
    np.testing.assert_array_equal(_last_logits(model_path, out / "adapter.gguf"), _last_logits(model_path, source))


def test_init_adapter_for_another_model_is_refused(
    train_python: Path, model_path: Path, token_file: Path, tmp_path: Path
) -> None:
    wrong = tmp_path / "qwen.gguf"  # Qwen2.5-0.5B's attention: 896 wide
    write_adapter(_lora("blk.29.attn_q.weight", n_in=896, n_out=896), 8.0, wrong)
    result = _run(train_python, model_path, "--tokens", token_file, "--init-adapter", wrong, "--out", tmp_path / "x")
    assert result.returncode != 0
    assert f"--init-adapter {wrong} does not fit {model_path.name}" in result.stderr
    assert "blk.29.attn_q.weight: adapter is for a [896, 896] tensor, the model's is [576, 576]" in result.stderr


def _lora(base: str, n_in: int, n_out: int, rank_a: int = 4, rank_b: int = 4) -> dict[str, np.ndarray]:
    """One LoRA pair for `base` (numpy layout: lora_a (rank, n_in), lora_b (n_out, rank))."""
    rng = np.random.default_rng(0)
    return {
        f"{base}.lora_a": rng.standard_normal((rank_a, n_in)).astype(np.float32) * 0.05,
        f"{base}.lora_b": np.full((n_out, rank_b), 0.01, dtype=np.float32),
    }


@pytest.mark.parametrize(
    ("lora", "message"),
    [
        (_lora("blk.3.attn_q.weight", 896, 896), r"blk.3.attn_q.weight: adapter is for a \[896, 896\] tensor"),
        (_lora("blk.3.ffn_up.weight", 576, 1536, rank_b=8), "do not share a rank"),
        (_lora("blk.31.ffn_up.weight", 576, 1536), "blk.31.ffn_up.weight: the model has no such tensor"),
    ],
    ids=["other-model", "rank-a-b", "no-such-block"],
)
def test_misfit_adapter_is_refused_with_the_reason(
    model_path: Path, tmp_path: Path, lora: dict[str, np.ndarray], message: str
) -> None:
    write_adapter(lora, 8.0, tmp_path / "bad.gguf")
    with pytest.raises(LoraMismatch, match=message):
        check_adapter(model_path, tmp_path / "bad.gguf")


def test_shipped_adapter_fits_the_default_model(model_path: Path) -> None:
    assert check_adapter(model_path, SHIPPED_ADAPTER) == 30 * 7  # rank 16 on all 30 blocks, 7 linears each


async def test_backend_load_fails_on_a_misfit_adapter(model_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    write_adapter(_lora("blk.0.attn_k.weight", 576, 576), 8.0, bad)  # attn_k is [576, 192] here
    backend = LlamaCppBackend(LlamaSettings(str(model_path), 256, 1, 64, lora_path=str(bad)))
    with pytest.raises(BackendError, match=r"does not fit .*blk.0.attn_k.weight: adapter is for a \[576, 576\]"):
        await backend.async_load()
    assert backend._llama is None


async def test_entry_with_a_misfit_adapter_fails_setup_with_the_reason(
    hass: HomeAssistant, core: HomeAssistant, model_path: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.gguf"
    write_adapter(_lora("blk.0.attn_k.weight", 576, 576), 8.0, bad)
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_MODEL_PATH: str(model_path)}, options={CONF_LORA_PATH: str(bad)})
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert "blk.0.attn_k.weight" in entry.reason and str(bad) in entry.reason
