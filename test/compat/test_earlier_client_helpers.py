"""Code written for earlier qiskit-ionq releases: the client, the helpers, ``.env`` credentials,
the package version, and the names tools import (native compilation, sessions).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import platform
import re

import pytest
from compat_support import bell
from qiskit import QuantumCircuit

import qiskit_ionq
from qiskit_ionq import IonQProvider
from qiskit_ionq import retry_decorator as retry_module
from qiskit_ionq._qiskit_compat import QISKIT_2, QISKIT_VERSION
from qiskit_ionq.helpers import get_user_agent, retry
from qiskit_ionq.ionq_client import IonQClient

# -- client ------------------------------------------------------------------------------------


def test_client_constructs_without_a_token_and_builds_the_headers():
    assert IonQClient() is not None  # nothing is validated at construction
    client = IonQClient("tok", "http://127.0.0.1:1/v0.3", {"X-Team": "qa"})
    headers = client.api_headers
    assert headers == {
        "X-Team": "qa",
        "Authorization": "apiKey tok",
        "Content-Type": "application/json",
        "User-Agent": get_user_agent(),
    }


def test_user_agent_format_per_line():
    agent = get_user_agent()
    product = "qiskit-terra" if QISKIT_VERSION < (1, 0, 0) else "qiskit"
    pattern = rf"qiskit-ionq/(\S+) \({product}/(\S+)\) os/(\S+) \(python/(\S+)\)"
    match = re.fullmatch(pattern, agent)
    assert match, agent
    assert match.group(1) == qiskit_ionq.__version__
    assert match.group(2) == importlib.metadata.version(product)
    assert match.group(3) == platform.system() and match.group(4) == platform.python_version()


def test_user_agent_goes_over_the_socket(emulator):
    import requests

    seen = requests.Request("GET", emulator.url, headers=IonQClient("k").api_headers).prepare()
    assert seen.headers["User-Agent"] == get_user_agent()


# -- helpers.retry -----------------------------------------------------------------------------


@pytest.fixture
def no_sleep(monkeypatch):
    waits = []
    monkeypatch.setattr(retry_module, "_sleep", waits.append)
    monkeypatch.setattr(retry_module, "_uniform", lambda low, high: high)  # max jitter
    return waits


def _flaky(failures, exc=ConnectionError):
    calls = []

    def func():
        calls.append(1)
        if len(calls) <= failures:
            raise exc(f"failure {len(calls)}")
        return "ok"

    return func, calls


def test_retry_retries_listed_exceptions_with_backoff(no_sleep, caplog):
    func, calls = _flaky(3)
    decorated = retry(ConnectionError, tries=5, delay=1, max_delay=3, backoff=2, jitter=0.5)(func)
    with caplog.at_level(logging.WARNING, logger="qiskit_ionq"):
        assert decorated() == "ok"
    assert len(calls) == 4
    assert no_sleep == [1.5, 2.5, 3.5]  # delay + jitter; delay 1 -> 2 -> min(4, 3)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "Retrying func 4 more time(s) after failure 1",
        "Retrying func 3 more time(s) after failure 2",
        "Retrying func 2 more time(s) after failure 3",
    ]


def test_retry_reraises_when_tries_run_out(no_sleep):
    func, calls = _flaky(10)
    with pytest.raises(ConnectionError, match="failure 3"):
        retry(ConnectionError, tries=3)(func)()
    assert len(calls) == 3 and len(no_sleep) == 2


def test_retry_lets_other_exceptions_through_at_once(no_sleep):
    func, calls = _flaky(1, exc=KeyError)
    with pytest.raises(KeyError):
        retry((ConnectionError, TimeoutError), tries=5)(func)()
    assert len(calls) == 1 and no_sleep == []


def test_retry_without_limit_and_without_logging(no_sleep, caplog):
    func, calls = _flaky(25)
    with caplog.at_level(logging.WARNING, logger="qiskit_ionq"):
        assert retry(ConnectionError, enable_logging=False)(func)() == "ok"  # tries=-1
    assert len(calls) == 26 and no_sleep == [0] * 25 and not caplog.records


# -- circuit_requires_qasm3 and Session (Qiskit 2 line) ----------------------------------------


def _helper(name):
    module = importlib.import_module("qiskit_ionq.helpers")
    if not hasattr(module, name):
        pytest.xfail(f"qiskit_ionq.helpers.{name} has not landed yet (API v0.4 issue)")
    return getattr(module, name)


@pytest.mark.skipif(not QISKIT_2, reason="1.x (Qiskit >= 2) exports it")
def test_circuit_requires_qasm3():
    requires = _helper("circuit_requires_qasm3")
    assert requires(bell()) is False
    after = QuantumCircuit(1, 1)
    after.measure(0, 0)
    after.x(0)
    assert requires(after) is True
    reset = QuantumCircuit(1)
    reset.reset(0)
    assert requires(reset) is True
    flow = QuantumCircuit(1, 1)
    flow.measure(0, 0)
    with flow.if_test((flow.clbits[0], 1)):
        flow.x(0)
    assert requires(flow) is True


@pytest.mark.skipif(not QISKIT_2, reason="1.x (Qiskit >= 2) exports it")
def test_session_is_importable():
    if not hasattr(qiskit_ionq, "Session"):
        pytest.xfail("qiskit_ionq.Session has not landed yet (API v0.4 issue)")
    assert isinstance(qiskit_ionq.Session, type)


# -- .env credentials --------------------------------------------------------------------------


def test_dotenv_credentials_sit_between_arguments_and_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "# local settings\n"
        "QISKIT_IONQ_API_TOKEN=from-dotenv\n"
        'QISKIT_IONQ_API_URL="http://127.0.0.1:9/v0.3"\n'
    )
    monkeypatch.setenv("QISKIT_IONQ_API_TOKEN", "from-environment")
    client = IonQProvider().client
    assert client.api_headers["Authorization"] == "apiKey from-dotenv"  # before the environment
    assert client.url == "http://127.0.0.1:9/v0.3"
    argument = IonQProvider(token="from-argument").client
    assert argument.api_headers["Authorization"] == "apiKey from-argument"
    import os

    assert os.environ["QISKIT_IONQ_API_TOKEN"] == "from-environment"  # not overwritten


def test_dotenv_file_drives_a_real_run(tmp_path, monkeypatch, emulator):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"IONQ_API_KEY=dotenv-key\nQISKIT_IONQ_API_URL={emulator.url}\n")
    counts = IonQProvider().get_backend("ionq_simulator").run(bell(), shots=20).get_counts()
    assert sum(counts.values()) == 20


def test_without_dotenv_file_the_environment_is_used(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IONQ_API_KEY", "env-key")
    assert IonQProvider().client.api_headers["Authorization"] == "apiKey env-key"


def test_python_dotenv_is_a_declared_dependency():
    requirements = importlib.metadata.requires("qiskit-ionq") or []
    assert any(re.match(r"python-dotenv\b", r) for r in requirements)


# -- version -----------------------------------------------------------------------------------


def test_version_is_on_the_1x_line():
    """Tools pin ``qiskit-ionq>=1.0,<2.0``; we implement 1.x's public API."""
    major, minor = (int(part) for part in qiskit_ionq.__version__.split(".")[:2])
    assert major == 1 and minor >= 0
    assert importlib.metadata.version("qiskit-ionq") == qiskit_ionq.__version__
