"""One provider shared by 8 threads: 200 jobs, every result correct, nothing duplicated.

The threads start together (a barrier) and each asks the shared provider for its own
backend, so the provider's lazily built client, its connection pool and the emulator are all
hit concurrently. Every circuit prepares a different basis state, so a result delivered to
the wrong job, or counts mixed between jobs, would show.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from qiskit import QuantumCircuit

THREADS = 8
JOBS = 200
QUBITS = 8  # 2**8 = 256 distinct basis states >= JOBS
SHOTS = 50


def basis_circuit(index: int) -> QuantumCircuit:
    """Prepare |index> (qubit 0 = least significant bit) and measure it in reverse order."""
    qc = QuantumCircuit(QUBITS, QUBITS, name=f"job-{index}")
    for qubit in range(QUBITS):
        if (index >> qubit) & 1:
            qc.x(qubit)
    qc.barrier()
    for qubit in range(QUBITS):
        qc.measure(qubit, QUBITS - 1 - qubit)  # clbit = mirror of the qubit
    return qc


def expected_key(index: int) -> str:
    # clbit c holds qubit QUBITS-1-c; Qiskit prints clbit 0 right-most.
    bits = [(index >> (QUBITS - 1 - c)) & 1 for c in range(QUBITS)]
    return "".join(str(b) for b in reversed(bits))


def test_one_provider_eight_threads_two_hundred_jobs(provider, emulator):
    barrier = threading.Barrier(THREADS)
    backends = []
    lock = threading.Lock()

    def worker(thread: int) -> list:
        barrier.wait()
        backend = provider.get_backend("ionq_simulator")
        with lock:
            backends.append(backend)
        out = []
        for index in range(thread, JOBS, THREADS):
            job = backend.run(basis_circuit(index), shots=SHOTS)
            out.append((index, job))
        # Read back after all submissions of this thread, to interleave with others' POSTs.
        return [(index, job.job_id(), job.result(timeout=60).get_counts()) for index, job in out]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = [row for rows in pool.map(worker, range(THREADS)) for row in rows]

    assert len(results) == JOBS
    wrong = {
        index: counts for index, _, counts in results if counts != {expected_key(index): SHOTS}
    }
    assert not wrong
    ids = [job_id for _, job_id, _ in results]
    assert len(set(ids)) == JOBS
    # One provider -> one client (one connection pool) for every backend and thread.
    assert len({id(backend.client) for backend in backends}) == 1
    stats = emulator.stats()
    assert stats["jobs_created"] == JOBS
    assert stats["duplicate_jobs"] == 0
    assert set(emulator.job_ids()) == set(ids)


def test_threads_share_one_client_through_faults(provider, emulator):
    """The same sharing, with 20% of job reads answered 502 and 10% of POSTs stored, then 502."""
    emulator.faults.add(route="POST /jobs", kind="store_then_fail", status=502, rate=0.1)
    emulator.faults.add(route="GET /jobs/{id}", kind="status", status=502, rate=0.2)
    # Fast retries: the default policy's backoff is fine for users but slow for a test.
    from qiskit_ionq.api.retry import RetryPolicy
    from qiskit_ionq.ionq_client import IonQClient
    from qiskit_ionq.ionq_job import IonQJob

    client = IonQClient(
        "tok-concurrency",
        emulator.url,
        retry_policy=RetryPolicy(
            max_attempts=10, base_delay=0.02, max_delay=0.2, reconcile_delay=0.0
        ),
    )
    backend = provider.get_backend("ionq_simulator")
    options = dict(backend.options.items())

    def one(index: int) -> tuple:
        job = IonQJob(
            backend,
            None,
            client,
            circuit=basis_circuit(index),
            passed_args={**options, "shots": SHOTS},
        )
        job.submit()
        return index, job.job_id(), job.result(timeout=60).get_counts()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(one, range(64)))
    assert all(counts == {expected_key(i): SHOTS} for i, _, counts in results)
    stats = emulator.stats()
    assert stats["duplicate_jobs"] == 0 and stats["jobs_created"] == 64
    assert sum(rule["fired"] for rule in stats["faults"]) > 0
