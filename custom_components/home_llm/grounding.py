"""Pure: keep the agent's words and acts tied to what the user said. No Home Assistant imports.

A small model sometimes acts on a device the user never mentioned ("open the garage door" ran
`fan.toggle(fan.living_room_fan)`), adds to-do items nobody asked for, claims actions that did not
happen, or invents a reading ("55 degrees"). The rules here are deliberately simple word overlaps:

- a call is run only when its target shares a word with what the user said: the device's name,
  an alias, its area, its entity id, or a word for its kind ("lamp" for a light, "blinds" for a
  cover); otherwise the user is asked which device they meant;
- nor when the words cannot mean it: a verb its domain cannot do ("unlock" a window), a device of
  another kind than the one named ("the garage *light*" is no garage door), a pronoun with nothing
  named before ("dim it"), a word several devices share ("the fan"), a statement that asks for
  nothing ("I'm going to the kitchen"; needs such as "it's dark in the kitchen" do ask), or a
  question about the house ("is the kitchen light on?", answered from its state);
- a to-do item is added only when the user asked to add something;
- the spoken confirmation is built from the calls that ran, not from the model's sentence;
- a number in an answer about a reading must be one the house shows, else the house's own
  reading is quoted or the agent says it does not know; an answer giving the device a question
  names another state than the house shows ("the kitchen lights are off") says the house's.

The words of each rule are data, one file per language (languages/*.yaml, read by lexicon.py); a
`Grounding` applies the rules in one language. A language without a file of its own keeps only what
needs no word list of ours: names, aliases, areas, entity ids, states and Home Assistant's own words
for on/off and open/closed; it never holds a call because it knows no verb for it. The module-level
functions are the English rules.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from unicode_rbnf import RbnfEngine

from .arguments import COLOR_NAMES, value_domain
from .const import ALLOWED_SERVICES
from .intent_sentences import MAX_NAME, MAX_TEXT, READ_ONLY, RELAY_WORDS, command_sentences, read_command
from .lexicon import ENGLISH as ENGLISH_LEXICON
from .lexicon import FALLBACK_LANGUAGE, Lexicon, base_language, cached_lexicon, intents_colours, load_lexicon
from .parser import Call
from .policy import Verdict
from .snapshot import Device, House

# Which way a call moves a device. A call that goes the other way from every direction word the
# user said ("get the garage open" -> close_cover) is asked about.
# Arming an alarm is its "on" ("Alarmanlage aus" answered with alarm_arm_home goes against the words).
_UP_SERVICES = frozenset(
    {"turn_on", "open_cover", "open_valve", "open", "unlock", "media_play", "alarm_arm_home", "alarm_arm_away",
     "alarm_arm_night"}
)  # fmt: skip
# Services that move a setting one step: only a word for a step asks for them ("louder", "bump … up").
_STEP_SERVICES = frozenset({"volume_up", "volume_down", "increase_speed", "decrease_speed"})
_DOWN_SERVICES = frozenset(
    {"turn_off", "close_cover", "close_valve", "lock", "media_pause", "media_stop", "alarm_disarm"}
)
# The same move on devices of other kinds, by direction: a call moved to a device without its service
# ("Rollladen hoch" written as light.turn_on on a lamp) takes the first of these its domain has, when the
# words say that direction. Locks are left out: unlocking is never a guess.
_SAME_MOVE = {
    "up": ("turn_on", "open_cover", "open_valve"),
    "down": ("turn_off", "close_cover", "close_valve"),
}
# Calls the model writes without the value the request gives ("the porch light to 50%" as light.turn_on),
# and the call that sets it: (domain, service as written, kind of value) -> (service, argument).
_VALUE_CALLS: dict[tuple[str, str, str], tuple[str, str]] = {
    ("light", "turn_on", "percent"): ("turn_on", "brightness"),
    ("light", "turn_off", "percent"): ("turn_on", "brightness"),  # "dim it to 40%" written as turn_off
    ("light", "turn_on", "color"): ("turn_on", "color_name"),
    ("light", "turn_off", "color"): ("turn_on", "color_name"),  # "make it red" written as turn_off
    ("light", "turn_on", "kelvin"): ("turn_on", "color_temp_kelvin"),
    ("light", "turn_off", "kelvin"): ("turn_on", "color_temp_kelvin"),
    ("fan", "turn_on", "percent"): ("set_percentage", "percentage"),
    ("cover", "open_cover", "percent"): ("set_cover_position", "position"),
    ("cover", "close_cover", "percent"): ("set_cover_position", "position"),
    ("humidifier", "turn_on", "percent"): ("set_humidity", "humidity"),
    ("climate", "turn_on", "number"): ("set_temperature", "temperature"),
    ("climate", "set_hvac_mode", "number"): ("set_temperature", "temperature"),
    ("water_heater", "turn_on", "number"): ("set_temperature", "temperature"),
    ("media_player", "volume_up", "percent"): ("volume_set", "volume_level"),
    ("media_player", "volume_down", "percent"): ("volume_set", "volume_level"),
}
# Where a plain number is the value too ("the nursery humidifier to 55", "speaker volume 60"): a
# percentage for these, whose values are all percentages (a fan's "3" may be a speed step: not read).
_PERCENT_DOMAINS = frozenset({"humidifier", "cover", "media_player"})
# Where a plain number is a temperature.
_TEMPERATURE_DOMAINS = frozenset({"climate", "water_heater"})
# Services that set a value: a call that carries one may be moved to the device the words name.
_VALUE_SERVICES = frozenset({service for service, _ in _VALUE_CALLS.values()} | {"volume_set"})
# Where a request's colour or light setting is meant for a light: lights and the relays that power them.
# Each part of a request is read with up to 6 ways of lending words: a request of more parts than people
# say in one breath is left to the model rather than read part by part.
_MAX_READ_PARTS = 4
_UMLAUTS = str.maketrans("äöü", "aou")
_MAX_EACH = 12  # devices "all the X" is read for, one by one

_LIGHT_DOMAINS = frozenset({"light", "switch"})
# Services that carry no value, written for a request that gives one: completed from the table above or held
# (on any domain: a relay switched on for "dim it to 50%" is held). The table's written calls count too.
_VALUE_LESS_SERVICES = frozenset({"turn_on", "open_cover", "close_cover", "volume_up", "volume_down"})
# Readings people ask about, and where a device shows them: a sensor's own state (by device
# class) or one of these attributes.
QUANTITIES: dict[str, tuple[str, ...]] = {
    "temperature": ("current_temperature",),
    "humidity": ("current_humidity", "humidity"),
}
# Letters and digits of any script: "Küchenlicht" is one word.
_TOKEN = re.compile(r"[^\W_]+")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)?")
# Devices with listed settings (sources, modes): turned on for one they lack, the call is not what was asked.
_LISTING_DOMAINS = frozenset({"media_player", "fan", "climate", "humidifier"})
_KELVIN_ARGUMENTS = frozenset({"color_temp_kelvin", "kelvin", "color_temp"})
_KELVIN = re.compile(r"(\d{4,5})\s*(?:k|kelvin)\b", re.IGNORECASE)  # "3000 kelvin", "4000K": a colour temperature
_NOT_READINGS = frozenset({"supported_features", "supported_color_modes"})  # bit masks, not values a user sees
_LABEL = re.compile(r"^[^:;,.!?\u2013\u2014]+?(?::|\s[\u2013\u2014-])\s")  # "Filmabend: …", a dash: "Gute Nacht - …"
_LINKS = ("en", "n", "es", "s", "e")  # what joins a German compound's first noun ("Küche-n-licht", "Bad-e-zimmer")
_MAX_SPEED_STEP = 10  # the most speed steps a fan has: a plain number above it is a percentage
_MAX_INFLECTED_WORDS = 4  # words of the longest name read with other endings ("den gemütlichen Abend")
_MIN_COMPOUND_HEAD = 5  # letters of the shortest kind noun read as the end of a compound ("licht")
# Services that act on what a player plays: "the music" among several players is the one playing.
_ON_WHAT_PLAYS = frozenset(
    {
        "media_pause",
        "media_stop",
        "media_next_track",
        "media_previous_track",
        "volume_up",
        "volume_down",
        "volume_set",
        "volume_mute",
    }
)
NOT_MENTIONED = "the request does not mention"  # a hold's reason when the words name another device
AGAINST = "goes against the words of the request"  # a hold's reason when the words say the other way
# A move and its opposite ("Spiegelschrank aus" written as turn_on is run as turn_off).
_OPPOSITE = {up: down for up, down in zip(*_SAME_MOVE.values(), strict=True)}
_OPPOSITE |= {down: up for up, down in _OPPOSITE.items()}
_MAX_QUOTED = 3  # readings quoted in one answer; more would be a list nobody listens to
# The states after a toggle that have a phrase of their own ("Turned on", "Opened").
_TOGGLED_STATES = frozenset({"on", "off", "open", "opening", "closed", "closing"})
# The kinds of device the word tables name (kind_nouns), and the domains whose devices each can be
# ("a door" is a cover or a lock).
_KIND_DOMAINS: dict[str, frozenset[str]] = {
    kind: frozenset(domains.split())
    for kind, domains in {
        "light": "light", "fan": "fan", "window": "cover", "door": "cover lock", "roof": "cover",
        "media": "media_player", "heating": "climate water_heater", "humidity": "humidifier",
        "vacuum": "vacuum", "valve": "valve", "lock": "lock", "alarm": "alarm_control_panel",
        "water": "valve water_heater",
    }.items()
}  # fmt: skip
# Kinds every device of their domains is, whatever its name says: a valve or a water heater gives water.
_DOMAIN_WIDE_KINDS = frozenset({"water"})
# Kinds whose nouns name different things (curtains, shades; a TV, a speaker): "all the X" goes by names.
_KINDS_OF_KINDS = frozenset({"window", "door", "roof", "media"})
# The domain a kind of several domains means first ("all the heating": the thermostats).
_KIND_FIRST = {"heating": "climate", "door": "cover"}
# A cover's device class says its kind when its name does not.
_COVER_CLASS_KINDS = {"garage": "door", "door": "door", "gate": "door", "window": "window", "blind": "window",
                      "shade": "window", "curtain": "window", "shutter": "window", "awning": "roof"}  # fmt: skip
# Switches, routines and buttons may power or run anything: named for a kind, they are of that kind;
# otherwise any kind, verb or chore may be theirs ("boil the kettle" on a switch called Kettle).
RELAY_DOMAINS = frozenset({"switch", "input_boolean", "scene", "script", "button", "input_button"})
# Services that set a part of a device named like a kind of device of its own.
_SERVICE_PARTS = {"set_fan_mode": "fan"}
# A fan's or thermostat's preset: the service, its argument and the attribute that lists them.
_PRESETS = ("set_preset_mode", "preset_mode", "preset_modes")
# The kind every device of a domain is, whatever its name: a lock is a "lock", a fan a "fan".
_DOMAIN_KIND = {"light": "light", "fan": "fan", "lock": "lock", "vacuum": "vacuum", "valve": "valve",
                "alarm_control_panel": "alarm", "humidifier": "humidity", "media_player": "media"}  # fmt: skip


def tokens(text: str) -> list[str]:
    """The words of a text (or entity id) in order, lower case; underscores and punctuation split."""
    return _TOKEN.findall(text.lower()) if isinstance(text, str) else []


def _split(value: object) -> list[str]:
    """A table's words: a space-separated string or a list of them."""
    if isinstance(value, str):
        return value.split()
    return [word for item in value for word in str(item).split()] if isinstance(value, list) else []


# Words of a relay's or plug's name that say what it is, not what it drives: brands, protocols, models.
_HARDWARE_WORDS = RELAY_WORDS | frozenset(
    _split(
        "shelly sonoff tasmota kasa tapo tp link tplink wemo meross tuya smartlife zigbee zwave z wave zha insteon "
        "lutron caseta ikea tradfri aqara xiaomi gosund athom nous switchbot esphome esp mqtt homematic hmip ip "
        "fritz dect avm eve plus pro mini basic smart wifi plug plugs outlet outlets socket sockets relays "
        "switches steckdose stecker zwischenstecker"
    )
)


def _listed(value: object) -> list[str]:
    """A table's phrases: a comma-separated string ("percent, per cent")."""
    return [phrase.strip() for phrase in str(value or "").split(",") if phrase.strip()]


def _listed_lines(value: object) -> list[str]:
    """A table's sentences: a list of strings."""
    return [str(line) for line in value if str(line).strip()] if isinstance(value, list) else []


def _against_key(call: Call, way: str) -> str:
    """The phrase that asks about a call the words went against: by its own verb for locks and alarms."""
    if call.domain == "lock":
        return f"against_{call.service}"
    if call.domain == "alarm_control_panel":
        return "against_disarm" if call.service == "alarm_disarm" else "against_arm"
    return f"against_{way}"


def _the_one_playing(call: Call, device: Device, called: list[Device]) -> bool:
    """Whether a call on what plays ("pause the music", "turn the music down") is on the only one of the
    players a word may mean that is playing: the one meant, as Home Assistant's own sentences read it."""
    playing = [each for each in called if each.state == "playing"]
    return call.service in _ON_WHAT_PLAYS and playing == [device]


def _as_written(text: str, lowered: str) -> str:
    """A phrase of the text (found in lower case, one space between words) as the user wrote it."""
    pattern = r"\W+".join(re.escape(word) for word in lowered.split())
    match = re.search(pattern, text, re.IGNORECASE)
    return match.group(0) if match else lowered


def _either(phrases: Iterable[str]) -> str:
    """A regex alternation of phrases, the longest first ("warm up" before "warm")."""
    return "|".join(re.escape(phrase) for phrase in sorted(phrases, key=len, reverse=True))


def _phrases_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern that finds any of these phrases as whole words, or None for none."""
    alternatives = sorted({re.escape(" ".join(phrase.lower().split())) for phrase in phrases if phrase.strip()})
    return re.compile(rf"\b(?:{'|'.join(alternatives)})\b") if alternatives else None


@dataclass(frozen=True, slots=True)
class Hold:
    """A call the policy allowed but that is not run: what to tell the user instead."""

    call: Call
    reason: str  # short, for logs, results and eval reports
    sentence: str  # what the user hears

    @property
    def verdict(self) -> Verdict:
        """The call as refused, so it is reported like any other call that did not run."""
        return Verdict(self.call, False, self.reason)


class Grounding:
    """The grounding rules in one language, with its word tables and phrases."""

    def __init__(self, lexicon: Lexicon) -> None:
        """Read the lexicon's tables into the sets the rules use."""
        self.lexicon = lexicon
        self.phrases = lexicon.phrases
        self.has_verbs = lexicon.own_words  # else no verb list: a call is never held for want of a verb
        # The default model was trained in English: in another language its answers are not checked word by word.
        self.model_language = base_language(lexicon.language) == FALLBACK_LANGUAGE
        table = lexicon.words
        self._stem = table.get("stem", "")
        self._stem_endings = sorted(_split(self._stem), key=len, reverse=True) if self._stem != "english" else []
        # Kind nouns that end a compound ("Gangbeleuchtung") in a language that joins nouns: longest first;
        # short ones end too many other words ("Sonnenstore" is no "Tor").
        kinds = self._map(table, "kind_nouns").values()
        kind_nouns = {word for words in kinds for word in tokens(str(words)) if len(word) >= _MIN_COMPOUND_HEAD}
        joins = str(table.get("compounds", "")).lower() in ("true", "yes")  # the lexicon keeps words as text
        self.compound_heads = sorted(kind_nouns, key=len, reverse=True) if joins else []
        self.filler = self._set(table, "filler") | self._set(table, "skip_words")
        self.normalised_filler = frozenset(self.normalise(word) for word in self.filler)
        self.place_fillers = self._set(table, "place_fillers")
        self.subject_words = self._set(table, "subject_words")
        self.also_words = self._set(table, "also_words")
        self.negations = self._set(table, "negations")
        self.arm_words = self._set(table, "arm_words")
        self.disarm_words = self._set(table, "disarm_words")
        self.arm_modes = {
            mode: pattern
            for mode, words in self._map(table, "arm_modes").items()
            if (pattern := _phrases_pattern(_listed(words)))
        }
        self.action_words = self._set(table, "action_words")
        self.other_verbs = self._set(table, "other_verbs")
        self.need_only = self._set(table, "need_only")
        self.pronouns = self._set(table, "pronouns")
        self.verb_nouns = {noun: frozenset(_split(after)) for noun, after in self._map(table, "verb_nouns").items()}
        self.domain_table = {d: self.words(text, spoken=False) for d, text in self._map(table, "domain_words").items()}
        self.setting_words = self._set(table, "setting_words")
        # A number and a half ("twenty one and a half"): one value, whose "and" parts nothing.
        self.and_a_half = str(table.get("and_a_half", "")).strip()
        self.closing_words = self._set(table, "closing_words")
        self.step_words = self._set(table, "step_words")
        self.stop_words = self._set(table, "stop_words")
        self.item_articles = self._set(table, "item_articles")
        self.and_word = next(iter(_split(table.get("part_words", ""))), None)  # the first: "and", "und"
        self.empty_verbs = self._set(table, "empty_verbs")
        self.value_nouns = self._set(table, "value_nouns")
        self.mode_nouns = self._set(table, "mode_words")
        # A listed mode by this language's word for it ("Nachtmodus" for a fan's "sleep"): see with_listed_mode.
        self.mode_names = {mode.casefold(): _listed(words) for mode, words in self._map(table, "mode_names").items()}
        self.spoken_as = {str(word).casefold(): str(said) for word, said in self._map(table, "spoken_as").items()}
        # not \b: "'s Licht" starts with "'"; an elided article ends with one ("d'Heizung")
        spoken = rf"(?<![\w'])(?:{_either(self.spoken_as)})(?:(?![\w'])|(?<='))"
        self._spoken_pattern = re.compile(spoken, re.IGNORECASE) if self.spoken_as else None
        self.landmark_words = self._set(table, "landmark_words")
        self.list_articles = self._set(table, "list_articles")
        self.outdoor_words = {
            str(word).casefold(): str(said) for word, said in self._map(table, "outdoor_words").items()
        }
        self.outdoor_areas = self._set(table, "outdoor_areas")
        self.whole_words = self._set(table, "whole_words")
        self.copula_words = self._set(table, "copula_words")
        self.colour_prepositions = self._set(table, "colour_prepositions")
        groups = table.get("near_names") or []
        self.near_names = [
            [phrase.casefold() for phrase in _listed(group)] for group in groups if isinstance(group, str)
        ]
        self.to_words = self._set(table, "to_words")
        self.to_word = next(iter(_split(table.get("to_words", ""))), "")  # the first listed: "to", not "at"
        self.value_directions = self._set(table, "value_directions")
        self.decimal_word = str(table.get("decimal_word", "")).strip()
        formal = _split(table.get("formal_you", ""))  # "Sie": "<verb>en Sie" is the imperative "<verb>e"
        self.formal_you = re.compile(rf"^(?P<stem>\w+?)en\s+(?:{_either(formal)})\b", re.IGNORECASE) if formal else None
        about = _split(table.get("about_words", ""))
        self.about_words = frozenset(word.casefold() for word in about)
        self.about_pattern = re.compile(rf"\b(?:{_either(about)})\s+(?=\d)", re.IGNORECASE) if about else None
        parts = "|".join(
            rf"\b{re.escape(word)}\b{self._not_a_half(word)}" for word in _split(table.get("part_words", ""))
        )
        between = r"(?<!\d)[,:](?!\d)|;|[.!?](?:\s|$)|\s[–—-]\s"  # not "17,5 Grad" or "20:30"
        self.parts_pattern = re.compile(between + (f"|{parts}" if parts else ""), re.IGNORECASE)
        starts = _listed(table.get("clause_starts"))
        self.clause_pattern = re.compile(rf"\s(?=(?:{_either(starts)})\b)", re.IGNORECASE) if starts else None
        self.clause_links = self._set(table, "clause_links")
        self.back_pointers = self._set(table, "back_pointers")
        self.up_words = self._set(table, "up_words")
        self.down_words = self._set(table, "down_words")
        self.down_pattern = _phrases_pattern(table.get("down_phrases") or [])
        self.verb_only_directions = self._set(table, "verb_only_directions")
        self.add = frozenset(self.normalise(word) for word in self._set(table, "add_words"))
        self.quantity_words = {
            q: self.words(text, spoken=False) for q, text in self._map(table, "quantity_words").items()
        }
        self.question_starts = self._set(table, "question_starts")
        where = "|".join(re.escape(word) for word in _split(table.get("where_words", "")))
        self.where_pattern = re.compile(rf"\b(?:{where})\b.*$") if where else None
        self.unnamed_kinds = {
            word: frozenset({domain})
            for domain, words in self._map(table, "unnamed_kinds").items()
            for word in self._normalised(words)
        }
        self.kind_of = {
            word: kind for kind, nouns in self._map(table, "kind_nouns").items() for word in self._normalised(nouns)
        }
        self.place_words = self._set(table, "place_words")
        self.verb_domains = self._word_domains(table, "verb_domains")
        self.leading_verb_domains = self._word_domains(table, "leading_verb_domains")
        self.before_verb = self._set(table, "before_verb")
        self.greeting = self._set(table, "greeting")
        self.state_question_starts = self._set(table, "state_question_starts")
        self.request_after_question = self._set(table, "request_after_question")
        self.state_nouns = self._set(table, "state_nouns")
        self.all_words = self._set(table, "all_words")
        self.in_words = self._set(table, "in_words")
        self.mass_nouns = frozenset(self.normalise(word) for word in _split(table.get("mass_nouns", "")))
        self.both_words = self._set(table, "both_words")
        self.all_word = next(iter(_split(table.get("all_words", ""))), "")  # the first listed: "all", "alle"
        self.articles = self._set(table, "articles")
        # Question starts that ask someone to do something when a name follows ("have Robbie vacuum").
        self.causative = self._set(table, "causative")
        # Direction words that are a place's preposition before an article ("Lichterkette *auf dem* Balkon aus").
        self.preposition_directions = self._set(table, "preposition_directions")
        # "all the X", "beide X": the all-word, the words after it and up to two words that name devices.
        alls, fillers = _either(self.all_words), _either(self.filler)
        self.all_phrase = (
            re.compile(rf"\b(?P<all>{alls})\s+(?:(?:{fillers})\s+)*(?P<noun>[^\W\d_][\w-]*(?:\s+[\w-]+)?)", re.I)
            if alls and fillers
            else None
        )
        self.object_pronouns = self._set(table, "object_pronouns")
        self.after_dummy_it = self._set(table, "after_dummy_it")
        self.before_dummy_it = self._set(table, "before_dummy_it")
        self.ambient = self._set(table, "ambient")
        self.asking = self._set(table, "asking")
        self.asking_together = [frozenset(_split(words)) for words in table.get("asking_together") or []]
        self.need_words = {domain: self._normalised(text) for domain, text in self._map(table, "needs").items()}
        self.wants_a_complement = self._set(table, "wants_a_complement")
        self.polite = self._set(table, "polite")
        self.light_settings = self._set(table, "light_settings")
        self.color_names = {word.lower(): str(name) for word, name in self._map(table, "color_names").items()}
        self.color_names |= {name: name for name in COLOR_NAMES}
        self.white_kelvin = {str(words).casefold(): int(k) for words, k in self._map(table, "white_kelvin").items()}
        self.setting_nouns = self._set(table, "setting_nouns")
        self.half_words = self._set(table, "half_words")
        fractions = {
            str(words).casefold(): int(percent) for words, percent in self._map(table, "fraction_words").items()
        }
        self.fraction_words = dict.fromkeys(self.half_words, 50) | fractions
        tails = (phrase.casefold().split() for phrase in _listed(table.get("fraction_tails")))
        self.fraction_tails = sorted(tails, key=len, reverse=True)
        number_said = self._map(table, "number_said")  # spaces kept: "hundred " is said "hundred and "
        self.number_said = {str(written): [str(said)] for written, said in number_said.items()}
        self.number_words = {word: index for index, word in enumerate(_split(table.get("number_words", "")), 1)}
        verb_services = self._map(table, "verb_services")
        self.verb_services = {service: frozenset(tokens(str(words))) for service, words in verb_services.items()}
        volume_words = self._map(table, "volume_words")
        self.volume_words = {word: service for service, words in volume_words.items() for word in tokens(str(words))}
        setting_verbs = self._map(table, "setting_verbs")
        self.cleaning_places = self._normalised(str(table.get("cleaning_places", "")))
        self.setting_verbs = {setting: frozenset(tokens(str(words))) for setting, words in setting_verbs.items()}
        percents = _listed(table.get("percent_words"))
        percent_after = rf"(?:%|(?:{_either(percents)})\b)" if percents else "%"
        self.percent_pattern = re.compile(rf"(\d{{1,3}})\s*{percent_after}", re.IGNORECASE)
        # A setting said without "set" ("vent to 50 percent", "cool the den to 20"): see implied_settings.
        self.set_sentence = str(table.get("set_sentence", ""))
        degrees = _listed(table.get("degree_words"))
        self.degree_word = degrees[0] if degrees else ""
        self.percent_word = percents[0] if percents else ""
        # The words of a value's unit ("20 Grad", "50 percent"): they say the value, not the device.
        self.unit_words = frozenset(self.normalise(word) for word in tokens(" ".join([*degrees, *percents])))
        to = _either(_split(table.get("to_words", "")))
        value = rf"(?P<number>\d+(?:[.,]\d+)?)\s*(?P<unit>%|(?:{_either([*degrees, *percents])})\b)?"
        value_at_end = rf"^(?P<target>.+?)\s+(?:(?P<to>{to})\s+)?{value}[\s.!?]*$"
        self.value_at_end = re.compile(value_at_end, re.IGNORECASE) if to and percents else None
        self.volume_sentence = str(table.get("volume_sentence", ""))
        self.brightness_sentence = str(table.get("brightness_sentence", ""))
        self.volume_noun = str(table.get("volume_noun", ""))
        self.music_words = frozenset(word.casefold() for word in _listed(table.get("music_words")))
        self.degree_words = frozenset(word.casefold() for word in degrees)
        # A temperature for a place or thermostat said without "set" ("office AC to 68", "Wohnzimmer auf
        # 23 Grad"): read by these sentences, which only a thermostat's temperature can fit.
        self.temperature_sentences = _listed_lines(table.get("temperature_sentences"))
        heat = _either(_listed(table.get("temperature_verbs")))
        self.temperature_verb = re.compile(rf"^(?:{heat})\b\s*", re.IGNORECASE) if heat else None
        # Verbs Home Assistant's sentences lack, said as ones they have: see rephrased.
        self.rephrasings = self._rephrasings(table)
        # A thermostat's mode said after "to" ("the bedroom AC to heat"): see with_said_mode.
        self.hvac_modes = {
            word.casefold(): mode for mode, words in self._map(table, "hvac_modes").items() for word in _listed(words)
        }
        modes = _either(self.hvac_modes)
        mode_word = rf"(?:\s+(?:{_either(_split(table.get('mode_words', '')))}))?" if table.get("mode_words") else ""
        before_mode = _either([*_split(table.get("to_words", "")), *_split(table.get("mode_prepositions", ""))])
        mode_at_end = rf"\b(?:{before_mode})\s+(?P<mode>{modes}){mode_word}[\s.!?]*$"  # "… on dry": a mode too
        self.mode_at_end = re.compile(mode_at_end, re.I) if modes and before_mode else None
        self.state_words = {word: frozenset(_split(states)) for word, states in self._map(table, "state_words").items()}
        self.plural_name = re.compile(table["plural_name"]) if table.get("plural_name") else None
        self.action = frozenset(self.normalise(word) for word in self.action_words)
        self.verbs = frozenset(self.normalise(word) for word in self.other_verbs)
        # Words that never name one device: verbs, words for kinds of device, settings.
        self.generic = frozenset(
            {
                self.normalise(word)
                for word in self.action_words
                | self.other_verbs
                | self.wants_a_complement
                | self.setting_words
                | self.need_only
            }
        ).union(*self.domain_table.values())
        # Words for kinds of device ("Luftbefeuchter", "lamp"): they name a device whose own name has them.
        self.kind_words = frozenset(self.kind_of).union(*self.domain_table.values())
        # Each domain's words as said ("lights", "Lampen"; a name's words are matched as written): "the
        # light" may be any light, so they are never a device's short name on their own ("chandelier" is).
        self.domain_nouns = frozenset(
            word for words in self._map(table, "domain_words").values() for word in tokens(str(words))
        ).union(*self.domain_table.values())
        # A light's nouns as said ("lamps", "Lampe"): a switch named with one is a light.
        self.light_nouns = frozenset(tokens(str(self._map(table, "kind_nouns").get("light", ""))))
        self.singular_nouns = self._set(table, "singular_nouns")
        # The domains each noun can name. Nouns that are also verbs ("lock up the garage", "vacuum the
        # hall") are left out; a place's noun ("garage") names the domains its file gives.
        self.noun_domains = {
            word: _KIND_DOMAINS[kind]
            for word, kind in self.kind_of.items()
            if word not in self.action | self.verb_domains.keys() | self.leading_verb_domains.keys()
        } | {self.normalise(noun): frozenset(_split(d)) for noun, d in self._map(table, "place_nouns").items()}

    @staticmethod
    def _set(table: Mapping[str, Any], name: str) -> frozenset[str]:
        """A table's words as the user's are read: lower case, split at apostrophes ("s'il" is "s", "il")."""
        return frozenset(tokens(" ".join(_split(table.get(name, "")))))

    @staticmethod
    def _map(table: Mapping[str, Any], name: str) -> Mapping[str, Any]:
        """A table of tables ({domain: words}), or {} where the language has none."""
        value = table.get(name)
        return value if isinstance(value, Mapping) else {}

    def _rephrasings(self, table: Mapping[str, Any]) -> list[tuple[re.Pattern[str], str]]:
        """The `rephrase` table as patterns: its verbs after politeness, the rest, and the ending it
        needs ("shut the blinds off"), each with the sentence to read instead."""
        polite = _either(sorted(self.before_verb))
        lead = rf"(?:(?:{polite})\s+)*" if polite else ""
        found = []
        for entry in table.get("rephrase") or []:
            said, ending, instead = _listed(entry.get("said")), _listed(entry.get("ending")), str(entry.get("as", ""))
            if not (said or ending) or "{rest}" not in instead:
                continue  # no verb at the start: a verb at the end ("Heizkörper im Bad ausschalten")
            verb = rf"(?:{_either(said)})\s+" if said else ""
            end = rf"\s+(?P<ending>{_either(ending)})" if ending else ""
            pattern = rf"^{lead}{verb}(?P<rest>.+?){end}[\s.!?]*$"
            found.append((re.compile(pattern, re.IGNORECASE), instead))
        return found

    def rephrased(self, text: str) -> str | None:
        """The request with a verb Home Assistant's sentences lack said as one they have ("kill the
        kitchen lights" as "turn off the kitchen lights", "Lösch das Licht" as "Schalte das Licht
        aus"), by the language's `rephrase` table; None where no entry fits."""
        return next(iter(self.rephrasings_of(text)), None)

    def rephrasings_of(self, text: str) -> list[str]:
        """Every rephrasing of the request, in the table's order: a verb may stand for several
        ("start the drip": "turn on the drip", "open the drip" for a valve)."""
        found = []
        for pattern, instead in self.rephrasings:
            if match := pattern.match(text.strip()):
                found.append(instead.format(rest=match["rest"], ending=match.groupdict().get("ending") or ""))
        return found

    @staticmethod
    def _word_domains(table: Mapping[str, Any], name: str) -> dict[str, frozenset[str]]:
        """Words mapped to the domains they belong to, from [{domains, words}] entries."""
        found: dict[str, frozenset[str]] = {}
        for entry in table.get(name) or []:
            domains = frozenset(_split(entry.get("domains", "")))
            found |= dict.fromkeys((word.lower() for word in _split(entry.get("words", ""))), domains)
        return found

    def _normalised(self, text: str) -> frozenset[str]:
        """Normalised forms of the words of a table."""
        return frozenset(self.normalise(word) for word in text.split())

    def normalise(self, word: str) -> str:
        """One word in a comparable form: lower case, plural (and in English "-ing") endings removed.

        Both sides (the user's words and the device's) go through it, so "Lampen" meets "Lampe".
        """
        word = word.lower()
        if self._stem == "english":
            return _english_stem(word)
        ending = next((end for end in self._stem_endings if word.endswith(end) and len(word) - len(end) >= 3), "")
        return word[: len(word) - len(ending)]

    def words(self, text: str, *, spoken: bool = True) -> frozenset[str]:
        """The normalised words of a text that can point at a device (filler left out).

        `spoken`: the text is what a user said, where "switch" may be the verb.
        """
        raw = tokens(text)
        kept = {
            self.normalise(word)
            for index, word in enumerate(raw)
            if word not in self.filler and not (spoken and self._is_verb(raw, index))
        }
        for word in raw if self.compound_heads else ():
            kept |= self._compound_parts(word, spoken=spoken)
        places = {self.normalise(word) for index, word in enumerate(raw) if self._is_place_word(raw, index)}
        return frozenset(kept - self.normalised_filler) | places

    def _is_place_word(self, raw: list[str], index: int) -> bool:
        """True for a filler word that names a place before a noun ("the *back* door", "Back Porch"),
        not when it is an adverb ("turn it back on", "go back to the last song")."""
        if raw[index] not in self.place_fillers or index + 1 >= len(raw):
            return False
        following = raw[index + 1]
        return following not in self.filler and following not in self.asking and not following.isdigit()

    def _compound_parts(self, word: str, *, spoken: bool) -> set[str]:
        """The parts of a word joined from a place and a kind ("Gangbeleuchtung": Gang, Beleuchtung),
        so that "das Licht im Gang" meets it; none for a word that is only a kind. A device's name gives
        only its place: "das Ventil" does not name the Hauptventil more than the Haupthahn."""
        head = self._compound_head(word)
        if head is None:
            return set()
        return {self.normalise(word[: -len(head)])} | ({self.normalise(head)} if spoken else set())

    def _compound_head(self, word: str) -> str | None:
        """The kind noun a word (lower case) is a compound of, after a part of its own ("Gangbeleuchtung":
        "beleuchtung"), or None."""
        return next((head for head in self.compound_heads if word.endswith(head) and len(word) - len(head) >= 3), None)

    def _is_verb(self, raw: list[str], index: int) -> bool:
        """True when a noun that is also a verb is the verb here: "switch off the lamp" uses the
        verb; "turn off the switch" names the device kind."""
        if (after := self.verb_nouns.get(raw[index])) is None:
            return False
        following = raw[index + 1] if index + 1 < len(raw) else None
        return index == 0 or following in after

    def domain_words(self, domain: str) -> frozenset[str]:
        """Words for a kind of device: the table's, plus the domain's own ("media", "player")."""
        return self.domain_table.get(domain, frozenset()) | self.words(domain.replace("_", " "), spoken=False)

    def device_words(self, device: Device) -> frozenset[str]:
        """Words that name one device: its name, aliases, area and entity id."""
        found: set[str] = set()
        for text in (device.name, device.area or "", *device.aliases, device.entity_id.split(".", 1)[-1]):
            found |= self.words(text, spoken=False)
        return frozenset(found)

    def object_phrase(self, text: str) -> str:
        """The part of a request that names its object, in the user's own words, from its first
        to its last telling word ("turn off the lights in the kitchen" -> "lights in the kitchen")."""
        if not isinstance(text, str):
            return ""
        not_telling = self.filler | self.action_words | self.other_verbs
        telling = [m for m in _TOKEN.finditer(text) if m.group(0).lower() not in not_telling]
        return text[telling[0].start() : telling[-1].end()] if telling else ""

    def said_words(self, text: str, previous: str = "") -> frozenset[str]:
        """What the user's request can point at; a follow-up ("turn it off") also uses the previous turn's words."""
        said = self.words(text)
        if previous and (not self.object_phrase(text) or self.pronouns & set(tokens(text))):
            said |= self.words(previous)
        return said

    def is_grounded(
        self,
        call: Call,
        device: Device,
        said: frozenset[str],
        house: House | None = None,
        head: str | None = None,
        *,
        lead: str | None = None,
    ) -> bool:
        """True when the user's words point at the target device.

        Words that could name a device ("porch", "decorative", "kitchen") decide when there are any: the
        target must share one, and no device of the house may share more ("living room rgbww lights"
        is not the ceiling light that merely sits in the living room). Otherwise ("turn on the
        lights") a word for the device's kind is enough. `head`: the kind of device the request names;
        `lead`: its leading word (normalised), a verb unless a device has it.
        """
        if house is not None and self._named_whole(device, said, house):
            return True
        naming = self.naming_words(said, call, head)
        if lead is not None and house is not None and not any(lead in self.device_words(d) for d in house.devices):
            naming -= {lead}  # a verb the lists lack ("retract the awning") names no device
        if not naming or house is None:
            return bool(said & (self.device_words(device) | self.domain_words(call.domain)))
        overlap = len(naming & self.device_words(device))
        return overlap > 0 and overlap == max(len(naming & self.device_words(other)) for other in house.devices)

    def _named_whole(self, device: Device, said: frozenset[str], house: House) -> bool:
        """True when every word of the device's name (or an alias) of two or more words is said, and no
        device's longer name that holds it is said whole too: "bump the water heater up to 130, we've got
        the grandkids this weekend" names the Water Heater whatever the other words are."""
        names = [self.words(name, spoken=False) for name in (device.name, *device.aliases)]
        whole = [words for words in names if len(words) >= 2 and words <= said]
        if not whole:
            return False
        longest = max(whole, key=len)
        return not any(
            longest < words <= said
            for other in house.devices
            if other.entity_id != device.entity_id
            for words in (self.words(name, spoken=False) for name in (other.name, *other.aliases))
        )

    def naming_words(self, said: frozenset[str], call: Call, head: str | None = None) -> frozenset[str]:
        """The user's words that could only name a device: not verbs, kinds, settings, numbers, the
        call's own argument values ("netflix" in "switch the tv to netflix") or its service's words
        ("night" in "set the alarm for the night": alarm_arm_night)."""
        values: set[str] = set(self.words(call.service.replace("_", " "), spoken=False))
        for value in call.arguments.values():
            values |= self.words(str(value), spoken=False)
            values |= self._mode_said_as(str(value))  # "Nachtmodus" for "sleep"
        # Another domain's noun names ("the *garage* light"), unless it is the kind the request is about.
        nouns = self._other_kind_nouns(call.domain, _SERVICE_PARTS.get(call.service))
        generic = self.generic - {word for word in nouns if head is None or self.kind_of.get(word) != head}
        numbers = self._number_word_stems | self._rough_value_words  # "to seventy three", "about a quarter"
        return frozenset(word for word in said - generic - values if not word.isdigit() and word not in numbers)

    @cached_property
    def _rough_value_words(self) -> frozenset[str]:
        """The words of a value said roughly or as a fraction ("about", "three quarters", "half of the way"),
        normalised; not those of a whole one ("max" may be a name: "Max's lamp")."""
        fractions = [phrase for phrase, percent in self.fraction_words.items() if percent < 100]
        phrases = [*fractions, *(" ".join(tail) for tail in self.fraction_tails), *self.about_words]
        return frozenset(self.normalise(word) for phrase in phrases for word in tokens(phrase))

    @cached_property
    def _number_word_stems(self) -> frozenset[str]:
        """The words of spelled numbers ("seventy", "three", "zweiundzwanzig"), normalised as said words are."""
        return frozenset(self.normalise(word) for spelled in self._number_words for word in spelled.split())

    def _other_kind_nouns(self, domain: str, part: str | None = None) -> frozenset[str]:
        """Nouns for devices of other domains: they tell devices apart ("the *garage* light" is no bed
        light), unless they name the part of the device the call sets (`part`: "the nest *fan* to low")."""
        return frozenset(
            word
            for word, domains in self.noun_domains.items()
            if domain not in domains and (part is None or self.kind_of.get(word) != part)
        )

    def request_parts(self, text: str) -> list[str]:
        """The parts of a request that holds several ("kitchen lights off and the tv on"), or the whole."""
        parts = [part for part in self.parts_pattern.split(text) if self.words(part)] if isinstance(text, str) else []
        parts = [clause for part in parts for clause in self._clauses(part) if not self._only_closing(clause)]
        merged: list[str] = []
        for part in parts:
            if merged and self._only_a_value(part):
                merged[-1] = f"{merged[-1]}, {part.strip()}"  # "…warmweiss, so 2700 Kelvin": the part before's value
            else:
                merged.append(part)
        return merged or [text]

    def _only_closing(self, part: str) -> bool:
        """True for a part that only closes the request ("…, thanks."): no part of its own."""
        said = set(tokens(part))
        return bool(said) and said <= self.closing_words | self.filler

    def _clauses(self, part: str) -> list[str]:
        """A part cut where a clause that says why begins without a comma, as speech is written ("switch
        the dehumidifier on it's damp in here", "turn the heating off we're going out"); not after a word
        that ties it to the request ("run the roomba while I'm out", "send it back to its dock")."""
        if self.clause_pattern is None:
            return [part]
        clauses = [""]
        for piece in self.clause_pattern.split(part):
            said = tokens(clauses[-1])
            if said and said[-1] not in self.clause_links and len(said) > 1:
                clauses.append(piece)
            else:
                clauses[-1] = f"{clauses[-1]} {piece}".strip()
        return [clause for clause in clauses if clause]

    def _only_a_value(self, part: str) -> bool:
        """True for a part that says a value and nothing else ("so 2700 Kelvin", "so auf vierzig Prozent")."""
        said = tokens(self.with_digits(part))
        other = self.filler | self.about_words | self.to_words | {"k", "kelvin"}
        rest = [w for w in said if not w.isdigit() and w not in other and self.normalise(w) not in self.unit_words]
        return any(word.isdigit() for word in said) and not rest

    def asks_to_add(self, text: str) -> bool:
        """True when the user asked to add something to a list ("add milk", "put eggs on my list")."""
        return bool(self.add & {self.normalise(word) for word in tokens(text)})

    def hold_ungrounded(
        self,
        verdicts: Iterable[Verdict],
        house: House,
        text: str,
        previous: str = "",
        check: Callable[[Call], Verdict] | None = None,
        *,
        read_first: bool = True,
    ) -> tuple[list[Verdict], list[Hold]]:
        """Split the policy's verdicts into those to run (or report as refused) and the ones held back.

        A call held because the request does not mention its device runs instead on the one device the
        request does point at (see `resolve`), when `check` (the call policy) allows it there.
        A request the words alone say how to do runs as read (see read_request; `read_first`: False
        where the caller has already read it and found nothing)."""
        if check is not None and read_first and (read := self.read_request(house, text, check)) is not None:
            return read, []
        text = self.as_written(text)
        said_parts = self.request_parts(text)
        if len(said_parts) > 1:  # "Stell die Stube auf 35 Grad, mir is saukalt": one request and why
            said_parts = self._without_remarks(said_parts, house)
        if any(rephrased := [self.rephrased(part) for part in said_parts]):  # "retract the awning": "close ..."
            said_parts = [instead or part for instead, part in zip(rephrased, said_parts, strict=True)]
            text = ", ".join(said_parts)
        parts = [(part, self.said_words(part, previous)) for part in said_parts]
        keep: list[Verdict] = []
        held: list[Hold] = []
        for given in verdicts:
            verdict = given
            device = house.device(verdict.call.entity_id)
            hold = None
            if verdict.allowed and device is not None:
                if check is not None and len(parts) == 1:  # before the hold: "to cool" is no temperature
                    verdict = self.with_said_mode(verdict, house, text, check)
                    verdict = self.with_listed_mode(verdict, device, text, check)
                    if verdict.call.service == "toggle":  # the way said, so that it may move ("switch … on")
                        verdict = self.with_said_service(verdict, text, house, check)
                hold = self._hold(verdict.call, device, parts, text, house, previous=previous)
                own = self._own_part(verdict.call, device, parts, text, house) if hold is None else None
                if own is not None and check is not None:  # the words about this device: its value
                    verdict = self.with_said_service(verdict, own, house, check)
                    verdict, hold = self.with_asked_value(verdict, device, own, check)
                    hold = hold or self._unlisted_setting(verdict.call, device, own, house)
            if hold is not None and check is not None and hold.reason.endswith(AGAINST):
                turned = self._turned(hold.call, parts, text, house, previous=previous, check=check)
                if turned is not None:
                    if turned not in keep:
                        keep.append(turned)
                    continue
            if hold is not None and check is not None and hold.reason.startswith(NOT_MENTIONED):
                moved = self._moved(hold.call, parts, text, house, previous=previous, check=check)
                if moved is not None and len(parts) == 1:  # moved to the thermostat named: its mode said
                    moved = self.with_said_mode(moved, house, text, check)
                moved, lacking = self._checked_after_move(moved, text, house, len(parts), check)
                if lacking is not None:
                    hold = lacking  # "Mach auf dem LG Disney Plus an" moved to the TV: asked
                if moved is not None:
                    if moved not in keep:  # two calls moved to the same one run it once
                        keep.append(moved)
                    continue
            if hold is None:
                keep.append(verdict)
            else:
                held.append(hold)
        if check is not None and len(parts) == 1:
            extra = self._the_others(keep, text, house, previous=previous, check=check)
            added = {verdict.call.entity_id for verdict in extra}
            keep += extra
            held = [hold for hold in held if hold.call.entity_id not in added]  # asked about, now done
        return keep, held

    def _checked_after_move(
        self, moved: Verdict | None, text: str, house: House, part_count: int, check: Callable[[Call], Verdict]
    ) -> tuple[Verdict | None, Hold | None]:
        """A call moved to the device named, in a request of one part, as the words ask: with the value
        said ("set the bedroom AC to 55" moved with the model's 84 for another AC: 55, or asked about where
        the device does not take it; see with_asked_value), and held where it would switch the device on
        for a setting it lacks (see _unlisted_setting). (call or None, hold or None)."""
        device = house.device(moved.call.entity_id) if moved is not None else None
        if moved is None or device is None or part_count != 1:
            return moved, None
        moved, hold = self.with_asked_value(moved, device, text, check)
        hold = hold or self._unlisted_setting(moved.call, device, text, house)
        return (None, hold) if hold is not None else (moved, None)

    def _own_part(
        self, call: Call, device: Device, parts: list[tuple[str, frozenset[str]]], text: str, house: House
    ) -> str | None:
        """The words about the call's device: the request when it is one part, else the one part that names
        the device ("Leselampe auf 20 Prozent, ick will gleich pennen"), or of several the one that gives a
        number ("Bei Paul ist's zu warm, stell sein Thermostat auf 18"); None where none or several do."""
        if len(parts) == 1:
            return text
        naming = [
            part
            for part, said in parts
            if self.is_grounded(call, device, said, house, self.head_kind(part), lead=self._lead_word(part))
        ]
        if len(naming) > 1:
            naming = [part for part in naming if self.says_number(self.with_digits(part))]
        return naming[0] if len(naming) == 1 else None

    def read_request(self, house: House, text: str, check: Callable[[Call], Verdict]) -> list[Verdict] | None:
        """The calls the words alone ask for, each allowed by `check`, whatever the model writes: Home
        Assistant's reading, a source, a cleaning job; None when only the model can say."""
        text = self.as_written(text)
        if (read := self._home_assistant_reading(house, text, check)) is not None:
            return read
        for reading in self._word_readings:  # read from the words
            if (read_call := self._checked(reading(text, house), text, check)) is not None:
                return [read_call]
        return None

    def as_written(self, text: str) -> str:
        """The text with words of a region written as the word tables have them ("ein bisserl lauter")."""
        if self._spoken_pattern is None or not isinstance(text, str):
            return text
        return self._spoken_pattern.sub(lambda match: self.spoken_as[match[0].casefold()], text)

    @property
    def _word_readings(self) -> tuple[Callable[[str, House], Call | None], ...]:
        """The readings of a request's own words: a source, a cleaning or watering job, the volume, a mode,
        a colour temperature, a humidity, arming the alarm."""
        return (
            self.asked_source,
            self.asked_cleaning,
            self.asked_watering,
            self.asked_volume,
            self.asked_mode,
            self.asked_kelvin,
            self.asked_humidity,
            self.asked_arming,
        )

    def _read_by_words(self, text: str, house: House) -> list[Call] | None:
        """A part of a request as the first of the word readings that reads it, or None."""
        return next(([call] for reading in self._word_readings if (call := reading(text, house))), None)

    @cached_property
    def command_sentences(self) -> Any | None:
        """Home Assistant's command sentences in this language (parsed on first use), or None."""
        return command_sentences(self.lexicon.intents_data)

    def read_by_home_assistant(self, text: str, house: House) -> list[Call] | None:
        """The calls Home Assistant's own sentences read the whole request as, or None (see intent_sentences)."""
        calls = read_command(self.command_sentences, text, house, self.domain_nouns, self.light_nouns)
        if calls is not None and len(calls) > 1 and self._says_one(text):
            return None  # "turn off the living room lamp" with three lights there: which one is a guess
        return calls

    def _says_one(self, text: str) -> bool:
        """True when a request names one device by a singular noun for one thing ("the lamp", "die
        Lampe"), not a room's light or heating (`mass_nouns`) nor "all" or "both"."""
        noun = self.head_noun(text)
        if noun is None or not self.mass_nouns or self._plural(noun) or set(tokens(text)) & self.all_words:
            return False
        return self.normalise(noun) not in self.mass_nouns

    def _home_assistant_reading(
        self, house: House, text: str, check: Callable[[Call], Verdict]
    ) -> list[Verdict] | None:
        """The calls Home Assistant's sentences read the request as, in place of the model's ("add
        stroopwafels to albert heijn" written on the shopping list), when the policy allows each of
        them or refuses only a value the words gave; None otherwise (a refused reading, "unlock the front door",
        is left to the usual rules)."""
        calls = self._read(text, house)
        each_place = None if calls else self._each_place(text, house)
        if each_place is not None and (in_each := self._read_in_each(each_place, house, check)) is not None:
            return in_each
        parts = self.request_parts(text)
        if not calls and len(parts) == 1 and parts[0] != text.strip(" .!?") and not all(self._directions(text)):
            calls = self._read(parts[0], house)  # "Pack Klopapier auf die Einkaufsliste, ist schon wieder alle"
        if not calls and len(parts) > 1 and _LABEL.match(text):
            parts = parts[1:]  # "goodnight: lock the front door, …": a label, then what it means
        if not calls and 1 < len(parts) <= _MAX_READ_PARTS:  # "turn on the sconces and close the curtain": each part
            parts = self._without_remarks(parts, house)
            readings = [
                self._read_part(parts, index, house)
                or self._read_by_words(parts[index], house)
                or (index and self._read_by_words(f"{parts[0].split()[0]} {parts[index]}", house))  # "… and the tunnel"
                for index in range(len(parts))
            ]
            calls = [call for reading in readings for call in reading or ()] if all(readings) else None
        if not calls or any(str(call.arguments.get("item", "")).casefold() in self.pronouns for call in calls):
            return None  # "add them to the list": the item is said before, in words only the model reads
        calls = [each for call in calls for each in self._items_apart(call, text)]
        if any("percentage" in call.arguments for call in calls) and self._may_be_a_step(text):
            return None  # "ceiling fan to 3": a fan's plain number may be a speed step, not 3 %
        read = [check(call) for call in calls]
        return read if all(verdict.allowed or self._refused_as_said(verdict, text) for verdict in read) else None

    def _each_place(self, text: str, house: House) -> tuple[str, str] | None:
        """The request said once for each of two rooms it joins by "and" ("Heizung in Zimmer 1 und Zimmer 2
        auf 17 Grad", "stell im Wohnzimmer und im Schlafzimmer die Heizung auf 22 Grad"), or None."""
        areas = {device.area for device in house.devices if device.area}
        if not areas or self.and_word is None:
            return None
        place, small = _either(areas), _either(self.articles | self.place_words)
        joined = rf"(?<!\w)(?P<a>{place})\s+{re.escape(self.and_word)}\s+(?:(?:{small})\s+){{0,2}}(?P<b>{place})(?!\w)"
        match = re.search(joined, text, re.IGNORECASE)
        if match is None or match["a"].casefold() == match["b"].casefold():
            return None
        before, after = text[: match.start()], text[match.end() :]
        return f"{before}{match['a']}{after}", f"{before}{match['b']}{after}"

    def _read_in_each(
        self, texts: tuple[str, str], house: House, check: Callable[[Call], Verdict]
    ) -> list[Verdict] | None:
        """The readings of the request for each room, when both read the same services (a light's turn_on and
        a relay's alike) on devices of their own; None otherwise (the parts are read, else the model)."""
        first, second = (self._home_assistant_reading(house, text, check) for text in texts)
        if not first or not second:
            return None
        services = [sorted(v.call.service for v in read) for read in (first, second)]  # a light, a relay
        devices = [{v.call.entity_id for v in read} for read in (first, second)]
        return first + second if services[0] == services[1] and not devices[0] & devices[1] else None

    def _items_apart(self, call: Call, text: str) -> list[Call]:
        """An item read as a list ("Kaffee, Butter und Eier") as one add_item call for each; other calls as
        they are. Home Assistant's sentences take all of it as one item, without its commas: the item is
        split as the text says it."""
        item = call.arguments.get("item")
        if call.service != "add_item" or not isinstance(item, str) or not item.split():
            return [call]
        said = re.search(r"[\s,;]+".join(re.escape(word) for word in item.split()), text, re.IGNORECASE)
        items = [part.strip() for part in self.parts_pattern.split(said[0] if said else item) if part.strip()]
        items = [self._without_article(each) for each in (items if 1 < len(items) <= _MAX_EACH else [item])]
        if items == [item]:
            return [call]
        return [Call(call.domain, call.service, call.entity_id, {**call.arguments, "item": each}) for each in items]

    def _without_article(self, item: str) -> str:
        """An item without the indefinite article it was said with ("add a propane refill": "propane
        refill"; `item_articles`): a list holds things, not phrases."""
        first, _, rest = item.partition(" ")
        return rest.strip() if rest.strip() and first.casefold() in self.item_articles else item

    def _may_be_a_step(self, text: str) -> bool:
        """True when a request gives a plain number a fan could take as a speed step ("to 3"), no percent."""
        if self.percent_pattern.search(text):
            return False
        return any(int(number) <= _MAX_SPEED_STEP for number in re.findall(r"\d+", self.with_digits(text)))

    def _without_remarks(self, parts: list[str], house: House) -> list[str]:
        """The parts that ask for something, the remarks left out (see `_is_remark`); all of them where one
        points back at what a remark names ("Mir ist kalt im Wintergarten, mach da die Heizung an", "Bei
        Paul ist's zu warm, stell sein Thermostat auf 18"), or where every part is a remark."""
        asking = [part for part in parts if not self._is_remark(part, house)]
        if not asking or any(set(tokens(part)) & self.back_pointers for part in asking):
            return parts
        return asking

    def _is_remark(self, part: str, house: House) -> bool:
        """True for a part of a request that only says why ("I'm done in the shop", "the wind's picking
        up", "kids are down"): no number and no device's name, and either a statement (its subject first,
        "I", "wir", or "is"/"are" second or third) with no direction last, or no verb that asks for
        anything and no word of a device or kind but a room's."""
        said = tokens(part)
        if said and said[0] in self.in_words and set(said[1:5]) & self.copula_words:  # "Im Gewächshaus sind 30 Grad"
            return said[-1] not in self.up_words | self.down_words
        if not said or any(word.isdigit() for word in said):
            return False
        folded = part.casefold()
        statement = said[0] in self.subject_words or set(said[1:3]) & self.copula_words  # "the kids are down"
        areas = {device.area.casefold() for device in house.devices if device.area} if statement else set()
        names = {name.casefold() for device in house.devices for name in (device.name, *device.aliases)}
        if any(name in folded for name in names - areas):
            return False  # "kitchen cans": a name, though its words are a room's and a filler's
        if statement:  # a room's name in a statement says where ("im Vorzimmer ist alles voller Brösel")
            return said[-1] not in self.up_words | self.down_words  # not "I want the porch light on"
        verbs = self.action_words | self.verb_domains.keys() | self.leading_verb_domains.keys()
        if set(said) & verbs or self.rephrasings_of(part):
            return False
        if len(said) < 2 or set(said) & (self.asking | self.setting_words | self.hvac_modes.keys()):
            return False  # "… to heat and cool": "cool" is a setting, not a remark
        areas = {word for device in house.devices for word in self.words(device.area or "", spoken=False)}
        named = {word for device in house.devices for word in self.device_words(device)} | self.kind_of.keys()
        said_words = self.said_words(part) - areas
        return bool(said_words) and not said_words & named  # a room alone is an object ("… and the polytunnel")

    def _read(self, text: str, house: House, *, each: bool = True) -> list[Call] | None:
        """The request read by Home Assistant's sentences as said, as the setting it implies, with
        its verb rephrased or (`each`) once for each device "all" or "both" names."""
        if len(text) > MAX_TEXT:
            return None  # longer than any spoken command: neither read nor rephrased (see intent_sentences)
        text = self._plainly(text)
        calls = self._read_as_said(text, house)
        for rephrased in self.rephrasings_of(text) if calls is None else ():
            if (calls := self._read_as_said(rephrased, house)) is not None:
                break  # "den Boiler auf 60 Grad stellen": "stell den Boiler auf 60 Grad"
        if calls is None and each:
            calls = self._read_each(text, house)
        if calls is None and each and (as_all := self._both_as_all(text)) != text:
            calls = self._read(as_all, house, each=False)  # "both the lamps in the bedroom": the two there
            calls = calls if calls and len(calls) == 2 else None
        if calls is None and (named := self._with_names_as_written(text, house)) != text:
            calls = self._read(named, house, each=each)  # "Heizkörper im Bad" for the Heizkörper Bad
        if calls is None:
            calls = self._read_without_place(text, house, each=each)
        if calls is None and (apart := self._with_compounds_apart(text, house)) != text:
            calls = self._read(apart, house, each=each)  # "Küchenlicht aus": "Küche Licht aus"
        if calls is None and self.outdoor_words:
            calls = self._read_outdoors(text, house, each=each)
        if calls is None and (near := self._with_near_names(text, house)) != text:
            calls = self._read(near, house, each=each)  # "stairs on" for the Stairwell
        if calls is None and (brightness := self._as_room_brightness(text)) is not None:
            calls = self.read_by_home_assistant(brightness, house)  # after the names: "Licht in der Stube" may be one
        if calls is None and (sole := self._with_sole_of_kind(text, house)) is not None:
            calls = self._read(sole[0], house, each=False)  # "turn off the TV": the Great Room TV
            calls = calls if calls and {call.entity_id for call in calls} == {sole[1].entity_id} else None
        return calls

    def _read_as_said(self, text: str, house: House) -> list[Call] | None:
        """The request read by Home Assistant's sentences as said, with its numbers in digits, as the
        setting it implies, or with a colour said the way the sentences have it; None where none reads."""
        calls = self.read_by_home_assistant(text, house)
        if calls is None and (digits := self.with_digits(text)) != text:  # "auf die Hälfte": "auf 50 prozent"
            calls = self.read_by_home_assistant(digits, house)
        for implied in self.implied_settings(text) if calls is None else ():
            if (calls := self.read_by_home_assistant(implied, house)) is not None:
                break
        if calls is None and (coloured := self._as_colour_setting(text)) != text:
            calls = self.read_by_home_assistant(coloured, house)  # "Stimmungslicht in Blau": "… auf Blau"
        if calls is None and (known := self._with_colours_as_read(text, house)) != text:
            calls = self._read_as_said(known, house)  # "Hue Play links lila": "… violett"
        return calls

    @cached_property
    def _colours_as_read(self) -> dict[str, str]:
        """This language's colour words that Home Assistant's sentences lack ("lila"), each with a word they
        have for the same colour ("violett")."""
        theirs = intents_colours(self.lexicon.intents_data)
        word_for: dict[str, str] = {}
        for word, colour in theirs.items():
            word_for.setdefault(colour, word)
        return {
            word: word_for[colour]
            for word, colour in self.color_names.items()
            if word != colour and word not in theirs and colour in word_for  # not English's "red" in German
        }

    def _with_colours_as_read(self, text: str, house: House) -> str:
        """The text with its colour words as Home Assistant's sentences say them (not a word of a name)."""
        named = {word for device in house.devices for word in tokens(device.name)}
        colours = {word: said for word, said in self._colours_as_read.items() if word not in named}
        if not colours:
            return text
        pattern = rf"(?<!\w)(?:{_either(colours)})(?!\w)"
        return re.sub(pattern, lambda match: colours[match[0].casefold()], text, flags=re.IGNORECASE)

    def _with_compounds_apart(self, text: str, house: House) -> str:
        """The text with a compound of a room and a kind that no device is named ("Küchenlicht" where the
        kitchen's light is the Tradfri Küche) said as room and kind ("Küche Licht"), as Home Assistant
        reads a room's lights; only in a language that joins nouns."""
        if not self.compound_heads:
            return text
        areas = {area.casefold(): area for device in house.devices if (area := device.area)}
        named = {word for device in house.devices for name in (device.name, *device.aliases) for word in tokens(name)}
        words = text.split()
        for index, word in enumerate(words):
            plain = word.strip(",.!?").casefold()
            head = next((h for h in self.compound_heads if plain.endswith(h) and plain != h), None)
            if head is None or plain in named:
                continue
            start = plain[: -len(head)]
            unlinked = [start[: -len(link)] for link in _LINKS if start.endswith(link)]
            area = next((areas[said] for said in (start, *unlinked) if said in areas), None)
            if area is not None:
                words[index] = f"{area} {word[len(start) :]}"  # "Küchenlicht": "Küche licht"
        return " ".join(words)

    def _read_outdoors(self, text: str, house: House, *, each: bool) -> list[Call] | None:
        """A request for what is outside ("pause the music outside", "all the outdoor lights on") read
        for each of the house's outdoor areas (a Deck, a Pool, a Garden): the one area that reads, or with
        "all" every area that does; None where the text says no outdoor word or nothing reads."""
        words = self._outdoor_pattern.search(text)
        if words is None:
            return None
        areas = sorted({d.area for d in house.devices if d.area and set(tokens(d.area)) & self.outdoor_areas})
        found: list[Call] = []
        for area in areas[:_MAX_EACH]:
            said = self.outdoor_words[words.group(0).casefold()].format(area=area)
            if (calls := self._read(self._outdoor_pattern.sub(said, text, count=1), house, each=each)) is not None:
                found += calls
        noun = self.head_noun(text)
        everything = set(tokens(text)) & self.all_words or (noun is not None and self._plural(noun))  # "the lights"
        return found if found and (everything or len({house.device(c.entity_id).area for c in found}) == 1) else None

    @cached_property
    def _outdoor_pattern(self) -> re.Pattern[str]:
        """The language's words for outside, as a pattern."""
        return re.compile(rf"\b(?:{_either(self.outdoor_words)})\b", re.IGNORECASE)

    def _with_near_names(self, text: str, house: House) -> str:
        """The text with a word the house has nowhere said as the one of its `near_names` group the house
        has ("stairs": Stairwell, "front room": Living Room, "Glotze": Fernseher), where it has one only."""
        names = " | ".join(
            name.casefold() for device in house.devices for name in (device.name, *device.aliases, device.area or "")
        )
        for group in self.near_names:
            present = [phrase for phrase in group if re.search(rf"\b{re.escape(phrase)}", names)]
            said = [phrase for phrase in group if phrase not in present and _says(text, phrase)]
            if len(present) == 1 and said:
                text = re.sub(rf"\b{re.escape(said[0])}\b", present[0], text, count=1, flags=re.IGNORECASE)
        return text

    def _with_sole_of_kind(self, text: str, house: House) -> tuple[str, Device] | None:
        """The text with a kind noun said alone ("turn off the TV") as the name of the one device it can
        mean, and that device; None where the text says no such noun or it may mean several. A device
        of the kind's domains may be it unless its name says another noun of that kind (the Deck Speaker
        is no TV; the Pendants are "lights", not "the lamp")."""
        raw = tokens(text)
        found: dict[str, tuple[str, Device]] = {}
        for index, word in enumerate(raw):
            noun = self.normalise(word)
            if noun not in self.kind_of or self._is_verb(raw, index):
                continue
            meant = [device for device in house.devices if self._may_be_called(noun, device)]
            if len(meant) != 1 or (self._plural(word) and word.casefold() not in tokens(meant[0].name.casefold())):
                continue  # "the lights" may mean several; "shutters" the one device named "… Shutters"
            if self._is_called(noun, sole := meant[0]) and sole.domain not in READ_ONLY:
                found[sole.entity_id] = (word, sole)  # (not the Volumio for "the tv": it may be no TV)
        if len(found) != 1:
            return None  # two nouns for two devices ("the TV and the fan"): each part is read on its own
        word, device = next(iter(found.values()))
        if len(device.name) > MAX_NAME or device.name.casefold() in text.casefold():
            return None  # said by its whole name already: read as said, or not at all
        named = re.sub(rf"\b{re.escape(word)}\b", lambda _said: device.name, text, count=1, flags=re.IGNORECASE)
        return named, device

    def _is_called(self, noun: str, device: Device) -> bool:
        """True when a word for one device (normalised) can mean the device (see `called`)."""
        in_domain = device.domain in self._called_domains(noun)
        return noun in self.device_words(device) or in_domain or self._ends_in(device, noun)

    def _called_domains(self, noun: str) -> frozenset[str]:
        """The domains all of whose devices a word can mean: a word their names rarely carry ("the AC",
        "the volume"), or a room's word for its kind ("das Licht": any light; see `mass_nouns`)."""
        domains = self.unnamed_kinds.get(noun, frozenset())
        if noun in self.mass_nouns:
            domains |= {domain for domain, kind in _DOMAIN_KIND.items() if kind == self.kind_of.get(noun)}
        return domains

    def _may_be_called(self, noun: str, device: Device) -> bool:
        """True when a kind noun (normalised) said alone may mean the device: it is called so, or it is of
        the noun's kind and its name says no other noun of that kind (the Pendants are no "lamp")."""
        if self._is_called(noun, device):
            return True
        kind = self.kind_of[noun]
        if device.domain in RELAY_DOMAINS or device.domain not in _KIND_DOMAINS.get(kind, frozenset()):
            return False
        if device.domain == "cover" and (kinds := self.device_kinds(device)) and kind not in kinds:
            return False  # the Main Gate (a door by its name or class) is no "shutter"
        name_nouns = {self.normalise(word) for name in (device.name, *device.aliases) for word in tokens(name)}
        return not any(self.kind_of.get(other) == kind for other in name_nouns)

    def _may_be_kind(self, noun: str, device: Device) -> bool:
        """True when a kind noun (normalised) said alone may mean the device: it is called so, or it is of
        a domain of that kind and of no kind by its names or class ("the fan": the Shop Exhaust; not the Rollo
        Schlafzimmer for "die Markise", nor a garage door's cover called "Garage" for "the awning")."""
        if self._is_called(noun, device):
            return True
        kind = self.kind_of[noun]
        if device.domain in RELAY_DOMAINS or device.domain not in _KIND_DOMAINS.get(kind, frozenset()):
            return False
        return not self.device_kinds(device) and not any(self.word_kind(word) for word in tokens(device.name))

    def _as_colour_setting(self, text: str) -> str:
        """A colour said at the end after "in" or after a verb that only says "make" ("Sternenhimmel in
        Blau", "mach das Stimmungslicht blau") as Home Assistant's sentence has it ("… auf Blau")."""
        words = text.rstrip(" .!?").split()
        if len(words) < 2 or words[-1].casefold() not in self.color_names or not self.to_word:
            return text
        if words[-2].casefold() in self.colour_prepositions:
            words[-2] = self.to_word
        if words[0].casefold() in self.wants_a_complement and len(words) > 2:
            words = words[1:]
        return " ".join(words)

    def _plainly(self, text: str) -> str:
        """The request without a "please" ("Wohnzimmer auf 22 Grad bitte", "Licht in der Diele bitte auf
        20 Prozent"), a verb that says nothing ("Tu Kaffee auf die Liste") or a value's noun after it ("at
        half speed"), and with a formal imperative said plainly ("Machen Sie alle Rollläden runter": "Mache
        alle …"), as Home Assistant's sentences have them."""
        said = text.rstrip(" .!?").split()
        words = [word for word in said if word.casefold().strip(",") not in self.closing_words] or said
        if len(words) > 2 and words[0].casefold() in self.empty_verbs:
            words = words[1:]  # "Tu Kaffee auf die Liste"
        if len(words) > 2 and words[-1].casefold() in self.value_nouns and self._ends_in_a_value(words[:-1]):
            words.pop()  # "the fan at half speed", "auf 40 Prozent Helligkeit": the value says it
        text = " ".join(words)
        if self.whole_words:  # "das ganze Licht in der Stube": every light there, as "das Licht" reads
            text = " ".join(word for word in text.split() if word.casefold() not in self.whole_words)
        if self.formal_you is not None:
            text = self.formal_you.sub(r"\g<stem>e", text, count=1)
        return text

    def _ends_in_a_value(self, words: list[str]) -> bool:
        """True when words end in a value: a number, a percentage or a fraction ("50 percent", "half")."""
        tail = self.with_digits(" ".join(words[-2:]))  # "eighty percent" too
        last = tail.split()[-1].casefold().strip(",%")
        percent = self.percent_pattern.search(tail)
        return last.isdigit() or last in self.fraction_words or bool(percent and percent.end() == len(tail))

    def _read_without_place(self, text: str, house: House, *, each: bool) -> list[Call] | None:
        """The request read without a room it says before its objects ("Im Kinderzimmer die Deckenlampe
        aus", "Mach im Arbeitszimmer das Key Light aus"), when every device read is in that room."""
        areas = {device.area for device in house.devices if device.area and len(device.area) <= MAX_NAME}
        for area in sorted(areas, key=len, reverse=True):
            pattern = re.compile(rf"\b({self._place_phrase(area)})\s+(?={_either(self.articles)}\b)", re.IGNORECASE)
            if (without := pattern.sub("", text, count=1)) == text:
                continue
            calls = self._read(without, house, each=each)
            if calls is None:  # "Im Vorzimmer das Licht halb hell": the room after its object, as said of a room
                place = pattern.search(text)[1]  # type: ignore[index]
                noun = rf"^(.*?\b(?:{_either(self.articles)})\s+\S+)"
                moved = re.sub(noun, lambda match, place=place: f"{match[1]} {place}", without, count=1)  # (no escapes)
                brightness = self._as_room_brightness(moved) if moved != without else None
                calls = self.read_by_home_assistant(brightness, house) if brightness else None
            devices = [house.device(call.entity_id) for call in calls or ()]
            return calls if calls and all(device is not None and device.area == area for device in devices) else None
        return None

    def _place_phrase(self, area: str) -> str:
        """A pattern for a room said with its preposition and article ("im Bad", "in der Küche")."""
        return rf"(?:{_either(self.place_words)})(?:\s+(?:{_either(self.articles)}))?\s+{re.escape(area)}"

    def _with_names_as_written(self, text: str, house: House) -> str:
        """The text with "<kind> in <room>" said as the name of a device written "<kind> <room>" or
        "<room> <kind>" ("Heizkörper im Bad ausschalten": Heizkörper Bad; "Licht in der Stube": Stube
        Licht; in a language that joins nouns also by the kind's last noun: "Storen in der Stube" for the
        only Lamellenstoren Stube), and a name said inflected as written ("den gemütlichen Abend")."""
        by_head: dict[str, list[Device]] = {}
        for device in house.devices:
            for kind_said, where in self._kind_and_place(device):  # "Licht in Behandlung 1": Licht Behandlung 1
                place, kind_word = self._place_phrase(where), re.escape(kind_said)
                text = re.sub(rf"\b{kind_word}\s+{place}\b", device.name, text, flags=re.IGNORECASE)
                articles = rf"(?:(?:{_either(self.articles)})\s+)?" if self.articles else ""
                text = re.sub(rf"\b{place}\s+{articles}{kind_word}\b", device.name, text, flags=re.IGNORECASE)
            if (kind := self._kind_of_name(device)) is None:
                continue
            head = next((h for h in self.compound_heads if kind.casefold().endswith(h) and kind.casefold() != h), None)
            if head is not None:
                by_head.setdefault(rf"\b{head}\s+{place}\b", []).append(device)
        for pattern, devices in by_head.items():
            if len(devices) == 1:  # two "…storen" of the Stube: "Storen in der Stube" is either
                text = re.sub(pattern, devices[0].name, text, flags=re.IGNORECASE)
        for device in house.devices:  # "in den Putzplan": Home Assistant's list sentences lack the article
            if device.domain == "todo" and self.list_articles and len(device.name) <= MAX_NAME:
                article = rf"\b(?:{_either(self.list_articles)})\s+({re.escape(device.name)})\b"
                text = re.sub(article, r"\1", text, flags=re.IGNORECASE)
        for device in house.devices:  # "Mehmets Ventilator", "Liam's fan": a name written "<kind> <owner>"
            words = device.name.split()
            if len(words) == 2 and all(word.isalpha() for word in words):
                owner = rf"\b{re.escape(words[1])}(?:'s|s|')\s+{re.escape(words[0])}\b"
                text = re.sub(owner, device.name, text, flags=re.IGNORECASE)
        text = self._without_trailing_kind(self._with_name_numbers(text, house), house)
        return self._with_inflected_names(text, house)

    def _with_name_numbers(self, text: str, house: House) -> str:
        """The text with a name's number said in words written as the name has it ("Behandlung eins" for
        Licht Behandlung 1, "bedroom two" for the Bedroom 2 Fan)."""
        spoken = {str(number): word for word, number in self.number_words.items()}
        for device in house.devices:
            for name in (device.name, *device.aliases):
                words = name.split()
                for index, word in enumerate(words[1:], 1):
                    if word in spoken and len(name) <= MAX_NAME:
                        said = rf"\b{re.escape(words[index - 1])}\s+{re.escape(spoken[word])}\b"
                        text = re.sub(said, f"{words[index - 1]} {word}", text, flags=re.IGNORECASE)
        return text

    def _without_trailing_kind(self, text: str, house: House) -> str:
        """The text without a word for a light said after a light's whole name ("kitchen counter lights"
        for the light named Kitchen Counter) or after the last words of a relay named for its place ("porch
        light" for the switch Front Porch: said by its whole name), which Home Assistant's sentences do not
        read."""
        if not self.light_nouns:
            return text
        for device in house.devices:
            words = device.name.split()
            if device.domain not in _LIGHT_DOMAINS or not words or len(device.name) > MAX_NAME:
                continue
            if words[-1].casefold() in self.light_nouns:
                continue  # "Desk Lamp lamp" is no way to say it
            if device.domain != "light" and set(tokens(device.name)) - set(tokens(device.area or "")) - _HARDWARE_WORDS:
                continue  # only a relay named for its place (and its make) is that place's light, not the Kettle
            # A relay's name may be said by its last words ("porch light" for the switch Front Porch).
            ends = (
                [" ".join(words[start:]) for start in range(len(words))] if device.domain != "light" else [device.name]
            )
            after = rf"\b(?:{_either(ends)})\s+(?:{_either(self.light_nouns)})\b"
            text = re.sub(after, lambda _said, name=device.name: name, text, flags=re.IGNORECASE)
        return text

    def _kind_and_place(self, device: Device) -> list[tuple[str, str]]:
        """How a name written "<kind> <room>" or "<room> <kind>" is said with a place word: (its kind
        words, its room) by the device's area ("Heizkörper Bad"), else by a kind noun that begins or ends
        the name ("Licht Behandlung 1", the room Behandlungsraum 1)."""
        if (kind := self._kind_of_name(device)) is not None:
            return [(kind, device.area or "")]
        words = device.name.split()
        if len(words) < 2 or len(device.name) > MAX_NAME:
            return []
        if self.word_kind(words[0]) and not any(self.word_kind(word) for word in words[1:]):
            return [(words[0], " ".join(words[1:]))]
        if self.word_kind(words[-1]) and not any(self.word_kind(word) for word in words[:-1]):
            return [(words[-1], " ".join(words[:-1]))]
        return []

    def _kind_of_name(self, device: Device) -> str | None:
        """The words of a name written "<kind> <room>" or "<room> <kind>" other than its room, or None."""
        area, name = device.area or "", device.name.casefold()
        if not area or len(device.name) > MAX_NAME:
            return None  # (a longer name is not read at all: see intent_sentences)
        if name.endswith(" " + area.casefold()):
            return device.name[: -len(area)].strip()
        if name.startswith(area.casefold() + " "):
            return device.name[len(area) :].strip()
        return None

    def _with_inflected_names(self, text: str, house: House) -> str:
        """The text with a name of several words said with other endings ("Starte den gemütlichen Abend"
        for the scene Gemütlicher Abend) written as the name, where no other name reads the same; only in
        a language whose words are compared without their endings."""
        if not self._stem_endings:
            return text
        names: dict[tuple[str, ...], list[str]] = {}
        for device in house.devices:
            for name in (device.name, *device.aliases):
                if 1 < len(name.split()) <= _MAX_INFLECTED_WORDS and len(name) <= MAX_NAME:
                    names.setdefault(tuple(self.normalise(word) for word in name.split()), []).append(name)
        said = text.split()
        stems = [self.normalise(word.strip(",.!?")) for word in said]
        for start in range(len(said)):
            for stem, written in names.items():
                span = said[start : start + len(stem)]
                if len(set(written)) == 1 and tuple(stems[start : start + len(stem)]) == stem:
                    ending = span[-1][len(span[-1].rstrip(",.!?")) :]
                    said[start : start + len(stem)] = [*written[0].split()[:-1], written[0].split()[-1] + ending]
                    stems[start : start + len(stem)] = list(stem)
        return " ".join(said)

    @staticmethod
    def _folded(words: frozenset[str]) -> frozenset[str]:
        """Words without umlauts: a German plural has them where the singular has none ("Rollläden")."""
        return frozenset(word.translate(_UMLAUTS) for word in words)

    def _both_as_all(self, text: str) -> str:
        """The text with its "both" said as "all", which Home Assistant's sentences have ("turn off all the
        lamps in the bedroom"); the text as it is where it says no "both"."""
        if not self.both_words or not self.all_word:
            return text
        return re.sub(rf"\b(?:{_either(self.both_words)})\b", self.all_word, text, count=1, flags=re.IGNORECASE)

    def _read_each(self, text: str, house: House) -> list[Call] | None:
        """ "Beide Nachttischlampen aus", "all the blinds up": the request read once for each device
        whose name has the words after "all" or "both" (two or more; "both" exactly two), with its name
        in their place, when each reads as calls on that device alone; None otherwise."""
        if self.all_phrase is None or (match := self.all_phrase.search(text)) is None:
            return None
        words = match.group("noun").split()
        for count in range(min(2, len(words)), 0, -1):  # "Hue Play", then "Nachttischlampen"
            if not all(self.words(word, spoken=False) for word in words[:count]):
                continue  # "Nachttischlampen aus": "aus" names nothing
            wanted = self._folded(self.words(" ".join(words[:count]), spoken=False))
            group = [d for d in house.devices if wanted <= self._folded(self.words(d.name, spoken=False))]
            if count == 1 and (kind := self._of_kind(words[0], house)):
                group = kind  # "all the lights", "alle Heizungen": every one of the kind, named so or not
            if len(group) < 2 or (match.group("all").lower() in self.both_words and len(group) != 2):
                continue
            end = match.start("noun") + len(" ".join(words[:count]))
            calls: list[Call] = []
            for device in group[:_MAX_EACH]:
                read = self._read(f"{text[: match.start()]}{device.name}{text[end:]}", house, each=False)
                if not read or {call.entity_id for call in read} != {device.entity_id}:
                    return None
                calls += read
            return calls if len(group) <= _MAX_EACH else None
        return None

    def _of_kind(self, noun: str, house: House) -> list[Device]:
        """The devices a plural kind noun means ("Heizungen", "thermostats"): those whose names say that
        kind, and the devices of the kind's first domain (a thermostat, not a water heater, is "heating")."""
        kind = self.kind_of.get(self.normalise(noun))
        if kind is None or kind in _KINDS_OF_KINDS or not self._plural(noun):
            return []  # "all the curtains" are not the shades: for covers and players the names say
        first = _KIND_FIRST.get(kind) or min(_KIND_DOMAINS[kind])
        return [d for d in house.devices if d.domain == first or kind in self.device_kinds(d)]

    def implied_settings(self, text: str) -> list[str]:
        """Home Assistant's "set ... to ..." for a request that sets a value without the verb: a name and
        a percentage ("vent to 50 percent"), a warming or cooling verb and a temperature ("cool the living
        room to 23", in degrees), or a place or thermostat and a number in degrees or bare ("office AC to
        68", "Stube auf zweiundzwanzig Grad"), read only as a temperature. Number words are read as
        Home Assistant spells them ("zweiundzwanzig")."""
        text = self.with_digits(text)
        if not self.set_sentence or self.value_at_end is None or not (match := self.value_at_end.match(text)):
            return []
        if self.asks_about_state(text):
            return []  # "what is 50 percent of 20"
        target, number, unit = match.group("target", "number", "unit")
        words = target.split()
        while len(words) > 1 and words[-1].casefold() in self.value_directions:
            words.pop()  # "Heizung Jonas runter auf 17", "turn the heat down to 68": the value says how far
        target = " ".join(words)
        if self.temperature_verb is not None and (verb := self.temperature_verb.match(target)):
            place = target[verb.end() :]  # "heat the pool to 30": also the pool's temperature sentences
            temperatures = [
                sentence.format(target=self._without_article(place), value=number)
                for sentence in self.temperature_sentences
            ]
            return [self.set_sentence.format(target=place, value=f"{number} {self.degree_word}"), *temperatures]
        lead = self.leading_verb(target)
        if lead in self.setting_verbs.get("brightness", ()) and unit and self.percent_pattern.search(f"{number}{unit}"):
            return [self.set_sentence.format(target=target.split(None, 1)[-1], value=f"{number} {unit}")]  # "dim"
        if lead is not None and self._lead_word(target) is None and self.normalise(lead) in self.action | self.verbs:
            return []  # "turn on the lights to 50%": its own verb, read as said
        if lead is not None and self._lead_word(target) is not None:
            if match.group("to") is None and lead not in self.wants_a_complement:
                return []  # "raise the volume 10 percent": by how much, not to what
            target = target.split(None, 1)[-1]  # "crank the Sonos to 70", "Mach das Licht auf 30 Prozent"
        if unit and self.percent_pattern.search(f"{number}{unit}"):
            value = f"{number} {unit}"
            return [self.set_sentence.format(target=target, value=value), *self._volume_sentences(target, value)]
        if unit is None or unit.casefold() in self.degree_words:
            place = self._without_article(target)  # English sentences have their own ("set the … temperature")
            targets = dict.fromkeys([target, place, self._without_climate_kind(place)])  # "office AC": the office
            temperatures = [
                " ".join(s.format(target=each, value=number).split())  # "the heat": no place, the only one
                for each in targets
                for s in self.temperature_sentences
            ]
            if unit is not None:
                return temperatures
            # A bare number above any fan's speed steps is also a percentage ("Dyson to 70").
            percent = f"{number} {self.percent_word}"
            above_steps = number.isdigit() and _MAX_SPEED_STEP < int(number) <= 100
            percents = [self.set_sentence.format(target=target, value=percent)] if above_steps else []
            return temperatures + self._volume_sentences(target, number) + percents
        return []

    def _as_room_brightness(self, text: str) -> str | None:
        """A percentage for a room's light said without the word for brightness ("Licht in der Diele auf
        20 Prozent") as the `brightness_sentence` Home Assistant has for a room; None where the language
        needs none or the text gives no percentage at its end."""
        text = self.with_digits(text)
        if not self.brightness_sentence or self.value_at_end is None or not (match := self.value_at_end.match(text)):
            return None
        target, number, unit = match.group("target", "number", "unit")
        if not unit or not self.percent_pattern.search(f"{number}{unit}"):
            return None
        words = target.split()
        if len(words) > 1 and words[0].casefold() in self.wants_a_complement:
            words = words[1:]  # "Mach das Licht in der Stube auf 30 Prozent"
        return self.brightness_sentence.format(target=self._without_article(" ".join(words)), value=f"{number} {unit}")

    def _volume_sentences(self, target: str, value: str) -> list[str]:
        """A player's volume set without the word ("the Sonos to 70", "Musik in der Küche auf 30 Prozent"):
        Home Assistant's volume sentence for the target, and the set sentence with the music word said
        as the volume; only a player's volume can fit them."""
        if not self.volume_sentence:
            return []
        words = target.split()
        if len(words) > 1 and words[-1].casefold() == self.volume_noun.casefold():
            target = " ".join(words[:-1])  # "Arc volume to 25": the Arc's volume
        found = [self.volume_sentence.format(target=target, value=value)]
        words = target.split()
        music = [index for index, word in enumerate(words) if word.casefold() in self.music_words]
        if music and self.volume_noun:
            words[music[0]] = self.volume_noun
            found.insert(0, self.set_sentence.format(target=" ".join(words), value=value))
        return found

    def _without_article(self, target: str) -> str:
        """A place without its leading article ("the pool": pool), for sentences that have their own."""
        words = target.split()
        return " ".join(words[1:]) if len(words) > 1 and words[0].casefold() in self.articles else target

    def _without_climate_kind(self, target: str) -> str:
        """A place said with a word for its thermostat after it ("office AC", "salon aircon"): the place."""
        words = target.split()
        while len(words) > 1 and self.normalise(words[-1]) in self.domain_words("climate"):
            words.pop()
        if words[-1].casefold() in self.articles or self.normalise(words[-1]) in self.domain_words("climate"):
            return ""  # "the heat", "die Heizung": a thermostat, no place
        return " ".join(words)

    @cached_property
    def _number_words(self) -> dict[str, str]:
        """Numbers 0-130 as the language spells them ("zweiundzwanzig": "22"), by the engine Home
        Assistant's sentences read them with (unicode_rbnf, hassil's); none where it has no rules."""
        try:
            engine = RbnfEngine.for_language(base_language(self.lexicon.language))
        except (ValueError, KeyError, OSError):  # a language it has no rules for
            return {}
        spelled: dict[str, str] = {}
        for number in range(131):
            for text in engine.format_number(number).text_by_ruleset.values():
                for said in self._number_said_as(text.lower()):
                    spelled.setdefault(said, str(number))
        return spelled

    def _number_said_as(self, spelled: str) -> list[str]:
        """A spelled number as people also say it: without hyphens, and with the language's `number_said`
        forms, each on the forms before it ("one hundred two": "a hundred and two"), which the engine
        does not write."""
        forms = [spelled, spelled.replace("-", " ")]
        for written, said in self.number_said.items():
            forms += [form.replace(written, other) for form in forms if written in form for other in said]
        return forms

    def with_digits(self, text: str) -> str:
        """The text with a spelled number before its end or its unit in digits ("auf neunzehn Grad"; "twenty
        one and a half": 21.5), a fraction at its end as percent ("Rollladen auf halb", "blinds to three
        quarters open": 75 percent)."""
        if self.and_a_half and (half := self._half_pattern.search(text)):
            number = self._number_words.get(half.group(1).casefold(), half.group(1))
            return f"{text[: half.start()]}{number}.5{text[half.end() :]}"
        if self.decimal_word and (decimal := self._decimal_pattern.search(text)):
            whole, tenth = (self._number_words.get(part.casefold(), part) for part in decimal.group(1, 2))
            return f"{text[: decimal.start()]}{whole}.{tenth}{text[decimal.end() :]}"  # "einundzwanzig Komma fünf"
        words = text.rstrip(" .!?").split()
        while len(words) > 1 and words[-1].casefold().strip(",") in self.filler:
            words = words[:-1]  # "to full brightness please": the value is the last thing said
        ways = self.up_words | self.value_directions
        if len(words) > 2 and words[-1].casefold() in ways and self._fraction_at_end(words[:-1]):
            words = words[:-1]  # "three quarters open": how far open, as a position says it
        tail = next((len(t) for t in self.fraction_tails if [w.casefold() for w in words[-len(t) :]] == t), 0)
        if tail and len(words) > tail + 1 and self._fraction_at_end(words[:-tail]):
            words = words[:-tail]  # "a quarter of the way": how far, as a position says it
        if (fraction := self._fraction_at_end(words)) and self.percent_word:
            before = words[: -fraction[0]]
            before = before[:-1] if before[-1].casefold() in self.articles else before  # "auf die Hälfte"
            before = before[:-1] if before and before[-1].casefold() in self.about_words else before  # "about halfway"
            if (
                self.to_word
                and before
                and before[-1].casefold() not in self.to_words | self.place_words | self.about_words
            ):
                before = [*before, self.to_word]  # "open the vent halfway": to 50 percent, as the sentences say
            text = " ".join([*before, str(fraction[1]), self.percent_word])
        if self.about_pattern is not None:
            text = self.about_pattern.sub("", text)  # "to about a quarter": the value, not how sure
        if self._number_pattern is None:
            return text
        return self._number_pattern.sub(lambda match: self._number_words[match.group(1).lower()], text, count=1)

    def _not_a_half(self, part_word: str) -> str:
        """A lookahead that keeps a part word from splitting "… and a half" (empty where it cannot)."""
        head, _, rest = self.and_a_half.partition(" ")
        return rf"(?!\s+{re.escape(rest)}\b)" if rest and head.casefold() == part_word.casefold() else ""

    def _fraction_at_end(self, words: list[str]) -> tuple[int, int] | None:
        """(its word count, the percent) of a fraction the words end in after others ("to a quarter")."""
        for count in (3, 2, 1):
            said = " ".join(words[-count:]).casefold()
            if len(words) > count and said in self.fraction_words:
                return count, self.fraction_words[said]
        return None

    @cached_property
    def _half_pattern(self) -> re.Pattern[str]:
        """A number in digits or spelled, then the language's "and a half", before the end or a unit."""
        number = rf"\d+|{_either(self._number_words)}" if self._number_words else r"\d+"
        end = r"(?=(?:\s+\w+)?[\s.!?]*$)"
        return re.compile(rf"(?<!\w)({number})\s*{re.escape(self.and_a_half)}{end}", re.IGNORECASE)

    @cached_property
    def _decimal_pattern(self) -> re.Pattern[str]:
        """A number, the language's decimal word and one digit, spelled or not ("twenty one point five")."""
        number = rf"\d+|{_either(self._number_words)}" if self._number_words else r"\d+"
        digit = rf"\d|{_either(word for word, value in self._number_words.items() if len(value) == 1)}"
        return re.compile(rf"(?<!\w)({number})\s+{re.escape(self.decimal_word)}\s+({digit})(?!\w)", re.IGNORECASE)

    @cached_property
    def _number_pattern(self) -> re.Pattern[str] | None:
        """A spelled number before a text's end or before its last word (its unit), or None without any."""
        spelled = [word for word in self._number_words if word not in self.up_words | self.down_words]
        if not spelled:  # not "ein", a verb's particle: "Ladenbeleuchtung ein" is no brightness of 1 %
            return None
        return re.compile(rf"(?<!\w)({_either(spelled)})(?=(?:\s+\w+)?[\s.!?]*$)", re.IGNORECASE)

    def _read_part(self, parts: list[str], index: int, house: House) -> list[Call] | None:
        """One part of a request as Home Assistant's sentences read it, alone or with the first part's
        leading words and the last part's ending that several parts share ("turn off the living room and
        dining room lights", "Mach die Waschmaschine und den Trockner aus"); the fewest words lent win,
        and None where nothing reads or two ways read with as few."""
        words = [part.split() for part in parts]
        first, last, own = words[0], words[-1], words[index]
        befores = [first[:count] for count in range(1, min(4, len(first)))] if index else []
        afters = [last[-count:] for count in range(1, min(3, len(last)))] if index < len(words) - 1 else []
        if index and len(own) > 1 and own[-1].casefold().strip(".!?") in self.also_words:
            own, afters = own[:-1], [first[-1:], *afters]  # "… an und das Arbeitsplattenlicht auch": "an" too
        candidates = [(len(b) + len(a), b + own + a) for b in [[], *befores] for a in [[], *afters]]
        for lent in sorted({count for count, _ in candidates}):
            readings = {
                repr(calls): calls
                for count, candidate in candidates
                if count == lent and (calls := self._read(" ".join(candidate), house))
            }
            if readings:
                return next(iter(readings.values())) if len(readings) == 1 else None
        return None

    def asked_source(self, text: str, house: House) -> Call | None:
        """select_source on the one player whose source list has a source the request names ("tv to
        twitch", "Mach mal NDR 2 an"), or None. A source that is also a device's or a kind's word ("TV",
        "Living Room TV") says nothing; among several players with the source, the one the words name."""
        if not self._one_plain_request(text, house):
            return None
        if set(tokens(text)) & self.down_words.union(*self.verb_services.values()):
            return None  # "pause netflix on the tv", "netflix off": another service on the source
        said = self.said_words(text)
        naming = self.kind_words.union(*(self.device_words(device) for device in house.devices))
        players = [device for device in house.devices if device.domain == "media_player"]
        found = [
            (device, source)
            for device in players
            for source in _sources(device)
            if not self.words(source, spoken=False) <= naming and _says(text, source)
        ]
        if not found:  # "put Radio 4 on" for "BBC Radio 4": the end of one source's name, two words or more
            found = [(d, source) for d in players for source in _sources(d) if self._says_end(text, source, naming)]
            if len({source for _, source in found}) > 1:
                return None
        if len(found) > 1:
            found = [(device, source) for device, source in found if said & (self.device_words(device) - self.generic)]
        if len(found) != 1:
            return None
        device, source = found[0]
        return Call("media_player", "select_source", device.entity_id, {"source": source})

    def _says_end(self, text: str, source: str, naming: frozenset[str]) -> bool:
        """True when the request names the last two or more words of a source ("Radio 4" of "BBC Radio 4")
        and they are not all words of the house's devices."""
        words = source.split()
        return any(
            _says(text, end) and not self.words(end, spoken=False) <= naming
            for end in (" ".join(words[start:]) for start in range(1, len(words) - 1))
        )

    def asked_cleaning(self, text: str, house: House) -> Call | None:
        """vacuum.start for a request that begins with a cleaning verb ("hoover the lounge", "sauge das
        Wohnzimmer") on the house's only vacuum, or the one of several its words name; else None."""
        # Only a place is cleaned: "clean the windows" or "vacuum the car" is no job for the robot.
        return self._asked_by_verb(text, house, Call("vacuum", "start", ""), self.cleaning_places, located=False)

    def asked_mode(self, text: str, house: House) -> Call | None:
        """A mode the request names from a thermostat's or fan's own list ("mini split fan on high",
        "switch the office mini split over to dry mode"), on the one such device its words point at;
        None otherwise (see with_said_mode, with_listed_mode)."""
        if not self._one_plain_request(text, house):
            return None
        calls = []
        for device in house.devices:
            if device.domain in ("climate", "fan"):
                plain = Verdict(Call(device.domain, "turn_on", device.entity_id), True)
                moded = self.with_said_mode(plain, house, text, _allow)
                moded = self.with_listed_mode(plain, device, text, _allow) if moded is plain else moded
                calls += [moded.call] if moded is not plain else []
        return self._on_named(calls, text, house)

    def asked_kelvin(self, text: str, house: House) -> Call | None:
        """light.turn_on with the colour temperature a request gives in kelvin ("key light air to 4500
        kelvin", "workbench LED to 5000K") on the one light its words point at that has colour
        temperatures; None otherwise (Home Assistant's sentences have no kelvin)."""
        if not self._one_plain_request(text, house):
            return None
        if len(kelvins := _KELVIN.findall(text) or self._bare_kelvins(text)) != 1:
            return None
        calls = [
            Call("light", "turn_on", device.entity_id, {"color_temp_kelvin": int(kelvins[0])})
            for device in house.devices
            if device.domain == "light" and "color_temp" in (device.attributes.get("supported_color_modes") or ())
        ]
        return self._on_named(calls, text, house)

    def _bare_kelvins(self, text: str) -> list[str]:
        """Numbers of four digits said after "to" ("ceiling bulb to 2700"): no brightness, volume or
        temperature is that large, so on a light they are kelvin."""
        said = tokens(text)
        return [
            word
            for before, word in itertools.pairwise(said)
            if before in self.to_words and word.isdigit() and 1000 <= int(word) <= 10000
        ]

    def asked_humidity(self, text: str, house: House) -> Call | None:
        """humidifier.set_humidity with the percentage a request gives a humidifier ("dehumidifier in the
        shop down to 40%", "Stell den Entfeuchter im Keller auf 50 Prozent", "dehumidifier to 45") on the one
        its words point at; None otherwise (Home Assistant's sentences have no humidity)."""
        digits = self.with_digits(self._plainly(text))  # "to eighty percent humidity": the value's noun left out
        # A humidifier's only number is its humidity: a bare one too ("dehumidifier to 45").
        percents = self.percent_pattern.findall(digits) or re.findall(r"(?<![\d.,])\d{1,3}(?![\d.,])", digits)
        if not self._one_plain_request(text, house) or self.head_kind(text) != "humidity" or len(percents) != 1:
            return None
        if int(percents[0]) > 100:
            return None
        calls = [
            Call("humidifier", "set_humidity", device.entity_id, {"humidity": int(percents[0])})
            for device in house.devices
            if device.domain == "humidifier"
        ]
        return self._on_named(calls, text, house)

    def asked_arming(self, text: str, house: House) -> Call | None:
        """alarm_arm_away/home/night for a request to arm the alarm that says how ("arm the alarm, we're
        off to the beach", "Wir fahren weg, Alarmanlage scharf schalten") on the house's only alarm panel
        or the one its words name; None where it says no way or more than one, or asks something else."""
        said = set(tokens(text))
        set_to = said & self.to_words and {self.normalise(w) for w in said} & self.domain_words("alarm_control_panel")
        if not (said & self.arm_words or set_to):  # "arm the alarm", "Alarmanlage auf Teilschutz"
            return None
        if said & (self.disarm_words | self.negations) or self.asks_about_state(text):
            return None
        if sum(not self._is_remark(part, house) for part in self.request_parts(text)) != 1:
            return None  # one part arms; the others only say why
        lowered = " ".join(tokens(text))
        modes = [mode for mode, pattern in self.arm_modes.items() if pattern.search(lowered)]
        if len(modes) != 1:
            return None
        panels = [device for device in house.devices if device.domain == "alarm_control_panel"]
        calls = [Call("alarm_control_panel", f"alarm_arm_{modes[0]}", device.entity_id) for device in panels]
        return calls[0] if len(calls) == 1 else self._on_named(calls, text, house)

    def _one_plain_request(self, text: str, house: House) -> bool:
        """True for a request of one part that is no question and may act (see may_act)."""
        return len(self.request_parts(text)) == 1 and not self.asks_about_state(text) and self.may_act(text, house)

    def _on_named(self, calls: list[Call], text: str, house: House) -> Call | None:
        """The one of `calls` whose device the request's words point at (see is_grounded), the one they
        name most where several fit ("key light air": the Key Light Air, not the Key Light, kind words
        counted); None where none or two fit as well."""
        said, head, lead = self.said_words(text), self.head_kind(text), self._lead_word(text)
        found = [
            (call, len(said & self.device_words(device)))
            for call in calls
            if (device := house.device(call.entity_id)) is not None
            and self.is_grounded(call, device, said, house, head, lead=lead)
        ]
        best = [call for call, score in found if score == max(count for _, count in found)]
        return best[0] if len(best) == 1 else None

    def asked_watering(self, text: str, house: House) -> Call | None:
        """valve.open_valve for a request that begins with a watering verb ("water the orchard", "gieß die
        Beete") on the house's only water valve, or the one of several its words name; else None."""
        return self._asked_by_verb(text, house, Call("valve", "open_valve", ""), frozenset(), located=True)

    def _asked_by_verb(
        self, text: str, house: House, job: Call, places: frozenset[str], *, located: bool
    ) -> Call | None:
        """`job` on the one device of its domain a request's leading verb asks for (see leading_verb_domains)
        when the other words name only it, an area or one of `places`; None otherwise. `located`: a
        device's area says which of several is meant (a valve waters where it is; a robot vacuum cleans
        more than the room of its dock)."""
        lead = self.leading_verb(text)
        spoken = tokens(text)
        if (lead is None or job.domain not in self.leading_verb_domains.get(lead, ())) and spoken:
            lead = spoken[-1]  # the verb at the end: "Hochbeet gießen"
        if lead is None or job.domain not in self.leading_verb_domains.get(lead, ()):
            return None
        if len(self.request_parts(text)) != 1:
            return None
        if self.asks_about_state(text) or set(spoken) & self.down_words:
            return None  # "stop vacuuming", a question
        # A gas valve is never watered with.
        devices = [d for d in house.devices if d.domain == job.domain and d.attributes.get("device_class") != "gas"]
        said = self.said_words(text) - {self.normalise(lead)}
        if len(devices) > 1:
            devices = [d for d in devices if said & (self._own_words(d) | (self._area_words(d) if located else set()))]
        if len(devices) != 1:
            return None
        located_in = [devices[0]] if located else house.devices  # "water the cellar" is not the garden valve
        areas = places.union(*(self._area_words(device) for device in located_in))
        rest = said - areas - self.device_words(devices[0])
        if rest and not (located and said & self._area_words(devices[0]) and self._names_nothing(rest, house)):
            return None  # "water the tomatoes in the polytunnel": what grows there, where the valve is
        return Call(job.domain, job.service, devices[0].entity_id)

    def _names_nothing(self, said: frozenset[str], house: House) -> bool:
        """True when words name no device or room of the house and give no value ("tomatoes")."""
        named = {word for device in house.devices for word in self.device_words(device) | self._area_words(device)}
        values = self.says_number(" ".join(said)) or said & (self.light_settings | self.unit_words)
        return not said & named and not values  # "for ten minutes": a value only the model reads

    def _area_words(self, device: Device) -> frozenset[str]:
        """The words of a device's area (none without one)."""
        return frozenset(self.words(device.area or ""))

    def _own_words(self, device: Device) -> frozenset[str]:
        """A device's words that are not generic ("drip" of "Orchard Drip", not "light")."""
        return frozenset(self.device_words(device) - self.generic)

    def asked_volume(self, text: str, house: House) -> Call | None:
        """volume_up or volume_down for "louder"/"leiser" said of the house's only player, or the one of
        several the words name; None when the words say anything else ("the neighbours are louder")."""
        said_words = set(tokens(text))
        services = {self.volume_words[word] for word in said_words if word in self.volume_words}
        if len(services) != 1 or len(self.request_parts(text)) != 1 or self.asks_about_state(text):
            return None
        players = [device for device in house.devices if device.domain == "media_player"]
        verbs = self.action | self.verbs | {self.normalise(word) for word in self.wants_a_complement}
        words = self.said_words(text) - {self.normalise(word) for word in self.volume_words} - verbs
        said = words - self.kind_words - self.generic  # "ein bisschen leiser"
        if len(players) > 1:  # the one the words name: "das Radio" among a Sonos and a Radio Küche
            players = [device for device in players if words & self.device_words(device)]
        if len(players) != 1 or not said <= self.device_words(players[0]) | self._area_words(players[0]):
            return None
        return Call("media_player", services.pop(), players[0].entity_id)

    def _checked(self, call: Call | None, text: str, check: Callable[[Call], Verdict]) -> Verdict | None:
        """The policy's verdict on a call a reading made, or None where there is none or it is refused (a
        value the words name plainly is refused as read, see _refused_as_said)."""
        verdict = check(call) if call is not None else None
        if verdict is None or not (verdict.allowed or self._refused_as_said(verdict, text)):
            return None
        return verdict

    def _refused_as_said(self, verdict: Verdict, text: str) -> bool:
        """Whether a reading's call is refused only for a value the words name as what it is ("6000 kelvin"
        on a 2200-4000 K bulb, "red" on a white one, "35 degrees" above the thermostat's top): the model
        would only write another value. A bare number ("Stube auf 40") may be another device's value."""
        arguments = verdict.call.arguments.keys()
        if not verdict.for_value:
            return False
        if arguments & {"color_name", "rgb_color", *_KELVIN_ARGUMENTS}:
            return True
        return "temperature" in arguments and bool(set(tokens(text)) & self.degree_words)

    def _the_others(
        self, keep: list[Verdict], text: str, house: House, *, previous: str, check: Callable[[Call], Verdict]
    ) -> list[Verdict]:
        """For a request for several ("turn on both key lights", "close all the curtains", "the kitchen
        lights off") where the model called only some: the same call on each other device of that domain
        and kind its words name as well (with no naming word, only for "all" or "both", those whose own
        name has the noun: "all the curtains" is not the office shade), each passing the policy and the
        grounding as any call does."""
        noun = self.head_noun(text)
        if noun is None or (self.normalise(noun) == noun and not set(tokens(text)) & self.all_words):
            return []
        kind = self.head_kind(text)
        said = self.said_words(text, previous) - self.kind_words
        parts = [(text, self.said_words(text, previous))]
        done = {verdict.call.entity_id for verdict in keep}
        extra: list[Verdict] = []
        for verdict in [v for v in keep if v.allowed]:
            call = verdict.call
            device = house.device(call.entity_id)
            if device is None or call.domain == "todo":
                continue
            score = len(said & self.device_words(device))
            for other in house.devices:
                named = self.device_words(other)
                if other.entity_id in done or other.domain != device.domain:
                    continue
                # No naming word: only "all"/"both" reaches further ("lights off" is not every light).
                noun_in_both = {self.normalise(noun)} & named & self.device_words(device)
                if score == 0 and not (set(tokens(text)) & self.all_words and noun_in_both):
                    continue
                if len(said & named) != score or (kind is not None and not self.kind_fits(kind, other, call.service)):
                    continue
                added = check(Call(other.domain, call.service, other.entity_id, dict(call.arguments)))
                if added.allowed and self._hold(added.call, other, parts, text, house, previous=previous) is None:
                    extra.append(added)
                    done.add(other.entity_id)
        return extra

    def with_said_service(self, verdict: Verdict, text: str, house: House, check: Callable[[Call], Verdict]) -> Verdict:
        """The call with the service a verb of the request asks for ("mute the bedroom tv" written as
        volume_up: volume_mute; a toggle where the words say one way: its turn_on or turn_off), where its
        device has it and the call sets no value; else as written."""
        call = verdict.call
        said = set(tokens(text))
        asked = [service for service, words in self.verb_services.items() if said & words]
        if call.service == "toggle" and not asked:  # "Lösch das Licht" written as toggle: the way said
            up, down = self._directions(text, particles_last=True)
            asked = ["turn_on"] if up and not down else ["turn_off"] if down and not up else []
        if not asked and call.domain == "media_player" and call.service in ("turn_on", "turn_off"):
            asked = self._volume_step_only(text)  # "Opas Radio bissle leiser" written as turn_on
        if len(asked) != 1 or call.arguments:  # a call that carries a value keeps its service
            return verdict
        service = asked[0]
        if service == call.service or service not in house.services_for(call.domain):
            return verdict
        arguments = {"is_volume_muted": True} if service == "volume_mute" else {}
        changed = check(Call(call.domain, service, call.entity_id, arguments))
        return changed if changed.allowed else verdict

    def _volume_step_only(self, text: str) -> list[str]:
        """[volume_up] or [volume_down] where the words ask for a volume step ("louder", "leiser") and say
        no way on or off; else []."""
        steps = {self.volume_words[word] for word in tokens(text) if word in self.volume_words}
        up, down = self._directions(text, particles_last=True)
        return [steps.pop()] if len(steps) == 1 and not up and not down else []

    def with_said_mode(self, verdict: Verdict, house: House, text: str, check: Callable[[Call], Verdict]) -> Verdict:
        """A thermostat's call as set_hvac_mode where the request ends in "to" and a mode the device has
        ("switch the bedroom AC to heat" written as climate.turn_on); else as written."""
        call = verdict.call
        device = house.device(call.entity_id)
        if device is None or call.domain != "climate" or call.service == "set_hvac_mode":
            return verdict
        if (said := self.said_mode(text)) is None:
            return verdict
        mode = said[1]
        modes = device.attributes.get("hvac_modes")  # Home Assistant's state keeps lists as tuples
        if not isinstance(modes, list | tuple) or mode not in [str(each) for each in modes]:
            return verdict
        changed = check(Call("climate", "set_hvac_mode", call.entity_id, {"hvac_mode": mode}))
        return changed if changed.allowed else verdict

    def with_listed_mode(
        self, verdict: Verdict, device: Device, text: str, check: Callable[[Call], Verdict]
    ) -> Verdict:
        """A plain turn_on as the preset or fan mode the request names from the device's own list ("the
        haiku fan on whoosh": set_preset_mode; "mini split fan on high": the thermostat's set_fan_mode);
        else as written. A mode that is a direction ("on") or a number is no name for one."""
        call = verdict.call
        if call.service != "turn_on" or call.arguments or call.domain not in ("fan", "climate"):
            return verdict
        fan = call.domain == "climate" and "fan" in self.kind_nouns(text)
        service, argument, listed = ("set_fan_mode", "fan_mode", "fan_modes") if fan else _PRESETS
        modes = device.attributes.get(listed)
        if not isinstance(modes, list | tuple):
            return verdict
        said = set(tokens(text)) - set(tokens(device.name))
        said |= {word[: -len(noun)] for word in said for noun in self.mode_nouns if word.endswith(noun)}  # Nachtbetrieb
        named = [
            mode
            for mode in (str(each) for each in modes)
            if (words := set(tokens(mode)))
            and (words <= said or self._said_in_own_words(mode, said))
            and not words & (self.up_words | self.down_words)
            and not mode.isdigit()
        ]
        if len(named) != 1:
            return verdict
        changed = check(Call(call.domain, service, call.entity_id, {argument: named[0]}))
        return changed if changed.allowed else verdict

    def _mode_said_as(self, mode: str) -> set[str]:
        """The words (normalised) this language says a mode with, alone and with its noun ("nacht",
        "nachtmodus", "nachtbetrieb" for "sleep"; the mode's own word with its noun too)."""
        names = [*self.mode_names.get(mode.casefold(), ()), mode]
        compounds = [f"{name}{noun}" for name in names for noun in self.mode_nouns if " " not in name]
        return {self.normalise(word) for phrase in [*names, *compounds] for word in tokens(phrase)}

    def _said_in_own_words(self, mode: str, said: set[str]) -> bool:
        """Whether the request names a listed mode with this language's word for it ("niedrig" for a
        thermostat fan's "low", "Nacht" in "Nachtmodus" for a fan's "sleep")."""
        return any(set(tokens(name)) <= said for name in self.mode_names.get(mode.casefold(), ()))

    def said_mode(self, text: str) -> tuple[str, str] | None:
        """The thermostat mode a request ends with after "to" ("the AC to heat"), as (its words, the
        mode), unless a number is said too (a temperature); None otherwise."""
        if self.mode_at_end is None or (match := self.mode_at_end.search(text)) is None or self.says_number(text):
            return None
        return match.group("mode"), self.hvac_modes[match.group("mode").casefold()]

    def missing_mode(self, device: Device, text: str) -> str | None:
        """The words of a mode the request asks of a thermostat that lists its modes without it."""
        said = self.said_mode(text)
        modes = device.attributes.get("hvac_modes")  # Home Assistant's state keeps lists as tuples
        if said is None or not isinstance(modes, list | tuple):
            return None
        return said[0] if said[1] not in [str(each) for each in modes] else None

    def with_asked_value(
        self, verdict: Verdict, device: Device, text: str, check: Callable[[Call], Verdict]
    ) -> tuple[Verdict, Hold | None]:
        """The call with the value the request gives and the model left out ("the porch light to 50%"
        written as a plain light.turn_on), when the device takes it; else a hold: run as written, the call
        would do something other than what was asked (a relay switched on for "dim it to 50%")."""
        call = verdict.call
        if (temperature := self._other_temperature(call, device, text)) is not None:
            asked = check(
                Call(call.domain, call.service, call.entity_id, {**call.arguments, "temperature": temperature})
            )
            if asked.allowed:
                return asked, None  # "set the heat to 73" written as 72: the number said
            sentence = self.phrases.text("no_value", name=self.the(device.name), value=_plain(temperature))
            return verdict, Hold(call, f"{call.service_name} sets another temperature than the request", sentence)
        written = (call.domain, call.service, "percent")  # light.turn_off for "dim it to 40%" among them
        value_less = not call.arguments and (call.service in _VALUE_LESS_SERVICES or written in _VALUE_CALLS)
        if call.domain in _LIGHT_DOMAINS and not _KELVIN_ARGUMENTS & call.arguments.keys() and _KELVIN.search(text):
            value_less = True  # "the sofa lamp to 6000 kelvin" written as a brightness: the kelvin was asked
        if written == ("climate", "set_hvac_mode", "percent") and set(tokens(text)) & self.degree_words:
            value_less = True  # "den Wintergarten auf 5 Grad" written as a mode: the temperature was asked
        asked = self.asked_value(call, device, self.with_digits(text)) if value_less else None  # "vierzig"
        if asked is None:
            return verdict, None
        kind, value, said = asked
        target = _VALUE_CALLS.get((call.domain, call.service, kind))
        if target is not None:
            service, argument = target
            completed = check(Call(call.domain, service, call.entity_id, {argument: _argument_value(argument, value)}))
            if completed.allowed:
                return completed, None
        sentence = self.phrases.text("no_value", name=self.the(device.name), value=said)
        return verdict, Hold(call, f"{call.service_name} does not set the value the request gives", sentence)

    def _other_temperature(self, call: Call, device: Device, text: str) -> float | None:
        """The one number a request gives where the call sets another temperature ("set the heat to 95"
        written as 90, its maximum), or None: the model's number is not what was asked."""
        written = call.arguments.get("temperature")
        if call.domain not in _TEMPERATURE_DOMAINS or not isinstance(written, int | float):
            return None
        named = set(tokens(f"{device.name} {device.entity_id.replace('_', ' ')}"))
        said = [n for n in _NUMBER.findall(self.with_digits(text)) if n not in named]
        if len(said) != 1:
            return None  # none, or "from 20 to 22": the model's reading stands
        number = float(said[0].replace(",", "."))
        return number if abs(number - float(written)) > 0.05 else None

    def _unlisted_setting(self, call: Call, device: Device, text: str, house: House) -> Hold | None:
        """A hold for a player or fan turned on for a setting nothing in the house has ("put ESPN on the
        Roku", "Ventilator Mehmet auf Turbo"): words that name no device, said right before "on" or after
        the last "to"; a source or mode it lists is read before the model (asked_source, asked_mode)."""
        if call.arguments or call.service not in ("turn_on", "media_play") or call.domain not in _LISTING_DOMAINS:
            return None
        known = set(self.generic | self.filler).union(*(self.device_words(other) for other in house.devices))
        known |= set().union(*self.asking_together)  # "get the exhaust fan going in the barn": no setting
        said = tokens(text)
        unknown = [
            index
            for index, word in enumerate(said)
            if self.normalise(word) not in known and word not in self.filler and not word.isdigit()
        ]
        if not unknown or not self.device_words(device) & self.said_words(text):
            return None  # the device itself is not named: the usual rules judge the call
        first, last = unknown[0], unknown[-1]
        if last - first != len(unknown) - 1:
            return None  # one phrase only: "ESPN", "Prime Video"
        before_place = last + 1 < len(said) and said[last + 1] in self.place_words
        after_to = last == len(said) - 1 and first > 0 and said[first - 1] in self.to_words
        # "Mach auf dem LG Disney Plus an": after the device's name, before the particle that ends the request
        after_name = first > 0 and self.normalise(said[first - 1]) in self.device_words(device)
        before_way = after_name and last == len(said) - 2 and said[-1] in self.up_words
        if not (before_place or after_to or before_way):
            return None
        setting = _as_written(text, " ".join(said[first : last + 1]))
        sentence = self.phrases.text("no_value", name=self.the(device.name), value=setting)
        return Hold(call, f"{device.name} lists no '{setting}'", sentence)

    def asked_value(self, call: Call, device: Device, text: str) -> tuple[str, object, str] | None:
        """The value a request gives that is not part of the device's name, as (kind, value, the words):
        a percentage ("50 %"), a colour ("blau" -> blue), or for a thermostat a plain number; None if none."""
        named = set(tokens(f"{device.name} {device.entity_id.replace('_', ' ')}"))
        if (match := self.percent_pattern.search(text)) and match.group(1) not in named:
            return "percent", int(match.group(1)), match.group(0)
        if call.domain in _LIGHT_DOMAINS and (match := _KELVIN.search(text)) and match.group(1) not in named:
            return "kelvin", int(match.group(1)), match.group(0)
        said = [word for word in tokens(text) if word not in named]
        numbers = [word for word in said if word.isdigit()]
        if call.domain in _TEMPERATURE_DOMAINS | _PERCENT_DOMAINS and numbers:
            kind = "number" if call.domain in _TEMPERATURE_DOMAINS else "percent"
            return kind, int(numbers[0]), numbers[0]
        half = next((word for word in said if word in self.half_words), None)
        if half is not None and call.domain in _PERCENT_DOMAINS | _LIGHT_DOMAINS:
            return "percent", 50, half
        # A light turned off: only when the words do not say off ("make it cold white" as turn_off).
        if call.domain not in _LIGHT_DOMAINS or (call.service == "turn_off" and self.says_direction("down", text)):
            return None
        folded = text.casefold()
        for white, kelvin in self.white_kelvin.items():  # "warm white", "kaltweiß": a colour temperature
            if re.search(rf"\b{re.escape(white)}\b", folded):
                return "kelvin", kelvin, white
        settings = [word for word in said if word in self.light_settings and word not in self.setting_nouns]
        if any(word not in self.color_names for word in settings):  # "warm white": a colour temperature
            return "setting", settings[0], " ".join(settings)
        return ("color", self.color_names[settings[0]], settings[0]) if settings else None

    def _turned(
        self,
        call: Call,
        parts: list[tuple[str, frozenset[str]]],
        text: str,
        house: House,
        *,
        previous: str,
        check: Callable[[Call], Verdict],
    ) -> Verdict | None:
        """The opposite move the words ask for ("Spiegelschrank aus" written as turn_on: turn_off), on the
        call's device or, if the words name another, moved there; None to ask. Only the plain moves of
        `_SAME_MOVE` (never locks or alarms), and only where the words say that way alone."""
        opposite = _OPPOSITE.get(call.service)
        direction = "up" if opposite in _SAME_MOVE["up"] else "down"
        if opposite is None or self._asks_setting(text):
            return None
        own = house.device(call.entity_id)
        # Each part on its own ("Badlüfter an, hab grad geduscht": "an" ends its part): one says this way,
        # none the other
        ways = [self._directions(self.without_name(part, own) if own else part, True) for part, _ in parts]
        wanted = 0 if direction == "up" else 1
        if not any(way[wanted] for way in ways) or any(way[1 - wanted] for way in ways):
            return None
        # Turned, it must pass what a moved call passes: the words point at exactly one device (its own
        # included: "den Rollladen runter" among three shutters is asked about) of the kind they name.
        turned = self.resolve(Call(call.domain, opposite, call.entity_id, {}), parts, text, house, previous, own=True)
        device = house.device(turned.entity_id) if turned is not None else None
        kind = self.head_kind(text)
        if turned is None or device is None or (kind is not None and not self.kind_fits(kind, device, turned.service)):
            return None
        allowed = check(turned)
        return allowed if allowed.allowed else None

    def _moved(
        self,
        call: Call,
        parts: list[tuple[str, frozenset[str]]],
        text: str,
        house: House,
        *,
        previous: str,
        check: Callable[[Call], Verdict],
    ) -> Verdict | None:
        """The call moved where the words point (`resolve`) as the policy allows it, carrying the value the
        request gives ("make the hue go red" written as a plain turn_on on another lamp); None to ask."""
        moved = self.resolve(call, parts, text, house, previous)
        allowed = check(moved) if moved is not None else None
        if allowed is None or not allowed.allowed:
            return None
        if allowed.call.arguments or not self._asks_setting(text):
            return allowed
        device = house.device(allowed.call.entity_id)
        if len(parts) > 1 or device is None:
            return None
        completed, hold = self.with_asked_value(allowed, device, text, check)
        return completed if hold is None and completed.call.arguments else None  # a setting never lost

    def resolve(
        self,
        call: Call,
        parts: list[tuple[str, frozenset[str]]],
        text: str,
        house: House,
        previous: str = "",
        *,
        own: bool = False,
    ) -> Call | None:
        """The call moved to the one device the request points at, when the model picked another.

        The same service on a device of any domain that has it ("deck lights on": `switch.turn_on` on
        the Deck String Lights for the model's `light.turn_on` on a bedroom light), only when exactly one
        device passes every rule a call must pass (named by the request's words more than any other,
        a fitting kind and verb, asked for); else None, and the user is asked as before. Only a service
        whose direction the words can confirm (on/off, open/close, play/pause, louder/quieter) or one that carries the
        value it sets ("office AC to 68" as set_temperature on another thermostat), and only a device one
        of the request's naming words names (a kind word alone, "the TV", would pick a house's only player
        for a TV it does not have). `_moved` then puts in a value the request gives and the call lacks.
        `own`: the call's own device may be the one (a call turned the way the words say)."""
        with_value = bool(call.arguments) and call.service in _VALUE_SERVICES
        steps = {self.volume_words[word] for word in tokens(text) if word in self.volume_words}
        if call.service not in _UP_SERVICES | _DOWN_SERVICES and not with_value and steps != {call.service}:
            return None  # a volume step the words say ("a touch louder on the arc") moves as a way does
        fitting = []
        for moved in self._best_named(call, parts, text, house, own=own):
            device = house.device(moved.entity_id)
            if device is not None and self._hold(moved, device, parts, text, house, previous=previous) is None:
                fitting.append(moved)
        return fitting[0] if len(fitting) == 1 else None

    def _best_named(
        self, call: Call, parts: list[tuple[str, frozenset[str]]], text: str, house: House, *, own: bool = False
    ) -> list[Call]:
        """The call on each other device that can make its move and shares the most naming words with a
        part of the request (more than none); where no naming word fits any, the devices whose own name
        has a kind word the user said ("Luftbefeuchter" for the Luftbefeuchter Babyzimmer). Only they
        can pass is_grounded, so only they get the full check: that one looks at every device of the
        house, and a 200-device house must not stall the event loop."""
        best: dict[str, Call] = {}
        for part, said in parts:
            scores: list[tuple[int, int, Call]] = []
            for device in house.devices:
                moved = self._same_move(call, device, house, text)
                if (device.entity_id == call.entity_id and not own) or moved is None:
                    continue
                named = self.device_words(device)
                naming = self.naming_words(said, moved, self.head_kind(part))
                scores.append((len(naming & named), len(said & self.kind_words & named), moved))
            top = max((named for named, _, _ in scores), default=0)
            if top > 0:
                best |= {moved.entity_id: moved for named, _, moved in scores if named == top}
                continue
            # No naming word fits: a kind word in the device's own name, for a call whose move the words
            # say ("Fernseher aus") or that a value the request gives completes ("Luftbefeuchter auf 55").
            top = max((kind for _, kind, _ in scores), default=0)
            for _, kind, moved in scores:
                if kind == top > 0 and (self._asks_setting(text) or self.says_move(moved.service, text)):
                    best[moved.entity_id] = moved
        return list(best.values())

    def _same_move(self, call: Call, device: Device, house: House, text: str) -> Call | None:
        """`call` on `device`: with its own service where the device has it, else with the device's
        service for the same move when the words say that direction (`_SAME_MOVE`); None if neither."""
        services = house.services_for(device.domain)
        if call.service in services:
            return Call(device.domain, call.service, device.entity_id, dict(call.arguments))
        for direction, moves in _SAME_MOVE.items():
            if call.service in moves and self.says_direction(direction, text, particles_last=True):
                service = next((move for move in moves if move in services), None)
                return Call(device.domain, service, device.entity_id, {}) if service else None
        return None

    def _asks_setting(self, text: str) -> bool:
        """True when a request gives a value to set: a number or a setting word ("50", "red", "warm white")."""
        # Broader than asked_value on purpose: it knows no device, so "the fan to 3" (a speed step no
        # table reads) still keeps a moved call from running without its setting.
        said = set(tokens(text))
        return any(word.isdigit() for word in said) or bool(said & self.light_settings)

    def _hold(
        self,
        call: Call,
        device: Device,
        parts: list[tuple[str, frozenset[str]]],
        text: str,
        house: House,
        *,
        previous: str,
    ) -> Hold | None:
        """Why an allowed call must not run, or None when it may."""
        name = self.the(device.name)
        if call.domain == "todo" and call.service == "add_item" and not self.asks_to_add(text):
            item = str(call.arguments.get("item", "")).strip() or self.phrases.text("anything")
            sentence = self.phrases.text("not_asked_to_add", item=item, name=name)
            return Hold(call, "the user did not ask to add anything", sentence)
        if self.asks_about_state(text):
            return Hold(call, "the user asked a question", self.state_sentence(device))
        if (setting := self.missing_setting(device, text)) is not None:
            return Hold(call, f"{device.name} has no {setting}", self.phrases.text("cannot_set", name=name))
        if call.domain == "climate" and call.service != "set_hvac_mode" and (mode := self.missing_mode(device, text)):
            return Hold(call, f"{device.name} has no mode {mode}", self.phrases.text("no_mode", name=name, mode=mode))
        if call.service == "set_temperature" and not self.says_number(text):  # "the heater to cool": made up
            return Hold(call, "the request gives no temperature", self.phrases.text("no_action", name=name))
        stepless = self.step_words and not set(tokens(text)) & self.step_words and not self.says_number(text)
        if call.service in _STEP_SERVICES and stepless:  # (a number: the value step makes it volume_set)
            # "Spiel Radio Energy in der Stube" written as volume_up: no word asks for a step
            return Hold(call, "the request asks for no step", self.phrases.text("no_action", name=name))
        if call.service == "stop_cover" and self.moves_without_stopping(text):  # "Rollgitter hoch" as a stop
            return Hold(call, "the request asks to move, not to stop", self.phrases.text("no_action", name=name))
        grounded = [
            part
            for part, said in parts
            if self.is_grounded(call, device, said, house, self.head_kind(part), lead=self._lead_word(part))
        ]
        ways = [self.without_name(part, device) for part in grounded or [text]]  # "Schalt 'Praxis geöffnet' aus"
        if all(self.goes_against(call, part) for part in ways):  # the parts that name it, if any
            way = "up" if call.service in _UP_SERVICES else "down"
            key = _against_key(call, way)  # "lock it?", "arm it?", not "close it?"
            sentence = self.phrases.text(key, name=name)
            return Hold(call, f"{call.service_name} {AGAINST}", sentence)
        if not grounded:
            return self._which(call, text, f"{NOT_MENTIONED} {device.name}")
        fitting = [part for part in grounded if self.part_problem(call, device, part, house, previous) is None]
        if not fitting:
            problem = self.part_problem(call, device, grounded[0], house, previous) or ""
            return self._part_hold(call, device, grounded[0], problem, house)
        if not self.asks_for_action(call, text, previous):
            return Hold(call, "the request asks for no action", self.phrases.text("no_action", name=name))
        return None

    def says_number(self, text: str) -> bool:
        """True when a request gives a number, in digits or words ("21", "two", "volume to forty percent")."""
        return any(word.isdigit() or word in self.number_words for word in tokens(self.with_digits(text)))

    def missing_setting(self, device: Device, text: str) -> str | None:
        """The setting a verb of the request asks for ("dim": brightness) that the device does not have
        (a switch, an on/off bulb), or None."""
        said = set(tokens(text))
        if device.domain == "light" and "supported_color_modes" not in device.attributes:
            return None  # its modes are not known: not a reason to refuse
        for setting, verbs in self.setting_verbs.items():
            if said & verbs and value_domain(device.domain, setting, device) is None:
                return setting
        # "Behandlung 1 auf 24 Grad heizen" written for the room's light: a temperature it cannot take
        # (set "to" a number of degrees; "it's 30 degrees, fan on" sets none)
        return "temperature" if device.domain not in _TEMPERATURE_DOMAINS and self._sets_degrees(text) else None

    def _sets_degrees(self, text: str) -> bool:
        """True when the words, one request, set a number of degrees ("to 22 degrees", "auf vierundzwanzig
        Grad"); in one of several parts, another device may be the one set ("blind down and the heat to 20")."""
        if len(self.request_parts(text)) != 1:
            return False
        said = tokens(self.with_digits(text))
        return any(
            before in self.to_words and number.isdigit() and unit in self.degree_words
            for before, number, unit in zip(said, said[1:], said[2:], strict=False)
        )

    def asks_about_state(self, text: str) -> bool:
        """True for a question about the house ("is the kitchen light on?", "bed light status?"), which
        no call answers; "how about some music" and "can you turn it on?" are requests."""
        said = [word for word in tokens(text) if word not in self.greeting]
        if not said or set(said[1:4]) & self.request_after_question:
            return False
        if said[0] in self.causative and len(said) > 2 and said[1] not in self.filler and "?" not in text:
            return False  # "have Robbie vacuum": a name, then what it should do
        return said[0] in self.state_question_starts or bool(set(said) & self.state_nouns)

    def state_sentence(self, device: Device) -> str:
        """What a question about a device gets instead of a call: its state from the house."""
        plural = self.plural_name is not None and self.plural_name.search(device.name.lower()) is not None
        state = self.phrases.template(f"states.{device.state}") or device.state.replace("_", " ")
        sentence = self.phrases.text("state_plural" if plural else "state", name=self.the(device.name), state=state)
        return sentence[:1].upper() + sentence[1:]

    def _which(self, call: Call, text: str, reason: str) -> Hold:
        """Ask which device the user meant, quoting their words for it."""
        phrase = self.object_phrase(text)
        question = self.phrases.text("which_device_by", phrase=phrase) if phrase else self.phrases.text("which_device")
        return Hold(call, reason, question)

    def _part_hold(self, call: Call, device: Device, part: str, problem: str, house: House) -> Hold:
        """The hold for a call its words name but cannot mean (see part_problem)."""
        kind, _, word = problem.partition(":")
        if kind == "verb":
            sentence = self.phrases.text("cannot", verb=word, name=self.the(device.name))
            return Hold(call, f"{device.name} cannot {word}", sentence)
        if kind == "pronoun":
            return Hold(call, f"'{word}' points at no device named before", self.phrases.text("which_device"))
        if kind == "several":
            several = self._several(part, house)
            devices = several[1] if several else self.called(self.normalise(word), house)
            names = [self.the(d.name) for d in devices][:_MAX_QUOTED]
            sentence = self.phrases.text("which_of", word=word, names=self.join(names, "or"))
            return Hold(call, f"several devices are called '{word}'", sentence)
        if kind == "kinds":
            return self._which(call, part, f"'{word}' fits devices of several kinds")
        if kind == "tied":
            names = [self.the(d.name) for d in self.tied(call, device, part, house)][:_MAX_QUOTED]
            sentence = self.phrases.text("which_of", word=word, names=self.join(names, "or"))
            return Hold(call, f"several devices fit '{self.object_phrase(part)}'", sentence)
        return self._which(call, part, f"'{word}' is not {device.name}")

    @staticmethod
    def without_name(text: str, device: Device) -> str:
        """The words with the device's name and aliases, where said as written, left out: a name's own
        word for a way ("Praxis geöffnet", "Garage Open") asks for nothing."""
        for name in sorted((device.name, *device.aliases), key=len, reverse=True):
            if len(name) <= MAX_NAME:  # (untrusted: bounded)
                text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", text, flags=re.IGNORECASE)
        return text

    def goes_against(self, call: Call, text: str) -> bool:
        """True when the call moves its device one way and the user only asked for the other way."""
        if call.domain == "alarm_control_panel" and self._against_arming(call, text):
            return True  # "disarm alarmo" written as alarm_arm_home
        if call.service in _UP_SERVICES:
            return self.says_direction("down", text)
        if call.service in _DOWN_SERVICES:
            return self.says_direction("up", text)
        return False

    def _against_arming(self, call: Call, text: str) -> bool:
        """True when an alarm is armed where the words say disarm, or disarmed where they say only arm."""
        said = set(tokens(text))
        if call.service == "alarm_disarm":
            return bool(said & self.arm_words) and not said & self.disarm_words
        return bool(said & self.disarm_words)

    def moves_without_stopping(self, text: str) -> bool:
        """True when the words ask for one way (up or down) and none asks to stop ("Rollgitter hoch"); a
        language without `stop_words` never says so."""
        if not self.stop_words or set(tokens(text)) & self.stop_words:
            return False
        return self.says_direction("up", text) or self.says_direction("down", text)

    def says_move(self, service: str, text: str) -> bool:
        """True when the words ask for the way this service moves a device (on/off, open/close...)."""
        if service in _UP_SERVICES:
            return self.says_direction("up", text)
        return service in _DOWN_SERVICES and self.says_direction("down", text)

    def says_direction(self, direction: str, text: str, *, particles_last: bool = False) -> bool:
        """True when the words ask for only this way ("up": on, open, raise; "down": off, close, lower).
        `particles_last`: a direction word that is also a place word ("auf", "on") counts only as the
        request's last word, where it is a verb's particle ("mach den Rollladen auf", not "auf 50")."""
        up, down = self._directions(text, particles_last)
        return (up and not down) if direction == "up" else (down and not up)

    def _directions(self, text: str, particles_last: bool = False) -> tuple[bool, bool]:
        """Whether the words say up (on, open...) and whether they say down (off, close...)."""
        raw = tokens(text)
        # "the kids room lock" names the device; only "lock the door" asks to lock.
        said = {
            word
            for index, word in enumerate(raw)
            if (word not in self.verb_only_directions or not index or raw[index - 1] in self.before_verb)
            and not (particles_last and word in self.place_words and index < len(raw) - 1)
            and not (word in self.preposition_directions and set(raw[index + 1 : index + 2]) & self.articles)
        }
        up = bool(said & self.up_words)
        down = bool(said & self.down_words) or bool(self.down_pattern and self.down_pattern.search(text.lower()))
        return up, down

    def kind_nouns(self, text: str) -> list[str]:
        """The kinds of device a text names, in order: "the garage light" -> ["door", "light"]."""
        raw = tokens(text)
        return [
            self.kind_of[self.normalise(word)]
            for index, word in enumerate(raw)
            if self.normalise(word) in self.kind_of and not self._is_verb(raw, index)
        ]

    def head_noun(self, text: str) -> str | None:
        """The word for the device a request is about, as said: the last kind noun before its place
        ("the *light* in the garage", "the garage *light*"), or None when it names no kind."""
        phrase: list[str] = []
        landmark = False  # "the Hue Play *behind the TV*": a phrase after "behind" says where, not what
        for word in [*tokens(text), None]:  # the end closes the last phrase as a place word does
            if word is not None and word not in self.place_words and word not in self.landmark_words:
                phrase.append(word)
                continue
            nouns = [w for w in phrase if self.word_kind(w) and w not in self.verb_nouns]
            if nouns and not landmark:
                return nouns[-1]
            phrase, landmark = [], word in self.landmark_words
        return None

    def head_kind(self, text: str) -> str | None:
        """The kind of device a request is about ("the garage light" -> "light"), or None."""
        noun = self.head_noun(text)
        return self.word_kind(noun) if noun else None

    def word_kind(self, word: str) -> str | None:
        """The kind of device a word names, also by a compound's last noun ("Gartenbeleuchtung": light)."""
        if (kind := self.kind_of.get(self.normalise(word))) is not None:
            return kind
        head = self._compound_head(word.casefold())
        return self.kind_of.get(self.normalise(head)) if head else None

    def device_kinds(self, device: Device) -> frozenset[str]:
        """The kinds a device's name (or aliases, or a cover's class) says it is, where its domain can be
        that kind: a light called "Garage" is a light, a cover called "Garage Door" a door."""
        said = {kind for text in (device.name, *device.aliases) for kind in self.kind_nouns(text)}
        if not said and device.domain == "cover":
            said = {_COVER_CLASS_KINDS.get(str(device.attributes.get("device_class")), "")} - {""}
        if device.domain in RELAY_DOMAINS:
            return frozenset(said)
        return frozenset(kind for kind in said if device.domain in _KIND_DOMAINS[kind])

    def kind_fits(self, kind: str, device: Device, service: str = "", arguments: frozenset[str] = frozenset()) -> bool:
        """True when a device can be the kind of device the user named, or the call sets that part of it
        ("set the nest fan to low": the thermostat's fan mode; `arguments`: kinds its values name)."""
        if _SERVICE_PARTS.get(service) == kind or kind in arguments or _DOMAIN_KIND.get(device.domain) == kind:
            return True  # a lock is a "lock" whatever its name says
        if kind in _DOMAIN_WIDE_KINDS and device.domain in _KIND_DOMAINS[kind]:
            return True  # "the water": the Hauptventil or the Pool Heat Pump alike
        kinds = self.device_kinds(device)
        if kinds:
            return kind in kinds
        return device.domain in RELAY_DOMAINS or device.domain in _KIND_DOMAINS[kind]

    def _lead_word(self, text: str) -> str | None:
        """The leading verb of a request, normalised as its said words are, where an article or the like
        follows it ("retract *the* awning"; "kid's room light off" leads with no verb); else None."""
        said = [word for word in tokens(text) if word not in self.before_verb]
        if len(said) < 2 or said[1] not in self.articles or said[0] != self.leading_verb(text):
            return None
        return self.normalise(said[0])

    def leading_verb(self, text: str) -> str | None:
        """The first word of a request after politeness ("could you please *cook* dinner"), unless it
        names a kind of device ("*water* heater to 50")."""
        said = [word for word in tokens(text) if word not in self.before_verb]
        if not said or (len(said) > 1 and self.normalise(said[1]) in self.kind_of):
            return None
        return said[0]

    def verb_misfit(self, domain: str, text: str, device: Device | None = None) -> str | None:
        """A verb of the request that no device of this domain can do ("unlock" for a cover), or None; a
        word of the device's own name is no verb ("make both Hue Play bars purple")."""
        if domain in RELAY_DOMAINS:
            return None
        named = set(tokens(" ".join((device.name, *device.aliases)))) if device is not None else set()
        said = tokens(text)
        verbs = [word for word in said if word in self.verb_domains and word not in named]
        lead = self.leading_verb(text)
        if lead in self.leading_verb_domains:
            verbs.append(lead)
        known = {**self.leading_verb_domains, **self.verb_domains}
        return next((verb for verb in verbs if domain not in known[verb]), None)

    def points_back(self, text: str) -> str | None:
        """The pronoun a request uses for its object ("dim *it*"), or None: "it's dark", "make it warmer in
        here" and "turn that lamp off" name the room or the device."""
        said = tokens(text)
        if set(said) & self.ambient or self.kind_nouns(text):
            return None
        for index, word in enumerate(said):
            following = said[index + 1] if index + 1 < len(said) else None
            before = said[index - 1] if index else None
            if (
                word in self.object_pronouns
                and following not in self.after_dummy_it
                and before not in self.before_dummy_it
            ):
                return word
        return None

    def part_problem(
        self, call: Call, device: Device, part: str, house: House | None = None, previous: str = ""
    ) -> str | None:
        """Why a part of a request that shares words with the target cannot mean it ("verb:unlock",
        "kind:light", "pronoun:it", "several:fan"), or None when it can."""
        if verb := self.verb_misfit(call.domain, part, device):
            return f"verb:{verb}"
        kind = self.head_kind(part) or (self.head_kind(previous) if previous else None)
        if kind and not self.kind_fits(kind, device, call.service, self._argument_kinds(call)):
            return f"kind:{kind}"
        if kind and self._named_only_by_area(device, call.service, self.said_words(part, previous)):
            return f"kind:{kind}"  # "bathroom extractor fan" is not the bathroom's Towel Rail
        naming = self.naming_words(self.said_words(part, previous), call, kind)
        if not previous and not naming and (pronoun := self.points_back(part)):
            return f"pronoun:{pronoun}"
        if house is not None and (area := self._other_room(device, part, house)):
            return f"place:{area}"  # "die Deckenlampe im Kinderzimmer" is not the Deckenlampe Wohnzimmer
        several = self._several(part, house) if house is not None and not naming else None
        if several is not None and not _the_one_playing(call, device, several[1]):
            return f"several:{several[0]}"
        if house is not None and not naming and (word := self._kinds_word(call, part, house)):
            return f"kinds:{word}"
        if house is not None and naming and self.tied(call, device, part, house, previous):
            return f"tied:{self.head_noun(part) or self._naming_word(part, device)}"
        return None

    def _other_room(self, device: Device, part: str, house: House) -> str | None:
        """The room a request says its device is in ("in the bedroom", "im Kinderzimmer"), where the
        device is in none of the rooms said and its name says none of them; else None."""
        if not self.in_words:
            return None
        areas = {d.area for d in house.devices if d.area and len(d.area) <= MAX_NAME}  # (untrusted: bounded)
        said = [area for area in areas if self._in_room(area).search(part)]
        named = self.words(" ".join((device.name, *device.aliases)), spoken=False)
        if not said or device.area in said or any(self.words(area, spoken=False) <= named for area in said):
            return None
        return said[0]

    def _in_room(self, area: str) -> re.Pattern[str]:
        """A pattern for a room said with a word for being in it ("in the bedroom", "im Bad")."""
        articles = rf"(?:\s+(?:{_either(self.articles)}))?" if self.articles else ""
        return re.compile(rf"\b(?:{_either(self.in_words)}){articles}\s+{re.escape(area)}\b", re.IGNORECASE)

    def _kinds_word(self, call: Call, part: str, house: House) -> str | None:
        """The word that ties a request naming no device to the call's domain, where its words fit
        devices of another domain as well ("turn the water on": a valve or the pool's heat pump; "hot
        water" fits only a water heater); else None."""
        said = self.said_words(part)
        tying = said & self.domain_words(call.domain)
        if not tying:
            return None
        present = {device.domain for device in house.devices} - {call.domain}
        others = {domain for domain in present if tying <= self.domain_words(domain)}
        return min(tying) if others else None

    def _named_only_by_area(self, device: Device, service: str, said: frozenset[str]) -> bool:
        """True for a relay whose name says what it drives ("Towel Rail", "Gefriertruhe"), none of whose
        own words were said: only its area was. It may drive any kind of device, but a kind said of that
        area ("the bathroom fan") is not it. A name of brands, ids and its area only says nothing."""
        if device.domain not in RELAY_DOMAINS or self.device_kinds(device) or service in _SERVICE_PARTS:
            return False
        area = self.words(device.area or "", spoken=False)
        own = {
            word
            for word in self.words(device.name, spoken=False) - area - self.generic
            if word not in _HARDWARE_WORDS and len(word) > 1 and not any(c.isdigit() for c in word)
        }
        return bool(own) and not own & said

    def tied(self, call: Call, device: Device, part: str, house: House, previous: str = "") -> list[Device]:
        """The devices that take the call (of its domain, or any its service fits) that its words name as
        well as the target (or better), when a request for one of a kind ("turn off the bedroom fan", no
        "all" or "both") fits several ("Bedroom 1 Fan", "Bedroom 2 Fan"; "the Tasmota": a light and a plug
        that both turn off): the model's pick would be a guess. Every word said but kind words counts
        here, numbers and setting words too ("the bedroom 1 fan", "the percentage limited fan")."""
        noun = self.head_noun(part) or self._naming_word(part, device)  # "the plug", "Bodenheizung"
        if noun is None or self._plural(noun) or set(tokens(part)) & self.all_words:
            return []
        # A kind word counts where the target's own name has it: "key light air" names the Key Light Air
        # better than the Key Light, though "air" is a word for air conditioning too.
        said = self.said_words(part, previous) - (self.kind_words - self.device_words(device))
        spoken = set(tokens(part))  # "one" is a filler word elsewhere ("the one by the door")
        said |= {str(number) for word, number in self.number_words.items() if word in spoken}  # "bedroom one"
        noun = self.normalise(noun)

        def score(named: frozenset[str]) -> tuple[int, bool]:
            """Words said that name it, then whether its name has the noun ("the loft blind", not skylight)."""
            return len(said & named), noun in named

        top = score(self.device_words(device))
        kind = self.head_kind(part)
        # A room's word is no tie across domains (the Wintergarten thermostat and the Wintergarten Licht).
        across = noun not in {word for other in house.devices for word in self.words(other.area or "", spoken=False)}
        tied = [
            other
            for other in house.devices
            if (other.domain == device.domain or (across and self._also_called(noun, other, call.service)))
            and score(self.device_words(other)) >= top  # one named better: the model's pick is not it
            and (kind is None or self.kind_fits(kind, other, call.service))
        ]
        return tied if top[0] and len(tied) > 1 else []

    def _also_called(self, noun: str, other: Device, service: str) -> bool:
        """True for a device of another domain that takes the service and whose own name has the word
        (normalised): "the Tasmota" is the Tasmota light or the Tasmota plug."""
        names = " ".join((other.name, *other.aliases))
        return service in ALLOWED_SERVICES.get(other.domain, ()) and noun in self.words(names, spoken=False)

    def _naming_word(self, text: str, device: Device) -> str | None:
        """The last word of a request that names the device, where no word for a kind does ("turn off
        the *plug*"), or None."""
        named = self.device_words(device) - self.generic
        return next((word for word in reversed(tokens(text)) if self.normalise(word) in named), None)

    def several_called(self, text: str, house: House) -> str | None:
        """The word of a request for one device ("turn on *the fan*", "turn *the volume* down") that
        names several in the house, when the request says nothing else about it; None for all of them
        ("all the fans", "the lights") or for a device called just that ("the Fan")."""
        several = self._several(text, house)
        return several[0] if several else None

    def _several(self, text: str, house: House) -> tuple[str, list[Device]] | None:
        """The word of `several_called` and the devices it may mean, or None."""
        noun = self.head_noun(text) or self._relay_noun(text)
        if noun is None or self._plural(noun) or set(tokens(text)) & self.all_words:
            return None
        word = self.normalise(noun)
        said = tokens(text)
        numbered = {
            after
            for before, after in itertools.pairwise(said)
            if before == noun.casefold() and any(_says(device.name, f"{before} {after}") for device in house.devices)
        }
        # the value: "the thermostat to 68"; not a name's number right after the noun ("stop blind 2")
        numbers = {word for word in self.words(text) if word.isdigit() and word not in numbered}
        louder = {self.normalise(word) for word in self.volume_words}  # "die Musik lauter": a way, not a name
        making = {self.normalise(word) for word in self.wants_a_complement}  # "Mach die Lampe an"
        steps = {self.normalise(word) for word in self.step_words}  # "fan faster please": a way, not a name
        rest = self.words(text) - self.action - self.verbs - numbers - self.unit_words - louder - making - steps
        rest -= {word}
        if any(other not in self.kind_of for other in rest):
            return None  # "the percentage full fan", "the garage fan": more than the noun
        if any(self.words(device.name, spoken=False) == {word} for device in house.devices):
            return None
        # A kind word alone may also mean a device of that kind named by no noun of it ("the fan": the
        # Haiku Fan or the Shop Exhaust); "the water" of several kinds is asked about as such (`_kinds_word`)
        alone = not rest and self.kind_of.get(word) not in {None, *_DOMAIN_WIDE_KINDS}
        calling = self._may_be_kind if alone else self._is_called
        called = [d for d in house.devices if calling(word, d) and all(self._is_called(other, d) for other in rest)]
        if len(called) < 2:
            return None
        # "the speaker volume" with two speakers: asked about by the device's noun, not the setting's
        return next((said for said in tokens(text) if self.normalise(said) in rest), noun), called

    def _relay_noun(self, text: str) -> str | None:
        """The last word for a switch said ("turn off the *plug*"): no kind of device, but a word several
        plugs' names share, or None."""
        relay = self.domain_words("switch")
        return next((word for word in reversed(tokens(text)) if self.normalise(word) in relay), None)

    def _plural(self, noun: str) -> bool:
        """True for a plural noun ("fans"), by the language's pattern where it has one ("heating" is not)."""
        noun = noun.casefold()
        if noun in self.singular_nouns:
            return False  # "the Sonos": one speaker
        return bool(self.plural_name.search(noun)) if self.plural_name else self.normalise(noun) != noun

    def called(self, noun: str, house: House) -> list[Device]:
        """The devices a word for one device (normalised) can mean: those with it in their words, and for
        a word their names rarely carry ("the AC", "the volume") every device of its domain: a
        temperature or a volume set on a guess is a wrong action; "das Licht" may be any light."""
        return [device for device in house.devices if self._is_called(noun, device)]

    def _ends_in(self, device: Device, noun: str) -> bool:
        """True when a word of the device's name is a compound ending in a kind noun (normalised): the
        Schreibtischlampe is a "Lampe" (only in a language that joins nouns)."""
        if noun not in self._compound_head_stems:
            return False
        return any(self.normalise(word).endswith(noun) for word in tokens(device.name))

    @cached_property
    def _compound_head_stems(self) -> frozenset[str]:
        """The kind nouns that end compounds, normalised as the user's words are."""
        return frozenset(self.normalise(head) for head in self.compound_heads)

    def _argument_words(self, call: Call) -> frozenset[str]:
        """The words of a call's argument values ("sleep" for preset_mode="sleep")."""
        return frozenset().union(*(self.words(str(value), spoken=False) for value in call.arguments.values()))

    def _argument_kinds(self, call: Call) -> frozenset[str]:
        """Kinds of device a call's argument values name ("fan_only" for an hvac mode)."""
        return frozenset(kind for value in call.arguments.values() for kind in self.kind_nouns(str(value)))

    def asks_for_action(self, call: Call, text: str, previous: str = "") -> bool:
        """True when the request (or, for a follow-up, the one before) asks for something this call may
        do: an action or state word, a polite request, a setting, or a need its domain meets. A bare
        statement ("I'm going to the kitchen", "the garage door is green") asks for nothing."""
        if not self.has_verbs:
            return True  # a language without word lists: no call is held for a verb it cannot read
        said = set(tokens(text)) | set(tokens(previous))
        lead = self.leading_verb(text)
        if lead in self.leading_verb_domains or any(together <= said for together in self.asking_together):
            return True  # "boil the kettle", "get the fan going"
        chores = {self.normalise(verb) for verb in self.leading_verb_domains}
        if lead in self.causative and {self.normalise(word) for word in said} & chores:
            return True  # "have Robbie vacuum", "get the Deebot hoovering"
        if lead in self.wants_a_complement:  # "make the bed" asks nothing of the bed light; "make it warmer" does
            said -= self.polite | {lead}
        normal = {self.normalise(word) for word in said}
        if said & (self.action_words | self.asking | self.verb_domains.keys()) or normal & self.action:
            return True  # "turning", "switching" too
        if any(word.isdigit() for word in said) or _KELVIN.search(text) or normal & self._argument_words(call):
            return True  # a number ("to 5000K" too), or the value the call sets ("make the lamp *red*")
        needs = self.need_words.get(call.domain, frozenset())
        if call.domain in RELAY_DOMAINS:
            needs = frozenset().union(*self.need_words.values())
        return bool(normal & needs) or (call.domain == "light" and bool(said & self.light_settings))

    # --- confirmations: built from the calls that ran -----------------------------------------

    def the(self, name: str) -> str:
        """A device name as spoken in a sentence ("the Living Room Fan"; in German just the name)."""
        template = self.phrases.template("the") or "{name}"
        article = template.split("{name}", 1)[0]
        if article.strip() and name.lower().startswith(article.lower()):
            return name  # "The Loft" is not "the The Loft"
        return self.phrases.text("the", name=name)

    def done_phrase(self, call: Call, name: str, state: str | None = None) -> str:
        """What one call that ran did, as a phrase with the device's name ("Turned on the Bed Light")."""
        template = self.phrases.template(f"done.{call.domain}_{call.service}") or self.phrases.template(
            self._done_key(call, state)
        )
        values = {key: _spoken_value(key, value) for key, value in call.arguments.items()}
        other = {"name": self.the(name), "service": call.service_name}
        try:
            phrase = (template or self.phrases.template("done.other") or "").format(**values, **other)
        except (KeyError, IndexError, ValueError):
            phrase = self.phrases.text("done.other", **other)  # arguments the template did not expect
        details = [] if template and "{" in template.replace("{name}", "") else self._details(call)
        return f"{phrase} ({', '.join(details)})" if details else phrase

    @staticmethod
    def _done_key(call: Call, state: str | None) -> str:
        """The phrase for a call that ran: by its service, a toggle by the state it left."""
        if call.service == "toggle":
            return f"done.toggle_{state}" if state in _TOGGLED_STATES else "done.toggle"
        if call.service == "volume_mute":
            muted = call.arguments.get("is_volume_muted") in (True, "true")
            return "done.volume_mute_on" if muted else "done.volume_mute_off"
        if call.service == "set_temperature" and "temperature" not in call.arguments:
            return "done.set_temperature_range"
        return f"done.{call.service}"

    def _details(self, call: Call) -> list[str]:
        """Arguments a template does not say ("brightness 25%", "colour 255, 0, 0")."""
        return [
            f"{self.phrases.template(f'arguments.{key}') or key.replace('_', ' ')} {_spoken_value(key, value)}"
            for key, value in call.arguments.items()
        ]

    def confirmation(self, done: Sequence[tuple[Call, str, str | None]]) -> str:
        """One sentence per kind of change, naming every device: "Turned off the Kitchen Lights and the Bed Light."

        `done`: (call, device name, state after the call) for each call that ran.
        """
        groups: dict[str, list[str]] = {}
        for call, name, state in done:
            # Calls that read the same apart from the name are said together.
            phrase = self.done_phrase(call, "\x00", state)
            groups.setdefault(phrase, []).append(self.the(name))
        sentences = [phrase.replace(self.the("\x00"), self.join(names)) for phrase, names in groups.items()]
        return " ".join(f"{sentence}." for sentence in sentences)

    def join(self, items: Sequence[str], conjunction: str = "and") -> str:
        """ "a", "a and b", "a, b and c" (`conjunction`: the phrase "and" or "or")."""
        if len(items) == 1:
            return items[0]
        return f"{', '.join(items[:-1])} {self.phrases.text(conjunction)} {items[-1]}"

    # --- answers about readings --------------------------------------------------------------

    def asked_quantity(self, text: str) -> str | None:
        """The reading a question asks about ("temperature", "humidity"), or None."""
        said = self.words(text)
        for quantity, quantity_words in self.quantity_words.items():
            if said & quantity_words:
                return quantity
        return None

    def check_answer(self, text: str, speech: str, house: House) -> str:
        """The model's answer, unless it states a reading no device in the house shows (or a state the
        device is not in: check_state_answer).

        Only answers to questions about a reading (temperature, humidity) with a number in them are
        checked: chit-chat arithmetic ("12 times 4") is left alone. A number is accepted when the
        user said it or some device state or attribute shows it (rounded as the model may round).
        """
        quantity = self.asked_quantity(text)
        numbers = _numbers(speech)
        if quantity is None:
            return self.check_state_answer(text, speech, house)
        if not (numbers or self.is_question(text)):
            return speech
        known = _numbers(text) | _house_numbers(house)
        if numbers and all(_is_known(number, known) for number in numbers):
            return speech
        # No number for a question about a reading ("The living room is currently on."): the house's own.
        return self.known_reading(text, quantity, house)

    def check_state_answer(self, text: str, speech: str, house: House) -> str:
        """The model's answer to "is the kitchen light on?", unless it gives the device another state
        than the house shows (a stale or invented one): then the house's own state is said."""
        if not self.asks_about_state(text) or (device := self.asked_device(text, house)) is None:
            return speech
        if (
            not self.model_language
        ):  # the model answers in English: the house's sentence is true and in the user's language
            return self.state_sentence(device)
        stated = set().union(*(self.state_words[word] for word in tokens(speech) if word in self.state_words))
        if not stated or device.state in stated:
            return speech
        return self.state_sentence(device)

    def asked_device(self, text: str, house: House) -> Device | None:
        """The one device a question names best ("the kitchen light": Kitchen Lights, not the Kitchen
        player), or None when no device or several share the most words."""
        said = self.words(text)
        scores = [(len(said & self.device_words(device)), device) for device in house.devices]
        best = max((score for score, _device in scores), default=0)
        named = [device for score, device in scores if score == best]
        return named[0] if best and len(named) == 1 else None

    def is_question(self, text: str) -> bool:
        """True for a question ("what is the temperature?", "how warm is it"), not a command."""
        said = tokens(text)
        return text.strip().endswith("?") or bool(said and said[0] in self.question_starts)

    def known_reading(self, text: str, quantity: str, house: House) -> str:
        """The house's own reading for a question, or that no device reports it."""
        asked = self.words(text) - self.quantity_words[quantity]
        reporters = [(device, value) for device in house.devices if (value := _reading(device, quantity)) is not None]
        reporters.sort(key=lambda pair: pair[0].domain != "sensor")  # a sensor's reading first: it is the room's own
        if asked:  # "in the living room": only devices named that way
            reporters = [(device, value) for device, value in reporters if asked & self.device_words(device)]
        if not reporters:
            said = self.phrases.template(f"quantities.{quantity}") or quantity
            return self.phrases.text("no_reading", quantity=said, where=self._where(text))
        quoted = [self.phrases.text("reading", name=device.name, value=_plain(value)) for device, value in reporters]
        return f"{self.join(quoted[:_MAX_QUOTED])}."

    def _where(self, text: str) -> str:
        """The place part of a question (" in the living room"), or ""."""
        match = self.where_pattern and self.where_pattern.search(text.strip().rstrip("?!. ").lower())
        return f" {match.group(0)}" if match else ""

    # --- streaming -----------------------------------------------------------------------------

    def may_act(self, text: str, house: House) -> bool:
        """True when a request may lead to calls or asks about a reading: its speech is held back
        until the calls ran (or the answer was checked); other turns (chit-chat) stream as before."""
        said = self.words(text) | {self.normalise(word) for word in tokens(text)}
        if said & (self.action | self.add) or self.asked_quantity(text):
            return True
        known = set().union(*(self.domain_words(domain) for domain in self.domain_table))
        kinds = [group for group in self.near_names if any(self.normalise(phrase) in self.kind_of for phrase in group)]
        known |= {self.normalise(word) for group in kinds for phrase in group for word in tokens(phrase)}  # "telly"
        for device in house.devices:  # (a source alone is no device: "I hate twitch" asks for nothing)
            known |= self.device_words(device) | self.domain_words(device.domain)
        return bool({word for word in said & known if not word.isdigit()})  # "12 times 4" is not about vacuum 4


def _allow(call: Call) -> Verdict:
    """A verdict that lets a call through: the policy checks a reading's call afterwards."""
    return Verdict(call, True)


def _sources(device: Device) -> list[str]:
    """A media player's sources, as its state gives them (untrusted: only strings are kept)."""
    sources = device.attributes.get("source_list")
    if not isinstance(sources, list | tuple):
        return []
    return [source for source in sources if isinstance(source, str) and source.strip()]


def _says(text: str, source: str) -> bool:
    """True when the request names the source as a whole, by its words in order ("hdmi 2", "NDR 2")."""
    # Letters and digits apart: "HDMI 2" says the source HDMI2, "hdmi2" the source HDMI 2.
    words = [re.escape(word) for word in re.findall(r"[^\W\d_]+|\d+", source.casefold())]
    return bool(words) and re.search(r"\b" + r"\W*".join(words) + r"\b", text.casefold()) is not None


def _argument_value(argument: str, value: object) -> object:
    """A value as the argument takes it: percentages of full brightness and volume on their own scales."""
    if argument == "brightness" and isinstance(value, int):
        return round(min(value, 100) * 255 / 100)
    if argument == "volume_level" and isinstance(value, int):
        return value / 100
    return value


def _spoken_value(key: str, value: object) -> str:
    """An argument as a person says it: brightness and volume as percentages, lists as "1, 2, 3"."""
    if key == "brightness" and isinstance(value, int | float):
        return f"{round(value * 100 / 255)}%"
    if key == "volume_level" and isinstance(value, int | float):
        return f"{round(value * 100)}%"
    if isinstance(value, list | tuple):
        return ", ".join(str(part) for part in value)
    if isinstance(value, float) and value.is_integer():  # "23 degrees", not "23.0 degrees"
        return str(int(value))
    return str(value)


def _reading(device: Device, quantity: str) -> float | None:
    """The device's value for a reading: a sensor's state by its device class, else an attribute."""
    if device.domain == "sensor" and device.attributes.get("device_class") == quantity:
        return _to_number(device.state)
    for attribute in QUANTITIES[quantity]:
        if (value := _to_number(device.attributes.get(attribute))) is not None:
            return value
    return None


def _plain(value: float) -> str:
    """25.0 -> "25", 15.6 -> "15.6"."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _to_number(value: object) -> float | None:
    """A finite number from a state or attribute, or None ("unknown", None, True are not numbers)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _numbers(text: str) -> set[float]:
    """The numbers written in a text ("21.5", "21,5", "-3")."""
    return {float(match.replace(",", ".")) for match in _NUMBER.findall(text or "")}


def _house_numbers(house: House) -> set[float]:
    """Every number a device shows: numeric states, attribute values, and their percentage forms."""
    found: set[float] = set()
    for device in house.devices:
        readings = {key: value for key, value in device.attributes.items() if key not in _NOT_READINGS}
        values: list[object] = [device.state, *_flatten(readings)]
        for value in values:
            if (number := _to_number(value)) is not None:
                found.add(number)
        for key, scale in (("brightness", 100 / 255), ("volume_level", 100)):
            if (number := _to_number(device.attributes.get(key))) is not None:
                found.add(round(number * scale))
    return found


def _flatten(attributes: Mapping[str, object]) -> Iterable[object]:
    """Attribute values, with lists and tuples opened (rgb_color, min/max pairs)."""
    for value in attributes.values():
        if isinstance(value, list | tuple):
            yield from value
        else:
            yield value


def _is_known(number: float, known: set[float]) -> bool:
    """True when a device (or the user) shows this number, allowing the model to round."""
    return any(number == value or number == round(value) or number == round(value, 1) for value in known)


# --- language-free helpers ------------------------------------------------------------------


def _english_stem(word: str) -> str:
    """English endings removed: "lights" -> "light", "heating" -> "heat", "batteries" -> "battery".

    Tiny stemming is enough here because both sides (the user's words and the device's) go
    through it: "lights"/"light", "blinds"/"blind", "switches"/"switch", "heating"/"heat".
    """
    if len(word) > 6 and word.endswith("ing"):
        word = word[:-3]  # lighting -> light, heating -> heat; "living" is too short to be cut
        if word[-1] == word[-2] and word[-1] not in "lsz":
            word = word[:-1]  # setting -> set, dimming -> dim; calling, pressing stay
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"  # batteries -> battery
    if len(word) > 4 and word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]  # switches -> switch, boxes -> box
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]  # lights -> light; glass, status, this stay
    return word


# --- one Grounding per language, read once ---------------------------------------------------

_BY_LANGUAGE: dict[str, Grounding] = {}
_LOCK = threading.Lock()


def cached_grounding(language: str) -> Grounding | None:
    """The rules of a language already read (no I/O), or None."""
    if (found := _BY_LANGUAGE.get(language)) is None and (lexicon := cached_lexicon(language)) is not None:
        found = _remember(Grounding(lexicon))
    return found


def load_grounding(language: str) -> Grounding:
    """The rules of a language, reading its files the first time (blocking: call it in an executor)."""
    return cached_grounding(language) or _remember(Grounding(load_lexicon(language)))


def _remember(grounding: Grounding) -> Grounding:
    """Keep one Grounding per language (two turns may build one at once: the first one stays)."""
    with _LOCK:
        return _BY_LANGUAGE.setdefault(grounding.lexicon.language, grounding)


# The English rules as module functions, as the rest of the integration and the tests use them.
ENGLISH = _remember(Grounding(ENGLISH_LEXICON))
normalise = ENGLISH.normalise
words = ENGLISH.words
domain_words = ENGLISH.domain_words
device_words = ENGLISH.device_words
object_phrase = ENGLISH.object_phrase
said_words = ENGLISH.said_words
is_grounded = ENGLISH.is_grounded
naming_words = ENGLISH.naming_words
request_parts = ENGLISH.request_parts
asks_to_add = ENGLISH.asks_to_add
asks_about_state = ENGLISH.asks_about_state
goes_against = ENGLISH.goes_against
kind_nouns = ENGLISH.kind_nouns
head_noun = ENGLISH.head_noun
head_kind = ENGLISH.head_kind
asks_for_action = ENGLISH.asks_for_action
done_phrase = ENGLISH.done_phrase
confirmation = ENGLISH.confirmation
check_answer = ENGLISH.check_answer
may_act = ENGLISH.may_act


def hold_ungrounded(
    verdicts: Iterable[Verdict],
    house: House,
    text: str,
    previous: str = "",
    *,
    grounding: Grounding = ENGLISH,
    check: Callable[[Call], Verdict] | None = None,
    read_first: bool = True,
) -> tuple[list[Verdict], list[Hold]]:
    """Grounding.hold_ungrounded in `grounding`'s language, as a module function (devtools record its holds)."""
    return grounding.hold_ungrounded(verdicts, house, text, previous, check, read_first=read_first)
