"""Random circuits for the fidelity check, and the reference they are judged against.

Shared by ``test/e2e/test_fidelity.py`` (a CI subset) and ``scripts/fidelity.py`` (the full
run): the script puts this directory on ``sys.path``.

The check (issue: "random circuits serialized by our client and simulated by the emulator give
the same probabilities as ``qiskit.quantum_info.Statevector`` of the original circuit"):

* :func:`generate_suite` builds circuits of 1-12 qubits in the QIS and the native gateset that
  together use every gate kind the serializer accepts (:data:`QIS_KINDS`, :data:`NATIVE_KINDS`),
  with random measurements of all or some qubits into one or several classical registers.
* :func:`expected_probabilities` computes what the user must get back, from Qiskit alone:
  the ``Statevector`` of the circuit without its measurements, the marginal over the measured
  qubits mapped to classical bits, keys formatted by Qiskit's own ``format_counts_memory``.
  Nothing from ``qiskit_ionq`` is used, so a bug in the serializer, the emulator's simulator
  or the results layer shows up as a mismatch.
* :func:`run_suite` sends the circuits through the public path (``backend.run`` of a list =
  one multi-circuit job per batch) and compares ``get_probabilities()`` with the reference.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit.library import (
    HGate,
    PauliEvolutionGate,
    PhaseGate,
    RXGate,
    RYGate,
    RZGate,
    SdgGate,
    SGate,
    SXdgGate,
    SXGate,
    TdgGate,
    XGate,
    YGate,
    ZGate,
)
from qiskit.quantum_info import Pauli, PauliList, SparsePauliOp, Statevector
from qiskit.result.postprocess import format_counts_memory

TOLERANCE = 1e-9
MAX_QUBITS = 12

Builder = Callable[[QuantumCircuit, np.random.Generator, List[int]], None]


@dataclass(frozen=True)
class Kind:
    """One gate kind: its name, the qubits it needs, and how to append it at random."""

    name: str
    min_qubits: int
    build: Builder


def _angle(rng: np.random.Generator) -> float:
    """A rotation angle in radians: mostly uniform, sometimes a special value."""
    if rng.random() < 0.15:
        return float(rng.choice([0.0, math.pi, -math.pi / 2, math.pi / 4, 2 * math.pi]))
    return float(rng.uniform(-2 * math.pi, 2 * math.pi))


def _pick(rng: np.random.Generator, qubits: List[int], k: int) -> List[int]:
    return [int(q) for q in rng.choice(qubits, size=k, replace=False)]


def _fixed(method: str, arity: int) -> Kind:
    def build(qc: QuantumCircuit, rng: np.random.Generator, qubits: List[int]) -> None:
        getattr(qc, method)(*_pick(rng, qubits, arity))

    return Kind(method, arity, build)


def _rotation(method: str, arity: int) -> Kind:
    def build(qc: QuantumCircuit, rng: np.random.Generator, qubits: List[int]) -> None:
        getattr(qc, method)(_angle(rng), *_pick(rng, qubits, arity))

    return Kind(method, arity, build)


def _mcx(controls: int) -> Kind:
    def build(qc: QuantumCircuit, rng: np.random.Generator, qubits: List[int]) -> None:
        chosen = _pick(rng, qubits, controls + 1)
        qc.mcx(chosen[:-1], chosen[-1])

    return Kind(f"mcx{controls}", controls + 1, build)


def _mcp(qc: QuantumCircuit, rng: np.random.Generator, qubits: List[int]) -> None:
    controls = int(rng.integers(2, min(7, len(qubits) - 1) + 1))
    chosen = _pick(rng, qubits, controls + 1)
    qc.mcp(_angle(rng), chosen[:-1], chosen[-1])


def _commuting_terms(rng: np.random.Generator, width: int, count: int) -> List[str]:
    """Up to ``count`` distinct, pairwise commuting Pauli strings (none all-identity)."""
    terms: List[str] = []
    for _ in range(20 * count):
        if len(terms) == count:
            break
        label = "".join(rng.choice(list("IXYZ"), size=width))
        if set(label) == {"I"} or label in terms:
            continue
        anti = [sum(a != "I" and b != "I" and a != b for a, b in zip(label, t)) % 2 for t in terms]
        if not any(anti):
            terms.append(label)
    return terms or ["Z" * width]


def _pauli_evolution(qc: QuantumCircuit, rng: np.random.Generator, qubits: List[int]) -> None:
    """``PauliEvolutionGate`` with commuting terms: exp(-i t sum_k c_k P_k)."""
    width = int(rng.integers(1, min(8, len(qubits)) + 1))
    terms = _commuting_terms(rng, width, int(rng.integers(1, 6)))
    coeffs = rng.uniform(-1.5, 1.5, size=len(terms))
    time = float(rng.uniform(-1.5, 1.5))
    style = rng.random()
    operator: Any
    if style < 0.15 and len(terms) > 1:
        # A list of operators means their sum.
        operator = [SparsePauliOp([t], coeffs=[c]) for t, c in zip(terms, coeffs)]
    elif style < 0.3:
        # Signs carried by the Pauli labels instead of the coefficients.
        signed = [("-" + t) if c < 0 else t for t, c in zip(terms, coeffs)]
        operator = SparsePauliOp(PauliList(signed), coeffs=np.abs(coeffs))
    elif style < 0.4:
        # A bare Pauli (coefficient 1), possibly with a sign.
        operator = Pauli(("-" if coeffs[0] < 0 else "") + terms[0])
    else:
        operator = SparsePauliOp(terms, coeffs=coeffs)
    qc.append(PauliEvolutionGate(operator, time=time), _pick(rng, qubits, width))


_CONTROLLABLE: List[Callable[[np.random.Generator], Any]] = [
    lambda rng: XGate(),
    lambda rng: YGate(),
    lambda rng: ZGate(),
    lambda rng: HGate(),
    lambda rng: SGate(),
    lambda rng: SdgGate(),
    lambda rng: TdgGate(),
    lambda rng: SXGate(),
    lambda rng: SXdgGate(),
    lambda rng: RXGate(_angle(rng)),
    lambda rng: RYGate(_angle(rng)),
    lambda rng: RZGate(_angle(rng)),
    lambda rng: PhaseGate(_angle(rng)),
]


def _controlled(qc: QuantumCircuit, rng: np.random.Generator, qubits: List[int]) -> None:
    """A generic ``ControlledGate`` (``cs``, ``c3h``, open controls ``ccx_o1`` ...)."""
    base = _CONTROLLABLE[int(rng.integers(len(_CONTROLLABLE)))](rng)
    controls = int(rng.integers(1, min(7, len(qubits) - 1) + 1))
    state = int(rng.integers(0, 1 << controls)) if rng.random() < 0.6 else None
    annotated = bool(rng.random() < 0.3)
    try:  # Qiskit >= 1.0: a ControlledGate, or an AnnotatedOperation with control modifiers
        gate = base.control(controls, ctrl_state=state, annotated=annotated)
    except TypeError:  # Qiskit 0.46 has no `annotated`
        gate = base.control(controls, ctrl_state=state)
    qc.append(gate, _pick(rng, qubits, controls + 1))


def _barrier(qc: QuantumCircuit, rng: np.random.Generator, qubits: List[int]) -> None:
    k = int(rng.integers(1, len(qubits) + 1))
    qc.barrier(*_pick(rng, qubits, k))


def _turns(rng: np.random.Generator) -> float:
    """A phase in turns: mostly in the API's range -1..1, sometimes beyond (folded by us)."""
    if rng.random() < 0.1:
        return float(rng.uniform(-3, 3))
    return float(rng.uniform(-1, 1))


def _gpi(qc: QuantumCircuit, rng: np.random.Generator, qubits: List[int]) -> None:
    from qiskit_ionq import GPIGate

    qc.append(GPIGate(_turns(rng)), _pick(rng, qubits, 1))


def _gpi2(qc: QuantumCircuit, rng: np.random.Generator, qubits: List[int]) -> None:
    from qiskit_ionq import GPI2Gate

    qc.append(GPI2Gate(_turns(rng)), _pick(rng, qubits, 1))


def _ms(qc: QuantumCircuit, rng: np.random.Generator, qubits: List[int]) -> None:
    from qiskit_ionq import MSGate

    phi0, phi1 = _turns(rng), _turns(rng)
    roll = rng.random()
    if roll < 0.15:
        gate = MSGate(phi0, phi1)  # default angle: 0.25, fully entangling
    elif roll < 0.25:
        gate = MSGate(phi0, phi1, float(rng.choice([0.0, 0.25])))
    elif roll < 0.3:
        # Equivalent to an angle in 0..0.25 (negative, or one turn more): the serializer folds.
        gate = MSGate(phi0, phi1, float(rng.choice([-1, 1, 0.75]) + rng.uniform(0, 0.25)))
    else:
        gate = MSGate(phi0, phi1, float(rng.uniform(0, 0.25)))
    qc.append(gate, _pick(rng, qubits, 2))


def _zz(qc: QuantumCircuit, rng: np.random.Generator, qubits: List[int]) -> None:
    from qiskit_ionq import ZZGate

    qc.append(ZZGate(_turns(rng)), _pick(rng, qubits, 2))


QIS_KINDS: Tuple[Kind, ...] = (
    *(_fixed(m, 1) for m in ("h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "sxdg", "id")),
    *(_rotation(m, 1) for m in ("rx", "ry", "rz", "p")),
    *(_fixed(m, 2) for m in ("cx", "cy", "cz", "ch", "csx", "swap")),
    *(_rotation(m, 2) for m in ("cp", "crx", "cry", "crz", "rxx", "ryy", "rzz")),
    _fixed("ccx", 3),
    *(_mcx(k) for k in range(3, 8)),
    Kind("mcp", 3, _mcp),
    Kind("pauli_evolution", 1, _pauli_evolution),
    Kind("controlled", 2, _controlled),
    Kind("barrier", 1, _barrier),
)
"""Every QIS gate kind the serializer accepts (mcx once per control count 3..7)."""

NATIVE_KINDS: Tuple[Kind, ...] = (
    Kind("gpi", 1, _gpi),
    Kind("gpi2", 1, _gpi2),
    Kind("ms", 2, _ms),
    Kind("zz", 2, _zz),
    _fixed("id", 1),
    Kind("barrier", 1, _barrier),
)
"""Every native gate kind."""


def _kinds(gateset: str) -> Tuple[Kind, ...]:
    return QIS_KINDS if gateset == "qis" else NATIVE_KINDS


@dataclass
class Case:
    """One circuit of the suite and the gate kinds it was built from."""

    index: int
    gateset: str
    circuit: QuantumCircuit
    kinds: List[str] = field(default_factory=list)


def random_circuit(
    rng: np.random.Generator,
    gateset: str,
    num_qubits: int,
    *,
    must_use: Sequence[Kind] = (),
    name: str = "circuit",
) -> Tuple[QuantumCircuit, List[str]]:
    """A random circuit of ``num_qubits`` qubits, measured (all or some qubits) at the end.

    Args:
        rng: randomness.
        gateset: ``"qis"`` or ``"native"``.
        num_qubits: 1..12.
        must_use: kinds placed at random positions in the circuit (they must fit its width).
        name: the circuit name.

    Returns:
        The circuit and the names of the kinds it uses, in order.
    """
    qreg = QuantumRegister(num_qubits, "q")
    qubits = list(range(num_qubits))
    fitting = [k for k in _kinds(gateset) if k.min_qubits <= num_qubits]
    length = int(rng.integers(num_qubits, 4 * num_qubits + 12))
    plan = [fitting[int(rng.integers(len(fitting)))] for _ in range(length)]
    for kind in must_use:
        plan.insert(int(rng.integers(len(plan) + 1)), kind)

    # Classical registers: one of the usual shape, or several of random sizes.
    style = rng.random()
    cregs: List[ClassicalRegister] = []
    if style < 0.35:
        cregs = [ClassicalRegister(num_qubits, "c")]
    elif style < 0.7:
        sizes = rng.integers(1, num_qubits + 2, size=int(rng.integers(2, 4)))
        cregs = [ClassicalRegister(int(s), f"c{i}") for i, s in enumerate(sizes)]
    else:
        cregs = [ClassicalRegister(int(rng.integers(1, num_qubits + 2)), "c")]
    measure_all = style >= 0.9  # measure_all adds its own register "meas" (and a barrier)
    qc = QuantumCircuit(qreg, *cregs, name=name)
    for kind in plan:
        kind.build(qc, rng, qubits)
    if measure_all:
        qc.measure_all()
    else:
        _measure_some(qc, rng)
    return qc, [k.name for k in plan]


def _measure_some(qc: QuantumCircuit, rng: np.random.Generator) -> None:
    """Measure a random non-empty set of qubits into random classical bits.

    Some clbits stay unmeasured, some receive two measurements (the last one counts), and a
    qubit may feed several clbits.
    """
    n, m = qc.num_qubits, qc.num_clbits
    count = int(rng.integers(1, m + 2))
    for _ in range(count):
        qc.measure(int(rng.integers(n)), int(rng.integers(m)))


def generate_suite(
    count: int, seed: int, gatesets: Sequence[str] = ("qis", "native")
) -> List[Case]:
    """``count`` circuits of 1-12 qubits alternating over ``gatesets``.

    Every gate kind of each gateset is used (given enough circuits: about 15 for QIS): kinds
    not yet used are forced into the next circuits wide enough for them, and widths cycle so
    that every width 1-12 appears.
    """
    rng = np.random.default_rng(seed)
    pending: Dict[str, List[Kind]] = {g: list(_kinds(g)) for g in gatesets}
    cases: List[Case] = []
    for i in range(count):
        gateset = gatesets[i % len(gatesets)]
        width = 1 + (i // len(gatesets) * 5 + int(rng.integers(0, 3))) % MAX_QUBITS
        queue = pending[gateset]
        forced = [k for k in queue if k.min_qubits <= width][:4]
        for kind in forced:
            queue.remove(kind)
        qc, kinds = random_circuit(
            rng, gateset, width, must_use=forced, name=f"fidelity-{seed}-{i}"
        )
        cases.append(Case(i, gateset, qc, kinds))
    return cases


# --------------------------------------------------------------------------------------------
# The reference: Qiskit only
# --------------------------------------------------------------------------------------------
def expected_probabilities(circuit: QuantumCircuit) -> Dict[str, float]:
    """The distribution ``get_probabilities()`` must return, computed with Qiskit alone.

    The circuit's measurements are removed, the ``Statevector`` of what remains gives the
    qubit distribution, each classical bit takes the qubit measured into it last (0 if none),
    and the classical values are formatted by Qiskit's ``format_counts_memory`` with the
    circuit's register sizes (classical bit 0 right-most, registers separated by spaces).
    """
    unitary_part = circuit.copy_empty_like()
    clbit_source: Dict[int, int] = {}
    for instruction in circuit.data:
        if instruction.operation.name == "measure":
            qubit = circuit.find_bit(instruction.qubits[0]).index
            clbit_source[circuit.find_bit(instruction.clbits[0]).index] = qubit
        else:
            unitary_part.append(instruction.operation, instruction.qubits, instruction.clbits)
    probs = Statevector(unitary_part).probabilities()  # index bit k = qubit k
    index = np.arange(len(probs), dtype=np.int64)
    values = np.zeros(len(probs), dtype=np.int64)
    for clbit, qubit in clbit_source.items():
        values |= ((index >> qubit) & 1) << clbit
    totals: Dict[int, float] = {}
    for value, p in zip(values.tolist(), probs.tolist()):
        totals[value] = totals.get(value, 0.0) + p
    header = {
        "memory_slots": circuit.num_clbits,
        "creg_sizes": [[reg.name, reg.size] for reg in circuit.cregs],
    }
    out: Dict[str, float] = {}
    for value, p in totals.items():
        if p < 1e-15:  # structurally zero up to rounding; absent keys count as 0 anyway
            continue
        key = format_counts_memory(hex(value), header)
        out[key] = out.get(key, 0.0) + p
    return out


def max_error(got: Dict[str, float], want: Dict[str, float]) -> float:
    """Largest absolute probability difference over the union of keys (absent = 0)."""
    keys = set(got) | set(want)
    return max((abs(got.get(k, 0.0) - want.get(k, 0.0)) for k in keys), default=0.0)


# --------------------------------------------------------------------------------------------
# Running a suite through the public path
# --------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """The verdict on one circuit."""

    case: Case
    error: float  # max |probability difference|, inf when the run raised
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.error <= TOLERANCE


@dataclass
class Report:
    """The verdicts of a suite run."""

    outcomes: List[Outcome]
    seconds: float

    @property
    def failures(self) -> List[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    @property
    def worst(self) -> Optional[Outcome]:
        return max(self.outcomes, key=lambda o: o.error, default=None)


def run_suite(provider: Any, cases: Sequence[Case], batch: int = 20) -> Report:
    """Run ``cases`` on ``ionq_simulator`` (one multi-circuit job per ``batch`` of a gateset).

    Every job is submitted before the first result is awaited, so the emulator's workers
    simulate in parallel. A job that fails (serializer error, failed job) fails each of its
    circuits with the error message.
    """
    started = time.perf_counter()
    backends = {g: provider.get_backend("ionq_simulator", gateset=g) for g in ("qis", "native")}
    groups: Dict[str, List[Case]] = {}
    for case in cases:
        groups.setdefault(case.gateset, []).append(case)
    submitted: List[Tuple[List[Case], Any]] = []
    outcomes: List[Outcome] = []
    for gateset, members in groups.items():
        for start in range(0, len(members), batch):
            chunk = members[start : start + batch]
            try:
                job = backends[gateset].run([c.circuit for c in chunk], shots=100)
            except Exception as exc:  # a serializer bug: report it per circuit
                outcomes += [Outcome(c, math.inf, f"run: {exc!r}") for c in chunk]
                continue
            submitted.append((chunk, job))
    for chunk, job in submitted:
        try:
            result = job.result(timeout=600)
            got = [result.get_probabilities(i) for i in range(len(chunk))]
        except Exception as exc:
            outcomes += [Outcome(c, math.inf, f"result: {exc!r}") for c in chunk]
            continue
        for case, probabilities in zip(chunk, got):
            want = expected_probabilities(case.circuit)
            outcomes.append(Outcome(case, max_error(probabilities, want)))
    outcomes.sort(key=lambda o: o.case.index)
    return Report(outcomes, time.perf_counter() - started)


def kinds_used(cases: Sequence[Case], gateset: str) -> set:
    """Names of the gate kinds the ``gateset`` cases of a suite use."""
    return {k for c in cases if c.gateset == gateset for k in c.kinds}
