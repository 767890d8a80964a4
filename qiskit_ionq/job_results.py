"""Assembling a job's :class:`~qiskit_ionq.ionq_result.IonQResult` from what the server sent.

:class:`~qiskit_ionq.ionq_job.IonQJob` decides WHEN and WHAT to fetch: it polls the job's
status, picks the histogram or the per-shot route, bounds the download by the caller's time
limit and caches the result per aggregation. This module turns the fetched data into the
Qiskit result: the shots to count, the sampling seed of the ideal simulator, the headers and
measurement maps paired with each circuit's histogram (by child id, never by JSON key order),
and the per-shot path of API v0.4. It is kept apart so that the job stays about the job's
life cycle, and so that result assembly reads in one place: no requests are made here (the
children a retrieved multi-circuit job needs come through the ``children`` callable the job
passes in).
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from . import _qiskit_compat as compat
from .exceptions import IonQJobError
from .histogram import FlatHistogram
from .ionq_result import IonQResult
from .job_data import check_header, check_meas_map, decode_header, derived_sampler_seed, header_list
from .qasm3_input import QASM3_JOB_TYPE
from .results import ExperimentData, build_experiment, default_header
from .shot_results import LeakageReport
from .v04_run import shots_experiment

__all__ = [
    "child_meas_maps",
    "histogram_experiments",
    "job_result",
    "job_shots",
    "sampling",
    "shots_experiment_of",
    "single_meas_map",
    "stored_seed",
    "width_of",
    "without_meas_map",
]

logger = logging.getLogger("qiskit_ionq")

MeasMap = Optional[List[Optional[int]]]


def stored_seed(text: Any) -> Optional[int]:
    """The stored ``sampler_seed``: an int when it is all digits, else none (as before)."""
    value = str(text) if text is not None else ""
    return int(value) if value.isascii() and value.isdigit() else None


def job_shots(stored: Any, listed: Any, passed: Mapping[str, Any], where: str) -> int:
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


def sampling(data: Mapping[str, Any], job_id: str) -> Tuple[bool, Optional[int]]:
    """Whether the counts are sampled from exact probabilities (the ideal simulator), and
    with which seed: the stored ``sampler_seed``, else one derived from the job id."""
    metadata = data.get("metadata") or {}
    noise_model = (data.get("noise") or {}).get("model") or "ideal"
    sample = data.get("target") == "simulator" and noise_model == "ideal"
    seed = stored_seed(metadata.get("sampler_seed"))
    if sample and seed is None:
        # Same job, same counts on every retrieval (see job_data.derived_sampler_seed).
        seed = derived_sampler_seed(job_id)
        logger.info("Job %s: no sampler_seed given; sampling with seed %d", job_id, seed)
    return sample, seed


def without_meas_map(header: Any) -> Any:
    """The experiment header as Qiskit shows it (the measurement map is ours, not Qiskit's)."""
    if isinstance(header, dict) and "meas_mapped" in header:
        return {k: v for k, v in header.items() if k != "meas_mapped"}
    return header


def width_of(histogram: Dict[str, Any]) -> int:
    """Qubits a histogram's largest outcome needs (at least one)."""
    if isinstance(histogram, FlatHistogram):
        return max(1, int(histogram.outcomes.max()).bit_length())
    keys = [int(k) for k in histogram] if histogram else [0]
    return max(1, max(keys).bit_length())


def single_meas_map(data: Mapping[str, Any], body: Optional[Dict[str, Any]]) -> MeasMap:
    """The measurement map of a one-circuit job: the server's echo, else the sent body's."""
    registers = data.get("registers")
    if isinstance(registers, dict) and "meas_mapped" in registers:
        return registers["meas_mapped"]
    if body is not None:
        return (body.get("registers") or {}).get("meas_mapped")
    return None


def child_meas_maps(
    body: Optional[Dict[str, Any]], children: Callable[[], List[Dict[str, Any]]]
) -> List[MeasMap]:
    """The measurement map of each circuit of a multi-circuit job, in the parent's order."""
    if body is not None and "circuits" in body.get("input", {}):
        entries = body["input"]["circuits"]
        return [(e.get("registers") or {}).get("meas_mapped") for e in entries]
    # Retrieved job: each child carries its own registers (ionq-api.md §5.3).
    return [(child.get("registers") or {}).get("meas_mapped") for child in children()]


def histogram_experiments(
    data: Dict[str, Any],
    raw: Any,
    *,
    where: str,
    shots: int,
    sample: bool,
    seed: Optional[int],
    body: Optional[Dict[str, Any]],
    children: Callable[[], List[Dict[str, Any]]],
    memory: bool = False,
) -> List[ExperimentData]:
    """One :class:`ExperimentData` per circuit of the job, from its results histogram(s).

    Args:
        data: the job object (checked by :func:`~qiskit_ionq.job_data.check_job`).
        raw: the results the server sent: one histogram, or one per child id.
        where: ``"job <id>"``, for error messages.
        shots, sample, seed: see :func:`job_shots` and :func:`sampling`.
        body: the body this process submitted, if it did (its registers give the maps).
        children: the children's job objects (fetched only when a retrieved
            multi-circuit job needs their registers).
        memory: whether the run asked for per-shot memory.
    """
    metadata = data.get("metadata") or {}
    header_blob = metadata.get("qiskit_header")
    headers: Any = decode_header(header_blob, where) if header_blob else None
    child_ids = list(data.get("children") or [])
    circuits = int(data.get("circuits") or 1)
    if not isinstance(raw, Mapping):
        raise IonQJobError(
            f"The server sent malformed results for {where}: a JSON "
            f"{type(raw).__name__}, expected an object."
        )
    if isinstance(raw, FlatHistogram) and (circuits > 1 or child_ids):
        raw = raw.to_dict()  # not the usual single-circuit shape: the dict path decides
    multi = circuits > 1 or (
        len(child_ids) > 1 or (child_ids and isinstance(next(iter(raw.values()), None), dict))
    )
    if multi:
        # Pair histograms with circuits by child id, in the parent's `children` order:
        # relying on the JSON key order (as older clients did) silently scrambles results
        # if anything between the server and us reorders keys (docs/reference/ionq-api.md §7.5).
        ids = child_ids or list(raw)
        missing = [c for c in ids if not isinstance(raw.get(c), dict)]
        if missing:
            raise IonQJobError(
                f"The server sent malformed results for {where}: no histogram for "
                f"circuit {missing[0]!r} ({len(missing)} of {len(ids)} missing)."
            )
        histograms = [raw[c] for c in ids]
        header_items = header_list(headers, len(ids), where)
        meas_maps = child_meas_maps(body, children)
    else:
        histograms = [raw]
        header_items = header_list(headers, 1, where)
        meas_maps = [single_meas_map(data, body)]
    # API v0.4 echoes no `registers`: the map then comes from the client's own header.
    meas_maps = [
        header.get("meas_mapped") if meas_map is None and isinstance(header, dict) else meas_map
        for meas_map, header in zip(meas_maps, header_items)
    ]
    header_items = [without_meas_map(header) for header in header_items]
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
        n = int((header or {}).get("n_qubits") or width or width_of(hist))
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
    return experiments


def shots_experiment_of(
    data: Dict[str, Any],
    payload: Any,
    *,
    job_id: str,
    body: Optional[Dict[str, Any]],
    memory: bool = False,
) -> Tuple[ExperimentData, LeakageReport]:
    """The one circuit of a job read from the API's per-shot results (API v0.4), and the
    report of the shots the API tagged as leaked (left out of the counts)."""
    where = f"job {job_id}"
    metadata = data.get("metadata") or {}
    blob = metadata.get("qiskit_header")
    header: Any = decode_header(blob, where) if blob else None
    header = check_header(header_list(header, 1, where)[0], where)
    width = int((header or {}).get("n_qubits") or data.get("qubits") or 0)
    if header is None:
        header = default_header(width, width)
    qasm3 = data.get("type") == QASM3_JOB_TYPE
    meas_map = None if qasm3 else single_meas_map(data, body)
    if meas_map is None and not qasm3:
        meas_map = header.get("meas_mapped")  # retrieved v0.4 job: it rides in the header
    experiment, report = shots_experiment(
        payload,
        header=without_meas_map(header),
        qasm3=qasm3,
        meas_map=meas_map,
        num_qubits=width,
        seed=stored_seed(metadata.get("sampler_seed")),
    )
    experiment.header = {**experiment.header, "leakage": report.to_dict()}
    experiment.memory_requested = memory  # data.memory only when the run asked for it
    if report.leaked_shots:
        logger.info(
            "Job %s: %d of %d shots leaked and were left out", job_id,
            report.leaked_shots, report.total_shots,
        )  # fmt: skip
    return experiment, report


def job_result(
    data: Mapping[str, Any],
    backend: Any,
    job_id: str,
    experiments: Sequence[ExperimentData],
    qobj_id: Optional[str] = None,
) -> IonQResult:
    """The :class:`IonQResult` of a job's experiments, with the job's run time."""
    execution_ms = data.get("execution_time")
    return IonQResult.from_experiments(
        backend_name=compat.backend_name(backend),
        backend_version=str(getattr(backend.configuration(), "backend_version", "")),
        job_id=job_id,
        experiments=experiments,
        time_taken=None if execution_ms is None else float(execution_ms) / 1000.0,
        qobj_id=qobj_id,
    )
