"""The llama-cpp-python wheels shipped with Home LLM (made by scripts/build-wheels).

Home Assistant OS and Container have no compiler and the package index has only llama-cpp-python's
source, so the config flow installs the shipped wheel that fits this machine instead: chosen the way
pip chooses (the interpreter's tags), checked against SHA256SUMS, installed with Home Assistant's own
uv, its constraints and its deps folder. Everything here blocks: call it from an executor.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
from pathlib import Path

from homeassistant.requirements import pip_kwargs
from homeassistant.util.package import install_package
from packaging.tags import sys_tags
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

_LOGGER = logging.getLogger(__name__)

WHEELS_DIR = Path(__file__).parent
SUMS_FILE = "SHA256SUMS"
LLAMA_PROJECT = "llama-cpp-python"
INSTALL_TIMEOUT = 900  # seconds; unpacking is quick, a slow SD card is not


class WheelRefused(Exception):
    """A shipped wheel is missing or is not the file its recorded sha256 describes."""

    def __init__(self, wheel: str, expected: str, actual: str) -> None:
        """Keep what the message shows: the file and both hashes."""
        super().__init__(f"{wheel}: sha256 {actual}, recorded {expected}")
        self.wheel, self.expected, self.actual = wheel, expected, actual


def recorded_sums(folder: Path = WHEELS_DIR) -> dict[str, str]:
    """File name -> sha256, from the folder's SHA256SUMS (sha256sum's format); empty without one."""
    try:
        text = (folder / SUMS_FILE).read_text(encoding="utf-8")
    except OSError:
        return {}
    sums = {}
    for line in text.splitlines():
        digest, _, name = line.strip().partition("  ")
        if name:
            sums[name.lstrip("*")] = digest.lower()
    return sums


def _wheel_tags(name: str) -> tuple[str, frozenset] | None:
    """The project and tags a wheel file name declares; None for anything else."""
    try:
        project, _version, _build, tags = parse_wheel_filename(name)
    except InvalidWheelFilename:
        return None
    return project, tags


def matching_wheel(folder: Path = WHEELS_DIR) -> Path | None:
    """The shipped llama-cpp-python wheel this interpreter can install, as pip would pick it; else None."""
    rank = {tag: index for index, tag in enumerate(sys_tags())}  # most preferred first
    best: tuple[int, str] | None = None
    for name in recorded_sums(folder):
        if (parsed := _wheel_tags(name)) is None or parsed[0] != LLAMA_PROJECT:
            continue
        ranks = [rank[tag] for tag in parsed[1] if tag in rank]
        if ranks and (best is None or min(ranks) < best[0]):
            best = (min(ranks), name)
    return folder / best[1] if best else None


def dependency_wheels(folder: Path = WHEELS_DIR) -> list[Path]:
    """The pure-Python wheels shipped beside (diskcache: the one dependency Home Assistant lacks)."""
    return [
        folder / name
        for name in recorded_sums(folder)
        if (parsed := _wheel_tags(name)) and parsed[0] != LLAMA_PROJECT and all(t.platform == "any" for t in parsed[1])
    ]


def sha256_of(path: Path) -> str:
    """The file's sha256 (hex), read in chunks; empty when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def verify(wheels: list[Path]) -> None:
    """Raise WheelRefused unless every wheel is the file SHA256SUMS records, before anything is installed."""
    for wheel in wheels:
        expected = recorded_sums(wheel.parent).get(wheel.name, "")
        actual = sha256_of(wheel)
        if not expected or actual != expected:
            raise WheelRefused(wheel.name, expected or "-", actual or "-")


def offline_install_command(wheels: list[Path], config_dir: str | None) -> list[str]:
    """Home Assistant's uv command (its constraints, its deps folder), told not to reach any index.

    Home Assistant's install_package cannot do this: uv asks the index about every dependency, even
    installed ones, so without a network it fails; --offline makes it use what is installed.
    """
    kwargs = pip_kwargs(config_dir)
    command = [sys.executable, "-m", "uv", "pip", "install", "--quiet", "--offline"]
    command += ["--constraint", kwargs["constraints"], *(str(wheel) for wheel in wheels)]
    if target := kwargs.get("target"):
        command += ["--target", os.path.abspath(target)]
    return command


def install(wheel: Path, config_dir: str | None) -> bool:
    """Install a verified shipped wheel: offline first, then through Home Assistant's installer.

    Raises WheelRefused (nothing installed) when a file differs from SHA256SUMS. The online fallback
    serves a Core install lacking numpy: the wheels come from the index, nothing is compiled.
    """
    wheels = [*dependency_wheels(wheel.parent), wheel]
    verify(wheels)
    command = offline_install_command(wheels, config_dir)
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        _LOGGER.warning("Installing %s offline failed: %s", wheel.name, err)
    else:
        if result.returncode == 0:
            return True
        _LOGGER.warning("Installing %s offline failed, trying the package index: %s", wheel.name, result.stderr[-2000:])
    return all(install_package(str(path), **pip_kwargs(config_dir)) for path in wheels)
