"""Compilation to IonQ native gates (GPI, GPI2 and MS or ZZ) at the physical minimum.

How it works, the final-frame policy and measured counts: ``docs/compilation.md``.

* :func:`compile_native` compiles one circuit for a gate family (``"ms"`` or ``"zz"``).
* :mod:`.plugins` holds the Qiskit transpiler stage plugins named ``ionq`` (native backends
  select them, so ``qiskit.transpile(circuit, backend)`` uses them) and the optimizer names of
  earlier qiskit-ionq releases (``TrappedIonOptimizerPlugin`` and its three variants).
"""

from .frames import native_counts, to_native, to_standins
from .pipeline import compile_native
from .plugins import (
    IonQOptimizationPlugin,
    IonQSchedulingPlugin,
    IonQTranslationPlugin,
    TrappedIonOptimizerPlugin,
    TrappedIonOptimizerPluginCommuteGpi2ThroughMs,
    TrappedIonOptimizerPluginCompactGates,
    TrappedIonOptimizerPluginSimpleRules,
)

__all__ = [
    "IonQOptimizationPlugin",
    "IonQSchedulingPlugin",
    "IonQTranslationPlugin",
    "TrappedIonOptimizerPlugin",
    "TrappedIonOptimizerPluginCommuteGpi2ThroughMs",
    "TrappedIonOptimizerPluginCompactGates",
    "TrappedIonOptimizerPluginSimpleRules",
    "compile_native",
    "native_counts",
    "to_native",
    "to_standins",
]
