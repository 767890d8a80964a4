"""The circuit walk beyond single gates: pauliexp, parameters, classical control, the
measurement map."""

from __future__ import annotations

import math
import warnings

import pytest
from qiskit.circuit import (
    ClassicalRegister,
    Gate,
    Parameter,
    QuantumCircuit,
    QuantumRegister,
)
from qiskit.circuit.library import (
    PauliEvolutionGate,
)
from qiskit.quantum_info import SparsePauliOp
from serializer_support import WARNING_FILTERS, gates_of

from qiskit_ionq.exceptions import (
    IonQCircuitError,
    IonQGateError,
    IonQMidCircuitMeasurementError,
    IonQPauliExponentialError,
)
from qiskit_ionq.ionq_gates import GPIGate
from qiskit_ionq.serializer import qiskit_circ_to_ionq_circ

pytestmark = WARNING_FILTERS


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
