"""One release, every Qiskit line: what differs (only the backend base class and the
name/name() convention) and what must not (options, transpile + run, results, warnings)."""

from __future__ import annotations

import warnings

import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.providers import BackendV2

from qiskit_ionq import IonQProvider
from qiskit_ionq._qiskit_compat import QISKIT_2, backend_name
from qiskit_ionq.exceptions import IonQInvalidOptionError


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2, name="bell")
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def test_backend_base_class_and_name_convention():
    backend = IonQProvider(token="t").get_backend("qpu.aria-1")
    if QISKIT_2:
        assert isinstance(backend, BackendV2)
        assert backend.name == "ionq_qpu.aria-1"
    else:
        from qiskit.providers import BackendV1

        assert isinstance(backend, BackendV1)
        assert backend.name() == "ionq_qpu.aria-1"
    assert backend_name(backend) == "ionq_qpu.aria-1"
    assert backend.configuration().n_qubits == 25
    assert backend.configuration().coupling_map is None


@pytest.mark.skipif(not QISKIT_2, reason="Target/max_circuits are the BackendV2 contract")
@pytest.mark.parametrize(
    "name, gateset, expected",
    [
        ("ionq_simulator", "qis", {"h", "cx", "rz", "rxx", "ccx", "measure"}),
        ("ionq_qpu.aria-1", "native", {"gpi", "gpi2", "ms", "measure", "reset"}),
        ("ionq_qpu.forte-1", "native", {"gpi", "gpi2", "zz", "measure", "reset"}),
    ],
)
def test_target_describes_exactly_the_gateset(name, gateset, expected):
    backend = IonQProvider(token="t").get_backend(name, gateset=gateset)
    target = backend.target
    assert expected <= set(target.operation_names)
    if gateset == "native":
        assert set(target.operation_names) == expected
    assert target.num_qubits == backend.configuration().n_qubits
    assert target.build_coupling_map() is None  # all-to-all
    assert backend.max_circuits is None


def test_option_validation_is_the_same_on_every_line():
    backend = IonQProvider(token="t").get_backend("ionq_simulator")
    with pytest.raises(IonQInvalidOptionError, match="out of range"):
        backend.set_options(shots=0)
    with pytest.raises(IonQInvalidOptionError, match="noise_model"):
        backend.set_options(noise_model="bogus")
    backend.set_options(shots=10, noise_model="aria-1")
    assert backend.options.shots == 10 and backend.options.noise_model == "aria-1"


@pytest.mark.parametrize("gateset", ["qis", "native"])
def test_no_deprecation_warning_from_our_code(provider, gateset):
    """Every DeprecationWarning raised while using the provider must come from the user's own
    call into Qiskit (transpile with a BackendV1 on 1.x), never from qiskit_ionq."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backend = provider.get_backend("ionq_simulator", gateset=gateset)
        compiled = transpile(bell(), backend)
        job = backend.run(compiled, shots=20)
        job.result().get_counts()
        job.get_probabilities()
        backend.status()
        provider.backends()
    ours = [
        w
        for w in caught
        if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
        and "transpile` function will stop supporting inputs of type `BackendV1`"
        not in str(w.message)
    ]
    assert not ours, [f"{w.filename}:{w.lineno}: {w.message}" for w in ours]


@pytest.mark.skipif(not QISKIT_2, reason="BackendSamplerV2/EstimatorV2 on BackendV2 (Qiskit 2)")
def test_sampler_v2_end_to_end(provider):
    from qiskit.primitives import BackendSamplerV2

    backend = provider.get_backend("ionq_simulator")
    qc = QuantumCircuit(3)
    qc.x(0)
    qc.h(1)
    qc.measure_all()
    sampler = BackendSamplerV2(backend=backend)
    result = sampler.run([transpile(qc, backend)], shots=400).result()
    counts = result[0].data.meas.get_counts()
    assert sum(counts.values()) == 400
    assert set(counts) == {"001", "011"}
    assert 120 < counts["001"] < 280


@pytest.mark.skipif(not QISKIT_2, reason="BackendSamplerV2/EstimatorV2 on BackendV2 (Qiskit 2)")
def test_estimator_v2_end_to_end(provider):
    from qiskit.primitives import BackendEstimatorV2
    from qiskit.quantum_info import SparsePauliOp

    backend = provider.get_backend("ionq_simulator", sampler_seed=11)
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    compiled = transpile(qc, backend)
    obs = SparsePauliOp.from_list([("ZZ", 1.0), ("XX", 0.5), ("ZI", 1.0)])
    estimator = BackendEstimatorV2(backend=backend, options={"default_precision": 0.01})
    evs = estimator.run([(compiled, obs.apply_layout(compiled.layout))]).result()[0].data.evs
    # <ZZ> = <XX> = 1, <ZI> = 0 for a Bell pair: 1.5 up to shot noise (precision 0.01).
    assert abs(float(evs) - 1.5) < 0.05


def test_memory_matches_counts_on_every_line(provider):
    from collections import Counter

    backend = provider.get_backend("ionq_simulator")
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.measure([0, 1], [0, 1])
    result = backend.run(qc, shots=64, memory=True, sampler_seed=3).result()
    memory = result.get_memory()
    assert len(memory) == 64
    assert Counter(memory) == Counter(result.get_counts())
