"""Exactly-once job creation on top of an API that has no idempotency key.

Why this module exists: ``POST /jobs`` is the only request of IonQ API v0.3 that creates
something, and the API offers no idempotency key. A failure after the request reached the
server leaves the client not knowing whether the job exists. Resubmitting then risks a
*duplicate* (billed and run twice); giving up risks a *lost* job, created server-side while
its id is never learned.

Every submission carries a client-generated submission id in its ``metadata``
(``constants.SUBMISSION_ID_KEY``: a uuid4 hex, or the caller's own), so that the job list
can say whether a given submission created a job. The rule, in full:

1. **Provably never reached the server** (connection refused, DNS failure, connect timeout,
   a proxy that refused us) or **refused without being processed** (429): send again. The
   transport does this within its retry budget.
2. **Answered "not stored"** (any other 4xx): nothing was created; the error is raised.
3. **Answered, and the answer ends the request's processing** (500, 501, 502, 503, 52x but
   the gateway timeouts; a 2xx without a job id): the job may have been stored before the
   failure, so the job list is searched for the submission id. Found: the job is adopted.
   Proven absent: the request was not stored, and is sent again (same submission id,
   bounded by ``max_attempts`` and ``total_timeout``).
4. **May still be in flight** (a read timeout, a connection reset after sending, a gateway
   timeout such as 504/524 -- see :data:`~qiskit_ionq.api.retry.IN_FLIGHT_STATUSES`): the
   server may store the job later (a large job validated for longer than the read timeout),
   so absence from the list proves NOTHING. The list is searched again and again for
   ``reconcile_timeout`` seconds; a job that appears is adopted. A job that does not is
   NEVER resubmitted: :class:`~qiskit_ionq.exceptions.IonQSubmissionUnknownError` names the
   submission id, says the job may still appear, and says how to look for it later
   (``qiskit-ionq job find <submission-id>`` or :func:`find_submission` /
   ``IonQClient.find_job``).

What counts as proof of absence: the list was read newest first until it ended or reached a
job requested before our first POST (minus clock slack), and every entry it showed from our
time window carried its ``metadata`` (a listing that omits metadata -- another tool's view,
a trimmed page -- cannot show a submission id, so it proves nothing). Anything less (a list
that cannot be read, too many pages) is reported as "the job MAY EXIST", never guessed.

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
from ..exceptions import IonQClientError, IonQError, IonQSubmissionUnknownError
from .retry import parse_retry_after
from .transport import AmbiguousRequestError, Reply, Transport

__all__ = ["JobsClient", "SelfEncodingBody", "find_submission", "submit_exactly_once"]

logger = logging.getLogger("qiskit_ionq")

# How far before our first POST the job list must reach to prove absence. The server stamps
# `request` when it receives the job (docs/reference/ionq-api.md §5.2); we compare on the
# server's own clock (its Date header) when it sends one, else on ours with room for clock skew.
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
    """Create a job, exactly once (``POST /jobs``); the rule is in the module docstring.

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
            submission id) the job list could not be checked, so the job MAY EXIST.
        IonQSubmissionUnknownError: the request may still be in flight and the job did
            not appear within ``reconcile_timeout``; it may still appear.
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
            # The server answered (so it is done with the request) but gave no job id.
            signal = AmbiguousRequestError(
                f"POST /jobs answered HTTP {reply.status_code} without a job id",
                cause=IonQClientError(
                    f"The server answered the job submission (HTTP {reply.status_code}) "
                    f"without a job id: {' '.join(reply.text.split())[:100]!r}"
                ),
                resubmit_if_absent=True,
            )
        found = _reconcile(client, sid, first_post, signal)
        if found is not None:
            return found
        # Proven absent after an answer that ended the request: it was not stored.
        # A 503 asking for time (Retry-After) gets it before the resubmission, too.
        delay = policy.backoff_delay(
            posts, retry_after=_retry_after(signal.cause), rng=transport.rng
        )
        if posts >= policy.max_attempts or transport.clock() + delay >= deadline:
            raise signal.cause
        logger.info("Submission %s: resubmitting in %.2fs (POST %d)", sid, delay, posts + 1)
        transport.sleep(delay)


class _Sweep:
    """The outcome of reading the job list once, looking for one submission id."""

    def __init__(self, found: Optional[Dict[str, Any]] = None, problem: str = "") -> None:
        self.found = found
        #: Why absence is not proven ("" when it is).
        self.problem = problem


def _reconcile(
    client: JobsClient, sid: str, first_post: float, signal: AmbiguousRequestError
) -> Optional[Dict[str, Any]]:
    """Find the job tagged ``sid`` after an ambiguous POST; None once absence is proven.

    After an answer that ended the request (``signal.resubmit_if_absent``), one complete
    read of the list decides. When the request may still be in flight, the list is read
    again (backing off from ``reconcile_delay`` up to ``max_delay``) until the job appears
    or ``reconcile_timeout`` runs out; absence then proves nothing, so it raises.

    Raises:
        IonQClientError: the list could not be read completely (the job MAY EXIST).
        IonQSubmissionUnknownError: in flight, and not found within the window.
    """
    transport = client.transport
    policy = transport.policy
    in_flight = not signal.resubmit_if_absent
    kind = type(signal.cause).__name__
    logger.info(
        "Submission %s: ambiguous %s%s; looking for the job in GET /jobs",
        sid,
        kind,
        " (the request may still be in flight)" if in_flight else "",
    )
    start = transport.clock()
    window_end = start + policy.reconcile_timeout
    pause = policy.reconcile_delay
    sweeps = 0
    while True:
        if pause > 0:
            transport.sleep(min(pause, max(window_end - transport.clock(), 0.0)))
        sweeps += 1
        sweep = _sweep(client, sid, first_post, window_end)
        if sweep.found is not None:
            return sweep.found
        if not in_flight:
            if not sweep.problem:
                logger.info("Submission %s: not in the job list, so no job was created", sid)
                return None
            raise IonQClientError(
                f"The job submission with {SUBMISSION_ID_KEY}={sid} failed ambiguously "
                f"({signal.cause}), and checking whether IonQ created the job was not "
                f"possible: {sweep.problem}. The job MAY EXIST. {_how_to_find(sid)}"
            )
        if transport.clock() >= window_end:
            break
        pause = min(max(pause * 2.0, 0.05), policy.max_delay)
    elapsed = transport.clock() - start
    why = (
        f"after {elapsed:.0f}s and {sweeps} look(s) at the job list it is not there"
        if not sweep.problem
        else f"and the job list could not be checked: {sweep.problem}"
    )
    raise IonQSubmissionUnknownError(
        f"The job submission with {SUBMISSION_ID_KEY}={sid} failed before the server "
        f"answered ({signal.cause}), {why}. The server may still be processing it, so the "
        f"job MAY EXIST and may still appear; it was NOT submitted again, to avoid running it "
        f"twice. {_how_to_find(sid)}",
        submission_id=sid,
    )


def _how_to_find(sid: str) -> str:
    return (
        f"To look for it: `qiskit-ionq job find {sid}` or client.find_job({sid!r}) "
        "(e.g. backend.client.find_job); submit again only if it is not found."
    )


def _sweep(client: JobsClient, sid: str, first_post: float, deadline: float) -> _Sweep:
    """Read ``GET /jobs`` newest first, ``reconcile_page_size`` jobs a page, once.

    Absence is proven when the list ends, or when a page reaches a job requested before our
    first POST (minus a clock slack), and every entry of our time window showed its
    ``metadata``. Bounded by ``reconcile_max_pages`` and ``deadline``.
    """
    transport = client.transport
    policy = transport.policy
    # Listing only reads: its 5xx (500 included) are retried within the deadline.
    list_policy = dataclasses.replace(policy, retriable_statuses=policy.retriable_statuses | {500})
    cursor: Optional[str] = None
    cutoff: Optional[float] = None
    blind = 0
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
                deadline=max(deadline, transport.clock() + 1.0),
                policy=list_policy,
            )
            data = reply.json()
        except IonQError as err:
            return _Sweep(problem=f"listing the jobs failed ({type(err).__name__}: {err})")
        if cutoff is None:
            cutoff = _cutoff(transport, reply, first_post)
        jobs = data.get("jobs") if isinstance(data, dict) else None
        if not isinstance(jobs, list):
            return _Sweep(problem="the job list had an unexpected shape")
        # An entry without a `metadata` field (in the API's own shape) cannot show its
        # submission id: if it is from our time window, it might be ours.
        shows = [not isinstance(j, Mapping) or "metadata" in j for j in jobs]
        jobs = [client.job_view(j) if isinstance(j, Mapping) else j for j in jobs]
        matches = [j for j in jobs if _submission_id(j) == sid and j.get("id")]
        if matches:
            return _Sweep(found=_adopt(sid, matches))
        blind += sum(
            1
            for j, seen in zip(jobs, shows)
            if not seen and isinstance(j, Mapping) and _requested(j) >= cutoff
        )
        cursor = data.get("next")
        if not cursor or any(_requested(j) < cutoff for j in jobs if isinstance(j, dict)):
            if blind:
                return _Sweep(
                    problem=f"the job list does not show the metadata of {blind} recent "
                    "job(s), so it cannot prove that none of them is this submission"
                )
            return _Sweep()
        if transport.clock() >= deadline:
            return _Sweep(
                problem=f"the {policy.reconcile_timeout:g}s reconciliation budget ran out"
            )
    return _Sweep(problem=f"the job was not in the newest {policy.reconcile_max_pages} pages")


def find_submission(client: JobsClient, sid: str, max_pages: int = 20) -> Optional[Dict[str, Any]]:
    """The job created by submission ``sid`` (newest first, ``max_pages`` pages), or None.

    What ``qiskit-ionq job find`` and ``IonQClient.find_job`` run after an
    :class:`~qiskit_ionq.exceptions.IonQSubmissionUnknownError`: one bounded look at the
    job list. None means "not among the newest jobs", not proof that it never will be.
    """
    transport = client.transport
    policy = dataclasses.replace(transport.policy, reconcile_max_pages=max(1, int(max_pages)))
    cursor: Optional[str] = None
    for _ in range(policy.reconcile_max_pages):
        params: Dict[str, Any] = {"limit": policy.reconcile_page_size}
        if cursor:
            params["next"] = cursor
        reply = transport.request(
            "GET", client.make_path("jobs"), headers=client.api_headers, params=params
        )
        data = reply.json()
        jobs = data.get("jobs") if isinstance(data, dict) else None
        if not isinstance(jobs, list):
            raise IonQClientError("The job list had an unexpected shape.")
        jobs = [client.job_view(j) if isinstance(j, Mapping) else j for j in jobs]
        matches = [j for j in jobs if _submission_id(j) == sid and j.get("id")]
        if matches:
            return _adopt(sid, matches)
        cursor = data.get("next")
        if not cursor:
            return None
    return None


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
    metadata = job.get("metadata")  # may be null (ionq-api.md §9.2)
    return metadata.get(SUBMISSION_ID_KEY) if isinstance(metadata, Mapping) else None


def _requested(job: Mapping[str, Any]) -> float:
    """When the server received the job (epoch seconds, ionq-api.md §5.2); +inf if unknown."""
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
