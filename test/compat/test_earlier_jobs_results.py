"""Code written for earlier qiskit-ionq releases: jobs and results as it reads them.

Where the 0.5 releases (Qiskit < 2) and the 1.x releases (Qiskit 2) differ, each test checks
the behaviour of the line that matches the installed Qiskit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from compat_support import bell, closed_port_url
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.providers.jobstatus import JobStatus
from qiskit.result import Counts

from qiskit_ionq import IonQProvider
from qiskit_ionq._qiskit_compat import QISKIT_2
from qiskit_ionq.exceptions import IonQJobError
from qiskit_ionq.ionq_job import IonQJob
from qiskit_ionq.ionq_result import IonQResult
from qiskit_ionq.serializer import (
    build_header,
    compress_dict_to_metadata_string,
    decompress_metadata_string_to_dict,
)

URL = "https://ionq.test/v0.3"


def _header_blob(circuit: QuantumCircuit) -> str:
    return compress_dict_to_metadata_string(build_header(circuit))


# -- run arguments on the job ------------------------------------------------------------------


def test_job_exposes_run_arguments_and_merges_them_on_submit(provider):
    backend = provider.get_backend("ionq_simulator")
    job = backend.run(
        bell(),
        shots=20,
        memory=True,
        extra_metadata={"experiment": "e-7"},
        extra_query_params={"name": "from-extra-query-params"},
    )
    assert job.extra_metadata == {"experiment": "e-7"}
    assert job.extra_query_params == {"name": "from-extra-query-params"}
    assert job.memory is True
    stored = provider.client.retrieve_job(job.job_id())  # what the server received
    assert stored["name"] == "from-extra-query-params"  # top level of the body
    assert stored["metadata"]["experiment"] == "e-7"  # inside metadata
    assert stored["metadata"]["shots"] == "20"  # beside ours


def test_job_attributes_default_to_empty_and_are_read_at_submit(provider):
    backend = provider.get_backend("ionq_simulator")
    job = IonQJob(backend, None, circuit=bell(), passed_args={"shots": 10})
    assert job.extra_metadata == {} and job.extra_query_params == {} and job.memory is False
    job.extra_metadata["set_later"] = "yes"  # set on the job, before submit
    job.submit()
    assert provider.client.retrieve_job(job.job_id())["metadata"]["set_later"] == "yes"


def test_status_of_an_unsubmitted_job_needs_no_request():
    backend = IonQProvider(token="t", url=closed_port_url()).get_backend("ionq_simulator")
    job = IonQJob(backend, None, circuit=bell())
    assert job.status() is JobStatus.INITIALIZING  # a request would fail: none is made


# -- detailed status ---------------------------------------------------------------------------


def test_detailed_status_of_a_multi_circuit_job(provider):
    one = QuantumCircuit(1, 1, name="one")
    one.x(0)
    one.measure(0, 0)
    job = provider.get_backend("ionq_simulator").run([one, bell()], shots=10)
    job.wait_for_final_state(timeout=30, wait=0.05)
    detailed = job.status(detailed=True)
    assert detailed == {
        "total": 2,
        "completed": 2,
        "failed": 0,
        "percentage_complete": 1.0,
        "statuses": [JobStatus.DONE, JobStatus.DONE],
    }


def test_detailed_status_without_children(provider):
    job = provider.get_backend("ionq_simulator").run(bell(), shots=10)
    job.wait_for_final_state(timeout=30, wait=0.05)
    assert job.status(detailed=True) == {
        "total": 0,
        "completed": 0,
        "failed": 0,
        "percentage_complete": 0,
        "statuses": [],
    }


def test_detailed_status_refetches_parent_and_children(requests_mock):
    backend = IonQProvider(token="t", url=URL).get_backend("ionq_simulator")
    parent = {"id": "p", "status": "running", "children": ["c1", "c2", "c3"]}
    requests_mock.get(f"{URL}/jobs/p", json=parent)
    requests_mock.get(f"{URL}/jobs/c1", json={"id": "c1", "status": "completed"})
    requests_mock.get(f"{URL}/jobs/c2", json={"id": "c2", "status": "running"})
    requests_mock.get(f"{URL}/jobs/c3", json={"id": "c3", "status": "completed"})
    job = backend.retrieve_job("p")
    first = job.status(detailed=True)
    assert first["statuses"] == [JobStatus.DONE, JobStatus.RUNNING, JobStatus.DONE]
    assert (first["total"], first["completed"], first["failed"]) == (3, 2, 0)
    assert first["percentage_complete"] == pytest.approx(2 / 3)
    requests_mock.get(f"{URL}/jobs/c2", json={"id": "c2", "status": "failed"})
    calls = requests_mock.call_count
    second = job.status(detailed=True)
    assert requests_mock.call_count - calls == 4  # parent + 3 children, afresh
    assert second["statuses"][1] is JobStatus.ERROR and second["failed"] == 1


# -- results -----------------------------------------------------------------------------------


def test_invalid_sharpen_type_warns_and_goes_on(provider):
    job = provider.get_backend("ionq_simulator").run(bell(), shots=10)
    with pytest.warns(UserWarning, match="Invalid sharpen type"):
        result = job.result(sharpen="yes")
    assert sum(result.get_counts().values()) == 10


def test_result_fields(provider):
    backend = provider.get_backend("ionq_simulator")
    job = backend.run(bell(), shots=30, memory=True)
    result = job.result()
    version = backend.configuration().backend_version
    assert result.backend_version == version
    assert result.job_id == job.job_id() and result.backend_name == "ionq_simulator"
    assert result.qobj_id is None  # the job's metadata holds none
    assert result.status is None and result.date is None and result.header is None
    execution_ms = provider.client.retrieve_job(job.job_id())["execution_time"]
    assert result.time_taken == pytest.approx(execution_ms / 1000.0)
    experiment = result.results[0]
    assert experiment.shots == 30 and experiment.meas_level == 2
    header = (
        experiment.header if isinstance(experiment.header, dict) else experiment.header.to_dict()
    )
    assert header["name"] == "bell" and header["memory_slots"] == 2
    data = result.data(0)
    assert set(data) == {"counts", "probabilities", "metadata", "memory"}
    assert data["metadata"] == header
    assert len(data["memory"]) == 30


def test_result_without_memory_has_no_memory_entry_and_reads_qobj_id(provider):
    job = provider.get_backend("ionq_simulator").run(
        bell(), shots=30, extra_metadata={"qobj_id": "qobj-9"}
    )
    result = job.result()
    assert result.qobj_id == "qobj-9"
    assert set(result.data(0)) == {"counts", "probabilities", "metadata"}


def test_stored_count_keys_per_line(provider):
    qc = QuantumCircuit(
        QuantumRegister(3, "q"), ClassicalRegister(1, "a"), ClassicalRegister(2, "b")
    )
    qc.x(0)
    qc.x(2)
    qc.measure([0, 1, 2], [0, 1, 2])
    result = provider.get_backend("ionq_simulator").run(qc, shots=40).result()
    stored = result.data(0)["counts"]
    # clbits (c0, c1, c2) = (1, 0, 1) = 5: hex below Qiskit 2, a 3-wide bit string from 2 on.
    assert stored == ({"101": 40} if QISKIT_2 else {"0x5": 40})
    assert result.get_counts() == {"10 1": 40}  # what users read is the same on both lines


def test_zero_count_outcomes_are_left_out_of_stored_counts(requests_mock):
    backend = IonQProvider(token="t", url=URL).get_backend("ionq_qpu.aria-1")
    body = {
        "id": "j",
        "status": "completed",
        "target": "qpu.aria-1",
        "qubits": 2,
        "metadata": {"shots": "10", "qiskit_header": _header_blob(bell())},
        "registers": {"meas_mapped": [0, 1]},
    }
    requests_mock.get(f"{URL}/jobs/j", json=body)
    requests_mock.get(f"{URL}/jobs/j/results", json={"0": 0.999, "3": 0.001})
    result = backend.retrieve_job("j").result()
    assert result.data(0)["counts"] == ({"00": 10} if QISKIT_2 else {"0x0": 10})
    assert result.get_probabilities() == pytest.approx({"00": 0.999, "11": 0.001})


@pytest.mark.parametrize("stored, expected", [(None, 1024), ("250", 250), ("many", 1024)])
def test_experiment_shots_come_from_metadata(requests_mock, stored, expected):
    backend = IonQProvider(token="t", url=URL).get_backend("ionq_qpu.aria-1")
    metadata = {"qiskit_header": _header_blob(bell())}
    if stored is not None:
        metadata["shots"] = stored
    body = {"id": "j", "status": "completed", "target": "qpu.aria-1", "qubits": 2}
    body.update(metadata=metadata, registers={"meas_mapped": [0, 1]})
    requests_mock.get(f"{URL}/jobs/j", json=body)
    requests_mock.get(f"{URL}/jobs/j/results", json={"0": 0.5, "3": 0.5})
    result = backend.retrieve_job("j").result()
    assert result.results[0].shots == expected
    assert sum(result.get_counts().values()) == expected


# -- get_probabilities -------------------------------------------------------------------------


def _retrieved_result(requests_mock, circuit, histogram, meas_mapped):
    backend = IonQProvider(token="t", url=URL).get_backend("ionq_qpu.aria-1")
    body = {
        "id": "j",
        "status": "completed",
        "target": "qpu.aria-1",
        "qubits": circuit.num_qubits,
        "metadata": {"shots": "1000", "qiskit_header": _header_blob(circuit)},
        "registers": {"meas_mapped": meas_mapped},
    }
    requests_mock.get(f"{URL}/jobs/j", json=body)
    requests_mock.get(f"{URL}/jobs/j/results", json=histogram)
    return backend.retrieve_job("j").result()


def test_get_probabilities_is_a_counts_not_renormalized_and_merged(requests_mock):
    qc = QuantumCircuit(
        QuantumRegister(3, "q"), ClassicalRegister(1, "a"), ClassicalRegister(1, "b")
    )
    qc.measure(0, 0)
    qc.measure(2, 1)
    # qubit 1 is not measured: 0 and 2 (q1 set) merge, and so do 5 and 7.
    histogram = {"0": 0.2, "2": 0.1, "5": 0.3, "7": 0.3996}
    result = _retrieved_result(requests_mock, qc, histogram, [0, 2])
    probabilities = result.get_probabilities()
    assert isinstance(probabilities, Counts)
    assert probabilities == pytest.approx({"0 0": 0.3, "1 1": 0.6996})  # sums to 0.9996
    assert set(probabilities) == set(result.get_counts())
    assert probabilities.creg_sizes == [["a", 1], ["b", 1]] and probabilities.memory_slots == 2


def test_get_probabilities_without_data_names_the_experiment(requests_mock):
    result = _retrieved_result(requests_mock, bell(), {"0": 0.5, "3": 0.5}, [0, 1])
    as_dict = result.to_dict()
    del as_dict["results"][0]["data"]["probabilities"]  # a result stored without them
    with pytest.raises(IonQJobError) as info:
        IonQResult.from_dict(as_dict).get_probabilities(0)
    assert info.value.message == 'No probabilities for experiment "0"'


# -- seeded sampling ---------------------------------------------------------------------------


def test_seeded_sampling_reproduces_earlier_releases(provider):
    """seed 7, 1,000 shots, mapped histogram {0: 0.25, 1: 0.25, 3: 0.5}: the counts the
    earlier releases drew with numpy's RandomState."""
    # Two uniform bits b (q0) and a (q1); q2 = a OR b. Reading c0 <- q2 and c1 <- q1 maps
    # the vendor's states 0, 5, 6, 7 to 0, 1, 3, 3: the histogram {0: .25, 1: .25, 3: .5}.
    qc = QuantumCircuit(3, 2)
    qc.h([0, 1])
    qc.x([0, 1])
    qc.ccx(0, 1, 2)
    qc.x([0, 1, 2])
    qc.measure(2, 0)
    qc.measure(1, 1)
    histogram = provider.get_backend("ionq_simulator").run(qc, shots=10).get_probabilities()
    assert histogram == pytest.approx({"00": 0.25, "01": 0.25, "11": 0.5})
    counts = (
        provider.get_backend("ionq_simulator")
        .run(qc, shots=1000, sampler_seed=7)
        .result()
        .get_counts()
    )
    assert counts == {"00": 252, "01": 260, "11": 488}


def test_seeded_sampling_follows_the_histogram_order(requests_mock):
    backend = IonQProvider(token="t", url=URL).get_backend("ionq_simulator")
    body = {
        "id": "j",
        "status": "completed",
        "target": "simulator",
        "qubits": 2,
        "noise": {"model": "ideal"},
        "metadata": {"shots": "1000", "sampler_seed": "7", "qiskit_header": _header_blob(bell())},
        "registers": {"meas_mapped": [0, 1]},
    }
    requests_mock.get(f"{URL}/jobs/j", json=body)
    requests_mock.get(f"{URL}/jobs/j/results", json={"3": 0.5, "0": 0.25, "1": 0.25})
    counts = backend.retrieve_job("j").result().get_counts()
    drawn = np.random.RandomState(7).choice(3, 1000, p=[0.5, 0.25, 0.25])
    expected = dict(zip(["11", "00", "01"], np.bincount(drawn, minlength=3).tolist()))
    assert counts == expected
    assert counts != {"00": 252, "01": 260, "11": 488}  # the order matters


@pytest.mark.parametrize(
    "outcomes, shots, seed", [(1, 5, 0), (3, 1000, 7), (50, 12345, 2**31), (4096, 30000, 99)]
)
def test_sampling_equals_randomstate_choice(outcomes, shots, seed):
    """The sampler is numpy's RandomState.choice, count for count (it only avoids the slow
    unsorted search), including the order in which outcomes are laid out."""
    from qiskit_ionq.histogram import sample_counts

    rng = np.random.default_rng(outcomes)
    weights = rng.random(outcomes)
    order = rng.permutation(outcomes)
    laid_out = weights[order] / weights[order].sum()
    drawn = np.random.RandomState(seed).choice(outcomes, shots, p=laid_out)
    expected = np.zeros(outcomes, dtype=np.int64)
    expected[order] = np.bincount(drawn, minlength=outcomes)
    assert sample_counts(weights, shots, seed, order=order).tolist() == expected.tolist()


# -- header ------------------------------------------------------------------------------------


def test_compressed_header_fields(provider):
    plain = bell("plain")
    tagged = bell("tagged")
    tagged.metadata = {"experiment": 3}
    job = provider.get_backend("ionq_simulator").run([plain, tagged], shots=10)
    stored = provider.client.retrieve_job(job.job_id())["metadata"]["qiskit_header"]
    headers = decompress_metadata_string_to_dict(stored)
    base = {
        "memory_slots",
        "global_phase",
        "n_qubits",
        "name",
        "creg_sizes",
        "clbit_labels",
        "qreg_sizes",
        "qubit_labels",
    }
    # Ours also carries the measurement map ("meas_mapped": API v0.4 jobs store no registers).
    ours = {"meas_mapped"}
    assert set(headers[0]) - ours == base  # no metadata key for a circuit without metadata
    assert set(headers[1]) - ours == base | {"metadata"}
    assert headers[1]["metadata"] == {"experiment": 3}
    assert headers[0]["creg_sizes"] == [["c", 2]] and headers[0]["memory_slots"] == 2


def test_no_stray_warnings_reading_results(provider):
    job = provider.get_backend("ionq_simulator").run(bell(), shots=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        job.result().get_counts()
        job.get_probabilities()
