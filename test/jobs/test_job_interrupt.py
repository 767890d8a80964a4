"""Ctrl-C while waiting for a job: the job keeps running, and the user is told how to reach it.

Against the emulator, with a job that stays ``ready`` for a minute; the callback plays the
user pressing Ctrl-C between two polls.
"""

from __future__ import annotations

import pytest
from qiskit import QuantumCircuit

from qiskit_ionq import IonQProvider
from qiskit_ionq.emulator import IonQEmulator

TOKEN = "tok-interrupt"


def test_ctrl_c_names_the_job_and_how_to_fetch_or_cancel_it(capsys):
    qc = QuantumCircuit(1, 1)
    qc.h(0)
    qc.measure(0, 0)

    def press_ctrl_c(*_):
        raise KeyboardInterrupt

    with IonQEmulator(job_delays={"ready": 60.0}) as emu:
        job = IonQProvider(TOKEN, emu.url).get_backend("ionq_simulator").run(qc)
        job_id = job.job_id()
        with pytest.raises(KeyboardInterrupt) as info:
            job.result(callback=press_ctrl_c)
        note = str(info.value)
        assert job_id in note and "keeps running" in note
        for hint in (
            f"retrieve_job({job_id!r}).result()",
            f"retrieve_job({job_id!r}).cancel()",
            f"qiskit-ionq job result {job_id}",
            f"qiskit-ionq job cancel {job_id}",
        ):
            assert hint in note
        assert note in capsys.readouterr().err  # said on stderr, where a user sees it
        assert emu.get_job(job_id)["status"] not in ("canceled", "failed")  # still running
