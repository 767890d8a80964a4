"""Failures of the idempotent routes: error bodies, retries, timeouts, invalid JSON.

Retries run on a fake clock (conftest), so nothing here sleeps.
"""

from __future__ import annotations

import json

import pytest
import requests
from client_fakes import BASE, reset

from qiskit_ionq.api.retry import RetryPolicy
from qiskit_ionq.exceptions import (
    IonQAPIError,
    IonQAuthenticationError,
    IonQClientError,
    IonQCredentialsError,
    IonQRequestTimeoutError,
    IonQRetriableError,
)

JOB = "job-1"
URL = f"{BASE}/jobs/{JOB}"


@pytest.mark.parametrize(
    "body, error_type, message",
    [
        (
            {"statusCode": 400, "error": "Bad Request", "message": "bad shots"},
            "Bad Request",
            "bad shots",
        ),
        ({"error": "Bad Request", "message": "no status code"}, "Bad Request", "no status code"),
        ({"error": "Bad Request"}, "Bad Request", "Bad Request"),
        ({"code": 400, "message": "coded"}, "internal_error", "coded"),
        ({"error": {"type": "invalid_input", "message": "nested"}}, "invalid_input", "nested"),
        ({"unexpected": True}, "internal_error", "No error details provided."),
    ],
)
def test_every_error_body_shape(client, requests_mock, body, error_type, message):
    requests_mock.get(URL, status_code=400, json=body, reason="Bad Request")
    with pytest.raises(IonQAPIError) as info:
        client.retrieve_job(JOB)
    error = info.value
    assert (error.status_code, error.error_type, error.message) == (400, error_type, message)
    assert json.loads(error.body) == body  # the response text, unchanged
    assert requests_mock.call_count == 1  # 400 is final


def test_html_502_page_is_kept_raw_after_retries(client, requests_mock, policy, clock):
    html = "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"
    requests_mock.get(URL, status_code=502, text=html, headers={"CF-Ray": "abc"})
    with pytest.raises(IonQAPIError) as info:
        client.retrieve_job(JOB)
    error = info.value
    assert not isinstance(error, IonQRetriableError)
    assert error.status_code == 502 and error.body == html and error.headers["CF-Ray"] == "abc"
    assert error.message == "No error details provided."  # the body is not JSON
    assert "502 Bad Gateway" in str(error)  # str() still shows what the server said
    assert requests_mock.call_count == policy.max_attempts
    assert clock.sleeps == [0.5, 1.0, 2.0]  # max-jitter rng: the backoff ceilings


@pytest.mark.parametrize("status", [401, 403])
def test_refused_token(client, requests_mock, status):
    requests_mock.get(
        URL,
        status_code=status,
        json={"statusCode": status, "error": "Forbidden", "message": "invalid key"},
    )
    with pytest.raises(IonQAuthenticationError) as info:
        client.retrieve_job(JOB)
    assert isinstance(info.value, IonQCredentialsError) and info.value.status_code == status
    assert "QISKIT_IONQ_API_TOKEN" in str(info.value)


@pytest.mark.parametrize("call", ["retrieve_job", "get_results", "cancel_job", "delete_job"])
def test_404_on_a_job_names_it(client, requests_mock, call):
    not_found = {"statusCode": 404, "error": "Not Found", "message": "nope"}
    requests_mock.get(URL, status_code=404, json=not_found)
    requests_mock.delete(URL, status_code=404, json=not_found)
    requests_mock.get(f"{URL}/results", status_code=404, json=not_found)
    requests_mock.put(f"{URL}/status/cancel", status_code=404, json=not_found)
    with pytest.raises(IonQAPIError) as info:
        getattr(client, call)(JOB)
    assert info.value.status_code == 404 and json.loads(info.value.body) == not_found
    assert f"Job '{JOB}' does not exist or was deleted" in str(info.value)


def test_invalid_json_on_200(client, requests_mock):
    requests_mock.get(URL, status_code=200, text='{"id": "job-1", "status": "comp')
    with pytest.raises(IonQClientError, match="invalid JSON") as info:
        client.retrieve_job(JOB)
    assert '{"id": "job-1", "status": "comp' in str(info.value)
    assert requests_mock.call_count == 1


def test_409_is_retried_on_get(client, requests_mock):
    requests_mock.get(
        URL,
        [
            {"status_code": 409, "text": "DNS error 1001"},
            {"json": {"id": JOB, "status": "completed"}},
        ],
    )
    assert client.retrieve_job(JOB)["status"] == "completed"
    assert requests_mock.call_count == 2


@pytest.mark.parametrize("method, call", [("put", "cancel_job"), ("delete", "delete_job")])
def test_409_is_not_retried_on_writes(client, requests_mock, method, call):
    path = f"{URL}/status/cancel" if method == "put" else URL
    getattr(requests_mock, method)(
        path, status_code=409, json={"error": "Conflict", "message": "busy"}
    )
    with pytest.raises(IonQAPIError) as info:
        getattr(client, call)(JOB)
    assert info.value.status_code == 409 and requests_mock.call_count == 1


def test_500_on_get_is_retried_within_the_budget(client, requests_mock, policy):
    # IonQ's 500s on reads are usually transient: retried like a 502; once the budget is
    # spent the user sees the API error itself.
    requests_mock.get(
        URL,
        status_code=500,
        json={"statusCode": 500, "error": "Internal Server Error", "message": "boom"},
    )
    with pytest.raises(IonQAPIError) as info:
        client.retrieve_job(JOB)
    assert info.value.status_code == 500 and requests_mock.call_count == policy.max_attempts


def test_one_transient_500_on_get_is_invisible(client, requests_mock):
    error = {"statusCode": 500, "error": "Internal Server Error", "message": "boom"}
    requests_mock.get(URL, [{"status_code": 500, "json": error}, {"json": {"id": JOB}}])
    assert client.retrieve_job(JOB)["id"] == JOB and requests_mock.call_count == 2


@pytest.mark.parametrize("status", [429, 502, 503, 504, 520, 524, 529])
def test_transient_statuses_are_retried_on_idempotent_routes(client, requests_mock, status):
    requests_mock.put(
        f"{URL}/status/cancel",
        [{"status_code": status, "text": "later"}, {"json": {"id": JOB, "status": "canceled"}}],
    )
    assert client.cancel_job(JOB)["status"] == "canceled"
    assert requests_mock.call_count == 2


def test_retry_after_is_honoured(client, requests_mock, clock):
    requests_mock.get(
        URL,
        [{"status_code": 503, "headers": {"Retry-After": "7"}, "text": "x"}, {"json": {"id": JOB}}],
    )
    client.retrieve_job(JOB)
    assert 7.0 <= clock.sleeps[0] <= 7.5


def test_retry_after_beyond_the_deadline_fails_at_once(make_client, requests_mock, clock):
    client = make_client(retry_policy=RetryPolicy(total_timeout=10.0))
    requests_mock.get(URL, status_code=429, headers={"Retry-After": "3600"}, text="slow down")
    with pytest.raises(IonQAPIError) as info:
        client.retrieve_job(JOB)
    assert info.value.status_code == 429 and info.value.headers["Retry-After"] == "3600"
    assert clock.sleeps == [] and requests_mock.call_count == 1


def test_total_time_bounds_retries(make_client, requests_mock, clock):
    policy = RetryPolicy(max_attempts=1000, base_delay=1.0, max_delay=4.0, total_timeout=20.0)
    client = make_client(retry_policy=policy)
    requests_mock.get(URL, status_code=503, text="busy")
    with pytest.raises(IonQAPIError):
        client.retrieve_job(JOB)
    assert sum(clock.sleeps) < 20.0 and requests_mock.call_count == len(clock.sleeps) + 1
    assert requests_mock.call_count < 10


def test_read_timeout_on_get_is_retried(client, requests_mock):
    requests_mock.get(
        URL,
        [
            {"exc": requests.exceptions.ReadTimeout("read timed out")},
            {"exc": reset()},
            {"json": {"id": JOB}},
        ],
    )
    assert client.retrieve_job(JOB) == {"id": JOB}
    assert requests_mock.call_count == 3


def test_timeouts_exhausted(client, requests_mock, policy):
    requests_mock.get(URL, exc=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(IonQRequestTimeoutError, match="read timeout of 30s") as info:
        client.retrieve_job(JOB)
    assert requests_mock.call_count == policy.max_attempts
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_connect_timeout(client, requests_mock):
    requests_mock.get(URL, exc=requests.exceptions.ConnectTimeout("connect timed out"))
    with pytest.raises(IonQRequestTimeoutError, match="connect timeout of 5s"):
        client.retrieve_job(JOB)


@pytest.mark.parametrize(
    "exc",
    [
        requests.exceptions.ConnectionError("down"),
        requests.exceptions.ChunkedEncodingError("truncated"),
        requests.exceptions.ContentDecodingError("gzip"),
        requests.exceptions.SSLError("certificate verify failed"),
        requests.exceptions.ProxyError("proxy said no"),
        requests.exceptions.InvalidHeader("bad header"),
        requests.exceptions.TooManyRedirects("loop"),
        requests.exceptions.RequestException("generic"),
        OSError("socket"),
    ],
)
def test_no_requests_exception_escapes(client, requests_mock, exc):
    requests_mock.get(URL, exc=exc)
    with pytest.raises(IonQClientError) as info:
        client.retrieve_job(JOB)
    assert not isinstance(info.value, requests.exceptions.RequestException)
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_tls_failure_is_not_retried_and_mentions_the_ca_bundle(client, requests_mock):
    requests_mock.get(URL, exc=requests.exceptions.SSLError("certificate verify failed"))
    with pytest.raises(IonQClientError, match="REQUESTS_CA_BUNDLE"):
        client.retrieve_job(JOB)
    assert requests_mock.call_count == 1


def test_delete_whose_first_attempt_landed_reports_success(client, requests_mock):
    requests_mock.delete(
        URL,
        [
            {"exc": requests.exceptions.ReadTimeout("read timed out")},
            {"status_code": 404, "json": {"error": "Not Found", "message": "gone"}},
        ],
    )
    assert client.delete_job(JOB) == {"id": JOB, "status": "deleted"}
