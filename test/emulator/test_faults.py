"""Fault injection: spec parsing, rule counting, and every fault kind over a real socket."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from test_server_support import FakeSimulator, assert_error, job_body, session

from qiskit_ionq.emulator import FaultInjector, FaultRule, IonQEmulator, parse_fault_spec


@pytest.fixture
def emu():
    with IonQEmulator(simulator=FakeSimulator(), seed=7) as emulator:
        yield emulator


@pytest.fixture
def http():
    with session() as s:
        yield s


# ----------------------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    "spec, expected",
    [
        (
            "POST /jobs:502:times=2",
            {"route": "POST /jobs", "kind": "status", "status": 502, "times": 2},
        ),
        (
            "GET /jobs/{id}:503:rate=0.3",
            {"route": "GET /jobs/{id}", "kind": "status", "status": 503, "rate": 0.3},
        ),
        ("POST /jobs:store_then_fail", {"route": "POST /jobs", "kind": "store_then_fail"}),
        (
            "POST /jobs:store_then_reset:after=1",
            {"route": "POST /jobs", "kind": "store_then_reset", "after": 1},
        ),
        (
            "GET /jobs/*/results:slow:delay=2.5",
            {"route": "GET /jobs/*/results", "kind": "slow", "delay": 2.5},
        ),
        (
            "* *:reset:times=inf:rate=0.05",
            {"route": "* *", "kind": "reset", "times": None, "rate": 0.05},
        ),
        (
            "/backends:429:retry_after=3:body=html",
            {
                "route": "/backends",
                "kind": "status",
                "status": 429,
                "retry_after": 3,
                "body": "html",
            },
        ),
        (
            "POST /jobs:slow_accept:delay=40",
            {"route": "POST /jobs", "kind": "slow_accept", "delay": 40},
        ),
        (
            "* *:500:rate=0.2",
            {"route": "* *", "kind": "status", "status": 500, "rate": 0.2},
        ),
        (
            "POST /jobs:store_then_fail:status=503",
            {"route": "POST /jobs", "kind": "store_then_fail", "status": 503},
        ),
    ],
)
def test_parse_fault_spec(spec, expected):
    assert parse_fault_spec(spec) == expected


@pytest.mark.parametrize(
    "spec",
    [
        "POST /jobs",
        ":502",
        "POST /jobs:explode",
        "POST /jobs:200",
        "POST /jobs:502:times",
        "POST /jobs:502:rate=2",
        "POST /jobs:slow_accept",
        "POST /jobs:502:colour=red",
        "GET /x:slow",
        "POST /jobs:502:times=-1",
        "POST /jobs:502:body=xml",
        "POST /jobs:502:rate=abc",
    ],
)
def test_parse_fault_spec_rejects(spec):
    with pytest.raises(ValueError):
        parse_fault_spec(spec)


def test_rule_matching():
    rule = FaultRule(route="GET /jobs/{id}", status=500)
    assert rule.matches("GET", "/jobs/{id}", "/jobs/abc")
    assert not rule.matches("GET", "/jobs/{id}/results", "/jobs/abc/results")
    assert not rule.matches("DELETE", "/jobs/{id}", "/jobs/abc")
    glob = FaultRule(route="/jobs/*", status=500)  # any method, glob on the real path
    assert glob.matches("DELETE", "/jobs/{id}", "/jobs/abc")
    assert glob.matches("GET", "/jobs/{id}/results", "/jobs/abc/results")
    assert not glob.matches("GET", "/backends", "/backends")
    anything = FaultRule(route="*", status=500)
    assert anything.matches("PUT", None, "/whatever")


def test_injector_counts_once_times_after_and_rate():
    faults = FaultInjector(seed=1)
    once = faults.add("GET /backends", 500)  # int kind == status
    assert once.kind == "status" and once.times == 1
    picks = [faults.pick("GET", "/backends", "/backends") for _ in range(3)]
    assert picks == [once, None, None] and once.exhausted

    faults.clear()
    twice = faults.add("POST /jobs", kind="status", status=502, times=2, after=1)
    picks = [faults.pick("POST", "/jobs", "/jobs") for _ in range(5)]
    assert picks == [None, twice, twice, None, None]

    def pattern(seed):
        injector = FaultInjector(seed=seed)
        injector.add("*", kind="status", status=503, rate=0.5)
        return [injector.pick("GET", "/jobs", "/jobs") is not None for _ in range(40)]

    assert pattern(3) == pattern(3)  # reproducible with a seed
    assert 5 < sum(pattern(3)) < 35  # and actually random


# ----------------------------------------------------------------------------- over HTTP
@pytest.mark.parametrize("status", [429, 503])
def test_status_with_retry_after(emu, http, status):
    emu.faults.add(route="GET /jobs", kind="status", status=status)
    response = http.get(f"{emu.url}/jobs")
    assert_error(response, status)
    assert response.headers["Retry-After"] == "1"
    assert http.get(f"{emu.url}/jobs").status_code == 200  # once by default


def test_retry_after_configurable(emu, http):
    emu.faults.add(route="GET /jobs", kind="status", status=429, retry_after=7)
    assert http.get(f"{emu.url}/jobs").headers["Retry-After"] == "7"


@pytest.mark.parametrize("status", [409, 502, 520, 524, 529])
def test_cdn_statuses_have_html_bodies(emu, http, status):
    emu.faults.add(route="GET /jobs/{id}", kind="status", status=status)
    response = http.get(f"{emu.url}/jobs/abc")
    assert response.status_code == status
    assert response.headers["Content-Type"] == "text/html"
    assert response.text.lstrip().startswith("<!DOCTYPE html>") and "cloudflare" in response.text
    assert int(response.headers["Content-Length"]) == len(response.content)


@pytest.mark.parametrize("status", [500, 504])
def test_json_statuses(emu, http, status):
    emu.faults.add(route="GET /backends", kind="status", status=status)
    assert_error(requests.get(f"{emu.url}/backends"), status)


def test_times_n_then_normal(emu, http):
    emu.faults.add(route="POST /jobs", kind="status", status=502, times=2)
    codes = [http.post(f"{emu.url}/jobs", json=job_body()).status_code for _ in range(3)]
    assert codes == [502, 502, 200]
    assert emu.stats()["jobs_created"] == 1  # a plain status fault never creates the job
    assert emu.stats()["requests"]["POST /jobs"] == {"502": 2, "200": 1}


def test_reset_closes_without_response(emu, http):
    emu.faults.add(route="GET /jobs", kind="reset")
    with pytest.raises(requests.ConnectionError):
        http.get(f"{emu.url}/jobs")
    assert http.get(f"{emu.url}/jobs").status_code == 200  # new connection works
    assert emu.stats()["requests"]["GET /jobs"] == {"reset": 1, "200": 1}


def test_slow_response_triggers_client_timeout(emu, http):
    emu.faults.add(route="POST /jobs", kind="slow", delay=1.0)
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        http.post(f"{emu.url}/jobs", json=job_body(), timeout=0.2)
    assert time.monotonic() - started < 0.9
    # the request reached the server: the job exists although the client never learned its id
    assert len(emu.job_ids()) == 1
    assert http.get(f"{emu.url}/jobs").status_code == 200


def test_slow_response_eventually_answers(emu, http):
    emu.faults.add(route="GET /backends", kind="slow", delay=0.2)
    started = time.monotonic()
    assert http.get(f"{emu.url}/backends").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_slow_does_not_hold_up_stop(http):
    emulator = IonQEmulator(simulator=FakeSimulator()).start()
    emulator.faults.add(route="GET /backends", kind="slow", delay=30)
    outcome = []

    def call():
        try:
            outcome.append(http.get(f"{emulator.url}/backends", timeout=5).status_code)
        except requests.RequestException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.1)
    started = time.monotonic()
    emulator.stop()
    assert time.monotonic() - started < 2
    thread.join(5)
    assert outcome and not thread.is_alive()  # answered or dropped, but not left hanging


def _listed_ids(emu, http):
    return [job["id"] for job in http.get(f"{emu.url}/jobs").json()["jobs"]]


def test_slow_accept_stores_the_job_only_after_the_delay(emu, http):
    """A client whose POST times out cannot find the job yet; it appears after the delay."""
    rule = emu.faults.add(route="POST /jobs", kind="slow_accept", delay=0.8)
    body = job_body(metadata={"qiskit_ionq_submission_id": "sub-1"})
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        http.post(f"{emu.url}/jobs", json=body, timeout=0.2)
    assert rule.fired == 1
    # still "validating": absent from the list, the stats and the store
    assert _listed_ids(emu, http) == [] and emu.stats()["jobs_created"] == 0
    deadline = started + 5
    while not emu.job_ids() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert time.monotonic() - started >= 0.75  # not before the delay
    (job,) = http.get(f"{emu.url}/jobs").json()["jobs"]
    assert job["metadata"]["qiskit_ionq_submission_id"] == "sub-1"
    assert emu.stats()["jobs_created"] == 1
    # once by default: the next POST is stored at once
    assert http.post(f"{emu.url}/jobs", json=job_body(), timeout=2).status_code == 200
    assert len(emu.job_ids()) == 2


def test_slow_accept_answers_after_the_delay_when_the_client_waits(emu, http):
    emu.faults.add("POST /jobs", kind="slow_accept", delay=0.3)
    started = time.monotonic()
    answer = http.post(f"{emu.url}/jobs", json=job_body(), timeout=5)
    assert time.monotonic() - started >= 0.3
    assert answer.status_code == 200 and _listed_ids(emu, http) == [answer.json()["id"]]
    # other routes are not held
    started = time.monotonic()
    assert http.get(f"{emu.url}/jobs").status_code == 200
    assert time.monotonic() - started < 0.3


def test_slow_accept_interrupted_by_stop_stores_nothing(http):
    emulator = IonQEmulator(simulator=FakeSimulator()).start()
    try:
        emulator.faults.add(route="POST /jobs", kind="slow_accept", delay=30)
        with pytest.raises(requests.ReadTimeout):
            http.post(f"{emulator.url}/jobs", json=job_body(), timeout=0.2)
        started = time.monotonic()
        emulator.stop()
        assert time.monotonic() - started < 2
        assert emulator.stats()["jobs_created"] == 0
    finally:
        emulator.stop()


@pytest.mark.parametrize(
    "method, route, path",
    [
        ("GET", "/jobs", "/jobs"),
        ("GET", "/jobs/{id}", "/jobs/ID"),
        ("GET", "/jobs/{id}/results", "/jobs/ID/results"),
        (
            "GET",
            "/characterizations/backends/{backend}/current",
            "/characterizations/backends/qpu.aria-1/current",
        ),
        ("GET", "/backends", "/backends"),
        ("PUT", "/jobs/{id}/status/cancel", "/jobs/ID/status/cancel"),
        ("DELETE", "/jobs/{id}", "/jobs/ID"),
        ("POST", "/jobs", "/jobs"),
    ],
)
def test_500_on_every_route(emu, http, method, route, path):
    """``status`` 500 works on any route and method, with the vendor's JSON error body."""
    job_id = http.post(f"{emu.url}/jobs", json=job_body()).json()["id"]
    created = emu.stats()["jobs_created"]
    emu.faults.add(route=f"{method} {route}", kind="status", status=500)
    kwargs = {"json": job_body()} if method == "POST" else {}
    url = f"{emu.url}{path.replace('ID', job_id)}"
    assert_error(http.request(method, url, **kwargs), 500)
    assert http.request(method, url, **kwargs).status_code == 200  # once, then normal
    assert emu.stats()["requests"][f"{method} {route}"]["500"] == 1
    if method == "POST":  # a plain 500 stores nothing; the retry stored one job
        assert emu.stats()["jobs_created"] == created + 1


def test_500_everywhere_and_store_then_fail_500(emu, http):
    emu.faults.add("* *", kind="status", status=500, times=3)
    assert [http.get(f"{emu.url}/{p}").status_code for p in ("jobs", "backends", "x")] == [500] * 3
    assert http.get(f"{emu.url}/backends").status_code == 200
    emu.faults.add("POST /jobs", kind="store_then_fail", status=500)
    assert_error(http.post(f"{emu.url}/jobs", json=job_body()), 500)
    assert len(emu.job_ids()) == 1  # a 500 on POST may mean "stored"


def test_store_then_fail_creates_exactly_one_job_per_post(emu, http):
    emu.faults.add(route="POST /jobs", kind="store_then_fail", status=502, times=2)
    responses = [http.post(f"{emu.url}/jobs", json=job_body()) for _ in range(3)]
    assert [r.status_code for r in responses] == [502, 502, 200]
    assert responses[0].headers["Content-Type"] == "text/html"
    assert len(emu.job_ids()) == 3 and emu.stats()["jobs_created"] == 3
    assert emu.job_ids()[0] == responses[2].json()["id"]


def test_store_then_fail_default_status_and_json_body(emu, http):
    rule = emu.faults.add(route="POST /jobs", kind="store_then_fail")
    assert rule.status == 502
    emu.faults.add(route="POST /jobs", kind="store_then_fail", status=503, body="json")
    assert http.post(f"{emu.url}/jobs", json=job_body()).status_code == 502
    response = http.post(f"{emu.url}/jobs", json=job_body())
    assert_error(response, 503)
    assert response.headers["Retry-After"] == "1"
    assert len(emu.job_ids()) == 2


def test_store_then_reset(emu, http):
    emu.faults.add(route="POST /jobs", kind="store_then_reset")
    with pytest.raises(requests.ConnectionError):
        http.post(f"{emu.url}/jobs", json=job_body())
    assert len(emu.job_ids()) == 1
    assert emu.stats()["requests"]["POST /jobs"] == {"reset": 1}


def test_store_then_fail_skips_rejected_requests(emu, http):
    emu.faults.add(route="POST /jobs", kind="store_then_fail", times=1)
    assert_error(http.post(f"{emu.url}/jobs", json={"target": "simulator"}), 400)
    assert emu.job_ids() == []


def test_rate_faults_are_seeded(http):
    def run():
        with IonQEmulator(simulator=FakeSimulator(), seed=11) as emulator:
            emulator.faults.add(route="GET /backends", kind="status", status=503, rate=0.5)
            return [requests.get(f"{emulator.url}/backends").status_code for _ in range(20)]

    first = run()
    assert first == run()
    assert set(first) == {200, 503}


def test_faults_skip_admin_routes_and_unknown_v03_routes_match_star(emu):
    emu.faults.add(route="*", kind="status", status=500, times=None)
    admin = f"http://127.0.0.1:{emu.port}/_emulator"
    assert requests.get(f"{admin}/stats").status_code == 200
    assert_error(requests.get(f"{emu.url}/nope"), 500)


def test_admin_fault_routes(emu, http):
    admin = f"http://127.0.0.1:{emu.port}/_emulator/faults"
    answer = requests.post(
        admin,
        json={
            "faults": [
                "GET /jobs:503:times=2",
                {"route": "POST /jobs", "kind": "store_then_fail", "times": 1},
            ]
        },
    )
    assert answer.status_code == 200
    rules = answer.json()["faults"]
    assert [r["route"] for r in rules] == ["GET /jobs", "POST /jobs"]
    assert rules[0]["times"] == 2 and rules[0]["fired"] == 0
    assert http.get(f"{emu.url}/jobs").status_code == 503
    listed = requests.get(admin).json()["faults"]
    assert listed[0]["fired"] == 1
    assert requests.get(f"http://127.0.0.1:{emu.port}/_emulator/stats").json()["faults"] == listed
    # bad specs are refused without changing anything
    assert_error(requests.post(admin, json=["GET /jobs:explode"]), 400)
    assert_error(requests.post(admin, json=[42]), 400)
    assert len(requests.get(admin).json()["faults"]) == 2
    replaced = requests.post(admin, json={"faults": ["GET /backends:500"], "replace": True})
    assert [r["route"] for r in replaced.json()["faults"]] == ["GET /backends"]
    assert requests.post(admin, json="GET /jobs:504").status_code == 200
    assert requests.delete(admin).json() == {"faults": []}
    assert emu.faults.rules == []


def test_reset_clears_faults(emu, http):
    emu.faults.add(route="GET /jobs", kind="status", status=503, times=None)
    emu.reset()
    assert http.get(f"{emu.url}/jobs").status_code == 200
