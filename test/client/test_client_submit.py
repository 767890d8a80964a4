"""Exactly-once job submission: retries that cannot duplicate, reconciliation that adopts.

The scenarios are the hazards of docs/reference/ionq-api.md §7.5: a proxy 502 or a read
timeout after
the server stored the job (a blind retry would create a second one), and a lost connection
(giving up would lose the job's id). Nothing sleeps: the transport runs on a fake clock.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from qiskit_ionq.api.retry import RetryPolicy
from qiskit_ionq.constants import SUBMISSION_ID_KEY
from qiskit_ionq.exceptions import (
    IonQAPIError,
    IonQClientError,
    IonQRetriableError,
    IonQSubmissionUnknownError,
)

BODY = {"target": "simulator", "shots": 100, "input": {"qubits": 1, "circuit": []}}


def _sids(fake: Any) -> set:
    return {post["metadata"][SUBMISSION_ID_KEY] for post in fake.posts}


def test_plain_submit_tags_the_body_and_returns_the_create_response(client, fake):
    response = client.submit_job(BODY)
    assert response["status"] == "ready" and response["id"] == fake.jobs[0]["id"]
    sid = fake.posts[0]["metadata"][SUBMISSION_ID_KEY]
    assert len(sid) == 32 and int(sid, 16) >= 0  # uuid4 hex
    assert fake.list_calls == 0


def test_the_callers_body_is_not_mutated(client, fake):
    body = {**BODY, "metadata": {"shots": "100"}}
    snapshot = json.dumps(body, sort_keys=True)
    client.submit_job(body)
    assert json.dumps(body, sort_keys=True) == snapshot
    assert fake.posts[0]["metadata"]["shots"] == "100"


def test_json_text_and_serialize_objects_are_accepted(client, fake):
    class Job:
        def serialize(self) -> str:
            return json.dumps(BODY)

    client.submit_job(json.dumps(BODY))
    client.submit_job(Job())
    assert len(fake.jobs) == 2 and all(p["target"] == "simulator" for p in fake.posts)
    assert len(_sids(fake)) == 2  # each submission gets its own id


def test_a_job_payload_is_sent_with_its_gates_and_a_submission_id(client, fake):
    from qiskit import QuantumCircuit

    from qiskit_ionq.serializer import build_job_payload

    qc = QuantumCircuit(2, 2, name="payload")
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    payload = build_job_payload(qc, target="simulator", shots=7)
    before = payload.to_json()
    client.submit_job(payload)
    posted = fake.posts[0]
    assert posted["input"]["circuit"] == payload.to_dict()["input"]["circuit"]
    assert posted["shots"] == 7 and posted["name"] == "payload"
    assert len(posted["metadata"][SUBMISSION_ID_KEY]) == 32
    assert payload.to_json() == before  # the caller's payload is untouched


def test_an_unserializable_payload_is_refused_before_sending(client, fake):
    from qiskit import QuantumCircuit

    from qiskit_ionq.serializer import build_job_payload

    payload = build_job_payload(QuantumCircuit(1), target="simulator", job_settings={1j: 2})
    with pytest.raises(IonQClientError, match="not JSON-serializable"):
        client.submit_job(payload)
    assert fake.posts == []


def test_a_submission_id_already_in_the_body_is_kept(client, fake):
    client.submit_job({**BODY, "metadata": {SUBMISSION_ID_KEY: "mine"}})
    assert fake.posts[0]["metadata"][SUBMISSION_ID_KEY] == "mine"


@pytest.mark.parametrize("bad", [42, "not json", '["a list"]', {"metadata": "text"}])
def test_bad_bodies_are_refused_before_sending(client, fake, bad):
    with pytest.raises(IonQClientError):
        client.submit_job(bad)
    assert fake.posts == []


@pytest.mark.parametrize(
    "failure", ["store_502", "store_timeout", "store_reset", "store_500", "store_badjson"]
)
def test_job_stored_then_failure_is_adopted_not_duplicated(client, fake, clock, failure):
    fake.add_old_jobs(3)
    fake.script = [failure]
    response = client.submit_job(BODY)
    stored = [job for job in fake.jobs if job["status"] == "ready"]
    assert len(stored) == 1 and len(fake.posts) == 1  # exactly one job, one POST
    assert response["id"] == stored[0]["id"]
    assert fake.list_calls == 1
    assert clock.sleeps[0] == RetryPolicy().reconcile_delay  # grace before listing


@pytest.mark.parametrize("failure", ["502_nostore", "500_nostore"])
def test_proven_absence_leads_to_exactly_one_resubmission(client, fake, failure):
    fake.add_old_jobs(2)
    fake.script = [failure]
    response = client.submit_job(BODY)
    assert len(fake.posts) == 2 and len(_sids(fake)) == 1  # same submission id both times
    assert [job["id"] for job in fake.jobs if job["status"] == "ready"] == [response["id"]]


def test_empty_job_list_proves_absence(client, fake):
    fake.script = ["502_nostore"]
    client.submit_job(BODY)
    assert len(fake.posts) == 2 and len(fake.jobs) == 1


def test_a_timeout_without_a_job_is_never_resubmitted(client, fake, clock):
    # The request may still be in flight (a server validating a large job): an empty list
    # proves nothing. The list is read again for the whole window, then the error names the
    # submission id and how to look for it; one POST only.
    fake.add_old_jobs(1)
    fake.script = ["timeout_nostore"]
    with pytest.raises(IonQSubmissionUnknownError) as info:
        client.submit_job(BODY)
    sid = fake.posts[0]["metadata"][SUBMISSION_ID_KEY]
    assert info.value.submission_id == sid
    message = str(info.value)
    assert sid in message and "may still appear" in message
    assert f"qiskit-ionq job find {sid}" in message and "find_job(" in message
    assert len(fake.posts) == 1 and fake.list_calls > 3
    assert clock.now - 1000.0 >= RetryPolicy().reconcile_timeout  # the whole window was used


def test_a_job_stored_late_is_adopted_within_the_window(client, fake, clock, requests_mock):
    # A slow accept: the POST times out, the job appears in the list only 40 s later.
    fake.script = ["timeout_nostore"]
    original_list = fake._list

    def list_then_store(request, context):
        if clock.now >= 1040 and not fake.jobs:
            fake._store(fake.posts[0])
        return original_list(request, context)

    requests_mock.get(f"{client.url}/jobs", json=list_then_store)
    response = client.submit_job(BODY)
    assert len(fake.posts) == 1 and response["id"] == fake.jobs[0]["id"]


def test_a_listing_without_metadata_never_proves_absence(client, fake, requests_mock):
    # Another tool's trimmed list view: no `metadata` field. Not proof, even after a 502.
    fake.script = ["502_nostore"]
    original_list = fake._list

    def trimmed(request, context):
        data = original_list(request, context)
        data["jobs"] = [{k: v for k, v in j.items() if k != "metadata"} for j in data["jobs"]]
        return data

    requests_mock.get(f"{client.url}/jobs", json=trimmed)
    fake.jobs.append({"id": "someone", "status": "ready", "request": 10**10})
    with pytest.raises(IonQClientError, match="MAY EXIST") as info:
        client.submit_job(BODY)
    assert "does not show the metadata" in str(info.value)
    assert len(fake.posts) == 1


def test_connection_refused_before_sending_is_retried_without_reconciling(client, fake):
    fake.script = ["refuse", "refuse"]
    client.submit_job(BODY)
    assert len(fake.posts) == 3 and len(fake.jobs) == 1 and fake.list_calls == 0


def test_429_on_submit_is_retried_after_retry_after(client, fake, clock):
    fake.script = ["429"]
    client.submit_job(BODY)
    assert len(fake.posts) == 2 and fake.list_calls == 0
    assert 2.0 <= clock.sleeps[0] <= 2.5  # Retry-After: 2 plus at most base_delay of jitter


def test_resubmissions_are_bounded_and_end_with_the_api_error(client, fake, policy):
    fake.add_old_jobs(1)
    fake.script = ["502_nostore"] * 10
    with pytest.raises(IonQAPIError) as info:
        client.submit_job(BODY)
    assert not isinstance(info.value, IonQRetriableError)
    assert info.value.status_code == 502 and "502 Bad Gateway" in info.value.body
    assert len(fake.posts) == policy.max_attempts and fake.jobs[-1]["status"] == "completed"


def test_repeated_500s_end_with_the_api_error(client, fake, policy):
    fake.add_old_jobs(1)
    fake.script = ["500_nostore"] * 10
    with pytest.raises(IonQAPIError) as info:
        client.submit_job(BODY)
    assert info.value.status_code == 500 and info.value.message == "boom"
    assert len(fake.posts) == policy.max_attempts


def test_adoption_reads_later_pages(make_client, fake, requests_mock):
    client = make_client(retry_policy=RetryPolicy(reconcile_page_size=2))
    original_post = fake._post

    def post_then_others(request, context):
        text = original_post(request, context)
        fake.jobs.append({"id": "other-1", "status": "ready", "request": 10**10, "metadata": None})
        fake.jobs.append({"id": "other-2", "status": "ready", "request": 10**10, "metadata": {}})
        fake.jobs.append({"id": "other-3", "status": "ready", "request": 10**10})
        return text

    requests_mock.post(f"{client.url}/jobs", text=post_then_others)
    fake.script = ["store_502"]
    response = client.submit_job(BODY)
    assert response["metadata"][SUBMISSION_ID_KEY] == fake.posts[0]["metadata"][SUBMISSION_ID_KEY]
    assert fake.list_calls == 2 and len(fake.posts) == 1


def test_listing_failure_says_the_job_may_exist(client, fake, requests_mock):
    fake.script = ["store_timeout"]
    requests_mock.get(
        f"{client.url}/jobs",
        status_code=503,
        json={"statusCode": 503, "error": "Unavailable", "message": "down"},
    )
    with pytest.raises(IonQClientError) as info:
        client.submit_job(BODY)
    sid = fake.posts[0]["metadata"][SUBMISSION_ID_KEY]
    assert sid in str(info.value) and "MAY EXIST" in str(info.value)
    assert len(fake.posts) == 1


def test_listing_that_cannot_prove_absence_within_its_pages_raises(make_client, fake):
    client = make_client(retry_policy=RetryPolicy(reconcile_page_size=2, reconcile_max_pages=3))
    for index in range(20):  # recent jobs of others, none old enough to end the search
        fake.jobs.append({"id": f"j{index}", "status": "ready", "request": 10**10, "metadata": {}})
    fake.script = ["502_nostore"]
    with pytest.raises(IonQClientError, match="MAY EXIST") as info:
        client.submit_job(BODY)
    assert "newest 3 pages" in str(info.value)
    assert fake.list_calls == 3 and len(fake.posts) == 1


def test_children_echoing_the_metadata_are_not_adopted(client, fake, requests_mock):
    fake.script = ["store_502"]
    original_list = fake._list

    def with_child(request, context):
        data = original_list(request, context)
        parent = dict(data["jobs"][0], children=["child-1"])
        child = {
            "id": "child-1",
            "status": "ready",
            "request": parent["request"],
            "metadata": parent["metadata"],
        }
        data["jobs"] = [child, parent] + data["jobs"][1:]
        return data

    requests_mock.get(f"{client.url}/jobs", json=with_child)
    response = client.submit_job(BODY)
    assert response["id"] == fake.jobs[0]["id"] != "child-1"


def test_eight_threads_submitting_through_ambiguous_failures(client, fake):
    fake.add_old_jobs(1)
    fake.script = ["store_502", "store_timeout", "ok", "502_nostore"] * 2 + ["ok"] * 8
    results, errors = [], []
    lock = threading.Lock()

    def work() -> None:
        try:
            response = client.submit_job(BODY)
            with lock:
                results.append(response["id"])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    new_jobs = [job["id"] for job in fake.jobs if job["status"] == "ready"]
    assert sorted(results) == sorted(new_jobs) and len(set(results)) == 8
