"""Synthetic training data: random houses, a user request, the reply in the model card's format.

Pure Python and deterministic for a seed. Every phrasing here was written for this project: the
Home Assistant intents sentences and datasets/*.jsonl are the held-out test, so no generated
request may equal one of their texts (`held_out_texts`; a colliding request is drawn again).

A reply is a sentence and then one call line per action, as the grammar writes them:
`light.turn_on(light.kitchen, brightness=128, color_name="red")`. Devices carry the attributes
the argument rules read (colour modes, temperature ranges, a player's sources...), so the grammar
and the policy accept exactly what the model is taught. Every example has a `kind`:

    single, args, multi, group, area-pick, named-switch, partial-name, indirect, terse,
    real-name, purpose, two-areas                                                       (calls)
    question, chat, absent, cannot, ambiguous                                          (no call)

GERMAN_SHARE of the examples are German (`language` "de"): a house named in German, the request and the
reply in German, mostly the German persona; single, args, multi, area-pick, question, chat, absent and
cannot, weighted as in English. Their in-context examples are prompt.py's, in English, as the agent builds
them whatever the language.

    python -m training.dataset --out training/data --train 8000 --validation 400 --seed 8
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import math
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from training.pure import const, load, prompt, snapshot

arguments = load("arguments")

REPO = Path(__file__).resolve().parent.parent
# An example's length limit (training/train.py --max-len drops longer ones): random devices stop being
# added when the system prompt would pass it. These prompts average 3.3 characters per token (the default
# model's BPE vocabulary and merges read from its GGUF); 2.9 leaves room for denser ones. The reserve
# covers persona, request and reply; in-context examples are dropped, last first, where the text would
# still pass the limit (tests/test_training_data.py checks with llama.cpp's own tokenizer).
MAX_TOKENS = 1024
CHARS_PER_TOKEN = 2.8  # 2.9 let 1 in 200 of the largest houses reach 1,033 tokens
GERMAN_CHARS_PER_TOKEN = 2.5  # German names and words split finer (2.63 at least in the largest houses)
RESERVED_CHARS = 800
NO_CALL_KINDS = frozenset({"question", "chat", "absent", "cannot", "ambiguous"})

AREAS = (
    "kitchen", "living room", "bedroom", "master bedroom", "office", "garage", "hallway", "bathroom",
    "dining room", "basement", "porch", "patio", "kids room", "guest room", "laundry room", "attic",
    "nursery", "study", "den", "entryway", "upstairs", "downstairs", "garden", "playroom",
)  # fmt: skip
# Per domain: what a device is called after an area, its possible states and how often it is drawn.
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], float]] = {
    "light": (
        ("light", "lamp", "ceiling light", "lights", "floor lamp", "desk lamp", "spotlights", "pendant",
         "light strip", "chandelier", "bulb", "night light", "downlights", "wall light"),
        ("on", "off"), 8,
    ),
    "switch": (
        ("switch", "plug", "outlet", "heater", "kettle", "coffee machine", "power strip", "fountain",
         "dehumidifier", "socket", "towel rail"),
        ("on", "off"), 3,
    ),
    "fan": (("fan", "ceiling fan", "exhaust fan", "tower fan", "air purifier"), ("on", "off"), 2),
    "cover": (
        ("blinds", "curtains", "shades", "garage door", "shutters", "awning", "window", "roller blind"),
        ("open", "closed"), 2.5,
    ),
    "lock": (("lock", "door lock", "door", "deadbolt", "gate lock"), ("locked", "unlocked"), 1),
    "media_player": (("tv", "speaker", "soundbar", "stereo", "radio", "sonos", "receiver"),
                     ("playing", "paused", "idle", "off", "on"), 2),
    "climate": (("thermostat", "heat pump", "air conditioner", "radiator", "ac"), (), 1.2),
    "vacuum": (("vacuum", "robot vacuum", "robot cleaner"), ("docked", "cleaning", "returning", "idle"), 0.6),
    "humidifier": (("humidifier", "dehumidifier unit"), ("on", "off"), 0.4),
    "valve": (("water valve", "sprinkler valve", "irrigation valve"), ("open", "closed"), 0.4),
    "water_heater": (("water heater", "boiler"), ("eco", "electric", "performance", "off"), 0.3),
}  # fmt: skip
# Devices whose name has no area: (domain, name, states).
STANDALONE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    *(("light", n, ("on", "off")) for n in ("Reading Lamp", "Bedside Lamp", "Fairy Lights", "Accent Light",
                                            "Aquarium Light", "Salt Lamp", "Lava Lamp", "Vanity Light")),
    *(("switch", n, ("on", "off")) for n in ("Espresso Machine", "Pool Pump", "Irrigation", "Electric Blanket",
                                             "Printer", "Space Heater", "Fish Tank Pump", "Router")),
    *(("fan", n, ("on", "off")) for n in ("Big Fan", "Box Fan", "Attic Fan", "Desk Fan")),
    *(("cover", n, ("open", "closed")) for n in ("Skylight", "Patio Door Blinds", "Main Garage Door", "Sunroof")),
    *(("lock", n, ("locked", "unlocked")) for n in ("Front Door", "Side Gate", "Shed Lock", "Back Door")),
    *(("media_player", n, ("playing", "paused", "idle", "off")) for n in ("Home Theater", "Kitchen Echo",
                                                                          "Record Player", "Jukebox")),
    *(("climate", n, ()) for n in ("Downstairs Thermostat", "Upstairs Thermostat", "Nest", "Ecowarm")),
    *(("vacuum", n, ("docked", "cleaning", "idle")) for n in ("Robbie", "Dusty", "Roborock", "Sweepy")),
    *(("alarm_control_panel", n, ("disarmed", "armed_home", "armed_away", "armed_night"))
      for n in ("House Alarm", "Alarm System", "Security System", "Burglar Alarm")),
    *(("button", n, ("unknown",)) for n in ("Restart Router", "Doorbell Chime", "Identify Hub", "Feed The Cat")),
    *(("input_button", n, ("unknown",)) for n in ("Reset Filter", "Snooze Reminders", "Test Siren")),
    *(("input_boolean", n, ("on", "off")) for n in ("Guest Mode", "Vacation Mode", "Party Mode", "Quiet Hours",
                                                    "Away Mode")),
    *(("scene", n, ("unknown",)) for n in ("Movie Night", "Good Morning", "Relax", "Dinner Time", "Reading",
                                           "Romantic")),
    *(("script", n, ("off",)) for n in ("Bedtime", "Leave Home", "Wake Up", "Arrive Home", "Water Plants")),
    *(("timer", n, ("idle", "active", "paused")) for n in ("Kitchen Timer", "Egg Timer", "Laundry Timer",
                                                           "Pizza Timer", "Nap Timer")),
    *(("todo", n, ("0", "1", "2", "3", "5", "8")) for n in ("Shopping List", "Groceries", "Chores",
                                                           "To Do", "Hardware Store")),
    *(("valve", n, ("open", "closed")) for n in ("Main Water Valve", "Garden Valve", "Gas Valve")),
    *(("water_heater", n, ("eco", "electric", "off")) for n in ("Water Heater", "Hot Water Tank")),
    *(("humidifier", n, ("on", "off")) for n in ("Mister", "Baby Room Humidifier")),
)  # fmt: skip
STANDALONE_WEIGHT = 0.25
VENDOR_IDS = ("hue_bulb", "shelly", "tuya", "zigbee", "sonoff", "ikea", "tplink", "meross", "aqara")
# Real installations name devices after the brand or protocol that brought them (issue 20): these words
# are in names and entity ids, and people leave them out when they speak.
BRANDS: dict[str, tuple[str, ...]] = {
    "light": ("Hue", "Philips Hue", "Lutron Caseta", "LIFX", "Zigbee", "Z-Wave", "Sengled", "Govee", "Nanoleaf",
              "Tasmota", "Yeelight", "Inovelli", "Aqara", "MQTT", "Wiz"),
    "switch": ("Lutron Caseta", "Wemo", "Shelly", "Sonoff", "Insteon", "Kasa", "TP-Link", "Tasmota", "Z-Wave",
               "Zigbee", "MQTT", "Aqara", "Leviton", "Meross", "Tuya"),
    "fan": ("Shelly", "Z-Wave", "Bond", "Sonoff", "Dyson", "Inovelli", "Zigbee"),
    "cover": ("Somfy", "Aqara", "Zigbee", "Z-Wave", "Lutron", "MyQ", "Ikea", "Shelly"),
    "lock": ("Yale", "Schlage", "August", "Z-Wave", "Kwikset", "Nuki", "Ultraloq"),
    "media_player": ("Sonos", "Chromecast", "Roku", "Denon", "Apple TV", "Echo", "Google Home", "Yamaha"),
    "climate": ("Nest", "Ecobee", "Honeywell", "Tado", "Z-Wave", "Sensibo"),
}  # fmt: skip
# The word Home Assistant appends to a device's name for its entity: "Porch Light" + "Light".
ENTITY_WORDS = {"light": "Light", "switch": "Switch", "fan": "Fan", "cover": "Cover", "lock": "Lock",
                "media_player": "Speaker", "climate": "Thermostat"}  # fmt: skip
# Switch entities that drive lights: relays, dimmers and plugs, named after the hardware.
LIGHT_SWITCH_WORDS = ("Switch", "Dimmer", "Light Switch", "Relay", "Plug", "Dimmer Switch", "Wall Switch")
REAL_SHARE = 0.2  # of the random area devices, named the real-world way
# Places besides AREAS where real devices sit; and the other words people use for a place.
REAL_AREAS = (*AREAS, "entrance", "entry", "hall", "foyer", "front yard", "backyard", "mudroom", "pantry",
              "closet", "workshop", "sunroom", "loft")  # fmt: skip
NEAR_AREAS = {"entryway": ("entry", "entrance", "entry way"), "entrance": ("entry", "entryway"),
              "entry": ("entrance", "entryway"), "hallway": ("hall",), "hall": ("hallway",),
              "foyer": ("entrance", "entry"), "backyard": ("back yard",), "kids room": ("kid's room",)}  # fmt: skip
LIGHT_SAID = ("lights", "light", "lighting", "lights", "light")
# Switches and outlets named after what they power: the name, not the domain word, decides.
NAMED_SWITCHES = ("lights", "fan", "lamp", "heater", "fairy lights", "string lights", "christmas lights",
                  "extractor fan", "tree lights", "fan heater")  # fmt: skip
# How a speech recogniser mishears words, and words people shorten.
MISHEARD = {
    "room": "rum", "living": "livin", "lights": "lice", "light": "lite", "kitchen": "kitchin",
    "bedroom": "bed room", "lamp": "lamb", "blinds": "blines", "office": "offis", "garage": "garridge",
    "hallway": "hall way", "ceiling": "sealing", "curtains": "curtins", "heater": "heeter",
    "basement": "base mint", "dining": "dinning", "porch": "porsche", "fan": "van", "tv": "tee vee",
    "thermostat": "thermo stat", "speaker": "speeker", "patio": "patty oh", "shades": "shades",
    "guest": "guessed", "nursery": "nurse ree", "study": "studdy", "vacuum": "vacume", "lock": "lok",
}  # fmt: skip

# Things no generated house has, for requests that must be answered without a call.
ABSENT_THINGS = (
    "sauna", "hot tub", "dishwasher", "aquarium pump", "jacuzzi", "oven", "washing machine",
    "doorbell camera", "pool heater", "fireplace", "projector", "sound machine", "car charger",
    "wine cooler", "treadmill", "snow melter", "fish feeder", "pizza oven", "heated floor", "ice maker",
)  # fmt: skip


@dataclass
class Example:
    """One training or validation case: a house, the user's words, the reply to learn."""

    devices: list[dict]
    services: dict[str, list[str]]
    user: str
    reply: str
    calls: list[str]
    kind: str
    num_examples: int = 0
    extra: dict = field(default_factory=dict)
    # entity_id -> the state the agent's cached prompt still shows: the prompt is then the changes_last
    # layout, the card's lines as cached and an `Updated devices:` block with today's (const.py)
    stale: dict[str, str] = field(default_factory=dict)
    language: str = "en"  # of the request and the reply
    persona: str = ""  # the system prompt's first line; empty: const.DEFAULT_PERSONA

    def house(self) -> snapshot.House:
        """The House the agent would snapshot: devices with their attributes, and the services."""
        devices = tuple(
            snapshot.Device(
                d["entity_id"],
                d["name"],
                d["state"],
                d.get("area"),
                tuple(d.get("aliases", ())),
                d.get("attributes") or {},
            )
            for d in self.devices
        )
        return snapshot.House(devices, {k: tuple(v) for k, v in self.services.items()})

    def messages(self, num_examples: int | None = None) -> list:
        """The agent's prompt for this example: the card's layout, or changes_last when states went stale."""
        count = self.num_examples if num_examples is None else num_examples
        house, baseline = self.house(), None
        if self.stale:
            baseline = prompt.StateBaseline()
            shown = [replace(device, state=self.stale.get(device.entity_id, device.state)) for device in house.devices]
            baseline.split(replace(house, devices=tuple(shown)))  # what the cache holds
        return prompt.build_messages(
            house,
            self.user,
            persona=self.persona or const.DEFAULT_PERSONA,
            num_examples=count,
            layout=const.PROMPT_LAYOUT_CHANGES_LAST if baseline else const.PROMPT_LAYOUT_CARD,
            baseline=baseline,
        )


# ----------------------------------------------------------------------------- houses


@functools.cache
def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def domain_of(device: dict) -> str:
    """`light` for light.kitchen."""
    return device["entity_id"].split(".", 1)[0]


def _device(device: dict) -> snapshot.Device:
    return snapshot.Device(device["entity_id"], device["name"], device["state"], device.get("area"), (),
                           device.get("attributes") or {})  # fmt: skip


CLIMATE_MODES = (("off", "heat"), ("off", "heat", "cool", "auto"), ("off", "cool", "dry", "fan_only"),
                 ("off", "heat", "cool", "heat_cool", "dry", "fan_only"))  # fmt: skip
LIGHT_MODES = (("onoff",), ("brightness",), ("color_temp",), ("color_temp", "hs"), ("rgb",), ("xy",))
SOURCES = {
    "tv": ("HDMI 1", "HDMI 2", "Netflix", "YouTube", "Live TV", "Game Console"),
    "audio": ("Spotify", "Bluetooth", "Radio", "AirPlay", "Line In", "CD"),
    "receiver": ("TV", "Phono", "Tuner", "Blu-ray", "Aux"),
}


def _attributes(domain: str, name: str, state: str, rng: random.Random) -> tuple[str, dict]:
    """(state, attributes) for a new device: what Home Assistant would show for such a thing."""
    low = name.lower()
    match domain:
        case "light":
            modes = rng.choices(LIGHT_MODES, cum_weights=(1, 4, 6, 9, 10, 11))[0]
            attrs: dict = {"supported_color_modes": list(modes)}
            if "color_temp" in modes:
                attrs |= {"min_color_temp_kelvin": rng.choice((2000, 2200, 2700)), "max_color_temp_kelvin": 6500}
            return state, attrs
        case "fan":
            features = rng.choices((0, 1 | 16 | 32, 1 | 8 | 16 | 32), weights=(1, 3, 2))[0]
            attrs = {"supported_features": features}
            if features & 1:
                attrs |= {"percentage": 0 if state == "off" else rng.choice((20, 40, 60, 100)),
                          "percentage_step": rng.choice((10, 20, 25))}  # fmt: skip
            if features & 8:
                attrs["preset_modes"] = sorted(rng.sample(("auto", "sleep", "natural", "breeze", "eco"), 3))
            return state, attrs
        case "cover":
            cls = next((c for w, c in (("garage", "garage"), ("gate", "gate"), ("curtain", "curtain"),
                                       ("shade", "shade"), ("shutter", "shutter"), ("awning", "awning"),
                                       ("window", "window"), ("skylight", "window"), ("sunroof", "window"))
                        if w in low), "blind")  # fmt: skip
            features = 1 | 2 | 8 | (4 if rng.random() < 0.6 else 0)
            return state, {"device_class": cls, "supported_features": features}
        case "media_player":
            features = 1 | 16 | 32 | 128 | 256 | 1024 | 4096 | 16384
            features |= (4 if rng.random() < 0.8 else 0) | (8 if rng.random() < 0.7 else 0)
            attrs = {"volume_level": rng.choice((0.2, 0.35, 0.5, 0.8)), "is_volume_muted": rng.random() < 0.15}
            if rng.random() < 0.6:
                features |= 2048
                group = "tv" if re.search(r"\btv|theater", low) else "receiver" if "receiver" in low else "audio"
                attrs["source_list"] = sorted(rng.sample(SOURCES[group], 4))
            attrs["supported_features"] = features
            return state, attrs
        case "climate":
            modes = rng.choice(CLIMATE_MODES)
            features = 1 | 128 | 256 | (8 if rng.random() < 0.4 else 0) | (16 if rng.random() < 0.4 else 0)
            features |= (2 if rng.random() < 0.25 else 0) | (4 if rng.random() < 0.15 else 0)
            low_t, high_t = rng.choice(((7, 35), (16, 30), (10, 32)))
            attrs = {"hvac_modes": list(modes), "min_temp": low_t, "max_temp": high_t,
                     "temperature": rng.choice((19, 20, 21, 21.5, 22)), "supported_features": features}  # fmt: skip
            if features & 8:
                attrs["fan_modes"] = ["auto", "low", "medium", "high"]
            if features & 16:
                attrs["preset_modes"] = sorted(rng.sample(("eco", "away", "comfort", "boost", "sleep", "home"), 4))
            if features & 4:
                attrs |= {"min_humidity": 30, "max_humidity": 70}
            return rng.choice(modes), attrs
        case "water_heater":
            return state, {"supported_features": 1 | 8, "min_temp": 30, "max_temp": 65, "temperature": 50}
        case "humidifier":
            cls = "dehumidifier" if "dehumid" in low else "humidifier"
            return state, {"device_class": cls, "min_humidity": 30, "max_humidity": 80, "humidity": 45}
        case "todo":
            return state, {"supported_features": 1 | 2 | 4}
        case "valve":
            return state, {"device_class": "gas" if "gas" in low else "water", "supported_features": 1 | 2 | 8}
    return state, {}


_DOMAINS = list(KINDS)
_CUM_WEIGHTS = list(itertools.accumulate(k[2] for k in KINDS.values()))


class HouseBuilder:
    """Devices with unique names and entity ids, added at random or on purpose."""

    def __init__(self, rng: random.Random, max_chars: float = math.inf) -> None:
        self.rng = rng
        self.devices: dict[str, dict] = {}
        self.names: set[str] = set()
        self.areas = rng.sample(AREAS, rng.randint(2, 7))
        self.max_chars = max_chars  # random filling stops at this length of the system prompt
        self.chars = 0
        self.domains: set[str] = set()

    def add(
        self, domain: str, name: str, area: str | None, states: tuple[str, ...] = (), stem: str = ""
    ) -> dict | None:
        """Add a device; None when its name or entity id is taken already."""
        rng = self.rng
        if name.lower() in self.names:
            return None
        if not stem:
            stem = _slug(name) if rng.random() < 0.85 else f"{rng.choice(VENDOR_IDS)}_{rng.randint(1, 40)}"
        entity_id = f"{domain}.{stem}"
        if entity_id in self.devices:
            return None
        state, attrs = _attributes(domain, name, rng.choice(states or ("unknown",)), rng)
        device = {"entity_id": entity_id, "name": name, "state": state, "area": area}
        if attrs:
            device["attributes"] = attrs
        self.devices[entity_id] = device
        self.names.add(name.lower())
        self.chars += len(entity_id) + len(name) + len(state) + 8  # its device line
        if domain not in self.domains:  # and its services on the Services: line
            self.domains.add(domain)
            self.chars += sum(len(domain) + len(service) + 3 for service in const.ALLOWED_SERVICES.get(domain, ()))
        return device

    def add_area_device(self, domain: str, area: str, word: str | None = None) -> dict | None:
        """`Kitchen Ceiling Light` in the kitchen."""
        words, states, _ = KINDS[domain]
        name = f"{area} {word or self.rng.choice(words)}"
        name = name.title() if self.rng.random() < 0.75 else name.capitalize()
        return self.add(domain, name.replace("Tv", "TV").replace("Ac", "AC"), area, states)

    def add_real_device(self, domain: str, area: str, word: str | None = None, style: str = "") -> dict | None:
        """A device named the way real installations name them (real_name), in `area`."""
        words, states, _ = KINDS[domain]
        name, stem = real_name(domain, area, word or self.rng.choice(words), self.rng, style)
        return self.add(domain, name, area, states, stem)

    def add_random(self) -> dict | None:
        """One device of a domain drawn by how common it is."""
        rng = self.rng
        if rng.random() < STANDALONE_WEIGHT:
            domain, name, states = rng.choice(STANDALONE)
            return self.add(domain, name, rng.choice(self.areas), states)
        domain = rng.choices(_DOMAINS, cum_weights=_CUM_WEIGHTS)[0]
        if domain in BRANDS and rng.random() < REAL_SHARE:  # the area stays in the name: other kinds read it
            style = rng.choice(("brand", "after", "entity", "number"))
            return self.add_real_device(domain, rng.choice(self.areas), style=style)
        return self.add_area_device(domain, rng.choice(self.areas))

    def fill(self, size: int) -> None:
        """Random devices until the house has `size` (a few tries more at most) or its prompt is full."""
        for _ in range(size * 4):
            if len(self.devices) >= size or self.chars >= self.max_chars:
                return
            self.add_random()

    def house(self) -> list[dict]:
        """Devices sorted by entity id, as the snapshot sorts them."""
        return [self.devices[key] for key in sorted(self.devices)]


def real_name(domain: str, area: str, word: str, rng: random.Random, style: str = "") -> tuple[str, str]:
    """(name, entity-id stem) as real installations have them, by `style` (drawn when empty):
    brand: "Lutron Caseta Bedroom Switch"; after: "Kitchen Light Zigbee"; entity: the kind repeated,
    "Porch Light Light"; number: "Garage Light 2"; hidden: "Wemo Switch", the area only in the id."""
    brand, title = rng.choice(BRANDS[domain]), f"{area} {word}".title().replace("Tv", "TV")
    style = style or rng.choice(("brand", "after", "entity", "number", "hidden"))
    match style:
        case "brand":
            name = f"{brand} {title}"
        case "after":
            name = f"{title} {brand}"
        case "entity":
            name = f"{title} {ENTITY_WORDS[domain]}"
        case "number":
            name = f"{title} {rng.randint(1, 3)}"
        case _:
            name = f"{brand} {word.title()}"
            return name, _slug(f"{area} {brand} {word}")
    if rng.random() < 0.15:  # a hardware id: the name alone says what it is
        return name, f"{_slug(brand)}_{rng.getrandbits(24):06x}"
    return name, _slug(name)


def house_size(rng: random.Random) -> int:
    """3..60 devices; most houses are small or medium."""
    low, high = rng.choices(((3, 8), (9, 20), (21, 40), (41, 60)), weights=(35, 40, 17, 8))[0]
    return rng.randint(low, high)


def random_house(rng: random.Random) -> list[dict]:
    """A whole random house of 3..60 devices."""
    builder = HouseBuilder(rng)
    builder.fill(house_size(rng))
    return builder.house()


def _services(devices: list[dict]) -> dict[str, list[str]]:
    """Every allowed service of the house's domains (read now, so new services are included)."""
    domains = sorted({domain_of(d) for d in devices})
    return {domain: list(const.ALLOWED_SERVICES[domain]) for domain in domains if domain in const.ALLOWED_SERVICES}


def available(device: dict, service: str) -> bool:
    """Allowed for the domain and supported by this device (features, required arguments)."""
    domain = domain_of(device)
    if service not in const.ALLOWED_SERVICES.get(domain, ()):
        return False
    # Devices share a few attribute sets: the answer is kept per set (generation stays fast).
    key = (domain, service, repr(device.get("attributes")))
    if key not in _AVAILABLE:
        _AVAILABLE[key] = arguments.service_available(domain, service, _device(device))
    return _AVAILABLE[key]


_AVAILABLE: dict[tuple[str, str, str], bool] = {}


# ----------------------------------------------------------------------------- plain commands

# (domain, service) -> (what the user says, what the assistant says); {n} is the device's name.
Phrases = tuple[tuple[str, ...], tuple[str, ...]]
_TURN_ON: Phrases = (
    ("turn on the {n}", "turn the {n} on", "switch on the {n}", "switch the {n} on", "please turn on the {n}",
     "{n} on", "can you turn on the {n}?", "could you switch the {n} on please", "power up the {n}",
     "I'd like the {n} on", "put the {n} on", "the {n} on please", "would you mind turning on the {n}?",
     "turn on {n}", "hey, turn the {n} on", "{n} on please", "get the {n} on", "go ahead and turn on the {n}",
     "mind switching on the {n}?", "on with the {n}", "could you please turn the {n} on", "{n}, on"),
    ("Turning on the {n}.", "Switching on the {n} for you.", "Sure, turning the {n} on.",
     "Turning on the {n} for you now.", "Okay, the {n} is going on."),
)  # fmt: skip
_TURN_OFF: Phrases = (
    ("turn off the {n}", "turn the {n} off", "switch off the {n}", "switch the {n} off", "please turn off the {n}",
     "{n} off", "can you turn off the {n}?", "could you switch the {n} off please", "power down the {n}",
     "shut off the {n}", "kill the {n}", "I don't need the {n} anymore, turn it off", "turn off {n}",
     "{n} off please", "would you switch off the {n}?", "go ahead and turn off the {n}", "shut the {n} off",
     "the {n} can go off now", "please switch the {n} off", "switch {n} off", "{n}, off", "no more {n} please"),
    ("Turning off the {n}.", "Switching off the {n} for you.", "Sure, turning the {n} off.",
     "Turning off the {n} for you now.", "Okay, the {n} is going off."),
)  # fmt: skip
_TOGGLE: Phrases = (
    ("toggle the {n}", "flip the {n}", "toggle {n}", "flip the {n} switch", "toggle the {n} please",
     "can you toggle the {n}?", "flip {n}"),
    ("Toggling the {n}.", "Flipping the {n} for you.", "Sure, toggling the {n}."),
)  # fmt: skip
_ON_OFF = {"turn_on": [_TURN_ON], "turn_off": [_TURN_OFF], "toggle": [_TOGGLE]}


def _merge(*tables: dict[str, list[Phrases]]) -> dict[str, list[Phrases]]:
    merged: dict[str, list[Phrases]] = {}
    for table in tables:
        for service, phrases in table.items():
            merged.setdefault(service, []).extend(phrases)
    return merged


PLAIN: dict[str, dict[str, list[Phrases]]] = {
    "light": _merge(_ON_OFF, {
        "turn_on": [(("light up the {n}", "I need some light, turn on the {n}", "bring the {n} up",
                      "illuminate the {n}", "please illuminate the {n}", "engage the {n}"),
                     ("Turning on the {n}.", "Lighting up the {n}."))],
        "turn_off": [(("lights out on the {n}", "darken the {n}", "I'm done with the {n}, switch it off"),
                      ("Turning off the {n}.",))],
    }),
    "switch": _merge(_ON_OFF, {
        "turn_on": [(("engage the {n}", "activate the {n}", "energize the {n}"), ("Turning on the {n}.",))],
        "turn_off": [(("disengage the {n}", "deactivate the {n}", "cut the power to the {n}", "kill the {n}"),
                      ("Turning off the {n}.",))],
    }),
    "input_boolean": _merge(_ON_OFF, {
        "turn_on": [(("enable {n}", "{n} on now", "start {n}"), ("Turning on {n}.", "{N} is on now."))],
        "turn_off": [(("disable {n}", "end {n}", "stop {n}"), ("Turning off {n}.", "{N} is off now."))],
    }),
    "fan": _merge(_ON_OFF, {
        "turn_on": [(("I'm hot, turn on the {n}", "get the {n} going", "start the {n} up"),
                     ("Turning on the {n}.", "Starting the {n}."))],
        "increase_speed": [(("speed up the {n}", "turn the {n} up a notch", "make the {n} faster",
                             "more air from the {n}", "increase the {n} speed", "{n} faster please",
                             "accelerate the {n}", "crank up the {n}", "{n} speed up", "bump up the {n} speed"),
                            ("Speeding up the {n}.", "Turning the {n} up."))],
        "decrease_speed": [(("slow down the {n}", "turn the {n} down a notch", "make the {n} slower",
                             "less air from the {n}, please", "decrease the {n} speed", "{n} slower",
                             "slow the {n} down", "turn down the {n} speed", "{n} speed down", "ease off the {n}"),
                            ("Slowing down the {n}.", "Turning the {n} down."))],
    }),
    "humidifier": _ON_OFF,
    "climate": {"turn_on": [_TURN_ON], "turn_off": [_TURN_OFF]},
    "water_heater": {"turn_on": [_TURN_ON], "turn_off": [_TURN_OFF]},
    "cover": {
        "open_cover": [(("open the {n}", "open up the {n}", "raise the {n}", "please open the {n}",
                         "can you open the {n}?", "{n} up", "lift the {n}", "pull up the {n}", "open {n}",
                         "let some light in, open the {n}", "roll up the {n}"),
                        ("Opening the {n}.", "Opening the {n} for you.", "Sure, raising the {n}."))],
        "close_cover": [(("close the {n}", "shut the {n}", "lower the {n}", "please close the {n}",
                          "can you close the {n}?", "{n} down", "pull down the {n}", "draw the {n}",
                          "close {n}", "bring down the {n}", "roll down the {n}"),
                         ("Closing the {n}.", "Closing the {n} for you.", "Sure, lowering the {n}."))],
        "stop_cover": [(("stop the {n}", "halt the {n}", "stop moving the {n}", "freeze the {n} where it is",
                         "hold the {n} right there"), ("Stopping the {n}.", "Stopping the {n} right there."))],
        "toggle": [_TOGGLE],
    },
    "lock": {
        "lock": [(("lock the {n}", "please lock the {n}", "secure the {n}", "can you lock the {n}?",
                   "make sure the {n} is locked", "lock up the {n}", "bolt the {n}", "lock {n}", "engage the {n}"),
                  ("Locking the {n}.", "Locking the {n} for you.", "Sure, securing the {n}."))],
        "unlock": [(("unlock the {n}", "please unlock the {n}", "can you unlock the {n}?", "unbolt the {n}",
                     "unlock {n}", "let me in, unlock the {n}", "disengage the {n}"),
                    ("Unlocking the {n}.", "Unlocking the {n} for you."))],
        "open": [(("unlatch the {n}", "pop the {n} open", "release the latch on the {n}"),
                  ("Unlatching the {n}.", "Opening the {n}'s latch."))],
    },
    "media_player": {
        "turn_on": [_TURN_ON],
        "turn_off": [_TURN_OFF],
        "media_play": [(("play the {n}", "resume the {n}", "resume playback on the {n}", "unpause the {n}",
                         "start playing on the {n}", "carry on playing on the {n}"),
                        ("Playing on the {n}.", "Resuming the {n}."))],
        "media_pause": [(("pause the {n}", "pause playback on the {n}", "hold the {n} for a moment",
                          "pause {n}", "can you pause the {n}?"), ("Pausing the {n}.", "Pausing the {n} for you."))],
        "media_stop": [(("stop the music on the {n}", "stop playback on the {n}", "stop playing on the {n}",
                         "stop the {n}"),
                        ("Stopping the {n}.",))],
        "media_next_track": [(("next song on the {n}", "skip this track on the {n}", "skip ahead on the {n}",
                               "next track on the {n}", "next station on the {n}",
                               "skip to the next station on the {n}"),
                              ("Skipping to the next track on the {n}.",
                                                          "Next track on the {n}."))],
        "media_previous_track": [(("previous song on the {n}", "go back a track on the {n}",
                                   "play the last song again on the {n}", "previous station on the {n}",
                                   "go back a station on the {n}", "back to the last station on the {n}",
                                   "previous channel on the {n}"), ("Going back a track on the {n}.",))],
        "volume_up": [(("turn up the {n}", "louder on the {n}", "raise the volume of the {n}",
                        "{n} volume up", "make the {n} louder"),
                       ("Turning up the volume on the {n}.", "Raising the {n}'s volume."))],
        "volume_down": [(("turn down the {n}", "quieter on the {n}", "lower the volume of the {n}",
                          "{n} volume down", "make the {n} quieter"),
                         ("Turning down the volume on the {n}.", "Lowering the {n}'s volume."))],
    },
    "vacuum": {
        "start": [(("start the {n}", "run the {n}", "send the {n} to clean", "start cleaning with the {n}",
                    "let the {n} clean the floors", "have the {n} clean up"),
                   ("Starting the {n}.", "Sending the {n} off to clean."))],
        "stop": [(("stop the {n}", "halt the {n}", "stop cleaning with the {n}"), ("Stopping the {n}.",))],
        "pause": [(("pause the {n}", "pause the {n} for now"), ("Pausing the {n}.",))],
        "return_to_base": [(("send the {n} home", "dock the {n}", "return the {n} to its base",
                             "send the {n} back to the dock"),
                            ("Sending the {n} back to its dock.", "Returning the {n} to its base."))],
    },
    "alarm_control_panel": {
        "alarm_arm_home": [(("arm the {n} in home mode", "arm the {n}, I'm staying in", "set the {n} to home"),
                            ("Arming the {n} in home mode.",))],
        "alarm_arm_away": [(("arm the {n}, I'm leaving", "arm the {n} in away mode", "set the {n} to away"),
                            ("Arming the {n} in away mode.",))],
        "alarm_arm_night": [(("arm the {n} for the night", "night mode on the {n}", "arm the {n} in night mode"),
                             ("Arming the {n} for the night.",))],
        "alarm_disarm": [(("disarm the {n}", "turn off the {n}", "switch the {n} off, I'm home"),
                          ("Disarming the {n}.",))],
    },
    "button": {"press": [(("press the {n} button", "push {n}", "press {n}", "hit the {n} button"),
                          ("Pressing {n}.", "Pressing the {n} button."))]},
    "input_button": {"press": [(("press the {n} button", "push {n}", "press {n}"), ("Pressing {n}.",))]},
    "scene": {"turn_on": [(("activate the {n} scene", "{n} scene please", "set the {n} scene",
                            "switch to the {n} scene", "start the {n} scene"), ("Activating the {n} scene.",))]},
    "script": {"turn_on": [(("run the {n} script", "start {n}", "run {n}", "do the {n} routine"),
                            ("Running {n}.", "Starting the {n} script."))]},
    "timer": {
        "start": [(("start the {n}", "start the {n} please", "set off the {n}"), ("Starting the {n}.",))],
        "pause": [(("pause the {n}", "hold the {n}"), ("Pausing the {n}.",))],
        "cancel": [(("cancel the {n}", "stop the {n}", "forget the {n}"), ("Cancelling the {n}.",))],
        "finish": [(("finish the {n}", "end the {n} now", "the {n} is done, finish it"), ("Finishing the {n}.",))],
    },
    "valve": {
        "open_valve": [(("open the {n}", "turn on the {n}", "open {n}"), ("Opening the {n}.",))],
        "close_valve": [(("close the {n}", "shut the {n}", "turn off the {n}"), ("Closing the {n}.",))],
        "stop_valve": [(("stop the {n}", "stop moving the {n}"), ("Stopping the {n}.",))],
    },
}  # fmt: skip


def _said(device: dict, rng: random.Random) -> str:
    """The name as the user says it: mostly lower case."""
    return device["name"].lower() if rng.random() < 0.85 else device["name"]


def _fill(template: str, name: str) -> str:
    return template.replace("{n}", name).replace("{N}", name[:1].upper() + name[1:])


def plain_services(device: dict) -> list[str]:
    """The argument-free services this device can do."""
    return [s for s in PLAIN.get(domain_of(device), {}) if available(device, s)]


def plain_command(device: dict, rng: random.Random, service: str | None = None,
                  said: str | None = None) -> tuple[str, str, str] | None:  # fmt: skip
    """(user words, reply sentence, call line) for an argument-free service of one device."""
    choices = plain_services(device)
    if service is not None:
        choices = [service] if service in choices else []
    if not choices:
        return None
    service = rng.choice(choices)
    says, answers = rng.choice(PLAIN[domain_of(device)][service])
    name = said or _said(device, rng)
    return _fill(rng.choice(says), name), _fill(rng.choice(answers), device["name"].lower()), call_line(device, service)


def _value_text(value: object) -> str:
    """An argument value as the grammar writes it: bare numbers and words, quoted text, (r, g, b)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.2f}".rstrip("0")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return f'"{value}"'


def call_line(device: dict, service: str, args: dict | None = None) -> str:
    """`light.turn_on(light.kitchen, brightness=128)`: arguments in the order the grammar writes them."""
    parts = [device["entity_id"], *(f"{key}={_value_text(value)}" for key, value in (args or {}).items())]
    return f"{domain_of(device)}.{service}({', '.join(parts)})"


# ----------------------------------------------------------------------------- commands with arguments

Made = tuple[str, str, dict] | None  # (user words, reply sentence, arguments) or None: not for this device
PERCENTS = (10, 15, 20, 25, 30, 35, 40, 50, 60, 65, 70, 75, 80, 90, 100)
WORD_NUMBERS = {1: "one", 2: "two", 3: "three", 5: "five", 10: "ten", 15: "fifteen", 20: "twenty", 30: "thirty"}
TODO_ITEMS = ("milk", "eggs", "bread", "coffee beans", "dish soap", "batteries", "call the plumber", "light bulbs",
              "paper towels", "cat food", "toothpaste", "water the plants", "olive oil", "bananas", "rice",
              "pick up the dry cleaning", "butter", "book the dentist", "tomatoes", "sponges")  # fmt: skip
MODE_WORDS = {"heat_cool": "heat cool", "fan_only": "fan only"}


def _domain_values(device: dict, name: str):
    """The values this device takes for argument `name` (arguments.value_domain), or None."""
    return arguments.value_domain(domain_of(device), name, _device(device))


def _pick(rng: random.Random, templates: tuple[str, ...], answers: tuple[str, ...], name: str, device: dict,
          **words: object) -> tuple[str, str]:  # fmt: skip
    """A user sentence and a reply, with {n} and the other {words} filled in."""
    said = _fill(rng.choice(templates), name).format(**words)
    return said, _fill(rng.choice(answers), device["name"].lower()).format(**words)


def _percent_words(rng: random.Random, percent: int) -> str:
    return rng.choice((f"{percent}%", f"{percent} percent", f"{percent} per cent" if percent != 100 else "100%"))


def _light_on(device: dict, rng: random.Random, name: str) -> Made:
    """Brightness, a colour name, rgb or a colour temperature, or brightness with a colour."""
    options = [k for k in ("brightness", "color_name", "rgb_color", "color_temp_kelvin") if _domain_values(device, k)]
    if not options:
        return None
    key = rng.choices(options, weights=[{"brightness": 5, "color_name": 4, "rgb_color": 1}.get(k, 2) for k in options])[
        0
    ]
    if key == "brightness":
        if rng.random() < 0.2:
            percent, how = rng.choice(((50, "half brightness"), (100, "full brightness"), (100, "maximum brightness")))
            said, answer = _pick(rng, ("set the {n} to {how}", "{n} at {how}", "put the {n} on {how}"),
                                 ("Setting the {n} to {how}.",), name, device, how=how)  # fmt: skip
        else:
            percent = rng.choice(PERCENTS)
            said, answer = _pick(rng, ("set the {n} to {p}", "dim the {n} to {p}", "{n} at {p}",
                                       "brightness of the {n} to {p}", "make the {n} {p} bright",
                                       "can you set the {n} brightness to {p}?", "{n} {p}"),
                                 ("Setting the {n} to {p} brightness.", "Dimming the {n} to {p}."),
                                 name, device, p=_percent_words(rng, percent))  # fmt: skip
        args: dict = {"brightness": round(percent * 255 / 100)}
        if rng.random() < 0.25 and _domain_values(device, "color_name"):
            color = rng.choice(arguments.COLOR_NAMES)
            said = f"{said} and make it {color}"
            answer = answer[:-1] + f" and making it {color}."
            args["color_name"] = color
        return said, answer, args
    if key == "color_name":
        color = rng.choice(arguments.COLOR_NAMES)
        said, answer = _pick(rng, ("make the {n} {c}", "turn the {n} {c}", "change the {n} to {c}",
                                   "set the {n} colour to {c}", "{n} {c} please", "can the {n} be {c}?",
                                   "I want the {n} in {c}"),
                             ("Making the {n} {c}.", "Changing the {n} to {c}."), name, device, c=color)  # fmt: skip
        return said, answer, {"color_name": color}
    if key == "rgb_color":
        rgb = tuple(rng.choice((0, 64, 128, 200, 255)) for _ in range(3))
        said, answer = _pick(rng, ("set the {n} to rgb {r} {g} {b}", "colour the {n} {r}, {g}, {b}",
                                   "{n} rgb {r} {g} {b}"), ("Setting the {n} to that colour.",),
                             name, device, r=rgb[0], g=rgb[1], b=rgb[2])  # fmt: skip
        return said, answer, {"rgb_color": rgb}
    bounds = _domain_values(device, "color_temp_kelvin")
    kelvin, how = rng.choice(((2700, "warm white"), (4000, "neutral white"), (5000, "daylight"), (6500, "cool white"),
                              (3000, "3000 kelvin"), (2500, "2500 K"), (6000, "6000 kelvin")))  # fmt: skip
    if not bounds.low <= kelvin <= bounds.high:
        kelvin, how = int(bounds.high), f"{int(bounds.high)} kelvin"
    said, answer = _pick(rng, ("set the {n} to {k}", "make the {n} {k}", "{n} {k} please", "change the {n} to {k}"),
                         ("Setting the {n} to {k}.",), name, device, k=how)  # fmt: skip
    return said, answer, {"color_temp_kelvin": kelvin}


def _temperature(rng: random.Random, low: float, high: float) -> float:
    """A setpoint people say: a whole or a half degree within the range."""
    value = rng.randint(int(max(low, 16 if high > 25 else low)), int(min(high, 26) if high > 26 else high))
    return value + 0.5 if rng.random() < 0.2 and value + 0.5 < high else float(value)


def _degrees(value: float) -> str:
    return _value_text(value)


def _climate_temperature(device: dict, rng: random.Random, name: str) -> Made:
    """One setpoint (optionally with a mode), or a low/high range."""
    single, low_high = _domain_values(device, "temperature"), _domain_values(device, "target_temp_low")
    if low_high and (not single or rng.random() < 0.3):
        low = _temperature(rng, low_high.low, low_high.high - 3)
        high = low + rng.choice((2, 3, 4))
        said, answer = _pick(rng, ("keep the {n} between {a} and {b} degrees", "set the {n} range to {a} to {b}",
                                   "{n} between {a} and {b}"), ("Keeping the {n} between {a} and {b} degrees.",),
                             name, device, a=_degrees(low), b=_degrees(high))  # fmt: skip
        return said, answer, {"target_temp_low": low, "target_temp_high": high}
    if not single:
        return None
    value = _temperature(rng, single.low, single.high)
    modes = [m for m in (_domain_values(device, "hvac_mode") or arguments.Choice(())).options if m in ("heat", "cool")]
    if modes and rng.random() < 0.2:
        mode = rng.choice(modes)
        said, answer = _pick(rng, ("{m} the {n} to {t} degrees", "set the {n} to {m} at {t}",
                                   "{n} on {m}, {t} degrees"), ("Setting the {n} to {m} at {t} degrees.",),
                             name, device, m=mode, t=_degrees(value))  # fmt: skip
        return said, answer, {"temperature": value, "hvac_mode": mode}
    said, answer = _pick(rng, ("set the {n} to {t} degrees", "{n} to {t}", "change the {n} temperature to {t}",
                               "make it {t} degrees on the {n}", "can you put the {n} at {t}?",
                               "I'd like the {n} at {t} degrees", "{n} {t} degrees please"),
                         ("Setting the {n} to {t} degrees.", "The {n} is going to {t} degrees."),
                         name, device, t=_degrees(value))  # fmt: skip
    return said, answer, {"temperature": value}


def _choice_maker(key: str, templates: tuple[str, ...], answers: tuple[str, ...]) -> Callable[..., Made]:
    """A maker for a service whose one argument is a mode from the device's own list."""

    def make(device: dict, rng: random.Random, name: str) -> Made:
        values = _domain_values(device, key)
        if not values:
            return None
        value = rng.choice(values.options)
        word = MODE_WORDS.get(value, value.replace("_", " "))
        said, answer = _pick(rng, templates, answers, name, device, m=word)
        return said, answer, {key: value}

    return make


def _number_maker(key: str, templates: tuple[str, ...], answers: tuple[str, ...],
                  values: tuple[int, ...] = PERCENTS, scale: float = 1) -> Callable[..., Made]:  # fmt: skip
    """A maker for a service whose one argument is a number: a percentage (scaled) or degrees."""

    def make(device: dict, rng: random.Random, name: str) -> Made:
        bounds = _domain_values(device, key)
        if not bounds:
            return None
        fits = [v for v in values if bounds.low <= v * scale <= bounds.high]
        if not fits:
            return None
        value = rng.choice(fits)
        said, answer = _pick(rng, templates, answers, name, device, p=_percent_words(rng, value), t=value)
        number = value * scale
        return said, answer, {key: round(number, 2) if isinstance(number, float) else number}

    return make


def _cover_position(device: dict, rng: random.Random, name: str) -> Made:
    if not _domain_values(device, "position"):
        return None
    if rng.random() < 0.25:
        percent, said = 50, rng.choice(("open the {n} halfway", "{n} half open", "put the {n} halfway"))
        return _fill(said, name), f"Opening the {device['name'].lower()} halfway.", {"position": 50}
    percent = rng.choice(PERCENTS[:-1])
    said, answer = _pick(rng, ("set the {n} to {p}", "open the {n} to {p}", "{n} at {p}", "move the {n} to {p}",
                               "lower the {n} to {p}", "raise the {n} to {p}", "{n} position {p}", "{n} to {p}",
                               "set the {n} position to {p}", "put the {n} at {p} open"),
                         ("Moving the {n} to {p}.", "Setting the {n} to {p} open."),
                         name, device, p=_percent_words(rng, percent))  # fmt: skip
    return said, answer, {"position": percent}


def _fan_speed(device: dict, rng: random.Random, name: str) -> Made:
    if not _domain_values(device, "percentage"):
        return None
    if rng.random() < 0.2:
        percent, how = rng.choice(((100, "full speed"), (50, "half speed"), (100, "maximum")))
        said, answer = _pick(rng, ("{n} at {h}", "run the {n} at {h}", "set the {n} to {h}"),
                             ("Setting the {n} to {h}.",), name, device, h=how)  # fmt: skip
        return said, answer, {"percentage": percent}
    percent = rng.choice(PERCENTS)
    said, answer = _pick(rng, ("set the {n} to {p}", "{n} speed {p}", "run the {n} at {p}", "{n} to {p} please",
                               "put the {n} on {p}"), ("Setting the {n} to {p}.",),
                         name, device, p=_percent_words(rng, percent))  # fmt: skip
    return said, answer, {"percentage": percent}


def _fan_step(up: bool) -> Callable[..., Made]:
    """Speed a fan up or down by a step the user says."""

    def make(device: dict, rng: random.Random, name: str) -> Made:
        if not _domain_values(device, "percentage_step"):
            return None
        step = rng.choice((10, 20, 25))
        verb = "speed up" if up else "slow down"
        said, answer = _pick(rng, (f"{verb} the {{n}} by {{p}}", f"{verb} the {{n}} {{p}}",
                                   "turn the {n} " + ("up" if up else "down") + " by {p}"),
                             (("Speeding up" if up else "Slowing down") + " the {n} by {p}.",),
                             name, device, p=_percent_words(rng, step))  # fmt: skip
        return said, answer, {"percentage_step": step}

    return make


def _volume(device: dict, rng: random.Random, name: str) -> Made:
    if not _domain_values(device, "volume_level"):
        return None
    percent = rng.choice((5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 75, 80, 100))
    said, answer = _pick(rng, ("set the {n} volume to {p}", "volume {p} on the {n}", "{n} volume to {p}",
                               "put the {n} at {p} volume", "turn the {n} to {p}", "{n} volume {t}"),
                         ("Setting the {n} volume to {t}%.", "Volume on the {n} set to {t}%."),
                         name, device, p=_percent_words(rng, percent), t=percent)  # fmt: skip
    return said, answer, {"volume_level": percent / 100}


def _mute(device: dict, rng: random.Random, name: str) -> Made:
    if not _domain_values(device, "is_volume_muted"):
        return None
    if rng.random() < 0.6:
        said, answer = _pick(rng, ("mute the {n}", "silence the {n}", "{n} on mute", "mute the sound on the {n}",
                                   "can you mute the {n}?", "{n} mute"),
                             ("Muting the {n}.",), name, device)  # fmt: skip
        return said, answer, {"is_volume_muted": True}
    said, answer = _pick(rng, ("unmute the {n}", "turn the sound back on on the {n}", "{n} unmute",
                               "take the {n} off mute"), ("Unmuting the {n}.",), name, device)  # fmt: skip
    return said, answer, {"is_volume_muted": False}


def _source(device: dict, rng: random.Random, name: str) -> Made:
    sources = _domain_values(device, "source")
    if not sources:
        return None
    source = rng.choice(sources.options)
    said, answer = _pick(rng, ("switch the {n} to {s}", "change the {n} input to {s}", "put {s} on the {n}",
                               "set the {n} source to {s}", "{n} input {s}", "select {s} on the {n}"),
                         ("Switching the {n} to {S}.",), name, device,
                         s=source.lower() if rng.random() < 0.7 else source, S=source)  # fmt: skip
    return said, answer, {"source": source}


def _todo(device: dict, rng: random.Random, name: str) -> Made:
    if not _domain_values(device, "item"):
        return None
    item = rng.choice(TODO_ITEMS)
    said, answer = _pick(rng, ("add {i} to the {n}", "put {i} on the {n}", "add {i} to my {n}", "{n}: add {i}",
                               "can you add {i} to the {n}?", "please put {i} on my {n}", "note {i} on the {n}"),
                         ("Adding {i} to the {n}.", "I've put {i} on the {n}."), name, device, i=item)  # fmt: skip
    return said, answer, {"item": item}


def _timer(device: dict, rng: random.Random, name: str) -> Made:
    seconds, how = rng.choice(((30, "30 seconds"), (90, "90 seconds"), (3600, "an hour"), (5400, "an hour and a half"),
                               (7200, "two hours"), *((m * 60, f"{m} minutes") for m in (2, 3, 5, 10, 12, 15, 20, 25,
                                                                                         30, 45)),
                               *((m * 60, f"{w} minutes") for m, w in WORD_NUMBERS.items() if m > 1)))  # fmt: skip
    said, answer = _pick(rng, ("start the {n} for {d}", "set the {n} to {d}", "run the {n} for {d}",
                               "{n} for {d} please", "{n}, {d}"),
                         ("Starting the {n} for {d}.",), name, device, d=how)  # fmt: skip
    duration = f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return said, answer, {"duration": duration}


ARG_MAKERS: dict[tuple[str, str], Callable[..., Made]] = {
    ("light", "turn_on"): _light_on,
    ("climate", "set_temperature"): _climate_temperature,
    ("climate", "set_hvac_mode"): _choice_maker(
        "hvac_mode",
        (
            "set the {n} to {m} mode",
            "switch the {n} to {m}",
            "put the {n} in {m} mode",
            "{n} {m} mode",
            "change the {n} mode to {m}",
        ),
        ("Setting the {n} to {m} mode.", "Switching the {n} to {m}."),
    ),
    ("climate", "set_fan_mode"): _choice_maker(
        "fan_mode",
        ("set the {n} fan to {m}", "{n} fan speed {m}", "fan on {m} for the {n}"),
        ("Setting the {n} fan to {m}.",),
    ),
    ("climate", "set_preset_mode"): _choice_maker(
        "preset_mode",
        ("put the {n} in {m} mode", "{m} preset on the {n}", "set the {n} preset to {m}"),
        ("Setting the {n} to {m}.",),
    ),
    ("climate", "set_humidity"): _number_maker(
        "humidity",
        ("set the {n} humidity to {p}", "{n} humidity {p}"),
        ("Setting the {n} humidity to {t}%.",),
        values=(35, 40, 45, 50, 55, 60),
    ),
    ("fan", "set_percentage"): _fan_speed,
    ("fan", "set_preset_mode"): _choice_maker(
        "preset_mode",
        ("put the {n} on {m} mode", "{n} {m} mode", "set the {n} preset to {m}", "{m} mode on the {n}"),
        ("Setting the {n} to {m} mode.",),
    ),
    ("fan", "increase_speed"): _fan_step(up=True),
    ("fan", "decrease_speed"): _fan_step(up=False),
    ("cover", "set_cover_position"): _cover_position,
    ("media_player", "volume_set"): _volume,
    ("media_player", "volume_mute"): _mute,
    ("media_player", "select_source"): _source,
    ("humidifier", "set_humidity"): _number_maker(
        "humidity",
        ("set the {n} to {p}", "{n} humidity to {p}", "keep the {n} at {p} humidity"),
        ("Setting the {n} to {t}%.",),
        values=(35, 40, 45, 50, 55, 60, 65),
    ),
    ("water_heater", "set_temperature"): _number_maker(
        "temperature",
        ("set the {n} to {t} degrees", "heat the {n} to {t}", "{n} temperature {t}"),
        ("Setting the {n} to {t} degrees.",),
        values=(40, 45, 50, 55, 60),
    ),
    ("todo", "add_item"): _todo,
    ("timer", "start"): _timer,
}


def arg_services(device: dict) -> list[str]:
    """The services with arguments this device can take."""
    domain = domain_of(device)
    return [s for (d, s) in ARG_MAKERS if d == domain and available(device, s)]


def arg_command(device: dict, rng: random.Random, service: str | None = None,
                said: str | None = None) -> tuple[str, str, str] | None:  # fmt: skip
    """(user words, reply sentence, call line) for a service with arguments, or None if it has none."""
    choices = arg_services(device) if service is None else [service] if service in arg_services(device) else []
    rng.shuffle(choices)
    for chosen in choices:
        made = ARG_MAKERS[(domain_of(device), chosen)](device, rng, said or _said(device, rng))
        if made is not None:
            user, answer, args = made
            return user, answer, call_line(device, chosen, args)
    return None


def any_command(device: dict, rng: random.Random, said: str | None = None) -> tuple[str, str, str] | None:
    """A plain command mostly, one with arguments sometimes."""
    if rng.random() < 0.25 and (made := arg_command(device, rng, said=said)):
        return made
    return plain_command(device, rng, said=said) or arg_command(device, rng, said=said)


# ----------------------------------------------------------------------------- how names are said


def _mentions(devices: list[dict], text: str) -> list[dict]:
    """Devices whose name contains `text` as whole words."""
    pattern = re.compile(rf"\b{re.escape(text.lower())}\b")
    return [d for d in devices if pattern.search(d["name"].lower())]


def partial_name(device: dict, devices: list[dict], rng: random.Random) -> str | None:
    """A shorter run of the name's words that still names only this device ("reading lamp")."""
    words = device["name"].lower().split()
    spans = [" ".join(words[i:]) for i in range(1, len(words))]
    if len(words) > 2:
        spans.append(f"{words[0]} {words[-1]}")
    spans = [s for s in spans if s not in AREAS and len(s) > 2 and not s.startswith("room ")]  # not "room lamp"
    unique = [s for s in spans if _mentions(devices, s) == [device]]
    return rng.choice(unique) if unique else None


def typo(text: str, rng: random.Random) -> str:
    """One slip of the keyboard in one longer word: a letter dropped, doubled, swapped or wrong."""
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long:
        return text
    index = rng.choice(long)
    word, at = words[index], rng.randrange(1, len(words[index]) - 1)
    match rng.randrange(4):
        case 0:
            word = word[:at] + word[at + 1 :]
        case 1:
            word = word[:at] + word[at] + word[at:]
        case 2:
            word = word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]
        case _:
            word = word[:at] + rng.choice("aeiouy") + word[at + 1 :]
    words[index] = word
    return " ".join(words)


def misheard(text: str, rng: random.Random) -> str:
    """The name as a speech recogniser may write it ("living rum lamp"); a typo if no word is known."""
    words = text.split()
    known = [i for i, w in enumerate(words) if MISHEARD.get(w, w) != w]
    if not known:
        return typo(text, rng)
    for index in rng.sample(known, rng.randint(1, len(known))):
        words[index] = MISHEARD[words[index]]
    return " ".join(words)


# ----------------------------------------------------------------------------- kinds of request

Made3 = tuple[str, str, list[str]]  # (user words, reply sentence, call lines)


def _join_sentences(sentences: list[str], conjunction: str = "and") -> str:
    """One sentence from several: "Turning on the a, closing the b and locking the c."."""
    later = [re.sub(r"^(Sure|Okay), ", "", s) for s in sentences[1:]]
    parts = [sentences[0].rstrip(".")] + [s[:1].lower() + s[1:].rstrip(".") for s in later]
    return (", ".join(parts[:-1]) + f" {conjunction} " + parts[-1] + ".") if len(parts) > 1 else parts[0] + "."


def _listing(names: list[str]) -> str:
    named = [f"the {n}" for n in names]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def _plant_for(builder: HouseBuilder, domain: str, service: str) -> dict | None:
    """A device of `domain` that can do `service`: one in the house, or a new one."""
    rng = builder.rng
    have = [d for d in builder.devices.values() if domain_of(d) == domain and available(d, service)]
    if have:
        return rng.choice(have)
    standalone = [(n, s) for d, n, s in STANDALONE if d == domain]
    for _ in range(8):
        if domain in KINDS and (not standalone or rng.random() < 0.6):
            device = builder.add_area_device(domain, rng.choice(builder.areas))
        else:
            name, states = rng.choice(standalone)
            device = builder.add(domain, name, rng.choice(builder.areas), states)
        if device is not None and available(device, service):
            return device
        if device is not None:
            del builder.devices[device["entity_id"]]
            builder.names.discard(device["name"].lower())
    return None


def _single(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """One argument-free command; a third name a rarer service on purpose, so every one is taught."""
    if rng.random() < 0.35:
        domain = rng.choice(sorted(PLAIN))
        service = rng.choice(sorted(PLAIN[domain]))
        if service not in const.ALLOWED_SERVICES.get(domain, ()):
            return None
        device = _plant_for(builder, domain, service)
        builder.fill(size)
        made = plain_command(device, rng, service) if device else None
    else:
        builder.fill(size)
        devices = list(builder.devices.values())
        made = next(filter(None, (plain_command(rng.choice(devices), rng) for _ in range(4))), None)
    return (made[0], made[1], [made[2]]) if made else None


def _args(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """One command with arguments, the (domain, service) drawn evenly so that each is taught."""
    domain, service = rng.choice([key for key in ARG_MAKERS if key[1] in const.ALLOWED_SERVICES.get(key[0], ())])
    device = _plant_for(builder, domain, service)
    builder.fill(size)
    made = arg_command(device, rng, service) if device else None
    return (made[0], made[1], [made[2]]) if made else None


def _multi(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """Two or three commands in one request."""
    builder.fill(max(size, 4))
    devices = list(builder.devices.values())
    parts = [any_command(d, rng) for d in rng.sample(devices, min(len(devices), rng.choice((2, 2, 2, 3))))]
    if len(parts) < 2:
        return None
    if not all(parts):
        return None
    user = parts[0][0]
    for said, _, _ in parts[1:]:
        user += rng.choice((" and ", ", and ", " and also ", ", then ", ". Also ")) + said.rstrip("?")
    return user, _join_sentences([p[1] for p in parts]), [p[2] for p in parts]


def _group(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """All lights of an area ("kitchen lights off"), or all lights of a small house."""
    area = rng.choice(builder.areas)
    for word in rng.sample(KINDS["light"][0], rng.randint(2, 3)):
        builder.add_area_device("light", area, word)
    builder.fill(size)
    verb = rng.choice(("on", "off"))
    lights = [d for d in builder.house() if domain_of(d) == "light"]
    if rng.random() < 0.2 and len(lights) <= 8:
        user = rng.choice((f"turn {verb} all the lights", f"all lights {verb}", f"every light {verb} please",
                           f"switch {verb} all of the lights"))  # fmt: skip
        reply = f"Turning {verb} all the lights."
    else:
        lights = [d for d in lights if _area_named(d["name"], area)]
        user = rng.choice((f"turn {verb} all the {area} lights", f"turn {verb} the lights in the {area}",
                           f"{area} lights {verb}", f"all lights {verb} in the {area}",
                           f"switch {verb} every light in the {area}",
                           f"could you turn the {area} lights {verb}?"))  # fmt: skip
        reply = f"Turning {verb} the lights in the {area}."
    if not lights or len(lights) > const_max_calls():
        return None
    return user, reply, [call_line(d, f"turn_{verb}") for d in lights]


def const_max_calls() -> int:
    """The most calls one reply may carry (the policy's limit)."""
    return load("policy").MAX_CALLS_PER_TURN


def _area_pick(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """The same kind of device in several areas: the area said decides."""
    domain = rng.choice(("light", "light", "fan", "cover", "media_player", "climate", "switch"))
    word = rng.choice(KINDS[domain][0])
    areas = rng.sample(builder.areas, min(len(builder.areas), rng.randint(2, 4)))
    planted = [d for area in areas if (d := builder.add_area_device(domain, area, word))]
    builder.fill(size)
    if len(planted) < 2:
        return None
    device = rng.choice(planted)
    area = device["area"]
    if len([d for d in _mentions(builder.house(), word) if area in d["name"].lower()]) != 1:
        return None
    said = rng.choice((f"{word} in the {area}", f"{area} {word}", f"{word} in {area}"))
    made = any_command(device, rng, said=said)
    return (made[0], made[1], [made[2]]) if made else None


def _named_switch(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """A switch named after what it powers ("Porch Lights"), next to real lights and fans."""
    area, other = rng.sample(builder.areas, 2)
    thing = rng.choice(NAMED_SWITCHES)
    name = f"{area} {thing}".title() if rng.random() < 0.8 else thing.title()
    switch = builder.add("switch", name, area, ("on", "off"))
    real_domain = "fan" if "fan" in thing else "light"
    real_word = rng.choice(
        ("fan", "ceiling fan") if real_domain == "fan" else ("light", "lights", "lamp", "ceiling light")
    )
    real = builder.add_area_device(real_domain, rng.choice((area, other)), real_word)
    builder.fill(size)
    if switch is None or real is None:
        return None
    device = switch if rng.random() < 0.7 else real
    made = plain_command(device, rng, service=rng.choice(("turn_on", "turn_off", "turn_on", "turn_off", "toggle")))
    return (made[0], made[1], [made[2]]) if made else None


def _partial_name(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """The name said partly, with a typo, or as a speech recogniser hears it."""
    builder.fill(max(size, 3))
    devices = builder.house()
    usable = [d for d in devices if plain_services(d) or arg_services(d)]
    if not usable:
        return None
    device = rng.choice(usable)
    style = rng.choice(("partial", "partial", "typo", "misheard"))
    name = device["name"].lower()
    said = partial_name(device, devices, rng) if style == "partial" else typo(name, rng) if style == "typo" else (
        misheard(name, rng))  # fmt: skip
    if not said or said == name:
        return None
    made = any_command(device, rng, said=said)
    return (made[0], made[1], [made[2]]) if made else None


INDIRECT: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("light", "turn_on", ("it's dark in the {a}", "I can't see a thing in the {a}", "the {a} is too dark",
                          "it's getting dark in the {a}", "I need to see in the {a}")),
    ("light", "turn_off", ("nobody is in the {a} any more, no need for light there", "I'm leaving the {a}, lights out",
                           "we're done in the {a}, you can kill the light")),
    ("fan", "turn_on", ("it's stuffy in the {a}", "the {a} is way too warm", "I'm sweating in the {a}",
                        "could use some air in the {a}")),
    ("cover", "close_cover", ("the sun is glaring into the {a}", "I want some privacy in the {a}",
                              "people can see into the {a}")),
    ("cover", "open_cover", ("let some daylight into the {a}", "the {a} needs fresh daylight")),
    ("media_player", "volume_down", ("it's too loud in the {a}", "the music in the {a} is way too loud")),
    ("media_player", "volume_up", ("I can't hear the music in the {a}", "the {a} is too quiet, I can barely hear it")),
)  # fmt: skip


def _indirect(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """A need said instead of a command ("it's dark in the kitchen"): the one device there that meets it."""
    domain, service, says = rng.choice(INDIRECT)
    area = rng.choice([a for a in AREAS if a not in builder.areas])
    device = builder.add_area_device(domain, area)
    builder.fill(size)
    if device is None or not available(device, service):
        return None
    same = [d for d in builder.devices.values() if domain_of(d) == domain and area in d["name"].lower()]
    clash = domain == "fan" and any(
        domain_of(d) == "climate" and area in d["name"].lower() for d in builder.devices.values()
    )
    if same != [device] or clash:
        return None
    _, answers = PLAIN[domain][service][0]
    return (
        rng.choice(says).format(a=area),
        _fill(rng.choice(answers), device["name"].lower()),
        [call_line(device, service)],
    )


def _terse(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """Few words ("kitchen off") where the area's named devices are all lights."""
    area = rng.choice([a for a in AREAS if a not in builder.areas])
    for word in rng.sample(KINDS["light"][0], rng.choice((1, 1, 2, 3))):
        builder.add_area_device("light", area, word)
    builder.fill(size)
    named = _mentions(builder.house(), area)
    if not named or any(domain_of(d) != "light" for d in named):
        return None
    verb = rng.choice(("on", "off"))
    user = rng.choice((f"{area} {verb}", f"{area} lights {verb}", f"lights {verb} in the {area}", f"{area}, {verb}",
                       f"{area} light {verb}" if len(named) == 1 else f"{area} lights {verb} please"))  # fmt: skip
    reply = (
        f"Turning {verb} the {named[0]['name'].lower()}." if len(named) == 1 else f"Turning {verb} the {area} lights."
    )
    return user, reply, [call_line(d, f"turn_{verb}") for d in named]


# ----------------------------------------------------------------------------- real installations (issue 20)


def _area_named(text: str, area: str) -> bool:
    """`text` holds the area's words, not as part of a longer area ("master bedroom" for "bedroom")."""
    text = text.lower()
    for longer in (a for a in REAL_AREAS if a != area and area in a):
        text = text.replace(longer, " ")
    return re.search(rf"\b{re.escape(area)}\b", text) is not None


def _names_place(device: dict, place: str) -> bool:
    """The device's name or entity id holds the place or a near name of it ("entrance" for "entryway")."""
    text = f"{device['name']} {device['entity_id'].split('.', 1)[1].replace('_', ' ')}"
    return any(_area_named(text, word) for word in (place, *NEAR_AREAS.get(place, ())))


def _place_said(place: str, rng: random.Random) -> str:
    """The place as people say it: as named, or half the time by a near name where it has one."""
    near = NEAR_AREAS.get(place)
    return rng.choice(near) if near and rng.random() < 0.5 else place


def _fresh_area(builder: HouseBuilder) -> str:
    """A place no randomly added device is named after."""
    return builder.rng.choice([a for a in REAL_AREAS if a not in builder.areas])


REAL_DOMAINS = {"light": 4, "light-switch": 4, "fan": 1, "cover": 1.5, "lock": 1.5, "media_player": 1, "climate": 2}
RIVAL_DOMAINS = {"light": {"light", "switch"}, "switch": {"light", "switch"}, "climate": {"climate", "water_heater"}}


def _real_said(device: dict, domain: str, word: str, place: str, rng: random.Random) -> tuple[str, bool]:
    """How people ask for a real-world named device, and whether only the place is said."""
    lightish = domain == "light" or word in LIGHT_SWITCH_WORDS
    if re.search(r" \d$", device["name"]):  # numbered: the number decides
        number = device["name"][-1]
        said = rng.choice((f"{place} {word} {number}", f"{place} {word} number {number}"))
        return said.lower(), False
    if (lightish or domain == "climate") and rng.random() < (0.7 if domain == "climate" else 0.35):
        return place, True
    kind = rng.choice(LIGHT_SAID) if lightish else "door" if domain == "lock" and rng.random() < 0.6 else word.lower()
    return rng.choice((f"{place} {kind}", f"{place} {kind}", f"{kind} in the {place}")), False


def _real_name_kind(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """A device named the real-world way, asked for as people say it: "the bedroom lights" for the
    Lutron Caseta Bedroom Switch, "the back door" for the Yale Back Door Lock, "set the hallway to 22
    degrees" for its only thermostat, "entrance light" for the Entryway Light."""
    pick = rng.choices(list(REAL_DOMAINS), weights=list(REAL_DOMAINS.values()))[0]
    domain = "switch" if pick == "light-switch" else pick
    word = rng.choice(LIGHT_SWITCH_WORDS if pick == "light-switch" else KINDS[domain][0])
    area = _fresh_area(builder)
    style = rng.choice(("brand", "brand", "after", "entity", "number", "hidden"))
    device = builder.add_real_device(domain, area, word, style)
    if device is None:
        return None
    if style == "number":  # its numbered siblings
        for number in {1, 2, 3} - {int(device["name"][-1])}:
            builder.add(domain, f"{device['name'][:-1]}{number}", area, KINDS[domain][1])
    builder.fill(size)
    said, alone = _real_said(device, domain, word, _place_said(area, rng), rng)
    rivals = [d for d in builder.devices.values() if d is not device and _names_place(d, area)]
    same = RIVAL_DOMAINS.get(domain, {domain})
    if style != "number" and any(domain_of(d) in same or (alone and domain != "climate") for d in rivals):
        return None
    if alone and domain == "climate":
        made = arg_command(device, rng, "set_temperature", said=said)
    elif alone and domain == "switch":  # "turn off the garage": on and off only, no "flip garage"
        made = plain_command(device, rng, rng.choice(("turn_on", "turn_off")), said=said)
    elif rng.random() < 0.35 and domain != "switch":
        made = arg_command(device, rng, said=said) or plain_command(device, rng, said=said)
    else:
        made = plain_command(device, rng, said=said)
    return (made[0], made[1], [made[2]]) if made else None


def _two_areas(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """The lights of two rooms in one request ("the kitchen and bedroom lights off"): both turned the same way."""
    if len(builder.areas) < 2:
        return None
    areas = rng.sample(builder.areas, 2)
    for area in areas:
        builder.add_area_device("light", area)
    builder.fill(size)
    lights = [d for d in builder.house() if domain_of(d) == "light" and any(_area_named(d["name"], a) for a in areas)]
    if not all(any(_area_named(d["name"], a) for d in lights) for a in areas) or len(lights) > const_max_calls():
        return None
    verb, (a, b) = rng.choice(("on", "off")), areas
    user = rng.choice((f"turn {verb} the {a} and {b} lights", f"{a} and {b} lights {verb}",
                       f"switch {verb} the lights in the {a} and the {b}", f"lights {verb} in the {a} and {b}",
                       f"turn the {a} and the {b} lights {verb}", f"the {a} and {b} lights {verb} please"))  # fmt: skip
    return user, f"Turning {verb} the lights in the {a} and the {b}.", [call_line(d, f"turn_{verb}") for d in lights]


# Requests named by what they are for: the device is the one that serves the purpose.
LAWN_PLACES = ("lawn", "front lawn", "back lawn", "flower bed", "vegetable bed", "garden bed", "flower beds",
               "hedge", "vegetable garden", "roses", "herb bed")  # fmt: skip
VALVE_WORDS = ("Irrigation", "Sprinkler", "Sprinklers", "Valve", "Drip Line", "Zone", "Watering")
WATER_ON = ("water the {p}", "start watering the {p}", "give the {p} some water", "turn on the water for the {p}",
            "the {p} needs watering", "run the sprinklers on the {p}", "can you water the {p}?")  # fmt: skip
WATER_OFF = ("stop watering the {p}", "turn off the water for the {p}", "that's enough water for the {p}",
             "the {p} has had enough water")  # fmt: skip
SHOPS = ("Costco", "Aldi", "Lidl", "Whole Foods", "Target", "Safeway", "Kroger", "Tesco", "Walmart", "Wegmans",
         "Publix", "Trader Joes")  # fmt: skip
GROCERY_SAID = ("groceries list", "grocery list", "shopping list", "groceries", "grocery shopping list")
GROCERIES = ("milk", "eggs", "bread", "coffee beans", "bananas", "rice", "butter", "tomatoes", "olive oil",
             "cat food", "apples", "cheese", "oat milk", "pasta", "yogurt", "onions")  # fmt: skip
VACUUM_ON = ("vacuum the {a}", "clean the {a}", "the {a} floor needs cleaning", "hoover the {a}",
             "do the {a} floors", "clean {a}", "vacuum {a} please")  # fmt: skip
# What is said of "the music" -> the service of the house's only player (and its arguments).
MUSIC: tuple[tuple[str, dict, tuple[str, ...]], ...] = (
    ("media_stop", {}, ("stop the music", "stop the music please", "music off", "kill the music")),
    ("media_pause", {}, ("pause the music", "hold the music", "pause the song")),
    ("media_play", {}, ("resume the music", "play the music again", "carry on with the music")),
    ("media_next_track", {}, ("skip this song", "next song please", "skip this track", "next station")),
    ("media_previous_track", {}, ("previous song", "go back a song", "previous station", "back one station")),
    ("volume_up", {}, ("turn the music up", "music louder", "louder please")),
    ("volume_down", {}, ("turn the music down", "music quieter", "the music is too loud")),
    ("volume_mute", {"is_volume_muted": True}, ("mute the music", "mute it all", "silence the music")),
    ("volume_set", {"volume_level": 0.3}, ("music volume to 30%", "set the music to 30 percent volume")),
)  # fmt: skip


def _water(builder: HouseBuilder, rng: random.Random) -> tuple[str, dict, str, dict] | None:
    """An irrigation valve named after a lawn or bed, watered by its place's name."""
    place = rng.choice(LAWN_PLACES)
    name = rng.choice((f"{place.title()} {rng.choice(VALVE_WORDS)}", f"Rachio {place.title()}",
                       f"{rng.choice(VALVE_WORDS)} {place.title()}"))  # fmt: skip
    device = builder.add("valve", name, "garden", ("open", "closed"))
    service = rng.choice(("open_valve", "open_valve", "close_valve"))
    said = rng.choice(WATER_ON if service == "open_valve" else WATER_OFF).format(p=place)
    return (said, device, service, {}) if device else None


def _groceries(builder: HouseBuilder, rng: random.Random) -> tuple[str, dict, str, dict] | None:
    """A to-do list named after a shop, asked for as the groceries list."""
    shop = rng.choice(SHOPS)
    device = builder.add("todo", rng.choice((shop, f"{shop} List", f"{shop} Run")), None, ("0", "1", "2", "4"))
    item = rng.choice(GROCERIES)
    said = rng.choice(("add {i} to the {g}", "put {i} on the {g}", "add {i} to my {g}", "please put {i} on the {g}",
                       "{i}, add it to the {g}")).format(i=item, g=rng.choice(GROCERY_SAID))  # fmt: skip
    return (said, device, "add_item", {"item": item}) if device else None


def _vacuum_place(builder: HouseBuilder, rng: random.Random) -> tuple[str, dict, str, dict] | None:
    """The robot vacuum sent to a room, or the one named after a place ("clean downstairs")."""
    area = rng.choice(builder.areas)
    if rng.random() < 0.5:
        name, states = rng.choice([(n, s) for d, n, s in STANDALONE if d == "vacuum"])
    else:
        name, states = f"{area.title()} {rng.choice(('Vacuum', 'Roomba', 'Robot', 'Roborock'))}", ("docked", "idle")
    device = builder.add("vacuum", name, area, states)
    return (rng.choice(VACUUM_ON).format(a=area), device, "start", {}) if device else None


def _music(builder: HouseBuilder, rng: random.Random) -> tuple[str, dict, str, dict] | None:
    """ "The music" for the house's only player."""
    service, args, says = rng.choice(MUSIC)
    device = _plant_for(builder, "media_player", service)
    return (rng.choice(says), device, service, args) if device else None


# (maker, the domains no other device of the house may have, the name words it may not have)
PURPOSES = (
    (_water, {"valve"}, ("water", "irrigat", "sprinkl", "drip")),
    (_groceries, {"todo"}, ()),
    (_vacuum_place, {"vacuum"}, ()),
    (_music, {"media_player"}, ()),
)


def _purpose(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """A request named by its purpose ("water the lawn", "add milk to the groceries list", "vacuum the
    kitchen", "stop the music"): the one device of the house that serves it."""
    maker, domains, words = rng.choice(PURPOSES)
    made = maker(builder, rng)
    builder.fill(size)
    if made is None or not available(made[1], made[2]):
        return None
    said, device, service, args = made
    rivals = [d for d in builder.devices.values() if d is not device
              and (domain_of(d) in domains or any(w in d["name"].lower() for w in words))]  # fmt: skip
    if rivals:
        return None
    return said, _purpose_answer(device, service, args, rng), [call_line(device, service, args)]


def _purpose_answer(device: dict, service: str, args: dict, rng: random.Random) -> str:
    """The reply to a purpose request: the plain command's sentence, or one that says the argument."""
    name = device["name"].lower()
    if service in PLAIN.get(domain_of(device), {}):
        return _fill(rng.choice(PLAIN[domain_of(device)][service][0][1]), name)
    if "item" in args:
        return f"Adding {args['item']} to the {name}."
    return f"Muting the {name}." if "is_volume_muted" in args else f"Setting the {name} volume to 30%."


# ----------------------------------------------------------------------------- requests that touch nothing

STATE_QUESTIONS: dict[str, tuple[str, ...]] = {
    "light": ("is the {n} on?", "are the {n} on?", "is the {n} off?", "did I leave the {n} on?", "{n} status?"),
    "switch": ("is the {n} on?", "is the {n} running?", "what's the state of the {n}?"),
    "fan": ("is the {n} on?", "is the {n} running?", "what's the {n} doing?"),
    "cover": ("is the {n} open?", "are the {n} closed?", "is the {n} open or closed?"),
    "lock": ("is the {n} locked?", "did I lock the {n}?", "is the {n} unlocked?"),
    "media_player": ("what is the {n} doing?", "is the {n} playing?", "is the {n} on?"),
    "climate": ("what mode is the {n} in?", "is the {n} on?", "what's the {n} set to?"),
    "vacuum": ("where is the {n}?", "is the {n} cleaning?", "what's the {n} up to?"),
    "alarm_control_panel": ("is the {n} armed?", "what's the {n} set to?", "is the {n} on?"),
    "timer": ("is the {n} running?", "what's the {n} doing?"),
    "valve": ("is the {n} open?", "is the {n} closed?"),
    "water_heater": ("what mode is the {n} in?", "is the {n} on?"),
    "humidifier": ("is the {n} on?", "is the {n} running?"),
    "input_boolean": ("is {n} on?", "is {n} enabled?"),
    "todo": ("how many things are on the {n}?", "is the {n} empty?", "what's on the {n}?"),
}
STATE_ANSWERS = ("The {n} {is} {s}.", "Right now the {n} {is} {s}.", "The {n} {is} currently {s}.")
CHIT_CHAT = (
    ("hello there", "Hello! How can I help with your house?"),
    ("hi", "Hi! What would you like me to do?"),
    ("morning, Al", "Good morning! What can I do for you?"),
    ("thanks a lot", "You're welcome!"),
    ("thank you so much", "Happy to help."),
    ("who am I talking to?", "I'm Al, your home assistant. I can control the devices in your house."),
    ("what are you able to do?",
     "I can switch the devices of your house on and off, open and close covers and answer questions."),
    ("say something funny", "Why did the lamp go to school? To get a little brighter."),
    ("how's it going?", "I'm doing well, thanks for asking. What can I do for you?"),
    ("what day is it today?", "I can't see a calendar, but I can control your devices."),
    ("will it rain tomorrow?", "I don't have a weather report, sorry."),
    ("forget it", "Okay."),
    ("nighty night", "Good night! Sleep well."),
    ("are you a real person?", "I'm an AI assistant that runs your house."),
    ("what's seven times six?", "Seven times six is forty-two."),
    ("I'm bored", "Maybe some music would help? Just tell me which speaker to play on."),
    ("how many devices do you control?", "I control {count} devices in this house."),
    ("ok cool", "Okay."),
    ("you're the best", "Thank you! Anything else I can do?"),
    ("what do I call you?", "I'm Al, the assistant for this house."),
    ("can you hear me?", "Yes, I can hear you. What would you like me to do?"),
    ("sorry, wrong button", "No problem."),
)  # fmt: skip
ABSENT_REQUESTS = (
    ("turn on the {t}", "I couldn't find a {t} in this house."),
    ("switch off the {t}", "There is no {t} in this house that I can control."),
    ("start the {t}", "Sorry, I don't see a {t} among your devices."),
    ("open the {t}", "I couldn't find a {t} in this house. Which device do you mean?"),
    ("can you turn the {t} off?", "Sorry, there's no {t} I can control."),
    ("is the {t} on?", "I don't see a {t} in this house."),
    ("set the {t} to 50%", "There is no {t} in this house that I can control."),
    ("{t} on please", "I couldn't find a {t}. Which device do you mean?"),
)
# Often present, sometimes not: asked for only when no device's name has the words.
MAYBE_ABSENT = ("garage door", "coffee machine", "tv", "ceiling fan", "porch light", "blinds", "front door",
                "thermostat", "kettle", "speaker", "vacuum", "desk lamp", "heater")  # fmt: skip
CANNOT = (
    "fix me a snack", "get me a pizza delivered", "book a taxi to the station", "phone my sister",
    "send a text to Sam", "buy more coffee online", "take the dog out for a walk", "cook dinner for us",
    "wash the dishes", "press my trousers", "make my bed", "pay my phone bill", "sort the socks",
    "cut the grass in the back garden", "read me the headlines", "bake a cake", "empty the bins", "tidy my desk",
    "solve my crossword", "write an email to my boss", "find my keys",
)  # fmt: skip
CANNOT_REPLIES = ("Sorry, I can't do that. I can only control the devices in this house.",
                  "I'm not able to do that; I can only switch and set your devices.",
                  "That's not something I can do, sorry. I control the devices in your house.")  # fmt: skip


def _state_words(device: dict) -> str:
    return device["state"].replace("_", " ")


def _question(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """A question answered from the states in the prompt, or "I don't know" where it has none."""
    builder.fill(size)
    devices = builder.house()
    roll = rng.random()
    if roll < 0.15:
        on = [d["name"].lower() for d in devices if domain_of(d) == "light" and d["state"] == "on"]
        user = rng.choice(("which lights are on?", "are any lights on?", "what lights did I leave on?"))
        reply = f"{_listing(on)[:1].upper()}{_listing(on)[1:]} {'is' if len(on) == 1 else 'are'} on." if on else (
            "No lights are on.")  # fmt: skip
        return user, reply, []
    if roll < 0.25:
        area = rng.choice(builder.areas)
        user = rng.choice((f"what's the temperature in the {area}?", f"how warm is it in the {area}?",
                           f"what's the humidity in the {area}?"))  # fmt: skip
        return user, f"I don't have a reading for the {area}, sorry.", []
    device = rng.choice([d for d in devices if domain_of(d) in STATE_QUESTIONS] or [None])
    if device is None:
        return None
    domain = domain_of(device)
    user = _fill(rng.choice(STATE_QUESTIONS[domain]), _said(device, rng))
    name = device["name"].lower()
    if domain == "todo":
        count = int(device["state"])
        return (
            user,
            (f"The {name} has {count} item{'s' if count != 1 else ''}." if count else f"The {name} is empty."),
            [],
        )
    if domain == "climate":
        return user, f"The {name} is set to {MODE_WORDS.get(device['state'], _state_words(device))}.", []
    verb = "are" if re.search(r"[^su]s$", name) else "is"  # "the blinds are", "the sonos is"
    return user, rng.choice(STATE_ANSWERS).format(n=name, s=_state_words(device), **{"is": verb}), []


def _chat(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """Chit-chat: a friendly answer, no call."""
    builder.fill(size)
    user, reply = rng.choice(CHIT_CHAT)
    return user, reply.format(count=len(builder.devices)), []


def _absent(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """A device the house does not have, or a kind of device not in the area said."""
    builder.fill(size)
    devices = builder.house()
    names = " ".join(d["name"].lower() for d in devices)
    if rng.random() < 0.25:
        empty = [a for a in AREAS if a not in names and not any(a in other for other in names.split("  "))]
        word = rng.choice(("light", "fan", "blinds", "speaker", "heater"))
        if not empty or not _mentions(devices, word):
            return None
        area = rng.choice(empty)
        user = rng.choice((f"turn on the {word} in the {area}", f"{area} {word} off", f"open the {word} in the {area}"
                           if word == "blinds" else f"switch off the {word} in the {area}"))  # fmt: skip
        return user, f"There is no {word} in the {area} that I can control. Which one do you mean?", []
    things = [t for t in (*ABSENT_THINGS, *MAYBE_ABSENT) if not _mentions(devices, t)]
    thing = rng.choice(things)
    said, answer = rng.choice(ABSENT_REQUESTS)
    return said.format(t=thing), answer.format(t=thing), []


def _cannot(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """Something no device does ("make me a sandwich"): nothing is touched, not even a to-do list."""
    if rng.random() < 0.5:
        _plant_for(builder, "todo", "add_item")
    builder.fill(size)
    return rng.choice(CANNOT), rng.choice(CANNOT_REPLIES), []


def _ambiguous(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """A word several devices share, with no area said: ask which one."""
    domain = rng.choice(("light", "light", "fan", "cover", "media_player", "switch"))
    word = rng.choice([w for w in KINDS[domain][0] if w != "lights"])
    for area in rng.sample(builder.areas, 2):
        builder.add_area_device(domain, area, word)
    builder.fill(size)
    shared = _mentions(builder.house(), word)
    if len(shared) < 2 or any(d["name"].lower() == word for d in shared):
        return None
    made = plain_command(shared[0], rng, said=word)
    if made is None:
        return None
    names = [d["name"].lower() for d in shared]
    if len(names) <= 3:
        question = (
            f"Which {word} do you mean: "
            + " or ".join([", ".join(f"the {n}" for n in names[:-1]), f"the {names[-1]}"])
            + "?"
        )
    else:
        question = f"There are {len(names)} devices called {word}. Which one do you mean?"
    return made[0], question, []


KIND_MAKERS: dict[str, tuple[Callable[[HouseBuilder, int, random.Random], Made3 | None], float]] = {
    "single": (_single, 21),
    "args": (_args, 15),
    "multi": (_multi, 7),
    "group": (_group, 4),
    "area-pick": (_area_pick, 7),
    "named-switch": (_named_switch, 5),
    "partial-name": (_partial_name, 6),
    "indirect": (_indirect, 3),
    "terse": (_terse, 2),
    "real-name": (_real_name_kind, 9),
    "purpose": (_purpose, 4),
    "two-areas": (_two_areas, 2),
    "question": (_question, 9),
    "chat": (_chat, 4),
    "absent": (_absent, 6),
    "cannot": (_cannot, 2.5),
    "ambiguous": (_ambiguous, 3),
}


# ----------------------------------------------------------------------------- German (issue 21 item 3)

GERMAN_SHARE = 0.15  # of the examples: a house named in German, asked and answered in German
# The persona in German, as the anchor project prompts each language in its own; a German example keeps the
# English one sometimes (the agent's default until the turn's language picks the persona).
GERMAN_PERSONA = load("lexicon").read_phrase("de", "persona")  # the agent's own, from languages/de.yaml
GERMAN_PERSONA_SHARE = 0.7
# Area -> (its stem in compounds, "in the <area>"): "Küchenlicht", "das Licht in der Küche".
DE_AREAS = {
    "Küche": ("Küchen", "in der Küche"), "Wohnzimmer": ("Wohnzimmer", "im Wohnzimmer"),
    "Schlafzimmer": ("Schlafzimmer", "im Schlafzimmer"), "Flur": ("Flur", "im Flur"), "Bad": ("Bad", "im Bad"),
    "Badezimmer": ("Badezimmer", "im Badezimmer"), "Büro": ("Büro", "im Büro"),
    "Arbeitszimmer": ("Arbeitszimmer", "im Arbeitszimmer"), "Kinderzimmer": ("Kinderzimmer", "im Kinderzimmer"),
    "Esszimmer": ("Esszimmer", "im Esszimmer"), "Gästezimmer": ("Gästezimmer", "im Gästezimmer"),
    "Keller": ("Keller", "im Keller"), "Garage": ("Garagen", "in der Garage"), "Garten": ("Garten", "im Garten"),
    "Terrasse": ("Terrassen", "auf der Terrasse"), "Balkon": ("Balkon", "auf dem Balkon"),
    "Dachboden": ("Dachboden", "auf dem Dachboden"), "Diele": ("Dielen", "in der Diele"),
    "Waschküche": ("Waschküchen", "in der Waschküche"), "Eingang": ("Eingangs", "im Eingang"),
}  # fmt: skip
# Per domain: the words for a device and their gender (m, f, n; p: plural).
DE_KINDS: dict[str, tuple[tuple[str, str], ...]] = {
    "light": (("Licht", "n"), ("Lampe", "f"), ("Deckenlampe", "f"), ("Deckenlicht", "n"), ("Stehlampe", "f"),
              ("Leselampe", "f"), ("Spots", "p"), ("Lichterkette", "f"), ("Leuchte", "f"), ("Strahler", "m"),
              ("Pendelleuchte", "f")),
    "switch": (("Steckdose", "f"), ("Schalter", "m"), ("Kaffeemaschine", "f"), ("Wasserkocher", "m"),
               ("Heizlüfter", "m"), ("Zwischenstecker", "m")),
    "fan": (("Ventilator", "m"), ("Lüfter", "m"), ("Deckenventilator", "m"), ("Luftreiniger", "m")),
    "cover": (("Rollladen", "m"), ("Rollo", "n"), ("Jalousie", "f"), ("Markise", "f"), ("Vorhang", "m")),
    "lock": (("Türschloss", "n"), ("Schloss", "n"), ("Tür", "f")),
    "media_player": (("Fernseher", "m"), ("Lautsprecher", "m"), ("Radio", "n"), ("Soundbar", "f")),
    "climate": (("Thermostat", "n"), ("Heizung", "f"), ("Klimaanlage", "f"), ("Heizkörper", "m")),
    "vacuum": (("Saugroboter", "m"), ("Staubsauger", "m")),
}  # fmt: skip
DE_STANDALONE = (("lock", "Haustür"), ("lock", "Hintertür"), ("cover", "Garagentor"), ("vacuum", "Saugroboter"),
                 ("media_player", "Fernseher"), ("switch", "Kaffeemaschine"), ("todo", "Einkaufsliste"),
                 ("todo", "Einkaufszettel"), ("light", "Leselampe"), ("climate", "Heizung"))  # fmt: skip
DE_NOUNS = {word.lower(): gender for kinds in DE_KINDS.values() for word, gender in kinds} | {
    "tor": "n", "liste": "f", "zettel": "m", "tür": "f"}  # fmt: skip
DE_DOMAINS = list(DE_KINDS)
DE_WEIGHTS = [KINDS[domain][2] for domain in DE_DOMAINS]
ARTICLES = {"nom": {"m": "der", "f": "die", "n": "das", "p": "die"},
            "acc": {"m": "den", "f": "die", "n": "das", "p": "die"},
            "dat": {"m": "dem", "f": "der", "n": "dem", "p": "den"}}  # fmt: skip
_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_PLAIN_ASCII = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})  # Home Assistant's own slugs drop the dots


def _de_slug(name: str, spelled_out: bool) -> str:
    """`kuechenlicht` (or `kuchenlicht`, as Home Assistant writes it) for Küchenlicht."""
    return _slug(name.lower().translate(_ASCII if spelled_out else _PLAIN_ASCII))


def _de_gender(name: str) -> str:
    """The gender of the name's noun: its first word that ends in a known noun ("Deckenlampe Wohnzimmer": f)."""
    for word in name.lower().split():
        nouns = [noun for noun in DE_NOUNS if word.endswith(noun)]
        if nouns:
            return DE_NOUNS[max(nouns, key=len)]
    return "n"


def _de_forms(name: str, gender: str) -> dict[str, str]:
    """A noun phrase in the cases a sentence needs: {a} den Rollladen, {d} dem Rollladen, {n} der Rollladen,
    {N} Der Rollladen, {b} Rollladen; {ist}, {Ist} and {wird} agree with it."""
    nominative = f"{ARTICLES['nom'][gender]} {name}"
    verb = "sind" if gender == "p" else "ist"
    return {"a": f"{ARTICLES['acc'][gender]} {name}", "d": f"{ARTICLES['dat'][gender]} {name}", "n": nominative,
            "N": nominative[:1].upper() + nominative[1:], "b": name, "ist": verb, "Ist": verb.title(),
            "wird": "werden" if gender == "p" else "wird"}  # fmt: skip


def device_forms(device: dict) -> dict[str, str]:
    """The device's own name in every case (replies name it as written)."""
    return _de_forms(device["name"], _de_gender(device["name"]))


class GermanHouseBuilder(HouseBuilder):
    """A house named in German: Küchenlicht, Deckenlampe Wohnzimmer, Rollladen Schlafzimmer; ids in ASCII."""

    def __init__(self, rng: random.Random, max_chars: float = math.inf) -> None:
        super().__init__(rng, max_chars)
        self.areas = rng.sample(list(DE_AREAS), rng.randint(2, 7))
        self.spelled_out = rng.random() < 0.6  # kuechenlicht, else kuchenlicht

    def add(
        self, domain: str, name: str, area: str | None, states: tuple[str, ...] = (), stem: str = ""
    ) -> dict | None:
        """As HouseBuilder.add, the entity id spelled from the German name, the states of its domain."""
        states = states or (KINDS[domain][1] if domain in KINDS else ())
        return super().add(domain, name, area, states, stem or _de_slug(name, self.spelled_out))

    def add_area_device(self, domain: str, area: str, word: str | None = None) -> dict | None:
        """Küchenlicht, Licht Küche, Küche Licht or Hue Licht Küche."""
        rng = self.rng
        word = word or rng.choice(DE_KINDS[domain])[0]
        style = rng.random()
        if style < 0.35:
            name = f"{DE_AREAS[area][0]}{word.lower()}"
        elif style < 0.65:
            name = f"{word} {area}"
        elif style < 0.85 or domain not in BRANDS:
            name = f"{area} {word}"
        else:
            name = f"{rng.choice(BRANDS[domain])} {word} {area}"
        return self.add(domain, name, area)

    def add_random(self) -> dict | None:
        """A device of a German kind, or one of the few named without an area."""
        rng = self.rng
        if rng.random() < STANDALONE_WEIGHT / 2:
            domain, name = rng.choice(DE_STANDALONE)
            return self.add(domain, name, rng.choice(self.areas), ("0", "1", "3") if domain == "todo" else ())
        return self.add_area_device(rng.choices(DE_DOMAINS, weights=DE_WEIGHTS)[0], rng.choice(self.areas))


_DE_ON = (("Schalte {a} ein", "Schalte {a} an", "Mach {a} an", "Mach bitte {a} an", "{b} an", "{b} an bitte",
           "Kannst du {a} einschalten?", "Bitte {a} einschalten", "Schalt {a} ein", "Mach mal {a} an",
           "Könntest du {a} anmachen?", "{b} einschalten"),
          ("Ich schalte {a} ein.", "{N} {wird} eingeschaltet.", "Okay, ich mache {a} an."))  # fmt: skip
_DE_OFF = (("Schalte {a} aus", "Mach {a} aus", "Mach bitte {a} aus", "{b} aus", "{b} aus bitte",
            "Kannst du {a} ausschalten?", "Bitte {a} ausschalten", "Schalt {a} aus", "Mach mal {a} aus",
            "{b} ausschalten", "Dreh {a} ab"),
           ("Ich schalte {a} aus.", "{N} {wird} ausgeschaltet.", "Okay, ich mache {a} aus."))  # fmt: skip
_DE_ON_OFF = {"turn_on": _DE_ON, "turn_off": _DE_OFF}
# (domain) -> service -> (what the user says, what the assistant says): {a} {d} {n} {N} {b} as _de_forms.
DE_PLAIN: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "light": _DE_ON_OFF, "switch": _DE_ON_OFF, "climate": _DE_ON_OFF,
    "fan": _DE_ON_OFF | {
        "increase_speed": (("Mach {a} schneller", "Stell {a} höher", "{b} schneller"), ("Ich mache {a} schneller.",)),
        "decrease_speed": (("Mach {a} langsamer", "Stell {a} niedriger", "{b} langsamer"),
                           ("Ich mache {a} langsamer.",)),
    },
    "cover": {
        "open_cover": (("Fahr {a} hoch", "Mach {a} auf", "Öffne {a}", "{b} hoch", "{b} auf", "Zieh {a} hoch",
                        "Kannst du {a} öffnen?", "Fahr bitte {a} rauf"),
                       ("Ich fahre {a} hoch.", "Ich öffne {a}.", "{N} {wird} geöffnet.")),
        "close_cover": (("Fahr {a} runter", "Mach {a} zu", "Schließ {a}", "{b} runter", "{b} zu", "Lass {a} runter",
                         "Kannst du {a} schließen?", "Fahr bitte {a} herunter",
                         "Fahr {a} herunter"),
                        ("Ich fahre {a} runter.", "Ich schließe {a}.", "{N} {wird} geschlossen.")),
        "stop_cover": (("Stopp {a}", "Halt {a} an", "{b} stopp"), ("Ich stoppe {a}.",)),
    },
    "lock": {
        "lock": (("Schließ {a} ab", "Sperr {a} ab", "Verriegle {a}", "Kannst du {a} abschließen?"),
                 ("Ich schließe {a} ab.", "{N} {wird} verriegelt.")),
        "unlock": (("Schließ {a} auf", "Sperr {a} auf", "Entriegle {a}"),
                   ("Ich schließe {a} auf.", "{N} {wird} entriegelt.")),
    },
    "media_player": _DE_ON_OFF | {
        "volume_up": (("Mach {a} lauter", "{b} lauter", "Dreh {a} lauter"), ("Ich mache {a} lauter.",)),
        "volume_down": (("Mach {a} leiser", "{b} leiser", "Dreh {a} leiser"), ("Ich mache {a} leiser.",)),
        "media_pause": (("Pausiere {a}", "Pause auf {d}", "{b} pausieren"), ("Ich pausiere {a}.",)),
        "media_play": (("Spiel auf {d} weiter", "Setz die Wiedergabe auf {d} fort"),
                       ("Die Wiedergabe auf {d} geht weiter.",)),
        "media_next_track": (("Nächstes Lied auf {d}", "Überspring das Lied auf {d}", "Nächster Sender auf {d}"),
                             ("Nächster Titel auf {d}.",)),
        "media_previous_track": (("Vorheriges Lied auf {d}", "Einen Sender zurück auf {d}"),
                                 ("Ich gehe auf {d} einen Titel zurück.",)),
    },
    "vacuum": {
        "start": (("Starte {a}", "Schick {a} los", "Lass {a} saugen"), ("Ich starte {a}.",)),
        "return_to_base": (("Schick {a} zurück zur Ladestation", "Schick {a} nach Hause"),
                           ("Ich schicke {a} zurück zur Ladestation.",)),
    },
}  # fmt: skip
DE_COLORS = {"rot": "red", "grün": "green", "blau": "blue", "gelb": "yellow", "orange": "orange", "lila": "purple",
             "pink": "pink", "weiß": "white", "türkis": "turquoise", "violett": "violet"}  # fmt: skip
DE_ITEMS = ("Milch", "Eier", "Brot", "Butter", "Kaffee", "Äpfel", "Käse", "Nudeln", "Batterien", "Klopapier",
            "Tomaten", "Zwiebeln", "Joghurt", "Reis", "Spülmittel")  # fmt: skip
DE_ZU = {"m": "zum", "f": "zur", "n": "zum", "p": "zu den"}


def _de_percent(rng: random.Random, percent: int) -> str:
    return rng.choice((f"{percent} Prozent", f"{percent} %", f"{percent}%"))


def _de_number_maker(key: str, says: tuple[str, ...], answers: tuple[str, ...], scale: float = 1,
                     values: tuple[int, ...] = PERCENTS) -> Callable[..., Made]:  # fmt: skip
    """A German maker for a one-number service: {p} the percentage as said, the argument `value * scale`."""

    def make(device: dict, rng: random.Random, said: dict) -> Made:
        bounds = _domain_values(device, key)
        fits = [v for v in values if bounds and bounds.low <= v * scale <= bounds.high]
        if not fits:
            return None
        value = rng.choice(fits)
        words = {"p": _de_percent(rng, value)}
        number = round(value * 255 / 100) if key == "brightness" else round(value * scale, 2)
        reply = rng.choice(answers).format(**device_forms(device), **words)
        return rng.choice(says).format(**said, **words), reply, {key: number}

    return make


_de_brightness = _de_number_maker(
    "brightness",
    ("Dimme {a} auf {p}", "Stell {a} auf {p}", "{b} auf {p}", "Mach {a} auf {p} Helligkeit"),
    ("Ich stelle {a} auf {p}.",),
    scale=255 / 100,
)


def _de_color(device: dict, rng: random.Random, said: dict) -> Made:
    """A colour said in German, called with its English name."""
    if not _domain_values(device, "color_name"):
        return None
    word, color = rng.choice(list(DE_COLORS.items()))
    user = rng.choice(("Mach {a} {c}", "Färbe {a} {c}", "Stell {a} auf {c}", "{b} in {c}")).format(**said, c=word)
    return user, "Ich mache {a} {c}.".format(**device_forms(device), c=word), {"color_name": color}


def _de_temperature(device: dict, rng: random.Random, said: dict) -> Made:
    """ "Stell die Heizung auf 21 Grad" (a decimal comma for halves)."""
    bounds = _domain_values(device, "temperature")
    if not bounds:
        return None
    value = _temperature(rng, bounds.low, bounds.high)
    degrees = _value_text(value).replace(".", ",")
    user = rng.choice(
        (
            "Stell {a} auf {t} Grad",
            "Stelle {a} auf {t} Grad",
            "{b} auf {t} Grad",
            "Heiz {a} auf {t} Grad",
            "Mach {a} auf {t} Grad",
            "Kannst du {a} auf {t} Grad stellen?",
        )
    )
    user = user.format(**said, t=degrees)
    return user, "Ich stelle {a} auf {t} Grad.".format(**device_forms(device), t=degrees), {"temperature": value}


def _de_mute(device: dict, rng: random.Random, said: dict) -> Made:
    if not _domain_values(device, "is_volume_muted"):
        return None
    user = rng.choice(("Schalte {a} stumm", "{b} stumm", "Mach {a} stumm")).format(**said)
    return user, "Ich schalte {a} stumm.".format(**device_forms(device)), {"is_volume_muted": True}


def _de_todo(device: dict, rng: random.Random, said: dict) -> Made:
    if not _domain_values(device, "item"):
        return None
    item = rng.choice(DE_ITEMS)
    zu = DE_ZU[_de_gender(device["name"])]
    user = rng.choice(
        (
            "Setz {i} auf {a}",
            "Schreib {i} auf {a}",
            "Füg {i} {z} {b} hinzu",
            "Füge bitte {i} {z} {b} hinzu",
            "Setz bitte {i} auf {a}",
        )
    ).format(**said, i=item, z=zu)
    return user, "Ich setze {i} auf {a}.".format(**device_forms(device), i=item), {"item": item}


DE_ARGS: dict[tuple[str, str], Callable[..., Made]] = {
    ("light", "turn_on"): lambda device, rng, said: (_de_color(device, rng, said) if rng.random() < 0.4 else None)
    or _de_brightness(device, rng, said),
    ("climate", "set_temperature"): _de_temperature,
    ("cover", "set_cover_position"): _de_number_maker(
        "position", ("Fahr {a} auf {p}", "Stell {a} auf {p}", "{b} auf {p}"), ("Ich fahre {a} auf {p}.",),
        values=PERCENTS[:-1]),
    ("media_player", "volume_set"): _de_number_maker(
        "volume_level", ("Stell die Lautstärke von {d} auf {p}", "{b} Lautstärke {p}", "Mach {a} auf {p} Lautstärke"),
        ("Ich stelle die Lautstärke von {d} auf {p}.",), scale=0.01),
    ("media_player", "volume_mute"): _de_mute,
    ("fan", "set_percentage"): _de_number_maker("percentage", ("Stell {a} auf {p}", "{b} auf {p}"),
                                                ("Ich stelle {a} auf {p}.",)),
    ("todo", "add_item"): _de_todo,
}  # fmt: skip


def _de_said(device: dict, devices: list[dict], rng: random.Random) -> dict[str, str]:
    """How a German user names the device: its name (sometimes lower case), or its kind word alone
    ("die Heizung") where no other device has that word."""
    name, kind = device["name"], _de_kind(device)
    # Compounds hold the word inside ("Flurlicht"): no other name may hold it anywhere.
    if kind and rng.random() < 0.3 and [d for d in devices if kind[0].lower() in d["name"].lower()] == [device]:
        return _de_forms(*kind)
    return _de_forms(name.lower() if rng.random() < 0.15 else name, _de_gender(name))


def _de_kind(device: dict) -> tuple[str, str] | None:
    """The longest kind word of the device's domain that its name holds, with its gender."""
    kinds = [(w, g) for w, g in DE_KINDS.get(domain_of(device), ()) if w.lower() in device["name"].lower()]
    return max(kinds, key=lambda kind: len(kind[0])) if kinds else None


def de_command(device: dict, rng: random.Random, said: dict[str, str], with_args: bool = False,
               service: str | None = None) -> tuple[str, str, str] | None:  # fmt: skip
    """(user words, reply sentence, call line) in German: an argument-free service, or one with arguments."""
    domain = domain_of(device)
    plain = [s for s in DE_PLAIN.get(domain, {}) if available(device, s)]
    argful = [s for (d, s) in DE_ARGS if d == domain and available(device, s)]
    choices = (argful or plain) if with_args else (plain or argful)
    choices = [service] if service in choices else [] if service else choices
    if not choices:
        return None
    service = rng.choice(choices)
    if (domain, service) in DE_ARGS and (with_args or service not in DE_PLAIN.get(domain, {})):
        made = DE_ARGS[(domain, service)](device, rng, said)
        if made is None:
            return None
        user, answer, args = made
        return _capital(user), answer, call_line(device, service, args)
    says, answers = DE_PLAIN[domain][service]
    reply = rng.choice(answers).format(**device_forms(device))
    return _capital(rng.choice(says).format(**said)), reply, call_line(device, service)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _de_single(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """One German command on a device of the house, named or by its kind word."""
    builder.fill(size)
    devices = builder.house()
    device = rng.choice(devices)
    made = de_command(device, rng, _de_said(device, devices, rng))
    return (made[0], made[1], [made[2]]) if made else None


def _de_args(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """A German command with arguments, the service drawn evenly: brightness, colour, degrees, position,
    volume, mute, fan speed, a to-do item."""
    domain, service = rng.choice(list(DE_ARGS))
    area = rng.choice(builder.areas)
    device = builder.add_area_device(domain, area) if domain in DE_KINDS else builder.add("todo", "Einkaufsliste", area)
    builder.fill(size)
    if device is None:
        return None
    made = de_command(device, rng, _de_said(device, builder.house(), rng), with_args=True, service=service)
    return (made[0], made[1], [made[2]]) if made else None


def _de_area_pick(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """ "Mach das Licht in der Küche aus": the one device of that kind whose name holds the area."""
    domain = rng.choice(("light", "light", "light", "light", "cover", "climate", "fan", "media_player", "switch"))
    area = rng.choice(builder.areas)
    device = builder.add_area_device(domain, area)
    builder.fill(size)
    stem = DE_AREAS[area][0].lower()
    same = [d for d in builder.devices.values() if domain_of(d) == domain
            and (area.lower() in d["name"].lower() or stem in d["name"].lower())]  # fmt: skip
    if device is None or same != [device]:
        return None
    generic = {"light": (("Licht", "n"), ("Lampe", "f")), "climate": (("Heizung", "f"),)}.get(domain, ())
    word, gender = rng.choice(generic) if generic and rng.random() < 0.75 else _de_kind(device)
    made = de_command(device, rng, _de_forms(f"{word} {DE_AREAS[area][1]}", gender), rng.random() < 0.3)
    return (made[0], made[1], [made[2]]) if made else None


def _de_multi(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """Two German commands joined by "und"."""
    builder.fill(max(size, 4))
    devices = builder.house()
    parts = [de_command(d, rng, _de_said(d, devices, rng), rng.random() < 0.25) for d in rng.sample(devices, 2)]
    if not all(parts):
        return None
    second = parts[1][0]
    if second.split()[0].lower() not in {w.lower() for d in devices for w in d["name"].split()}:  # a verb starts it
        second = second[:1].lower() + second[1:]
    user = parts[0][0].rstrip("?") + rng.choice((" und ", ", und ", " und dann ")) + second
    return user, _join_sentences([p[1] for p in parts], "und"), [p[2] for p in parts]


DE_STATES = {"on": "an", "off": "aus", "open": "offen", "closed": "geschlossen", "locked": "abgeschlossen",
             "unlocked": "aufgeschlossen"}  # fmt: skip
DE_QUESTIONS = {
    "light": ("{Ist} {n} an?", "{Ist} {n} aus?", "Brennt {n}?", "Hab ich {a} angelassen?"),
    "switch": ("{Ist} {n} an?", "Läuft {n}?"),
    "fan": ("{Ist} {n} an?", "Läuft {n}?"),
    "cover": ("{Ist} {n} offen?", "{Ist} {n} zu?", "{Ist} {n} geschlossen?"),
    "lock": ("{Ist} {n} abgeschlossen?", "Hab ich {a} abgeschlossen?", "{Ist} {n} zu?"),
}
DE_ANSWERS = ("{N} {ist} {s}.", "{N} {ist} gerade {s}.", "Im Moment {ist} {n} {s}.")
DE_CHAT = (
    ("Hallo", "Hallo! Wie kann ich im Haus helfen?"), ("Guten Morgen, Al", "Guten Morgen! Was kann ich für dich tun?"),
    ("Danke", "Gern geschehen!"), ("Vielen Dank", "Gerne."),
    ("Wer bist du?", "Ich bin Al, dein Assistent für dieses Haus. Ich steuere die Geräte hier."),
    ("Was kannst du?", "Ich kann die Geräte in deinem Haus ein- und ausschalten, Rollläden bewegen und Fragen "
                       "zu ihrem Zustand beantworten."),
    ("Wie viele Geräte steuerst du?", "Ich steuere {count} Geräte in diesem Haus."),
    ("Erzähl mir einen Witz", "Warum ging die Lampe zur Schule? Sie wollte heller werden."),
    ("Okay, super", "Okay."), ("Hörst du mich?", "Ja, ich höre dich. Was soll ich tun?"), ("Tschüss", "Bis später!"),
    ("Du bist toll", "Danke! Kann ich noch etwas tun?"),
)  # fmt: skip
DE_ABSENT = (("Sauna", "f"), ("Whirlpool", "m"), ("Spülmaschine", "f"), ("Backofen", "m"), ("Kamin", "m"),
             ("Beamer", "m"), ("Aquarium", "n"), ("Poolheizung", "f"), ("Eismaschine", "f"), ("Laufband", "n"),
             ("Pizzaofen", "m"), ("Weinkühlschrank", "m"), ("Trockner", "m"))  # fmt: skip
DE_ABSENT_SAID = ("Schalte {a} ein", "Mach {a} an", "{Ist} {n} an?", "Starte {a}", "Mach {a} aus")
DE_ABSENT_REPLIES = ("Ich finde {k} {b} in diesem Haus.", "Hier gibt es {k} {b}, {r} ich steuern kann.",
                     "Ich sehe {k} {b} unter deinen Geräten.")  # fmt: skip
DE_KEIN = {"m": "keinen", "f": "keine", "n": "kein", "p": "keine"}
DE_CANNOT = ("Bestell mir eine Pizza", "Ruf meine Schwester an", "Koch das Abendessen", "Spül das Geschirr",
             "Bring den Müll raus", "Mäh den Rasen", "Buch mir ein Taxi", "Schreib eine E-Mail an meinen Chef",
             "Such meine Schlüssel", "Lies mir die Nachrichten vor", "Back einen Kuchen",
             "Geh mit dem Hund raus")  # fmt: skip
DE_CANNOT_REPLIES = ("Das kann ich leider nicht. Ich kann nur die Geräte in diesem Haus steuern.",
                     "Tut mir leid, das geht nicht. Ich steuere nur die Geräte in deinem Haus.")  # fmt: skip


def _de_question(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """ "Ist das Küchenlicht an?", answered from the state in the prompt, in German."""
    builder.fill(size)
    devices = [d for d in builder.house() if domain_of(d) in DE_QUESTIONS and d["state"] in DE_STATES]
    if not devices:
        return None
    device = rng.choice(devices)
    user = rng.choice(DE_QUESTIONS[domain_of(device)]).format(**_de_said(device, builder.house(), rng))
    return _capital(user), rng.choice(DE_ANSWERS).format(**device_forms(device), s=DE_STATES[device["state"]]), []


def _de_chat(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """German small talk: a friendly answer, no call."""
    builder.fill(size)
    user, reply = rng.choice(DE_CHAT)
    return user, reply.format(count=len(builder.devices)), []


def _de_absent(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """A thing the house does not have ("Schalte die Sauna ein"): said so, nothing touched."""
    builder.fill(size)
    thing, gender = rng.choice(DE_ABSENT)
    if _mentions(builder.house(), thing):
        return None
    forms = _de_forms(thing, gender)
    reply = rng.choice(DE_ABSENT_REPLIES).format(**forms, k=DE_KEIN[gender], r=ARTICLES["acc"][gender])
    return rng.choice(DE_ABSENT_SAID).format(**forms), reply, []


def _de_cannot(builder: HouseBuilder, size: int, rng: random.Random) -> Made3 | None:
    """Something no device does, asked in German: nothing is touched, not even the shopping list."""
    if rng.random() < 0.5:
        builder.add("todo", "Einkaufsliste", rng.choice(builder.areas), ("0", "2"))
    builder.fill(size)
    return rng.choice(DE_CANNOT), rng.choice(DE_CANNOT_REPLIES), []


# The German kinds, weighted as their English namesakes (area-pick twice: "das Licht in der Küche" is how
# German households most often name a device).
GERMAN_KIND_MAKERS: dict[str, tuple[Callable[[HouseBuilder, int, random.Random], Made3 | None], float]] = {
    "single": (_de_single, KIND_MAKERS["single"][1]),
    "args": (_de_args, KIND_MAKERS["args"][1]),
    "multi": (_de_multi, KIND_MAKERS["multi"][1]),
    "area-pick": (_de_area_pick, 2 * KIND_MAKERS["area-pick"][1]),
    "question": (_de_question, KIND_MAKERS["question"][1]),
    "chat": (_de_chat, KIND_MAKERS["chat"][1]),
    "absent": (_de_absent, KIND_MAKERS["absent"][1]),
    "cannot": (_de_cannot, KIND_MAKERS["cannot"][1]),
}


@functools.cache
def held_out_texts() -> frozenset[str]:
    """The user texts of datasets/*.jsonl (the evaluation sets): never generated as a request."""
    texts: set[str] = set()
    for path in sorted((REPO / "datasets").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                text = json.loads(line).get("text") if line.strip() else None
            except (ValueError, AttributeError):
                continue
            if isinstance(text, str):
                texts.add(_normal(text))
    return frozenset(texts)


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def make_example(rng: random.Random, max_tokens: int = MAX_TOKENS) -> Example:
    """One example: a kind drawn by its weight, a house of 3..60 devices (fewer where the prompt would
    pass `max_tokens`; 0: no limit), the request and the reply."""
    german = rng.random() < GERMAN_SHARE
    makers, builder_type = (GERMAN_KIND_MAKERS, GermanHouseBuilder) if german else (KIND_MAKERS, HouseBuilder)
    kinds = list(makers)
    kind = rng.choices(kinds, weights=[makers[k][1] for k in kinds])[0]
    chars_per_token = GERMAN_CHARS_PER_TOKEN if german else CHARS_PER_TOKEN
    max_chars = max_tokens * chars_per_token - RESERVED_CHARS if max_tokens else math.inf
    for attempt in itertools.count():
        kind = kind if attempt < 8 else "single"  # a kind this stream cannot make gives way
        builder = builder_type(rng, max_chars)
        made = makers[kind][0](builder, house_size(rng), rng)
        if made is None or _normal(made[0]) in held_out_texts():
            continue
        user, sentence, calls = made
        devices = builder.house()
        reply = "\n".join([sentence, *calls])
        example = Example(devices, _services(devices), user, reply, calls, kind, rng.choice((0, 1, 2, 3, 4, 5, 5, 5)))
        if german:
            example.language = "de"
            example.persona = GERMAN_PERSONA if rng.random() < GERMAN_PERSONA_SHARE else ""
        example.stale = stale_states(devices, random.Random(user + reply), user)  # the main stream stays as it was
        if builder.chars + _block_chars(example) > max_chars:  # the block counts as house: it must fit too
            example.stale = {}
        # In-context examples give way in a house too big for all of them (measured only where it may be).
        limit = max_tokens * chars_per_token if max_tokens else math.inf
        rough = builder.chars + len(example.persona or const.DEFAULT_PERSONA) + 200 * (example.num_examples + 1)
        rough += len(reply) + len(user)
        rough += _block_chars(example)
        if rough > limit:
            example.num_examples = _examples_that_fit(example, limit)
            if example.num_examples < 0:
                continue
        return example


STALE_SHARE = 0.25  # of the examples, prompted as if 1-3 devices changed since the prompt was cached
_OTHER_STATE = {
    "on": "off", "off": "on", "open": "closed", "closed": "open", "playing": "paused", "paused": "playing",
    "idle": "playing", "locked": "unlocked", "unlocked": "locked", "docked": "cleaning", "cleaning": "docked",
}  # fmt: skip


def stale_states(devices: list[dict], rng: random.Random, user: str = "") -> dict[str, str]:
    """For STALE_SHARE of the examples, 1-3 devices with the other state the cached prompt still shows;
    half the time one of them is the device the request names, so a state question must read the block."""
    changeable = [d for d in devices if d["state"] in _OTHER_STATE]
    if len(devices) < 2 or not changeable or rng.random() >= STALE_SHARE:
        return {}
    picked = rng.sample(changeable, min(len(changeable), rng.randint(1, 3)))
    named = [d for d in changeable if d["name"].lower() in user.lower() and d not in picked]
    if named and rng.random() < 0.5:
        picked[0] = named[0]
    return {d["entity_id"]: _OTHER_STATE[d["state"]] for d in picked}


def _block_chars(example: Example) -> int:
    """Characters of the `Updated devices:` block a stale example's prompt adds (it ends the system
    message; counted with a message's overhead, an upper bound)."""
    if not example.stale:
        return 0
    changed = [device for device in example.house().devices if device.entity_id in example.stale]
    return CHATML_OVERHEAD + len(prompt.CHANGES_HEADER) + sum(len(prompt.device_line(d)) + 1 for d in changed)


def _examples_that_fit(example: Example, limit: float) -> int:
    """The most in-context examples (up to the example's own count) with which the text fits `limit`;
    -1 when it does not fit even without any (a long reply: many calls in a big house)."""
    house = example.house()
    persona = example.persona or const.DEFAULT_PERSONA
    fixed = len(prompt.system_prompt(house, persona)) + len(example.user) + len(example.reply)
    fixed += 3 * CHATML_OVERHEAD + len(const.CHATML_STOP)  # system, user and the open assistant turn
    fixed += _block_chars(example)
    for count in range(example.num_examples, -1, -1):
        pairs = prompt.examples(house, count)
        if fixed + sum(len(said) + len(answer) + 2 * CHATML_OVERHEAD for said, answer in pairs) <= limit:
            return count
    return -1


CHATML_OVERHEAD = len(prompt.to_chatml([prompt.Message("user", "")])) - len(prompt.to_chatml([]))


def generate(count: int, seed: int, max_tokens: int = MAX_TOKENS) -> list[Example]:
    """`count` examples from one random stream."""
    rng = random.Random(seed)
    return [make_example(rng, max_tokens) for _ in range(count)]


def split(train: int, validation: int, seed: int, max_tokens: int = MAX_TOKENS) -> tuple[list[Example], list[Example]]:
    """A train and a validation set from separate random streams; no request, reply and house repeats.

    Chit-chat and the like come from short lists, so their words recur with other houses: keying on the
    words alone would leave the validation split without them."""
    train_set = generate(train, seed, max_tokens)
    seen = {_key(e) for e in train_set}
    drawn = generate(validation * 2, seed + 1_000_003, max_tokens)
    validation_set = [e for e in drawn if _key(e) not in seen]
    return train_set, validation_set[:validation]


def _key(example: Example) -> tuple[str, str, tuple[str, ...]]:
    return example.user, example.reply, tuple(d["entity_id"] for d in example.devices)


def write_jsonl(examples: list[Example], path: Path) -> None:
    """Write examples atomically, one JSON object a line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with tmp.open("w") as out:
        for example in examples:
            out.write(json.dumps(asdict(example)) + "\n")
    tmp.replace(path)


def read_jsonl(path: Path) -> list[Example]:
    """Examples back from write_jsonl's file."""
    with path.open() as lines:
        return [Example(**json.loads(line)) for line in lines if line.strip()]


def kind_mix(examples: list[Example]) -> dict[str, int]:
    """How many examples of each kind, commonest first."""
    return dict(Counter(e.kind for e in examples).most_common())


def main() -> None:
    """Write train.jsonl and validation.jsonl."""
    args = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("--out", type=Path, default=Path("training/data"))
    args.add_argument("--train", type=int, default=2400)
    args.add_argument("--validation", type=int, default=200)
    args.add_argument("--seed", type=int, default=8)
    args.add_argument("--max-tokens", type=int, default=MAX_TOKENS, help="houses stop growing here (0: 3..60 always)")
    opts = args.parse_args()
    train_set, validation_set = split(opts.train, opts.validation, opts.seed, opts.max_tokens)
    write_jsonl(train_set, opts.out / "train.jsonl")
    write_jsonl(validation_set, opts.out / "validation.jsonl")
    print(f"wrote {len(train_set)} train and {len(validation_set)} validation examples to {opts.out}")
    print("kinds:", json.dumps(kind_mix(train_set)))
    print("languages:", json.dumps(Counter(e.language for e in train_set)))


if __name__ == "__main__":
    main()
