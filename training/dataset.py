"""Synthetic training data: random houses, a user request, the reply in the model card's format.

Pure Python and deterministic for a seed. Every phrasing here was written for this project
(the Home Assistant intents sentences are kept apart: they are the held-out test phrasings).

    python -m training.dataset --out training/data --train 2400 --validation 200 --seed 8
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from training.pure import const, snapshot

AREAS = (
    "kitchen",
    "living room",
    "bedroom",
    "master bedroom",
    "office",
    "garage",
    "hallway",
    "bathroom",
    "dining room",
    "basement",
    "porch",
    "patio",
    "kids room",
    "guest room",
    "laundry room",
    "attic",
    "nursery",
    "study",
    "den",
    "entryway",
)
# Per domain: what a device is called (after an optional area) and the states it may be in.
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "light": (
        (
            "light",
            "lamp",
            "ceiling light",
            "lights",
            "floor lamp",
            "desk lamp",
            "spotlights",
            "pendant",
            "strip",
            "chandelier",
            "bulb",
            "night light",
        ),
        ("on", "off"),
    ),
    "switch": (
        (
            "switch",
            "plug",
            "outlet",
            "heater",
            "kettle",
            "coffee machine",
            "power strip",
            "christmas tree",
            "fountain",
            "dehumidifier",
        ),
        ("on", "off"),
    ),
    "fan": (("fan", "ceiling fan", "exhaust fan", "tower fan", "air purifier"), ("on", "off")),
    "cover": (
        ("blinds", "curtains", "shades", "garage door", "shutters", "awning", "window", "roller blind"),
        ("open", "closed"),
    ),
    "lock": (("lock", "door lock", "front door", "back door", "deadbolt", "gate lock"), ("locked", "unlocked")),
    "media_player": (
        ("tv", "speaker", "soundbar", "stereo", "chromecast", "radio", "sonos"),
        ("playing", "paused", "idle", "off"),
    ),
    "climate": (("thermostat", "heat pump", "air conditioner", "ac", "radiator"), ("heat", "cool", "off", "auto")),
    "vacuum": (("vacuum", "robot vacuum", "roomba", "robot cleaner"), ("docked", "cleaning", "returning", "idle")),
}
STANDALONE_NAMES: dict[str, tuple[str, ...]] = {
    "light": ("Reading Lamp", "Bedside Lamp", "Porch Light", "Fairy Lights", "Accent Light", "Aquarium Light"),
    "switch": ("Espresso Machine", "Pool Pump", "Irrigation", "Electric Blanket", "Towel Warmer", "Printer"),
    "fan": ("Big Fan", "Box Fan", "Attic Fan"),
    "cover": ("Skylight", "Patio Door Blinds", "Main Garage Door"),
    "lock": ("Front Door", "Side Gate", "Shed Lock"),
    "media_player": ("Home Theater", "Kitchen Echo", "Record Player"),
    "climate": ("Downstairs Thermostat", "Upstairs Thermostat", "Nest"),
    "vacuum": ("Robbie", "Dusty", "Roborock"),
}
VENDOR_IDS = ("hue_bulb", "shelly", "tuya", "zigbee", "sonoff", "ikea", "tplink", "meross", "aqara")

# Things no generated house has, for requests that must be answered without a call.
ABSENT_THINGS = (
    "sauna",
    "hot tub",
    "sprinkler",
    "dishwasher",
    "aquarium pump",
    "garden lights",
    "jacuzzi",
    "oven",
    "washing machine",
    "doorbell camera",
    "pool heater",
    "fireplace",
    "humidifier",
    "projector",
    "sound machine",
    "car charger",
    "wine cooler",
    "treadmill",
    "snow melter",
    "fish feeder",
)

# (service, what the user says, what the assistant says); {n} is the device's name.
ACTIONS: dict[str, tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]] = {}
_ON_OFF = (
    (
        "turn_on",
        (
            "turn on the {n}",
            "turn the {n} on",
            "switch on the {n}",
            "please turn on the {n}",
            "{n} on",
            "can you turn on the {n}?",
            "could you switch the {n} on please",
            "power on the {n}",
            "activate the {n}",
            "I'd like the {n} on",
            "put the {n} on",
            "the {n} on please",
            "enable the {n}",
            "start the {n}",
            "turn on {n}",
            "hey, turn the {n} on",
        ),
        (
            "Turning on the {n}.",
            "Switching on the {n} for you.",
            "Sure, turning the {n} on.",
            "Turning on the {n} for you now.",
            "Okay, the {n} is going on.",
        ),
    ),
    (
        "turn_off",
        (
            "turn off the {n}",
            "turn the {n} off",
            "switch off the {n}",
            "please turn off the {n}",
            "{n} off",
            "can you turn off the {n}?",
            "could you switch the {n} off please",
            "power off the {n}",
            "shut off the {n}",
            "kill the {n}",
            "deactivate the {n}",
            "disable the {n}",
            "I don't need the {n} anymore, turn it off",
            "turn off {n}",
            "cut the {n}",
            "stop the {n}",
        ),
        (
            "Turning off the {n}.",
            "Switching off the {n} for you.",
            "Sure, turning the {n} off.",
            "Turning off the {n} for you now.",
            "Okay, the {n} is going off.",
        ),
    ),
    (
        "toggle",
        ("toggle the {n}", "flip the {n}", "toggle {n}", "switch the {n} over", "flip the {n} switch"),
        ("Toggling the {n}.", "Flipping the {n} for you.", "Sure, toggling the {n}."),
    ),
)
ACTIONS["light"] = (
    *_ON_OFF[:2],
    _ON_OFF[2],
    (
        "turn_on",
        ("lights on in the {n}", "light up the {n}", "illuminate the {n}", "I need light, turn on the {n}"),
        ("Turning on the {n}.", "Lighting up the {n}."),
    ),
    ("turn_off", ("lights out for the {n}", "darken the {n}", "no more {n}, turn it off"), ("Turning off the {n}.",)),
)
ACTIONS["switch"] = _ON_OFF
ACTIONS["fan"] = (
    *_ON_OFF,
    (
        "turn_on",
        ("I'm hot, turn on the {n}", "get the {n} going", "start the {n} up"),
        ("Turning on the {n}.", "Starting the {n}."),
    ),
)
ACTIONS["climate"] = _ON_OFF[:2]
ACTIONS["cover"] = (
    (
        "open_cover",
        (
            "open the {n}",
            "open up the {n}",
            "raise the {n}",
            "please open the {n}",
            "can you open the {n}?",
            "{n} up",
            "lift the {n}",
            "pull up the {n}",
            "let some light in, open the {n}",
            "open {n}",
        ),
        ("Opening the {n}.", "Opening the {n} for you.", "Sure, raising the {n}."),
    ),
    (
        "close_cover",
        (
            "close the {n}",
            "shut the {n}",
            "lower the {n}",
            "please close the {n}",
            "can you close the {n}?",
            "{n} down",
            "pull down the {n}",
            "draw the {n}",
            "close {n}",
            "bring down the {n}",
        ),
        ("Closing the {n}.", "Closing the {n} for you.", "Sure, lowering the {n}."),
    ),
    (
        "stop_cover",
        ("stop the {n}", "halt the {n}", "stop moving the {n}", "freeze the {n} where it is"),
        ("Stopping the {n}.", "Stopping the {n} right there."),
    ),
)
ACTIONS["lock"] = (
    (
        "lock",
        (
            "lock the {n}",
            "please lock the {n}",
            "secure the {n}",
            "can you lock the {n}?",
            "make sure the {n} is locked",
            "lock up the {n}",
            "bolt the {n}",
            "lock {n}",
        ),
        ("Locking the {n}.", "Locking the {n} for you.", "Sure, securing the {n}."),
    ),
    (
        "unlock",
        (
            "unlock the {n}",
            "please unlock the {n}",
            "can you unlock the {n}?",
            "unbolt the {n}",
            "unlock {n}",
            "let me in, unlock the {n}",
        ),
        ("Unlocking the {n}.", "Unlocking the {n} for you."),
    ),
)
ACTIONS["media_player"] = (
    *_ON_OFF[:2],
    (
        "media_play",
        (
            "play the {n}",
            "resume the {n}",
            "resume playback on the {n}",
            "unpause the {n}",
            "start playing on the {n}",
            "continue the music on the {n}",
        ),
        ("Playing on the {n}.", "Resuming the {n}."),
    ),
    (
        "media_pause",
        (
            "pause the {n}",
            "pause playback on the {n}",
            "hold the {n} for a moment",
            "pause {n}",
            "can you pause the {n}?",
        ),
        ("Pausing the {n}.", "Pausing the {n} for you."),
    ),
    (
        "media_stop",
        ("stop the music on the {n}", "stop playback on the {n}", "stop playing on the {n}"),
        ("Stopping the {n}.",),
    ),
    (
        "media_next_track",
        (
            "next song on the {n}",
            "skip this track on the {n}",
            "skip to the next track on the {n}",
            "next track on the {n}",
        ),
        ("Skipping to the next track on the {n}.", "Next track on the {n}."),
    ),
    (
        "media_previous_track",
        ("previous song on the {n}", "go back a track on the {n}", "play the last song again on the {n}"),
        ("Going back a track on the {n}.",),
    ),
    (
        "volume_up",
        ("turn up the {n}", "louder on the {n}", "raise the volume of the {n}", "{n} volume up"),
        ("Turning up the volume on the {n}.", "Raising the {n}'s volume."),
    ),
    (
        "volume_down",
        ("turn down the {n}", "quieter on the {n}", "lower the volume of the {n}", "{n} volume down"),
        ("Turning down the volume on the {n}.", "Lowering the {n}'s volume."),
    ),
)
ACTIONS["vacuum"] = (
    (
        "start",
        (
            "start the {n}",
            "run the {n}",
            "vacuum with the {n}",
            "send the {n} to clean",
            "start cleaning with the {n}",
            "let the {n} clean the floors",
        ),
        ("Starting the {n}.", "Sending the {n} off to clean."),
    ),
    ("stop", ("stop the {n}", "halt the {n}", "stop cleaning with the {n}"), ("Stopping the {n}.",)),
    ("pause", ("pause the {n}", "pause the {n} for now"), ("Pausing the {n}.",)),
    (
        "return_to_base",
        ("send the {n} home", "dock the {n}", "return the {n} to its base", "send the {n} back to the dock"),
        ("Sending the {n} back to its dock.", "Returning the {n} to its base."),
    ),
)

# What each state is called in a question, and how a reply says it.
STATE_QUESTIONS: dict[str, tuple[str, ...]] = {
    "light": (
        "is the {n} on?",
        "are the {n} on?",
        "is the {n} off?",
        "what's the state of the {n}?",
        "did I leave the {n} on?",
    ),
    "switch": ("is the {n} on?", "is the {n} running?", "what's the state of the {n}?"),
    "fan": ("is the {n} on?", "is the {n} running?", "what's the {n} doing?"),
    "cover": ("is the {n} open?", "are the {n} closed?", "is the {n} open or closed?", "what's the state of the {n}?"),
    "lock": ("is the {n} locked?", "did I lock the {n}?", "is the {n} unlocked?", "what's the state of the {n}?"),
    "media_player": ("what is the {n} doing?", "is the {n} playing?", "is the {n} on?", "what's the state of the {n}?"),
    "climate": ("what mode is the {n} in?", "is the {n} on?", "what's the {n} set to?"),
    "vacuum": ("where is the {n}?", "is the {n} cleaning?", "what's the {n} doing?"),
}
STATE_ANSWERS = ("The {n} is {s}.", "Right now the {n} is {s}.", "The {n} is currently {s}.")

CHIT_CHAT = (
    ("hello", "Hello! How can I help with your house?"),
    ("hi there", "Hi! What would you like me to do?"),
    ("good morning", "Good morning! What can I do for you?"),
    ("thanks", "You're welcome!"),
    ("thank you so much", "Happy to help."),
    ("who are you?", "I'm Al, your home assistant. I can control the devices in your house."),
    (
        "what can you do?",
        "I can switch the devices of your house on and off, open and close covers and answer questions.",
    ),
    ("tell me a joke", "Why did the lamp go to school? To get a little brighter."),
    ("how are you?", "I'm doing well, thanks for asking. What can I do for you?"),
    ("what time is it?", "I can't tell the time, but I can control your devices."),
    ("what's the weather like?", "I don't have a weather report, sorry."),
    ("never mind", "Okay."),
    ("good night", "Good night! Sleep well."),
    ("are you a robot?", "I'm an AI assistant that runs your house."),
    ("can you order a pizza?", "Sorry, I can only control the devices in your house."),
    ("set a timer for ten minutes", "Sorry, I can't set timers, I can only control your devices."),
    ("what's two plus two?", "Two plus two is four."),
    ("I'm bored", "Maybe some music would help? Just tell me which speaker to play on."),
    ("how many devices do you control?", "I control {count} devices in this house."),
    ("ok", "Okay."),
)
ABSENT_REQUESTS = (
    ("turn on the {t}", "I couldn't find a {t} in this house."),
    ("switch off the {t}", "There is no {t} in this house that I can control."),
    ("start the {t}", "Sorry, I don't see a {t} among your devices."),
    ("open the {t}", "I couldn't find a {t} in this house."),
    ("can you turn the {t} off?", "Sorry, there's no {t} I can control."),
    ("is the {t} on?", "I don't see a {t} in this house."),
)
MULTI_JOINERS = (" and ", ", and ", " and also ", ", then ")


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

    def house(self) -> snapshot.House:
        devices = tuple(snapshot.Device(d["entity_id"], d["name"], d["state"], d.get("area")) for d in self.devices)
        return snapshot.House(devices, {k: tuple(v) for k, v in self.services.items()})


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def random_house(rng: random.Random) -> list[dict]:
    """4..16 devices over a few areas, with names as people give them."""
    size = rng.randint(4, 16)
    areas = rng.sample(AREAS, rng.randint(2, 6))
    devices: dict[str, dict] = {}
    names: set[str] = set()
    while len(devices) < size:
        domain = rng.choices(list(KINDS), weights=(6, 3, 2, 2, 1, 2, 1, 1))[0]
        kinds, states = KINDS[domain]
        area = rng.choice(areas)
        if rng.random() < 0.2:
            name = rng.choice(STANDALONE_NAMES[domain])
        else:
            name = f"{area} {rng.choice(kinds)}"
            name = name.title() if rng.random() < 0.7 else name.capitalize()
        if name.lower() in names:
            continue
        names.add(name.lower())
        stem = _slug(name) if rng.random() < 0.8 else f"{rng.choice(VENDOR_IDS)}_{rng.randint(1, 40)}"
        entity_id = f"{domain}.{stem}"
        if entity_id in devices:
            continue
        devices[entity_id] = {"entity_id": entity_id, "name": name, "state": rng.choice(states), "area": area}
    return [devices[key] for key in sorted(devices)]


def _services(devices: list[dict]) -> dict[str, list[str]]:
    domains = sorted({d["entity_id"].split(".")[0] for d in devices})
    return {domain: list(const.ALLOWED_SERVICES[domain]) for domain in domains}


def _said_name(device: dict, rng: random.Random) -> str:
    return device["name"].lower() if rng.random() < 0.85 else device["name"]


def _command(device: dict, rng: random.Random) -> tuple[str, str, str]:
    """(user words, reply sentence, call line) for one device."""
    domain = device["entity_id"].split(".")[0]
    service, says, answers = rng.choice(ACTIONS[domain])
    name = _said_name(device, rng)
    return (
        rng.choice(says).format(n=name),
        rng.choice(answers).format(n=device["name"].lower()),
        f"{domain}.{service}({device['entity_id']})",
    )


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def make_example(rng: random.Random) -> Example:
    devices = random_house(rng)
    services = _services(devices)
    roll = rng.random()
    if roll < 0.50:
        user, answer, call = _command(rng.choice(devices), rng)
        kind, reply, calls = "single", answer, [call]
    elif roll < 0.64:
        picked = rng.sample(devices, rng.choice((2, 2, 2, 3)))
        parts = [_command(device, rng) for device in picked]
        user = parts[0][0]
        for said, _, _ in parts[1:]:
            user += rng.choice(MULTI_JOINERS) + said.rstrip("?")
        sentences = [parts[0][1].rstrip(".")] + [_lower_first(p[1]).rstrip(".") for p in parts[1:]]
        kind, reply, calls = "multi", ", ".join(sentences[:-1]) + " and " + sentences[-1] + ".", [p[2] for p in parts]
    elif roll < 0.68:
        kind, user, reply, calls = _group(devices, rng)
    elif roll < 0.80:
        device = rng.choice(devices)
        domain = device["entity_id"].split(".")[0]
        user = rng.choice(STATE_QUESTIONS[domain]).format(n=_said_name(device, rng))
        reply = rng.choice(STATE_ANSWERS).format(n=device["name"].lower(), s=device["state"])
        kind, calls = "question", []
    elif roll < 0.88:
        user, reply = rng.choice(CHIT_CHAT)
        kind, reply, calls = "chat", reply.format(count=len(devices)), []
    else:
        present = " ".join(d["name"].lower() for d in devices)
        thing = rng.choice([t for t in ABSENT_THINGS if t not in present])
        said, answer = rng.choice(ABSENT_REQUESTS)
        kind, user, reply, calls = "absent", said.format(t=thing), answer.format(t=thing), []
    if calls:
        reply = reply + "\n" + "\n".join(calls)
    num_examples = rng.choice((0, 1, 2, 3, 4, 5, 5, 5))
    return Example(devices, services, user, reply, calls, kind, num_examples)


def _group(devices: list[dict], rng: random.Random) -> tuple[str, str, str, list[str]]:
    """All lights (or switches) whose name starts with an area: "turn off the kitchen lights"."""
    by_area: dict[tuple[str, str], list[dict]] = {}
    for device in devices:
        domain = device["entity_id"].split(".")[0]
        if domain in ("light", "switch") and device["name"].lower().startswith(device["area"]):
            by_area.setdefault((device["area"], domain), []).append(device)
    if not by_area:
        user, answer, call = _command(rng.choice(devices), rng)
        return "single", user, answer, [call]
    (area, domain), members = rng.choice(sorted(by_area.items()))
    on = rng.random() < 0.5
    word = "lights" if domain == "light" else "switches"
    verb = "on" if on else "off"
    user = rng.choice(
        (
            f"turn {verb} all the {area} {word}",
            f"turn {verb} the {word} in the {area}",
            f"{area} {word} {verb}",
            f"switch {verb} everything in the {area}" if domain == "switch" else f"all {word} {verb} in the {area}",
        )
    )
    calls = [f"{domain}.turn_{verb}({d['entity_id']})" for d in members]
    return "group", user, f"Turning {verb} the {word} in the {area}.", calls


def generate(count: int, seed: int) -> list[Example]:
    rng = random.Random(seed)
    return [make_example(rng) for _ in range(count)]


def split(train: int, validation: int, seed: int) -> tuple[list[Example], list[Example]]:
    """A train and a validation set from separate random streams; no user text + house repeats."""
    train_set = generate(train, seed)
    seen = {(e.user, e.reply) for e in train_set}
    validation_set = [e for e in generate(validation * 2, seed + 1_000_003) if (e.user, e.reply) not in seen]
    return train_set, validation_set[:validation]


def write_jsonl(examples: list[Example], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with tmp.open("w") as out:
        for example in examples:
            out.write(json.dumps(asdict(example)) + "\n")
    tmp.replace(path)


def read_jsonl(path: Path) -> list[Example]:
    with path.open() as lines:
        return [Example(**json.loads(line)) for line in lines if line.strip()]


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("--out", type=Path, default=Path("training/data"))
    args.add_argument("--train", type=int, default=2400)
    args.add_argument("--validation", type=int, default=200)
    args.add_argument("--seed", type=int, default=8)
    opts = args.parse_args()
    train_set, validation_set = split(opts.train, opts.validation, opts.seed)
    write_jsonl(train_set, opts.out / "train.jsonl")
    write_jsonl(validation_set, opts.out / "validation.jsonl")
    print(f"wrote {len(train_set)} train and {len(validation_set)} validation examples to {opts.out}")


if __name__ == "__main__":
    main()
