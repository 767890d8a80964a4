"""IonQJob: one submitted (possibly multi-circuit) job, its status and its results.

A job fetches its server data once per poll and stops fetching once the job is final; results
are fetched once per aggregation choice and cached. Everything needed to rebuild the Qiskit
result comes from the server (metadata header, registers, children), so a job submitted by
another process or tool can be retrieved by id alone.

This module is the job's life cycle (submit, poll, cancel, fetch, cache); turning the fetched
data into the Qiskit result is :mod:`qiskit_ionq.job_results`, the polling loop and the
bounds of a wait are :mod:`qiskit_ionq.job_wait`.
"""

from __future__ import annotations

import json
import logging
import warnings
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from qiskit.circuit import QuantumCircuit
from qiskit.providers import JobV1
from qiskit.providers.jobstatus import JobStatus

from . import _qiskit_compat as compat
from .api.v04_features import require_feature
from .constants import AggregationType, APIJobStatus, JobStatusMap
from .cost import parse_job_cost
from .exceptions import (
    IonQJobError,
    IonQJobFailureError,
    IonQJobStateError,
)
from .ionq_result import IonQResult
from .job_data import check_job, results_size_bound
from .job_results import (
    histogram_experiments,
    job_result,
    job_shots,
    sampling,
    shots_experiment_of,
)
from .job_wait import FIRST_POLL_DELAY as FIRST_POLL_DELAY  # importable here, as before
from .job_wait import POLL_BACKOFF as POLL_BACKOFF
from .job_wait import bounded_wait, check_extra_arguments, deadline_for, poll_until_final
from .mitigation import resolve_aggregation
from .progress import WaitProgress
from .qasm3_input import QASM3_JOB_TYPE
from .results import map_output
from .shot_results import LeakageReport
from .v04_run import build_run_payload, compiled_format, compiled_program, enforce_max_cost

__all__ = ["IonQJob", "map_output"]

logger = logging.getLogger("qiskit_ionq")


def _api_status(raw: Any, job_id: str) -> JobStatus:
    try:
        return JobStatusMap[APIJobStatus(raw).name].value
    except ValueError:
        raise IonQJobError(
            f"The API reported an unknown status {raw!r} for job {job_id}; expected one of "
            f"{', '.join(s.value for s in APIJobStatus)}. Upgrade qiskit-ionq if IonQ has "
            "added a status."
        ) from None


if TYPE_CHECKING:  # Qiskit is untyped: give type checkers a base that is not Any
    from ._typing import TypedJobBase as _JobBase
else:
    _JobBase = JobV1


class IonQJob(_JobBase):
    """A job on an IonQ backend.

    Args:
        backend: the backend it runs on.
        job_id: the vendor's job id, or ``None`` for a job not yet submitted.
        client: the REST client (defaults to ``backend.client``).
        circuit: the circuit, or list of circuits, this job runs (absent when retrieved).
        passed_args: run options (shots, sampler_seed, noise_model, ...).
    """

    _job_id: Optional[str]

    def __init__(
        self,
        backend: Any,
        job_id: Optional[str],
        client: Any = None,
        circuit: Union[QuantumCircuit, Sequence[QuantumCircuit], None] = None,
        passed_args: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(backend, job_id)
        self._client = client if client is not None else backend.client
        self.circuit = circuit
        self._passed_args = dict(passed_args or {})
        # Run arguments code written for earlier releases reads (and may set) on the job.
        self.extra_query_params: Dict[str, Any] = dict(
            self._passed_args.get("extra_query_params") or {}
        )
        self.extra_metadata: Dict[str, Any] = dict(self._passed_args.get("extra_metadata") or {})
        self.memory: bool = bool(self._passed_args.get("memory", False))
        self._job_data: Optional[Dict[str, Any]] = None
        self._children: Optional[List[Dict[str, Any]]] = None
        self._body: Optional[Dict[str, Any]] = None
        self._results: Dict[Tuple[Any, ...], IonQResult] = {}
        self._leakage: List[LeakageReport] = []
        self.estimate: Any = None  # the cost estimate when the run had max_cost=
        self._warned: set = set()
        #: The ideal simulator's sampling seed: the user's ``sampler_seed``, else one derived
        #: from the job id (set once results are built; None for other targets).
        self.sampler_seed: Optional[int] = None

    def __repr__(self) -> str:
        return f"<IonQJob {self._job_id} on {compat.backend_name(self._backend)}>"

    # -- submission ---------------------------------------------------------------------
    def submit(self) -> None:
        """Serialize the circuit(s) and create the job (exactly once, see the client)."""
        if self._job_id is not None:
            raise IonQJobStateError(f"Job {self._job_id} was already submitted.")
        if self.circuit is None:
            raise IonQJobStateError(
                "Cannot submit a job without a circuit. Please create a job with a circuit and "
                "try again. (backend.run(circuit) builds and submits one.)"
            )
        args = self._passed_args
        backend = self._backend
        circuits = list(self.circuit) if isinstance(self.circuit, (list, tuple)) else [self.circuit]
        # The serializer's body, plus what only IonQ API v0.4 has (OpenQASM 3 programs, dry
        # runs, sessions, v0.4 error mitigation), each refused clearly where unavailable.
        payload = build_run_payload(
            circuits,
            target=backend.api_target,
            gateset=backend.gateset(),
            # The job's attributes, so values set on it before submit() are sent too:
            # extra_metadata joins the metadata, extra_query_params the top of the body.
            args={
                **args,
                "extra_metadata": self.extra_metadata or None,
                "extra_query_params": self.extra_query_params or None,
            },
            client=self._client,
            supported_mitigations=getattr(backend, "supported_error_mitigations", None),
            backend_name=compat.backend_name(backend),
        )
        if args.get("max_cost") is not None:
            self.estimate = enforce_max_cost(self._client, payload, circuits, args["max_cost"])
        self._body = payload.body  # gate lists stay JSON text; registers are read from it
        response = self._client.submit_job(payload)
        self._job_id = str(response["id"])
        logger.info("Submitted job %s to %s", self._job_id, backend.api_target)

    # -- status -------------------------------------------------------------------------
    def _refresh(self) -> Dict[str, Any]:
        data = self._job_data
        if data is not None and str(data.get("status")) in ("completed", "failed", "canceled"):
            return data  # final: the server data no longer changes
        if self._job_id is None:
            raise IonQJobStateError("This job has not been submitted yet.")
        self._job_data = data = check_job(self._client.retrieve_job(self._job_id), self._job_id)
        return data

    def _emit_warnings(self, data: Dict[str, Any]) -> None:
        messages = ((data.get("warning") or {}).get("messages")) or []
        for message in messages:
            if message not in self._warned:
                self._warned.add(message)
                warnings.warn(f"IonQ job {self._job_id}: {message}", UserWarning, stacklevel=3)

    def status(self, detailed: bool = False) -> Any:
        """The job's Qiskit ``JobStatus`` (one GET unless the job is already final).

        Raises:
            IonQJobFailureError: the vendor reports the job as failed (carries its code).

        A job not submitted yet is ``INITIALIZING`` (no request is made).

        With ``detailed=True`` returns ``{"total", "completed", "failed",
        "percentage_complete", "statuses"}``: the number of child jobs (one per circuit of a
        multi-circuit job), how many are DONE and ERROR, completed/total (0 without
        children) and each child's ``JobStatus`` in the parent's order; parent and children
        are fetched afresh on each call.
        """
        if self._job_id is None:
            return JobStatus.INITIALIZING if not detailed else _detailed([])
        if detailed and self._job_data is not None:
            self._job_data = None  # fetched afresh on each detailed call
        data = self._refresh()
        self._emit_warnings(data)
        status = _api_status(data.get("status"), str(self._job_id))
        if status is JobStatus.ERROR:
            failure = data.get("failure") or {}
            code, text = failure.get("code"), failure.get("error", "")
            raise IonQJobFailureError(
                f"Unable to retrieve result for job {self._job_id}. Failure from IonQ API "
                f'"{code}: {text}". The job failed on IonQ\'s side; fix what the message says '
                "and submit it again.",
                error_code=code,
                error_message=text,
            )
        if not detailed:
            return status
        return _detailed(
            [
                _api_status(child.get("status"), str(child.get("id")))
                for child in self._child_data(refresh=True)
            ]
        )

    def _child_data(self, refresh: bool = False) -> List[Dict[str, Any]]:
        data = self._job_data or self._refresh()
        ids = list(data.get("children") or [])
        if self._children is None or refresh:
            self._children = [check_job(self._client.retrieve_job(child), child) for child in ids]
        return self._children

    def cancel(self) -> bool:
        """Ask the API to cancel the job; True when it is (or already was) cancelled."""
        if self._job_id is None:
            raise IonQJobStateError("This job has not been submitted yet.")
        response = self._client.cancel_job(self._job_id)
        self._job_data = None
        return str(response.get("status")) == "canceled"

    def wait_for_final_state(
        self,
        timeout: Optional[float] = None,
        wait: float = 5,
        callback: Optional[Callable[[str, JobStatus, IonQJob], None]] = None,
        progress: Optional[bool] = None,
    ) -> None:
        """Poll until the job is final: after ~50 ms at first, backing off to ``wait`` seconds.

        ``progress``: show the status and elapsed time during a long wait (``None``: when the
        session is interactive, unless ``QISKIT_IONQ_PROGRESS=0``; see
        :mod:`qiskit_ionq.progress`).

        Raises:
            IonQJobTimeoutError: (a Qiskit ``JobTimeoutError``) when ``timeout`` passes first.
            IonQJobFailureError: when the job fails.
        """
        deadline = deadline_for(timeout)
        display = WaitProgress.for_job(self, progress)
        with bounded_wait(self._job_id, timeout, deadline):
            try:
                self._wait(timeout, deadline, wait, display.chain(callback))
            finally:
                display.close()  # before any message about an interrupted wait

    def _wait(
        self,
        timeout: Optional[float],
        deadline: Optional[float],
        wait: float,
        callback: Optional[Callable[[str, JobStatus, IonQJob], None]],
    ) -> None:
        """The polling loop of :meth:`wait_for_final_state` (requests bounded by the caller)."""
        if self._job_id is None:  # INITIALIZING is never final: polling would never end
            raise IonQJobStateError("This job has not been submitted yet: call job.submit().")

        def poll() -> JobStatus:
            # Called here, not by job_wait, so that the job's own warnings (stacklevel=3 in
            # _emit_warnings) still point into this module during a wait.
            status = self.status()
            if callback is not None:
                callback(str(self._job_id), status, self)
            return status

        poll_until_final(poll, self._job_id, timeout, deadline, wait)

    # -- results ------------------------------------------------------------------------
    def result(  # type: ignore[override]
        self,
        sharpen: Union[bool, AggregationType, None] = None,
        extra_query_params: Optional[Dict[str, Any]] = None,
        timeout: Optional[float] = None,
        wait: float = 5,
        callback: Optional[Callable[..., None]] = None,
        aggregation: Optional[str] = None,
        memory: Optional[bool] = None,
        progress: Optional[bool] = None,
        **kwargs: Any,
    ) -> IonQResult:
        """Wait for the job and return its :class:`IonQResult` (cached per aggregation).

        Args:
            sharpen: ``True`` (or ``AggregationType.PLURALITY``) for plurality aggregation of a
                debiased job, ``False``/``AVERAGE`` for the average, ``None`` for the default.
            extra_query_params: extra query parameters for the results request.
            timeout: seconds to wait at most (``IonQJobTimeoutError`` after).
            wait: longest pause between polls.
            callback: ``callback(job_id, status, job)`` after each poll.
            progress: show progress while waiting (see :meth:`wait_for_final_state`).
            aggregation: how a debiased job's variants are combined: ``"average"``,
                ``"voting"`` (= ``sharpen=True``), or, on IonQ API v0.4, ``"dnl"`` and
                ``"majority"``.
            memory: fetch the API's per-shot results (default: the ``memory`` run option).
                On API v0.4, QPU and noisy-simulator jobs then get counts and memory from
                the real shots; shots the API tags as leaked are left out
                (:meth:`leakage`). OpenQASM 3 jobs always read the shots.

        Raises:
            IonQJobStateError: the job was cancelled, or is a dry run (it has no results:
                see :meth:`compiled_circuit` and :meth:`cost`).
        """
        check_extra_arguments("result", kwargs, _RESULT_ARGUMENTS)
        if sharpen is not None and not isinstance(sharpen, (bool, AggregationType)):
            warnings.warn(
                f"Invalid sharpen type {type(sharpen).__name__} ({sharpen!r}): use True, False, "
                "None or an AggregationType. Going on with the default aggregation.",
                UserWarning,
                stacklevel=2,
            )
            sharpen = None
        agg = resolve_aggregation(aggregation, sharpen)
        extra = dict(extra_query_params or {})
        if agg is not None and self._client_supports("aggregation"):
            extra.update(self._client.adapter.aggregation_query(agg))
            sharpen = None
        elif agg in ("dnl", "majority"):
            require_feature(self._client, "aggregation", f"result(aggregation={agg!r})")
        elif agg is not None:
            sharpen = agg == "voting"
        wants_memory = bool(self._passed_args.get("memory")) if memory is None else bool(memory)
        key = (sharpen, json.dumps(extra, sort_keys=True, default=str), wants_memory)
        if key in self._results:
            return self._results[key]
        deadline = deadline_for(timeout)  # one budget for the polls and the download
        display = WaitProgress.for_job(self, progress)
        with bounded_wait(self._job_id, timeout, deadline):
            try:
                self._wait(timeout, deadline, wait, display.chain(callback))
            finally:
                display.close()
            data = self._refresh()
        if data.get("status") == "canceled":
            raise IonQJobStateError(
                f"Cannot retrieve result for canceled job {self._job_id}: a cancelled job has "
                "no results. Submit it again."
            )
        if data.get("dry_run"):
            raise IonQJobStateError(
                f"Job {self._job_id} is a dry run: it was compiled, not executed, so it has no "
                "results. Read job.compiled_circuit() and job.cost() instead."
            )
        if data.get("type") == QASM3_JOB_TYPE or (wants_memory and self._has_api_shots(data)):
            with bounded_wait(self._job_id, timeout, deadline):
                result = self._shots_result(data, memory=wants_memory)
        else:
            with bounded_wait(self._job_id, timeout, deadline, results_size_bound(data)):
                # A flat histogram is parsed from the JSON text straight into arrays.
                raw = self._client.get_results(
                    self._job_id,
                    sharpen=sharpen,
                    extra_query_params=extra or None,
                    flat_arrays=True,
                    job=data,  # says where the results are (API v0.4 links them from the job)
                )
            result = self._build_result(data, raw, memory=wants_memory)
        self._results[key] = result
        return result

    # -- IonQ API v0.4: per-shot results, dry runs, cost ---------------------------------
    def _client_supports(self, capability: str) -> bool:
        supports = getattr(self._client, "supports", None)
        return bool(callable(supports) and supports(capability))

    def _has_api_shots(self, data: Dict[str, Any]) -> bool:
        """Whether the API keeps this job's shots (QPU or noisy simulator, one circuit)."""
        if not self._client_supports("shots") or data.get("children"):
            return False
        noise_model = (data.get("noise") or {}).get("model") or "ideal"
        return not (data.get("target") == "simulator" and noise_model == "ideal")

    def _shots_result(self, data: Dict[str, Any], memory: bool = False) -> IonQResult:
        require_feature(self._client, "shots", "Per-shot results")
        payload = self._client.adapter.get_shots(str(self._job_id), data)
        experiment, report = shots_experiment_of(
            data, payload, job_id=str(self._job_id), body=self._body, memory=memory
        )
        self._leakage = [report]
        return job_result(data, self._backend, str(self._job_id), [experiment])

    def leakage(self) -> List[LeakageReport]:
        """Per circuit, the shots the API tagged as leaked and left out of the results.

        Filled by :meth:`result` when it read per-shot results (OpenQASM 3 jobs, or
        ``memory=True`` on API v0.4); empty before.
        """
        if not self._leakage and self._job_id is not None:
            kind = (self._body or self._job_data or self._refresh()).get("type")
            if kind == QASM3_JOB_TYPE or self._passed_args.get("memory"):
                self.result()
        return list(self._leakage)

    def compiled_circuit(self, fmt: str = "native") -> Any:
        """The program IonQ compiled for this job (a dry run's or a run's), from its artifacts.

        Args:
            fmt: ``"native"`` (a Qiskit circuit of GPI/GPI2/MS/ZZ gates) or ``"qasm3"``
                (OpenQASM 3 text); the artifact format ids ``"ionq.native.v1"`` and
                ``"ionq.qasm3.v1"`` work too.

        Raises:
            IonQAPIVersionError: the provider talks IonQ API v0.3.
            IonQJobError: the job lists no compiled circuit of that format.
        """
        require_feature(self._client, "dry_run", "job.compiled_circuit()")
        wanted = compiled_format(fmt)
        self.wait_for_final_state()
        return compiled_program(self._client, str(self._job_id), self._refresh(), wanted)

    def cost(self) -> Any:
        """The job's cost: estimated (always) and actual (once it ran), with their units.

        Returns:
            A :class:`qiskit_ionq.cost.JobCost` (``estimated``, ``actual``: ``Cost`` or None).

        Raises:
            IonQAPIVersionError: the provider talks IonQ API v0.3.
        """
        require_feature(self._client, "cost", "job.cost()")
        if self._job_id is None:
            raise IonQJobStateError("This job has not been submitted yet.")
        return parse_job_cost(self._client.adapter.get_job_cost(str(self._job_id)))

    def _build_result(
        self, data: Dict[str, Any], raw: Dict[str, Any], memory: bool = False
    ) -> IonQResult:
        where = f"job {self._job_id}"
        metadata = data.get("metadata") or {}
        shots = job_shots(metadata.get("shots"), data.get("shots"), self._passed_args, where)
        sample, seed = sampling(data, str(self._job_id))
        self.sampler_seed = seed
        experiments = histogram_experiments(
            data,
            raw,
            where=where,
            shots=shots,
            sample=sample,
            seed=seed,
            body=self._body,
            children=self._child_data,
            memory=memory,
        )
        qobj_id = metadata.get("qobj_id")
        return job_result(
            data,
            self._backend,
            str(self._job_id),
            experiments,
            qobj_id=None if qobj_id is None else str(qobj_id),
        )

    def get_counts(self, circuit: Any = None) -> Any:
        """Counts of ``circuit`` (index, name or circuit object; ``None`` = the only one)."""
        return self.result().get_counts(circuit)

    def get_probabilities(self, circuit: Any = None) -> Any:
        """Probabilities of ``circuit``, with the same keys as :meth:`get_counts`."""
        return self.result().get_probabilities(circuit)


_RESULT_ARGUMENTS = (
    "sharpen",
    "extra_query_params",
    "timeout",
    "wait",
    "callback",
    "aggregation",
    "memory",
    "progress",
)


def _detailed(statuses: List[JobStatus]) -> Dict[str, Any]:
    """``status(detailed=True)``: counts of the children's statuses, in the parent's order."""
    total = len(statuses)
    completed = sum(1 for s in statuses if s is JobStatus.DONE)
    return {
        "total": total,
        "completed": completed,
        "failed": sum(1 for s in statuses if s is JobStatus.ERROR),
        "percentage_complete": completed / total if total else 0,
        "statuses": statuses,
    }
