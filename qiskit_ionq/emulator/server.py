"""HTTP side of the emulator: routes of API v0.3, authentication, error bodies, admin routes.

:class:`Api` maps a decoded request to a :class:`Response` without touching sockets, and
:mod:`.http` (the stdlib ``http.server`` glue) puts it on the wire, applying faults.

Conventions (docs/reference/ionq-api.md §§1.2, 1.4, 7.1 and Appendix A):

* Every route lives under ``/v0.3``, and again under ``/v0.4`` with that version's bodies
  (:mod:`.v04`, handlers in :mod:`.server_v04`): one store, so a job created through one
  version is visible through the other. v0.3 successes are HTTP 200 with a JSON body; a
  v0.4 create answers 201.
* Errors are ``{"error": <name>, "message": <text>, "statusCode": <code>}`` (``statusCode`` is
  always present: a string ``error`` without it crashes qiskit's parser, §7.1).
* Auth is ``Authorization: apiKey <key>``, required everywhere except ``GET /backends``.
  A missing or malformed header is **401 Unauthorized**; a well-formed key that is not
  accepted is **403 Forbidden**. That follows the usual HTTP meaning, and coincides with the
  v0.3 error table's own naming quirk (§7.1: *Forbidden* = key not authenticated).
* ``/results`` on a job that is not ``completed`` is **400 Bad Request** naming the status
  (§8.17: undocumented; 400 tells a client "do not retry this as is").
* ``DELETE /jobs`` and ``PUT /jobs/status/cancel`` take ids from the query (``ids``,
  repeatable or comma-separated) or from a JSON body ``{"ids": [...]}`` (§8.16); they
  are all-or-nothing: one unknown id gives 404 and nothing is changed.
* Admin routes live outside ``/v0.3`` under ``/_emulator`` (stats, faults, reset); who may
  call them, the ``Host`` check and per-key job lists are :mod:`.security`'s rules.
* Routes match exactly: no trailing slash, no ``.``/``..`` segment (``/jobs/`` is not the job
  list: a client that normalizes ``/jobs/.`` into it must get a 404, not every job).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional, Tuple

from .faults import FaultInjector, FaultRule, cdn_error_page, reason
from .http_api import (  # noqa: F401 - names other modules and tests take from here
    ADMIN,
    JSON_TYPE,
    KEY,
    MAX_PAGE,
    PUBLIC,
    ApiError,
    Handler,
    Query,
    Response,
    _ids,
    error_response,
    int_param,
    json_response,
    single_param,
)
from .jobs import STATUSES, RequestError, render_job, results_source
from .lifecycle import JobManager
from .results_cache import EncodedResults, FileBody
from .security import AccessDenied, AccessPolicy
from .simulation.catalog import Catalog
from .stats import Stats
from .store import Record

API_PREFIX = "/v0.3"
V04_PREFIX = "/v0.4"
#: The API versions served, by path prefix; route templates are relative to them.
API_PREFIXES = (API_PREFIX, V04_PREFIX)
ADMIN_PREFIX = "/_emulator"


def fault_response(rule: FaultRule) -> Response:
    """The error answer of a ``status`` / ``store_then_fail`` fault rule."""
    status = int(rule.status or 502)
    headers = {}
    if rule.retry_after_header is not None:
        headers["Retry-After"] = rule.retry_after_header
    if rule.html_body:
        return Response(status, cdn_error_page(status).encode(), "text/html", headers)
    return error_response(status, f"Injected fault: {status} {reason(status)}.", headers)


def api_relative(path: str) -> Optional[str]:
    """``path`` relative to its API version prefix (``/v0.4/jobs`` -> ``/jobs``), or None."""
    for prefix in API_PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix) :].rstrip("/") or "/"
    return None


class Api:
    """Route table and handlers. Thread-safe: state lives in the manager, store and stats.

    Args:
        manager: the job state machine.
        catalog: backends and characterizations.
        faults: fault rules (managed through the admin routes).
        stats: request/job counters.
        access: keys, admin key and Host rules (default: any key, loopback hosts only).

    The route table below is the one place that maps paths to handlers: a new API version
    adds its rows (a prefix, templates and handlers) next to these.
    """

    def __init__(
        self,
        manager: JobManager,
        catalog: Catalog,
        faults: FaultInjector,
        stats: Stats,
        access: Optional[AccessPolicy] = None,
    ) -> None:
        self.manager, self.catalog, self.faults, self.stats = manager, catalog, faults, stats
        self.access = access or AccessPolicy()
        job = r"(?P<job_id>[^/]+)"
        backend = r"(?P<backend>[^/]+)"
        # (path regex, route template, {method: handler}, who may call it)
        table: List[Tuple[str, str, Dict[str, Handler], str]] = [
            (
                "/jobs",
                "/jobs",
                {"GET": self.list_jobs, "POST": self.create_job, "DELETE": self.delete_jobs},
                KEY,
            ),
            ("/jobs/status/cancel", "/jobs/status/cancel", {"PUT": self.cancel_jobs}, KEY),
            (f"/jobs/{job}", "/jobs/{id}", {"GET": self.get_job, "DELETE": self.delete_job}, KEY),
            (
                f"/jobs/{job}/status/cancel",
                "/jobs/{id}/status/cancel",
                {"PUT": self.cancel_job},
                KEY,
            ),
            (f"/jobs/{job}/results", "/jobs/{id}/results", {"GET": self.results}, KEY),
            ("/backends", "/backends", {"GET": self.backends}, PUBLIC),
            (
                f"/characterizations/backends/{backend}/current",
                "/characterizations/backends/{backend}/current",
                {"GET": self.char_current},
                KEY,
            ),
            (
                f"/characterizations/backends/{backend}",
                "/characterizations/backends/{backend}",
                {"GET": self.char_history},
                KEY,
            ),
            (
                r"/characterizations/(?P<char_id>[^/]+)",
                "/characterizations/{id}",
                {"GET": self.char_by_id},
                KEY,
            ),
            ("/calibrations/current", "/calibrations/current", {"GET": self.calibration}, KEY),
        ]
        from .server_v04 import V04Handlers

        v4 = self.v04 = V04Handlers(self)
        # The /v0.4 tree: same templates (so faults and stats name routes alike), v0.4
        # handlers where the bodies differ, the shared ones where they do not.
        table_v04: List[Tuple[str, str, Dict[str, Handler], str]] = [
            (
                "/jobs",
                "/jobs",
                {"GET": v4.list_jobs, "POST": v4.create_job, "DELETE": self.delete_jobs},
                KEY,
            ),
            ("/jobs/status/cancel", "/jobs/status/cancel", {"PUT": self.cancel_jobs}, KEY),
            (f"/jobs/{job}", "/jobs/{id}", {"GET": v4.get_job, "DELETE": self.delete_job}, KEY),
            (
                f"/jobs/{job}/status/cancel",
                "/jobs/{id}/status/cancel",
                {"PUT": v4.cancel_job},
                KEY,
            ),
            (
                f"/jobs/{job}/results/probabilities",
                "/jobs/{id}/results/probabilities",
                {"GET": v4.results},
                KEY,
            ),
            (
                f"/jobs/{job}/results/probabilities/aggregated",
                "/jobs/{id}/results/probabilities/aggregated",
                {"GET": v4.results},
                KEY,
            ),
            ("/backends", "/backends", {"GET": v4.backends}, PUBLIC),
            (f"/backends/{backend}", "/backends/{backend}", {"GET": v4.backend}, PUBLIC),
            (
                f"/backends/{backend}/characterizations",
                "/backends/{backend}/characterizations",
                {"GET": v4.characterizations},
                PUBLIC,
            ),
            (
                f"/backends/{backend}/characterizations/(?P<char_id>[^/]+)",
                "/backends/{backend}/characterizations/{id}",
                {"GET": v4.characterization},
                KEY,
            ),
            ("/whoami", "/whoami", {"GET": v4.whoami}, KEY),
            ("/health", "/health", {"GET": v4.health}, PUBLIC),
        ]
        table_v04 = v4.features.routes(job) + table_v04  # cost, shots, artifacts, sessions
        self._routes = [
            (re.compile(re.escape(prefix) + pattern + "$"), template, handlers, auth)
            for prefix, routes in ((API_PREFIX, table), (V04_PREFIX, table_v04))
            for pattern, template, handlers, auth in routes
        ]
        admin: List[Tuple[str, Dict[str, Handler]]] = [
            ("/stats", {"GET": self.admin_stats}),
            (
                "/faults",
                {
                    "GET": self.admin_faults,
                    "POST": self.admin_add_faults,
                    "DELETE": self.admin_clear_faults,
                },
            ),
            ("/reset", {"POST": self.admin_reset}),
        ]
        self._routes += [
            (
                re.compile(re.escape(ADMIN_PREFIX + path) + "$"),
                ADMIN_PREFIX + path,
                handlers,
                ADMIN,
            )
            for path, handlers in admin
        ]
        self.on_reset: Optional[Callable[[], None]] = None
        self.results_cache = EncodedResults()

    # ----------------------------------------------------------------- dispatch
    def route(self, path: str) -> Tuple[Optional[str], Optional[re.Match], Dict[str, Handler], str]:
        """Find the route of ``path``: ``(template, match, handlers, access)``."""
        if "/./" in path + "/" or "/../" in path + "/":
            return None, None, {}, PUBLIC
        for pattern, template, handlers, access in self._routes:
            match = pattern.match(path)
            if match:
                return template, match, handlers, access
        return None, None, {}, PUBLIC

    def admit(self, headers: Any, matched: Tuple[Any, ...]) -> Optional[str]:
        """Check the Host, Origin and key rules of a request before its body is read.

        Args:
            headers: the request headers.
            matched: the result of :meth:`route`.

        Returns:
            The caller's owner id for per-key job lists (``None``: jobs are shared).

        Raises:
            ApiError: 401/403 with the reason (never the key).
        """
        try:
            self.access.check_host(headers)
            level = matched[3]
            if level == ADMIN:
                self.access.check_not_browser(headers)
                self.access.check_admin(headers)
            elif level == KEY and matched[0] is not None:
                return self.access.owner(headers)
        except AccessDenied as exc:
            raise ApiError(exc.status, exc.message) from None
        return None

    def handle(
        self,
        method: str,
        path: str,
        query: Query,
        headers: Any,
        body: Any,
        matched: Tuple[Any, ...],
        owner: Optional[str] = None,
    ) -> Response:
        """Answer one decoded, admitted request.

        Args:
            method, path, query, headers, body: the decoded request.
            matched: the result of :meth:`route`.
            owner: what :meth:`admit` returned (jobs of other owners are invisible).
        """
        template, match, handlers, _ = matched
        try:
            if template is None:
                raise ApiError(404, f"No route for {method} {path}.")
            handler = handlers.get(method)
            if handler is None:
                allowed = ", ".join(sorted(handlers))
                raise ApiError(
                    405, f"{method} is not allowed on {path}; use {allowed}.", {"Allow": allowed}
                )
            answer = handler(query=query, body=body, owner=owner, **match.groupdict())
            if isinstance(answer, Response):
                return answer
            return json_response(answer)
        except ApiError as exc:
            return error_response(exc.status, exc.message, exc.headers)

    def _job(
        self, job_id: str, owner: Optional[str], *, wait: bool = True, full: bool = False
    ) -> Record:
        record = self.manager.get(job_id, wait=wait, full=full)
        if record is None or record.get("owner") != owner:  # another account's job: a 404
            raise ApiError(404, f"Job {job_id} not found.")
        return record

    # ----------------------------------------------------------------- jobs
    def create_job(self, body: Any, owner: Optional[str], **_: Any) -> Dict[str, Any]:
        """``POST /jobs``: answers ``{"id", "status": "ready", "request"}`` (§2.1)."""
        try:
            record = self.manager.create(body, owner=owner)
        except RequestError as exc:
            raise ApiError(400, str(exc)) from None
        self.stats.job_created(record)
        return {"id": record["id"], "status": "ready", "request": record["request"]}

    def list_jobs(self, query: Query, body: Any, owner: Optional[str], **_: Any) -> Dict[str, Any]:
        """``GET /jobs``: newest first, filters ``status``/``id``, cursor ``next`` (§2.3).

        Newest first lets a client find what it just submitted on the first page. ``limit``
        comes from the query or, as Cirq sends it, from a JSON body. Child jobs are not listed.
        """
        records, cursor = self.list_page(query, body, owner)
        page: Dict[str, Any] = {"jobs": [render_job(r) for r in records]}
        if cursor is not None:
            page["next"] = cursor  # absent on the last page: Cirq stops on that
        return page

    def list_page(
        self, query: Query, body: Any, owner: Optional[str]
    ) -> Tuple[List[Record], Optional[str]]:
        """One page of ``GET /jobs`` (both versions): ``(records, next cursor or None)``."""
        status = single_param(query, "status")
        if status is not None and status not in STATUSES:
            raise ApiError(400, f"Unknown status {status!r}; expected one of {list(STATUSES)}.")
        ids = [part for value in query.get("id", []) for part in value.split(",") if part]
        limit_value = single_param(query, "limit")
        if limit_value is None and isinstance(body, dict):
            limit_value = body.get("limit")
        limit = 25 if limit_value is None else int_param(limit_value, "limit", 1, MAX_PAGE)
        try:
            records, cursor = self.manager.store.list(
                status=status,
                ids=ids or None,
                limit=limit,
                cursor=single_param(query, "next"),
                owner=owner,
            )
        except KeyError:
            raise ApiError(400, "Unknown 'next' cursor.") from None
        return records, cursor

    def get_job(self, job_id: str, query: Query, owner: Optional[str], **_: Any) -> Dict[str, Any]:
        """``GET /jobs/{id}`` with optional ``include``/``exclude`` field lists (§2.2)."""

        def fields(name: str) -> Optional[List[str]]:
            values = query.get(name)
            return [f for v in values for f in v.split(",") if f] if values else None

        return render_job(
            self._job(job_id, owner), include=fields("include"), exclude=fields("exclude")
        )

    def delete_job(self, job_id: str, owner: Optional[str], **_: Any) -> Dict[str, Any]:
        """``DELETE /jobs/{id}``; the job is a 404 afterwards (§2.6)."""
        self._job(job_id, owner, wait=False)
        family = self._family([job_id])
        self.manager.delete([job_id])
        self.forget_results(family)
        return {"id": job_id, "status": "deleted"}

    def delete_jobs(
        self, query: Query, body: Any, owner: Optional[str], **_: Any
    ) -> Dict[str, Any]:
        """``DELETE /jobs`` (many), all-or-nothing."""
        ids = self._known(_ids(query, body), owner)
        family = self._family(ids)
        self.manager.delete(ids)
        self.forget_results(family)
        return {"ids": ids, "status": "deleted"}

    def cancel_job(self, job_id: str, owner: Optional[str], **_: Any) -> Dict[str, Any]:
        """``PUT /jobs/{id}/status/cancel``: answers the status after the attempt (§8.2)."""
        self._job(job_id, owner, wait=False)
        record = self.manager.cancel(job_id)
        if record is None:
            raise ApiError(404, f"Job {job_id} not found.")
        return {"id": job_id, "status": record["status"]}

    def cancel_jobs(
        self, query: Query, body: Any, owner: Optional[str], **_: Any
    ) -> Dict[str, Any]:
        """``PUT /jobs/status/cancel``: documented shape plus each job's resulting status."""
        ids = self._known(_ids(query, body), owner)
        jobs = []
        for job_id in ids:
            record = self.manager.cancel(job_id)
            jobs.append({"id": job_id, "status": record["status"] if record else "deleted"})
        return {"ids": ids, "status": "canceled", "jobs": jobs}

    def _known(self, ids: List[str], owner: Optional[str]) -> List[str]:
        missing = []
        for job_id in ids:
            record = self.manager.store.get(job_id)
            if record is None or record.get("owner") != owner:
                missing.append(job_id)
        if missing:
            raise ApiError(404, f"Job(s) not found: {', '.join(missing)}; nothing was changed.")
        return ids

    def results(self, job_id: str, query: Query, owner: Optional[str], **_: Any) -> Response:
        """``GET /jobs/{id}/results[?sharpen=true|false]`` (§§2.8, 6)."""
        sharpen = self.sharpen_param(query)
        record = self._job(job_id, owner, full=True)
        if record["status"] != "completed":
            detail = ""
            if record["status"] == "failed" and record.get("failure"):
                detail = f" ({record['failure'].get('code')}: {record['failure'].get('error')})"
            raise ApiError(
                400,
                f"Job {job_id} is {record['status']}{detail}; results exist only for "
                "completed jobs.",
            )
        source = results_source(record, sharpen=sharpen)
        if sharpen and source is results_source(record):
            sharpen = False  # same histogram object: share one encoded body
        body = self.results_cache.get((job_id, sharpen), source)
        if isinstance(body, FileBody):
            return Response(200, b"", file=body)
        return Response(200, body)

    @staticmethod
    def sharpen_param(query: Query) -> bool:
        """The ``sharpen`` query parameter (``true``/``false``, any case; default false)."""
        value = (single_param(query, "sharpen") or "false").strip().lower()
        if value not in ("true", "false", "1", "0"):
            raise ApiError(400, f"'sharpen' must be true or false, got {value!r}.")
        return value in ("true", "1")

    def forget_results(self, job_ids: Optional[List[str]] = None) -> None:
        """Drop cached ``/results`` bodies of ``job_ids`` (all when ``None``)."""
        self.results_cache.forget(job_ids)

    def _family(self, job_ids: List[str]) -> List[str]:
        """``job_ids`` and their children (what a delete takes along)."""
        family = list(job_ids)
        for job_id in job_ids:
            record = self.manager.store.get(job_id)
            if record is not None:
                family += record["children"]
        return family

    # ----------------------------------------------------------------- catalog
    def backends(self, **_: Any) -> List[Dict[str, Any]]:
        """``GET /backends``: a bare array, no auth (§2.9)."""
        return self.catalog.backends()

    def char_current(self, backend: str, **_: Any) -> Dict[str, Any]:
        """``GET /characterizations/backends/{backend}/current`` (QPUs only)."""
        current = self.catalog.current(backend)
        if current is None:
            raise ApiError(404, f"No characterization for backend {backend!r}.")
        return current

    def char_history(self, backend: str, query: Query, **_: Any) -> Dict[str, Any]:
        """``GET /characterizations/backends/{backend}?start=&end=&limit=&page=``."""
        params = {
            "start_ms": single_param(query, "start"),
            "end_ms": single_param(query, "end"),
        }
        bounds = {k: int_param(v, k[:-3], 0) for k, v in params.items() if v is not None}
        limit = int_param(single_param(query, "limit") or 10, "limit", 1, 10)
        page = int_param(single_param(query, "page") or 1, "page", 1)
        history = self.catalog.history(backend, limit=limit, page=page, **bounds)
        if history is None:
            raise ApiError(404, f"No characterizations for backend {backend!r}.")
        return history

    def char_by_id(self, char_id: str, **_: Any) -> Dict[str, Any]:
        """``GET /characterizations/{id}``."""
        found = self.catalog.by_id(char_id)
        if found is None:
            raise ApiError(404, f"Characterization {char_id} not found.")
        return found

    def calibration(self, **_: Any) -> Dict[str, Any]:
        """Legacy ``GET /calibrations/current`` (Cirq, §2.11)."""
        return self.catalog.legacy_calibration()

    # ----------------------------------------------------------------- admin
    def admin_stats(self, **_: Any) -> Dict[str, Any]:
        """``GET /_emulator/stats``: request counters, jobs created, duplicates, faults."""
        snapshot = self.stats.snapshot()
        snapshot["faults"] = [rule.to_dict() for rule in self.faults.rules]
        return snapshot

    def admin_faults(self, **_: Any) -> Dict[str, Any]:
        """``GET /_emulator/faults``."""
        return {"faults": [rule.to_dict() for rule in self.faults.rules]}

    def admin_add_faults(self, body: Any, **_: Any) -> Dict[str, Any]:
        """``POST /_emulator/faults``: body ``{"faults": [spec|object...], "replace": bool}``.

        A bare list, a single spec string or a single rule object are accepted too.
        """
        replace = isinstance(body, dict) and bool(body.get("replace"))
        if isinstance(body, dict) and "faults" in body:
            body = body["faults"]
        specs = body if isinstance(body, list) else [body]
        try:
            checker = FaultInjector()
            for spec in specs:
                checker.add_spec(spec)  # validate everything before changing anything
        except (TypeError, ValueError) as exc:
            raise ApiError(400, f"Invalid fault: {exc}") from None
        if replace:
            self.faults.clear()
        for spec in specs:
            self.faults.add_spec(spec)
        return self.admin_faults()

    def admin_clear_faults(self, **_: Any) -> Dict[str, Any]:
        """``DELETE /_emulator/faults``."""
        self.faults.clear()
        return {"faults": []}

    def admin_reset(self, **_: Any) -> Dict[str, Any]:
        """``POST /_emulator/reset``: forget all jobs, counters and faults."""
        if self.on_reset is not None:
            self.on_reset()  # IonQEmulator.reset, which also drops the cached bodies
        self.forget_results()
        return {"status": "reset"}
