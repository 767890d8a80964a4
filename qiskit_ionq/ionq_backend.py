"""IonQ backends: the cloud simulator and the trapped-ion QPUs.

A backend knows its name, gateset, qubit count and run options; ``run`` validates the options,
serializes through :mod:`qiskit_ionq.serializer` and submits through the client. It holds no
wire format itself. The Qiskit base class (the V1 backend interface below Qiskit 2,
``BackendV2`` from Qiskit 2 on) comes from :mod:`qiskit_ionq._qiskit_compat`, the only module
that knows which Qiskit line is installed.
"""

from __future__ import annotations

import numbers
import warnings
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Union

from qiskit.circuit import QuantumCircuit
from qiskit.providers import Options

from . import _qiskit_compat as compat
from .backend_config import (
    GATESET_MAP,
    QPU_MAX_SHOTS,
    Calibration,
    backend_configuration,
    target_instructions,
)
from .constants import (
    MIN_SHOTS,
    NOISE_MODEL_QUBITS,
    NOISE_MODELS,
    TARGET_QUBITS,
    ErrorMitigation,
    get_n_qubits,
)
from .credentials import check_provider_credentials
from .exceptions import IonQBackendError, IonQCircuitError, IonQError, IonQInvalidOptionError
from .ionq_equivalence_library import add_equivalences
from .options import check_sampler_seed, closest_option

__all__ = [
    "Calibration",
    "IonQBackend",
    "IonQSimulatorBackend",
    "IonQQPUBackend",
    "GATESET_MAP",
    "QPU_MAX_SHOTS",
]


# Keyword fields of the Qiskit-2 style constructor that describe the backend (the rest of the
# keywords are initial run options).
_DESCRIPTION_KEYWORDS = (
    "description",
    "num_qubits",
    "simulator",
    "backend_version",
    "max_shots",
    "max_experiments",
)


if TYPE_CHECKING:  # Qiskit is untyped: give type checkers a base that is not Any
    from ._typing import BackendStatusLike
    from ._typing import TypedBackendBase as _BackendBase
    from .ionq_job import IonQJob
else:
    _BackendBase = compat.BackendBase


class IonQBackend(_BackendBase):
    """Base class of IonQ backends (see the module docstring for the Qiskit base class).

    Two ways to build one, as code written for earlier releases does:

    * ``IonQBackend(configuration, provider=provider)`` with a configuration object or dict
      (the ``BackendV1`` way; tools build mock backends like this);
    * ``IonQBackend(provider=..., name=..., description=..., gateset=..., num_qubits=...,
      simulator=..., backend_version="0.0.1", max_shots=None, max_experiments=None,
      **initial_options)`` (the Qiskit-2 keyword way; subclasses call it so).

    When ``num_qubits`` is not given for a QPU this release does not know, it is asked from
    the API (``GET /backends``), with a fallback when the API cannot be asked.
    """

    _is_simulator = False
    _ionq_configuration: Any  # set by compat.init_backend

    def __init__(
        self,
        configuration: Any = None,
        provider: Any = None,
        gateset: str = "qis",
        **fields: Any,
    ) -> None:
        if gateset not in GATESET_MAP:
            raise IonQBackendError(
                f"Unknown gateset {gateset!r}: use 'qis' (standard gates, compiled by IonQ) "
                "or 'native' (GPI/GPI2/MS/ZZ)."
            )
        if isinstance(configuration, dict):
            configuration = compat.make_configuration(**configuration)
        name = fields.pop("name", None)
        described = {k: fields.pop(k) for k in _DESCRIPTION_KEYWORDS if k in fields}
        if configuration is None:
            if name is None:
                raise IonQBackendError(
                    "An IonQ backend needs a configuration or a name: "
                    "IonQBackend(provider=..., name='ionq_simulator', ...)."
                )
            configuration = self._described_configuration(str(name), gateset, provider, described)
        if bool(getattr(configuration, "simulator", self._is_simulator)) != self._is_simulator:
            self._is_simulator = bool(configuration.simulator)
        self._gateset = gateset
        self._provider_ref = provider
        self._session: Any = None  # the Session whose `with` block is running, if any
        self._client: Any = None
        self._target_cache: Any = None
        add_equivalences()  # tools translating to/from native gates rely on these routes
        compat.forward_ionq_backend_hooks()  # Qiskit 1.x: transpile() sees our Target/plugins
        compat.init_backend(self, configuration, provider, self._default_options)
        if fields:
            self.set_options(**fields)

    def _described_configuration(
        self, name: str, gateset: str, provider: Any, described: Dict[str, Any]
    ) -> Any:
        simulator = bool(described.get("simulator", self._is_simulator))
        num_qubits = described.get("num_qubits")
        facts = None
        if num_qubits is None:
            facts = None if simulator else _facts_of(name, provider)
            num_qubits = facts.qubits if facts is not None else _qubits_of(name, provider)
        return backend_configuration(
            name,
            gateset,
            simulator=simulator,
            facts=facts,
            n_qubits=int(num_qubits),
            description=described.get("description"),
            backend_version=described.get("backend_version", "0.0.1"),
            max_shots=described.get("max_shots"),
            max_experiments=described.get("max_experiments"),
        )

    # -- equality (same kind, name and gateset) -----------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IonQBackend):
            return NotImplemented
        return (
            type(self) is type(other)
            and self._backend_name == other._backend_name
            and self._gateset == other._gateset
        )

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash((self._backend_name, self._gateset))

    # -- identity -----------------------------------------------------------------------
    def gateset(self) -> str:
        """``"qis"`` (standard gates, compiled by IonQ) or ``"native"`` (GPI/GPI2/MS/ZZ)."""
        return self._gateset

    def configuration(self) -> Any:
        """Static description: basis gates, ``n_qubits``, ``simulator``, ``max_shots``."""
        return self._ionq_configuration

    @property
    def _backend_name(self) -> str:
        return str(self._ionq_configuration.backend_name)

    @property
    def api_target(self) -> str:
        """The API's ``target`` string for this backend (``simulator``, ``qpu.aria-1``...)."""
        name = self._backend_name
        name = name[len("ionq_") :] if name.startswith("ionq_") else name
        return name

    @property
    def _api_backend_name(self) -> str:
        """The API's name for this backend (``qpu.forte-1``); the name earlier releases used."""
        return self.api_target

    def __repr__(self) -> str:
        return f"<{type(self).__name__}('{self._backend_name}', gateset='{self._gateset}')>"

    # Qiskit 2 (BackendV2) needs these two; the V1 interface ignores them.
    @property
    def target(self) -> Any:
        """Qiskit-2 ``Target``: all-to-all, this backend's qubits and the gateset's gates.

        For the native gateset it holds gpi, gpi2, measure, reset and exactly one two-qubit
        gate: ZZ on Forte-family systems (and on the simulator while its ``noise_model`` is a
        Forte one), else MS. It is rebuilt when ``noise_model`` changes.
        """
        if self._target_cache is None:
            cfg = self._ionq_configuration
            basis = list(cfg.basis_gates)
            if self._gateset == "native":  # exactly one entangler: the system's own
                other = "ms" if self._native_family() == "zz" else "zz"
                basis = [g for g in basis if g != other] + ["reset"]
            self._target_cache = compat.make_target(
                cfg.n_qubits,
                target_instructions(basis),
                self._backend_name,
                coupling=getattr(cfg, "coupling_map", None),  # restricted systems only
            )
        return self._target_cache

    def _native_family(self) -> str:
        """``"zz"`` on Forte-class systems (and the simulator with a Forte noise model).

        A QPU the API's catalogue described says its own (``supported_native_gates``).
        """
        listed = getattr(self._ionq_configuration, "ionq_native_2q", None)
        if listed in ("ms", "zz") and not self._is_simulator:
            return str(listed)
        if "forte" in self.api_target:
            return "zz"
        model = getattr(self.options, "noise_model", None) if self._is_simulator else None
        return "zz" if model and str(model).startswith("forte") else "ms"

    # Transpiler stage plugins (qiskit_ionq.compiler.plugins): native backends compile with
    # ours at every optimization level; the qis gateset leaves compilation to IonQ.
    def get_translation_stage_plugin(self) -> Optional[str]:
        """``"ionq"`` for the native gateset (optimized GPI/GPI2/MS/ZZ), else Qiskit's default."""
        return "ionq" if self._gateset == "native" else None

    def get_scheduling_stage_plugin(self) -> Optional[str]:
        """``"ionq"`` for the native gateset: a last native clean-up after Qiskit's stages."""
        return "ionq" if self._gateset == "native" else None

    @property
    def max_circuits(self) -> Optional[int]:
        """No documented limit on circuits per multi-circuit job."""
        return None

    # -- options ------------------------------------------------------------------------
    @classmethod
    def _default_options(cls) -> Options:
        return Options(
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

    def set_options(self, **fields: Any) -> None:
        """Set default run options, validated before anything is sent."""
        self._validate_options(fields, warn_unknown=False)
        unknown = [k for k in fields if not hasattr(self.options, k)]
        if unknown:
            raise IonQInvalidOptionError(
                f"Unknown option(s) {unknown} for {self._backend_name}; valid options are "
                f"{sorted(dict(self._default_options().items()))}."
            )
        self.options.update_options(**fields)
        if "noise_model" in fields:
            self._target_cache = None  # the native Target follows the noise model's family

    def _validate_options(self, options: Dict[str, Any], warn_unknown: bool = True) -> None:
        known = set(dict(self._default_options().items()))
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
                    f"Unknown option {key!r} for {self._backend_name}: did you mean "
                    f"`{typo_of}`? Valid options are {sorted(known)}."
                )
            if warn_unknown:
                # Other names may be meant for another provider in a generic pipeline.
                warnings.warn(
                    f"Option {key} is not used by this backend ({self._backend_name}).",
                    UserWarning,
                    stacklevel=4,
                )
        if "shots" in options:
            shots = options["shots"]
            max_shots = int(self._ionq_configuration.max_shots)
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
                    f"shots={shots} is out of range for {self._backend_name}: use "
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
            raise IonQInvalidOptionError(
                f"session_id must be a session id string, not {session_id!r}."
            )
        for key in ("job_settings", "extra_metadata", "extra_query_params"):
            value = options.get(key)
            if value is not None and not isinstance(value, dict):
                raise IonQInvalidOptionError(f"{key} must be a dict or None, got {value!r}.")

    # -- services -----------------------------------------------------------------------
    @property
    def client(self) -> Any:
        """The provider's shared :class:`~qiskit_ionq.ionq_client.IonQClient` (created lazily).

        Raises:
            IonQCredentialsError: the provider's ``credentials`` lack a token or URL.
        """
        if self._client is None:
            provider = self._provider_ref
            if provider is not None and hasattr(provider, "client"):
                check_provider_credentials(provider)
                self._client = provider.client
            else:
                self._client = self._create_client()
        return self._client

    def _create_client(self) -> Any:
        """A new client from the provider's ``credentials``.

        Raises:
            IonQCredentialsError: ``credentials`` lack ``token`` or ``url``, or hold ``None``.
        """
        from .ionq_client import IonQClient

        provider = self._provider_ref
        creds = check_provider_credentials(provider)
        return IonQClient(
            creds["token"],
            creds["url"],
            getattr(provider, "custom_headers", None),
            **(getattr(provider, "client_options", None) or {}),
        )

    def create_client(self) -> Any:
        """A new client from the provider's ``credentials`` (the 0.5-era public name)."""
        return self._create_client()

    def _api_entry(self) -> Optional[Dict[str, Any]]:
        """This backend's ``GET /backends`` entry; ``None`` if unlisted or unreachable.

        ``GET /backends`` needs no token, so this works without credentials.
        """
        entries = _api_backends(self._provider_ref)
        if entries is None:
            return None
        target = self.api_target
        entry = next((e for e in entries if e.get("backend") == target), None)
        if entry is None and target == "qpu":
            entry = next((e for e in entries if str(e.get("backend", "")).startswith("qpu")), None)
        return entry

    def status(self) -> Union[bool, BackendStatusLike]:
        """Whether the backend takes jobs, in the form code for this Qiskit line expects.

        From Qiskit 2 on a bool: simulators are always up, a QPU is up when IonQ lists it as
        ``available``. Below Qiskit 2 a Qiskit ``BackendStatus`` (``backend_version`` "1",
        ``pending_jobs`` 0): operational and ``status_msg`` from IonQ's listing, or
        operational with an empty message when the API cannot be asked; never an error.
        """
        if compat.EARLIER_RELEASE.status_is_bool:
            if self._is_simulator:
                return True
            entry = self._api_entry()
            return entry is not None and entry.get("status") == "available"
        entry = self._api_entry()
        return compat.make_status(
            backend_name=self._backend_name,
            backend_version="1",
            operational=True if entry is None else entry.get("status") == "available",
            pending_jobs=0,
            status_msg="" if entry is None else str(entry.get("status", "")),
        )

    def calibration(self) -> Optional[Calibration]:
        """The QPU's current characterization; ``None`` for simulators."""
        if self._is_simulator:
            return None
        return Calibration(self.client.get_calibration_data(self.api_target))

    # -- running ------------------------------------------------------------------------
    def run(
        self, circuit: Union[QuantumCircuit, Sequence[QuantumCircuit]], **kwargs: Any
    ) -> IonQJob:
        """Serialize and submit ``circuit`` (or a list, as ONE multi-circuit job).

        Options are validated before any request; unknown options warn and are ignored.
        """
        from .ionq_job import IonQJob

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
        self._validate_options(kwargs)
        passed = {k: v for k, v in dict(self.options.items()).items()}
        passed.update({k: v for k, v in kwargs.items() if k in passed})
        if passed.get("session_id") is None and self._session is not None:
            passed["session_id"] = self._session.create().id  # inside `with backend.session()`
        self._check_width(circuits, passed)
        for circ in circuits:
            # count_ops, not a walk of circ.data: on Qiskit >= 1.3 it is counted in Rust
            # without building a Python object per instruction (1 ms vs 80 ms per 100k).
            if not circ.count_ops().get("measure"):
                warnings.warn(
                    f"Circuit is not measuring any qubits: {circ.name!r} has no measurements, "
                    "so its counts will be empty. Add measure() / measure_all() to read out "
                    "qubits.",
                    UserWarning,
                    stacklevel=2,
                )
        job = IonQJob(
            self,
            None,
            self.client,
            circuit=circuits if isinstance(circuit, (list, tuple)) else circuit,
            passed_args=passed,
        )
        job.submit()
        return job

    # -- IonQ API v0.4: cost and sessions ------------------------------------------------
    def estimate_cost(
        self, circuits: Union[QuantumCircuit, Sequence[QuantumCircuit]], **kwargs: Any
    ) -> Any:
        """What running ``circuits`` with these options would cost, before anything runs.

        Counts the one- and two-qubit gates of the circuits as they would be sent (after
        serialization) and asks IonQ's estimate route (``GET /jobs/estimate``). IonQ API
        v0.4 only.

        Returns:
            A :class:`qiskit_ionq.cost.CostEstimate` (``.cost`` has ``value`` and ``unit``).

        Raises:
            IonQAPIVersionError: the provider talks IonQ API v0.3.
        """
        from .v04_run import build_run_payload, circuit_list, estimate_for

        circs = circuit_list(circuits)
        self._validate_options(kwargs)
        passed = {k: v for k, v in dict(self.options.items()).items()}
        passed.update({k: v for k, v in kwargs.items() if k in passed})
        passed.update(dry_run=False, session_id=None)
        payload = build_run_payload(
            circs,
            target=self.api_target,
            gateset=self.gateset(),
            args=passed,
            client=self.client,
            backend_name=self._backend_name,
        )
        return estimate_for(self.client, payload, circs)

    def supported_error_mitigations(self) -> Optional[List[str]]:
        """The error mitigations the API lists for this backend (``GET /backends``, v0.4).

        ``None`` when the API does not say (v0.3, or the catalogue is unreachable): then
        nothing is checked before submit and IonQ decides. Read from the client's cached
        catalogue, so asking costs no request after the first.
        """
        catalogue = getattr(self.client, "catalogue", None)
        try:
            entry = catalogue.entry(self.api_target) if catalogue is not None else None
        except Exception:  # a probe: the run itself reports real connection problems
            return None
        listed = None if entry is None else entry.get("supported_error_mitigations")
        return [str(m) for m in listed] if isinstance(listed, list) else None

    def session(
        self,
        session_id: Optional[str] = None,
        *,
        max_jobs: Optional[int] = None,
        max_minutes: Optional[int] = None,
        max_cost: Optional[float] = None,
        cost_unit: str = "usd",
    ) -> Any:
        """A :class:`qiskit_ionq.Session` on this QPU (IonQ API v0.4; beta on IonQ's side).

        Use it as a context manager: jobs run inside the block carry its id, and it ends
        when the block ends (also on error). Pass ``session_id`` to reopen one.
        """
        from .session import Session

        return Session(
            self,
            session_id,
            max_jobs=max_jobs,
            max_minutes=max_minutes,
            max_cost=max_cost,
            cost_unit=cost_unit,
        )

    def _check_width(self, circuits: Iterable[QuantumCircuit], passed: Dict[str, Any]) -> None:
        limit = int(self._ionq_configuration.n_qubits)
        where = self._backend_name
        model = passed.get("noise_model")
        if self._is_simulator and model and model != "ideal":
            limit = min(limit, NOISE_MODEL_QUBITS.get(model, limit))
            where = f"{where} with noise_model={model!r}"
        for circ in circuits:
            if circ.num_qubits > limit:
                raise IonQCircuitError(
                    f"Circuit {circ.name!r} uses {circ.num_qubits} qubits but {where} has "
                    f"{limit}. Reduce the circuit width or choose a larger target."
                )

    def retrieve_job(self, job_id: str) -> IonQJob:
        """Rebuild a job from server data alone (any process, any tool)."""
        from .ionq_job import IonQJob

        return IonQJob(self, job_id, self.client)

    def retrieve_jobs(self, job_ids: Iterable[str]) -> List[IonQJob]:
        """Rebuild several jobs; see :meth:`retrieve_job`."""
        return [self.retrieve_job(job_id) for job_id in job_ids]

    def cancel_job(self, job_id: str) -> Dict[str, Any]:
        """Cancel a job by id."""
        return self.client.cancel_job(job_id)

    def has_valid_mapping(self, circuit: QuantumCircuit) -> bool:
        """True when every qubit the circuit uses exists on this all-to-all backend."""
        layout = getattr(circuit, "layout", None) or getattr(circuit, "_layout", None)
        n = int(self._ionq_configuration.n_qubits)
        if circuit.num_qubits > n:
            return False
        if layout is not None:
            try:
                physical = layout.final_index_layout()
            except Exception:
                return True
            return all(0 <= q < n for q in physical)
        return True

    def with_name(self, name: str, **kwargs: Any) -> IonQBackend:
        """A copy of this backend under another name (e.g. ``ionq_qpu.aria-1``)."""
        gateset = kwargs.pop("gateset", self._gateset)
        backend = type(self)(
            provider=self._provider_ref,
            name=name,
            gateset=gateset,
            backend_version=self._ionq_configuration.backend_version,
        )
        if kwargs:
            backend.set_options(**kwargs)
        return backend


class IonQSimulatorBackend(IonQBackend):
    """IonQ's cloud simulator: ideal (exact probabilities) or one of the QPU noise models."""

    _is_simulator = True

    def __init__(
        self,
        provider: Any = None,
        name: str = "ionq_simulator",
        gateset: str = "qis",
        configuration: Any = None,
        **options: Any,
    ) -> None:
        if configuration is None:
            options["name"] = name
        super().__init__(configuration, provider, gateset, **options)

    @classmethod
    def _default_options(cls) -> Options:
        options = super()._default_options()
        options.update_options(noise_model="ideal", sampler_seed=None)
        return options

    def _validate_options(self, options: Dict[str, Any], warn_unknown: bool = True) -> None:
        super()._validate_options(options, warn_unknown)
        model = options.get("noise_model")
        if "noise_model" in options and model not in NOISE_MODELS:
            raise IonQInvalidOptionError(
                f"Unknown noise_model {model!r}; choose one of {', '.join(NOISE_MODELS)}."
            )
        check_sampler_seed(options.get("sampler_seed"))


class IonQQPUBackend(IonQBackend):
    """An IonQ trapped-ion QPU (``ionq_qpu`` or ``ionq_qpu.<system>``)."""

    def __init__(
        self,
        provider: Any = None,
        name: str = "ionq_qpu",
        gateset: str = "qis",
        configuration: Any = None,
        **options: Any,
    ) -> None:
        if configuration is None:
            options["name"] = name
        super().__init__(configuration, provider, gateset, **options)


def _api_backends(provider: Any) -> Optional[List[Dict[str, Any]]]:
    """``GET /backends`` through the provider's client, or ``None`` when it cannot be asked.

    No token is needed for this route; any failure (no network, an unusable URL) means
    "unknown", never an error: callers have a fallback.
    """
    catalogue = _catalogue_of(provider)
    entries = None if catalogue is None else catalogue.entries()
    return None if entries is None else [e for e in entries if isinstance(e, dict)]


def _catalogue_of(provider: Any) -> Any:
    """The provider's client's :class:`~qiskit_ionq.api.catalogue.Catalogue` (cached
    ``GET /backends``), or ``None`` when no client can be made for its URL."""
    client = getattr(provider, "client", None) if provider is not None else None
    try:
        if client is None:
            from .ionq_client import IonQClient

            creds = getattr(provider, "credentials", None) or {}
            client = IonQClient(None, creds.get("url"))
        return getattr(client, "catalogue", None)
    except IonQError:
        return None


def _facts_of(name: str, provider: Any) -> Any:
    """What the API's catalogue says of a QPU this release does not know (qubits, native
    gate, restricted connectivity); ``None`` for systems of our static table."""
    target = name[len("ionq_") :] if name.startswith("ionq_") else name
    if target in TARGET_QUBITS or not target.startswith("qpu."):
        return None
    catalogue = _catalogue_of(provider)
    if catalogue is None or catalogue.entry(target) is None:
        return None  # unlisted or unreachable: the static defaults apply
    return catalogue.describe(target)


def _qubits_of(name: str, provider: Any) -> int:
    """Qubits of backend ``name``: known targets from our table; others from the API.

    A QPU IonQ adds after this release is asked from ``GET /backends``; when the API cannot
    be asked (or does not list it) the fallback of :func:`qiskit_ionq.helpers.get_n_qubits`
    applies, and the API still refuses a circuit that does not fit.
    """
    target = name[len("ionq_") :] if name.startswith("ionq_") else name
    if target in TARGET_QUBITS:
        return TARGET_QUBITS[target]
    for entry in _api_backends(provider) or []:
        qubits = entry.get("qubits")
        if entry.get("backend") == target and isinstance(qubits, int) and qubits > 0:
            return qubits
    return get_n_qubits(name)
