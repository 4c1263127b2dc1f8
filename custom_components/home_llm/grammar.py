"""Pure GBNF grammar from a House: call lines can only name a service the entity's domain has.

Speech stays free (any language, digits, punctuation, several lines); a line that could be a
call must be a valid call `domain.service(entity_id, name=value, ...)`, so a model cannot finish
a call line naming a device that is not exposed, a service that is not allowed, an argument the
service does not take or a value outside what the entity accepts (arguments.py): numbers within
the entity's range, modes from its own lists.
"""

from __future__ import annotations

import math
import re

from .arguments import (
    SERVICE_SLOTS,
    Choice,
    Duration,
    Flag,
    Range,
    Rgb,
    Text,
    ValueDomain,
    service_available,
    usable_choices,
)
from .policy import MAX_CALLS_PER_TURN
from .snapshot import House

MAX_GRAMMAR_ITEM = 60  # longest to-do item the grammar lets the model write


def _rule_name(text: str) -> str:
    """GBNF rule names admit letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _alternatives(items: list[str]) -> str:
    return " | ".join(_literal(item) for item in items)


def _digits(low: str, high: str) -> list[str]:
    """GBNF sequences for the digit strings of one length from `low` to `high`."""
    if not low:
        return [""]
    if low[0] == high[0]:
        return [f'"{low[0]}" {rest}'.strip() for rest in _digits(low[1:], high[1:])]
    width = len(low) - 1
    out: list[str] = []
    first, last = int(low[0]), int(high[0])
    if low[1:] != "0" * width:
        out += [f'"{low[0]}" {rest}'.strip() for rest in _digits(low[1:], "9" * width)]
        first += 1
    tail = [] if high[1:] == "9" * width else [f'"{high[0]}" {rest}'.strip() for rest in _digits("0" * width, high[1:])]
    if tail:
        last -= 1
    if first <= last:
        out.append(f"[{first}-{last}]" + " [0-9]" * width)
    return out + tail


def int_range(low: int, high: int) -> list[str]:
    """GBNF alternatives for the integers low..high (not negative) without leading zeros."""
    out: list[str] = []
    for length in range(len(str(max(low, 0))), len(str(high)) + 1):
        first = max(low, 0 if length == 1 else 10 ** (length - 1))
        last = min(high, 10**length - 1)
        if first <= last:
            out += _digits(str(first), str(last))
    return out


# The largest number the grammar writes. A device's bounds are untrusted: max_temp=1e308 made a 701 kB
# grammar (its size grows with the digits of the bound); no setting a person speaks needs more digits.
GRAMMAR_MAX_NUMBER = 999_999


def _number(value_range: Range) -> str | None:
    """GBNF for the numbers of a range as the model may write them (not negative, at most 999,999)."""
    low = max(math.ceil(value_range.low), 0)
    high = math.floor(min(value_range.high, GRAMMAR_MAX_NUMBER))
    if low > high:
        return None
    if value_range.integer:
        return " | ".join(int_range(low, high))
    # Up to two decimals below the top; the top itself only as a whole number.
    parts = [f'({alt}) ("." [0-9] [0-9]?)?' for alt in int_range(low, high - 1)] if low < high else []
    return " | ".join([*parts, f'"{high}"'])


def value_gbnf(value: ValueDomain) -> str | None:
    """A GBNF expression for the values of one argument, as the parser reads them back."""
    match value:
        case Range():
            return _number(value)
        case Choice(options):
            return '"\\"" (' + _alternatives(list(options)) + ') "\\""'
        case Rgb():
            byte = "(" + " | ".join(int_range(0, 255)) + ")"
            return f'"(" {byte} ", " {byte} ", " {byte} ")"'
        case Flag():
            return '"true" | "false"'  # bare words, as the parser reads them back
        case Text():
            # Plain characters only: no quote, backslash or control character; not blank at the ends.
            char = '[^"\\\\\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]'
            inner = '[^"\\\\\\x00-\\x1f\\x7f-\\x9f]'
            return f'"\\"" {char} ({inner}{{0,{MAX_GRAMMAR_ITEM - 2}}} {char})? "\\""'
        case Duration():
            return '"\\"" [0-9] ":" [0-5] [0-9] ":" [0-5] [0-9] "\\""'
    return None


class _Rules:
    """Named GBNF rules, one per distinct body, so that equal pieces are written once."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._names: dict[str, str] = {}

    def name(self, prefix: str, body: str) -> str:
        if body not in self._names:
            self._names[body] = f"{prefix}-{len(self._names)}"
            self.lines.append(f"{self._names[body]} ::= {body}")
        return self._names[body]


def _arguments_gbnf(
    rules: _Rules, slots: list[list[tuple[tuple[str, ValueDomain], ...]]], required: list[bool]
) -> str | None:
    """`, name=value` pieces in slot order; an optional slot may be left out."""
    pieces: list[str] = []
    for groups, needed in zip(slots, required, strict=True):
        alternatives = []
        for group in groups:
            sequence = []
            for name, value in group:
                body = value_gbnf(value)
                if body is None:
                    break
                sequence.append(f'", {name}=" {rules.name("value", body)}')
            else:
                alternatives.append(" ".join(sequence))
        if not alternatives:
            if needed:
                return None
            continue
        piece = "(" + " | ".join(alternatives) + ")"
        pieces.append(piece if needed else piece + "?")
    return " ".join(pieces)


def build_grammar(house: House) -> str:
    """GBNF admitting free speech lines and call lines valid for this house."""
    rules = _Rules()
    call_rules: list[str] = []
    for domain in house.domains:
        alternatives: list[str] = []
        for service in house.services_for(domain):
            # Entities with the same argument rule share one alternative.
            by_arguments: dict[str, list[str]] = {}
            for device in house.devices:
                if device.domain != domain or not service_available(domain, service, device):
                    continue
                slots = usable_choices(domain, service, device)
                arguments = _arguments_gbnf(rules, slots, _required(domain, service))
                if arguments is not None:
                    by_arguments.setdefault(arguments, []).append(device.entity_id)
            for arguments, entities in by_arguments.items():
                entity_rule = rules.name("entity", _alternatives(entities))
                alternatives.append(f'{_literal(service + "(")} {entity_rule} {arguments} ")"'.replace("  ", " "))
        if alternatives:
            call_rules.append(f"{_rule_name(domain)}-call")
            rules.lines.append(f"{_rule_name(domain)}-call ::= {_literal(domain + '.')} ({' | '.join(alternatives)})")

    header = [
        # Speech comes first. Its first line is free but never ends with ")" (nor with blanks
        # after it); later lines start with anything but a lowercase letter, so a line that
        # starts like `light.` is held to the call rules below.
        'speech ::= text? ("\\n" more?)*',
        "text ::= [^\\n]* [^)\\n\\r \\t]",
        "more ::= [^a-z_\\n] text?",
    ]
    if call_rules:
        # Then at most MAX_CALLS_PER_TURN call lines, as in the model card.
        header.insert(0, 'root ::= speech ("\\n" calls)? | calls')
        header.append(f'calls ::= call ("\\n" call){{0,{MAX_CALLS_PER_TURN - 1}}}')
        header.append("call ::= " + " | ".join(call_rules))
    else:
        header.insert(0, "root ::= speech")
    return "\n".join(header + rules.lines) + "\n"


def _required(domain: str, service: str) -> list[bool]:
    return [slot.required for slot in SERVICE_SLOTS.get((domain, service), ())]
