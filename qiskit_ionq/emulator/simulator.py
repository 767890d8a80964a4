"""The emulator's simulator: validates a job body and computes its histograms.

Pure numpy (no Qiskit, nothing from the client side of ``qiskit_ionq``): the gate unitaries
come from the API fact sheet (:mod:`.gates`), the noise models from section 3.5
(:mod:`.noise`). The HTTP layer calls :func:`validate_job`, :func:`execute` and
:func:`predicted_execution_time_ms`, and turns :class:`JobFailure` into a ``failed`` job.

How a circuit is simulated:

* Only the qubits a circuit touches are simulated (idle qubits stay |0>); results are then
  written at the right bit positions of the full-width, little-endian keys (section 6.2).
* The state is a complex128 array ``(B, 2**m)``: ``B`` trajectories side by side (1 for an
  ideal run), each row indexed little-endian. Gates are applied with vectorised numpy
  kernels chosen per gate (see :class:`_States`), never per-amplitude Python loops.
* Ideal simulator (section 6.3): exact probabilities, independent of ``shots``; values below
  1e-12 are dropped. Noisy models and ``qpu.*`` targets: one Pauli-error trajectory per shot
  (sampled up front and grouped, see :mod:`.noise`); each distinct trajectory is simulated
  once, branching off the error-free one at its first error; frequencies are count/shots.
* Debiasing (section 3.6), ``qpu.*`` only: see :func:`.noise.debiased`; ``histogram`` is the
  average aggregation, ``sharpened`` the plurality one.

Emulator limits: at most :data:`MAX_ACTIVE_QUBITS` touched qubits per circuit (26: the state
takes 1 GiB, plus a spare buffer of the same size), otherwise ``SimulationError``; the vendor
ceilings of section 3.7 (``NotEnoughQubits``) are checked first. A noisy run whose distinct
trajectories would need more than 2**35 amplitude updates fails with ``SimulationTimeout``
up front instead of tying up a worker for minutes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .gates import (
    PAULI,
    Circuit,
    Gate,
    JobFailure,
    Op,
    gate_class,
    parse_circuits,
    parse_gate,
    preflight,
)
from .noise import (
    Backend,
    check_shots_budget,
    debias_enabled,
    debias_option,
    debiased,
    parse_shots,
    resolve_backend,
    sample_trajectories,
)

__all__ = [
    "MAX_ACTIVE_QUBITS",
    "CircuitResult",
    "JobFailure",
    "execute",
    "predicted_execution_time_ms",
    "simulate_statevector",
    "validate_job",
]

MAX_ACTIVE_QUBITS = 26  # emulator cap on simulated (touched) qubits: 2**26 amplitudes = 1 GiB
_IDEAL_CUTOFF = 1e-12  # ideal histograms omit states below this probability
_BATCH_AMPLITUDES = 1 << 20  # trajectories evolved together: at most 16 MiB of state per batch
_WORK_BUDGET = 1 << 35  # amplitude x gate updates of a noisy run (~2 min), else SimulationTimeout


@dataclass
class CircuitResult:
    """Outcome of one circuit of a job (one child of a multi-circuit job).

    Attributes:
        name: the circuit's name (entry ``name``, or the job ``name`` for a single circuit).
        qubits: register width of the result keys (``input.qubits``, else max index + 1).
        gate_counts: ``{"1q": n, "2q": m}`` by qubits touched, controls included (section 5.2).
        histogram: default (average) aggregation: decimal-string keys, little-endian,
            probabilities, sparse.
        sharpened: plurality aggregation (``sharpen=true``); equals ``histogram`` unless the
            job was debiased.
    """

    name: Optional[str]
    qubits: int
    gate_counts: Dict[str, int]
    histogram: Dict[str, float]
    sharpened: Dict[str, float] = field(default_factory=dict)


@dataclass
class _Job:
    backend: Backend
    shots: int
    debias: Optional[bool]
    circuits: List[Circuit]


# --------------------------------------------------------------------------- parsing
def _parse_job(body: Any, *, check_limits: bool = True) -> _Job:
    if not isinstance(body, dict):
        raise preflight("The job must be a JSON object.")
    backend = resolve_backend(body)
    job = _Job(backend, parse_shots(body), debias_option(body), parse_circuits(body))
    if not check_limits:
        return job
    for i, circ in enumerate(job.circuits):
        if circ.width > backend.qubit_limit:
            raise JobFailure(
                "NotEnoughQubits",
                f"circuit {i} needs {circ.width} qubits; {backend.limit_reason} has "
                f"{backend.qubit_limit}.",
            )
    for i, circ in enumerate(job.circuits):
        active = len({q for g in circ.gates for q in g.qubits})
        if active > MAX_ACTIVE_QUBITS:
            raise JobFailure(
                "SimulationError",
                f"circuit {i} acts on {active} qubits; this emulator simulates at most "
                f"{MAX_ACTIVE_QUBITS}.",
            )
    if backend.model is not None:
        check_shots_budget(job.shots)
    return job


def validate_job(body: Dict[str, Any]) -> None:
    """Check a job body the way IonQ's preflight would, without simulating it.

    Raises:
        JobFailure: ``PreflightError`` (malformed input or gates), ``NotEnoughQubits`` (wider
            than the target or noise model allows, section 3.7) or ``SimulationError`` (beyond
            what this emulator simulates).
    """
    _parse_job(body)


# ------------------------------------------------------------------------ statevector
_LOW_BLOCK = 10  # diagonal gates: multiply rows of 2**10 amplitudes (long inner loops)
_GEMM_MAX_QUBIT = 2  # 1q gates on qubits 0..2: one matrix product with kron(U^T, I)


def _relabel(gate: Gate, local: Dict[int, int]) -> Gate:
    """The gate on local (dense) qubit indices; the ops' matrix analysis is reused."""
    ops = []
    for op in gate.ops:
        new = Op.__new__(Op)
        for slot in Op.__slots__:
            setattr(new, slot, getattr(op, slot))
        new.targets = tuple(local[q] for q in op.targets)
        new.controls = tuple(local[q] for q in op.controls)
        ops.append(new)
    return Gate(gate.name, tuple(local[q] for q in gate.qubits), tuple(ops))


class _States:
    """``B`` state vectors of ``m`` qubits as a ``(B, 2**m)`` complex128 array.

    The flat index of a row is little-endian (bit j = local qubit j); the n-d view
    ``(B, 2, ..., 2)`` has qubit j on axis ``m - j``. Three kernels, chosen per op because
    numpy is fast on long contiguous inner loops and slow on short strided ones:

    * diagonal ops (z, s, t, rz, zz, controlled phases, Z errors): in place, over rows of
      ``2**10`` amplitudes with a precomputed phase pattern;
    * uncontrolled ops on up to 3 qubits: written into a spare buffer that then becomes the
      state, as a sum of broadcast "diagonal times bit-flip" terms (:meth:`_flips`), or, for
      a one-qubit op on qubits 0..2 where those terms have too-short inner loops, as one
      matrix product with ``kron(U^T, I)`` (:meth:`_gemm`);
    * everything else (controlled ops, low 2q targets): per-slice linear combinations
      (:func:`_apply_slices`), which only touch the slice where the controls are 1.
    """

    def __init__(self, full: np.ndarray, m: int, live: Optional[int] = None) -> None:
        self.m = m
        self.live = len(full) if live is None else live  # rows in use: a prefix of `full`
        self._bufs: List[Optional[np.ndarray]] = [full, None]  # state and spare buffer
        self._cur = 0

    @property
    def flat(self) -> np.ndarray:
        """The live rows, ``(live, 2**m)``."""
        buf = self._bufs[self._cur]
        assert buf is not None
        return buf[: self.live]

    def branch(self, count: int, source: np.ndarray) -> None:
        """Start ``count`` more rows as copies of the state ``source``."""
        full = self._bufs[self._cur]
        assert full is not None
        full[self.live : self.live + count] = source
        self.live += count

    def _buffer(self) -> np.ndarray:
        spare = self._bufs[1 - self._cur]
        if spare is None:
            spare = self._bufs[1 - self._cur] = np.empty_like(self._bufs[self._cur])
        return spare[: self.live]

    def nd(self) -> np.ndarray:
        return self.flat.reshape((len(self.flat),) + (2,) * self.m)

    def apply(self, op: Op) -> None:
        if op.diag is not None:
            self._diagonal(op)
        elif not op.controls and len(op.targets) == 1 and op.targets[0] <= _GEMM_MAX_QUBIT:
            self._gemm(op)
        elif not op.controls and len(op.targets) <= 3 and min(op.targets) > _GEMM_MAX_QUBIT:
            self._flips(op)
        else:
            _apply_slices(self.nd(), op, self.m)

    def _diagonal(self, op: Op) -> None:
        m, p = self.m, min(self.m, _LOW_BLOCK)
        qubits = op.controls + op.targets
        high = [(i, q) for i, q in enumerate(qubits) if q >= p]
        low_index = np.arange(1 << p)
        nd = self.flat.reshape((len(self.flat),) + (2,) * (m - p) + (1 << p,))
        nc = len(op.controls)
        assert op.diag is not None
        for hb in range(1 << len(high)):  # one row-slice per setting of the high qubits
            idx: List[Any] = [slice(None)] * (m - p + 2)
            bits = [np.zeros(1, dtype=np.int64)] * len(qubits)
            for h, (i, q) in enumerate(high):
                idx[m - q] = (hb >> h) & 1
                bits[i] = np.array([(hb >> h) & 1])
            for i, q in enumerate(qubits):
                if q < p:
                    bits[i] = (low_index >> q) & 1
            enabled = np.ones(1, dtype=bool)
            for b in bits[:nc]:  # the gate acts only where every control is 1
                enabled = enabled & (b == 1)
            target_index = sum((b << i for i, b in enumerate(bits[nc:])), np.zeros(1, np.int64))
            pattern = np.where(enabled, op.diag[target_index], 1)
            if np.any(pattern != 1):
                view = nd[tuple(idx)]
                view *= pattern if len(pattern) > 1 else pattern[0]

    def _gemm(self, op: Op) -> None:
        """1q op on qubit q <= 2: rows of 2**(q+1) amplitudes times kron(U^T, I)."""
        width = 2 << op.targets[0]
        kron = np.kron(op.matrix.T, np.eye(width // 2))
        out = self._buffer()
        np.matmul(self.flat.reshape(-1, width), kron, out=out.reshape(-1, width))
        self._cur = 1 - self._cur

    def _flips(self, op: Op) -> None:
        """Uncontrolled op on targets >= 3: U = sum_f diag(d_f) X^f over flip masks f.

        ``(U psi)[x] = sum_f U[x, x^f] psi[x^f]``: each term is a broadcast multiply of the
        state, reversed along the flipped target axes; no slicing, long inner loops.
        """
        order = sorted(range(len(op.targets)), key=lambda i: -op.targets[i])
        qs = [op.targets[i] for i in order] + [-1]
        # Split each row at every target: (rest, 2, gap, 2, ..., 2, 2**lowest target).
        shape = [len(self.flat) << (self.m - 1 - qs[0])]
        for q, below in zip(qs, qs[1:]):
            shape += [2, 1 << (q - below - 1)]
        axis = {i: 1 + 2 * n for n, i in enumerate(order)}
        k = len(op.targets)
        psi = self.flat.reshape(shape)
        out = self._buffer().reshape(shape)
        x = np.arange(1 << k)
        terms = [f for f in range(1 << k) if np.any(np.abs(op.matrix[x, x ^ f]) > 1e-14)]
        for n, f in enumerate(terms):
            d = op.matrix[x, x ^ f].reshape((2,) * k)  # axes: target k-1 ... target 0
            d = d.transpose([k - 1 - i for i in order]).reshape(
                [2 if a in axis.values() else 1 for a in range(len(shape))]
            )
            flipped = {axis[i] for i in axis if f >> i & 1}
            flip = tuple(slice(None, None, -1 if a in flipped else 1) for a in range(len(shape)))
            if n == 0:
                np.multiply(psi[flip], d, out=out)
            elif n < len(terms) - 1:
                out += psi[flip] * d
            else:  # last term: scale the old state in place, then add it flipped
                psi *= d[flip]
                out += psi[flip]
        self._cur = 1 - self._cur


def _apply_slices(state: np.ndarray, op: Op, m: int) -> None:
    """Apply ``op`` in place to ``state`` of shape ``(B,) + (2,) * m`` (qubit j on axis m - j)."""
    base: List[Any] = [slice(None)] * (m + 1)
    for c in op.controls:
        base[m - c] = 1  # only the slice where every control is |1> changes (section 4.2)
    if op.dense:
        sub = state[tuple(base)]
        k = len(op.targets)
        # Axis of each target in `sub`, whose control axes have been indexed away.
        axes = [m - t - sum(m - c < m - t for c in op.controls) for t in op.targets][::-1]
        ut = op.matrix.reshape((2,) * (2 * k))  # axes: out bits k-1..0, then in bits k-1..0
        res = np.tensordot(ut, sub, axes=(list(range(k, 2 * k)), axes))
        sub[...] = np.moveaxis(res, list(range(k)), axes)
        return
    views: Dict[int, np.ndarray] = {}

    def view(b: int) -> np.ndarray:
        if b not in views:
            idx = list(base)
            for i, t in enumerate(op.targets):
                idx[m - t] = (b >> i) & 1
            views[b] = state[tuple(idx)]
        return views[b]

    temps = []
    for i, row in op.mix:  # new slice i = sum_j U[i, j] * old slice j: read all, then write
        (j0, u0), rest = row[0], row[1:]
        acc = view(j0).copy() if u0 == 1 else np.multiply(view(j0), u0)
        for j, u in rest:
            acc += view(j) if u == 1 else np.multiply(view(j), u)
        temps.append((i, acc))
    for i, d in op.scale:
        v = view(i)
        v *= d
    for i, acc in temps:
        view(i)[...] = acc


_PAULI_OPS: Dict[Tuple[int, str], Op] = {}


def _pauli_op(qubit: int, letter: str) -> Op:
    return _PAULI_OPS.setdefault((qubit, letter), Op((qubit,), (), PAULI[letter]))


def _probabilities(states: _States) -> np.ndarray:
    flat = states.flat
    return flat.real**2 + flat.imag**2


class _Runner:
    """The error-free trajectory, advanced gate by gate and never rewound."""

    def __init__(self, gates: Sequence[Gate], m: int) -> None:
        full = np.zeros((1, 1 << m), dtype=np.complex128)
        full[0, 0] = 1
        self.gates, self.states, self.done = gates, _States(full, m), 0

    def advance(self, stop: int) -> np.ndarray:
        """Apply the gates up to index ``stop`` (exclusive); returns the state row."""
        for gate in self.gates[self.done : stop]:
            for op in gate.ops:
                self.states.apply(op)
        self.done = max(self.done, stop)
        return self.states.flat[0]


def _noisy_outcomes(
    rng: np.random.Generator, gates: Sequence[Gate], m: int, shots: int, model: str
) -> np.ndarray:
    """Local basis-state index measured by each shot of a noisy run.

    Error patterns are sampled per shot (:func:`.noise.sample_trajectories`); each distinct
    pattern is one trajectory, identical to the error-free one until its first error. So the
    error-free trajectory (``runner``) is simulated once, and every other trajectory is
    branched off (copied from it) at its first error and simulated from there on, batched
    with others (sorted by first error) as rows of one array. An event ``(g, q, P)`` applies
    Pauli ``P`` to qubit ``q`` right after gate ``g``; rows sharing it are hit together.
    """
    traj = sample_trajectories(rng, shots, gates, model)
    errored = sorted(
        ((p, s) for p, s in zip(traj.patterns, traj.shots) if p and len(s)),
        key=lambda ps: ps[0][0][0],
    )
    work = (len(gates) + sum(len(gates) - p[0][0] for p, _ in errored)) << m
    if work > _WORK_BUDGET:
        raise JobFailure(
            "SimulationTimeout",
            f"{len(errored)} distinct noisy trajectories of {m} qubits and {len(gates)} gates "
            "exceed this emulator's budget; use fewer shots, qubits or gates, or no noise.",
        )
    outcomes = np.empty(shots, dtype=np.int64)

    def sample(probs: np.ndarray, shot_ids: np.ndarray) -> None:
        outcomes[shot_ids] = rng.choice(len(probs), size=len(shot_ids), p=probs / probs.sum())

    runner = _Runner(gates, m)
    per_batch = max(1, _BATCH_AMPLITUDES >> m)
    for start in range(0, len(errored), per_batch):
        chunk = errored[start : start + per_batch]
        starts = Counter(p[0][0] for p, _ in chunk)
        errors: Dict[int, Dict[Tuple[int, str], List[int]]] = {}
        for row, (pattern, _) in enumerate(chunk):
            for g, q, letter in pattern:
                errors.setdefault(g, {}).setdefault((q, letter), []).append(row)
        states = _States(np.empty((len(chunk), 1 << m), dtype=np.complex128), m, live=0)
        for g in range(chunk[0][0][0][0], len(gates)):
            if states.live:
                for op in gates[g].ops:
                    states.apply(op)
            if g in starts:
                states.branch(starts[g], runner.advance(g + 1))
            for (q, letter), rows in errors.get(g, {}).items():
                hit = np.array(rows)
                sub = _States(states.flat[hit], m)
                sub.apply(_pauli_op(q, letter))
                states.flat[hit] = sub.flat
        for (_, shot_ids), probs in zip(chunk, _probabilities(states)):
            sample(probs, shot_ids)
    runner.advance(len(gates))
    sample(_probabilities(runner.states)[0], traj.shots[0])
    return outcomes


def simulate_statevector(
    circuit: List[Dict[str, Any]],
    qubits: int,
    *,
    gateset: str = "qis",
    initial: Optional[np.ndarray] = None,
) -> np.ndarray:
    """Amplitudes after running gate objects on ``qubits`` qubits (a debugging/testing aid).

    Args:
        circuit: ``ionq.circuit.v0`` gate objects (validated like a job's).
        qubits: register width; amplitude index bit k is qubit k (little-endian).
        gateset: ``"qis"`` or ``"native"``.
        initial: start state (length ``2**qubits``), default |0...0>.

    Returns:
        The final state vector, complex128, length ``2**qubits``.
    """
    gates = [parse_gate(g, gateset, f"gate {i}") for i, g in enumerate(circuit)]
    if any(q >= qubits for g in gates for q in g.qubits):
        raise preflight(f"a gate acts outside the {qubits} qubits")
    flat = np.zeros((1, 1 << qubits), dtype=np.complex128)
    if initial is None:
        flat[0, 0] = 1
    else:
        flat[0] = initial
    states = _States(flat, qubits)
    for gate in gates:
        for op in gate.ops:
            states.apply(op)
    return states.flat[0].copy()


# --------------------------------------------------------------------------- results
def _keys(local_index: np.ndarray, active: Sequence[int]) -> List[str]:
    """Full-register keys: local bit j moves to bit ``active[j]`` (active is sorted)."""
    keys = np.zeros(len(local_index), dtype=np.int64)
    if list(active) == list(range(len(active))):
        keys = local_index.astype(np.int64)
    else:
        for j, q in enumerate(active):
            keys |= ((local_index >> j) & 1) << q
    return [str(k) for k in keys.tolist()]


def _distribution(outcomes: np.ndarray, active: Sequence[int]) -> Dict[str, float]:
    values, counts = np.unique(outcomes, return_counts=True)
    return dict(zip(_keys(values, active), (counts / len(outcomes)).tolist()))


def _run_circuit(job: _Job, circ: Circuit, rng: np.random.Generator) -> CircuitResult:
    counts = {"1q": 0, "2q": 0}
    for gate in circ.gates:
        counts[gate_class(gate)] += 1
    active = sorted({q for g in circ.gates for q in g.qubits})
    local = {q: j for j, q in enumerate(active)}
    gates = [_relabel(g, local) for g in circ.gates]
    m = len(active)
    model = job.backend.model
    if model is None:  # ideal simulator: exact probabilities (section 6.3)
        runner = _Runner(gates, m)
        runner.advance(len(gates))
        probs = _probabilities(runner.states)[0]
        keep = np.flatnonzero(probs >= _IDEAL_CUTOFF)
        hist = dict(zip(_keys(keep, active), probs[keep].tolist()))
        return CircuitResult(circ.name, circ.width, counts, hist, dict(hist))
    outcomes = _noisy_outcomes(rng, gates, m, job.shots, model)
    if not debias_enabled(job.backend, job.shots, job.debias, circ.gateset):
        hist = _distribution(outcomes, active)
        return CircuitResult(circ.name, circ.width, counts, hist, dict(hist))
    average, plurality = debiased(rng, outcomes)
    return CircuitResult(
        circ.name,
        circ.width,
        counts,
        dict(zip(_keys(average[0], active), average[1].tolist())),
        dict(zip(_keys(plurality[0], active), plurality[1].tolist())),
    )


def execute(body: Dict[str, Any], *, seed: Optional[int] = None) -> List[CircuitResult]:
    """Validate and run a job; one :class:`CircuitResult` per circuit, in submission order.

    Args:
        body: the ``POST /jobs`` body.
        seed: seed of shot sampling, unless the job's ``noise.seed`` is an int (section 3.5),
            which wins. ``None``: fresh randomness. Ideal runs use no randomness.

    Raises:
        JobFailure: as :func:`validate_job`.
    """
    job = _parse_job(body)
    rng = np.random.default_rng(job.backend.seed if job.backend.seed is not None else seed)
    return [_run_circuit(job, circ, rng) for circ in job.circuits]


# (1q, 2q, readout + reset) gate/shot times in ms per QPU family, for predictions only.
_QPU_MS = {"harmony": (0.01, 0.2, 0.15), "aria": (0.135, 0.6, 0.32), "forte": (0.13, 0.97, 0.2)}


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
            family = next(f for f in _QPU_MS if f in (job.backend.model or "aria"))
            t1, t2, tr = _QPU_MS[family]
            total += job.shots * (n1 * t1 + n2 * t2 + tr)
        else:
            active = len({q for g in circ.gates for q in g.qubits})
            runs = 1 if job.backend.model is None else max(1, job.shots // 50)
            total += 1 + runs * len(circ.gates) * (1 << min(active, 40)) / 2e5
    return max(1, int(round(total)))
