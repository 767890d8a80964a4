"""The emulator's simulator: validates a job body and computes its histograms.

Pure numpy (no Qiskit, nothing from the client side of ``qiskit_ionq``). The HTTP layer calls
:func:`validate_job`, :func:`execute` and :func:`predicted_execution_time_ms`, and turns a
:class:`JobFailure` into a ``failed`` job (docs/reference/ionq-api.md §7.2).

* Only the qubits a circuit touches are simulated (idle qubits stay |0>); results are then
  written at the right bit positions of the full-width, little-endian keys (§6.2).
* Ideal simulator (§6.3): exact probabilities, independent of ``shots``; values below
  1e-12 are dropped. Noisy models and ``qpu.*`` targets: Pauli-error trajectories, one per
  shot (:func:`.noise.noisy_outcomes`), frequencies count/shots; debiasing on ``qpu.*`` only.

Choices on the open questions of ionq-api.md §8:

* 8.8 ``z`` with ``rotation`` is the phase gate diag(1, e^{i*lambda}) (§4.2's intended
  meaning: qiskit sends ``p``/``cp``/``mcphase`` this way); without ``rotation`` Pauli Z.
* 8.7 the native ``zz`` accepts ``angle`` (IonQ, qiskit) and ``phase`` (Cirq).
* 8.10 ``swap`` with controls is rejected; ``xx``/``yy``/``zz``/``pauliexp`` may be controlled.
* 8.11 ``input`` may be an object, a JSON array of circuit objects, or the legacy Cirq
  ``{"lang": "json", "body": ...}``.
* Strictness, so that a serializer bug cannot hide: a ``rotation`` on a gate without one,
  ``target`` with ``targets``, or a qubit >= ``input.qubits`` is a ``PreflightError``. Native
  phases/angles are only checked to be finite (the unitaries are periodic). Unknown extra
  fields are ignored. Without ``input.qubits`` the width is the highest index used + 1.

Emulator limits: at most :data:`MAX_ACTIVE_QUBITS` touched qubits per circuit (29, what the
simulator target advertises), else ``SimulationError``; below that the emulator's memory
budget decides (:func:`resource_estimate`; a job over the budget is refused at submission with
``MemoryLimitExceeded``; ideal runs: :mod:`.ideal`). The vendor ceilings of
§3.7 (``NotEnoughQubits``) are checked first. Noisy runs have a work budget and ideal
runs a work limit (``SimulationTimeout``).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import numpy as np

from . import ideal
from .catalog import RESTRICTED
from .gates import (
    FIXED_GATES,
    Gate,
    JobFailure,
    Op,
    gate_class,
    gpi2_matrix,
    gpi_matrix,
    ms_matrix,
    native_zz_matrix,
    pauliexp_ops,
    preflight,
    relabel,
    rotation_matrix,
    stop_check,
)
from .histogram import Histogram
from .ideal import full_keys, ideal_histogram, ideal_memory
from .noise import (
    Backend,
    aggregate,
    check_shots_budget,
    circuit_containers,
    debias_enabled,
    debias_option,
    noisy_outcomes,
    other_aggregations,
    parse_shots,
    qpu_shot_ms,
    resolve_backend,
)
from .statevector import Runner, States

__all__ = [
    "MAX_ACTIVE_QUBITS",
    "CircuitResult",
    "JobFailure",
    "execute",
    "max_ideal_qubits",
    "predicted_execution_time_ms",
    "release",
    "resource_estimate",
    "simulate_statevector",
    "validate_job",
]

MAX_CONTROLS = 7  # §4.1: "a controls list of up to seven qubits"
MAX_ACTIVE_QUBITS = 29  # touched qubits; below it the memory budget decides (.ideal)
MAX_IDEAL_WORK = 1 << 37  # amplitude x gate updates of one ideal job (minutes), else refused


@dataclass
class CircuitResult:
    """Outcome of one circuit of a job (one child of a multi-circuit job).

    Attributes:
        name: the circuit's name (entry ``name``, or the job ``name`` for a single circuit).
        qubits: register width of the result keys (``input.qubits``, else max index + 1).
        gate_counts: ``{"1q": n, "2q": m}`` by qubits touched, controls included (§5.2).
        histogram: default (average) aggregation: a read-only mapping of decimal-string keys
            (little-endian, ascending) to probabilities, sparse, kept as arrays
            (:class:`.histogram.Histogram`).
        sharpened: plurality aggregation (``sharpen=true``); the same object as
            ``histogram`` unless the job was debiased.
        aggregations: the ``dnl`` and ``majority`` aggregations of a debiased circuit, by
            name (empty otherwise: without debiasing every aggregation is ``histogram``).
    """

    name: Optional[str]
    qubits: int
    gate_counts: Dict[str, int]
    histogram: Mapping[str, float]
    sharpened: Mapping[str, float] = field(default_factory=dict)
    aggregations: Dict[str, Mapping[str, float]] = field(default_factory=dict)


@dataclass
class _Job:
    backend: Backend
    shots: int
    debias: Optional[bool]
    circuits: List[Circuit]


# --------------------------------------------------------------------------- parsing
class StoredBody(dict):  # type: ignore[type-arg]
    """A job's request body as the emulator stores it: never mutated after creation.

    The simulator parses such a body once for validation, estimate and execution (it may
    memoize by identity); plain dicts from other callers are parsed on every call. Defined
    here, beside that memo, so that the simulation layer needs nothing from the service
    layer that stores the bodies.
    """


_PARSED: Dict[int, Tuple[Any, _Job]] = {}  # id(body) -> (body, parsed job), oldest first
_PARSED_LOCK = threading.Lock()
# Systems whose 2-qubit gates must act on connected pairs (this emulator does not route).
_RESTRICTED_PAIRS = {name: {frozenset(p) for p in pairs} for name, pairs in RESTRICTED.items()}
_PARSED_SIZE = 16  # bodies validated but not (yet) executed: a few in-flight jobs


def _parse_job(body: Any, *, check_limits: bool = True, last_use: bool = False) -> _Job:
    if not isinstance(body, dict):
        raise preflight("The job must be a JSON object.")
    # The job manager validates, estimates and then executes the same stored body, which is
    # never mutated (a StoredBody): parse it once. Other bodies are parsed on every call.
    cached = _PARSED.get(id(body)) if type(body) is StoredBody else None
    if cached is not None and cached[0] is body:
        job = cached[1]
    else:
        backend = resolve_backend(body)
        job = _Job(backend, parse_shots(body), debias_option(body), parse_circuits(body))
        if type(body) is StoredBody and not last_use:
            with _PARSED_LOCK:
                _PARSED[id(body)] = (body, job)
                while len(_PARSED) > _PARSED_SIZE:
                    del _PARSED[next(iter(_PARSED))]
    if last_use and cached is not None:
        with _PARSED_LOCK:
            if _PARSED.get(id(body)) is cached:
                del _PARSED[id(body)]
    backend = job.backend
    if not check_limits:
        return job
    for i, circ in enumerate(job.circuits):
        if circ.width > backend.qubit_limit:  # vendor ceilings first (§3.7)
            raise JobFailure(
                "NotEnoughQubits",
                f"circuit {i} needs {circ.width} qubits; {backend.limit_reason} has "
                f"{backend.qubit_limit}.",
            )
    allowed = _RESTRICTED_PAIRS.get(backend.target)
    for i, circ in enumerate(job.circuits if allowed is not None else ()):
        for gate in circ.gates:  # a system with restricted connectivity
            if len(gate.qubits) == 2 and frozenset(gate.qubits) not in allowed:  # type: ignore[operator]
                raise JobFailure(
                    "PreflightError",
                    f"circuit {i}: {gate.name} on qubits {list(gate.qubits)}, which "
                    f"{backend.target} does not connect (see its characterization's "
                    "connectivity); route the circuit with transpile(circuit, backend).",
                )
    for i, circ in enumerate(job.circuits):  # then what this emulator can simulate
        active = len({q for g in circ.gates for q in g.qubits})
        if active > MAX_ACTIVE_QUBITS:
            raise JobFailure(
                "SimulationError",
                f"circuit {i} acts on {active} qubits; this emulator simulates at most "
                f"{MAX_ACTIVE_QUBITS}.",
            )
    if backend.model is not None:
        check_shots_budget(job.shots)
    else:
        work = sum(len(c.gates) << _active(c) for c in job.circuits)
        if work > MAX_IDEAL_WORK:
            raise JobFailure(
                "SimulationTimeout",
                f"the job needs {work:.2e} amplitude updates (gates x 2**qubits); this emulator "
                f"runs at most {MAX_IDEAL_WORK:.2e} per job: use fewer gates or qubits.",
            )
    return job


def _active(circ: Circuit) -> int:
    return len({q for g in circ.gates for q in g.qubits})


def resource_estimate(body: Dict[str, Any]) -> Tuple[int, int]:
    """``(peak bytes, work)`` of running a valid job: memory of the largest circuit's
    simulation plus the histograms kept, and amplitude x gate updates.

    Ideal runs: :func:`.ideal.ideal_memory` (29 qubits: about 5.1 GiB). Noisy runs hold
    batches of trajectories (:func:`.noise.noisy_outcomes`) and per-shot
    outcome arrays. Returns ``(0, 0)`` for a body that does not validate.
    """
    try:
        job = _parse_job(body, check_limits=False)
    except JobFailure:
        return 0, 0
    peak = kept = work = 0
    for circ in job.circuits:
        amplitudes = 1 << _active(circ)
        if job.backend.model is None:
            working, held = ideal_memory(_active(circ))
            kept += held
            work += len(circ.gates) * amplitudes
        else:
            batch = max(1, (1 << 20) // amplitudes) * amplitudes
            working = 32 * (batch + amplitudes) + 48 * job.shots
            kept += 32 * min(job.shots, amplitudes)
            work += len(circ.gates) * amplitudes * max(1, job.shots // 50)
        peak = max(peak, working)
    return peak + kept, work


def max_ideal_qubits(budget: int) -> int:
    """The widest ideal circuit (active qubits, up to :data:`MAX_ACTIVE_QUBITS`) whose run
    fits ``budget`` bytes: what an emulator with that memory budget can promise."""
    return ideal.max_ideal_qubits(budget, MAX_ACTIVE_QUBITS)


def release(body: Any) -> None:
    """Forget the parsed form of a stored body (its job waits or was compacted): a parsed
    100k-gate job holds ~20x the memory of its JSON text. The next use parses it again."""
    with _PARSED_LOCK:
        cached = _PARSED.get(id(body))
        if cached is not None and cached[0] is body:
            del _PARSED[id(body)]


def validate_job(body: Dict[str, Any]) -> None:
    """Check a job body the way IonQ's preflight would, without simulating it.

    Raises:
        JobFailure: ``PreflightError`` (malformed input or gates), ``NotEnoughQubits`` (wider
            than the target or noise model allows, §3.7) or ``SimulationError`` (beyond
            what this emulator simulates).
    """
    _parse_job(body)


# ---------------------------------------------------------------------- field parsing
def _real(value: Any, what: str, *, allow_str: bool = False) -> float:
    """A finite real; numeric strings only where a client is known to send them."""
    if allow_str and isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise preflight(f"{what} must be a number, got {value!r}.") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise preflight(f"{what} must be a number, got {value!r}.")
    if not math.isfinite(value):
        raise preflight(f"{what} must be finite, got {value!r}.")
    return float(value)


def _qubits(raw: Dict[str, Any], single: str, plural: str, where: str) -> List[int]:
    """Read ``target``/``targets`` (or ``control``/``controls``): either form, not both."""
    if single in raw and plural in raw:
        raise preflight(f"{where}: give either '{single}' or '{plural}', not both.")
    if single in raw:
        values = [raw[single]]
    elif plural in raw:
        values = raw[plural]
        if not isinstance(values, list):
            raise preflight(f"{where}: '{plural}' must be a list of qubit indices.")
    else:
        return []
    for q in values:
        if isinstance(q, bool) or not isinstance(q, int) or q < 0:
            raise preflight(f"{where}: qubit indices must be integers >= 0, got {q!r}.")
    return list(values)


_QIS_1Q = frozenset(FIXED_GATES) - {"swap"} | {"rx", "ry", "rz"}
_QIS_ROTATION = frozenset({"rx", "ry", "rz", "xx", "yy", "zz"})
QIS_GATES = _QIS_1Q | {"swap", "xx", "yy", "zz", "pauliexp"}
NATIVE_GATES = frozenset({"gpi", "gpi2", "ms", "zz"})


def parse_gate(raw: Any, gateset: str, where: str) -> Gate:
    """Validate one gate object of a ``gateset`` circuit and compile it to ops.

    Args:
        raw: the decoded JSON gate object.
        gateset: ``"qis"`` or ``"native"`` (§3.2; the two cannot be mixed).
        where: position for messages, e.g. ``"circuit 0, gate 3"``.

    Raises:
        JobFailure: ``PreflightError`` for anything malformed (§7.2), or
            ``SimulationError`` for a pauliexp too wide for this emulator to exponentiate.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("gate"), str):
        raise preflight(f"{where}: a gate must be an object with a string 'gate' field.")
    name = raw["gate"]
    where = f"{where} ({name!r})"
    own, other = (QIS_GATES, NATIVE_GATES) if gateset == "qis" else (NATIVE_GATES, QIS_GATES)
    if name not in own:
        if name in other:
            raise preflight(
                f"{where}: not a {gateset} gate; native and QIS gates cannot be mixed in one "
                f"circuit (set 'gateset' to {'native' if gateset == 'qis' else 'qis'!r})."
            )
        raise preflight(f"{where}: unknown gate.")
    targets = _qubits(raw, "target", "targets", where)
    controls = _qubits(raw, "control", "controls", where)
    if not targets:
        raise preflight(f"{where}: missing 'target'/'targets'.")
    if len(set(targets + controls)) != len(targets) + len(controls):
        raise preflight(f"{where}: a qubit appears twice in one gate.")
    if len(controls) > MAX_CONTROLS:
        raise preflight(f"{where}: at most {MAX_CONTROLS} controls are allowed.")
    if gateset == "native":
        if controls:
            raise preflight(f"{where}: native gates take no controls.")
        ops: Tuple[Op, ...] = (_native_op(name, raw, targets, where),)
    else:
        ops = _qis_ops(name, raw, targets, controls, where)
    return Gate(name, tuple(controls + targets), ops)


def _expect_targets(targets: List[int], count: int, where: str) -> None:
    if len(targets) != count:
        raise preflight(f"{where}: expects {count} target(s), got {len(targets)}.")


def _native_op(name: str, raw: Dict[str, Any], targets: List[int], where: str) -> Op:
    """gpi/gpi2/ms/zz with parameters in turns (§4.5)."""
    if name in ("gpi", "gpi2"):
        _expect_targets(targets, 1, where)
        phase = _real(raw.get("phase"), f"{where}: 'phase'")
        return Op(targets, (), (gpi_matrix if name == "gpi" else gpi2_matrix)(phase))
    _expect_targets(targets, 2, where)
    if name == "ms":
        phases = raw.get("phases")
        if not isinstance(phases, list) or len(phases) != 2:
            raise preflight(f"{where}: 'phases' must be a list of two numbers [phi0, phi1].")
        phi0, phi1 = (_real(p, f"{where}: 'phases'") for p in phases)
        # qiskit does not float() the angle, so it may arrive as a JSON string (§4.5).
        angle = _real(raw.get("angle", 0.25), f"{where}: 'angle'", allow_str=True)
        return Op(targets, (), ms_matrix(phi0, phi1, angle))
    # zz: IonQ and qiskit send 'angle', Cirq sends 'phase' (§8.7): accept either.
    values = [raw[k] for k in ("angle", "phase") if k in raw]
    if not values:
        raise preflight(f"{where}: missing 'angle'.")
    angles = {_real(v, f"{where}: 'angle'", allow_str=True) for v in values}
    if len(angles) > 1:
        raise preflight(f"{where}: 'angle' and 'phase' disagree.")
    return Op(targets, (), native_zz_matrix(angles.pop()))


def _qis_ops(
    name: str, raw: Dict[str, Any], targets: List[int], controls: List[int], where: str
) -> Tuple[Op, ...]:
    """Ops of a QIS gate (§4.2), controlled by ``controls``."""
    if name == "pauliexp":
        return _pauliexp_ops(raw, targets, controls, where)
    has_rotation = "rotation" in raw
    if name in _QIS_ROTATION and not has_rotation:
        raise preflight(f"{where}: missing 'rotation' (radians).")
    if has_rotation and name not in _QIS_ROTATION and name != "z":
        raise preflight(f"{where}: this gate takes no 'rotation'.")
    if name == "cnot" and not controls:
        raise preflight(f"{where}: 'cnot' needs a 'control'.")
    if name == "swap" and controls:
        raise preflight(f"{where}: 'swap' cannot be controlled (§4.1).")
    _expect_targets(targets, 1 if name in _QIS_1Q else 2, where)
    if has_rotation:
        matrix = rotation_matrix(name, _real(raw["rotation"], f"{where}: 'rotation'"))
    else:
        matrix = FIXED_GATES[name]
    return (Op(targets, controls, matrix),)


def _pauliexp_ops(
    raw: Dict[str, Any], targets: List[int], controls: List[int], where: str
) -> Tuple[Op, ...]:
    """Validate the fields of a ``pauliexp`` (§4.4); see :func:`.gates.pauliexp_ops`."""
    terms, coefficients = raw.get("terms"), raw.get("coefficients")
    if not isinstance(terms, list) or not terms:
        raise preflight(f"{where}: 'terms' must be a non-empty list of Pauli strings.")
    if not isinstance(coefficients, list) or len(coefficients) != len(terms):
        raise preflight(f"{where}: 'coefficients' must be a list as long as 'terms'.")
    for term in terms:
        if not isinstance(term, str) or len(term) != len(targets) or set(term) - set("IXYZ"):
            raise preflight(
                f"{where}: each term must be a string over 'IXYZ' with one character per target."
            )
    coeffs = [_real(c, f"{where}: 'coefficients'") for c in coefficients]
    time = _real(raw.get("time"), f"{where}: 'time'")
    if time < 0:
        raise preflight(f"{where}: 'time' must be >= 0.")
    return pauliexp_ops(targets, controls, terms, coeffs, time, where)


# ---------------------------------------------------------------------------- circuits
@dataclass(frozen=True)
class Circuit:
    """One validated circuit: result width (``input.qubits``, else max index + 1) and gates."""

    name: Optional[str]
    gateset: str
    width: int
    gates: List[Gate]


def parse_circuits(body: Dict[str, Any]) -> List[Circuit]:
    """Every circuit of a job body, validated and compiled, in submission order.

    Raises:
        JobFailure: ``PreflightError`` for malformed input (see :func:`parse_gate`).
    """
    out: List[Circuit] = []
    for container, default_name in circuit_containers(body):
        fmt = container.get("format", "ionq.circuit.v0")
        if fmt != "ionq.circuit.v0":
            raise preflight(f"Unsupported input format {fmt!r}; expected 'ionq.circuit.v0'.")
        has_one, has_many = "circuit" in container, "circuits" in container
        if has_one == has_many:
            raise preflight("'input' needs exactly one of 'circuit' or 'circuits'.")
        entries: List[Tuple[Dict[str, Any], Any, Any]]
        if has_one:
            entries = [({}, default_name, container["circuit"])]
        else:
            many = container["circuits"]
            if not isinstance(many, list) or not many:
                raise preflight("'circuits' must be a non-empty list of circuit objects.")
            if not all(isinstance(e, dict) and "circuit" in e for e in many):
                raise preflight("Each 'circuits' entry must be an object with a 'circuit'.")
            entries = [(e, e.get("name"), e["circuit"]) for e in many]
        for entry, name, gates in entries:
            where = f"circuit {len(out)}"
            # Entries inherit the parent's gateset and width unless they override them (3.2).
            gateset = entry.get("gateset", container.get("gateset", "qis"))
            if gateset not in ("qis", "native"):
                raise preflight(f"{where}: unknown gateset {gateset!r}; use 'qis' or 'native'.")
            declared = entry.get("qubits", container.get("qubits"))
            if declared is not None and (optional_int(declared) is None or declared < 0):
                raise preflight(f"{where}: 'qubits' must be a non-negative integer.")
            if not isinstance(gates, list):
                raise preflight(f"{where}: 'circuit' must be a list of gate objects.")
            parsed = [parse_gate(g, gateset, f"{where}, gate {i}") for i, g in enumerate(gates)]
            used = max((q for g in parsed for q in g.qubits), default=-1) + 1
            if declared is not None and used > declared:
                raise preflight(f"{where}: qubit {used - 1} is out of range ('qubits' {declared}).")
            width = max(1, used if declared is None else declared)
            out.append(Circuit(name if isinstance(name, str) else None, gateset, width, parsed))
    return out


def optional_int(value: Any) -> Optional[int]:
    """``value`` if it is a genuine int (not a bool), else ``None``."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def simulate_statevector(
    circuit: List[Dict[str, Any]],
    qubits: int,
    *,
    gateset: str = "qis",
    initial: Optional[np.ndarray] = None,
) -> np.ndarray:
    """Final amplitudes (little-endian, ``2**qubits``) of gate objects run on ``initial``
    (default |0...0>): a testing/debugging aid using the job path's validation and kernels.
    """
    gates = [parse_gate(g, gateset, f"gate {i}") for i, g in enumerate(circuit)]
    if any(q >= qubits for g in gates for q in g.qubits):
        raise preflight(f"a gate acts outside the {qubits} qubits")
    flat = np.zeros((1, 1 << qubits), dtype=np.complex128)
    if initial is None:
        flat[0, 0] = 1
    else:
        flat[0] = initial
    states = States(flat, qubits)
    for gate in gates:
        for op in gate.ops:
            states.apply(op)
    return states.flat[0].copy()


# --------------------------------------------------------------------------- results
def _run_circuit(job: _Job, circ: Circuit, rng: Optional[np.random.Generator]) -> CircuitResult:
    counts = {"1q": 0, "2q": 0}
    for gate in circ.gates:
        counts[gate_class(gate)] += 1
    active = sorted({q for g in circ.gates for q in g.qubits})
    local = {q: j for j, q in enumerate(active)}
    gates = [relabel(g, local) for g in circ.gates]
    m = len(active)
    model = job.backend.model
    if model is None:  # ideal simulator: exact probabilities (§6.3)
        runner = Runner(gates, m)
        runner.advance(len(gates))
        hist = ideal_histogram(runner.states.flat[0], active)
        del runner
        return CircuitResult(circ.name, circ.width, counts, hist, hist)  # one object: no debias
    assert rng is not None  # noisy models sample
    outcomes = noisy_outcomes(rng, gates, m, job.shots, model)
    debias = debias_enabled(job.backend, job.shots, job.debias, circ.gateset)
    average, plurality = aggregate(rng, outcomes, debias)
    hist = Histogram(average[1], full_keys(average[0], active))
    sharp = hist if not debias else Histogram(plurality[1], full_keys(plurality[0], active))
    others: Dict[str, Mapping[str, float]] = {}
    if debias:
        for name, (values, probs) in other_aggregations(outcomes, m).items():
            others[name] = Histogram(probs, full_keys(values, active))
    return CircuitResult(circ.name, circ.width, counts, hist, sharp, others)


def execute(
    body: Dict[str, Any],
    *,
    seed: Optional[int] = None,
    stop: Optional[Callable[[], None]] = None,
) -> List[CircuitResult]:
    """Validate and run a job; one :class:`CircuitResult` per circuit, in submission order.

    Args:
        body: the ``POST /jobs`` body.
        seed: seed of shot sampling, unless the job's ``noise.seed`` is an int (§3.5),
            which wins. ``None``: fresh randomness. Ideal runs use no randomness.
        stop: called between gates; raises to stop the simulation (a canceled job, a time
            limit). Whatever it raises propagates.

    Raises:
        JobFailure: as :func:`validate_job`.
    """
    job = _parse_job(body, last_use=True)
    with stop_check(stop):
        if job.backend.model is None:  # ideal runs draw no randomness: skip seeding
            return [_run_circuit(job, circ, None) for circ in job.circuits]
        rng = np.random.default_rng(job.backend.seed if job.backend.seed is not None else seed)
        return [_run_circuit(job, circ, rng) for circ in job.circuits]


def predicted_execution_time_ms(body: Dict[str, Any]) -> int:
    """A cheap estimate of ``predicted_execution_time`` (ms) from the gate counts.

    QPU targets: shots x (gate times + readout) with per-family timings; simulators: the
    statevector work (gates x 2**qubits, plus one run per shot for noisy models). Returns 0
    for a body that does not validate.
    """
    try:
        job = _parse_job(body, check_limits=False)
    except JobFailure:
        return 0
    total = 0.0
    for circ in job.circuits:
        n2 = sum(len(g.qubits) > 1 for g in circ.gates)
        n1 = len(circ.gates) - n2
        if job.backend.is_qpu:
            total += job.shots * qpu_shot_ms(job.backend.model or "aria-1", n1, n2)
        else:
            active = len({q for g in circ.gates for q in g.qubits})
            runs = 1 if job.backend.model is None else max(1, job.shots // 50)
            total += 1 + runs * len(circ.gates) * (1 << min(active, 40)) / 2e5
    return max(1, int(round(total)))
