"""Every bad input is answered clearly: the exact error type and a message saying what to change.

Each case goes through a public seam (provider, backend, job, client) against the emulator,
or against ``requests-mock`` where a server answer the emulator never gives is needed (other
error-body shapes, a truncated 200, an unknown status, a histogram wider than the job).
Exception types are checked exactly (``type(err) is X``), not by ``isinstance``: a caller
catching the documented type must get that type.

The cases (see ``CASES_COVERED`` at the end, checked to be at least 25):
unsupported gate, reset, unbound parameter, mid-circuit measurement, classical condition
(if_test, and c_if below Qiskit 2), no measurements (warning), too many qubits for the
target and for a noise model, shots 0 / negative / fractional / integral float / string /
above the limit, unknown backend name, unknown gateset, unknown noise model, unknown option
(warning), a native gate on the QIS gateset, a QIS gate on the native gateset, mixed gatesets
in one job, empty circuit list, a non-circuit, metadata value / key / key count over the
vendor limit and a reserved metadata key, bad error_mitigation / sampler_seed / job_settings,
missing token, plain-http URL, non-http URL, rejected token (401 and 403), unknown job id
(404), empty job id, resubmitting a job, result of a failed job, result of a cancelled job,
an HTML 502 body, each JSON error-body shape, truncated/invalid JSON in a 200, an unknown
job status string, a histogram with keys wider than the register.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from typing import Any, Iterator

import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.providers.exceptions import QiskitBackendNotFoundError

from qiskit_ionq import GPIGate, IonQProvider
from qiskit_ionq.api.retry import RetryPolicy
from qiskit_ionq.constants import MAX_SHOTS, SUBMISSION_ID_KEY
from qiskit_ionq.emulator import IonQEmulator
from qiskit_ionq.exceptions import (
    IonQAPIError,
    IonQAuthenticationError,
    IonQBackendError,
    IonQBackendNotFoundError,
    IonQCircuitError,
    IonQClientError,
    IonQCredentialsError,
    IonQGateError,
    IonQInvalidOptionError,
    IonQJobError,
    IonQJobFailureError,
    IonQJobStateError,
    IonQMidCircuitMeasurementError,
)
from qiskit_ionq.ionq_client import IonQClient
from qiskit_ionq.ionq_job import IonQJob

TOKEN = "tok-bad-input"
MOCK_URL = "https://api.ionq.test/v0.3"
CASES_COVERED: set = set()


@contextlib.contextmanager
def raises_exactly(case: str, exc_type: type, *fragments: str) -> Iterator[Any]:
    """Expect exactly ``exc_type`` whose message holds every fragment (what to change)."""
    with pytest.raises(Exception) as info:
        yield info
    error = info.value
    assert type(error) is exc_type, f"{case}: got {type(error).__name__}: {error}"
    for fragment in fragments:
        assert fragment in str(error), f"{case}: {fragment!r} not in {str(error)!r}"
    CASES_COVERED.add(case)


@contextlib.contextmanager
def warns_exactly(case: str, category: type, *fragments: str) -> Iterator[None]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    matching = [w for w in caught if w.category is category]
    assert matching, f"{case}: no {category.__name__} among {[str(w.message) for w in caught]}"
    text = " ".join(str(w.message) for w in matching)
    for fragment in fragments:
        assert fragment in text, f"{case}: {fragment!r} not in {text!r}"
    CASES_COVERED.add(case)


def dynamic_refused(api_version: str, case: str, v03_type: type, *v03_fragments: str) -> Any:
    """What a dynamic circuit (mid-circuit measurement, reset, condition) gets on the ideal
    simulator: on v0.3 the serializer's refusal; on v0.4 it would run as OpenQASM 3, which the
    ideal simulator cannot (it keeps no shots), so that is the error."""
    if api_version == "v0.4":
        return raises_exactly(case, IonQCircuitError, "ideal simulator", "noise_model")
    return raises_exactly(case, v03_type, *v03_fragments)


def measured(n: int = 1) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    qc.measure(range(n), range(n))
    return qc


@pytest.fixture
def backend(provider):
    return provider.get_backend("ionq_simulator")


# -- circuits ---------------------------------------------------------------------------
def test_unsupported_gate(backend):
    qc = QuantumCircuit(3, 3)
    qc.cswap(0, 1, 2)
    qc.measure(range(3), range(3))
    with raises_exactly("unsupported gate", IonQGateError, "'cswap'", "Transpile") as info:
        backend.run(qc)
    assert info.value.gate_name == "cswap" and info.value.gateset == "qis"


def test_reset_is_an_unsupported_gate(backend, api_version):
    qc = QuantumCircuit(1, 1)
    qc.reset(0)
    qc.measure(0, 0)
    with dynamic_refused(api_version, "reset", IonQGateError, "'reset'", "qiskit.transpile"):
        backend.run(qc)


def test_unbound_parameter(backend):
    theta = Parameter("theta")
    qc = QuantumCircuit(1, 1)
    qc.rx(theta, 0)
    qc.measure(0, 0)
    with raises_exactly("unbound parameter", IonQCircuitError, "theta", "assign_parameters"):
        backend.run(qc)


def test_mid_circuit_measurement(backend, api_version):
    qc = QuantumCircuit(2, 2)
    qc.measure(0, 0)
    qc.x(0)
    qc.measure(1, 1)
    with dynamic_refused(
        api_version,
        "mid-circuit measurement",
        IonQMidCircuitMeasurementError,
        "'x'",
        "qubit 0",
        "move the measurement after the last gate",
    ) as info:
        backend.run(qc)
    if api_version == "v0.3":
        assert info.value.qubit_index == 0 and info.value.gate_name == "x"


def test_classical_condition_if_test(backend, api_version):
    qc = QuantumCircuit(2, 2)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)
    qc.measure(1, 1)
    case = "classical condition (if_test)"
    with dynamic_refused(api_version, case, IonQCircuitError, "Remove the condition"):
        backend.run(qc)


def test_classical_condition_c_if(backend, api_version):
    qc = QuantumCircuit(2, 2)
    if not hasattr(qc.x(0), "c_if"):
        pytest.skip("Qiskit 2 has no c_if (if_test is covered above)")
    qc = QuantumCircuit(2, 2)
    qc.measure(0, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # c_if is deprecated on 1.x
        qc.x(1).c_if(qc.clbits[0], 1)
    qc.measure(1, 1)
    case = "classical condition (c_if)"
    with dynamic_refused(api_version, case, IonQCircuitError, "Remove the condition"):
        backend.run(qc)


def test_no_measurements_warns(backend, emulator):
    qc = QuantumCircuit(1, name="unmeasured")
    qc.h(0)
    with warns_exactly("no measurements", UserWarning, "'unmeasured'", "measure_all()"):
        job = backend.run(qc, shots=10)
    assert job.job_id()  # a warning, not an error: the job still runs


def test_too_many_qubits_for_the_target(backend, emulator):
    with raises_exactly(
        "too many qubits", IonQCircuitError, "30 qubits", "has 29", "Reduce the circuit width"
    ):
        backend.run(measured(30))
    assert emulator.stats()["requests_total"] == 0  # refused before any request


def test_too_many_qubits_for_the_noise_model(backend):
    with raises_exactly(
        "too many qubits for a noise model",
        IonQCircuitError,
        "noise_model='aria-1'",
        "has 25",
        "choose a larger target",
    ):
        backend.run(measured(26), noise_model="aria-1")


# -- run options ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "case, shots, fragments",
    [
        ("shots 0", 0, ("shots=0", f"use 1 to {MAX_SHOTS} shots")),
        ("shots negative", -5, ("shots=-5", f"use 1 to {MAX_SHOTS} shots")),
        ("shots fractional", 10.5, ("10.5", "must be a positive integer")),
        ("shots integral float", 100.0, ("100.0", "use shots=100")),
        ("shots string", "100", ("'100'", "must be a positive integer")),
        ("shots above the limit", MAX_SHOTS + 1, (f"shots={MAX_SHOTS + 1}", f"1 to {MAX_SHOTS}")),
    ],
)
def test_bad_shots(backend, emulator, case, shots, fragments):
    with raises_exactly(case, IonQInvalidOptionError, *fragments):
        backend.run(measured(), shots=shots)
    assert emulator.stats()["requests_total"] == 0


def test_bad_shots_as_a_default_option(backend):
    with raises_exactly("shots default", IonQInvalidOptionError, "use 1 to"):
        backend.set_options(shots=0)


def test_unknown_backend_name(provider):
    with raises_exactly(
        "unknown backend name",
        IonQBackendNotFoundError,  # also Qiskit's QiskitBackendNotFoundError
        "No backend matches criteria.",
        "'ionq_nope'",
        "ionq_qpu.aria-1",
    ) as info:
        provider.get_backend("ionq_nope")
    assert isinstance(info.value, QiskitBackendNotFoundError)


def test_unknown_gateset(provider):
    with raises_exactly("unknown gateset", IonQBackendError, "'nat'", "use 'qis'", "'native'"):
        provider.get_backend("ionq_simulator", gateset="nat")


def test_unknown_noise_model(backend):
    with raises_exactly(
        "unknown noise model", IonQInvalidOptionError, "'aria-9'", "choose one of", "aria-1"
    ):
        backend.run(measured(), noise_model="aria-9")


def test_unknown_option_warns(backend):
    # A name far from every option may belong to another provider: a warning, as before.
    with warns_exactly(
        "unknown option", UserWarning, "Option optimization_level is not used by this backend"
    ):
        backend.run(measured(), shots=10, optimization_level=5)


@pytest.mark.parametrize(
    "options, meant",
    [
        ({"shotz": 5}, "shots"),
        ({"shot": 100}, "shots"),
        ({"noise": "aria-1"}, "noise_model"),
        ({"smapler_seed": 3}, "sampler_seed"),
        ({"Shots": 3}, "shots"),
    ],
)
def test_misspelled_option_is_an_error_naming_the_closest(emulator, options, meant):
    backend = IonQProvider(TOKEN, emulator.url).get_backend("ionq_simulator")
    with raises_exactly("misspelled option", IonQInvalidOptionError, f"did you mean `{meant}`"):
        backend.run(measured(), **options)
    assert emulator.stats()["jobs_created"] == 0  # refused before anything was sent


@pytest.mark.parametrize(
    "case, options, fragments",
    [
        ("bad error_mitigation", {"error_mitigation": "yes"}, ("ErrorMitigation.DEBIASING",)),
        ("bad sampler_seed", {"sampler_seed": "x"}, ("sampler_seed must be an integer",)),
        ("bad job_settings", {"job_settings": [1]}, ("job_settings must be a dict",)),
    ],
)
def test_bad_option_values(backend, case, options, fragments):
    with raises_exactly(case, IonQInvalidOptionError, *fragments):
        backend.run(measured(), **options)


# -- gatesets ---------------------------------------------------------------------------
def test_native_gate_on_the_qis_gateset(backend):
    qc = QuantumCircuit(1, 1)
    qc.append(GPIGate(0.1), [0])
    qc.measure(0, 0)
    with raises_exactly(
        "wrong gateset for a native gate", IonQGateError, "'gpi'", "use the 'native' gateset"
    ):
        backend.run(qc)


def test_qis_gate_on_the_native_gateset(provider):
    native = provider.get_backend("ionq_simulator", gateset="native")
    qc = QuantumCircuit(1, 1)
    qc.h(0)
    qc.measure(0, 0)
    with raises_exactly(
        "qis gate on native", IonQGateError, "'h'", "'native' gateset", "Transpile"
    ):
        native.run(qc)


def test_mixed_gatesets(provider, emulator):
    native = provider.get_backend("ionq_simulator", gateset="native")
    gpi = QuantumCircuit(1, 1)
    gpi.append(GPIGate(0.1), [0])
    gpi.measure(0, 0)
    qis = QuantumCircuit(1, 1)
    qis.h(0)
    qis.measure(0, 0)
    # One job whose circuits use different gatesets: refused whole, before any request.
    with raises_exactly("mixed gatesets", IonQGateError, "'h'", "Transpile"):
        native.run([gpi, qis])
    assert emulator.stats()["requests_total"] == 0


def test_mixed_gates_in_one_circuit(provider):
    native = provider.get_backend("ionq_simulator", gateset="native")
    qc = QuantumCircuit(1, 1)
    qc.append(GPIGate(0.1), [0])
    qc.sx(0)
    qc.measure(0, 0)
    with raises_exactly("mixed gates in a circuit", IonQGateError, "'sx'", "Transpile"):
        native.run(qc)


def test_empty_circuit_list(backend):
    with raises_exactly("empty circuit list", IonQCircuitError, "pass at least one circuit"):
        backend.run([])


def test_not_a_circuit(backend):
    with raises_exactly("not a circuit", IonQCircuitError, "expects QuantumCircuit", "str"):
        backend.run("OPENQASM 2.0;")


# -- metadata ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "case, extra, fragments",
    [
        ("metadata value too long", {"k": "x" * 40_001}, ("40001 characters", "at most 40000")),
        ("metadata key too long", {"k" * 41: "x"}, ("41 characters", "at most 40")),
        ("metadata too many keys", {f"k{i}": i for i in range(7)}, ("7 keys", "at most 6")),
        ("metadata reserved key", {SUBMISSION_ID_KEY: "x"}, ("reserved", "choose another name")),
    ],
)
def test_metadata_over_the_vendor_limits(backend, emulator, case, extra, fragments):
    with raises_exactly(case, IonQInvalidOptionError, *fragments):
        backend.run(measured(), extra_metadata=extra)
    assert emulator.stats()["requests_total"] == 0


# -- credentials and URLs ---------------------------------------------------------------
def test_missing_token(emulator):
    backend = IonQProvider(url=emulator.url).get_backend("ionq_simulator")
    with raises_exactly(
        "missing token",
        IonQCredentialsError,
        "QISKIT_IONQ_API_TOKEN",
        "IONQ_API_KEY",
        "IonQEmulator",
    ):
        backend.run(measured())
    assert emulator.stats()["requests_total"] == 0


def test_token_over_plain_http_to_a_remote_host():
    with raises_exactly(
        "plain http", IonQCredentialsError, "'example.com'", "https://", "allow_insecure_http=True"
    ):
        IonQClient(TOKEN, "http://example.com/v0.3")
    # The explicit opt-in, and loopback hosts (the emulator), are accepted.
    IonQClient(TOKEN, "http://example.com/v0.3", allow_insecure_http=True)
    IonQClient(TOKEN, "http://127.0.0.1:1/v0.3")


def test_non_http_url():
    with raises_exactly("non-http url", IonQClientError, "must start with https://"):
        IonQClient(TOKEN, "ftp://example.com/v0.3")


def test_rejected_token_403():
    with IonQEmulator(api_keys=["the-right-key"]) as emu:
        backend = IonQProvider(token="the-wrong-key", url=emu.url).get_backend("simulator")
        with raises_exactly(
            "rejected token 403", IonQAuthenticationError, "HTTP 403", "QISKIT_IONQ_API_TOKEN"
        ) as info:
            backend.run(measured())
        assert info.value.status_code == 403
        assert isinstance(info.value, IonQCredentialsError)  # catchable as either
        assert emu.stats()["jobs_created"] == 0


# -- jobs -------------------------------------------------------------------------------
def test_unknown_job_id(backend):
    job = backend.retrieve_job("no-such-job")
    with raises_exactly(
        "unknown job id", IonQAPIError, "'no-such-job'", "does not exist", "Check the job id"
    ) as info:
        job.status()
    assert info.value.status_code == 404


def test_empty_job_id(backend):
    with raises_exactly("empty job id", IonQClientError, "non-empty string"):
        backend.client.retrieve_job("")


def test_submitting_a_job_twice(backend):
    job = backend.run(measured(), shots=10)
    with raises_exactly("resubmit", IonQJobStateError, "already submitted"):
        job.submit()


def test_result_of_a_failed_job(backend):
    # A body IonQ's preflight rejects (the client sends what it is given): the job is
    # created, then fails server-side.
    body = {
        "target": "simulator",
        "shots": 10,
        "input": {
            "format": "ionq.circuit.v0",
            "gateset": "qis",
            "qubits": 1,
            "circuit": [{"gate": "bogus", "target": 0}],
        },
    }
    job = backend.retrieve_job(backend.client.submit_job(body)["id"])
    with raises_exactly(
        "result of a failed job", IonQJobFailureError, job.job_id(), "PreflightError", "'bogus'"
    ) as info:
        job.result(timeout=30)
    assert info.value.error_code == "PreflightError"


def test_result_of_a_cancelled_job():
    with IonQEmulator(job_delays={"ready": 60.0}) as emu:
        backend = emu.provider(token=TOKEN).get_backend("ionq_simulator")
        job = backend.run(measured(), shots=10)
        assert job.cancel()
        with raises_exactly(
            "result of a cancelled job", IonQJobStateError, "cancelled", "Submit it again"
        ):
            job.result(timeout=30)


# -- server answers (requests-mock) -----------------------------------------------------
@pytest.fixture
def mocked(requests_mock):
    client = IonQClient(
        TOKEN, MOCK_URL, retry_policy=RetryPolicy(max_attempts=2, base_delay=0.0, jitter="none")
    )
    backend = IonQProvider(token=TOKEN, url=MOCK_URL).get_backend("ionq_simulator")
    job = IonQJob(backend, "job-1", client)
    return requests_mock, client, job


def test_rejected_token_401(mocked):
    mock, _, job = mocked
    body = {"statusCode": 401, "error": "Unauthorized", "message": "Invalid key."}
    mock.get(f"{MOCK_URL}/jobs/job-1", status_code=401, json=body)
    with raises_exactly(
        "rejected token 401", IonQAuthenticationError, "HTTP 401", "QISKIT_IONQ_API_TOKEN"
    ) as info:
        job.status()
    assert info.value.status_code == 401 and json.loads(info.value.body) == body


def test_html_502_body(mocked):
    mock, _, job = mocked
    page = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1>cloudflare</body></html>"
    mock.get(f"{MOCK_URL}/jobs/job-1", status_code=502, text=page, headers={"X": "y"})
    with raises_exactly(
        "non-JSON error body", IonQAPIError, "No error details provided.", "502 Bad Gateway"
    ) as info:
        job.status()
    assert info.value.status_code == 502 and info.value.body == page
    assert mock.call_count == 2  # retried, then reported


@pytest.mark.parametrize(
    "case, body, error_type, message",
    [
        (
            "json error shape: statusCode/error/message",
            {"statusCode": 400, "error": "Bad Request", "message": "shots too big"},
            "Bad Request",
            "shots too big",
        ),
        (
            "json error shape: error/message without statusCode",
            {"error": "Bad Request", "message": "bad gate"},
            "Bad Request",
            "bad gate",
        ),
        (
            "json error shape: code/message",
            {"code": 400, "message": "invalid target"},
            "internal_error",
            "invalid target",
        ),
        (
            "json error shape: nested error object",
            {"error": {"type": "invalid_request", "message": "bad qubits"}},
            "invalid_request",
            "bad qubits",
        ),
        (
            "json error shape: bare error string",
            {"error": "Bad Request"},
            "Bad Request",
            "Bad Request",
        ),
        ("json error shape: unknown object", {"detail": "nope"}, "internal_error", "nope"),
        ("json error shape: not an object", ["oops"], "internal_error", "oops"),
    ],
)
def test_json_error_body_shapes(mocked, case, body, error_type, message):
    mock, _, job = mocked
    mock.get(f"{MOCK_URL}/jobs/job-1", status_code=400, json=body, reason="Bad Request")
    with raises_exactly(case, IonQAPIError, message, "HTTP 400") as info:
        job.status()
    assert info.value.status_code == 400
    assert info.value.error_type == error_type
    assert json.loads(info.value.body) == body  # the response text, unchanged


def test_truncated_json_in_a_200(mocked):
    mock, _, job = mocked
    mock.get(f"{MOCK_URL}/jobs/job-1", status_code=200, text='{"id": "job-1", "status": "comp')
    with raises_exactly(
        "truncated JSON in a 200", IonQClientError, "invalid JSON", "/jobs/job-1", "HTTP 200"
    ):
        job.status()


def test_non_object_json_in_a_200(mocked):
    mock, _, job = mocked
    mock.get(f"{MOCK_URL}/jobs/job-1", status_code=200, json=["not", "a", "job"])
    with raises_exactly("JSON array for a job", IonQClientError, "expected a JSON object"):
        job.status()


def test_unexpected_job_status_string(mocked):
    mock, _, job = mocked
    mock.get(f"{MOCK_URL}/jobs/job-1", json={"id": "job-1", "status": "teleported"})
    with raises_exactly(
        "unexpected job status", IonQJobError, "'teleported'", "completed", "Upgrade qiskit-ionq"
    ):
        job.status()


def test_histogram_wider_than_the_register(mocked):
    mock, _, job = mocked
    mock.get(
        f"{MOCK_URL}/jobs/job-1",
        json={
            "id": "job-1",
            "status": "completed",
            "target": "simulator",
            "qubits": 2,
            "registers": {"meas_mapped": [0, 1]},
            "metadata": {"shots": "100"},
            "noise": {"model": "ideal"},
        },
    )
    mock.get(f"{MOCK_URL}/jobs/job-1/results", json={"0": 0.5, "7": 0.5})
    with raises_exactly(
        "histogram wider than the register", IonQJobError, "result key 7", "2-qubit register"
    ):
        job.result()


def test_every_listed_case_is_covered():
    """Runs last in this module (pytest keeps file order): the census of the cases above."""
    if len(CASES_COVERED) < 25:  # e.g. when run alone with -k
        pytest.skip(f"only {len(CASES_COVERED)} cases ran in this session")
    assert len(CASES_COVERED) >= 40, sorted(CASES_COVERED)
