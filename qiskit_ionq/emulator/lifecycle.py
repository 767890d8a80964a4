"""Job lifecycle: the status state machine, the phase timer and the simulation workers.

Choices on the open questions of docs/reference/ionq-api.md §8 made here:

* 8.1 create status: the ``POST /jobs`` answer always says ``ready`` (as the v0.3 reference
  states), while the stored job walks ``submitted -> ready -> running -> completed`` with a
  configurable time in each phase. A phase with zero delay is skipped without being stored,
  so with the default (all zero) a job goes straight to ``running`` and the first GET often
  already sees ``completed``; an early GET showing ``submitted`` after a ``ready`` create
  answer matches the recorded real behaviour.
* 8.18 validation timing: only malformed requests get a synchronous 400 (not a JSON object,
  missing/unknown ``target``, bad ``shots``, missing ``input``, non-object ``metadata``);
  everything the simulator judges (``PreflightError``, ``NotEnoughQubits``, ...) is accepted
  with 200 and the job becomes ``failed`` with ``failure: {"code", "error"}`` when it leaves
  ``submitted`` (the phase in which IonQ validates).
* 8.2 cancel after completion: a no-op that answers the current (final) status. Results are
  never destroyed by a late cancel (Cirq documents the destructive v0.3 behaviour, which
  makes qiskit refuse results of a finished job; we pick the safe one).
* 8.3 ``registers`` and 8.4 ``settings``: echoed verbatim when sent (and left out when not:
  a ``null`` registers would break clients that do ``job.get("registers", {}).get(...)``).
* 8.19 children: one child job per ``input.circuits`` entry, GET-able, with its own
  ``name`` and ``registers`` from the entry; children move in lockstep with the parent and
  are not listed by ``GET /jobs``. Cancelling a child cancels its whole family.
* 8.17 results before completion: see :mod:`.server` (400 with a clear message).
"""

from __future__ import annotations

import inspect
import logging
import os
import random
import threading
import time
import uuid
from typing import Any, Collection, Dict, List, Optional, Tuple, Union

from .budget import (
    MEMORY_LIMIT_CODE,
    SMALL_JOB_BYTES,
    SMALL_JOB_WORK,
    Abort,
    Aborted,
    JobQueue,
    MemoryBudget,
    default_memory_budget,
    format_bytes,
)
from .jobs import (
    FINAL,
    PHASES,
    WARNINGS_SETTING,
    JobDelays,
    RequestError,
    check_request,
    compact_body,
    completion_fields,
    program,
    request_body,
)
from .simulation.simulator import StoredBody
from .store import JobStore, Record
from .timer import Timer

log = logging.getLogger(__name__)

# Job ids are random version-4 UUIDs from a generator seeded once from the OS: uuid.uuid4()
# calls os.urandom per id, which releases the GIL and, with many server threads, waits to get
# it back. getrandbits is atomic under the GIL.
_ID_RANDOM = random.Random()
if hasattr(os, "register_at_fork"):  # a forked emulator must not repeat its parent's ids
    os.register_at_fork(after_in_child=_ID_RANDOM.seed)


def _new_id() -> str:
    return str(uuid.UUID(int=_ID_RANDOM.getrandbits(128), version=4))


class JobManager:
    """Creates jobs, moves them through their statuses and runs simulations on workers.

    Args:
        store: where records live.
        simulator: object with ``JobFailure``, ``validate_job``, ``execute`` and
            ``predicted_execution_time_ms`` (the :mod:`.simulation.simulator` module by default;
            tests inject stand-ins).
        delays: per-phase delays.
        seed: base seed; job number ``seq`` is simulated with ``seed + seq`` (reproducible
            runs whose jobs still differ from each other). ``None`` leaves seeding to the
            simulator (and the job's ``noise.seed``).
        workers: simulation threads (daemon threads, so ``stop`` never waits for them).
        get_wait: with zero delays, how long a GET may wait for an in-flight job to finish
            before answering, so that a client's first poll usually sees ``completed``.
        max_memory: bytes that running simulations may take together (default: half the
            RAM); a job that needs more on its own is refused when submitted
            (:data:`.MEMORY_LIMIT_CODE`).
        max_job_seconds: a simulation running longer fails with ``SimulationTimeout``.

    Sharing the machine (see :mod:`.budget`): small jobs have a lane of their own, big ones
    wait for memory, and cancelling or deleting a job stops its simulation.
    """

    def __init__(
        self,
        store: JobStore,
        simulator: Any,
        *,
        delays: JobDelays,
        seed: Optional[int] = None,
        workers: int = 4,
        get_wait: float = 0.5,
        max_memory: Optional[int] = None,
        max_job_seconds: float = 600.0,
    ) -> None:
        self.store = store
        self.sim = simulator
        self.delays = delays
        self.seed = seed
        self.get_wait = get_wait
        self.job_warnings: List[str] = []
        self._lock = threading.Lock()  # family transitions are atomic w.r.t. each other
        # Completion events of in-flight families (one event shared by parent and children),
        # so that a GET can wait for a job instead of the client polling again.
        self._done: Dict[str, threading.Event] = {}
        self._events_lock = threading.Lock()
        self._started: Dict[str, float] = {}
        self._stopped = False
        self._timer = Timer()
        self.budget = MemoryBudget(max_memory or default_memory_budget())
        self.max_job_seconds = max_job_seconds
        self._estimates: Dict[str, Tuple[int, int]] = {}  # queued job -> (bytes, work)
        self._aborts: Dict[str, Abort] = {}  # running job -> its stop flag
        try:
            self._takes_stop = "stop" in inspect.signature(simulator.execute).parameters
        except (TypeError, ValueError):
            self._takes_stop = False
        self._queue = JobQueue()
        count = max(1, workers)
        self._workers = [
            threading.Thread(
                target=self._work,
                args=(i == 0 and count > 1,),  # worker 0 keeps a lane free for small jobs
                name=f"ionq-emulator-worker-{i}",
                daemon=True,
            )
            for i in range(count)
        ]
        for thread in self._workers:
            thread.start()

    # ----------------------------------------------------------------- create / recover
    def create(self, body: Dict[str, Any], *, owner: Optional[str] = None) -> Record:
        """Store a new job (and its children) and start its lifecycle.

        Args:
            body: the decoded ``POST /jobs`` body.
            owner: the creating key's fingerprint (jobs are then visible to that key only).

        Returns:
            The parent record.

        Raises:
            RequestError: malformed request, or a job this emulator's memory budget can never
                hold (HTTP 400): refused before a job exists, so nothing waits or is stored.
        """
        echo = check_request(body)
        body = StoredBody(body)  # top-level copy; nobody mutates the decoded request
        failure = self._validate(body)
        if failure is not None and failure["code"] == MEMORY_LIMIT_CODE:
            raise RequestError(f"{MEMORY_LIMIT_CODE}: {failure['error']}")
        now = int(time.time())
        status = self._settle("submitted", failure)
        parent_id = _new_id()
        circuits = program(body).get("circuits")  # type: ignore[union-attr]
        entries = circuits if isinstance(circuits, list) else []
        child_ids = [_new_id() for _ in entries]
        warnings = list(self.job_warnings)
        settings = body.get("settings")
        if isinstance(settings, dict) and isinstance(settings.get(WARNINGS_SETTING), list):
            warnings += [str(m) for m in settings[WARNINGS_SETTING]]
        common = {
            "owner": owner,
            "status": status,
            "request": now,
            "warnings": warnings,
            "predicted_execution_time": None if failure else self._predict(body),
            **self._status_fields(status, failure, now),
        }
        metadata = body.get("metadata") or {}
        parent: Record = {
            "id": parent_id,
            "parent": None,
            "children": child_ids,
            "circuits": len(entries) if isinstance(circuits, list) else 1,
            # a finished job needs no request; a big one waits as compact JSON text
            "body": None if status in FINAL else compact_body(body),
            "echo": echo,
            "failure_pending": failure,
            "submission_id": metadata.get("qiskit_ionq_submission_id"),
            **common,
        }
        records = [parent]
        for child_id, entry in zip(child_ids, entries):
            child_echo = {k: v for k, v in echo.items() if k not in ("name", "registers")}
            child_echo["metadata"] = None  # the parent carries the client's metadata
            if isinstance(entry, dict):
                child_echo.update({k: entry[k] for k in ("name", "registers") if k in entry})
            records.append(
                {
                    "id": child_id,
                    "parent": parent_id,
                    "children": [],
                    "circuits": 1,
                    "body": None,
                    "echo": child_echo,
                    **common,
                }
            )
        if status not in FINAL:
            self._track([parent_id, *child_ids])
        parent["estimate"] = list(self._resources(body)) if failure is None else [0, 0]
        stored = self.store.add(records)
        if parent["body"] is not body:  # compacted: drop the parsed form too
            release = getattr(self.sim, "release", None)
            if release is not None:
                release(body)
        self._entered(parent_id, status)
        return stored[0]

    def recover(self) -> int:
        """Restart jobs a previous process left unfinished (SQLite store after a restart).

        They are re-run from the start: the whole request body is stored, so this yields the
        same results as an uninterrupted run; failing them instead would punish the client
        for our restart. Returns the number of jobs restarted.
        """
        restarted = 0
        for record in self.store.unfinished():
            if record["parent"] is not None or record.get("body") is None:
                continue
            failure = self._validate(request_body(record["body"]))
            status = self._settle("submitted", failure)
            changes = {
                "status": status,
                "failure_pending": failure,
                "start": None,
                **self._status_fields(status, failure, int(time.time())),
            }
            for job_id in [record["id"], *record["children"]]:
                self.store.update(job_id, changes)
            self._track([record["id"], *record["children"]])
            self._entered(record["id"], status)
            restarted += 1
        return restarted

    def _validate(self, body: Dict[str, Any]) -> Optional[Dict[str, str]]:
        try:
            self.sim.validate_job(body)
            need = self._resources(body)[0]
        except self.sim.JobFailure as exc:
            return {"code": exc.code, "error": exc.message}
        except Exception:
            log.exception("simulator validation crashed")
            return {"code": "InternalError", "error": "The emulator could not validate the job."}
        if not self.budget.fits(need):
            return {"code": MEMORY_LIMIT_CODE, "error": self._memory_refusal(need)}
        return None

    def _memory_refusal(self, need: int) -> str:
        """Why a job that needs ``need`` bytes cannot run here: limit, reason, remedy."""
        budget = self.budget.limit
        widest = getattr(self.sim, "max_ideal_qubits", None)
        within = ""
        if widest is not None:
            try:
                within = f", in which it simulates ideal circuits of up to {widest(budget)} qubits"
            except Exception:
                log.debug("max_ideal_qubits failed", exc_info=True)
        return (
            f"Simulating this job needs about {format_bytes(need)} of "
            f"memory; this emulator's memory budget is {format_bytes(budget)}{within}. Use fewer "
            "qubits or fewer circuits per job, or give the emulator more memory: "
            "`qiskit-ionq emulator --max-memory 16G`, or IonQEmulator(max_memory='16G')."
        )

    def _resources(self, body: Any) -> Tuple[int, int]:
        """``(bytes, work)`` of running ``body`` (``(0, 0)`` if the simulator cannot tell)."""
        estimate = getattr(self.sim, "resource_estimate", None)
        if estimate is None:
            return 0, 0
        try:
            need, work = estimate(body)
            return int(need), int(work)
        except Exception:
            log.debug("resource_estimate failed", exc_info=True)
            return 0, 0

    def _estimate(self, job_id: str) -> Tuple[int, int]:
        """``(bytes, work)`` of a job about to be queued, as recorded when it was created."""
        record = self.store.get(job_id)
        if record is None:
            return 0, 0
        if record.get("estimate") is None and record.get("parent") is None:
            full = self.store.get(job_id, full=True)  # a record from an older store file
            return (
                self._resources(request_body(full["body"])) if full and full.get("body") else (0, 0)
            )
        need, work = record.get("estimate") or (0, 0)
        return int(need), int(work)

    def _predict(self, body: Dict[str, Any]) -> Optional[int]:
        try:
            return int(self.sim.predicted_execution_time_ms(body))
        except Exception:
            log.debug("predicted_execution_time_ms failed", exc_info=True)
            return None

    # ----------------------------------------------------------------- state machine
    def _settle(self, status: str, failure: Optional[Dict[str, str]]) -> str:
        """First status, from ``status`` on, in which the job must wait (zero phases skip)."""
        for phase in PHASES[PHASES.index(status) :]:
            if getattr(self.delays, phase) > 0 or phase == "running":
                return phase
            if phase == "submitted" and failure:
                return "failed"  # validation happens while submitted
        return "running"  # pragma: no cover - loop always returns

    @staticmethod
    def _status_fields(status: str, failure: Optional[Dict[str, str]], now: int) -> Dict[str, Any]:
        if status == "running":
            return {"start": now}
        if status == "failed":
            return {"failure": failure, "response": now}
        return {}

    def _entered(self, job_id: str, status: str) -> None:
        """Schedule what follows once the family of ``job_id`` is in ``status``."""
        if status in FINAL:
            self._finished(job_id)
        elif status == "running":
            self._started[job_id] = time.monotonic()
            need, work = self._estimates[job_id] = self._estimate(job_id)
            self._queue.put(job_id, small=need < SMALL_JOB_BYTES and work < SMALL_JOB_WORK)
        else:
            self._timer.call_later(getattr(self.delays, status), self._leave, job_id, status)

    def _leave(self, job_id: str, status: str) -> None:
        """Timer callback: the job spent its delay in ``status``; move it on."""
        if self._stopped:
            return
        record = self.store.get(job_id)
        if record is None or record["status"] != status:
            return  # canceled or deleted meanwhile
        failure = record.get("failure_pending")
        if status == "submitted" and failure:
            new = "failed"
        else:
            new = self._settle(PHASES[PHASES.index(status) + 1], None)
        if self._transition(
            record, (status,), new, self._status_fields(new, failure, int(time.time()))
        ):
            self._entered(job_id, new)

    def _transition(
        self,
        parent: Record,
        expected: Collection[str],
        status: str,
        changes: Dict[str, Any],
        child_changes: Optional[Dict[str, Dict[str, Any]]] = None,
    ) -> bool:
        """Move a whole family to ``status`` if the parent is still in ``expected``.

        Children are written before the parent so that a client that sees the parent
        ``completed`` finds its children completed too.
        """
        with self._lock:
            current = self.store.get(parent["id"])
            if current is None or current["status"] not in expected:
                return False
            for child_id in current["children"]:
                extra = (child_changes or {}).get(child_id, {})
                self.store.update(
                    child_id, {"status": status, **changes, **extra}, only_if_status=expected
                )
            self.store.update(parent["id"], {"status": status, **changes})
            return True

    def _track(self, family: List[str]) -> None:
        """Create the completion event shared by a parent (first) and its children."""
        event = threading.Event()
        with self._events_lock:
            for job_id in family:
                self._done[job_id] = event

    def _finished(self, job_id: str) -> None:
        """Release waiters of the family of ``job_id`` (final, deleted or shutting down)."""
        self._started.pop(job_id, None)
        with self._events_lock:
            event = self._done.get(job_id)
            if event is None:
                return
            for key in [k for k, v in self._done.items() if v is event]:
                del self._done[key]
        event.set()

    # ----------------------------------------------------------------- workers
    def _work(self, small_only: bool) -> None:
        while True:
            job_id = self._queue.get(small_only=small_only)
            if job_id is None or self._stopped:
                return
            try:
                self._run(job_id)
            except Exception:  # keep the worker alive whatever happens
                if self._stopped:  # e.g. the store closed under a late simulation
                    log.debug("job %s abandoned at shutdown", job_id, exc_info=True)
                else:
                    log.exception("emulator worker failed on job %s", job_id)

    def _run(self, job_id: str) -> None:
        need, _ = self._estimates.pop(job_id, (0, 0))
        abort = self._aborts[job_id] = Abort(timeout_error=self._timeout_error)
        try:
            if not self.budget.reserve(need, abort):
                return  # canceled or deleted while waiting for memory
            try:
                self._simulate(job_id, abort)
            finally:
                self.budget.release(need)
        except Aborted:
            log.debug("simulation of job %s stopped (canceled, deleted or shutting down)", job_id)
        finally:
            self._aborts.pop(job_id, None)

    def _timeout_error(self) -> BaseException:
        return self.sim.JobFailure(  # type: ignore[no-any-return]
            "SimulationTimeout",
            f"The simulation ran longer than this emulator's limit of {self.max_job_seconds:g} s.",
        )

    def _simulate(self, job_id: str, abort: Abort) -> None:
        record = self.store.get(job_id, full=True)
        if record is None or record["status"] != "running" or abort.is_set:
            return
        seed = None if self.seed is None else self.seed + int(record["seq"])
        expected = len(record["children"]) or 1
        body = request_body(record["body"])
        del record  # the histograms of the run, not the request, should be what is held
        began = time.perf_counter()
        abort.deadline = time.monotonic() + self.max_job_seconds  # not counting the wait
        try:
            if self._takes_stop:
                results = self.sim.execute(body, seed=seed, stop=abort.check)
            else:
                results = self.sim.execute(body, seed=seed)
            del body
            outcome: Union[List[Any], Dict[str, str]] = list(results)
            if len(outcome) != expected:  # never leave a job "running" for ever
                raise RuntimeError(f"{len(outcome)} results for {expected} circuit(s)")
        except self.sim.JobFailure as exc:
            outcome = {"code": exc.code, "error": exc.message}
        except Aborted:
            raise
        except Exception:
            log.exception("simulation of job %s crashed", job_id)
            outcome = {"code": "SimulationError", "error": "The emulator's simulator crashed."}
        elapsed = time.perf_counter() - began
        started = self._started.get(job_id, time.monotonic() - elapsed)
        remaining = self.delays.running - (time.monotonic() - started)
        if remaining > 0:
            self._timer.call_later(remaining, self._complete, job_id, outcome)
        else:
            self._complete(job_id, outcome)

    def _complete(self, job_id: str, outcome: Union[List[Any], Dict[str, str]]) -> None:
        """Store the simulation outcome, unless the job was canceled or deleted meanwhile."""
        if self._stopped:
            return  # the store may already be closed
        record = self.store.get(job_id)
        if record is None:
            return
        now = int(time.time())
        started = self._started.get(job_id)
        exec_ms = int(round((time.monotonic() - started) * 1000)) if started else 0
        if isinstance(outcome, dict):
            ok = self._transition(
                record, ("running",), "failed", {"failure": outcome, "response": now, "body": None}
            )
        else:
            changes, child_changes = completion_fields(record, outcome, now, exec_ms)
            changes["body"] = None  # the request is not needed any more (memory, store size)
            ok = self._transition(record, ("running",), "completed", changes, child_changes)
        if ok:
            self._finished(job_id)

    # ----------------------------------------------------------------- queries / actions
    def get(self, job_id: str, *, wait: bool = True, full: bool = False) -> Optional[Record]:
        """Return a live record (``full``: with the request body and histograms); in fast
        mode wait briefly for an in-flight job to finish."""
        record = self.store.get(job_id, full=full)
        if wait and record is not None and record["status"] not in FINAL and self.delays.zero:
            event = self._done.get(job_id)
            if event is not None and self.get_wait > 0 and event.wait(self.get_wait):
                record = self.store.get(job_id, full=full)
        return record

    def cancel(self, job_id: str) -> Optional[Record]:
        """Cancel a job's family if not final; no-op on a final job (§8.2).

        Returns:
            The record after the attempt (``None`` when unknown).
        """
        record = self.store.get(job_id)
        if record is None:
            return None
        head = self.store.get(record["parent"]) if record["parent"] else record
        if head is not None and self._transition(
            head,
            ("submitted", "ready", "running"),
            "canceled",
            {"response": int(time.time()), "body": None},
        ):
            self._stop_simulation(head["id"])
            self._finished(head["id"])
        return self.store.get(job_id)

    def delete(self, job_ids: Collection[str]) -> None:
        """Delete jobs (a parent takes its children along); in-flight work is discarded."""
        doomed: List[str] = []
        with self._lock:
            for job_id in job_ids:
                record = self.store.get(job_id)
                if record is not None:
                    doomed += [job_id, *record["children"]]
            self.store.delete(doomed)
        for job_id in doomed:
            self._stop_simulation(job_id)
            self._finished(job_id)

    def _stop_simulation(self, job_id: str) -> None:
        abort = self._aborts.get(job_id)
        if abort is not None:
            abort.set()

    def reset(self) -> None:
        """Forget every job; in-flight work finds its job gone and is discarded."""
        with self._lock:
            self.store.clear()
        for abort in list(self._aborts.values()):
            abort.set()
        with self._events_lock:
            events = list(self._done.values())
            self._done.clear()
        for event in events:
            event.set()

    def stop(self) -> None:
        """Stop the timer and workers without waiting for a running simulation."""
        self._stopped = True
        self._timer.stop()
        self._queue.close()
        for abort in list(self._aborts.values()):
            abort.set()
        with self._events_lock:
            events = list(self._done.values())
        for event in events:
            event.set()  # release GETs waiting on in-flight jobs
