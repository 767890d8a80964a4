"""Progress display during long waits (qiskit_ionq.progress and IonQJob's wait loop)."""

from __future__ import annotations

import io
import sys

import pytest
from qiskit import QuantumCircuit

from qiskit_ionq import progress
from qiskit_ionq.progress import WaitProgress, progress_mode


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_mode_follows_the_terminal_the_option_and_the_env_var(monkeypatch):
    monkeypatch.delenv(progress.ENV_VAR, raising=False)
    assert progress_mode(None, io.StringIO()) is None  # not interactive: silent
    assert progress_mode(None, _Tty()) == "terminal"
    assert progress_mode(False, _Tty()) is None  # switched off by the caller
    assert progress_mode(True, io.StringIO()) == "terminal"  # forced by the caller
    monkeypatch.setenv(progress.ENV_VAR, "0")
    assert progress_mode(None, _Tty()) is None  # switched off by the environment
    monkeypatch.setenv(progress.ENV_VAR, "1")
    assert progress_mode(None, io.StringIO()) == "terminal"


def test_plain_line_shows_status_and_elapsed_after_the_grace_time(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # the plain display
    clock, out = _Clock(), io.StringIO()
    display = WaitProgress("0123456789abcdef", "terminal", stream=out, clock=clock, show_after=2)
    display.update("QUEUED")
    assert out.getvalue() == ""  # a short wait prints nothing
    clock.now += 3
    display.update("RUNNING")
    assert out.getvalue() == "\rIonQ job 01234567: RUNNING, 3 s"
    clock.now += 10
    display.close("DONE")
    last = out.getvalue().split("\r")[-1]
    assert last.endswith("\n") and last.rstrip() == "IonQ job 01234567: DONE, 13 s"


def test_nothing_is_written_when_never_shown_or_switched_off():
    out = io.StringIO()
    display = WaitProgress("abc", None, stream=out, show_after=0)
    display.update("RUNNING")
    display.close("DONE")
    quick = WaitProgress("abc", "terminal", stream=out, show_after=60)
    quick.update("RUNNING")
    quick.close("DONE")
    assert out.getvalue() == ""


def test_multi_circuit_jobs_show_children_done(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    clock, out = _Clock(), io.StringIO()
    done = iter([(1, 4), (3, 4)])
    display = WaitProgress(
        "feedbeef00", "terminal", children=lambda: next(done), stream=out, clock=clock,
        show_after=0,
    )  # fmt: skip
    display.update("RUNNING")
    assert "(1/4 circuits done)" in out.getvalue()
    clock.now += progress.CHILDREN_EVERY
    display.update("RUNNING")
    assert out.getvalue().rstrip().endswith("(3/4 circuits done)")
    display.close("DONE")
    assert out.getvalue().split("\r")[-1].rstrip() == (
        "IonQ job feedbeef: DONE, 10 s (4/4 circuits done)"
    )


def test_tqdm_display_when_installed():
    pytest.importorskip("tqdm")
    clock, out = _Clock(), io.StringIO()
    display = WaitProgress("cafe0000", "terminal", stream=out, clock=clock, show_after=0)
    display.update("RUNNING")
    display.close("DONE")
    assert "IonQ job cafe0000: RUNNING" in out.getvalue()
    assert "IonQ job cafe0000: DONE" in out.getvalue()


def test_a_broken_display_never_breaks_the_wait():
    def boom():
        raise RuntimeError("display")

    display = WaitProgress("x", "terminal", children=boom, stream=io.StringIO(), show_after=0)
    display.update("RUNNING")  # no exception
    assert display.mode is None


@pytest.fixture
def slow_emulator(emulator):
    emulator.job_delays = {"ready": 0.3, "running": 0.3}
    yield emulator
    emulator.job_delays = None


def _bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def test_result_shows_progress_end_to_end(slow_emulator, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setattr(progress, "SHOW_AFTER", 0.0)
    monkeypatch.setattr(progress, "CHILDREN_EVERY", 0.0)
    backend = slow_emulator.provider().get_backend("ionq_simulator")

    job = backend.run(_bell(), shots=10)
    job.result(progress=True)
    err = capsys.readouterr().err
    assert f"IonQ job {job.job_id()[:8]}: " in err and err.endswith("\n")
    assert f"IonQ job {job.job_id()[:8]}: DONE" in err

    multi = backend.run([_bell(), _bell(), _bell()], shots=10)
    multi.result(progress=True)
    err = capsys.readouterr().err
    assert "circuits done)" in err and err.rstrip().endswith("(3/3 circuits done)")


def test_result_is_silent_when_not_interactive(slow_emulator, monkeypatch, capsys):
    monkeypatch.delenv(progress.ENV_VAR, raising=False)
    monkeypatch.setattr(progress, "SHOW_AFTER", 0.0)
    backend = slow_emulator.provider().get_backend("ionq_simulator")
    backend.run(_bell(), shots=10).result()  # pytest's stderr is not a terminal
    assert "IonQ job" not in capsys.readouterr().err


def test_env_var_switches_it_off(slow_emulator, monkeypatch, capsys):
    monkeypatch.setenv(progress.ENV_VAR, "0")
    monkeypatch.setattr(progress, "SHOW_AFTER", 0.0)
    monkeypatch.setattr(progress, "progress_mode", progress.progress_mode)
    backend = slow_emulator.provider().get_backend("ionq_simulator")
    backend.run(_bell(), shots=10).wait_for_final_state()
    assert "IonQ job" not in capsys.readouterr().err


def test_a_notebook_counts_as_interactive(monkeypatch):
    import types

    class ZMQInteractiveShell:  # the class name Jupyter's kernel shell has
        pass

    fake = types.ModuleType("IPython")
    fake.get_ipython = ZMQInteractiveShell  # type: ignore[attr-defined]
    monkeypatch.delenv(progress.ENV_VAR, raising=False)
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert progress_mode(None, io.StringIO()) == "notebook"
    assert progress_mode(False, io.StringIO()) is None
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # no widgets: the plain line
    out = io.StringIO()
    display = WaitProgress("abcdef0123", "notebook", stream=out, show_after=0)
    display.update("RUNNING")
    display.close("DONE")
    assert "IonQ job abcdef01: DONE" in out.getvalue()
