"""Provider and backends against a mocked HTTP API (requests-mock): names, options,
validation before any request, status and calibration."""

from __future__ import annotations

import datetime

import pytest
from qiskit import QuantumCircuit
from qiskit.providers.exceptions import QiskitBackendNotFoundError

from qiskit_ionq import ErrorMitigation, IonQProvider
from qiskit_ionq._qiskit_compat import backend_name
from qiskit_ionq.exceptions import IonQCircuitError, IonQInvalidOptionError

URL = "https://ionq.test/v0.3"


@pytest.fixture
def provider():
    return IonQProvider(token="unit-token", url=URL)


def measured(n: int = 1) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    qc.measure(range(n), range(n))
    return qc


@pytest.mark.parametrize(
    "asked, name",
    [
        ("ionq_simulator", "ionq_simulator"),
        ("simulator", "ionq_simulator"),
        ("qpu", "ionq_qpu"),
        ("qpu.forte-1", "ionq_qpu.forte-1"),
        ("ionq_qpu.aria-2", "ionq_qpu.aria-2"),
    ],
)
def test_names_and_aliases(provider, asked, name):
    assert backend_name(provider.get_backend(asked)) == name


def test_unknown_name_lists_valid_names(provider):
    with pytest.raises(QiskitBackendNotFoundError, match="ionq_qpu.aria-1") as info:
        provider.get_backend("ionq_nope")
    assert info.value.message.startswith("No backend matches criteria.")


LISTED = [
    {"backend": "simulator", "status": "available", "qubits": 29},
    {"backend": "qpu.aria-1", "status": "available", "qubits": 25},
    {"backend": "qpu.tempo-9", "status": "available", "qubits": 64},
]


def test_unknown_qpu_lists_what_the_api_knows(requests_mock, provider):
    requests_mock.get(f"{URL}/backends", json=LISTED)
    with pytest.raises(QiskitBackendNotFoundError, match="ionq_qpu.aria-1.*ionq_qpu.tempo-9"):
        provider.get_backend("ionq_qpu.nope")
    with pytest.raises(QiskitBackendNotFoundError, match="No backend matches criteria"):
        provider.get_backend("ionq_qpu.nope")


def test_backends_filtering(requests_mock, provider):
    requests_mock.get(f"{URL}/backends", json=LISTED)
    no_data = {"error": "Not Found", "message": "no characterization", "statusCode": 404}
    char = requests_mock.get(
        f"{URL}/characterizations/backends/qpu.tempo-9/current", status_code=404, json=no_data
    )
    listed = {backend_name(b): b for b in provider.backends()}
    assert listed["ionq_qpu.tempo-9"].configuration().n_qubits == 64  # from the API
    assert char.called and listed["ionq_qpu.tempo-9"].configuration().coupling_map is None
    qpus = provider.backends(simulator=False)
    assert qpus and all(not b.configuration().simulator for b in qpus)
    assert [backend_name(b) for b in provider.backends("simulator")] == ["ionq_simulator"]
    assert provider.backends(filters=lambda b: b.configuration().n_qubits == 11)


def test_configuration_per_gateset(provider):
    qis = provider.get_backend("ionq_qpu.aria-1").configuration()
    native = provider.get_backend("ionq_qpu.aria-1", gateset="native").configuration()
    forte = provider.get_backend("ionq_qpu.forte-1", gateset="native").configuration()
    assert "cx" in qis.basis_gates and "ms" not in qis.basis_gates
    assert {"gpi", "gpi2", "ms"} <= set(native.basis_gates) and "zz" not in native.basis_gates
    assert "zz" in forte.basis_gates and forte.n_qubits == 36
    assert qis.coupling_map is None


def test_default_options(provider):
    sim = provider.get_backend("ionq_simulator")
    assert sim.options.shots == 1024 and sim.options.noise_model == "ideal"
    assert sim.options.sampler_seed is None and sim.options.job_settings is None
    assert not hasattr(provider.get_backend("ionq_qpu").options, "noise_model")


@pytest.mark.parametrize(
    "options, match",
    [
        ({"shots": 0}, "out of range"),
        ({"shots": -5}, "out of range"),
        ({"shots": 2.5}, "positive integer"),
        ({"shots": 10.0}, "shots=10"),
        ({"shots": True}, "positive integer"),
        ({"shots": 10**7}, "out of range"),
        ({"noise_model": "aria-9"}, "noise_model"),
        ({"sampler_seed": "x"}, "sampler_seed"),
        ({"error_mitigation": "yes"}, "error_mitigation"),
        ({"job_settings": [1]}, "job_settings"),
    ],
)
def test_invalid_options_raise_before_any_request(requests_mock, provider, options, match):
    backend = provider.get_backend("ionq_simulator")
    with pytest.raises(IonQInvalidOptionError, match=match):
        backend.run(measured(), **options)
    assert requests_mock.call_count == 0


def test_unknown_option_warns_and_no_measurement_warns(requests_mock, provider):
    requests_mock.post(f"{URL}/jobs", json={"id": "j", "status": "ready"})
    backend = provider.get_backend("ionq_simulator")
    with pytest.warns(UserWarning, match="Option colour is not used"):
        backend.run(measured(), colour="red")
    with pytest.warns(UserWarning, match="no measurements"):
        backend.run(QuantumCircuit(1, 1))


def test_too_wide_for_target_or_noise_model(requests_mock, provider):
    with pytest.raises(IonQCircuitError, match="has 11"):
        provider.get_backend("ionq_qpu.harmony").run(measured(12))
    with pytest.raises(IonQCircuitError, match="noise_model='aria-1'"):
        provider.get_backend("ionq_simulator").run(measured(26), noise_model="aria-1")
    assert requests_mock.call_count == 0


def test_error_mitigation_and_settings_reach_the_body(requests_mock, provider):
    post = requests_mock.post(f"{URL}/jobs", json={"id": "j", "status": "ready"})
    provider.get_backend("ionq_qpu.aria-1").run(
        measured(), error_mitigation=ErrorMitigation.NO_DEBIASING, job_settings={"k": 1}
    )
    body = post.last_request.json()
    assert body["error_mitigation"] == {"debias": False}
    assert body["settings"] == {"k": 1}


def test_status_from_backends_route(requests_mock, provider):
    requests_mock.get(
        f"{URL}/backends",
        json=[{"backend": "qpu.aria-1", "status": "unavailable", "qubits": 25},
              {"backend": "simulator", "status": "available", "qubits": 29}],
    )  # fmt: skip
    # The form per Qiskit line is pinned in test/compat; both say the same thing here.
    simulator = provider.get_backend("ionq_simulator").status()
    assert getattr(simulator, "operational", simulator) is True
    status = provider.get_backend("ionq_qpu.aria-1").status()
    assert getattr(status, "operational", status) is False
    assert getattr(status, "status_msg", "unavailable") == "unavailable"


def test_calibration(requests_mock, provider):
    requests_mock.get(
        f"{URL}/characterizations/backends/qpu.aria-1/current",
        json={"id": "cal-1", "date": 1700000000, "backend": "qpu.aria-1", "qubits": 25,
              "connectivity": [[0, 1]], "fidelity": {"2q": {"mean": 0.99}},
              "timing": {"t1": 10}},
    )  # fmt: skip
    cal = provider.get_backend("ionq_qpu.aria-1").calibration()
    assert cal.uuid == "cal-1" and cal.num_qubits == 25 and cal.target == "qpu.aria-1"
    assert cal.calibration_time == datetime.datetime(2023, 11, 14, 22, 13, 20,
                                                     tzinfo=datetime.timezone.utc)  # fmt: skip
    assert cal.fidelities["2q"]["mean"] == 0.99 and cal.connectivity == [(0, 1)]
    assert provider.get_backend("ionq_simulator").calibration() is None


def test_with_name_and_set_options(provider):
    backend = provider.get_backend("ionq_qpu")
    other = backend.with_name("ionq_qpu.aria-2", shots=77)
    assert backend_name(other) == "ionq_qpu.aria-2" and other.options.shots == 77
    with pytest.raises(IonQInvalidOptionError, match="Unknown option"):
        backend.set_options(bogus=1)
