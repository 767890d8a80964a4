"""Handlers of the emulator's ``/v0.4`` routes (the route table itself is in :mod:`.server`).

They share the store, lifecycle, catalog and result cache of the v0.3 handlers and differ
only in what :mod:`.v04` says about bodies: 201 on create, v0.4 job objects, results under
``/results/probabilities[/aggregated]`` (404 until the job is completed, as documented),
characterizations under ``/backends/{b}/characterizations``, and ``/whoami``, ``/health``.
"""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, Optional, Union

from . import v04
from .http_api import ApiError, ApiState, Query, Response, int_param, single_param
from .jobs import STATUSES, RequestError, results_source
from .results_cache import FileBody
from .server_v04_features import V04Features


class V04Handlers:
    """The ``/v0.4`` handlers, on top of the v0.3 :class:`~.server.Api` (shared state)."""

    def __init__(self, api: ApiState) -> None:
        self.api = api
        # v0.4-only features (OpenQASM 3, dry runs, shots, cost, sessions): their own module.
        self.features = V04Features(api)

    @staticmethod
    def _error(status: int, message: str) -> Exception:
        return ApiError(status, message)

    # ----------------------------------------------------------------- jobs
    def create_job(self, body: Any, owner: Optional[str], **_: Any) -> Response:
        """``POST /jobs`` -> 201 ``{"id", "status", "session_id"}`` (.server_v04_features)."""
        return self.features.create_job(body, v04.to_stored_body, owner=owner)

    def list_jobs(self, query: Query, body: Any, owner: Optional[str], **_: Any) -> Dict[str, Any]:
        """``GET /jobs``: v0.4 entries; ``next`` is always present (``null`` at the end)."""
        query = self.features.session_query(query, owner)
        status = single_param(query, "status")
        if status == "started":
            query = {**query, "status": ["running"]}
        elif status is not None and status not in STATUSES:
            raise self._error(400, f"Unknown status {status!r}.")
        ids = query.get("ids") or query.get("ids[]")
        if ids:
            query = {**query, "id": ids}
        records, cursor = self.api.list_page(query, body, owner)
        entries = [self.features.decorate(v04.render_list_entry(r), r) for r in records]
        return {"jobs": entries, "next": cursor}

    def get_job(self, job_id: str, owner: Optional[str], **_: Any) -> Dict[str, Any]:
        """``GET /jobs/{id}``: the v0.4 job object."""
        record = self.api._job(job_id, owner)
        return self.features.decorate(v04.render_job(record), record)

    def cancel_job(self, job_id: str, owner: Optional[str], **_: Any) -> Dict[str, Any]:
        """``PUT /jobs/{id}/status/cancel``."""
        answer = self.api.cancel_job(job_id, owner)
        if answer.get("status") == "running":
            answer["status"] = "started"
        return answer

    def results(self, job_id: str, query: Query, owner: Optional[str], **_: Any) -> Response:
        """``GET /jobs/{id}/results/probabilities[/aggregated]``: 404 until completed."""
        aggregation = self.features.aggregation(query)  # v0.4: average|voting|dnl|majority
        sharpen: Union[bool, str] = self.api.sharpen_param(query)
        sharpen = sharpen if aggregation is None else aggregation
        record = self.api._job(job_id, owner, full=True)
        if record["status"] != "completed":
            raise self._error(
                404, f"Job {job_id} is {record['status']}; results exist once it is completed."
            )
        source = results_source(record, sharpen=sharpen)
        if sharpen and source is results_source(record):
            sharpen = False  # same histogram object: share one encoded body
        body = self.api.results_cache.get((job_id, sharpen), source)
        if isinstance(body, FileBody):
            return Response(200, b"", file=body)
        return Response(200, body)

    # ----------------------------------------------------------------- catalog
    def backends(self, **_: Any) -> List[Dict[str, Any]]:
        """``GET /backends``: v0.4 entries (a bare array, public)."""
        catalog = self.api.catalog
        return [
            v04.render_backend(entry, self._current_id(entry["backend"]))
            for entry in catalog.backends()
        ]

    def backend(self, backend: str, **_: Any) -> Dict[str, Any]:
        """``GET /backends/{backend}`` (public)."""
        for entry in self.backends():
            if entry["backend"] == backend:
                return entry
        raise self._error(404, f"Backend {backend!r} not found.")

    def _current_id(self, backend: str) -> Any:
        current = self.api.catalog.current(backend)
        return current["id"] if current else None

    def characterizations(self, backend: str, query: Query, **_: Any) -> Dict[str, Any]:
        """``GET /backends/{b}/characterizations?start=&end=&limit=&page=`` (ISO dates).

        A known backend without characterizations (the simulator) answers
        ``{"characterizations": null, "pages": 0}``, as IonQ has been seen to.
        """
        if backend not in {e["backend"] for e in self.api.catalog.backends()}:
            raise self._error(404, f"Backend {backend!r} not found.")
        try:
            start = v04.iso_date_bound(single_param(query, "start"), "start")
            end = v04.iso_date_bound(single_param(query, "end"), "end")
        except RequestError as exc:
            raise self._error(400, str(exc)) from None
        limit = int_param(single_param(query, "limit") or 10, "limit", 1, 10)
        page = int_param(single_param(query, "page") or 1, "page", 1)
        history = self.api.catalog.history(
            backend, start_ms=start, end_ms=end, limit=limit, page=page
        )
        if history is None:
            return {"characterizations": None, "pages": 0}
        chunk = [v04.render_characterization(c) for c in history["characterizations"]]
        return {"characterizations": chunk, "pages": history["pages"]}

    def characterization(self, backend: str, char_id: str, **_: Any) -> Dict[str, Any]:
        """``GET /backends/{b}/characterizations/{id}``."""
        found = self.api.catalog.by_id(char_id)
        if found is None or found.get("backend") != backend:
            raise self._error(404, f"Characterization {char_id} of {backend!r} not found.")
        return v04.render_characterization(found)

    # ----------------------------------------------------------------- account
    def whoami(self, **_: Any) -> Dict[str, Any]:
        """``GET /whoami``: a stable identity for the emulator's key (never the key)."""
        return {
            "key_id": str(uuid.uuid5(uuid.NAMESPACE_URL, "qiskit-ionq-emulator/key")),
            "key_name": "emulator",
            "project_id": str(uuid.uuid5(uuid.NAMESPACE_URL, "qiskit-ionq-emulator/project")),
        }

    def health(self, **_: Any) -> Dict[str, Any]:
        """``GET /health`` -> ``{"status": "pass"}`` (public)."""
        return {"status": "pass"}
