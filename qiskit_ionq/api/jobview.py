"""The one internal job view that every API adapter maps its job bodies to.

Why this module exists: jobs, results and backends are written once, for one shape of job
data, whatever API version the client talks. Each adapter (:mod:`.v03`, :mod:`.v04`) turns
its version's job objects into this view; nothing above :mod:`qiskit_ionq.api` ever sees a
version-specific field name.

The view is a plain ``dict`` (cheap to build, picklable, and what ``IonQClient.retrieve_job``
has always returned). Its keys are the v0.3 spellings, because the v0.3 body *is* the view
and its adapter then costs nothing:

=====================  =================================================================
key                    meaning
=====================  =================================================================
``id``                 job id
``status``             ``submitted | ready | running | completed | failed | canceled``
``target``             the backend the job runs on (``simulator``, ``qpu.forte-1``...)
``children``           child job ids in circuit order (``[]`` for a single-circuit job)
``parent_job_id``      the parent of a child job, when known
``request``            when the server received the job (epoch seconds)
``start``/``response`` when it started / finished (epoch seconds), when known
``qubits``             width of the job (the widest circuit)
``circuits``           number of circuits
``gate_counts``        ``{"1q": n, "2q": m}`` when known
``execution_time``     execution time in milliseconds, when known
``metadata``           the job's metadata (``{}`` when the API says ``null``)
``failure``            ``{"code", "error", "message"}`` of a failed job (both texts set)
``results_url``        where the probabilities are (root-relative, carrying its own
                       version segment), when the API says
``shots``, ``noise``, ``name``, ``registers``, ``warning``, ``settings``: as sent/echoed
=====================  =================================================================

A v0.4 job keeps its own extra fields beside these (``type``, ``dry_run``, ``session_id``,
``stats``, ``results``, ``output``, ``cost_model``...), so the v0.4-only features can read
them without a second request.

Module content: the view's status names and the small pure conversions the adapters share.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

__all__ = ["VIEW_STATUSES", "epoch_seconds"]

#: Status strings of the view (the v0.3 spellings; v0.4's ``started`` becomes ``running``).
VIEW_STATUSES = ("submitted", "ready", "running", "completed", "failed", "canceled")


def epoch_seconds(value: Any) -> Optional[float]:
    """A timestamp as epoch seconds: from epoch seconds, or an ISO-8601 string.

    v0.3 sends epoch seconds (numbers, sometimes as strings); v0.4 sends ISO-8601 strings
    such as ``2026-06-01T12:00:00.000Z``. A naive ISO string is read as UTC. Anything else
    (``None``, garbage) gives ``None``: a timestamp is never worth failing a job read for.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if not text:
        return None
    if "T" not in text and "-" not in text[1:]:  # not ISO: epoch seconds as text
        try:
            return float(text)
        except ValueError:
            return None
    if text[-1] in "Zz":  # Python < 3.11 reads no "Z" suffix
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()
