"""Run the calls the policy accepted, with the user's Context, and report each outcome.

Before a call runs, its data is also checked against the schema the service registered in
Home Assistant, so a value Home Assistant would reject is refused with Home Assistant's reason.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Literal

import voluptuous as vol
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from voluptuous.humanize import humanize_error

from .grounding import Hold, confirmation
from .parser import Call
from .policy import Verdict
from .snapshot import House

_LOGGER = logging.getLogger(__name__)

# A service call that hangs (a device that never answers) must not hold the whole turn: the
# response timeout covers generation only, so each call gets its own limit.
SERVICE_CALL_TIMEOUT = 15.0


@dataclass(frozen=True, slots=True)
class Outcome:
    call: Call
    status: Literal["done", "refused", "failed"]
    name: str  # the device's friendly name, or the id the model wrote
    error: str | None = None
    state: str | None = None  # the device's state after a call that ran (what a toggle did)


async def async_run_calls(
    hass: HomeAssistant, verdicts: list[Verdict], house: House, context: Context
) -> list[Outcome]:
    """Call each accepted service (blocking, so failures are known); refused ones are not run."""
    outcomes: list[Outcome] = []
    for verdict in verdicts:
        call = verdict.call
        device = house.device(call.entity_id)
        name = device.name if device else call.entity_id
        # The target comes last: no argument can replace it (the policy admits none that could).
        data = {**call.arguments, "entity_id": call.entity_id}
        reason = verdict.reason if not verdict.allowed else _schema_error(hass, call, data)
        if reason is not None:
            # %r: the target and reason come from the model's text and may hold newlines (log forging).
            _LOGGER.warning("Refused %r(%r): %r", call.service_name, call.entity_id, reason)
            outcomes.append(Outcome(call, "refused", name, reason))
            continue
        try:
            async with asyncio.timeout(SERVICE_CALL_TIMEOUT):
                await hass.services.async_call(call.domain, call.service, data, blocking=True, context=context)
        except TimeoutError:
            outcomes.append(Outcome(call, "failed", name, f"it did not finish within {SERVICE_CALL_TIMEOUT:g} s"))
        except (HomeAssistantError, vol.Invalid, ValueError) as err:
            outcomes.append(Outcome(call, "failed", name, str(err) or type(err).__name__))
        except Exception as err:  # a faulty integration must not end the turn
            _LOGGER.exception("Calling %r failed", call.service_name)
            outcomes.append(Outcome(call, "failed", name, str(err) or type(err).__name__))
        else:
            after = hass.states.get(call.entity_id)
            outcomes.append(Outcome(call, "done", name, state=after.state if after else None))
    return outcomes


def _schema_error(hass: HomeAssistant, call: Call, data: dict[str, object]) -> str | None:
    """Why the service's own registered schema rejects `data`, or None when it accepts it."""
    service = hass.services.async_services_for_domain(call.domain).get(call.service)
    if service is None:
        return f"{call.service_name} is not available in Home Assistant"
    if service.schema is None:
        return None
    try:
        service.schema(dict(data))
    except vol.Invalid as err:
        return f"Home Assistant refused the arguments ({humanize_error(data, err)})"
    return None


def outcome_speech(outcomes: list[Outcome], held: list[Hold] | tuple[Hold, ...] = ()) -> str:
    """What the calls really did: the devices changed, then the question or reason for each call
    held back (`held`, see grounding.py), then why the others did not run."""
    done = [(o.call, o.name, o.state) for o in outcomes if o.status == "done"]
    sentences = [confirmation(done)] if done else []
    for outcome in outcomes:
        hold = next((h for h in held if h.call == outcome.call), None) if outcome.status == "refused" else None
        if hold is not None:
            sentence = hold.sentence
        elif outcome.status == "refused":
            sentence = f"I did not run {outcome.call.service_name} on {outcome.name}: {outcome.error}."
        elif outcome.status == "failed":
            sentence = f"{outcome.call.service_name} on {outcome.name} failed: {outcome.error}."
        else:
            continue
        if sentence not in sentences:  # two calls held for the same words ask one question
            sentences.append(sentence)
    return " ".join(sentences)
