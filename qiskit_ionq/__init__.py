"""qiskit_ionq: the Qiskit provider for IonQ trapped-ion quantum computers.

>>> from qiskit_ionq import IonQProvider
>>> backend = IonQProvider().get_backend("ionq_simulator")

Offline, against the bundled emulator of IonQ's API::

    from qiskit_ionq.emulator import IonQEmulator
    with IonQEmulator() as emu:
        backend = emu.provider().get_backend("ionq_simulator")
"""

from .compiler.plugins import (
    TrappedIonOptimizerPlugin,
    TrappedIonOptimizerPluginCommuteGpi2ThroughMs,
    TrappedIonOptimizerPluginCompactGates,
    TrappedIonOptimizerPluginSimpleRules,
)
from .constants import AggregationType, ErrorMitigation
from .ionq_equivalence_library import add_equivalences
from .ionq_gates import GPI2Gate, GPIGate, MSGate, ZZGate
from .ionq_provider import IonQProvider, backend_name
from .session import Session
from .version import __version__

__all__ = [
    "AggregationType",
    "ErrorMitigation",
    "GPI2Gate",
    "GPIGate",
    "IonQProvider",
    "MSGate",
    "Session",
    "TrappedIonOptimizerPlugin",
    "TrappedIonOptimizerPluginCommuteGpi2ThroughMs",
    "TrappedIonOptimizerPluginCompactGates",
    "TrappedIonOptimizerPluginSimpleRules",
    "ZZGate",
    "__version__",
    "add_equivalences",
    "backend_name",
]
