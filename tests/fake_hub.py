"""A small Hugging Face hub on 127.0.0.1: the model-info API and file downloads with Range.

Only what huggingface_hub and the downloader use: `GET /api/models/<repo>[/revision/<rev>]`
(with `blobs=true`: sizes and LFS sha256) and `GET /<repo>/resolve/<rev>/<file>`. Faults are
switched per file: a listed size or checksum that differs from the bytes, a connection dropped
mid-transfer, a slow transfer, a file that the listing names but the server no longer has.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from aiohttp import web
from gguf import GGUFWriter, LlamaFileType


@dataclass
class HubFile:
    content: bytes
    listed_size: int | None = None  # what the listing claims, when it should lie
    listed_sha256: str | None = None
    drop_after: int | None = None  # close the connection after this many bytes, on the first request only
    delay: float = 0.0  # seconds between chunks
    gone: bool = False  # listed, but a download gets 404
    ignore_range: bool = False  # answer a Range request with the whole file (200)


@dataclass
class FakeHub:
    repos: dict[str, dict[str, HubFile]] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Range header)
    dropped: int = 0
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/models/{owner}/{name}", self._model_info)
        app.router.add_get("/api/models/{owner}/{name}/revision/{revision}", self._model_info)
        app.router.add_get("/{owner}/{name}/resolve/{revision}/{filename:.+}", self._resolve)
        return app

    async def _model_info(self, request: web.Request) -> web.Response:
        repo_id = f"{request.match_info['owner']}/{request.match_info['name']}"
        self.requests.append((request.path, None))
        if repo_id not in self.repos:
            return web.json_response(
                {"error": "Repository not found"}, status=404, headers={"X-Error-Code": "RepoNotFound"}
            )
        siblings = []
        for name, file in self.repos[repo_id].items():
            size = file.listed_size if file.listed_size is not None else len(file.content)
            sha256 = file.listed_sha256 or hashlib.sha256(file.content).hexdigest()
            siblings.append(
                {
                    "rfilename": name,
                    "size": size,
                    "blobId": "0" * 40,
                    "lfs": {"sha256": sha256, "size": size, "pointerSize": 134},
                }
            )
        siblings.append({"rfilename": "README.md", "size": 12, "blobId": "1" * 40})
        return web.json_response({"id": repo_id, "sha": "a" * 40, "siblings": siblings})

    async def _resolve(self, request: web.Request) -> web.StreamResponse:
        repo_id = f"{request.match_info['owner']}/{request.match_info['name']}"
        range_header = request.headers.get("Range")
        self.requests.append((request.path, range_header))
        if file := self.repos.get(repo_id, {}).get(request.match_info["filename"]):
            range_header = None if file.ignore_range else range_header
        if file is None or file.gone:
            return web.Response(status=404, headers={"X-Error-Code": "EntryNotFound"}, text="Entry not found")
        start = int(range_header.removeprefix("bytes=").split("-")[0]) if range_header else 0
        body = file.content[start:]
        response = web.StreamResponse(status=206 if range_header else 200)
        response.content_length = len(body)
        if range_header:
            response.headers["Content-Range"] = f"bytes {start}-{len(file.content) - 1}/{len(file.content)}"
        await response.prepare(request)
        limit = file.drop_after
        file.drop_after = None
        step = 1 << 16
        for offset in range(0, len(body), step):
            if limit is not None and offset >= limit:
                self.dropped += 1
                assert request.transport is not None
                request.transport.close()  # the client sees the connection drop mid-body
                return response
            if file.delay:
                await asyncio.sleep(file.delay)
            try:
                await response.write(body[offset : offset + step])
            except ConnectionError:
                return response  # the client went away
        await response.write_eof()
        return response


def make_gguf(
    path: Path,
    *,
    architecture: str | None = "llama",
    name: str = "Tiny test model",
    file_type: LlamaFileType = LlamaFileType.MOSTLY_Q4_K_M,
    gguf_type: str | None = None,
    context_length: int = 2048,
    tensor_values: int = 64,
) -> bytes:
    """Write a small, real GGUF file (valid header, metadata and tensor data) and return its bytes.

    llama.cpp cannot run it (it lacks a model's hyper-parameters): it is for header checks and
    downloads, and for the "loads badly" path.
    """
    writer = GGUFWriter(str(path), architecture or "llama")
    if architecture is None:
        writer.kv_data[0].pop("general.architecture")
    writer.add_name(name)
    writer.add_file_type(int(file_type))
    if gguf_type:
        writer.add_type(gguf_type)
    if architecture:
        writer.add_context_length(context_length)
    writer.add_chat_template("{% for m in messages %}<|im_start|>{{ m.content }}{% endfor %}")
    writer.add_tensor("weights", np.arange(tensor_values, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


async def start_fake_hub(hub: FakeHub) -> web.AppRunner:
    """Serve `hub` on a free port of 127.0.0.1 and set `hub.url`; the caller cleans the runner up."""
    runner = web.AppRunner(hub.app())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    hub.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    return runner
