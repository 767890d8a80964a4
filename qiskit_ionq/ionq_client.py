"""The REST client facade: credentials, headers and the public ``IonQClient`` methods.

Why this module exists: ``qiskit_ionq.ionq_client.IonQClient`` is a public name. The client
finds the token and base URL (:func:`resolve_credentials`), keeps the token out of ``repr``,
messages, logs and pickles (see :meth:`IonQClient.__getstate__`), builds headers and URLs, and
hands every route to the API adapter in :mod:`qiskit_ionq.api` (``api/v03.py``): the adapter
knows the paths and bodies, :mod:`qiskit_ionq.api.transport` the HTTP, and
:mod:`qiskit_ionq.api.submission` exactly-once job creation.
"""

from __future__ import annotations

import os
import re
from typing import Any, Dict, Iterable, List, Mapping, Optional

from .api import BaseAdapter, make_adapter, resolve_api
from .api.catalogue import Catalogue
from .api.retry import RetryPolicy
from .api.transport import DEFAULT_TIMEOUT, Reply, Timeout, Transport, get_user_agent
from .constants import DEFAULT_API_URL, TOKEN_ENV_VARS, URL_ENV_VARS
from .credentials import NO_TOKEN_ADVICE, dotenv_credentials
from .exceptions import IonQAPIError, IonQClientError, IonQCredentialsError
from .histogram import parse_flat_histogram
from .options import (
    check_bool,
    check_custom_headers,
    check_retry_policy,
    check_timeout,
    check_token,
)

__all__ = ["IonQClient", "resolve_credentials", "get_user_agent"]

_OUR_HEADERS = frozenset({"authorization", "content-type", "user-agent"})
# Custom headers that may hold secrets are not pickled, like the token.
_SECRET_HEADER_RE = re.compile(r"auth|token|key|secret|cookie|session|password", re.IGNORECASE)

_NO_TOKEN_MESSAGE = "No IonQ API token found. " + NO_TOKEN_ADVICE


def resolve_credentials(token: Optional[str] = None, url: Optional[str] = None) -> Dict[str, Any]:
    """Find the API token and base URL: the argument, then a ``.env`` file, then the environment.

    Token: ``token``, else ``QISKIT_IONQ_API_TOKEN``, ``IONQ_API_KEY``, ``IONQ_API_TOKEN``.
    URL: ``url``, else ``QISKIT_IONQ_API_URL``, ``IONQ_API_URL``, else the production URL
    (docs/reference/ionq-api.md §1.1). Each variable is looked up first in a ``.env`` file in the
    working directory (dotenv syntax, read with python-dotenv, as the rest of the ecosystem
    does), then in the process environment. Blank values count as absent; surrounding
    whitespace (a token pasted with its newline) is stripped.

    Returns:
        ``{"token": str or None, "url": str}``. A missing token is not an error here: it is
        reported by the first request that needs one (``GET /backends`` does not).
    """
    dotenv = dotenv_credentials()

    def pick(value: Optional[str], names: Iterable[str]) -> Optional[str]:
        candidates = [value]
        candidates += [dotenv.get(name) for name in names]
        candidates += [os.environ.get(name) for name in names]
        for candidate in candidates:
            if candidate is not None and str(candidate).strip():
                return str(candidate).strip()
        return None

    return {"token": pick(token, TOKEN_ENV_VARS), "url": pick(url, URL_ENV_VARS) or DEFAULT_API_URL}


_VERSIONED_BASE = re.compile(r"/v\d+(\.\d+)*/?$")


def _wrong_base_url(
    err: IonQAPIError, base: str, method: str, url: str, parts: Iterable[Any]
) -> Optional[IonQAPIError]:
    """A 404 that means the base URL is wrong, reworded to say so; ``None`` for other errors.

    Every route hangs under the versioned base URL (docs/reference/ionq-api.md §1.1), so a
    404 on a collection route (``/jobs``, ``/backends``), or on any route when the URL has no
    ``/v0.N`` segment, says nothing about the job and everything about the URL.
    """
    parts = [str(p) for p in parts]
    collection = len(parts) == 1 and parts[0] in ("jobs", "backends")
    unversioned = not _VERSIONED_BASE.search(base.split("?", 1)[0])
    if err.status_code != 404 or not (collection or unversioned):
        return None
    why = (
        f"The API URL {base} has no API version at its end"
        if unversioned
        else f"Nothing answers {method} {url}; {base} may not be an IonQ API base URL"
    )
    tried = str(err.message).rstrip(".")
    return IonQAPIError(
        f"{tried} (tried {method} {url}). {why}: the base URL should look like "
        f"{DEFAULT_API_URL} (or http://127.0.0.1:PORT/v0.3 for a local emulator); set it "
        f"with {URL_ENV_VARS[0]} or IonQProvider(url=...).",
        status_code=err.status_code,
        headers=err.headers,
        body=err.body,
        error_type=err.error_type,
    )


class _Secret(str):
    """Holds the token so that ``repr``/``vars()``/debuggers show ``'***'`` and pickle refuses.

    A ``str`` (empty when there is no token), so that code comparing or formatting
    ``provider.credentials["token"]`` keeps working, while printing the credentials dict,
    a traceback's locals or ``vars(provider)`` shows ``'***'``.
    """

    __slots__ = ()

    def __new__(cls, value: Optional[str]) -> _Secret:
        return super().__new__(cls, value or "")

    def get(self) -> Optional[str]:
        """The token as a plain ``str``, or None."""
        return str.__str__(self) or None

    def __repr__(self) -> str:
        return "'***'" if self else "None"

    def __reduce__(self) -> Any:
        raise TypeError("The IonQ API token is never pickled.")


def redacted(token: Optional[str]) -> Optional[str]:
    """``token`` in the redacting wrapper (None stays None): for public attributes."""
    return _Secret(token) if token else None


class IonQClient:
    """Client for the IonQ REST API, v0.3 (default) or v0.4.

    Args:
        token: API key; else found in the environment (see :func:`resolve_credentials`).
        url: API base URL, e.g. ``https://api.ionq.co/v0.3``; its last path segment
            (``/v0.3``, ``/v0.4``) chooses the API version.
        custom_headers: extra headers; ours (Authorization, Content-Type, User-Agent) win.
        timeout: default (connect, read) seconds of every request.
        retry_policy: retry limits and timings (:class:`~qiskit_ionq.api.retry.RetryPolicy`).
        allow_insecure_http: allow sending the token over ``http://`` to a non-loopback host.
        transport: a ready :class:`~qiskit_ionq.api.transport.Transport` (tests inject one with a
            fake sleep and clock); ``timeout``, ``retry_policy`` and ``allow_insecure_http``
            are then taken from it.
        api_version: ``"v0.3"`` or ``"v0.4"`` when the URL does not say (appended to it;
            it replaces the version of the built-in default URL). A URL naming the other
            version is an error.

    Routes, bodies and their mapping to one internal job view live in the API adapters
    (:mod:`qiskit_ionq.api.v03`, :mod:`qiskit_ionq.api.v04`); every method here returns
    the same shapes on both versions.

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
        api_version: Optional[str] = None,
    ) -> None:
        check_token(token)  # a bytes/int/list token is refused before str() hides it
        credentials = resolve_credentials(token, url)
        self._token = _Secret(check_token(credentials["token"]))
        # The built-in URL (also as the provider passes it on) yields to api_version.
        url_is_default = url in (None, DEFAULT_API_URL) and not any(
            str(os.environ.get(name) or "").strip() for name in URL_ENV_VARS
        )
        self._url, version = resolve_api(
            credentials["url"], api_version, url_is_default=url_is_default
        )
        self._custom_headers = check_custom_headers(custom_headers)
        self._transport = transport or Transport(
            timeout=check_timeout(timeout),
            retry_policy=check_retry_policy(retry_policy),
            allow_insecure_http=check_bool("allow_insecure_http", allow_insecure_http),
        )
        # Fail at construction, not at the first request, on a URL that cannot be used.
        self._transport.check_url(self.make_path("jobs"), bool(self._token.get()))
        # Proxy, CA bundle and .netrc settings are read from the environment now, once
        # (see Transport), not on every request.
        self._transport.environment_for(self.make_path("jobs"))
        self._api: BaseAdapter = make_adapter(version, self)
        self._catalogue: Optional[Catalogue] = None

    # -- plumbing -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The API base URL."""
        return self._url

    @property
    def api_version(self) -> str:
        """The IonQ API version spoken (``"v0.3"`` or ``"v0.4"``)."""
        return self._api.version

    @property
    def adapter(self) -> BaseAdapter:
        """The API adapter (routes and body shapes of :attr:`api_version`)."""
        return self._api

    @property
    def catalogue(self) -> Catalogue:
        """The backends the API lists, cached (:class:`~qiskit_ionq.api.catalogue.Catalogue`)."""
        if self._catalogue is None:
            self._catalogue = Catalogue(self)
        return self._catalogue

    def supports(self, capability: str) -> bool:
        """Whether the API version offers an optional feature (e.g. ``"whoami"``)."""
        return self._api.supports(capability)

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
        # (ionq-api.md §1.3).
        headers["Content-Type"] = "application/json"
        headers["User-Agent"] = get_user_agent()
        if token:
            headers["Authorization"] = f"apiKey {token}"
        return headers

    def make_path(self, *parts: Any) -> str:
        """``<base url without one trailing "/">/<part>/<part>...`` (ionq-api.md §1.1)."""
        base = self._url[:-1] if self._url.endswith("/") else self._url
        return "/".join([base, *(str(part) for part in parts)])

    def _call(
        self,
        method: str,
        *parts: Any,
        params: Optional[Mapping[str, Any]] = None,
        auth: bool = True,
        url: Optional[str] = None,
        **kwargs: Any,
    ) -> Reply:
        # `url`: an absolute URL the adapter built (same origin, checked by the adapter).
        headers = self._headers(self._require_token() if auth else None)
        url = url or self.make_path(*parts)
        try:
            return self._transport.request(method, url, headers=headers, params=params, **kwargs)
        except IonQAPIError as err:
            hinted = _wrong_base_url(err, self._url, method, url, parts)
            if hinted is None:
                raise
            raise hinted from None

    def _get_json(
        self, *parts: Any, expect: type = dict, flat_arrays: bool = False, **kwargs: Any
    ) -> Any:
        reply = self._call(kwargs.pop("method", "GET"), *parts, **kwargs)
        if flat_arrays:
            flat = parse_flat_histogram(reply.content)
            if flat is not None:
                return flat
        # Results (flat_arrays): a repeated outcome key is an error, not "last one wins".
        data = reply.json(unique_keys=flat_arrays)
        if not isinstance(data, expect):
            raise IonQClientError(
                f"Unexpected response to {reply.method} {reply.path}: expected a JSON "
                f"{'object' if expect is dict else 'array'}, got {type(data).__name__}."
            )
        return data

    def close(self) -> None:
        """Close pooled connections."""
        self._transport.close()

    def __enter__(self) -> IonQClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<IonQClient url={self._url!r} api={self._api.version}>"

    def __getstate__(self) -> Dict[str, Any]:
        headers = self._custom_headers.items()
        safe = {k: v for k, v in headers if not _SECRET_HEADER_RE.search(k)}
        return {"url": self._url, "custom_headers": safe, "transport": self._transport}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self._url = state["url"]
        self._custom_headers = dict(state["custom_headers"])
        self._transport = state["transport"]
        self._token = _Secret(resolve_credentials(None, self._url)["token"])
        self._api = make_adapter(resolve_api(self._url)[1], self)
        self._catalogue = None

    # -- jobs (routes: qiskit_ionq.api.v03) -----------------------------------------------
    def submit_job(self, job: Any) -> Dict[str, Any]:
        """Create a job, exactly once (``POST /jobs``).

        ``job`` is the body: a mapping, its JSON text, the serializer's ``JobPayload``, or
        an object with a ``serialize()`` method returning a mapping or text; it is not
        modified. Returns the create response (or the job list entry found by
        reconciliation). The protocol, its bounds and its errors are documented in
        :func:`qiskit_ionq.api.submission.submit_exactly_once`.
        """
        try:
            return self._api.submit_job(job)
        except IonQAPIError as err:
            hinted = _wrong_base_url(err, self._url, "POST", self.make_path("jobs"), ["jobs"])
            if hinted is None:
                raise
            raise hinted from None

    def find_job(self, submission_id: str) -> Optional[Dict[str, Any]]:
        """The job created by a submission, found by its submission id, or None.

        After :class:`~qiskit_ionq.exceptions.IonQSubmissionUnknownError` (a submission that
        failed ambiguously and whose job had not appeared yet), this says whether the job
        exists now: it searches the newest jobs' ``qiskit_ionq_submission_id`` metadata
        (``qiskit-ionq job find <submission-id>`` on the command line). None means "not
        among the newest jobs"; retrieve a found one with ``backend.retrieve_job(job["id"])``.
        """
        text = str(submission_id or "").strip()
        if not text:
            raise IonQClientError("A submission id must be a non-empty string.")
        return self._api.find_job(text)

    def retrieve_job(self, job_id: str) -> Dict[str, Any]:
        """``GET /jobs/{id}``: the job object."""
        return self._api.retrieve_job(job_id)

    def list_jobs(
        self,
        status: Optional[str] = None,
        ids: Optional[Iterable[str]] = None,
        limit: Optional[int] = None,
        next_cursor: Optional[str] = None,
    ) -> Dict[str, Any]:
        """``GET /jobs``: one page, ``{"jobs": [...], "next": cursor}``."""
        return self._api.list_jobs(status, ids, limit, next_cursor)

    def cancel_job(self, job_id: str) -> Dict[str, Any]:
        """``PUT /jobs/{id}/status/cancel`` -> ``{"id", "status": "canceled"}``."""
        return self._api.cancel_job(job_id)

    def cancel_jobs(self, job_ids: Iterable[str]) -> List[Dict[str, Any]]:
        """Cancel several jobs, one request each."""
        return [self.cancel_job(job_id) for job_id in job_ids]

    def delete_job(self, job_id: str) -> Dict[str, Any]:
        """``DELETE /jobs/{id}`` -> ``{"id", "status": "deleted"}`` (a retried 404 is success)."""
        return self._api.delete_job(job_id)

    def get_results(
        self,
        job_id: str,
        sharpen: Optional[bool] = None,
        extra_query_params: Optional[Mapping[str, Any]] = None,
        *,
        flat_arrays: bool = False,
        job: Optional[Mapping[str, Any]] = None,
    ) -> Dict[str, Any]:
        """A job's histogram, or histograms keyed by child id in circuit order.

        ``sharpen`` is sent (as ``true``/``false``) only when not None. With
        ``flat_arrays=True`` a flat histogram comes back as a
        :class:`~qiskit_ionq.histogram.FlatHistogram` (a mapping equal to the dict, holding
        the parsed arrays); any other body is returned exactly as without it.

        ``job``: the job as :meth:`retrieve_job` returned it, when the caller has it; on
        API v0.4 it says where the results are (else one more ``GET /jobs/{id}`` does).
        """
        return self._api.get_results(
            job_id, sharpen, extra_query_params, flat_arrays=flat_arrays, job=job
        )

    # -- backends and characterizations ---------------------------------------------------
    def get_backends(self) -> List[Dict[str, Any]]:
        """``GET /backends``: no token needed; a short timeout and few retries (a probe)."""
        return self._api.get_backends()

    def get_calibration_data(self, backend_name: str) -> Optional[Dict[str, Any]]:
        """The current characterization of a QPU (``None`` when the API has none).

        ``"ionq_qpu.aria-1"``, ``"qpu.aria-1"`` and ``"aria-1"`` all name the same QPU.
        """
        return self._api.get_calibration_data(backend_name)

    def get_characterization(
        self, characterization_id: str, backend_name: Optional[str] = None
    ) -> Dict[str, Any]:
        """One characterization object by id (API v0.4 also needs the backend's name)."""
        return self._api.get_characterization(characterization_id, backend_name)

    # -- account and service (API v0.4) ------------------------------------------------------
    def whoami(self) -> Dict[str, Any]:
        """``GET /whoami``: the API key's identity (API v0.4; a clear error on v0.3)."""
        return self._api.whoami()

    def health(self) -> Dict[str, Any]:
        """``GET /health``: ``{"status": "pass"}`` when IonQ's service is up (API v0.4)."""
        return self._api.health()
