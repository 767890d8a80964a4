"""Fixtures shared by every layer's tests.

Tests never touch the network beyond 127.0.0.1: end-to-end tests start their own emulator on
port 0 and stop it afterwards. The environment's IonQ variables are cleared (and a ``.env`` file in
the working directory is stepped around) so a developer's real token can never leak into (or
change) a test run.
"""

from __future__ import annotations

import os
from typing import Iterator

import pytest

from qiskit_ionq.constants import TOKEN_ENV_VARS, URL_ENV_VARS

TEST_TOKEN = "tok-SECRET-8c1f2b7e-do-not-leak"


@pytest.fixture(autouse=True)
def _clean_ionq_environment(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    for var in (*TOKEN_ENV_VARS, *URL_ENV_VARS):
        monkeypatch.delenv(var, raising=False)
    if os.path.exists(".env"):
        # Credentials are also read from ./.env: a developer's file must not reach a test.
        monkeypatch.chdir(request.getfixturevalue("tmp_path"))


@pytest.fixture(params=["v0.3", "v0.4"])
def api_version(request: pytest.FixtureRequest) -> str:
    """Each IonQ API version: every end-to-end test runs once per version."""
    return str(request.param)


@pytest.fixture
def emulator(api_version: str) -> Iterator[object]:
    """A fresh emulator on a free loopback port, stopped after the test.

    Its ``url`` (and ``provider()``) speak ``api_version``; both versions are served.
    """
    from qiskit_ionq.emulator import IonQEmulator

    emu = IonQEmulator(seed=1234, api_version=api_version)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def provider(emulator: object) -> object:
    """An IonQProvider wired to the fresh emulator with the test token."""
    from qiskit_ionq import IonQProvider

    return IonQProvider(token=TEST_TOKEN, url=emulator.url)  # type: ignore[attr-defined]
