"""Write LoRA tensors as a GGUF adapter llama.cpp applies on top of the base model.

llama.cpp (src/llama-adapter.cpp) expects general.type = "adapter", adapter.type = "lora",
adapter.lora.alpha, the base model's architecture, and per linear `<base name>.lora_a` with
ggml shape [n_in, rank] and `.lora_b` with [rank, n_out] (numpy: (rank, n_in), (n_out, rank)).

    python -m training.export training/runs/main/checkpoint.pt custom_components/home_llm/adapters/home.gguf
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import gguf
import numpy as np


def write_adapter(lora: dict, alpha: float, path: Path, recipe: dict | None = None) -> None:
    """f16 tensors (half the size of f32), written atomically; the recipe JSON beside it.

    `lora` maps GGUF tensor names to torch tensors or numpy arrays."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    writer = gguf.GGUFWriter(str(tmp), "llama")
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(alpha))
    writer.add_string("general.name", "home_llm house adapter")
    for name, tensor in sorted(lora.items()):
        array = tensor.detach().cpu().numpy() if hasattr(tensor, "detach") else np.asarray(tensor)
        writer.add_tensor(name, array.astype(np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(path)
    if recipe is not None:
        path.with_suffix(".json").write_text(json.dumps(recipe, indent=2) + "\n")


def main() -> None:
    import torch  # noqa: PLC0415 - only the checkpoint reader needs it

    checkpoint, target = Path(sys.argv[1]), Path(sys.argv[2])
    saved = torch.load(checkpoint, map_location="cpu")
    args = saved["args"]
    recipe = {k: args.get(k) for k in ("rank", "alpha", "lr", "batch", "epochs", "train", "seed", "lora_layers")}
    recipe |= {
        "base_model": Path(args["model"]).name,
        "targets": "q,k,v,o,gate,up,down",
        "step": saved["step"],
        "generator": "training/dataset.py",
        "trainer": "training/train.py",
    }
    write_adapter(saved["lora"], args["alpha"], target, recipe)
    print(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB) from step {saved['step']}")


if __name__ == "__main__":
    main()
