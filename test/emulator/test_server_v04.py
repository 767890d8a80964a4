"""The emulator's ``/v0.4`` tree: bodies, status codes, error shapes, one store with ``/v0.3``."""

from __future__ import annotations

import re
import threading
from typing import Any, Dict

import pytest
import requests
from test_server_support import assert_error, job_body, multi_body, wait_status

from qiskit_ionq.emulator import IonQEmulator

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
JOB_KEYS = {
    "id", "status", "type", "backend", "dry_run", "submitter_id", "project_id",
    "parent_job_id", "child_job_ids", "session_id", "metadata", "name", "submitted_at",
    "started_at", "completed_at", "predicted_wait_time_ms", "predicted_execution_duration_ms",
    "execution_duration_ms", "shots", "failure", "cost_model", "settings", "stats", "output",
    "results",
}  # fmt: skip


def v4_body(**extra: Any) -> Dict[str, Any]:
    """The v0.4 form of :func:`job_body` (flips qubit 1: result key "2")."""
    body = job_body(x=(1,))
    body.pop("registers")
    body["input"].pop("format")
    body["backend"] = body.pop("target")
    body["type"] = "ionq.circuit.v1"
    body.update(extra)
    return body


@pytest.fixture
def v4(emu: IonQEmulator) -> str:
    return emu.url_for("v0.4")


def test_create_answers_201_with_exactly_three_keys(v4, http):
    response = http.post(f"{v4}/jobs", json=v4_body())
    assert response.status_code == 201
    answer = response.json()
    assert set(answer) == {"id", "status", "session_id"}
    assert answer["status"] == "submitted" and answer["session_id"] is None


@pytest.mark.parametrize(
    "change, message",
    [
        ({"type": None}, "Missing 'type'"),
        ({"type": "quantum-function"}, "Unsupported job type"),
        ({"backend": None}, "Missing 'backend'"),
        ({"type": "ionq.multi-circuit.v1"}, "needs 'input.circuits'"),
    ],
)
def test_bad_create_bodies_are_400_with_the_error_shape(v4, http, change, message):
    body = v4_body()
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    assert message in assert_error(http.post(f"{v4}/jobs", json=body), 400)["message"]


def test_a_v03_body_is_refused_on_v04_with_a_hint(v4, http):
    error = assert_error(http.post(f"{v4}/jobs", json=job_body()), 400)
    assert "type" in error["message"]


def test_job_object_has_every_key_and_iso_times(emu, v4, http):
    job_id = http.post(f"{v4}/jobs", json=v4_body(shots="100")).json()["id"]
    job = wait_status(http, f"{v4}/jobs/{job_id}", {"completed"})
    assert set(job) >= JOB_KEYS
    assert job["status"] == "completed" and job["backend"] == "simulator"
    assert job["type"] == "ionq.circuit.v1" and job["child_job_ids"] is None
    assert all(ISO.match(job[k]) for k in ("submitted_at", "started_at", "completed_at"))
    assert job["stats"]["circuits"] == 1 and job["stats"]["qubits"] == 2
    assert job["results"] == {
        "probabilities": {"url": f"/v0.4/jobs/{job_id}/results/probabilities"}
    }
    assert job["noise"] == {"model": "ideal"} and job["shots"] == 100
    origin = v4[: -len("/v0.4")]
    assert http.get(origin + job["results"]["probabilities"]["url"]).json() == {"2": 1.0}


def test_one_store_for_both_versions(emu, v4, http):
    from_v3 = http.post(f"{emu.url_for('v0.3')}/jobs", json=job_body(x=(0,))).json()["id"]
    from_v4 = http.post(f"{v4}/jobs", json=v4_body()).json()["id"]
    wait_status(http, f"{v4}/jobs/{from_v3}", {"completed"})
    v3_view = wait_status(http, f"{emu.url_for('v0.3')}/jobs/{from_v4}", {"completed"})
    assert v3_view["target"] == "simulator" and "results_url" in v3_view
    assert http.get(f"{v4}/jobs/{from_v3}/results/probabilities").json() == {"1": 1.0}
    assert http.get(f"{emu.url_for('v0.3')}/jobs/{from_v4}/results").json() == {"2": 1.0}
    assert emu.stats()["requests"]["POST /jobs"] == {"200": 1, "201": 1}


def test_started_status_and_results_404_until_completed(sim, emu, v4, http):
    sim.gate = threading.Event()
    try:
        job_id = http.post(f"{v4}/jobs", json=v4_body()).json()["id"]
        job = wait_status(http, f"{v4}/jobs/{job_id}", {"started"})
        assert job["status"] == "started" and job["results"] is None
        assert job["completed_at"] is None
        assert_error(http.get(f"{v4}/jobs/{job_id}/results/probabilities"), 404)
        listed = http.get(f"{v4}/jobs", params={"status": "started"}).json()
        assert [j["id"] for j in listed["jobs"]] == [job_id]
        assert http.get(f"{emu.url_for('v0.3')}/jobs/{job_id}").json()["status"] == "running"
    finally:
        sim.gate.set()


def test_multi_circuit_parent_children_and_aggregate(v4, http):
    body = multi_body(3)
    body["backend"] = body.pop("target")
    body["type"] = "ionq.multi-circuit.v1"
    job_id = http.post(f"{v4}/jobs", json=body).json()["id"]
    parent = wait_status(http, f"{v4}/jobs/{job_id}", {"completed"})
    children = parent["child_job_ids"]
    assert len(children) == 3 and parent["type"] == "ionq.multi-circuit.v1"
    url = parent["results"]["probabilities"]["url"]
    assert url == f"/v0.4/jobs/{job_id}/results/probabilities/aggregated"
    aggregate = http.get(f"{v4}/jobs/{job_id}/results/probabilities/aggregated").json()
    assert list(aggregate) == children  # submission order
    child = http.get(f"{v4}/jobs/{children[1]}").json()
    assert child["parent_job_id"] == job_id and child["name"] == "c1"


def test_list_next_is_null_on_the_last_page_and_entries_lack_children(v4, http):
    ids = [http.post(f"{v4}/jobs", json=v4_body()).json()["id"] for _ in range(3)]
    first = http.get(f"{v4}/jobs", params={"limit": 2}).json()
    assert first["next"] and [j["id"] for j in first["jobs"]] == ids[::-1][:2]
    last = http.get(f"{v4}/jobs", params={"limit": 2, "next": first["next"]}).json()
    assert last["next"] is None and [j["id"] for j in last["jobs"]] == [ids[0]]
    assert all("child_job_ids" not in j for j in first["jobs"] + last["jobs"])
    picked = http.get(f"{v4}/jobs", params=[("ids", ids[0]), ("ids", ids[2])]).json()
    assert {j["id"] for j in picked["jobs"]} == {ids[0], ids[2]}


def test_failed_job_has_code_message_and_error(v4, http):
    job_id = http.post(f"{v4}/jobs", json=v4_body(settings={"fake": "fail"})).json()["id"]
    job = wait_status(http, f"{v4}/jobs/{job_id}", {"failed"})
    failure = job["failure"]
    assert failure["code"] == "SimulationError"
    assert failure["message"] == failure["error"] and "simulated failure" in failure["message"]


def test_cancel_and_delete(v4, http):
    job_id = http.post(f"{v4}/jobs", json=v4_body()).json()["id"]
    assert http.put(f"{v4}/jobs/{job_id}/status/cancel").status_code == 200
    assert http.delete(f"{v4}/jobs/{job_id}").json() == {"id": job_id, "status": "deleted"}
    assert_error(http.get(f"{v4}/jobs/{job_id}"), 404)


# ----------------------------------------------------------------------------- catalog
def test_backends_have_v04_fields_and_a_restricted_zz_system(v4):
    backends = {b["backend"]: b for b in requests.get(f"{v4}/backends").json()}
    tempo = backends["qpu.tempo-1"]
    assert tempo["supported_native_gates"] == ["gpi", "gpi2", "zz"]
    assert backends["qpu.aria-1"]["supported_native_gates"] == ["gpi", "gpi2", "ms"]
    assert ISO.match(tempo["last_updated"]) and "characterization_url" not in tempo
    assert tempo["characterization_id"] and backends["simulator"]["characterization_id"] is None
    assert requests.get(f"{v4}/backends/qpu.tempo-1").json() == tempo
    assert_error(requests.get(f"{v4}/backends/qpu.nope"), 404)


def test_characterizations_newest_first_null_for_the_simulator(v4):
    page = requests.get(f"{v4}/backends/qpu.tempo-1/characterizations?limit=1").json()
    (current,) = page["characterizations"]
    assert ISO.match(current["date"]) and page["pages"] > 0
    pairs = {tuple(p) for p in current["connectivity"]}
    assert len(pairs) == 12 and (0, 1) in pairs and (0, 11) in pairs and (0, 5) not in pairs
    older = requests.get(
        f"{v4}/backends/qpu.tempo-1/characterizations",
        params={"limit": 10, "end": current["date"][:10] + "T00:00:00Z"},
    ).json()
    assert all(c["date"] <= current["date"] for c in older["characterizations"])
    simulator = requests.get(f"{v4}/backends/simulator/characterizations").json()
    assert simulator == {"characterizations": None, "pages": 0}
    assert_error(requests.get(f"{v4}/backends/qpu.tempo-1/characterizations?start=May"), 400)


def test_characterization_by_id_needs_a_key(v4, http):
    current = requests.get(f"{v4}/backends/qpu.forte-1/characterizations?limit=1").json()
    char_id = current["characterizations"][0]["id"]
    url = f"{v4}/backends/qpu.forte-1/characterizations/{char_id}"
    assert_error(requests.get(url), 401)
    assert http.get(url).json()["id"] == char_id


def test_whoami_needs_a_key_and_health_does_not(v4, http):
    assert_error(requests.get(f"{v4}/whoami"), 401)
    who = http.get(f"{v4}/whoami").json()
    assert set(who) == {"key_id", "key_name", "project_id"}
    assert "test-key" not in str(who)
    assert requests.get(f"{v4}/health").json() == {"status": "pass"}


def test_faults_name_routes_alike_on_both_versions(emu, v4, http):
    emu.faults.add(route="POST /jobs", kind="status", status=503, times=2)
    assert http.post(f"{v4}/jobs", json=v4_body()).status_code == 503
    assert http.post(f"{emu.url_for('v0.3')}/jobs", json=job_body()).status_code == 503
    emu.faults.add(route="POST /jobs", kind="store_then_fail", status=502, times=1)
    assert http.post(f"{v4}/jobs", json=v4_body()).status_code == 502
    assert emu.stats()["jobs_created"] == 1  # stored, then the 201 was replaced
