"""The ``qiskit-ionq emulator`` command (also ``python -m qiskit_ionq.emulator``).

Argument parsing and signal handling only; everything else is :class:`.IonQEmulator`. The first
line printed is ``qiskit-ionq emulator serving at <url>`` with the real port, flushed at once,
so that a script can start it with ``--port 0`` and read the URL from the first line.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import Any, Dict, List, Optional

from .budget import parse_bytes
from .faults import FAULT_SPEC_HELP, parse_fault_spec
from .jobs import JobDelays

_DESCRIPTION = "Serve a local emulator of the IonQ REST API (v0.3 and v0.4) until interrupted."

_EPILOG = (
    "Jobs run on a local simulator. Stop with Ctrl-C or SIGTERM.\n"
    "Admin routes (outside /v0.3 and /v0.4): GET /_emulator/stats,\n"
    "GET|POST|DELETE /_emulator/faults, POST /_emulator/reset.\n\n" + FAULT_SPEC_HELP
)


def _delays(text: str) -> float | Dict[str, float]:
    """``--delay 0.5`` (every phase) or ``--delay submitted=0.1,running=2``; finite, >= 0."""
    try:
        if "=" not in text:
            value: float | Dict[str, float] = float(text)
        else:
            value = {}
            for item in text.split(","):
                name, _, number = item.partition("=")
                value[name.strip()] = float(number)
        JobDelays.coerce(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"invalid --delay {text!r}: {exc}") from None
    return value


def _size(text: str) -> int:
    try:
        return parse_bytes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _fault(text: str) -> str:
    try:
        parse_fault_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator options to ``parser`` (the top-level CLI's ``emulator`` subcommand).

    Args:
        parser: the parser (or subparser) to extend.
    """
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    if parser.description is None:
        parser.description = _DESCRIPTION
    if parser.epilog is None:
        parser.epilog = _EPILOG
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=0, help="TCP port; 0 picks a free one (default)"
    )
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accepted API key (repeatable); without it any non-empty key is accepted. "
        "Each key sees only its own jobs",
    )
    parser.add_argument(
        "--admin-key",
        metavar="KEY",
        help="key of the /_emulator admin routes (needed for them when several --api-key "
        "are given; with one --api-key that key works)",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        dest="allowed_hosts",
        metavar="NAME",
        default=[],
        help="also serve requests whose Host header is NAME (by default only loopback "
        "names: protection against DNS rebinding)",
    )
    parser.add_argument("--store", metavar="PATH", help="SQLite file keeping jobs across restarts")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (requires --api-key)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        dest="faults",
        metavar="SPEC",
        type=_fault,
        default=[],
        help='inject a fault, e.g. "POST /jobs:502:times=2" (repeatable; syntax below)',
    )
    parser.add_argument(
        "--delay",
        type=_delays,
        default=None,
        metavar="SECONDS",
        help="seconds a job spends in each of submitted/ready/running, "
        "or per phase: submitted=0.1,ready=0,running=2 (default 0)",
    )
    parser.add_argument("--seed", type=int, default=None, help="seed for simulations and faults")
    parser.add_argument(
        "--max-memory",
        type=_size,
        default=None,
        metavar="SIZE",
        help="memory that running simulations may use together, e.g. 8G or 512M (default: "
        "half of the RAM; a 29-qubit ideal job needs about 5.1G); a job that needs more is "
        "refused when submitted (MemoryLimitExceeded)",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging level on stderr (DEBUG logs every request)",
    )


def main_serve(args: argparse.Namespace) -> int:
    """Run the emulator until SIGINT/SIGTERM.

    Args:
        args: parsed arguments from a parser prepared with :func:`add_arguments`.

    Returns:
        The exit status: 0 after a clean stop, 2 for invalid options or a port in use.
    """
    from .app import IonQEmulator

    logging.basicConfig(
        level=getattr(args, "log_level", "WARNING"),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    try:
        emulator = IonQEmulator(
            host=args.host,
            port=args.port,
            api_keys=args.api_keys,
            store=args.store,
            job_delays=args.delay,
            seed=args.seed,
            allow_remote=args.allow_remote,
            admin_key=getattr(args, "admin_key", None),
            allowed_hosts=getattr(args, "allowed_hosts", None) or (),
            max_memory=getattr(args, "max_memory", None),
        )
        for spec in args.faults or []:
            emulator.faults.add_spec(spec)
        emulator.start()
    except (ValueError, OSError, RuntimeError) as exc:  # RuntimeError: store file locked
        print(f"qiskit-ionq emulator: error: {exc}", file=sys.stderr, flush=True)
        return 2

    stop = threading.Event()
    previous: Dict[signal.Signals, Any] = {}

    def _on_signal(signum: int, frame: Any) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, _on_signal)
    try:
        print(f"qiskit-ionq emulator serving at {emulator.url}", flush=True)
        # The same jobs, through IonQ API v0.4 (a second line: the first stays parseable).
        print(f"qiskit-ionq emulator also serves API v0.4 at {emulator.url_for('v0.4')}")
        while not stop.wait(0.5):  # a timed wait keeps the main thread responsive
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("qiskit-ionq emulator stopped", flush=True)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of ``python -m qiskit_ionq.emulator``."""
    parser = argparse.ArgumentParser(prog="python -m qiskit_ionq.emulator")
    add_arguments(parser)
    return main_serve(parser.parse_args(argv))
