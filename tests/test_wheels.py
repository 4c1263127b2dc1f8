"""The shipped llama-cpp-python wheels (custom_components/home_llm/wheels, made by scripts/build-wheels):
the folder's records, choosing and checking a wheel, the config flow installing one with no network
and no compiler, and the libraries running under musl (x86-64 here, aarch64 under qemu)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import distribution
from pathlib import Path
from types import SimpleNamespace

import pytest
from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from packaging.tags import Tag

from custom_components.home_llm import config_flow, wheels
from custom_components.home_llm.const import DOMAIN
from custom_components.home_llm.wheels import (
    WHEELS_DIR,
    WheelRefused,
    matching_wheel,
    offline_install_command,
    recorded_sums,
    verify,
)

TARGETS = ["musllinux_1_2_x86_64", "musllinux_1_2_aarch64", "manylinux_2_28_x86_64", "manylinux_2_28_aarch64"]
SMOKE_C = Path(__file__).parent / "wheels_smoke.c"
SMOKE_TOKENS = "12"
MAX_WHEEL_BYTES = 20 * 1024 * 1024
HA_DEPENDENCIES = ["numpy", "jinja2", "markupsafe", "typing_extensions", "uv"]  # what Home Assistant carries


def _need(condition: bool, message: str) -> None:
    """Skip without a tool this test needs; in CI (CI=1) fail instead."""
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _shipped(tag: str) -> Path:
    """The shipped wheel for a platform tag; skips while SHA256SUMS does not list one for it."""
    wheel = WHEELS_DIR / f"llama_cpp_python-0.3.36-py3-none-{tag}.whl"
    if wheel.name not in recorded_sums():
        pytest.skip(f"no {tag} wheel shipped: scripts/build-wheels {tag}")
    assert wheel.is_file(), f"SHA256SUMS lists {wheel.name}, which is missing"
    return wheel


# --- The folder ---


def test_folder_records_every_wheel() -> None:
    """SHA256SUMS lists every wheel in the folder with its real hash, and nothing else."""
    sums = recorded_sums()
    assert sorted(sums) == sorted(path.name for path in WHEELS_DIR.glob("*.whl"))
    if sums:  # with the wheels, their one dependency Home Assistant lacks
        assert [name for name in sums if name.startswith("diskcache-")] == ["diskcache-5.6.3-py3-none-any.whl"]
    verify([WHEELS_DIR / name for name in sums])


@pytest.mark.parametrize("tag", TARGETS)
def test_wheel_contents(tag: str) -> None:
    """Each wheel: its tag, the loader patch, CPU levels, both licences, the build record, under 20 MB."""
    wheel = _shipped(tag)
    assert wheel.stat().st_size < MAX_WHEEL_BYTES
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        dist = "llama_cpp_python-0.3.36.dist-info"
        assert f"Tag: py3-none-{tag}" in zf.read(f"{dist}/WHEEL").decode()
        assert {f"{dist}/licenses/LICENSE.md", f"{dist}/licenses/llama.cpp-LICENSE"} <= names
        assert "ggml_backend_load_all_from_path" in zf.read("llama_cpp/llama_cpp.py").decode()
        build = json.loads(zf.read(f"{dist}/home_llm_build.json"))
    assert build["zig"] == "ziglang==0.14.1"
    assert build["build_seconds"] > 0
    levels = {"x86_64": {"x64", "sse42", "haswell", "skylakex"}, "aarch64": {"armv8.0_1", "armv8.2_1"}}
    assert levels["aarch64" if tag.endswith("aarch64") else "x86_64"] <= set(build["cpu_variants"])
    for level in build["cpu_variants"]:
        assert f"llama_cpp/lib/libggml-cpu-{level}.so" in names
    assert {"llama_cpp/lib/libllama.so", "llama_cpp/lib/libggml.so", "llama_cpp/include/llama.h"} <= names


# --- Choosing and checking ---


def _folder(tmp_path: Path, names: list[str]) -> Path:
    """A wheels folder with these (fake) files and their SHA256SUMS."""
    for name in names:
        (tmp_path / name).write_bytes(name.encode())
    sums = "".join(f"{wheels.sha256_of(tmp_path / name)}  {name}\n" for name in names)
    (tmp_path / "SHA256SUMS").write_text(sums)
    return tmp_path


@pytest.mark.parametrize(
    ("platforms", "expected"),
    [
        (["musllinux_1_2_x86_64", "linux_x86_64"], "musllinux_1_2_x86_64"),
        (["manylinux_2_36_aarch64", "manylinux_2_28_aarch64", "linux_aarch64"], "manylinux_2_28_aarch64"),
        (["manylinux_2_17_x86_64", "linux_x86_64"], None),  # glibc too old for manylinux_2_28
        (["linux_armv7l"], None),  # 32-bit Raspberry Pi OS: today's path
    ],
)
def test_matching_wheel_uses_the_interpreters_tags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platforms: list[str], expected: str | None
) -> None:
    folder = _folder(tmp_path, [f"llama_cpp_python-0.3.36-py3-none-{tag}.whl" for tag in TARGETS])
    tags = [Tag(interpreter, "none", platform) for platform in platforms for interpreter in ("py313", "py3")]
    monkeypatch.setattr(wheels, "sys_tags", lambda: iter(tags))
    found = matching_wheel(folder)
    assert (found.name if found else None) == (f"llama_cpp_python-0.3.36-py3-none-{expected}.whl" if expected else None)


def test_this_machine_has_a_wheel() -> None:
    """This x86-64 glibc machine gets the manylinux wheel, as pip would."""
    _need(sys.platform == "linux" and os.uname().machine == "x86_64", "an x86-64 Linux machine")
    _shipped("manylinux_2_28_x86_64")
    found = matching_wheel()
    assert found is not None and found.name.endswith("manylinux_2_28_x86_64.whl")


@pytest.mark.parametrize("damage", ["truncated", "changed", "missing"])
def test_verify_refuses_a_damaged_wheel(tmp_path: Path, damage: str) -> None:
    name = "llama_cpp_python-0.3.36-py3-none-musllinux_1_2_x86_64.whl"
    wheel = _folder(tmp_path, [name]) / name
    if damage == "truncated":
        wheel.write_bytes(wheel.read_bytes()[:10])
    elif damage == "changed":
        wheel.write_bytes(wheel.read_bytes().replace(b"llama", b"LLAMA"))
    else:
        wheel.unlink()
    with pytest.raises(WheelRefused) as refused:
        verify([wheel])
    assert refused.value.wheel == name
    assert refused.value.expected == recorded_sums(tmp_path)[name]


def test_offline_command_uses_home_assistants_uv_and_constraints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Home Assistant's constraints always; its deps folder where it would use one (Core outside a venv)."""
    command = offline_install_command([tmp_path / "a.whl"], str(tmp_path))
    assert command[:7] == [sys.executable, "-m", "uv", "pip", "install", "--quiet", "--offline"]
    assert command[command.index("--constraint") + 1].endswith("package_constraints.txt")
    assert "--target" not in command  # the test runs in a virtual environment
    monkeypatch.setattr("homeassistant.util.package.is_virtual_env", lambda: False)
    monkeypatch.setattr("homeassistant.util.package.is_docker_env", lambda: False)
    command = offline_install_command([tmp_path / "a.whl"], str(tmp_path))
    assert command[command.index("--target") + 1] == str(tmp_path / "deps")


# --- The config flow installs the shipped wheel: no network, no compiler ---


def _home_assistant_env(root: Path) -> Path:
    """A fresh virtual environment holding what Home Assistant carries (numpy, jinja2, uv...), no llama_cpp."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True
        ).strip()
    )
    for name in HA_DEPENDENCIES:
        dist = distribution(name)
        for file in dist.files or []:
            source = Path(dist.locate_file(file))
            target = (site / file).resolve() if str(file).startswith("..") else site / file
            if source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
    return python


def _cut_off(run, env_bin: Path):
    """subprocess.run in a network namespace of its own, with only the environment's bin/ on PATH."""
    unshare = shutil.which("unshare")

    def run_cut_off(command, **kwargs):
        env = {"PATH": str(env_bin), "HOME": os.environ.get("HOME", "/root")}
        return run([unshare, "--user", "--map-root-user", "--net", *command], env=env, **kwargs)

    return run_cut_off


def _only_run(run) -> SimpleNamespace:
    """A stand-in for the wheels module's subprocess: this run, the real TimeoutExpired."""
    return SimpleNamespace(run=run, TimeoutExpired=subprocess.TimeoutExpired)


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a command, its output kept as text."""
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def _no_online_install(*args, **kwargs) -> bool:
    raise AssertionError("the offline install should have done it")


async def _start_local(hass: HomeAssistant) -> dict:
    """Open the flow and pick the local model: llama_cpp is missing, so the install step shows."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})
    return await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "local"})


async def test_flow_installs_the_shipped_wheel_offline(
    core: HomeAssistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """llama_cpp is missing from Home Assistant's environment: the flow installs the shipped wheel with
    uv in a network namespace with no compiler on PATH, the import probe passes, on to the local step."""
    hass = core
    _need(sys.platform == "linux" and os.uname().machine == "x86_64", "an x86-64 Linux machine")
    _need(shutil.which("unshare") is not None, "unshare (util-linux) to cut the network")
    wheel = _shipped("manylinux_2_28_x86_64")
    python = await hass.async_add_executor_job(_home_assistant_env, tmp_path / "env")
    probe = [str(python), "-c", "import llama_cpp, diskcache; print(llama_cpp.__version__)"]
    assert (await hass.async_add_executor_job(_run, probe)).returncode != 0  # missing before
    monkeypatch.setattr(sys, "executable", str(python))  # Home Assistant's interpreter, for uv and the probe
    monkeypatch.setattr(wheels, "subprocess", _only_run(_cut_off(subprocess.run, python.parent)))  # uv only
    monkeypatch.setattr(wheels, "install_package", _no_online_install)
    hass.config.skip_pip = False

    result = await _start_local(hass)
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["step_id"] == "install_llama_cpp"
    assert result["description_placeholders"] == {"requirement": wheel.name}
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "local"
    installed = await hass.async_add_executor_job(_run, probe)
    assert installed.stdout.strip() == "0.3.36", installed.stderr


@pytest.mark.parametrize("damage", ["truncated", "changed"])
async def test_flow_refuses_a_damaged_wheel(
    core: HomeAssistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    """A shipped wheel that differs from SHA256SUMS: a translated abort naming it, nothing installed."""
    hass = core
    wheel = _shipped("manylinux_2_28_x86_64")
    folder = tmp_path / "wheels"
    folder.mkdir()
    for path in WHEELS_DIR.glob("*.whl"):
        shutil.copy(path, folder)
    shutil.copy(WHEELS_DIR / "SHA256SUMS", folder)
    copy = folder / wheel.name
    data = copy.read_bytes()
    copy.write_bytes(data[: len(data) // 2] if damage == "truncated" else data[:-100] + b"x" * 100)
    monkeypatch.setattr(config_flow, "llama_cpp_importable", lambda: False)
    monkeypatch.setattr(config_flow, "matching_wheel", lambda: copy)
    monkeypatch.setattr(wheels, "subprocess", _only_run(_no_online_install))
    monkeypatch.setattr(wheels, "install_package", _no_online_install)
    hass.config.skip_pip = False

    result = await _start_local(hass)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wheel_refused"
    placeholders = result["description_placeholders"]
    assert placeholders["wheel"] == wheel.name
    assert placeholders["expected"] == recorded_sums()[wheel.name]
    assert placeholders["actual"] == wheels.sha256_of(copy) != placeholders["expected"]
    strings = json.loads((Path(config_flow.__file__).parent / "translations" / "en.json").read_text())
    assert "nothing was installed" in strings["config"]["abort"]["wheel_refused"]


async def test_flow_without_a_matching_wheel_takes_todays_path(
    core: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No wheel for this machine (e.g. 32-bit ARM): Home Assistant's requirements, today's message."""
    hass = core
    monkeypatch.setattr(config_flow, "llama_cpp_importable", lambda: False)
    monkeypatch.setattr(config_flow, "matching_wheel", lambda: None)
    monkeypatch.setattr(config_flow, "LLAMA_CPP_REQUIREMENT", "home-llm-missing @ file:///nonexistent/x")
    hass.config.skip_pip = False
    result = await _start_local(hass)
    assert result["description_placeholders"] == {"requirement": "home-llm-missing @ file:///nonexistent/x"}
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["reason"] == "llama_cpp_unavailable"


# --- The libraries run: x86-64 under Debian's musl loader, aarch64 under qemu ---


def _unpack(wheel: Path, root: Path) -> Path:
    """The wheel's llama_cpp folder, unpacked (lib/ and include/)."""
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(root)
    return root / "llama_cpp"


def _smoke(compiler: list[str], package: Path, out: Path) -> Path:
    """The smoke program, built against the wheel's headers and libraries."""
    lib = package / "lib"
    subprocess.run(
        [*compiler, "-O1", "-I", str(package / "include"), str(SMOKE_C), "-o", str(out),
         "-L", str(lib), "-lllama", "-lggml", "-lggml-base", f"-Wl,-rpath,{lib}"],
        check=True,
    )  # fmt: skip
    return out


def test_musl_x86_64_wheel_generates_under_the_musl_loader(tmp_path: Path, model_path: Path) -> None:
    """The musllinux wheel's libraries load a model and generate text under musl (Alpine's libc), the
    same text as the manylinux wheel under glibc; ggml picks a CPU level by itself."""
    _need(os.uname().machine == "x86_64", "an x86-64 machine")
    _need(Path("/lib/ld-musl-x86_64.so.1").exists() and shutil.which("musl-gcc") is not None,
          "Debian's musl loader and musl-gcc (apt-get install musl musl-tools)")  # fmt: skip
    package = _unpack(_shipped("musllinux_1_2_x86_64"), tmp_path / "musl")
    smoke = _smoke(["musl-gcc"], package, tmp_path / "smoke-musl")
    run = subprocess.run(["/lib/ld-musl-x86_64.so.1", str(smoke), str(package / "lib"), str(model_path), SMOKE_TOKENS],
                         capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert "libggml-cpu-" in run.stderr  # the CPU level ggml chose
    assert run.stdout.strip()


def test_musl_and_glibc_wheels_say_the_same(tmp_path: Path, model_path: Path) -> None:
    """Same sources, same CPU level, same greedy tokens: the musl build under musl matches the glibc one."""
    _need(os.uname().machine == "x86_64", "an x86-64 machine")
    _need(Path("/lib/ld-musl-x86_64.so.1").exists() and shutil.which("musl-gcc") is not None,
          "Debian's musl loader and musl-gcc (apt-get install musl musl-tools)")  # fmt: skip
    musl = _unpack(_shipped("musllinux_1_2_x86_64"), tmp_path / "musl")
    glibc = _unpack(_shipped("manylinux_2_28_x86_64"), tmp_path / "glibc")
    args = [str(model_path), SMOKE_TOKENS]
    run = _run(["/lib/ld-musl-x86_64.so.1", str(_smoke(["musl-gcc"], musl, tmp_path / "m")), str(musl / "lib"), *args])
    reference = _run([str(_smoke(["cc"], glibc, tmp_path / "g")), str(glibc / "lib"), *args])
    assert run.returncode == 0 and reference.returncode == 0, run.stderr[-2000:] + reference.stderr[-2000:]
    assert run.stdout == reference.stdout


# --- Under qemu (scripts/try-wheels-qemu; not in CI): older x86-64 CPUs and aarch64 ---

QEMU_SYSROOT = os.environ.get("HOME_LLM_AARCH64_SYSROOT", "")  # Debian's musl for arm64, unpacked
QEMU_GLIBC_SYSROOT = os.environ.get("HOME_LLM_AARCH64_GLIBC_SYSROOT", "")  # Debian's libc6 for arm64, unpacked
ZIG_PYTHON = Path(os.environ.get("HOME_LLM_CACHE", Path.home() / ".cache/home_llm")) / "build-wheels/tools/bin/python"


def _qemu_ready(binary: str) -> None:
    """Skip (CI too: qemu is not part of it) unless qemu and scripts/try-wheels-qemu's set-up are here."""
    if shutil.which(binary) is None or not os.environ.get("HOME_LLM_QEMU"):
        pytest.skip(f"run by scripts/try-wheels-qemu ({binary})")


@pytest.mark.parametrize(("cpu", "level"), [("core2duo", "x64"), ("Nehalem", "sse42"), ("SandyBridge", "sandybridge")])
def test_musl_x86_64_wheel_on_older_cpus(tmp_path: Path, model_path: Path, cpu: str, level: str) -> None:
    """On a CPU without AVX2 (qemu's models) ggml picks the level it can run: no illegal instruction."""
    _qemu_ready("qemu-x86_64-static")
    package = _unpack(_shipped("musllinux_1_2_x86_64"), tmp_path / "musl")
    smoke = _smoke(["musl-gcc"], package, tmp_path / "smoke")
    command = [str(smoke), str(package / "lib"), str(model_path), SMOKE_TOKENS]
    reference = _run(["/lib/ld-musl-x86_64.so.1", *command])
    run = _run(["qemu-x86_64-static", "-cpu", cpu, "/lib/ld-musl-x86_64.so.1", *command])
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"libggml-cpu-{level}.so" in run.stderr
    assert run.stdout.strip()
    print(cpu, level, repr(run.stdout), "native:", repr(reference.stdout))


AARCH64_CPUS = [("cortex-a72", "armv8.0_1"), ("max", "armv8.2_2")]  # a Raspberry Pi 4's core and a newer one
AARCH64_WHEELS = {  # tag: (zig target of the smoke program, the sysroot qemu runs it in, its loader)
    "musllinux_1_2_aarch64": ("aarch64-linux-musl", QEMU_SYSROOT, "lib/ld-musl-aarch64.so.1"),
    "manylinux_2_28_aarch64": ("aarch64-linux-gnu.2.28", QEMU_GLIBC_SYSROOT, "lib/ld-linux-aarch64.so.1"),
}


@pytest.mark.parametrize("tag", AARCH64_WHEELS)
@pytest.mark.parametrize(("cpu", "level"), AARCH64_CPUS)
def test_aarch64_wheel_under_qemu(tmp_path: Path, model_path: Path, tag: str, cpu: str, level: str) -> None:
    """Each aarch64 wheel (musl: OS and Container; glibc: Raspberry Pi OS, Core) generates text under qemu."""
    _qemu_ready("qemu-aarch64-static")
    target, sysroot, loader = AARCH64_WHEELS[tag]
    assert Path(sysroot, loader).exists(), f"scripts/try-wheels-qemu's Debian arm64 libc ({loader})"
    package = _unpack(_shipped(tag), tmp_path / "wheel")
    smoke = _smoke([str(ZIG_PYTHON), "-m", "ziglang", "cc", "-target", target], package, tmp_path / "smoke")
    command = [str(smoke), str(package / "lib"), str(model_path), SMOKE_TOKENS]
    run = _run(["qemu-aarch64-static", "-cpu", cpu, "-L", sysroot, *command])
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"libggml-cpu-{level}.so" in run.stderr
    assert run.stdout.strip()
    print(tag, cpu, level, repr(run.stdout))
