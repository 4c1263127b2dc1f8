"""LoRA fine-tuning of the default model on the synthetic house data (CPU or one GPU).

Loss on the assistant's reply tokens only; gradient checkpointing; a checkpoint every few
steps so an interrupted run resumes where it stopped; a loss curve PNG and the GGUF adapter
at the end.

    python -m training.train --out training/runs/main   # the shipped recipe (these defaults)
    python -m training.train --train 2400 --batch 4 --lora-layers 0   # closer to the card, needs a GPU or hours
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import torch
from tqdm import tqdm

from training import dataset
from training.export import write_adapter
from training.model import load_model
from training.pure import const, prompt

MODEL = Path("models/SmolLM2-135M-Instruct.Q4_1.gguf")
IGNORE = -100


def tokenizer(model_path: Path):
    """llama.cpp's own tokenizer for the model (vocab only), so tokens match inference exactly."""
    from llama_cpp import Llama  # noqa: PLC0415

    llama = Llama(model_path=str(model_path), vocab_only=True, verbose=False)
    return lambda text: llama.tokenize(text.encode(), add_bos=False, special=True)


def prompt_text(example: dataset.Example, num_examples: int | None = None) -> str:
    """The prompt exactly as the agent builds it (the integration's prompt module)."""
    count = example.num_examples if num_examples is None else num_examples
    messages = prompt.build_messages(example.house(), example.user, persona=const.DEFAULT_PERSONA, num_examples=count)
    return prompt.to_chatml(messages)


def encode(example: dataset.Example, tokenize, max_len: int) -> tuple[list[int], list[int]] | None:
    """(tokens, labels): labels are IGNORE on the prompt, the reply's tokens on the reply."""
    prompt_tokens = tokenize(prompt_text(example))
    reply_tokens = tokenize(example.reply + const.CHATML_STOP)
    tokens = prompt_tokens + reply_tokens
    if len(tokens) > max_len:
        return None
    return tokens, [IGNORE] * len(prompt_tokens) + reply_tokens


def batches(encoded: list[tuple[list[int], list[int]]], size: int, seed: int) -> list[list[int]]:
    """Indices per batch: shuffled, grouped by similar length (less padding), batches shuffled."""
    rng = random.Random(seed)
    order = list(range(len(encoded)))
    rng.shuffle(order)
    window = size * 16
    grouped = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: len(encoded[i][0]))
        grouped.extend(chunk[i : i + size] for i in range(0, len(chunk), size))
    rng.shuffle(grouped)
    return grouped


def collate(items: list[tuple[list[int], list[int]]]) -> tuple[torch.Tensor, torch.Tensor]:
    length = max(len(tokens) for tokens, _ in items)
    tokens = torch.zeros(len(items), length, dtype=torch.long)
    labels = torch.full((len(items), length), IGNORE, dtype=torch.long)
    for row, (t, lab) in enumerate(items):
        tokens[row, : len(t)] = torch.tensor(t)
        labels[row, : len(lab)] = torch.tensor(lab)
    return tokens, labels


def loss_of(model, tokens: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    logits = model(tokens[:, :-1])
    return torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=IGNORE
    )


def plot_losses(log_path: Path, png: Path) -> None:
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    rows = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot([r["step"] for r in rows if "loss" in r], [r["loss"] for r in rows if "loss" in r], label="train")
    val = [r for r in rows if "val_loss" in r]
    if val:
        ax.plot([r["step"] for r in val], [r["val_loss"] for r in val], "o-", label="validation")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (reply tokens)")
    ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("--model", type=Path, default=MODEL)
    args.add_argument("--out", type=Path, default=Path("training/runs/main"))
    args.add_argument("--train", type=int, default=120, help="generated training examples")
    args.add_argument("--validation", type=int, default=200)
    args.add_argument("--seed", type=int, default=8)
    args.add_argument("--rank", type=int, default=32)
    args.add_argument("--alpha", type=float, default=64)
    args.add_argument("--lora-layers", type=int, default=15, help="LoRA on the top N blocks only (0 = all)")
    args.add_argument("--lr", type=float, default=1e-3)
    args.add_argument("--batch", type=int, default=1)
    args.add_argument("--epochs", type=int, default=1)
    args.add_argument("--max-len", type=int, default=1024)
    args.add_argument("--checkpoint-every", type=int, default=5)
    args.add_argument(
        "--no-gradient-checkpointing",
        action="store_true",
        help="faster where memory allows (about a quarter less compute)",
    )
    args.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's choice)")
    args.add_argument("--adapter", type=Path, default=None, help="GGUF adapter to write (default: OUT/adapter.gguf)")
    opts = args.parse_args()
    if opts.threads:
        torch.set_num_threads(opts.threads)
    torch.manual_seed(opts.seed)
    opts.out.mkdir(parents=True, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_set, validation_set = dataset.split(opts.train, opts.validation, opts.seed)
    dataset.write_jsonl(train_set, opts.out / "train.jsonl")
    dataset.write_jsonl(validation_set, opts.out / "validation.jsonl")
    tokenize = tokenizer(opts.model)
    encoded = [e for e in (encode(x, tokenize, opts.max_len) for x in train_set) if e]
    held = [e for e in (encode(x, tokenize, opts.max_len) for x in validation_set[:16]) if e]
    plan = [b for epoch in range(opts.epochs) for b in batches(encoded, opts.batch, opts.seed + epoch)]
    tokens_total = sum(len(encoded[i][0]) for b in plan for i in b)
    print(f"{len(encoded)} examples, {len(plan)} steps, {tokens_total} tokens on {device}")

    model = load_model(opts.model, opts.rank, opts.alpha, opts.lora_layers).to(device)
    model.gradient_checkpointing = not opts.no_gradient_checkpointing
    params = list(model.lora_state().values())
    optimizer = torch.optim.AdamW(params, lr=opts.lr, weight_decay=0.0)
    warmup = max(1, len(plan) // 20)

    def lr_at(step: int) -> float:  # linear warm-up, then cosine to 10%
        if step < warmup:
            return (step + 1) / warmup
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, len(plan) - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    checkpoint_path, log_path = opts.out / "checkpoint.pt", opts.out / "log.jsonl"
    start = 0
    if checkpoint_path.exists():
        saved = torch.load(checkpoint_path, map_location=device)
        for name, tensor in model.lora_state().items():
            tensor.data.copy_(saved["lora"][name])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        start = saved["step"]
        print(f"resuming at step {start}")
    elif log_path.exists():
        log_path.unlink()

    def save(step: int) -> None:
        state = {
            "lora": {k: v.detach().cpu() for k, v in model.lora_state().items()},
            "step": step,
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "args": vars(opts) | {"out": str(opts.out), "model": str(opts.model), "adapter": str(opts.adapter)},
        }
        torch.save(state, checkpoint_path.with_suffix(".part"))
        checkpoint_path.with_suffix(".part").replace(checkpoint_path)

    def validation_loss() -> float:
        model.eval()
        with torch.no_grad():
            losses = [
                loss_of(model, *(t.to(device) for t in collate(held[i : i + 8]))).item() for i in range(0, len(held), 8)
            ]
        model.train()
        return sum(losses) / len(losses)

    model.train()
    begun = time.time()
    with log_path.open("a") as log, tqdm(total=len(plan), initial=start, unit="step") as bar:
        for step in range(start, len(plan)):
            tokens, labels = collate([encoded[i] for i in plan[step]])
            loss = loss_of(model, tokens.to(device), labels.to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            log.write(
                json.dumps(
                    {
                        "step": step + 1,
                        "loss": loss.item(),
                        "lr": scheduler.get_last_lr()[0],
                        "seconds": round(time.time() - begun, 1),
                    }
                )
                + "\n"
            )
            log.flush()
            bar.set_postfix(loss=f"{loss.item():.3f}")
            bar.update(1)
            if (step + 1) % opts.checkpoint_every == 0 or step + 1 == len(plan):
                if step + 1 == len(plan):
                    log.write(json.dumps({"step": step + 1, "val_loss": validation_loss()}) + "\n")
                save(step + 1)
    plot_losses(log_path, opts.out / "loss.png")
    adapter = opts.adapter or opts.out / "adapter.gguf"
    recipe = {
        "base_model": opts.model.name,
        "rank": opts.rank,
        "alpha": opts.alpha,
        "lr": opts.lr,
        "batch": opts.batch,
        "epochs": opts.epochs,
        "train_examples": len(encoded),
        "steps": len(plan),
        "tokens": tokens_total,
        "seed": opts.seed,
        "targets": "q,k,v,o,gate,up,down",
        "lora_layers": opts.lora_layers or "all",
        "num_examples_mix": "0..5 (5 weighted x3)",
        "generator": "training/dataset.py",
        "final_val_loss": validation_loss(),
    }
    write_adapter(model.lora_state(), opts.alpha, adapter, recipe)
    print(f"wrote {adapter} ({adapter.stat().st_size / 1e6:.1f} MB) and {opts.out / 'loss.png'}")


if __name__ == "__main__":
    main()
