"""Where the bearer token may go: the API's own origin, and nowhere else.

A job's ``upload_url`` and ``download_url`` are opaque: X's docs show signed Cloud Storage
URLs (credentials on their own), and OpenAPI v2.168 adds upload and download routes on the
API host itself (``/2/compliance/jobs/{id}/upload?token=...``), shown with a bearer header.
The client follows whatever URL a job gives and decides per request, by
:func:`is_api_route` alone, whether the token goes along: only when the URL's scheme, host
and port are those of the client's ``base_url`` and its path is one of the API's versioned
routes (``/2/...`` under the base URL's path). So a signed URL that happens to live on the
API's host outside those routes (as the sandbox's storage URLs do) stays credential-free
too. Every transfer asks through
:meth:`~compliance_nb.api.storage.TransferContext.auth_for`, which calls this function.

Examples
--------
>>> api = "https://api.x.com"
>>> is_api_route("https://api.x.com/2/compliance/jobs/1/upload?token=t", api)
True
>>> is_api_route("https://API.x.com:443/2/compliance/jobs/1/download?token=t", api)
True
>>> is_api_route("https://storage.googleapis.com/twttr-tweet-compliance/1/submission/o", api)
False
>>> is_api_route("http://api.x.com/2/compliance/jobs/1/upload", api)      # another scheme
False
>>> is_api_route("https://api.x.com:8443/2/compliance/jobs/1/upload", api)  # another port
False
>>> is_api_route("https://api.x.com.evil.example/2/compliance/jobs/1/upload", api)
False
>>> is_api_route("https://api.x.com@evil.example/2/compliance/jobs/1/upload", api)
False
>>> is_api_route("https://api.x.com/storage/bucket/1/submission/o?X-Goog-Signature=s", api)
False
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["is_api_route", "origin"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
#: The API's versioned routes (X API v2), under the base URL's own path.
_API_VERSION_PATH = "/2/"


def origin(url: str) -> tuple[str, str, int] | None:
    """The ``(scheme, host, port)`` of ``url``, lower-cased, the port filled in.

    Parameters
    ----------
    url : str
        An absolute http(s) URL.

    Returns
    -------
    tuple or None
        None for anything that is not an absolute http(s) URL with a host and a valid port.

    Examples
    --------
    >>> origin("HTTPS://Api.X.com/2/compliance/jobs")
    ('https', 'api.x.com', 443)
    >>> origin("http://127.0.0.1:8765/x"), origin("/relative"), origin("http://h:99999/")
    (('http', '127.0.0.1', 8765), None, None)
    """
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").rstrip(".").lower()
        port = parts.port
    except ValueError:  # a malformed port or host
        return None
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


def is_api_route(url: str, base_url: str) -> bool:
    """True when ``url`` is one of the API's own routes: the rule for sending the token.

    Parameters
    ----------
    url : str
        The URL a request goes to (a job's upload or download URL, a session URI).
    base_url : str
        The client's API base URL.

    Returns
    -------
    bool
        True only when scheme, host and port are those of ``base_url`` (default ports
        filled in) and the path is under ``base_url``'s path + ``/2/``.
    """
    mine = origin(base_url)
    if mine is None or origin(url) != mine:
        return False
    prefix = urlsplit(base_url).path.rstrip("/") + _API_VERSION_PATH
    return urlsplit(url).path.startswith(prefix)
