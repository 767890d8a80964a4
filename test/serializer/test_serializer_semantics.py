"""Semantic check: the JSON we send means what the Qiskit circuit means.

This file holds an interpreter of ``ionq.circuit.v0`` written only from the API facts
(``docs/reference/ionq-api.md`` §4.2 QIS unitaries, §4.4 pauliexp, §4.5 native gates), with its
own numpy matrices and a small statevector. It shares nothing with the serializer. For every gate
we accept, a random layer of rx/ry/rz on every qubit is applied before and after the gate, so
that relative phases (which matter for controlled forms such as cp/mcp) show up in the
probabilities; the probabilities of the Qiskit circuit and of the interpreted JSON must agree
to 1e-9.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit.circuit import AnnotatedOperation, ControlModifier, Gate, QuantumCircuit
from qiskit.circuit.library import (
    HGate,
    IGate,
    MCXGate,
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
    TGate,
    XGate,
    YGate,
    ZGate,
)
from qiskit.quantum_info import SparsePauliOp, Statevector
from serializer_support import ctrl, renamed

from qiskit_ionq.ionq_gates import GPI2Gate, GPIGate, MSGate, ZZGate
from qiskit_ionq.serializer import qiskit_circ_to_ionq_circ

# Qiskit's own internals warn about their deprecations (opflow on 0.46, MCX synthesis classes
# on 1.x) and scipy about sparse formats while the tests build reference states; warnings
# raised on behalf of qiskit_ionq are not filtered (their module is not `qiskit.`).
pytestmark = [
    pytest.mark.filterwarnings(r"ignore::DeprecationWarning:qiskit\."),
    pytest.mark.filterwarnings(r"ignore::PendingDeprecationWarning:qiskit\."),
    pytest.mark.filterwarnings("ignore:.*CSC"),
]


# ------------------------------------------------------------------ the API's gate matrices

_I = np.eye(2, dtype=complex)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.array([[1, 0], [0, -1]], dtype=complex)
_PAULI = {"I": _I, "X": _X, "Y": _Y, "Z": _Z}
_V = 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]])
_FIXED: Dict[str, np.ndarray] = {
    "x": _X,
    "not": _X,
    "cnot": _X,
    "y": _Y,
    "z": _Z,
    "h": np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2),
    "s": np.diag([1, 1j]),
    "si": np.diag([1, -1j]),
    "t": np.diag([1, np.exp(1j * math.pi / 4)]),
    "ti": np.diag([1, np.exp(-1j * math.pi / 4)]),
    "v": _V,
    "vi": _V.conj().T,
    "swap": np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex),
}


def _exp_pauli(theta: float, pauli: np.ndarray) -> np.ndarray:
    """exp(-i theta/2 P) for a Pauli product P (P @ P = I)."""
    return math.cos(theta / 2) * np.eye(len(pauli)) - 1j * math.sin(theta / 2) * pauli


_ROTATION: Dict[str, np.ndarray] = {
    "rx": _X,
    "ry": _Y,
    "rz": _Z,
    "xx": np.kron(_X, _X),
    "yy": np.kron(_Y, _Y),
    "zz": np.kron(_Z, _Z),
}


def _pauliexp(gate: Dict[str, Any]) -> np.ndarray:
    """exp(-i time sum_k c_k P_k); the rightmost term character acts on targets[0]."""
    dim = 2 ** len(gate["targets"])
    ham = np.zeros((dim, dim), dtype=complex)
    for term, coeff in zip(gate["terms"], gate["coefficients"]):
        # Matrices here list targets most-significant first, so factor k of the kron product
        # (left to right) must be the Pauli of targets[k]: term[-1 - k].
        mat = np.ones((1, 1), dtype=complex)
        for k in range(len(gate["targets"])):
            mat = np.kron(mat, _PAULI[term[-1 - k]])
        ham += coeff * mat
    values, vectors = np.linalg.eigh(ham)
    return vectors @ np.diag(np.exp(-1j * gate["time"] * values)) @ vectors.conj().T


def _gpi(phi: float) -> np.ndarray:
    return np.array([[0, np.exp(-2j * math.pi * phi)], [np.exp(2j * math.pi * phi), 0]])


def _gpi2(phi: float) -> np.ndarray:
    return np.array(
        [[1, -1j * np.exp(-2j * math.pi * phi)], [-1j * np.exp(2j * math.pi * phi), 1]]
    ) / math.sqrt(2)


def _ms(phi0: float, phi1: float, theta: float) -> np.ndarray:
    """MS per §4.5, basis index 2a + b with a = first target."""
    c, s = math.cos(math.pi * theta), math.sin(math.pi * theta)
    plus, minus = np.exp(2j * math.pi * (phi0 + phi1)), np.exp(2j * math.pi * (phi0 - phi1))
    mat = np.zeros((4, 4), dtype=complex)
    ket = {"00": 0, "01": 1, "10": 2, "11": 3}
    # column = input state, row = output state
    mat[ket["00"], ket["00"]] = c
    mat[ket["11"], ket["00"]] = -1j * plus * s
    mat[ket["11"], ket["11"]] = c
    mat[ket["00"], ket["11"]] = -1j * np.conj(plus) * s
    mat[ket["01"], ket["01"]] = c
    mat[ket["10"], ket["01"]] = -1j * minus * s
    mat[ket["10"], ket["10"]] = c
    mat[ket["01"], ket["10"]] = -1j * np.conj(minus) * s
    return mat


def _native_zz(theta: float) -> np.ndarray:
    a = math.pi * theta
    return np.diag(np.exp(1j * np.array([-a, a, a, -a])))


def _listify(value: Any) -> List[int]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def gate_matrix(gate: Dict[str, Any]) -> np.ndarray:
    """The unitary of one gate object, on its targets (first target most significant)."""
    name = gate["gate"]
    if name in _FIXED and "rotation" not in gate:
        return _FIXED[name]
    if name == "zz" and "angle" in gate:  # native zz: angle in turns (§4.5)
        return _native_zz(gate["angle"])
    if name in _ROTATION:
        return _exp_pauli(gate["rotation"], _ROTATION[name])
    if name == "pauliexp":
        return _pauliexp(gate)
    if name == "gpi":
        return _gpi(gate["phase"])
    if name == "gpi2":
        return _gpi2(gate["phase"])
    if name == "ms":
        return _ms(*gate["phases"], gate.get("angle", 0.25))
    raise AssertionError(f"the interpreter does not know {gate}")


# -------------------------------------------------------------------------- a statevector


class State:
    """n qubits as a tensor of shape (2,)*n; qubit q is axis n-1-q (Qiskit's flat order)."""

    def __init__(self, num_qubits: int) -> None:
        self.n = num_qubits
        self.psi = np.zeros((2,) * num_qubits, dtype=complex)
        self.psi[(0,) * num_qubits] = 1.0

    def apply(self, matrix: np.ndarray, targets: Sequence[int], controls: Sequence[int] = ()):
        """Apply ``matrix`` to ``targets`` on the subspace where every control is 1."""
        n, k = self.n, len(targets)
        index: List[Any] = [slice(None)] * n
        for c in controls:
            index[n - 1 - c] = 1
        control_axes = {n - 1 - c for c in controls}
        remaining = [a for a in range(n) if a not in control_axes]
        target_axes = [remaining.index(n - 1 - t) for t in targets]
        sub = self.psi[tuple(index)]
        tensor = matrix.reshape((2,) * (2 * k))
        moved = np.tensordot(tensor, sub, axes=(list(range(k, 2 * k)), target_axes))
        self.psi[tuple(index)] = np.moveaxis(moved, list(range(k)), target_axes)

    def run(self, gates: List[Dict[str, Any]]) -> None:
        for gate in gates:
            targets = _listify(gate.get("targets", gate.get("target")))
            controls = _listify(gate.get("controls", gate.get("control")))
            self.apply(gate_matrix(gate), targets, controls)

    def probabilities(self) -> np.ndarray:
        return np.abs(self.psi.reshape(-1)) ** 2


# ----------------------------------------------------------------------- the comparison


def _layer(rng: np.random.Generator, num_qubits: int) -> List[tuple]:
    return [(q, *rng.uniform(-math.pi, math.pi, 3)) for q in range(num_qubits)]


def assert_same_probabilities(
    build: Callable[[QuantumCircuit], None], num_qubits: int, gateset: str = "qis", seed: int = 0
) -> List[Dict[str, Any]]:
    """Random layer + gate(s) + random layer, in Qiskit and through our JSON."""
    rng = np.random.default_rng(seed)
    before, after = _layer(rng, num_qubits), _layer(rng, num_qubits)

    core = QuantumCircuit(num_qubits)
    build(core)
    gates, _, _ = qiskit_circ_to_ionq_circ(core, gateset)

    full = QuantumCircuit(num_qubits)
    state = State(num_qubits)
    for layer, body in ((before, None), (None, core), (after, None)):
        if body is not None:
            full.compose(body, inplace=True)
            state.run(gates)
            continue
        for q, a, b, c in layer:
            full.rx(a, q)
            full.ry(b, q)
            full.rz(c, q)
            state.run(
                [
                    {"gate": "rx", "targets": [q], "rotation": a},
                    {"gate": "ry", "targets": [q], "rotation": b},
                    {"gate": "rz", "targets": [q], "rotation": c},
                ]
            )
    expected = Statevector(full).probabilities()
    np.testing.assert_allclose(state.probabilities(), expected, atol=1e-9, rtol=0)
    return gates


def _pauli_evolution(labels: List[str], coeffs: List[float], time: float) -> Gate:
    return PauliEvolutionGate(SparsePauliOp(labels, coeffs), time=time)


# Every QIS name we accept, on deliberately scrambled qubit orders.
QIS_CASES: Dict[str, tuple] = {
    "x": (lambda qc: qc.x(1), 2),
    "y": (lambda qc: qc.y(0), 2),
    "z": (lambda qc: qc.z(1), 2),
    "h": (lambda qc: qc.h(0), 2),
    "s": (lambda qc: qc.s(1), 2),
    "sdg": (lambda qc: qc.sdg(0), 2),
    "t": (lambda qc: qc.t(1), 2),
    "tdg": (lambda qc: qc.tdg(0), 2),
    "sx": (lambda qc: qc.sx(1), 2),
    "sxdg": (lambda qc: qc.sxdg(0), 2),
    "rx": (lambda qc: qc.rx(0.7, 1), 2),
    "ry": (lambda qc: qc.ry(-1.3, 0), 2),
    "rz": (lambda qc: qc.rz(2.1, 1), 2),
    "p": (lambda qc: qc.p(0.9, 1), 2),
    "id": (lambda qc: qc.id(1), 2),
    "i": (lambda qc: qc.append(renamed(IGate(), "i"), [0]), 2),
    "barrier delay": (lambda qc: (qc.barrier(), qc.delay(5, 0)), 2),
    "swap": (lambda qc: qc.swap(2, 0), 3),
    "rxx": (lambda qc: qc.rxx(0.6, 2, 0), 3),
    "ryy": (lambda qc: qc.ryy(-0.8, 0, 2), 3),
    "rzz": (lambda qc: qc.rzz(1.7, 1, 2), 3),
    "cx": (lambda qc: qc.cx(2, 0), 3),
    "cy": (lambda qc: qc.cy(0, 2), 3),
    "cz": (lambda qc: qc.cz(1, 0), 3),
    "ch": (lambda qc: qc.ch(2, 1), 3),
    "csx": (lambda qc: qc.csx(0, 1), 3),
    "crx": (lambda qc: qc.crx(0.4, 2, 0), 3),
    "cry": (lambda qc: qc.cry(-2.2, 0, 1), 3),
    "crz": (lambda qc: qc.crz(1.1, 1, 2), 3),
    "cp": (lambda qc: qc.cp(1.3, 2, 0), 3),
    "ccx": (lambda qc: qc.ccx(2, 0, 1), 3),
    "cnot": (lambda qc: qc.append(renamed(ctrl(XGate(), 1), "cnot"), [1, 0]), 2),
    "toffoli": (lambda qc: qc.append(renamed(ctrl(XGate(), 2), "toffoli"), [1, 2, 0]), 3),
    "mct": (lambda qc: qc.append(renamed(MCXGate(3), "mct"), [3, 1, 0, 2]), 4),
    "mcx_gray": (lambda qc: qc.append(renamed(MCXGate(3), "mcx_gray"), [2, 3, 0, 1]), 4),
    "mcp": (lambda qc: qc.append(renamed(ctrl(PhaseGate(0.8), 2), "mcp"), [2, 0, 1]), 3),
    "mcphase": (lambda qc: qc.mcp(2.5, [3, 0, 2], 1), 4),
    "pauliexp": (
        lambda qc: qc.append(
            _pauli_evolution(["XXI", "YYI", "ZZI", "IIZ", "ZZZ"], [0.3, -0.7, 0.5, 1.1, 0.2], 0.9),
            [2, 0, 1],
        ),
        3,
    ),
    "pauliexp negative time": (
        lambda qc: qc.append(_pauli_evolution(["XY", "YX"], [0.4, 0.9], -1.3), [1, 0]),
        2,
    ),
    "pauliexp operator list": (
        lambda qc: qc.append(
            PauliEvolutionGate(
                [SparsePauliOp(["ZZI"], [0.5]), SparsePauliOp(["XXI", "YYI"], [0.2, 0.3])],
                time=0.7,
            ),
            [0, 1, 2],
        ),
        3,
    ),
}


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("case", sorted(QIS_CASES))
def test_qis_gate_semantics(case: str, seed: int) -> None:
    build, num_qubits = QIS_CASES[case]
    assert_same_probabilities(build, num_qubits, seed=seed)


@pytest.mark.parametrize("n_controls", range(3, 8))
def test_mcx_semantics(n_controls: int) -> None:
    qubits = list(range(n_controls + 1))[::-1]  # target 0, controls in reverse order
    gates = assert_same_probabilities(lambda qc: qc.mcx(qubits[:-1], qubits[-1]), n_controls + 1)
    assert gates[0]["controls"] == qubits[:-1]


@pytest.mark.parametrize("n_controls", range(1, 8))
def test_mcp_semantics(n_controls: int) -> None:
    # The phase is the case where an encoding "up to global phase" is not enough once
    # controlled: our compensation must make it exact on every control pattern.
    assert_same_probabilities(
        lambda qc: qc.mcp(1.9, list(range(1, n_controls + 1)), 0), n_controls + 1, seed=n_controls
    )


@pytest.mark.parametrize(
    "base",
    [
        XGate(),
        YGate(),
        ZGate(),
        HGate(),
        SGate(),
        SdgGate(),
        TGate(),
        TdgGate(),
        SXGate(),
        SXdgGate(),
        RXGate(0.3),
        RYGate(1.2),
        RZGate(-0.7),
        PhaseGate(2.2),
    ],
    ids=lambda g: g.name,
)
def test_generic_controlled_semantics_with_open_controls(base: Gate) -> None:
    gate = ctrl(base, 3, ctrl_state=0b101)
    assert_same_probabilities(lambda qc: qc.append(gate, [1, 3, 0, 2]), 4, seed=7)


def test_annotated_controlled_semantics() -> None:
    op = AnnotatedOperation(
        RYGate(0.8), [ControlModifier(2, ctrl_state=2), ControlModifier(1, ctrl_state=0)]
    )
    assert_same_probabilities(lambda qc: qc.append(op, [3, 0, 1, 2]), 4, seed=3)


def test_many_gates_in_one_circuit() -> None:
    def build(qc: QuantumCircuit) -> None:
        for name, (case, n) in sorted(QIS_CASES.items()):
            if n <= 3 and not name.startswith("pauliexp"):
                case(qc)

    assert_same_probabilities(build, 4, seed=11)


# --------------------------------------------------------------------------------- native


NATIVE_CASES: List[tuple] = [
    (lambda qc: qc.append(GPIGate(0.0), [0]), 2),
    (lambda qc: qc.append(GPIGate(0.37), [1]), 2),
    (lambda qc: qc.append(GPIGate(-0.8), [0]), 2),
    (lambda qc: qc.append(GPI2Gate(0.0), [1]), 2),
    (lambda qc: qc.append(GPI2Gate(0.21), [0]), 2),
    (lambda qc: qc.append(GPI2Gate(1.6), [1]), 2),
    (lambda qc: qc.append(MSGate(0, 0), [0, 1]), 2),
    (lambda qc: qc.append(MSGate(0.1, 0.7), [2, 0]), 3),
    (lambda qc: qc.append(MSGate(0.33, -0.2, 0.1), [1, 2]), 3),
    (lambda qc: qc.append(MSGate(0.25, 0.5, 0.05), [2, 1]), 3),
    (lambda qc: qc.append(MSGate(0.15, 0.4, -0.2), [0, 2]), 3),
    (lambda qc: qc.append(MSGate(0.15, 0.4, 0.85), [0, 2]), 3),
    (lambda qc: qc.append(MSGate(0.6, 0.1, 1.2), [1, 0]), 2),
    (lambda qc: qc.append(ZZGate(0.1), [0, 1]), 2),
    (lambda qc: qc.append(ZZGate(-0.37), [2, 0]), 3),
]


@pytest.mark.parametrize("index", range(len(NATIVE_CASES)))
def test_native_gate_semantics(index: int) -> None:
    build, num_qubits = NATIVE_CASES[index]
    assert_same_probabilities(build, num_qubits, gateset="native", seed=index)


@settings(max_examples=40, deadline=None)
@given(
    phi0=st.floats(-1, 1),
    phi1=st.floats(-1, 1),
    theta=st.one_of(st.floats(-0.25, 0.25), st.floats(0.75, 1.25), st.floats(-1.25, -0.75)),
)
def test_ms_normalization_keeps_the_unitary(phi0: float, phi1: float, theta: float) -> None:
    qc = QuantumCircuit(2)
    qc.append(MSGate(phi0, phi1, theta), [0, 1])
    (gate,) = qiskit_circ_to_ionq_circ(qc, "native")[0]
    assert 0.0 <= gate["angle"] <= 0.25
    assert all(-1.0 <= p <= 1.0 for p in gate["phases"])
    sent, wanted = _ms(*gate["phases"], gate["angle"]), _ms(phi0, phi1, theta)
    # Equal up to a global phase: |tr(A^dagger B)| = 4 for 4x4 unitaries.
    assert abs(np.trace(sent.conj().T @ wanted)) == pytest.approx(4.0, abs=1e-9)


def test_interpreter_self_check() -> None:
    """The interpreter's own conventions, on facts stated in docs/reference/ionq-api.md."""
    state = State(2)
    state.run([{"gate": "x", "targets": [0]}])
    assert state.probabilities()[1] == pytest.approx(1.0)  # X on qubit 0 -> key 1 (§6.2)
    state = State(2)
    state.run([{"gate": "h", "targets": [0]}, {"gate": "cnot", "control": 0, "target": 1}])
    assert state.probabilities() == pytest.approx([0.5, 0, 0, 0.5])
    state = State(2)  # rightmost pauliexp character on targets[0]
    state.run(
        [
            {
                "gate": "pauliexp",
                "targets": [0, 1],
                "terms": ["IX"],
                "coefficients": [1.0],
                "time": math.pi / 2,
            }
        ]
    )
    assert state.probabilities()[1] == pytest.approx(1.0)
