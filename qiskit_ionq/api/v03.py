"""REST routes of the IonQ API v0.3: paths, query parameters and how each reply is checked.

Why this module exists: it is the one place that knows the v0.3 routes of IonQ's API
(https://docs.ionq.com/api-reference/v0.3) and how each route's reply is turned into an error
that names the job. It holds no HTTP machinery, no credentials and no submission protocol:

* HTTP itself (pooling, timeouts, retries, error wrapping) lives in
  :mod:`qiskit_ionq.api.transport`, the only module that imports ``requests``.
* The token, base URL and headers live in the :class:`~qiskit_ionq.ionq_client.IonQClient`
  facade, which hands itself to this adapter as the :class:`Connection`.
* Exactly-once job creation lives in :mod:`qiskit_ionq.api.submission`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Iterable, List, Mapping, Optional, Protocol
from urllib.parse import quote

from ..exceptions import IonQAPIError, IonQClientError
from .submission import submit_exactly_once
from .transport import PROBE_TIMEOUT, Reply, Transport

__all__ = ["Connection", "V03Adapter"]


class Connection(Protocol):
    """What an adapter needs from the client facade: base URL, headers and the transport."""

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
        """One request to ``make_path(*parts)``."""

    def _get_json(
        self, *parts: Any, expect: type = dict, flat_arrays: bool = False, **kwargs: Any
    ) -> Any:
        """One request whose reply must be a JSON object (or array)."""


class V03Adapter:
    """The routes of IonQ API v0.3, on top of a :class:`Connection` (the client facade)."""

    version = "v0.3"

    def __init__(self, http: Connection) -> None:
        self._http = http

    def _job_call(self, job_id: str, *parts: Any, **kwargs: Any) -> Any:
        """A job route; a 404 says which job is missing (fact sheet 2.2, 2.6)."""
        segment = _job_segment(job_id)
        try:
            return self._http._get_json("jobs", segment, *parts, **kwargs)
        except IonQAPIError as err:
            if err.status_code != 404:
                raise
            missing = err
        raise _not_found(job_id, missing)

    # -- jobs -----------------------------------------------------------------------------
    def submit_job(self, job: Any) -> Dict[str, Any]:
        """Create a job, exactly once (``POST /jobs``).

        ``job`` is the body: a mapping, its JSON text, the serializer's ``JobPayload``, or
        an object with a ``serialize()`` method returning a mapping or text; it is not
        modified. Returns the create response (or the job
        list entry found by reconciliation). The protocol, its bounds and its errors are
        documented in :func:`qiskit_ionq.api.submission.submit_exactly_once`.
        """
        return submit_exactly_once(self._http, job)

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
        return self._http._get_json("jobs", params=params)

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
        raise _not_found(job_id, missing)

    def get_results(
        self,
        job_id: str,
        sharpen: Optional[bool] = None,
        extra_query_params: Optional[Mapping[str, Any]] = None,
        *,
        flat_arrays: bool = False,
    ) -> Dict[str, Any]:
        """``GET /jobs/{id}/results``: a histogram, or histograms keyed by child id.

        Key order is preserved: for multi-circuit jobs it is the circuit order (fact sheet
        6.4). ``sharpen`` is sent (as ``true``/``false``) only when not None.

        With ``flat_arrays=True`` a flat histogram comes back as a
        :class:`~qiskit_ionq.histogram.FlatHistogram` (a mapping equal to the dict, holding
        the parsed arrays: no million-entry dict is built for a large one); any other body
        is returned exactly as without it.
        """
        params = {k: _query_value(v) for k, v in (extra_query_params or {}).items()}
        if sharpen is not None:
            params["sharpen"] = _query_value(bool(sharpen))
        return self._job_call(job_id, "results", params=params or None, flat_arrays=flat_arrays)

    # -- backends and characterizations ---------------------------------------------------
    def get_backends(self) -> List[Dict[str, Any]]:
        """``GET /backends``: no token needed; a short timeout and few retries (a probe)."""
        policy = self._http.transport.policy
        probe = dataclasses.replace(
            policy,
            max_attempts=min(policy.max_attempts, 2),
            total_timeout=min(policy.total_timeout, 10.0),
        )
        timeout = (min(self._http.transport.timeout[0], PROBE_TIMEOUT[0]), PROBE_TIMEOUT[1])
        return self._http._get_json(
            "backends", expect=list, auth=False, timeout=timeout, policy=probe
        )

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
        return self._http._get_json(
            "characterizations", "backends", quote(target, safe=""), "current"
        )

    def get_characterization(self, characterization_id: str) -> Dict[str, Any]:
        """``GET /characterizations/{uuid}``: one characterization object."""
        return self._http._get_json("characterizations", _job_segment(characterization_id))


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
