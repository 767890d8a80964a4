"""Every CLI test keeps the embedded emulator's job store in its own temporary directory,
never in the user's cache directory."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_job_store(tmp_path, monkeypatch):
    monkeypatch.setenv("QISKIT_IONQ_EMULATOR_STORE", str(tmp_path / "cli-jobs.sqlite"))
    for name in ("QISKIT_IONQ_API_TOKEN", "IONQ_API_KEY", "IONQ_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name in ("QISKIT_IONQ_API_URL", "IONQ_API_URL"):
        monkeypatch.delenv(name, raising=False)
