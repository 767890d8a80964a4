"""The v0.4 feature routes against mocked HTTP: artifacts by content type, shots sources,
sessions, cost, estimate and the list filters; and their absence on v0.3."""

from __future__ import annotations

import json
from typing import Any

import pytest

from qiskit_ionq.exceptions import IonQAPIVersionError, IonQJobError
from qiskit_ionq.ionq_client import IonQClient

V4 = "https://api.ionq.test/v0.4"
V3 = "https://api.ionq.test/v0.3"
JOB = "0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"


@pytest.fixture
def v4(make_client: Any) -> IonQClient:
    return make_client(url=V4)


def test_capabilities_by_version(make_client):
    v3, v4 = make_client(url=V3), make_client(url=V4)
    for name in ("qasm3", "shots", "dry_run", "cost", "estimate", "sessions", "job_filters"):
        assert v4.supports(name) and not v3.supports(name), name
    from qiskit_ionq.api.v04_features import require_feature

    with pytest.raises(IonQAPIVersionError, match='IonQProvider\\(api_version="v0.4"\\)'):
        require_feature(v3, "sessions", "Sessions")
    require_feature(v4, "sessions", "Sessions")


def test_artifacts_follow_their_content_type(v4, requests_mock):
    base = f"{V4}/jobs/{JOB}/artifacts"
    requests_mock.get(f"{base}/q", text="OPENQASM 3.0;", headers={"Content-Type": "text/plain"})
    requests_mock.get(f"{base}/n", json={"circuit": []})
    requests_mock.get(
        f"{base}/m", content=b"\x00\x01", headers={"Content-Type": "application/octet-stream"}
    )
    assert v4.adapter.get_artifact(JOB, "q") == "OPENQASM 3.0;"
    assert v4.adapter.get_artifact(JOB, "n") == {"circuit": []}
    assert v4.adapter.get_artifact(JOB, "m") == b"\x00\x01"


def test_shots_prefer_the_v2_artifact_then_the_v1_url(v4, requests_mock):
    requests_mock.get(f"{V4}/jobs/{JOB}/artifacts/s2", json={"shots": []})
    requests_mock.get(f"{V4}/jobs/{JOB}/results/shots", json=["3", "0"])
    both = {
        "results": {
            "ionq.result.shots.json.v2": {"id": "s2", "format": "x", "media_type": "y"},
            "shots": {"url": f"/v0.4/jobs/{JOB}/results/shots"},
        }
    }
    assert v4.adapter.get_shots(JOB, both) == {"shots": []}
    url_only = {"results": {"shots": {"url": f"/v0.4/jobs/{JOB}/results/shots"}}}
    assert v4.adapter.get_shots(JOB, url_only) == ["3", "0"]
    with pytest.raises(IonQJobError, match="ideal simulator"):
        v4.adapter.get_shots(JOB, {"results": {"probabilities": {"url": "/x"}}})


def test_session_routes_send_the_documented_bodies(v4, requests_mock):
    created = requests_mock.post(f"{V4}/sessions", status_code=201, json={"id": "s1"})
    requests_mock.get(f"{V4}/sessions/s1", json={"id": "s1", "status": "started"})
    ended = requests_mock.post(f"{V4}/sessions/s1/end", json={"id": "s1", "status": "ended"})
    body = {"backend": "qpu.forte-1", "settings": {"job_count_limit": 2}}
    assert v4.adapter.create_session(body)["id"] == "s1"
    assert json.loads(created.last_request.body) == body
    assert created.last_request.headers["Authorization"].startswith("apiKey ")
    assert v4.adapter.get_session("s1")["status"] == "started"
    assert v4.adapter.end_session("s1")["status"] == "ended" and ended.called_once


def test_cost_estimate_and_list_filters(v4, requests_mock):
    requests_mock.get(f"{V4}/jobs/{JOB}/cost", json={"dry_run": False, "estimated_cost": 1})
    estimate = requests_mock.get(f"{V4}/jobs/estimate", json={"estimated_total_cost": 2})
    page = requests_mock.get(f"{V4}/jobs", json={"jobs": [{"id": JOB, "status": "started",
                                                           "backend": "qpu.forte-1"}],
                                                 "next": None})  # fmt: skip
    assert v4.adapter.get_job_cost(JOB)["estimated_cost"] == 1
    v4.adapter.estimate_job({"backend": "qpu.forte-1", "1q_gates": 3, "error_mitigation": "false"})
    assert estimate.last_request.qs == {
        "backend": ["qpu.forte-1"], "1q_gates": ["3"], "error_mitigation": ["false"]
    }  # fmt: skip
    listed = v4.adapter.list_jobs_page(
        status="running", limit=5, backend="qpu.forte-1", session_id="s1"
    )
    assert page.last_request.qs == {
        "status": ["started"], "limit": ["5"], "target": ["qpu.forte-1"], "session_id": ["s1"]
    }  # fmt: skip
    assert listed["jobs"][0]["status"] == "running" and listed["jobs"][0]["target"] == "qpu.forte-1"
