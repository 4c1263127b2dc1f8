"""The call grammar: free speech, but call lines only for exposed devices and allowed services."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.home_llm.grammar import build_grammar
from custom_components.home_llm.parser import LINES, parse_reply
from custom_components.home_llm.policy import check_calls
from custom_components.home_llm.snapshot import Device

from .gbnf import accepts, gbnf_to_regex
from .houses import CARD_HOUSE, MIXED_HOUSE, make_house

GRAMMAR = build_grammar(CARD_HOUSE)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "turning on the kitchen lights for you now\nlight.turn_on(light.kitchen)",
        "light.turn_off(light.office)\nfan.toggle(fan.office)",
        "\n\nOk\n\nlight.turn_on(light.office)",
        "If Mary is 7 years old, then you are 10 years old (7+3=10).",
        "Die Küche ist jetzt hell! 100 %\nZweite Zeile.\n\nlight.turn_on(light.office)",
        "(a parenthesis at the start) is fine.",
    ],
)
def test_accepts(text: str) -> None:
    assert accepts(GRAMMAR, text)


@pytest.mark.parametrize(
    "text",
    [
        "light.turn_on(lock.front_door)",  # not a light, not exposed
        "fan.turn_on(light.kitchen)",  # wrong domain
        "light.dim(light.kitchen)",  # not an allowed service
        "ok\nlight.turn_on(light.kitchen) ",  # a call line with trailing blanks
        "homeassistant.restart(light.kitchen)",
        "Sure.\nlight.turn_on(lock.front_door) ok",  # a later line starting like a call must be one
        "Sure (7+3=10)",  # speech ending with ")": the model must finish it differently
        "light.turn_on(light.office)\nand some speech after the calls",
        "\n".join(["light.toggle(light.office)"] * 11),  # more calls than one turn may make
    ],
)
def test_rejects(text: str) -> None:
    assert not accepts(GRAMMAR, text)


def test_names_are_valid_gbnf_rule_names() -> None:
    grammar = build_grammar(MIXED_HOUSE)
    for line in grammar.splitlines():
        name = line.split("::=")[0].strip()
        assert name and all(c.isalnum() or c == "-" for c in name), name


def test_empty_house_allows_speech_only() -> None:
    grammar = build_grammar(make_house())
    assert accepts(grammar, "There is nothing to control.")
    assert not accepts(grammar, "light.turn_on(light.kitchen)")


def test_llama_cpp_compiles_the_grammar() -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    for house in (CARD_HOUSE, MIXED_HOUSE, make_house()):
        assert llama_cpp.LlamaGrammar.from_string(build_grammar(house), verbose=False) is not None


_ENTITY_IDS = st.from_regex(r"(light|switch|fan|cover|lock|media_player)\.[a-z0-9_]{1,12}", fullmatch=True)


@st.composite
def houses(draw: st.DrawFn):
    ids = draw(st.lists(_ENTITY_IDS, min_size=0, max_size=8, unique=True))
    names = draw(st.lists(st.text(min_size=1, max_size=12), min_size=len(ids), max_size=len(ids)))
    return make_house(*(Device(i, n, "on") for i, n in zip(ids, names, strict=True)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), house=houses())
def test_every_admitted_reply_yields_only_allowed_calls(data: st.DataObject, house) -> None:
    """For random houses, whatever the grammar admits parses to calls the policy accepts."""
    text = data.draw(st.from_regex(gbnf_to_regex(build_grammar(house)), fullmatch=True))
    reply = parse_reply(text, frozenset({LINES}))
    assert all(verdict.allowed for verdict in check_calls(reply.calls, house, allow_sensitive=True))
