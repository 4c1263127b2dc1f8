"""Remote backend: an OpenAI-compatible server on another machine.

llama.cpp's llama-server, llama-cpp-python's server, Ollama and vLLM all answer
`POST /v1/chat/completions`. The prompt, grammar, parser and policy are the same as in-process:
this backend only carries the chat messages there and streams the reply back (the server applies
the model's own chat template). Set-up lists the server's models and finds out which extra request
fields it accepts: llama.cpp servers take the GBNF grammar, and llama-server keeps the prompt's
KV cache between turns when asked (`cache_prompt`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

import aiohttp
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ..const import CONF_API_KEY, CONF_BASE_URL, CONF_REMOTE_MODEL, CONF_REMOTE_TIMEOUT, DOMAIN
from ..parser import MAX_REPLY_CHARS
from ..prompt import Message
from . import BackendError, Generation, Sampling, TextCallback

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

_LOGGER = logging.getLogger(__name__)

DEFAULT_REMOTE_TIMEOUT = 30  # seconds to connect, and the longest silence while the server answers

# Request fields beyond OpenAI's basics that this backend sends where the server accepts them.
LLAMA_SERVER_FIELDS = frozenset({"grammar", "cache_prompt", "top_k", "min_p", "stream_options"})
OPENAI_FIELDS = frozenset({"stream_options"})  # OpenAI's own: token usage at the end of a stream
MAX_BODY = 4 << 20  # a models list longer than this is not what we asked for
MAX_ERROR_BODY = 64 << 10  # only the start of an error page is shown
MAX_REPLY_BODY = 1 << 20  # a whole (not streamed) reply: 20,000 characters of text need far less
MAX_STREAM_BYTES = 8 << 20  # a streamed reply: about 2 KiB a token at 4,096 tokens; llama-server sends < 1 KiB
LINE_LIMIT_KIB = 128  # aiohttp's line buffer: a longer server-sent line cannot be read
YIELD_EVERY_LINES = 16  # buffered lines are read without a pause: let other tasks run between batches
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


class RemoteError(BackendError):
    """A failure talking to the server. `key` names its kind, for translated messages."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key  # cannot_connect, timeout, server_error, invalid_auth, not_openai, rejected

    @property
    def permanent(self) -> bool:
        """True where waiting will not help: the user has to change the URL or the key."""
        return self.key in ("invalid_auth", "not_openai")


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """What set-up found out about the server."""

    kind: str  # "llama-server", "openapi" (fields read from its OpenAPI schema) or "openai"
    models: tuple[str, ...]
    fields: frozenset[str]  # the extra request fields it accepts


def normalize_base_url(url: str) -> str:
    """`http://gpu-box:8080` -> `http://gpu-box:8080/v1`; ValueError for anything but an http(s) URL."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url}")
    return url if parts.path else f"{url}/v1"


def redact_url(url: str) -> str:
    """The URL without user name and password (`http://admin:secret@host/v1` -> `http://host/v1`):
    what may be shown, logged or stored beside the entry's own data."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url  # unchanged, so unique ids of entries without credentials stay as they were
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _credentials(url: str) -> aiohttp.BasicAuth | None:
    """HTTP basic auth from the user name and password in `url`, if it has them."""
    parts = urlsplit(url)
    if parts.username is None:
        return None
    return aiohttp.BasicAuth(unquote(parts.username), unquote(parts.password or ""))


def one_line(text: str) -> str:
    """Untrusted text as one line: control characters and line breaks cannot forge log lines."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _loads(text: str) -> Any:
    """json.loads; ValueError also for JSON nested too deeply to decode (RecursionError)."""
    try:
        return json.loads(text)
    except RecursionError as err:
        raise ValueError("JSON nested too deeply") from err


def _server_root(base_url: str) -> str:
    """llama-server's /props and FastAPI's /openapi.json live beside /v1, not under it."""
    return base_url.removesuffix("/v1")


def _headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _connection_error(err: Exception, base_url: str, wait: float) -> RemoteError:
    """An aiohttp failure as a RemoteError with a message a user can act on (`base_url`: redacted)."""
    if isinstance(err, aiohttp.ConnectionTimeoutError):
        return RemoteError("timeout", f"could not connect to the server at {base_url} within {wait:g} seconds")
    if isinstance(err, aiohttp.ServerTimeoutError):
        return RemoteError("timeout", f"the server at {base_url} sent nothing for {wait:g} seconds")
    if isinstance(err, TimeoutError):
        return RemoteError("timeout", f"the server at {base_url} did not answer within {wait:g} seconds")
    if isinstance(err, aiohttp.ClientConnectorError):
        os_error = err.os_error  # asyncio's own text for a refused connection is "Connect call failed"
        reason = os.strerror(os_error.errno) if (os_error.errno or 0) > 0 else os_error.strerror or str(os_error)
        return RemoteError("cannot_connect", f"cannot connect to the server at {base_url}: {reason.lower()}")
    if isinstance(err, (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
        return RemoteError("cannot_connect", f"the connection to the server at {base_url} was lost during its reply")
    return RemoteError("cannot_connect", f"cannot talk to the server at {base_url}: {one_line(str(err))[:200]}")


@asynccontextmanager
async def _request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    base_url: str,
    api_key: str | None,
    wait: float,
    body: dict[str, Any] | None = None,
) -> AsyncIterator[aiohttp.ClientResponse]:
    """One request; connection failures and timeouts, while sending or reading, become RemoteError.

    `wait` bounds connecting and each silence of the server (not the whole reply, which may stream).
    A user name and password in the URL go as basic auth (an API key, where given, goes instead:
    a request has one Authorization header); no message names them.
    """
    timeout = aiohttp.ClientTimeout(sock_connect=wait, sock_read=wait)
    auth = None if api_key else _credentials(url)
    url = redact_url(url)
    try:
        async with session.request(
            method, url, headers=_headers(api_key), auth=auth, json=body, timeout=timeout
        ) as response:
            yield response
    except (aiohttp.ClientError, TimeoutError) as err:
        raise _connection_error(err, redact_url(base_url), wait) from err


async def _read_body(response: aiohttp.ClientResponse, limit: int = MAX_BODY) -> str:
    """The whole body, at most `limit` bytes. One read() returns only what has arrived so far:
    a 34 KB OpenAPI schema was once cut short under load, and the server lost its grammar."""
    body = bytearray()
    while len(body) < limit and (chunk := await response.content.read(limit - len(body))):
        body += chunk
    return body.decode("utf-8", "replace")


def _error_detail(text: str) -> str:
    """The message of an OpenAI-style error body, or the start of whatever came back, on one line."""
    try:
        data = _loads(text)
    except ValueError:
        return one_line(text[:400])[:200] or "no details"
    error = data.get("error", data.get("detail", data)) if isinstance(data, dict) else data
    if isinstance(error, dict):
        error = error.get("message", error)
    return one_line(str(error)[:400])[:200] or "no details"


async def _check_status(response: aiohttp.ClientResponse, base_url: str) -> None:
    """Raise for an HTTP error: a refused key, a failing server, a rejected request."""
    if response.status < 400:
        return
    detail = _error_detail(await _read_body(response, MAX_ERROR_BODY))
    if response.status in (401, 403):
        raise RemoteError(
            "invalid_auth", f"the server at {base_url} refused the API key (HTTP {response.status}: {detail})"
        )
    if response.status >= 500:
        raise RemoteError("server_error", f"the server at {base_url} failed (HTTP {response.status}: {detail})")
    raise RemoteError("rejected", f"the server at {base_url} rejected the request (HTTP {response.status}: {detail})")


async def async_list_models(
    session: aiohttp.ClientSession, base_url: str, api_key: str | None, wait: float
) -> list[str]:
    """The model ids of `GET {base_url}/models`; RemoteError when that is not an OpenAI API."""
    shown = redact_url(base_url)
    not_openai = f"{shown} is not an OpenAI-compatible API"
    async with _request(
        session, "GET", f"{base_url}/models", base_url=base_url, api_key=api_key, wait=wait
    ) as response:
        if response.status in (404, 405):
            raise RemoteError("not_openai", f"{not_openai}: {shown}/models answered HTTP {response.status}")
        await _check_status(response, shown)
        text = await _read_body(response)
    try:
        data = _loads(text)
    except ValueError as err:
        raise RemoteError("not_openai", f"{not_openai}: its models list is not JSON") from err
    models = data.get("data") if isinstance(data, dict) else None
    if not isinstance(models, list):
        raise RemoteError("not_openai", f"{not_openai}: its answer has no models list")
    return [model["id"] for model in models if isinstance(model, dict) and isinstance(model.get("id"), str)]


async def _optional_json(session: aiohttp.ClientSession, url: str, api_key: str | None, wait: float) -> Any:
    """JSON from a probe URL, or None where the server has no such page."""
    try:
        async with _request(session, "GET", url, base_url=url, api_key=api_key, wait=wait) as response:
            if response.status != 200:
                return None
            return _loads(await _read_body(response))
    except (RemoteError, ValueError):
        return None


def _request_fields(schema: Any, path: str) -> frozenset[str] | None:
    """The fields of the chat request in a FastAPI OpenAPI schema (llama-cpp-python's server, vLLM)."""
    try:
        body = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        name = body["$ref"].rsplit("/", 1)[-1]
        return frozenset(schema["components"]["schemas"][name]["properties"])
    except (KeyError, TypeError, AttributeError):
        return None


async def async_probe_server(
    session: aiohttp.ClientSession, base_url: str, api_key: str | None, wait: float
) -> ServerInfo:
    """List the models, then find out which extra request fields the server accepts."""
    models = tuple(await async_list_models(session, base_url, api_key, wait))
    root = _server_root(base_url)
    props = await _optional_json(session, f"{root}/props", api_key, wait)
    if isinstance(props, dict) and "default_generation_settings" in props:
        return ServerInfo("llama-server", models, LLAMA_SERVER_FIELDS)
    schema = await _optional_json(session, f"{root}/openapi.json", api_key, wait)
    fields = _request_fields(schema, urlsplit(base_url).path + "/chat/completions")
    if fields is not None:
        return ServerInfo("openapi", models, fields & LLAMA_SERVER_FIELDS)
    return ServerInfo("openai", models, OPENAI_FIELDS)


@dataclass(slots=True)
class _Reply:
    """What has arrived of a streamed reply."""

    max_pieces: int  # the request's max_tokens: a server sends at most one piece a token
    pieces: list[str] = field(default_factory=list)
    chars: int = 0
    lines: int = 0
    bytes: int = 0
    ended: bool = False  # a finish_reason or [DONE] arrived
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @property
    def max_lines(self) -> int:
        """Server-sent lines allowed: an event and a blank line a token, twice over, and some to spare."""
        return 4 * self.max_pieces + 256

    def add_usage(self, usage: Any) -> None:
        """Keep the token counts of a usage report, where it has them."""
        if isinstance(usage, dict):
            if isinstance(usage.get("prompt_tokens"), int):
                self.prompt_tokens = usage["prompt_tokens"]
            if isinstance(usage.get("completion_tokens"), int):
                self.completion_tokens = usage["completion_tokens"]


class OpenAiBackend:
    """Chat completions from a remote OpenAI-compatible server, streamed."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        model: str,
        api_key: str | None,
        server: ServerInfo,
        wait: float = DEFAULT_REMOTE_TIMEOUT,
    ) -> None:
        self._session = session  # Home Assistant's shared session: not ours to close
        self._url = base_url  # may hold a user name and password: for requests only
        self.base_url = redact_url(base_url)  # what messages and diagnostics show
        self.model = model
        self._api_key = api_key
        self.server = server
        self.wait = wait
        self.last_prompt_tokens = 0  # from the server's usage report; 0 where it sends none
        self._closed = False

    def request_body(self, messages: list[Message], grammar: str | None, sampling: Sampling) -> dict[str, Any]:
        """The chat request, with the extra fields this server accepts."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "max_tokens": sampling.max_tokens,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
        }
        fields = self.server.fields
        if "top_k" in fields:
            body["top_k"] = sampling.top_k
        if "min_p" in fields:
            body["min_p"] = sampling.min_p
        if grammar and "grammar" in fields:
            body["grammar"] = grammar
        if "cache_prompt" in fields:
            body["cache_prompt"] = True  # the system prompt is the same every turn: read it once
        if "stream_options" in fields:
            body["stream_options"] = {"include_usage": True}
        return body

    async def async_generate(
        self,
        messages: list[Message],
        *,
        grammar: str | None,
        sampling: Sampling,
        timeout: float,
        on_text: TextCallback | None = None,
    ) -> Generation:
        if self._closed:
            raise BackendError("the agent is being unloaded")
        body = self.request_body(messages, grammar, sampling)
        reply = _Reply(max_pieces=sampling.max_tokens)
        url = f"{self._url}/chat/completions"
        try:
            async with (
                asyncio.timeout(timeout),
                _request(
                    self._session, "POST", url, base_url=self._url, api_key=self._api_key, wait=self.wait, body=body
                ) as response,
            ):
                await _check_status(response, self.base_url)
                await self._read_reply(response, reply, on_text)
        except TimeoutError as err:  # the turn's own limit (the request's are RemoteError already)
            raise RemoteError(
                "timeout", f"the server at {self.base_url} did not finish its reply within {timeout:g} seconds"
            ) from err
        except BackendError:
            raise
        except Exception as err:  # whatever else a reply can do, the user hears it failed, and why
            _LOGGER.exception("Unreadable reply from the model server %s", self.base_url)
            raise self._not_openai(f"a reply this agent cannot read ({type(err).__name__})") from err
        if not reply.ended:
            raise RemoteError("cannot_connect", f"the reply of the server at {self.base_url} was cut off")
        text = "".join(reply.pieces)
        self.last_prompt_tokens = reply.prompt_tokens or 0
        return Generation(
            text=text,
            prompt_tokens=reply.prompt_tokens or 0,
            # llama.cpp servers send one token a chunk, so the count of pieces is close where usage is missing
            completion_tokens=reply.completion_tokens if reply.completion_tokens is not None else len(reply.pieces),
        )

    def _not_openai(self, what: str) -> RemoteError:
        """The server answered, but not as an OpenAI chat server does."""
        return RemoteError("not_openai", f"the server at {self.base_url} sent {what}, not an OpenAI chat reply")

    def _too_long(self, what: str) -> RemoteError:
        """The reply went past a limit; the rest of it is not read (a server fault: it ignored max_tokens)."""
        return RemoteError("server_error", f"the server at {self.base_url} sent {what}; its reply was stopped there")

    async def _read_line(self, response: aiohttp.ClientResponse, reply: _Reply) -> bytes | None:
        """The next server-sent line (None at the end), counted against the reply's limits."""
        try:
            raw_line = await response.content.readline()
        except ValueError as err:  # aiohttp: "Chunk too big", a line longer than its buffer
            raise self._not_openai(f"a line longer than {LINE_LIMIT_KIB} KiB") from err
        if not raw_line:
            return None
        reply.lines += 1
        reply.bytes += len(raw_line)
        if reply.lines > reply.max_lines:
            raise self._too_long(f"more than {reply.max_lines} lines for {reply.max_pieces} tokens")
        if reply.bytes > MAX_STREAM_BYTES:
            raise self._too_long(f"more than {MAX_STREAM_BYTES >> 20} MiB")
        if reply.lines % YIELD_EVERY_LINES == 0:
            await asyncio.sleep(0)
        return raw_line

    async def _read_reply(self, response: aiohttp.ClientResponse, reply: _Reply, on_text: TextCallback | None) -> None:
        """Read a streamed (or whole) reply into `reply`, passing each piece of text to `on_text`."""
        if response.content_type == "application/json":  # a server that does not stream sends all at once
            body = await _read_body(response, MAX_REPLY_BODY)
            if len(body) >= MAX_REPLY_BODY:
                raise self._too_long(f"a reply of more than {MAX_REPLY_BODY >> 10} KiB")
            self._add_complete_reply(body, reply, on_text)
            return
        if response.content_type != "text/event-stream":
            raise self._not_openai(f"{one_line(response.content_type)[:100] or 'an unknown type of'} content")
        # Server-sent events: `data: {json}` lines, blank lines between events, `:` comments.
        while (raw_line := await self._read_line(response, reply)) is not None:
            line = raw_line.decode("utf-8", "replace").strip()
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value.strip()
            if name == "error":  # llama-server reports a failure mid-stream this way
                raise RemoteError("server_error", f"the server at {self.base_url} failed: {_error_detail(value)}")
            if name in ("event", "id", "retry"):
                continue
            if name != "data":
                raise self._not_openai("a line that is not a server-sent event")
            if value == "[DONE]":
                reply.ended = True
                return
            self._add_chunk(value, reply, on_text)

    def _add_piece(self, piece: str, reply: _Reply, on_text: TextCallback | None) -> None:
        """One piece of the reply's text, within max_tokens pieces and MAX_REPLY_CHARS characters."""
        reply.chars += len(piece)
        if reply.chars > MAX_REPLY_CHARS:
            raise self._too_long(f"more than {MAX_REPLY_CHARS} characters, more than this agent reads")
        if len(reply.pieces) >= reply.max_pieces:
            raise self._too_long(f"more than the {reply.max_pieces} tokens asked for (max_tokens)")
        reply.pieces.append(piece)
        if on_text is not None:
            on_text(piece)

    def _add_chunk(self, value: str, reply: _Reply, on_text: TextCallback | None) -> None:
        """One `data:` event of the stream."""
        try:
            chunk = _loads(value)
        except ValueError as err:
            raise self._not_openai("a line that is not JSON") from err
        if not isinstance(chunk, dict) or not ("choices" in chunk or "usage" in chunk or "error" in chunk):
            raise self._not_openai("an event without choices")
        if "error" in chunk:
            raise RemoteError("server_error", f"the server at {self.base_url} failed: {_error_detail(value)}")
        reply.add_usage(chunk.get("usage"))
        choices = chunk.get("choices") or []
        if not isinstance(choices, list):
            raise self._not_openai("an event without choices")
        for choice in choices[:1]:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if not isinstance(delta, dict):
                raise self._not_openai("a choice without a delta")
            piece = delta.get("content")
            if isinstance(piece, str) and piece:
                self._add_piece(piece, reply, on_text)
            if choice.get("finish_reason"):
                reply.ended = True

    def _add_complete_reply(self, text: str, reply: _Reply, on_text: TextCallback | None) -> None:
        """A reply that came in one JSON body (the server does not stream)."""
        try:
            data = _loads(text)
            content = data["choices"][0]["message"]["content"]
            usage = data.get("usage")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as err:
            raise self._not_openai("JSON") from err
        if not isinstance(content, str):
            raise self._not_openai("a reply without text")
        reply.chars = len(content)
        if reply.chars > MAX_REPLY_CHARS:
            raise self._too_long(f"more than {MAX_REPLY_CHARS} characters, more than this agent reads")
        reply.pieces.append(content)  # one piece, whatever its length: not counted against max_tokens
        reply.ended = True
        reply.add_usage(usage)
        if on_text is not None and content:
            on_text(content)

    async def async_close(self) -> None:
        """Nothing runs between turns; refuse new ones (the HTTP session is Home Assistant's)."""
        self._closed = True


async def async_start_remote_backend(hass: HomeAssistant, entry: ConfigEntry) -> OpenAiBackend:
    """Reach the server and learn what it supports.

    ConfigEntryNotReady while it is down or starting (Home Assistant retries and recovers when it
    returns); ConfigEntryError where the URL or the key is wrong.
    """
    base_url = entry.data[CONF_BASE_URL]  # may hold a user name and password: only requests see it
    shown = redact_url(base_url)
    api_key = entry.data.get(CONF_API_KEY) or None
    model = entry.data[CONF_REMOTE_MODEL]
    wait = float(entry.data.get(CONF_REMOTE_TIMEOUT, DEFAULT_REMOTE_TIMEOUT))
    _drop_credentials_from_unique_id(hass, entry)
    session = async_get_clientsession(hass)
    try:
        server = await async_probe_server(session, base_url, api_key, wait)
    except RemoteError as err:
        placeholders = {"url": shown, "detail": str(err)}
        if err.key == "invalid_auth":
            raise ConfigEntryError(
                translation_domain=DOMAIN, translation_key="remote_invalid_auth", translation_placeholders=placeholders
            ) from err
        if err.permanent:
            raise ConfigEntryError(
                translation_domain=DOMAIN, translation_key="remote_not_openai", translation_placeholders=placeholders
            ) from err
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="remote_not_ready", translation_placeholders=placeholders
        ) from err
    if api_key and shown != base_url:
        _LOGGER.warning("%s: the API key is sent, not the user name and password in the URL", shown)
    if server.models and model not in server.models:
        # llama.cpp servers answer with their one model whatever the name; others will say so per turn.
        # Names come from the server: %r, so that none can forge a log line.
        _LOGGER.warning("%s does not list the model %r (it lists %r)", shown, model, list(server.models[:20]))
    _LOGGER.info("Model server %s (%s) accepts %s", shown, server.kind, ", ".join(sorted(server.fields)) or "no extras")
    return OpenAiBackend(session, base_url, model=model, api_key=api_key, server=server, wait=wait)


def remote_unique_id(base_url: str, model: str) -> str:
    """An entry's unique id: the server (without credentials) and the model."""
    return f"{redact_url(base_url)}#{model}"


def _drop_credentials_from_unique_id(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Entries made before this fix kept the URL's password in their unique id: take it out,
    unless another entry for the same server and model has that id already (then the old one stays)."""
    unique_id = remote_unique_id(entry.data[CONF_BASE_URL], entry.data[CONF_REMOTE_MODEL])
    if entry.unique_id in (None, unique_id) or "@" not in entry.unique_id:
        return
    if any(other.unique_id == unique_id for other in hass.config_entries.async_entries(DOMAIN)):
        _LOGGER.warning("%s: another entry has the same server and model", unique_id)
        return
    hass.config_entries.async_update_entry(entry, unique_id=unique_id)
