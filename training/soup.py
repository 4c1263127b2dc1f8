"""Mix two LoRA adapters of the same base model in weight space (weight-space ensembling).

A fine-tune continued on new data gains there and forgets some of what it knew (our CPU run: the blind
splits up, the demo house's intents down). Interpolating the fine-tuned weights with the ones it started
from keeps much of both (Wortsman et al., "Robust fine-tuning of zero-shot models", 2022). For each
linear layer the mix is `w * dW_a + (1 - w) * dW_b` with `dW = B @ A * alpha / rank`; that sum has up to
twice the rank, so it is cut back to the adapters' rank by SVD (the share of the mix that is lost is
printed), keeping the file the size of one adapter.

    python -m training.soup A.gguf B.gguf --weight 0.5 --out mixed.gguf
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import gguf
import numpy as np

from training.export import write_adapter


def read_adapter(path: Path) -> tuple[dict[str, np.ndarray], float]:
    """The LoRA tensors of a GGUF adapter (numpy shapes: lora_a (rank, n_in), lora_b (n_out, rank))
    and its alpha."""
    reader = gguf.GGUFReader(str(path))
    alpha = float(reader.fields["adapter.lora.alpha"].parts[-1][0])
    tensors = {t.name: np.asarray(t.data, dtype=np.float32).reshape(tuple(reversed(t.shape))) for t in reader.tensors}
    return tensors, alpha


def mix(a: Path, b: Path, weight: float) -> tuple[dict[str, np.ndarray], float, float]:
    """`weight` of adapter `a` and the rest of `b`, at `a`'s rank and alpha; also the largest share
    (Frobenius) of a layer's mixed delta that the rank cut drops."""
    tensors_a, alpha_a = read_adapter(a)
    tensors_b, alpha_b = read_adapter(b)
    if tensors_a.keys() != tensors_b.keys():
        raise ValueError("the adapters do not adapt the same layers")
    mixed: dict[str, np.ndarray] = {}
    worst = 0.0
    for name in sorted(k.removesuffix(".lora_a") for k in tensors_a if k.endswith(".lora_a")):
        rank = tensors_a[f"{name}.lora_a"].shape[0]
        delta = weight * _delta(tensors_a, name, alpha_a) + (1 - weight) * _delta(tensors_b, name, alpha_b)
        u, s, vt = np.linalg.svd(delta, full_matrices=False)
        worst = max(worst, float(np.sqrt((s[rank:] ** 2).sum() / max((s**2).sum(), 1e-30))))
        root = np.sqrt(s[:rank] / (alpha_a / rank))  # the scale alpha/rank is applied again at run time
        mixed[f"{name}.lora_b"] = u[:, :rank] * root
        mixed[f"{name}.lora_a"] = root[:, None] * vt[:rank]
    return mixed, alpha_a, worst


def _delta(tensors: dict[str, np.ndarray], name: str, alpha: float) -> np.ndarray:
    """The weight change one adapted layer applies: B @ A scaled by alpha / rank."""
    lora_a, lora_b = tensors[f"{name}.lora_a"], tensors[f"{name}.lora_b"]
    return (lora_b @ lora_a) * (alpha / lora_a.shape[0])


def sha256(path: Path) -> str:
    """The file's sha256, for the recipe."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    """Write the mixed adapter and its recipe."""
    args = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("a", type=Path)
    args.add_argument("b", type=Path)
    args.add_argument("--weight", type=float, required=True, help="the share of A (0..1)")
    args.add_argument("--out", type=Path, required=True)
    opts = args.parse_args()
    mixed, alpha, worst = mix(opts.a, opts.b, opts.weight)
    recipe = {
        "what": f"weight-space mix: {opts.weight} of A and {1 - opts.weight:g} of B, cut back to A's rank by SVD",
        "a": {"file": opts.a.name, "sha256": sha256(opts.a)},
        "b": {"file": opts.b.name, "sha256": sha256(opts.b)},
        "weight_of_a": opts.weight,
        "largest_share_dropped_by_the_rank_cut": round(worst, 4),
        "command": f"python -m training.soup {opts.a} {opts.b} --weight {opts.weight} --out {opts.out}",
    }
    write_adapter(mixed, alpha, opts.out, recipe)
    size = opts.out.stat().st_size / 1e6
    print(f"wrote {opts.out} ({size:.1f} MB); the rank cut drops at most {worst:.2%} of a layer")


if __name__ == "__main__":
    main()
