"""Fault injection: make the emulator misbehave the way a real cloud API (or its CDN) does.

The hazards worth reproducing are listed in docs/reference/ionq-api.md (§7.3 retriable codes,
§7.5 lost and duplicated jobs, ionq-api.md Appendix A, item 10 test hooks). Each :class:`FaultRule`
matches requests by method and route and then, once, N times, or at a seeded random rate:

``status``
    answer with an HTTP error status instead of handling the request (429/503 carry a
    ``Retry-After`` header; 409, 502 and 520-529 get an HTML body like a CDN error page,
    everything else the vendor's JSON error body).
``reset``
    close the connection without any response (TCP reset), before handling the request.
``slow``
    handle the request normally, but wait ``delay`` seconds before answering, so a client
    read timeout fires *after* the server acted (a POST that times out still created a job).
``slow_accept``
    wait ``delay`` seconds *before* handling the request, then handle it and answer
    normally. On ``POST /jobs`` the job is stored only after the delay, so for that long it
    is in no listing: a client whose read timeout fires first cannot find its job yet, and
    finds it once the delay is over (a server still validating a large job). The job is
    stored even if the client has given up and closed the connection.
``store_then_fail`` / ``store_then_reset``
    meant for ``POST /jobs``: create the job, then answer with an error status (default 502)
    or reset the connection. This is what exposes duplicate submissions by a retrying client.
    On other routes the action (cancel, delete...) likewise happens before the failure. A
    request the API itself rejects (e.g. 400) gets its real answer, and still uses up the
    rule.

Rules are set with :meth:`FaultInjector.add` (Python), ``POST /_emulator/faults`` (HTTP) or
``--fault SPEC`` (command line, syntax in :func:`parse_fault_spec`).
"""

from __future__ import annotations

import fnmatch
import html
import math
import random
import threading
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from typing import Any, Dict, List, Optional, Union

KINDS = ("status", "reset", "slow", "slow_accept", "store_then_fail", "store_then_reset")

_SPEC_FIELDS = frozenset(
    {"route", "kind", "status", "times", "rate", "after", "delay", "retry_after", "body"}
)

# Statuses that a CDN (Cloudflare in front of api.ionq.co) produces: HTML, not JSON (§7.3).
_HTML_STATUSES = frozenset({409, 502, *range(520, 530)})
_RETRY_AFTER_STATUSES = frozenset({429, 503})

# Cloudflare's names for its 52x origin errors (not in http.HTTPStatus).
_CDN_REASONS = {
    520: "Web Server Returned an Unknown Error",
    521: "Web Server Is Down",
    522: "Connection Timed Out",
    523: "Origin Is Unreachable",
    524: "A Timeout Occurred",
    525: "SSL Handshake Failed",
    526: "Invalid SSL Certificate",
    527: "Railgun Error",
    528: "Origin Error",
    529: "Site Is Overloaded",
}

FAULT_SPEC_HELP = """\
Fault SPEC syntax: "[METHOD ]ROUTE:WHAT[:key=value]...", e.g.
  "POST /jobs:502:times=2"             two 502s (HTML body), then normal answers
  "GET /jobs/{id}:503:rate=0.3"        30% of job GETs answer 503 (Retry-After: 1)
  "POST /jobs:store_then_fail"         create the job, then answer 502 (once)
  "POST /jobs:store_then_reset"        create the job, then reset the connection
  "GET /jobs/*/results:slow:delay=5"   answer results after 5 s
  "POST /jobs:slow_accept:delay=40"    store the job (and answer) only after 40 s
  "* *:500:rate=0.2"                   20% of all API requests answer 500 (JSON body)
  "* *:reset:rate=0.05"                reset 5% of all connections
METHOD is GET/POST/PUT/DELETE or * (default *). ROUTE is a path under /v0.3 or /v0.4, written
as the route template (/jobs/{id}) or a glob on the real path (/jobs/*).
WHAT is an HTTP status (409, 429, 500, 502, 503, 504, 520-529, ...) or a kind:
reset, slow, slow_accept, store_then_fail, store_then_reset.
Options: times=N|inf (default 1, or inf with rate), rate=P (0..1, seeded RNG),
after=N (let N matching requests through first), delay=S (seconds before answering),
status=N, retry_after=S, body=html|json."""


def reason(status: int) -> str:
    """Return the reason phrase for ``status`` (also the ``error`` name of JSON bodies)."""
    if status in _CDN_REASONS:
        return _CDN_REASONS[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def cdn_error_page(status: int) -> str:
    """Return an HTML error page like the one Cloudflare serves for ``status``.

    Clients must cope with a non-JSON error body (ionq-api.md §7.1: qiskit keeps it as
    raw text); this is the body they get from a real CDN.
    """
    title = html.escape(f"{status} {reason(status)}")
    return (
        "<!DOCTYPE html>\n<html>\n<head><title>"
        f"{title}</title></head>\n<body>\n<center><h1>{title}</h1></center>\n"
        "<hr><center>cloudflare</center>\n</body>\n</html>\n"
    )


@dataclass
class FaultRule:
    """One fault: which requests it matches, what it does, and how often.

    Attributes:
        route: ``"METHOD PATH"`` or just ``"PATH"`` (any method). ``PATH`` is relative to
            ``/v0.3`` (or ``/v0.4``: both trees share templates) and matches either the
            route template (``/jobs/{id}``) or, as a glob, the concrete path (``/jobs/*``).
            ``"*"`` matches every route.
        kind: one of :data:`KINDS`.
        status: HTTP status for ``status`` / ``store_then_fail`` (default 502 for the latter).
        times: how many times the rule fires; ``None`` means unlimited.
        rate: probability that a matching request is hit (drawn from a seeded RNG).
        after: number of matching requests to let through before the rule starts firing.
        delay: seconds to wait before answering (the whole point of ``slow``; allowed on any
            kind), or, for ``slow_accept``, before handling the request.
        retry_after: ``Retry-After`` header value in seconds (default 1 for 429/503).
        body: ``"html"`` or ``"json"`` error body; default HTML for CDN statuses (409, 502,
            520-529), JSON otherwise.
        fired: how many times the rule has fired so far.
    """

    route: str
    kind: str = "status"
    status: Optional[int] = None
    times: Optional[int] = 1
    rate: Optional[float] = None
    after: int = 0
    delay: float = 0.0
    retry_after: Optional[float] = None
    body: Optional[str] = None
    fired: int = 0
    _seen: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        self._check_types()
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {KINDS}")
        if self.kind == "status" and self.status is None:
            raise ValueError("a 'status' fault needs status=<HTTP code>")
        if self.kind == "store_then_fail" and self.status is None:
            self.status = 502
        if self.status is not None and not 400 <= int(self.status) <= 599:
            raise ValueError(f"fault status must be an HTTP error code, got {self.status}")
        if self.rate is not None and not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be within [0, 1], got {self.rate}")
        if self.times is not None and self.times < 0:
            raise ValueError(f"fault times must be >= 0, got {self.times}")
        if self.kind in ("slow", "slow_accept") and not self.delay > 0:
            raise ValueError(f"a {self.kind!r} fault needs delay=<seconds> > 0")
        if self.delay < 0 or self.after < 0:
            raise ValueError("fault delay and after must be >= 0")
        if self.body not in (None, "html", "json"):
            raise ValueError(f"fault body must be 'html' or 'json', got {self.body!r}")
        method, _, path = self.route.strip().rpartition(" ")
        self._method = (method.strip() or "*").upper()
        self._path = path if path in ("*", "") or path.startswith("/") else "/" + path
        self._path = self._path or "*"

    def _check_types(self) -> None:
        """Field types first: a rule arrives as JSON over HTTP and must fail as a 400."""
        if not isinstance(self.route, str) or len(self.route) > 1000:
            raise ValueError(f"fault route must be a string like 'POST /jobs', got {self.route!r}")
        if not isinstance(self.kind, str):
            raise ValueError(f"fault kind must be a string, got {self.kind!r}")
        for name in ("status", "times", "after"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"fault {name} must be an integer, got {value!r}")
        for name in ("rate", "delay", "retry_after"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"fault {name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"fault {name} must be finite, got {value!r}")
        if self.after is None:
            raise ValueError("fault after must be an integer >= 0")

    @property
    def exhausted(self) -> bool:
        """True once the rule has fired ``times`` times."""
        return self.times is not None and self.fired >= self.times

    def matches(self, method: str, template: Optional[str], path: str) -> bool:
        """Tell whether this rule is about the request ``method path`` (ignoring counts)."""
        if self._method != "*" and self._method != method:
            return False
        if self._path == "*" or self._path == template:
            return True
        return fnmatch.fnmatchcase(path, self._path)

    @property
    def html_body(self) -> bool:
        """True when the error body should be a CDN HTML page rather than JSON."""
        if self.body is not None:
            return self.body == "html"
        return self.status in _HTML_STATUSES

    @property
    def retry_after_header(self) -> Optional[str]:
        """``Retry-After`` value to send, or ``None``."""
        if self.retry_after is not None:
            return str(max(0, round(self.retry_after)))
        if self.status in _RETRY_AFTER_STATUSES:
            return "1"
        return None

    def to_dict(self) -> Dict[str, Any]:
        """JSON-friendly description (for ``GET /_emulator/faults`` and stats)."""
        data = asdict(self)
        data.pop("_seen", None)
        return data


class FaultInjector:
    """The emulator's set of fault rules; thread-safe, with a seeded RNG for ``rate``.

    Args:
        seed: seed of the RNG that decides rate-based faults (reproducible fault patterns).
    """

    def __init__(self, seed: Optional[int] = None) -> None:
        self._lock = threading.Lock()
        self._rules: List[FaultRule] = []
        self._rng = random.Random(seed)

    def add(self, route: str = "*", kind: str = "status", **options: Any) -> FaultRule:
        """Add a fault rule.

        Example: ``emu.faults.add(route="POST /jobs", kind="store_then_fail", status=502,
        times=1)``. Without ``times`` the rule fires once, or without limit when ``rate`` is
        given.

        Args:
            route: ``"METHOD PATH"`` (see :class:`FaultRule`).
            kind: one of :data:`KINDS`; an ``int`` is taken as ``kind="status", status=int``.
            **options: other :class:`FaultRule` fields (``status``, ``times``, ``rate``,
                ``after``, ``delay``, ``retry_after``, ``body``).

        Returns:
            The rule (its ``fired`` counter shows how often it hit).
        """
        if isinstance(kind, int):
            options["status"], kind = kind, "status"
        if "times" not in options:
            options["times"] = None if options.get("rate") is not None else 1
        rule = FaultRule(route=route, kind=kind, **options)
        with self._lock:
            self._rules.append(rule)
        return rule

    def add_spec(self, spec: str | Dict[str, Any]) -> FaultRule:
        """Add a rule from a CLI-style spec string or a JSON object (``POST /_emulator/faults``)."""
        if isinstance(spec, str):
            return self.add(**parse_fault_spec(spec))
        if not isinstance(spec, dict):
            raise ValueError(f"a fault must be a spec string or an object, got {spec!r}")
        options = {k: v for k, v in spec.items() if k != "fired"}
        unknown = sorted(str(k) for k in set(options) - _SPEC_FIELDS)
        if unknown:
            raise ValueError(f"unknown fault field(s) {unknown}; use {sorted(_SPEC_FIELDS)}")
        return self.add(**options)

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> List[FaultRule]:
        """A copy of the current rules (exhausted ones included, for inspection)."""
        with self._lock:
            return list(self._rules)

    def pick(self, method: str, template: Optional[str], path: str) -> Optional[FaultRule]:
        """Decide whether the request ``method path`` gets a fault, consuming one use.

        The first live matching rule decides; every matching rule counts the request towards
        its ``after`` allowance.

        Args:
            method: HTTP method.
            template: matched route template relative to ``/v0.3`` (``None`` if unrouted).
            path: concrete path relative to ``/v0.3``.

        Returns:
            The rule that fires, or ``None`` for a normal answer.
        """
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or not rule.matches(method, template, path):
                    continue
                rule._seen += 1
                if rule._seen <= rule.after:
                    continue
                if rule.rate is not None and self._rng.random() >= rule.rate:
                    continue
                rule.fired += 1
                return rule
        return None


def _number(text: str) -> Union[int, float]:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def parse_fault_spec(spec: str) -> Dict[str, Any]:
    """Parse a ``--fault`` spec into :meth:`FaultInjector.add` keyword arguments.

    Syntax (see :data:`FAULT_SPEC_HELP`): ``"[METHOD ]ROUTE:WHAT[:key=value]..."``, where
    ``WHAT`` is an HTTP status or a kind name.

    Args:
        spec: the spec text, e.g. ``"POST /jobs:502:times=2"``.

    Returns:
        Keyword arguments for :meth:`FaultInjector.add`.

    Raises:
        ValueError: the spec is malformed.
    """
    parts = [p.strip() for p in spec.split(":")]
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise ValueError(f"fault spec {spec!r}: expected '[METHOD ]ROUTE:STATUS|KIND[:k=v]...'")
    options: Dict[str, Any] = {"route": parts[0]}
    what = parts[1]
    if what.isdigit():
        options["kind"], options["status"] = "status", int(what)
    elif what in KINDS:
        options["kind"] = what
    else:
        raise ValueError(f"fault spec {spec!r}: {what!r} is neither a status nor one of {KINDS}")
    for item in parts[2:]:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep:
            raise ValueError(f"fault spec {spec!r}: option {item!r} is not key=value")
        try:
            if key == "times":
                options[key] = None if value in ("inf", "*", "always") else int(value)
            elif key in ("after", "status"):
                options[key] = int(value)
            elif key in ("rate", "delay", "retry_after"):
                options[key] = _number(value)
            elif key == "body":
                options[key] = value
            else:
                raise ValueError(f"unknown option {key!r}")
        except ValueError as exc:
            raise ValueError(f"fault spec {spec!r}: bad option {item!r} ({exc})") from None
    FaultRule(**options)  # validate now, so a bad --fault fails at startup
    return options
