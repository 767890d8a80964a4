"""The token stays secret, and credentials are found (or missed) the documented way.

docs/guides/cloud.md: the token never appears in any message, repr, log line or pickle.
"""

from __future__ import annotations

import logging
import pickle
import warnings
from typing import Any, List

import pytest
import requests
from client_fakes import BASE, TOKEN, FakeIonQ, reset

from qiskit_ionq.api.transport import Transport, is_loopback_url
from qiskit_ionq.constants import DEFAULT_API_URL
from qiskit_ionq.exceptions import IonQClientError, IonQCredentialsError, IonQError
from qiskit_ionq.ionq_client import IonQClient, _Secret, resolve_credentials

JOB = "job-1"
URL = f"{BASE}/jobs/{JOB}"
LEAKY = f"headers={{'Authorization': 'apiKey {TOKEN}'}}"  # what a careless library might say


def _chain(error: BaseException) -> List[BaseException]:
    seen: List[BaseException] = []
    current: Any = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _assert_clean(error: BaseException) -> None:
    for link in _chain(error):
        for text in (str(link), repr(link), repr(link.args), repr(vars(link))):
            assert TOKEN not in text, text
    assert TOKEN.encode() not in pickle.dumps(error)


SCENARIOS = {
    "401": {"status_code": 401, "json": {"error": "Unauthorized", "message": "bad key"}},
    "404": {"status_code": 404, "json": {"error": "Not Found", "message": "nope"}},
    "500": {"status_code": 500, "json": {"statusCode": 500, "error": "ISE", "message": "x"}},
    "502-html": {"status_code": 502, "text": "<html>bad gateway</html>"},
    "invalid-json": {"status_code": 200, "text": "{not json"},
    "timeout": {"exc": requests.exceptions.ReadTimeout(LEAKY)},
    "connection": {"exc": requests.exceptions.ConnectionError(LEAKY)},
    "header": {"exc": requests.exceptions.InvalidHeader(f"Invalid value 'apiKey {TOKEN}\\n'")},
    "bare-token": {"exc": OSError(f"failed for {TOKEN}")},
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_token_absent_from_errors_and_logs(client, requests_mock, caplog, name):
    caplog.set_level(logging.DEBUG)
    requests_mock.get(URL, **SCENARIOS[name])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(IonQError) as info:
            client.retrieve_job(JOB)
    _assert_clean(info.value)
    for record in caplog.records:
        assert TOKEN not in record.getMessage() and TOKEN not in repr(record.args)
    assert all(TOKEN not in str(w.message) for w in caught)


def test_token_absent_from_reconciliation_errors_and_logs(client, requests_mock, caplog):
    caplog.set_level(logging.DEBUG)
    fake = FakeIonQ(requests_mock)
    fake.script = ["store_timeout"]
    client.submit_job({"target": "simulator"})  # adopted through the job list
    requests_mock.get(f"{BASE}/jobs", exc=requests.exceptions.ConnectionError(LEAKY))
    fake.script = ["store_reset"]
    with pytest.raises(IonQClientError, match="MAY EXIST") as info:
        client.submit_job({"target": "simulator"})
    _assert_clean(info.value)
    assert caplog.records, "retries and reconciliation are logged"
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
    assert any("Submission" in record.getMessage() for record in caplog.records)


def test_retry_log_records_say_what_happened(client, requests_mock, caplog):
    caplog.set_level(logging.INFO, logger="qiskit_ionq")
    requests_mock.get(URL, [{"exc": reset()}, {"json": {"id": JOB}}])
    client.retrieve_job(JOB)
    (record,) = [r for r in caplog.records if r.getMessage().startswith("Retrying")]
    assert record.name == "qiskit_ionq"
    message = record.getMessage()
    assert "GET /v0.3/jobs/job-1" in message and "maybe_sent" in message
    assert "attempt 1" in message and "0.50s" in message


def test_repr_and_vars_hide_the_token(client):
    for text in (repr(client), str(client), repr(client.transport), repr(vars(client))):
        assert TOKEN not in text
    assert "'***'" in repr(vars(client))


def test_pickled_client_drops_the_token(make_client, requests_mock, monkeypatch):
    client = make_client(custom_headers={"X-Team": "qa", "X-Api-Key": "other-secret"})
    blob = pickle.dumps(client)
    assert TOKEN.encode() not in blob and b"other-secret" not in blob
    restored = pickle.loads(blob)
    assert restored.url == client.url and repr(restored) == repr(client)
    with pytest.raises(IonQCredentialsError, match="QISKIT_IONQ_API_TOKEN"):
        restored.retrieve_job(JOB)
    assert requests_mock.call_count == 0
    monkeypatch.setenv("IONQ_API_KEY", "from-env")
    restored = pickle.loads(blob)
    requests_mock.get(URL, json={"id": JOB})
    restored.retrieve_job(JOB)
    headers = requests_mock.last_request.headers
    assert headers["Authorization"] == "apiKey from-env" and headers["X-Team"] == "qa"
    assert "X-Api-Key" not in headers


def test_the_secret_holder_refuses_pickling():
    with pytest.raises(TypeError):
        pickle.dumps(_Secret(TOKEN))
    assert repr(_Secret(None)) == "None"


def test_transport_pickles_its_settings_only():
    transport = pickle.loads(pickle.dumps(Transport(timeout=(1, 2), allow_insecure_http=True)))
    assert transport.timeout == (1.0, 2.0) and transport.allow_insecure_http
    assert isinstance(transport.session, requests.Session)


def test_missing_token_is_reported_at_first_authenticated_use(requests_mock):
    client = IonQClient()  # no argument, no environment: fine until a request needs it
    requests_mock.get(f"{DEFAULT_API_URL}/backends", json=[])
    assert client.get_backends() == []
    with pytest.raises(IonQCredentialsError) as info:
        client.retrieve_job(JOB)
    message = str(info.value)
    for expected in ("QISKIT_IONQ_API_TOKEN", "IONQ_API_KEY", "IONQ_API_TOKEN", "IonQEmulator"):
        assert expected in message
    with pytest.raises(IonQCredentialsError):
        _ = client.api_headers
    assert requests_mock.call_count == 1


@pytest.mark.parametrize("url", ["http://api.ionq.co/v0.3", "http://10.0.0.5:8080/v0.3"])
def test_plain_http_to_a_remote_host_is_refused(url, requests_mock):
    with pytest.raises(IonQCredentialsError, match="allow_insecure_http"):
        IonQClient(TOKEN, url)
    with pytest.raises(IonQCredentialsError, match="https://"):
        Transport().request("GET", url, headers={"Authorization": f"apiKey {TOKEN}"})
    requests_mock.get(f"{url}/jobs/{JOB}", json={"id": JOB})
    assert IonQClient(TOKEN, url, allow_insecure_http=True).retrieve_job(JOB) == {"id": JOB}
    requests_mock.get(f"{url}/backends", json=[])
    assert IonQClient(None, url).get_backends() == []  # no token, nothing to protect


@pytest.mark.parametrize(
    "url, loopback",
    [
        ("http://127.0.0.1:8000/v0.3", True),
        ("http://127.9.8.7/v0.3", True),
        # Names are not proof of "this machine": only literal loopback addresses are.
        ("http://localhost:1/v0.3", False),
        ("http://LOCALHOST./v0.3", False),
        ("http://api.localhost/v0.3", False),
        ("http://[::1]:8080/v0.3", True),
        ("http://128.0.0.1/v0.3", False),
        ("http://localhost.evil.com/v0.3", False),
        ("http://[::2]/v0.3", False),
    ],
)
def test_loopback_detection(url, loopback):
    assert is_loopback_url(url) is loopback
    if loopback:
        IonQClient(TOKEN, url)  # accepted
    else:
        with pytest.raises(IonQCredentialsError, match="plain http"):
            IonQClient(TOKEN, url)  # the token would leave over plain http


@pytest.mark.parametrize("url", ["ftp://api.ionq.co/v0.3", "api.ionq.co/v0.3", "https:///v0.3"])
def test_unusable_urls(url):
    with pytest.raises(IonQClientError, match="https://"):
        IonQClient(TOKEN, url)


def test_resolve_credentials_order(monkeypatch):
    assert resolve_credentials() == {"token": None, "url": DEFAULT_API_URL}
    monkeypatch.setenv("IONQ_API_TOKEN", "third")
    assert resolve_credentials()["token"] == "third"
    monkeypatch.setenv("IONQ_API_KEY", "second")
    assert resolve_credentials()["token"] == "second"
    monkeypatch.setenv("QISKIT_IONQ_API_TOKEN", "  first\n")
    assert resolve_credentials()["token"] == "first"
    assert resolve_credentials("arg")["token"] == "arg"
    assert resolve_credentials("  ")["token"] == "first"  # blank argument counts as absent
    monkeypatch.setenv("IONQ_API_URL", "https://second/v0.3")
    assert resolve_credentials()["url"] == "https://second/v0.3"
    monkeypatch.setenv("QISKIT_IONQ_API_URL", "https://first/v0.3")
    assert resolve_credentials()["url"] == "https://first/v0.3"
    assert resolve_credentials(url="https://arg/v0.3")["url"] == "https://arg/v0.3"


def test_client_reads_the_environment(monkeypatch, requests_mock):
    monkeypatch.setenv("QISKIT_IONQ_API_TOKEN", "env-token")
    monkeypatch.setenv("QISKIT_IONQ_API_URL", BASE)
    requests_mock.get(URL, json={"id": JOB})
    IonQClient().retrieve_job(JOB)
    assert requests_mock.last_request.headers["Authorization"] == "apiKey env-token"
