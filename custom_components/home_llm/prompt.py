"""Pure prompt building: a House plus the conversation so far -> chat messages -> ChatML text.

The layout follows the model card: a persona line, `Services:`, then `Devices:` lines
`entity_id 'Name' = state`. In-context examples are made from the user's own house.

Layout for llama.cpp's prefix cache (it reuses the longest common token prefix of the previous
prompt): everything that is the same from turn to turn comes first, in a stable order (the
snapshot sorts devices by entity id), then the per-conversation history, then the user's words.
Nothing per-turn (no clock) goes into the system prompt. A state change re-reads the prompt from
the changed device line on; the prewarm (prewarm.py) does that in the background.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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


# Shown whenever a device has it: a call argument must name one of these (a player's sources),
# and the model cannot guess them from the device's name. Hvac modes are standard words: left out.
_ARGUMENT_CHOICES = ("source_list",)


def device_line(device: Device, extra_attributes: Sequence[str] = ()) -> str:
    """`light.office 'Office Light' = on`, the model card's device line.

    With `extra_attributes`, those the device has follow in the Home-LLM style:
    `light.office 'Office Light' = on;brightness=128`.
    """
    name = device.name.replace("'", "")
    line = f"{device.entity_id} '{name}' = {device.state}"
    for attribute in dict.fromkeys((*extra_attributes, *_ARGUMENT_CHOICES)):
        value = device.attributes.get(attribute)
        if value is not None:
            line += f";{attribute}={_attribute_text(value)}"
    return line


def _attribute_text(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "(" + ",".join(_attribute_text(v) for v in value) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("\n", " ")


def system_prompt(house: House, persona: str, extra_attributes: Sequence[str] = ()) -> str:
    """The model card's system prompt for this house."""
    services = [f"{domain}.{service}" for domain in house.domains for service in house.services_for(domain)]
    lines = [persona.strip(), "Services: " + ", ".join(services), "Devices:"]
    lines.extend(device_line(device, extra_attributes) for device in house.devices)
    return "\n".join(lines)


def call_line(domain: str, service: str, entity_id: str) -> str:
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
    """System prompt, in-context examples, recent turns, then the user's words."""
    messages = prefix_messages(house, persona=persona, num_examples=num_examples, extra_attributes=extra_attributes)
    messages.extend(history)
    messages.append(Message("user", user_text))
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
