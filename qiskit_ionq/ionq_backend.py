"""IonQ backends: the cloud simulator and the trapped-ion QPUs.

A backend knows its name, gateset, qubit count and run options; ``run`` validates the options,
serializes through :mod:`qiskit_ionq.serializer` and submits through the client. It holds no
wire format itself. The Qiskit base class (the V1 backend interface below Qiskit 2,
``BackendV2`` from Qiskit 2 on) comes from :mod:`qiskit_ionq._qiskit_compat`, the only module
that knows which Qiskit line is installed.

The rules behind the class live next to it: what a run accepts (options, defaults, circuit
checks) in :mod:`qiskit_ionq.run_input`, the static descriptions and the ``Target`` in
:mod:`qiskit_ionq.backend_config`, and what the API's catalogue says of a backend in
:mod:`qiskit_ionq.backend_facts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Union

from qiskit.circuit import QuantumCircuit
from qiskit.providers import Options

from . import _qiskit_compat as compat
from .backend_config import GATESET_MAP, QPU_MAX_SHOTS, Calibration, backend_target, native_family
from .backend_facts import DESCRIPTION_KEYWORDS, api_entry, described_configuration
from .credentials import check_provider_credentials
from .exceptions import IonQBackendError, IonQInvalidOptionError
from .ionq_equivalence_library import add_equivalences
from .run_input import (
    check_noise_model,
    check_run_options,
    check_width,
    circuits_to_run,
    run_option_defaults,
    simulator_option_defaults,
    warn_unmeasured,
)

__all__ = [
    "Calibration",
    "IonQBackend",
    "IonQSimulatorBackend",
    "IonQQPUBackend",
    "GATESET_MAP",
    "QPU_MAX_SHOTS",
]


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
        described = {k: fields.pop(k) for k in DESCRIPTION_KEYWORDS if k in fields}
        if configuration is None:
            if name is None:
                raise IonQBackendError(
                    "An IonQ backend needs a configuration or a name: "
                    "IonQBackend(provider=..., name='ionq_simulator', ...)."
                )
            configuration = described_configuration(
                str(name), gateset, provider, described, self._is_simulator
            )
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
            family = None
            if self._gateset == "native":
                model = getattr(self.options, "noise_model", None) if self._is_simulator else None
                family = native_family(
                    self._ionq_configuration, self.api_target, self._is_simulator, model
                )
            self._target_cache = backend_target(self._ionq_configuration, family)
        return self._target_cache

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
        return Options(**run_option_defaults())

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
        check_run_options(
            options,
            known=set(dict(self._default_options().items())),
            backend_name=self._backend_name,
            configuration=self._ionq_configuration,
            warn_unknown=warn_unknown,
        )

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
        return api_entry(self._provider_ref, self.api_target)

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

        circuits = circuits_to_run(circuit)
        self._validate_options(kwargs)
        passed = {k: v for k, v in dict(self.options.items()).items()}
        passed.update({k: v for k, v in kwargs.items() if k in passed})
        if passed.get("session_id") is None and self._session is not None:
            passed["session_id"] = self._session.create().id  # inside `with backend.session()`
        check_width(
            circuits, self._ionq_configuration, self._is_simulator, passed.get("noise_model")
        )
        warn_unmeasured(circuits)
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
        options.update_options(**simulator_option_defaults())
        return options

    def _validate_options(self, options: Dict[str, Any], warn_unknown: bool = True) -> None:
        super()._validate_options(options, warn_unknown)
        check_noise_model(options)


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
