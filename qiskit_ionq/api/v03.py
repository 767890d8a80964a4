"""REST routes of the IonQ API v0.3: paths, query parameters and body shapes.

Why this module exists: it is the one place that knows the v0.3 routes of IonQ's API
(https://docs.ionq.com/api-reference/v0.3/introduction). A v0.3 job object *is* the internal
job view (:mod:`.jobview`), so this adapter maps nothing on the hot path. It holds no HTTP
machinery, no credentials and no submission protocol:

* HTTP itself (pooling, timeouts, retries, error wrapping) lives in
  :mod:`qiskit_ionq.api.transport` (with its ``_http_session``), the only code that
  imports ``requests``.
* The token, base URL and headers live in the :class:`~qiskit_ionq.ionq_client.IonQClient`
  facade, which hands itself to the adapter as the :class:`~.adapter.Connection`.
* Exactly-once job creation lives in :mod:`qiskit_ionq.api.submission`; what every version
  shares (job 404s, delete, the backends probe) in :mod:`.adapter`.
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, Iterable, Mapping, Optional
from urllib.parse import quote

from .adapter import BaseAdapter, job_segment, listed_ids, qpu_name

__all__ = ["V03Adapter"]


class V03Adapter(BaseAdapter):
    """The routes of IonQ API v0.3."""

    version = "v0.3"
    CAPABILITIES: FrozenSet[str] = frozenset()

    # -- mappings -------------------------------------------------------------------------
    def job_view(self, job: Mapping[str, Any]) -> Dict[str, Any]:
        """A v0.3 job object is the view already: returned as is (no copy, no cost)."""
        return job if isinstance(job, dict) else dict(job)

    def backend_view(self, entry: Mapping[str, Any]) -> Dict[str, Any]:
        """A v0.3 backend entry is the view already (v0.3 lists no native gates)."""
        return entry if isinstance(entry, dict) else dict(entry)

    # -- jobs -----------------------------------------------------------------------------
    def list_jobs(
        self,
        status: Optional[str] = None,
        ids: Optional[Iterable[str]] = None,
        limit: Optional[int] = None,
        next_cursor: Optional[str] = None,
    ) -> Dict[str, Any]:
        """``GET /jobs``: one page, ``{"jobs": [...], "next": cursor}`` (no ``next`` at the end)."""
        params: Dict[str, Any] = {"status": status, "limit": limit, "next": next_cursor}
        params["id"] = listed_ids(ids)  # repeated `id=` query parameters
        params = {k: v for k, v in params.items() if v is not None}
        return self._http._get_json("jobs", params=params)

    def get_results(
        self,
        job_id: str,
        sharpen: Optional[bool] = None,
        extra_query_params: Optional[Mapping[str, Any]] = None,
        *,
        flat_arrays: bool = False,
        job: Optional[Mapping[str, Any]] = None,
    ) -> Dict[str, Any]:
        """``GET /jobs/{id}/results``: a histogram, or histograms keyed by child id.

        Key order is preserved: for multi-circuit jobs it is the circuit order.
        ``job`` (the job view, if the caller has it) is not needed on v0.3.
        """
        params = self._results_query(sharpen, extra_query_params)
        return self._job_call(job_id, "results", params=params, flat_arrays=flat_arrays)

    # -- characterizations ----------------------------------------------------------------
    def get_calibration_data(self, backend_name: str) -> Optional[Dict[str, Any]]:
        """``GET /characterizations/backends/{qpu}/current``."""
        target = qpu_name(backend_name)
        if target == "simulator":
            target = "qpu.simulator"  # as before: the API answers 404 for it
        return self._http._get_json(
            "characterizations", "backends", quote(target, safe=""), "current"
        )

    def get_characterization(
        self, characterization_id: str, backend_name: Optional[str] = None
    ) -> Dict[str, Any]:
        """``GET /characterizations/{uuid}`` (``backend_name`` is not needed on v0.3)."""
        return self._http._get_json("characterizations", job_segment(characterization_id))
