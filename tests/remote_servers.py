"""Real servers on 127.0.0.1 for the remote-backend tests.

- `LlamaServerProcess`: llama-cpp-python's OpenAI-compatible server (`python -m llama_cpp.server`)
  with the default model, in a process of its own, started once for the test session and always
  stopped (at the end of the session, and by the kernel if pytest itself dies).
- `FaultServer`: a small aiohttp server in the test's event loop that answers like an OpenAI server
  but goes wrong as told: too slow, garbage, a cut-off stream, a refused key.
- `python -m tests.remote_servers dying PORT`: a server process that kills itself in the middle of
  its streamed reply, as a crashing server does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

REPO = Path(__file__).resolve().parent.parent
API_KEY = "home-llm-test-key"


def models_list(models: tuple[str, ...]) -> dict[str, Any]:
    """The body of GET /v1/models."""
    return {"object": "list", "data": [{"id": model, "object": "model", "owned_by": "test"} for model in models]}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Runs `python ARGS...` in a process that gets SIGTERM when pytest dies (Linux prctl
# PR_SET_PDEATHSIG, kept across exec), so no server outlives a crashed or killed test run.
_ORPHAN_PROOF = (
    "import contextlib, ctypes, os, signal, sys\n"
    "with contextlib.suppress(OSError, AttributeError):\n"
    "    ctypes.CDLL(None).prctl(1, signal.SIGTERM)\n"
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])\n"
)


def python_command(*args: str) -> list[str]:
    return [sys.executable, "-c", _ORPHAN_PROOF, *args]


def _wait_until_serving(url: str, process: subprocess.Popen, deadline_s: float, log: Path) -> None:
    """Poll `url` until it answers (any HTTP status); fail with the server's log if it exits."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers, even if only to refuse
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server not ready after {deadline_s} s:\n{log.read_text()[-3000:]}")


class LlamaServerProcess:
    """`python -m llama_cpp.server` with a model and an API key, on a port kept across restarts."""

    def __init__(self, model: Path, log: Path) -> None:
        self.model = model
        self.log = log
        self.port = 0
        self.api_key = API_KEY
        self._process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def model_id(self) -> str:
        """The name the server lists its model under: the path it was given."""
        return str(self.model)

    @property
    def entry_data(self) -> dict[str, str]:
        """Keyword arguments for a config entry that points at this server."""
        return {"base_url": self.base_url, "api_key": self.api_key, "model": self.model_id}

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        self.port = self.port or free_port()
        command = python_command(
            "-m", "llama_cpp.server",
            "--model", str(self.model),
            "--host", "127.0.0.1", "--port", str(self.port),
            "--api_key", self.api_key,
            "--n_ctx", "4096",
        )  # fmt: skip
        with self.log.open("a") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        # /openapi.json needs no key; uvicorn serves only once the model is loaded.
        _wait_until_serving(f"http://127.0.0.1:{self.port}/openapi.json", self._process, 120, self.log)

    def kill(self) -> None:
        """SIGKILL, as a crash or a pulled plug: no clean shutdown."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
        self._process = None


class FaultServer:
    """An OpenAI-like server whose chat replies go wrong as `mode` says.

    modes: "stream" (a good streamed reply of `reply`), "slow" (no answer until the test ends),
    "garbage" (an HTML page), "garbage_stream" (an event stream of non-JSON), "truncated" (the
    stream ends before the reply does), "unauthorized" (401 for everything), "html_models" (the
    models list is an HTML page), "hang" (the models list never comes), "raw" (the bytes in `raw`,
    sent in one write, as an event stream: floods, over-long lines, odd events).
    With `props`, it also answers llama-server's /props, so the backend treats it as llama-server.
    """

    def __init__(
        self,
        mode: str = "stream",
        *,
        props: bool = False,
        reply: str = "Done.",
        models: tuple[str, ...] = ("fault-model",),
        port: int = 0,
    ) -> None:
        self.mode = mode
        self.models = models
        self.props = props
        self.reply = reply
        self.bodies: list[dict[str, Any]] = []  # the chat requests received
        self.authorizations: list[str | None] = []  # the Authorization header of each request
        self.raw = b""
        self.port = port  # 0: any free port
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/props", self._props)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # the port picked for 0

    async def stop(self) -> None:
        self._release.set()  # lets slow handlers finish
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _models(self, request: web.Request) -> web.StreamResponse:
        self.authorizations.append(request.headers.get("Authorization"))
        if self.mode == "unauthorized":
            return _unauthorized()
        if self.mode == "html_models":
            return web.Response(text="<html><body>Router login</body></html>", content_type="text/html")
        if self.mode == "hang":
            await self._release.wait()
        return web.json_response(models_list(self.models))

    async def _props(self, request: web.Request) -> web.StreamResponse:
        if not self.props:
            raise web.HTTPNotFound
        return web.json_response({"default_generation_settings": {"n_ctx": 4096}, "total_slots": 1})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        self.bodies.append(await request.json())
        self.authorizations.append(request.headers.get("Authorization"))
        if self.mode == "unauthorized":
            return _unauthorized()
        if self.mode == "slow":
            await self._release.wait()
        if self.mode == "garbage":
            return web.Response(text="<html><body>502 Bad Gateway</body></html>", content_type="text/html")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        if self.mode == "garbage_stream":
            await response.write(b"data: {this is not json\n\n")
            return response
        if self.mode == "raw":
            with contextlib.suppress(ConnectionError):  # the client may stop reading part way
                await response.write(self.raw)
            return response
        pieces = [self.reply[: len(self.reply) // 2], self.reply[len(self.reply) // 2 :]]
        for event in stream_events(pieces, finish=self.mode != "truncated"):
            await response.write(event)
        return response


def _unauthorized() -> web.Response:
    return web.json_response({"error": {"message": "Invalid API key", "type": "invalid_request_error"}}, status=401)


def stream_events(pieces: list[str], *, finish: bool) -> list[bytes]:
    """The server-sent events of an OpenAI chat stream; without `finish` it stops short."""

    def event(delta: dict[str, str], finish_reason: str | None = None) -> bytes:
        chunk = {
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        return f"data: {json.dumps(chunk)}\n\n".encode()

    events = [event({"role": "assistant"}), *(event({"content": piece}) for piece in pieces)]
    if finish:
        events += [event({}, "stop"), b"data: [DONE]\n\n"]
    return events


class DyingServerProcess:
    """`python -m tests.remote_servers dying PORT` in its own process."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self._process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> None:
        with self.log.open("a") as log:
            self._process = subprocess.Popen(
                python_command("-m", "tests.remote_servers", "dying", str(self.port)),
                cwd=REPO, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        _wait_until_serving(f"{self.base_url}/models", self._process, 30, self.log)

    def wait_dead(self) -> int:
        assert self._process is not None
        return self._process.wait(timeout=10)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()


async def _dying_chat(request: web.Request) -> web.StreamResponse:
    """Stream the start of a reply, then die by SIGKILL with the response unfinished."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    for event in stream_events(["Turning off ", "the kitchen"], finish=False):
        await response.write(event)
    await asyncio.sleep(0.3)  # the client has read what was sent
    os.kill(os.getpid(), signal.SIGKILL)
    return response


def _serve_dying(port: int) -> None:
    app = web.Application()
    app.router.add_get("/v1/models", lambda _request: web.json_response(models_list(("fault-model",))))
    app.router.add_post("/v1/chat/completions", _dying_chat)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


# --- fixtures (test modules load them with `pytest_plugins = ["tests.remote_servers"]`) ---


@pytest.fixture(scope="session")
def llama_server_process(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServerProcess]:
    """The session's llama-cpp-python server; started on first use, always stopped at the end."""
    server = LlamaServerProcess(model_path, tmp_path_factory.mktemp("llama_server") / "server.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def llama_server(llama_server_process: LlamaServerProcess, socket_enabled: None) -> LlamaServerProcess:
    """The running llama-cpp-python server (started again if an earlier test killed it)."""
    llama_server_process.start()
    return llama_server_process


@pytest.fixture
async def fault_server(socket_enabled: None) -> AsyncIterator[Callable[..., Awaitable[FaultServer]]]:
    """Start FaultServers in the test's loop; all are stopped when the test ends."""
    servers: list[FaultServer] = []

    async def start(mode: str = "stream", **kwargs: Any) -> FaultServer:
        server = FaultServer(mode, **kwargs)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
def dying_server(socket_enabled: None, tmp_path: Path) -> Iterator[DyingServerProcess]:
    server = DyingServerProcess(tmp_path / "dying.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()


if __name__ == "__main__":
    if sys.argv[1:2] == ["dying"]:
        _serve_dying(int(sys.argv[2]))
