"""Exactly-once job creation on top of an API that has no idempotency key.

Why this module exists: ``POST /jobs`` is the only request of IonQ API v0.3 that creates
something, and the API offers no idempotency key (``/work/shared/ionq-api-v0.3.md`` section
7.5). A failure after the request reached the server (a read timeout, a connection dropped
after sending, a 500 or a CDN 502 after the job was stored, a 2xx whose body has no id)
leaves the client not knowing whether the job exists. Blindly retrying then risks a
*duplicate* job (billed and run twice); giving up risks a *lost* job, created server-side
while its id is never learned. Both hazards are listed in section 7.5 of the fact sheet.

What it does: :func:`submit_exactly_once` tags a copy of the job body's ``metadata`` with a
client-generated submission id (``constants.SUBMISSION_ID_KEY``: a uuid4 hex, or the
caller's own), posts it, and on an ambiguous failure *reconciles*: it reads ``GET /jobs``
newest first and adopts the job carrying that id. It resubmits (same id) only once the list
proves no such job exists, and raises, saying the job MAY EXIST, when the list cannot be
read completely.

HTTP itself (pooling, timeouts, retries of failures before anything was sent, error
wrapping) belongs to :mod:`qiskit_ionq.api.transport`; the routes to the API adapter
(:mod:`qiskit_ionq.api.v03`) and the credentials to the client facade
(:class:`~qiskit_ionq.ionq_client.IonQClient`), which the adapter passes here as the
collaborator. This module never imports an HTTP library.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import uuid
from email.utils import parsedate_to_datetime
from typing import Any, Dict, List, Mapping, Optional, Protocol, Tuple

from ..constants import SUBMISSION_ID_KEY
from ..exceptions import IonQClientError, IonQError
from .retry import parse_retry_after
from .transport import AmbiguousRequestError, Reply, Transport

__all__ = ["JobsClient", "SelfEncodingBody", "submit_exactly_once"]

logger = logging.getLogger("qiskit_ionq")

# How far before our first POST the job list must reach to prove absence. The server stamps
# `request` when it receives the job (fact sheet 5.2); we compare on the server's own clock
# (its Date header) when it sends one, else on ours with room for clock skew.
_SERVER_CLOCK_SLACK = 60.0
_LOCAL_CLOCK_SLACK = 300.0


class SelfEncodingBody(Protocol):
    """A job body that writes its own JSON: the serializer's ``JobPayload``.

    Its gate lists are JSON text already; decoding them to tag the metadata and encoding them
    again would double the client's cost of a large circuit (~0.1 s per 100k gates).
    """

    @property
    def metadata(self) -> Mapping[str, Any]:
        """The body's ``metadata`` object."""

    def to_json(self, metadata: Optional[Mapping[str, Any]] = None) -> str:
        """The body's JSON text, with ``metadata`` in place of its own."""


class JobsClient(Protocol):
    """What submission needs from the API adapter (:class:`.adapter.BaseAdapter`)."""

    @property
    def transport(self) -> Transport:
        """The HTTP transport: ``request``, ``policy``, ``clock``, ``sleep``, ``rng``."""

    @property
    def api_headers(self) -> Dict[str, str]:
        """Headers of an authenticated request (raises when there is no token)."""

    def make_path(self, *parts: Any) -> str:
        """The URL of a route, e.g. ``make_path("jobs")``."""

    def job_view(self, job: Mapping[str, Any]) -> Dict[str, Any]:
        """A job list entry of the API version as the internal job view (``request`` in
        epoch seconds, ``children``), so that reconciliation reads one shape."""


def submit_exactly_once(client: JobsClient, job: Any) -> Dict[str, Any]:
    """Create a job, exactly once (``POST /jobs``); see the module docstring.

    Args:
        client: supplies the transport, the authenticated headers and the ``jobs`` URL.
        job: the job body: a mapping, its JSON text, a :class:`SelfEncodingBody` (the
            serializer's ``JobPayload``), or an object with a ``serialize()`` method
            returning a mapping or text. It is not modified.

    Returns:
        The create response (``{"id", "status", ...}``), or, when the job was found by
        reconciliation, its entry from the job list.

    Raises:
        IonQAPIError: the server refused the job (or kept failing until the budget ran
            out, having proved each time that no job was created).
        IonQClientError: the server could not be reached; or (message naming the
            submission id) it may have created the job and the job list could not be
            checked, so resubmitting might duplicate it.

    Failures before anything was sent, and 429, are retried by the transport. After an
    ambiguous failure (read timeout, connection lost after sending, any 5xx/52x, a 2xx whose
    body has no id) the job list is searched for the submission id (:func:`_reconcile`): a
    match is adopted; proven absence leads to a resubmission (same id, bounded by
    ``max_attempts`` and ``total_timeout``), except after a 500, which is then reported; an
    incomplete search raises.
    """
    payload, sid = _tagged_payload(job)
    headers = client.api_headers
    transport = client.transport
    policy = transport.policy
    first_post = transport.clock()
    deadline = first_post + policy.total_timeout
    posts = 0
    while True:
        posts += 1
        try:
            reply = transport.request(
                "POST", client.make_path("jobs"), headers=headers, body=payload, deadline=deadline
            )
        except AmbiguousRequestError as amb:
            signal = amb
        else:
            created = _created(reply)
            if created is not None:
                return created
            signal = AmbiguousRequestError(
                f"POST /jobs answered HTTP {reply.status_code} without a job id",
                cause=IonQClientError(
                    f"The server answered the job submission (HTTP {reply.status_code}) "
                    f"without a job id: {' '.join(reply.text.split())[:100]!r}"
                ),
            )
        found = _reconcile(client, sid, first_post, signal)
        if found is not None:
            return found
        # A 503 asking for time (Retry-After) gets it before the resubmission, too.
        delay = policy.backoff_delay(
            posts, retry_after=_retry_after(signal.cause), rng=transport.rng
        )
        if (
            not signal.resubmit_if_absent
            or posts >= policy.max_attempts
            or transport.clock() + delay >= deadline
        ):
            raise signal.cause
        logger.info("Submission %s: resubmitting in %.2fs (POST %d)", sid, delay, posts + 1)
        transport.sleep(delay)


def _reconcile(
    client: JobsClient, sid: str, first_post: float, signal: AmbiguousRequestError
) -> Optional[Dict[str, Any]]:
    """Look for the job tagged ``sid`` in ``GET /jobs``; return it, or None if absent.

    The list is read newest first, ``reconcile_page_size`` jobs a page (fact sheet 2.3:
    ``limit``, cursor ``next``, absent on the last page). Absence is proven when the
    list ends, or when a page reaches a job requested before our first POST (minus a
    clock slack). Bounded by ``reconcile_max_pages`` and ``reconcile_timeout``; running
    out of either raises rather than guessing.

    Raises:
        IonQClientError: the list could not be read completely; the message names the
            submission id and says the job may exist.
    """
    transport = client.transport
    policy = transport.policy
    kind = type(signal.cause).__name__
    logger.info("Submission %s: ambiguous %s; looking for the job in GET /jobs", sid, kind)
    if policy.reconcile_delay > 0:
        transport.sleep(policy.reconcile_delay)
    deadline = transport.clock() + policy.reconcile_timeout
    # Listing only reads, so a 500 on it is retried like a 502 within this budget: one
    # transient server error must not turn into "the job MAY EXIST" for the caller.
    list_policy = dataclasses.replace(policy, retriable_statuses=policy.retriable_statuses | {500})
    cursor: Optional[str] = None
    cutoff: Optional[float] = None
    for _ in range(policy.reconcile_max_pages):
        params: Dict[str, Any] = {"limit": policy.reconcile_page_size}
        if cursor:
            params["next"] = cursor
        try:
            reply = transport.request(
                "GET",
                client.make_path("jobs"),
                headers=client.api_headers,
                params=params,
                deadline=deadline,
                policy=list_policy,
            )
            data = reply.json()
        except IonQError as err:
            problem = f"listing the jobs failed ({type(err).__name__}: {err})"
            break
        if cutoff is None:
            cutoff = _cutoff(transport, reply, first_post)
        jobs = data.get("jobs") if isinstance(data, dict) else None
        if not isinstance(jobs, list):
            problem = "the job list had an unexpected shape"
            break
        jobs = [client.job_view(j) if isinstance(j, Mapping) else j for j in jobs]
        matches = [j for j in jobs if _submission_id(j) == sid and j.get("id")]
        if matches:
            return _adopt(sid, matches)
        cursor = data.get("next")
        if not cursor or any(_requested(j) < cutoff for j in jobs if isinstance(j, dict)):
            logger.info("Submission %s: not in the job list, so no job was created", sid)
            return None
        if transport.clock() >= deadline:
            problem = f"the {policy.reconcile_timeout:g}s reconciliation budget ran out"
            break
    else:
        problem = f"the job was not in the newest {policy.reconcile_max_pages} pages"
    raise IonQClientError(
        f"The job submission with {SUBMISSION_ID_KEY}={sid} failed ambiguously "
        f"({signal.cause}), and checking whether IonQ created the job was not possible: "
        f"{problem}. The job MAY EXIST. Look for that metadata value in "
        f"client.list_jobs() before submitting again, to avoid running it twice."
    )


def _cutoff(transport: Transport, reply: Reply, first_post: float) -> float:
    """Epoch seconds before which a listed job cannot be ours (server clock when known)."""
    elapsed = transport.clock() - first_post
    try:
        server_now = parsedate_to_datetime(reply.headers.get("Date", "")).timestamp()
    except (TypeError, ValueError, IndexError, AttributeError):
        return time.time() - elapsed - _LOCAL_CLOCK_SLACK
    return server_now - elapsed - _SERVER_CLOCK_SLACK


def _retry_after(error: Any) -> Optional[float]:
    """The ``Retry-After`` seconds of an API error's response, if it sent one."""
    headers = getattr(error, "headers", None) or {}
    for name, value in headers.items():
        if str(name).lower() == "retry-after":
            return parse_retry_after(value)
    return None


def _tagged_payload(job: Any) -> Tuple[bytes, str]:
    """The JSON bytes of the job body, its metadata carrying a submission id; and that id.

    The caller's body is never modified: the id goes into a copy of its metadata.
    """
    if not (callable(getattr(job, "to_json", None)) and hasattr(job, "metadata")):
        serialize = getattr(job, "serialize", None)
        if callable(serialize):
            job = serialize()
        if isinstance(job, (str, bytes)):
            try:
                job = json.loads(job)
            except ValueError as err:
                raise IonQClientError(f"The job body is not valid JSON: {err}") from None
        if not isinstance(job, Mapping):
            raise IonQClientError(
                "submit_job needs a JSON object (a mapping or its JSON text), "
                f"got {type(job).__name__}."
            )
    metadata = job.get("metadata") if isinstance(job, Mapping) else job.metadata
    if not isinstance(metadata or {}, Mapping):
        raise IonQClientError("The job body's metadata must be a JSON object.")
    metadata = dict(metadata or {})
    sid = metadata.get(SUBMISSION_ID_KEY)
    if not isinstance(sid, str) or not sid:
        sid = uuid.uuid4().hex
        metadata[SUBMISSION_ID_KEY] = sid
    try:
        if isinstance(job, Mapping):
            # Compact separators: a smaller body to send and for the server to parse.
            text = json.dumps({**job, "metadata": metadata}, separators=(",", ":"))
        else:
            text = job.to_json(metadata)
    except (TypeError, ValueError) as err:
        raise IonQClientError(f"The job body is not JSON-serializable: {err}") from None
    return text.encode("utf-8"), sid


def _created(reply: Reply) -> Optional[Dict[str, Any]]:
    try:
        data = reply.json()
    except IonQClientError:
        return None
    if isinstance(data, dict) and isinstance(data.get("id"), str) and data["id"]:
        return data
    return None


def _submission_id(job: Any) -> Optional[str]:
    if not isinstance(job, Mapping):
        return None
    metadata = job.get("metadata")  # may be null (spec section 4)
    return metadata.get(SUBMISSION_ID_KEY) if isinstance(metadata, Mapping) else None


def _requested(job: Mapping[str, Any]) -> float:
    """When the server received the job (epoch seconds, fact sheet 5.2); +inf if unknown."""
    try:
        return float(job["request"])
    except (KeyError, TypeError, ValueError):
        return float("inf")


def _adopt(sid: str, matches: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The job to adopt among list entries carrying ``sid``.

    Children of a multi-circuit job might echo the parent's metadata (undocumented, fact
    sheet 8.19), so entries named in another match's ``children`` are set aside. If true
    duplicates remain (a server that stored a job long after we gave up on it), the oldest
    is adopted and the others are named in a warning.
    """
    child_ids = {str(c) for job in matches for c in (job.get("children") or [])}
    parents = [job for job in matches if str(job.get("id")) not in child_ids] or matches
    # Newest first in the list: the last entry is the oldest unless `request` says otherwise.
    chosen = min(reversed(parents), key=_requested)
    if len(parents) > 1:
        others = [str(j.get("id")) for j in parents if j is not chosen]
        duplicates = ", ".join(others)
        logger.warning(
            "Submission %s: adopting %s; also created: %s", sid, chosen["id"], duplicates
        )
    logger.info("Submission %s: adopting existing job %s", sid, chosen["id"])
    return dict(chosen)
