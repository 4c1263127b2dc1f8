"""Pure parsing of a model reply into speech and service calls. Never raises.

Formats read (all in one pass, whatever the model):
- v001 lines `light.turn_on(light.kitchen)`, optionally with arguments
  `light.turn_on(light.kitchen, brightness=128, rgb_color=(255,0,0))`, bare or in a ``` fence;
- v2/v3 JSON lines `{"service": "light.turn_on", "target_device": "light.kitchen", ...}`;
- `<tool_call>{"name": "light.turn_on", "arguments": {"entity_id": "light.kitchen"}}</tool_call>`.
`<think>` blocks are dropped from the speech. With a grammar in use (GRAMMAR in the formats),
calls are read from the reply exactly as the grammar let the model write it, before any block is
dropped: the grammar admits `light.turn_on(...)<think></think>` as speech, and so must the parser.
The output is untrusted: nothing here decides whether a call is allowed, that is the policy's job
(actions.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .const import CONF_REPLY_FORMAT

MAX_REPLY_CHARS = 20_000  # longer replies are cut: a runaway model must not stall the parser
MAX_CALLS = 50

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_CALL_LINE = re.compile(rf"[ \t]*(?P<domain>{_NAME})\.(?P<service>{_NAME})\((?P<args>.*)\)[ \t]*")
# Lines that look like a call (v001 or JSON) without being a readable one. `[^\s(]*\(` stops at the
# first "(": `\S*\(` backtracked over every "(" of the line (quadratic, 0.4 s for 20k of them).
_CALL_SHAPED = re.compile(r"[ \t]*(?:[A-Za-z_]\w*\.[^\s(]*\(.*\)|\{.*\})[ \t\r]*")
_KEYWORD = re.compile(rf"\s*({_NAME})\s*=")
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL | re.IGNORECASE)
_TOOL_CALL = re.compile(r"<tool_call>(.*?)(?:</tool_call>|$)", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"^\s*```")
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<tuple>\((?P<tuple_body>[^()]*)\)) |
        (?P<list>\[(?P<list_body>[^\[\]]*)\]) |
        (?P<quoted>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*') |
        (?P<bare>[^,()\[\]"'=]+)
    )\s*""",
    re.VERBOSE,
)

# Intent-style tool names some models write, mapped to a service per domain.
_INTENT_SERVICES: dict[str, dict[str, str]] = {
    "hassturnon": {"cover": "open_cover", "lock": "lock", "valve": "open_valve", "*": "turn_on"},
    "hassturnoff": {"cover": "close_cover", "lock": "unlock", "valve": "close_valve", "*": "turn_off"},
    "hasstoggle": {"*": "toggle"},
}


_TARGET_KEYS = ("entity_id", "target_device", "target", "name")

LINES = "lines"  # v001: light.turn_on(light.kitchen)
JSON = "json"  # v2/v3: {"service": ..., "target_device": ...}
TOOL_CALL = "tool_call"  # <tool_call>{"name": ..., "arguments": {...}}</tool_call>
ALL_FORMATS = frozenset({LINES, JSON, TOOL_CALL})
GRAMMAR = "grammar"  # not a format: the reply was written under the house grammar (lines only)
AUTO = "auto"  # reply format option: read every format, whichever the model writes
REPLY_FORMATS = (AUTO, LINES, JSON, TOOL_CALL)


@dataclass(frozen=True, slots=True)
class Call:
    """A service call as the model wrote it (not yet validated)."""

    domain: str
    service: str
    entity_id: str
    arguments: dict[str, object] = field(default_factory=dict)

    @property
    def service_name(self) -> str:
        return f"{self.domain}.{self.service}"


@dataclass(frozen=True, slots=True)
class Reply:
    speech: str
    calls: tuple[Call, ...]


def reply_formats(options: Mapping[str, object], *, grammar_in_use: bool) -> frozenset[str]:
    """The formats to read: the grammar's own (lines, read as it wrote them) when one is in use,
    else the option's."""
    if grammar_in_use:
        return frozenset({LINES, GRAMMAR})
    chosen = options.get(CONF_REPLY_FORMAT, AUTO)
    return frozenset({chosen}) if chosen in ALL_FORMATS else ALL_FORMATS


def parse_reply(text: str, formats: frozenset[str] = ALL_FORMATS) -> Reply:
    """Split a model reply into the words for the user and the calls it asks for.

    `formats` limits the call formats read: with a grammar in use, only the one it produces,
    so that text the grammar admits as speech is never read as a call.
    """
    if not isinstance(text, str):
        return Reply("", ())
    text = text[:MAX_REPLY_CHARS]
    if GRAMMAR in formats:  # calls as the grammar wrote them; blocks dropped from the speech only
        calls, speech_lines = _read_lines(text, formats)
        _no_calls, speech_lines = _read_lines(_THINK.sub("", "\n".join(speech_lines)), frozenset())
        return Reply(speech=" ".join(speech_lines).strip(), calls=tuple(calls[:MAX_CALLS]))
    text = _THINK.sub("", text)
    calls: list[Call] = []

    def tool_call(match: re.Match[str]) -> str:
        call = _call_from_json(_loads(match.group(1).strip()))
        if call is not None:
            calls.append(call)
        return "\n"

    if TOOL_CALL in formats:
        text = _TOOL_CALL.sub(tool_call, text)
    line_calls, speech_lines = _read_lines(text, formats)
    calls += line_calls
    speech = " ".join(speech_lines).strip()
    return Reply(speech=speech, calls=tuple(calls[:MAX_CALLS]))


def _read_lines(text: str, formats: frozenset[str]) -> tuple[list[Call], list[str]]:
    """The calls of `text`'s lines (in `formats`) and its speech lines, stripped."""
    calls: list[Call] = []
    speech_lines: list[str] = []
    # Lines end at "\n" only, as in the grammar (str.splitlines would also split at \u2028...).
    for raw_line in text.split("\n"):
        line = raw_line.removesuffix("\r")
        if _FENCE.match(line):
            continue  # fence markers (```homeassistant, ```json, ```) are never speech
        call = _call_from_line(line, formats)
        if call is not None:
            calls.append(call)
        elif _CALL_SHAPED.fullmatch(line):
            continue  # a call it cannot read (`volume.set_bed_volume(40)`) is not words for the user
        elif line.strip():
            speech_lines.append(line.strip())
    return calls, speech_lines


def _call_from_line(line: str, formats: frozenset[str]) -> Call | None:
    stripped = line.strip()
    if stripped.startswith("{"):
        return _call_from_json(_loads(stripped)) if JSON in formats else None
    match = _CALL_LINE.fullmatch(line) if LINES in formats else None
    if match is None:
        return None
    parsed = _parse_arguments(match.group("args"))
    if parsed is None:
        return None
    positional, keywords = parsed
    if not positional and isinstance(keywords.get("entity_id"), str):
        positional = [keywords.pop("entity_id")]  # light.turn_on(entity_id=light.kitchen)
    if len(positional) != 1 or not isinstance(positional[0], str):
        return None
    return Call(match.group("domain").lower(), match.group("service").lower(), positional[0], keywords)


def _parse_arguments(text: str) -> tuple[list[object], dict[str, object]] | None:
    """`light.kitchen, brightness=128, rgb_color=(255,0,0)` -> (["light.kitchen"], {...})."""
    positional: list[object] = []
    keywords: dict[str, object] = {}
    position = 0
    text = text.strip()
    while position < len(text):
        key = None
        key_match = _KEYWORD.match(text, position)  # no slicing: a copy per argument was quadratic
        if key_match:
            key = key_match.group(1)
            position = key_match.end()
        token = _TOKEN.match(text, position)
        if token is None or token.end() == position:
            return None
        position = token.end()
        value = _value(token)
        if key is None:
            if keywords or positional:
                return None  # positional after keyword, or a second one: not a call (stops 10k-argument lines early)
            positional.append(value)
        else:
            keywords[key] = value
        if position < len(text):
            if text[position] != ",":
                return None
            position += 1
    return positional, keywords


def _value(token: re.Match[str]) -> object:
    if token.group("tuple") is not None or token.group("list") is not None:
        body = token.group("tuple_body") if token.group("tuple") is not None else token.group("list_body")
        return [_scalar(part.strip()) for part in body.split(",") if part.strip()]
    if token.group("quoted") is not None:
        return token.group("quoted")[1:-1]
    return _scalar(token.group("bare").strip())


def _scalar(text: str) -> object:
    text = text.strip().strip("'\"")
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _loads(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _call_from_json(data: object) -> Call | None:
    """v2/v3 `{"service": ..., "target_device": ...}` or tool `{"name": ..., "arguments": {...}}`."""
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("arguments"), str):
        data = {**data, "arguments": _loads(data["arguments"])}
    if isinstance(data.get("name"), str) and isinstance(data.get("arguments"), dict):
        service_name, arguments = data["name"], dict(data["arguments"])
    elif isinstance(data.get("service"), str):
        service_name, arguments = data["service"], {k: v for k, v in data.items() if k != "service"}
    else:
        return None
    # Exactly one target, an entity id string; anything else (lists, area targets) is no call.
    targets = {key: arguments.pop(key) for key in _TARGET_KEYS if key in arguments}
    if len(set(map(repr, targets.values()))) != 1:
        return None
    target = next(iter(targets.values()))
    if not isinstance(target, str):
        return None
    if "." in service_name:
        domain, _, service = service_name.partition(".")
    else:
        mapping = _INTENT_SERVICES.get(service_name.lower())
        domain = target.split(".", 1)[0]
        if mapping is None or "." not in target:
            return None
        service = mapping.get(domain, mapping["*"])
    if not re.fullmatch(_NAME, domain) or not re.fullmatch(_NAME, service):
        return None
    return Call(domain.lower(), service.lower(), target, arguments)
