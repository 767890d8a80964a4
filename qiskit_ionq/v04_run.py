"""What ``backend.run`` and ``IonQJob`` do for the features only IonQ API v0.4 has.

Kept out of ``ionq_backend.py``/``ionq_job.py`` so those stay thin: this module turns run
options into the job body (OpenQASM 3 programs, dry runs, sessions, v0.4 error mitigation),
checks them before anything is sent, and turns per-shot data and compiled-circuit artifacts
back into Qiskit objects. It never asks which API version the client speaks: it asks the
client for a capability (``client.supports("dry_run")``) and lets
:func:`~qiskit_ionq.api.v04_features.require_feature` word the error.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from qiskit.circuit import QuantumCircuit

from .api.v04_features import require_feature
from .cost import (
    CostEstimate,
    GateCounts,
    check_max_cost,
    count_circuit_gates,
    count_gates,
    estimate_query,
    parse_estimate,
)
from .exceptions import IonQCircuitError, IonQError, IonQInvalidOptionError, IonQJobError
from .ionq_gates import GPI2Gate, GPIGate, MSGate, ZZGate
from .mitigation import error_mitigation_settings
from .qasm3_input import (
    QASM3_JOB_TYPE,
    build_qasm3_parts,
    circuit_requires_qasm3,
    needs_qasm3_fast,
)
from .qasm3_input import program_clbit_labels as program_clbit_labels
from .serializer import (
    JobPayload,
    _stringify_extra_metadata,
    build_header,
    build_job_payload,
    compress_dict_to_metadata_string,
)
from .shot_results import (
    LeakageReport,
    ShotExperimentData,
    build_shot_experiment,
    parse_shots,
    qubit_sources,
    register_sources,
)

__all__ = [
    "V04_RUN_OPTIONS",
    "build_run_payload",
    "compiled_to_circuit",
    "estimate_for",
    "shots_experiment",
]

#: Run options of the v0.4 features (defaults: nothing asked).
V04_RUN_OPTIONS: Dict[str, Any] = {
    "dry_run": False,
    "session_id": None,
    "debiasing": None,
    "symmetry_verification": None,
    "max_cost": None,
}
_SINGLE, _MULTI = "ionq.circuit.v1", "ionq.multi-circuit.v1"


def _ideal(target: str, noise_model: Any) -> bool:
    return target == "simulator" and (noise_model in (None, "ideal"))


def _qasm3_payload(
    circuit: QuantumCircuit, target: str, args: Mapping[str, Any], settings: Dict[str, Any]
) -> JobPayload:
    shots = int(args.get("shots", 1024))
    parts = build_qasm3_parts([circuit], settings or None)
    extra = _stringify_extra_metadata(args.get("extra_metadata"))
    seed = args.get("sampler_seed")
    body: Dict[str, Any] = {
        "type": parts["type"],
        "target": target,
        "shots": shots,
        "name": args.get("name") or circuit.name,
        "input": parts["input"],
        "metadata": {
            "shots": str(shots),
            "sampler_seed": str(seed),
            "qiskit_header": compress_dict_to_metadata_string(build_header(circuit)),
            **extra,
        },
        "settings": parts["settings"],
    }
    if target == "simulator":
        body["noise"] = {"model": args.get("noise_model") or "ideal", "seed": seed}
    extra_query = args.get("extra_query_params")
    if extra_query:
        body.update(extra_query)  # as the serializer does: merged into the top level last
    return JobPayload(body)


def build_run_payload(
    circuits: Sequence[QuantumCircuit],
    *,
    target: str,
    gateset: str,
    args: Mapping[str, Any],
    client: Any,
    supported_mitigations: Any = None,
    backend_name: str = "this backend",
) -> JobPayload:
    """The POST /jobs body of a run, with the v0.4 features asked for in ``args``.

    Without any v0.4 option and without a dynamic circuit, this is exactly the serializer's
    body (so the v0.3 path is unchanged).

    Raises:
        IonQAPIVersionError: a v0.4-only feature on a client that lacks it.
        IonQCircuitError: a dynamic circuit that cannot run as asked (several circuits, or
            the ideal simulator, which returns no per-shot results).
        IonQInvalidOptionError: bad v0.4 options.
    """
    supports = getattr(client, "supports", None)
    qasm3_ok = bool(callable(supports) and supports("qasm3"))
    # Without the capability a dynamic circuit goes to the serializer, whose error then names
    # the v0.4 way out (_serialize).
    dynamic = qasm3_ok and any(needs_qasm3_fast(c) for c in circuits)
    try:
        payload = _payload(circuits, dynamic, target, gateset, args, client, supported_mitigations,
                           backend_name)  # fmt: skip
    except IonQError:
        # A classical condition (c_if, Qiskit < 2) is found by the serializer's own walk:
        # where the API runs OpenQASM 3, send it that way instead.
        if dynamic or not qasm3_ok or not any(circuit_requires_qasm3(c) for c in circuits):
            raise
        payload = _payload(circuits, True, target, gateset, args, client, supported_mitigations,
                           backend_name)  # fmt: skip
    if args.get("dry_run"):
        require_feature(client, "dry_run", "backend.run(..., dry_run=True)")
        payload.body["dry_run"] = True
    session_id = args.get("session_id")
    if session_id is not None:
        require_feature(client, "sessions", "Running a job in a session")
        payload.body["session_id"] = str(session_id)
    return payload


def _payload(
    circuits: Sequence[QuantumCircuit],
    dynamic: bool,
    target: str,
    gateset: str,
    args: Mapping[str, Any],
    client: Any,
    supported_mitigations: Any,
    backend_name: str,
) -> JobPayload:
    """The body without dry run and session (see :func:`build_run_payload`)."""
    shots = int(args.get("shots", 1024))
    if dynamic:
        require_feature(
            client,
            "qasm3",
            f"Circuit {circuits[0].name!r} measures mid-circuit, resets or branches on a "
            "measurement (it runs as an OpenQASM 3 job)",
        )
        if _ideal(target, args.get("noise_model")):
            raise IonQCircuitError(
                f"Circuit {circuits[0].name!r} measures mid-circuit, resets or branches, and "
                "IonQ's ideal simulator returns no per-shot results for such programs: use "
                "noise_model='aria-1' (or another noise model) or a QPU backend."
            )
    settings: Dict[str, Any] = dict(args.get("job_settings") or {})
    wants_v04_mitigation = (
        args.get("debiasing") is not None or args.get("symmetry_verification") is not None
    )
    if wants_v04_mitigation:
        require_feature(client, "mitigation", "debiasing= / symmetry_verification=")
    legacy = args.get("error_mitigation")
    if wants_v04_mitigation or dynamic:
        supported = supported_mitigations
        if _ideal(target, None):
            supported = None
        elif callable(supported):
            supported = supported()
        mitigation = error_mitigation_settings(
            debiasing=args.get("debiasing"),
            symmetry_verification=args.get("symmetry_verification"),
            error_mitigation=legacy,
            shots=shots,
            supported=supported,
            backend_name=backend_name,
        )
        if mitigation:
            settings["error_mitigation"] = {**settings.get("error_mitigation", {}), **mitigation}
        legacy = None
    if dynamic:
        if len(circuits) > 1:
            build_qasm3_parts(list(circuits))  # raises the multi-circuit explanation
        return _qasm3_payload(circuits[0], target, args, settings)
    return _serialize(
        circuits,
        target=target,
        gateset=gateset,
        shots=shots,
        name=args.get("name"),
        noise_model=args.get("noise_model"),
        sampler_seed=args.get("sampler_seed"),
        job_settings=settings or None,
        error_mitigation=legacy,
        extra_metadata=args.get("extra_metadata"),
        extra_query_params=args.get("extra_query_params"),
        ionq_compiler_synthesis=bool(args.get("ionq_compiler_synthesis", False)),
    )


def _serialize(circuits: Sequence[QuantumCircuit], **options: Any) -> JobPayload:
    """The serializer's body; a dynamic circuit's error also says how IonQ API v0.4 runs it."""
    try:
        return build_job_payload(list(circuits), **options)
    except IonQError as err:
        if any(circuit_requires_qasm3(c) for c in circuits):
            err.message = (
                f"{err.message} (On IonQ API v0.4 such a circuit runs as an OpenQASM 3 job: "
                'this needs IonQ API v0.4: IonQProvider(api_version="v0.4").)'
            )
            err.args = (err.message,)
        raise


def payload_counts(payload: JobPayload, circuits: Sequence[QuantumCircuit]) -> GateCounts:
    """1q/2q gate counts of a job as it will be sent (gate lists, or the OpenQASM 3 circuit)."""
    body = payload.body
    program = body.get("input") or {}
    if body.get("type") == QASM3_JOB_TYPE:
        return count_circuit_gates(circuits[0])
    if "circuits" in program:
        total = GateCounts(qubits=int(program.get("qubits") or 0))
        for entry in program["circuits"]:
            total = total + count_gates(str(entry["circuit"]), int(program.get("qubits") or 0))
        return total
    return count_gates(str(program.get("circuit") or "[]"), int(program.get("qubits") or 0))


def job_type(payload: JobPayload) -> str:
    """The v0.4 ``type`` of a payload."""
    body = payload.body
    if body.get("type"):
        return str(body["type"])
    return _MULTI if "circuits" in (body.get("input") or {}) else _SINGLE


def estimate_for(
    client: Any, payload: JobPayload, circuits: Sequence[QuantumCircuit]
) -> CostEstimate:
    """Ask ``GET /jobs/estimate`` what ``payload`` would cost (nothing is created)."""
    require_feature(client, "estimate", "Cost estimates (backend.estimate_cost, max_cost=)")
    body = payload.body
    mitigation = ((body.get("settings") or {}).get("error_mitigation") or {}).get("debiasing")
    legacy = (body.get("error_mitigation") or {}).get("debias")
    query = estimate_query(
        backend=str(body.get("target")),
        job_type=job_type(payload),
        counts=payload_counts(payload, circuits),
        shots=int(body.get("shots") or 1024),
        error_mitigation=bool(mitigation or legacy),
    )
    return parse_estimate(client.adapter.estimate_job(query))


def enforce_max_cost(
    client: Any, payload: JobPayload, circuits: Sequence[QuantumCircuit], max_cost: Any
) -> CostEstimate:
    """Estimate, and refuse (``IonQCostLimitError``) before submitting when over ``max_cost``."""
    from .cost import Cost

    if isinstance(max_cost, bool) or not (finite(max_cost) or isinstance(max_cost, Cost)):
        raise IonQInvalidOptionError(
            f"max_cost must be a number or qiskit_ionq.cost.Cost, not {max_cost!r}."
        )
    if not isinstance(max_cost, Cost) and max_cost < 0:
        raise IonQInvalidOptionError(f"max_cost must not be negative, got {max_cost!r}.")
    estimate = estimate_for(client, payload, circuits)
    check_max_cost([estimate], max_cost)
    return estimate


def shots_experiment(
    payload: Any,
    *,
    header: Mapping[str, Any],
    qasm3: bool,
    meas_map: Optional[Sequence[Optional[int]]],
    num_qubits: int,
    seed: Optional[int],
) -> Tuple[ShotExperimentData, LeakageReport]:
    """Counts and memory of one circuit from its per-shot data (v1 or v2)."""
    table = parse_shots(payload, num_qubits)
    if qasm3:
        sources = register_sources(program_clbit_labels(dict(header)))
    else:
        slots = int(header.get("memory_slots") or 0)
        mapped = list(meas_map) if meas_map is not None else list(range(min(slots, num_qubits)))
        mapped += [None] * (slots - len(mapped))
        sources = qubit_sources(mapped[:slots])
    return build_shot_experiment(table, header=header, sources=sources, seed=seed)


_NATIVE_GATES = {"gpi": GPIGate, "gpi2": GPI2Gate}


def compiled_to_circuit(program: Any, name: str = "compiled") -> QuantumCircuit:
    """An ``ionq.native.v1`` program (``{"qubits", "circuit": [...]}``) as a Qiskit circuit.

    Raises:
        IonQJobError: a gate this client does not know.
    """
    if isinstance(program, list):
        program = {"circuit": program}
    if not isinstance(program, Mapping):
        raise IonQJobError(f"unexpected compiled circuit: {program!r}")
    gates = program.get("circuit") or []
    width = int(program.get("qubits") or 0)
    for gate in gates:
        qubits = list(gate.get("targets") or [gate.get("target")]) + list(
            gate.get("controls") or []
        )
        width = max([width, *(int(q) + 1 for q in qubits if q is not None)])
    circuit = QuantumCircuit(max(width, 1), name=name)
    for gate in gates:
        kind = gate.get("gate")
        targets = [int(q) for q in (gate.get("targets") or [gate.get("target")])]
        if kind in _NATIVE_GATES:
            circuit.append(_NATIVE_GATES[kind](float(gate.get("phase", 0.0))), targets[:1])
        elif kind == "ms":
            phases = gate.get("phases") or [0.0, 0.0]
            angle = float(gate.get("angle", 0.25))
            circuit.append(MSGate(float(phases[0]), float(phases[1]), angle), targets[:2])
        elif kind == "zz":
            circuit.append(ZZGate(float(gate.get("angle", gate.get("phase", 0.0)))), targets[:2])
        else:
            raise IonQJobError(f"the compiled circuit holds an unknown native gate {kind!r}")
    return circuit


_COMPILED_FORMATS = {"native": "ionq.native.v1", "qasm3": "ionq.qasm3.v1"}


def compiled_format(fmt: str) -> str:
    """The artifact format id ``job.compiled_circuit(fmt)`` asks for.

    Raises:
        IonQInvalidOptionError: neither ``"native"``/``"qasm3"`` nor one of their ids.
    """
    wanted = _COMPILED_FORMATS.get(fmt, fmt)
    if wanted not in _COMPILED_FORMATS.values():
        raise IonQInvalidOptionError(f"Unknown format {fmt!r}; use 'native' or 'qasm3'.")
    return wanted


def compiled_program(client: Any, job_id: str, data: Mapping[str, Any], wanted: str) -> Any:
    """The compiled circuit of a final job, in format ``wanted`` (from :func:`compiled_format`):
    OpenQASM 3 text, or a Qiskit circuit of native gates.

    Raises:
        IonQJobError: the job lists no compiled circuit of that format.
    """
    compiled = ((data.get("output") or {}).get("compilation") or {}).get("compiled_circuits")
    descriptor = (compiled or {}).get(wanted)
    if not isinstance(descriptor, dict) or not descriptor.get("id"):
        listed = ", ".join(sorted(compiled or {})) or "none"
        raise IonQJobError(
            f"Job {job_id} has no compiled circuit in {wanted!r} (listed: {listed}). "
            "IonQ publishes compiled circuits with its v0.4 compiler stack."
        )
    artifact = client.adapter.get_artifact(job_id, str(descriptor["id"]))
    if wanted == "ionq.qasm3.v1":
        return artifact if isinstance(artifact, str) else bytes(artifact).decode("utf-8")
    return compiled_to_circuit(artifact, name=f"{job_id}-compiled")


def finite(value: Any) -> bool:
    """Whether ``value`` is a finite real number."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def circuit_list(circuit: Any) -> List[QuantumCircuit]:
    """One circuit or a list of them, as a list."""
    return list(circuit) if isinstance(circuit, (list, tuple)) else [circuit]
