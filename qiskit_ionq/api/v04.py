"""REST routes of the IonQ API v0.4, mapped to the same internal job view as v0.3.

Why this module exists: v0.4 (https://docs.ionq.com/api-reference/v0.4/introduction) keeps
v0.3's resources but renames and moves fields. This adapter is the only code that knows
those differences (docs/reference/ionq-api.md §9 lists them); jobs, results, backends, retries and
exactly-once submission above it are the same code for both versions.

What it maps:

* create body: ``target`` -> ``backend``; a ``type`` discriminator (``ionq.circuit.v1`` or
  ``ionq.multi-circuit.v1``); ``error_mitigation.debias`` -> ``settings.error_mitigation.
  debiasing``; no ``input.format`` and no top-level ``registers`` (the measurement map
  travels in the client's metadata header). The answer is HTTP 201.
* job objects -> the view (:mod:`.jobview`): ``started`` -> ``running``; ISO timestamps ->
  epoch seconds; ``stats.{qubits,circuits,gate_counts}`` -> top level; ``child_job_ids`` ->
  ``children``; ``backend`` -> ``target``; ``failure.message`` -> also ``failure.error``;
  ``execution_duration_ms`` -> ``execution_time``; ``metadata: null`` -> ``{}``;
  ``results.probabilities.url`` (or a v1 probabilities artifact) -> ``results_url``.
* results: the job's own root-relative URL (it carries its own ``/v0.4`` segment), else
  ``/jobs/{id}/results/probabilities``, with ``/aggregated`` for a multi-circuit parent.
* characterizations: ``/backends/{b}/characterizations?limit=1`` and its first element
  (the list may be ``null``: no characterization).

Choices on points IonQ's documents leave open (be liberal in what we accept):

* ``GET /backends`` may answer a bare array (documented) or ``{"backends": [...]}``.
* ``degraded`` may be absent (view: ``None``); ``last_updated`` may be ISO or epoch.
* A job may still say ``running`` (a v0.3-style server); it is the same status.
* A ``results`` map may hold URL entries, artifact descriptors keyed by format, or both; a
  v1 probabilities artifact is read through ``/jobs/{id}/artifacts/{artifact id}``. The
  register-nested v2 formats are not decoded here (the default route is used instead).
"""

from __future__ import annotations

import json
from typing import Any, Dict, FrozenSet, Iterable, Mapping, Optional
from urllib.parse import quote

from ..exceptions import IonQAPIError, IonQClientError
from .adapter import BaseAdapter, job_segment, listed_ids, not_found, qpu_name
from .jobview import epoch_seconds
from .v04_features import V04_FEATURES, V04FeatureRoutes

__all__ = ["V04Adapter", "v04_body"]

SINGLE_CIRCUIT = "ionq.circuit.v1"
MULTI_CIRCUIT = "ionq.multi-circuit.v1"
# Result formats whose body is the flat (or per-child) probabilities map we decode.
_PROBABILITY_ARTIFACTS = (
    "ionq.result.probabilities.json.v1",
    "ionq.result.probabilities-aggregate.json.v1",
)
# (v0.4 field, view field): timestamps.
_TIMES = (("submitted_at", "request"), ("started_at", "start"), ("completed_at", "response"))


def v04_body(body: Mapping[str, Any]) -> Dict[str, Any]:
    """A job body of the serializer's (v0.3) shape, in the v0.4 shape; ``body`` is not modified.

    A body that already has a ``type`` and no ``target`` is taken as v0.4 and only copied.
    Gate lists are not touched (they may be pre-encoded JSON text).
    """
    if "type" in body and "target" not in body:
        return dict(body)
    out: Dict[str, Any] = {}
    settings = body.get("settings")
    settings = dict(settings) if isinstance(settings, Mapping) else {}
    for key, value in body.items():
        if key == "target":
            out["backend"] = value
        elif key == "error_mitigation" and isinstance(value, Mapping):
            mitigation = dict(settings.get("error_mitigation") or {})
            for name, flag in value.items():
                mitigation["debiasing" if name == "debias" else name] = flag
            settings["error_mitigation"] = mitigation
        elif key == "registers" or key == "settings":
            continue  # registers: the measurement map travels in the metadata header
        elif key == "input" and isinstance(value, Mapping):
            out["input"] = {k: v for k, v in value.items() if k != "format"}
        else:
            out[key] = value
    if settings:
        out["settings"] = settings
    program = out.get("input")
    multi = isinstance(program, Mapping) and "circuits" in program
    out.setdefault("type", MULTI_CIRCUIT if multi else SINGLE_CIRCUIT)
    return out


class V04Adapter(V04FeatureRoutes, BaseAdapter):
    """The routes of IonQ API v0.4 (see the module docstring for what is mapped)."""

    version = "v0.4"
    CAPABILITIES: FrozenSet[str] = frozenset(
        {"whoami", "health", "backend_details", *V04_FEATURES}
    )  # V04_FEATURES: qasm3, shots, dry runs, cost, sessions... (.v04_features)

    # -- mappings -------------------------------------------------------------------------
    def create_body(self, job: Any) -> Any:
        """The v0.4 create body of ``job`` (a mapping, JSON text, or the serializer's payload)."""
        body = getattr(job, "body", None)
        if isinstance(body, Mapping) and callable(getattr(job, "to_json", None)):
            # The serializer's JobPayload: same class around the mapped body, gate lists
            # still pre-encoded text (no decode/encode of a large circuit).
            return type(job)(v04_body(body))
        if not isinstance(job, Mapping):
            serialize = getattr(job, "serialize", None)
            if callable(serialize):
                job = serialize()
            if isinstance(job, (str, bytes)):
                try:
                    job = json.loads(job)
                except ValueError as err:
                    raise IonQClientError(f"The job body is not valid JSON: {err}") from None
        return v04_body(job) if isinstance(job, Mapping) else job

    def job_view(self, job: Mapping[str, Any]) -> Dict[str, Any]:
        """A v0.4 job object (or list entry, or create/cancel answer) as the internal view."""
        view = dict(job)
        get = job.get
        if get("status") == "started":
            view["status"] = "running"
        if view.get("target") is None and get("backend") is not None:
            view["target"] = job["backend"]
        children = get("child_job_ids")
        if children is None:
            children = get("children")
        view["children"] = [str(c) for c in children] if children else []
        stats = get("stats")
        if type(stats) is dict:  # exact type checks: this runs for every job read
            for key in ("qubits", "circuits", "gate_counts"):
                if view.get(key) is None and stats.get(key) is not None:
                    view[key] = stats[key]
        for new, old in _TIMES:
            if view.get(old) is None and get(new) is not None:
                view[old] = epoch_seconds(job[new])
        if view.get("execution_time") is None and get("execution_duration_ms") is not None:
            view["execution_time"] = job["execution_duration_ms"]
        predicted = get("predicted_execution_duration_ms")
        if view.get("predicted_execution_time") is None and predicted is not None:
            view["predicted_execution_time"] = predicted
        if "metadata" in view and view["metadata"] is None:
            view["metadata"] = {}
        failure = get("failure")
        if failure and isinstance(failure, dict):
            text = failure.get("message") or failure.get("error") or ""
            view["failure"] = {**failure, "message": text, "error": text}
        if get("results"):
            url = self._results_link(job)
            if url is not None:
                view["results_url"] = url
        return view

    def _results_link(self, job: Mapping[str, Any]) -> Optional[str]:
        """Where the job's probabilities are, from its ``results`` map (``None``: not said)."""
        results = job.get("results")
        if not isinstance(results, dict):
            return None
        entry = results.get("probabilities")
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            return str(entry["url"])
        for fmt in _PROBABILITY_ARTIFACTS:
            artifact = results.get(fmt)
            if isinstance(artifact, dict) and artifact.get("id") and job.get("id"):
                job_id = quote(str(job["id"]), safe="")
                artifact_id = quote(str(artifact["id"]), safe="")
                return f"/{self.version}/jobs/{job_id}/artifacts/{artifact_id}"
        return None

    def backend_view(self, entry: Mapping[str, Any]) -> Dict[str, Any]:
        """A v0.4 backend entry: ``supported_native_gates`` -> ``native_gates``, ISO -> epoch.

        ``degraded`` may be absent (IonQ has omitted it for some systems): left absent.
        """
        view = dict(entry)
        if "last_updated" in entry:
            view["last_updated"] = epoch_seconds(entry["last_updated"])
        gates = entry.get("supported_native_gates")
        if isinstance(gates, list):
            view["native_gates"] = [str(g).lower() for g in gates]
        return view

    # -- jobs -----------------------------------------------------------------------------
    def list_jobs(
        self,
        status: Optional[str] = None,
        ids: Optional[Iterable[str]] = None,
        limit: Optional[int] = None,
        next_cursor: Optional[str] = None,
    ) -> Dict[str, Any]:
        """``GET /jobs``: one page as views; ``next`` is ``None`` on the last page."""
        wire_status = "started" if status == "running" else status
        params: Dict[str, Any] = {"status": wire_status, "limit": limit, "next": next_cursor}
        params["ids"] = listed_ids(ids)  # repeated `ids=` query parameters
        params = {k: v for k, v in params.items() if v is not None}
        page = self._http._get_json("jobs", params=params)
        jobs = page.get("jobs")
        if isinstance(jobs, list):
            page = dict(page)
            page["jobs"] = [self.job_view(j) if isinstance(j, Mapping) else j for j in jobs]
        return page

    def get_results(
        self,
        job_id: str,
        sharpen: Optional[bool] = None,
        extra_query_params: Optional[Mapping[str, Any]] = None,
        *,
        flat_arrays: bool = False,
        job: Optional[Mapping[str, Any]] = None,
    ) -> Dict[str, Any]:
        """The job's probabilities: a histogram, or histograms keyed by child id.

        ``job`` is the job view when the caller has it; without it one ``GET /jobs/{id}``
        learns where the results are (the job's results URL, or the parent's aggregate).
        """
        if job is None:
            job = self.retrieve_job(job_id)
        params = self._results_query(sharpen, extra_query_params)
        url = self._same_origin_url(job.get("results_url"))
        if url is None:
            parts = ["results", "probabilities"]
            if job.get("children"):
                parts.append("aggregated")
            return self._job_call(job_id, *parts, params=params, flat_arrays=flat_arrays)
        try:
            return self._http._get_json(url=url, params=params, flat_arrays=flat_arrays)
        except IonQAPIError as err:
            if err.status_code != 404:
                raise
            missing = err
        raise not_found(job_id, missing)

    # -- characterizations ----------------------------------------------------------------
    def get_calibration_data(self, backend_name: str) -> Optional[Dict[str, Any]]:
        """The newest characterization: ``GET /backends/{b}/characterizations?limit=1``.

        Returns ``None`` when the backend has none (the API answers ``null`` or ``[]``).
        """
        target = quote(qpu_name(backend_name), safe="")
        page = self._http._get_json(
            "backends", target, "characterizations", params={"limit": 1}, auth=False
        )
        found = page.get("characterizations")
        if not isinstance(found, list) or not found or not isinstance(found[0], Mapping):
            return None
        return dict(found[0])

    def get_characterization(
        self, characterization_id: str, backend_name: Optional[str] = None
    ) -> Dict[str, Any]:
        """``GET /backends/{b}/characterizations/{uuid}``: v0.4 needs the backend's name."""
        if not backend_name:
            raise IonQClientError(
                "On IonQ API v0.4 a characterization is read through its backend: pass "
                "backend_name (e.g. 'qpu.forte-1') with the characterization id."
            )
        target = quote(qpu_name(backend_name), safe="")
        segment = job_segment(characterization_id)
        return self._http._get_json("backends", target, "characterizations", segment)

    def get_backend_details(self, backend_name: str) -> Dict[str, Any]:
        """``GET /backends/{b}``: one backend entry as a backend view (no token needed)."""
        target = quote(qpu_name(backend_name), safe="")
        return self.backend_view(self._probe_json("backends", target))
