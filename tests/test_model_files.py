"""Reading GGUF headers: the real default model, and files that are not usable."""

from pathlib import Path

import pytest

from custom_components.home_llm.model_files import ModelFileError, read_model_info


def test_reads_the_default_model(model_path: Path) -> None:
    info = read_model_info(model_path)
    assert info.architecture == "llama"
    assert info.quant == "Q4_1"
    assert info.context_length == 8192
    assert info.chat_template and "<|im_start|>" in info.chat_template
    assert info.size == model_path.stat().st_size


def test_missing(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError) as err:
        read_model_info(tmp_path / "nope.gguf")
    assert err.value.key == "model_not_found"


def test_directory_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError) as err:
        read_model_info(tmp_path)
    assert err.value.key == "model_not_found"


@pytest.mark.parametrize("content", [b"", b"GGU", b"PK\x03\x04 a zip file", b"<html>not found</html>"])
def test_not_gguf(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelFileError) as err:
        read_model_info(path)
    assert err.value.key == "model_not_gguf"


def test_unsupported_version(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF" + (99).to_bytes(4, "little") + b"\0" * 32)
    with pytest.raises(ModelFileError) as err:
        read_model_info(path)
    assert err.value.key == "model_bad_version"
    assert err.value.detail == "99"


@pytest.mark.parametrize("keep", [24, 4096, 0.5, 0.999])
def test_truncated(tmp_path: Path, model_path: Path, keep: float) -> None:
    data = model_path.read_bytes()
    size = int(len(data) * keep) if isinstance(keep, float) else keep
    path = tmp_path / "cut.gguf"
    path.write_bytes(data[:size])
    with pytest.raises(ModelFileError) as err:
        read_model_info(path)
    assert err.value.key == "model_truncated"
