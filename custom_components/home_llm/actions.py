"""Run the calls the policy accepted, with the user's Context, and report each outcome.

Before a call runs, its data is also checked against the schema the service registered in
Home Assistant, so a value Home Assistant would reject is refused with Home Assistant's reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import voluptuous as vol
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from voluptuous.humanize import humanize_error

from .parser import Call
from .policy import Verdict
from .snapshot import House

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    call: Call
    status: Literal["done", "refused", "failed"]
    name: str  # the device's friendly name, or the id the model wrote
    error: str | None = None


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
            _LOGGER.warning("Refused %s(%s): %s", call.service_name, call.entity_id, reason)
            outcomes.append(Outcome(call, "refused", name, reason))
            continue
        try:
            await hass.services.async_call(call.domain, call.service, data, blocking=True, context=context)
        except (HomeAssistantError, vol.Invalid, ValueError) as err:
            outcomes.append(Outcome(call, "failed", name, str(err) or type(err).__name__))
        except Exception as err:  # a faulty integration must not end the turn
            _LOGGER.exception("Calling %s failed", call.service_name)
            outcomes.append(Outcome(call, "failed", name, str(err) or type(err).__name__))
        else:
            outcomes.append(Outcome(call, "done", name))
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


def outcome_speech(outcomes: list[Outcome]) -> str:
    """Sentences telling the user about every call that did not happen."""
    sentences = []
    for outcome in outcomes:
        if outcome.status == "refused":
            sentences.append(f"I did not run {outcome.call.service_name} on {outcome.name}: {outcome.error}.")
        elif outcome.status == "failed":
            sentences.append(f"{outcome.call.service_name} on {outcome.name} failed: {outcome.error}.")
    return " ".join(sentences)
