"""The rough edges a new command-line user hit (issue: documentation and rough edges).

Each test runs the real command (``main``) against the embedded emulator or a test emulator
on 127.0.0.1, and checks what a user reads.
"""

from __future__ import annotations

import json
import re
import sys

import pytest

from qiskit_ionq import cli_output
from qiskit_ionq.cli import default_store_path, main

BELL_QASM2 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
"""
BELL_QASM3 = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
cx q[0], q[1];
c = measure q;
"""


@pytest.fixture
def bell(tmp_path):
    path = tmp_path / "bell.qasm"
    path.write_text(BELL_QASM2)
    return path


# -- backends and calibration say whose data they show -------------------------------------


def test_backends_without_token_say_they_show_the_emulator_and_hide_retired(capsys):
    assert main(["backends"]) == 0
    out, err = capsys.readouterr()
    assert "local IonQ API emulator" in err and "not IonQ's" in err
    assert re.search(r"^ionq_qpu\.aria-1\s+25 qubits\s+available$", out, re.M)
    assert "ionq_qpu.harmony" not in out.split("Retired")[0]  # not listed as a backend
    assert "Retired systems not shown: ionq_qpu.harmony (--all lists them)." in out

    assert main(["backends", "--all"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^ionq_qpu\.harmony\s+11 qubits\s+retired", out, re.M)
    assert not re.search(r"^ionq_qpu\.harmony.*available", out, re.M)


class _FakeClient:
    def __init__(self, entries):
        self._entries = entries

    def get_backends(self):
        return self._entries


class _FakeProvider:
    def __init__(self, entries):
        from qiskit_ionq import IonQProvider

        self._real = IonQProvider(token="x", url="http://127.0.0.1:9/v0.3")
        self.client = _FakeClient(entries)

    def backends(self):
        return self._real.backends()


def test_backends_explain_unlisted_systems():
    entries = [
        {"backend": "simulator", "status": "available"},
        {"backend": "qpu.aria-1", "status": "unavailable", "degraded": True},
        {"backend": "qpu.forte-1", "status": "available"},
    ]
    rows, notes = cli_output.backend_rows(_FakeProvider(entries))
    status = {name: text for name, _, text in rows}
    assert status["ionq_qpu.aria-1"] == "unavailable, degraded"
    assert status["ionq_qpu.aria-2"] == "unlisted *"
    assert status["ionq_qpu"] == "IonQ picks an available QPU"
    assert "ionq_qpu.harmony" not in status
    assert any(n.startswith("* unlisted: the API's list of backends") for n in notes)
    rows, _ = cli_output.backend_rows(_FakeProvider(entries[:1]))
    assert dict((n, s) for n, _, s in rows)["ionq_qpu"] == "no QPU available"
    retired = [*entries, {"backend": "qpu.forte-1", "status": "retired"}][:2] + [
        {"backend": "qpu.forte-1", "status": "retired"}
    ]
    rows, notes = cli_output.backend_rows(_FakeProvider(retired))
    assert "ionq_qpu.forte-1" not in {n for n, _, _ in rows}
    assert any("ionq_qpu.forte-1" in n and "--all" in n for n in notes)
    rows, _ = cli_output.backend_rows(_FakeProvider(retired), show_all=True)
    assert dict((n, s) for n, _, s in rows)["ionq_qpu.forte-1"].startswith("retired")


def test_calibration_prints_a_summary_and_json_on_request(capsys):
    assert main(["calibration", "ionq_qpu.aria-1"]) == 0
    out, err = capsys.readouterr()
    assert "local emulator's characterization" in err and "not IonQ's" in err
    lines = out.splitlines()
    assert len(lines) == 6 and lines[0].startswith(
        "ionq_qpu.aria-1 (qpu.aria-1), characterization of"
    )
    assert re.search(r"qubits\s+25, connectivity all-to-all", out)
    assert re.search(r"fidelity\s+1q 0\.\d{4}\s+2q 0\.\d{4}\s+SPAM 0\.\d{4}", out)
    assert re.search(r"T1 / T2\s+\S+ s / \S+ s", out)
    assert re.search(r"gate time\s+1q [\d.]+ µs\s+2q [\d.]+ µs\s+readout", out)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", lines[0])

    assert main(["calibration", "ionq_qpu.aria-1", "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert data["backend"] == "qpu.aria-1" and len(data["connectivity"]) == 300


def test_duration_units():
    assert cli_output._duration(100) == "100 s"
    assert cli_output._duration(0.0006) == "600 µs"
    assert cli_output._duration(0.0123) == "12.3 ms"
    assert cli_output._duration(None) == "n/a"


# -- run --gateset native compiles for the backend ------------------------------------------


def test_run_native_gateset_transpiles_and_says_so(bell, capsys):
    argv = ["run", str(bell), "--backend", "ionq_qpu.aria-1", "--gateset", "native"]
    assert main([*argv, "--shots", "200", "--json"]) == 0
    out, err = capsys.readouterr()
    assert re.search(
        r"Transpiled bell\.qasm to ionq_qpu\.aria-1's native gates \(gpi, gpi2, ms\)", err
    )
    counts = json.loads(out.splitlines()[-1])
    assert sum(counts.values()) == 200 and counts.get("00", 0) + counts.get("11", 0) > 180


def test_run_native_circuit_is_sent_as_it_is(tmp_path, capsys):
    path = tmp_path / "native.py"
    path.write_text(
        "from qiskit import QuantumCircuit\nfrom qiskit_ionq import GPI2Gate, MSGate\n"
        "qc = QuantumCircuit(2, 2)\nqc.append(GPI2Gate(0.25), [0])\n"
        "qc.append(MSGate(0, 0, 0.25), [0, 1])\nqc.measure([0, 1], [0, 1])\n"
    )
    argv = ["run", str(path), "--backend", "ionq_qpu.aria-1", "--gateset", "native"]
    assert main([*argv, "--shots", "100", "--json"]) == 0
    err = capsys.readouterr().err
    assert "native.py is already in native gates; sent as it is" in err and "Transpiled" not in err


def test_seed_on_a_qpu_is_a_note_not_a_warning(bell, capsys, recwarn):
    assert main(["run", str(bell), "--backend", "ionq_qpu.aria-1", "--seed", "3"]) == 0
    assert "--seed applies to ionq_simulator only" in capsys.readouterr().err
    assert not [w for w in recwarn if "sampler_seed" in str(w.message)]


# -- job ids of the embedded emulator stay valid ----------------------------------------------


def test_job_id_from_run_works_in_a_later_command(bell, capsys):
    assert main(["run", str(bell), "--shots", "64", "--seed", "9", "--json"]) == 0
    out = capsys.readouterr().out
    job_id = re.search(r"^job (\S+) on ionq_simulator$", out, re.M).group(1)
    first = json.loads(out.splitlines()[-1])
    assert main(["job", "status", job_id]) == 0  # a new command: a new emulator, same store
    assert capsys.readouterr().out.strip() == "DONE"
    assert main(["job", "result", job_id]) == 0
    assert json.loads(capsys.readouterr().out) == first


def test_unknown_job_without_token_names_the_store(capsys):
    assert main(["job", "status", "0000-unknown"]) == 1
    err = capsys.readouterr().err
    assert "0000-unknown is not in the local emulator's job store" in err
    assert str(default_store_path()) in err and "QISKIT_IONQ_API_TOKEN" in err


def test_store_location_follows_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("QISKIT_IONQ_EMULATOR_STORE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    if sys.platform.startswith("linux"):
        expected = tmp_path / "cache" / "qiskit-ionq" / "emulator-jobs.sqlite"
        assert default_store_path() == str(expected)
    monkeypatch.setenv("QISKIT_IONQ_EMULATOR_STORE", "memory")
    assert default_store_path() is None


def test_help_states_where_jobs_are_kept(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "per-user store" in text and "emulator-jobs.sqlite" in text
    assert 'pip install "qiskit-ionq[qasm3]"' in text


# -- hints in command-line words --------------------------------------------------------------


def test_timeout_hint_uses_cli_words(emulator, capsys):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    emulator.job_delays = {"running": 3.0}
    job = emulator.provider().get_backend("ionq_simulator").run(qc, shots=5)
    argv = ["job", "result", job.job_id(), "--url", emulator.url, "--timeout", "0.2"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"qiskit-ionq job result {job.job_id()}" in err
    assert f"qiskit-ionq job cancel {job.job_id()}" in err
    assert "job.result(" not in err and "retrieve_job" not in err
    emulator.job_delays = None


def test_interrupt_hint_names_the_job_in_cli_words():
    cli_output.current_job("abc-123")
    try:
        text = cli_output.interrupted()
    finally:
        cli_output.current_job(None)
    assert "job abc-123 keeps running" in text
    assert "`qiskit-ionq job result abc-123`" in text and "`qiskit-ionq job cancel abc-123`" in text
    assert cli_output.interrupted() == "interrupted"


# -- OpenQASM 3 --------------------------------------------------------------------------------


def test_openqasm3_file_runs(tmp_path, capsys):
    pytest.importorskip("qiskit_qasm3_import")  # part of the test extra, as of the qasm3 extra
    path = tmp_path / "bell3.qasm"
    path.write_text(BELL_QASM3)
    assert main(["run", str(path), "--shots", "40", "--seed", "1", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert set(counts) == {"00", "11"} and sum(counts.values()) == 40


def test_openqasm3_without_the_extra_names_it_once(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "qiskit_qasm3_import", None)  # import now fails
    path = tmp_path / "bell3.qasm"
    path.write_text(BELL_QASM3)
    assert main(["run", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("qiskit-ionq[qasm3]") == 1 and err.count("\n") == 1
    assert "OpenQASM 3" in err


# -- which API, and error wording ---------------------------------------------------------------


def test_local_emulator_from_env_is_not_called_the_cloud(emulator, bell, monkeypatch, capsys):
    monkeypatch.setenv("QISKIT_IONQ_API_URL", emulator.url)
    monkeypatch.setenv("QISKIT_IONQ_API_TOKEN", "anything")
    assert main(["run", str(bell), "--shots", "10"]) == 0
    err = capsys.readouterr().err
    assert "IonQ cloud at" not in err
    assert f"IonQ API server on this machine at {emulator.url}" in err
    assert "QISKIT_IONQ_API_URL" in err


def test_describe_api_for_the_real_cloud():
    assert cli_output.describe_api("https://api.ionq.co/v0.3") == (
        "Using the IonQ cloud at https://api.ionq.co/v0.3"
    )


def test_wrong_url_says_what_was_tried_and_the_expected_shape(emulator, bell, monkeypatch, capsys):
    base = emulator.url[: -len("/v0.3")]
    monkeypatch.setenv("QISKIT_IONQ_API_URL", base)
    monkeypatch.setenv("QISKIT_IONQ_API_TOKEN", "anything")
    assert main(["run", str(bell), "--shots", "10"]) == 1
    err = capsys.readouterr().err
    assert f"tried POST {base}/jobs" in err
    assert f"The API URL {base} has no API version" in err
    assert "https://api.ionq.co/v0.3" in err and "QISKIT_IONQ_API_URL" in err
    assert emulator.stats()["jobs_created"] == 0


def test_backend_name_error_has_no_stray_quotes(bell, capsys):
    assert main(["run", "--backend", "aria", str(bell)]) == 1
    err = capsys.readouterr().err.strip()
    message = err.split(": ", 2)[2]
    assert message.startswith("No ") and message[0] not in "'\"" and message[-1] not in "'\""


def test_missing_token_advice_is_in_cli_words():
    from qiskit_ionq import IonQProvider
    from qiskit_ionq.exceptions import IonQCredentialsError

    with pytest.raises(IonQCredentialsError) as info:
        IonQProvider(url="http://127.0.0.1:9/v0.3").client.api_headers  # noqa: B018
    text = cli_output.credentials_hint(info.value)
    assert "QISKIT_IONQ_API_TOKEN" in text and "qiskit-ionq demo" in text
    assert "import" not in text and "IonQEmulator" not in text


def test_python_users_get_the_url_hint_too(emulator):
    from qiskit import QuantumCircuit

    from qiskit_ionq import IonQProvider
    from qiskit_ionq.exceptions import IonQAPIError

    base = emulator.url[: -len("/v0.3")]
    backend = IonQProvider(token="x", url=base).get_backend("ionq_simulator")
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    with pytest.raises(IonQAPIError) as info:
        backend.run(qc)
    assert info.value.status_code == 404
    assert f"tried POST {base}/jobs" in str(info.value) and "has no API version" in str(info.value)
    # A versioned URL with a missing job keeps the job-specific message.
    good = IonQProvider(token="x", url=emulator.url).get_backend("ionq_simulator")
    with pytest.raises(IonQAPIError) as info:
        good.retrieve_job("no-such-job").status()
    assert "no-such-job" in str(info.value) and "has no API version" not in str(info.value)


def test_a_store_in_use_by_another_command(bell, capsys):
    from qiskit_ionq.emulator import IonQEmulator

    with IonQEmulator(store=default_store_path()):  # another command holds the store
        assert main(["run", str(bell), "--shots", "8", "--json"]) == 0
        err = capsys.readouterr().err
        assert "in use by another qiskit-ionq command" in err
        assert "valid only while this command runs" in err
        assert main(["job", "status", "some-id"]) == 1
        err = capsys.readouterr().err
        assert "in use by another qiskit-ionq command; try again" in err


def test_ctrl_c_while_waiting_names_the_job_in_cli_words(emulator):
    import os
    import signal
    import subprocess
    import time

    from qiskit import QuantumCircuit

    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    emulator.job_delays = {"running": 60.0}
    job = emulator.provider().get_backend("ionq_simulator").run(qc, shots=5)
    env = dict(os.environ, QISKIT_IONQ_API_TOKEN="anything")
    proc = subprocess.Popen(
        [sys.executable, "-m", "qiskit_ionq", "job", "result", job.job_id(), "--url", emulator.url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while emulator.stats()["requests"].get("GET /jobs/{id}") is None:
            assert time.monotonic() < deadline, "the command never polled the job"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        emulator.job_delays = None
    assert proc.returncode == 130
    assert f"qiskit-ionq job result {job.job_id()}" in err
    assert f"qiskit-ionq job cancel {job.job_id()}" in err
    assert "Traceback" not in err


def test_backend_not_found_reads_cleanly_in_python_too():
    from qiskit.providers.exceptions import QiskitBackendNotFoundError

    from qiskit_ionq import IonQProvider

    with pytest.raises(QiskitBackendNotFoundError) as info:  # still Qiskit's exception type
        IonQProvider(url="http://127.0.0.1:9/v0.3").get_backend("aria")
    text = str(info.value)
    assert text.startswith("No backend matches criteria.") and "'aria'" in text
    assert text[0] not in "'\"" and text[-1] not in "'\""
