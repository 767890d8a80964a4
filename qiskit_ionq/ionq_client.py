"""REST client for the IonQ API v0.3: routes, bodies, and exactly-once job submission.

HTTP itself (pooling, timeouts, retries, error wrapping) lives in :mod:`qiskit_ionq.transport`;
this module knows the routes of the fact sheet (``ionq-api-v0.3.md`` section 2) and one piece
of protocol the API lacks: an idempotency key. ``POST /jobs`` is the only request that
creates something, and a failure after it reached the server (a read timeout, a dropped
connection, a CDN 502 after the job was stored) leaves us not knowing whether it did
(fact sheet section 7.5). :meth:`IonQClient.submit_job` therefore tags every body with a
client-generated submission id and, on such a failure, *reconciles*: it reads the job list
and adopts the job carrying that id, resubmitting only once the list proves there is none.

The token is kept out of ``repr``, messages, logs and pickles (see :meth:`IonQClient.__getstate__`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import time
import uuid
from email.utils import parsedate_to_datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple
from urllib.parse import quote

from .constants import DEFAULT_API_URL, SUBMISSION_ID_KEY, TOKEN_ENV_VARS, URL_ENV_VARS
from .exceptions import IonQAPIError, IonQClientError, IonQCredentialsError, IonQError
from .retry import RetryPolicy, parse_retry_after
from .transport import (
    DEFAULT_TIMEOUT,
    PROBE_TIMEOUT,
    AmbiguousRequestError,
    Reply,
    Timeout,
    Transport,
    get_user_agent,
)

__all__ = ["IonQClient", "resolve_credentials", "get_user_agent"]

logger = logging.getLogger("qiskit_ionq")

_OUR_HEADERS = frozenset({"authorization", "content-type", "user-agent"})
# Custom headers that may hold secrets are not pickled, like the token.
_SECRET_HEADER_RE = re.compile(r"auth|token|key|secret|cookie|session|password", re.IGNORECASE)
# How far before our first POST the job list must reach to prove absence. The server stamps
# `request` when it receives the job (fact sheet 5.2); we compare on the server's own clock
# (its Date header) when it sends one, else on ours with room for clock skew.
_SERVER_CLOCK_SLACK = 60.0
_LOCAL_CLOCK_SLACK = 300.0

_NO_TOKEN_MESSAGE = (
    "No IonQ API token found. Pass token=... or set one of the environment variables "
    + ", ".join(TOKEN_ENV_VARS)
    + ". To try qiskit_ionq without an account, run the local emulator: "
    "`from qiskit_ionq.emulator import IonQEmulator` (or `qiskit-ionq demo`)."
)


def resolve_credentials(token: Optional[str] = None, url: Optional[str] = None) -> Dict[str, Any]:
    """Find the API token and base URL: the argument first, then the environment.

    Token: ``token``, else ``QISKIT_IONQ_API_TOKEN``, ``IONQ_API_KEY``, ``IONQ_API_TOKEN``.
    URL: ``url``, else ``QISKIT_IONQ_API_URL``, ``IONQ_API_URL``, else the production URL
    (fact sheet section 1.1). Blank values count as absent; surrounding whitespace (a token
    pasted with its newline) is stripped.

    Returns:
        ``{"token": str or None, "url": str}``. A missing token is not an error here: it is
        reported by the first request that needs one (``GET /backends`` does not).
    """

    def pick(value: Optional[str], names: Iterable[str]) -> Optional[str]:
        for candidate in (value, *(os.environ.get(name) for name in names)):
            if candidate is not None and str(candidate).strip():
                return str(candidate).strip()
        return None

    return {"token": pick(token, TOKEN_ENV_VARS), "url": pick(url, URL_ENV_VARS) or DEFAULT_API_URL}


class _Secret:
    """Holds the token so that ``repr``/``vars()``/debuggers show ``'***'`` and pickle refuses."""

    __slots__ = ("_value",)

    def __init__(self, value: Optional[str]) -> None:
        self._value = value

    def get(self) -> Optional[str]:
        return self._value

    def __repr__(self) -> str:
        return "'***'" if self._value else "None"

    def __reduce__(self) -> Any:
        raise TypeError("The IonQ API token is never pickled.")


class IonQClient:
    """Client for the IonQ REST API v0.3.

    Args:
        token: API key; else found in the environment (see :func:`resolve_credentials`).
        url: API base URL, e.g. ``https://api.ionq.co/v0.3``.
        custom_headers: extra headers; ours (Authorization, Content-Type, User-Agent) win.
        timeout: default (connect, read) seconds of every request.
        retry_policy: retry limits and timings (:class:`~qiskit_ionq.retry.RetryPolicy`).
        allow_insecure_http: allow sending the token over ``http://`` to a non-loopback host.
        transport: a ready :class:`~qiskit_ionq.transport.Transport` (tests inject one with a
            fake sleep and clock); ``timeout``, ``retry_policy`` and ``allow_insecure_http``
            are then taken from it.

    One client holds one connection pool and may be shared by threads.

    Pickling: the token (and any custom header whose name suggests a secret) is dropped, as
    is the connection pool. An unpickled client looks for a token in the environment again
    and, finding none, raises :class:`IonQCredentialsError` on its first authenticated call.
    """

    def __init__(
        self,
        token: Optional[str] = None,
        url: Optional[str] = None,
        custom_headers: Optional[Mapping[str, str]] = None,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retry_policy: Optional[RetryPolicy] = None,
        allow_insecure_http: bool = False,
        transport: Optional[Transport] = None,
    ) -> None:
        credentials = resolve_credentials(token, url)
        self._token = _Secret(credentials["token"])
        self._url: str = credentials["url"]
        self._custom_headers = {str(k): str(v) for k, v in (custom_headers or {}).items()}
        self._transport = transport or Transport(
            timeout=timeout, retry_policy=retry_policy, allow_insecure_http=allow_insecure_http
        )
        # Fail at construction, not at the first request, on a URL that cannot be used.
        self._transport.check_url(self.make_path("jobs"), bool(self._token.get()))

    # -- plumbing -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The API base URL."""
        return self._url

    @property
    def transport(self) -> Transport:
        """The HTTP transport (session, timeouts, retry policy)."""
        return self._transport

    @property
    def api_headers(self) -> Dict[str, str]:
        """Headers of an authenticated request.

        Raises:
            IonQCredentialsError: no token was given or found in the environment.
        """
        return self._headers(self._require_token())

    def _require_token(self) -> str:
        token = self._token.get()
        if not token:
            raise IonQCredentialsError(_NO_TOKEN_MESSAGE)
        return token

    def _headers(self, token: Optional[str]) -> Dict[str, str]:
        headers = {k: v for k, v in self._custom_headers.items() if k.lower() not in _OUR_HEADERS}
        # Content-Type on every request, bodiless ones included, as qiskit and Cirq do
        # (fact sheet 1.3).
        headers["Content-Type"] = "application/json"
        headers["User-Agent"] = get_user_agent()
        if token:
            headers["Authorization"] = f"apiKey {token}"
        return headers

    def make_path(self, *parts: Any) -> str:
        """``<base url without one trailing "/">/<part>/<part>...`` (fact sheet 1.1)."""
        base = self._url[:-1] if self._url.endswith("/") else self._url
        return "/".join([base, *(str(part) for part in parts)])

    def _call(
        self,
        method: str,
        *parts: Any,
        params: Optional[Mapping[str, Any]] = None,
        auth: bool = True,
        **kwargs: Any,
    ) -> Reply:
        headers = self._headers(self._require_token() if auth else None)
        return self._transport.request(
            method, self.make_path(*parts), headers=headers, params=params, **kwargs
        )

    def _get_json(self, *parts: Any, expect: type = dict, **kwargs: Any) -> Any:
        reply = self._call(kwargs.pop("method", "GET"), *parts, **kwargs)
        data = reply.json()
        if not isinstance(data, expect):
            raise IonQClientError(
                f"Unexpected response to {reply.method} {reply.path}: expected a JSON "
                f"{'object' if expect is dict else 'array'}, got {type(data).__name__}."
            )
        return data

    def _job_call(self, job_id: str, *parts: Any, **kwargs: Any) -> Any:
        """A job route; a 404 says which job is missing (fact sheet 2.2, 2.6)."""
        segment = _job_segment(job_id)
        try:
            return self._get_json("jobs", segment, *parts, **kwargs)
        except IonQAPIError as err:
            if err.status_code != 404:
                raise
            missing = err
        raise _not_found(job_id, missing)

    def close(self) -> None:
        """Close pooled connections."""
        self._transport.close()

    def __enter__(self) -> IonQClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<IonQClient url={self._url!r}>"

    def __getstate__(self) -> Dict[str, Any]:
        headers = self._custom_headers.items()
        safe = {k: v for k, v in headers if not _SECRET_HEADER_RE.search(k)}
        return {"url": self._url, "custom_headers": safe, "transport": self._transport}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self._url = state["url"]
        self._custom_headers = dict(state["custom_headers"])
        self._transport = state["transport"]
        self._token = _Secret(resolve_credentials(None, self._url)["token"])

    # -- jobs -----------------------------------------------------------------------------
    def submit_job(self, job: Any) -> Dict[str, Any]:
        """Create a job, exactly once (``POST /jobs``).

        Args:
            job: the job body: a mapping, its JSON text, or an object with a ``serialize()``
                method returning either. It is not modified.

        Returns:
            The create response (``{"id", "status", ...}``), or, when the job was found by
            reconciliation, its entry from the job list.

        Raises:
            IonQAPIError: the server refused the job (or kept failing until the budget ran
                out, having proved each time that no job was created).
            IonQClientError: the server could not be reached; or (message naming the
                submission id) it may have created the job and the job list could not be
                checked, so resubmitting might duplicate it.

        How exactly-once works: the body's ``metadata`` gets ``SUBMISSION_ID_KEY`` (a uuid4
        hex, or the caller's own). Failures before anything was sent, and 429, are retried
        by the transport. After an ambiguous failure (read timeout, connection lost after
        sending, any 5xx/52x, a 2xx whose body has no id) the job list is searched for that
        id (:meth:`_reconcile`): a match is adopted; proven absence leads to a resubmission
        (same id, bounded by ``max_attempts`` and ``total_timeout``), except after a 500,
        which is then reported; an incomplete search raises.
        """
        body, sid = _tag_body(job)
        try:
            payload = json.dumps(body).encode("utf-8")
        except (TypeError, ValueError) as err:
            raise IonQClientError(f"The job body is not JSON-serializable: {err}") from None
        headers = self.api_headers
        transport, policy = self._transport, self._transport.policy
        first_post = transport.clock()
        deadline = first_post + policy.total_timeout
        posts = 0
        while True:
            posts += 1
            try:
                reply = transport.request(
                    "POST", self.make_path("jobs"), headers=headers, body=payload, deadline=deadline
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
            found = self._reconcile(sid, first_post, signal)
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
        self, sid: str, first_post: float, signal: AmbiguousRequestError
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
        transport, policy = self._transport, self._transport.policy
        kind = type(signal.cause).__name__
        logger.info("Submission %s: ambiguous %s; looking for the job in GET /jobs", sid, kind)
        if policy.reconcile_delay > 0:
            transport.sleep(policy.reconcile_delay)
        deadline = transport.clock() + policy.reconcile_timeout
        # Listing only reads, so a 500 on it is retried like a 502 within this budget: one
        # transient server error must not turn into "the job MAY EXIST" for the caller.
        list_policy = dataclasses.replace(
            policy, retriable_statuses=policy.retriable_statuses | {500}
        )
        cursor: Optional[str] = None
        cutoff: Optional[float] = None
        for _ in range(policy.reconcile_max_pages):
            params: Dict[str, Any] = {"limit": policy.reconcile_page_size}
            if cursor:
                params["next"] = cursor
            try:
                reply = self._call(
                    "GET", "jobs", params=params, deadline=deadline, policy=list_policy
                )
                data = reply.json()
            except IonQError as err:
                problem = f"listing the jobs failed ({type(err).__name__}: {err})"
                break
            if cutoff is None:
                cutoff = self._cutoff(reply, first_post)
            jobs = data.get("jobs") if isinstance(data, dict) else None
            if not isinstance(jobs, list):
                problem = "the job list had an unexpected shape"
                break
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

    def _cutoff(self, reply: Reply, first_post: float) -> float:
        elapsed = self._transport.clock() - first_post
        try:
            server_now = parsedate_to_datetime(reply.headers.get("Date", "")).timestamp()
        except (TypeError, ValueError, IndexError, AttributeError):
            return time.time() - elapsed - _LOCAL_CLOCK_SLACK
        return server_now - elapsed - _SERVER_CLOCK_SLACK

    def retrieve_job(self, job_id: str) -> Dict[str, Any]:
        """``GET /jobs/{id}``: the job object (fact sheet 5.2)."""
        return self._job_call(job_id)

    def list_jobs(
        self,
        status: Optional[str] = None,
        ids: Optional[Iterable[str]] = None,
        limit: Optional[int] = None,
        next_cursor: Optional[str] = None,
    ) -> Dict[str, Any]:
        """``GET /jobs``: one page, ``{"jobs": [...], "next": cursor}`` (fact sheet 2.3)."""
        params: Dict[str, Any] = {"status": status, "limit": limit, "next": next_cursor}
        if ids is not None:
            params["id"] = [str(i) for i in ids]  # repeated `id=` query parameters
        params = {k: v for k, v in params.items() if v is not None}
        return self._get_json("jobs", params=params)

    def cancel_job(self, job_id: str) -> Dict[str, Any]:
        """``PUT /jobs/{id}/status/cancel`` -> ``{"id", "status": "canceled"}``."""
        return self._job_call(job_id, "status", "cancel", method="PUT")

    def cancel_jobs(self, job_ids: Iterable[str]) -> List[Dict[str, Any]]:
        """Cancel several jobs, one request each (as qiskit does, fact sheet 2.5)."""
        return [self.cancel_job(job_id) for job_id in job_ids]

    def delete_job(self, job_id: str) -> Dict[str, Any]:
        """``DELETE /jobs/{id}`` -> ``{"id", "status": "deleted"}``.

        When an earlier attempt may have reached the server and the retry gets 404, the
        first attempt did the deletion: that is reported as success.
        """
        segment = _job_segment(job_id)
        try:
            reply = self._call("DELETE", "jobs", segment, accept_after_retry=(404,))
        except IonQAPIError as err:
            if err.status_code != 404:
                raise
            missing = err
        else:
            if reply.status_code == 404:
                return {"id": job_id, "status": "deleted"}
            data = reply.json()
            return data if isinstance(data, dict) else {"id": job_id, "status": "deleted"}
        raise _not_found(job_id, missing)

    def get_results(
        self,
        job_id: str,
        sharpen: Optional[bool] = None,
        extra_query_params: Optional[Mapping[str, Any]] = None,
    ) -> Dict[str, Any]:
        """``GET /jobs/{id}/results``: a histogram, or histograms keyed by child id.

        Key order is preserved: for multi-circuit jobs it is the circuit order (fact sheet
        6.4). ``sharpen`` is sent (as ``true``/``false``) only when not None.
        """
        params = {k: _query_value(v) for k, v in (extra_query_params or {}).items()}
        if sharpen is not None:
            params["sharpen"] = _query_value(bool(sharpen))
        return self._job_call(job_id, "results", params=params or None)

    # -- backends and characterizations ---------------------------------------------------
    def get_backends(self) -> List[Dict[str, Any]]:
        """``GET /backends``: no token needed; a short timeout and few retries (a probe)."""
        policy = self._transport.policy
        probe = dataclasses.replace(
            policy,
            max_attempts=min(policy.max_attempts, 2),
            total_timeout=min(policy.total_timeout, 10.0),
        )
        timeout = (min(self._transport.timeout[0], PROBE_TIMEOUT[0]), PROBE_TIMEOUT[1])
        return self._get_json("backends", expect=list, auth=False, timeout=timeout, policy=probe)

    def get_calibration_data(self, backend_name: str) -> Dict[str, Any]:
        """The current characterization of a QPU (fact sheet 2.10).

        ``"ionq_qpu.aria-1"``, ``"qpu.aria-1"`` and ``"aria-1"`` all mean
        ``GET /characterizations/backends/qpu.aria-1/current``.
        """
        target = str(backend_name).strip()
        if target.startswith("ionq_"):
            target = target[len("ionq_") :]
        if target != "qpu" and not target.startswith("qpu."):
            target = f"qpu.{target}"
        return self._get_json("characterizations", "backends", quote(target, safe=""), "current")

    def get_characterization(self, characterization_id: str) -> Dict[str, Any]:
        """``GET /characterizations/{uuid}``: one characterization object."""
        return self._get_json("characterizations", _job_segment(characterization_id))


def _retry_after(error: Any) -> Optional[float]:
    """The ``Retry-After`` seconds of an API error's response, if it sent one."""
    headers = getattr(error, "headers", None) or {}
    for name, value in headers.items():
        if str(name).lower() == "retry-after":
            return parse_retry_after(value)
    return None


def _job_segment(job_id: Any) -> str:
    # An empty id would turn GET /jobs/{id} into GET /jobs (the list); quoting keeps an odd
    # id from escaping its path segment.
    text = str(job_id or "").strip()
    if not text:
        raise IonQClientError("A job id must be a non-empty string.")
    return quote(text, safe="")


def _not_found(job_id: str, error: IonQAPIError) -> IonQAPIError:
    return IonQAPIError(
        f"Job {job_id!r} does not exist or was deleted ({error.message}). Check the job id, "
        "and that the job was created with this API key and API URL.",
        status_code=404,
        headers=error.headers,
        body=error.body,
        error_type=error.error_type,
    )


def _query_value(value: Any) -> Any:
    # requests would send True as "True"; the API documents lower case (fact sheet 2.8).
    return ("true" if value else "false") if isinstance(value, bool) else value


def _tag_body(job: Any) -> Tuple[Dict[str, Any], str]:
    """A copy of the job body whose metadata carries a submission id; the caller's is untouched."""
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
    body = dict(job)
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, Mapping):
        raise IonQClientError("The job body's metadata must be a JSON object.")
    metadata = dict(metadata)  # a copy: the caller's body is never modified
    sid = metadata.get(SUBMISSION_ID_KEY)
    if not isinstance(sid, str) or not sid:
        sid = uuid.uuid4().hex
        metadata[SUBMISSION_ID_KEY] = sid
    body["metadata"] = metadata
    return body, sid


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
