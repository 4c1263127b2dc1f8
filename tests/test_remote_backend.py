"""The agent against a remote OpenAI-compatible server.

Real turns go to llama-cpp-python's own server (`python -m llama_cpp.server`) with the default
model on the demo house: the same turns as tests/test_real_model.py, through the remote backend.
Faults come from real servers too: the llama.cpp server killed mid-stream or down at set-up, and
small aiohttp servers that answer too slowly, with garbage, with a cut-off stream or with 401.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from homeassistant.components import conversation
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, CoreState, HomeAssistant
from homeassistant.helpers import intent
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser, async_fire_time_changed

from custom_components.home_llm.backends import Sampling
from custom_components.home_llm.backends.openai import OpenAiBackend, RemoteError
from custom_components.home_llm.const import (
    ALLOWED_SERVICES,
    BACKEND_REMOTE,
    CONF_API_KEY,
    CONF_BACKEND,
    CONF_BASE_URL,
    CONF_REMOTE_MODEL,
    CONF_REMOTE_TIMEOUT,
    CONF_RESPONSE_TIMEOUT,
    DOMAIN,
)
from custom_components.home_llm.prompt import Message

from .remote_servers import stream_events

if TYPE_CHECKING:
    from .remote_servers import DyingServerProcess, FaultServer, LlamaServerProcess

pytest_plugins = ["tests.remote_servers"]
pytestmark = pytest.mark.real_model
AGENT = "conversation.home_llm"
GREEDY = Sampling(temperature=0.0, top_k=40, top_p=1.0, min_p=0.0, max_tokens=64)


def remote_entry(
    base_url: str, *, api_key: str | None = None, model: str = "fault-model", timeout: float = 30, **options: Any
) -> MockConfigEntry:
    data = {
        CONF_BACKEND: BACKEND_REMOTE,
        CONF_BASE_URL: base_url,
        CONF_REMOTE_MODEL: model,
        CONF_REMOTE_TIMEOUT: timeout,
    }
    if api_key:
        data[CONF_API_KEY] = api_key
    return MockConfigEntry(domain=DOMAIN, data=data, options=options, title="Home LLM")


@pytest.fixture
async def add_agent(hass: HomeAssistant) -> AsyncIterator[Callable[..., Any]]:
    """Add a remote agent entry and set it up; unloaded when the test ends."""
    entries: list[MockConfigEntry] = []

    async def add(base_url: str, **kwargs: Any) -> MockConfigEntry:
        entry = remote_entry(base_url, **kwargs)
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        entries.append(entry)
        return entry

    yield add
    for entry in entries:
        if entry.state is ConfigEntryState.LOADED:
            assert await hass.config_entries.async_unload(entry.entry_id)


def device_states(hass: HomeAssistant) -> dict[str, str]:
    return {s.entity_id: s.state for s in hass.states.async_all() if s.domain in ALLOWED_SERVICES}


async def say(hass: HomeAssistant, text: str, user: MockUser | None = None) -> conversation.ConversationResult:
    return await conversation.async_converse(
        hass=hass, text=text, conversation_id=None, context=Context(user_id=user.id if user else None),
        language="en", agent_id=AGENT,
    )  # fmt: skip


def speech(result: conversation.ConversationResult) -> str:
    return result.response.speech["plain"]["speech"]


def assert_clear_failure(hass: HomeAssistant, result: conversation.ConversationResult, expected: str) -> None:
    """The user is told what went wrong, and Home Assistant runs on."""
    assert result.response.response_type is intent.IntentResponseType.ERROR
    assert speech(result).startswith("Sorry, the model failed: ")
    assert expected in speech(result)
    assert hass.state is CoreState.running


# --- real turns against llama-cpp-python's server ---


async def test_turn_off_the_kitchen_lights(
    hass: HomeAssistant,
    demo_house: HomeAssistant,
    llama_server: LlamaServerProcess,
    add_agent,
    hass_admin_user: MockUser,
) -> None:
    entry = await add_agent(**llama_server.entry_data)
    backend = entry.runtime_data
    assert isinstance(backend, OpenAiBackend)
    # llama-cpp-python's server lists the grammar among its request fields: the house grammar goes along.
    assert backend.server.kind == "openapi"
    assert {"grammar", "top_k", "min_p"} <= backend.server.fields
    assert backend.server.models == (llama_server.model_id,)

    assert hass.states.get("light.kitchen_lights").state == "on"
    # Not one of Home Assistant's own sentences ("turn off the kitchen lights" would run without the server).
    result = await say(hass, "shut the kitchen lights off now", hass_admin_user)
    assert hass.states.get("light.kitchen_lights").state == "off"
    assert result.response.response_type is intent.IntentResponseType.ACTION_DONE
    assert [t.id for t in result.response.success_results] == ["light.kitchen_lights"]
    assert "kitchen lights" in speech(result).lower()


async def test_question_touches_nothing(
    hass: HomeAssistant,
    demo_house: HomeAssistant,
    llama_server: LlamaServerProcess,
    add_agent,
    hass_admin_user: MockUser,
) -> None:
    await add_agent(**llama_server.entry_data)
    before = device_states(hass)
    result = await say(hass, "is the bed light on?", hass_admin_user)
    assert device_states(hass) == before
    assert result.response.response_type is intent.IntentResponseType.QUERY_ANSWER
    assert "bed light" in speech(result).lower()


async def test_streams_the_reply_piece_by_piece(
    hass: HomeAssistant, core: HomeAssistant, llama_server: LlamaServerProcess, add_agent
) -> None:
    backend = (await add_agent(**llama_server.entry_data)).runtime_data
    pieces: list[str] = []
    generation = await backend.async_generate(
        [Message("system", "You are a helpful assistant."), Message("user", "Name three colours.")],
        grammar='root ::= "Red, green and blue" [.!]',
        sampling=GREEDY,
        timeout=60,
        on_text=pieces.append,
    )
    assert generation.text in {"Red, green and blue.", "Red, green and blue!"}
    assert len(pieces) > 1
    assert "".join(pieces) == generation.text
    assert generation.completion_tokens == len(pieces)


# --- faults: the server goes away ---


async def test_down_at_setup_then_recovers(hass: HomeAssistant, core: HomeAssistant, fault_server, add_agent) -> None:
    """ConfigEntryNotReady while nothing listens; Home Assistant's retry loads it once the server is back."""
    gone = await fault_server()
    port = gone.port
    await gone.stop()
    entry = await add_agent(gone.base_url)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason == (
        "The model server is not ready, Home Assistant will retry: "
        f"cannot connect to the server at {gone.base_url}: connection refused"
    )
    assert hass.states.get(AGENT) is None

    await fault_server(port=port, reply="Back again.")
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert speech(await say(hass, "hello")) == "Back again."


async def test_real_server_killed_mid_stream(
    hass: HomeAssistant,
    demo_house: HomeAssistant,
    llama_server: LlamaServerProcess,
    add_agent,
    hass_admin_user: MockUser,
) -> None:
    """SIGKILL while the reply streams; the next turn says the server is gone; back when it is."""
    backend = (await add_agent(**llama_server.entry_data)).runtime_data

    def kill_on_first_piece(_piece: str) -> None:
        if llama_server.running:
            llama_server.kill()

    with pytest.raises(RemoteError, match="was lost during its reply"):
        await backend.async_generate(
            [Message("user", "Write a very long story about a dragon who lives in a castle.")],
            grammar=None,
            sampling=Sampling(temperature=0.0, top_k=40, top_p=1.0, min_p=0.0, max_tokens=1000),
            timeout=60,
            on_text=kill_on_first_piece,
        )
    assert not llama_server.running

    result = await say(hass, "shut the kitchen lights off now", hass_admin_user)
    assert_clear_failure(hass, result, "connection refused")
    assert hass.states.get("light.kitchen_lights").state == "on"

    llama_server.start()  # the same backend works again without a reload
    generation = await backend.async_generate(
        [Message("user", "Say yes.")], grammar='root ::= "yes"', sampling=GREEDY, timeout=60
    )
    assert generation.text == "yes"


async def test_server_process_dies_mid_stream(
    hass: HomeAssistant, core: HomeAssistant, dying_server: DyingServerProcess, add_agent
) -> None:
    """A server process that dies by SIGKILL after two pieces of its reply: a clear reply, twice."""
    await add_agent(dying_server.base_url)
    result = await say(hass, "shut the kitchen lights off now")
    assert_clear_failure(hass, result, "was lost during its reply")
    assert dying_server.wait_dead() == -9
    result = await say(hass, "shut the kitchen lights off now")
    assert_clear_failure(hass, result, "connection refused")


# --- faults: the server answers badly ---


@pytest.mark.usefixtures("core")
@pytest.mark.parametrize(
    "case",
    [
        ("slow", {CONF_RESPONSE_TIMEOUT: 1}, "did not finish its reply within 1 seconds"),
        ("slow", {"timeout": 1}, "sent nothing for 1 seconds"),
        ("garbage", {}, "sent text/html content, not an OpenAI chat reply"),
        ("garbage_stream", {}, "sent a line that is not JSON, not an OpenAI chat reply"),
        ("truncated", {}, "was cut off"),
        ("unauthorized", {}, "refused the API key (HTTP 401: Invalid API key)"),
    ],
    ids=[
        "slower-than-turn-timeout",
        "silent-longer-than-server-timeout",
        "garbage",
        "garbage-stream",
        "truncated",
        "401",
    ],
)
async def test_bad_replies_get_a_clear_answer(
    hass: HomeAssistant, fault_server, add_agent, case: tuple[str, dict[str, Any], str]
) -> None:
    mode, settings, expected = case
    server: FaultServer = await fault_server("stream", reply="All done.")
    entry = await add_agent(server.base_url, **settings)
    assert entry.state is ConfigEntryState.LOADED
    server.mode = mode  # goes wrong after set-up, in the middle of a day
    assert_clear_failure(hass, await say(hass, "hello"), expected)
    assert entry.state is ConfigEntryState.LOADED

    server.mode = "stream"  # and works again once the server is fine
    result = await say(hass, "hello")
    assert speech(result) == "All done."


async def test_wrong_api_key_is_a_setup_error(
    hass: HomeAssistant, core: HomeAssistant, llama_server: LlamaServerProcess, add_agent
) -> None:
    entry = await add_agent(**{**llama_server.entry_data, "api_key": "not-the-key"})
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason.startswith("Wrong API key: ")
    assert "HTTP 401" in entry.reason
    entry = await add_agent(**{**llama_server.entry_data, "api_key": None})
    assert entry.state is ConfigEntryState.SETUP_ERROR


async def test_not_an_openai_api_is_a_setup_error(
    hass: HomeAssistant, core: HomeAssistant, fault_server, add_agent
) -> None:
    server = await fault_server("html_models")
    entry = await add_agent(server.base_url)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert "is not an OpenAI-compatible API" in entry.reason


async def test_server_starting_up_is_not_ready(
    hass: HomeAssistant, core: HomeAssistant, fault_server, add_agent
) -> None:
    """A server whose models list does not come in time is retried, not given up on."""
    server = await fault_server("hang")
    entry = await add_agent(server.base_url, timeout=1)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "sent nothing for 1 seconds" in entry.reason


async def test_calls_from_the_server_pass_the_policy(
    hass: HomeAssistant, demo_house: HomeAssistant, fault_server, add_agent, hass_admin_user: MockUser
) -> None:
    """The server's reply is as untrusted as a local model's: the lock stays locked."""
    server = await fault_server(reply="Unlocking the front door.\nlock.unlock(lock.front_door)")
    await add_agent(server.base_url)
    result = await say(hass, "unlock the front door", hass_admin_user)
    assert hass.states.get("lock.front_door").state == "locked"
    assert "I did not run lock.unlock on lock.front_door" in speech(result)
    assert [t.id for t in result.response.failed_results] == ["lock.front_door"]


# --- what the server supports decides what is sent ---


async def test_llama_server_gets_the_grammar_and_the_prompt_cache(
    hass: HomeAssistant, demo_house: HomeAssistant, fault_server, add_agent
) -> None:
    """A server with llama-server's /props gets grammar, cache_prompt and llama.cpp's samplers."""
    server = await fault_server("stream", props=True)
    backend = (await add_agent(server.base_url)).runtime_data
    assert backend.server.kind == "llama-server"
    await say(hass, "shut the kitchen lights off now")
    body = server.bodies[-1]
    assert body["grammar"].startswith("root ::=")
    assert "light.kitchen_lights" in body["grammar"]
    assert body["cache_prompt"] is True
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert (body["top_k"], body["min_p"], body["temperature"]) == (40, 0.0, 0.0)
    assert body["messages"][0]["role"] == "system"
    assert "light.kitchen_lights 'Kitchen Lights'" in body["messages"][0]["content"]
    assert body["messages"][-1] == {"role": "user", "content": "shut the kitchen lights off now"}


async def test_plain_openai_server_gets_only_openai_fields(
    hass: HomeAssistant, demo_house: HomeAssistant, fault_server, add_agent
) -> None:
    server = await fault_server("stream")
    backend = (await add_agent(server.base_url)).runtime_data
    assert backend.server.kind == "openai"
    await say(hass, "shut the kitchen lights off now")
    body = server.bodies[-1]
    assert not {"grammar", "cache_prompt", "top_k", "min_p"} & set(body)
    assert body["model"] == "fault-model"


# --- untrusted servers: no stall, no crash, no leaked password ---


@asynccontextmanager
async def worst_loop_lag() -> AsyncIterator[dict[str, float]]:
    """A task that sleeps 1 ms in a loop; yields the longest gap it saw between its wake-ups, in seconds:
    "wall" (what a user feels; on a busy machine, other processes add to it) and "cpu" (the event loop
    thread's own work in the gap, which is what this code controls)."""
    worst = {"wall": 0.0, "cpu": 0.0}

    async def probe() -> None:
        while True:
            wall, cpu = time.perf_counter(), time.thread_time()
            await asyncio.sleep(0.001)
            worst["wall"] = max(worst["wall"], time.perf_counter() - wall - 0.001)
            worst["cpu"] = max(worst["cpu"], time.thread_time() - cpu)

    # A full collection of the whole test session's heap landing in the window is not this code's work
    # (once measured 0.65 s on the older stack): collect now and freeze what exists, so a collection in the
    # window scans only what the code under test made.
    gc.collect()
    gc.freeze()
    task = asyncio.create_task(probe())
    try:
        yield worst
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        gc.unfreeze()


def events(pieces: list[str], *, finish: bool = True) -> bytes:
    """An event stream of `pieces`, as one block of bytes."""
    return b"".join(stream_events(pieces, finish=finish))


MAX_TOKENS = 4096  # the largest the options allow
STREAM_SHAPES = {
    # A server that ignores max_tokens: the 200,000 chunks (4.6 MB).
    "ignores-max-tokens": (events(["hi "] * 200_000), "more than the 4096 tokens asked for (max_tokens)"),
    "over-20000-characters": (events(["x" * 100] * 300), "more than 20000 characters"),
    "full-size-reply": (events(["Ok, "] * MAX_TOKENS), None),
    "backtracking-line": (events(["a." + "(" * 15_000, "\n", *["b"] * 4000]), None),
    "many-short-lines": (events(["Hello there.\n"] * 1500), None),
    "blank-line-flood": (b"\n" * 3_000_000, "more than 16640 lines for 4096 tokens"),
    "empty-event-flood": (b'data: {"choices": []}\n' * 20_000, "more than 16640 lines"),
    "line-over-128-KiB": (events(["x" * 200_000]), "sent a line longer than 128 KiB"),
    "deeply-nested-json": (b"data: " + b"[" * 100_000 + b"\n\n", "sent a line that is not JSON"),
}


@pytest.mark.usefixtures("core")
@pytest.mark.parametrize("shape", list(STREAM_SHAPES), ids=list(STREAM_SHAPES))
async def test_no_stream_stalls_the_event_loop(hass: HomeAssistant, fault_server, add_agent, shape: str) -> None:
    """Whatever a server streams, all sent at once: a clear answer, and the loop never waits over 50 ms."""
    raw, expected = STREAM_SHAPES[shape]
    server: FaultServer = await fault_server("raw")
    server.raw = raw
    await add_agent(server.base_url, max_tokens=MAX_TOKENS)
    async with worst_loop_lag() as worst:
        result = await say(hass, "hello")
    # The figures for the README (`scripts/test tests/test_remote_backend.py -k stall -s`).
    print(
        f"{shape}: longest event-loop stall {worst['cpu'] * 1000:.1f} ms of work ({worst['wall'] * 1000:.1f} ms wall)"
    )
    if expected is None:
        assert result.response.response_type is intent.IntentResponseType.QUERY_ANSWER
    else:
        assert_clear_failure(hass, result, expected)
    assert worst["cpu"] < 0.05


@pytest.mark.usefixtures("core")
async def test_password_in_the_url_is_only_sent(
    hass: HomeAssistant, fault_server, add_agent, caplog: pytest.LogCaptureFixture
) -> None:
    """`http://admin:secret@host/v1`: basic auth on the wire; never in speech, logs or the unique id."""
    server: FaultServer = await fault_server(reply="Hi.")
    url = server.base_url.replace("http://", "http://admin:s%40cret@")
    entry = await add_agent(url, model="other-model")  # not listed: a warning names the server
    assert entry.state is ConfigEntryState.LOADED
    assert server.authorizations[-1] == aiohttp.BasicAuth("admin", "s@cret").encode()
    assert speech(await say(hass, "hello")) == "Hi."
    assert server.authorizations[-1] == aiohttp.BasicAuth("admin", "s@cret").encode()
    server.mode = "garbage"
    result = await say(hass, "hello")
    assert_clear_failure(hass, result, f"the server at {server.base_url} sent text/html content")
    assert entry.runtime_data.base_url == server.base_url
    assert "cret" not in speech(result)
    assert "does not list the model" in caplog.text
    assert "cret" not in caplog.text


@pytest.mark.usefixtures("core")
async def test_api_key_and_password_in_the_url(hass: HomeAssistant, fault_server, add_agent) -> None:
    """Both given: the key goes (one Authorization header), not a crash."""
    server: FaultServer = await fault_server(reply="Hi.")
    entry = await add_agent(server.base_url.replace("http://", "http://admin:secret@"), api_key="sk-1")
    assert entry.state is ConfigEntryState.LOADED
    assert speech(await say(hass, "hello")) == "Hi."
    assert server.authorizations[-1] == "Bearer sk-1"


@pytest.mark.usefixtures("core")
async def test_old_unique_id_loses_its_password(hass: HomeAssistant, fault_server) -> None:
    """An entry made before the fix has the password in its unique id: set-up takes it out."""
    server: FaultServer = await fault_server()
    entry = remote_entry(server.base_url.replace("http://", "http://admin:secret@"))
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, unique_id=f"{entry.data[CONF_BASE_URL]}#fault-model")
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.unique_id == f"{server.base_url}#fault-model"
    assert entry.data[CONF_BASE_URL].startswith("http://admin:secret@")  # still sent with each request
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("core")
async def test_server_text_cannot_forge_log_lines(
    hass: HomeAssistant, fault_server, add_agent, caplog: pytest.LogCaptureFixture
) -> None:
    """Model names and error messages from a server are logged and spoken on one line."""
    server: FaultServer = await fault_server("raw", models=("x\nERROR forged model line",))
    await add_agent(server.base_url)
    server.raw = b'error: {"message": "bad\\nERROR forged error line\\u2028x"}\n\n'
    result = await say(hass, "hello")
    assert_clear_failure(hass, result, "failed: bad ERROR forged error line x")
    assert "\nERROR forged" not in caplog.text
