"""Qiskit transpiler stage plugins named ``ionq``, and the optimizer-plugin names of earlier
qiskit-ionq releases.

Native backends return ``"ionq"`` from ``get_translation_stage_plugin()`` and
``get_scheduling_stage_plugin()``, so a plain ``qiskit.transpile(circuit, backend)`` runs:

* translation ``ionq``: the whole pipeline of :mod:`.pipeline` at the requested level (the
  circuit leaves this stage native);
* Qiskit's optimization stage, which finds nothing it can rewrite in GPI/GPI2/MS/ZZ;
* scheduling ``ionq``: a safety net that re-compiles anything a previous stage left outside
  the native gateset (a native circuit passes through untouched).

The same plugins are registered under Qiskit's plugin entry points (``translation``,
``optimization``, ``scheduling``), so ``transpile(..., translation_method="ionq")`` also works
with a plain ``Target``.
"""

from __future__ import annotations

from typing import Any, Optional

from qiskit.converters import circuit_to_dag, dag_to_circuit
from qiskit.transpiler import PassManager
from qiskit.transpiler.basepasses import TransformationPass
from qiskit.transpiler.preset_passmanagers.plugin import PassManagerStagePlugin

from .frames import NATIVE_NAMES, PASS_THROUGH, native_counts
from .pipeline import compile_native

__all__ = [
    "IonQNativeCompile",
    "IonQOptimizationPlugin",
    "IonQSchedulingPlugin",
    "IonQTranslationPlugin",
    "TrappedIonOptimizerPlugin",
    "TrappedIonOptimizerPluginCommuteGpi2ThroughMs",
    "TrappedIonOptimizerPluginCompactGates",
    "TrappedIonOptimizerPluginSimpleRules",
    "family_of",
]

_ALLOWED = NATIVE_NAMES | PASS_THROUGH | {"reset"}


def family_of(pass_manager_config: Any = None, circuit: Any = None) -> Optional[str]:
    """``"ms"`` or ``"zz"``: from the target/basis gates, else from the circuit's entanglers."""
    names: set = set()
    if pass_manager_config is not None:
        target = getattr(pass_manager_config, "target", None)
        if target is not None:
            names = set(target.operation_names)
        elif getattr(pass_manager_config, "basis_gates", None):
            names = set(pass_manager_config.basis_gates)
    if "ms" in names:
        return "ms"
    if "zz" in names:
        return "zz"
    if circuit is not None:
        ops = circuit.count_ops()
        if "zz" in ops and "ms" not in ops:
            return "zz"
        if "ms" in ops:
            return "ms"
    return None


def _level(optimization_level: Optional[int], default: int) -> int:
    return default if optimization_level is None else int(optimization_level)


class IonQNativeCompile(TransformationPass):
    """Compile a circuit to IonQ native gates (the whole pipeline in one pass).

    Args:
        family: ``"ms"``, ``"zz"``, or ``None`` to take it from the circuit (default MS).
        level: optimization level 0-3.
        keep_if_not_better: when the input is already native, return it unchanged unless the
            compiled circuit has fewer (two-qubit, then one-qubit) gates.
        only_if_needed: return a circuit that is already native unchanged (no work).
    """

    def __init__(
        self,
        family: Optional[str],
        level: int,
        keep_if_not_better: bool = False,
        only_if_needed: bool = False,
    ) -> None:
        super().__init__()
        self.family = family
        self.level = level
        self.keep_if_not_better = keep_if_not_better
        self.only_if_needed = only_if_needed

    def run(self, dag: Any) -> Any:
        names = set(dag.count_ops())
        native = names <= _ALLOWED
        if native and self.only_if_needed:
            return dag
        circuit = dag_to_circuit(dag)
        family = self.family or family_of(circuit=circuit) or "ms"
        compiled = compile_native(circuit, family, self.level)
        if native and self.keep_if_not_better:
            old, new = native_counts(circuit), native_counts(compiled)
            if (new["2q"], new["1q"]) >= (old["2q"], old["1q"]):
                return dag
        out = circuit_to_dag(compiled)
        return out


class IonQTranslationPlugin(PassManagerStagePlugin):
    """Translation stage ``ionq``: standard gates in, optimized native gates out."""

    def pass_manager(
        self, pass_manager_config: Any = None, optimization_level: Optional[int] = None
    ) -> PassManager:
        family = family_of(pass_manager_config)
        return PassManager([IonQNativeCompile(family, _level(optimization_level, 2))])


class IonQSchedulingPlugin(PassManagerStagePlugin):
    """Scheduling stage ``ionq``: the safety net after Qiskit's optimization stage.

    A circuit that is still native (the usual case) passes unchanged at no cost; anything a
    previous stage left outside the native gateset is compiled again at the same level.
    """

    def pass_manager(
        self, pass_manager_config: Any = None, optimization_level: Optional[int] = None
    ) -> PassManager:
        family = family_of(pass_manager_config)
        level = _level(optimization_level, 2)
        return PassManager([IonQNativeCompile(family, level, only_if_needed=True)])


class IonQOptimizationPlugin(PassManagerStagePlugin):
    """Optimization stage ``ionq`` (opt-in: ``optimization_method="ionq"``)."""

    def pass_manager(
        self, pass_manager_config: Any = None, optimization_level: Optional[int] = None
    ) -> PassManager:
        family = family_of(pass_manager_config)
        level = _level(optimization_level, 2)
        return PassManager([IonQNativeCompile(family, level, keep_if_not_better=True)])


class TrappedIonOptimizerPlugin(PassManagerStagePlugin):
    """Optimizer for native IonQ circuits (the name earlier qiskit-ionq releases exported).

    ``TrappedIonOptimizerPlugin().pass_manager(optimization_level=L).run(native_circuit)``
    returns a native circuit that is never worse than the input: the full pipeline at level
    ``L`` (default 3), kept only when it has fewer two-qubit gates, or as many and fewer
    single-qubit pulses. The family (MS or ZZ) comes from the config's target or the circuit.
    """

    default_level = 3
    max_level = 3

    def pass_manager(
        self, pass_manager_config: Any = None, optimization_level: Optional[int] = None
    ) -> PassManager:
        family = family_of(pass_manager_config)
        level = min(_level(optimization_level, self.default_level), self.max_level)
        return PassManager([IonQNativeCompile(family, level, keep_if_not_better=True)])


class TrappedIonOptimizerPluginSimpleRules(TrappedIonOptimizerPlugin):
    """Local rules only: cancel adjoint pairs, GPI2 . GPI2 -> GPI, merge Z frames (level 1)."""

    default_level = 1
    max_level = 1


class TrappedIonOptimizerPluginCompactGates(TrappedIonOptimizerPlugin):
    """Compact each run of single-qubit gates into at most two pulses (level 1)."""

    default_level = 1
    max_level = 1


class TrappedIonOptimizerPluginCommuteGpi2ThroughMs(TrappedIonOptimizerPlugin):
    """Also commute gates through MS/ZZ and fuse consecutive entanglers (level 2)."""

    default_level = 2
    max_level = 2
