"""The client trusts nothing it downloads: hostile job data through a real socket.

A small hostile server (:mod:`hostile_server`) serves a job object and results that no IonQ
server would. Every case must end in an ``IonQJobError`` or ``IonQClientError`` saying what
was wrong -- never a bare ``ValueError``/``KeyError``/``binascii.Error``/``BadGzipFile``/
``AttributeError``/``RecursionError``, and never a multi-gigabyte allocation (a 2 MB gzip
bomb in the header took 1.6 GB; a 72-character header claiming ``memory_slots=3e8`` took
2.7 GB). Probabilities that do not sum to ~1 and repeated keys are errors, not rescaled or
"last one wins"; histogram keys are ASCII decimal digits only.
"""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from hostile_server import HostileServer, json_reply

from qiskit_ionq import IonQProvider
from qiskit_ionq.exceptions import IonQClientError, IonQError, IonQJobError
from qiskit_ionq.ionq_job import IonQJob
from qiskit_ionq.serializer import compress_dict_to_metadata_string

TOKEN = "tok-hostile-data"
JOB = "job-h"
GOOD_HEADER = {
    "name": "c",
    "global_phase": 0.0,
    "n_qubits": 2,
    "qreg_sizes": [["q", 2]],
    "qubit_labels": [["q", 0], ["q", 1]],
    "memory_slots": 2,
    "creg_sizes": [["c", 2]],
    "clbit_labels": [["c", 0], ["c", 1]],
    "metadata": {},
}
GOOD_RESULTS = {"0": 0.5, "3": 0.5}


def job_object(**changes):
    job = {
        "id": JOB,
        "status": "completed",
        "target": "qpu.aria-1",  # not sampled: counts are p * shots, easy to check
        "qubits": 2,
        "shots": 100,
        "registers": {"meas_mapped": [0, 1]},
        "metadata": {
            "shots": "100",
            "qiskit_header": compress_dict_to_metadata_string(GOOD_HEADER),
        },
    }
    for key, value in changes.items():
        if key.startswith("metadata."):
            job["metadata"][key.split(".", 1)[1]] = value
        elif value is _DROP:
            job.pop(key, None)
        else:
            job[key] = value
    return job


_DROP = object()


def b64gzip(raw: bytes) -> str:
    return base64.b64encode(gzip.compress(raw)).decode()


def result_of(job_body, results=GOOD_RESULTS):
    with HostileServer() as server:
        body = job_body if isinstance(job_body, bytes) else json.dumps(job_body).encode()
        results_body = results if isinstance(results, bytes) else json.dumps(results).encode()
        server.on("GET", f"/v0.3/jobs/{JOB}", json_reply(body))
        server.on("GET", f"/v0.3/jobs/{JOB}/results", json_reply(results_body))
        backend = IonQProvider(TOKEN, server.url).get_backend("ionq_qpu.aria-1")
        return IonQJob(backend, JOB).result(timeout=10)


def test_the_well_formed_job_works():
    assert result_of(job_object()).get_counts() == {"00": 50, "11": 50}


HEADER_CASES = [
    ("gzip bomb", b64gzip(b" " * (64 << 20)), "compression bomb"),
    ("memory_slots 3e8", compress_dict_to_metadata_string({"memory_slots": 300_000_000}), "3"),
    ("not base64", "@@not base64@@", "not valid base64"),
    ("not gzip", base64.b64encode(b"plain text").decode(), "not valid gzip"),
    ("truncated gzip", base64.b64encode(gzip.compress(b'{"a": 1}')[:-6]).decode(), "gzip"),
    ("not JSON", b64gzip(b"{nope"), "not valid JSON"),
    ("not UTF-8", b64gzip(b'{"name": "\xff"}'), "not valid JSON"),
    ("a number", 12345, "expected text"),
    (
        "creg bigger than slots",
        compress_dict_to_metadata_string({**GOOD_HEADER, "creg_sizes": [["c", 10**9]]}),
        "creg_sizes",
    ),  # fmt: skip
    (
        "n_qubits wrong type",
        compress_dict_to_metadata_string({**GOOD_HEADER, "n_qubits": "2"}),
        "n_qubits",
    ),  # fmt: skip
    ("global_phase NaN", b64gzip(b'{"memory_slots": 2, "global_phase": NaN}'), "global_phase"),
    (
        "labels vs slots",
        compress_dict_to_metadata_string({**GOOD_HEADER, "clbit_labels": [["c", 0]]}),
        "clbit_labels",
    ),  # fmt: skip
]


@pytest.mark.parametrize("case, blob, fragment", HEADER_CASES, ids=[c[0] for c in HEADER_CASES])
def test_hostile_headers(case, blob, fragment):
    with pytest.raises(IonQError) as info:
        result_of(job_object(**{"metadata.qiskit_header": blob}))
    assert isinstance(info.value, IonQJobError), (case, info.value)
    assert fragment in str(info.value), (case, str(info.value))


def test_a_tiny_header_claiming_300_million_classical_bits_allocates_nothing():
    # No registers echoed: the header alone would decide the key width (2.7 GB before).
    blob = compress_dict_to_metadata_string({"memory_slots": 300_000_000})
    assert len(blob) < 100
    with pytest.raises(IonQJobError, match="memory_slots"):
        result_of(job_object(registers=_DROP, **{"metadata.qiskit_header": blob}))


def test_a_list_header_for_one_circuit_uses_its_first_entry():
    blob = compress_dict_to_metadata_string([GOOD_HEADER] * 3)
    assert result_of(job_object(**{"metadata.qiskit_header": blob})).get_counts() == {
        "00": 50,
        "11": 50,
    }


JOB_CASES = [
    ("status missing", job_object(status=_DROP), "status"),
    ("children a number", job_object(children=5), "children"),
    ("children of numbers", job_object(children=[1, 2]), "children"),
    ("metadata text", job_object(metadata="x"), "metadata"),
    ("metadata value a list", job_object(**{"metadata.shots": [1]}), "metadata value"),
    ("qubits text", job_object(qubits="abc"), "qubits"),
    ("shots negative", job_object(shots=-5, metadata={}), "shots"),
    ("meas map text", job_object(registers={"meas_mapped": "0,1"}), "meas_mapped"),
    ("meas map float", job_object(registers={"meas_mapped": [0.5, 1]}), "meas_mapped"),
    ("noise a list", job_object(noise=["ideal"]), "noise"),
    ("warning messages text", job_object(warning={"messages": "careful"}), "warning"),
    ("execution_time text", job_object(execution_time="soon"), "execution_time"),
    ("a JSON array", [1, 2], "expected a JSON object"),
]


@pytest.mark.parametrize("case, body, fragment", JOB_CASES, ids=[c[0] for c in JOB_CASES])
def test_hostile_job_objects(case, body, fragment):
    with pytest.raises(IonQError) as info:
        result_of(body)
    assert isinstance(info.value, (IonQJobError, IonQClientError)), (case, info.value)
    assert fragment in str(info.value), (case, str(info.value))


def test_json_nested_too_deep_is_a_clear_error():
    with pytest.raises(IonQClientError, match="invalid JSON"):
        result_of(b"[" * 200_000 + b"]" * 200_000)


RESULT_CASES = [
    ("padded key", b'{" 3 ": 0.5, "0": 0.5}'),
    ("plus sign", b'{"+3": 0.5, "0": 0.5}'),
    ("full-width digit", '{"\uff13": 0.5, "0": 0.5}'.encode()),
    ("underscore", b'{"1_1": 0.5, "0": 0.5}'),
    ("empty key", b'{"": 0.5, "0": 0.5}'),
    ("repeated key", b'{"3": 0.5, "3": 0.25, "0": 0.25}'),
    ("sums to one half", b'{"3": 0.25, "0": 0.25}'),
    ("sums to two", b'{"3": 1.0, "0": 1.0}'),
    ("counts as values", b'{"3": 50, "0": 50}'),
    ("a probability as text", b'{"3": "0.5", "0": 0.5}'),
    ("key wider than the job", b'{"4": 0.5, "0": 0.5}'),
]


@pytest.mark.parametrize("case, body", RESULT_CASES, ids=[c[0] for c in RESULT_CASES])
def test_hostile_results(case, body):
    with pytest.raises(IonQJobError):
        result_of(job_object(), results=body)


def test_results_that_are_not_an_object():
    with pytest.raises(IonQClientError, match="expected a JSON object"):
        result_of(job_object(), results=b"[0.5, 0.5]")


def test_repeated_child_keys_in_multi_circuit_results():
    parent = job_object(circuits=2, children=["a", "b"], registers=_DROP)
    parent["metadata"]["qiskit_header"] = compress_dict_to_metadata_string([GOOD_HEADER] * 2)
    body = b'{"a": {"0": 1.0}, "b": {"3": 1.0}, "a": {"3": 1.0}}'
    with pytest.raises(IonQJobError, match="appears twice"):
        result_of(parent, results=body)
