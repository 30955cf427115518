# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP transport of the official client: timeout, retries of idempotent reads, and what counts as a transient
failure (which a write may be retried after, once a re-read shows it did not happen).

Reads are retried by urllib3's ``Retry`` mounted on the client's requests session: connection errors and
502/503/504 answers to GET/HEAD/OPTIONS, with exponential backoff. Writes (POST/PUT/DELETE) are never retried
here: a write that failed in transit may have happened, see ``DssModule.write_once``.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry
except ImportError:  # DssModule reports the missing client library
    HTTPAdapter = object
    Retry = None

TRANSIENT_STATUSES = (502, 503, 504)
READ_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
BACKOFF_FACTOR = 0.25  # sleeps 0, 0.5, 1, 2 s... between attempts (urllib3: factor * 2 ** (n - 1), none before the 1st)


def read_retry(retries):
    """The urllib3 policy for reads: ``retries`` more attempts on connection errors and gateway answers."""
    return Retry(total=retries, connect=retries, read=retries, status=retries, other=0,
                 allowed_methods=READ_METHODS, status_forcelist=TRANSIENT_STATUSES,
                 backoff_factor=BACKOFF_FACTOR, raise_on_status=False, respect_retry_after_header=True)


class DssAdapter(HTTPAdapter):
    """dataikuapi sends requests without a timeout and without retries; this adapter gives every request both, and
    reports the status of each final answer to ``on_status`` (DataikuException does not carry it)."""

    def __init__(self, timeout, retries, on_status=None):
        self._timeout = timeout
        self._on_status = on_status
        super().__init__(max_retries=read_retry(retries))

    def send(self, request, **kwargs):  # pylint: disable=arguments-differ
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        if self._on_status:
            self._on_status(None)
        response = super().send(request, **kwargs)
        if self._on_status:
            self._on_status(response.status_code, response.headers.get("Content-Type"))
        return response


# What an answer that is not DSS's JSON usually means, by HTTP status.
NOT_DSS_MEANINGS = {
    401: "an authentication proxy or single sign-on page in front of DSS, not DSS's API",
    403: "a proxy or firewall refusing the request before DSS, not DSS's API",
    404: "no DSS API at this URL: check that url is DSS's base URL (https://host:port, no path)",
    414: "the request line was too long for the server (an id far longer than DSS allows)",
    502: "a proxy or load balancer that could not reach DSS (DSS stopped, starting or overloaded)",
    503: "a proxy or load balancer that could not reach DSS (DSS stopped, starting or overloaded)",
    504: "a proxy or load balancer whose request to DSS timed out",
}


def not_dss_answer(status, content_type, body):
    """One sentence on an error answer whose body is not DSS's JSON: what answered and what it usually means."""
    first = " ".join(str(body or "").split())
    first = first[:120] + ("..." if len(first) > 120 else "")
    meaning = NOT_DSS_MEANINGS.get(status) or ("a server that is not DSS's API (a web page, a proxy or another "
                                               "service) answering at this URL")
    return "HTTP %s, content type %s, body starting %r - this usually means %s" % (
        status or "status unknown", content_type or "not given", first, meaning)


def is_transient(exc, last_status):
    """True when ``exc`` (raised by a client call) may be a failure in transit, so that the request may or may not
    have reached DSS: a connection error (not a TLS refusal), a timeout, a body cut short, or an error answer whose
    HTTP status (``last_status``, the last answer received) was 502, 503 or 504."""
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                        requests.exceptions.ChunkedEncodingError)):
        return True
    return not isinstance(exc, requests.exceptions.RequestException) and last_status in TRANSIENT_STATUSES


def is_loopback(host):
    """True for localhost and loopback addresses (plain HTTP there never leaves the machine)."""
    host = (host or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def insecure_transport_warning(url, validate_certs, option="url"):
    """A warning text when talking to ``url`` does not protect the API key, else None."""
    parts = urlsplit(url)
    if parts.scheme == "https" and not validate_certs:
        return ("%s %s: TLS certificates are not verified (validate_certs=false), so anyone on the path can "
                "impersonate DSS and read the API key. Set ca_path to the CA that signed the certificate instead."
                % (option, redact_userinfo(url)))
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return ("%s %s: plain http:// to a host that is not this machine sends the API key unencrypted. Use "
                "https:// for anything but a local test node." % (option, redact_userinfo(url)))
    return None


def userinfo_secrets(url):
    """The user and password written in ``url`` (``https://KEY:@host``), which must never be echoed."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    return [s for s in (parts.username, parts.password) if s]


def redact_userinfo(url):
    """``url`` with any ``user:password@`` replaced by ``********@``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="********@" + parts.netloc.rsplit("@", 1)[1]).geturl()


def reuse_environment_settings(session):
    """Let ``session`` (a requests.Session) work out the settings it takes from the environment (proxies,
    REQUESTS_CA_BUNDLE ...) once per node instead of once per request: requests scans every environment variable
    twice for each request, about a fifth of the client's CPU per request, and the environment does not change while
    a module runs. The settings are the ones requests would compute (same arguments, same node); each request gets
    its own copy."""
    if getattr(session, "environment_settings_reused", False):
        return
    compute = session.merge_environment_settings
    known = {}

    def merge_environment_settings(url, proxies, stream, verify, cert):
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, tuple(sorted((proxies or {}).items())), stream, verify,
               cert if not isinstance(cert, list) else tuple(cert))
        if key not in known:
            known[key] = compute(url, proxies, stream, verify, cert)
        settings = dict(known[key])
        settings["proxies"] = dict(settings.get("proxies") or {})
        return settings

    session.merge_environment_settings = merge_environment_settings
    session.environment_settings_reused = True
