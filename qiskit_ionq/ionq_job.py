"""IonQJob: one submitted (possibly multi-circuit) job, its status and its results.

A job fetches its server data once per poll and stops fetching once the job is final; results
are fetched once per aggregation choice and cached. Everything needed to rebuild the Qiskit
result comes from the server (metadata header, registers, children), so a job submitted by
another process or tool can be retrieved by id alone.
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from qiskit.circuit import QuantumCircuit
from qiskit.providers import JobV1
from qiskit.providers.jobstatus import JOB_FINAL_STATES, JobStatus

from . import _qiskit_compat as compat
from .api.v04_features import require_feature
from .constants import AggregationType, APIJobStatus, JobStatusMap
from .cost import parse_job_cost
from .exceptions import (
    IonQInvalidOptionError,
    IonQJobError,
    IonQJobFailureError,
    IonQJobStateError,
)
from .histogram import FlatHistogram
from .ionq_result import IonQResult
from .job_data import (
    check_header,
    check_job,
    check_meas_map,
    decode_header,
    derived_sampler_seed,
    header_list,
    results_size_bound,
)
from .job_wait import bounded_wait, check_extra_arguments, deadline_for, timeout_error
from .mitigation import resolve_aggregation
from .progress import WaitProgress
from .qasm3_input import QASM3_JOB_TYPE
from .results import ExperimentData, build_experiment, default_header, map_output
from .shot_results import LeakageReport
from .v04_run import build_run_payload, compiled_to_circuit, enforce_max_cost, shots_experiment

__all__ = ["IonQJob", "map_output"]

logger = logging.getLogger("qiskit_ionq")

FIRST_POLL_DELAY = 0.05  # a job the server finishes at once is seen within ~50 ms
POLL_BACKOFF = 1.5


def _api_status(raw: Any, job_id: str) -> JobStatus:
    try:
        return JobStatusMap[APIJobStatus(raw).name].value
    except ValueError:
        raise IonQJobError(
            f"The API reported an unknown status {raw!r} for job {job_id}; expected one of "
            f"{', '.join(s.value for s in APIJobStatus)}. Upgrade qiskit-ionq if IonQ has "
            "added a status."
        ) from None


def _seed(text: Any) -> Optional[int]:
    """The stored ``sampler_seed``: an int when it is all digits, else none (as before)."""
    value = str(text) if text is not None else ""
    return int(value) if value.isascii() and value.isdigit() else None


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
        delay = min(FIRST_POLL_DELAY, float(wait))
        while True:
            status = self.status()
            if callback is not None:
                callback(str(self._job_id), status, self)
            if status in JOB_FINAL_STATES:
                return
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                raise timeout_error(self._job_id, timeout, status.name)
            pause = delay if deadline is None else min(delay, max(deadline - now, 0.0))
            logger.debug("Job %s is %s; polling again in %.3f s", self._job_id, status.name, pause)
            time.sleep(pause)
            delay = min(delay * POLL_BACKOFF, float(wait))

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
        metadata = data.get("metadata") or {}
        blob = metadata.get("qiskit_header")
        header: Any = decode_header(blob, f"job {self._job_id}") if blob else None
        header = check_header(
            header_list(header, 1, f"job {self._job_id}")[0], f"job {self._job_id}"
        )
        width = int((header or {}).get("n_qubits") or data.get("qubits") or 0)
        if header is None:
            header = default_header(width, width)
        qasm3 = data.get("type") == QASM3_JOB_TYPE
        meas_map = None if qasm3 else self._single_meas_map(data)
        if meas_map is None and not qasm3:
            meas_map = header.get("meas_mapped")  # retrieved v0.4 job: it rides in the header
        experiment, report = shots_experiment(
            payload,
            header=_without_meas_map(header),
            qasm3=qasm3,
            meas_map=meas_map,
            num_qubits=width,
            seed=_seed(metadata.get("sampler_seed")),
        )
        experiment.header = {**experiment.header, "leakage": report.to_dict()}
        experiment.memory_requested = memory  # data.memory only when the run asked for it
        self._leakage = [report]
        if report.leaked_shots:
            logger.info(
                "Job %s: %d of %d shots leaked and were left out", self._job_id,
                report.leaked_shots, report.total_shots,
            )  # fmt: skip
        execution_ms = data.get("execution_time")
        return IonQResult.from_experiments(
            backend_name=compat.backend_name(self._backend),
            backend_version=str(getattr(self._backend.configuration(), "backend_version", "")),
            job_id=str(self._job_id),
            experiments=[experiment],
            time_taken=None if execution_ms is None else float(execution_ms) / 1000.0,
        )

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
        formats = {"native": "ionq.native.v1", "qasm3": "ionq.qasm3.v1"}
        wanted = formats.get(fmt, fmt)
        if wanted not in formats.values():
            raise IonQInvalidOptionError(f"Unknown format {fmt!r}; use 'native' or 'qasm3'.")
        self.wait_for_final_state()
        data = self._refresh()
        compiled = ((data.get("output") or {}).get("compilation") or {}).get("compiled_circuits")
        descriptor = (compiled or {}).get(wanted)
        if not isinstance(descriptor, dict) or not descriptor.get("id"):
            listed = ", ".join(sorted(compiled or {})) or "none"
            raise IonQJobError(
                f"Job {self._job_id} has no compiled circuit in {wanted!r} (listed: {listed}). "
                "IonQ publishes compiled circuits with its v0.4 compiler stack."
            )
        artifact = self._client.adapter.get_artifact(str(self._job_id), str(descriptor["id"]))
        if wanted == "ionq.qasm3.v1":
            return artifact if isinstance(artifact, str) else bytes(artifact).decode("utf-8")
        return compiled_to_circuit(artifact, name=f"{self._job_id}-compiled")

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
        shots = _shots(metadata.get("shots"), data.get("shots"), self._passed_args, where)
        noise_model = (data.get("noise") or {}).get("model") or "ideal"
        sample = data.get("target") == "simulator" and noise_model == "ideal"
        seed = _seed(metadata.get("sampler_seed"))
        if sample and seed is None:
            # Same job, same counts on every retrieval (see job_data.derived_sampler_seed).
            seed = derived_sampler_seed(str(self._job_id))
            logger.info("Job %s: no sampler_seed given; sampling with seed %d", self._job_id, seed)
        self.sampler_seed = seed
        header_blob = metadata.get("qiskit_header")
        headers: Any = decode_header(header_blob, where) if header_blob else None
        children = list(data.get("children") or [])
        circuits = int(data.get("circuits") or 1)
        if not isinstance(raw, Mapping):
            raise IonQJobError(
                f"The server sent malformed results for {where}: a JSON "
                f"{type(raw).__name__}, expected an object."
            )
        if isinstance(raw, FlatHistogram) and (circuits > 1 or children):
            raw = raw.to_dict()  # not the usual single-circuit shape: the dict path decides
        multi = circuits > 1 or (
            len(children) > 1 or (children and isinstance(next(iter(raw.values()), None), dict))
        )
        if multi:
            # Pair histograms with circuits by child id, in the parent's `children` order:
            # relying on the JSON key order (as older clients did) silently scrambles results
            # if anything between the server and us reorders keys (docs/reference/ionq-api.md §7.5).
            ids = children or list(raw)
            missing = [c for c in ids if not isinstance(raw.get(c), dict)]
            if missing:
                raise IonQJobError(
                    f"The server sent malformed results for {where}: no histogram for "
                    f"circuit {missing[0]!r} ({len(missing)} of {len(ids)} missing)."
                )
            histograms = [raw[c] for c in ids]
            header_items = header_list(headers, len(ids), where)
            meas_maps = self._child_meas_maps(ids)
        else:
            histograms = [raw]
            header_items = header_list(headers, 1, where)
            meas_maps = [self._single_meas_map(data)]
        # API v0.4 echoes no `registers`: the map then comes from the client's own header.
        meas_maps = [
            header.get("meas_mapped") if meas_map is None and isinstance(header, dict) else meas_map
            for meas_map, header in zip(meas_maps, header_items)
        ]
        header_items = [_without_meas_map(header) for header in header_items]
        width = int(data.get("qubits") or 0)
        experiments: List[ExperimentData] = []
        for index, (hist, header, meas_map) in enumerate(zip(histograms, header_items, meas_maps)):
            label = where if len(histograms) == 1 else f"{where}, circuit {index}"
            meas_map = check_meas_map(meas_map, label)
            header = check_header(
                header,
                label,
                num_qubits=width or None,
                num_clbits=None if meas_map is None else len(meas_map),
            )
            n = int((header or {}).get("n_qubits") or width or _width_of(hist))
            experiments.append(
                build_experiment(
                    hist,
                    header=header,
                    meas_map=meas_map,
                    num_qubits=n,
                    shots=shots,
                    sample=sample,
                    seed=seed,
                    memory=memory,  # data.memory only when the run asked for it
                )  # fmt: skip
            )
        execution_ms = data.get("execution_time")
        return IonQResult.from_experiments(
            backend_name=compat.backend_name(self._backend),
            backend_version=str(getattr(self._backend.configuration(), "backend_version", "")),
            job_id=str(self._job_id),
            experiments=experiments,
            time_taken=None if execution_ms is None else float(execution_ms) / 1000.0,
            qobj_id=None if metadata.get("qobj_id") is None else str(metadata["qobj_id"]),
        )

    def _single_meas_map(self, data: Dict[str, Any]) -> Optional[List[Optional[int]]]:
        registers = data.get("registers")
        if isinstance(registers, dict) and "meas_mapped" in registers:
            return registers["meas_mapped"]
        if self._body is not None:
            return (self._body.get("registers") or {}).get("meas_mapped")
        return None

    def _child_meas_maps(self, ids: List[str]) -> List[Optional[List[Optional[int]]]]:
        if self._body is not None and "circuits" in self._body.get("input", {}):
            entries = self._body["input"]["circuits"]
            return [(e.get("registers") or {}).get("meas_mapped") for e in entries]
        # Retrieved job: each child carries its own registers (ionq-api.md §5.3).
        return [(child.get("registers") or {}).get("meas_mapped") for child in self._child_data()]

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


def _shots(stored: Any, listed: Any, passed: Mapping[str, Any], where: str) -> int:
    """The job's shots: from its metadata (text), else the job object, else the run options.

    Metadata shots that are not all digits count as absent, as earlier releases read them
    (another tool may store anything there); a malformed job object is an error.
    """
    if stored is not None and not (str(stored).isascii() and str(stored).isdigit()):
        stored = None
    for value in (stored, listed):
        if value in (None, ""):
            continue
        text = str(value)
        if not (text.isascii() and text.isdigit()):
            raise IonQJobError(
                f"The server sent malformed job data for {where}: shots is {value!r}, "
                "expected a non-negative integer."
            )
        return int(text)
    return int(passed.get("shots") or 1024)


def _without_meas_map(header: Any) -> Any:
    """The experiment header as Qiskit shows it (the measurement map is ours, not Qiskit's)."""
    if isinstance(header, dict) and "meas_mapped" in header:
        return {k: v for k, v in header.items() if k != "meas_mapped"}
    return header


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


def _width_of(histogram: Dict[str, Any]) -> int:
    if isinstance(histogram, FlatHistogram):
        return max(1, int(histogram.outcomes.max()).bit_length())
    keys = [int(k) for k in histogram] if histogram else [0]
    return max(1, max(keys).bit_length())
