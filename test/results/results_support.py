"""Helpers of the results tests: headers, measurement maps and reference answers.

Everything here is computed the slow, obvious way (per-key Python, Qiskit's own formatting
function) so that it is an independent check of the vectorized code in qiskit_ionq.results.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector
from qiskit.result.postprocess import format_counts_memory


def _labels(bits: Sequence[Any], circuit: QuantumCircuit) -> List[List[Any]]:
    labels: List[List[Any]] = []
    for bit in bits:
        found = circuit.find_bit(bit)
        if found.registers:
            register, index = found.registers[0]
            labels.append([register.name, index])
        else:
            labels.append([None, found.index])
    return labels


def header_from_circuit(circuit: QuantumCircuit) -> Dict[str, Any]:
    """The experiment header of docs/design.md, built from the circuit."""
    return {
        "name": circuit.name,
        "global_phase": float(circuit.global_phase),
        "n_qubits": circuit.num_qubits,
        "qreg_sizes": [[r.name, r.size] for r in circuit.qregs],
        "qubit_labels": _labels(circuit.qubits, circuit),
        "memory_slots": circuit.num_clbits,
        "creg_sizes": [[r.name, r.size] for r in circuit.cregs],
        "clbit_labels": _labels(circuit.clbits, circuit),
        "metadata": {},
    }


def meas_map_from_circuit(circuit: QuantumCircuit) -> List[Optional[int]]:
    """``registers.meas_mapped``: per clbit, the qubit measured into it last (or None)."""
    meas_map: List[Optional[int]] = [None] * circuit.num_clbits
    for instruction in circuit.data:
        if instruction.operation.name == "measure":
            qubit = circuit.find_bit(instruction.qubits[0]).index
            clbit = circuit.find_bit(instruction.clbits[0]).index
            meas_map[clbit] = qubit
    return meas_map


def without_measurements(circuit: QuantumCircuit) -> QuantumCircuit:
    """A copy of ``circuit`` without its measure instructions."""
    bare = circuit.copy_empty_like()
    for instruction in circuit.data:
        if instruction.operation.name != "measure":
            bare.append(instruction)
    return bare


def vendor_histogram(circuit: QuantumCircuit) -> Dict[str, float]:
    """What IonQ's ideal simulator returns: full-register probabilities, decimal int keys."""
    probabilities = Statevector(without_measurements(circuit)).probabilities()
    return {str(state): float(p) for state, p in enumerate(probabilities) if p > 0}


def expected_probabilities(
    histogram: Mapping[str, float],
    meas_map: Sequence[Optional[int]],
    header: Mapping[str, Any],
) -> Dict[str, float]:
    """Reference clbit probabilities: per key, bit by bit, formatted by Qiskit's own function."""
    if not header.get("memory_slots"):
        return {}
    out: Dict[str, float] = {}
    for key, probability in histogram.items():
        state = int(key)
        value = 0
        for clbit, qubit in enumerate(meas_map):
            if qubit is not None and (state >> qubit) & 1:
                value |= 1 << clbit
        formatted = format_counts_memory(hex(value), dict(header))
        out[formatted] = out.get(formatted, 0.0) + probability
    total = sum(out.values())
    return {key: p / total for key, p in out.items() if p > 0}
