"""``IonQEmulator``: the local IonQ API server (v0.3 and v0.4) as a Python object.

It wires the pieces together (store -> job manager -> API -> HTTP server on a daemon thread)
and offers the test knobs: job delays, fault injection, statistics, warnings.

    with IonQEmulator() as emu:                  # 127.0.0.1, a free port
        backend = emu.provider().get_backend("ionq_simulator")
        emu.faults.add(route="POST /jobs", kind="store_then_fail", status=502)
        print(emu.url, emu.stats()["duplicate_jobs"])
"""

from __future__ import annotations

import importlib
import ipaddress
import logging
import os
import threading
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional

from .budget import parse_bytes
from .faults import FaultInjector
from .httpd import (
    HEADER_TIMEOUT,
    MAX_BODY,
    MAX_CONNECTIONS,
    EmulatorHTTPServer,
    EmulatorHTTPServer6,
)
from .jobs import JobDelays, render_job
from .lifecycle import JobManager
from .security import AccessPolicy
from .server import Api
from .simulation.catalog import Catalog
from .stats import Stats
from .store import JobStore, MemoryStore, open_store
from .v04_jobs import FeatureSettings, FeatureSimulator

if TYPE_CHECKING:  # for the annotation of provider() only: the server never imports the client
    from qiskit_ionq.ionq_provider import IonQProvider

log = logging.getLogger("qiskit_ionq.emulator")

DEFAULT_TOKEN = "emulator"  # what provider() sends when any key is accepted


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost: treat as remote


class IonQEmulator:
    """A local IonQ API server (v0.3 and v0.4 over one job store) with a real simulator inside.

    Args:
        host: address to bind. Anything but a loopback address needs ``allow_remote=True``
            and ``api_keys`` (a remote emulator without keys would be an open job runner).
        port: TCP port; 0 picks a free one (read it back from :attr:`port` / :attr:`url`).
        api_keys: accepted API keys; ``None`` accepts any non-empty key (a placeholder or a
            real token works locally). A missing ``Authorization`` header is always 401.
        store: ``None`` keeps jobs in memory; a path keeps them in a SQLite file that
            survives a restart (jobs interrupted by the shutdown are re-run on start);
            a :class:`~.store.JobStore` instance is used as is.
        job_delays: seconds spent in ``submitted``/``ready``/``running``: one number for
            all phases, a dict such as ``{"running": 0.5}``, or ``None`` (as fast as possible).
        seed: seeds the fault RNG and the simulations (job ``n`` uses ``seed + n``).
        allow_remote: permit a non-loopback ``host``.
        workers: simulation worker threads.
        get_wait: with zero delays, how long ``GET /jobs/{id}`` may wait for an in-flight job
            so that the client's first poll sees it completed (seconds).
        job_warnings: messages attached as ``warning.messages`` to every new job (also
            settable later with :meth:`set_job_warnings`).
        simulator: replacement for :mod:`qiskit_ionq.emulator.simulation.simulator` (tests),
            an object with ``JobFailure``, ``validate_job``, ``execute``,
            ``predicted_execution_time_ms``.
        admin_key: key of the ``/_emulator`` admin routes; see :mod:`.security` for who may
            call them without one.
        allowed_hosts: ``Host`` names served besides loopback ones (DNS-rebinding check;
            with ``allow_remote`` every name is served).
        max_body: largest request body in bytes.
        max_connections: open client connections served at once (more get a 503).
        header_timeout: seconds a request may take to send its line and headers.
        max_memory: bytes (or a size such as ``"8G"``) that running simulations may use
            together; default half of the RAM (29-qubit ideal jobs need about 5.1 GiB). A job
            needing more is refused when submitted (HTTP 400, ``MemoryLimitExceeded``; see
            :mod:`.budget`).
        max_job_seconds: longest simulation of one job (then ``SimulationTimeout``).
        api_version: the version :attr:`url` and :meth:`provider` use (``"v0.3"`` or
            ``"v0.4"``). Both are always served, from one job store: ``/v0.3/...`` and
            ``/v0.4/...`` (:meth:`url_for`).

    Raises:
        ValueError: non-loopback host without ``allow_remote`` and keys, or empty keys.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        api_keys: Optional[Iterable[str]] = None,
        store: JobStore | str | os.PathLike[str] | None = None,
        *,
        job_delays: JobDelays | float | Dict[str, float] | None = None,
        seed: Optional[int] = None,
        allow_remote: bool = False,
        workers: int = 4,
        get_wait: float = 0.5,
        job_warnings: Optional[Iterable[str]] = None,
        simulator: Any = None,
        admin_key: Optional[str] = None,
        allowed_hosts: Iterable[str] = (),
        max_body: int = MAX_BODY,
        max_connections: int = MAX_CONNECTIONS,
        header_timeout: float = HEADER_TIMEOUT,
        max_memory: int | str | None = None,
        max_job_seconds: float = 600.0,
        api_version: str = "v0.3",
    ) -> None:
        if api_version not in ("v0.3", "v0.4"):
            raise ValueError(f"api_version must be 'v0.3' or 'v0.4', got {api_version!r}")
        if isinstance(api_keys, str):
            raise ValueError("api_keys must be a collection of keys, e.g. ['key'], not a string")
        keys = None if api_keys is None else frozenset(api_keys)
        if keys is not None and (not keys or not all(isinstance(k, str) and k for k in keys)):
            raise ValueError("api_keys must be None or a non-empty collection of non-empty keys")
        if not _is_loopback(host):
            if not allow_remote:
                raise ValueError(
                    f"refusing to bind {host!r}: it is not a loopback address. Pass "
                    "allow_remote=True (CLI: --allow-remote) and api_keys to serve other machines."
                )
            if keys is None:
                raise ValueError(
                    f"binding {host!r} with allow_remote=True also requires api_keys "
                    "(CLI: --api-key KEY), or anyone on the network could run jobs"
                )
        if admin_key is not None and (not isinstance(admin_key, str) or not admin_key):
            raise ValueError("admin_key must be a non-empty string")
        hosts = [allowed_hosts] if isinstance(allowed_hosts, str) else list(allowed_hosts)
        self.access = AccessPolicy(
            keys, admin_key=admin_key, allowed_hosts=hosts, any_host=allow_remote
        )
        self._server_limits: Dict[str, Any] = {
            "max_body": max_body,
            "max_connections": max_connections,
            "header_timeout": header_timeout,
        }
        self.max_memory = parse_bytes(max_memory) if isinstance(max_memory, str) else max_memory
        if self.max_memory is not None and (
            isinstance(self.max_memory, bool)
            or not isinstance(self.max_memory, int)
            or self.max_memory < 1
        ):
            raise ValueError(f"max_memory must be a positive number of bytes, got {max_memory!r}")
        if not (isinstance(max_job_seconds, (int, float)) and 0 < max_job_seconds < float("inf")):
            raise ValueError(
                f"max_job_seconds must be a positive finite number, got {max_job_seconds!r}"
            )
        self.max_job_seconds = float(max_job_seconds)
        self._host = host
        self._requested_port = port
        self.api_keys = keys
        self._store_arg = store
        self._delays = JobDelays.coerce(job_delays)
        self.seed = seed
        self.workers = workers
        self.get_wait = get_wait
        self._job_warnings = list(job_warnings or [])
        self._simulator = simulator
        #: Switches of the v0.4-only features (leakage rate and leaking systems, feed-forward,
        #: estimate body shape, cost unit); a live object: changes apply to new jobs.
        self.v04_settings = FeatureSettings()
        #: The version :attr:`url` (and so :meth:`provider`) points at; both are served.
        self.api_version = api_version
        self.faults = FaultInjector(seed)
        self._stats = Stats()
        self._memory_store: Optional[JobStore] = None
        self._server: Optional[EmulatorHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._manager: Optional[JobManager] = None
        self._store: Optional[JobStore] = None
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> IonQEmulator:
        """Bind the socket and serve on a background daemon thread.

        Returns:
            ``self`` (so ``emu = IonQEmulator().start()`` works).

        Raises:
            RuntimeError: already running.
            OSError: the port is taken.
        """
        with self._lock:
            if self._server is not None:
                raise RuntimeError("the emulator is already running")
            if self._store_arg is None:
                # Memory jobs survive stop()/start() of the same object.
                self._memory_store = self._memory_store or MemoryStore()
                store: JobStore = self._memory_store
            else:
                store = open_store(self._store_arg)
            simulator = FeatureSimulator(
                self._simulator or importlib.import_module(f"{__package__}.simulation.simulator"),
                self.v04_settings,
            )  # OpenQASM 3 jobs and dry runs beside the JSON-circuit simulator
            manager = JobManager(
                store,
                simulator,
                delays=self._delays,
                seed=self.seed,
                workers=self.workers,
                get_wait=self.get_wait,
                max_memory=self.max_memory,
                max_job_seconds=self.max_job_seconds,
            )
            manager.job_warnings = self._job_warnings
            api = Api(manager, Catalog(), self.faults, self._stats, self.access)
            api.v04.features.settings = self.v04_settings
            api.on_reset = self.reset
            server_class = EmulatorHTTPServer6 if ":" in self._host else EmulatorHTTPServer
            try:
                server = server_class(
                    (self._host, self._requested_port), api, **self._server_limits
                )
            except BaseException:
                manager.stop()
                if store is not self._memory_store:
                    store.close()
                raise
            restarted = manager.recover()
            if restarted:
                log.info("re-running %d job(s) interrupted by the previous shutdown", restarted)
            self._store, self._manager, self._server = store, manager, server
            self._thread = threading.Thread(
                target=server.serve_until_stopped,
                name=f"ionq-emulator-{self.port}",
                daemon=True,
            )
            self._thread.start()
            log.info("IonQ emulator serving at %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and every connection; idempotent and prompt.

        A simulation still running on a worker is abandoned (its thread is a daemon and its
        result is discarded).
        """
        with self._lock:
            server, manager, store = self._server, self._manager, self._store
            self._server = self._manager = self._store = None
            if server is None:
                return
            server.stop_serving()
            if self._thread is not None:
                self._thread.join(timeout=5)
            server.close_connections()  # after the accept loop ended: no connection slips by
            server.server_close()
            server.api.results_cache.close()
            if manager is not None:
                manager.stop()
            if store is not None and store is not self._memory_store:
                store.close()
            self._thread = None

    def __enter__(self) -> IonQEmulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._server is not None

    # ----------------------------------------------------------------- addresses
    @property
    def host(self) -> str:
        """The bound host."""
        return self._host

    @property
    def port(self) -> int:
        """The bound port (the real one once started, even when created with ``port=0``)."""
        if self._server is not None:
            return int(self._server.server_address[1])
        return self._requested_port

    @property
    def url(self) -> str:
        """Base URL of the API in :attr:`api_version`, e.g. ``http://127.0.0.1:54321/v0.3``."""
        return self.url_for(self.api_version)

    def url_for(self, version: str) -> str:
        """Base URL of one API version the emulator serves (``"v0.3"`` or ``"v0.4"``)."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        if version not in ("v0.3", "v0.4"):
            raise ValueError(f"unknown API version {version!r}; the emulator serves v0.3, v0.4")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}/{version}"

    def provider(self, **kwargs: Any) -> IonQProvider:
        """An ``IonQProvider`` wired to this emulator.

        Args:
            **kwargs: passed to ``IonQProvider`` (e.g. ``custom_headers``); ``token``
                defaults to the first accepted key (or a placeholder), ``url`` to :attr:`url`.
        """
        from qiskit_ionq import IonQProvider  # lazy: the server side never imports the client

        if self.api_keys:
            kwargs.setdefault("token", sorted(self.api_keys)[0])
        kwargs.setdefault("token", DEFAULT_TOKEN)
        kwargs.setdefault("url", self.url)
        return IonQProvider(**kwargs)

    # ----------------------------------------------------------------- test knobs
    @property
    def job_delays(self) -> JobDelays:
        """Per-phase delays; assignable at runtime (applies to phases entered afterwards)."""
        return self._delays

    @job_delays.setter
    def job_delays(self, value: JobDelays | float | Dict[str, float] | None) -> None:
        self._delays = JobDelays.coerce(value)
        if self._manager is not None:
            self._manager.delays = self._delays

    def set_job_warnings(self, messages: Optional[Iterable[str]]) -> None:
        """Attach ``warning.messages`` to every job created from now on (``None`` clears).

        A single job can also ask for warnings itself with
        ``settings: {"emulator_warnings": ["..."]}`` in its body.
        """
        self._job_warnings[:] = list(messages or [])

    def stats(self) -> Dict[str, Any]:
        """Counters, as served by ``GET /_emulator/stats``.

        Returns:
            A dict such as::

                {"requests": {"POST /jobs": {"200": 3, "502": 1}, ...}, "requests_total": n,
                 "jobs_created": n, "submission_ids": n, "duplicates": {submission_id: count},
                 "duplicate_jobs": n, "faults": [rule, ...]}
        """
        snapshot = self._stats.snapshot()
        snapshot["faults"] = [rule.to_dict() for rule in self.faults.rules]
        return snapshot

    def reset(self) -> None:
        """Forget every job, counter and fault (``POST /_emulator/reset``)."""
        self.faults.clear()
        self._stats.reset()
        if self._manager is not None:
            self._manager.reset()
        elif self._memory_store is not None:
            self._memory_store.clear()
        server = self._server
        if server is not None:
            server.api.forget_results()

    def get_job(self, job_id: str) -> Optional[Dict[str, Any]]:
        """The job object ``GET /jobs/{id}`` would return now, or ``None``."""
        if self._manager is None:
            raise RuntimeError("the emulator is not running")
        record = self._manager.get(job_id, wait=False)
        return None if record is None else render_job(record)

    def job_ids(self) -> List[str]:
        """Ids of all live top-level jobs, newest first."""
        if self._manager is None:
            raise RuntimeError("the emulator is not running")
        ids: List[str] = []
        cursor = None
        while True:
            records, cursor = self._manager.store.list(limit=1000, cursor=cursor)
            ids += [r["id"] for r in records]
            if cursor is None:
                return ids

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"IonQEmulator({where})"
