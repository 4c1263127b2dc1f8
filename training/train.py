"""LoRA fine-tuning of the default model on the synthetic house data (CPU or one GPU).

Loss on the assistant's reply tokens only; gradient checkpointing; a checkpoint every few
steps so an interrupted run resumes where it stopped (start it again with the same --out);
validation loss on the whole validation split, a loss curve PNG and the GGUF adapter at the end.

    python -m training.train --out training/runs/main   # the shipped recipe (these defaults)
    python -m training.train --tokens FILE.npz --init-adapter A.gguf --time-budget 3600 --out training/runs/x

Data comes either from training/dataset.py, tokenized here with llama.cpp's tokenizer (needs
llama-cpp-python), or from a file of `python -m training.tokens` (--tokens: no llama-cpp-python,
for a GPU machine). --device auto uses CUDA when torch sees a GPU, with bf16 autocast.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from training import pure
from training import tokens as token_files
from training.cpu import cpu_bf16_flags, cpu_name
from training.export import write_adapter
from training.model import AdapterMismatch, Llama, load_model, load_with_adapter, read_adapter

MODEL = Path("models/SmolLM2-135M-Instruct.Q4_1.gguf")
IGNORE = -100
Encoded = token_files.Encoded


def collate(items: list[Encoded]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded (tokens, labels): labels are IGNORE on the prompt and the padding."""
    length = max(len(tokens) for tokens, _ in items)
    tokens = torch.zeros(len(items), length, dtype=torch.long)
    labels = torch.full((len(items), length), IGNORE, dtype=torch.long)
    for row, (ids, prompt_len) in enumerate(items):
        tokens[row, : len(ids)] = torch.from_numpy(np.asarray(ids, dtype=np.int64))
        labels[row, prompt_len : len(ids)] = tokens[row, prompt_len : len(ids)]
    return tokens, labels


def loss_of(model: Llama, tokens: torch.Tensor, labels: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Next-token cross-entropy on the labelled (reply) positions.

    Logits only where there is a label: replies are a few percent of the tokens, and the output
    matrix (49k x 576) costs a fifth of the model's compute per token and most of its activation memory."""
    targets = labels[:, 1:]
    labelled = targets != IGNORE
    logits = model.logits(model.hidden(tokens[:, :-1])[labelled])
    return torch.nn.functional.cross_entropy(logits.float(), targets[labelled], reduction=reduction)


def pick_device(name: str) -> torch.device:
    """auto = CUDA when torch sees a GPU, else the CPU; cuda without one is an error."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no CUDA GPU (a CPU build of torch, or no driver)")
    return torch.device(name)


def pick_precision(requested: str, device: torch.device) -> tuple[str, str]:
    """(precision, why): by default bf16 autocast on CUDA and on CPUs with bf16 instructions, else float32.

    Measured on 2 cores (README Training speed): bf16 autocast is faster than float32 on AMX and
    AVX512_BF16 cores; without those instructions torch emulates bf16, which is slower."""
    if device.type == "cuda":
        found = "CUDA"
    else:
        flags = cpu_bf16_flags()
        found = f"the CPU has {', '.join(flags)}" if flags else "the CPU has no bf16 instructions"
    if requested != "auto":
        return requested, f"asked for ({found})"
    return ("bf16" if device.type == "cuda" or flags else "float32"), found


def autocast(device: torch.device, precision: str):
    """bf16 autocast (weights and LoRA stay float32, so the optimizer is exact); nothing for float32."""
    return torch.autocast(device.type, dtype=torch.bfloat16) if precision == "bf16" else nullcontext()


def plot_losses(log_path: Path, png: Path) -> None:
    """The training and validation losses of log.jsonl as a PNG (skipped where matplotlib is missing)."""
    try:
        import matplotlib  # noqa: PLC0415
    except ImportError:
        print("matplotlib is not installed: no loss.png (log.jsonl has the losses)")
        return

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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    args = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("--model", type=Path, default=MODEL)
    args.add_argument("--out", type=Path, default=Path("training/runs/main"))
    args.add_argument("--tokens", type=Path, default=None, help="a file of training.tokens (instead of generating)")
    args.add_argument("--train", type=int, default=120, help="generated training examples (without --tokens)")
    args.add_argument("--validation", type=int, default=200, help="generated validation examples (without --tokens)")
    args.add_argument("--seed", type=int, default=8)
    args.add_argument(
        "--init-adapter", type=Path, default=None, help="start from this GGUF adapter (rank, alpha, blocks: its own)"
    )
    args.add_argument("--rank", type=int, default=32)
    args.add_argument("--alpha", type=float, default=64)
    args.add_argument("--lora-layers", type=int, default=15, help="LoRA on the top N blocks only (0 = all)")
    args.add_argument("--lr", type=float, default=1e-3)
    args.add_argument("--batch", type=int, default=1, help="examples a step at most")
    args.add_argument(
        "--batch-tokens", type=int, default=0, help="padded tokens a step at most (0 = --batch examples every step)"
    )
    args.add_argument("--epochs", type=int, default=1)
    args.add_argument("--max-len", type=int, default=1024, help="longer examples are dropped")
    args.add_argument("--checkpoint-every", type=int, default=5)
    args.add_argument("--log-every", type=int, default=20, help="print a progress line every N steps")
    args.add_argument(
        "--time-budget", type=float, default=0, help="seconds of training steps, then checkpoint + export (0 = none)"
    )
    args.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    args.add_argument(
        "--gradient-checkpointing",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="recompute activations in the backward pass: less memory, about a third more compute (off: a 135M"
        " model's activations at batch 4 x 1024 tokens take ~3 GB)",
    )
    args.add_argument(
        "--precision",
        choices=("auto", "float32", "bf16"),
        default="auto",
        help="auto = bf16 autocast on CUDA and on CPUs with AMX or AVX512_BF16, float32 elsewhere",
    )
    args.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = every core this process may use)")
    args.add_argument("--adapter", type=Path, default=None, help="GGUF adapter to write (default: OUT/adapter.gguf)")
    return args.parse_args(argv)


def load_data(opts: argparse.Namespace) -> tuple[list[Encoded], list[Encoded], dict]:
    """(train, validation, description) from --tokens, or generated and tokenized here."""
    if opts.tokens:
        try:
            splits, meta = token_files.load(opts.tokens)
        except ValueError as err:
            raise SystemExit(str(err)) from err
        train = [e for e in splits["train"] if len(e[0]) <= opts.max_len]
        validation = [e for e in splits["validation"] if len(e[0]) <= opts.max_len]
        return train, validation, {"tokens_file": opts.tokens.name, **meta}
    from training import dataset  # noqa: PLC0415

    train_set, validation_set = dataset.split(opts.train, opts.validation, opts.seed)
    dataset.write_jsonl(train_set, opts.out / "train.jsonl")
    dataset.write_jsonl(validation_set, opts.out / "validation.jsonl")
    tokenize, vocab = token_files.tokenizer(opts.model)
    train = token_files.encode_all(train_set, tokenize, opts.max_len)
    validation = token_files.encode_all(validation_set, tokenize, opts.max_len)
    meta = {"train": opts.train, "validation": opts.validation, "seed": opts.seed, "vocab": vocab}
    return train, validation, meta | {"generator": "training/dataset.py split()"}


def build_model(opts: argparse.Namespace) -> Llama:
    """The model with fresh LoRA, or LoRA from --init-adapter (then opts take the adapter's rank/alpha/blocks)."""
    if not opts.init_adapter:
        return load_model(opts.model, opts.rank, opts.alpha, opts.lora_layers)
    lora = pure.load("lora")  # the integration's own check, from the headers: seconds before the model loads
    try:
        lora.check_adapter(opts.model, opts.init_adapter)
        adapter = read_adapter(opts.init_adapter)
        model = load_with_adapter(opts.model, adapter)
    except (lora.LoraMismatch, AdapterMismatch, OSError) as err:
        raise SystemExit(f"--init-adapter {opts.init_adapter} does not fit {opts.model.name}: {err}") from err
    opts.rank, opts.alpha = adapter.rank, adapter.alpha
    opts.lora_layers = 0 if len(adapter.blocks) == model.config.n_layers else len(adapter.blocks)
    print(f"LoRA from {opts.init_adapter}: rank {adapter.rank}, alpha {adapter.alpha:g}, {len(adapter.blocks)} blocks")
    return model


def validation_loss(
    model: Llama, items: list[Encoded], device: torch.device, precision: str, batch: int = 8
) -> float | None:
    """Mean loss per reply token over all of `items` (batched by length); None when there are none."""
    if not items:
        return None
    ordered = sorted(items, key=lambda e: len(e[0]))
    total, count = 0.0, 0
    was_training = model.training
    model.eval()
    with torch.no_grad(), autocast(device, precision):
        for start in range(0, len(ordered), batch):
            tokens, labels = (t.to(device) for t in collate(ordered[start : start + batch]))
            total += loss_of(model, tokens, labels, reduction="sum").item()
            count += int((labels[:, 1:] != IGNORE).sum())
    model.train(was_training)
    return total / max(count, 1)


def clock(seconds: float) -> str:
    """h:mm:ss."""
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


@dataclass
class Trainer:
    """One run's model, optimizer, schedule and plan: steps, checkpoints, resume."""

    opts: argparse.Namespace
    model: Llama
    encoded: list[Encoded]
    plan: list[list[int]]
    device: torch.device
    precision: str

    def __post_init__(self) -> None:
        self.params = list(self.model.lora_state().values())
        self.optimizer = torch.optim.AdamW(self.params, lr=self.opts.lr, weight_decay=0.0)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, schedule(len(self.plan)))
        self.step_tokens = [sum(len(self.encoded[i][0]) for i in batch) for batch in self.plan]
        self.checkpoint_path = self.opts.out / "checkpoint.pt"
        self.log_path = self.opts.out / "log.jsonl"

    def save(self, step: int) -> None:
        """The LoRA, optimizer and schedule at `step`, written atomically."""
        state = {
            "lora": {k: v.detach().cpu() for k, v in self.model.lora_state().items()},
            "step": step,
            "plan_steps": len(self.plan),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            # Plain values only: torch.load's weights_only mode refuses Path objects.
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(self.opts).items()},
        }
        part = self.checkpoint_path.with_suffix(".part")
        torch.save(state, part)
        part.replace(self.checkpoint_path)

    def resume(self) -> int:
        """The step to start at: that of a checkpoint of this same run, else 0 (and a fresh log)."""
        if not self.checkpoint_path.exists():
            self.log_path.unlink(missing_ok=True)
            return 0
        saved = torch.load(self.checkpoint_path, map_location=self.device)
        if saved.get("plan_steps", len(self.plan)) != len(self.plan):
            raise SystemExit(
                f"{self.checkpoint_path} planned {saved['plan_steps']} steps, this run {len(self.plan)}: "
                "other data or batch? use a new --out"
            )
        try:
            self.model.load_lora({k: v.float().cpu().numpy() for k, v in saved["lora"].items()})
        except AdapterMismatch as err:
            raise SystemExit(f"{self.checkpoint_path} is from another LoRA set-up ({err}): use a new --out") from err
        self.optimizer.load_state_dict(saved["optimizer"])
        self.scheduler.load_state_dict(saved["scheduler"])
        print(f"resuming at step {saved['step']}")
        return saved["step"]

    def step(self, index: int) -> float:
        """One optimizer step on batch `index` of the plan; its loss."""
        tokens, labels = collate([self.encoded[i] for i in self.plan[index]])
        with autocast(self.device, self.precision):
            loss = loss_of(self.model, tokens.to(self.device), labels.to(self.device))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.optimizer.step()
        self.scheduler.step()
        return loss.item()

    def run(self, start: int) -> tuple[int, str, float]:
        """Steps from `start` to the plan's end or the time budget: (steps done, why it stopped, tokens/s)."""
        opts, total = self.opts, len(self.plan)
        begun, done_tokens, done = time.time(), 0, start
        stopped_by = "end of plan"
        self.model.train()
        with self.log_path.open("a") as log, tqdm(total=total, initial=start, unit="step") as bar:
            for index in range(start, total):
                loss = self.step(index)
                done, elapsed = index + 1, time.time() - begun
                done_tokens += self.step_tokens[index]
                rate = done_tokens / max(elapsed, 1e-9)
                eta = clock(sum(self.step_tokens[done:]) / rate)
                lr = self.scheduler.get_last_lr()[0]
                log.write(json.dumps({"step": done, "loss": loss, "lr": lr, "seconds": round(elapsed, 1)}) + "\n")
                log.flush()
                bar.set_postfix(loss=f"{loss:.3f}", tok_s=f"{rate:.0f}", eta=eta)
                bar.update(1)
                if done % opts.log_every == 0:
                    tqdm.write(f"step {done}/{total} loss {loss:.4f} {rate:.0f} tokens/s, ETA {eta}")
                # Stop before the next step would overrun the budget (steps take about the mean time).
                out_of_time = opts.time_budget > 0 and elapsed * (1 + 1 / (done - start)) > opts.time_budget
                if done % opts.checkpoint_every == 0 or done == total or out_of_time:
                    self.save(done)
                if out_of_time:
                    stopped_by = f"a {opts.time_budget:g} s time budget"
                    break
        return done, stopped_by, done_tokens / max(time.time() - begun, 1e-9)


def main(argv: list[str] | None = None) -> None:
    """Train, checkpointing as it goes; then validate, plot and export the adapter."""
    opts = parse_args(argv)
    # torch's default is the machine's cores, which in a container may be more than this process may use.
    torch.set_num_threads(opts.threads or len(os.sched_getaffinity(0)))
    torch.manual_seed(opts.seed)
    opts.out.mkdir(parents=True, exist_ok=True)
    device = pick_device(opts.device)
    precision, why = pick_precision(opts.precision, device)

    encoded, held, data_meta = load_data(opts)
    if not encoded:
        raise SystemExit(f"no training example fits in --max-len {opts.max_len} tokens")
    plan = [
        b
        for epoch in range(opts.epochs)
        for b in token_files.batches(encoded, opts.batch, opts.seed + epoch, opts.batch_tokens)
    ]
    tokens_total = sum(len(encoded[i][0]) for b in plan for i in b)
    print(f"{len(encoded)} examples, {len(held)} for validation, {len(plan)} steps, {tokens_total} tokens on {device}")
    print(f"precision {precision} ({why}), {torch.get_num_threads()} threads")

    model = build_model(opts)
    biggest = max(int(t.max()) for t, _ in encoded + held)
    if biggest >= model.config.vocab:
        raise SystemExit(f"token id {biggest} is outside {opts.model.name}'s vocabulary: tokens of another model?")
    model.to(device)
    model.gradient_checkpointing = opts.gradient_checkpointing
    trainer = Trainer(opts, model, encoded, plan, device, precision)
    step, stopped_by, rate = trainer.run(trainer.resume())
    val_loss = validation_loss(model, held, device, precision)
    with trainer.log_path.open("a") as log:
        log.write(json.dumps({"step": step, "val_loss": val_loss}) + "\n")
    print(f"validation loss {val_loss} on {len(held)} examples at step {step}/{len(plan)} ({stopped_by})")
    plot_losses(trainer.log_path, opts.out / "loss.png")
    adapter = opts.adapter or opts.out / "adapter.gguf"
    recipe = {
        "base_model": opts.model.name,
        "init_adapter": opts.init_adapter.name if opts.init_adapter else None,
        "rank": opts.rank,
        "alpha": opts.alpha,
        "lr": opts.lr,
        "batch": opts.batch,
        "batch_tokens": opts.batch_tokens,
        "epochs": opts.epochs,
        "data": data_meta,
        "train_examples": len(encoded),
        "planned_steps": len(plan),
        "steps_done": step,
        "epochs_done": round(opts.epochs * sum(trainer.step_tokens[:step]) / max(tokens_total, 1), 3),
        "stopped_by": stopped_by,
        "tokens": tokens_total,
        "seed": opts.seed,
        "targets": "q,k,v,o,gate,up,down",
        "lora_layers": opts.lora_layers or "all",
        "device": cpu_name() if device.type == "cpu" else torch.cuda.get_device_name(device),
        "threads": torch.get_num_threads() if device.type == "cpu" else None,
        "precision": "float32" if precision == "float32" else "float32 weights, bf16 autocast",
        "precision_why": why,
        "gradient_checkpointing": opts.gradient_checkpointing,
        "tokens_per_second": round(rate),
        "final_val_loss": val_loss,
        "trainer": "training/train.py",
    }
    write_adapter(model.lora_state(), opts.alpha, adapter, recipe)
    print(f"wrote {adapter} ({adapter.stat().st_size / 1e6:.1f} MB) and {opts.out / 'loss.png'}")


def schedule(steps: int) -> Callable[[int], float]:
    """Linear warm-up over 5% of the steps, then cosine down to 10% of the learning rate."""
    warmup = max(1, steps // 20)

    def lr_at(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))

    return lr_at


if __name__ == "__main__":
    main()
