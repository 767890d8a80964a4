"""The qiskit-ionq command, through its entry point and as a real subprocess."""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import subprocess
import sys

import pytest
from qiskit import QuantumCircuit

from qiskit_ionq.cli import main

TOKEN = "tok-SECRET-cli-7f3a-never-printed"


def test_demo_prints_bell_counts_offline(capsys):
    assert main(["demo", "--shots", "400", "--seed", "5"]) == 0
    out, err = capsys.readouterr()
    counts = ast.literal_eval(re.search(r"counts: (\{.*\})", out).group(1))
    assert set(counts) == {"00", "11"} and sum(counts.values()) == 400
    assert "local IonQ API emulator" in err
    assert re.search(r"^00 #+", out, re.M) and re.search(r"^11 #+", out, re.M)


@pytest.mark.parametrize("api", ["v0.3", "v0.4"])
def test_demo_through_either_api_version(capsys, api):
    assert main(["demo", "--api", api, "--shots", "200", "--seed", "5"]) == 0
    out, err = capsys.readouterr()
    assert f"(API {api})" in out and re.search(rf"emulator at http://\S+/{api} ", err)
    counts = ast.literal_eval(re.search(r"counts: (\{.*\})", out).group(1))
    assert set(counts) == {"00", "11"} and sum(counts.values()) == 200


def test_run_qasm2_file_locally(tmp_path, capsys):
    path = tmp_path / "ghz.qasm"
    path.write_text(
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\n'
        "x q[0];\ncx q[0],q[1];\ncx q[1],q[2];\nmeasure q -> c;\n"
    )
    assert main(["run", str(path), "--local", "--shots", "50", "--json"]) == 0
    out, err = capsys.readouterr()
    assert out.strip().splitlines()[-1] == '{"111": 50}'
    assert "--local" in err


def test_run_python_file_with_noise_model(tmp_path, capsys):
    path = tmp_path / "circ.py"
    path.write_text(
        "from qiskit import QuantumCircuit\n"
        "circuit = QuantumCircuit(1, 1)\ncircuit.x(0)\ncircuit.measure(0, 0)\n"
    )
    assert main(["run", str(path), "--shots", "200", "--noise-model", "aria-1", "--json"]) == 0
    out, err = capsys.readouterr()
    counts = ast.literal_eval(out.strip().splitlines()[-1])
    assert sum(counts.values()) == 200 and counts.get("1", 0) > 180
    assert "no API token is set" in err


def test_errors_are_one_line_and_non_zero(tmp_path, capsys):
    assert main(["run", str(tmp_path / "missing.qasm")]) == 1
    _, err = capsys.readouterr()
    assert err.count("\n") == 1 and "No such file" in err
    bad = tmp_path / "bad.py"
    bad.write_text("x = 1\n")
    assert main(["run", str(bad), "--local"]) == 1
    assert "defines no QuantumCircuit" in capsys.readouterr().err


def test_unknown_backend_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "one.qasm"
    path.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\n')
    assert main(["run", "--backend", "ionq_nope", "--local", str(path)]) == 1
    assert "No IonQ backend is named 'ionq_nope'" in capsys.readouterr().err


def test_backends_and_calibration_locally(capsys):
    assert main(["backends", "--local"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"ionq_simulator\s+29 qubits\s+available", out)
    assert "ionq_qpu.aria-1" in out
    assert main(["calibration", "ionq_qpu.aria-1", "--local", "--json"]) == 0
    assert '"connectivity"' in capsys.readouterr().out
    assert main(["calibration", "ionq_simulator", "--local"]) == 0
    assert "simulator" in capsys.readouterr().out


def test_job_status_result_cancel_by_id(emulator, monkeypatch, capsys):
    from qiskit_ionq import IonQProvider

    monkeypatch.setenv("QISKIT_IONQ_API_TOKEN", TOKEN)
    qc = QuantumCircuit(1, 1)
    qc.x(0)
    qc.measure(0, 0)
    job = IonQProvider(url=emulator.url).get_backend("ionq_simulator").run(qc, shots=10)
    job.result()
    assert main(["job", "status", job.job_id(), "--url", emulator.url]) == 0
    assert capsys.readouterr().out.strip() == "DONE"
    assert main(["job", "result", job.job_id(), "--url", emulator.url]) == 0
    assert capsys.readouterr().out.strip() == '{"1": 10}'
    assert main(["job", "cancel", job.job_id(), "--url", emulator.url]) == 0
    assert "already final" in capsys.readouterr().out
    assert main(["job", "status", "no-such-job", "--url", emulator.url]) == 1
    out, err = capsys.readouterr()
    assert "no-such-job" in err and TOKEN not in out + err


@pytest.mark.parametrize("command", [[], ["run"], ["job", "status"]])
def test_usage_errors_exit_2(command, capsys):
    with pytest.raises(SystemExit) as info:
        main(command)
    assert info.value.code == 2


@pytest.mark.parametrize("sub", ["demo", "run", "emulator", "backends", "calibration", "job"])
def test_help_everywhere(sub, capsys):
    with pytest.raises(SystemExit) as info:
        main([sub, "--help"])
    assert info.value.code == 0
    assert "usage: qiskit-ionq" in capsys.readouterr().out


def test_a_closed_output_pipe_ends_quietly():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QISKIT_IONQ", "IONQ_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qiskit_ionq", "backends", "--local"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert "BrokenPipe" not in err and "Traceback" not in err and "error" not in err


def test_emulator_subcommand_serves_and_stops_on_sigint():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QISKIT_IONQ", "IONQ_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qiskit_ionq", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        url = re.search(r"serving at (http://127\.0\.0\.1:\d+/v0\.3)", line).group(1)
        import requests

        assert requests.get(url + "/backends", timeout=5).status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_job_list_pages_filters_and_json(emulator, monkeypatch, capsys):
    from qiskit_ionq import IonQProvider, jobs_listing

    monkeypatch.setenv("QISKIT_IONQ_API_TOKEN", TOKEN)
    monkeypatch.setattr(jobs_listing, "PAGE_SIZE", 2)  # several pages: the cursor is followed
    qc = QuantumCircuit(1, 1, name="flip")
    qc.x(0)
    qc.measure(0, 0)
    provider = IonQProvider(url=emulator.url)
    ids = [provider.get_backend("ionq_simulator").run(qc, shots=5).job_id() for _ in range(3)]
    qpu = provider.get_backend("ionq_qpu.aria-1").run(qc, shots=5).job_id()
    assert main(["job", "list", "--url", emulator.url, "--limit", "0"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == [qpu, *reversed(ids)]
    assert lines[-1].split("\t")[2:] == ["simulator", "flip"]
    args = ["job", "list", "--url", emulator.url, "--backend", "ionq_qpu.aria-1", "--json"]
    assert main(args) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [r["id"] for r in rows] == [qpu] and rows[0]["backend"] == "qpu.aria-1"
    assert main(["job", "list", "--url", emulator.url, "--status", "nonsense"]) == 1
    assert "Unknown job status" in capsys.readouterr().err
