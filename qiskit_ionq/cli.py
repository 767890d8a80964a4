"""The ``qiskit-ionq`` command: argument parsing only; the work is the public API's.

``demo``, ``run FILE``, ``emulator``, ``backends``, ``calibration BACKEND`` and
``job status|result|cancel ID``. Errors print one line on stderr and exit 1 (2 for usage).
The API token is never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import runpy
import sys
from typing import Any, Iterator, List, Optional, Sequence

from .constants import NOISE_MODELS, TOKEN_ENV_VARS
from .exceptions import IonQError
from .version import __version__

BAR_WIDTH = 40


def _token_configured() -> bool:
    return any(os.environ.get(var) for var in TOKEN_ENV_VARS)


@contextlib.contextmanager
def _provider(local: bool, quiet: bool = False, why: str = "--local") -> Iterator[Any]:
    """A provider for the cloud when a token is set (and ``--local`` is not), else an
    embedded emulator; says which on stderr so the output stays parseable."""
    if not local and _token_configured():
        from .ionq_provider import IonQProvider

        provider = IonQProvider()
        if not quiet:
            print(f"Using the IonQ cloud at {provider.credentials['url']}", file=sys.stderr)
        yield provider
        return
    from .emulator import IonQEmulator

    with IonQEmulator() as emu:
        if not quiet:
            reason = why if local else "no API token is set"
            print(f"Using the local IonQ API emulator at {emu.url} ({reason})", file=sys.stderr)
        yield emu.provider()


def _histogram(counts: dict) -> List[str]:
    total = sum(counts.values()) or 1
    peak = max(counts.values()) if counts else 1
    width = max((len(k) for k in counts), default=1)
    lines = []
    for key in sorted(counts):
        value = counts[key]
        bar = "#" * max(1, round(BAR_WIDTH * value / peak)) if value else ""
        lines.append(f"{key:>{width}} {bar:<{BAR_WIDTH}} {value} ({value / total:.1%})")
    return lines


def _print_counts(counts: dict) -> None:
    print(f"counts: {dict(sorted(counts.items()))}")
    for line in _histogram(counts):
        print(line)


def _cmd_demo(args: argparse.Namespace) -> int:
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2, 2, name="bell")
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    with _provider(local=not args.cloud, why="offline demo; --cloud uses your token") as provider:
        backend = provider.get_backend(args.backend)
        print(f"Running a Bell circuit on {args.backend} with {args.shots} shots")
        job = backend.run(qc, shots=args.shots, **_seed(args))
        counts = job.get_counts()
        print(f"job {job.job_id()}: {job.status().name}")
        _print_counts(counts)
    return 0


def _seed(args: argparse.Namespace) -> dict:
    seed = getattr(args, "seed", None)
    return {} if seed is None else {"sampler_seed": seed}


def load_circuit(path: str) -> Any:
    """A circuit from an OpenQASM 2/3 file or a Python file defining one."""
    from qiskit import QuantumCircuit

    if not os.path.exists(path):
        raise IonQError(f"No such file: {path}")
    if path.endswith(".py"):
        namespace = runpy.run_path(path)
        for name in ("circuit", "qc"):
            if isinstance(namespace.get(name), QuantumCircuit):
                return namespace[name]
        found = [v for v in namespace.values() if isinstance(v, QuantumCircuit)]
        if not found:
            raise IonQError(f"{path} defines no QuantumCircuit (name it `circuit` or `qc`).")
        return found[-1]
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if "OPENQASM 3" in text:
        from qiskit import qasm3

        try:
            return qasm3.loads(text)
        except Exception as exc:
            raise IonQError(
                f"Could not read {path} as OpenQASM 3 ({exc}); OpenQASM 3 import needs "
                "`pip install qiskit-qasm3-import`."
            ) from None
    from qiskit import qasm2

    try:
        # qasm2.loads (not QuantumCircuit.from_qasm_str, deprecated on terra 0.46) with the
        # legacy instruction set, so qelib1.inc files read as they always did.
        return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except Exception as exc:
        raise IonQError(f"Could not read {path} as OpenQASM 2: {exc}") from None


def _cmd_run(args: argparse.Namespace) -> int:
    circuit = load_circuit(args.file)
    options: dict = {"shots": args.shots, **_seed(args)}
    if args.noise_model:
        options["noise_model"] = args.noise_model
    with _provider(args.local) as provider:
        backend = provider.get_backend(args.backend, gateset=args.gateset)
        job = backend.run(circuit, **options)
        print(f"job {job.job_id()} on {args.backend}")
        counts = job.result(timeout=args.timeout).get_counts()
        if args.json:
            print(json.dumps(counts, sort_keys=True))
        else:
            _print_counts(counts)
    return 0


def _cmd_backends(args: argparse.Namespace) -> int:
    with _provider(args.local, quiet=True) as provider:
        entries = {e.get("backend"): e for e in provider.client.get_backends()}
        for backend in provider.backends():
            entry = entries.get(backend.api_target, {})
            status = entry.get("status", "unlisted")
            print(f"{str(backend.configuration().backend_name):<32} "
                  f"{backend.configuration().n_qubits:>3} qubits  {status}")  # fmt: skip
    return 0


def _cmd_calibration(args: argparse.Namespace) -> int:
    with _provider(args.local, quiet=True) as provider:
        cal = provider.get_backend(args.backend).calibration()
        if cal is None:
            print(f"{args.backend} is a simulator: it has no calibration.")
            return 0
        print(json.dumps(cal.to_dict(), indent=2, sort_keys=True, default=str))
    return 0


def _cmd_job(args: argparse.Namespace) -> int:
    from .ionq_provider import IonQProvider

    provider = IonQProvider(url=args.url) if args.url else IonQProvider()
    if args.action == "list":
        return _list_jobs(provider, args)
    if not args.job_id:
        print(f"qiskit-ionq job {args.action}: error: give the job id", file=sys.stderr)
        raise SystemExit(2)  # a usage error, as argparse reports its own
    job = provider.get_backend(args.backend or "ionq_simulator").retrieve_job(args.job_id)
    if args.action == "status":
        print(job.status().name)
    elif args.action == "cancel":
        print("canceled" if job.cancel() else "not canceled (already final)")
    else:
        counts = job.result(timeout=args.timeout).get_counts()
        print(json.dumps(counts, sort_keys=True))
    return 0


def _list_jobs(provider: Any, args: argparse.Namespace) -> int:
    """``job list``: one line per job (id, status, backend, name), newest first."""
    from .jobs_listing import iter_job_entries

    entries = iter_job_entries(
        provider.client,
        status=args.status,
        limit=args.limit or None,
        backend=args.backend,
        session=args.session,
    )
    for entry in entries:
        fields = (entry.get("id"), entry.get("status"), entry.get("target"), entry.get("name"))
        if args.json:
            print(json.dumps(dict(zip(("id", "status", "backend", "name"), fields))))
        else:
            print("\t".join("" if f is None else str(f) for f in fields))
    return 0


def _cmd_emulator(args: argparse.Namespace) -> int:
    from .emulator.cli import main_serve

    return int(main_serve(args))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="qiskit-ionq", description="Run Qiskit circuits on IonQ, or on a local emulator."
    )
    parser.add_argument("--version", action="version", version=f"qiskit-ionq {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="run a Bell circuit through the full stack (offline)")
    demo.add_argument("--shots", type=int, default=1000)
    demo.add_argument("--seed", type=int, default=None, help="sampler seed (repeatable counts)")
    demo.add_argument("--backend", default="ionq_simulator")
    demo.add_argument("--cloud", action="store_true", help="use the IonQ cloud (needs a token)")
    demo.set_defaults(func=_cmd_demo)

    run = sub.add_parser("run", help="run an OpenQASM 2/3 or Python circuit file")
    run.add_argument("file", help="a .qasm file, or a .py file defining `circuit` or `qc`")
    run.add_argument("--backend", default="ionq_simulator")
    run.add_argument("--shots", type=int, default=1024)
    run.add_argument("--seed", type=int, default=None, help="sampler seed (ideal simulator)")
    run.add_argument("--noise-model", choices=NOISE_MODELS, default=None)
    run.add_argument("--gateset", choices=["qis", "native"], default="qis")
    run.add_argument("--local", action="store_true", help="use the embedded emulator")
    run.add_argument("--timeout", type=float, default=600.0, help="seconds to wait at most")
    run.add_argument("--json", action="store_true", help="print counts as JSON")
    run.set_defaults(func=_cmd_run)

    emu = sub.add_parser("emulator", help="serve the local IonQ API emulator until Ctrl-C")
    from .emulator.cli import add_arguments

    add_arguments(emu)
    emu.set_defaults(func=_cmd_emulator)

    backends = sub.add_parser("backends", help="list backends and their status")
    backends.add_argument("--local", action="store_true", help="ask the embedded emulator")
    backends.set_defaults(func=_cmd_backends)

    cal = sub.add_parser("calibration", help="show a QPU's current characterization")
    cal.add_argument("backend", help="e.g. ionq_qpu.aria-1")
    cal.add_argument("--local", action="store_true", help="ask the embedded emulator")
    cal.set_defaults(func=_cmd_calibration)

    job = sub.add_parser("job", help="list jobs, or inspect or cancel a job by id")
    job.add_argument("action", choices=["status", "result", "cancel", "list"])
    job.add_argument("job_id", nargs="?", default=None, help="the job (not for list)")
    job.add_argument(
        "--backend",
        default=None,
        help="backend the job ran on (default ionq_simulator); for list: only its jobs",
    )
    job.add_argument("--status", default=None, help="list: only jobs in this status")
    job.add_argument("--limit", type=int, default=25, help="list: at most this many (0 = all)")
    job.add_argument("--session", default=None, help="list: only this session's jobs (v0.4)")
    job.add_argument("--json", action="store_true", help="list: one JSON object per line")
    job.add_argument("--url", default=None, help="API URL (e.g. a running emulator's)")
    job.add_argument("--timeout", type=float, default=600.0)
    job.set_defaults(func=_cmd_job)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``qiskit-ionq`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`qiskit-ionq demo | head -2`): stop quietly, as other
        # command-line tools do. Point stdout at devnull so that Python's final flush of the
        # dead pipe does not print a second error at exit (recipe from the `signal` docs).
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a tool killed by the signal
    except Exception as exc:
        from qiskit.exceptions import QiskitError

        kind = "error" if isinstance(exc, QiskitError) else type(exc).__name__
        print(f"qiskit-ionq: {kind}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
