"""The v0.4 adapter against mocked HTTP: version choice, body shapes, the job view.

Each test pins one mapping of docs/design.md ("Two API versions"), including the shapes
IonQ's documents record changing within 2026 (``{"backends": [...]}`` vs a bare array,
``degraded`` absent, ``characterizations: null``, artifact-only ``results`` maps, ``running``
vs ``started``).
"""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest
from client_fakes import TOKEN

from qiskit_ionq import IonQProvider
from qiskit_ionq.api.jobview import epoch_seconds
from qiskit_ionq.api.retry import RetryPolicy
from qiskit_ionq.api.v04 import v04_body
from qiskit_ionq.api.versions import resolve_api, url_version
from qiskit_ionq.exceptions import IonQAPIError, IonQClientError
from qiskit_ionq.ionq_client import IonQClient
from qiskit_ionq.serializer import JobPayload, RawJSON

V4 = "https://api.ionq.test/v0.4"
ORIGIN = "https://api.ionq.test"
JOB = "0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"
CHILD1, CHILD2 = "c1c1c1c1-0000-0000-0000-000000000001", "c2c2c2c2-0000-0000-0000-000000000002"


@pytest.fixture
def v4(make_client: Any) -> IonQClient:
    return make_client(url=V4)


def v4_job(**fields: Any) -> Dict[str, Any]:
    """A v0.4 job object as IonQ documents it (every key present)."""
    job: Dict[str, Any] = {
        "id": JOB,
        "status": "completed",
        "type": "ionq.circuit.v1",
        "backend": "simulator",
        "dry_run": False,
        "parent_job_id": None,
        "child_job_ids": None,
        "session_id": None,
        "metadata": None,
        "name": "bell",
        "submitted_at": "2026-06-01T12:00:00.000Z",
        "started_at": "2026-06-01T12:00:01.500Z",
        "completed_at": "2026-06-01T12:00:02.000Z",
        "predicted_execution_duration_ms": 4,
        "execution_duration_ms": 26,
        "shots": 1024,
        "failure": None,
        "settings": {},
        "stats": {"qubits": 2, "circuits": 1, "gate_counts": {"1q": 1, "2q": 1}},
        "output": {},
        "results": {"probabilities": {"url": f"/v0.4/jobs/{JOB}/results/probabilities"}},
    }
    job.update(fields)
    return job


# ------------------------------------------------------------------------ which version
def test_the_url_segment_chooses_the_version(make_client):
    assert make_client().api_version == "v0.3"
    assert make_client(url=V4).api_version == "v0.4"
    assert make_client(url=V4 + "/").api_version == "v0.4"
    assert url_version("https://h/gw/v0.4") == "v0.4" and url_version("https://h") is None


def test_api_version_argument(make_client, monkeypatch):
    assert IonQClient(TOKEN, api_version="v0.4").url == "https://api.ionq.co/v0.4"
    assert IonQClient(TOKEN, api_version="0.4").api_version == "v0.4"
    # A URL without a version gets the requested one appended.
    assert make_client(url="http://127.0.0.1:9", api_version="v0.4").url == (
        "http://127.0.0.1:9/v0.4"
    )
    # A URL from the environment is the user's choice too: a mismatch is an error.
    monkeypatch.setenv("IONQ_API_URL", "https://h/v0.3")
    with pytest.raises(IonQClientError, match=r"names API v0\.3 but api_version='v0\.4'"):
        IonQClient(TOKEN, api_version="v0.4")
    with pytest.raises(IonQClientError, match=r"Unsupported IonQ API version 'v0\.9'"):
        IonQClient(TOKEN, "https://h/v0.9")
    assert resolve_api("https://h/v0.4", None) == ("https://h/v0.4", "v0.4")


def test_provider_api_version_reaches_the_client():
    provider = IonQProvider(TOKEN, api_version="v0.4")
    assert provider.client.api_version == "v0.4"
    assert provider.client.url.endswith("/v0.4")


# ------------------------------------------------------------------------ create
def test_create_body_mapping_and_201(v4, requests_mock):
    post = requests_mock.post(
        f"{V4}/jobs", status_code=201, json={"id": JOB, "status": "submitted", "session_id": None}
    )
    body = {
        "target": "qpu.forte-1",
        "shots": 500,
        "name": "bell",
        "input": {"format": "ionq.circuit.v0", "gateset": "native", "qubits": 2, "circuit": []},
        "registers": {"meas_mapped": [0, 1]},
        "error_mitigation": {"debias": True},
        "settings": {"compilation": {"opt": 1}},
        "metadata": {"shots": "500"},
    }
    created = v4.submit_job(body)
    assert created["id"] == JOB and created["status"] == "submitted"
    sent = post.last_request.json()
    assert sent["type"] == "ionq.circuit.v1" and sent["backend"] == "qpu.forte-1"
    assert "target" not in sent and "registers" not in sent and "error_mitigation" not in sent
    assert sent["input"] == {"gateset": "native", "qubits": 2, "circuit": []}
    assert sent["settings"] == {"compilation": {"opt": 1}, "error_mitigation": {"debiasing": True}}
    assert sent["metadata"]["shots"] == "500" and sent["metadata"]["qiskit_ionq_submission_id"]
    assert body["target"] == "qpu.forte-1" and "format" in body["input"]  # not modified


def test_multi_circuit_body_and_payload_keep_their_gate_text(v4, requests_mock):
    post = requests_mock.post(f"{V4}/jobs", status_code=201, json={"id": JOB, "status": "ready"})
    gates = RawJSON('[{"gate":"h","targets":[0]}]')
    entry = {"name": "a", "circuit": gates, "registers": {"meas_mapped": [0]}}
    payload = JobPayload(
        {
            "target": "simulator",
            "shots": 10,
            "input": {"format": "ionq.circuit.v0", "gateset": "qis", "circuits": [entry]},
        }
    )
    mapped = v4.adapter.create_body(payload)
    assert type(mapped) is JobPayload and mapped.body["input"]["circuits"][0]["circuit"] is gates
    v4.submit_job(payload)
    sent = post.last_request.json()
    assert sent["type"] == "ionq.multi-circuit.v1"
    # Per-entry registers are part of the v0.4 multi-circuit schema: kept.
    assert sent["input"]["circuits"][0]["registers"] == {"meas_mapped": [0]}
    assert payload.body["target"] == "simulator"


def test_a_v04_body_is_sent_as_is():
    body = {"type": "ionq.qasm3.v1", "backend": "simulator", "input": {"data": "OPENQASM 3;"}}
    assert v04_body(body) == body and v04_body(body) is not body


# ------------------------------------------------------------------------ the job view
def test_job_view_of_a_completed_job(v4, requests_mock):
    requests_mock.get(f"{V4}/jobs/{JOB}", json=v4_job())
    view = v4.retrieve_job(JOB)
    assert view["status"] == "completed" and view["target"] == "simulator"
    assert view["children"] == [] and view["metadata"] == {}
    assert view["qubits"] == 2 and view["circuits"] == 1
    assert view["gate_counts"] == {"1q": 1, "2q": 1}
    assert view["request"] == epoch_seconds("2026-06-01T12:00:00Z")
    assert view["start"] - view["request"] == pytest.approx(1.5)
    assert view["execution_time"] == 26 and view["predicted_execution_time"] == 4
    assert view["results_url"] == f"/v0.4/jobs/{JOB}/results/probabilities"
    assert view["type"] == "ionq.circuit.v1" and view["dry_run"] is False  # extras kept


@pytest.mark.parametrize("wire, view", [("started", "running"), ("running", "running")])
def test_started_is_running_and_running_is_accepted(v4, requests_mock, wire, view):
    requests_mock.get(f"{V4}/jobs/{JOB}", json=v4_job(status=wire, results=None))
    assert v4.retrieve_job(JOB)["status"] == view


def test_failure_message_is_also_the_error_text(v4, requests_mock):
    failure = {"code": "NotEnoughQubits", "message": "too wide"}
    requests_mock.get(f"{V4}/jobs/{JOB}", json=v4_job(status="failed", failure=failure))
    assert v4.retrieve_job(JOB)["failure"] == {**failure, "error": "too wide"}


def test_parent_children_and_epoch_timestamps_are_accepted(v4, requests_mock):
    parent = v4_job(
        type="ionq.multi-circuit.v1",
        child_job_ids=[CHILD1, CHILD2],
        stats={},  # seen for parents submitted without SDK metadata
        submitted_at=1780000000,
    )
    requests_mock.get(f"{V4}/jobs/{JOB}", json=parent)
    view = v4.retrieve_job(JOB)
    assert view["children"] == [CHILD1, CHILD2] and view["request"] == 1780000000.0
    assert "circuits" not in view


# ------------------------------------------------------------------------ results
def test_results_follow_the_jobs_own_url(v4, requests_mock):
    route = requests_mock.get(f"{V4}/jobs/{JOB}/results/probabilities", json={"0": 0.5, "3": 0.5})
    job = v4.adapter.job_view(v4_job())
    assert v4.get_results(JOB, sharpen=True, job=job) == {"0": 0.5, "3": 0.5}
    assert route.last_request.qs == {"sharpen": ["true"]}
    assert route.last_request.headers["Authorization"] == f"apiKey {TOKEN}"


def test_results_url_keeps_a_gateway_prefix(make_client, requests_mock):
    client = make_client(url="https://gw.test/ionq/v0.4")
    route = requests_mock.get(
        f"https://gw.test/ionq/v0.4/jobs/{JOB}/results/probabilities", json={"1": 1.0}
    )
    assert client.get_results(JOB, job=client.adapter.job_view(v4_job())) == {"1": 1.0}
    assert route.called


def test_results_without_the_job_read_it_first(v4, requests_mock):
    parent = v4_job(
        child_job_ids=[CHILD1, CHILD2], results=None, type="ionq.multi-circuit.v1"
    )  # no link: the parent's aggregate route is used
    requests_mock.get(f"{V4}/jobs/{JOB}", json=parent)
    body = {CHILD1: {"0": 1.0}, CHILD2: {"1": 1.0}}
    requests_mock.get(f"{V4}/jobs/{JOB}/results/probabilities/aggregated", json=body)
    assert list(v4.get_results(JOB)) == [CHILD1, CHILD2]


def test_artifact_only_results_map(v4, requests_mock):
    results = {
        "ionq.result.probabilities.json.v1": {
            "id": "probabilities",
            "format": "ionq.result.probabilities.json.v1",
            "media_type": "application/json",
        }
    }
    requests_mock.get(f"{V4}/jobs/{JOB}/artifacts/probabilities", json={"2": 1.0})
    job = v4.adapter.job_view(v4_job(results=results))
    assert job["results_url"] == f"/v0.4/jobs/{JOB}/artifacts/probabilities"
    assert v4.get_results(JOB, job=job) == {"2": 1.0}


def test_a_results_url_to_another_host_is_never_followed(v4, requests_mock):
    evil = requests_mock.get("https://evil.test/steal", json={"0": 1.0})
    ours = requests_mock.get(f"{V4}/jobs/{JOB}/results/probabilities", json={"1": 1.0})
    job = v4.adapter.job_view(v4_job(results={"probabilities": {"url": "https://evil.test/steal"}}))
    assert v4.get_results(JOB, job=job) == {"1": 1.0}
    assert ours.called and not evil.called


def test_results_404_names_the_job(v4, requests_mock):
    body = {"error": "Not Found Error", "message": "not finished", "statusCode": 404}
    requests_mock.get(f"{V4}/jobs/{JOB}/results/probabilities", status_code=404, json=body)
    with pytest.raises(IonQAPIError, match=f"Job '{JOB}' does not exist"):
        v4.get_results(JOB, job=v4.adapter.job_view(v4_job()))


# ------------------------------------------------------------------------ lists
def test_list_jobs_uses_ids_and_started_and_views_entries(v4, requests_mock):
    entry = v4_job(status="started", results=None)
    del entry["child_job_ids"]  # list entries omit it
    route = requests_mock.get(f"{V4}/jobs", json={"jobs": [entry], "next": None})
    page = v4.list_jobs(status="running", ids=["a", "b"], limit=5)
    assert route.last_request.qs == {"status": ["started"], "ids": ["a", "b"], "limit": ["5"]}
    assert page["next"] is None and page["jobs"][0]["status"] == "running"
    assert page["jobs"][0]["children"] == []


def test_reconciliation_reads_v04_list_entries(v4, requests_mock, caplog):
    """A 502 after the job was stored: found by its submission id in a v0.4 job list."""
    requests_mock.post(f"{V4}/jobs", status_code=502, text="<html>bad gateway</html>")
    posted: Dict[str, Any] = {}

    def listing(request: Any, context: Any) -> Dict[str, Any]:
        sent = json.loads(requests_mock.request_history[0].text)
        posted.update(sent)
        entry = v4_job(status="submitted", results=None, metadata=sent["metadata"])
        entry["submitted_at"] = "2999-01-01T00:00:00.000Z"
        return {"jobs": [entry], "next": None}

    requests_mock.get(f"{V4}/jobs", json=listing)
    client = v4
    found = client.submit_job({"target": "simulator", "shots": 1, "input": {"circuit": []}})
    assert found["id"] == JOB and found["status"] == "submitted"
    assert posted["backend"] == "simulator" and posted["type"] == "ionq.circuit.v1"
    assert sum(r.method == "POST" for r in requests_mock.request_history) == 1


# ------------------------------------------------------------------------ backends
BACKEND = {
    "backend": "qpu.tempo-1",
    "status": "available",
    "qubits": 64,
    "average_queue_time": 1181215,
    "last_updated": "2026-09-01T00:00:00Z",
    "characterization_id": "5e1d6d6e-0000-0000-0000-000000000000",
    "supported_native_gates": ["GPI", "GPI2", "ZZ"],
}


@pytest.mark.parametrize("shape", ["array", "object"])
def test_backends_as_array_or_object_and_degraded_absent(v4, requests_mock, shape):
    data: Any = [BACKEND] if shape == "array" else {"backends": [BACKEND]}
    route = requests_mock.get(f"{V4}/backends", json=data)
    (view,) = v4.get_backends()
    assert view["backend"] == "qpu.tempo-1" and view["qubits"] == 64
    assert view["native_gates"] == ["gpi", "gpi2", "zz"]
    assert view["last_updated"] == epoch_seconds("2026-09-01T00:00:00Z")
    assert "degraded" not in view
    assert "Authorization" not in route.last_request.headers


def test_backends_of_an_unexpected_shape_is_a_clear_error(v4, requests_mock):
    requests_mock.get(f"{V4}/backends", json={"nope": 1})
    with pytest.raises(IonQClientError, match="expected a JSON array"):
        v4.get_backends()


@pytest.mark.parametrize("listed", [None, []])
def test_no_characterization_is_none(v4, requests_mock, listed):
    route = requests_mock.get(
        f"{V4}/backends/qpu.tempo-1/characterizations",
        json={"characterizations": listed, "pages": 0},
    )
    assert v4.get_calibration_data("ionq_qpu.tempo-1") is None
    assert route.last_request.qs == {"limit": ["1"]}


def test_newest_characterization_and_one_by_id(v4, requests_mock):
    char = {"id": "x1", "backend": "qpu.forte-1", "date": "2026-09-01T00:00:00Z"}
    requests_mock.get(
        f"{V4}/backends/qpu.forte-1/characterizations",
        json={"characterizations": [char, {"id": "old"}], "pages": 3},
    )
    assert v4.get_calibration_data("forte-1") == char
    requests_mock.get(f"{V4}/backends/qpu.forte-1/characterizations/x1", json=char)
    assert v4.get_characterization("x1", "qpu.forte-1") == char
    with pytest.raises(IonQClientError, match="pass backend_name"):
        v4.get_characterization("x1")


# ------------------------------------------------------------------------ v0.4-only
def test_whoami_and_health(v4, make_client, requests_mock):
    who = {"key_id": "k", "key_name": "ci", "project_id": "p"}
    requests_mock.get(f"{V4}/whoami", json=who)
    health = requests_mock.get(f"{V4}/health", json={"status": "pass"})
    assert v4.whoami() == who and v4.health() == {"status": "pass"}
    assert "Authorization" not in health.last_request.headers
    assert v4.supports("whoami") and not make_client().supports("whoami")
    with pytest.raises(IonQClientError, match="not available in IonQ API v0.3.*v0.4"):
        make_client().whoami()


@pytest.mark.parametrize(
    "body",
    [
        {"error": "Bad Request", "message": "shots must be >= 1", "statusCode": 400},
        {"code": 400, "message": "shots must be >= 1"},
    ],
)
def test_error_bodies(make_client, requests_mock, body):
    client = make_client(url=V4, retry_policy=RetryPolicy(max_attempts=1))
    requests_mock.get(f"{V4}/jobs/{JOB}", status_code=400, json=body)
    with pytest.raises(IonQAPIError, match="shots must be >= 1") as info:
        client.retrieve_job(JOB)
    assert info.value.status_code == 400
