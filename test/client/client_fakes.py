"""Test doubles of the client tests: a fake clock (nothing sleeps) and a stateful fake API.

The fake API is a requests-mock stand-in for the v0.3 job routes (docs/reference/ionq-api.md §2):
POST /jobs stores the job, GET /jobs lists newest first with a `next` cursor, GET /jobs/{id}
returns one job. Each POST can be scripted to fail in the ways that matter for exactly-once
submission: before sending, or after the job was stored.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any, Dict, List
from urllib.parse import parse_qs, urlsplit

import requests
import urllib3

from qiskit_ionq.constants import SUBMISSION_ID_KEY

BASE = "https://api.ionq.test/v0.3"
TOKEN = "tok-SECRET-5f2b9c1d7e"
ENV_VARS = (
    "QISKIT_IONQ_API_TOKEN",
    "IONQ_API_KEY",
    "IONQ_API_TOKEN",
    "QISKIT_IONQ_API_URL",
    "IONQ_API_URL",
)


class FakeClock:
    """A monotonic clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: List[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def refused() -> requests.exceptions.ConnectionError:
    """What requests raises when the TCP connection is refused (nothing was sent)."""
    reason = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection")
    return requests.exceptions.ConnectionError(
        urllib3.exceptions.MaxRetryError(None, "/v0.3/jobs", reason)
    )


def reset() -> requests.exceptions.ConnectionError:
    """What requests raises when the server drops the connection after the request."""
    return requests.exceptions.ConnectionError(
        urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
    )


class FakeIonQ:
    """Stateful fake of the job routes, mounted on a requests-mock Mocker."""

    def __init__(self, mocker: Any) -> None:
        self.jobs: List[Dict[str, Any]] = []  # oldest first
        self.script: List[str] = []  # one action per POST; "ok" once exhausted
        self.posts: List[Dict[str, Any]] = []
        self.list_calls = 0
        mocker.post(f"{BASE}/jobs", text=self._post)
        mocker.get(f"{BASE}/jobs", json=self._list)
        mocker.get(re.compile(re.escape(BASE) + r"/jobs/[^/]+$"), json=self._get)

    def add_old_jobs(self, count: int, sid: Any = None) -> None:
        for _ in range(count):
            self.jobs.insert(
                0,
                {
                    "id": uuid.uuid4().hex,
                    "status": "completed",
                    "request": 1_600_000_000,
                    "metadata": None if sid is None else {SUBMISSION_ID_KEY: sid},
                },
            )

    def _store(self, body: Dict[str, Any]) -> Dict[str, Any]:
        job = {
            "id": str(uuid.uuid4()),
            "status": "ready",
            "request": int(time.time()),
            "metadata": body.get("metadata"),
            "children": [],
        }
        self.jobs.append(job)
        return job

    def _post(self, request: Any, context: Any) -> str:
        body = request.json()
        self.posts.append(body)
        action = self.script.pop(0) if self.script else "ok"
        if action == "refuse":
            raise refused()
        if action == "429":
            context.status_code = 429
            context.headers["Retry-After"] = "2"
            return '{"statusCode": 429, "error": "Too Many Requests", "message": "slow down"}'
        if action == "502_nostore":
            context.status_code = 502
            return "<html><body>502 Bad Gateway</body></html>"
        if action == "500_nostore":
            context.status_code = 500
            return '{"statusCode": 500, "error": "Internal Server Error", "message": "boom"}'
        if action == "timeout_nostore":
            raise requests.exceptions.ReadTimeout("Read timed out. (read timeout=30)")
        job = self._store(body)
        if action == "store_502":
            context.status_code = 502
            return "<html><body>502 Bad Gateway</body></html>"
        if action == "store_500":
            context.status_code = 500
            return '{"statusCode": 500, "error": "Internal Server Error", "message": "boom"}'
        if action == "store_timeout":
            raise requests.exceptions.ReadTimeout("Read timed out. (read timeout=30)")
        if action == "store_reset":
            raise reset()
        if action == "store_badjson":
            return '{"id": "' + job["id"][:5]
        assert action == "ok", action
        return json.dumps({"id": job["id"], "status": "ready", "request": job["request"]})

    def _list(self, request: Any, context: Any) -> Dict[str, Any]:
        self.list_calls += 1
        query = parse_qs(urlsplit(request.url).query)
        limit = int(query.get("limit", ["25"])[0])
        start = int(query.get("next", ["0"])[0])
        newest_first = list(reversed(self.jobs))
        page = newest_first[start : start + limit]
        data: Dict[str, Any] = {"jobs": page}
        if start + limit < len(newest_first):
            data["next"] = str(start + limit)
        return data

    def _get(self, request: Any, context: Any) -> Dict[str, Any]:
        job_id = urlsplit(request.url).path.rsplit("/", 1)[-1]
        for job in self.jobs:
            if job["id"] == job_id:
                return job
        context.status_code = 404
        return {"statusCode": 404, "error": "Not Found", "message": "no such job"}
