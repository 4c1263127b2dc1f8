"""Pure GBNF grammar from a House: call lines can only name a service the entity's domain has.

Speech stays free (any language, digits, punctuation, several lines); a line that could be a
call must be a valid call `domain.service(entity_id)`, so a model cannot finish a call line
naming a device that is not exposed or a service that is not allowed.
"""

from __future__ import annotations

import re

from .policy import MAX_CALLS_PER_TURN
from .snapshot import House


def _rule_name(text: str) -> str:
    """GBNF rule names admit letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _alternatives(items: list[str]) -> str:
    return " | ".join(_literal(item) for item in items)


def build_grammar(house: House) -> str:
    """GBNF admitting free speech lines and call lines valid for this house."""
    rules: list[str] = []
    call_rules: list[str] = []
    for domain in house.domains:
        services = list(house.services_for(domain))
        entities = [d.entity_id for d in house.devices if d.domain == domain]
        if not services or not entities:
            continue
        name = _rule_name(domain)
        call_rules.append(f"{name}-call")
        rules.append(f'{name}-call ::= {_literal(domain + ".")} {name}-service "(" {name}-entity ")"')
        rules.append(f"{name}-service ::= {_alternatives(services)}")
        rules.append(f"{name}-entity ::= {_alternatives(entities)}")

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
    return "\n".join(header + rules) + "\n"
