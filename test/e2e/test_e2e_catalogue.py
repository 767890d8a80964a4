"""A QPU only the API's catalogue knows (the emulator's ring-connected, ZZ-native
``qpu.tempo-1``, absent from our static table): described from ``GET /backends`` and its
characterization, transpiled onto its coupling map, and run end to end on both API versions.
"""

from __future__ import annotations

import pytest
from qiskit import QuantumCircuit, transpile

from qiskit_ionq.exceptions import IonQJobFailureError

RING = {frozenset((q, (q + 1) % 12)) for q in range(12)}


def ghz_across_the_ring() -> QuantumCircuit:
    qc = QuantumCircuit(3, 3, name="ghz")
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure([0, 1, 2], [0, 1, 2])
    return qc


@pytest.mark.parametrize("gateset", ["qis", "native"])
def test_catalogue_only_backend_transpiles_and_runs(provider, gateset):
    backend = provider.get_backend("ionq_qpu.tempo-1", gateset=gateset)
    config = backend.configuration()
    assert config.n_qubits == 12 and {frozenset(p) for p in config.coupling_map} == RING
    if gateset == "native":
        assert "zz" in config.basis_gates and "ms" not in config.basis_gates
    # Pin the three logical qubits far apart on the ring: transpile must route.
    compiled = transpile(
        ghz_across_the_ring(), backend=backend, initial_layout=[0, 6, 3], seed_transpiler=7
    )
    pairs = [
        frozenset(compiled.find_bit(q).index for q in inst.qubits)
        for inst in compiled.data
        if len(inst.qubits) == 2
    ]
    assert pairs and all(pair in RING for pair in pairs)
    counts = backend.run(compiled, shots=400).result().get_counts()
    assert sum(counts.values()) == 400
    ghz = counts.get("000", 0) + counts.get("111", 0)
    assert ghz >= 0.8 * 400, counts  # QPU-style noise, but overwhelmingly the GHZ states


def test_an_unrouted_circuit_fails_on_the_restricted_system(provider):
    backend = provider.get_backend("ionq_qpu.tempo-1")
    qc = QuantumCircuit(12, 2)
    qc.h(0)
    qc.cx(0, 6)  # qubits 0 and 6 are not neighbours on the ring
    qc.measure([0, 6], [0, 1])
    with pytest.raises(IonQJobFailureError, match="does not connect"):
        backend.run(qc, shots=10).result()


def test_catalogue_lists_it_and_refuses_unknown_names(provider):
    from qiskit.providers.exceptions import QiskitBackendNotFoundError

    from qiskit_ionq._qiskit_compat import backend_name

    assert "ionq_qpu.tempo-1" in [backend_name(b) for b in provider.backends()]
    with pytest.raises(QiskitBackendNotFoundError, match="ionq_qpu.tempo-1"):
        provider.get_backend("ionq_qpu.tempo-7")
    status = provider.get_backend("ionq_qpu.tempo-1").status()  # a bool from Qiskit 2 on
    assert status if isinstance(status, bool) else status.operational
