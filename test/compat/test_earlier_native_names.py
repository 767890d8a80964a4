"""Names tools import for native compilation, as earlier releases exported them:
``add_equivalences``, the ``TrappedIonOptimizerPlugin*`` stage plugins and native gates whose
``definition`` equals their matrix (global phase included).
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.circuit.equivalence_library import SessionEquivalenceLibrary
from qiskit.circuit.library import CXGate, UGate
from qiskit.quantum_info import Operator

import qiskit_ionq
from qiskit_ionq import GPI2Gate, GPIGate, MSGate, ZZGate

PLUGINS = [
    "TrappedIonOptimizerPlugin",
    "TrappedIonOptimizerPluginSimpleRules",
    "TrappedIonOptimizerPluginCompactGates",
    "TrappedIonOptimizerPluginCommuteGpi2ThroughMs",
]


def _bound(circuit: QuantumCircuit, values: dict) -> QuantumCircuit:
    return circuit.assign_parameters({p: values[p.name] for p in circuit.parameters})


def test_add_equivalences_is_exported_in_both_places():
    from qiskit_ionq.ionq_equivalence_library import add_equivalences

    assert qiskit_ionq.add_equivalences is add_equivalences


def test_add_equivalences_registers_exact_routes_both_ways():
    qiskit_ionq.add_equivalences()
    qiskit_ionq.add_equivalences()  # idempotent
    rng = np.random.default_rng(5)
    # native gates in standard terms
    for gate in (GPIGate(0.17), GPI2Gate(0.61), MSGate(0.1, 0.3, 0.2), ZZGate(0.07)):
        entries = SessionEquivalenceLibrary.get_entry(gate)
        assert entries, gate.name
        for circuit in entries:
            assert not {i.operation.name for i in circuit.data} & {"gpi", "gpi2", "ms", "zz"}
            assert Operator(circuit).equiv(Operator(gate))
            assert Operator(circuit) == Operator(gate)  # global phase included
    # standard gates (U, CX) in native terms
    theta, phi, lam = rng.uniform(-math.pi, math.pi, 3)
    u_entries = SessionEquivalenceLibrary.get_entry(UGate(theta, phi, lam))
    natives = [c for c in u_entries if {i.operation.name for i in c.data} <= {"gpi", "gpi2"}]
    assert natives
    for circuit in natives:
        assert Operator(circuit) == Operator(UGate(theta, phi, lam))
    cx_entries = SessionEquivalenceLibrary.get_entry(CXGate())
    native_cx = [c for c in cx_entries if {"ms", "zz"} & {i.operation.name for i in c.data}]
    assert native_cx
    for circuit in native_cx:
        assert Operator(circuit) == Operator(CXGate())


def test_every_backend_constructor_registers_the_equivalences():
    """In a fresh interpreter: nothing registered on import, registered once a backend exists."""
    code = (
        "from qiskit.circuit import Parameter\n"
        "from qiskit.circuit.equivalence_library import SessionEquivalenceLibrary as L\n"
        "import qiskit_ionq\n"
        "from qiskit_ionq import GPIGate, IonQProvider\n"
        "from qiskit_ionq.ionq_backend import IonQSimulatorBackend\n"
        "before = L.has_entry(GPIGate(Parameter('p')))\n"
        "IonQSimulatorBackend(provider=IonQProvider(token='t'))\n"
        "print(before, L.has_entry(GPIGate(Parameter('p'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["False", "True"]


@pytest.mark.parametrize(
    "gate, values",
    [
        (GPIGate(Parameter("phi")), {"phi": 0.23}),
        (GPI2Gate(Parameter("phi")), {"phi": -0.41}),
        (MSGate(Parameter("a"), Parameter("b"), Parameter("t")), {"a": 0.1, "b": 0.35, "t": 0.2}),
        (ZZGate(Parameter("t")), {"t": 0.13}),
    ],
)
def test_native_gate_definitions_equal_their_matrix_with_phase(gate, values):
    bound = gate.__class__(*[values[p.name] for p in gate.params])
    definition = bound.definition
    used = {i.operation.name for i in definition.data}
    assert used and not used & {"gpi", "gpi2", "ms", "zz"}  # standard gates only
    assert Operator(definition) == Operator(bound)  # exact: global phase included


def test_gpi_and_gpi2_definitions_follow_the_documented_u_angles():
    phi = 0.3
    gpi = UGate(math.pi, 2 * math.pi * phi, math.pi - 2 * math.pi * phi)
    gpi2 = UGate(math.pi / 2, 2 * math.pi * phi - math.pi / 2, math.pi / 2 - 2 * math.pi * phi)
    assert Operator(GPIGate(phi)) == Operator(gpi)
    assert Operator(GPI2Gate(phi)) == Operator(gpi2)


@pytest.mark.parametrize("name", PLUGINS)
def test_optimizer_plugins_rewrite_native_circuits(name):
    plugin = getattr(qiskit_ionq, name)()
    from qiskit.transpiler.preset_passmanagers.plugin import PassManagerStagePlugin

    assert isinstance(plugin, PassManagerStagePlugin)
    manager = plugin.pass_manager(pass_manager_config=None, optimization_level=None)
    qc = QuantumCircuit(2)
    qc.append(GPI2Gate(0.2), [0])
    qc.append(GPI2Gate(0.2), [0])  # GPI2 . GPI2 with the same phase is a GPI
    qc.append(GPIGate(0.1), [1])
    qc.append(GPIGate(0.1), [1])  # an adjoint pair: identity
    qc.append(MSGate(0, 0, 0.25), [0, 1])
    qc.append(GPI2Gate(0.7), [1])
    out = manager.run(qc)
    assert Operator(out).equiv(Operator(qc))
    assert len(out.data) < len(qc.data)
    assert {i.operation.name for i in out.data} <= {"gpi", "gpi2", "ms", "zz"}
