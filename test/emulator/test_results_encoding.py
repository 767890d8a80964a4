"""``/results`` bodies: encoded once per completed job, byte-exact, dropped on delete/reset.

Also the once-per-job parse of stored bodies (plain dicts from other callers are parsed on
every call) and the job ids.
"""

from __future__ import annotations

import json
import threading
import uuid

import pytest
from test_server_support import session, wait_status

from qiskit_ionq.emulator import IonQEmulator
from qiskit_ionq.emulator import jobs as jobs_module
from qiskit_ionq.emulator.jobs import encode_results
from qiskit_ionq.emulator.simulation import simulator
from qiskit_ionq.emulator.simulation.simulator import StoredBody


def _h_body(qubits: int, **extra):
    body = {
        "target": "simulator",
        "shots": 100,
        "name": "dense",
        "input": {
            "format": "ionq.circuit.v0",
            "gateset": "qis",
            "qubits": qubits,
            "circuit": [{"gate": "h", "target": q} for q in range(qubits)]
            + [{"gate": "rx", "target": 0, "rotation": 0.3}],
        },
    }
    body.update(extra)
    return body


@pytest.fixture
def emu():
    with IonQEmulator() as emulator:
        yield emulator


@pytest.fixture
def http():
    with session() as s:
        yield s


def _completed(http, emu, body):
    response = http.post(f"{emu.url}/jobs", json=body)
    assert response.status_code == 200, response.text
    job_id = response.json()["id"]
    job = wait_status(http, f"{emu.url}/jobs/{job_id}", {"completed", "failed"})
    assert job["status"] == "completed", job
    return job_id


def test_encode_results_is_exact_compact_json_in_order():
    values = [0.1, 1 / 3, 1e-300, 5e-324, 0.30000000000000004, 1.0, 2.5e-07]
    hist = {str(k): v for k, v in zip([7, 3, 100, 0, 12, 5, 9], values)}
    text = encode_results(hist).decode()
    assert text == json.dumps(hist, separators=(",", ":"))
    decoded = json.loads(text)
    assert list(decoded) == list(hist)  # key order kept
    assert all(decoded[k] == v for k, v in hist.items())  # repr: exact round trip
    parent = {"child-b": {"1": 0.5, "0": 0.5}, "child-a": {"3": 1.0}}
    assert list(json.loads(encode_results(parent))) == ["child-b", "child-a"]


def test_results_bytes_cached_and_shared_between_sharpen_choices(http, emu):
    job_id = _completed(http, emu, _h_body(10))
    first = http.get(f"{emu.url}/jobs/{job_id}/results")
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "application/json"
    histogram = first.json()
    assert len(histogram) == 1024
    assert abs(sum(histogram.values()) - 1) < 1e-12
    api = emu._server.api
    assert api.results_cache.keys() == [(job_id, False)]
    again = http.get(f"{emu.url}/jobs/{job_id}/results")
    sharp = http.get(f"{emu.url}/jobs/{job_id}/results", params={"sharpen": "true"})
    assert again.content == first.content == sharp.content
    assert api.results_cache.keys() == [(job_id, False)]  # ideal: one object, one body
    record = emu._manager.store.get(job_id)
    assert first.content == json.dumps(dict(record["results"]), separators=(",", ":")).encode()

    http.delete(f"{emu.url}/jobs/{job_id}")
    assert http.get(f"{emu.url}/jobs/{job_id}/results").status_code == 404
    assert not api.results_cache.keys() and api.results_cache.nbytes == 0


def test_reset_drops_cached_bodies(http, emu):
    job_id = _completed(http, emu, _h_body(10))
    assert http.get(f"{emu.url}/jobs/{job_id}/results").status_code == 200
    assert emu._server.api.results_cache.keys()
    emu.reset()
    assert not emu._server.api.results_cache.keys()
    job_id = _completed(http, emu, _h_body(10))
    assert http.get(f"{emu.url}/jobs/{job_id}/results").status_code == 200
    assert http.post(f"{emu.url[: -len('/v0.3')]}/_emulator/reset").status_code == 200
    assert not emu._server.api.results_cache.keys()


def test_noisy_sharpened_results_are_their_own_body(http, emu):
    body = _h_body(
        3, shots=1000, noise={"model": "aria-1", "seed": 5}, error_mitigation={"debias": True}
    )
    job_id = _completed(http, emu, body)
    record = emu._manager.store.get(job_id)
    plain = http.get(f"{emu.url}/jobs/{job_id}/results")
    sharp = http.get(f"{emu.url}/jobs/{job_id}/results", params={"sharpen": "true"})
    assert plain.json() == dict(record["results"])
    assert sharp.json() == dict(record["sharpened"] or record["results"])


def test_multi_circuit_results_keyed_by_child_in_order(http, emu):
    body = _h_body(2)
    program = body["input"]
    program["circuits"] = [
        {"name": f"c{i}", "circuit": [{"gate": "h", "target": q} for q in range(i + 1)]}
        for i in range(4)
    ]
    del program["circuit"]
    program["qubits"] = 4
    job_id = _completed(http, emu, body)
    children = http.get(f"{emu.url}/jobs/{job_id}").json()["children"]
    for _ in range(2):
        results = http.get(f"{emu.url}/jobs/{job_id}/results").json()
        assert list(results) == children
        assert [len(h) for h in results.values()] == [2, 4, 8, 16]
    child = http.get(f"{emu.url}/jobs/{children[2]}/results").json()
    assert child == results[children[2]]


def test_concurrent_first_fetches_encode_once(http, emu, monkeypatch):
    job_id = _completed(http, emu, _h_body(10))
    calls = []
    real = jobs_module.encode_results

    def counting(results):
        calls.append(1)
        return real(results)

    from qiskit_ionq.emulator import results_cache

    monkeypatch.setattr(results_cache, "encode_results", counting)
    bodies = []

    def fetch():
        with session() as s:
            bodies.append(s.get(f"{emu.url}/jobs/{job_id}/results").content)

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(bodies) == 6 and len(set(bodies)) == 1
    assert len(calls) == 1


def test_stored_bodies_parsed_once_plain_dicts_every_time(monkeypatch):
    parses = []
    real = simulator.parse_circuits

    def counting(body):
        parses.append(1)
        return real(body)

    monkeypatch.setattr(simulator, "parse_circuits", counting)
    stored = StoredBody(_h_body(2))
    simulator.validate_job(stored)
    simulator.predicted_execution_time_ms(stored)
    first = simulator.execute(stored)
    assert len(parses) == 1
    simulator.execute(stored)  # execute was the last use: parsed afresh
    assert len(parses) == 2

    plain = _h_body(2)
    simulator.validate_job(plain)
    plain["input"]["circuit"].append({"gate": "x", "target": 1})  # callers may mutate theirs
    second = simulator.execute(plain)
    assert len(parses) == 4
    assert first[0].gate_counts["1q"] + 1 == second[0].gate_counts["1q"]


def test_job_ids_are_unique_version_4_uuids(http, emu):
    ids = set()
    for _ in range(20):
        response = http.post(f"{emu.url}/jobs", json=_h_body(1))
        ids.add(response.json()["id"])
    assert len(ids) == 20
    assert all(uuid.UUID(i).version == 4 for i in ids)


def test_large_bodies_are_written_once_to_a_file_and_streamed(http, emu):
    """Above the threshold a body is encoded into a file once and sent from there."""
    import os

    import numpy as np

    from qiskit_ionq.emulator.simulation.histogram import Histogram, iter_results_json

    job_id = _completed(http, emu, _h_body(12))
    cache = emu._server.api.results_cache
    small = http.get(f"{emu.url}/jobs/{job_id}/results").content
    cache.forget()
    cache.file_threshold = 0
    streamed = [http.get(f"{emu.url}/jobs/{job_id}/results") for _ in range(2)]
    assert all(r.status_code == 200 for r in streamed)
    assert streamed[0].content == streamed[1].content == small
    assert int(streamed[0].headers["Content-Length"]) == len(small)
    assert cache.nbytes == 0 and cache.file_bytes == len(small)  # in a file, not in memory
    (path,) = [f.path for f in cache._files.values()]
    assert os.path.exists(path)
    http.delete(f"{emu.url}/jobs/{job_id}")
    assert not os.path.exists(path) and cache.file_bytes == 0
    # the sliced encoder writes what json.dumps writes, for dense, sparse and nested results
    sparse = Histogram(np.array([0.5, 0.25, 0.25]), np.array([9, 2, 100000]))
    dense = Histogram(np.array([0.1, 0.2, 0.7]))
    for value in (sparse, dense, {"c1": dense, "c2": sparse}):
        plain = {k: dict(v) for k, v in value.items()} if "c1" in value else dict(value)
        assert (
            b"".join(iter_results_json(value)) == json.dumps(plain, separators=(",", ":")).encode()
        )
    assert list(sparse) == ["2", "9", "100000"] and sparse["9"] == 0.5 and "3" not in sparse
