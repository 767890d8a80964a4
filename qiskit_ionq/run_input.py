"""What ``backend.run()`` takes: its run options and its circuits, checked before anything
is sent.

A typo in an option name (``shot=100``), a float number of shots, a circuit wider than the
backend or an empty list must fail at once with a clear message, before a circuit is
serialized or a request is made: found later they cost a QPU job or a confusing error from
the server. This module holds the run options' names and defaults and every such check;
:class:`~qiskit_ionq.ionq_backend.IonQBackend` calls them from ``run``, ``set_options`` and
``estimate_cost``. Kept apart so that the backend class stays about its Qiskit-facing
behaviour and the rules of what a run accepts read in one place. Pure: no I/O.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any, Dict, Iterable, List, Mapping, Set

from qiskit.circuit import QuantumCircuit

from .constants import MIN_SHOTS, NOISE_MODEL_QUBITS, NOISE_MODELS, ErrorMitigation
from .exceptions import IonQCircuitError, IonQInvalidOptionError
from .options import check_sampler_seed, closest_option

__all__ = [
    "check_noise_model",
    "check_run_options",
    "check_width",
    "circuits_to_run",
    "run_option_defaults",
    "simulator_option_defaults",
    "warn_unmeasured",
]


def run_option_defaults() -> Dict[str, Any]:
    """The run options of every IonQ backend and their defaults (a new dict each call)."""
    return dict(
        shots=1024,
        job_settings=None,
        error_mitigation=None,
        extra_metadata=None,
        extra_query_params=None,
        ionq_compiler_synthesis=False,
        memory=False,
        # IonQ API v0.4 only (qiskit_ionq.v04_run): refused with a clear error on v0.3.
        dry_run=False,
        session_id=None,
        debiasing=None,
        symmetry_verification=None,
        max_cost=None,
    )


def simulator_option_defaults() -> Dict[str, Any]:
    """The run options only the simulator has, and their defaults."""
    return dict(noise_model="ideal", sampler_seed=None)


def check_run_options(
    options: Mapping[str, Any],
    *,
    known: Set[str],
    backend_name: str,
    configuration: Any,
    warn_unknown: bool = True,
) -> None:
    """Run options given to a backend (``run``, ``set_options``, ``estimate_cost``).

    Args:
        options: the options given.
        known: the backend's option names (its default ``Options``).
        backend_name: named in messages.
        configuration: the backend's configuration (its ``max_shots`` bounds ``shots``).
        warn_unknown: warn about a name that is neither known nor a typo of a known one
            (``set_options`` refuses those itself).

    Raises:
        IonQInvalidOptionError: a typo of a known option, or a value of the wrong type or
            out of range.
    """
    # Options Qiskit's own tools pass (primitives, execute) that do not apply to IonQ.
    ignorable = {"seed_simulator", "meas_level", "init_qubits", "rep_delay"}
    for key in options:
        if key in known or key in ignorable:
            continue
        # A near miss of a real option is a typo: running with the default instead
        # (1024 shots for `shot=100`) would spend a QPU job on the wrong thing.
        typo_of = closest_option(key, known)
        if typo_of is not None:
            raise IonQInvalidOptionError(
                f"Unknown option {key!r} for {backend_name}: did you mean "
                f"`{typo_of}`? Valid options are {sorted(known)}."
            )
        if warn_unknown:
            # Other names may be meant for another provider in a generic pipeline.
            warnings.warn(
                f"Option {key} is not used by this backend ({backend_name}).",
                UserWarning,
                # user -> run() -> [subclass ->] _validate_options -> here
                stacklevel=5,
            )
    if "shots" in options:
        shots = options["shots"]
        max_shots = int(configuration.max_shots)
        if isinstance(shots, bool) or not isinstance(shots, numbers.Integral):
            if isinstance(shots, float) and shots.is_integer():
                raise IonQInvalidOptionError(
                    f"shots must be an integer, got {shots!r}; use shots={int(shots)}."
                )
            raise IonQInvalidOptionError(
                f"shots must be a positive integer, got {shots!r} ({type(shots).__name__})."
            )
        if not MIN_SHOTS <= int(shots) <= max_shots:
            raise IonQInvalidOptionError(
                f"shots={shots} is out of range for {backend_name}: use "
                f"{MIN_SHOTS} to {max_shots} shots."
            )
    em = options.get("error_mitigation")
    if em is not None and not isinstance(em, ErrorMitigation):
        if not (isinstance(em, dict) and set(em) <= {"debias"}):
            raise IonQInvalidOptionError(
                f"error_mitigation must be ErrorMitigation.DEBIASING, "
                f"ErrorMitigation.NO_DEBIASING or {{'debias': bool}}, got {em!r}."
            )
    for key in ("dry_run", "debiasing", "symmetry_verification"):
        value = options.get(key)
        if value is not None and not isinstance(value, bool):
            raise IonQInvalidOptionError(f"{key} must be True, False or None, got {value!r}.")
    session_id = options.get("session_id")
    if session_id is not None and not (isinstance(session_id, str) and session_id):
        raise IonQInvalidOptionError(f"session_id must be a session id string, not {session_id!r}.")
    for key in ("job_settings", "extra_metadata", "extra_query_params"):
        value = options.get(key)
        if value is not None and not isinstance(value, dict):
            raise IonQInvalidOptionError(f"{key} must be a dict or None, got {value!r}.")


def check_noise_model(options: Mapping[str, Any]) -> None:
    """The simulator's own options, ``noise_model`` and ``sampler_seed``, when given."""
    model = options.get("noise_model")
    if "noise_model" in options and model not in NOISE_MODELS:
        raise IonQInvalidOptionError(
            f"Unknown noise_model {model!r}; choose one of {', '.join(NOISE_MODELS)}."
        )
    check_sampler_seed(options.get("sampler_seed"))


def circuits_to_run(circuit: Any) -> List[Any]:
    """``backend.run``'s circuit argument as a non-empty list of ``QuantumCircuit``.

    Raises:
        IonQCircuitError: an empty list, or something that is not a ``QuantumCircuit``.
    """
    circuits: List[Any] = list(circuit) if isinstance(circuit, (list, tuple)) else [circuit]
    if not circuits:
        raise IonQCircuitError(
            "backend.run() got an empty list of circuits; pass at least one circuit."
        )
    for circ in circuits:
        if not isinstance(circ, QuantumCircuit):
            raise IonQCircuitError(
                f"backend.run() expects QuantumCircuit objects, got {type(circ).__name__}."
            )
    return circuits


def check_width(
    circuits: Iterable[QuantumCircuit], configuration: Any, simulator: bool, noise_model: Any
) -> None:
    """Every circuit fits the backend (and the simulator's noise model, when one is set).

    Raises:
        IonQCircuitError: a circuit uses more qubits than that.
    """
    limit = int(configuration.n_qubits)
    where = str(configuration.backend_name)
    model = noise_model
    if simulator and model and model != "ideal":
        limit = min(limit, NOISE_MODEL_QUBITS.get(model, limit))
        where = f"{where} with noise_model={model!r}"
    for circ in circuits:
        if circ.num_qubits > limit:
            raise IonQCircuitError(
                f"Circuit {circ.name!r} uses {circ.num_qubits} qubits but {where} has "
                f"{limit}. Reduce the circuit width or choose a larger target."
            )


def warn_unmeasured(circuits: Iterable[QuantumCircuit]) -> None:
    """Warn (at the caller of ``backend.run``) about a circuit that measures nothing."""
    for circ in circuits:
        # count_ops, not a walk of circ.data: on Qiskit >= 1.3 it is counted in Rust
        # without building a Python object per instruction (1 ms vs 80 ms per 100k).
        if not circ.count_ops().get("measure"):
            warnings.warn(
                f"Circuit is not measuring any qubits: {circ.name!r} has no measurements, "
                "so its counts will be empty. Add measure() / measure_all() to read out "
                "qubits.",
                UserWarning,
                stacklevel=3,  # user -> run() -> here
            )
