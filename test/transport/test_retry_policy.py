"""The retry policy as pure functions: no sleeping, no clock, injected randomness."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qiskit_ionq.api import retry
from qiskit_ionq.api.retry import Action, Failure, RetryPolicy, parse_retry_after

POLICY = RetryPolicy(max_attempts=5, base_delay=0.5, max_delay=8.0, total_timeout=60.0)


def high(low: float, high: float) -> float:
    return high


def low(low: float, high: float) -> float:
    return low


@pytest.mark.parametrize("status", [429, 502, 503, 504, *range(520, 530)])
@pytest.mark.parametrize("method", ["GET", "get", "PUT", "DELETE"])
def test_transient_statuses_retry_on_idempotent_methods(method, status):
    assert POLICY.classify(method, status) is Action.RETRY


def test_409_retries_on_get_only():
    assert POLICY.classify("GET", 409) is Action.RETRY
    assert POLICY.classify("PUT", 409) is Action.FAIL
    assert POLICY.classify("DELETE", 409) is Action.FAIL
    assert POLICY.classify("POST", 409) is Action.FAIL


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 422, 501, 302])
def test_final_statuses_on_get(status):
    assert POLICY.classify("GET", status) is Action.FAIL
    assert not POLICY.should_retry("GET", status, 1, 0.0)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_500_is_retried_on_idempotent_requests(method):
    # IonQ's 500s on reads are usually transient: within the same budget as a 502.
    assert POLICY.classify(method, 500) is Action.RETRY
    assert POLICY.should_retry(method, 500, 1, 0.0)
    assert not POLICY.should_retry(method, 500, POLICY.max_attempts, 0.0)
    assert not POLICY.should_retry(method, 500, 1, POLICY.total_timeout)


def test_500_on_post_is_reconciled_never_retried():
    assert POLICY.classify("POST", 500) is Action.RECONCILE


def test_post_statuses():
    assert POLICY.classify("POST", 429) is Action.RETRY  # refused, not processed
    for status in (500, 502, 503, 504, 520, 529, 599):
        assert POLICY.classify("POST", status) is Action.RECONCILE
    for status in (400, 401, 404, 409, 422):
        assert POLICY.classify("POST", status) is Action.FAIL


def test_failures_by_method():
    for method in ("GET", "PUT", "DELETE", "POST"):
        assert POLICY.classify(method, Failure.NOT_SENT) is Action.RETRY
        assert POLICY.classify(method, Failure.FATAL) is Action.FAIL
    for method in ("GET", "PUT", "DELETE", "HEAD"):
        assert POLICY.classify(method, Failure.MAYBE_SENT) is Action.RETRY
    assert POLICY.classify("POST", Failure.MAYBE_SENT) is Action.RECONCILE
    assert POLICY.classify("PATCH", Failure.MAYBE_SENT) is Action.RECONCILE


def test_attempts_are_bounded():
    assert [POLICY.should_retry("GET", 503, n, 0.0) for n in range(1, 7)] == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]
    assert not RetryPolicy(max_attempts=1).should_retry("GET", 503, 1, 0.0)


def test_deadline_is_respected():
    assert POLICY.should_retry("GET", 503, 1, 59.9)
    assert not POLICY.should_retry("GET", 503, 1, 60.0)
    assert not POLICY.should_retry("POST", Failure.MAYBE_SENT, 1, 0.0)  # reconcile, not retry


def test_module_level_functions_use_the_default_policy():
    assert retry.should_retry("GET", 502, 1, 0.0)
    assert not retry.should_retry("GET", 502, retry.DEFAULT_RETRY_POLICY.max_attempts, 0.0)
    assert retry.backoff_delay(3, rng=high) == retry.DEFAULT_RETRY_POLICY.backoff_delay(3, rng=high)


def test_backoff_grows_exponentially_and_is_capped():
    assert [POLICY.backoff_delay(n, rng=high) for n in range(1, 8)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        8.0,
        8.0,
    ]
    assert POLICY.backoff_delay(200, rng=high) == 8.0  # no overflow for huge attempt numbers
    assert POLICY.backoff_delay(3, rng=low) == 0.0  # full jitter can go to zero


@given(attempt=st.integers(1, 60), draw=st.floats(0.0, 1.0))
def test_full_jitter_stays_within_the_ceiling(attempt, draw):
    delay = POLICY.backoff_delay(attempt, rng=lambda a, b: a + (b - a) * draw)
    assert 0.0 <= delay <= min(8.0, 0.5 * 2 ** (attempt - 1))


@given(previous=st.floats(0.0, 100.0), draw=st.floats(0.0, 1.0))
def test_decorrelated_jitter_bounds(previous, draw):
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0, jitter="decorrelated")
    delay = policy.backoff_delay(2, rng=lambda a, b: a + (b - a) * draw, previous=previous)
    assert 0.5 <= delay <= 8.0
    assert delay <= max(0.5, 3 * previous) + 1e-9


def test_no_jitter_is_the_ceiling():
    policy = RetryPolicy(base_delay=1.0, max_delay=3.0, jitter="none")
    assert [policy.backoff_delay(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 3.0, 3.0]


def test_retry_after_is_a_floor_with_bounded_jitter():
    assert POLICY.backoff_delay(1, retry_after=30.0, rng=low) == 30.0  # beyond max_delay
    assert POLICY.backoff_delay(1, retry_after=30.0, rng=high) == 30.5
    assert POLICY.backoff_delay(4, retry_after=0.0, rng=low) == 0.0


@pytest.mark.parametrize(
    "value, expected",
    [
        ("120", 120.0),
        (" 3 ", 3.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("-1", None),
        ("abc", None),
        ("", None),
        (None, None),
        ("nan", None),
        ("inf", None),
        ("12 seconds", None),
    ],
)
def test_parse_retry_after_seconds_and_garbage(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_dates():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    future = format_datetime(now + timedelta(seconds=90), usegmt=True)
    past = format_datetime(now - timedelta(hours=1), usegmt=True)
    assert parse_retry_after(future, now=now) == 90.0
    assert parse_retry_after(past, now=now) == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 0.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30", now=now) == 30.0  # no zone: UTC
    assert parse_retry_after("Mon, 99 Foo 2026 99:99:99 GMT", now=now) is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"base_delay": -1},
        {"total_timeout": -1},
        {"jitter": "random"},
        {"reconcile_max_pages": 0},
        {"reconcile_page_size": 0},
    ],
)
def test_invalid_policies_are_refused(kwargs):
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


def test_policy_is_frozen_and_hashable():
    with pytest.raises(AttributeError):
        POLICY.max_attempts = 3  # type: ignore[misc]
    assert hash(POLICY) == hash(RetryPolicy(max_attempts=5, max_delay=8.0))
