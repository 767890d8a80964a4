"""Code written for earlier qiskit-ionq releases: provider and backend behaviour it relies on.

Where the 0.5 releases (Qiskit < 2) and the 1.x releases (Qiskit 2) differ, each test checks
the behaviour of the line that matches the installed Qiskit.
"""

from __future__ import annotations

import json

import pytest
from compat_support import CannedAPI, bell, closed_port_url
from qiskit import transpile

from qiskit_ionq import IonQProvider
from qiskit_ionq._qiskit_compat import QISKIT_2, backend_name
from qiskit_ionq.helpers import qiskit_to_ionq
from qiskit_ionq.ionq_backend import IonQBackend, IonQQPUBackend, IonQSimulatorBackend

# -- provider.backends -------------------------------------------------------------------------


def test_backends_is_callable_with_one_attribute_per_backend():
    provider = IonQProvider(token="t")
    listed = provider.backends()
    names = [backend_name(b) for b in listed]
    assert names[:2] == ["ionq_simulator", "ionq_qpu"] and "ionq_qpu.aria-1" in names
    assert backend_name(provider.backends.ionq_simulator) == "ionq_simulator"
    assert backend_name(provider.backends.ionq_qpu) == "ionq_qpu"
    assert backend_name(getattr(provider.backends, "ionq_qpu.forte-1")) == "ionq_qpu.forte-1"
    for name in names:
        assert getattr(provider.backends, name) == provider.get_backend(name)
    with pytest.raises(AttributeError):
        _ = provider.backends.ionq_nope


def test_backends_keeps_names_starting_with_name_then_filters():
    provider = IonQProvider(token="t")
    qpus = [backend_name(b) for b in provider.backends("ionq_qpu")]
    assert qpus and all(n.startswith("ionq_qpu") for n in qpus) and "ionq_qpu" in qpus
    assert [backend_name(b) for b in provider.backends("ionq_simulator")] == ["ionq_simulator"]
    # Qiskit's filter_backends: configuration fields as keywords, then the filters callable.
    assert [backend_name(b) for b in provider.backends(simulator=True)] == ["ionq_simulator"]
    forte = provider.backends("ionq_qpu", filters=lambda b: b.configuration().n_qubits == 36)
    assert {backend_name(b) for b in forte} == {"ionq_qpu.forte-1", "ionq_qpu.forte-enterprise-1"}
    assert provider.backends("ionq_qpu.harmony", n_qubits=11)
    assert provider.backends("ionq_qpu.harmony", n_qubits=12) == []


# -- any ionq_qpu.<name> -----------------------------------------------------------------------


def _listing(entries):
    return {("GET", "/v0.3/backends"): (200, entries)}


def test_any_qpu_name_is_a_backend_with_qubits_from_the_api():
    entries = [{"backend": "qpu.sub-1", "status": "available", "qubits": 42}]
    with CannedAPI(_listing(entries)) as api:
        provider = IonQProvider(token="t", url=api.url)
        backend = provider.get_backend("qpu.sub-1")  # the missing ionq_ is added
        assert backend_name(backend) == "ionq_qpu.sub-1"
        assert backend.configuration().n_qubits == 42
        assert backend._api_backend_name == "qpu.sub-1"
        assert ("GET", "/v0.3/backends") in api.requests
    body = json.loads(qiskit_to_ionq(bell(), backend))
    assert body["target"] == "qpu.sub-1"  # the API target is the name without ionq_
    if QISKIT_2:
        assert backend.target.num_qubits == 42


def test_a_new_qpu_falls_back_when_the_api_cannot_be_asked():
    provider = IonQProvider(token="t", url=closed_port_url())
    backend = provider.get_backend("ionq_qpu.sub-2")
    assert backend_name(backend) == "ionq_qpu.sub-2"
    assert backend.configuration().n_qubits == 100  # get_n_qubits' fallback
    simulator = provider.get_backend("ionq_simulator.later")
    assert isinstance(simulator, IonQSimulatorBackend)


# -- equality and hashing ----------------------------------------------------------------------


def test_backends_compare_by_kind_name_and_gateset():
    provider = IonQProvider(token="t")
    a, b = provider.get_backend("ionq_qpu.aria-1"), provider.get_backend("qpu.aria-1")
    assert a is not b  # a new object on each call
    assert a == b and not (a != b)
    assert a != provider.get_backend("ionq_qpu.aria-1", gateset="native")
    assert a != provider.get_backend("ionq_qpu.aria-2")
    other_kind = IonQSimulatorBackend(provider=provider, name="ionq_qpu.aria-1")
    assert a != other_kind  # same name and gateset, different kind
    assert a != "ionq_qpu.aria-1"


def test_equal_backends_hash_alike():
    provider = IonQProvider(token="t")
    a, b = provider.get_backend("ionq_simulator"), provider.get_backend("simulator")
    assert hash(a) == hash(b)
    assert len({a, b, provider.get_backend("ionq_simulator", gateset="native")}) == 2


# -- constructors ------------------------------------------------------------------------------


class KeywordBackend(IonQBackend):
    """A backend subclass built the Qiskit-2 way, as 1.x-era code writes it."""

    def __init__(self, provider, **options):
        super().__init__(
            provider=provider,
            name="ionq_simulator",
            description="a keyword-built simulator",
            gateset="qis",
            num_qubits=12,
            simulator=True,
            **options,
        )


def test_keyword_constructor_builds_a_working_backend(provider):
    backend = KeywordBackend(provider, shots=7)
    assert backend_name(backend) == "ionq_simulator"
    assert backend.configuration().n_qubits == 12
    assert backend.configuration().backend_version == "0.0.1"
    assert backend.configuration().description == "a keyword-built simulator"
    assert backend.options.shots == 7
    assert backend._api_backend_name == "simulator"
    client = backend._create_client()
    assert client.url == provider.credentials["url"]
    counts = backend.run(transpile(bell(), backend)).result().get_counts()
    assert sum(counts.values()) == 7 and set(counts) <= {"00", "11"}
    if QISKIT_2:
        assert backend.target.num_qubits == 12
        assert backend.backend_version == "0.0.1"


def test_keyword_constructor_defaults():
    backend = IonQQPUBackend(
        provider=IonQProvider(token="t"),
        name="ionq_qpu.aria-1",
        description="d",
        gateset="native",
        num_qubits=25,
        simulator=False,
        max_shots=500,
        max_experiments=3,
    )
    config = backend.configuration()
    assert (config.max_shots, config.max_experiments, config.simulator) == (500, 3, False)
    assert backend.gateset() == "native"


class MockBackend(IonQBackend):
    """A mock backend built from a configuration, as tools built them for 0.5."""

    def gateset(self):
        return "qis"

    def with_name(self, name, **kwargs):
        return self


def test_configuration_constructor_subclass_works_as_a_backend(provider):
    config = IonQProvider(token="t").get_backend("ionq_simulator").configuration()
    config = config.to_dict()
    backend = MockBackend(config, provider=provider)
    assert backend.configuration().n_qubits == 29
    result = backend.run(transpile(bell(), backend), shots=20).result()
    assert sum(result.get_counts().values()) == 20
    assert backend.with_name("anything") is backend


# -- status ------------------------------------------------------------------------------------


@pytest.mark.skipif(QISKIT_2, reason="0.5 behaviour: a BackendStatus (Qiskit < 2)")
def test_status_below_qiskit_2_is_a_backend_status_even_offline():
    from qiskit.providers.models import BackendStatus

    backend = IonQProvider(token="t", url=closed_port_url()).get_backend("ionq_qpu.aria-1")
    status = backend.status()  # the API cannot be asked: no error
    assert isinstance(status, BackendStatus)
    assert status.backend_name == "ionq_qpu.aria-1"
    assert status.backend_version == "1"
    assert status.operational is True and status.pending_jobs == 0 and status.status_msg == ""


@pytest.mark.skipif(QISKIT_2, reason="0.5 behaviour: a BackendStatus (Qiskit < 2)")
def test_status_below_qiskit_2_reports_the_api_listing():
    entries = [{"backend": "qpu.aria-1", "status": "unavailable", "qubits": 25}]
    with CannedAPI(_listing(entries)) as api:
        status = IonQProvider(token="t", url=api.url).get_backend("ionq_qpu.aria-1").status()
    assert status.operational is False and status.status_msg == "unavailable"
    assert status.backend_version == "1"


@pytest.mark.skipif(not QISKIT_2, reason="1.x behaviour: a bool (Qiskit >= 2)")
def test_status_from_qiskit_2_is_a_bool():
    entries = [
        {"backend": "qpu.aria-1", "status": "available", "qubits": 25},
        {"backend": "qpu.forte-1", "status": "unavailable", "qubits": 36},
    ]
    with CannedAPI(_listing(entries)) as api:
        provider = IonQProvider(token="t", url=api.url)
        assert provider.get_backend("ionq_simulator").status() is True
        assert provider.get_backend("ionq_qpu.aria-1").status() is True
        assert provider.get_backend("ionq_qpu.forte-1").status() is False
    offline = IonQProvider(token="t", url=closed_port_url())
    assert offline.get_backend("ionq_simulator").status() is True
    assert offline.get_backend("ionq_qpu.aria-1").status() is False  # cannot confirm


# -- native Target -----------------------------------------------------------------------------


@pytest.mark.skipif(not QISKIT_2, reason="the Target is the BackendV2 (Qiskit >= 2) contract")
@pytest.mark.parametrize(
    "name, two_qubit",
    [("ionq_qpu.aria-1", "ms"), ("ionq_qpu.forte-1", "zz"), ("ionq_simulator", "ms")],
)
def test_native_target_has_one_entangler(name, two_qubit):
    backend = IonQProvider(token="t").get_backend(name, gateset="native")
    names = set(backend.target.operation_names)
    assert names == {"gpi", "gpi2", two_qubit, "measure", "reset"}


@pytest.mark.skipif(not QISKIT_2, reason="the Target is the BackendV2 (Qiskit >= 2) contract")
def test_native_simulator_target_follows_the_noise_model(provider):
    backend = provider.get_backend("ionq_simulator", gateset="native", noise_model="forte-1")
    assert "zz" in backend.target.operation_names and "ms" not in backend.target.operation_names
    backend.set_options(noise_model="aria-1")
    assert "ms" in backend.target.operation_names and "zz" not in backend.target.operation_names
    compiled = transpile(bell(), backend)
    assert set(compiled.count_ops()) <= {"gpi", "gpi2", "ms", "measure"}
    counts = backend.run(compiled, shots=50, noise_model="ideal").result().get_counts()
    assert set(counts) <= {"00", "11"} and sum(counts.values()) == 50
