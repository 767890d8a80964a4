"""Job objects of the wire format: request checks, delays, rendering (ionq-api.md §5).

Pure functions of records and request bodies, no threads and no I/O, so that the HTTP layer
(:mod:`.server`) and the state machine (:mod:`.lifecycle`) share one definition of what a job
looks like on the wire.

Choices on open questions of ionq-api.md §8 made here:

* 8.5 ``shots`` is included in job objects (documented in the schema; clients also keep it
  in metadata, so either way works).
* 8.6 ``metadata`` is stored and returned verbatim, non-string values included (qiskit's
  boolean ``ionq_compiler_synthesis`` can leak in); the emulator does not enforce the
  disputed size limits (10 keys / 40-char names / 40,000 or 400-char values), so the
  client's own checks are what tests exercise.
* 8.12 bare ``qpu`` is accepted as a target (see :mod:`.simulation.catalog`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, fields
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from .simulation.catalog import JOB_TARGETS
from .simulation.histogram import Histogram, iter_results_json
from .simulation.simulator import StoredBody
from .store import Record

STATUSES = ("submitted", "ready", "running", "completed", "failed", "canceled")
FINAL = frozenset({"completed", "failed", "canceled"})
PHASES = ("submitted", "ready", "running")
_ECHO_FIELDS = ("name", "target", "shots", "noise", "error_mitigation", "settings", "registers")
MAX_SHOTS = 1_000_000  # far above real use; stops a typo from tying up the simulator
WARNINGS_SETTING = "emulator_warnings"  # settings key asking for warning.messages on the job
MAX_ECHO_DEPTH = 32  # nesting allowed in echoed fields (metadata, settings...): served back later
_SHOTS_TEXT = re.compile(r"[0-9]{1,9}")  # ASCII digits only: "²".isdigit() is True


COMPACT_GATES = 10_000  # requests with more gates are kept as JSON text while their job waits


class CompactBody(str):
    """A stored request kept as its compact JSON text (1x its size instead of ~6x as a dict,
    ~25x with its parsed gates); :func:`request_body` turns it back into a StoredBody."""


def compact_body(body: Dict[str, Any]) -> Any:
    """``body`` itself, or its JSON text when it holds more than :data:`COMPACT_GATES` gates."""
    prog = program(body)
    if prog is None:
        return body
    many = prog.get("circuits")
    entries: List[Any] = many if isinstance(many, list) else [prog]
    gates = 0
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("circuit"), list):
            gates += len(entry["circuit"])
    if gates <= COMPACT_GATES:
        return body
    return CompactBody(json.dumps(body, separators=(",", ":"), allow_nan=False))


def request_body(stored: Any) -> Any:
    """The request of a record as a :class:`StoredBody` (parsing compact JSON text)."""
    if isinstance(stored, str):
        return StoredBody(json.loads(stored))
    return stored


class RequestError(ValueError):
    """The job request is malformed: answered synchronously with HTTP 400 (§8.18)."""


@dataclass(frozen=True)
class JobDelays:
    """Seconds a job spends in each non-final status before moving on (0 = skip it).

    ``running`` is a minimum: a simulation that takes longer simply completes later.
    """

    submitted: float = 0.0
    ready: float = 0.0
    running: float = 0.0

    @classmethod
    def coerce(cls, value: JobDelays | float | Dict[str, float] | None) -> JobDelays:
        """Build delays from ``None`` (all zero), one number (every phase) or a dict."""
        if value is None:
            return cls()
        if isinstance(value, JobDelays):
            return value
        if isinstance(value, dict):
            unknown = set(value) - {f.name for f in fields(cls)}
            if unknown:
                raise ValueError(f"unknown job delay phase(s) {sorted(unknown)}; use {PHASES}")
            delays = cls(**{k: float(v) for k, v in value.items()})
        else:
            delays = cls(float(value), float(value), float(value))
        values = (delays.submitted, delays.ready, delays.running)
        if not all(math.isfinite(v) and v >= 0 for v in values):
            raise ValueError(f"job delays must be finite numbers >= 0, got {values}")
        return delays

    @property
    def zero(self) -> bool:
        """True when jobs run as fast as possible."""
        return not (self.submitted or self.ready or self.running)


def program(body: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The circuit container: ``input``, or the legacy Cirq ``body`` (§3.1)."""
    program = body.get("input")
    if program is None and "lang" in body:
        program = body.get("body")
    return program if isinstance(program, dict) else None


def check_request(body: Any) -> Dict[str, Any]:
    """Validate the parts of a create request that the HTTP layer rejects with 400.

    Args:
        body: decoded JSON of ``POST /jobs``.

    Returns:
        The echo fields of the job object (``name``, ``target``, ``shots`` as an int,
        ``noise`` with the simulator default, ...).

    Raises:
        RequestError: the request is malformed.
    """
    if not isinstance(body, dict):
        raise RequestError("The request body must be a JSON object describing the job.")
    target = body.get("target")
    if target is None:
        raise RequestError(f"Missing 'target'; expected one of {sorted(JOB_TARGETS)}.")
    if not isinstance(target, str) or target not in JOB_TARGETS:
        raise RequestError(
            f"Unknown target {_short(target)}; expected a string, one of {sorted(JOB_TARGETS)}."
        )
    shots: Any = body.get("shots", 100)  # documented default (§3.1)
    if isinstance(shots, str) and _SHOTS_TEXT.fullmatch(shots.strip()):
        shots = int(shots)  # Cirq sends shots as a string
    elif isinstance(shots, float) and shots.is_integer():
        shots = int(shots)
    if isinstance(shots, bool) or not isinstance(shots, int) or not 1 <= shots <= MAX_SHOTS:
        raise RequestError(
            f"'shots' must be an integer from 1 to {MAX_SHOTS}, got {_short(shots)}."
        )
    if "input" not in body and not ("lang" in body and "body" in body):
        raise RequestError("Missing 'input': the job has no circuit.")
    if program(body) is None:
        raise RequestError("'input' must be a JSON object with 'circuit' or 'circuits'.")
    if body.get("metadata") is not None and not isinstance(body["metadata"], dict):
        raise RequestError("'metadata' must be a JSON object of strings.")
    echo = {key: body[key] for key in _ECHO_FIELDS if key in body}
    for key, value in [*echo.items(), ("metadata", body.get("metadata"))]:
        _check_plain(value, key)
    echo["shots"] = shots
    echo["metadata"] = body.get("metadata")
    if target == "simulator" and echo.get("noise") is None:
        echo["noise"] = {"model": "ideal"}  # what a real GET shows (§3.5)
    return echo


def _short(value: Any) -> str:
    """``repr`` of a bad value for an error message, cut to a readable length."""
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge number"
    return text if len(text) <= 60 else text[:57] + "..."


def _check_plain(value: Any, field: str) -> None:
    """Refuse what cannot be served back later: deep nesting, NaN/Infinity (strict clients'
    JSON parsers reject them; the body parser refuses the literals, ``1e999`` still parses
    to infinity).

    Raises:
        RequestError: naming the field.
    """
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise RequestError(f"'{field}' holds a number that is not finite ({item}).")
        if isinstance(item, (dict, list)):
            if depth > MAX_ECHO_DEPTH:
                raise RequestError(f"'{field}' is nested deeper than {MAX_ECHO_DEPTH} levels.")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def render_job(
    record: Record,
    *,
    include: Optional[Iterable[str]] = None,
    exclude: Optional[Iterable[str]] = None,
) -> Dict[str, Any]:
    """Render a stored record as the vendor's job object (§5.2, ionq-api.md Appendix A, item 4).

    Args:
        record: a live record from the store.
        include: if given, keep only these fields (``id`` is always kept); the documented
            ``include`` query parameter of ``GET /jobs/{id}`` (§2.2).
        exclude: fields to drop (the ``exclude`` query parameter).

    Returns:
        The JSON-ready job object.
    """
    status = record["status"]
    job: Dict[str, Any] = {"id": record["id"], "status": status, "request": record["request"]}
    job.update(record["echo"])  # name, target, shots, metadata (null if absent), noise, ...
    job["type"] = "circuit"
    job["circuits"] = record["circuits"]
    job["children"] = list(record["children"])
    if record["parent"] is not None:
        job["parent_job_id"] = record["parent"]
    if record.get("predicted_execution_time") is not None:
        job["predicted_execution_time"] = record["predicted_execution_time"]
    if record.get("start") is not None:
        job["start"] = record["start"]
    if status in FINAL and record.get("response") is not None:
        job["response"] = record["response"]
    if status == "completed":
        # qiskit indexes execution_time on completed jobs (§7.5): always present.
        job["execution_time"] = int(record.get("execution_time") or 0)
        job["qubits"] = record.get("qubits")
        job["gate_counts"] = record.get("gate_counts") or {}
        job["results_url"] = f"/v0.3/jobs/{record['id']}/results"
    if status == "failed" and record.get("failure"):
        job["failure"] = dict(record["failure"])
    if record.get("warnings"):
        job["warning"] = {"messages": list(record["warnings"])}
    if include is not None:
        keep = set(include) | {"id"}
        job = {k: v for k, v in job.items() if k in keep}
    if exclude is not None:
        drop = set(exclude) - {"id"}
        job = {k: v for k, v in job.items() if k not in drop}
    return job


def render_results(record: Record, *, sharpen: Union[bool, str] = False) -> Dict[str, Any]:
    """The ``/results`` body of a completed record (§6).

    A single-circuit job gives one histogram; a parent gives ``{child_id: histogram}`` in
    submission order (never re-sorted: qiskit pairs histograms with circuits by position).

    Args:
        record: a completed record.
        sharpen: return the plurality-vote (sharpened) aggregation; identical to the
            default for jobs without debiasing. A string names a v0.4 aggregation
            (``"dnl"``, ``"majority"``, see :func:`results_source`).
    """
    source = results_source(record, sharpen=sharpen)
    if isinstance(source, Histogram):
        return dict(source)
    return {k: dict(v) if isinstance(v, Histogram) else v for k, v in source.items()}


def results_source(record: Record, *, sharpen: Union[bool, str] = False) -> Dict[str, Any]:
    """The stored object behind :func:`render_results`, not copied (do not mutate it).

    With ``sharpen`` it is the very object of the default aggregation when the two are the
    same (jobs without debiasing), so that callers caching the encoded body can share it.
    ``sharpen`` may also name an aggregation kept in the record's ``aggregations``
    (``"dnl"``, ``"majority"``: debiased jobs only); a job without it answers its default
    aggregation, as an aggregation changes nothing without debiasing.
    """
    if isinstance(sharpen, str):
        other = (record.get("aggregations") or {}).get(sharpen)
        return other or record.get("results") or {}  # type: ignore[no-any-return]
    if sharpen:
        sharpened = record.get("sharpened")
        if sharpened:
            return sharpened  # type: ignore[no-any-return]
    return record.get("results") or {}


def encode_results(results: Any) -> bytes:
    """The ``/results`` body as compact JSON bytes.

    Keys keep their stored order (a parent's children in submission order); floats are
    written with ``repr`` (exact round trip). :class:`.Histogram` values are written from
    their arrays (see :func:`.simulation.histogram.iter_results_json` for the streamed form).
    """
    return b"".join(iter_results_json(results))


def completion_fields(
    record: Record, results: List[Any], now: int, exec_ms: int
) -> Tuple[Dict[str, Any], Dict[str, Dict[str, Any]]]:
    """Fields of a completed job: ``(parent changes, {child id: child changes})``.

    Args:
        record: the parent record.
        results: the simulator's ``CircuitResult`` list, one per circuit in order.
        now: completion time, epoch seconds.
        exec_ms: execution time in milliseconds.
    """
    gate_counts: Dict[str, int] = {}
    for result in results:
        for key, count in (result.gate_counts or {}).items():
            gate_counts[key] = gate_counts.get(key, 0) + int(count)
    parent: Dict[str, Any] = {
        "response": now,
        "execution_time": exec_ms,
        "qubits": max((int(r.qubits) for r in results), default=0),
        "gate_counts": gate_counts,
    }
    artifacts = getattr(results[0], "artifacts", None) if results else None
    if artifacts:  # v0.4 result/compilation artifacts (OpenQASM 3 jobs, dry runs)
        parent["artifacts"] = artifacts
        parent["artifact_ids"] = sorted(artifacts)  # light: job objects list them
    children = record["children"]
    # One copy per distinct histogram: without debiasing the sharpened aggregation is the
    # very same (read-only) dict, which halves the memory of a large result and lets the
    # server share its encoded body between ``sharpen=true`` and ``false``.
    others = [dict(getattr(r, "aggregations", None) or {}) for r in results]
    if not children:
        parent["results"], parent["sharpened"] = _pair(results[0])
        if others[0]:
            parent["aggregations"] = others[0]
        return parent, {}
    # Keyed by child id in submission order: qiskit pairs them by position (§6.4).
    pairs = [_pair(r) for r in results]
    parent["results"] = {cid: pair[0] for cid, pair in zip(children, pairs)}
    if all(pair[0] is pair[1] for pair in pairs):
        parent["sharpened"] = parent["results"]
    else:
        parent["sharpened"] = {cid: pair[1] for cid, pair in zip(children, pairs)}
    if any(others):  # a circuit without debiasing contributes its default aggregation
        parent["aggregations"] = {
            name: {
                cid: other.get(name, parent["results"][cid]) for cid, other in zip(children, others)
            }
            for name in sorted({name for other in others for name in other})
        }
    per_child = {
        cid: {
            "execution_time": exec_ms // len(children),
            "qubits": int(r.qubits),
            "gate_counts": dict(r.gate_counts or {}),
            "results": parent["results"][cid],
            "sharpened": parent["sharpened"][cid],
            **({"aggregations": other} if other else {}),
        }
        for cid, r, other in zip(children, results, others)
    }
    return parent, per_child


def _pair(result: Any) -> Tuple[Any, Any]:
    """``(histogram, sharpened)`` of a ``CircuitResult``, one object if they agree.

    :class:`.Histogram` objects are immutable and kept as they are; other mappings are
    copied into dicts.
    """

    def own(histogram: Any) -> Any:
        return histogram if isinstance(histogram, Histogram) else dict(histogram)

    histogram = own(result.histogram)
    sharpened = result.sharpened
    if not sharpened or sharpened is result.histogram:
        return histogram, histogram
    return histogram, own(sharpened)
