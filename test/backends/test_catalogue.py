"""The API's backend catalogue: names, facts, caching, offline fallback (requests-mock)."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.providers.exceptions import QiskitBackendNotFoundError

from qiskit_ionq import IonQProvider
from qiskit_ionq._qiskit_compat import QISKIT_2, backend_name
from qiskit_ionq.api.catalogue import Catalogue, UnknownBackendError, restricted_pairs
from qiskit_ionq.ionq_client import IonQClient

V3 = "https://ionq.test/v0.3"
V4 = "https://ionq.test/v0.4"
RING = [[q, (q + 1) % 8] for q in range(8)]


def v4_backends(**tempo: Any) -> List[Dict[str, Any]]:
    entry = {
        "backend": "qpu.tempo-9",
        "status": "available",
        "qubits": 8,
        "last_updated": "2026-10-01T00:00:00Z",
        "characterization_id": "c-1",
        "supported_native_gates": ["gpi", "gpi2", "zz"],
    }
    entry.update(tempo)
    return [
        {"backend": "simulator", "status": "available", "qubits": 29},
        {"backend": "qpu.aria-1", "status": "retired", "qubits": 25},
        entry,
    ]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def chars(requests_mock: Any, connectivity: Any, base: str = V4) -> Any:
    return requests_mock.get(
        f"{base}/backends/qpu.tempo-9/characterizations",
        json={"characterizations": [{"id": "c-1", "connectivity": connectivity}], "pages": 0},
    )


def test_facts_from_the_api_and_a_restricted_coupling_map(requests_mock):
    requests_mock.get(f"{V4}/backends", json=v4_backends())
    chars(requests_mock, RING)
    catalogue = IonQClient("tok", V4).catalogue
    facts = catalogue.describe("ionq_qpu.tempo-9")
    assert (facts.qubits, facts.native_2q, facts.source) == (8, "zz", "api")
    assert facts.coupling == tuple(sorted((min(a, b), max(a, b)) for a, b in RING))
    retired = catalogue.describe("qpu.aria-1")
    assert retired.retired and not retired.available and retired.coupling is None
    assert "ionq_qpu.tempo-9" in catalogue.names()


def test_all_to_all_connectivity_is_no_coupling_map():
    full = [[a, b] for a in range(4) for b in range(a + 1, 4)]
    assert restricted_pairs(full, 4) is None
    assert restricted_pairs(full[:-1], 4) == tuple(tuple(p) for p in full[:-1])
    assert restricted_pairs([[0, 9]], 4) is None  # unusable data: all-to-all
    assert restricted_pairs(None, 4) is None


def test_cached_then_lazily_refreshed(requests_mock):
    route = requests_mock.get(f"{V4}/backends", json=v4_backends())
    clock = Clock()
    catalogue = Catalogue(IonQClient("tok", V4), ttl=60, clock=clock)
    catalogue.names()
    catalogue.entry("qpu.tempo-9")
    assert route.call_count == 1
    route = requests_mock.get(f"{V4}/backends", json=v4_backends(qubits=16))
    clock.now = 61
    assert catalogue.describe("qpu.tempo-9", connectivity=False).qubits == 16
    assert route.call_count == 1


def test_offline_falls_back_to_the_static_table_and_remembers_the_failure(requests_mock):
    route = requests_mock.get(f"{V3}/backends", status_code=503, json={})
    clock = Clock()
    catalogue = Catalogue(IonQClient("tok", V3), retry_after_failure=30, clock=clock)
    facts = catalogue.describe("qpu.forte-1")
    assert (facts.qubits, facts.native_2q, facts.source) == (36, "zz", "static")
    catalogue.check_name("qpu.anything-new")  # offline: accepted, the API judges the job
    assert catalogue.names()[:2] == ["ionq_simulator", "ionq_qpu"]
    calls = route.call_count
    catalogue.names()
    assert route.call_count == calls  # the failure is remembered
    clock.now = 31
    catalogue.names()
    assert route.call_count > calls


def test_unknown_name_lists_what_the_api_knows(requests_mock):
    requests_mock.get(f"{V3}/backends", json=v4_backends())
    with pytest.raises(UnknownBackendError, match="qpu.nope.*ionq_qpu.tempo-9") as info:
        IonQClient("tok", V3).catalogue.check_name("ionq_qpu.nope")
    assert "ionq_qpu.tempo-9" in info.value.known


def test_v03_catalogue_uses_the_static_native_gate_rule(requests_mock):
    entries = [{"backend": "qpu.tempo-9", "status": "available", "qubits": 8}]
    requests_mock.get(f"{V3}/backends", json=entries)
    requests_mock.get(
        f"{V3}/characterizations/backends/qpu.tempo-9/current",
        json={"id": "c", "connectivity": RING},
    )
    facts = IonQClient("tok", V3).catalogue.describe("qpu.tempo-9")
    assert (facts.qubits, facts.native_2q) == (8, "zz") and facts.coupling  # Tempo: ZZ
    nova = [{"backend": "qpu.nova-1", "status": "available", "qubits": 8}]
    requests_mock.get(f"{V3}/backends", json=nova)
    requests_mock.get(f"{V3}/characterizations/backends/qpu.nova-1/current", json={})
    assert IonQClient("tok", V3).catalogue.describe("qpu.nova-1").native_2q == "ms"


@pytest.mark.parametrize("gateset", ["qis", "native"])
def test_a_new_system_transpiles_onto_its_coupling_map(requests_mock, gateset):
    requests_mock.get(f"{V4}/backends", json=v4_backends())
    chars(requests_mock, RING)
    provider = IonQProvider("tok", V4)
    backend = provider.get_backend("ionq_qpu.tempo-9", gateset=gateset)
    assert backend_name(backend) == "ionq_qpu.tempo-9"
    config = backend.configuration()
    assert config.n_qubits == 8 and len(config.coupling_map) == 16
    if gateset == "native":
        assert "zz" in config.basis_gates and "ms" not in config.basis_gates
    qc = QuantumCircuit(8, 8)
    qc.h(0)
    for target in (4, 6, 2):
        qc.cx(0, target)  # none of these pairs is connected on the ring
    qc.measure(range(8), range(8))
    compiled = transpile(qc, backend=backend, optimization_level=1, seed_transpiler=1)
    ring = {frozenset(p) for p in RING}
    layout = compiled.layout.final_index_layout() if compiled.layout else list(range(8))
    assert len(layout) == 8
    for instruction in compiled.data:
        qubits = [compiled.find_bit(q).index for q in instruction.qubits]
        if len(qubits) == 2:
            assert frozenset(qubits) in ring, (instruction.operation.name, qubits)
    if QISKIT_2:
        assert backend.target.build_coupling_map() is not None


def test_provider_lists_api_backends_and_refuses_unknown(requests_mock):
    requests_mock.get(f"{V4}/backends", json=v4_backends())
    chars(requests_mock, RING)
    provider = IonQProvider("tok", V4)
    names = [backend_name(b) for b in provider.backends()]
    assert "ionq_qpu.tempo-9" in names and "ionq_qpu.aria-1" in names
    with pytest.raises(QiskitBackendNotFoundError, match="ionq_qpu.tempo-9"):
        provider.get_backend("qpu.tempo-99")
    status = provider.get_backend("ionq_qpu.aria-1").status()  # a bool from Qiskit 2 on
    if isinstance(status, bool):
        assert status is False
    else:
        assert status.operational is False and status.status_msg == "retired"
