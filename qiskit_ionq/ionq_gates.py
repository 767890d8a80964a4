"""IonQ native gates as Qiskit gates: GPI, GPI2, MS (Aria class) and ZZ (Forte class).

Phases and angles are in *turns* (1 turn = 2*pi radians), as the IonQ API takes them.
Matrices follow ``docs/reference/ionq-api.md`` §4.5, written in Qiskit's little-endian order
(the first qarg is the least significant bit of the basis index).

Every gate has a ``definition`` in standard gates equal to its matrix, global phase included,
so ``Operator``, ``Statevector``, ``qiskit.qasm2.dumps`` / ``qasm3.dumps`` and transpiling a
native circuit to standard gates all work on every Qiskit line:

* GPI(phi) = U(pi, 2 pi phi, pi - 2 pi phi), written e^{i pi/2} RZ(a) RY(pi) RZ(pi - a)
  with a = 2 pi phi (rightmost first), because OpenQASM 2's qelib1 has no ``u``
* GPI2(phi) = U(pi/2, a - pi/2, pi/2 - a) = RZ(a - pi/2) RY(pi/2) RZ(pi/2 - a)
* MS(phi0, phi1, theta) = RZ(-2 pi phi0) (x) RZ(-2 pi phi1), then RXX(2 pi theta), then
  RZ(2 pi phi0) (x) RZ(2 pi phi1)  (in circuit order)
* ZZ(theta) = RZZ(2 pi theta)

The transpiler's routes between standard and native gates are registered by
:func:`qiskit_ionq.ionq_equivalence_library.add_equivalences`, which every backend calls.
"""

from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np
from qiskit.circuit import Gate, QuantumCircuit, QuantumRegister
from qiskit.circuit.library import RXXGate, RYGate, RZGate, RZZGate

__all__ = ["GPIGate", "GPI2Gate", "MSGate", "ZZGate"]


class GPIGate(Gate):
    r"""GPI(phi): a pi rotation about the axis at angle 2*pi*phi in the XY plane.

    .. math:: GPI(\phi) = \begin{pmatrix} 0 & e^{-2\pi i\phi} \\ e^{2\pi i\phi} & 0 \end{pmatrix}
    """

    def __init__(self, phi: Any, label: Optional[str] = None) -> None:
        super().__init__("gpi", 1, [phi], label=label)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        phase = 2 * math.pi * float(self.params[0])
        mat = np.array([[0, np.exp(-1j * phase)], [np.exp(1j * phase), 0]], dtype=complex)
        return mat if dtype is None else mat.astype(dtype)

    def _define(self) -> None:
        # U(pi, a, pi - a) = e^{i pi/2} RZ(a) RY(pi) RZ(pi - a)  (rightmost first)
        phase = 2 * math.pi * self.params[0]
        qc = QuantumCircuit(QuantumRegister(1, "q"), name=self.name, global_phase=math.pi / 2)
        qc.append(RZGate(math.pi - phase), [0])
        qc.append(RYGate(math.pi), [0])
        qc.append(RZGate(phase), [0])
        self.definition = qc

    def inverse(self, annotated: bool = False) -> GPIGate:
        return GPIGate(self.params[0])


class GPI2Gate(Gate):
    r"""GPI2(phi): a pi/2 rotation about the axis at angle 2*pi*phi in the XY plane.

    .. math:: GPI2(\phi) = \frac{1}{\sqrt 2}
        \begin{pmatrix} 1 & -i e^{-2\pi i\phi} \\ -i e^{2\pi i\phi} & 1 \end{pmatrix}
    """

    def __init__(self, phi: Any, label: Optional[str] = None) -> None:
        super().__init__("gpi2", 1, [phi], label=label)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        phase = 2 * math.pi * float(self.params[0])
        mat = np.array(
            [[1, -1j * np.exp(-1j * phase)], [-1j * np.exp(1j * phase), 1]], dtype=complex
        ) / math.sqrt(2)
        return mat if dtype is None else mat.astype(dtype)

    def _define(self) -> None:
        # U(pi/2, a - pi/2, pi/2 - a) = RZ(a - pi/2) RY(pi/2) RZ(pi/2 - a)  (rightmost first)
        phase = 2 * math.pi * self.params[0]
        qc = QuantumCircuit(QuantumRegister(1, "q"), name=self.name)
        qc.append(RZGate(math.pi / 2 - phase), [0])
        qc.append(RYGate(math.pi / 2), [0])
        qc.append(RZGate(phase - math.pi / 2), [0])
        self.definition = qc

    def inverse(self, annotated: bool = False) -> GPI2Gate:
        return GPI2Gate(self.params[0] + 0.5)


class MSGate(Gate):
    r"""Mølmer–Sørensen gate MS(phi0, phi1, theta) on two qubits.

    ``theta`` (turns, 0..0.25, default 0.25 = fully entangling). With c = cos(pi*theta) and
    s = sin(pi*theta), writing ``|ab>`` for (first qubit = a, second = b)::

        |00> -> c|00> - i e^{2 pi i (phi0+phi1)} s|11>
        |01> -> c|01> - i e^{2 pi i (phi0-phi1)} s|10>

    and the adjoint phases for ``|11>`` and ``|10>``.
    """

    def __init__(
        self, phi0: Any, phi1: Any, theta: Any = 0.25, label: Optional[str] = None
    ) -> None:
        super().__init__("ms", 2, [phi0, phi1, theta], label=label)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        phi0, phi1, theta = (float(p) for p in self.params)
        c, s = math.cos(math.pi * theta), math.sin(math.pi * theta)
        plus = np.exp(2j * math.pi * (phi0 + phi1))
        minus = np.exp(2j * math.pi * (phi0 - phi1))
        mat = np.zeros((4, 4), dtype=complex)
        # Qiskit index = a + 2*b (first qarg is the least significant bit).
        mat[0, 0] = mat[1, 1] = mat[2, 2] = mat[3, 3] = c
        mat[3, 0] = -1j * plus * s  # |a=0,b=0> -> |11>
        mat[0, 3] = -1j * np.conj(plus) * s  # |11> -> |00>
        mat[1, 2] = -1j * minus * s  # |a=0,b=1> -> |a=1,b=0>
        mat[2, 1] = -1j * np.conj(minus) * s  # |a=1,b=0> -> |a=0,b=1>
        return mat if dtype is None else mat.astype(dtype)

    def _define(self) -> None:
        phi0, phi1, theta = self.params
        qc = QuantumCircuit(QuantumRegister(2, "q"), name=self.name)
        qc.append(RZGate(-2 * math.pi * phi0), [0])
        qc.append(RZGate(-2 * math.pi * phi1), [1])
        qc.append(RXXGate(2 * math.pi * theta), [0, 1])
        qc.append(RZGate(2 * math.pi * phi0), [0])
        qc.append(RZGate(2 * math.pi * phi1), [1])
        self.definition = qc

    def inverse(self, annotated: bool = False) -> MSGate:
        phi0, phi1, theta = self.params
        return MSGate(phi0 + 0.5, phi1, theta)


class ZZGate(Gate):
    r"""ZZ(theta) = exp(-i*pi*theta * Z⊗Z), theta in turns (Forte-class native entangler)."""

    def __init__(self, theta: Any, label: Optional[str] = None) -> None:
        super().__init__("zz", 2, [theta], label=label)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        phase = math.pi * float(self.params[0])
        mat = np.diag(
            [np.exp(-1j * phase), np.exp(1j * phase), np.exp(1j * phase), np.exp(-1j * phase)]
        ).astype(complex)
        return mat if dtype is None else mat.astype(dtype)

    def _define(self) -> None:
        qc = QuantumCircuit(QuantumRegister(2, "q"), name=self.name)
        qc.append(RZZGate(2 * math.pi * self.params[0]), [0, 1])
        self.definition = qc

    def inverse(self, annotated: bool = False) -> ZZGate:
        return ZZGate(-self.params[0])
