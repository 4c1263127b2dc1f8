"""Pre-tokenized training data: generate the split, tokenize it with llama.cpp's own tokenizer, save one
compact .npz, so `training.train --tokens FILE` runs where llama-cpp-python is missing (a GPU box).

    python -m training.tokens --out training/tokens-8k.npz --train 8000 --validation 64 --seed 8

An example is its token ids and the length of its prompt: the loss is on the tokens after the
prompt (the reply and its end marker), exactly as the in-process path of training/train.py encodes it.
"""

from __future__ import annotations

import argparse
import json
import random
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from training import cases, dataset
from training.pure import const, prompt

MODEL = Path("models/SmolLM2-135M-Instruct.Q4_1.gguf")
FORMAT = 1  # bump when the file's layout changes
SPLITS = ("train", "validation")

# (token ids, prompt length): the loss covers tokens[prompt length:].
Encoded = tuple[np.ndarray, int]
Tokenize = Callable[[str], list[int]]


def tokenizer(model_path: Path) -> tuple[Tokenize, int]:
    """llama.cpp's own tokenizer for the model (vocab only), so tokens match inference exactly; the vocab size."""
    from llama_cpp import Llama  # noqa: PLC0415 - only tokenizing needs llama-cpp-python

    llama = Llama(model_path=str(model_path), vocab_only=True, verbose=False)
    return (lambda text: llama.tokenize(text.encode(), add_bos=False, special=True)), llama.n_vocab()


def prompt_text(example: dataset.Example, num_examples: int | None = None) -> str:
    """The prompt exactly as the agent builds it (the integration's prompt module)."""
    return prompt.to_chatml(example.messages(num_examples))


def encode(example: dataset.Example, tokenize: Tokenize, max_len: int) -> Encoded | None:
    """The example's prompt + reply tokens and its prompt length; None when longer than max_len."""
    prompt_tokens = tokenize(prompt_text(example))
    tokens = prompt_tokens + tokenize(example.reply + const.CHATML_STOP)
    if len(tokens) > max_len:
        return None
    return np.asarray(tokens, dtype=np.int64), len(prompt_tokens)


def encode_all(examples: Sequence[dataset.Example], tokenize: Tokenize, max_len: int) -> list[Encoded]:
    """The examples that fit in max_len tokens, encoded."""
    return [e for e in (encode(x, tokenize, max_len) for x in examples) if e is not None]


def save(path: Path, splits: dict[str, list[Encoded]], meta: dict) -> None:
    """One .npz: per split the concatenated tokens, the offsets and the prompt lengths; meta as JSON."""
    vocab_dtype = np.uint16 if meta["vocab"] <= 1 << 16 else np.int32
    arrays = {"meta": np.array(json.dumps(meta | {"format": FORMAT}))}
    for name, items in splits.items():
        lengths = [len(t) for t, _ in items]
        arrays[f"{name}_tokens"] = (
            np.concatenate([t for t, _ in items]).astype(vocab_dtype) if items else np.zeros(0, vocab_dtype)
        )
        arrays[f"{name}_offsets"] = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        arrays[f"{name}_prompt"] = np.asarray([p for _, p in items], dtype=np.int32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as out:
        np.savez_compressed(out, **arrays)
    tmp.replace(path)


def load(path: Path) -> tuple[dict[str, list[Encoded]], dict]:
    """The splits and meta of a file written by save(); ValueError when it is not one."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            arrays = {key: data[key] for key in data.files}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as err:  # ValueError: not .npz, or bad JSON
        raise ValueError(f"{path}: not a token file of training.tokens ({err})") from err
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: token file format {meta.get('format')}, this code reads {FORMAT}")
    splits = {}
    for name in SPLITS:
        tokens = arrays[f"{name}_tokens"].astype(np.int64)
        offsets, prompts = arrays[f"{name}_offsets"], arrays[f"{name}_prompt"]
        splits[name] = [(tokens[offsets[i] : offsets[i + 1]], int(prompts[i])) for i in range(len(prompts))]
    return splits, meta


def build(
    model: Path,
    train: int,
    validation: int,
    seed: int,
    max_len: int,
    *,
    case_files: Sequence[Path] = (),
    case_count: int = 0,
) -> tuple[dict[str, list[Encoded]], dict]:
    """Generate dataset.split(train, validation, seed), add the dev cases' examples to the training half
    (training.cases), tokenize it; the meta says how."""
    train_set, validation_set = dataset.split(train, validation, seed)
    written = [e for path in cases.dev_files(list(case_files)) for e in cases.examples_from(path, random.Random(seed))]
    if 0 < case_count < len(written):  # a sample, so that one epoch fits the time at hand
        written = random.Random(seed).sample(written, case_count)
    train_set = train_set + written
    tokenize, vocab = tokenizer(model)
    splits = {
        "train": encode_all(train_set, tokenize, max_len),
        "validation": encode_all(validation_set, tokenize, max_len),
    }
    meta = {
        "model": model.name,
        "vocab": vocab,
        "train": train,
        "validation": validation,
        "seed": seed,
        "max_len": max_len,
        "generator": "training/dataset.py split()",
        "cases": {path.name: sum(1 for _ in path.open()) for path in case_files},
        "case_examples": len(written),
        "kept": {name: len(items) for name, items in splits.items()},
    }
    return splits, meta


def batches(encoded: list[Encoded], size: int, seed: int, max_tokens: int = 0) -> list[list[int]]:
    """Indices per batch: shuffled, grouped by similar length (less padding), batches shuffled.

    With `max_tokens`, a batch holds as many examples as fit that many padded tokens (at least one,
    at most `size`), so short examples share a step and a step's cost stays about the same."""
    rng = random.Random(seed)
    order = list(range(len(encoded)))
    rng.shuffle(order)
    window = size * 16
    grouped = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: len(encoded[i][0]))
        grouped.extend(_fill_batches(chunk, encoded, size, max_tokens))
    rng.shuffle(grouped)
    return grouped


def _fill_batches(chunk: list[int], encoded: list[Encoded], size: int, max_tokens: int) -> list[list[int]]:
    """Consecutive batches of a length-sorted chunk: `size` examples, or fewer where `max_tokens` binds."""
    if not max_tokens:
        return [chunk[i : i + size] for i in range(0, len(chunk), size)]
    out: list[list[int]] = [[]]
    for index in chunk:
        # Sorted ascending, so this example is the batch's longest: padded size = its length x count.
        padded = len(encoded[index][0]) * (len(out[-1]) + 1)
        if out[-1] and (len(out[-1]) >= size or padded > max_tokens):
            out.append([])
        out[-1].append(index)
    return out


def main() -> None:
    """Command line: write the token file and say what it holds."""
    args = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("--out", type=Path, required=True, help="the .npz to write")
    args.add_argument("--model", type=Path, default=MODEL)
    args.add_argument("--train", type=int, default=8000, help="generated training examples")
    args.add_argument("--validation", type=int, default=64)
    args.add_argument("--seed", type=int, default=8)
    args.add_argument("--max-len", type=int, default=1024, help="examples with more tokens are dropped")
    args.add_argument("--cases", type=Path, nargs="*", default=[], help="dev splits (*.dev.jsonl) to train on too")
    args.add_argument("--case-count", type=int, default=0, help="of the cases' examples, this many (0: all)")
    opts = args.parse_args()
    splits, meta = build(
        opts.model,
        opts.train,
        opts.validation,
        opts.seed,
        opts.max_len,
        case_files=opts.cases,
        case_count=opts.case_count,
    )
    save(opts.out, splits, meta)
    tokens = sum(len(t) for t, _ in splits["train"])
    print(f"wrote {opts.out} ({opts.out.stat().st_size / 1e6:.1f} MB): {meta['kept']} examples, {tokens} train tokens")


if __name__ == "__main__":
    main()
