"""The GGUF LoRA adapter: what training/export.py writes is what llama.cpp applies, and the
shipped adapter fits the default model and makes it run a house."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from gguf import GGUFReader
from llama_cpp import Llama, LlamaGrammar

from custom_components.home_llm import SHIPPED_ADAPTER, default_lora_path
from custom_components.home_llm.const import CHATML_STOP, DEFAULT_PERSONA
from custom_components.home_llm.grammar import build_grammar
from custom_components.home_llm.parser import parse_reply
from custom_components.home_llm.prompt import build_messages, to_chatml
from custom_components.home_llm.snapshot import Device, House
from training.export import write_adapter
from training.soup import mix, read_adapter

SHIPPED = SHIPPED_ADAPTER
PROMPT = "<|im_start|>user\nturn on the kitchen light<|im_end|>\n<|im_start|>assistant\n"


def _field(reader: GGUFReader, key: str) -> object:
    field = reader.fields[key]
    value = field.parts[field.data[0]]
    return bytes(value).decode() if field.types[0].name == "STRING" else value.tolist()[0]


def _last_logits(model_path: Path, lora: Path | None) -> np.ndarray:
    llama = Llama(
        model_path=str(model_path), lora_path=str(lora) if lora else None, n_ctx=256, logits_all=True, verbose=False
    )
    try:
        tokens = llama.tokenize(PROMPT.encode(), add_bos=False, special=True)
        llama.eval(tokens)
        return np.array(llama.scores[len(tokens) - 1])
    finally:
        llama.close()


def _one_layer_lora(b_value: float) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "blk.29.ffn_down.weight.lora_a": rng.standard_normal((4, 1536)).astype(np.float32) * 0.05,
        "blk.29.ffn_down.weight.lora_b": np.full((576, 4), b_value, dtype=np.float32),
    }


def test_exported_adapter_is_applied_by_llama_cpp(model_path: Path, tmp_path: Path) -> None:
    base = _last_logits(model_path, None)
    assert base.std() > 1.0  # real logits
    write_adapter(_one_layer_lora(0.0), 8.0, tmp_path / "zero.gguf", {"rank": 4})
    write_adapter(_one_layer_lora(0.02), 8.0, tmp_path / "some.gguf", {"rank": 4})
    assert json.loads((tmp_path / "some.json").read_text()) == {"rank": 4}
    assert not list(tmp_path.glob("*.part"))
    # B = 0 is the identity (llama.cpp loaded and applied it without changing the model) ...
    np.testing.assert_allclose(_last_logits(model_path, tmp_path / "zero.gguf"), base, atol=1e-3)
    # ... and a non-zero update moves the logits.
    assert np.abs(_last_logits(model_path, tmp_path / "some.gguf") - base).max() > 0.5


def _two_layer_lora(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        f"blk.{block}.ffn_down.weight.lora_{part}": rng.standard_normal(shape).astype(np.float32) * 0.05
        for block in (28, 29)
        for part, shape in (("a", (4, 1536)), ("b", (576, 4)))
    }


def _deltas(path: Path) -> dict[str, np.ndarray]:
    tensors, alpha = read_adapter(path)
    return {
        name: tensors[f"{name}.lora_b"] @ tensors[f"{name}.lora_a"] * alpha / 4
        for name in ("blk.28.ffn_down.weight", "blk.29.ffn_down.weight")
    }


def test_soup_mixes_two_adapters_in_weight_space(model_path: Path, tmp_path: Path) -> None:
    write_adapter(_two_layer_lora(1), 8.0, tmp_path / "a.gguf")
    write_adapter(_two_layer_lora(2), 8.0, tmp_path / "b.gguf")
    deltas_a, deltas_b = _deltas(tmp_path / "a.gguf"), _deltas(tmp_path / "b.gguf")
    # All of A is A again (its rank kept: nothing cut).
    same, _, dropped = mix(tmp_path / "a.gguf", tmp_path / "b.gguf", 1.0)
    assert dropped < 1e-6
    write_adapter(same, 8.0, tmp_path / "same.gguf")
    for name, delta in _deltas(tmp_path / "same.gguf").items():
        np.testing.assert_allclose(delta, deltas_a[name], atol=2e-4)
    # Half of each: two independent rank-4 updates make rank 8; cut back to 4 the mix is the best rank-4
    # approximation of the mean (Eckart-Young), so it is nearer the mean than either adapter is.
    half, _, dropped = mix(tmp_path / "a.gguf", tmp_path / "b.gguf", 0.5)
    assert 0.1 < dropped < 0.9
    write_adapter(half, 8.0, tmp_path / "half.gguf")
    for name, delta in _deltas(tmp_path / "half.gguf").items():
        mean = (deltas_a[name] + deltas_b[name]) / 2
        assert np.linalg.norm(delta - mean) < np.linalg.norm(deltas_a[name] - mean)
        assert np.linalg.matrix_rank(delta, tol=1e-4) == 4
    # llama.cpp loads the mix and applies it.
    base = _last_logits(model_path, None)
    moved = np.abs(_last_logits(model_path, tmp_path / "half.gguf") - base).max()
    assert moved > 0.1  # 0.45 measured; an adapter llama.cpp ignored would leave 0


def test_shipped_adapter_fits_the_default_model(model_path: Path) -> None:
    assert SHIPPED.stat().st_size <= 10_000_000
    recipe = json.loads(SHIPPED.with_suffix(".json").read_text())
    adapter, base = GGUFReader(SHIPPED), GGUFReader(model_path)
    assert _field(adapter, "general.type") == "adapter"
    assert _field(adapter, "adapter.type") == "lora"
    assert _field(adapter, "adapter.lora.alpha") == recipe["alpha"]
    assert _field(adapter, "general.architecture") == _field(base, "general.architecture")
    shapes = {t.name: list(t.shape) for t in base.tensors}
    for tensor in adapter.tensors:
        target, part = tensor.name.rsplit(".", 1)
        n_in, n_out = shapes[target]
        assert list(tensor.shape) == ([n_in, recipe["rank"]] if part == "lora_a" else [recipe["rank"], n_out])


def test_shipped_adapter_runs_a_house(model_path: Path) -> None:
    """With the agent's prompt and grammar, the adapted model makes the right call for a command
    phrased unlike the training templates, and none for a question."""
    house = House(
        devices=(
            Device("cover.garden_shutters", "Garden Shutters", "open"),
            Device("fan.loft_fan", "Loft Fan", "off"),
            Device("light.pantry_light", "Pantry Light", "off"),
            Device("light.study_lamp", "Study Lamp", "on"),
            Device("switch.kettle", "Kettle", "off"),
        ),
        services={
            "cover": ("open_cover", "close_cover"),
            "fan": ("turn_on", "turn_off"),
            "light": ("turn_on", "turn_off"),
            "switch": ("turn_on", "turn_off"),
        },
    )
    llama = Llama(model_path=str(model_path), lora_path=str(SHIPPED), n_ctx=2048, verbose=False)
    try:

        def calls(text: str) -> set[str]:
            prompt = to_chatml(build_messages(house, text, persona=DEFAULT_PERSONA, num_examples=5))
            out = llama.create_completion(
                prompt,
                max_tokens=64,
                temperature=0.0,
                stop=[CHATML_STOP],
                grammar=LlamaGrammar.from_string(build_grammar(house), verbose=False),
            )
            return {f"{c.domain}.{c.service}({c.entity_id})" for c in parse_reply(out["choices"][0]["text"]).calls}

        assert calls("I want the pantry light off") == {"light.turn_off(light.pantry_light)"}
        assert calls("is the kettle on?") == set()
    finally:
        llama.close()


def test_default_model_gets_the_shipped_adapter(model_path: Path, tmp_path: Path) -> None:
    assert default_lora_path(str(model_path)) == str(SHIPPED)
    assert default_lora_path(str(tmp_path / "smollm2-135m-instruct-q8_0.gguf")) == str(SHIPPED)
    # Another model has other tensor shapes: no adapter unless the user picks one.
    assert default_lora_path(str(tmp_path / "Qwen2.5-0.5B-Instruct.Q4_K_M.gguf")) is None
