"""The emulator command: ``python -m qiskit_ionq.emulator`` in a subprocess, and its parser."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys

import pytest
import requests

from qiskit_ionq.emulator import cli

PREFIX = "qiskit-ionq emulator serving at "


def start(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "qiskit_ionq.emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    first = proc.stdout.readline()
    if not first.startswith(PREFIX):
        proc.kill()
        pytest.fail(f"unexpected first line {first!r}; stderr: {proc.stderr.read()}")
    return proc, first[len(PREFIX) :].strip()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serves_and_stops_cleanly_on_signal(signum):
    proc, url = start("--fault", "GET /jobs:503:times=1", "--api-key", "k")
    try:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v0.3")
        assert not url.endswith(":0/v0.3")
        backends = requests.get(f"{url}/backends", timeout=5)
        assert backends.status_code == 200 and backends.json()[0]["backend"] == "simulator"
        headers = {"Authorization": "apiKey k"}
        assert requests.get(f"{url}/jobs", headers=headers, timeout=5).status_code == 503
        assert requests.get(f"{url}/jobs", headers=headers, timeout=5).status_code == 200
        assert requests.get(f"{url}/jobs", headers={"Authorization": "apiKey x"}).status_code == 403
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/backends", timeout=2)


def test_remote_host_refused_with_exit_2():
    proc = subprocess.run(
        [sys.executable, "-m", "qiskit_ionq.emulator", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "allow-remote" in proc.stderr and PREFIX not in proc.stdout


def parser() -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(prog="qiskit-ionq emulator")
    cli.add_arguments(made)
    return made


def test_parser_options():
    args = parser().parse_args(
        [
            "--host",
            "::1",
            "--port",
            "8123",
            "--api-key",
            "a",
            "--api-key",
            "b",
            "--store",
            "x.sqlite",
            "--allow-remote",
            "--fault",
            "POST /jobs:502:times=2",
            "--fault",
            "GET /jobs/{id}:slow:delay=1",
            "--delay",
            "submitted=0.1,running=2",
            "--seed",
            "3",
        ]
    )
    assert args.host == "::1" and args.port == 8123 and args.api_keys == ["a", "b"]
    assert args.store == "x.sqlite" and args.allow_remote and args.seed == 3
    assert args.faults == ["POST /jobs:502:times=2", "GET /jobs/{id}:slow:delay=1"]
    assert args.delay == {"submitted": 0.1, "running": 2.0}
    assert parser().parse_args(["--delay", "0.5"]).delay == 0.5
    defaults = parser().parse_args([])
    assert defaults.host == "127.0.0.1" and defaults.port == 0 and defaults.api_keys is None
    assert defaults.faults == [] and defaults.delay is None and not defaults.allow_remote


def test_parser_rejects_bad_fault(capsys):
    with pytest.raises(SystemExit) as exc:
        parser().parse_args(["--fault", "POST /jobs:explode"])
    assert exc.value.code == 2
    assert "explode" in capsys.readouterr().err


def test_help_documents_fault_syntax(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["--help"])
    text = capsys.readouterr().out
    for fragment in ("--fault", "store_then_fail", "times=N", "rate=P", "/_emulator/stats"):
        assert fragment in text


def test_main_serve_reports_port_in_use(capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = parser().parse_args(["--port", str(port)])
        assert cli.main_serve(args) == 2
    assert "error" in capsys.readouterr().err
