"""Job stores (memory and SQLite) and persistence of the emulator across restarts."""

from __future__ import annotations

import threading

import pytest
from test_server_support import FakeSimulator, job_body, multi_body, session, wait_status

from qiskit_ionq.emulator import IonQEmulator, MemoryStore, SqliteStore
from qiskit_ionq.emulator.store import open_store


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    made = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "jobs.sqlite")
    yield made
    made.close()


def rec(job_id, status="completed", parent=None, **extra):
    return {"id": job_id, "status": status, "parent": parent, "children": [], "request": 1, **extra}


def test_add_get_update(store):
    stored = store.add([rec("a", body={"x": [1, 2]}), rec("b", parent="a")])
    assert [r["seq"] for r in stored] == [1, 2]
    assert store.get("a", full=True)["body"] == {"x": [1, 2]}
    assert store.get("zzz") is None
    new = store.update("a", {"status": "running", "start": 5})
    assert new["status"] == "running" and new["start"] == 5
    assert store.get("a")["status"] == "running"
    assert store.get("a", full=True)["body"] == {"x": [1, 2]}  # kept by the update
    assert store.update("nope", {"status": "x"}) is None


def test_update_compare_and_set(store):
    store.add([rec("a", status="running")])
    assert store.update("a", {"status": "completed"}, only_if_status=("ready",)) is None
    assert store.get("a")["status"] == "running"
    assert store.update("a", {"status": "canceled"}, only_if_status=("running",))
    assert store.get("a")["status"] == "canceled"


def test_delete_leaves_tombstone(store):
    store.add([rec("a", body={"big": "x" * 100}), rec("b")])
    store.delete(["a", "unknown"])
    assert store.get("a") is None
    dead = store.get("a", include_deleted=True)
    assert dead["status"] == "deleted" and "body" not in dead
    assert store.update("a", {"status": "completed"}) is None
    assert [r["id"] for r in store.list()[0]] == ["b"]


def test_list_newest_first_filters_and_cursor(store):
    store.add([rec(f"j{i}", status="failed" if i % 2 else "completed") for i in range(7)])
    store.add([rec("child", parent="j6")])
    page, cursor = store.list(limit=3)
    assert [r["id"] for r in page] == ["j6", "j5", "j4"] and cursor == "j3"
    page, cursor = store.list(limit=3, cursor=cursor)
    assert [r["id"] for r in page] == ["j3", "j2", "j1"] and cursor == "j0"
    page, cursor = store.list(limit=3, cursor=cursor)
    assert [r["id"] for r in page] == ["j0"] and cursor is None
    assert [r["id"] for r in store.list(status="failed")[0]] == ["j5", "j3", "j1"]
    assert [r["id"] for r in store.list(ids=["j1", "j4", "x"])[0]] == ["j4", "j1"]
    with pytest.raises(KeyError):
        store.list(cursor="nope")


def test_unfinished_and_clear(store):
    store.add([rec("a", status="running"), rec("b"), rec("c", status="submitted")])
    assert [r["id"] for r in store.unfinished()] == ["a", "c"]
    store.clear()
    assert store.get("a") is None and store.list() == ([], None)


def test_thread_safety(store):
    def worker(n):
        for i in range(25):
            store.add([rec(f"{n}-{i}", status="running")])
            store.update(f"{n}-{i}", {"status": "completed"}, only_if_status=("running",))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records, cursor = store.list(limit=1000)
    assert len(records) == 100 and cursor is None
    assert {r["status"] for r in records} == {"completed"}
    assert len({r["seq"] for r in records}) == 100


def test_open_store(tmp_path):
    assert isinstance(open_store(None), MemoryStore)
    existing = MemoryStore()
    assert open_store(existing) is existing
    sqlite = open_store(str(tmp_path / "s.sqlite"))
    assert isinstance(sqlite, SqliteStore)
    sqlite.close()


def test_restarted_emulator_serves_old_jobs_and_results(tmp_path):
    path = tmp_path / "emu.sqlite"
    http = session()
    with IonQEmulator(store=path, simulator=FakeSimulator()) as first:
        single = http.post(f"{first.url}/jobs", json=job_body(x=(1,))).json()["id"]
        multi = http.post(f"{first.url}/jobs", json=multi_body(3)).json()["id"]
        wait_status(http, f"{first.url}/jobs/{multi}", {"completed"})
        deleted = http.post(f"{first.url}/jobs", json=job_body()).json()["id"]
        http.delete(f"{first.url}/jobs/{deleted}")
        before = http.get(f"{first.url}/jobs/{multi}").json()
    with IonQEmulator(store=path, simulator=FakeSimulator()) as second:
        assert http.get(f"{second.url}/jobs/{single}/results").json() == {"2": 1.0}
        assert http.get(f"{second.url}/jobs/{multi}").json() == before
        results = http.get(f"{second.url}/jobs/{multi}/results").json()
        assert list(results) == before["children"]
        assert http.get(f"{second.url}/jobs/{deleted}").status_code == 404
        assert [j["id"] for j in http.get(f"{second.url}/jobs").json()["jobs"]] == [multi, single]
        newer = http.post(f"{second.url}/jobs", json=job_body()).json()["id"]
        assert second.job_ids()[0] == newer


def test_unfinished_jobs_are_rerun_after_restart(tmp_path):
    path = tmp_path / "emu.sqlite"
    http = session()
    blocked = FakeSimulator()
    blocked.gate = threading.Event()
    first = IonQEmulator(store=path, simulator=blocked, get_wait=0.01).start()
    try:
        job_id = http.post(f"{first.url}/jobs", json=multi_body(2)).json()["id"]
        assert http.get(f"{first.url}/jobs/{job_id}").json()["status"] == "running"
    finally:
        first.stop()  # the simulation is still blocked: the job is left "running"
        blocked.gate.set()
    fresh = FakeSimulator()
    with IonQEmulator(store=path, simulator=fresh) as second:
        job = wait_status(http, f"{second.url}/jobs/{job_id}", {"completed"})
        assert job["status"] == "completed" and fresh.calls == 1
        for child in job["children"]:
            assert http.get(f"{second.url}/jobs/{child}").json()["status"] == "completed"


def test_sqlite_reads_heavy_fields_only_when_asked_and_keeps_histograms(tmp_path):
    """Status polls and listings of finished big jobs must not load their histograms."""
    import numpy as np

    from qiskit_ionq.emulator.simulation.histogram import Histogram

    store = SqliteStore(tmp_path / "jobs.sqlite")
    try:
        hist = Histogram(np.full(1 << 12, 1 / (1 << 12)))
        sparse = Histogram(np.array([0.25, 0.75]), np.array([3, 9]))
        store.add([rec("a", body={"x": 1}, results=hist, sharpened=sparse)])
        light = store.get("a")
        assert not {"body", "results", "sharpened"} & set(light)
        assert all(not {"results", "body"} & set(r) for r in store.list()[0])
        full = store.get("a", full=True)
        assert isinstance(full["results"], Histogram) and full["results"] == hist
        assert full["sharpened"] == {"3": 0.25, "9": 0.75} and full["body"] == {"x": 1}
        store.update("a", {"body": None, "status": "completed"})  # drop one heavy field
        again = store.get("a", full=True)
        assert "body" not in again and again["results"] == hist
    finally:
        store.close()


def test_two_emulators_cannot_share_a_store_file(tmp_path):
    from qiskit_ionq.emulator.store import StoreLockedError

    path = tmp_path / "jobs.sqlite"
    with IonQEmulator(simulator=FakeSimulator(), store=path):
        with pytest.raises(StoreLockedError, match="in use by another emulator"):
            IonQEmulator(simulator=FakeSimulator(), store=path).start()
    with IonQEmulator(simulator=FakeSimulator(), store=path):  # released on stop
        pass
