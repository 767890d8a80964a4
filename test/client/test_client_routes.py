"""Every REST route of the client: method, path, query, headers, timeouts (ionq-api.md §2)."""

from __future__ import annotations

import platform
import re

import pytest
import requests
from client_fakes import BASE, TOKEN

from qiskit_ionq.api.transport import DEFAULT_TIMEOUT, PROBE_TIMEOUT
from qiskit_ionq.exceptions import IonQAPIError, IonQClientError
from qiskit_ionq.ionq_client import IonQClient, get_user_agent

JOB = "0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"


def test_make_path_strips_one_trailing_slash():
    assert IonQClient(TOKEN, "https://h/v0.3").make_path("jobs", JOB, "results") == (
        f"https://h/v0.3/jobs/{JOB}/results"
    )
    assert IonQClient(TOKEN, "https://h/v0.3/").make_path("jobs") == "https://h/v0.3/jobs"
    assert IonQClient(TOKEN, "https://h/v0.3//").make_path("jobs") == "https://h/v0.3//jobs"
    assert IonQClient(TOKEN, "https://h/v0.3").make_path() == "https://h/v0.3"


def test_api_headers_and_custom_headers_never_override_ours(make_client):
    client = make_client(
        custom_headers={
            "X-Trace": "1",
            "authorization": "evil",
            "USER-AGENT": "x",
            "Content-Type": "t",
        }
    )
    headers = client.api_headers
    assert headers["Authorization"] == f"apiKey {TOKEN}"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == get_user_agent()
    assert headers["X-Trace"] == "1"
    assert {k.lower() for k in headers} == {
        "authorization",
        "content-type",
        "user-agent",
        "x-trace",
    }


def test_user_agent_names_package_qiskit_os_and_python():
    agent = get_user_agent()
    # "qiskit-terra/<v>" below Qiskit 1.0, as earlier releases sent it (pinned in test/compat).
    pattern = r"qiskit-ionq/(\S+) \(qiskit(?:-terra)?/(\S+)\) os/(\S+) \(python/(\S+)\)"
    match = re.fullmatch(pattern, agent)
    assert match, agent
    assert match.group(1) == __import__("qiskit_ionq").__version__
    assert match.group(2) != "unknown" and match.group(4) == platform.python_version()


def test_every_request_carries_headers_and_an_explicit_timeout(client, requests_mock):
    requests_mock.get(f"{BASE}/jobs/{JOB}", json={"id": JOB, "status": "running"})
    requests_mock.put(f"{BASE}/jobs/{JOB}/status/cancel", json={"id": JOB, "status": "canceled"})
    requests_mock.delete(f"{BASE}/jobs/{JOB}", json={"id": JOB, "status": "deleted"})
    assert client.retrieve_job(JOB) == {"id": JOB, "status": "running"}
    assert client.cancel_job(JOB)["status"] == "canceled"
    assert client.delete_job(JOB)["status"] == "deleted"
    methods = [(r.method, r.path) for r in requests_mock.request_history]
    path = f"/v0.3/jobs/{JOB}".lower()
    assert methods == [("GET", path), ("PUT", f"{path}/status/cancel"), ("DELETE", path)]
    for request in requests_mock.request_history:
        assert request.headers["Authorization"] == f"apiKey {TOKEN}"
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["User-Agent"].startswith("qiskit-ionq/")
        assert request.timeout == DEFAULT_TIMEOUT
        assert request.body is None


def test_timeout_is_configurable(requests_mock):
    client = IonQClient(TOKEN, BASE, timeout=(1.5, 7))
    requests_mock.get(f"{BASE}/jobs/{JOB}", json={"id": JOB})
    client.retrieve_job(JOB)
    assert requests_mock.last_request.timeout == (1.5, 7.0)


def test_cancel_jobs_loops_the_single_route(client, requests_mock):
    requests_mock.put(re.compile(r".*/status/cancel$"), json={"status": "canceled"})
    assert len(client.cancel_jobs(["a", "b", "c"])) == 3
    assert [r.path.split("/")[3] for r in requests_mock.request_history] == ["a", "b", "c"]


def test_list_jobs_query(client, requests_mock):
    requests_mock.get(f"{BASE}/jobs", json={"jobs": [], "next": "cur2"})
    assert client.list_jobs() == {"jobs": [], "next": "cur2"}
    assert requests_mock.last_request.query == ""
    client.list_jobs(status="completed", ids=["a", "b"], limit=5, next_cursor="cur2")
    assert requests_mock.last_request.qs == {
        "status": ["completed"],
        "id": ["a", "b"],
        "limit": ["5"],
        "next": ["cur2"],
    }


@pytest.mark.parametrize(
    "sharpen, extra, expected",
    [
        (None, None, {}),
        (True, None, {"sharpen": ["true"]}),
        (False, None, {"sharpen": ["false"]}),
        (
            None,
            {"aggregation": "plurality", "flag": True},
            {"aggregation": ["plurality"], "flag": ["true"]},
        ),
    ],
)
def test_get_results_query(client, requests_mock, sharpen, extra, expected):
    requests_mock.get(f"{BASE}/jobs/{JOB}/results", json={"0": 0.5, "3": 0.5})
    assert client.get_results(JOB, sharpen=sharpen, extra_query_params=extra) == {
        "0": 0.5,
        "3": 0.5,
    }
    assert requests_mock.last_request.qs == expected


def test_get_results_keeps_the_servers_key_order(client, requests_mock):
    text = '{"zz-child": {"1": 1.0}, "aa-child": {"0": 1.0}, "mm-child": {"3": 0.25, "0": 0.75}}'
    requests_mock.get(f"{BASE}/jobs/{JOB}/results", text=text)
    results = client.get_results(JOB)
    assert list(results) == ["zz-child", "aa-child", "mm-child"]
    assert list(results["mm-child"]) == ["3", "0"]


def test_get_backends_is_unauthenticated_with_a_short_timeout(make_client, requests_mock):
    entries = [{"backend": "qpu.aria-1", "qubits": 25}, {"backend": "simulator", "qubits": 29}]
    requests_mock.get(f"{BASE}/backends", json=entries)
    for client in (make_client(), make_client(token=None)):
        assert client.get_backends() == entries
        request = requests_mock.last_request
        assert "Authorization" not in request.headers
        assert request.timeout == PROBE_TIMEOUT
        assert request.headers["User-Agent"] == get_user_agent()


def test_get_backends_retries_little(make_client, requests_mock, clock):
    requests_mock.get(f"{BASE}/backends", status_code=503, text="busy")
    with pytest.raises(IonQAPIError):
        make_client().get_backends()
    assert requests_mock.call_count == 2


@pytest.mark.parametrize("name", ["ionq_qpu.aria-1", "qpu.aria-1", "aria-1", " qpu.aria-1 "])
def test_calibration_data_path(client, requests_mock, name):
    url = f"{BASE}/characterizations/backends/qpu.aria-1/current"
    requests_mock.get(url, json={"id": "c1", "qubits": 25})
    assert client.get_calibration_data(name) == {"id": "c1", "qubits": 25}
    assert requests_mock.last_request.url == url


def test_get_characterization(client, requests_mock):
    requests_mock.get(f"{BASE}/characterizations/c-123", json={"id": "c-123"})
    assert client.get_characterization("c-123") == {"id": "c-123"}


def test_job_ids_are_path_segments(client, requests_mock):
    requests_mock.get(f"{BASE}/jobs/a%2F..%2Fb", json={"id": "x"})
    client.retrieve_job("a/../b")
    with pytest.raises(IonQClientError, match="non-empty"):
        client.retrieve_job("")
    assert requests_mock.call_count == 1


def test_unexpected_json_shape_is_a_client_error(client, requests_mock):
    requests_mock.get(f"{BASE}/jobs/{JOB}", json=["not", "an", "object"])
    with pytest.raises(IonQClientError, match="expected a JSON object"):
        client.retrieve_job(JOB)


def test_redirects_are_not_followed(client, requests_mock):
    requests_mock.get(f"{BASE}/jobs/{JOB}", status_code=302, headers={"Location": "https://evil/"})
    with pytest.raises(IonQAPIError) as info:
        client.retrieve_job(JOB)
    assert info.value.status_code == 302 and requests_mock.call_count == 1


def test_client_is_a_context_manager_and_reuses_one_session(client, requests_mock):
    requests_mock.get(f"{BASE}/jobs/{JOB}", json={"id": JOB})
    session = client.transport.session
    with client:
        client.retrieve_job(JOB)
        client.retrieve_job(JOB)
        assert client.transport.session is session
    assert isinstance(client.transport.session, requests.Session)
