"""The ``qiskit-ionq`` command: argument parsing only; the work is the public API's.

``demo``, ``run FILE``, ``emulator``, ``backends``, ``calibration BACKEND`` and
``job status|result|cancel ID``. Errors print one line on stderr and exit 1 (2 for usage).
The API token is never printed.

Without a token the commands use an emulator embedded in the command, and say so on stderr.
Its jobs are kept in a per-user store (:func:`default_store_path`), so the job id that ``run``
prints can be looked up by a later ``qiskit-ionq job ...``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import runpy
import sys
from typing import Any, Iterator, List, Optional, Sequence

from . import cli_output
from .constants import NOISE_MODELS, TOKEN_ENV_VARS
from .exceptions import IonQCredentialsError, IonQError, IonQJobTimeoutError
from .version import __version__

BAR_WIDTH = 40
STORE_ENV_VAR = "QISKIT_IONQ_EMULATOR_STORE"


def _token_configured() -> bool:
    return any(os.environ.get(var) for var in TOKEN_ENV_VARS)


def default_store_path() -> Optional[str]:
    """Where the embedded emulator keeps its jobs, so that ids stay valid between commands.

    ``$QISKIT_IONQ_EMULATOR_STORE`` when set (``memory`` keeps nothing), else
    ``qiskit-ionq/emulator-jobs.sqlite`` under the user's cache directory
    (``$XDG_CACHE_HOME`` or ``~/.cache``; ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on
    Windows). ``None`` means in memory only.
    """
    chosen = os.environ.get(STORE_ENV_VAR)
    if chosen is not None and chosen.strip():
        return None if chosen.strip().lower() == "memory" else os.path.expanduser(chosen.strip())
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
    elif sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "qiskit-ionq", "emulator-jobs.sqlite")


def _open_emulator(need_store: bool = False) -> Any:
    """The embedded emulator on the per-user store (in memory if the store cannot be used).

    Args:
        need_store: the command is about stored jobs (``job ...``): an unusable store is then
            an error, not a fallback to memory.
    """
    from .emulator import IonQEmulator
    from .emulator.store import StoreLockedError

    path = default_store_path()
    if path is not None:
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            return IonQEmulator(store=path).start()
        except (OSError, ValueError, StoreLockedError) as exc:  # in use, read-only, corrupt
            busy = isinstance(exc, StoreLockedError)
            why = "in use by another qiskit-ionq command" if busy else f"unusable ({exc})"
            if need_store:
                raise IonQError(
                    f"The local emulator's job store {path} is {why}"
                    + ("; try again when that command has ended." if busy else ".")
                ) from None
            print(f"note: job store {path} is {why}; keeping jobs in memory, so job ids are "
                  "valid only while this command runs", file=sys.stderr)  # fmt: skip
    return IonQEmulator().start()


@contextlib.contextmanager
def _provider(
    local: bool,
    quiet: bool = False,
    why: str = "--local",
    what: str = "",
    api_version: Optional[str] = None,
) -> Iterator[Any]:
    """A provider for the cloud when a token is set (and ``--local`` is not), else an
    embedded emulator; says which on stderr so the output stays parseable.

    ``what`` names the data a command shows (``"backends"``): the notice then says that it
    is the local emulator's, not IonQ's. ``api_version`` (``--api``) picks the IonQ API
    version; the emulator serves both.
    """
    if not local and _token_configured():
        from .ionq_provider import IonQProvider

        provider = IonQProvider(api_version=api_version)
        if not quiet:
            print(cli_output.describe_api(provider.credentials["url"]), file=sys.stderr)
        yield provider
        return
    emu = _open_emulator()
    try:
        if not quiet:
            reason = why if local else "no API token is set"
            url = emu.url_for(api_version) if api_version else emu.url
            print(f"Using the local IonQ API emulator at {url} ({reason})", file=sys.stderr)
            if what:
                print(
                    f"This is the local emulator's {what}, not IonQ's. Set "
                    f"{TOKEN_ENV_VARS[0]} to see IonQ's.",
                    file=sys.stderr,
                )
        yield emu.provider(url=emu.url_for(api_version)) if api_version else emu.provider()
    finally:
        emu.stop()


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
    why = "offline demo; --cloud uses your token"
    with _provider(local=not args.cloud, why=why, api_version=args.api) as provider:
        backend = provider.get_backend(args.backend)
        api = provider.client.api_version
        print(f"Running a Bell circuit on {args.backend} with {args.shots} shots (API {api})")
        job = backend.run(qc, shots=args.shots, **_seed(args))
        cli_output.current_job(job.job_id())
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
        try:
            import qiskit_qasm3_import  # noqa: F401  (the importer qiskit.qasm3.loads needs)
        except ImportError:
            raise IonQError(
                f"{path} is OpenQASM 3, which needs the qasm3 extra: "
                'pip install "qiskit-ionq[qasm3]"'
            ) from None
        from qiskit import qasm3

        try:
            return qasm3.loads(text)
        except Exception as exc:
            raise IonQError(f"Could not read {path} as OpenQASM 3: {exc}") from None
    from qiskit import qasm2

    try:
        # qasm2.loads (not QuantumCircuit.from_qasm_str, deprecated on terra 0.46) with the
        # legacy instruction set, so qelib1.inc files read as they always did.
        return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except Exception as exc:
        raise IonQError(f"Could not read {path} as OpenQASM 2: {exc}") from None


def _cmd_run(args: argparse.Namespace) -> int:
    circuit = load_circuit(args.file)
    options: dict = {"shots": args.shots}
    if args.noise_model:
        options["noise_model"] = args.noise_model
    with _provider(args.local) as provider:
        backend = provider.get_backend(args.backend, gateset=args.gateset)
        if args.seed is not None:
            if "sampler_seed" in dict(backend.options.items()):
                options["sampler_seed"] = args.seed
            else:
                print(f"note: --seed applies to ionq_simulator only; {args.backend} "
                      "ignores it", file=sys.stderr)  # fmt: skip
        if args.gateset == "native":
            circuit = cli_output.to_native(
                circuit, backend, args.backend, os.path.basename(args.file)
            )
        job = backend.run(circuit, **options)
        cli_output.current_job(job.job_id())
        print(f"job {job.job_id()} on {args.backend}")
        counts = job.result(timeout=args.timeout).get_counts()
        if args.json:
            print(json.dumps(counts, sort_keys=True))
        else:
            _print_counts(counts)
    return 0


def _cmd_backends(args: argparse.Namespace) -> int:
    with _provider(args.local, what="list of backends") as provider:
        rows, notes = cli_output.backend_rows(provider, show_all=args.all)
        for name, qubits, status in rows:
            print(f"{name:<32} {qubits:>3} qubits  {status}")
        for note in notes:
            print(note)
    return 0


def _cmd_calibration(args: argparse.Namespace) -> int:
    with _provider(
        args.local, quiet=args.json, what="characterization (made up for testing)"
    ) as provider:
        cal = provider.get_backend(args.backend).calibration()
        if cal is None:
            print(f"{args.backend} is a simulator: it has no calibration.")
            return 0
        if args.json:
            print(json.dumps(cal.to_dict(), indent=2, sort_keys=True, default=str))
        else:
            print("\n".join(cli_output.calibration_summary(args.backend, cal)))
    return 0


def _cmd_job(args: argparse.Namespace) -> int:
    from .ionq_provider import IonQProvider

    if args.action != "list" and not args.job_id:
        print(f"qiskit-ionq job {args.action}: error: give the job id", file=sys.stderr)
        raise SystemExit(2)  # a usage error, as argparse reports its own
    if args.url or _token_configured():
        token = None
        if args.url and not _token_configured() and cli_output.is_local_url(args.url):
            token = "emulator"  # a local emulator accepts any key unless started with keys
        provider = IonQProvider(token=token, url=args.url)
        if args.action == "list":
            return _list_jobs(provider, args)
        if args.action == "find":
            return _find_job(provider, args)
        return _job_action(args, provider)
    # No token and no URL: the job can only be one that the embedded emulator ran.
    emu = _open_emulator(need_store=True)
    try:
        where = default_store_path() or "memory"
        if args.action == "list":
            print(f"These are the local emulator's jobs ({where}), not IonQ's. Set "
                  f"{TOKEN_ENV_VARS[0]} to list IonQ's.", file=sys.stderr)  # fmt: skip
            return _list_jobs(emu.provider(), args)
        if args.action == "find":
            return _find_job(emu.provider(), args)
        if emu.get_job(args.job_id) is None:
            raise IonQError(
                f"Job {args.job_id} is not in the local emulator's job store ({where}), and no "
                f"API token is set. To look it up on IonQ's cloud, set {TOKEN_ENV_VARS[0]}; "
                "for a running emulator, pass --url."
            )
        return _job_action(args, emu.provider())
    finally:
        emu.stop()


def _job_action(args: argparse.Namespace, provider: Any) -> int:
    cli_output.current_job(args.job_id)
    job = provider.get_backend(args.backend or "ionq_simulator").retrieve_job(args.job_id)
    if args.action == "status":
        print(job.status().name)
    elif args.action == "cancel":
        print("canceled" if job.cancel() else "not canceled (already final)")
    else:
        counts = job.result(timeout=args.timeout).get_counts()
        print(json.dumps(counts, sort_keys=True))
    return 0


def _find_job(provider: Any, args: argparse.Namespace) -> int:
    """``job find SUBMISSION_ID``: the job a submission created (exit 1 when not found)."""
    if not args.job_id:
        print("qiskit-ionq job find: error: give the submission id", file=sys.stderr)
        raise SystemExit(2)
    found = provider.client.find_job(args.job_id)
    if found is None:
        print(
            f"No job with submission id {args.job_id} among the newest jobs (yet). If its "
            "submission failed moments ago, the server may still be storing it: try again "
            "in a minute before submitting again.",
            file=sys.stderr,
        )
        return 1
    fields = (found.get("id"), found.get("status"), found.get("target"), found.get("name"))
    if args.json:
        print(json.dumps(dict(zip(("id", "status", "backend", "name"), fields))))
    else:
        print("\t".join("" if f is None else str(f) for f in fields))
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


_STORE_HELP = f"""\
Without an API token, commands run an emulator inside the command. Its jobs are
kept in a per-user store, so job ids stay valid for later `qiskit-ionq job`
commands: $XDG_CACHE_HOME/qiskit-ionq/emulator-jobs.sqlite (by default under
~/.cache; ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows). Set
{STORE_ENV_VAR} to another file, or to 'memory' to keep nothing."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="qiskit-ionq",
        description="Run Qiskit circuits on IonQ, or on a local emulator.",
        epilog=_STORE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"qiskit-ionq {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="run a Bell circuit through the full stack (offline)")
    demo.add_argument("--shots", type=int, default=1000)
    demo.add_argument("--seed", type=int, default=None, help="sampler seed (repeatable counts)")
    demo.add_argument("--backend", default="ionq_simulator")
    demo.add_argument("--cloud", action="store_true", help="use the IonQ cloud (needs a token)")
    demo.add_argument(
        "--api", choices=["v0.3", "v0.4"], default=None, help="IonQ API version (default v0.3)"
    )
    demo.set_defaults(func=_cmd_demo)

    run = sub.add_parser(
        "run",
        help="run an OpenQASM 2/3 or Python circuit file",
        description="Run a circuit file on IonQ's cloud (when a token is set) or on the\n"
        "embedded emulator, and print its counts. OpenQASM 3 files need\n"
        'pip install "qiskit-ionq[qasm3]".',
        epilog=_STORE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "file",
        help="a .qasm file (OpenQASM 2, or 3 with the qasm3 extra), or a .py file defining "
        "`circuit` or `qc`",
    )
    run.add_argument("--backend", default="ionq_simulator")
    run.add_argument("--shots", type=int, default=1024)
    run.add_argument("--seed", type=int, default=None, help="sampler seed (ideal simulator)")
    run.add_argument("--noise-model", choices=NOISE_MODELS, default=None)
    run.add_argument(
        "--gateset",
        choices=["qis", "native"],
        default="qis",
        help="native: compile the circuit to the backend's native gates (GPI/GPI2/MS or ZZ) "
        "here, and send those",
    )
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
    backends.add_argument("--all", action="store_true", help="also list retired systems")
    backends.set_defaults(func=_cmd_backends)

    cal = sub.add_parser("calibration", help="show a QPU's current characterization")
    cal.add_argument("backend", help="e.g. ionq_qpu.aria-1")
    cal.add_argument("--local", action="store_true", help="ask the embedded emulator")
    cal.add_argument("--json", action="store_true", help="print the whole characterization")
    cal.set_defaults(func=_cmd_calibration)

    job = sub.add_parser(
        "job",
        help="list jobs, or inspect or cancel a job by id",
        epilog=_STORE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    job.add_argument("action", choices=["status", "result", "cancel", "list", "find"])
    job.add_argument(
        "job_id",
        nargs="?",
        default=None,
        help="the job (not for list); for find: the submission id an error message named",
    )
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
    cli_output.current_job(None)
    try:
        return int(args.func(args))
    except KeyboardInterrupt as exc:
        # A wait interrupted inside the library has already said how to reach the job
        # (the exception carries that note); otherwise say it here, in command-line words.
        print("interrupted" if exc.args else cli_output.interrupted(), file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`qiskit-ionq demo | head -2`): stop quietly, as other
        # command-line tools do. Point stdout at devnull so that Python's final flush of the
        # dead pipe does not print a second error at exit (recipe from the `signal` docs).
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a tool killed by the signal
    except IonQJobTimeoutError:
        print(cli_output.timed_out(), file=sys.stderr)
        return 1
    except IonQCredentialsError as exc:
        print(f"qiskit-ionq: error: {cli_output.credentials_hint(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:
        from qiskit.exceptions import QiskitError

        kind = "error" if isinstance(exc, QiskitError) else type(exc).__name__
        text = str(exc)
        if isinstance(exc, QiskitError) and len(text) > 1 and text[0] == text[-1] in "'\"":
            # QiskitError's str() is the repr of its message (in quotes): print the message.
            text = str(getattr(exc, "message", text))
        print(f"qiskit-ionq: {kind}: {text}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
