"""The integration's pure modules (prompt, grammar, parser, policy, snapshot, const), imported
without running the package's __init__ (which needs Home Assistant): training and evaluation
build prompts with the very code the agent uses, so both keep one format."""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "custom_components" / "home_llm"
_NAME = "home_llm_pure"


def _package() -> str:
    if _NAME not in sys.modules:
        package = types.ModuleType(_NAME)
        package.__path__ = [str(PACKAGE_DIR)]  # submodules load from the integration's folder
        sys.modules[_NAME] = package
    return _NAME


def load(module: str) -> types.ModuleType:
    """`load("prompt")` -> custom_components/home_llm/prompt.py as a module."""
    return importlib.import_module(f"{_package()}.{module}")


const = load("const")
snapshot = load("snapshot")
prompt = load("prompt")
grammar = load("grammar")
parser = load("parser")
