"""Fixtures of the emulator's HTTP tests: a fake simulator, an emulator on it, a session."""

from __future__ import annotations

from typing import Iterator

import pytest
import requests
from test_server_support import FakeSimulator, session

from qiskit_ionq.emulator import IonQEmulator


@pytest.fixture
def sim() -> FakeSimulator:
    return FakeSimulator()


@pytest.fixture
def emu(sim: FakeSimulator) -> Iterator[IonQEmulator]:
    with IonQEmulator(simulator=sim) as emulator:
        yield emulator


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with session() as s:
        yield s
