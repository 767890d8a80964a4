"""The ``requests``/``urllib3`` machinery beneath one attempt of the transport.

:mod:`qiskit_ionq.api.transport` decides what a logical request does: its timeouts,
deadlines, retries and the errors a user sees. This module holds what one attempt is made
of at the HTTP-library level, each piece reaching into ``requests``/``urllib3``:

* the session: :func:`new_session` builds it, with a cookie jar that keeps nothing
  (:class:`NoCookies`) and an adapter that caches the pool of each origin
  (:class:`PoolPerOrigin`); :func:`read_environment` reads proxies and the CA bundle once;
* the attempt watchdog: pools that report the connection an attempt uses, and the
  :class:`Cutter` that shuts that socket down when a caller's time limit passes;
* bounded body reading (:func:`read_body`, :class:`BodyLimit`): size and time bounds
  checked while a response streams in;
* :func:`classify_exception` and :func:`describe`: what a ``requests``/``urllib3``/socket
  exception tells about whether the request was sent, and its scrubbed wording.

Kept apart from the send loop so that the loop reads as policy and these pieces, which
depend on library internals (``read1``, ``_get_conn``, the 2.32 adapter hook), can be
checked on their own. Together with the transport it is the only code of the package that
imports ``requests`` or ``urllib3`` (docs/design.md).
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar

from ._http_common import is_loopback_url, scrub
from .retry import Failure

__all__ = [
    "BodyLimit",
    "Cutter",
    "NoCookies",
    "PoolPerOrigin",
    "classify_exception",
    "describe",
    "new_session",
    "read_body",
    "read_environment",
]

_READ_CHUNK = 256 << 10

_R = requests.exceptions
_U = urllib3.exceptions
# Raised before anything is sent and deterministic: repeating cannot help.
_FATAL_REQUESTS_ERRORS: Tuple[type, ...] = (_R.InvalidURL, _R.MissingSchema, _R.InvalidSchema)
_FATAL_REQUESTS_ERRORS += (_R.InvalidHeader, _R.URLRequired, _R.TooManyRedirects, _R.SSLError)


class BodyLimit(Exception):
    """Internal: a response body went past its size or time bound while being read."""

    def __init__(self, message: str, is_timeout: bool) -> None:
        super().__init__(message)
        self.is_timeout = is_timeout


def read_body(
    response: Any, max_bytes: int, read_until: float, clock: Callable[[], float]
) -> bytes:
    """The whole body of a streamed response, within ``max_bytes`` and before ``read_until``.

    Read in chunks so that both bounds are checked as it arrives: ``response.content`` would
    buffer an endless chunked body until memory ran out, and a body trickling one byte per
    read timeout would never end.
    """
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise BodyLimit(
            f"the response declares {int(declared):,} bytes (limit {max_bytes:,})", False
        )
    raw = response.raw
    read1 = getattr(raw, "read1", None)
    if read1 is None:  # urllib3 1.x: reads block until a whole chunk, so use small ones
        pieces = response.iter_content(8192)
    else:
        # read1: whatever one socket read brings (decoded), so the clock is checked even
        # when the server sends a byte at a time; read(n) would wait for all n bytes.
        pieces = iter(lambda: read1(_READ_CHUNK, decode_content=True), b"")
    chunks = []
    size = 0
    for chunk in pieces:
        size += len(chunk)
        if size > max_bytes:
            raise BodyLimit(f"the response body exceeded {max_bytes:,} bytes", False)
        chunks.append(chunk)
        if clock() > read_until:
            raise BodyLimit("the response body did not arrive in time", True)
    return b"".join(chunks)


def classify_exception(exc: BaseException) -> Tuple[Failure, bool]:
    """Map a requests/urllib3/socket exception to (what we know was sent, is a timeout)."""
    if isinstance(exc, _R.ConnectTimeout):
        return Failure.NOT_SENT, True
    if isinstance(exc, _R.ReadTimeout):
        return Failure.MAYBE_SENT, True
    if isinstance(exc, _FATAL_REQUESTS_ERRORS):
        return Failure.FATAL, False
    if isinstance(exc, _R.ProxyError):
        return Failure.NOT_SENT, False  # the proxy refused us: the origin saw nothing
    reason: Any = exc.args[0] if isinstance(exc, _R.ConnectionError) and exc.args else None
    if isinstance(reason, _U.MaxRetryError):
        reason = reason.reason
    if isinstance(reason, _U.NewConnectionError):
        return Failure.NOT_SENT, False  # refused, unreachable or DNS (NameResolutionError)
    if isinstance(reason, _U.ConnectTimeoutError):
        return Failure.NOT_SENT, True
    if isinstance(reason, _U.ProxyError):
        return Failure.NOT_SENT, False
    if isinstance(reason, _U.ReadTimeoutError):
        return Failure.MAYBE_SENT, True  # requests re-raises body read timeouts this way
    # Reset/dropped after sending, truncated or undecodable body, anything unknown: we
    # cannot prove the server did not act, so assume it may have.
    return Failure.MAYBE_SENT, False


def describe(exc: BaseException, secrets: Sequence[str]) -> str:
    """``<innermost exception type>: <text>``, scrubbed of secrets and shortened."""
    reason: Any = exc
    if isinstance(exc, _R.RequestException) and exc.args:
        reason = exc.args[0]
        if isinstance(reason, _U.MaxRetryError) and reason.reason is not None:
            reason = reason.reason
    if not isinstance(reason, BaseException):
        reason = exc
    return scrub(f"{type(reason).__name__}: {reason}", secrets)[:300]


class NoCookies(RequestsCookieJar):
    """A cookie jar that keeps nothing.

    The API authenticates with the ``Authorization`` header and sets no cookies
    (docs/reference/ionq-api.md §1.3), so a cookie could only come from a proxy or CDN, and
    must not ride along on later requests. Not storing any also skips the jar's lock, which
    every response took and concurrent threads contended for.
    """

    def extract_cookies(self, response: Any, request: Any) -> None:
        """Keep nothing."""


_MAX_CACHED_POOLS = 8


class _Watched(threading.local):
    """Per thread: the list that records the connections of the attempt being sent, while a
    caller's deadline is armed for it (see :class:`Cutter`)."""

    connections: Optional[List[Any]] = None


_WATCHED = _Watched()


def _watching(pool_class: Any) -> Any:
    """``pool_class`` that tells :data:`_WATCHED` which connection an attempt uses."""

    class WatchedPool(pool_class):  # type: ignore[misc, valid-type]
        def _get_conn(self, timeout: Any = None) -> Any:
            conn = super()._get_conn(timeout)
            seen = _WATCHED.connections
            if seen is not None:
                seen.append(conn)
            return conn

    WatchedPool.__name__ = WatchedPool.__qualname__ = f"Watched{pool_class.__name__}"
    return WatchedPool


_WATCHED_POOLS = {
    "http": _watching(urllib3.HTTPConnectionPool),
    "https": _watching(urllib3.HTTPSConnectionPool),
}


class Cutter:
    """A timer that shuts an attempt's socket down when the caller's time limit passes.

    Why: a per-read timeout cannot bound a server that sends the status line and then a
    header byte every few seconds (each read succeeds), and the body bound of
    :func:`read_body` only starts once the headers are complete. A caller's own time limit
    (``job.result(timeout=5)``) must hold whatever the server does, so the socket is shut
    from outside: the blocked read returns at once and the attempt fails as a timeout.
    :meth:`disarm` runs when the attempt ends, under the same lock as the cut, so a
    connection that went back to the pool is never shut afterwards.
    """

    def __init__(self, delay: float) -> None:
        self.connections: List[Any] = []
        self.fired = False
        self._done = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(delay, 0.0), self._cut)
        self._timer.daemon = True

    def arm(self) -> None:
        _WATCHED.connections = self.connections
        self._timer.start()

    def disarm(self) -> None:
        _WATCHED.connections = None
        with self._lock:
            self._done = True
        self._timer.cancel()

    def _cut(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            for conn in self.connections:
                sock = getattr(conn, "sock", None)
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:  # already closed: nothing is waiting on it
                        pass


class PoolPerOrigin(HTTPAdapter):
    """``HTTPAdapter`` that remembers the urllib3 pool for each origin and its settings.

    The stock adapter finds the pool again on every request: it re-parses the URL, selects
    the proxy, checks whether the CA bundle path is a directory (a ``stat``) and takes the
    pool manager's lock. The transport sends each origin with the same settings every time
    (see ``Transport.environment_for``), so the answer does not change; looking it up
    once cut ~15% of the client's CPU per request in ``benchmarks/bench_core.py`` (d).
    A pool the pool manager has since closed is looked up again, and the cache is
    bounded so that pools the manager evicted are not kept alive by it for long. (requests
    before 2.32 does not call this hook; there the stock lookup simply runs every time.)
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pools: Dict[Tuple[Any, ...], Any] = {}

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """The stock pool manager, whose pools report the connection each attempt uses."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def get_connection_with_tls_context(
        self, request: Any, verify: Any, proxies: Any = None, cert: Any = None
    ) -> Any:
        """The stock pool for ``request``'s origin and settings, cached (see the class)."""
        url = str(request.url)
        end = url.find("/", url.find("//") + 2)
        origin = url if end < 0 else url[:end]
        key = (origin, verify, str(cert), tuple(sorted((proxies or {}).items())))
        pool = self._pools.get(key)
        if pool is None or pool.pool is None:  # .pool is None once urllib3 closed it
            pool = super().get_connection_with_tls_context(request, verify, proxies, cert)
            if len(self._pools) >= _MAX_CACHED_POOLS:
                self._pools.clear()  # many origins: let the pool manager's LRU decide again
            self._pools[key] = pool
        return pool


def read_environment(url: str) -> Dict[str, Any]:
    """What ``requests.Session.merge_environment_settings`` takes from the environment for
    ``url`` when ``trust_env`` is on: proxies (with ``NO_PROXY``) and the CA bundle.

    ``.netrc`` is deliberately not read: requests would let a matching entry replace our
    ``Authorization: apiKey`` header with basic auth, and IonQ only understands the API key.
    """
    # A loopback address never goes through a proxy (whatever NO_PROXY says): the token
    # would travel to the proxy in clear text for a request meant for this machine.
    proxies = {} if is_loopback_url(url) else requests.utils.get_environ_proxies(url)
    return {
        "proxies": proxies,
        "verify": os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True,
    }


def new_session(pool_maxsize: int) -> requests.Session:
    """A session for one transport: no environment reading, no cookies, no urllib3 retries."""
    session = requests.Session()
    # The environment (proxies, CA bundle) is read once per origin by
    # Transport.environment_for(), not by requests on every request.
    session.trust_env = False
    session.cookies = NoCookies()
    # max_retries=0: retries are ours (they must know the method and the deadline);
    # urllib3's own would silently repeat a POST on some connection errors.
    adapter = PoolPerOrigin(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
