"""Gate unitaries of the emulator's simulator against independent constructions.

QIS gates are checked against Qiskit's own gates wherever ionq-api.md (§4.2) says
they agree, including the phases (random input states, exact amplitudes); native gates
against ionq-api.md's formulas (§4.5) transcribed here once more.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
from qiskit import QuantumCircuit
from qiskit.circuit import library as lib
from qiskit.quantum_info import Operator, SparsePauliOp, Statevector

from qiskit_ionq.emulator.simulation import statevector as kernels_module
from qiskit_ionq.emulator.simulation.simulator import JobFailure, simulate_statevector

# Qiskit's own deprecation chatter (MCX synthesis classes, Gate.control(annotated=...),
# opflow on 0.46, scipy sparse hints) is not about the code under test.
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore::scipy.sparse.SparseEfficiencyWarning"),
]
RNG = np.random.default_rng(20240607)


@pytest.fixture(params=["fast", "chunked", "in-place"])
def kernels(request, monkeypatch):
    """Run a test on the fast kernels (spare buffer), with controlled ops chunked (as on
    states above 2**21 amplitudes) and with every op in place and chunked (as on states of
    2**24 amplitudes and more), forced here onto small states with chunks of 4 amplitudes so
    that every chunk split (controls, targets, free qubits) is exercised."""
    if request.param != "fast":
        monkeypatch.setattr(kernels_module, "_CHUNK_AMPLITUDES", 4)
    if request.param == "in-place":
        monkeypatch.setattr(kernels_module, "IN_PLACE_AMPLITUDES", 1)
        monkeypatch.setattr(kernels_module, "_PAIRS_MIN_QUBIT", 2)
    return request.param


def random_state(n: int) -> np.ndarray:
    v = RNG.normal(size=1 << n) + 1j * RNG.normal(size=1 << n)
    return v / np.linalg.norm(v)


def expected(gate, qargs, n, psi):
    qc = QuantumCircuit(n)
    qc.append(gate, list(qargs))
    return Operator(qc).data @ psi


def ours(gates, n, psi, gateset="qis"):
    return simulate_statevector(gates, n, gateset=gateset, initial=psi)


ANGLE = 0.7317
# (json gate name, json extra fields, qiskit gate, number of targets)
QIS_CASES = [
    ("x", {}, lib.XGate(), 1),
    ("not", {}, lib.XGate(), 1),
    ("y", {}, lib.YGate(), 1),
    ("z", {}, lib.ZGate(), 1),
    ("h", {}, lib.HGate(), 1),
    ("s", {}, lib.SGate(), 1),
    ("si", {}, lib.SdgGate(), 1),
    ("t", {}, lib.TGate(), 1),
    ("ti", {}, lib.TdgGate(), 1),
    ("v", {}, lib.SXGate(), 1),
    ("vi", {}, lib.SXdgGate(), 1),
    ("rx", {"rotation": ANGLE}, lib.RXGate(ANGLE), 1),
    ("ry", {"rotation": ANGLE}, lib.RYGate(ANGLE), 1),
    ("rz", {"rotation": ANGLE}, lib.RZGate(ANGLE), 1),
    ("z", {"rotation": ANGLE}, lib.PhaseGate(ANGLE), 1),  # §4.2: z+rotation = phase
    ("swap", {}, lib.SwapGate(), 2),
    ("xx", {"rotation": ANGLE}, lib.RXXGate(ANGLE), 2),
    ("yy", {"rotation": ANGLE}, lib.RYYGate(ANGLE), 2),
    ("zz", {"rotation": ANGLE}, lib.RZZGate(ANGLE), 2),
]


@pytest.mark.parametrize("name,extra,gate,k", QIS_CASES, ids=[f"{c[0]}{c[1]}" for c in QIS_CASES])
@pytest.mark.parametrize("n", [2, 5])
def test_qis_gate_matches_qiskit(name, extra, gate, k, n, kernels):
    for _ in range(3):
        targets = [int(q) for q in RNG.choice(n, k, replace=False)]
        psi = random_state(n)
        got = ours([{"gate": name, "targets": targets, **extra}], n, psi)
        np.testing.assert_allclose(got, expected(gate, targets, n, psi), atol=1e-12)


@pytest.mark.parametrize(
    "name,extra,gate,k", [c for c in QIS_CASES if c[0] != "swap"], ids=lambda c: str(c)
)
def test_controlled_qis_gates_match_qiskit_control(name, extra, gate, k, kernels):
    n = 6
    for num_ctrl in (1, 2, 4):
        qubits = [int(q) for q in RNG.choice(n, num_ctrl + k, replace=False)]
        controls, targets = qubits[:num_ctrl], qubits[num_ctrl:]
        psi = random_state(n)
        got = ours([{"gate": name, "controls": controls, "targets": targets, **extra}], n, psi)
        want = expected(gate.control(num_ctrl), controls + targets, n, psi)
        np.testing.assert_allclose(got, want, atol=1e-10)


@pytest.mark.parametrize(
    "name,extra,gate",
    [("x", {}, lib.XGate()), ("z", {"rotation": 0.3}, lib.PhaseGate(0.3)), ("y", {}, lib.YGate())],
)
def test_seven_controls_in_arbitrary_positions(name, extra, gate):
    n = 9
    qubits = [int(q) for q in RNG.permutation(n)[:8]]
    controls, target = qubits[:7], qubits[7]
    psi = random_state(n)
    got = ours([{"gate": name, "controls": controls, "targets": [target], **extra}], n, psi)
    np.testing.assert_allclose(
        got, expected(gate.control(7), controls + [target], n, psi), atol=1e-10
    )


def test_singular_addressing_forms_and_cnot():
    psi = random_state(3)
    plural = ours([{"gate": "x", "controls": [2], "targets": [0]}], 3, psi)
    for form in (
        {"gate": "cnot", "control": 2, "target": 0},
        {"gate": "x", "control": 2, "target": 0},
        {"gate": "cnot", "controls": [2], "target": 0},
    ):
        np.testing.assert_allclose(ours([form], 3, psi), plural, atol=1e-14)
    np.testing.assert_allclose(plural, expected(lib.CXGate(), [2, 0], 3, psi), atol=1e-12)


# ----------------------------------------------------------------------------- native
def gpi(phi):
    return np.array([[0, np.exp(-2j * np.pi * phi)], [np.exp(2j * np.pi * phi), 0]])


def gpi2(phi):
    return np.array(
        [[1, -1j * np.exp(-2j * np.pi * phi)], [-1j * np.exp(2j * np.pi * phi), 1]]
    ) / math.sqrt(2)


def ms(phi0, phi1, theta):
    """Section 4.5 verbatim: |ab> with a = first target, b = second; index = a + 2b."""
    c, s = math.cos(math.pi * theta), math.sin(math.pi * theta)
    u = np.zeros((4, 4), dtype=complex)

    def idx(a, b):
        return a + 2 * b

    u[idx(0, 0), idx(0, 0)] = u[idx(1, 1), idx(1, 1)] = c
    u[idx(0, 1), idx(0, 1)] = u[idx(1, 0), idx(1, 0)] = c
    u[idx(1, 1), idx(0, 0)] = -1j * np.exp(2j * np.pi * (phi0 + phi1)) * s
    u[idx(0, 0), idx(1, 1)] = -1j * np.exp(-2j * np.pi * (phi0 + phi1)) * s
    u[idx(1, 0), idx(0, 1)] = -1j * np.exp(2j * np.pi * (phi0 - phi1)) * s
    u[idx(0, 1), idx(1, 0)] = -1j * np.exp(-2j * np.pi * (phi0 - phi1)) * s
    return u


def native_zz(theta):
    return np.diag(np.exp(-1j * np.pi * theta * np.array([1, -1, -1, 1])))


def embed(u, qargs, n):
    """Full 2**n matrix of ``u`` (little-endian over ``qargs``) via a Qiskit UnitaryGate."""
    qc = QuantumCircuit(n)
    qc.unitary(u, list(qargs))
    return Operator(qc).data


@pytest.mark.parametrize("phi", [0.0, 0.1, -0.37, 0.5, 0.9])
def test_gpi_gpi2(phi):
    n = 3
    for q in range(n):
        psi = random_state(n)
        got = ours([{"gate": "gpi", "target": q, "phase": phi}], n, psi, "native")
        np.testing.assert_allclose(got, embed(gpi(phi), [q], n) @ psi, atol=1e-12)
        got = ours([{"gate": "gpi2", "target": q, "phase": phi}], n, psi, "native")
        np.testing.assert_allclose(got, embed(gpi2(phi), [q], n) @ psi, atol=1e-12)


@pytest.mark.parametrize(
    "phases,angle", [((0.0, 0.0), None), ((0.2, 0.3), 0.25), ((0.7, -0.1), 0.1)]
)
def test_ms(phases, angle):
    n = 5
    for a, b in [(0, 1), (1, 0), (4, 2), (3, 4)]:
        psi = random_state(n)
        gate = {"gate": "ms", "targets": [a, b], "phases": list(phases)}
        if angle is not None:
            gate["angle"] = angle
        want = embed(ms(*phases, 0.25 if angle is None else angle), [a, b], n) @ psi
        np.testing.assert_allclose(ours([gate], n, psi, "native"), want, atol=1e-12)


def test_ms_is_exp_of_sigma_phi0_tensor_sigma_phi1():
    """Physics cross-check of the transcription: MS = exp(-i pi theta s(phi0) (x) s(phi1))."""
    phi0, phi1, theta = 0.13, 0.41, 0.2

    def sigma(phi):
        return np.array([[0, np.exp(-2j * np.pi * phi)], [np.exp(2j * np.pi * phi), 0]])

    gen = np.kron(sigma(phi1), sigma(phi0))  # first target = least significant bit
    psi = random_state(2)
    got = ours(
        [{"gate": "ms", "targets": [0, 1], "phases": [phi0, phi1], "angle": theta}],
        2,
        psi,
        "native",
    )
    np.testing.assert_allclose(got, scipy.linalg.expm(-1j * np.pi * theta * gen) @ psi, atol=1e-12)


@pytest.mark.parametrize("field", ["angle", "phase"])  # qiskit/IonQ vs Cirq (§8.7)
def test_native_zz(field):
    n = 4
    psi = random_state(n)
    got = ours([{"gate": "zz", "targets": [3, 1], field: 0.13}], n, psi, "native")
    np.testing.assert_allclose(got, embed(native_zz(0.13), [3, 1], n) @ psi, atol=1e-12)


def test_native_gates_agree_with_the_clients_gate_classes():
    """Cross-check with qiskit_ionq.ionq_gates: a disagreement means one side is wrong."""
    gates_mod = pytest.importorskip("qiskit_ionq.ionq_gates")
    n = 3
    cases = [
        (gates_mod.GPIGate(0.21), [{"gate": "gpi", "target": 1, "phase": 0.21}], [1]),
        (gates_mod.GPI2Gate(0.21), [{"gate": "gpi2", "target": 2, "phase": 0.21}], [2]),
        (
            gates_mod.MSGate(0.1, 0.35, 0.2),
            [{"gate": "ms", "targets": [2, 0], "phases": [0.1, 0.35], "angle": 0.2}],
            [2, 0],
        ),
        (gates_mod.ZZGate(0.3), [{"gate": "zz", "targets": [0, 2], "angle": 0.3}], [0, 2]),
    ]
    for gate, json_gates, qargs in cases:
        psi = random_state(n)
        np.testing.assert_allclose(
            ours(json_gates, n, psi, "native"), expected(gate, qargs, n, psi), atol=1e-12
        )


# --------------------------------------------------------------------------- pauliexp
def pauliexp_expected(terms, coeffs, time, targets, n, psi):
    """exp(-i t H) by scipy's expm over the targets, placed with Qiskit (rightmost = targets[0])."""
    h = SparsePauliOp(terms, coeffs).to_matrix()
    return embed(scipy.linalg.expm(-1j * time * h), targets, n) @ psi


@pytest.mark.parametrize(
    "terms,coeffs",
    [
        (["ZZI", "IZZ", "ZIZ"], [0.3, -0.7, 1.1]),  # commuting
        (["XXY", "YYY", "ZZI"], [0.5, 0.25, -0.4]),  # commuting (even overlaps)
        (["XI", "ZZ", "IY"], [0.3, 0.9, -0.2]),  # non-commuting
        (["XYZ", "ZII", "IXI", "III"], [0.6, 0.1, -0.8, 0.5]),  # non-commuting + identity
    ],
)
def test_pauliexp(terms, coeffs, kernels):
    n = 5
    k = len(terms[0])
    for _ in range(3):
        targets = [int(q) for q in RNG.choice(n, k, replace=False)]
        psi = random_state(n)
        gate = {
            "gate": "pauliexp",
            "targets": targets,
            "terms": terms,
            "coefficients": coeffs,
            "time": 0.83,
        }
        want = pauliexp_expected(terms, coeffs, 0.83, targets, n, psi)
        np.testing.assert_allclose(ours([gate], n, psi), want, atol=1e-10)


def test_pauliexp_matches_qiskit_evolution_gate_for_commuting_terms():
    op = SparsePauliOp(["ZZ", "XX"], [0.4, -0.3])
    psi = random_state(3)
    gate = {
        "gate": "pauliexp",
        "targets": [2, 0],
        "terms": ["ZZ", "XX"],
        "coefficients": [0.4, -0.3],
        "time": 1.3,
    }
    want = expected(lib.PauliEvolutionGate(op, time=1.3), [2, 0], 3, psi)
    np.testing.assert_allclose(ours([gate], 3, psi), want, atol=1e-10)


def test_controlled_pauliexp_and_identity_term_phase():
    n = 4
    terms, coeffs, time = ["XZ", "II"], [0.7, 0.5], 0.9  # the II term is a relative phase now
    psi = random_state(n)
    gate = {
        "gate": "pauliexp",
        "controls": [3],
        "targets": [0, 2],
        "terms": terms,
        "coefficients": coeffs,
        "time": time,
    }
    u = scipy.linalg.expm(-1j * time * SparsePauliOp(terms, coeffs).to_matrix())
    cu = np.eye(8, dtype=complex)
    cu[4:, 4:] = u  # control = most significant of (target0, target2, control)
    want = embed(cu, [0, 2, 3], n) @ psi
    np.testing.assert_allclose(ours([gate], n, psi), want, atol=1e-10)


# ------------------------------------------------------------------- random circuits
def random_circuit(n, depth, rng):
    qc, js = QuantumCircuit(n), []
    for _ in range(depth):
        r = int(rng.integers(11))
        q = [int(x) for x in rng.choice(n, 3, replace=False)]
        th = float(rng.uniform(-4, 4))
        choices = [
            (lib.HGate(), "h", {}, 1, 0),
            (lib.RXGate(th), "rx", {"rotation": th}, 1, 0),
            (lib.RYGate(th), "ry", {"rotation": th}, 1, 0),
            (lib.RZGate(th), "rz", {"rotation": th}, 1, 0),
            (lib.TGate(), "t", {}, 1, 0),
            (lib.CXGate(), "x", {}, 1, 1),
            (lib.CPhaseGate(th), "z", {"rotation": th}, 1, 1),
            (lib.RXXGate(th), "xx", {"rotation": th}, 2, 0),
            (lib.RZZGate(th), "zz", {"rotation": th}, 2, 0),
            (lib.SwapGate(), "swap", {}, 2, 0),
            (lib.CCXGate(), "x", {}, 1, 2),
        ]
        gate, name, extra, k, c = choices[r]
        qc.append(gate, q[: c + k])
        js.append({"gate": name, "controls": q[:c], "targets": q[c : c + k], **extra})
    return qc, js


@pytest.mark.parametrize("n,seed", [(3, 1), (6, 2), (6, 3), (12, 4)])
def test_random_circuits_match_qiskit_statevector(n, seed, kernels):
    """Exercises every kernel (diagonal rows, gemm, bit flips, slices) in one run."""
    qc, js = random_circuit(n, 120, np.random.default_rng(seed))
    np.testing.assert_allclose(ours(js, n, None), Statevector(qc).data, atol=1e-10)


def test_statevector_rejects_out_of_range_gate():
    with pytest.raises(JobFailure) as err:
        simulate_statevector([{"gate": "x", "targets": [3]}], 3)
    assert err.value.code == "PreflightError"
