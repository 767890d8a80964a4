"""Code written for earlier qiskit-ionq releases: the error classes and messages it relies on.

Where the 0.5 releases (Qiskit < 2) and the 1.x releases (Qiskit 2) differ, each test checks
the behaviour of the line that matches the installed Qiskit.
"""

from __future__ import annotations

import json
import pickle
import warnings

import pytest
import requests
from compat_support import FakeResponse, bell
from qiskit import QuantumCircuit
from qiskit.providers import JobError

from qiskit_ionq import IonQProvider
from qiskit_ionq._qiskit_compat import QISKIT_2
from qiskit_ionq.exceptions import (
    IonQAPIError,
    IonQCredentialsError,
    IonQGateError,
    IonQJobFailureError,
    IonQJobStateError,
    IonQJobTimeoutError,
    IonQMidCircuitMeasurementError,
    IonQRetriableError,
)
from qiskit_ionq.ionq_backend import IonQSimulatorBackend
from qiskit_ionq.ionq_job import IonQJob

# -- IonQAPIError ------------------------------------------------------------------------------


def test_api_error_positional_fields_are_stored_as_given_and_pickle():
    headers, body = {"X-Id": "1"}, b"raw bytes"
    error = IonQAPIError("went wrong", 418, headers, body, ["a", "type"])
    assert error.message == "went wrong"
    assert error.status_code == 418
    assert error.headers is headers  # not copied or converted
    assert error.body is body
    assert error.error_type == ["a", "type"]
    clone = pickle.loads(pickle.dumps(error))
    fields = ("message", "status_code", "headers", "body", "error_type")
    assert [getattr(clone, f) for f in fields] == [getattr(error, f) for f in fields]


@pytest.mark.parametrize(
    "body, message, error_type",
    [
        # "code": only its message is read, the type keeps its default.
        ({"code": 400, "message": "coded", "error": "ignored"}, "coded", "internal_error"),
        # "statusCode": message from "message", type from "error".
        ({"statusCode": 400, "error": "Bad Request", "message": "shots"}, "shots", "Bad Request"),
        # an "error" object supplies both.
        ({"error": {"type": "invalid_input", "message": "nested"}}, "nested", "invalid_input"),
        # nothing readable: the defaults.
        ({"unexpected": True}, "No error details provided.", "internal_error"),
        ({"error": {}}, "No error details provided.", "internal_error"),
    ],
)
def test_from_response_reads_each_body_shape(body, message, error_type):
    response = FakeResponse(400, body)
    error = IonQAPIError.from_response(response)
    assert (error.message, error.error_type, error.status_code) == (message, error_type, 400)
    assert error.body == response.text  # the text, not the decoded JSON
    assert error.headers is response.headers


def test_from_response_counts_an_undecodable_body_as_empty():
    response = FakeResponse(502, text="<html>502 Bad Gateway</html>")
    error = IonQAPIError.from_response(response)
    assert error.message == "No error details provided."
    assert error.error_type == "internal_error"
    assert error.body == "<html>502 Bad Gateway</html>"


def test_from_response_on_a_real_response_through_a_socket(emulator):
    """A real ``requests`` response from the local emulator (a job that does not exist)."""
    response = requests.get(
        f"{emulator.url}/jobs/no-such-job", headers={"Authorization": "apiKey k"}, timeout=5
    )
    error = IonQAPIError.from_response(response)
    assert error.status_code == 404
    assert error.body == response.text and error.headers is response.headers
    assert error.message == response.json().get("message")
    assert error.message != "No error details provided."
    with pytest.raises(IonQAPIError) as info:
        IonQAPIError.raise_for_status(response)  # 404 is not retriable on any line
    assert not isinstance(info.value, IonQRetriableError)
    assert (
        IonQAPIError.raise_for_status(requests.get(f"{emulator.url}/backends", timeout=5)) is None
    )


@pytest.mark.parametrize("status", [200, 201, 204, 302])
def test_raise_for_status_success_per_line(status):
    response = FakeResponse(status, {"ok": True})
    if status == 200 or QISKIT_2:  # 1.x lets anything below 400 through; 0.5 only 200
        assert IonQAPIError.raise_for_status(response) is None
    else:
        with pytest.raises(IonQAPIError) as info:
            IonQAPIError.raise_for_status(response)
        assert not isinstance(info.value, IonQRetriableError)
        assert info.value.status_code == status


RETRIABLE_05 = {500, 502, 503, *range(520, 530)}
RETRIABLE_1X = {429, 502, 503, 504, *range(520, 530)}


@pytest.mark.parametrize("status", [400, 404, 429, 500, 502, 503, 504, 520, 529, 530])
def test_raise_for_status_retriable_per_line(status):
    retriable = status in (RETRIABLE_1X if QISKIT_2 else RETRIABLE_05)
    body = {"statusCode": status, "error": "Err", "message": f"status {status}"}
    with pytest.raises(IonQAPIError if not retriable else IonQRetriableError) as info:
        IonQAPIError.raise_for_status(FakeResponse(status, body))
    if retriable:
        wrapper = info.value
        assert isinstance(wrapper._cause, IonQAPIError)
        assert wrapper.__cause__ is wrapper._cause
        assert wrapper._cause.status_code == status
        assert wrapper.message == wrapper._cause.message == f"status {status}"
    else:
        assert info.value.status_code == status and info.value.message == f"status {status}"


@pytest.mark.parametrize("method, retriable", [("GET", True), ("POST", False), ("PUT", False)])
def test_409_is_retriable_only_on_get(method, retriable):
    response = FakeResponse(409, {"statusCode": 409, "error": "Conflict"}, method=method)
    with pytest.raises(IonQAPIError if not retriable else IonQRetriableError) as info:
        IonQAPIError.raise_for_status(response)
    assert isinstance(info.value, IonQRetriableError) == retriable


def test_gate_errors_are_job_errors_with_the_earlier_repr():
    gate_error = IonQGateError("u3", "native")
    assert isinstance(gate_error, JobError)
    assert repr(gate_error) == "IonQGateError(gate_name='u3', gateset='native')"
    assert isinstance(IonQMidCircuitMeasurementError(1, "x"), JobError)
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    qc.x(0)
    backend = IonQProvider(token="t").get_backend("ionq_simulator")
    with pytest.raises(JobError):  # code written with `except JobError` keeps working
        backend.run(qc)


# -- credentials -------------------------------------------------------------------------------


class _Provider:
    def __init__(self, credentials):
        if credentials is not None:
            self.credentials = credentials


@pytest.mark.parametrize(
    "credentials, opening",
    [
        ({"url": "http://127.0.0.1:1/v0.3"}, "Credentials `token` not present in provider."),
        ({"token": None, "url": "u"}, "Credentials `token` may not be None!"),
        ({"token": "t"}, "Credentials `url` not present in provider."),
        ({"token": "t", "url": None}, "Credentials `url` may not be None!"),
        ({}, "Credentials `token` not present in provider."),  # token is checked first
        (None, "Credentials `token` not present in provider."),  # no credentials attribute
    ],
)
def test_creating_a_backend_client_checks_provider_credentials(credentials, opening):
    backend = IonQSimulatorBackend(provider=_Provider(credentials))
    for create in (backend._create_client, backend.create_client, lambda: backend.client):
        with pytest.raises(IonQCredentialsError) as info:
            create()
        assert info.value.message.startswith(opening)


def test_a_provider_without_token_says_so_when_the_backend_needs_its_client():
    provider = IonQProvider()  # no argument, no environment, no .env
    assert "token" in provider.credentials  # the attribute earlier code reads
    backend = provider.get_backend("ionq_simulator")
    with pytest.raises(IonQCredentialsError) as info:
        backend.run(bell())
    assert info.value.message.startswith("Credentials `token` may not be None!")
    assert "QISKIT_IONQ_API_TOKEN" in info.value.message  # and how to fix it


# -- job errors and warnings -------------------------------------------------------------------


def test_failed_job_message(provider):
    client = provider.client
    too_wide = {  # 30 qubits on the 29-qubit simulator: the API fails the job
        "target": "simulator",
        "shots": 10,
        "input": {
            "format": "ionq.circuit.v0",
            "qubits": 30,
            "circuit": [{"gate": "x", "target": 29}],
        },
    }
    job_id = client.submit_job(too_wide)["id"]
    job = provider.get_backend("ionq_simulator").retrieve_job(job_id)
    with pytest.raises(IonQJobFailureError) as info:
        job.wait_for_final_state(timeout=30, wait=0.05)
    message = info.value.message
    code = info.value.error_code
    assert message.startswith(
        f'Unable to retrieve result for job {job_id}. Failure from IonQ API "{code}: '
    )
    assert code == "NotEnoughQubits"


def test_cancelled_job_message(provider, emulator):
    emulator.job_delays = {"ready": 60.0}  # the job waits in the queue until cancelled
    backend = provider.get_backend("ionq_simulator")
    job = backend.run(bell(), shots=10)
    assert job.cancel()
    with pytest.raises(IonQJobStateError) as info:
        job.result()
    assert info.value.message.startswith(f"Cannot retrieve result for canceled job {job.job_id()}")


def test_job_without_circuit_message():
    backend = IonQProvider(token="t").get_backend("ionq_simulator")
    with pytest.raises(IonQJobStateError) as info:
        IonQJob(backend, None).submit()
    assert info.value.message.startswith(
        "Cannot submit a job without a circuit. Please create a job with a circuit and try again."
    )


def test_timeout_message():
    from qiskit_ionq.emulator import IonQEmulator

    with IonQEmulator(job_delays={"ready": 60.0}) as emu:
        job = emu.provider().get_backend("ionq_simulator").run(bell(), shots=10)
        with pytest.raises(IonQJobTimeoutError) as info:
            job.wait_for_final_state(timeout=0.05, wait=0.01)
        assert info.value.message.startswith("Timed out waiting for job to complete.")
        job.cancel()


def test_no_measurement_warning(provider):
    qc = QuantumCircuit(1)
    qc.x(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        provider.get_backend("ionq_simulator").run(qc, shots=10)
    texts = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert any(t.startswith("Circuit is not measuring any qubits") for t in texts), texts


def test_retriable_error_round_trips_through_pickle():
    api = IonQAPIError("busy", 503, {}, json.dumps({"message": "busy"}), "Service Unavailable")
    wrapper = pickle.loads(pickle.dumps(IonQRetriableError(api)))
    assert wrapper._cause == api and wrapper.message == "busy"
