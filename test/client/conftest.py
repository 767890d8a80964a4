"""Fixtures of the client tests (the doubles themselves live in client_fakes.py)."""

from __future__ import annotations

from typing import Any

import pytest
from client_fakes import BASE, ENV_VARS, TOKEN, FakeClock, FakeIonQ

from qiskit_ionq.api.retry import RetryPolicy
from qiskit_ionq.api.transport import Transport
from qiskit_ionq.ionq_client import IonQClient


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def policy() -> RetryPolicy:
    return RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=4.0, total_timeout=60.0)


@pytest.fixture
def make_client(clock: FakeClock, policy: RetryPolicy) -> Any:
    """Build a client whose transport sleeps on the fake clock, with max-jitter rng."""

    def make(token: Any = TOKEN, url: str = BASE, retry_policy: Any = None, **kwargs: Any):
        transport = Transport(
            retry_policy=retry_policy or policy,
            sleep=clock.sleep,
            clock=clock,
            rng=lambda low, high: high,
            allow_insecure_http=kwargs.pop("allow_insecure_http", False),
        )
        return IonQClient(token, url, transport=transport, **kwargs)

    return make


@pytest.fixture
def client(make_client: Any) -> IonQClient:
    return make_client()


@pytest.fixture
def fake(requests_mock: Any) -> FakeIonQ:
    return FakeIonQ(requests_mock)
