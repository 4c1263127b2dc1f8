"""A test-side reading of our GBNF: turns a non-recursive grammar into one Python regex.

This lets tests check which strings the grammar admits (and hypothesis generate them) without
llama.cpp. It covers the constructs grammar.py writes: literals, character classes, rule
references, groups, alternation, the * + ? {m,n} operators and \\x / \\u escapes.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<literal>"(?:[^"\\]|\\.)*") |
    (?P<cls>\[(?:[^\]\\]|\\.)*\]) |
    (?P<name>[a-zA-Z0-9-]+) |
    (?P<op>[()|*+?]|\{\d+(?:,\d*)?\})
    )""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "]": "]", "[": "[", "-": "-", "^": "^"}


def _unescape(body: str) -> str:
    """GBNF escapes: \\n \\r \\t \\\\ \\" \\] ..., and \\xHH / \\uHHHH code points."""

    def one(match: re.Match[str]) -> str:
        if match.group("hex"):
            return chr(int(match.group("hex")[1:], 16))
        return _ESCAPES.get(match.group("char"), match.group("char"))

    return re.sub(r"\\(?:(?P<hex>x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4})|(?P<char>.))", one, body)


def parse_rules(grammar: str) -> dict[str, str]:
    rules: dict[str, str] = {}
    for line in grammar.split("\n"):  # GBNF lines end at \n only
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, body = line.partition("::=")
            rules[name.strip()] = body.strip()
    return rules


def gbnf_to_regex(grammar: str, start: str = "root") -> re.Pattern[str]:
    rules = parse_rules(grammar)

    def rule(name: str, seen: tuple[str, ...]) -> str:
        if name in seen:
            raise ValueError(f"recursive rule {name}")
        return "(?:" + expression(rules[name], (*seen, name)) + ")"

    def expression(body: str, seen: tuple[str, ...]) -> str:
        out: list[str] = []
        position = 0
        while position < len(body):
            if body[position:].strip() == "":
                break
            match = _TOKEN.match(body, position)
            if match is None:
                raise ValueError(f"cannot read {body[position:]!r}")
            position = match.end()
            if match.group("literal"):
                out.append(re.escape(_unescape(match.group("literal")[1:-1])))
            elif match.group("cls"):
                inner = match.group("cls")[1:-1]
                negate = inner.startswith("^")
                chars = _unescape(inner[1:] if negate else inner)
                escaped = "".join("\\" + c if c in "\\]^[" else c for c in chars)
                out.append("[" + ("^" if negate else "") + escaped + "]")
            elif match.group("name"):
                out.append(rule(match.group("name"), seen))
            else:
                op = match.group("op")
                out.append("(?:" if op == "(" else op)
        return "".join(out)

    return re.compile(rule(start, ()), re.DOTALL)


def accepts(grammar: str, text: str) -> bool:
    return gbnf_to_regex(grammar).fullmatch(text) is not None
