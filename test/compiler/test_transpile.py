"""``qiskit.transpile`` on native backends goes through the ``ionq`` stage plugins."""

from __future__ import annotations

import warnings

import pytest
from qiskit import QuantumCircuit, transpile

from qiskit_ionq import (
    TrappedIonOptimizerPlugin,
    TrappedIonOptimizerPluginCommuteGpi2ThroughMs,
    TrappedIonOptimizerPluginCompactGates,
    TrappedIonOptimizerPluginSimpleRules,
)
from qiskit_ionq import _qiskit_compat as compat
from qiskit_ionq.compiler import compile_native, native_counts
from qiskit_ionq.ionq_backend import IonQQPUBackend, IonQSimulatorBackend

from .corpus import transpile_native
from .support import assert_equivalent, assert_native


def _backend(kind: str):
    if kind == "aria":
        return IonQQPUBackend(name="ionq_qpu.aria-1", gateset="native"), "ms"
    if kind == "forte":
        return IonQQPUBackend(name="ionq_qpu.forte-1", gateset="native"), "zz"
    return IonQSimulatorBackend(gateset="native"), "ms"


def _transpile(circuit, backend, level):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # BackendV1 on Qiskit 1.x
        return transpile(circuit, backend, optimization_level=level, seed_transpiler=1)


def _bell(measure: bool) -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    if measure:
        qc.measure_all()
    return qc


def test_backend_selects_ionq_plugins_for_native_only() -> None:
    native, _ = _backend("aria")
    assert native.get_translation_stage_plugin() == "ionq"
    assert native.get_scheduling_stage_plugin() == "ionq"
    qis = IonQQPUBackend(name="ionq_qpu.aria-1")
    assert qis.get_translation_stage_plugin() is None


@pytest.mark.parametrize("kind", ["aria", "forte", "simulator"])
@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_transpile_is_native_same_width_and_equivalent(kind: str, level: int) -> None:
    backend, family = _backend(kind)
    for measure in (False, True):
        qc = _bell(measure)
        out = _transpile(qc, backend, level)
        assert out.num_qubits == qc.num_qubits
        assert_native(out, family)
        assert_equivalent(out, qc)


@pytest.mark.parametrize("family", ["ms", "zz"])
@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_named_plugin_route_works_on_every_line(family: str, level: int) -> None:
    # The route docs/compilation.md gives for Qiskit 1.x (plugin named, no backend).
    for measure in (False, True):
        qc = _bell(measure)
        out = transpile_native(qc, family, level)
        assert out.num_qubits == qc.num_qubits
        assert_native(out, family)
        assert_equivalent(out, qc)


def test_simulator_target_follows_the_noise_model() -> None:
    sim = IonQSimulatorBackend(gateset="native")
    assert "ms" in sim.target.operation_names and "zz" not in sim.target.operation_names
    sim.set_options(noise_model="forte-1")
    assert "zz" in sim.target.operation_names and "ms" not in sim.target.operation_names
    out = _transpile(_bell(True), sim, 2)
    assert_native(out, "zz")


def test_one_qubit_circuit_stays_one_qubit() -> None:
    backend, family = _backend("simulator")
    qc = QuantumCircuit(1)
    qc.h(0)
    out = _transpile(qc, backend, 1)
    assert out.num_qubits == 1
    assert_native(out, family)


@pytest.mark.skipif(
    compat.QISKIT_VERSION < (1, 4, 0), reason="count targets are set for Qiskit 1.4 and 2.x"
)
@pytest.mark.parametrize("family, expected", [("ms", (1, 2)), ("zz", (1, 3))])
def test_bell_at_level_3_reaches_the_minimum(family: str, expected) -> None:
    counts = native_counts(transpile_native(_bell(True), family, 3))
    assert (counts["2q"], counts["1q"]) == expected


def _native_bell(family: str) -> QuantumCircuit:
    return compile_native(_bell(True), family, 0)


@pytest.mark.parametrize(
    "plugin",
    [
        TrappedIonOptimizerPlugin,
        TrappedIonOptimizerPluginSimpleRules,
        TrappedIonOptimizerPluginCompactGates,
        TrappedIonOptimizerPluginCommuteGpi2ThroughMs,
    ],
)
@pytest.mark.parametrize("family", ["ms", "zz"])
def test_optimizer_plugin_names_work_as_documented(plugin, family: str) -> None:
    qc = _native_bell(family)
    before = native_counts(qc)
    for level in (None, 0, 1, 2, 3):
        out = plugin().pass_manager(optimization_level=level).run(qc)
        after = native_counts(out)
        assert_native(out, family)
        assert_equivalent(out, qc)
        assert (after["2q"], after["1q"]) <= (before["2q"], before["1q"])
    best = native_counts(plugin().pass_manager(optimization_level=3).run(qc))
    assert best["1q"] < before["1q"]


def test_native_circuit_transpiles_to_a_qis_backend() -> None:
    native = transpile_native(_bell(False), "ms", 3)
    qis = IonQQPUBackend(name="ionq_qpu.aria-1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        out = transpile(native, qis, optimization_level=1)
    assert not set(out.count_ops()) & {"gpi", "gpi2", "ms", "zz"}
    assert out.num_qubits == 2
    assert_equivalent(out, _bell(False))


@pytest.mark.parametrize("family", ["ms", "zz"])
def test_parameterized_circuits_compile_and_bind_to_the_same_unitary(family: str) -> None:
    from qiskit.circuit import Parameter

    a, b = Parameter("a"), Parameter("b")
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.rx(a, 1)
    qc.cp(b, 0, 2)
    qc.rzz(a, 1, 2)
    qc.cx(0, 1)
    for level in range(4):
        out = compile_native(qc, family, level)
        assert set(out.count_ops()) <= {"gpi", "gpi2", family}
        values = {a: 0.3, b: -1.1}
        assert_equivalent(out.assign_parameters(values), qc.assign_parameters(values))


def test_an_instruction_without_a_native_form_gets_a_clear_error() -> None:
    from qiskit.circuit import Instruction

    from qiskit_ionq.compiler import to_native
    from qiskit_ionq.exceptions import IonQCircuitError

    qc = QuantumCircuit(1)
    qc.append(Instruction("opaque_box", 1, 0, []), [0])
    with pytest.raises(IonQCircuitError, match="opaque_box"):
        to_native(qc)


def test_other_providers_v1_backends_are_converted_as_before() -> None:
    # Building an IonQ backend teaches Qiskit 1.x's BackendV2Converter to use IonQ backends'
    # own Target and plugins; any other backend must keep the converter's behaviour.
    try:
        from qiskit.providers.fake_provider import Fake5QV1
    except ImportError:
        pytest.skip("this Qiskit line has no Fake5QV1 (no BackendV1 conversion to check)")
    _backend("aria")  # an IonQ backend exists in this process
    qc = QuantumCircuit(1)
    qc.h(0)
    qc.measure_all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        out = transpile(qc, Fake5QV1(), optimization_level=1, seed_transpiler=1)
    assert out.num_qubits == 5  # laid out on the device, as Qiskit does for it
    assert set(out.count_ops()) <= {"rz", "sx", "x", "measure", "barrier"}
