"""How the emulator runs what only API v0.4 has: OpenQASM 3 programs, dry runs, per-shot data.

:class:`FeatureSimulator` wraps the JSON-circuit simulator (:mod:`.simulation.simulator`) with
the same four names the job manager calls (``JobFailure``, ``validate_job``, ``execute``,
``predicted_execution_time_ms``), so the lifecycle, store and result cache stay as they are:

* an ``ionq.qasm3.v1`` job is stored with ``input = {"qasm3": <program text>, "qubits": n}``
  (:func:`stored_qasm3_input`) and executed shot by shot by :mod:`.simulation.qasm3_exec`. Its
  result carries the v2 artifacts (per-register shots, histogram, probabilities) and, as the v1
  histogram, the frequencies of the final read-out of every qubit (``output_all``);
* a dry run (``dry_run: true``) is validated and compiled (:mod:`.simulation.compile`) but never
  simulated: its result carries only the compiled-circuit artifacts;
* everything else goes to the JSON-circuit simulator unchanged.

Noise of OpenQASM 3 jobs: the simulator's noise models (each model's depolarizing rates) on
``simulator`` with a noise model, the matching model on ``qpu.*``, and the Tempo-like model
(:data:`~.simulation.qasm3_exec.TEMPO_LIKE`) with the emulator's leakage rate on
``qpu.tempo-*``; the ideal simulator runs them noiselessly.

Per-shot data of JSON-circuit jobs (:func:`json_job_shots`): the histogram of a noisy or QPU
job is already frequencies over the job's shots (counts = p x shots), so the shots are those
counts in a random order seeded by the job id (the same answer on every request), and
counts and shots agree exactly. On ``qpu.tempo-*`` each shot is tagged as leaked with
probability ``1 - (1 - rate) ** (2q gates)``.
"""

from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from .simulation import compile as compiler
from .simulation import qasm3_exec
from .simulation.gates import JobFailure, preflight
from .simulation.noise import QPU_MODEL, RATES, TARGET_QUBITS

__all__ = [
    "ARTIFACT_FORMATS",
    "FeatureSettings",
    "FeatureSimulator",
    "json_job_shots",
    "native_entangler",
    "stored_qasm3_input",
]

# Artifact id -> (format, media type): ids are stable names within a job.
ARTIFACT_FORMATS: Dict[str, tuple] = {
    "shots-v2": ("ionq.result.shots.json.v2", "application/json"),
    "histogram-v2": ("ionq.result.histogram.json.v2", "application/json"),
    "probabilities-v2": ("ionq.result.probabilities.json.v2", "application/json"),
    "compiled-native": ("ionq.native.v1", "application/json"),
    "compiled-qasm3": ("ionq.qasm3.v1", "text/plain; charset=utf-8"),
}
QASM3_KEY = "qasm3"


@dataclass
class FeatureSettings:
    """Emulator switches for the v0.4 features.

    Attributes:
        leakage_rate: per-2q-gate leakage probability (0 = none) on the backends below.
        leakage_backends: name prefixes of the systems that leak and run the Tempo-like
            noise model (default: the Tempo family).
        feed_forward: run OpenQASM 3 ``if``/``else`` (IonQ systems do not yet: off).
        estimate_shape: ``"2609"`` or ``"2605"`` body of ``GET /jobs/estimate``.
        cost_unit: ``"usd"`` or ``"credit"``.
    """

    leakage_rate: float = 0.0
    leakage_backends: Tuple[str, ...] = ("qpu.tempo",)
    feed_forward: bool = False
    estimate_shape: str = "2609"
    cost_unit: str = "usd"
    extra: Dict[str, Any] = field(default_factory=dict)


def stored_qasm3_input(body: Dict[str, Any]) -> Dict[str, Any]:
    """The stored ``input`` of an ``ionq.qasm3.v1`` create body (``{"data": text}``)."""
    program = body.get("input")
    text = program.get("data") if isinstance(program, dict) else None
    if not isinstance(text, str):
        text = ""
    stored: Dict[str, Any] = {QASM3_KEY: text}
    if isinstance(program, dict) and program.get("qubits") is not None:
        stored["qubits"] = program["qubits"]
    return stored


def _qasm3_text(body: Dict[str, Any]) -> Optional[str]:
    program = body.get("input")
    if isinstance(program, dict) and QASM3_KEY in program:
        return str(program[QASM3_KEY])
    return None


def native_entangler(target: str) -> str:
    """``"zz"`` for Forte/Tempo-class systems, ``"ms"`` otherwise."""
    return "zz" if ("forte" in target or "tempo" in target) else "ms"


def _noise_for(body: Dict[str, Any], settings: FeatureSettings) -> qasm3_exec.NoiseSpec:
    target = str(body.get("target", "simulator"))
    if target.startswith(tuple(settings.leakage_backends)):
        return qasm3_exec.TEMPO_LIKE.with_leakage(settings.leakage_rate)
    if target == "simulator":
        noise = body.get("noise") if isinstance(body.get("noise"), dict) else {}
        model = (noise or {}).get("model") or "ideal"
    else:
        model = QPU_MODEL.get(target, "aria-1")
    if model not in RATES:
        return qasm3_exec.NoiseSpec()
    r1, r2 = RATES[model]
    return qasm3_exec.NoiseSpec(p1=3 * r1 / 4, p2=15 * r2 / 16)


def _job_seed(body: Dict[str, Any], seed: Optional[int]) -> Optional[int]:
    noise = body.get("noise")
    if isinstance(noise, dict) and isinstance(noise.get("seed"), int):
        return int(noise["seed"])
    return seed


@dataclass
class FeatureResult:
    """A ``CircuitResult``-like outcome with artifacts (what ``completion_fields`` stores)."""

    name: Optional[str]
    qubits: int
    gate_counts: Dict[str, int]
    histogram: Dict[str, float]
    sharpened: Optional[Dict[str, float]] = None
    artifacts: Dict[str, Any] = field(default_factory=dict)


def _gate_counts(circuit: Any) -> Dict[str, int]:
    one = two = 0
    for instruction in circuit.data:
        name = instruction.operation.name
        blocks = getattr(instruction.operation, "blocks", None)
        if blocks:
            for block in blocks:
                inner = _gate_counts(block)
                one, two = one + inner["1q"], two + inner["2q"]
        elif name in ("measure", "reset", "barrier", "delay", "id"):
            continue
        elif len(instruction.qubits) >= 2:
            two += 1
        else:
            one += 1
    return {"1q": one, "2q": two}


class FeatureSimulator:
    """The job manager's simulator, extended with OpenQASM 3 jobs and dry runs."""

    JobFailure = JobFailure

    def __init__(self, base: Any, settings: Optional[FeatureSettings] = None) -> None:
        self.base = base
        self.settings = settings or FeatureSettings()
        self.JobFailure = base.JobFailure  # type: ignore[misc]
        try:
            self._base_takes_stop = "stop" in inspect.signature(base.execute).parameters
        except (TypeError, ValueError):  # a callable without a signature
            self._base_takes_stop = False

    # -- helpers ------------------------------------------------------------------------
    def _program(self, body: Dict[str, Any]) -> qasm3_exec.Program:
        program = qasm3_exec.parse_program(_qasm3_text(body))
        target = str(body.get("target", "simulator"))
        limit = TARGET_QUBITS.get(target)
        if limit is not None and program.num_qubits > limit:
            raise JobFailure(
                "NotEnoughQubits",
                f"The program uses {program.num_qubits} qubits; {target} has {limit}.",
            )
        if program.uses_control_flow and not self.settings.feed_forward:
            raise preflight(
                "The program branches on measured bits (if/else); classical feed-forward is "
                f"not available on {target}."
            )
        return program

    def qasm3_program(self, body: Dict[str, Any]) -> Optional[qasm3_exec.Program]:
        """The parsed program of a stored OpenQASM 3 body (``None`` for JSON circuits)."""
        return None if _qasm3_text(body) is None else self._program(body)

    # -- the simulator interface ----------------------------------------------------------
    def validate_job(self, body: Dict[str, Any]) -> None:
        """Validate like IonQ's preflight (OpenQASM 3 subset violations fail the job)."""
        if _qasm3_text(body) is not None:
            self._program(body)
        else:
            self.base.validate_job(body)

    def __getattr__(self, name: str) -> Any:
        # Hooks the job manager may look for (e.g. ``resource_estimate`` for its memory
        # budget) come from the base simulator unless defined here.
        if name == "base":  # not yet set (unpickling): never recurse
            raise AttributeError(name)
        return getattr(self.base, name)

    def resource_estimate(self, body: Dict[str, Any]) -> Tuple[int, int]:
        """``(peak bytes, work)``: the base simulator's, or an OpenQASM 3 run's state vector
        plus its shot matrices (dry runs only compile: nothing to simulate)."""
        if body.get("dry_run") is True:
            return 0, 0
        text = _qasm3_text(body)
        if text is None:
            estimate = getattr(self.base, "resource_estimate", None)
            return tuple(estimate(body)) if estimate is not None else (0, 0)  # type: ignore[return-value]
        program = body.get("input") or {}
        qubits = int(program.get("qubits") or 1) if isinstance(program, dict) else 1
        shots = int(body.get("shots") or 100)
        return 64 * (1 << min(qubits, qasm3_exec.MAX_QUBITS)) + 64 * shots * qubits, shots

    def predicted_execution_time_ms(self, body: Dict[str, Any]) -> int:
        """As the base simulator; OpenQASM 3 jobs: one millisecond per 100 shots."""
        if _qasm3_text(body) is not None:
            return max(1, int(body.get("shots") or 100) // 100)
        return int(self.base.predicted_execution_time_ms(body))

    def execute(
        self,
        body: Dict[str, Any],
        *,
        seed: Optional[int] = None,
        stop: Optional[Callable[[], None]] = None,
    ) -> List[Any]:
        """Run (or, for a dry run, only compile) a job; one result per circuit.

        ``stop`` (called between instructions; raises to abandon a cancelled or overlong
        job) is passed on to the base simulator when it takes one.
        """
        program = self.qasm3_program(body)
        if body.get("dry_run") is True:
            return [self._dry_run(body, program)]
        if program is None:
            if stop is not None and self._base_takes_stop:
                return list(self.base.execute(body, seed=seed, stop=stop))
            return list(self.base.execute(body, seed=seed))
        shots = int(body.get("shots") or 100)
        record = qasm3_exec.run_program(
            program,
            shots,
            seed=_job_seed(body, seed),
            noise=_noise_for(body, self.settings),
            feed_forward=self.settings.feed_forward,
            stop=stop,
        )
        kept = record.output_all[record.leakage == 0]
        values = (kept.astype(np.int64) << np.arange(kept.shape[1], dtype=np.int64)).sum(axis=1)
        uniques, counts = np.unique(values, return_counts=True)
        total = max(int(counts.sum()), 1)
        histogram = {str(int(v)): float(c) / total for v, c in zip(uniques, counts)}
        return [
            FeatureResult(
                name=body.get("name"),
                qubits=program.num_qubits,
                gate_counts=_gate_counts(program.circuit),
                histogram=histogram,
                artifacts={
                    "shots-v2": record.shots_v2(),
                    "histogram-v2": record.histogram_v2(),
                    "probabilities-v2": record.probabilities_v2(),
                },
            )
        ]

    def _dry_run(self, body: Dict[str, Any], program: Optional[qasm3_exec.Program]) -> Any:
        target = str(body.get("target", "simulator"))
        if program is not None:
            circuit, qubits, counts = program.circuit, program.num_qubits, None
        else:
            from .simulation.simulator import parse_circuits

            circuits = parse_circuits(body)
            first = circuits[0]
            circuit = compiler.circuit_from_gates(first.width, first.gates)
            qubits = first.width
            counts = {"1q": 0, "2q": 0}
            for circ in circuits:
                for gate in circ.gates:
                    counts["2q" if len(gate.qubits) > 1 else "1q"] += 1
        compiled = compiler.compile_circuit(circuit, native_entangler(target))
        artifacts: Dict[str, Any] = {"compiled-qasm3": compiled["ionq.qasm3.v1"]}
        if compiled["ionq.native.v1"] is not None:
            artifacts["compiled-native"] = compiled["ionq.native.v1"]
        return FeatureResult(
            name=body.get("name"),
            qubits=qubits,
            gate_counts=counts if counts is not None else _gate_counts(circuit),
            histogram={},
            artifacts=artifacts,
        )


def json_job_shots(
    job_id: str,
    histogram: Dict[str, float],
    shots: int,
    *,
    leakage_rate: float = 0.0,
    two_qubit_gates: int = 0,
) -> Dict[str, Any]:
    """Per-shot data of a noisy/QPU JSON-circuit job, from its stored frequencies.

    Returns:
        ``{"values": [int per shot], "leakage": [int per shot]}`` (see module docstring).
    """
    keys = list(histogram)
    counts = np.rint(np.array([histogram[k] for k in keys], dtype=float) * shots).astype(int)
    digest = hashlib.sha256(job_id.encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    values = np.repeat(np.array([int(k) for k in keys], dtype=object), counts)
    order = rng.permutation(len(values))
    values = values[order]
    leakage = np.zeros(len(values), dtype=np.int64)
    if leakage_rate > 0 and two_qubit_gates > 0:
        p = 1.0 - (1.0 - leakage_rate) ** two_qubit_gates
        leakage[rng.random(len(values)) < p] = 1
    return {"values": [int(v) for v in values.tolist()], "leakage": leakage.tolist()}
