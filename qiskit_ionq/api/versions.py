"""Which IonQ API version a client talks, from its base URL or an explicit argument.

IonQ versions its REST API only by a path segment (``https://api.ionq.co/v0.3``,
``.../v0.4``; https://docs.ionq.com/api-reference/v0.4/introduction); there is no version
header. So the version is read from the configured URL, and ``api_version="v0.4"`` (on the
client or the provider) picks it when the URL does not say. This module is the only place
outside the adapters that knows the version strings.
"""

from __future__ import annotations

import re
from typing import Optional, Tuple

from ..exceptions import IonQClientError

__all__ = ["DEFAULT_API_VERSION", "SUPPORTED_API_VERSIONS", "resolve_api", "url_version"]

#: The versions this package has an adapter for; the first is the default.
SUPPORTED_API_VERSIONS: Tuple[str, ...] = ("v0.3", "v0.4")
DEFAULT_API_VERSION = "v0.3"

_SEGMENT = re.compile(r"/(v\d+(?:\.\d+)*)/?$")


def url_version(url: str) -> Optional[str]:
    """The version segment a base URL ends with (``"v0.4"``), or ``None``."""
    match = _SEGMENT.search(str(url or ""))
    return match.group(1) if match else None


def _normalized(version: str) -> str:
    text = str(version).strip().lower()
    text = text if text.startswith("v") else f"v{text}"
    if text not in SUPPORTED_API_VERSIONS:
        raise IonQClientError(
            f"Unsupported IonQ API version {version!r}; qiskit_ionq speaks "
            f"{', '.join(SUPPORTED_API_VERSIONS)} (default {DEFAULT_API_VERSION})."
        )
    return text


def resolve_api(
    url: str, api_version: Optional[str] = None, *, url_is_default: bool = False
) -> Tuple[str, str]:
    """The base URL and API version to use.

    Args:
        url: the configured base URL (argument, environment, or the default).
        api_version: ``"v0.3"``/``"v0.4"`` (``"0.4"`` works too), or ``None``.
        url_is_default: ``url`` is the built-in default rather than the user's choice, so
            ``api_version`` may replace its version segment.

    Returns:
        ``(url, version)``. A URL without a version segment gets ``api_version`` appended
        when one is given; otherwise it is used as is and spoken to as the default version.

    Raises:
        IonQClientError: an unsupported version, or a URL whose version segment disagrees
            with ``api_version`` (say which one to change).
    """
    segment = url_version(url)
    if api_version is None:
        if segment is None:
            return url, DEFAULT_API_VERSION
        return url, _normalized(segment)
    wanted = _normalized(api_version)
    if segment is None:
        return f"{url.rstrip('/')}/{wanted}", wanted
    if segment.lower() == wanted:
        return url, wanted
    if url_is_default:
        base = url[: url.rstrip("/").rfind("/")]
        return f"{base}/{wanted}", wanted
    raise IonQClientError(
        f"The API URL {url!r} names API {segment} but api_version={api_version!r} was "
        f"given. Use a URL ending in /{wanted}, or drop api_version to use {segment}."
    )
