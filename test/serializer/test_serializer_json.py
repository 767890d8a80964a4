"""The JSON-text path: encode_circuit's reused gate texts and templates, and JobPayload.

The serializer writes gate lists as JSON text, reusing the text of a (name, qubits) pair it
has seen and a template for single-angle rotations. These tests pin what that must never
change: every gate's own numbers, the order, the errors, and byte-level equivalence with
``json``'s own encoding of the same body.
"""

from __future__ import annotations

import json
import math
from typing import Any, Dict, List

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit.circuit import QuantumCircuit

from qiskit_ionq.circuit_json import encode_circuit
from qiskit_ionq.constants import SUBMISSION_ID_KEY
from qiskit_ionq.exceptions import IonQCircuitError, IonQMidCircuitMeasurementError
from qiskit_ionq.serializer import (
    JobPayload,
    RawJSON,
    build_job_body,
    build_job_payload,
    qiskit_circ_to_ionq_circ,
)

ANGLES = [0.0, -0.0, 1e-300, -1e-300, 5e-324, math.pi, -math.pi, 1 / 3, 1e300, 123456.789]


def _gates(qc: QuantumCircuit, gateset: str = "qis") -> List[Dict[str, Any]]:
    return qiskit_circ_to_ionq_circ(qc, gateset)[0]


def test_repeated_rotations_keep_each_angle_exactly() -> None:
    qc = QuantumCircuit(3)
    for angle in ANGLES:
        qc.rz(angle, 0)
        qc.crx(angle, 2, 1)
        qc.rzz(angle, 0, 2)
    gates = _gates(qc)
    assert len(gates) == 3 * len(ANGLES)
    for i, angle in enumerate(ANGLES):
        rz, crx, rzz = gates[3 * i : 3 * i + 3]
        assert rz == {"gate": "rz", "targets": [0], "rotation": angle}
        assert crx == {"gate": "rx", "targets": [1], "controls": [2], "rotation": angle}
        assert rzz == {"gate": "zz", "targets": [0, 2], "rotation": angle}
        # -0.0 == 0.0, so check the sign bit too: the template must not lose it.
        assert math.copysign(1, rz["rotation"]) == math.copysign(1, angle)


def test_repeated_fixed_gates_keep_their_qubits_and_order() -> None:
    qc = QuantumCircuit(4)
    pairs = [(0, 1), (1, 0), (2, 3), (0, 1), (3, 2), (1, 0)]
    for a, b in pairs:
        qc.cx(a, b)
        qc.h(b)
        qc.cz(b, a)
    gates = _gates(qc)
    expected = []
    for a, b in pairs:
        expected += [
            {"gate": "x", "targets": [b], "controls": [a]},
            {"gate": "h", "targets": [b]},
            {"gate": "z", "targets": [a], "controls": [b]},
        ]
    assert gates == expected


def test_each_gate_dict_is_its_own_object() -> None:
    qc = QuantumCircuit(1)
    qc.h(0)
    qc.h(0)
    first, second = _gates(qc)
    first["targets"].append(5)
    assert second == {"gate": "h", "targets": [0]}


def test_measurement_then_a_repeated_gate_is_refused() -> None:
    qc = QuantumCircuit(2, 1)
    qc.h(0)  # seen once: its text is reused for the next h(0)
    qc.rz(0.5, 0)  # the same for the rotation template
    qc.measure(0, 0)
    qc.h(1)  # a different qubit is fine
    qc.rz(0.25, 0)
    with pytest.raises(IonQMidCircuitMeasurementError) as err:
        encode_circuit(qc)
    assert "0" in str(err.value)
    qc2 = QuantumCircuit(2, 1)
    qc2.h(0)
    qc2.measure(0, 0)
    qc2.h(0)
    with pytest.raises(IonQMidCircuitMeasurementError):
        encode_circuit(qc2)


def test_unbound_parameter_in_a_repeated_rotation_is_refused() -> None:
    from qiskit.circuit import Parameter

    theta = Parameter("theta")
    qc = QuantumCircuit(1)
    qc.rz(0.5, 0)
    qc.rz(theta, 0)
    with pytest.raises(IonQCircuitError, match="theta"):
        encode_circuit(qc)


def test_gate_text_is_what_json_writes() -> None:
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.rx(0.1, 1)
    qc.rx(-2.5, 1)
    qc.ccx(0, 1, 2)
    qc.cp(0.75, 0, 2)
    qc.swap(0, 2)
    qc.measure([0, 1, 2], [2, 1, 0])
    encoded = encode_circuit(qc)
    gates = json.loads(encoded.gates_json)
    assert encoded.gates_json == json.dumps(gates, separators=(",", ":"))
    assert encoded.num_measurements == 3
    assert encoded.meas_map == [2, 1, 0]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["h", "x", "rz", "ry", "cx", "cz", "crz", "rxx", "s"]),
            st.integers(0, 3),
            st.integers(1, 3),
            st.floats(allow_nan=False, allow_infinity=False, width=64),
        ),
        max_size=40,
    )
)
def test_random_circuits_match_a_gate_by_gate_encoding(ops: List[Any]) -> None:
    """Reused texts and templates give what encoding each gate on its own gives."""
    qc = QuantumCircuit(4)
    for name, a, shift, angle in ops:
        b = (a + shift) % 4
        if name in ("h", "x", "s"):
            getattr(qc, name)(a)
        elif name in ("rz", "ry"):
            getattr(qc, name)(angle, a)
        elif name in ("cx", "cz"):
            getattr(qc, name)(a, b)
        else:
            getattr(qc, name)(angle, a, b)
    whole = _gates(qc)
    one_by_one: List[Dict[str, Any]] = []
    for instruction in qc.data:
        single = QuantumCircuit(4)
        single.append(instruction.operation, instruction.qubits)
        one_by_one += _gates(single)
    assert whole == one_by_one


# ------------------------------------------------------------------------------------------
# JobPayload
# ------------------------------------------------------------------------------------------


def _bell(name: str = "bell") -> QuantumCircuit:
    qc = QuantumCircuit(2, 2, name=name)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def test_payload_json_equals_json_of_its_dict() -> None:
    payload = build_job_payload(
        [_bell("a"), _bell("b")],
        target="simulator",
        shots=10,
        job_settings={"x": [1, {"y": None}], "z": "ü"},
        extra_metadata={"k": "v"},
    )
    text = payload.to_json()
    assert json.loads(text) == payload.to_dict()
    assert text == json.dumps(payload.to_dict(), separators=(",", ":"))
    circuits = payload.body["input"]["circuits"]
    assert all(isinstance(entry["circuit"], RawJSON) for entry in circuits)


def test_payload_keys_follow_json_rules() -> None:
    odd = {1: "int", False: "bool", None: "none", 2.5: "float", "s": "str"}
    payload = build_job_payload(_bell(), target="simulator", job_settings=odd)
    assert payload.to_json() == json.dumps(payload.to_dict(), separators=(",", ":"))
    assert payload.to_dict()["settings"] == json.loads(json.dumps(odd))


def test_payload_metadata_override_leaves_the_payload_alone() -> None:
    payload = build_job_payload(_bell(), target="simulator")
    before = payload.to_json()
    tagged = json.loads(payload.to_json({**payload.metadata, SUBMISSION_ID_KEY: "abc"}))
    assert tagged["metadata"][SUBMISSION_ID_KEY] == "abc"
    assert payload.to_json() == before
    assert SUBMISSION_ID_KEY not in payload.metadata


def test_extra_query_params_may_replace_the_input() -> None:
    payload = build_job_payload(
        _bell(), target="simulator", extra_query_params={"input": {"gateset": "qis"}}
    )
    assert json.loads(payload.to_json())["input"] == {"gateset": "qis"}


def test_unserializable_settings_raise_typeerror_on_encoding() -> None:
    payload = build_job_payload(_bell(), target="simulator", job_settings={"x": object()})
    with pytest.raises(TypeError):
        payload.to_json()


def test_build_job_body_is_the_decoded_payload() -> None:
    body = build_job_body(_bell(), target="qpu.aria-1", shots=5)
    payload = build_job_payload(_bell(), target="qpu.aria-1", shots=5)
    assert body == payload.to_dict()
    assert body["input"]["circuit"][0] == {"gate": "h", "targets": [0]}
    assert isinstance(payload, JobPayload) and "qpu.aria-1" in repr(payload)
