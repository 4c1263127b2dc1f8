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

from .grounding import ENGLISH, Grounding, Hold
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
    hass: HomeAssistant, verdicts: list[Verdict], house: House, context: Context, grounding: Grounding = ENGLISH
) -> list[Outcome]:
    """Call each accepted service (blocking, so failures are known); refused ones are not run.

    `grounding`: the turn's language, for the reasons a call failed or was refused here.
    """
    phrases = grounding.phrases
    outcomes: list[Outcome] = []
    for verdict in verdicts:
        call = verdict.call
        device = house.device(call.entity_id)
        name = device.name if device else call.entity_id
        # The target comes last: no argument can replace it (the policy admits none that could).
        data = {**call.arguments, "entity_id": call.entity_id}
        reason = verdict.reason if not verdict.allowed else _schema_error(hass, call, data, grounding)
        if reason is not None:
            # %r: the target and reason come from the model's text and may hold newlines (log forging).
            _LOGGER.warning("Refused %r(%r): %r", call.service_name, call.entity_id, reason)
            outcomes.append(Outcome(call, "refused", name, reason))
            continue
        try:
            async with asyncio.timeout(SERVICE_CALL_TIMEOUT):
                await hass.services.async_call(call.domain, call.service, data, blocking=True, context=context)
        except TimeoutError:
            reason = phrases.text("timed_out", seconds=f"{SERVICE_CALL_TIMEOUT:g}")
            outcomes.append(Outcome(call, "failed", name, reason))
        except (HomeAssistantError, vol.Invalid, ValueError) as err:
            outcomes.append(Outcome(call, "failed", name, str(err) or type(err).__name__))
        except Exception as err:  # a faulty integration must not end the turn
            _LOGGER.exception("Calling %r failed", call.service_name)
            outcomes.append(Outcome(call, "failed", name, str(err) or type(err).__name__))
        else:
            after = hass.states.get(call.entity_id)
            outcomes.append(Outcome(call, "done", name, state=after.state if after else None))
    return outcomes


def _schema_error(hass: HomeAssistant, call: Call, data: dict[str, object], grounding: Grounding) -> str | None:
    """Why the service's own registered schema rejects `data`, or None when it accepts it."""
    service = hass.services.async_services_for_domain(call.domain).get(call.service)
    if service is None:
        return grounding.phrases.text("not_available", service=call.service_name)
    if service.schema is None:
        return None
    try:
        service.schema(dict(data))
    except vol.Invalid as err:
        return grounding.phrases.text("schema_refused", error=humanize_error(data, err))
    return None


def outcome_speech(
    outcomes: list[Outcome], held: list[Hold] | tuple[Hold, ...] = (), grounding: Grounding = ENGLISH
) -> str:
    """What the calls really did: the devices changed, then the question or reason for each call
    held back (`held`, see grounding.py), then why the others did not run; in `grounding`'s language."""
    phrases = grounding.phrases
    done = [(o.call, o.name, o.state) for o in outcomes if o.status == "done"]
    sentences = [grounding.confirmation(done)] if done else []
    for outcome in outcomes:
        hold = next((h for h in held if h.call == outcome.call), None) if outcome.status == "refused" else None
        if hold is not None:
            sentence = hold.sentence
        elif outcome.status == "refused":
            sentence = phrases.text(
                "refused", service=outcome.call.service_name, name=outcome.name, reason=outcome.error
            )
        elif outcome.status == "failed":
            sentence = phrases.text("failed", service=outcome.call.service_name, name=outcome.name, error=outcome.error)
        else:
            continue
        if sentence not in sentences:  # two calls held for the same words ask one question
            sentences.append(sentence)
    return " ".join(sentences)
