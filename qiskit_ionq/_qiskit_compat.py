"""The one place that knows which Qiskit line is installed.

Qiskit 0.45/0.46 (qiskit-terra) and 1.x have ``BackendV1`` and ``qiskit.providers.models``;
Qiskit 2.x removed both (backends are ``BackendV2`` with a ``Target``) and made ``Result``'s
constructor keyword-only. Every other module imports the names below instead of branching on
the version, so a new Qiskit release means editing this file only.

On 1.2–1.4 Qiskit deprecates ``BackendV1`` and ``qiskit.providers.models``. Our contract keeps
``BackendV1`` on every line below 2, and a user cannot act on a warning about a class we chose,
so the constructions below silence exactly those deprecation warnings (see README, "Qiskit
versions"). Warnings from the user's own calls (e.g. ``transpile(..., backend_v1)``) still show.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

import qiskit
from qiskit.circuit import Parameter
from qiskit.providers import BackendV2, Options

__all__ = [
    "QISKIT_VERSION",
    "QISKIT_2",
    "HAS_CONDITIONS",
    "BackendBase",
    "BasicSimulator",
    "backend_name",
    "make_configuration",
    "make_status",
    "make_target",
    "make_result",
    "init_backend",
    "qiskit_version_string",
    "EARLIER_RELEASE",
    "EarlierRelease",
    "filter_backends",
    "user_agent_product",
]


def _parse_version(text: str) -> tuple:
    parts = re.findall(r"\d+", text)[:3]
    return tuple(int(p) for p in parts) + (0,) * (3 - len(parts))


def qiskit_version_string() -> str:
    """The installed Qiskit version (the ``qiskit`` distribution, else the module attribute)."""
    try:
        return importlib.metadata.version("qiskit")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - source checkouts
        return str(getattr(qiskit, "__version__", "0"))


QISKIT_VERSION = _parse_version(str(getattr(qiskit, "__version__", qiskit_version_string())))
QISKIT_2 = QISKIT_VERSION >= (2, 0, 0)
# Qiskit < 2 can attach a classical condition (``c_if``) to any instruction, so a circuit walk
# must look at every operation object. Qiskit 2 removed conditions, and its
# ``CircuitInstruction`` answers ``name``/``params`` without building the Python gate object
# (about 0.6 us per standard gate), which lets the walk skip ``operation`` on its fast path.
HAS_CONDITIONS = not QISKIT_2


@dataclass(frozen=True)
class EarlierRelease:
    """Public behaviours of the earlier qiskit-ionq release line that matches this Qiskit.

    Code written for qiskit-ionq 0.4/0.5 runs on Qiskit < 2 and code written for 1.x on
    Qiskit 2; where those releases behaved differently, we follow the line the user's Qiskit
    implies. Every such difference is a field here, so no other module branches on the
    Qiskit version.

    Attributes:
        line: ``"0.5"`` or ``"1.x"``.
        success_below_400: ``IonQAPIError.raise_for_status`` accepts any status < 400
            (else only 200).
        retriable_statuses: statuses ``raise_for_status`` wraps in ``IonQRetriableError``
            (besides 409 on a GET, on both lines).
        hex_count_keys: ``ExperimentResultData.counts`` keyed ``"0x.."`` (else binary strings
            as wide as the classical bits).
        status_is_bool: ``backend.status()`` returns a bool (else a ``BackendStatus``).
    """

    line: str
    success_below_400: bool
    retriable_statuses: frozenset
    hex_count_keys: bool
    status_is_bool: bool

    def is_success(self, status: int) -> bool:
        """Whether ``raise_for_status`` lets ``status`` through."""
        return status < 400 if self.success_below_400 else status == 200


_RELEASE_1X = EarlierRelease(
    line="1.x",
    success_below_400=True,
    retriable_statuses=frozenset({429, 502, 503, 504, *range(520, 530)}),
    hex_count_keys=False,
    status_is_bool=True,
)
_RELEASE_05 = EarlierRelease(
    line="0.5",
    success_below_400=False,
    retriable_statuses=frozenset({500, 502, 503, *range(520, 530)}),
    hex_count_keys=True,
    status_is_bool=False,
)
EARLIER_RELEASE = _RELEASE_1X if QISKIT_2 else _RELEASE_05


def user_agent_product() -> str:
    """The Qiskit part of our User-Agent: ``qiskit/<v>``, or ``qiskit-terra/<v>`` below 1.0.

    Below Qiskit 1.0 the SDK was the ``qiskit-terra`` distribution, and earlier releases
    named it so in their User-Agent.
    """
    if QISKIT_VERSION < (1, 0, 0):  # pragma: no cover - the 0.46 line
        try:
            return f"qiskit-terra/{importlib.metadata.version('qiskit-terra')}"
        except importlib.metadata.PackageNotFoundError:
            return f"qiskit-terra/{getattr(qiskit, '__version__', 'unknown')}"
    return f"qiskit/{qiskit_version_string()}"


# warnings.filterwarnings matches this (as a string regex) against the start of the message.
_DEPRECATED_MODELS = (
    r"(?s).*(BackendV1|qiskit\.providers\.models|BackendConfiguration|BackendStatus"
    r"|QasmBackendConfiguration|ProviderV1)"
)


@contextlib.contextmanager
def _quiet_v1_deprecations() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_DEPRECATED_MODELS, category=DeprecationWarning)
        yield


if QISKIT_2:
    BackendBase: Any = BackendV2
else:  # pragma: no cover - exercised on the 0.46 / 1.x CI lines
    with _quiet_v1_deprecations():
        from qiskit.providers import BackendV1 as _BackendV1
    BackendBase = _BackendV1

from qiskit.providers.basic_provider import BasicSimulator  # noqa: E402  (0.46, 1.x, 2.x)


def filter_backends(backends: List[Any], filters: Any = None, **kwargs: Any) -> List[Any]:
    """Qiskit's ``providerutils.filter_backends`` (configuration, then status, then ``filters``).

    Its module is deprecated on Qiskit 1.x with the provider interface; a user cannot act on
    that warning about our internals, so it is silenced here.
    """
    with _quiet_v1_deprecations(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"qiskit\.")
        from qiskit.providers.providerutils import filter_backends as _filter

        return list(_filter(backends, filters=filters, **kwargs))


def backend_name(backend: Any) -> str:
    """``backend.name()`` on BackendV1, ``backend.name`` on BackendV2 (and on mocks of either)."""
    name = getattr(backend, "name", None)
    return str(name() if callable(name) else name)


@dataclass
class SimpleConfiguration:
    """What ``backend.configuration()`` returns on Qiskit 2, where BackendConfiguration is gone.

    It carries the same attribute names as Qiskit 1's ``BackendConfiguration`` so that code
    reading ``backend.configuration().n_qubits`` runs unchanged on every line.
    """

    backend_name: str
    backend_version: str
    n_qubits: int
    basis_gates: List[str]
    simulator: bool
    max_shots: int
    max_experiments: Optional[int] = None
    coupling_map: Optional[List[List[int]]] = None
    local: bool = False
    conditional: bool = False
    open_pulse: bool = False
    memory: bool = False
    gates: List[Any] = field(default_factory=list)
    description: str = ""
    online_date: Any = None
    extras: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        """A plain dict, like ``BackendConfiguration.to_dict()``."""
        out = {k: v for k, v in self.__dict__.items() if k != "extras"}
        out.update(self.extras)
        return out

    def __contains__(self, item: str) -> bool:
        # Qiskit's filter_backends asks ``key in backend.configuration()``.
        return item in self.__dict__ or item in self.__dict__.get("extras", {})

    def __getattr__(self, item: str) -> Any:
        extras = self.__dict__.get("extras", {})
        if item in extras:
            return extras[item]
        raise AttributeError(item)


def make_configuration(**fields: Any) -> Any:
    """A backend configuration object for the installed Qiskit line."""
    if QISKIT_2:
        known = set(SimpleConfiguration.__dataclass_fields__)
        extras = {k: v for k, v in fields.items() if k not in known}
        return SimpleConfiguration(**{k: v for k, v in fields.items() if k in known}, extras=extras)
    with _quiet_v1_deprecations():  # pragma: no cover - 0.46 / 1.x lines
        from qiskit.providers.models import BackendConfiguration

        return BackendConfiguration.from_dict(fields)


@dataclass
class SimpleStatus:
    """``backend.status()`` on Qiskit 2 (same attributes as Qiskit 1's ``BackendStatus``)."""

    backend_name: str
    backend_version: str
    operational: bool
    pending_jobs: int
    status_msg: str

    def to_dict(self) -> Dict[str, Any]:
        """A plain dict, like ``BackendStatus.to_dict()``."""
        return dict(self.__dict__)


def make_status(**fields: Any) -> Any:
    """A backend status object for the installed Qiskit line."""
    if QISKIT_2:
        return SimpleStatus(**fields)
    with _quiet_v1_deprecations():  # pragma: no cover - 0.46 / 1.x lines
        from qiskit.providers.models import BackendStatus

        return BackendStatus(**fields)


def init_backend(
    backend: Any, configuration: Any, provider: Any, options_factory: Callable[[], Options]
) -> None:
    """Run the right base-class constructor for ``backend`` (an IonQBackend).

    BackendV1 keeps ``configuration`` itself; BackendV2 takes name/version and we keep the
    configuration beside it so ``configuration()`` stays available on every line.
    """
    if QISKIT_2:
        BackendV2.__init__(
            backend,
            provider=provider,
            name=configuration.backend_name,
            description=getattr(configuration, "description", "") or "",
            backend_version=configuration.backend_version,
        )
    else:  # pragma: no cover - 0.46 / 1.x lines
        with _quiet_v1_deprecations():
            BackendBase.__init__(backend, configuration, provider=provider)
    backend._ionq_configuration = configuration


def make_target(
    num_qubits: int,
    instructions: Sequence[Any],
    description: str = "",
    coupling: Optional[Sequence[Sequence[int]]] = None,
) -> Any:
    """A ``Target`` holding exactly ``instructions`` plus ``measure``.

    ``instructions`` are gate instances, with ``Parameter``s for free angles.
    ``properties=None`` means every qubit (tuple) supports the gate, which is how a Target
    says "all-to-all connectivity". With ``coupling`` (directed qubit pairs), two-qubit
    gates exist on those pairs only, so ``transpile`` routes onto them.
    """
    from qiskit.circuit import Measure
    from qiskit.transpiler import Target

    target = Target(description=description or None, num_qubits=num_qubits)
    pairs = None if coupling is None else {(int(a), int(b)): None for a, b in coupling}
    # With a coupling map every instruction names its qubits (no global ones): layout passes
    # of some Qiskit lines (0.46's VF2Layout) cannot mix global and per-pair instructions.
    singles = None if pairs is None else {(q,): None for q in range(num_qubits)}
    for inst in instructions:
        if pairs is None or singles is None:
            target.add_instruction(inst, None)
        else:
            target.add_instruction(inst, dict(pairs if inst.num_qubits == 2 else singles))
    target.add_instruction(Measure(), None if singles is None else dict(singles))
    return target


def angle(name: str) -> Parameter:
    """A fresh ``Parameter`` for a Target instruction's free angle."""
    return Parameter(name)


def make_result(**fields: Any) -> Any:
    """Build a ``qiskit.result.Result`` subclass instance with keyword fields on every line."""
    cls = fields.pop("cls")
    if QISKIT_2:
        return cls(**fields)
    fields.setdefault("qobj_id", fields.get("job_id"))
    return cls(**fields)


def weyl_decomposition(matrix: Any) -> Any:
    """Qiskit's exact (unspecialized) Weyl decomposition of a 4x4 unitary.

    The class moved from ``qiskit.synthesis.two_qubit.two_qubit_decompose`` (0.46) to
    ``qiskit.synthesis`` (1.x/2.x) and its ``fidelity`` became positional-or-keyword.
    ``fidelity=None`` asks for the general form, which is exact to rounding.
    """
    if QISKIT_VERSION >= (1, 0, 0):
        from qiskit.synthesis import TwoQubitWeylDecomposition

        return TwoQubitWeylDecomposition(matrix, fidelity=None)
    from qiskit.synthesis.two_qubit.two_qubit_decompose import (  # pragma: no cover - 0.46
        TwoQubitWeylDecomposition as _Weyl,
    )

    return _Weyl(matrix, fidelity=None)  # pragma: no cover - 0.46


# Qiskit 1.x's transpile() wraps every BackendV1 in BackendV2Converter, which neither forwards
# get_translation_stage_plugin()/get_scheduling_stage_plugin() nor uses the backend's own
# Target: it builds one with every qubit pair coupled, so the layout stage widens a 1-qubit
# circuit to all of the backend's qubits and our stage plugins never run. 0.46 asks the
# backend itself, and on 2.x our backends are BackendV2. forward_ionq_backend_hooks() teaches
# the converter, for IonQ backends only, to use their Target and stage plugins; any other
# backend gets exactly the converter's own behaviour.


def forward_ionq_backend_hooks() -> None:
    """On Qiskit 1.x, let ``transpile(qc, ionq_backend)`` see our Target and stage plugins.

    Idempotent; a no-op on other lines. Only wrapped backends that carry an IonQ
    configuration (``_ionq_configuration``) are affected.
    """
    if QISKIT_2 or QISKIT_VERSION < (1, 0, 0):
        return
    from qiskit.providers.backend_compat import BackendV2Converter

    if getattr(BackendV2Converter, "_ionq_hooks_forwarded", False):
        return
    converted_target = BackendV2Converter.target

    def _ours(converter: Any) -> Any:
        wrapped = getattr(converter, "_backend", None)
        return wrapped if getattr(wrapped, "_ionq_configuration", None) is not None else None

    def target(self: Any) -> Any:
        ours = _ours(self)
        return ours.target if ours is not None else converted_target.fget(self)

    def translation_plugin(self: Any) -> Optional[str]:
        ours = _ours(self)
        return ours.get_translation_stage_plugin() if ours is not None else None

    def scheduling_plugin(self: Any) -> Optional[str]:
        ours = _ours(self)
        return ours.get_scheduling_stage_plugin() if ours is not None else None

    # None is what transpile() assumes when the method is absent: other backends unchanged.
    setattr(BackendV2Converter, "target", property(target))  # noqa: B010
    setattr(BackendV2Converter, "get_translation_stage_plugin", translation_plugin)  # noqa: B010
    setattr(BackendV2Converter, "get_scheduling_stage_plugin", scheduling_plugin)  # noqa: B010
    setattr(BackendV2Converter, "_ionq_hooks_forwarded", True)  # noqa: B010
