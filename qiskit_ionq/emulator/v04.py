"""The v0.4 face of the emulator: request mapping and rendering, pure functions of records.

IonQ serves API v0.4 beside v0.3 over the same jobs (https://docs.ionq.com/api-reference/
v0.4/introduction): a job created through one version is visible through the other. The
emulator does the same: the job store, the lifecycle and the simulator speak the v0.3 shape,
and this module translates at the edge.

* A v0.4 create body (``type``, ``backend``, ``settings.error_mitigation.debiasing``) becomes
  the stored (v0.3-shaped) body; the answer is ``{"id", "status", "session_id"}`` with 201.
* A record renders as a v0.4 job object with every documented key present (``null`` where
  unknown): ``started`` for running, ISO-8601 timestamps (milliseconds, ``Z``), sizes under
  ``stats``, ``child_job_ids``, ``backend``, ``failure: {code, message, error}`` (both texts:
  clients read ``error``, the reference documents ``message``), ``metadata: null`` when none,
  and ``results.probabilities.url`` (root-relative, with the ``/v0.4`` segment; the
  aggregate route for a multi-circuit parent).
* Backends carry ``supported_native_gates``, ``characterization_id`` and ISO
  ``last_updated``; characterizations carry ISO ``date``.

Choices on open questions: the create answer says ``submitted`` (as IonQ's v0.4 tutorial
shows); unknown top-level keys are ignored; ``shots`` may be a numeric string.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from .jobs import FINAL, RequestError
from .store import Record

__all__ = [
    "PREFIX",
    "render_backend",
    "render_characterization",
    "render_job",
    "to_stored_body",
]

PREFIX = "/v0.4"
JOB_TYPES = ("ionq.circuit.v1", "ionq.multi-circuit.v1")


def iso(epoch: Optional[float]) -> Optional[str]:
    """Epoch seconds as ISO-8601 UTC with milliseconds and ``Z`` (``None`` stays ``None``)."""
    if epoch is None:
        return None
    moment = datetime.fromtimestamp(float(epoch), tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def to_stored_body(body: Any) -> Dict[str, Any]:
    """A v0.4 ``POST /jobs`` body as the (v0.3-shaped) body the store and simulator read.

    Raises:
        RequestError: not a JSON object, or a missing/unsupported ``type``, or no ``backend``.
    """
    if not isinstance(body, dict):
        raise RequestError("The request body must be a JSON object describing the job.")
    kind = body.get("type")
    if kind is None:
        raise RequestError(f"Missing 'type'; expected one of {list(JOB_TYPES)}.")
    if kind not in JOB_TYPES:
        raise RequestError(f"Unsupported job type {kind!r}; expected one of {list(JOB_TYPES)}.")
    if "backend" not in body:
        raise RequestError("Missing 'backend' (v0.4 names the machine 'backend', not 'target').")
    program = body.get("input")
    if isinstance(program, dict):
        has_many = "circuits" in program
        if (kind == JOB_TYPES[1]) != has_many:
            want = "'input.circuits'" if kind == JOB_TYPES[1] else "'input.circuit'"
            raise RequestError(f"A job of type {kind!r} needs {want}.")
        if has_many and "circuit" in program:
            raise RequestError("Send either 'input.circuit' or 'input.circuits', not both.")
    stored: Dict[str, Any] = {k: v for k, v in body.items() if k not in ("backend", "type")}
    stored["target"] = body["backend"]
    settings = body.get("settings")
    mitigation = settings.get("error_mitigation") if isinstance(settings, dict) else None
    if isinstance(mitigation, dict) and "debiasing" in mitigation:
        stored["error_mitigation"] = {"debias": bool(mitigation["debiasing"])}
    return stored


def created(record: Record) -> Dict[str, Any]:
    """The 201 answer of ``POST /jobs``: exactly ``id``, ``status`` and ``session_id``."""
    return {"id": record["id"], "status": "submitted", "session_id": None}


def render_job(record: Record) -> Dict[str, Any]:
    """A stored record as a v0.4 job object (every documented key present)."""
    status = record["status"]
    echo = record["echo"]
    job_id = record["id"]
    children = list(record["children"])
    completed = status == "completed"
    simulator = echo.get("target") == "simulator"
    kind = "ionq.multi-circuit.v1" if children else "ionq.circuit.v1"
    stats: Dict[str, Any] = {"circuits": record["circuits"]}
    if record.get("qubits") is not None:
        stats["qubits"] = record["qubits"]
    if record.get("gate_counts"):
        stats["gate_counts"] = dict(record["gate_counts"])
    settings = dict(echo.get("settings") or {})
    if "error_mitigation" in echo and "error_mitigation" not in settings:
        debias = (echo.get("error_mitigation") or {}).get("debias")
        settings["error_mitigation"] = {"debiasing": debias}
    failure = record.get("failure") if status == "failed" else None
    results: Optional[Dict[str, Any]] = None
    if completed:
        base = f"{PREFIX}/jobs/{job_id}/results"
        probabilities = f"{base}/probabilities" + ("/aggregated" if children else "")
        results = {"probabilities": {"url": probabilities}}
    job: Dict[str, Any] = {
        "id": job_id,
        "status": "started" if status == "running" else status,
        "type": kind,
        "backend": echo.get("target"),
        "dry_run": False,
        "submitter_id": None,
        "project_id": None,
        "parent_job_id": record.get("parent"),
        "child_job_ids": children or None,
        "session_id": None,
        "metadata": echo.get("metadata") or None,
        "name": echo.get("name"),
        "submitted_at": iso(record.get("request")),
        "started_at": iso(record.get("start")),
        "completed_at": iso(record.get("response")) if status in FINAL else None,
        "predicted_wait_time_ms": None,
        "predicted_execution_duration_ms": record.get("predicted_execution_time"),
        "execution_duration_ms": int(record.get("execution_time") or 0) if completed else None,
        "shots": echo.get("shots"),
        "failure": (
            {
                "code": failure.get("code"),
                "message": failure.get("error"),
                "error": failure.get("error"),
            }
            if isinstance(failure, dict)
            else None
        ),
        "cost_model": "QCT",
        "settings": settings,
        "stats": stats,
        "output": {},
        "results": results,
    }
    if simulator:
        job["noise"] = echo.get("noise") or {"model": "ideal"}  # simulator jobs only
    if record.get("warnings"):
        job["warning"] = {"messages": list(record["warnings"])}
    return job


def render_list_entry(record: Record) -> Dict[str, Any]:
    """A job in ``GET /jobs``: the job object without ``child_job_ids``."""
    job = render_job(record)
    job.pop("child_job_ids", None)
    return job


# Native two-qubit gate by system family (what `supported_native_gates` lists).
_NATIVE = {"harmony": "ms", "aria": "ms", "forte": "zz", "tempo": "zz"}
_QIS = ["x", "y", "z", "rx", "ry", "rz", "h", "not", "cnot", "s", "si", "t", "ti", "v", "vi"]
_QIS += ["swap", "xx", "yy", "zz", "pauliexp"]


def native_gates(backend: str) -> List[str]:
    """``supported_native_gates`` of a backend (the simulator takes both entanglers)."""
    family = next((f for f in _NATIVE if f in backend), None)
    return ["gpi", "gpi2", _NATIVE[family]] if family else ["gpi", "gpi2", "ms", "zz"]


def render_backend(entry: Dict[str, Any], characterization_id: Optional[str]) -> Dict[str, Any]:
    """A v0.3 backend entry of the catalog as the v0.4 entry."""
    backend = str(entry["backend"])
    out = {k: v for k, v in entry.items() if k != "characterization_url"}
    out["last_updated"] = iso(entry.get("last_updated"))
    out["characterization_id"] = characterization_id
    out["supported_gates"] = list(_QIS)
    out["supported_native_gates"] = native_gates(backend)
    out["supported_error_mitigations"] = [] if backend == "simulator" else ["debiasing"]
    return out


def render_characterization(characterization: Dict[str, Any]) -> Dict[str, Any]:
    """A characterization with the v0.4 ISO ``date``."""
    out = dict(characterization)
    out["date"] = iso(characterization.get("date"))
    return out


def iso_date_bound(value: Optional[str], name: str) -> Optional[int]:
    """A v0.4 ``start``/``end`` filter (ISO date or date-time) as epoch milliseconds."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RequestError(
            f"'{name}' must be an ISO-8601 date such as 2026-01-31, got {value!r}."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)
