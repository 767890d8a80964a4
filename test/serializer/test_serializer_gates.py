"""Exact JSON of each gate, the measurement map and the errors of qiskit_circ_to_ionq_circ."""

from __future__ import annotations

import math
import warnings
from typing import Any, List

import pytest
from qiskit.circuit import (
    AnnotatedOperation,
    ClassicalRegister,
    ControlModifier,
    Gate,
    InverseModifier,
    Parameter,
    QuantumCircuit,
    QuantumRegister,
)
from qiskit.circuit.library import (
    HGate,
    IGate,
    MCXGate,
    PauliEvolutionGate,
    PhaseGate,
    RXGate,
    SGate,
    SwapGate,
    SXGate,
    XGate,
)
from qiskit.quantum_info import SparsePauliOp

from qiskit_ionq.exceptions import (
    IonQCircuitError,
    IonQGateError,
    IonQInvalidOptionError,
    IonQMidCircuitMeasurementError,
    IonQPauliExponentialError,
)
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


def gates_of(circuit: QuantumCircuit, gateset: str = "qis", **kwargs: Any) -> List[dict]:
    return qiskit_circ_to_ionq_circ(circuit, gateset, **kwargs)[0]


def one(build: Any, num_qubits: int, gateset: str = "qis") -> List[dict]:
    qc = QuantumCircuit(num_qubits)
    build(qc)
    return gates_of(qc, gateset)


def ctrl(gate: Gate, n: int, ctrl_state: Any = None) -> Gate:
    """``gate.control(n)`` as a ControlledGate on every Qiskit line (no annotated default)."""
    try:
        return gate.control(n, ctrl_state=ctrl_state, annotated=False)
    except TypeError:  # Qiskit 0.46: no `annotated` argument
        return gate.control(n, ctrl_state=ctrl_state)


def renamed(gate: Gate, name: str) -> Gate:
    """A gate called ``name`` defined as ``gate`` (Qiskit never emits these alias names)."""
    alias = Gate(name, gate.num_qubits, list(gate.params))
    definition = QuantumCircuit(gate.num_qubits)
    definition.append(gate, range(gate.num_qubits))
    alias.definition = definition
    return alias


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


# ---------------------------------------------------------------------------------- pauliexp


def test_pauliexp_exact_json() -> None:
    op = SparsePauliOp(["XXI", "IIZ"], [0.5, -1.5])
    qc = QuantumCircuit(4)
    qc.append(PauliEvolutionGate(op, time=0.25), [3, 1, 0])
    assert gates_of(qc) == [
        {
            "gate": "pauliexp",
            "targets": [3, 1, 0],
            "terms": ["XXI", "IIZ"],
            "coefficients": [0.5, -1.5],
            "time": 0.25,
        }
    ]


def test_pauliexp_negative_time_is_folded_into_coefficients() -> None:
    qc = QuantumCircuit(2)
    qc.append(PauliEvolutionGate(SparsePauliOp(["ZZ", "XX"], [1.0, 2.0]), time=-0.5), [0, 1])
    (gate,) = gates_of(qc)
    assert gate["time"] == 0.5
    assert gate["coefficients"] == [-1.0, -2.0]


def test_pauliexp_operator_list_is_summed() -> None:
    ops = [SparsePauliOp(["ZZ"], [1.0]), SparsePauliOp(["XX", "YY"], [0.5, 0.25])]
    qc = QuantumCircuit(2)
    qc.append(PauliEvolutionGate(ops, time=1.0), [0, 1])
    (gate,) = gates_of(qc)
    assert dict(zip(gate["terms"], gate["coefficients"])) == {"ZZ": 1.0, "XX": 0.5, "YY": 0.25}


def test_pauliexp_from_sparse_observable() -> None:
    # Newer Qiskit evolves a SparseObservable directly; it converts to Paulis exactly.
    import qiskit.quantum_info as qi

    if not hasattr(qi, "SparseObservable"):
        pytest.skip("no SparseObservable in this Qiskit")
    observable = qi.SparseObservable.from_list([("ZX", 0.5)])
    try:
        gate = PauliEvolutionGate(observable, time=0.5)
    except ValueError:
        pytest.skip("PauliEvolutionGate does not take a SparseObservable in this Qiskit")
    qc = QuantumCircuit(2)
    qc.append(gate, [0, 1])
    (out,) = gates_of(qc)
    assert (out["terms"], out["coefficients"], out["time"]) == (["ZX"], [0.5], 0.5)


def test_pauliexp_non_commuting_terms() -> None:
    qc = QuantumCircuit(2)
    qc.append(PauliEvolutionGate(SparsePauliOp(["XI", "ZI"], [1.0, 1.0]), time=0.5), [0, 1])
    with pytest.raises(IonQPauliExponentialError) as info:
        gates_of(qc)
    assert "commute" in str(info.value)
    assert "ionq_compiler_synthesis=True" in str(info.value)
    (gate,) = gates_of(qc, ionq_compiler_synthesis=True)
    assert gate["terms"] == ["XI", "ZI"]


def test_pauliexp_complex_coefficients_are_refused() -> None:
    class FakeEvolution(Gate):  # PauliEvolutionGate itself refuses non-Hermitian input
        def __init__(self) -> None:
            super().__init__("PauliEvolution", 1, [0.5])
            self.operator = SparsePauliOp(["X"], [1 + 1j])
            self.time = 0.5

    qc = QuantumCircuit(1)
    qc.append(FakeEvolution(), [0])
    with pytest.raises(IonQPauliExponentialError, match="real coefficients"):
        gates_of(qc)


def test_pauliexp_unbound_time() -> None:
    qc = QuantumCircuit(2)
    qc.append(PauliEvolutionGate(SparsePauliOp(["ZZ"]), time=Parameter("t")), [0, 1])
    with pytest.raises(IonQCircuitError, match="assign_parameters"):
        gates_of(qc)


def test_pauliexp_in_native_gateset() -> None:
    qc = QuantumCircuit(2)
    qc.append(PauliEvolutionGate(SparsePauliOp(["ZZ"]), time=1.0), [0, 1])
    with pytest.raises(IonQGateError):
        gates_of(qc, "native")


# ---------------------------------------------------------------------- parameters, control


def test_unbound_parameter_names_gate_and_parameter() -> None:
    theta = Parameter("theta")
    qc = QuantumCircuit(2)
    qc.crx(theta, 0, 1)
    with pytest.raises(IonQCircuitError) as info:
        gates_of(qc)
    message = str(info.value)
    assert "'crx'" in message and "theta" in message and "assign_parameters" in message
    bound = qc.assign_parameters({theta: 0.75})
    assert gates_of(bound)[0]["rotation"] == 0.75


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_non_finite_parameter_is_refused(value: float) -> None:
    qc = QuantumCircuit(1)
    qc.rx(value, 0)
    with pytest.raises(IonQCircuitError, match="non-finite"):
        gates_of(qc)


def test_unbound_native_parameter() -> None:
    qc = QuantumCircuit(1)
    qc.append(GPIGate(Parameter("phi")), [0])
    with pytest.raises(IonQCircuitError, match="phi"):
        gates_of(qc, "native")


def test_if_test_block_is_refused() -> None:
    qc = QuantumCircuit(2, 1)
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)
    with pytest.raises(IonQCircuitError, match="classical control"):
        gates_of(qc)


@pytest.mark.skipif(
    not hasattr(QuantumCircuit(1).x(0), "c_if"), reason="c_if was removed in Qiskit 2"
)
def test_c_if_condition_is_refused() -> None:
    qc = QuantumCircuit(2, 1)
    qc.h(0)
    qc.measure(0, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        qc.x(1).c_if(0, 1)
    with pytest.raises(IonQCircuitError, match="Remove the condition"):
        gates_of(qc)


# ------------------------------------------------------------------------- measurement map


def test_meas_map_crossed() -> None:
    qc = QuantumCircuit(2, 2)
    qc.measure(1, 0)
    qc.measure(0, 1)
    assert qiskit_circ_to_ionq_circ(qc) == ([], 2, [1, 0])


def test_meas_map_last_write_wins_and_unwritten_is_none() -> None:
    qc = QuantumCircuit(2, 2)
    qc.measure(0, 0)
    qc.measure(1, 0)
    assert qiskit_circ_to_ionq_circ(qc) == ([], 2, [1, None])


def test_no_clbits() -> None:
    qc = QuantumCircuit(2)
    qc.h(0)
    assert qiskit_circ_to_ionq_circ(qc) == ([{"gate": "h", "targets": [0]}], 0, [])


def test_meas_map_across_registers() -> None:
    qr = QuantumRegister(3, "q")
    a, b = ClassicalRegister(1, "a"), ClassicalRegister(2, "b")
    qc = QuantumCircuit(qr, a, b)
    qc.measure(qr[2], b[1])
    qc.measure(qr[0], a[0])
    assert qiskit_circ_to_ionq_circ(qc)[1:] == (2, [0, None, 2])


def test_same_qubit_measured_twice_is_fine() -> None:
    qc = QuantumCircuit(1, 2)
    qc.measure(0, 0)
    qc.barrier()
    qc.measure(0, 1)
    assert qiskit_circ_to_ionq_circ(qc) == ([], 2, [0, 0])


def test_gate_after_measurement_on_other_qubit_is_fine() -> None:
    qc = QuantumCircuit(2, 1)
    qc.measure(0, 0)
    qc.h(1)
    assert qiskit_circ_to_ionq_circ(qc) == ([{"gate": "h", "targets": [1]}], 1, [0])


def test_gate_after_measurement_raises() -> None:
    qc = QuantumCircuit(3, 1)
    qc.measure(2, 0)
    qc.barrier()
    qc.cx(1, 2)
    with pytest.raises(IonQMidCircuitMeasurementError) as info:
        gates_of(qc)
    assert info.value.qubit_index == 2
    assert info.value.gate_name == "cx"


def test_qubit_indices_follow_circuit_order_with_several_registers() -> None:
    a, b = QuantumRegister(2, "a"), QuantumRegister(2, "b")
    qc = QuantumCircuit(a, b)
    qc.cx(b[1], a[0])
    assert gates_of(qc) == [{"gate": "x", "controls": [3], "targets": [0]}]


def test_emitted_lists_are_not_shared() -> None:
    # Gate dicts are handed to users; mutating one must not change another.
    qc = QuantumCircuit(1)
    qc.h(0)
    qc.h(0)
    first, second = gates_of(qc)
    first["targets"].append(5)
    assert second["targets"] == [0]


def test_rotation_values_from_expressions() -> None:
    theta = Parameter("theta")
    qc = QuantumCircuit(1)
    qc.rz(2 * theta, 0)
    (gate,) = gates_of(qc.assign_parameters({theta: math.pi / 8}))
    assert gate["rotation"] == pytest.approx(math.pi / 4)
    assert type(gate["rotation"]) is float
