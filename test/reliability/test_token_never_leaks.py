"""The API token never appears in logs, warnings, exceptions, reprs, pickles or CLI output.

Each test runs failure scenarios (401/403, 404, injected faults, timeouts, bad input, TLS and
connection failures, the CLI's error paths) while the ``leaks`` fixture captures:

* every log record at DEBUG of the root, ``qiskit_ionq`` and ``urllib3`` loggers, formatted
  with its traceback, plus its raw ``msg`` and ``args``;
* every warning;
* every exception raised: ``str``, ``repr``, its pickle, and the formatted traceback of the
  whole ``__cause__``/``__context__`` chain;
* reprs and pickles of the provider, backends, jobs, clients, transports and results;
* everything written to stdout/stderr (``capsys``).

At teardown the token (and distinctive fragments of it) must be in none of them, and the
capture must not be empty (a scan of nothing proves nothing).
"""

from __future__ import annotations

import logging
import pickle
import socket
import traceback
import warnings
from typing import Any, Callable, List

import pytest
from qiskit import QuantumCircuit
from qiskit.exceptions import QiskitError

from qiskit_ionq import IonQProvider
from qiskit_ionq.api.retry import RetryPolicy
from qiskit_ionq.cli import main as cli_main
from qiskit_ionq.emulator import IonQEmulator
from qiskit_ionq.exceptions import (
    IonQAPIError,
    IonQAuthenticationError,
    IonQClientError,
    IonQCredentialsError,
    IonQError,
    IonQJobTimeoutError,
    IonQSubmissionUnknownError,
)
from qiskit_ionq.ionq_client import IonQClient
from qiskit_ionq.ionq_job import IonQJob

TOKEN = "tok-SECRET-8c1f2b7e-do-not-leak"  # the conftest's TEST_TOKEN
FRAGMENTS = (TOKEN, "SECRET-8c1f2b7e", "8c1f2b7e-do-not-leak")
FAST = RetryPolicy(
    max_attempts=3,
    base_delay=0.01,
    max_delay=0.05,
    total_timeout=2.0,
    reconcile_delay=0.0,
    reconcile_timeout=1.0,
)
LOGGERS = ("", "qiskit_ionq", "urllib3")


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))  # includes the formatted traceback
        self.texts.append(repr(record.msg))
        self.texts.append(repr(record.args))


class Leaks:
    """Collects everything a user or a log aggregator could see."""

    def __init__(self) -> None:
        self.texts: List[str] = []
        self.blobs: List[bytes] = []
        self.errors = 0

    def exception(self, error: BaseException) -> None:
        self.errors += 1
        seen = set()
        current: Any = error
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            self.texts += [str(current), repr(current), repr(getattr(current, "__dict__", {}))]
            current = current.__cause__ or current.__context__
        self.texts.append("".join(traceback.format_exception(type(error), error, None)))
        self.texts.append(
            "".join(traceback.format_exception(type(error), error, error.__traceback__))
        )
        self.pickled(error)

    def obj(self, thing: Any) -> None:
        self.texts.append(repr(thing))
        self.texts.append(str(thing))
        self.pickled(thing)

    def pickled(self, thing: Any) -> None:
        try:
            blob = pickle.dumps(thing)
        except Exception as err:  # an unpicklable object must not leak through its error
            self.texts += [str(err), repr(err)]
        else:
            self.blobs.append(blob)
            try:
                self.obj_after_unpickle = pickle.loads(blob)
            except Exception as err:
                self.texts += [str(err), repr(err)]

    def fails(self, call: Callable[[], Any], kind: type = QiskitError) -> BaseException:
        """Run ``call``, expect an error of ``kind``, and capture it."""
        try:
            call()
        except BaseException as error:
            self.exception(error)
            assert isinstance(error, kind), f"{type(error).__name__}: {error}"
            return error
        raise AssertionError(f"{call} did not fail")


@pytest.fixture
def leaks(capsys):
    handler = _Capture()
    loggers = [logging.getLogger(name) for name in LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    collector = Leaks()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield collector
    finally:
        for logger, level in zip(loggers, levels):
            logger.removeHandler(handler)
            logger.setLevel(level)
    out = capsys.readouterr()
    texts = {
        "log records": handler.texts,
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
        "exceptions, reprs": collector.texts,
        "stdout": [out.out],
        "stderr": [out.err],
    }
    for where, items in texts.items():
        for text in items:
            for fragment in FRAGMENTS:
                assert fragment not in text, f"token found in {where}: {text[:500]!r}"
    for blob in collector.blobs:
        for fragment in FRAGMENTS:
            assert fragment.encode() not in blob, f"token found in a pickle: {blob[:300]!r}"
    assert handler.texts, "no log record was captured: the scan would prove nothing"
    assert collector.errors or collector.texts or out.err


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def fast_client(url: str, **kwargs: Any) -> IonQClient:
    return IonQClient(TOKEN, url, timeout=(1.0, 0.4), retry_policy=FAST, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- authentication and missing jobs ------------------------------------------------------
def test_rejected_token_403_everywhere(leaks):
    with IonQEmulator(api_keys=["another-key"]) as emu:
        provider = IonQProvider(token=TOKEN, url=emu.url)
        backend = provider.get_backend("ionq_simulator")
        error = leaks.fails(lambda: backend.run(bell()), IonQAuthenticationError)
        assert error.status_code == 403
        client = provider.client
        for call in (
            lambda: client.retrieve_job("x"),
            lambda: client.get_results("x"),
            lambda: client.cancel_job("x"),
            lambda: client.delete_job("x"),
            lambda: client.list_jobs(),
            lambda: client.get_calibration_data("ionq_qpu.aria-1"),
            lambda: backend.retrieve_job("x").result(timeout=5),
        ):
            leaks.fails(call, IonQAuthenticationError)
        for thing in (provider, backend, client, client.transport, backend.retrieve_job("x")):
            leaks.obj(thing)


def test_rejected_token_401(leaks, requests_mock):
    url = "https://api.ionq.test/v0.3"
    client = fast_client(url)
    body = {"statusCode": 401, "error": "Unauthorized", "message": "bad key"}
    requests_mock.get(f"{url}/jobs/x", status_code=401, json=body)
    requests_mock.post(f"{url}/jobs", status_code=401, json=body)
    leaks.fails(lambda: client.retrieve_job("x"), IonQAuthenticationError)
    leaks.fails(lambda: client.submit_job({"target": "simulator"}), IonQAuthenticationError)
    # The mock saw the token (it was sent), and nothing else did.
    assert requests_mock.last_request.headers["Authorization"] == f"apiKey {TOKEN}"


def test_unknown_job_and_bad_input(leaks, provider, emulator):
    backend = provider.get_backend("ionq_simulator")
    leaks.fails(lambda: backend.retrieve_job("no-such-job").status(), IonQAPIError)
    leaks.fails(lambda: backend.retrieve_job("no-such-job").cancel(), IonQAPIError)
    leaks.fails(lambda: backend.run(bell(), shots=0))
    leaks.fails(lambda: backend.run(bell(), noise_model="nope"))
    qc = QuantumCircuit(1, 1)
    qc.reset(0)
    qc.measure(0, 0)
    leaks.fails(lambda: backend.run(qc))
    leaks.fails(lambda: backend.run(bell(), extra_metadata={"k": "x" * 40_001}))
    leaks.fails(lambda: provider.get_backend("nope"))
    unmeasured = QuantumCircuit(1)
    unmeasured.h(0)
    job = backend.run(unmeasured, shots=10, not_an_option=1)  # two warnings
    result = job.result(timeout=30)
    for thing in (provider, backend, job, result, provider.client):
        leaks.obj(thing)


def test_missing_and_insecure_credentials(leaks, emulator):
    leaks.fails(
        lambda: IonQProvider(url=emulator.url).get_backend("simulator").run(bell()),
        IonQCredentialsError,
    )
    leaks.fails(lambda: IonQClient(TOKEN, "http://example.com/v0.3"), IonQCredentialsError)
    leaks.fails(
        lambda: (
            IonQProvider(token=TOKEN, url="http://10.1.2.3/v0.3")
            .get_backend("simulator")
            .run(bell())
        ),
        IonQCredentialsError,
    )
    leaks.fails(lambda: IonQClient(TOKEN, "ftp://example.com/v0.3"), IonQClientError)


# -- network failures ---------------------------------------------------------------------
def test_injected_faults_on_every_route(leaks, emulator):
    client = fast_client(emulator.url)
    backend = emulator.provider(token=TOKEN).get_backend("ionq_simulator")
    faults = emulator.faults
    # Submissions that succeed through ambiguity (adopted or resubmitted): logs only.
    for kind, options in [
        ("store_then_fail", {"status": 502}),
        ("store_then_reset", {}),
        ("slow", {"delay": 0.8}),
        ("status", {"status": 500}),
        ("status", {"status": 429, "retry_after": 0}),
        ("status", {"status": 503, "retry_after": 0}),
    ]:
        faults.add(route="POST /jobs", kind=kind, times=1, **options)
        job = IonQJob(backend, None, client, circuit=bell(), passed_args={"shots": 10})
        job.submit()
        leaks.obj(job)
    assert emulator.stats()["duplicate_jobs"] == 0
    job_id = job.job_id()
    # Failures that surface.
    faults.add(route="POST /jobs", kind="status", status=400, times=1)
    leaks.fails(lambda: client.submit_job({"target": "simulator", "shots": 1}), IonQAPIError)
    # A reset before any answer: the job may still appear, so it is never resubmitted.
    faults.add(route="POST /jobs", kind="reset", times=1)
    error = leaks.fails(lambda: client.submit_job(_body()), IonQSubmissionUnknownError)
    assert error.submission_id in str(error)
    faults.add(route="POST /jobs", kind="store_then_fail", status=502, times=1)
    faults.add(route="GET /jobs", kind="status", status=503, times=None)
    error = leaks.fails(lambda: client.submit_job(_body()), IonQClientError)
    assert "MAY EXIST" in str(error)
    faults.clear()
    for route, kind, options in [
        ("GET /jobs/{id}", "status", {"status": 502}),
        ("GET /jobs/{id}", "status", {"status": 500}),
        ("GET /jobs/{id}", "status", {"status": 409}),
        ("GET /jobs/{id}", "reset", {}),
        ("GET /jobs/{id}", "slow", {"delay": 0.8}),
        # A glob: the results route is /results on v0.3, /results/probabilities on v0.4.
        ("GET /jobs/*/results*", "status", {"status": 524}),
        ("PUT /jobs/{id}/status/cancel", "status", {"status": 503, "retry_after": 0}),
        ("DELETE /jobs/{id}", "reset", {}),
    ]:
        faults.clear()
        faults.add(route=route, kind=kind, times=None, **options)
        if route.startswith("PUT"):
            call: Callable[[], Any] = lambda: client.cancel_job(job_id)  # noqa: E731
        elif route.startswith("DELETE"):
            call = lambda: client.delete_job(job_id)  # noqa: E731
        elif route.endswith("results*"):
            call = lambda: client.get_results(job_id)  # noqa: E731
        else:
            call = lambda: client.retrieve_job(job_id)  # noqa: E731
        leaks.fails(call, IonQError)
    faults.clear()
    leaks.obj(client)
    leaks.obj(client.transport)


def test_tls_and_connection_failures(leaks, emulator):
    # The emulator speaks plain HTTP: an https:// URL to it fails the TLS handshake.
    tls = fast_client(emulator.url.replace("http://", "https://"))
    leaks.fails(lambda: tls.retrieve_job("x"), IonQClientError)
    leaks.fails(lambda: tls.submit_job(_body()), IonQClientError)
    refused = fast_client(f"http://127.0.0.1:{free_port()}/v0.3")
    leaks.fails(lambda: refused.retrieve_job("x"), IonQClientError)
    leaks.fails(lambda: refused.submit_job(_body()), IonQClientError)


def test_timeouts(leaks):
    with IonQEmulator(job_delays={"ready": 60.0}) as emu:
        backend = emu.provider(token=TOKEN).get_backend("ionq_simulator")
        job = backend.run(bell(), shots=10)
        leaks.fails(lambda: job.result(timeout=0.3, wait=0.1), IonQJobTimeoutError)
        leaks.fails(lambda: job.wait_for_final_state(timeout=0.2, wait=0.1), IonQJobTimeoutError)
        leaks.obj(job)


def test_custom_headers_named_like_secrets_are_not_pickled(leaks, emulator):
    client = IonQClient(
        TOKEN, emulator.url, custom_headers={"X-Api-Key": TOKEN, "X-Trace": "visible"}
    )
    leaks.obj(client)
    assert b"visible" in pickle.dumps(client)


def test_unpickled_objects_do_not_carry_the_token(leaks, provider):
    backend = provider.get_backend("ionq_simulator")
    job = backend.run(bell(), shots=10)
    for thing in (provider, provider.client, job):
        clone = pickle.loads(pickle.dumps(thing))
        leaks.obj(clone)
    # Without the environment variable, an unpickled client has no token at all.
    clone = pickle.loads(pickle.dumps(provider.client))
    leaks.fails(lambda: clone.api_headers, IonQCredentialsError)


# -- the command line ---------------------------------------------------------------------
def test_cli_error_output(leaks, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("QISKIT_IONQ_API_TOKEN", TOKEN)
    qasm = tmp_path / "bell.qasm"
    qasm.write_text(
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
        "h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n"
    )
    with IonQEmulator(api_keys=["another-key"]) as refusing, IonQEmulator() as emu:
        runs = [
            ["job", "status", "no-such-job", "--url", emu.url],
            ["job", "result", "no-such-job", "--url", emu.url, "--timeout", "2"],
            ["job", "cancel", "no-such-job", "--url", emu.url],
            ["job", "status", "x", "--url", refusing.url],
            ["job", "status", "x", "--url", "http://example.com/v0.3"],
        ]
        monkeypatch.setenv("QISKIT_IONQ_API_URL", refusing.url)
        runs += [["run", str(qasm), "--shots", "10"], ["calibration", "ionq_qpu.aria-1"]]
        for argv in runs:
            assert cli_main(argv) == 1, argv
        monkeypatch.setenv("QISKIT_IONQ_API_URL", emu.url)
        assert cli_main(["run", str(qasm), "--shots", "0"]) == 1
        assert cli_main(["run", str(qasm), "--shots", "10", "--seed", "1"]) == 0
        assert cli_main(["backends"]) == 0
    captured = capsys.readouterr()  # consumed here, so scanned here
    err = captured.err
    leaks.texts += [captured.out, err]
    assert err.count("qiskit-ionq: error:") >= len(runs)
    assert "HTTP 403" in err and "does not exist" in err


def _body() -> dict:
    return {
        "target": "simulator",
        "shots": 10,
        "input": {
            "format": "ionq.circuit.v0",
            "gateset": "qis",
            "qubits": 1,
            "circuit": [{"gate": "x", "target": 0}],
        },
    }
