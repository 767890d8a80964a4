"""Circuit -> ionq.qasm3.v1 input: when it is needed, what is sent, and the clear refusals."""

from __future__ import annotations

import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Clbit, Parameter

from qiskit_ionq.exceptions import IonQCircuitError
from qiskit_ionq.qasm3_input import (
    LOOSE_REGISTER,
    QASM3_JOB_TYPE,
    build_qasm3_parts,
    circuit_requires_qasm3,
    circuit_to_qasm3,
    program_clbit_labels,
)
from qiskit_ionq.serializer import build_header


def _bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def test_plain_circuits_do_not_need_qasm3():
    qc = _bell()
    qc.barrier()
    qc.measure(0, 1)  # a second read-out of a measured qubit is not mid-circuit
    assert not circuit_requires_qasm3(qc)


@pytest.mark.parametrize("what", ["gate_after_measure", "reset", "if_test"])
def test_dynamic_circuits_need_qasm3(what):
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.measure(0, 0)
    if what == "gate_after_measure":
        qc.x(0)
    elif what == "reset":
        qc.reset(1)
    else:
        with qc.if_test((qc.clbits[0], 1)):
            qc.x(1)
    assert circuit_requires_qasm3(qc)


def test_gate_on_another_qubit_after_a_measurement_is_not_mid_circuit():
    qc = QuantumCircuit(2, 1)
    qc.measure(0, 0)
    qc.h(1)
    assert not circuit_requires_qasm3(qc)


def test_body_parts_carry_type_program_and_compilation_settings():
    qc = QuantumCircuit(
        QuantumRegister(2, "q"), ClassicalRegister(1, "mid"), ClassicalRegister(2, "c")
    )
    qc.h(0)
    qc.measure(0, 0)
    qc.reset(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [1, 2])
    parts = build_qasm3_parts([qc], {"error_mitigation": {"debiasing": False}})
    assert parts["type"] == QASM3_JOB_TYPE == "ionq.qasm3.v1"
    assert parts["input"]["qubits"] == 2
    text = parts["input"]["data"]
    assert text.startswith("OPENQASM 3")
    assert "reset q[0];" in text and "mid[0] = measure q[0];" in text
    assert parts["settings"] == {
        "error_mitigation": {"debiasing": False},
        "compilation": {"service_version": "v0.4"},
    }


def test_user_compilation_settings_win():
    parts = build_qasm3_parts([_bell()], {"compilation": {"service_version": "v9", "opt": 1}})
    assert parts["settings"]["compilation"] == {"service_version": "v9", "opt": 1}


def test_several_circuits_are_refused_with_the_reason():
    with pytest.raises(IonQCircuitError, match="one OpenQASM 3 program per job"):
        build_qasm3_parts([_bell(), _bell()])


def test_loose_clbits_go_to_one_register_and_the_header_finds_them():
    bits = [Clbit(), Clbit()]
    qc = QuantumCircuit(QuantumRegister(2, "q"), bits, ClassicalRegister(1, "c"))
    qc.measure(0, 0)
    qc.x(0)
    qc.measure(0, 1)
    qc.measure(1, 2)
    text = circuit_to_qasm3(qc)
    assert f"bit[2] {LOOSE_REGISTER};" in text
    assert f"{LOOSE_REGISTER}[1] = measure q[0];" in text
    labels = program_clbit_labels(build_header(qc))
    assert labels == [[LOOSE_REGISTER, 0], [LOOSE_REGISTER, 1], ["c", 0]]


@pytest.mark.parametrize("name", ["output_all", LOOSE_REGISTER, "measure"])
def test_reserved_or_keyword_register_names_are_refused(name):
    qc = QuantumCircuit(QuantumRegister(1, "q"), ClassicalRegister(1, name))
    qc.measure(0, 0)
    with pytest.raises(IonQCircuitError, match="rename"):
        circuit_to_qasm3(qc)


def test_overlapping_registers_are_refused():
    bits = [Clbit() for _ in range(2)]
    qc = QuantumCircuit(
        QuantumRegister(1, "q"),
        ClassicalRegister(name="a", bits=bits),
        ClassicalRegister(name="b", bits=bits[1:]),
    )
    with pytest.raises(IonQCircuitError, match="share bits"):
        circuit_to_qasm3(qc)


def test_unbound_parameters_are_refused():
    qc = QuantumCircuit(1, 1)
    qc.rx(Parameter("theta"), 0)
    qc.measure(0, 0)
    qc.reset(0)
    with pytest.raises(IonQCircuitError, match="theta"):
        circuit_to_qasm3(qc)
