"""What the ``qiskit-ionq`` command prints, kept apart from its argument parsing (cli.py).

Pure formatting and small decisions on data the command already has: which API a URL points
at, the backends table with its notes, the compact characterization summary, compiling a
circuit file to native gates, and the hints printed after a timeout or Ctrl-C. The hints use
command-line words (``qiskit-ionq job result ID``), never Python calls: the reader is at a
shell prompt.
"""

from __future__ import annotations

import datetime as _dt
import os
import warnings
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from .api._http_common import is_loopback_host
from .constants import DEFAULT_API_URL, TOKEN_ENV_VARS, URL_ENV_VARS

# Systems IonQ has retired: still accepted by name (old scripts name them), never shown as
# available. IonQ retired Harmony in September 2024.
RETIRED_TARGETS: Dict[str, str] = {"qpu.harmony": "retired by IonQ in 2024"}

_current_job: Optional[str] = None


def current_job(job_id: Optional[str]) -> None:
    """Remember the job a command is working on, for the Ctrl-C and timeout hints."""
    global _current_job
    _current_job = job_id


def interrupted() -> str:
    """The line printed after Ctrl-C: the job (if any) keeps running, and how to reach it."""
    if _current_job is None:
        return "interrupted"
    return (
        f"interrupted: job {_current_job} keeps running on the server. Fetch it later with "
        f"`qiskit-ionq job result {_current_job}`, or cancel it with "
        f"`qiskit-ionq job cancel {_current_job}`."
    )


def timed_out() -> str:
    """The line printed when ``--timeout`` passed before the job finished."""
    job = _current_job or "ID"
    return (
        f"qiskit-ionq: error: job {job} did not finish within --timeout; it keeps running. "
        f"Fetch it later with `qiskit-ionq job result {job}` (--timeout to wait longer), or "
        f"cancel it with `qiskit-ionq job cancel {job}`."
    )


def is_local_url(url: str) -> bool:
    """True for a URL on this machine (a local emulator, typically)."""
    return is_loopback_host(urlsplit(url).hostname or "")


def credentials_hint(error: Exception) -> str:
    """A missing-token error in command-line words (the Python advice does not apply)."""
    text = str(error)
    if not text.startswith("No IonQ API token found"):
        return text
    return (
        f"No IonQ API token found: set {TOKEN_ENV_VARS[0]} (or {TOKEN_ENV_VARS[1]}) to use "
        "IonQ's cloud. Without a token, `qiskit-ionq run` and `qiskit-ionq demo` use a local "
        "emulator."
    )


def describe_api(url: str) -> str:
    """Say which API a command talks to: IonQ's cloud, or a server elsewhere (e.g. an
    emulator that ``QISKIT_IONQ_API_URL`` points at), never calling the latter the cloud."""
    host = urlsplit(url).hostname or ""
    source = next((name for name in URL_ENV_VARS if os.environ.get(name, "").strip()), None)
    origin = f", from {source}" if source else ""
    if host == urlsplit(DEFAULT_API_URL).hostname:
        return f"Using the IonQ cloud at {url}"
    if is_loopback_host(host):
        return f"Using the IonQ API server on this machine at {url} (not IonQ's cloud{origin})"
    return f"Using the IonQ API at {url} (not IonQ's default URL{origin})"


def backend_rows(
    provider: Any, show_all: bool = False
) -> Tuple[List[Tuple[str, int, str]], List[str]]:
    """``(name, qubits, status)`` for each backend, plus the notes explaining the table.

    A status comes from the API's ``GET /backends``. A system the API does not list is
    *unlisted* (explained in a note); a retired system is hidden unless ``show_all``, and then
    labelled retired, never available.
    """
    entries = {str(e.get("backend")): e for e in provider.client.get_backends()}
    qpus_available = any(
        t.startswith("qpu.") and e.get("status") == "available" and t not in RETIRED_TARGETS
        for t, e in entries.items()
    )
    rows: List[Tuple[str, int, str]] = []
    hidden: List[str] = []
    unlisted = False
    for backend in provider.backends():
        config = backend.configuration()
        name, target = str(config.backend_name), str(backend.api_target)
        entry = entries.get(target)
        if target in RETIRED_TARGETS or (entry or {}).get("status") == "retired":
            if not show_all:
                hidden.append(name)
                continue
            status = f"retired ({RETIRED_TARGETS.get(target, 'IonQ lists it as retired')})"
        elif entry is not None:
            status = str(entry.get("status", "unknown"))
            if entry.get("degraded"):
                status += ", degraded"
        elif target == "qpu":
            status = "IonQ picks an available QPU" if qpus_available else "no QPU available"
        else:
            status = "unlisted *"
            unlisted = True
        rows.append((name, int(config.n_qubits), status))
    notes = []
    if unlisted:
        notes.append(
            "* unlisted: the API's list of backends (GET /backends) does not include this "
            "system now; it is not available to run jobs."
        )
    if hidden:
        notes.append(f"Retired systems not shown: {', '.join(hidden)} (--all lists them).")
    return rows, notes


def _mean(fidelity: Dict[str, Any], key: str) -> str:
    value = (fidelity.get(key) or {}).get("mean")
    return "n/a" if value is None else f"{float(value):.4f}"


def _duration(seconds: Any) -> str:
    if seconds is None:
        return "n/a"
    value = float(seconds)
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if value >= scale:
            return f"{value / scale:.4g} {unit}"
    return f"{value / 1e-9:.4g} ns"


def calibration_summary(name: str, calibration: Any) -> List[str]:
    """A QPU characterization in a few lines: qubits, fidelities, SPAM, T1/T2, timing, date."""
    fidelity = calibration.fidelities
    timing = calibration.timings
    n = calibration.num_qubits
    pairs = len(calibration.connectivity)
    full = n * (n - 1) // 2
    links = "all-to-all" if pairs and pairs >= full else f"{pairs} of {full} pairs"
    when = calibration.calibration_time
    date = when.astimezone(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if when else "n/a"
    spam = fidelity.get("spam") or {}
    spam_text = _mean(fidelity, "spam")
    if spam.get("stderr") is not None:
        spam_text += f" (stderr {float(spam['stderr']):.2g})"
    return [
        f"{name} ({calibration.target}), characterization of {date}",
        f"  qubits       {n}, connectivity {links}",
        f"  fidelity     1q {_mean(fidelity, '1q')}   2q {_mean(fidelity, '2q')}   "
        f"SPAM {spam_text}",
        f"  T1 / T2      {_duration(timing.get('t1'))} / {_duration(timing.get('t2'))}",
        f"  gate time    1q {_duration(timing.get('1q'))}   2q {_duration(timing.get('2q'))}   "
        f"readout {_duration(timing.get('readout'))}   reset {_duration(timing.get('reset'))}",
        f"  id           {calibration.uuid}   (--json prints the whole characterization)",
    ]


def to_native(circuit: Any, backend: Any, name: str, label: str) -> Any:
    """``circuit`` compiled to ``backend``'s native gates, saying so on stderr.

    A command-line user cannot call ``transpile``; a circuit already in native gates is
    sent as it is. ``label`` names the circuit in the message (its file).
    """
    import sys

    from qiskit import transpile

    basis = [g for g in backend.configuration().basis_gates if g != "measure"]
    structural = {"measure", "barrier", "delay"}
    ops = circuit.count_ops()
    if set(ops) <= set(basis) | structural:
        print(f"note: {label} is already in native gates; sent as it is", file=sys.stderr)
        return circuit
    with warnings.catch_warnings():
        # Qiskit 1.2-1.4 deprecates BackendV1 inputs to transpile; a CLI user cannot act on it.
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*BackendV1.*")
        native = transpile(circuit, backend)
    before = sum(n for g, n in ops.items() if g not in structural)
    after = {g: n for g, n in native.count_ops().items() if g not in structural}
    detail = ", ".join(f"{n} {g}" for g, n in sorted(after.items()))
    print(
        f"Transpiled {label} to {name}'s native gates ({', '.join(basis)}): "
        f"{before} gates -> {sum(after.values())} ({detail})",
        file=sys.stderr,
    )
    return native
