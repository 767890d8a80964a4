"""IonQJob against a mocked HTTP API (requests-mock): status mapping, failures, warnings,
caching, aggregation choice, retrieval from server data alone."""

from __future__ import annotations

import warnings

import pytest
from qiskit import QuantumCircuit
from qiskit.providers.jobstatus import JobStatus

from qiskit_ionq import AggregationType, IonQProvider
from qiskit_ionq.exceptions import (
    IonQJobError,
    IonQJobFailureError,
    IonQJobStateError,
    IonQJobTimeoutError,
)
from qiskit_ionq.serializer import build_header, compress_dict_to_metadata_string

URL = "https://ionq.test/v0.3"


@pytest.fixture
def backend():
    return IonQProvider(token="unit-token", url=URL).get_backend("ionq_qpu.aria-1")


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2, name="bell")
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def job_body(status="completed", **extra):
    body = {
        "id": "job-1",
        "status": status,
        "target": "qpu.aria-1",
        "qubits": 2,
        "execution_time": 1500,
        "metadata": {
            "shots": "100",
            "sampler_seed": "None",
            "qiskit_header": compress_dict_to_metadata_string(build_header(bell())),
        },
        "registers": {"meas_mapped": [0, 1]},
    }
    body.update(extra)
    return body


@pytest.mark.parametrize(
    "api, qiskit",
    [
        ("submitted", JobStatus.INITIALIZING),
        ("ready", JobStatus.QUEUED),
        ("running", JobStatus.RUNNING),
        ("canceled", JobStatus.CANCELLED),
        ("completed", JobStatus.DONE),
    ],
)
def test_status_mapping(requests_mock, backend, api, qiskit):
    requests_mock.get(f"{URL}/jobs/job-1", json=job_body(api))
    assert backend.retrieve_job("job-1").status() is qiskit


def test_unknown_status_is_a_clear_job_error(requests_mock, backend):
    requests_mock.get(f"{URL}/jobs/job-1", json=job_body("paused"))
    with pytest.raises(IonQJobError, match="unknown status 'paused'"):
        backend.retrieve_job("job-1").status()


def test_failed_job_carries_vendor_code(requests_mock, backend):
    failure = {"code": "NotEnoughQubits", "error": "too wide"}
    requests_mock.get(f"{URL}/jobs/job-1", json=job_body("failed", failure=failure))
    with pytest.raises(IonQJobFailureError) as info:
        backend.retrieve_job("job-1").status()
    assert info.value.error_code == "NotEnoughQubits"
    assert "NotEnoughQubits: too wide" in str(info.value)


def test_vendor_warnings_are_reemitted_once(requests_mock, backend):
    requests_mock.get(
        f"{URL}/jobs/job-1", json=job_body("running", warning={"messages": ["queue is long"]})
    )
    job = backend.retrieve_job("job-1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        job.status()
        job.status()
    messages = [str(w.message) for w in caught]
    assert messages == ["IonQ job job-1: queue is long"]


def test_result_counts_time_taken_and_cache(requests_mock, backend):
    requests_mock.get(f"{URL}/jobs/job-1", json=job_body())
    results = requests_mock.get(f"{URL}/jobs/job-1/results", json={"0": 0.25, "3": 0.75})
    job = backend.retrieve_job("job-1")
    result = job.result()
    assert result.get_counts() == {"00": 25, "11": 75}  # QPU: rounded, sums to shots
    assert result.time_taken == pytest.approx(1.5)
    assert job.result() is result and results.call_count == 1
    job.result(AggregationType.PLURALITY)
    assert results.call_count == 2
    assert results.last_request.qs == {"sharpen": ["true"]}
    job.result(sharpen=False)
    assert results.last_request.qs == {"sharpen": ["false"]}


def test_final_job_is_not_polled_again(requests_mock, backend):
    get = requests_mock.get(f"{URL}/jobs/job-1", json=job_body())
    requests_mock.get(f"{URL}/jobs/job-1/results", json={"0": 1.0})
    job = backend.retrieve_job("job-1")
    job.status()
    job.result()
    job.done()
    assert get.call_count == 1


def test_metadata_null_from_another_tool(requests_mock, backend):
    body = job_body(metadata=None, qubits=3)
    body.pop("registers")
    requests_mock.get(f"{URL}/jobs/job-1", json=body)
    requests_mock.get(f"{URL}/jobs/job-1/results", json={"5": 1.0})
    counts = backend.retrieve_job("job-1").get_counts()
    assert counts == {"101": 1024}  # full register, default shots


def test_multi_circuit_results_paired_by_child_id_not_key_order(requests_mock, backend):
    one = QuantumCircuit(1, 1, name="one")
    two = QuantumCircuit(2, 2, name="two")
    header = compress_dict_to_metadata_string([build_header(one), build_header(two)])
    parent = job_body(circuits=2, children=["c1", "c2"])
    parent["metadata"]["qiskit_header"] = header
    requests_mock.get(f"{URL}/jobs/job-1", json=parent)
    requests_mock.get(f"{URL}/jobs/c1", json={"id": "c1", "status": "completed",
                                             "registers": {"meas_mapped": [0]}})  # fmt: skip
    requests_mock.get(f"{URL}/jobs/c2", json={"id": "c2", "status": "completed",
                                             "registers": {"meas_mapped": [1, 0]}})  # fmt: skip
    # Keys deliberately in the wrong order: pairing must follow `children`.
    requests_mock.get(f"{URL}/jobs/job-1/results", json={"c2": {"1": 1.0}, "c1": {"1": 1.0}})
    job = backend.retrieve_job("job-1")
    assert job.get_counts("one") == {"1": 100}
    assert job.get_counts("two") == {"10": 100}


def test_cancelled_result_raises_state_error(requests_mock, backend):
    requests_mock.get(f"{URL}/jobs/job-1", json=job_body("canceled"))
    with pytest.raises(IonQJobStateError, match="cancelled"):
        backend.retrieve_job("job-1").result()


def test_result_timeout_raises_ionq_and_qiskit_timeout(requests_mock, backend):
    from qiskit.providers.exceptions import JobTimeoutError

    requests_mock.get(f"{URL}/jobs/job-1", json=job_body("running"))
    with pytest.raises(IonQJobTimeoutError) as info:
        backend.retrieve_job("job-1").result(timeout=0.2, wait=0.05)
    assert isinstance(info.value, JobTimeoutError)


def test_submit_posts_one_body_and_keeps_the_id(requests_mock, backend):
    post = requests_mock.post(f"{URL}/jobs", json={"id": "new-1", "status": "ready"})
    job = backend.run(bell(), shots=200)
    assert job.job_id() == "new-1" and post.call_count == 1
    body = post.last_request.json()
    assert body["target"] == "qpu.aria-1" and body["shots"] == 200
    assert body["registers"] == {"meas_mapped": [0, 1]}
    with pytest.raises(IonQJobStateError, match="already submitted"):
        job.submit()


def COMPILED(job):  # a v0.4 feature: the test builds a v0.4 job for it
    return job.compiled_circuit()


@pytest.mark.parametrize(
    "call",
    [
        lambda job: job.result(),
        lambda job: job.wait_for_final_state(),
        COMPILED,
    ],
    ids=["result", "wait_for_final_state", "compiled_circuit"],
)
def test_waiting_on_a_job_never_submitted_raises_instead_of_polling_forever(backend, call):
    """Bug: an IonQJob built but not submitted is INITIALIZING forever, so these polled
    without end when no timeout was given."""
    from qiskit_ionq.ionq_job import IonQJob

    v04 = IonQProvider(token="unit-token", url="https://ionq.test/v0.4")
    job = IonQJob(v04.get_backend("ionq_qpu.aria-1") if call is COMPILED else backend, None)
    job.circuit = bell()
    with pytest.raises(IonQJobStateError, match=r"not been submitted.*job\.submit\(\)"):
        call(job)
