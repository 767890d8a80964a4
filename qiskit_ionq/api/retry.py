"""When to retry an HTTP request, and how long to wait: data and small pure functions.

Nothing here does I/O, sleeps or reads a clock: the transport passes in the attempt number,
the elapsed time (from ``time.monotonic()``) and a random source, so every decision is a
plain function of its inputs and is tested without sleeping (the stripe-python design).

Two questions are kept apart:

* :meth:`RetryPolicy.classify` - what the outcome of one attempt *means* for this method:
  retry it, reconcile (a non-idempotent request may have taken effect) or fail.
* :meth:`RetryPolicy.should_retry` - whether the budget (attempts, total time) allows one more.

An outcome is either an HTTP status (``int``) or a :class:`Failure` (no response at all).
"""

from __future__ import annotations

import enum
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable, FrozenSet, Optional, Union

from ..constants import RETRIABLE_GET_ONLY_STATUS_CODES, RETRIABLE_STATUS_CODES

__all__ = [
    "Action",
    "IN_FLIGHT_STATUSES",
    "DEFAULT_RETRY_POLICY",
    "Failure",
    "IDEMPOTENT_METHODS",
    "Outcome",
    "RetryPolicy",
    "backoff_delay",
    "parse_retry_after",
    "should_retry",
]

# Methods whose repetition cannot create anything new. Cancel is a PUT and delete a DELETE
# (docs/reference/ionq-api.md §2.4, 2.6); only POST /jobs creates (§2.1).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

#: Answers that a gateway gives when IT gave up waiting on the origin: the origin may still be
#: working on the request (storing the job) after the answer came. Every other status is the
#: end of the request's processing, so once the job list shows no job, none was stored.
IN_FLIGHT_STATUSES = frozenset({408, 504, 522, 524})


class Failure(str, enum.Enum):
    """An attempt that produced no HTTP response, by what we know about the request."""

    #: Provably never sent: connection refused, DNS failure, connect timeout, proxy refused.
    NOT_SENT = "not_sent"
    #: May have reached the server: read timeout, connection reset after sending,
    #: truncated body. Repeating it is safe only for idempotent methods.
    MAYBE_SENT = "maybe_sent"
    #: Repeating cannot help: invalid URL, TLS certificate failure, invalid header.
    FATAL = "fatal"


class Action(str, enum.Enum):
    """What to do with the outcome of one attempt."""

    RETRY = "retry"
    #: The request may have taken effect and is not idempotent (POST /jobs): the caller must
    #: find out whether it did before doing anything else (see ``IonQClient.submit_job``).
    RECONCILE = "reconcile"
    FAIL = "fail"


Outcome = Union[int, Failure]
Uniform = Callable[[float, float], float]


@dataclass(frozen=True)
class RetryPolicy:
    """Retry limits and timings, shared by the transport and the client's submit loop.

    The defaults keep a transient outage (a CDN 502, a 429 with ``Retry-After``) invisible
    while guaranteeing that no call hangs: unlike qiskit-ionq 0.5.x, which retried GETs
    forever (ionq-api.md §7.4, 7.5 "Hangs"), every call is bounded in attempts AND time.

    Attributes:
        max_attempts: attempts per request, the first included.
        base_delay: first backoff ceiling in seconds; doubles per attempt.
        max_delay: ceiling of any computed backoff (``Retry-After`` is honoured beyond it,
            because the server asked for it, but never beyond the deadline).
        total_timeout: seconds from the first attempt after which no new attempt starts and
            no sleep crosses. An attempt already in flight is bounded by its own (connect,
            read) timeout, so a call lasts at most about ``total_timeout`` + one timeout.
        jitter: ``"full"`` (uniform in [0, ceiling], AWS "full jitter"), ``"decorrelated"``
            (uniform in [base, 3 * previous], capped) or ``"none"``.
        retriable_statuses: statuses retried on every method (ionq-api.md §7.3).
        idempotent_statuses: statuses retried on idempotent methods only (GET, PUT, DELETE):
            IonQ's 500s on reads are usually transient, but a 500 on ``POST /jobs`` may come
            after the job was stored, so it goes to reconciliation instead.
        get_only_statuses: statuses retried on GET only: 409 is Cloudflare's DNS-error page
            (ionq-api.md §7.3) but a genuine conflict on a write.
        reconcile_delay: seconds to wait after an ambiguous POST before listing jobs, so a
            server still finishing that request has stored the job before we look.
        reconcile_timeout: how long to keep looking for a job whose creation request may
            still be in flight at the server (a read timeout, a reset, a gateway timeout): long
            enough to cover a server that validates a large job for longer than the read
            timeout before storing it. Its own budget, so that a POST that used up the call's
            budget can still be reconciled.
        reconcile_max_pages: pages of ``GET /jobs`` one reconciliation may read.
        reconcile_page_size: ``limit`` of each of those pages.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 10.0
    total_timeout: float = 60.0
    jitter: str = "full"
    retriable_statuses: FrozenSet[int] = field(default=RETRIABLE_STATUS_CODES)
    get_only_statuses: FrozenSet[int] = field(default=RETRIABLE_GET_ONLY_STATUS_CODES)
    idempotent_statuses: FrozenSet[int] = frozenset({500})
    reconcile_delay: float = 1.0
    reconcile_timeout: float = 120.0
    reconcile_max_pages: int = 10
    reconcile_page_size: int = 50

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.base_delay, self.max_delay, self.total_timeout) < 0:
            raise ValueError("delays and total_timeout must not be negative")
        if self.jitter not in ("full", "decorrelated", "none"):
            raise ValueError("jitter must be 'full', 'decorrelated' or 'none'")
        if self.reconcile_max_pages < 1 or self.reconcile_page_size < 1:
            raise ValueError("reconcile_max_pages and reconcile_page_size must be positive")

    def classify(self, method: str, outcome: Outcome) -> Action:
        """Say what one attempt's ``outcome`` means for ``method``, ignoring the budget.

        Args:
            method: HTTP method (any case).
            outcome: the non-success HTTP status, or a :class:`Failure`.

        Returns:
            RETRY when repeating is safe and may help; RECONCILE when a non-idempotent
            request may have taken effect; FAIL otherwise.
        """
        method = method.upper()
        idempotent = method in IDEMPOTENT_METHODS
        if isinstance(outcome, Failure):
            if outcome is Failure.NOT_SENT:
                return Action.RETRY  # nothing reached the server: safe for any method
            if outcome is Failure.MAYBE_SENT:
                return Action.RETRY if idempotent else Action.RECONCILE
            return Action.FAIL
        status = int(outcome)
        if status == 429:
            # "Too many requests" means the request was refused, not processed: a POST
            # can be repeated as it is (ionq-api.md §1.5).
            return Action.RETRY
        if idempotent and (
            status in self.retriable_statuses
            or status in self.idempotent_statuses
            or (method == "GET" and status in self.get_only_statuses)
        ):
            return Action.RETRY
        if not idempotent and 500 <= status <= 599:
            # A 5xx (or a CDN's 52x) on create may come after the job was stored
            # (ionq-api.md §7.5 "Duplicates"): only a look at the job list can tell.
            return Action.RECONCILE
        return Action.FAIL

    def should_retry(self, method: str, outcome: Outcome, attempt: int, elapsed: float) -> bool:
        """True when ``outcome`` is worth retrying and the budget allows one more attempt.

        Args:
            method: HTTP method.
            outcome: the non-success HTTP status, or a :class:`Failure`.
            attempt: attempts made so far (1 after the first).
            elapsed: seconds since the first attempt started (monotonic clock).
        """
        return (
            self.classify(method, outcome) is Action.RETRY
            and attempt < self.max_attempts
            and elapsed < self.total_timeout
        )

    def backoff_delay(
        self,
        attempt: int,
        retry_after: Optional[float] = None,
        rng: Uniform = random.uniform,
        previous: Optional[float] = None,
    ) -> float:
        """Seconds to wait before attempt ``attempt + 1``.

        Args:
            attempt: attempts made so far (1 after the first).
            retry_after: the server's ``Retry-After`` in seconds, if it sent one. It is a
                floor: we never come back earlier than asked, and add up to ``base_delay``
                of jitter so that threads told the same value do not return in lockstep.
            rng: ``uniform(a, b)``; injected so tests are deterministic.
            previous: the previous delay (decorrelated jitter only).
        """
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** max(attempt - 1, 0))
        if self.jitter == "full":
            delay = rng(0.0, ceiling)
        elif self.jitter == "decorrelated":
            low = self.base_delay
            high = max(low, 3.0 * (previous if previous is not None else low))
            delay = min(self.max_delay, rng(low, high))
        else:
            delay = ceiling
        if retry_after is not None:
            delay = max(retry_after, 0.0) + rng(0.0, self.base_delay)
        return max(0.0, delay)


DEFAULT_RETRY_POLICY = RetryPolicy()


def should_retry(
    method: str,
    outcome: Outcome,
    attempt: int,
    elapsed: float,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
) -> bool:
    """Module-level form of :meth:`RetryPolicy.should_retry`."""
    return policy.should_retry(method, outcome, attempt, elapsed)


def backoff_delay(
    attempt: int,
    retry_after: Optional[float] = None,
    rng: Uniform = random.uniform,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    previous: Optional[float] = None,
) -> float:
    """Module-level form of :meth:`RetryPolicy.backoff_delay`."""
    return policy.backoff_delay(attempt, retry_after=retry_after, rng=rng, previous=previous)


def parse_retry_after(value: Optional[str], now: Optional[datetime] = None) -> Optional[float]:
    """Parse a ``Retry-After`` header: delta-seconds or an HTTP date (RFC 9110 section 10.2.3).

    Args:
        value: the header value, or None.
        now: the current UTC time, for the HTTP-date form (injected by tests). This is the
            one place that needs wall-clock time: the header names an absolute instant.

    Returns:
        Seconds to wait (0 for a date in the past), or None for a missing, negative,
        non-finite or unparseable value (the caller then uses its own backoff).
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:  # Python < 3.10 returns None instead of raising
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now or datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())
