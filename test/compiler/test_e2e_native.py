"""Compiled native circuits run on the bundled emulator and give the input's probabilities."""

from __future__ import annotations

import pytest
from qiskit.quantum_info import Statevector

from .corpus import random_circuit, transpile_native


@pytest.mark.parametrize("family", ["ms", "zz"])
def test_compiled_circuits_run_with_the_inputs_distribution(provider, family: str) -> None:
    backend = provider.get_backend("ionq_simulator", gateset="native")
    checked = 0
    for seed in range(2000, 2040):
        circuit = random_circuit(seed)
        if circuit.num_qubits < 2 or circuit.count_ops().get("measure"):
            continue
        expected = Statevector(circuit).probabilities_dict()
        measured = circuit.copy()
        measured.measure_all()
        compiled = transpile_native(measured, family, 3)
        probs = backend.run(compiled, shots=100).get_probabilities()
        for key, value in expected.items():
            assert probs.get(key, 0.0) == pytest.approx(value, abs=1e-9), f"seed {seed}"
        checked += 1
        if checked == 4:
            break
    assert checked == 4
