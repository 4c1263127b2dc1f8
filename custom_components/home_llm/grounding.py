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
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .parser import Call
from .policy import Verdict
from .snapshot import Device, House


def _word_list(text: str) -> frozenset[str]:
    """A set of words written as one string, for the readable tables below."""
    return frozenset(text.split())


# Words that say nothing about which device is meant: articles, pronouns, prepositions, politeness,
# on/off. "room" is here because "living room" and "dining room" must not match through it.
FILLER = _word_list(
    """a an the my our your his her their me i we you us it its itself them they this that these those
    please pls can could would will should shall may might must to in on off of at for from with by into
    onto and or but so then now also too just very really some any all every everything each both
    is are was were be been being am do does did done have has had there here what whats which who how
    where when why s t d ll re ve m don dont let lets im room rooms same one ones thing things bit
    up down out over back again right ok okay hey hi al"""
)
# Verbs that ask the house to do something: a turn with one of them may make calls.
ACTION_WORDS = _word_list(
    """turn switch set make put change open close shut start stop begin end pause play resume unpause
    skip lock unlock activate deactivate enable disable dim brighten raise lower increase decrease
    reduce boost adjust toggle run press arm disarm add remember note kill cut power lift roll draw pull
    drop crank flip fire silence mute unmute darken replay unlatch latch bolt release finish cancel halt hold
    push hit unbolt freeze return forget move"""
)
# Softer verbs: not commands by themselves, but not the object of a request either.
_OTHER_VERBS = _word_list("get give keep want need like would love go bring send tell show check mind")
# Words for a need, never in a device's name: "I want some privacy in the garage".
_NEED_ONLY = _word_list("privacy glare glaring sweating sweaty stuffy muggy chilly freezing noisy loud quiet hear see")
# Pronouns that point back at the previous turn's device ("turn it off", "that one too").
PRONOUNS = frozenset({"it", "them", "that", "those", "this", "these", "one", "ones", "same"})
# After "switch" these words mean the verb ("switch off the lamp"), not the device kind.
_SWITCH_VERB_NEXT = frozenset({"on", "off", "it", "them", "the", "my", "our", "to", "all", "everything", "that"})

# The words people use for each kind of device (besides the domain's own words, e.g. "media player").
# Written naturally; they go through the same normalisation as the user's words.
_DOMAIN_WORDS: dict[str, str] = {
    "light": "light lights lamp lamps bulb bulbs lighting bright brighter brightness dim dimmer dark",
    "fan": "fan fans ventilation ventilator breeze speed faster slower",
    "cover": "cover blinds curtains shades shutters window windows garage door doors gate awning roof",
    "media_player": "tv television music speaker speakers volume player media song songs track tracks "
    "radio movie show podcast pause unpause resume skip next previous mute unmute louder quieter source",
    "climate": "heat heating heater ac air conditioning conditioner thermostat temperature warm warmer "
    "cool cooler cold colder hot hotter hvac degrees",
    "lock": "lock locks door doors deadbolt unlock",
    "switch": "switch switches plug plugs outlet outlets socket sockets",
    "humidifier": "humidifier dehumidifier humidity humid dry",
    "vacuum": "vacuum vacuums robot hoover clean cleaning mop dock",
    "valve": "valve valves water gas tap sprinkler",
    "water_heater": "water heater boiler hot",
    "alarm_control_panel": "alarm security arm disarm",
    "scene": "scene scenes mood",
    "script": "script scripts routine",
    "todo": "list lists todo add put remember note shopping",
    "timer": "timer timers countdown",
    "button": "button press",
    "input_button": "button press",
    "input_boolean": "toggle mode",
}
# Words that say how, how much or how long, not which device: "set the lights to red", "50 percent".
SETTING_WORDS = _word_list(
    """percent percentage brightness level min minimum max maximum lowest lower highest higher full half
    bright brighter dim dimmer dark red green blue yellow orange purple pink white black warm cool cold
    daylight color colour minute minutes second seconds hour hours degree degrees mode speed volume
    little lot more less lot way much"""
)
# Where one request holds several ("the kitchen lights and the tv"), each part is matched alone.
_PARTS = re.compile(r",|;|[.!?](?:\s|$)|\band\b|\bthen\b|\balso\b|\bplus\b", re.IGNORECASE)
# Which way a call moves a device, and the words that ask for each way. A call that goes the other
# way from every direction word the user said ("get the garage open" -> close_cover) is asked about.
_UP_SERVICES = frozenset({"turn_on", "open_cover", "open_valve", "open", "unlock", "media_play"})
_DOWN_SERVICES = frozenset({"turn_off", "close_cover", "close_valve", "lock", "media_pause", "media_stop"})
_UP_WORDS = frozenset({"on", "open", "start", "activate", "enable", "unlock", "unpause", "resume", "play"})
_DOWN_WORDS = frozenset({"off", "close", "shut", "stop", "deactivate", "disable", "lock", "pause"})
# A request to add something to a list (the only case in which todo.add_item may run).
ADD_WORDS = frozenset({"add", "put", "remember", "note", "list", "todo"})
# Readings people ask about, and where a device shows them: a sensor's own state (by device
# class) or one of these attributes.
QUANTITIES: dict[str, tuple[str, ...]] = {
    "temperature": ("current_temperature",),
    "humidity": ("current_humidity", "humidity"),
}
_QUANTITY_WORDS: dict[str, str] = {
    "temperature": "temperature temp degrees warm hot cold cool",
    "humidity": "humidity humid",
}

_QUESTION_STARTS = frozenset({"what", "whats", "how", "hows", "is", "are", "tell", "which", "do", "does"})
_TOKEN = re.compile(r"[a-z0-9]+")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)?")
_WHERE = re.compile(r"\b(?:in|of|at|on|inside|outside)\b.*$")
_NOT_READINGS = frozenset({"supported_features", "supported_color_modes"})  # bit masks, not values a user sees
_MAX_QUOTED = 3  # readings quoted in one answer; more would be a list nobody listens to


def normalise(word: str) -> str:
    """One word in a comparable form: lower case, plural and "-ing" endings removed.

    Tiny stemming is enough here because both sides (the user's words and the device's) go
    through it: "lights"/"light", "blinds"/"blind", "switches"/"switch", "heating"/"heat".
    """
    word = word.lower()
    if len(word) > 6 and word.endswith("ing"):
        word = word[:-3]  # lighting -> light, heating -> heat; "living" is too short to be cut
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"  # batteries -> battery
    if len(word) > 4 and word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]  # switches -> switch, boxes -> box
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]  # lights -> light; glass, status, this stay
    return word


def tokens(text: str) -> list[str]:
    """The words of a text (or entity id) in order, lower case; underscores and punctuation split."""
    return _TOKEN.findall(text.lower()) if isinstance(text, str) else []


def words(text: str, *, spoken: bool = True) -> frozenset[str]:
    """The normalised words of a text that can point at a device (filler left out).

    `spoken`: the text is what a user said, where "switch" may be the verb.
    """
    raw = tokens(text)
    kept = {
        normalise(word)
        for index, word in enumerate(raw)
        if word not in FILLER and not (spoken and word == "switch" and _switch_is_verb(raw, index))
    }
    return frozenset(kept - _NORMALISED_FILLER)


def _switch_is_verb(raw: list[str], index: int) -> bool:
    """ "switch off the lamp" uses the verb; "turn off the switch" names the device kind."""
    following = raw[index + 1] if index + 1 < len(raw) else None
    return index == 0 or following in _SWITCH_VERB_NEXT


_NORMALISED_FILLER = frozenset(normalise(word) for word in FILLER)
DOMAIN_WORDS: dict[str, frozenset[str]] = {d: words(text, spoken=False) for d, text in _DOMAIN_WORDS.items()}
QUANTITY_WORDS: dict[str, frozenset[str]] = {q: words(text, spoken=False) for q, text in _QUANTITY_WORDS.items()}
_ACTION = frozenset(normalise(word) for word in ACTION_WORDS)
_ADD = frozenset(normalise(word) for word in ADD_WORDS)
_VERBS = frozenset(normalise(word) for word in _OTHER_VERBS)
# Words that never name one device: verbs, words for kinds of device, settings.
_GENERIC = frozenset(
    {normalise(word) for word in ACTION_WORDS | _OTHER_VERBS | SETTING_WORDS | _NEED_ONLY}.union(*DOMAIN_WORDS.values())
)


def domain_words(domain: str) -> frozenset[str]:
    """Words for a kind of device: the table's, plus the domain's own ("media", "player")."""
    return DOMAIN_WORDS.get(domain, frozenset()) | words(domain.replace("_", " "), spoken=False)


def device_words(device: Device) -> frozenset[str]:
    """Words that name one device: its name, aliases, area and entity id."""
    found: set[str] = set()
    for text in (device.name, device.area or "", *device.aliases, device.entity_id.split(".", 1)[-1]):
        found |= words(text, spoken=False)
    return frozenset(found)


def object_phrase(text: str) -> str:
    """The part of a request that names its object, in the user's own words, from its first
    to its last telling word ("turn off the lights in the kitchen" -> "lights in the kitchen")."""
    if not isinstance(text, str):
        return ""
    telling = [m for m in _TOKEN.finditer(text.lower()) if m.group(0) not in FILLER | ACTION_WORDS | _OTHER_VERBS]
    return text[telling[0].start() : telling[-1].end()] if telling else ""


def said_words(text: str, previous: str = "") -> frozenset[str]:
    """What the user's request can point at; a follow-up ("turn it off") also uses the previous turn's words."""
    said = words(text)
    if previous and (not object_phrase(text) or PRONOUNS & set(tokens(text))):
        said |= words(previous)
    return said


def is_grounded(
    call: Call, device: Device, said: frozenset[str], house: House | None = None, head: str | None = None
) -> bool:
    """True when the user's words point at the target device.

    Words that could name a device ("porch", "decorative", "kitchen") decide when there are any: the
    target must share one, and no device of the house may share more ("living room rgbww lights"
    is not the ceiling light that merely sits in the living room). Otherwise ("turn on the
    lights") a word for the device's kind is enough. `head`: the kind of device the request names.
    """
    naming = naming_words(said, call, head)
    if not naming or house is None:
        return bool(said & (device_words(device) | domain_words(call.domain)))
    overlap = len(naming & device_words(device))
    return overlap > 0 and overlap == max(len(naming & device_words(other)) for other in house.devices)


def naming_words(said: frozenset[str], call: Call, head: str | None = None) -> frozenset[str]:
    """The user's words that could only name a device: not verbs, kinds, settings, numbers or the
    call's own argument values ("netflix" in "switch the tv to netflix")."""
    values: set[str] = set()
    for value in call.arguments.values():
        values |= words(str(value), spoken=False)
    # Another domain's noun names ("the *garage* light"), unless it is the kind the request is about.
    nouns = _other_kind_nouns(call.domain, _SERVICE_PARTS.get(call.service))
    generic = _GENERIC - {word for word in nouns if head is None or _KIND_OF.get(word) != head}
    return frozenset(word for word in said - generic - values if not word.isdigit())


def _other_kind_nouns(domain: str, part: str | None = None) -> frozenset[str]:
    """Nouns for devices of other domains: they tell devices apart ("the *garage* light" is no bed
    light), unless they name the part of the device the call sets (`part`: "the nest *fan* to low")."""
    return frozenset(
        word
        for word, domains in _NOUN_DOMAINS.items()
        if domain not in domains and (part is None or _KIND_OF.get(word) != part)
    )


def request_parts(text: str) -> list[str]:
    """The parts of a request that holds several ("kitchen lights off and the tv on"), or the whole."""
    parts = [part for part in _PARTS.split(text) if words(part)] if isinstance(text, str) else []
    return parts or [text]


def asks_to_add(text: str) -> bool:
    """True when the user asked to add something to a list ("add milk", "put eggs on my list")."""
    return bool(_ADD & {normalise(word) for word in tokens(text)})


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


def hold_ungrounded(
    verdicts: Iterable[Verdict], house: House, text: str, previous: str = ""
) -> tuple[list[Verdict], list[Hold]]:
    """Split the policy's verdicts into those to run (or report as refused) and the ones held back."""
    parts = [(part, said_words(part, previous)) for part in request_parts(text)]
    keep: list[Verdict] = []
    held: list[Hold] = []
    for verdict in verdicts:
        device = house.device(verdict.call.entity_id)
        hold = None
        if verdict.allowed and device is not None:
            hold = _hold(verdict.call, device, parts, text, house, previous=previous)
        if hold is None:
            keep.append(verdict)
        else:
            held.append(hold)
    return keep, held


def _hold(
    call: Call, device: Device, parts: list[tuple[str, frozenset[str]]], text: str, house: House, *, previous: str
) -> Hold | None:
    """Why an allowed call must not run, or None when it may."""
    if call.domain == "todo" and call.service == "add_item" and not asks_to_add(text):
        item = str(call.arguments.get("item", "")).strip() or "anything"
        return Hold(
            call,
            "the user did not ask to add anything",
            f"I did not add '{item}' to {_the(device.name)}: you did not ask me to add anything.",
        )
    if asks_about_state(text):
        return Hold(call, "the user asked a question", _state_sentence(device))
    grounded = [part for part, said in parts if is_grounded(call, device, said, house, head_kind(part))]
    if all(goes_against(call, part) for part in grounded or [text]):  # the parts that name it, if any
        return Hold(
            call,
            f"{call.service_name} goes against the words of the request",
            f"Did you want me to {_VERB[call.service in _UP_SERVICES]} {_the(device.name)}? "
            "That is not what I heard, so I did not do it.",
        )
    if not grounded:
        return _which(call, text, f"the request does not mention {device.name}")
    fitting = [part for part in grounded if part_problem(call, device, part, house, previous) is None]
    if not fitting:
        problem = part_problem(call, device, grounded[0], house, previous) or ""
        return _part_hold(call, device, grounded[0], problem, house)
    if not asks_for_action(call, text, previous):
        return Hold(
            call,
            "the request asks for no action",
            f"Did you want me to do something with {_the(device.name)}? I did not change anything.",
        )
    return None


def asks_about_state(text: str) -> bool:
    """True for a question about the house ("is the kitchen light on?", "bed light status?"), which
    no call answers; "how about some music" and "can you turn it on?" are requests."""
    said = [word for word in tokens(text) if word not in _GREETING]
    if not said or set(said[1:4]) & _REQUEST_AFTER_QUESTION:
        return False
    return said[0] in _STATE_QUESTION_STARTS or bool(set(said) & {"status", "state"})


def _state_sentence(device: Device) -> str:
    """What a question about a device gets instead of a call: its state from the house."""
    verb = "are" if re.search(r"[^su]s$", device.name.lower()) else "is"
    return f"{_the(device.name)[0].upper()}{_the(device.name)[1:]} {verb} {device.state.replace('_', ' ')}."


def _which(call: Call, text: str, reason: str) -> Hold:
    """Ask which device the user meant, quoting their words for it."""
    phrase = object_phrase(text)
    question = f"Which device do you mean by '{phrase}'?" if phrase else "Which device do you mean?"
    return Hold(call, reason, question)


def _part_hold(call: Call, device: Device, part: str, problem: str, house: House) -> Hold:
    """The hold for a call its words name but cannot mean (see part_problem)."""
    kind, _, word = problem.partition(":")
    if kind == "verb":
        return Hold(call, f"{device.name} cannot {word}", f"I can't {word} {_the(device.name)}, so I did not touch it.")
    if kind == "pronoun":
        return Hold(call, f"'{word}' points at no device named before", "Which device do you mean?")
    if kind == "several":
        names = [_the(d.name) for d in house.devices if word in device_words(d)][:_MAX_QUOTED]
        return Hold(call, f"several devices are called '{word}'", f"Which {word} do you mean: {_join(names, 'or')}?")
    return _which(call, part, f"'{word}' is not {device.name}")


_VERB = {True: "turn on or open", False: "turn off or close"}
# "lights out" asks for darkness, though "out" alone ("roll out the awning") says no direction.
_LIGHTS_OUT = re.compile(r"\blights? out\b")


def goes_against(call: Call, text: str) -> bool:
    """True when the call moves its device one way and the user only asked for the other way."""
    raw = tokens(text)
    # "the kids room lock" names the device; only "lock the door" asks to lock.
    said = {word for index, word in enumerate(raw) if word != "lock" or not index or raw[index - 1] in _BEFORE_VERB}
    up = bool(said & _UP_WORDS)
    down = bool(said & _DOWN_WORDS) or bool(_LIGHTS_OUT.search(text.lower()))
    if call.service in _UP_SERVICES:
        return down and not up
    if call.service in _DOWN_SERVICES:
        return up and not down
    return False


# --- what a request can mean: its verbs, the kind of device it names, a bare statement ------------

# Nouns for kinds of device. A request's head noun ("the garage *light*") must be of the target's
# kind; the words of one kind stand in for each other ("blinds" for a window's cover).
_KIND_NOUNS: dict[str, str] = {
    "light": "light lights lamp lamps bulb bulbs lighting chandelier spotlight spotlights downlight downlights",
    "fan": "fan fans ventilator",
    "window": "window windows blind blinds curtain curtains shade shades shutter shutters drape drapes",
    "door": "door doors gate gates",
    "roof": "roof awning awnings canopy",
    "media": "tv television speaker speakers soundbar radio stereo player music",
    "heating": "heat heating heater heaters thermostat ac aircon conditioner conditioning hvac boiler",
    "humidity": "humidifier dehumidifier",
    "vacuum": "vacuum hoover robot",
    "valve": "valve valves tap taps sprinkler sprinklers",
    "lock": "lock locks deadbolt",
    "alarm": "alarm siren",
}
# The domains whose devices each kind can be ("a door" is a cover or a lock).
_KIND_DOMAINS: dict[str, frozenset[str]] = {
    kind: frozenset(domains.split())
    for kind, domains in {
        "light": "light", "fan": "fan", "window": "cover", "door": "cover lock", "roof": "cover",
        "media": "media_player", "heating": "climate water_heater", "humidity": "humidifier",
        "vacuum": "vacuum", "valve": "valve", "lock": "lock", "alarm": "alarm_control_panel",
    }.items()
}  # fmt: skip
# A cover's device class says its kind when its name does not.
_COVER_CLASS_KINDS = {"garage": "door", "door": "door", "gate": "door", "window": "window", "blind": "window",
                      "shade": "window", "curtain": "window", "shutter": "window", "awning": "roof"}  # fmt: skip
# Switches, routines and buttons may power or run anything: named for a kind, they are of that kind;
# otherwise any kind, verb or chore may be theirs ("boil the kettle" on a switch called Kettle).
RELAY_DOMAINS = frozenset({"switch", "input_boolean", "scene", "script", "button", "input_button"})
# Services that set a part of a device named like a kind of device of its own.
_SERVICE_PARTS = {"set_fan_mode": "fan"}
# Where a noun phrase's place begins: its head noun comes before ("the light in the garage").
_PLACE_WORDS = _word_list(
    "in on at of near by from inside outside over under above below behind beside next to for with"
)
# Verbs only some domains can do, wherever they stand: "unlock the kitchen window" is no window's job.
_VERB_DOMAINS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("lock", "unlock", "locked", "unlocked", "latch", "unlatch", "deadbolt"), frozenset({"lock"})),
    **dict.fromkeys(("arm", "disarm", "armed", "disarmed"), frozenset({"alarm_control_panel"})),
    **dict.fromkeys(("mute", "unmute", "skip", "rewind", "play"), frozenset({"media_player"})),
    **dict.fromkeys(("pause", "unpause", "resume"), frozenset({"media_player", "vacuum", "timer"})),
}
# Verbs that say the request's action when they lead it ("cook some pasta", "water the plants"):
# chores no allowed service does, or does only in one domain.
_LEADING_VERB_DOMAINS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("clean", "vacuum", "hoover", "mop", "sweep", "tidy", "dust"), frozenset({"vacuum"})),
    "water": frozenset({"valve"}),
    **dict.fromkeys(
        _word_list("""cook bake fry boil brew roast grill toast wash iron fold feed mow order buy book
    call phone text email print sew charge walk fix repair paint"""),
        frozenset(),
    ),
}
# Words before a request's verb: "could you please cook", "I want you to water".
_BEFORE_VERB = _word_list(
    """please pls can could would will you hey al just now go and then also ok okay so i want need to like
    d id wanna lets let s us me kindly maybe u"""
)
# How questions about the house begin (after a greeting); "how about", "what if", "why not" and
# "why don't you" begin requests.
_GREETING = _word_list("hey hi ok okay so al um")
_STATE_QUESTION_STARTS = _word_list("is are was were did does has have what whats which where when why who how hows")
_REQUEST_AFTER_QUESTION = _word_list("about if not don dont possible")
# Words that ask for every device of a kind: "all the fans", "every light".
_ALL_WORDS = frozenset({"all", "every", "each", "both", "everything"})
# Object pronouns point back ("dim it"); "it" as in "it's dark" or "make it warmer in here" is the room.
_OBJECT_PRONOUNS = frozenset({"it", "them", "that", "those", "this", "these"})
_AFTER_DUMMY_IT = frozenset({"s", "is", "was", "gets", "got", "feels", "seems", "looks"})
_AMBIENT = _word_list("here warm warmer cold colder cool cooler hot hotter dark darker stuffy chilly freezing humid")

# A request must ask for something: an action or state word, a polite request, a setting, or a need
# said instead of a command ("it's dark in the kitchen"), else it is a statement ("I'm in the hall").
_ASKING = _word_list(
    """on off up down out open close closed shut start stop pause play resume unpause
    louder quieter brighter dimmer warmer cooler colder hotter faster slower higher lower more less max min
    maximum minimum full half halfway percent per cent degrees volume brightness speed mode input source back
    hold halt push hit send dock do please pls can could would will want need let lets mind should gimme
    wanna"""
)
# Needs said instead of a command, by the domain that meets them (a switch or routine meets any).
_NEEDS: dict[str, str] = {
    "light": "dark darker see night read reading bright glare",
    "cover": "sun sunny glare glaring privacy see daylight bright air fresh breeze rain",
    "fan": "hot warm stuffy sweating sweaty air breeze cool muggy",
    "climate": "cold chilly freezing hot warm cool temperature heat",
    "water_heater": "hot shower bath",
    "media_player": "loud quiet hear noisy music song track next previous last",
    "humidifier": "humid dry damp muggy humidity",
    "vacuum": "dirty mess crumbs dust",
    "timer": "second seconds minute minutes hour hours",
}
# Verbs that ask for a change only with the state or setting they name ("make it warmer", "put the
# tv on"); politeness is no such word.
_WANTS_A_COMPLEMENT = frozenset({"make", "put", "keep", "get"})
_POLITE = _word_list("please pls can could would will want need let lets mind should gimme wanna")
_LIGHT_SETTINGS = _word_list(
    """red green blue yellow orange purple pink white black brown turquoise cyan magenta violet gold silver
    indigo lime teal lavender beige maroon navy olive coral salmon crimson amber warm cool daylight color colour"""
)


def _normalised(text: str) -> frozenset[str]:
    """Normalised forms of the words of a table."""
    return frozenset(normalise(word) for word in text.split())


_KIND_OF: dict[str, str] = {word: kind for kind, nouns in _KIND_NOUNS.items() for word in _normalised(nouns)}
_NEED_WORDS: dict[str, frozenset[str]] = {domain: _normalised(text) for domain, text in _NEEDS.items()}
# The domains each noun can name; "garage" is a cover's word though "the garage" is also a place.
# Nouns that are also verbs ("lock up the garage", "vacuum the hall") are left out.
_NOUN_DOMAINS: dict[str, frozenset[str]] = {
    word: _KIND_DOMAINS[kind]
    for word, kind in _KIND_OF.items()
    if word not in _ACTION | _VERB_DOMAINS.keys() | _LEADING_VERB_DOMAINS.keys()
} | {"garage": frozenset({"cover"})}
# The kind every device of a domain is, whatever its name: a lock is a "lock", a fan a "fan".
_DOMAIN_KIND = {"light": "light", "fan": "fan", "lock": "lock", "vacuum": "vacuum", "valve": "valve",
                "alarm_control_panel": "alarm", "humidifier": "humidity", "media_player": "media"}  # fmt: skip


def kind_nouns(text: str) -> list[str]:
    """The kinds of device a text names, in order: "the garage light" -> ["door", "light"]."""
    raw = tokens(text)
    return [
        _KIND_OF[normalise(word)]
        for index, word in enumerate(raw)
        if normalise(word) in _KIND_OF and not (word == "switch" and _switch_is_verb(raw, index))
    ]


def head_noun(text: str) -> str | None:
    """The word for the device a request is about, as said: the last kind noun before its place
    ("the *light* in the garage", "the garage *light*"), or None when it names no kind."""
    phrase: list[str] = []
    for word in [*tokens(text), "in"]:
        if word not in _PLACE_WORDS:
            phrase.append(word)
            continue
        nouns = [w for w in phrase if normalise(w) in _KIND_OF and w != "switch"]
        if nouns:
            return nouns[-1]
        phrase = []
    return None


def head_kind(text: str) -> str | None:
    """The kind of device a request is about ("the garage light" -> "light"), or None."""
    noun = head_noun(text)
    return _KIND_OF[normalise(noun)] if noun else None


def device_kinds(device: Device) -> frozenset[str]:
    """The kinds a device's name (or aliases, or a cover's class) says it is, where its domain can be
    that kind: a light called "Garage" is a light, a cover called "Garage Door" a door."""
    said = {kind for text in (device.name, *device.aliases) for kind in kind_nouns(text)}
    if not said and device.domain == "cover":
        said = {_COVER_CLASS_KINDS.get(str(device.attributes.get("device_class")), "")} - {""}
    if device.domain in RELAY_DOMAINS:
        return frozenset(said)
    return frozenset(kind for kind in said if device.domain in _KIND_DOMAINS[kind])


def kind_fits(kind: str, device: Device, service: str = "", arguments: frozenset[str] = frozenset()) -> bool:
    """True when a device can be the kind of device the user named, or the call sets that part of it
    ("set the nest fan to low": the thermostat's fan mode; `arguments`: kinds its values name)."""
    if _SERVICE_PARTS.get(service) == kind or kind in arguments or _DOMAIN_KIND.get(device.domain) == kind:
        return True  # a lock is a "lock" whatever its name says
    kinds = device_kinds(device)
    if kinds:
        return kind in kinds
    return device.domain in RELAY_DOMAINS or device.domain in _KIND_DOMAINS[kind]


def leading_verb(text: str) -> str | None:
    """The first word of a request after politeness ("could you please *cook* dinner"), unless it
    names a kind of device ("*water* heater to 50")."""
    said = [word for word in tokens(text) if word not in _BEFORE_VERB]
    if not said or (len(said) > 1 and normalise(said[1]) in _KIND_OF):
        return None
    return said[0]


def verb_misfit(domain: str, text: str) -> str | None:
    """A verb of the request that no device of this domain can do ("unlock" for a cover), or None."""
    if domain in RELAY_DOMAINS:
        return None
    said = tokens(text)
    verbs = [word for word in said if word in _VERB_DOMAINS]
    lead = leading_verb(text)
    if lead in _LEADING_VERB_DOMAINS:
        verbs.append(lead)
    return next((verb for verb in verbs if domain not in {**_LEADING_VERB_DOMAINS, **_VERB_DOMAINS}[verb]), None)


def points_back(text: str) -> str | None:
    """The pronoun a request uses for its object ("dim *it*"), or None: "it's dark", "make it warmer in
    here" and "turn that lamp off" name the room or the device."""
    said = tokens(text)
    if set(said) & _AMBIENT or kind_nouns(text):
        return None
    for index, word in enumerate(said):
        following = said[index + 1] if index + 1 < len(said) else None
        before = said[index - 1] if index else None
        if word in _OBJECT_PRONOUNS and following not in _AFTER_DUMMY_IT and before not in ("is", "was"):
            return word
    return None


def part_problem(call: Call, device: Device, part: str, house: House | None = None, previous: str = "") -> str | None:
    """Why a part of a request that shares words with the target cannot mean it ("verb:unlock",
    "kind:light", "pronoun:it", "several:fan"), or None when it can."""
    if verb := verb_misfit(call.domain, part):
        return f"verb:{verb}"
    kind = head_kind(part) or (head_kind(previous) if previous else None)
    if kind and not kind_fits(kind, device, call.service, _argument_kinds(call)):
        return f"kind:{kind}"
    naming = naming_words(said_words(part, previous), call, kind)
    if not previous and not naming and (pronoun := points_back(part)):
        return f"pronoun:{pronoun}"
    if house is not None and not naming and (noun := several_called(part, house)):
        return f"several:{noun}"
    return None


def several_called(text: str, house: House) -> str | None:
    """The word of a request for one device ("turn on *the fan*") that names several in the house,
    when the request says nothing else about it; None for all of them ("all the fans", "the lights")
    or for a device called just that ("the Fan")."""
    noun = head_noun(text)
    if noun is None or normalise(noun) != noun or set(tokens(text)) & _ALL_WORDS:
        return None
    if words(text) - _ACTION - _VERBS - {noun}:
        return None  # "the percentage full fan", "the garage fan": more than the noun
    if any(words(device.name, spoken=False) == {noun} for device in house.devices):
        return None
    named = [device for device in house.devices if noun in device_words(device)]
    return noun if len(named) > 1 else None


def _argument_words(call: Call) -> frozenset[str]:
    """The words of a call's argument values ("sleep" for preset_mode="sleep")."""
    return frozenset().union(*(words(str(value), spoken=False) for value in call.arguments.values()))


def _argument_kinds(call: Call) -> frozenset[str]:
    """Kinds of device a call's argument values name ("fan_only" for an hvac mode)."""
    return frozenset(kind for value in call.arguments.values() for kind in kind_nouns(str(value)))


def asks_for_action(call: Call, text: str, previous: str = "") -> bool:
    """True when the request (or, for a follow-up, the one before) asks for something this call may
    do: an action or state word, a polite request, a setting, or a need its domain meets. A bare
    statement ("I'm going to the kitchen", "the garage door is green") asks for nothing."""
    said = set(tokens(text)) | set(tokens(previous))
    lead = leading_verb(text)
    if lead in _LEADING_VERB_DOMAINS or {"get", "going"} <= said:
        return True  # "boil the kettle", "get the fan going"
    if lead in _WANTS_A_COMPLEMENT:  # "make the bed" asks nothing of the bed light; "make it warmer" does
        said -= _POLITE | {lead}
    normal = {normalise(word) for word in said}
    if said & (ACTION_WORDS | _ASKING | _VERB_DOMAINS.keys()) or normal & _ACTION:
        return True  # "turning", "switching" too
    if any(word.isdigit() for word in said) or normal & _argument_words(call):
        return True  # a number, or the value the call sets ("make the lamp *red*")
    needs = _NEED_WORDS.get(call.domain, frozenset())
    if call.domain in RELAY_DOMAINS:
        needs = frozenset().union(*_NEED_WORDS.values())
    return bool(normal & needs) or (call.domain == "light" and bool(said & _LIGHT_SETTINGS))


def _the(name: str) -> str:
    """A device name as spoken in a sentence: "the Living Room Fan"."""
    return name if name.lower().startswith("the ") else f"the {name}"


# --- confirmations: built from the calls that ran --------------------------------------------

_DONE: dict[str, str] = {
    "turn_on": "Turned on {name}",
    "turn_off": "Turned off {name}",
    "open_cover": "Opened {name}",
    "close_cover": "Closed {name}",
    "stop_cover": "Stopped {name}",
    "set_cover_position": "Set {name} to {position}% open",
    "lock": "Locked {name}",
    "unlock": "Unlocked {name}",
    "open": "Opened {name}",
    "media_play": "Resumed {name}",
    "media_pause": "Paused {name}",
    "media_stop": "Stopped {name}",
    "media_next_track": "Skipped to the next track on {name}",
    "media_previous_track": "Went back to the previous track on {name}",
    "volume_up": "Turned up the volume on {name}",
    "volume_down": "Turned down the volume on {name}",
    "volume_set": "Set the volume of {name} to {volume_level}",
    "select_source": "Switched {name} to {source}",
    "set_temperature": "Set {name} to {temperature} degrees",
    "set_hvac_mode": "Set {name} to {hvac_mode}",
    "set_fan_mode": "Set the fan of {name} to {fan_mode}",
    "set_preset_mode": "Set {name} to the {preset_mode} preset",
    "set_humidity": "Set {name} to {humidity}% humidity",
    "set_percentage": "Set {name} to {percentage}%",
    "increase_speed": "Sped up {name}",
    "decrease_speed": "Slowed down {name}",
    "press": "Pressed {name}",
    "start": "Started {name}",
    "stop": "Stopped {name}",
    "pause": "Paused {name}",
    "cancel": "Cancelled {name}",
    "finish": "Finished {name}",
    "return_to_base": "Sent {name} back to its dock",
    "open_valve": "Opened {name}",
    "close_valve": "Closed {name}",
    "stop_valve": "Stopped {name}",
    "alarm_arm_home": "Armed {name} (home)",
    "alarm_arm_away": "Armed {name} (away)",
    "alarm_arm_night": "Armed {name} (night)",
    "alarm_disarm": "Disarmed {name}",
    "add_item": "Added '{item}' to {name}",
}
_DONE_IN_DOMAIN: dict[tuple[str, str], str] = {
    ("scene", "turn_on"): "Activated {name}",
    ("script", "turn_on"): "Ran {name}",
}
# What a toggle did, read from the state after it.
_TOGGLED = {"on": "Turned on {name}", "off": "Turned off {name}", "open": "Opened {name}",
            "opening": "Opened {name}", "closed": "Closed {name}", "closing": "Closed {name}"}  # fmt: skip


def done_phrase(call: Call, name: str, state: str | None = None) -> str:
    """What one call that ran did, as a phrase with the device's name ("Turned on the Bed Light")."""
    template = _DONE_IN_DOMAIN.get((call.domain, call.service)) or _DONE.get(call.service)
    if call.service == "toggle":
        template = _TOGGLED.get(state or "", "Toggled {name}")
    elif call.service == "volume_mute":
        template = "Muted {name}" if call.arguments.get("is_volume_muted") in (True, "true") else "Unmuted {name}"
    elif call.service == "set_temperature" and "temperature" not in call.arguments:
        template = "Set {name} to {target_temp_low} to {target_temp_high} degrees"
    values = {key: _spoken_value(key, value) for key, value in call.arguments.items()}
    try:
        phrase = (template or "Ran {service} on {name}").format(**values, name=_the(name), service=call.service_name)
    except (KeyError, IndexError, ValueError):
        phrase = f"Ran {call.service_name} on {_the(name)}"  # arguments the template did not expect
    details = [] if template and "{" in template.replace("{name}", "") else _details(call)
    return f"{phrase} ({', '.join(details)})" if details else phrase


def _spoken_value(key: str, value: object) -> str:
    """An argument as a person says it: brightness and volume as percentages, lists as "1, 2, 3"."""
    if key == "brightness" and isinstance(value, int | float):
        return f"{round(value * 100 / 255)}%"
    if key == "volume_level" and isinstance(value, int | float):
        return f"{round(value * 100)}%"
    if isinstance(value, list | tuple):
        return ", ".join(str(part) for part in value)
    return str(value)


_ARGUMENT_NAMES = {"rgb_color": "colour", "color_name": "colour", "color_temp_kelvin": "colour temperature"}


def _details(call: Call) -> list[str]:
    """Arguments a template does not say ("brightness 25%", "colour 255, 0, 0")."""
    return [
        f"{_ARGUMENT_NAMES.get(key, key.replace('_', ' '))} {_spoken_value(key, value)}"
        for key, value in call.arguments.items()
    ]


def confirmation(done: Sequence[tuple[Call, str, str | None]]) -> str:
    """One sentence per kind of change, naming every device: "Turned off the Kitchen Lights and the Bed Light."

    `done`: (call, device name, state after the call) for each call that ran.
    """
    groups: dict[str, list[str]] = {}
    for call, name, state in done:
        # Calls that read the same apart from the name are said together.
        phrase = done_phrase(call, "\x00", state)
        groups.setdefault(phrase, []).append(_the(name))
    sentences = [phrase.replace("the \x00", _join(names)) for phrase, names in groups.items()]
    return " ".join(f"{sentence}." for sentence in sentences)


def _join(items: Sequence[str], conjunction: str = "and") -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


# --- answers about readings ------------------------------------------------------------------


def asked_quantity(text: str) -> str | None:
    """The reading a question asks about ("temperature", "humidity"), or None."""
    said = words(text)
    for quantity, quantity_words in QUANTITY_WORDS.items():
        if said & quantity_words:
            return quantity
    return None


def check_answer(text: str, speech: str, house: House) -> str:
    """The model's answer, unless it states a reading no device in the house shows (or a state the
    device is not in: check_state_answer).

    Only answers to questions about a reading (temperature, humidity) with a number in them are
    checked: chit-chat arithmetic ("12 times 4") is left alone. A number is accepted when the
    user said it or some device state or attribute shows it (rounded as the model may round).
    """
    quantity = asked_quantity(text)
    numbers = _numbers(speech)
    if quantity is None:
        return check_state_answer(text, speech, house)
    if not (numbers or is_question(text)):
        return speech
    known = _numbers(text) | _house_numbers(house)
    if numbers and all(_is_known(number, known) for number in numbers):
        return speech
    # No number for a question about a reading ("The living room is currently on."): the house's own.
    return known_reading(text, quantity, house)


# What an answer may say a device is; spelled as the model writes it, mapped to Home Assistant's state.
_STATE_WORDS = {
    "on": "on",
    "off": "off",
    "open": "open",
    "opened": "open",
    "closed": "closed",
    "shut": "closed",
    "playing": "playing",
    "paused": "paused",
    "idle": "idle",
    "locked": "locked",
    "unlocked": "unlocked",
    "unavailable": "unavailable",
}


def check_state_answer(text: str, speech: str, house: House) -> str:
    """The model's answer to "is the kitchen light on?", unless it gives the device another state
    than the house shows (a stale or invented one): then the house's own state is said."""
    if not asks_about_state(text) or (device := asked_device(text, house)) is None:
        return speech
    stated = {_STATE_WORDS[word] for word in tokens(speech) if word in _STATE_WORDS}
    if not stated or device.state in stated:
        return speech
    return _state_sentence(device)


def asked_device(text: str, house: House) -> Device | None:
    """The one device a question names best ("the kitchen light": Kitchen Lights, not the Kitchen
    player), or None when no device or several share the most words."""
    said = words(text)
    scores = [(len(said & device_words(device)), device) for device in house.devices]
    best = max((score for score, _device in scores), default=0)
    named = [device for score, device in scores if score == best]
    return named[0] if best and len(named) == 1 else None


def is_question(text: str) -> bool:
    """True for a question ("what is the temperature?", "how warm is it"), not a command."""
    said = tokens(text)
    return text.strip().endswith("?") or bool(said and said[0] in _QUESTION_STARTS)


def known_reading(text: str, quantity: str, house: House) -> str:
    """The house's own reading for a question, or that no device reports it."""
    asked = words(text) - QUANTITY_WORDS[quantity]
    reporters = [(device, value) for device in house.devices if (value := _reading(device, quantity)) is not None]
    reporters.sort(key=lambda pair: pair[0].domain != "sensor")  # a sensor's reading first: it is the room's own
    if asked:  # "in the living room": only devices named that way
        reporters = [(device, value) for device, value in reporters if asked & device_words(device)]
    if not reporters:
        return f"I don't know the {quantity}{_where(text)} — no device in this house reports it."
    quoted = [f"{device.name} shows {_plain(value)}" for device, value in reporters[:_MAX_QUOTED]]
    return f"{_join(quoted)}."


def _where(text: str) -> str:
    """The place part of a question (" in the living room"), or ""."""
    match = _WHERE.search(text.strip().rstrip("?!. ").lower())
    return f" {match.group(0)}" if match else ""


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


# --- streaming -------------------------------------------------------------------------------


def may_act(text: str, house: House) -> bool:
    """True when a request may lead to calls or asks about a reading: its speech is held back
    until the calls ran (or the answer was checked); other turns (chit-chat) stream as before."""
    said = words(text) | {normalise(word) for word in tokens(text)}
    if said & (_ACTION | _ADD) or asked_quantity(text):
        return True
    known = set().union(*(domain_words(domain) for domain in DOMAIN_WORDS))
    for device in house.devices:
        known |= device_words(device) | domain_words(device.domain)
    return bool({word for word in said & known if not word.isdigit()})  # "12 times 4" is not about vacuum 4
