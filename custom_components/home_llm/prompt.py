"""Pure prompt building: a House plus the conversation so far -> chat messages -> ChatML text.

Three layouts (const.CONF_PROMPT_LAYOUT):
- `changes_last`: the model card's system prompt as the cached prefix last showed the house
  (a `StateBaseline` remembers it), ending with `Updated devices:` and the card's line of each device
  that changed since, then the in-context examples (today's states) and the conversation. A state
  change adds a line after the device list instead of changing one in the middle, so llama.cpp (which
  reuses the longest common token prefix of the previous prompt) re-reads only that block and the
  examples (220-280 tokens with 5 examples, whatever the house's size, devtools.reread; the prewarm
  reads them ahead).
  With no change the prompt is the card's, word for word (what the shipped adapter was trained on).
  The block sits in the system prompt, before the examples: placed after them, next to the user's
  words, the model picked devices from it (3 of 223 dev cases fewer than the card; here, 1 more).
  After CHANGES_LIMIT changed devices, or when devices come or go, the prefix shows the house anew.
- `states_last`: a persona line, `Services:`, `Devices:` lines `entity_id 'Name'` without
  states, the in-context examples that read no state, then a second system message `States:` with
  one `entity_id = state` line a device (and the attributes the options show), then the example that
  reads a state, then the conversation. A state change leaves the prompt up to the `States:` line
  the same, so only the changed state line on is read again (about 1.5 times the card's tokens:
  every entity id is written twice).
- `card`: the model card's layout, `entity_id 'Name' = state` device lines in the system prompt
  (a state change re-reads the prompt from that device line on).

Everything that is the same from turn to turn comes first, in a stable order (the snapshot sorts
devices by entity id), then the per-conversation history, then the user's words. Nothing per-turn
(no clock) goes into the system prompt; the prewarm (prewarm.py) reads a changed prefix ahead.

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

from .const import PROMPT_LAYOUT_CARD, PROMPT_LAYOUT_CHANGES_LAST, PROMPT_LAYOUT_STATES_LAST
from .snapshot import Device, House

PROMPT_LAYOUTS = (PROMPT_LAYOUT_CHANGES_LAST, PROMPT_LAYOUT_STATES_LAST, PROMPT_LAYOUT_CARD)
STATES_HEADER = "States:"
CHANGES_HEADER = "Updated devices:"
# Changed devices shown after the cached prefix before the prefix shows the house anew: each adds
# a line (about 12 tokens) to every turn, a new prefix re-reads the device lines from the first one.
CHANGES_LIMIT = 24


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
    line += _attributes_text(device, (*extra_attributes, *_ARGUMENT_CHOICES))
    # Cleaned once more as a whole: two values side by side can form a marker ("<" ... ">").
    return _plain_line(line)


def name_line(device: Device) -> str:
    """`light.office 'Office Light'`: the states_last layout's device line, without what changes
    (the state, the shown attributes); a player's sources, which a call may name, stay."""
    device = clean_device(device)
    name = device.name.replace("'", "")
    return _plain_line(f"{device.entity_id} '{name}'" + _attributes_text(device, _ARGUMENT_CHOICES))


def state_line(device: Device, extra_attributes: Sequence[str] = ()) -> str:
    """`light.office = on;brightness=128`: one line of the states_last layout's `States:` block."""
    device = clean_device(device)
    return _plain_line(f"{device.entity_id} = {device.state}" + _attributes_text(device, extra_attributes))


def _attributes_text(device: Device, attributes: Sequence[str]) -> str:
    """`;brightness=128;source_list=(TV,Radio)` for those of `attributes` the (cleaned) device has."""
    text = ""
    for attribute in dict.fromkeys(attributes):
        value = device.attributes.get(attribute)
        if value is not None:
            text += f";{attribute}={_attribute_text(value)}"
    return text


def _attribute_text(value: object) -> str:
    """An attribute value as the device line shows it: `0.5`, `(255,0,0)`, one line of text."""
    if isinstance(value, (list, tuple)):
        return "(" + ",".join(_attribute_text(v) for v in value) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return clean_text(value)


def system_prompt(
    house: House, persona: str, extra_attributes: Sequence[str] = (), layout: str = PROMPT_LAYOUT_CARD
) -> str:
    """The system prompt for this house: the model card's, or (states_last) one without states."""
    services = [f"{domain}.{service}" for domain in house.domains for service in house.services_for(domain)]
    house = clean_house(house)
    lines = [clean_persona(persona.strip()), "Services: " + ", ".join(services), "Devices:"]
    if layout == PROMPT_LAYOUT_STATES_LAST:
        lines.extend(name_line(device) for device in house.devices)
    else:
        lines.extend(device_line(device, extra_attributes) for device in house.devices)
    return "\n".join(lines)


def states_block(house: House, extra_attributes: Sequence[str] = ()) -> str:
    """`States:` and one `entity_id = state` line a device, in the house's (stable) order."""
    return "\n".join([STATES_HEADER, *(state_line(device, extra_attributes) for device in house.devices)])


class StateBaseline:
    """The house as the cached prompt prefix shows it, for the changes_last layout.

    One per model cache (conversation agent): its prewarm and its turns build their prompts with it.
    Not thread-safe: used on the event loop only.
    """

    def __init__(self, limit: int = CHANGES_LIMIT) -> None:
        self._limit = limit
        self._devices: dict[str, Device] = {}

    def split(self, house: House, extra_attributes: Sequence[str] = ()) -> tuple[House, tuple[Device, ...]]:
        """The house as the prefix shows it, and the devices whose line changed since (in house order).

        Takes `house` as the new baseline when devices came or went, or more than the limit changed.
        """
        current = {device.entity_id: device for device in house.devices}
        if current.keys() != self._devices.keys():
            self._devices = current
            return house, ()
        changed = tuple(
            device
            for device in house.devices
            if device_line(device, extra_attributes) != device_line(self._devices[device.entity_id], extra_attributes)
        )
        if len(changed) > self._limit:
            self._devices = current
            return house, ()
        shown = tuple(self._devices[device.entity_id] for device in house.devices)
        return replace(house, devices=shown), changed


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
    stable, reads_state = _example_parts(house, count)
    return stable + reads_state


def _example_parts(house: House, count: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """`examples(house, count)` split in two: the pairs that read no state, and the one that does."""
    if count <= 0:
        return [], []
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
    state_question = (
        [(f"is the {asked.name.lower()} {_ON_WORDS[asked.domain]}?", f"The {asked.name.lower()} is {asked.state}.")]
        if asked
        else []
    )
    if count == 1:
        return (commands[:1] or [_NO_CALL_EXAMPLE]), []
    n_commands = max(count - 1 - len(state_question), 1)
    stable = [_NO_CALL_EXAMPLE, *commands[:n_commands]]
    if len(stable) >= count:
        return stable[:count], []
    return stable, state_question


def prefix_messages(
    house: House,
    *,
    persona: str,
    num_examples: int = 0,
    extra_attributes: Sequence[str] = (),
    layout: str = PROMPT_LAYOUT_CARD,
    baseline: StateBaseline | None = None,
) -> list[Message]:
    """The part of every prompt that does not depend on the conversation: system prompt, in-context
    examples and the states block (states_last) or the changed devices (changes_last, with the
    `baseline` the cached prefix was built with; without one it is the card's layout).
    The prewarm evaluates exactly this."""
    if layout == PROMPT_LAYOUT_CHANGES_LAST:
        return _changes_last(house, persona, num_examples, extra_attributes, baseline)
    stable, reads_state = _example_parts(house, num_examples)
    messages = [Message("system", system_prompt(house, persona, extra_attributes, layout))]
    if layout != PROMPT_LAYOUT_STATES_LAST:
        stable, reads_state = stable + reads_state, []
    for said, answer in stable:
        messages += [Message("user", said), Message("assistant", answer)]
    if layout == PROMPT_LAYOUT_STATES_LAST:
        messages.append(Message("system", states_block(house, extra_attributes)))
    for said, answer in reads_state:
        messages += [Message("user", said), Message("assistant", answer)]
    return messages


def _changes_last(
    house: House,
    persona: str,
    num_examples: int,
    extra_attributes: Sequence[str],
    baseline: StateBaseline | None,
) -> list[Message]:
    """The changes_last prefix: the card's system prompt of the house as cached, ending with the
    changed devices' lines, then the examples with today's states."""
    shown, changed = baseline.split(house, extra_attributes) if baseline is not None else (house, ())
    if not changed:
        return prefix_messages(shown, persona=persona, num_examples=num_examples, extra_attributes=extra_attributes)
    lines = [device_line(device, extra_attributes) for device in changed]
    system = "\n".join([system_prompt(shown, persona, extra_attributes), CHANGES_HEADER, *lines])
    return [Message("system", system), *_pair_messages(examples(house, num_examples))]


def _pair_messages(pairs: Sequence[tuple[str, str]]) -> list[Message]:
    """(user, assistant) example pairs as messages."""
    return [Message(role, text) for said, answer in pairs for role, text in (("user", said), ("assistant", answer))]


def build_messages(
    house: House,
    user_text: str,
    *,
    persona: str,
    history: Sequence[Message] = (),
    num_examples: int = 0,
    extra_attributes: Sequence[str] = (),
    layout: str = PROMPT_LAYOUT_CARD,
    baseline: StateBaseline | None = None,
) -> list[Message]:
    """The prefix (prefix_messages), recent turns, then the user's words (each on one line)."""
    messages = prefix_messages(
        house,
        persona=persona,
        num_examples=num_examples,
        extra_attributes=extra_attributes,
        layout=layout,
        baseline=baseline,
    )
    messages.extend(Message(m.role, clean_text(m.content)) for m in history)
    messages.append(Message("user", clean_text(user_text)))
    return messages


def fold_system(messages: Sequence[Message]) -> list[Message]:
    """The messages with every system message after the first joined to the first one, for chat
    templates that allow one system message only (the states block then ends the system prompt)."""
    later = [m.content for m in messages[1:] if m.role == "system"]
    if not messages or messages[0].role != "system" or not later:
        return list(messages)
    first = Message("system", "\n".join([messages[0].content, *later]))
    return [first, *(m for m in messages[1:] if m.role != "system")]


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
        return (
            len(llama.tokenize(data, add_bos=False, special=True))
            == 1
            < len(llama.tokenize(data, add_bos=False, special=False))
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
