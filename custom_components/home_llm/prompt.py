"""Pure prompt building: a House plus the conversation so far -> chat messages -> ChatML text.

The layout follows the model card: a persona line, `Services:`, then `Devices:` lines
`entity_id 'Name' = state`. In-context examples are made from the user's own house.

Layout for llama.cpp's prefix cache (it reuses the longest common token prefix of the previous
prompt): everything that is the same from turn to turn comes first, in a stable order (the
snapshot sorts devices by entity id), then the per-conversation history, then the user's words.
Nothing per-turn (no clock) goes into the system prompt. A state change re-reads the prompt from
the changed device line on; the prewarm (prewarm.py) does that in the background.

Every value from Home Assistant (names, states, attributes, areas, aliases) and the user's words
and history are untrusted: `clean_text` keeps each on one line and breaks the shape of chat-template
markers, so no value can add a device line or a turn. `tokenize_prompt` then makes only the chat
template's own markers special tokens (the rest is read as plain text).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .snapshot import Device, House


@dataclass(frozen=True, slots=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


# (domain, service, what the user says, what the assistant says); {name} is the device's name.
_EXAMPLE_ACTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("light", "turn_off", "turn off the {name}", "Turning off the {name} for you now."),
    ("switch", "turn_on", "switch on the {name}", "Switching on the {name}."),
    ("fan", "turn_on", "please turn on the {name}", "Turning on the {name}."),
    ("cover", "open_cover", "open the {name}", "Opening the {name}."),
    ("media_player", "media_pause", "pause the {name}", "Pausing the {name}."),
    ("vacuum", "start", "start the {name}", "Starting the {name}."),
    ("lock", "lock", "lock the {name}", "Locking the {name}."),
    ("climate", "turn_on", "turn on the {name}", "Turning on the {name}."),
    ("light", "turn_on", "turn the {name} on", "Turning on the {name}."),
    ("switch", "turn_off", "turn off the {name}", "Turning off the {name}."),
)
# Domains a state question may be about, in order of preference, with the word for "on".
_ON_WORDS = {"light": "on", "switch": "on", "fan": "on", "cover": "open", "media_player": "playing", "lock": "locked"}
_NO_CALL_EXAMPLE = (
    "what can you do?",
    "I can switch the devices of your house on and off, open and close covers and answer questions.",
)


# Anything that ends a line for a tokenizer or str.splitlines (control characters, \x85, \u2028,
# \u2029): one space, so a value cannot start a new device line.
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SURROGATES = re.compile(r"[\ud800-\udfff]")  # cannot be encoded for the tokenizer
# Shapes of chat-template markers and special tokens: `<|im_end|>`, DeepSeek's full-width bars,
# `<think>`, `</s>`, `<start_of_turn>`, `<<SYS>>`. One becomes `\u2039im_end\u203a`-like text; the body
# excludes those two quotes, so what is replaced cannot form a new marker (one pass suffices).
_TAG = re.compile("<([^\\s<>\u2039\u203a]+)>")
_BRACKET = re.compile(r"\[(/?[A-Z][A-Z_]*)\]")  # Mistral's [INST], [/INST], [TOOL_CALLS], ...
CHATML_MARKERS = ("<|im_start|>", "<|im_end|>")


def _plain_line(text: str) -> str:
    """`text` with line breaks and control characters as spaces and template markers broken."""
    text = _SURROGATES.sub("\ufffd", _BREAKS.sub(" ", text))
    return _BRACKET.sub(r"(\1)", _TAG.sub("\u2039\\1\u203a", text))


def clean_text(value: object) -> str:
    """`value` as one line of plain text: no line breaks, control characters or template markers."""
    return _plain_line(str(value)).strip()


def clean_persona(text: str) -> str:
    """The user's prompt template as rendered: its own lines kept, template markers broken."""
    return "\n".join(_plain_line(line) for line in text.replace("\r\n", "\n").split("\n"))


def _clean_value(value: object) -> object:
    """An attribute value with every string in it cleaned (numbers and flags as they are)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, (list, tuple)):
        return [_clean_value(item) for item in value]
    if isinstance(value, Mapping):
        return {clean_text(key): _clean_value(item) for key, item in value.items()}
    return value


def clean_device(device: Device) -> Device:
    """The device with every value Home Assistant gave (name, state, area, aliases, attributes) cleaned."""
    return replace(
        device,
        name=clean_text(device.name),
        state=clean_text(device.state),
        area=clean_text(device.area) if device.area is not None else None,
        aliases=tuple(clean_text(alias) for alias in device.aliases),
        attributes={key: _clean_value(value) for key, value in device.attributes.items()},
    )


def clean_house(house: House) -> House:
    """The house with every device cleaned, for prompts and prompt templates."""
    return replace(house, devices=tuple(clean_device(device) for device in house.devices))


# Shown whenever a device has it: a call argument must name one of these (a player's sources),
# and the model cannot guess them from the device's name. Hvac modes are standard words: left out.
_ARGUMENT_CHOICES = ("source_list",)


def device_line(device: Device, extra_attributes: Sequence[str] = ()) -> str:
    """`light.office 'Office Light' = on`, the model card's device line.

    With `extra_attributes`, those the device has follow in the Home-LLM style:
    `light.office 'Office Light' = on;brightness=128`.
    """
    device = clean_device(device)
    name = device.name.replace("'", "")
    line = f"{device.entity_id} '{name}' = {device.state}"
    for attribute in dict.fromkeys((*extra_attributes, *_ARGUMENT_CHOICES)):
        value = device.attributes.get(attribute)
        if value is not None:
            line += f";{attribute}={_attribute_text(value)}"
    # Cleaned once more as a whole: two values side by side can form a marker ("<" ... ">").
    return _plain_line(line)


def _attribute_text(value: object) -> str:
    """An attribute value as the device line shows it: `0.5`, `(255,0,0)`, one line of text."""
    if isinstance(value, (list, tuple)):
        return "(" + ",".join(_attribute_text(v) for v in value) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return clean_text(value)


def system_prompt(house: House, persona: str, extra_attributes: Sequence[str] = ()) -> str:
    """The model card's system prompt for this house."""
    services = [f"{domain}.{service}" for domain in house.domains for service in house.services_for(domain)]
    house = clean_house(house)
    lines = [clean_persona(persona.strip()), "Services: " + ", ".join(services), "Devices:"]
    lines.extend(device_line(device, extra_attributes) for device in house.devices)
    return "\n".join(lines)


def call_line(domain: str, service: str, entity_id: str) -> str:
    """`light.turn_on(light.kitchen)`, the model card's call line."""
    return f"{domain}.{service}({entity_id})"


def examples(house: House, count: int) -> list[tuple[str, str]]:
    """Up to `count` (user, assistant) pairs made from the house's own devices and services.

    Measured on the demo house with SmolLM2-135M: a small model copies the examples nearest
    the user's words, so the order is: a question answered without a call, commands with
    their call lines, then a question about a device's state answered without a call (without
    it, state questions were answered with a call). Only that last pair reads a state.
    """
    if count <= 0:
        return []
    house = clean_house(house)  # names and states are shown in the examples' words
    commands: list[tuple[str, str]] = []
    used: set[str] = set()
    for domain, service, said, answer in _EXAMPLE_ACTIONS:
        if service not in house.services_for(domain):
            continue
        device = next((d for d in house.devices if d.domain == domain and d.entity_id not in used), None)
        if device is None:
            continue
        used.add(device.entity_id)
        name = device.name.lower()
        reply = answer.format(name=name) + "\n" + call_line(domain, service, device.entity_id)
        commands.append((said.format(name=name), reply))
    asked = next((d for domain in _ON_WORDS for d in house.devices if d.domain == domain), None)
    state_question = (f"is the {asked.name.lower()} {_ON_WORDS[asked.domain]}?",
                      f"The {asked.name.lower()} is {asked.state}.") if asked else None
    questions = [_NO_CALL_EXAMPLE, *([state_question] if state_question else [])]
    if count == 1:
        return commands[:1] or questions[:1]
    n_commands = max(count - len(questions), 1)
    pairs = [*questions[:1], *commands[:n_commands], *questions[1:]]
    return pairs[:count] if len(pairs) > count else pairs


def prefix_messages(
    house: House, *, persona: str, num_examples: int = 0, extra_attributes: Sequence[str] = ()
) -> list[Message]:
    """The part of every prompt that does not depend on the conversation: system prompt and
    in-context examples. The prewarm evaluates exactly this."""
    messages = [Message("system", system_prompt(house, persona, extra_attributes))]
    for said, answer in examples(house, num_examples):
        messages.append(Message("user", said))
        messages.append(Message("assistant", answer))
    return messages


def build_messages(
    house: House,
    user_text: str,
    *,
    persona: str,
    history: Sequence[Message] = (),
    num_examples: int = 0,
    extra_attributes: Sequence[str] = (),
) -> list[Message]:
    """System prompt, in-context examples, recent turns, then the user's words (each on one line)."""
    messages = prefix_messages(house, persona=persona, num_examples=num_examples, extra_attributes=extra_attributes)
    messages.extend(Message(m.role, clean_text(m.content)) for m in history)
    messages.append(Message("user", clean_text(user_text)))
    return messages


def recent_turns(history: Iterable[Message], turns: int) -> list[Message]:
    """The last `turns` user/assistant exchanges of a conversation."""
    kept = [m for m in history if m.role in ("user", "assistant") and m.content]
    if turns <= 0:
        return []
    # Walk back until `turns` user messages are included.
    users = 0
    for index in range(len(kept) - 1, -1, -1):
        if kept[index].role == "user":
            users += 1
            if users == turns:
                return kept[index:]
    return kept


def to_chatml(messages: Sequence[Message]) -> str:
    """ChatML text ending with an open assistant turn for the model to complete."""
    parts = [f"<|im_start|>{m.role}\n{m.content}<|im_end|>\n" for m in messages]
    parts.append("<|im_start|>assistant\n")
    return "".join(parts)


def template_markers(llama: Any) -> set[str]:
    """The special tokens the model's chat template writes: ChatML's, those named in the GGUF's
    template source, and its BOS/EOS text. `llama` is a llama_cpp.Llama (duck-typed)."""
    template = llama.metadata.get("tokenizer.chat_template") or ""
    candidates = {*CHATML_MARKERS, *(m.group(0) for m in _TAG.finditer(template))}
    candidates |= {m.group(0) for m in _BRACKET.finditer(template)}
    for token in (llama.token_bos(), llama.token_eos()):
        if token >= 0:
            candidates.add(llama.detokenize([token], special=True).decode(errors="replace"))

    def is_special(text: str) -> bool:
        """One token when read as special, several when read as text."""
        data = text.encode()
        return len(llama.tokenize(data, add_bos=False, special=True)) == 1 < len(
            llama.tokenize(data, add_bos=False, special=False)
        )

    return {text for text in candidates if text and is_special(text)}


def tokenize_prompt(llama: Any, prompt: str) -> list[int]:
    """Tokens of a rendered prompt where only the template's markers are special tokens.

    llama.cpp itself splits text at special tokens and tokenizes the pieces apart, so this gives
    the same tokens as reading the whole prompt with special tokens on, except that a special
    token's text inside a message (an `<|endoftext|>` no template writes) stays plain text.
    """
    markers = template_markers(llama)
    if not markers:
        return llama.tokenize(prompt.encode(), add_bos=False, special=False)
    pattern = "(" + "|".join(re.escape(m) for m in sorted(markers, key=len, reverse=True)) + ")"
    tokens: list[int] = []
    for index, piece in enumerate(re.split(pattern, prompt)):
        if piece:  # odd pieces are the markers themselves
            tokens += llama.tokenize(piece.encode(), add_bos=False, special=index % 2 == 1)
    return tokens
