"""The one HTTP seam of qiskit_ionq: a pooled session, timeouts, retries and error wrapping.

With :mod:`qiskit_ionq.api._http_session` it is the transport, the only part of the package
that imports ``requests`` or ``urllib3`` (docs/design.md); ``_http_session`` holds the
``requests``-level pieces of one attempt (session and pools, the watchdog that cuts an
attempt at a caller's time limit, bounded body reads, exception classification); this
module is the send loop and its policy. It knows nothing of IonQ routes or bodies: the API
adapters (:mod:`qiskit_ionq.api.v03`) build those. What it guarantees:

* one ``requests.Session`` (one connection pool) per transport, shared safely by threads;
* an explicit (connect, read) timeout on every request;
* bounded retries (attempts and total time, :mod:`qiskit_ionq.api.retry`) that honour
  ``Retry-After``, with an injectable ``sleep``/``clock``/``rng`` so tests never sleep;
* a POST whose request may have reached the server is never repeated here: it raises
  :class:`AmbiguousRequestError` so the client can reconcile;
* no ``requests``/``urllib3`` exception escapes, and no message, log record or chained
  exception carries the ``Authorization`` header.
"""

from __future__ import annotations

import http.client
import logging
import random
import time
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import SplitResult, urlsplit

import requests
import urllib3

from ..exceptions import (
    IonQAPIError,
    IonQAuthenticationError,
    IonQClientError,
    IonQCredentialsError,
    IonQError,
    IonQRequestTimeoutError,
)
from ._http_common import (
    Reply,
    current_bounds,
    get_user_agent,
    is_loopback_host,
    is_loopback_url,
    network_error,
)
from ._http_common import scrub as _scrub  # noqa: F401  (tests import it from here)
from ._http_common import secrets_of as _secrets_of
from ._http_session import (
    BodyLimit,
    Cutter,
    describe,
    new_session,
    read_body,
    read_environment,
)
from ._http_session import classify_exception as _classify_exception
from .retry import (
    DEFAULT_RETRY_POLICY,
    IN_FLIGHT_STATUSES,
    Action,
    Failure,
    Outcome,
    RetryPolicy,
    parse_retry_after,
)

__all__ = [
    "AmbiguousRequestError",
    "DEFAULT_TIMEOUT",
    "PROBE_TIMEOUT",
    "Reply",
    "Transport",
    "get_user_agent",
    "is_loopback_url",
]

logger = logging.getLogger("qiskit_ionq")

Timeout = Union[float, Tuple[float, float]]
#: (connect, read) seconds. qiskit-ionq used 30 s per request (docs/reference/ionq-api.md §1.3); a
#: short connect timeout makes an unreachable host fail fast instead of after 30 s.
DEFAULT_TIMEOUT: Tuple[float, float] = (5.0, 30.0)
#: GET /backends is an optional probe (qiskit used 5 s, ionq-api.md §1.3, 2.9).
PROBE_TIMEOUT: Tuple[float, float] = (3.05, 5.0)
#: Connections kept per host: at least the 8 threads a notebook may submit from.
POOL_MAXSIZE = 16
#: Largest response body accepted unless the caller bounds it more tightly (results of a
#: job get a bound from its qubit count): an endless chunked body must not fill the memory.
MAX_RESPONSE_BYTES = 512 << 20
#: Longest time one response body may take to arrive, whatever the per-read timeout: a
#: server trickling a byte every few seconds never trips a read timeout.
MAX_RESPONSE_SECONDS = 300.0

_R = requests.exceptions
_U = urllib3.exceptions


class AmbiguousRequestError(IonQClientError):
    """Internal signal: a non-idempotent request may or may not have taken effect.

    Raised only for POST. The client resolves it by reconciliation; should it ever escape it
    is still an :class:`IonQClientError` with a readable message.

    Attributes:
        cause: the :class:`IonQError` the attempt ended with (an API error or a network one).
        resubmit_if_absent: True when the server ANSWERED, with a status that ends the
            request's processing (500, 502, 503, 520...): a job list without the job then
            proves it was not stored, and repeating the request is safe. False when the
            request may still be in flight at the server (no answer: a read timeout, a reset;
            or a gateway's timeout, :data:`~qiskit_ionq.api.retry.IN_FLIGHT_STATUSES`): then
            the job may be stored later, and absence from the list proves nothing.
    """

    def __init__(
        self, message: str = "", cause: Any = None, resubmit_if_absent: bool = False
    ) -> None:
        super().__init__(message)
        self.cause = cause
        self.resubmit_if_absent = resubmit_if_absent


class Transport:
    """Sends requests for a client: pooled, time-bounded, retried, sanitized.

    Args:
        timeout: default (connect, read) seconds, or one number for both.
        retry_policy: limits and timings of retries (defaults: :mod:`qiskit_ionq.api.retry`).
        allow_insecure_http: permit sending an ``Authorization`` header over ``http://`` to
            a host that is not loopback. Off by default: the token would cross the network
            in clear text.
        pool_maxsize: connections kept per host.
        sleep: how to wait between attempts (tests inject a recorder).
        clock: monotonic clock for deadlines (tests inject a fake one).
        rng: ``uniform(a, b)`` used for jitter.

    ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY``/``NO_PROXY``,
    ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` work as users expect (the same rules as
    ``requests`` with ``trust_env``; ``.netrc`` is ignored, see ``read_environment``), and
    TLS verification is never turned off. They
    are read ONCE per transport and origin (``scheme://host:port``) — for the API host, when
    the :class:`~qiskit_ionq.ionq_client.IonQClient` is constructed — not on every request:
    ``requests`` re-reading the environment cost about a fifth of the client's time per
    request. The session itself has ``trust_env`` off and gets them explicitly. To pick up
    changed variables, call :meth:`close` (or make a new client). ``requests.Session`` is safe
    to share between threads for sending; the transport's only state of its own is that
    per-origin cache (filled idempotently, so a race just reads the environment twice).
    """

    def __init__(
        self,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retry_policy: Optional[RetryPolicy] = None,
        allow_insecure_http: bool = False,
        pool_maxsize: int = POOL_MAXSIZE,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[float, float], float] = random.uniform,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        max_response_seconds: float = MAX_RESPONSE_SECONDS,
    ) -> None:
        self.timeout = _as_timeout(timeout)
        self.max_response_bytes = int(max_response_bytes)
        self.max_response_seconds = float(max_response_seconds)
        self.policy = retry_policy or DEFAULT_RETRY_POLICY
        self.allow_insecure_http = bool(allow_insecure_http)
        self.pool_maxsize = int(pool_maxsize)
        self.sleep = sleep
        self.clock = clock
        self.rng = rng
        self._origins: Dict[str, Dict[str, Any]] = {}
        self.session = self._new_session()

    def _new_session(self) -> requests.Session:
        return new_session(self.pool_maxsize)

    def close(self) -> None:
        """Close pooled connections (the transport stays usable; a new pool is made)."""
        old, self.session = self.session, self._new_session()
        self._origins = {}  # re-read the environment on next use
        old.close()

    def environment_for(self, url: str) -> Dict[str, Any]:
        """The ``proxies``/``verify`` ``requests`` would read from the
        environment for ``url``; read once per origin and cached until :meth:`close`."""
        return self._environment(urlsplit(url))

    def _environment(self, parts: SplitResult) -> Dict[str, Any]:
        key = f"{parts.scheme}://{parts.netloc}"
        found = self._origins.get(key)
        if found is None:
            found = self._origins[key] = read_environment(key)
        return found

    def __repr__(self) -> str:
        return (
            f"<Transport timeout={self.timeout} max_attempts={self.policy.max_attempts} "
            f"total_timeout={self.policy.total_timeout}>"
        )

    def __getstate__(self) -> Dict[str, Any]:
        # A session holds sockets and locks: keep the settings, build a new pool on load
        # (with the default sleep, clock and rng).
        keys = (
            "timeout",
            "allow_insecure_http",
            "pool_maxsize",
            "max_response_bytes",
            "max_response_seconds",
        )
        return {"retry_policy": self.policy, **{key: getattr(self, key) for key in keys}}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def check_url(self, url: str, sends_credentials: bool) -> None:
        """Refuse URLs we must not use.

        Raises:
            IonQClientError: the scheme is not http(s).
            IonQCredentialsError: credentials would go over plain http to a remote host.
        """
        self._check_parts(urlsplit(url), url, sends_credentials)

    def _check_parts(self, parts: SplitResult, url: str, sends_credentials: bool) -> None:
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise IonQClientError(
                f"Invalid IonQ API URL {parts.scheme}://{parts.hostname or ''}: it must start "
                "with https:// (e.g. https://api.ionq.co/v0.3)."
            )
        if (
            sends_credentials
            and parts.scheme == "http"
            and not self.allow_insecure_http
            and not is_loopback_host(parts.hostname)
        ):
            raise IonQCredentialsError(
                f"Refusing to send the IonQ API token over plain http:// to {parts.hostname!r}: "
                "anyone on the network could read it. Use an https:// URL, or pass "
                "allow_insecure_http=True if this host is on a network you trust."
            )

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Optional[Mapping[str, str]] = None,
        params: Optional[Mapping[str, Any]] = None,
        body: Optional[bytes] = None,
        timeout: Optional[Timeout] = None,
        policy: Optional[RetryPolicy] = None,
        deadline: Optional[float] = None,
        accept_after_retry: Tuple[int, ...] = (),
    ) -> Reply:
        """Send one logical request, retrying as the policy allows; return its 2xx reply.

        Args:
            method: HTTP method.
            url: absolute URL.
            headers: request headers (the ``Authorization`` value is kept out of every error
                and log record).
            params: query parameters (a list value repeats the key).
            body: request body bytes (already JSON-encoded by the caller).
            timeout: (connect, read) override for this request.
            policy: retry policy override for this request.
            deadline: an absolute ``clock()`` time after which no attempt starts, when the
                caller's own budget is tighter than the policy's ``total_timeout``.
            accept_after_retry: statuses returned as a reply instead of raised when they
                arrive after an earlier attempt may have reached the server (a DELETE whose
                first attempt timed out, then 404: the first one did the work).

        Returns:
            The reply of a 2xx response (or an ``accept_after_retry`` status).

        Raises:
            IonQAPIError: a non-2xx status that was not retried or whose retries ran out
                (:class:`IonQAuthenticationError` for 401/403).
            IonQClientError: no response (:class:`IonQRequestTimeoutError` for timeouts).
            AmbiguousRequestError: a POST that may have taken effect (see its docstring).
            IonQCredentialsError: the URL would expose the token (see :meth:`check_url`).
        """
        method = method.upper()
        # requests.Session.request would merge the session's default headers (User-Agent,
        # Accept, Accept-Encoding...) on every call; _send_once skips that merge, so do it here.
        merged: Dict[str, Any] = dict(self.session.headers)
        merged.update(headers or {})
        secrets = _secrets_of(merged)
        parts = urlsplit(url)
        self._check_parts(parts, url, bool(secrets))
        policy = policy or self.policy
        connect_read = _as_timeout(timeout) if timeout is not None else self.timeout
        path = parts.path or "/"
        start = self.clock()
        limit = start + policy.total_timeout
        if deadline is not None:
            limit = min(limit, deadline)
        # A caller's own bound (job.result(timeout=...)) is hard: it also cuts the attempt in
        # flight, unlike the policy's budget, which only stops new attempts.
        bounds = current_bounds()
        hard = bounds.deadline
        if hard is not None:
            limit = min(limit, hard)
        attempt, previous_delay, maybe_sent_before = 0, None, False
        send: Dict[str, Any] = {
            "headers": merged,
            "params": params,
            "data": body,
            "timeout": connect_read,
        }
        send["max_bytes"] = min(
            bounds.max_bytes or self.max_response_bytes, self.max_response_bytes
        )
        send.update(self._environment(parts))
        while True:
            attempt += 1
            now = self.clock()
            read_until = now + self.max_response_seconds
            if hard is not None:
                left = hard - now
                if left <= 0:
                    raise IonQRequestTimeoutError(
                        f"{method} {path} was not sent: the caller's time limit had passed."
                    )
                send["timeout"] = (min(connect_read[0], left), min(connect_read[1], left))
                read_until = min(read_until, hard)
            send["read_until"] = read_until
            send["hard_deadline"] = hard
            reply, failure, error = self._send_once(method, url, path, send, secrets, attempt)
            retry_after: Optional[float] = None
            outcome: Outcome
            if reply is not None:
                status = reply.status_code
                if 200 <= status < 300 or (maybe_sent_before and status in accept_after_retry):
                    return reply
                error, outcome, kind = _api_error(reply), status, f"HTTP {status}"
                retry_after = parse_retry_after(reply.headers.get("Retry-After"))
                # A 5xx may come from a proxy after the origin acted on the request.
                maybe_sent_before = maybe_sent_before or status >= 500
            else:
                assert failure is not None and error is not None
                outcome, kind = failure, f"{failure.value} ({type(error).__name__})"
                maybe_sent_before = maybe_sent_before or failure is Failure.MAYBE_SENT
            action = policy.classify(method, outcome)
            if action is Action.RECONCILE:
                raise AmbiguousRequestError(
                    f"{method} {path} may have reached the server before failing: {error}",
                    cause=error,
                    resubmit_if_absent=isinstance(outcome, int)
                    and outcome not in IN_FLIGHT_STATUSES,
                )
            now = self.clock()
            if action is Action.FAIL or not policy.should_retry(
                method, outcome, attempt, now - start
            ):
                raise error
            delay = policy.backoff_delay(attempt, retry_after, self.rng, previous_delay)
            where = (method, path, kind, attempt)
            if now + delay >= limit:
                # Sleeping past the deadline would only delay the same error (and a server
                # asking for more time than we have left will not be ready sooner).
                left = max(limit - now, 0.0)
                logger.info("Not retrying %s %s after %s (attempt %d): no time left", *where)
                logger.debug("Wanted to wait %.2fs; %.2fs left", delay, left)
                raise error
            logger.info("Retrying %s %s after %s (attempt %d) in %.2fs", *where, delay)
            previous_delay = delay
            self.sleep(delay)

    def _send_once(
        self,
        method: str,
        url: str,
        path: str,
        send: Dict[str, Any],
        secrets: Sequence[str],
        attempt: int,
    ) -> Tuple[Optional[Reply], Optional[Failure], Optional[IonQError]]:
        """One attempt. A failure is returned, not raised, so that the caller raises it
        outside this ``except`` block: the requests exception (whose ``request`` holds the
        headers) is then neither ``__cause__`` nor ``__context__`` of what the user sees."""
        logger.debug("%s %s (attempt %d)", method, path, attempt)
        hard = send.get("hard_deadline")
        if hard is None:
            return self._attempt(method, url, path, send, secrets, attempt, None)
        cutter = Cutter(min(hard, send["read_until"]) - self.clock())
        cutter.arm()
        try:
            return self._attempt(method, url, path, send, secrets, attempt, cutter)
        finally:
            cutter.disarm()

    def _attempt(
        self,
        method: str,
        url: str,
        path: str,
        send: Dict[str, Any],
        secrets: Sequence[str],
        attempt: int,
        cutter: Optional[Cutter],
    ) -> Tuple[Optional[Reply], Optional[Failure], Optional[IonQError]]:
        """The body of :meth:`_send_once`; ``cutter`` is armed when the caller set a limit."""
        try:
            # The API never redirects (ionq-api.md §1.4); following one would turn a POST into
            # a GET and could carry the request to an unexpected host.
            #
            # Session.send of a PreparedRequest (requests' documented "prepared requests"
            # usage), not Session.request: the latter re-merges session settings, cookies and
            # hooks on every call, about a quarter of the client's CPU per request. Nothing is
            # lost: proxies and CA bundle come from environment_for, default headers are
            # merged by request(), and the API sets no cookies.
            prepared = requests.PreparedRequest()
            prepared.prepare(
                method=method,
                url=url,
                headers=send["headers"],
                data=send["data"],
                params=send["params"],
            )
            response = self.session.send(
                prepared,
                allow_redirects=False,
                timeout=send["timeout"],
                proxies=send["proxies"],
                verify=send["verify"],
                stream=True,  # read by read_body, within a size and a time bound
            )
            try:
                content = read_body(response, send["max_bytes"], send["read_until"], self.clock)
                if cutter is not None and cutter.fired:  # a close-delimited body ends at the cut
                    raise BodyLimit("the response did not arrive in time", True)
            except BaseException:
                response.close()  # a half-read connection must not go back to the pool
                raise
        except BodyLimit as exc:
            # Too large: repeating will not help (FATAL), except that a POST may have been
            # acted on. Too slow: like a read timeout.
            if exc.is_timeout or method != "GET":
                failure, is_timeout = Failure.MAYBE_SENT, exc.is_timeout
            else:
                failure, is_timeout = Failure.FATAL, False
            detail = f"{exc} ({method} {path})"
        except (_R.RequestException, _U.HTTPError, http.client.HTTPException, OSError) as exc:
            failure, is_timeout = _classify_exception(exc)
            detail = describe(exc, secrets)
            if cutter is not None and cutter.fired:  # our own cut, not the server's doing
                failure, is_timeout = Failure.MAYBE_SENT, True
                detail = f"the response did not arrive in time ({method} {path})"
        else:
            status, reason = response.status_code, str(response.reason or "")
            return (
                Reply(status, response.headers, content, reason, method, path, attempt),
                None,
                None,
            )
        error = network_error(method, path, url, failure, is_timeout, detail, send["timeout"])
        return None, failure, error


def _api_error(reply: Reply) -> IonQAPIError:
    # Same mapping as IonQAPIError.raise_for_status, minus its IonQRetriableError wrapper:
    # retrying is decided here, and users must only ever see the API error itself.
    if reply.status_code in (401, 403):
        return IonQAuthenticationError.from_response(reply)
    return IonQAPIError.from_response(reply)


def _as_timeout(timeout: Timeout) -> Tuple[float, float]:
    if isinstance(timeout, (int, float)):
        return (float(timeout), float(timeout))
    connect, read = timeout
    return (float(connect), float(read))
