"""Per-shot results -> counts and memory: formats, register mapping, leakage exclusion."""

from __future__ import annotations

import json

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.result.postprocess import format_counts_memory

from qiskit_ionq.exceptions import IonQJobError
from qiskit_ionq.qasm3_input import program_clbit_labels
from qiskit_ionq.serializer import build_header
from qiskit_ionq.shot_results import (
    build_shot_experiment,
    parse_shots,
    qubit_sources,
    register_sources,
)


def _two_registers() -> QuantumCircuit:
    qc = QuantumCircuit(
        QuantumRegister(2, "q"), ClassicalRegister(2, "a"), ClassicalRegister(1, "b")
    )
    qc.measure(0, 0)
    qc.measure(1, 1)
    qc.measure(1, 2)
    return qc


def _shot(a, b, leak=0):
    return {"registers": {"a": a, "b": b, "output_all": [0, 0]}, "leakage_bits": leak}


def test_v2_registers_become_qiskit_keys_in_shot_order():
    header = build_header(_two_registers())
    payload = {"shots": [_shot([1, 0], [1]), _shot([0, 1], [0]), _shot([1, 0], [1])]}
    table = parse_shots(json.loads(json.dumps(payload)))
    data, report = build_shot_experiment(
        table, header=header, sources=register_sources(program_clbit_labels(header))
    )
    # a = [b0=1, b1=0] -> "01"; b = 1 -> "1"; key "b a" = "1 01"
    assert data.counts == {"1 01": 2, "0 10": 1}
    assert data.memory == ["0x5", "0x2", "0x5"]
    assert report.leaked_shots == 0 and report.total_shots == 3
    # Qiskit's own formatting of the same memory gives the same keys.
    qiskit_keys = [format_counts_memory(m, header) for m in data.memory]
    assert qiskit_keys == ["1 01", "0 10", "1 01"]


def test_leaked_shots_are_excluded_from_counts_and_memory_and_reported():
    header = build_header(_two_registers())
    shots = [_shot([1, 1], [1]), _shot([0, 0], [0], leak=2), _shot([1, 1], [1], leak="01")]
    data, report = build_shot_experiment(
        parse_shots({"shots": shots}),
        header=header,
        sources=register_sources(program_clbit_labels(header)),
    )
    assert data.counts == {"1 11": 1}
    assert data.memory == ["0x7"]
    assert data.shots == 1
    assert (report.total_shots, report.leaked_shots) == (3, 2)
    assert report.leaked_indices == (1, 2)
    assert report.leakage_bits == (2, 1)
    assert report.to_dict()["leaked_indices"] == [1, 2]


@pytest.mark.parametrize("value", [[1, 0, 1], "101", 5])
def test_register_value_formats_are_equivalent(value):
    table = parse_shots({"shots": [{"registers": {"r": value}}]})
    assert table.registers["r"][0].tolist()[:3] == [1, 0, 1]


def test_bit_string_is_right_most_bit_zero():
    table = parse_shots({"shots": [{"registers": {"r": "011"}}]})
    assert table.registers["r"][0].tolist() == [1, 1, 0]


def test_v1_decimal_shots_follow_the_measurement_map():
    qc = QuantumCircuit(3, 2)
    qc.measure(2, 0)
    qc.measure(0, 1)
    header = build_header(qc)
    table = parse_shots(["4", "1", 5, "0"], num_qubits=3)
    data, _ = build_shot_experiment(table, header=header, sources=qubit_sources([2, 0]))
    # "4" = qubit 2 -> clbit 0; "1" = qubit 0 -> clbit 1; 5 = both
    assert data.memory == ["0x1", "0x2", "0x3", "0x0"]
    assert data.counts == {"01": 1, "10": 1, "11": 1, "00": 1}


def test_missing_register_warns_and_reads_zero():
    header = build_header(_two_registers())
    shots = [{"registers": {"a": [1, 1]}}]
    with pytest.warns(UserWarning, match="'b'"):
        data, _ = build_shot_experiment(
            parse_shots({"shots": shots}),
            header=header,
            sources=register_sources(program_clbit_labels(header)),
        )
    assert data.counts == {"0 11": 1}


@pytest.mark.parametrize(
    "payload",
    [{"shots": [{"no": 1}]}, {"shots": [{"registers": {"a": [2]}}]}, ["x1"], {"shots": 3}, 7],
)
def test_malformed_shots_data_is_a_clear_error(payload):
    with pytest.raises(IonQJobError, match="malformed shots data"):
        parse_shots(payload, num_qubits=2)


def test_large_payload_parses_fast_path_to_the_same_bits():
    rng = np.random.default_rng(3)
    bits = rng.integers(0, 2, size=(5000, 4)).tolist()
    table = parse_shots({"shots": [{"registers": {"r": b}} for b in bits]})
    assert table.registers["r"].tolist() == bits
