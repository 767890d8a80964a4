"""Options are checked when the object is built, and the token is never echoed.

Before: ``allow_insecure_http="false"`` turned the protection OFF (a non-empty string is
truthy), ``token=5``/``b"x"``/``["a"]`` were turned into text, a token with a newline raised
a bare ``UnicodeEncodeError`` carrying ``'apiKey <token>'`` at the first request, and a
bad ``timeout``/``custom_headers``/``retry_policy``/``sampler_seed`` was found only when the
first job was sent. Also: the ideal simulator's counts without a ``sampler_seed`` are the
same on every retrieval (a seed derived from the job id), end to end on the emulator.
"""

from __future__ import annotations

import pickle

import pytest
from qiskit import QuantumCircuit

from qiskit_ionq import IonQProvider
from qiskit_ionq.exceptions import (
    IonQClientError,
    IonQCredentialsError,
    IonQInvalidOptionError,
)
from qiskit_ionq.ionq_client import IonQClient

TOKEN = "tok-SECRET-options-5f1c"
URL = "https://api.ionq.test/v0.3"
BUILDERS = {
    "client": lambda **kw: IonQClient(kw.pop("token", TOKEN), URL, **kw),
    "provider": lambda **kw: IonQProvider(kw.pop("token", TOKEN), URL, **kw),
}


@pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
@pytest.mark.parametrize("value", ["false", "no", "0", 0, 1, None, "True"])
def test_allow_insecure_http_takes_only_a_real_bool(build, value):
    with pytest.raises(IonQClientError, match="allow_insecure_http must be True or False"):
        build(allow_insecure_http=value)


def test_allow_insecure_http_false_string_no_longer_sends_the_token_in_clear():
    with pytest.raises(IonQClientError):
        IonQClient(TOKEN, "http://api.example.com/v0.3", allow_insecure_http="false")


@pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
@pytest.mark.parametrize("token", [5, b"x", ["a"], 1.5, {"k": "v"}])
def test_a_token_must_be_text(build, token):
    with pytest.raises(IonQCredentialsError, match="must be a string"):
        build(token=token)


@pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
@pytest.mark.parametrize("bad", ["tok\nX-Injected: 1", "tok\u00e9n", "to ken", "tok\x00"])
def test_a_token_that_cannot_go_in_a_header_is_refused_without_echoing_it(build, bad):
    token = f"{TOKEN}{bad}"
    with pytest.raises(IonQCredentialsError) as info:
        build(token=token)
    text = " ".join([str(info.value), repr(info.value), *map(str, info.value.args)])
    assert TOKEN not in text and "apiKey" not in text
    assert "HTTP header" in str(info.value)


def test_a_bad_token_from_the_environment_is_refused_too(monkeypatch):
    monkeypatch.setenv("QISKIT_IONQ_API_TOKEN", f"{TOKEN}\u00e9x")
    with pytest.raises(IonQCredentialsError) as info:
        IonQProvider(url=URL)
    assert TOKEN not in str(info.value)


@pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
@pytest.mark.parametrize(
    "options, fragment",
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"timeout": "30"}, "timeout"),
        ({"timeout": (5, 30, 1)}, "timeout"),
        ({"timeout": (5, None)}, "timeout"),
        ({"retry_policy": {"max_attempts": 3}}, "retry_policy"),
        ({"retry_policy": 3}, "retry_policy"),
        ({"custom_headers": ["X-A: 1"]}, "custom_headers"),
        ({"custom_headers": {"X-A": "1\r\nX-Injected: 2"}}, "custom_headers"),
        ({"custom_headers": {"Bad Name": "1"}}, "custom_headers"),
        ({"custom_headers": {"X-A": b"bytes"}}, "custom_headers"),
        ({"custom_headers": {"X-A": "\u2603"}}, "custom_headers"),
    ],
)
def test_bad_client_options_fail_at_construction(build, options, fragment):
    with pytest.raises(IonQClientError, match=fragment):
        build(**options)


def test_provider_credentials_hold_the_token_redacted():
    provider = IonQProvider(TOKEN, URL)
    assert TOKEN not in repr(provider.credentials) and TOKEN not in repr(vars(provider))
    assert provider.credentials["token"] == TOKEN  # still compares as the token
    assert TOKEN not in repr(pickle.loads(pickle.dumps(provider)).credentials)


def bell_ish() -> QuantumCircuit:
    qc = QuantumCircuit(3, 3)
    qc.h([0, 1, 2])
    qc.measure([0, 1, 2], [0, 1, 2])
    return qc


@pytest.mark.parametrize("seed", [-1, 2**32, 2**63, 10**30])
def test_out_of_range_sampler_seed_is_refused_before_the_job_is_created(emulator, seed):
    backend = IonQProvider(TOKEN, emulator.url).get_backend("ionq_simulator")
    with pytest.raises(IonQInvalidOptionError, match="sampler_seed"):
        backend.run(bell_ish(), sampler_seed=seed)
    assert emulator.stats()["jobs_created"] == 0


def test_counts_without_a_seed_are_the_same_on_every_retrieval(emulator):
    provider = IonQProvider(TOKEN, emulator.url)
    backend = provider.get_backend("ionq_simulator")
    jobs = [backend.run(bell_ish(), shots=1000) for _ in range(2)]
    for job in jobs:
        first = job.get_counts()
        again = IonQProvider(TOKEN, emulator.url).get_backend("ionq_simulator")
        retrieved = again.retrieve_job(job.job_id())
        assert retrieved.get_counts() == first  # a fresh retrieval draws the same counts
        assert retrieved.sampler_seed == job.sampler_seed is not None
    assert jobs[0].sampler_seed != jobs[1].sampler_seed  # derived per job
