"""Pure: the words and sentences of each language, read from data. No Home Assistant imports.

`languages/<code>.yaml` holds a language's word tables (what grounding.py reads) and the sentences
the agent builds. Home Assistant's own intents data (the home-assistant-intents package, installed
with Home Assistant, 50+ languages) gives the tables a file lists under `intents`, or all it has for
a language without a file: skip words, the words for on/off, open/closed and locked states, colours.

Reading is blocking file I/O, done once per language and cached: English at import time of this
module (Home Assistant imports an integration's modules in its import executor, and the pure tests
need English without a running Home Assistant), any other language through `load_lexicon` in an
executor, at set-up for the configured language and on the first turn in another.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_LOGGER = logging.getLogger(__name__)

LANGUAGES_DIR = Path(__file__).parent / "languages"
FALLBACK_LANGUAGE = "en"
# Tables read from Home Assistant's intents data when a language's file lists them under `intents`.
INTENTS_TABLES = ("skip_words", "state_words", "up_words", "down_words", "light_settings", "color_names")
# Home Assistant's state lists whose values say a direction: a word for "on" or "open" asks for up.
_UP_STATES = frozenset({"on", "open"})
_DOWN_STATES = frozenset({"off", "closed"})
_STATE_LISTS = ("on_off_states", "cover_states", "lock_states")
_MAX_FORMS = 200  # forms of one template kept; a list of words, not a grammar
# BaseLoader keeps every value a string: YAML 1.1 would read the words on, off, yes and no as booleans.
_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class Phrases:
    """The sentences of one language; a phrase it lacks is the fallback's, logged once."""

    def __init__(self, language: str, table: Mapping[str, str], fallback: Phrases | None = None) -> None:
        """`table`: dotted keys ("done.turn_on") to templates with {fields}."""
        self.language = language
        self._table = dict(table)
        self._fallback = fallback
        self._logged: set[str] = set()
        self._lock = threading.Lock()  # turns in several languages may miss phrases at once

    def own(self, key: str) -> str | None:
        """The template for `key` in this language only (no fallback), else None."""
        return self._table.get(key)

    def template(self, key: str) -> str | None:
        """The template for `key` in this language, else the fallback's (logged once), else None."""
        if (found := self._table.get(key)) is not None or self._fallback is None:
            return found
        found = self._fallback.template(key)
        if found is not None and self._table:  # a language with no phrases at all was logged when read
            self._log_once(key, "Phrase %r has no %s text: saying it in English", key, self.language)
        return found

    def text(self, key: str, /, **values: object) -> str:
        """The phrase for `key` with `values` put in; the values are data, never read as a template."""
        template = self.template(key) or ""
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):  # a translation that names another field
            if self._fallback is None:
                raise
            self._log_once(
                f"{key}!", "Phrase %r in %s does not fit its values: saying it in English", key, self.language
            )
            return self._fallback.text(key, **values)

    def _log_once(self, key: str, message: str, *args: object) -> None:
        """Warn about a phrase once per language, not at every turn."""
        with self._lock:
            if key in self._logged:
                return
            self._logged.add(key)
        _LOGGER.warning(message, *args)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """One language's word tables and phrases."""

    language: str  # as the turn gives it ("de", "de-CH")
    words: Mapping[str, Any]  # tables as written: word strings, lists, mappings
    phrases: Phrases
    own_words: bool  # a file of ours gave the tables (else only Home Assistant's data, if any)
    intents_tables: frozenset[str] = field(default_factory=frozenset)  # tables that came from the package
    # Home Assistant's intents data for the language (its sentences, lists and rules), or None.
    intents_data: Mapping[str, Any] | None = None


def base_language(language: str) -> str:
    """The language without its region: "de-CH" -> "de", "pt_BR" -> "pt"."""
    return language.replace("_", "-").split("-", 1)[0].lower() or FALLBACK_LANGUAGE


_CACHE: dict[str, Lexicon] = {}
_CACHE_LOCK = threading.Lock()


def cached_lexicon(language: str) -> Lexicon | None:
    """The lexicon of a language already read, without I/O (None: call load_lexicon in an executor)."""
    return _CACHE.get(language)


def load_lexicon(language: str) -> Lexicon:
    """Read a language's lexicon once (blocking file I/O: call it off the event loop)."""
    if (found := _CACHE.get(language)) is not None:
        return found
    own = _read_own(base_language(language))
    words: dict[str, Any] = dict(own.get("words") or {})
    wanted = INTENTS_TABLES if not own else tuple(_split(words.pop("intents", "")))
    intents_data = _intents_data(language)
    package = _intents_words(intents_data, wanted) if wanted else {}
    for table, value in package.items():
        words[table] = _merged(words.get(table), value)
    fallback = None if language == FALLBACK_LANGUAGE else load_lexicon(FALLBACK_LANGUAGE).phrases
    phrases = Phrases(language, _flatten(own.get("phrases") or {}), fallback)
    if not own:
        _LOGGER.info("No word list or phrases for language %r: language-free rules, English sentences", language)
    lexicon = Lexicon(
        language, words, phrases, own_words=bool(own), intents_tables=frozenset(package), intents_data=intents_data
    )
    with _CACHE_LOCK:
        return _CACHE.setdefault(language, lexicon)


def own_languages() -> list[str]:
    """The languages that have a file of their own (blocking: lists a folder)."""
    return sorted(path.stem for path in LANGUAGES_DIR.glob("*.yaml"))


def _read_own(language: str) -> dict[str, Any]:
    """A language's own file, or {} when there is none."""
    path = LANGUAGES_DIR / f"{language}.yaml"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as file:
        return yaml.load(file, Loader=_LOADER) or {}


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested phrase tables as dotted keys: {"done": {"turn_on": ...}} -> {"done.turn_on": ...}."""
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


def _split(value: object) -> list[str]:
    """A table's words: a space-separated string or a list."""
    if isinstance(value, str):
        return value.split()
    return [str(item) for item in value] if isinstance(value, list) else []


def _merged(own: object, package: object) -> object:
    """A table of ours with Home Assistant's words added."""
    if isinstance(package, Mapping):
        return {**package, **(own if isinstance(own, Mapping) else {})}
    return " ".join([*_split(own), *_split(package)])


# --- Home Assistant's intents data ------------------------------------------------------------


def _intents_data(language: str) -> Mapping[str, Any] | None:
    """home-assistant-intents' data for a language (its region's if it has one), or None."""
    try:
        import home_assistant_intents as intents  # noqa: PLC0415 (optional: read only where installed)
    except ImportError:
        return None
    known = set(intents.get_languages())
    for code in (language.replace("_", "-"), base_language(language)):
        if code in known:
            return intents.get_intents(code, json_load=json.load)
    return None


def _intents_words(data: Mapping[str, Any] | None, wanted: Iterable[str]) -> dict[str, Any]:
    """The tables `wanted` as Home Assistant's intents data of a language gives them."""
    if not data:
        return {}
    rules = data.get("expansion_rules") or {}
    states = _state_words(data.get("lists") or {}, rules)
    tables: dict[str, Any] = {
        "skip_words": " ".join(data.get("skip_words") or ()),
        "state_words": {word: " ".join(sorted(found)) for word, found in states.items()},
        "up_words": " ".join(word for word, found in states.items() if found & _UP_STATES),
        "down_words": " ".join(word for word, found in states.items() if found & _DOWN_STATES),
        "light_settings": " ".join(_list_words((data.get("lists") or {}).get("color"), rules)),
        "color_names": _list_outs((data.get("lists") or {}).get("color"), rules),
    }
    return {table: value for table, value in tables.items() if table in wanted and value}


def intents_colours(data: Mapping[str, Any] | None) -> dict[str, str]:
    """The one-word colours of Home Assistant's intents data of a language, each with its colour ("blau": "blue")."""
    if not data:
        return {}
    return _list_outs((data.get("lists") or {}).get("color"), data.get("expansion_rules") or {})


def _state_words(lists: Mapping[str, Any], rules: Mapping[str, str]) -> dict[str, set[str]]:
    """One-word forms of the state lists ("eingeschaltet" -> {"on"}), each with the states it says."""
    found: dict[str, set[str]] = {}
    for name in _STATE_LISTS:
        for value in _list_values(lists.get(name)):
            for word in _expand(str(value.get("in", "")), rules):
                if " " not in word:
                    found.setdefault(word, set()).add(str(value.get("out")))
    return found


def _list_words(slot_list: object, rules: Mapping[str, str]) -> list[str]:
    """The one-word forms a list's values are said with ("weiß", "weiss")."""
    forms = [word for value in _list_values(slot_list) for word in _expand(str(value.get("in", "")), rules)]
    return [word for word in forms if " " not in word]


def _list_outs(slot_list: object, rules: Mapping[str, str]) -> dict[str, str]:
    """Each one-word form of a list's values with the value it stands for ("blau" -> "blue")."""
    return {
        word: str(value.get("out"))
        for value in _list_values(slot_list)
        for word in _expand(str(value.get("in", "")), rules)
        if " " not in word
    }


def _list_values(slot_list: object) -> list[Mapping[str, Any]]:
    """A slot list's {in, out} values (a list of plain strings gives in = out)."""
    values = slot_list.get("values", []) if isinstance(slot_list, Mapping) else []
    return [value if isinstance(value, Mapping) else {"in": value, "out": value} for value in values]


def _expand(template: str, rules: Mapping[str, str], depth: int = 0) -> set[str]:
    """The texts a hassil template stands for: "(an|ein)[geschaltet]" -> an, ein, angeschaltet,
    eingeschaltet. Slots ({name}) make no text; rules (<rule>) are followed three deep."""
    forms, _end = _alternatives(template, 0, rules, depth)
    return {" ".join(form.lower().split()) for form in forms if "\x00" not in form and form.strip()}


def _alternatives(text: str, index: int, rules: Mapping[str, str], depth: int) -> tuple[set[str], int]:
    """The forms from `index` to the closing bracket (or the end), and where reading stopped."""
    choices: set[str] = set()
    sequence = {""}
    while index < len(text):
        char = text[index]
        if char in ")]":
            break
        if char == "|":
            choices |= sequence
            sequence, index = {""}, index + 1
            continue
        part, index = _part(text, index, rules, depth)
        sequence = {f"{before}{after}" for before in sequence for after in part}
        sequence = set(sorted(sequence)[:_MAX_FORMS])
    return choices | sequence, index + 1


def _part(text: str, index: int, rules: Mapping[str, str], depth: int) -> tuple[set[str], int]:
    """One item of a template at `index`: a group, an optional group, a rule, a slot or a character."""
    char = text[index]
    if char in "([":
        inner, end = _alternatives(text, index + 1, rules, depth)
        return (inner | {""} if char == "[" else inner), end
    closer = {"<": ">", "{": "}"}.get(char)
    if closer is None:
        return {char}, index + 1
    end = text.find(closer, index)
    end = len(text) if end < 0 else end
    name = text[index + 1 : end]
    if char == "{" or depth >= 3 or name not in rules:
        return {"\x00"}, end + 1  # a slot or an unknown rule: no plain word
    return _expand(rules[name], rules, depth + 1), end + 1


ENGLISH = load_lexicon(FALLBACK_LANGUAGE)


def read_phrase(language: str, key: str) -> str | None:
    """One phrase of a language's own file (for training data: no intents package, no fallback)."""
    path = LANGUAGES_DIR / f"{language}.yaml"
    table = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    return _flatten(table.get("phrases") or {}).get(key)
