"""Pure: to-do requests read with Home Assistant's own sentences ("add milk to the shopping list").

Lists are often named after a shop or a purpose ("Albert Heijn", "Restock", "Johnny's Seeds"), and the
model then picks another list or another kind of device. Home Assistant's intents package already
holds, per language, the sentences people use to add an item to a list (the HassListAddItem intent);
hassil, its sentence matcher, reads the item and the list from the request, so the grounding does not
need a word list of its own for this. Both are installed with Home Assistant; without them this module
finds nothing and the grounding works as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .snapshot import Device

try:
    from hassil import Intents, recognize_all
    from hassil.intents import TextSlotList
except ImportError:  # outside Home Assistant (the training environment): no sentences, nothing found
    Intents = None  # type: ignore[assignment,misc]

ADD_ITEM_INTENT = "HassListAddItem"
_CONTEXT = {"domain": "todo"}


def add_item_sentences(data: Mapping[str, Any] | None) -> Any | None:
    """Home Assistant's add-to-list sentences of one language as hassil intents, or None."""
    if Intents is None or not data or ADD_ITEM_INTENT not in (data.get("intents") or {}):
        return None
    try:
        return Intents.from_dict({**data, "intents": {ADD_ITEM_INTENT: data["intents"][ADD_ITEM_INTENT]}})
    except (KeyError, TypeError, ValueError):  # a package version whose format this hassil does not read
        return None


def list_names(lists: Iterable[Device]) -> list[tuple[str, str, dict[str, str]]]:
    """The words each list can be called by: its name, its aliases and the leading words of its name
    ("Johnny's" for "Johnny's Seeds"), each with the list's entity id as the slot's value."""
    names: list[tuple[str, str, dict[str, str]]] = []
    for device in lists:
        spoken = {device.name, *device.aliases, device.entity_id.split(".", 1)[-1].replace("_", " ")}
        words = device.name.split()
        spoken |= {" ".join(words[:count]) for count in range(1, len(words))}
        names += [(name, device.entity_id, _CONTEXT) for name in sorted(spoken) if name.strip()]
    return names


def asked_addition(sentences: Any | None, text: str, lists: Iterable[Device]) -> tuple[str, str] | None:
    """(list entity id, item) when the whole request asks to add one item to exactly one of `lists`."""
    names = list_names(lists)
    if sentences is None or not names or not text.strip():
        return None
    slot_lists = {"name": TextSlotList.from_tuples(names)}
    found = {
        (str(result.entities["name"].value), str(result.entities["item"].value).strip())
        for result in recognize_all(text, sentences, slot_lists=slot_lists, intent_context=_CONTEXT)
        if "name" in result.entities and "item" in result.entities
    }
    if len({entity_id for entity_id, _item in found}) != 1:  # no list, or a name two lists share
        return None
    # German sentences also read the verb into the item ("Setz Kaffee"): the shortest reading is the item.
    entity_id, item = min(found, key=lambda pair: len(pair[1]))
    return (entity_id, item) if item else None
