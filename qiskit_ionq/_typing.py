"""What type checkers see as the Qiskit base classes of our backends and jobs.

Why: Qiskit ships no type information, so to mypy its ``BackendV2``/``BackendV1`` and
``JobV1`` are ``Any``, and a class derived from ``Any`` accepts any attribute: a user's
``mypy --strict`` would let ``job.resutl()`` and ``backend.nam`` through. Under
``TYPE_CHECKING`` our classes derive from the stand-ins below instead, which declare the
public members they inherit from Qiskit (with the types users rely on) and nothing else. At
run time nothing here is used: the real bases come from :mod:`qiskit_ionq._qiskit_compat`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Protocol


class TypedBackendBase:
    """The public members our backends inherit from Qiskit's backend classes."""

    #: ``backend.name`` on Qiskit >= 2 (a property), ``backend.name()`` below (a method);
    #: :func:`qiskit_ionq.backend_name` works on both.
    name: Any
    description: Optional[str]
    online_date: Any
    backend_version: str
    version: int
    options: Any
    provider: Any
    num_qubits: int
    dt: Optional[float]
    dtm: Optional[float]
    coupling_map: Any
    instructions: List[Any]
    operations: List[Any]
    operation_names: List[str]
    instruction_durations: Any
    meas_map: List[List[int]]

    def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    def qubit_properties(self, qubit: Any) -> Any:
        raise NotImplementedError  # seen by type checkers only

    def properties(self) -> Any:
        raise NotImplementedError  # seen by type checkers only

    def defaults(self) -> Any:
        raise NotImplementedError  # seen by type checkers only


class TypedJobBase:
    """The public members our jobs inherit from Qiskit's ``JobV1``."""

    version: int
    metadata: Dict[str, Any]
    _job_id: Optional[str]
    _backend: Any

    def __init__(self, backend: Any, job_id: Optional[str], **kwargs: Any) -> None: ...

    def job_id(self) -> str:
        raise NotImplementedError  # seen by type checkers only

    def backend(self) -> Any:
        raise NotImplementedError  # seen by type checkers only

    def done(self) -> bool:
        raise NotImplementedError  # seen by type checkers only

    def running(self) -> bool:
        raise NotImplementedError  # seen by type checkers only

    def cancelled(self) -> bool:
        raise NotImplementedError  # seen by type checkers only

    def in_final_state(self) -> bool:
        raise NotImplementedError  # seen by type checkers only


class BackendStatusLike(Protocol):
    """What ``backend.status()`` returns below Qiskit 2: Qiskit's ``BackendStatus``.

    From Qiskit 2 on it returns a ``bool`` (as the 1.x releases of qiskit-ionq did), so the
    declared type is ``Union[bool, BackendStatusLike]``: code for one line narrows it.
    """

    backend_name: str
    backend_version: str
    operational: bool
    pending_jobs: int
    status_msg: str
