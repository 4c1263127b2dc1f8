"""Self-check run before training: the torch llama must give llama.cpp's next tokens and logits
on the same tokens, else a LoRA trained on it would not transfer. Exits 1 on a mismatch.

    python -m training.check
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from training.model import load_model

MODEL = Path("models/SmolLM2-135M-Instruct.Q4_1.gguf")
TEXT = "<|im_start|>user\nturn on the kitchen light and close the blinds<|im_end|>\n<|im_start|>assistant\n"
# llama.cpp multiplies Q4_1 weights with 8-bit-quantized activations; the torch model uses the
# exact dequantized weights in float32, so logits differ by this much at most (std ~6).
MAX_LOGIT_DIFF = 2.0
MIN_ARGMAX_AGREEMENT = 0.85


def compare(model_path: Path = MODEL) -> tuple[float, float]:
    """(max |logit difference|, share of positions with the same top token)."""
    from llama_cpp import Llama  # noqa: PLC0415

    llama = Llama(model_path=str(model_path), n_ctx=256, logits_all=True, verbose=False)
    tokens = llama.tokenize(TEXT.encode(), add_bos=False, special=True)
    llama.eval(tokens)
    reference = np.array(llama.scores[: len(tokens)])
    with torch.no_grad():
        ours = load_model(model_path)(torch.tensor([tokens]))[0].numpy()
    return float(np.abs(ours - reference).max()), float((ours.argmax(-1) == reference.argmax(-1)).mean())


def main() -> None:
    diff, agreement = compare()
    print(f"torch vs llama.cpp: max logit difference {diff:.2f}, top-token agreement {agreement:.0%}")
    if diff > MAX_LOGIT_DIFF or agreement < MIN_ARGMAX_AGREEMENT:
        sys.exit("the torch model does not match llama.cpp: not training on it")


if __name__ == "__main__":
    main()
