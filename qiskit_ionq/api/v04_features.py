"""REST routes of the features only IonQ API v0.4 has: shots, artifacts, cost, sessions.

Why a module of its own: these routes exist in one API version only, and the v0.4 adapter
(:mod:`.v04`) gets them by inheriting :class:`V04FeatureRoutes`; the capability names in
:data:`V04_FEATURES` are what the objects above the adapter ask for
(``client.supports("sessions")``), so no ``if version`` is needed anywhere else. On an
adapter without them, :func:`require_feature` raises the clear "this needs IonQ API v0.4"
error.

Routes (https://docs.ionq.com/api-reference/v0.4/introduction):

* ``GET /jobs/{id}/artifacts/{artifact}`` -- a result or compiled-circuit artifact; JSON,
  or text (OpenQASM 3) by its ``Content-Type``;
* per-shot data: the job's v2 shots artifact when its ``results`` lists one (it carries
  leakage tags), else its ``results.shots.url`` (v1);
* ``GET /jobs/{id}/cost``, ``GET /jobs/estimate``;
* ``POST /sessions``, ``GET /sessions[/{id}]``, ``POST /sessions/{id}/end``;
* ``GET /jobs`` with the v0.4 filters ``target`` (backend) and ``session_id``;
* ``aggregation=`` on the probabilities route.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, Mapping, Optional
from urllib.parse import quote

from ..exceptions import IonQAPIVersionError, IonQClientError, IonQJobError

__all__ = [
    "SHOTS_V2",
    "V04_FEATURES",
    "V04FeatureRoutes",
    "filter_jobs_page",
    "require_feature",
]

SHOTS_V2 = "ionq.result.shots.json.v2"
#: Capability names of the v0.4-only features.
V04_FEATURES = frozenset(
    {
        "qasm3",
        "shots",
        "dry_run",
        "cost",
        "estimate",
        "sessions",
        "aggregation",
        "mitigation",
        "job_filters",
    }
)


def require_feature(client: Any, capability: str, what: str) -> None:
    """Raise :class:`IonQAPIVersionError` when ``client`` lacks ``capability``.

    Args:
        client: the REST client (``IonQClient``), or anything with ``supports``.
        capability: one of :data:`V04_FEATURES`.
        what: the user-facing description of the feature, e.g. ``"backend.session()"``.
    """
    supports = getattr(client, "supports", None)
    if callable(supports) and supports(capability):
        return
    current = str(getattr(client, "api_version", "v0.3") or "v0.3")
    raise IonQAPIVersionError(what, "v0.4", current)


def filter_jobs_page(page: Mapping[str, Any], backend: Optional[str]) -> Dict[str, Any]:
    """A ``GET /jobs`` page keeping only jobs on ``backend`` (for APIs without the filter)."""
    out = dict(page)
    if backend is not None:
        out["jobs"] = [j for j in page.get("jobs") or [] if j.get("target") == backend]
    return out


class V04FeatureRoutes:
    """Mixin of the v0.4 adapter: the routes of the v0.4-only features (module docstring).

    Relies on the adapter's ``_http`` connection, ``_job_call`` and ``_same_origin_url``.
    """

    # Provided by the adapter this is mixed into (annotations only: no stubs that would
    # shadow the adapter's own methods in the MRO).
    _http: Any
    version: str
    _job_call: Callable[..., Any]
    _same_origin_url: Callable[[Any], Optional[str]]

    # -- artifacts and shots --------------------------------------------------------------
    def get_artifact(self, job_id: str, artifact_id: str) -> Any:
        """``GET /jobs/{id}/artifacts/{artifact}``: decoded JSON, or ``str`` for text."""
        segment = quote(str(job_id), safe="")
        reply = self._http._call("GET", "jobs", segment, "artifacts", quote(artifact_id, safe=""))
        kind = str(reply.headers.get("Content-Type") or reply.headers.get("content-type") or "")
        if kind.startswith("text/"):
            return reply.text
        if "octet-stream" in kind:
            return reply.content
        try:
            return json.loads(reply.content)
        except ValueError:
            return reply.text

    def get_shots(self, job_id: str, job: Mapping[str, Any]) -> Any:
        """The job's per-shot data: the v2 artifact if listed, else the v1 shots URL.

        Raises:
            IonQJobError: the job lists no per-shot data (e.g. the ideal simulator).
        """
        results = job.get("results")
        results = results if isinstance(results, Mapping) else {}
        descriptor = results.get(SHOTS_V2)
        if isinstance(descriptor, Mapping) and descriptor.get("id"):
            return self.get_artifact(job_id, str(descriptor["id"]))
        entry = results.get("shots")
        url = self._same_origin_url(entry.get("url")) if isinstance(entry, Mapping) else None
        if url is None:
            raise IonQJobError(
                f"Job {job_id} has no per-shot results: IonQ records shots for QPU and "
                "noisy-simulator jobs only (the ideal simulator returns probabilities)."
            )
        return self._http._get_json(url=url, expect=object)

    # -- cost -----------------------------------------------------------------------------
    def get_job_cost(self, job_id: str) -> Dict[str, Any]:
        """``GET /jobs/{id}/cost``."""
        return dict(self._job_call(job_id, "cost"))

    def estimate_job(self, query: Mapping[str, Any]) -> Dict[str, Any]:
        """``GET /jobs/estimate`` with the documented query names."""
        return dict(self._http._get_json("jobs", "estimate", params=dict(query)))

    # -- sessions ---------------------------------------------------------------------------
    def create_session(self, body: Mapping[str, Any]) -> Dict[str, Any]:
        """``POST /sessions`` (201): the new session."""
        data = json.dumps(dict(body), separators=(",", ":")).encode()
        reply = self._http._call("POST", "sessions", body=data)
        created = reply.json()
        if not isinstance(created, dict) or not created.get("id"):
            raise IonQClientError(f"Unexpected answer to POST /sessions: {created!r}")
        return created

    def get_session(self, session_id: str) -> Dict[str, Any]:
        """``GET /sessions/{id}``."""
        return dict(self._http._get_json("sessions", quote(str(session_id), safe="")))

    def end_session(self, session_id: str) -> Dict[str, Any]:
        """``POST /sessions/{id}/end``."""
        segment = quote(str(session_id), safe="")
        reply = self._http._call("POST", "sessions", segment, "end")
        data = reply.json()
        return data if isinstance(data, dict) else {"id": session_id}

    def list_sessions(self, active: Optional[bool] = None) -> Dict[str, Any]:
        """``GET /sessions?active=``."""
        params = None if active is None else {"active": "true" if active else "false"}
        return dict(self._http._get_json("sessions", params=params))

    # -- listing --------------------------------------------------------------------------
    def list_jobs_page(
        self,
        *,
        status: Optional[str] = None,
        limit: Optional[int] = None,
        next_cursor: Optional[str] = None,
        backend: Optional[str] = None,
        session_id: Optional[str] = None,
    ) -> Dict[str, Any]:
        """``GET /jobs`` with the v0.4 filters (``target`` names the backend)."""
        wire_status = "started" if status == "running" else status
        params: Dict[str, Any] = {
            "status": wire_status,
            "limit": limit,
            "next": next_cursor,
            "target": backend,
            "session_id": session_id,
        }
        page = self._http._get_json(
            "jobs", params={k: v for k, v in params.items() if v is not None}
        )
        view = getattr(self, "job_view", None)
        jobs = page.get("jobs")
        if callable(view) and isinstance(jobs, list):
            page = {**page, "jobs": [view(j) if isinstance(j, Mapping) else j for j in jobs]}
        return dict(page)

    def aggregation_query(self, aggregation: Optional[str]) -> Dict[str, Any]:
        """Query parameters asking for ``aggregation`` of a debiased job's results."""
        return {} if aggregation is None else {"aggregation": aggregation}
