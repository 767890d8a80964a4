"""Handlers of the v0.4-only routes: OpenQASM 3 and dry-run jobs, artifacts, shots, cost, sessions.

They sit beside the ``/v0.4`` job handlers and share the job store, lifecycle and catalog
(:class:`~.server.Api`). What each adds (IonQ's reference:
https://docs.ionq.com/api-reference/v0.4/introduction):

* ``POST /jobs`` also takes ``type: ionq.qasm3.v1`` (``input.data`` = program text),
  ``dry_run`` and ``session_id``; a job that would break its session's limits is refused
  with 400 and not created (:mod:`.sessions`).
* job objects gain ``type``, ``dry_run``, ``session_id``, the v2 result artifacts of
  OpenQASM 3 jobs (``results`` keyed by format), ``results.shots``/``histogram`` URLs of noisy
  and QPU jobs, ``results: null`` and ``output.compilation.compiled_circuits`` for dry runs
  (:meth:`V04Features.decorate`).
* ``GET /jobs/{id}/artifacts/{artifact}`` (JSON, or text for OpenQASM 3),
  ``GET /jobs/{id}/results/shots`` (v1: decimal strings) and ``/results/histogram``.
* ``GET /jobs/{id}/cost`` and ``GET /jobs/estimate`` (:mod:`.cost_model`).
* ``POST /sessions``, ``GET /sessions``, ``GET /sessions/{id}``, ``POST /sessions/{id}/end``,
  ``GET /sessions/{id}/jobs``; ``GET /jobs?session_id=&target=`` filters. With several API
  keys, each key sees only its own sessions, as with jobs.
* ``aggregation=average|voting|dnl|majority`` on the probabilities route: the four
  aggregations of a debiased job (``dnl`` and ``majority`` as defined in
  :func:`.simulation.noise.other_aggregations`); without debiasing all four are the plain
  frequencies.

Per-job extras (type, dry run, session, estimated cost) are written into the job's record
(field :data:`EXTRAS_FIELD`), so a SQLite store keeps them across a restart; a copy in memory
saves a store read per rendering. Sessions themselves live in memory only.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from . import cost_model
from .http_api import (
    KEY,
    ApiError,
    ApiState,
    Query,
    Response,
    int_param,
    json_response,
    single_param,
)
from .jobs import RequestError
from .sessions import SessionRefusal, SessionStore
from .simulation import qasm3_exec
from .simulation.gates import JobFailure
from .v04_jobs import (
    ARTIFACT_FORMATS,
    FeatureSettings,
    FeatureSimulator,
    json_job_shots,
    stored_qasm3_input,
)

__all__ = ["EXTRAS_FIELD", "V04Features"]

EXTRAS_FIELD = "v04_extras"  # light record field: what a v0.4 create said beyond the body

QASM3_TYPE = "ionq.qasm3.v1"
PREFIX = "/v0.4"
_ESTIMATE_TYPES = ("ionq.circuit.v1", "ionq.multi-circuit.v1", QASM3_TYPE)
# What each aggregation asks of the stored results (see jobs.results_source): the default
# histogram, the sharpened (plurality) one, or one kept by name in ``aggregations``.
_AGGREGATIONS: Dict[str, Union[bool, str]] = {
    "average": False,
    "voting": True,
    "dnl": "dnl",
    "majority": "majority",
}


def _flag(value: Optional[str], name: str, default: bool = False) -> bool:
    if value is None:
        return default
    text = value.strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ApiError(400, f"'{name}' must be true or false, got {value!r}.")


class V04Features:
    """State and handlers of the v0.4-only features (see the module docstring).

    Args:
        api: the shared API object (store, manager, catalog).
        settings: the emulator's feature switches.
    """

    def __init__(self, api: ApiState, settings: Optional[FeatureSettings] = None) -> None:
        self.api = api
        self.settings = settings or FeatureSettings()
        self.sessions = SessionStore(self._session_backends)
        self._extras: Dict[str, Dict[str, Any]] = {}
        self._lock = threading.Lock()

    def routes(self, job: str) -> List[Tuple[str, str, Dict[str, Any], str]]:
        """The extra ``/v0.4`` route table entries (``job`` = the job id pattern).

        ``/jobs/estimate`` comes first: it would otherwise match ``/jobs/{id}``.
        """

        session = r"(?P<session_id>[^/]+)"
        artifact = r"(?P<artifact_id>[^/]+)"
        return [
            ("/jobs/estimate", "/jobs/estimate", {"GET": self.estimate}, KEY),
            (f"/jobs/{job}/cost", "/jobs/{id}/cost", {"GET": self.cost}, KEY),
            (f"/jobs/{job}/results/shots", "/jobs/{id}/results/shots", {"GET": self.shots}, KEY),
            (
                f"/jobs/{job}/results/histogram",
                "/jobs/{id}/results/histogram",
                {"GET": self.histogram},
                KEY,
            ),
            (
                f"/jobs/{job}/artifacts/{artifact}",
                "/jobs/{id}/artifacts/{artifact}",
                {"GET": self.artifact},
                KEY,
            ),
            (
                "/sessions",
                "/sessions",
                {"GET": self.list_sessions, "POST": self.create_session},
                KEY,
            ),
            (f"/sessions/{session}", "/sessions/{id}", {"GET": self.get_session}, KEY),
            (f"/sessions/{session}/end", "/sessions/{id}/end", {"POST": self.end_session}, KEY),
            (f"/sessions/{session}/jobs", "/sessions/{id}/jobs", {"GET": self.session_jobs}, KEY),
        ]

    def session_jobs(
        self, session_id: str, query: Query, body: Any, owner: Optional[str] = None, **_: Any
    ) -> Dict[str, Any]:
        """``GET /sessions/{id}/jobs``: the ``/jobs`` list of one session."""
        listed = {**query, "session_id": [session_id]}
        return self.api.v04.list_jobs(query=listed, body=body, owner=owner)

    # ----------------------------------------------------------------- helpers
    def _session_backends(self) -> List[str]:
        return [e["backend"] for e in self.api.catalog.backends() if e["backend"] != "simulator"]

    def extras(self, job_id: str) -> Dict[str, Any]:
        """What the create request said beyond the stored body (type, dry run, session);
        read from the job's record when this process did not create it (a restart)."""
        with self._lock:
            found = self._extras.get(job_id)
        if found is None:
            record = self.api.manager.store.get(job_id, include_deleted=True)
            read = dict((record or {}).get(EXTRAS_FIELD) or {})
            with self._lock:  # also "none" is kept: a job created meanwhile overwrites it
                found = self._extras.setdefault(job_id, read)
        return dict(found)

    def _simulator(self) -> Optional[FeatureSimulator]:
        sim = self.api.manager.sim
        return sim if isinstance(sim, FeatureSimulator) else None

    def _counts(self, stored: Dict[str, Any]) -> Tuple[int, int, int]:
        """(1q, 2q, qubits) of a stored body, for the cost; zeros when it does not parse."""
        try:
            sim = self._simulator()
            program = sim.qasm3_program(stored) if sim is not None else None
            if program is not None:
                one = two = 0
                for instruction in program.circuit.data:
                    name = instruction.operation.name
                    if name in ("measure", "reset", "barrier", "delay"):
                        continue
                    if len(instruction.qubits) > 1:
                        two += 1
                    else:
                        one += 1
                return one, two, program.num_qubits
            from .simulation.simulator import parse_circuits

            one = two = width = 0
            for circuit in parse_circuits(stored):
                width = max(width, circuit.width)
                for gate in circuit.gates:
                    if len(gate.qubits) > 1:
                        two += 1
                    else:
                        one += 1
            return one, two, width
        except (JobFailure, ValueError, TypeError, KeyError):
            return 0, 0, 0

    # ----------------------------------------------------------------- create
    def create_job(
        self,
        body: Any,
        to_stored_body: Callable[[Any], Dict[str, Any]],
        owner: Optional[str] = None,
        **_: Any,
    ) -> Response:
        """``POST /jobs`` (v0.4): 201 ``{"id", "status", "session_id"}``."""
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object describing the job.")
        kind = body.get("type")
        try:
            if kind == QASM3_TYPE:
                if "backend" not in body:
                    raise RequestError("Missing 'backend'.")
                program = body.get("input")
                if not isinstance(program, dict) or not isinstance(program.get("data"), str):
                    raise RequestError(
                        "A job of type 'ionq.qasm3.v1' needs 'input.data' (the program text)."
                    )
                stored = {k: v for k, v in body.items() if k not in ("backend", "type")}
                stored["target"] = body["backend"]
                stored["input"] = stored_qasm3_input(body)
                settings = body.get("settings")
                mitigation = (
                    settings.get("error_mitigation") if isinstance(settings, dict) else None
                )
                if isinstance(mitigation, dict) and "debiasing" in mitigation:
                    stored["error_mitigation"] = {"debias": bool(mitigation["debiasing"])}
            else:
                stored = to_stored_body({k: v for k, v in body.items() if k != "session_id"})
            dry_run = body.get("dry_run", False)
            if not isinstance(dry_run, bool):
                raise RequestError(f"'dry_run' must be true or false, got {dry_run!r}.")
            if dry_run:
                stored["dry_run"] = True
        except RequestError as exc:
            raise ApiError(400, str(exc)) from None
        one, two, qubits = self._counts(stored)
        target = str(stored.get("target"))
        em = bool((stored.get("error_mitigation") or {}).get("debias"))
        shots = stored.get("shots", 100)
        shots = int(shots) if str(shots).strip().isdigit() else 100
        estimated = cost_model.price(target, shots, one, two, em)
        session_id = body.get("session_id")
        if session_id is not None:
            try:
                self.sessions.admit(str(session_id), target, estimated, owner)
            except SessionRefusal as exc:
                raise ApiError(exc.status, str(exc)) from None
        try:
            record = self.api.manager.create(stored, owner=owner)
        except RequestError as exc:
            raise ApiError(400, str(exc)) from None
        self.api.stats.job_created(record)
        extras = {
            "type": kind or "ionq.circuit.v1",
            "dry_run": dry_run,
            "session_id": None if session_id is None else str(session_id),
            "estimated_cost": estimated,
            "shots": shots,
            "two_qubit_gates": two,
        }
        with self._lock:
            self._extras[record["id"]] = extras
        self.api.manager.store.update(record["id"], {EXTRAS_FIELD: extras})
        if session_id is not None:
            self.sessions.record(str(session_id), record["id"], estimated)
        answer = {"id": record["id"], "status": "submitted", "session_id": extras["session_id"]}
        return json_response(answer, 201)

    # ----------------------------------------------------------------- rendering
    def decorate(self, job: Dict[str, Any], record: Dict[str, Any]) -> Dict[str, Any]:
        """Add the v0.4-only fields of ``record`` to its rendered v0.4 job object."""
        extras = self.extras(record["id"])
        if not extras and record.get("parent"):
            extras = {k: v for k, v in self.extras(record["parent"]).items() if k != "type"}
        if extras.get("type"):
            job["type"] = extras["type"]
        job["dry_run"] = bool(extras.get("dry_run"))
        job["session_id"] = extras.get("session_id")
        # Only the ids: a store may keep the artifacts themselves out of light records.
        artifacts = set(record.get("artifact_ids") or record.get("artifacts") or ())
        base = f"{PREFIX}/jobs/{record['id']}"

        def descriptor(artifact_id: str) -> Dict[str, Any]:
            fmt, media = ARTIFACT_FORMATS[artifact_id]
            return {"id": artifact_id, "format": fmt, "media_type": media.split(";")[0]}

        if job["dry_run"]:
            job["results"] = None
            compiled = {
                ARTIFACT_FORMATS[a][0]: descriptor(a)
                for a in ("compiled-native", "compiled-qasm3")
                if a in artifacts
            }
            output = dict(job.get("output") or {})
            if compiled:
                output["compilation"] = {"compiled_circuits": compiled, "opt": 1}
            job["output"] = output
            return job
        if record["status"] != "completed":
            return job
        results = dict(job.get("results") or {})
        if extras.get("type") == QASM3_TYPE:
            # The ideal simulator keeps no shots (IonQ returns its probabilities only).
            kinds = ("shots-v2", "histogram-v2") if self._has_shots(record) else ()
            results = {
                ARTIFACT_FORMATS[a][0]: descriptor(a)
                for a in (*kinds, "probabilities-v2")
                if a in artifacts
            }
        elif self._has_shots(record):
            results["shots"] = {"url": f"{base}/results/shots"}
            results["histogram"] = {"url": f"{base}/results/histogram"}
            results[ARTIFACT_FORMATS["shots-v2"][0]] = descriptor("shots-v2")
        job["results"] = results
        return job

    @staticmethod
    def _has_shots(record: Dict[str, Any]) -> bool:
        """Noisy simulator or QPU single-circuit job (the ideal simulator has no shots)."""
        echo = record.get("echo") or {}
        if record.get("children"):
            return False
        if echo.get("target") == "simulator":
            return ((echo.get("noise") or {}).get("model") or "ideal") != "ideal"
        return True

    # ----------------------------------------------------------------- results
    def _completed(self, job_id: str, owner: Optional[str]) -> Dict[str, Any]:
        record = self.api._job(job_id, owner, full=True)
        if record["status"] != "completed":
            raise ApiError(
                404, f"Job {job_id} is {record['status']}; results exist once it is completed."
            )
        if self.extras(job_id).get("dry_run"):
            raise ApiError(404, f"Job {job_id} is a dry run: it has compiled circuits, no results.")
        return record

    def _json_shots(self, record: Dict[str, Any]) -> Dict[str, Any]:
        if not self._has_shots(record):
            raise ApiError(404, f"Job {record['id']} has no per-shot data (ideal simulator).")
        extras = self.extras(record["id"])
        target = str(record["echo"].get("target", ""))
        leaky = target.startswith(tuple(self.settings.leakage_backends))
        leak = self.settings.leakage_rate if leaky else 0.0
        return json_job_shots(
            record["id"],
            record.get("results") or {},
            int(extras.get("shots") or record["echo"].get("shots") or 100),
            leakage_rate=leak,
            two_qubit_gates=int(extras.get("two_qubit_gates") or 0),
        )

    def shots(self, job_id: str, owner: Optional[str] = None, **_: Any) -> Any:
        """``GET /jobs/{id}/results/shots``: ``ionq.result.shots.json.v1`` (decimal strings)."""
        record = self._completed(job_id, owner)
        return [str(v) for v in self._json_shots(record)["values"]]

    def histogram(self, job_id: str, owner: Optional[str] = None, **_: Any) -> Dict[str, Any]:
        """``GET /jobs/{id}/results/histogram``: ``ionq.result.histogram.json.v1`` (counts)."""
        record = self._completed(job_id, owner)
        shots = int(self.extras(job_id).get("shots") or record["echo"].get("shots") or 100)
        return {k: int(round(p * shots)) for k, p in (record.get("results") or {}).items()}

    def artifact(
        self, job_id: str, artifact_id: str, owner: Optional[str] = None, **_: Any
    ) -> Response:
        """``GET /jobs/{id}/artifacts/{artifact}`` with the artifact's media type."""
        record = self.api._job(job_id, owner, full=True)
        if artifact_id not in ARTIFACT_FORMATS:
            raise ApiError(404, f"Job {job_id} has no artifact {artifact_id!r}.")
        artifacts = record.get("artifacts") or {}
        if artifact_id == "shots-v2" and artifact_id not in artifacts:
            if record["status"] == "completed" and not self.extras(job_id).get("dry_run"):
                data = self._json_shots(record)
                width = int(record.get("qubits") or 1)
                payload: Any = {
                    "shots": [
                        {
                            "registers": {
                                qasm3_exec.OUTPUT_ALL: [(v >> q) & 1 for q in range(width)]
                            },
                            "leakage_bits": leak,
                        }
                        for v, leak in zip(data["values"], data["leakage"])
                    ]
                }
                return json_response(payload)
        if artifact_id not in artifacts:
            raise ApiError(404, f"Job {job_id} has no artifact {artifact_id!r} (yet).")
        payload = artifacts[artifact_id]
        media = ARTIFACT_FORMATS[artifact_id][1]
        if isinstance(payload, str):
            return Response(200, payload.encode("utf-8"), media)
        return Response(200, json.dumps(payload, separators=(",", ":")).encode(), media)

    def aggregation(self, query: Query) -> Union[bool, str, None]:
        """What an ``aggregation=`` query asks for (``None``: not given): the ``sharpen``
        value of ``average``/``voting``, or the name of ``dnl``/``majority``."""
        value = single_param(query, "aggregation")
        if value is None:
            return None
        name = value.strip().lower()
        if name not in _AGGREGATIONS:
            raise ApiError(400, f"Unknown aggregation {value!r}; use {', '.join(_AGGREGATIONS)}.")
        return _AGGREGATIONS[name]

    # ----------------------------------------------------------------- cost
    def cost(self, job_id: str, owner: Optional[str] = None, **_: Any) -> Dict[str, Any]:
        """``GET /jobs/{id}/cost``: the estimate, and the cost once the job ran."""
        record = self.api._job(job_id, owner, full=True)
        extras = self.extras(job_id)
        estimated = extras.get("estimated_cost")
        if estimated is None:
            one, two, _width = self._counts(record.get("body") or {})
            shots = int(record["echo"].get("shots") or 100)
            estimated = cost_model.price(str(record["echo"].get("target")), shots, one, two)
        dry = bool(extras.get("dry_run"))
        actual = estimated if record["status"] == "completed" and not dry else None
        return cost_model.job_cost_body(
            dry_run=dry, estimated=estimated, actual=actual, unit=self.settings.cost_unit
        )

    def estimate(self, query: Query, **_: Any) -> Dict[str, Any]:
        """``GET /jobs/estimate?backend=&type=&qubits=&shots=&1q_gates=&2q_gates=&...``."""
        backend = single_param(query, "backend")
        if not backend:
            raise ApiError(400, "'backend' is required.")
        known = {e["backend"] for e in self.api.catalog.backends()}
        if backend not in known:
            raise ApiError(400, f"Unknown backend {backend!r}.")
        kind = single_param(query, "type") or "ionq.circuit.v1"
        if kind not in _ESTIMATE_TYPES:
            raise ApiError(400, f"Unknown type {kind!r}; use one of {list(_ESTIMATE_TYPES)}.")
        values = {
            "backend": backend,
            "type": kind,
            "qubits": int_param(single_param(query, "qubits") or 25, "qubits", 1),
            "shots": int_param(single_param(query, "shots") or 1000, "shots", 1, 1_000_000),
            "1q_gates": int_param(single_param(query, "1q_gates") or 0, "1q_gates", 0),
            "2q_gates": int_param(single_param(query, "2q_gates") or 0, "2q_gates", 0),
            "error_mitigation": _flag(single_param(query, "error_mitigation"), "error_mitigation"),
        }
        return cost_model.estimate_body(
            values, shape=self.settings.estimate_shape, unit=self.settings.cost_unit
        )

    # ----------------------------------------------------------------- sessions
    def create_session(self, body: Any, owner: Optional[str] = None, **_: Any) -> Response:
        """``POST /sessions`` -> 201 session (of the caller's key, like its jobs)."""
        try:
            return json_response(self.sessions.create(body, owner=owner), 201)
        except SessionRefusal as exc:
            raise ApiError(exc.status, str(exc)) from None

    def list_sessions(self, query: Query, owner: Optional[str] = None, **_: Any) -> Dict[str, Any]:
        """``GET /sessions?active=``: the caller's sessions."""
        active = single_param(query, "active")
        return self.sessions.list(None if active is None else _flag(active, "active"), owner)

    def get_session(self, session_id: str, owner: Optional[str] = None, **_: Any) -> Dict[str, Any]:
        """``GET /sessions/{id}`` (another key's session is a 404, as its jobs are)."""
        session = self.sessions.get(session_id, owner)
        if session is None:
            raise ApiError(404, f"Session {session_id} not found.")
        return session

    def end_session(self, session_id: str, owner: Optional[str] = None, **_: Any) -> Dict[str, Any]:
        """``POST /sessions/{id}/end`` (ending an ended session is a no-op)."""
        session = self.sessions.end(session_id, owner=owner)
        if session is None:
            raise ApiError(404, f"Session {session_id} not found.")
        return session

    def session_query(self, query: Query, owner: Optional[str] = None) -> Query:
        """``GET /jobs`` filters ``session_id`` and ``target``, as an ``id`` filter."""
        session_id = single_param(query, "session_id")
        target = single_param(query, "target") or single_param(query, "backend")
        if session_id is None and target is None:
            return query
        ids: Optional[set] = None
        if session_id is not None:
            found = self.sessions.job_ids(session_id, owner)
            if found is None:
                raise ApiError(404, f"Session {session_id} not found.")
            ids = set(found)
        if target is not None:
            wanted = {t for t in target.split(",") if t}
            records, _ = self.api.manager.store.list(limit=1 << 30, owner=owner)
            matching = {r["id"] for r in records if r["echo"].get("target") in wanted}
            ids = matching if ids is None else ids & matching
        given = [p for v in query.get("id", []) + query.get("ids", []) for p in v.split(",") if p]
        if given:
            ids = (ids or set()) & set(given)
        out = {k: v for k, v in query.items() if k not in ("session_id", "target", "backend")}
        # An empty filter must match nothing: a placeholder id no job has.
        out["id"] = sorted(ids) if ids else ["-no-such-job-"]
        out.pop("ids", None)
        return out
