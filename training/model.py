"""A small torch llama that runs the default model's own GGUF weights, with LoRA on its linears.

The GGUF tensors are dequantized with the `gguf` package, so training starts from exactly the
weights llama.cpp runs. Tensors keep llama.cpp's layout (q/k rows are in the order of its
"normal" rope, which rotates adjacent pairs), so a LoRA trained here exports as-is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from gguf import GGUFReader
from gguf.quants import dequantize
from torch import nn
from torch.utils.checkpoint import checkpoint

LORA_TARGETS = ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")


@dataclass(frozen=True)
class Config:
    """The hyper-parameters llama.cpp reads from the GGUF metadata."""

    n_layers: int
    dim: int
    n_heads: int
    n_kv_heads: int
    ffn_dim: int
    vocab: int
    rope_theta: float
    rms_eps: float

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads


def _field(reader: GGUFReader, key: str) -> object:
    """A metadata value as a Python scalar (or list)."""
    field = reader.fields[key]
    value = field.parts[field.data[0]]
    return value.tolist()[0] if value.size == 1 else value.tolist()


def read_gguf(path: Path) -> tuple[Config, dict[str, torch.Tensor]]:
    """The model's hyper-parameters from its metadata and every tensor as float32 (rows = outputs)."""
    reader = GGUFReader(path)
    arch = bytes(reader.fields["general.architecture"].parts[-1]).decode()
    if arch != "llama":
        raise ValueError(f"{path}: architecture {arch!r}, only llama is supported")
    tensors = {
        t.name: torch.from_numpy(np.ascontiguousarray(dequantize(t.data, t.tensor_type), dtype=np.float32))
        for t in reader.tensors
    }
    config = Config(
        n_layers=int(_field(reader, "llama.block_count")),
        dim=int(_field(reader, "llama.embedding_length")),
        n_heads=int(_field(reader, "llama.attention.head_count")),
        n_kv_heads=int(_field(reader, "llama.attention.head_count_kv")),
        ffn_dim=int(_field(reader, "llama.feed_forward_length")),
        vocab=tensors["token_embd.weight"].shape[0],
        rope_theta=float(_field(reader, "llama.rope.freq_base")),
        rms_eps=float(_field(reader, "llama.attention.layer_norm_rms_epsilon")),
    )
    return config, tensors


class LoraLinear(nn.Module):
    """A frozen weight plus a trainable low-rank update B·A scaled by alpha/rank (A random, B zero)."""

    def __init__(self, weight: torch.Tensor, rank: int, alpha: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight, requires_grad=False)
        self.rank = rank
        self.scale = alpha / rank if rank else 0.0
        if rank:
            self.lora_a = nn.Parameter(torch.empty(rank, weight.shape[1]))
            self.lora_b = nn.Parameter(torch.zeros(weight.shape[0], rank))
            nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.linear(x, self.weight)
        if self.rank:
            out = out + F.linear(F.linear(x, self.lora_a), self.lora_b) * self.scale
        return out


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """llama's RMS norm (no mean subtraction, no bias)."""
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """llama.cpp's normal rope: rotate adjacent pairs (x0, x1), (x2, x3), ..."""
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2)


class Block(nn.Module):
    """One transformer block: grouped-query attention then a SwiGLU MLP, both pre-normed."""

    def __init__(self, config: Config, tensors: dict[str, torch.Tensor], index: int, rank: int, alpha: float) -> None:
        super().__init__()
        self.config = config
        prefix = f"blk.{index}."
        self.attn_norm = nn.Parameter(tensors[prefix + "attn_norm.weight"], requires_grad=False)
        self.ffn_norm = nn.Parameter(tensors[prefix + "ffn_norm.weight"], requires_grad=False)
        self.linears = nn.ModuleDict(
            {name: LoraLinear(tensors[f"{prefix}{name}.weight"], rank, alpha) for name in LORA_TARGETS}
        )

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        c, lin = self.config, self.linears
        batch, length, _ = x.shape
        h = rms_norm(x, self.attn_norm, c.rms_eps)
        q = lin["attn_q"](h).view(batch, length, c.n_heads, c.head_dim)
        k = lin["attn_k"](h).view(batch, length, c.n_kv_heads, c.head_dim)
        v = lin["attn_v"](h).view(batch, length, c.n_kv_heads, c.head_dim)
        q, k = rope(q, cos, sin).transpose(1, 2), rope(k, cos, sin).transpose(1, 2)
        v = v.transpose(1, 2)
        group = c.n_heads // c.n_kv_heads
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        attn = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + lin["attn_output"](attn.transpose(1, 2).reshape(batch, length, c.dim))
        h = rms_norm(x, self.ffn_norm, c.rms_eps)
        return x + lin["ffn_down"](F.silu(lin["ffn_gate"](h)) * lin["ffn_up"](h))


class Llama(nn.Module):
    """The whole model: embedding, blocks, final norm, output matrix (tied unless the GGUF has one)."""

    def __init__(
        self, config: Config, tensors: dict[str, torch.Tensor], rank: int = 0, alpha: float = 0.0, lora_layers: int = 0
    ) -> None:
        """LoRA on the top `lora_layers` blocks (0 = all): the frozen blocks below need no backward pass."""
        super().__init__()
        first = config.n_layers - lora_layers if 0 < lora_layers < config.n_layers else 0
        self.config = config
        self.embed = nn.Parameter(tensors["token_embd.weight"], requires_grad=False)
        self.norm = nn.Parameter(tensors["output_norm.weight"], requires_grad=False)
        # Tied embeddings unless the GGUF carries its own output matrix.
        self.output = nn.Parameter(tensors.get("output.weight", tensors["token_embd.weight"]), requires_grad=False)
        self.blocks = nn.ModuleList(
            Block(config, tensors, i, rank if i >= first else 0, alpha) for i in range(config.n_layers)
        )
        self.gradient_checkpointing = False

    def _rope_tables(self, length: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """cos/sin of every position's angles, in float32 on the tokens' device (CUDA or CPU)."""
        c = self.config
        freqs = c.rope_theta ** (-torch.arange(0, c.head_dim, 2, dtype=torch.float32, device=device) / c.head_dim)
        angles = torch.outer(torch.arange(length, dtype=torch.float32, device=device), freqs)[None, :, None, :]
        return angles.cos(), angles.sin()

    def hidden(self, tokens: torch.Tensor) -> torch.Tensor:
        """The last block's output (batch, length, dim) for a (batch, length) token tensor."""
        x = F.embedding(tokens, self.embed)
        cos, sin = self._rope_tables(tokens.shape[1], tokens.device)
        for block in self.blocks:
            if self.gradient_checkpointing and self.training:
                x = checkpoint(block, x, cos, sin, use_reentrant=False)
            else:
                x = block(x, cos, sin)
        return x

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Final norm and output matrix: logits for hidden states of any leading shape."""
        return F.linear(rms_norm(hidden, self.norm, self.config.rms_eps), self.output)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits for every position of a (batch, length) token tensor."""
        return self.logits(self.hidden(tokens))

    def lora_state(self) -> dict[str, torch.Tensor]:
        """The trainable tensors under the base model's GGUF names: blk.N.attn_q.weight.lora_a, ..."""
        state = {}
        for index, block in enumerate(self.blocks):
            for name, linear in block.linears.items():
                if linear.rank:
                    state[f"blk.{index}.{name}.weight.lora_a"] = linear.lora_a
                    state[f"blk.{index}.{name}.weight.lora_b"] = linear.lora_b
        return state

    def load_lora(self, lora: dict[str, np.ndarray]) -> None:
        """Copy an adapter's tensors in; AdapterMismatch unless names and shapes are exactly this model's."""
        state = self.lora_state()
        for name in sorted(state.keys() & lora.keys()):  # a wrong shape says more than a missing name
            have, need = tuple(lora[name].shape), tuple(state[name].shape)
            if have != need:
                raise AdapterMismatch(f"{name}: shape {have}, the model needs {need}")
        missing, extra = sorted(state.keys() - lora.keys()), sorted(lora.keys() - state.keys())
        if missing or extra:
            raise AdapterMismatch(f"tensors missing: {_few(missing)}; tensors not in this model: {_few(extra)}")
        for name, tensor in state.items():  # copied only once all fit: no half-loaded model
            tensor.data.copy_(torch.from_numpy(np.asarray(lora[name], dtype=np.float32)))


class AdapterMismatch(ValueError):
    """An adapter that does not fit the base model (other model, other rank, other blocks)."""


def _few(names: list[str]) -> str:
    """The first few names of a list, for an error message."""
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "") if names else "none"


@dataclass(frozen=True)
class Adapter:
    """A GGUF LoRA adapter as read back: alpha, rank, the blocks it covers, its tensors (numpy layout)."""

    alpha: float
    rank: int
    blocks: tuple[int, ...]
    tensors: dict[str, np.ndarray]


def read_adapter(path: Path) -> Adapter:
    """Read an adapter written by training/export.py (or llama.cpp's converter); AdapterMismatch if malformed."""
    reader = GGUFReader(path)
    if "adapter.lora.alpha" not in reader.fields:
        raise AdapterMismatch(f"{path}: no adapter.lora.alpha metadata, not a LoRA adapter")
    alpha = float(_field(reader, "adapter.lora.alpha"))
    # GGUFReader gives numpy's layout (ggml's shape reversed): lora_a (rank, n_in), lora_b (n_out, rank).
    tensors = {t.name: np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32) for t in reader.tensors}
    ranks = {a.shape[0] for n, a in tensors.items() if n.endswith(".lora_a")}
    ranks |= {b.shape[1] for n, b in tensors.items() if n.endswith(".lora_b")}
    if len(ranks) != 1:
        raise AdapterMismatch(f"{path}: lora_a/lora_b ranks differ ({sorted(ranks)}) or no LoRA tensors")
    blocks = sorted({int(n.split(".")[1]) for n in tensors if n.startswith("blk.")})
    return Adapter(alpha, ranks.pop(), tuple(blocks), tensors)


def adapter_lora_layers(adapter: Adapter, n_layers: int) -> int:
    """The --lora-layers value of an adapter: it must cover the top N blocks (0 = all)."""
    if not adapter.blocks or list(adapter.blocks) != list(range(n_layers - len(adapter.blocks), n_layers)):
        raise AdapterMismatch(f"adapter covers blocks {list(adapter.blocks)}, not the top blocks of {n_layers}")
    return 0 if len(adapter.blocks) == n_layers else len(adapter.blocks)


def load_model(path: Path, rank: int = 0, alpha: float = 0.0, lora_layers: int = 0) -> Llama:
    """The GGUF model at `path` with fresh LoRA tensors of `rank` on the top `lora_layers` blocks."""
    config, tensors = read_gguf(path)
    return Llama(config, tensors, rank, alpha, lora_layers)


def load_with_adapter(path: Path, adapter: Adapter) -> Llama:
    """The GGUF model at `path` with LoRA started from `adapter` (its rank, alpha and blocks)."""
    config, tensors = read_gguf(path)
    model = Llama(config, tensors, adapter.rank, adapter.alpha, adapter_lora_layers(adapter, config.n_layers))
    model.load_lora(adapter.tensors)
    return model
