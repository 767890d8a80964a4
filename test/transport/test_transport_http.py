"""The transport on its own: failure classification, retries, deadlines, environment, pool.

requests-mock replaces the network; a fake clock replaces time, so nothing sleeps.
"""

from __future__ import annotations

import pickle
from typing import List

import pytest
import requests
import urllib3

from qiskit_ionq.api.retry import Failure, RetryPolicy
from qiskit_ionq.api.transport import (
    AmbiguousRequestError,
    Reply,
    Transport,
    _classify_exception,
    _scrub,
    get_user_agent,
)
from qiskit_ionq.exceptions import (
    IonQAPIError,
    IonQClientError,
    IonQRequestTimeoutError,
)

URL = "https://api.ionq.test/v0.3/jobs"
U = urllib3.exceptions
R = requests.exceptions


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: List[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make(clock: Clock, **policy: float) -> Transport:
    return Transport(
        retry_policy=RetryPolicy(**policy) if policy else None,
        sleep=clock.sleep,
        clock=clock,
        rng=lambda low, high: high,
    )


def _max_retry(reason: Exception) -> R.ConnectionError:
    return R.ConnectionError(U.MaxRetryError(None, "/v0.3/jobs", reason))


@pytest.mark.parametrize(
    "exc, failure, timeout",
    [
        (R.ConnectTimeout("connect"), Failure.NOT_SENT, True),
        (R.ReadTimeout("read"), Failure.MAYBE_SENT, True),
        (_max_retry(U.NewConnectionError(None, "refused")), Failure.NOT_SENT, False),
        (_max_retry(U.NameResolutionError("api", None, OSError("dns"))), Failure.NOT_SENT, False),
        (_max_retry(U.ConnectTimeoutError("slow connect")), Failure.NOT_SENT, True),
        (_max_retry(U.ProxyError("proxy", OSError("refused"))), Failure.NOT_SENT, False),
        (R.ProxyError("proxy"), Failure.NOT_SENT, False),
        (R.ConnectionError(U.ReadTimeoutError(None, "/", "read")), Failure.MAYBE_SENT, True),
        (
            R.ConnectionError(U.ProtocolError("aborted", ConnectionResetError())),
            Failure.MAYBE_SENT,
            False,
        ),
        (_max_retry(U.ProtocolError("aborted")), Failure.MAYBE_SENT, False),
        (R.ChunkedEncodingError("truncated"), Failure.MAYBE_SENT, False),
        (R.ConnectionError("unknown"), Failure.MAYBE_SENT, False),
        (OSError("socket"), Failure.MAYBE_SENT, False),
        (R.SSLError("certificate verify failed"), Failure.FATAL, False),
        (R.InvalidURL("bad"), Failure.FATAL, False),
        (R.InvalidHeader("bad"), Failure.FATAL, False),
        (R.MissingSchema("bad"), Failure.FATAL, False),
    ],
)
def test_exception_classification(exc, failure, timeout):
    assert _classify_exception(exc) == (failure, timeout)


def test_post_refused_connection_is_retried(clock, requests_mock):
    requests_mock.post(
        URL, [{"exc": _max_retry(U.NewConnectionError(None, "refused"))}, {"json": {"id": "j"}}]
    )
    reply = make(clock).request("POST", URL, body=b"{}")
    assert reply.json() == {"id": "j"} and reply.attempts == 2 and clock.sleeps == [0.5]


@pytest.mark.parametrize(
    "response, resubmit, cause",
    [
        # No answer, or a gateway's timeout: the request may still be in flight, so an
        # empty job list would prove nothing (resubmit_if_absent False).
        ({"exc": R.ReadTimeout("read")}, False, IonQRequestTimeoutError),
        ({"exc": R.ChunkedEncodingError("cut")}, False, IonQClientError),
        ({"status_code": 524, "text": "origin timeout"}, False, IonQAPIError),
        ({"status_code": 504, "text": "gateway timeout"}, False, IonQAPIError),
        # An answer that ends the request: absence from the list proves it was not stored.
        ({"status_code": 502, "text": "gateway"}, True, IonQAPIError),
        ({"status_code": 500, "json": {"message": "boom"}}, True, IonQAPIError),
    ],
)
def test_post_that_may_have_landed_is_never_repeated(
    clock, requests_mock, response, resubmit, cause
):
    requests_mock.post(URL, **response)
    with pytest.raises(AmbiguousRequestError) as info:
        make(clock).request("POST", URL, body=b"{}")
    assert requests_mock.call_count == 1 and clock.sleeps == []
    assert info.value.resubmit_if_absent is resubmit
    assert type(info.value.cause) is cause or isinstance(info.value.cause, cause)
    assert isinstance(info.value, IonQClientError)  # still an IonQError if it ever escaped
    assert pickle.loads(pickle.dumps(info.value)) == info.value


def test_2xx_other_than_200_is_success(clock, requests_mock):
    requests_mock.post(URL, status_code=201, json={"id": "j"})
    assert make(clock).request("POST", URL, body=b"{}").status_code == 201


def test_caller_deadline_is_tighter_than_the_policy(clock, requests_mock):
    requests_mock.get(URL, status_code=503, text="busy")
    with pytest.raises(IonQAPIError):
        make(clock, max_attempts=50, base_delay=1.0, max_delay=1.0).request(
            "GET", URL, deadline=3.5
        )
    assert clock.sleeps == [1.0, 1.0, 1.0] and requests_mock.call_count == 4


def test_accept_after_retry_only_after_a_maybe_sent_attempt(clock, requests_mock):
    requests_mock.delete(URL, status_code=404, json={"message": "gone"})
    with pytest.raises(IonQAPIError):
        make(clock).request("DELETE", URL, accept_after_retry=(404,))
    requests_mock.delete(URL, [{"status_code": 503, "text": "x"}, {"status_code": 404, "text": ""}])
    assert make(clock).request("DELETE", URL, accept_after_retry=(404,)).status_code == 404


def test_reply_json_errors_and_repr():
    reply = Reply(200, {}, b"\xff{broken", method="GET", path="/v0.3/jobs")
    with pytest.raises(IonQClientError, match="invalid JSON for GET /v0.3/jobs"):
        reply.json()
    assert "broken" not in repr(reply)  # bodies stay out of reprs
    assert Reply(200, {}, b'{"b": 1, "a": 2}').json() == {"b": 1, "a": 2}


def test_scrub_removes_secrets_and_api_key_shapes():
    text = "Authorization: apiKey abc123, token abc123, header 'apiKey other-key'"
    cleaned = _scrub(text, ["abc123"])
    assert "abc123" not in cleaned and "other-key" not in cleaned and "apiKey ***" in cleaned


def test_session_honours_the_environment(monkeypatch, tmp_path):
    bundle = tmp_path / "corp-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    transport = Transport()
    session = transport.session
    # requests' own per-request read of the environment is off; the transport reads it
    # once per origin and passes the same settings explicitly.
    assert session.trust_env is False and session.verify is True
    settings = transport.environment_for(URL)
    assert settings["verify"] == str(bundle)
    assert settings["proxies"]["https"] == "http://proxy.corp:3128"
    session.trust_env = True
    expected = session.merge_environment_settings(URL, {}, None, None, None)
    assert settings["verify"] == expected["verify"]
    assert settings["proxies"] == expected["proxies"]
    # Read once: later changes apply after close() (or to a new client).
    monkeypatch.setenv("HTTPS_PROXY", "http://other.corp:3128")
    assert transport.environment_for(URL)["proxies"]["https"] == "http://proxy.corp:3128"
    transport.close()
    assert transport.environment_for(URL)["proxies"]["https"] == "http://other.corp:3128"


def test_no_proxy_honoured_and_netrc_never_replaces_the_api_key(monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine api.example.com login user password pass\n")
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", "api.example.com")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "no_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    settings = Transport().environment_for("https://api.example.com/v0.3/jobs")
    assert settings["proxies"] == {} and settings["verify"] is True
    assert "auth" not in settings  # basic auth from .netrc would replace "apiKey <token>"
    other = Transport().environment_for("https://elsewhere.example.org/x")
    assert other["proxies"]["https"] == "http://proxy.corp:3128" and "auth" not in other


def test_pool_is_sized_for_threads():
    adapter = Transport().session.get_adapter(URL)
    assert adapter._pool_maxsize >= 8
    assert adapter.max_retries.total == 0  # retries are ours, never urllib3's


def test_close_keeps_the_transport_usable(requests_mock):
    transport = Transport()
    old = transport.session
    transport.close()
    assert transport.session is not old
    requests_mock.get(URL, json={})
    assert transport.request("GET", URL).status_code == 200


def test_user_agent_falls_back_without_distribution_metadata(monkeypatch):
    import importlib.metadata

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    get_user_agent.cache_clear()
    try:
        # Without distribution metadata the module's own version is named instead.
        import qiskit

        assert f"/{qiskit.__version__})" in get_user_agent()
    finally:
        get_user_agent.cache_clear()


def test_timeouts_default_and_override(requests_mock):
    requests_mock.get(URL, json={})
    transport = Transport(timeout=12)
    transport.request("GET", URL)
    assert requests_mock.last_request.timeout == (12.0, 12.0)
    transport.request("GET", URL, timeout=(1, 2))
    assert requests_mock.last_request.timeout == (1.0, 2.0)
