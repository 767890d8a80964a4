"""A user's ``mypy --strict`` understands the documented API (issue: rough edges, typing).

Qiskit ships no type information, so without care every backend and job of ours would be
``Any`` to a type checker and typos would pass. This runs mypy in strict mode over a small
user script of the documented API, the way a user's project would (Qiskit's own modules
marked as untyped), and checks that it passes, that the types it infers are ours, and that
the typos users make are caught.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mypy")

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
from typing import List

from qiskit import QuantumCircuit

from qiskit_ionq import IonQProvider, backend_name
from qiskit_ionq.emulator import IonQEmulator
from qiskit_ionq.ionq_backend import IonQBackend
from qiskit_ionq.ionq_job import IonQJob
from qiskit_ionq.ionq_result import IonQResult


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def main() -> None:
    with IonQEmulator() as emu:
        provider: IonQProvider = emu.provider()
        backend: IonQBackend = provider.get_backend("ionq_simulator")
        job: IonQJob = backend.run(bell(), shots=100)
        again: IonQJob = backend.retrieve_job(job.job_id())
        jobs: List[IonQJob] = backend.retrieve_jobs([job.job_id()])
        result: IonQResult = job.result()
        print(backend_name(backend), again.done(), len(jobs), result.get_counts())
        reveal_type(emu.provider())
        reveal_type(backend.run(bell()))
        reveal_type(backend.retrieve_job("x"))
        reveal_type(job.result())
        reveal_type(backend.status())
        up = backend.status()
        print(up if isinstance(up, bool) else up.operational)
"""

TYPOS = """
from qiskit_ionq.emulator import IonQEmulator

with IonQEmulator() as emu:
    backend = emu.provider().get_backend("ionq_simulator")
    job = backend.retrieve_job("x")
    job.resutl()
    print(backend.nam)
    emu.provider().get_bakend("ionq_simulator")
"""

CONFIG = """
[mypy]
strict = True
mypy_path = {root}
cache_dir = {cache}

[mypy-qiskit.*]
ignore_missing_imports = True
follow_imports = skip

[mypy-qiskit_ionq.*]
follow_imports = silent
"""


@pytest.mark.slow
def test_mypy_strict_over_a_user_script(tmp_path):
    (tmp_path / "good.py").write_text(textwrap.dedent(GOOD))
    (tmp_path / "typos.py").write_text(textwrap.dedent(TYPOS))
    config = tmp_path / "mypy.ini"
    config.write_text(CONFIG.format(root=ROOT, cache=tmp_path / "cache"))
    env = {k: v for k, v in os.environ.items() if k != "MYPYPATH"}
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), "good.py", "typos.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = proc.stdout + proc.stderr
    lines = out.splitlines()
    good_errors = [line for line in lines if line.startswith("good.py") and ": error:" in line]
    assert good_errors == [], out
    revealed = re.findall(r"good\.py:\d+: note: Revealed type is \"([^\"]+)\"", out)
    assert revealed[:4] == [
        "qiskit_ionq.ionq_provider.IonQProvider",
        "qiskit_ionq.ionq_job.IonQJob",
        "qiskit_ionq.ionq_job.IonQJob",
        "qiskit_ionq.ionq_result.IonQResult",
    ], out
    # bool from Qiskit 2 on, Qiskit's BackendStatus below: the declared type says both.
    assert len(revealed) == 5, out
    assert re.search(r"\bbool\b", revealed[4]) and "BackendStatusLike" in revealed[4], out
    typo_errors = [line for line in lines if line.startswith("typos.py") and ": error:" in line]
    assert any('"IonQJob" has no attribute "resutl"' in line for line in typo_errors), out
    assert any('has no attribute "nam"' in line for line in typo_errors), out
    assert any('has no attribute "get_bakend"' in line for line in typo_errors), out
    assert proc.returncode == 1
