"""Exact JSON of each QIS and native gate (phase encoding, controls) and their errors."""

from __future__ import annotations

from typing import Any

import pytest
from qiskit.circuit import (
    AnnotatedOperation,
    ControlModifier,
    Gate,
    InverseModifier,
    QuantumCircuit,
)
from qiskit.circuit.library import (
    HGate,
    IGate,
    MCXGate,
    PhaseGate,
    RXGate,
    SGate,
    SwapGate,
    SXGate,
    XGate,
)
from serializer_support import WARNING_FILTERS, ctrl, gates_of, one, renamed

from qiskit_ionq.exceptions import (
    IonQCircuitError,
    IonQGateError,
    IonQInvalidOptionError,
)
from qiskit_ionq.ionq_gates import GPI2Gate, GPIGate, MSGate, ZZGate
from qiskit_ionq.serializer import qiskit_circ_to_ionq_circ

pytestmark = WARNING_FILTERS


# ---------------------------------------------------------------------------- QIS, exact JSON


@pytest.mark.parametrize(
    ("method", "ionq"),
    [
        ("x", "x"),
        ("y", "y"),
        ("z", "z"),
        ("h", "h"),
        ("s", "s"),
        ("sdg", "si"),
        ("t", "t"),
        ("tdg", "ti"),
        ("sx", "v"),
        ("sxdg", "vi"),
    ],
)
def test_fixed_one_qubit_gates_and_renames(method: str, ionq: str) -> None:
    assert one(lambda qc: getattr(qc, method)(1), 2) == [{"gate": ionq, "targets": [1]}]


@pytest.mark.parametrize("method", ["rx", "ry", "rz"])
def test_rotations_are_radians_as_python_floats(method: str) -> None:
    gates = one(lambda qc: getattr(qc, method)(0.5, 0), 1)
    assert gates == [{"gate": method, "targets": [0], "rotation": 0.5}]
    assert type(gates[0]["rotation"]) is float


@pytest.mark.parametrize(("method", "ionq"), [("rxx", "xx"), ("ryy", "yy"), ("rzz", "zz")])
def test_two_qubit_rotations(method: str, ionq: str) -> None:
    assert one(lambda qc: getattr(qc, method)(0.5, 0, 2), 3) == [
        {"gate": ionq, "targets": [0, 2], "rotation": 0.5}
    ]


def test_swap() -> None:
    assert one(lambda qc: qc.swap(2, 0), 3) == [{"gate": "swap", "targets": [2, 0]}]


@pytest.mark.parametrize(
    ("method", "ionq"), [("cx", "x"), ("cy", "y"), ("cz", "z"), ("ch", "h"), ("csx", "v")]
)
def test_single_controlled_gates(method: str, ionq: str) -> None:
    assert one(lambda qc: getattr(qc, method)(0, 1), 2) == [
        {"gate": ionq, "controls": [0], "targets": [1]}
    ]


@pytest.mark.parametrize("method", ["crx", "cry", "crz"])
def test_controlled_rotations(method: str) -> None:
    assert one(lambda qc: getattr(qc, method)(0.5, 0, 1), 2) == [
        {"gate": method[1:], "rotation": 0.5, "controls": [0], "targets": [1]}
    ]


def test_toffoli_and_fact_sheet_examples() -> None:
    assert one(lambda qc: qc.ccx(0, 1, 2), 3) == [{"gate": "x", "controls": [0, 1], "targets": [2]}]
    assert one(lambda qc: qc.cx(0, 1), 2) == [{"gate": "x", "controls": [0], "targets": [1]}]


@pytest.mark.parametrize("n_controls", range(1, 8))
def test_mcx_up_to_seven_controls(n_controls: int) -> None:
    controls = list(range(n_controls))
    gates = one(lambda qc: qc.mcx(controls, n_controls), n_controls + 1)
    assert gates == [{"gate": "x", "controls": controls, "targets": [n_controls]}]


def test_eight_controls_are_refused_with_advice() -> None:
    with pytest.raises(IonQCircuitError, match="at most 7"):
        one(lambda qc: qc.mcx(list(range(8)), 8), 9)
    with pytest.raises(IonQCircuitError, match="at most 7"):
        one(lambda qc: qc.append(ctrl(HGate(), 8), range(9)), 9)


@pytest.mark.parametrize(
    ("alias", "gate"),
    [
        ("cnot", ctrl(XGate(), 1)),
        ("toffoli", ctrl(XGate(), 2)),
        ("mct", MCXGate(3)),
        ("mcx_gray", MCXGate(3)),
    ],
)
def test_x_alias_names(alias: str, gate: Gate) -> None:
    n = gate.num_qubits
    gates = one(lambda qc: qc.append(renamed(gate, alias), range(n)), n)
    assert gates == [{"gate": "x", "controls": list(range(n - 1)), "targets": [n - 1]}]


def test_identity_barrier_delay_emit_nothing() -> None:
    def build(qc: QuantumCircuit) -> None:
        qc.id(0)
        qc.barrier()
        qc.delay(100, 1)
        qc.append(renamed(IGate(), "i"), [0])

    assert one(build, 2) == []


# ------------------------------------------------------------- phase gate: documented encoding


def test_p_is_rz() -> None:
    assert one(lambda qc: qc.p(0.5, 0), 1) == [{"gate": "rz", "rotation": 0.5, "targets": [0]}]


def test_cp_is_controlled_rz_plus_half_angle_rz_on_the_control() -> None:
    assert one(lambda qc: qc.cp(0.5, 0, 1), 2) == [
        {"gate": "rz", "rotation": 0.5, "controls": [0], "targets": [1]},
        {"gate": "rz", "rotation": 0.25, "targets": [0]},
    ]


def test_mcp_compensates_recursively() -> None:
    assert one(lambda qc: qc.mcp(0.8, [0, 1, 2], 3), 4) == [
        {"gate": "rz", "rotation": 0.8, "controls": [0, 1, 2], "targets": [3]},
        {"gate": "rz", "rotation": 0.4, "controls": [0, 1], "targets": [2]},
        {"gate": "rz", "rotation": 0.2, "controls": [0], "targets": [1]},
        {"gate": "rz", "rotation": 0.1, "targets": [0]},
    ]


@pytest.mark.parametrize("alias", ["mcp", "mcphase"])
def test_mcp_alias_names(alias: str) -> None:
    gate = renamed(ctrl(PhaseGate(0.5), 2), alias)
    gates = one(lambda qc: qc.append(gate, [0, 1, 2]), 3)
    assert [g["rotation"] for g in gates] == [0.5, 0.25, 0.125]


# ------------------------------------------------------------------ generic controlled gates


def test_generic_controlled_gate_with_supported_base() -> None:
    assert one(lambda qc: qc.append(ctrl(SGate(), 3), [3, 2, 1, 0]), 4) == [
        {"gate": "s", "controls": [3, 2, 1], "targets": [0]}
    ]
    assert one(lambda qc: qc.append(ctrl(RXGate(0.3), 2), [0, 1, 2]), 3) == [
        {"gate": "rx", "rotation": 0.3, "controls": [0, 1], "targets": [2]}
    ]
    assert one(lambda qc: qc.append(ctrl(SXGate().inverse(), 1), [0, 1]), 2) == [
        {"gate": "vi", "controls": [0], "targets": [1]}
    ]


def test_open_controls_are_sandwiched_in_x() -> None:
    # ctrl_state 0b01: control 0 closed, control 1 open.
    assert one(lambda qc: qc.append(ctrl(HGate(), 2, ctrl_state=1), [0, 1, 2]), 3) == [
        {"gate": "x", "targets": [1]},
        {"gate": "h", "controls": [0, 1], "targets": [2]},
        {"gate": "x", "targets": [1]},
    ]
    assert one(lambda qc: qc.cx(0, 1, ctrl_state=0), 2) == [
        {"gate": "x", "targets": [0]},
        {"gate": "x", "controls": [0], "targets": [1]},
        {"gate": "x", "targets": [0]},
    ]


def test_annotated_control_modifiers() -> None:
    # Gate.control(..., annotated=True) (Qiskit 3's default) gives an AnnotatedOperation.
    # The outer modifier's controls come first: qubit 0 (closed), then 1 (open), 2 (closed).
    op = AnnotatedOperation(
        HGate(), [ControlModifier(2, ctrl_state=1), ControlModifier(1, ctrl_state=1)]
    )
    assert one(lambda qc: qc.append(op, [0, 1, 2, 3]), 4) == [
        {"gate": "x", "targets": [2]},
        {"gate": "h", "controls": [0, 1, 2], "targets": [3]},
        {"gate": "x", "targets": [2]},
    ]


def test_annotated_with_inverse_modifier_is_refused() -> None:
    op = AnnotatedOperation(SGate(), [InverseModifier(), ControlModifier(1)])
    with pytest.raises(IonQGateError):
        one(lambda qc: qc.append(op, [0, 1]), 2)


@pytest.mark.parametrize(
    "build",
    [
        lambda qc: qc.cswap(0, 1, 2),
        lambda qc: qc.append(ctrl(SwapGate(), 1), [0, 1, 2]),
        lambda qc: qc.reset(0),
        lambda qc: qc.u(0.1, 0.2, 0.3, 0),
        lambda qc: qc.unitary([[0, 1], [1, 0]], [0]),
        lambda qc: qc.initialize([0, 1], [0]),
        lambda qc: qc.cu(0.1, 0.2, 0.3, 0.4, 0, 1),
        lambda qc: qc.ecr(0, 1),
        lambda qc: qc.append(MSGate(0, 0), [0, 1]),
        lambda qc: qc.append(GPIGate(0.1), [0]),
    ],
    ids=[
        "cswap",
        "controlled-swap",
        "reset",
        "u",
        "unitary",
        "initialize",
        "cu",
        "ecr",
        "ms",
        "gpi",
    ],
)
def test_unsupported_qis_instructions_raise_gate_error(build: Any) -> None:
    qc = QuantumCircuit(3)
    build(qc)
    name = qc.data[-1].operation.name
    with pytest.raises(IonQGateError) as info:
        gates_of(qc)
    assert info.value.gate_name == name
    assert info.value.gateset == "qis"
    assert "transpile" in str(info.value).lower()


# ------------------------------------------------------------------------------------ native


def test_native_gates_exact_json() -> None:
    qc = QuantumCircuit(3)
    qc.append(GPIGate(0.1), [0])
    qc.append(GPI2Gate(0.2), [1])
    qc.append(MSGate(0.2, 0.3), [1, 2])
    qc.append(MSGate(0.2, 0.3, 0.1), [2, 0])
    qc.append(ZZGate(0.4), [0, 2])
    qc.barrier()
    assert gates_of(qc, "native") == [
        {"gate": "gpi", "target": 0, "phase": 0.1},
        {"gate": "gpi2", "target": 1, "phase": 0.2},
        {"gate": "ms", "targets": [1, 2], "phases": [0.2, 0.3], "angle": 0.25},
        {"gate": "ms", "targets": [2, 0], "phases": [0.2, 0.3], "angle": 0.1},
        {"gate": "zz", "targets": [0, 2], "angle": 0.4},
    ]


def test_native_values_are_plain_floats() -> None:
    import numpy as np

    qc = QuantumCircuit(2)
    qc.append(GPIGate(np.float64(0.1)), [0])
    qc.append(MSGate(np.float32(0.5), 0, np.float64(0.125)), [0, 1])
    qc.append(ZZGate(np.float64(0.2)), [0, 1])
    for gate in gates_of(qc, "native"):
        for key in ("phase", "angle"):
            if key in gate:
                assert type(gate[key]) is float
        for value in gate.get("phases", []):
            assert type(value) is float


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ((0.1, 0.2, -0.1), ([0.6, 0.2], 0.1)),  # negative angle: half a turn on phi0
        ((0.1, 0.2, 1.1), ([0.1, 0.2], 0.1)),  # a whole turn more is a global phase
        ((0.1, 0.2, 0.9), ([0.6, 0.2], 0.1)),  # 0.9 = 1 - 0.1
        ((0.1, 0.2, 0.0), ([0.1, 0.2], 0.0)),
    ],
)
def test_ms_angle_normalization(params: tuple, expected: tuple) -> None:
    qc = QuantumCircuit(2)
    qc.append(MSGate(*params), [0, 1])
    (gate,) = gates_of(qc, "native")
    assert gate["phases"] == pytest.approx(expected[0])
    assert gate["angle"] == pytest.approx(expected[1])


@pytest.mark.parametrize("theta", [0.3, 0.5, -0.4, 0.7, 3.45, -2.2])
def test_large_ms_angle_is_split_exactly(theta: float) -> None:
    # transpile's rxx(theta) -> MS(0, 0, theta / 2pi) rule can produce any angle.
    from qiskit.quantum_info import Operator

    qc = QuantumCircuit(2)
    qc.append(MSGate(0.1, 0.3, theta), [0, 1])
    gates = gates_of(qc, "native")
    assert 1 <= len(gates) <= 2
    assert all(0.0 <= g["angle"] <= 0.25 for g in gates)
    rebuilt = QuantumCircuit(2)
    for g in gates:
        rebuilt.append(MSGate(*g["phases"], g["angle"]), g["targets"])
    assert Operator(rebuilt).equiv(Operator(qc))


def test_native_phase_outside_minus_one_one_is_folded() -> None:
    qc = QuantumCircuit(1)
    qc.append(GPIGate(2.25), [0])
    qc.append(GPI2Gate(-1.5), [0])
    phases = [g["phase"] for g in gates_of(qc, "native")]
    assert phases == pytest.approx([0.25, -0.5])


@pytest.mark.parametrize(
    "build", [lambda qc: qc.h(0), lambda qc: qc.rxx(0.1, 0, 1), lambda qc: qc.cx(0, 1)]
)
def test_qis_gate_in_native_gateset_raises(build: Any) -> None:
    qc = QuantumCircuit(2)
    build(qc)
    with pytest.raises(IonQGateError) as info:
        gates_of(qc, "native")
    assert info.value.gateset == "native"
    assert "'qis'" in str(info.value)


def test_unknown_gateset() -> None:
    with pytest.raises(IonQInvalidOptionError, match="gateset"):
        qiskit_circ_to_ionq_circ(QuantumCircuit(1), "clifford")
