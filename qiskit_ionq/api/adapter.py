"""What every API adapter shares: the connection it runs on, job routes, errors, capabilities.

Why this module exists: the two adapters (:mod:`.v03`, :mod:`.v04`) differ in paths and body
shapes, not in how a job route names a missing job, how a delete retried after a lost reply
is judged, or how ``GET /backends`` is probed. That shared behaviour lives here once; each
adapter subclasses :class:`BaseAdapter` and fills in its version's routes and mappings.

Seams for version-only features: an adapter lists what it can do in :attr:`~BaseAdapter.
CAPABILITIES`; :meth:`BaseAdapter.require` turns a missing one into a clear error, so a
feature such as dry runs or sessions is added by one adapter method plus one capability
name, never by an ``if version`` above the adapter.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Protocol
from urllib.parse import quote, urlsplit

from ..exceptions import IonQAPIError, IonQClientError
from .submission import find_submission, submit_exactly_once
from .transport import PROBE_TIMEOUT, Reply, Transport

__all__ = ["BaseAdapter", "Connection"]


class Connection(Protocol):
    """What an adapter needs from the client facade: base URL, headers and the transport."""

    @property
    def url(self) -> str:
        """The API base URL (ends with the version segment)."""

    @property
    def transport(self) -> Transport:
        """The HTTP transport."""

    @property
    def api_headers(self) -> Dict[str, str]:
        """Headers of an authenticated request (raises when there is no token)."""

    def make_path(self, *parts: Any) -> str:
        """The URL of a route, e.g. ``make_path("jobs")``."""

    def _call(
        self,
        method: str,
        *parts: Any,
        params: Optional[Mapping[str, Any]] = None,
        auth: bool = True,
        **kwargs: Any,
    ) -> Reply:
        """One request to ``make_path(*parts)`` (or to ``url=`` when given)."""

    def _get_json(
        self, *parts: Any, expect: type = dict, flat_arrays: bool = False, **kwargs: Any
    ) -> Any:
        """One request whose reply must be a JSON object (or array)."""


class BaseAdapter:
    """Routes every IonQ API version shares; subclasses add their version's specifics.

    An adapter is also the collaborator of
    :func:`~qiskit_ionq.api.submission.submit_exactly_once` (``transport``,
    ``api_headers``, ``make_path``, ``job_view``).
    """

    #: The API version string (the URL segment).
    version = ""
    #: Names of the optional features this version offers (see the module docstring).
    CAPABILITIES: FrozenSet[str] = frozenset()

    def __init__(self, http: Connection) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.version}>"

    # -- the submission collaborator ----------------------------------------------------
    @property
    def transport(self) -> Transport:
        """The connection's transport."""
        return self._http.transport

    @property
    def api_headers(self) -> Dict[str, str]:
        """Headers of an authenticated request."""
        return self._http.api_headers

    def make_path(self, *parts: Any) -> str:
        """The URL of a route."""
        return self._http.make_path(*parts)

    # -- mappings each version defines --------------------------------------------------
    def job_view(self, job: Mapping[str, Any]) -> Dict[str, Any]:
        """This version's job object as the internal job view (:mod:`.jobview`)."""
        raise NotImplementedError

    def backend_view(self, entry: Mapping[str, Any]) -> Dict[str, Any]:
        """This version's ``GET /backends`` entry as the internal backend view.

        The view is the v0.3 entry (``backend``, ``status``, ``qubits``, ``degraded``,
        ``last_updated`` in epoch seconds, ``average_queue_time``...) plus, when the API
        says, ``native_gates`` (lower-case gate names). Absent keys mean "not said".
        """
        raise NotImplementedError

    def create_body(self, job: Any) -> Any:
        """The job body as this version's ``POST /jobs`` wants it (``job`` is not modified).

        The serializer writes one body shape (the v0.3 one); an adapter of another version
        maps it. Returning ``job`` itself means "send as is".
        """
        return job

    def list_jobs(
        self,
        status: Optional[str] = None,
        ids: Optional[Iterable[str]] = None,
        limit: Optional[int] = None,
        next_cursor: Optional[str] = None,
    ) -> Dict[str, Any]:
        """``GET /jobs``: one page, ``{"jobs": [job views], "next": cursor or None}``."""
        raise NotImplementedError

    def get_results(
        self,
        job_id: str,
        sharpen: Optional[bool] = None,
        extra_query_params: Optional[Mapping[str, Any]] = None,
        *,
        flat_arrays: bool = False,
        job: Optional[Mapping[str, Any]] = None,
    ) -> Dict[str, Any]:
        """A job's probabilities: one histogram, or histograms keyed by child id."""
        raise NotImplementedError

    def get_calibration_data(self, backend_name: str) -> Optional[Dict[str, Any]]:
        """The backend's newest characterization (``None`` when there is none)."""
        raise NotImplementedError

    def get_characterization(
        self, characterization_id: str, backend_name: Optional[str] = None
    ) -> Dict[str, Any]:
        """One characterization by id."""
        raise NotImplementedError

    # -- capabilities -------------------------------------------------------------------
    def supports(self, capability: str) -> bool:
        """Whether this API version offers ``capability`` (e.g. ``"whoami"``)."""
        return capability in self.CAPABILITIES

    def require(self, capability: str) -> None:
        """Raise a clear error when this API version lacks ``capability``."""
        if capability not in self.CAPABILITIES:
            raise IonQClientError(
                f"{capability!r} is not available in IonQ API {self.version}; it needs API "
                "v0.4 (a base URL ending in /v0.4, or IonQProvider(api_version='v0.4'))."
            )

    # -- jobs -----------------------------------------------------------------------------
    def submit_job(self, job: Any) -> Dict[str, Any]:
        """Create a job exactly once; returns the create response as a job view."""
        created = submit_exactly_once(self, self.create_body(job))
        return self.job_view(created)

    def _job_call(self, job_id: str, *parts: Any, **kwargs: Any) -> Any:
        """A job route; a 404 says which job is missing."""
        segment = job_segment(job_id)
        try:
            return self._http._get_json("jobs", segment, *parts, **kwargs)
        except IonQAPIError as err:
            if err.status_code != 404:
                raise
            missing = err
        raise not_found(job_id, missing)

    def find_job(self, submission_id: str) -> Optional[Dict[str, Any]]:
        """The job a submission created, by its submission id (None: not among the newest)."""
        return find_submission(self, submission_id)  # already a job view

    def retrieve_job(self, job_id: str) -> Dict[str, Any]:
        """``GET /jobs/{id}`` as a job view."""
        return self.job_view(self._job_call(job_id))

    def cancel_job(self, job_id: str) -> Dict[str, Any]:
        """``PUT /jobs/{id}/status/cancel`` -> ``{"id", "status": "canceled"}``."""
        return self.job_view(self._job_call(job_id, "status", "cancel", method="PUT"))

    def delete_job(self, job_id: str) -> Dict[str, Any]:
        """``DELETE /jobs/{id}`` -> ``{"id", "status": "deleted"}``.

        When an earlier attempt may have reached the server and the retry gets 404, the
        first attempt did the deletion: that is reported as success.
        """
        segment = job_segment(job_id)
        try:
            reply = self._http._call("DELETE", "jobs", segment, accept_after_retry=(404,))
        except IonQAPIError as err:
            if err.status_code != 404:
                raise
            missing = err
        else:
            if reply.status_code == 404:
                return {"id": job_id, "status": "deleted"}
            data = reply.json()
            return data if isinstance(data, dict) else {"id": job_id, "status": "deleted"}
        raise not_found(job_id, missing)

    # -- backends -------------------------------------------------------------------------
    def _probe_json(self, *parts: Any, auth: bool = False) -> Any:
        """A public catalogue read: a short timeout and few retries (it is a probe)."""
        transport = self._http.transport
        policy = transport.policy
        probe = dataclasses.replace(
            policy,
            max_attempts=min(policy.max_attempts, 2),
            total_timeout=min(policy.total_timeout, 10.0),
        )
        timeout = (min(transport.timeout[0], PROBE_TIMEOUT[0]), PROBE_TIMEOUT[1])
        return self._http._get_json(*parts, expect=object, auth=auth, timeout=timeout, policy=probe)

    def get_backends(self) -> List[Dict[str, Any]]:
        """``GET /backends`` (no token needed) as backend views.

        Both a bare array (documented) and ``{"backends": [...]}`` are accepted.
        """
        data = self._probe_json("backends")
        if isinstance(data, dict) and isinstance(data.get("backends"), list):
            data = data["backends"]
        if not isinstance(data, list):
            raise IonQClientError(
                f"Unexpected response to GET /backends: expected a JSON array, got "
                f"{type(data).__name__}."
            )
        return [self.backend_view(e) for e in data if isinstance(e, Mapping) and e.get("backend")]

    # -- account and service ---------------------------------------------------------------
    def whoami(self) -> Dict[str, Any]:
        """``GET /whoami``: the API key's identity (``key_id``, ``key_name``, ``project_id``)."""
        self.require("whoami")
        return self._http._get_json("whoami")

    def health(self) -> Dict[str, Any]:
        """``GET /health``: ``{"status": "pass"}`` when the service is up (no token needed)."""
        self.require("health")
        return self._probe_json("health")

    # -- helpers for subclasses -----------------------------------------------------------
    def _results_query(
        self, sharpen: Optional[bool], extra_query_params: Optional[Mapping[str, Any]]
    ) -> Optional[Dict[str, Any]]:
        params = {k: query_value(v) for k, v in (extra_query_params or {}).items()}
        if sharpen is not None:
            params["sharpen"] = query_value(bool(sharpen))
        return params or None

    def _same_origin_url(self, relative: Any) -> Optional[str]:
        """An absolute URL for a root-relative path the API gave (e.g. a results URL).

        The path carries its own version segment (``/v0.4/jobs/<id>/...``), so it replaces
        the base URL's; whatever precedes the version in the base (a gateway prefix) is
        kept. A URL to another host is refused (``None``): the token is only ever sent to
        the configured origin.
        """
        if not isinstance(relative, str) or not relative.strip():
            return None
        text = relative.strip()
        base = urlsplit(self._http.url)
        split = urlsplit(text)
        if split.scheme or split.netloc:
            same = (split.scheme, split.netloc) == (base.scheme, base.netloc)
            return text if same else None
        if not text.startswith("/"):
            return self._http.make_path(text)
        prefix = base.path.rstrip("/")
        if self.version and prefix.endswith("/" + self.version):
            prefix = prefix[: -len(self.version) - 1]
        return f"{base.scheme}://{base.netloc}{prefix}{text}"


def listed_ids(job_ids: Optional[Iterable[str]]) -> Optional[List[str]]:
    """Job ids as strings for a repeated query parameter (``None`` stays ``None``)."""
    return None if job_ids is None else [str(i) for i in job_ids]


def job_segment(job_id: Any) -> str:
    """A job (or characterization) id as one URL path segment.

    An empty id would turn ``GET /jobs/{id}`` into ``GET /jobs`` (the list); quoting keeps
    an odd id from escaping its path segment.
    """
    text = str(job_id or "").strip()
    if not text:
        raise IonQClientError("A job id must be a non-empty string.")
    return quote(text, safe="")


def not_found(job_id: str, error: IonQAPIError) -> IonQAPIError:
    """The 404 of a job route, saying which job is missing and what to check."""
    return IonQAPIError(
        f"Job {job_id!r} does not exist or was deleted ({error.message}). Check the job id, "
        "and that the job was created with this API key and API URL.",
        status_code=404,
        headers=error.headers,
        body=error.body,
        error_type=error.error_type,
    )


def query_value(value: Any) -> Any:
    """A query value as the API documents it: booleans in lower case.

    ``requests`` would send True as "True".
    """
    return ("true" if value else "false") if isinstance(value, bool) else value


def qpu_name(backend_name: str) -> str:
    """``"ionq_qpu.aria-1"``, ``"qpu.aria-1"`` and ``"aria-1"`` all give ``"qpu.aria-1"``."""
    target = str(backend_name).strip()
    if target.startswith("ionq_"):
        target = target[len("ionq_") :]
    if target not in ("qpu", "simulator") and not target.startswith("qpu."):
        target = f"qpu.{target}"
    return target
