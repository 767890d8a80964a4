"""A local emulator of the IonQ REST API (v0.3 and v0.4), with a real simulator inside.

The offline default for demos, examples and tests (docs/guides/emulator-testing.md)::

    from qiskit_ionq.emulator import IonQEmulator

    with IonQEmulator() as emu:                  # 127.0.0.1, a free port, background thread
        backend = emu.provider().get_backend("ionq_simulator")
        print(emu.url)                           # "http://127.0.0.1:<port>/v0.3"

Also a command: ``qiskit-ionq emulator`` / ``python -m qiskit_ionq.emulator`` (see
:mod:`.cli`). The emulator is the *server* side: it never imports the client modules.
"""

from .app import IonQEmulator
from .faults import FaultInjector, FaultRule, parse_fault_spec
from .jobs import JobDelays
from .store import JobStore, MemoryStore, SqliteStore

__all__ = [
    "FaultInjector",
    "FaultRule",
    "IonQEmulator",
    "JobDelays",
    "JobStore",
    "MemoryStore",
    "SqliteStore",
    "parse_fault_spec",
]
