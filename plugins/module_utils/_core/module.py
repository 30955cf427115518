# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AnsibleModule subclass every module of the collection uses.

It owns the connection options, builds the official ``dataikuapi`` client, checks the node type and turns
client, HTTP and TLS failures into a short :class:`DssError` (never a traceback, never the API key), which its
runner ``run`` reports with ``fail_json``.
"""

from __future__ import annotations

import difflib
import os
import re
import time
import traceback
from contextlib import contextmanager

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import cut_line, cut_long_words, shown
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.secrets import values_to_mask
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.transport import (
    BACKOFF_FACTOR, DssAdapter, insecure_transport_warning, is_transient, not_dss_answer, redact_userinfo,
    reuse_environment_settings, userinfo_secrets)

try:
    import dataikuapi
    from dataikuapi.utils import DataikuException, handle_http_exception
    import requests
except ImportError:
    DATAIKUAPI_IMPORT_ERROR = traceback.format_exc()

    class DataikuException(Exception):  # placeholder so except clauses stay valid
        pass
else:
    DATAIKUAPI_IMPORT_ERROR = None


def dss_argument_spec():
    """Connection options shared by all modules (documented in the dataiku_gitops.dss.dss doc fragment)."""
    return dict(
        url=dict(type="str", required=True, fallback=(env_fallback, ["DATAIKU_URL"])),
        api_key=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["DATAIKU_API_KEY"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["DATAIKU_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["DATAIKU_CA_PATH"])),
        client_cert=dict(type="path"),
        client_key=dict(type="path", no_log=False),
        timeout=dict(type="int", default=60),
        retries=dict(type="int", default=3, fallback=(env_fallback, ["DATAIKU_RETRIES"])),
        node_type=dict(type="str", choices=["design", "automation"]),
    )


NOT_JSON_PREFIX = "Unknown error: "
ANSWER_LIMIT = 400  # characters of a server's answer quoted in a message
ENV_OF_OPTION = {"url": "DATAIKU_URL", "api_key": "DATAIKU_API_KEY"}
_ERRNO_RE = re.compile(r"\[Errno -?\d+\] [^'\")]+")
_SSL_RE = re.compile(r"\[SSL: [A-Z0-9_]+\] [^'\")(]+(?:\([^)]*\))?")


def _short_reason(exc):
    """The useful part of a requests/urllib3 error ("[Errno 111] Connection refused"), not the whole repr chain."""
    text = str(exc)
    match = _SSL_RE.search(text) or _ERRNO_RE.search(text)
    if match:
        return match.group(0).strip()
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "certificate verify failed"
    for marker in ("Caused by ", "Failed to establish a new connection: "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return text.strip("()'\" ")[:300]


def _is_dss_not_found(response):
    """A 404 whose body is a DSS error (``errorType``): the object does not exist. A 404 without a DSS-shaped body
    (a proxy, a wrong URL path) is not taken for "not found"."""
    if response.status_code != 404:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and "NotFound" in str(body.get("errorType", ""))


def project_summary(client, project_key):
    """``GET /projects/K/`` through the client's own session (same auth, TLS, timeout): the summary dict, or None
    when DSS answers that the project does not exist. Other failures raise as dataikuapi raises them.

    dataikuapi's DataikuException carries no HTTP status, so the request is sent on the client's session to read
    the status itself. Thread-safe (no module call): bulk reads use it from worker threads.
    """
    # verify passed explicitly, as dataikuapi does: requests lets REQUESTS_CA_BUNDLE override a session's verify.
    response = client._session.request("GET", "%s/dip/publicapi/projects/%s/" % (client.host, project_key),
                                       verify=client._session.verify)
    if _is_dss_not_found(response):
        return None
    handle_http_exception(response)
    summary = response.json()
    if not isinstance(summary, dict):
        raise ValueError("GET /projects/%s/ did not answer a project object" % project_key)
    return summary


class DssModule(AnsibleModule):
    """AnsibleModule with the DSS connection options, a ready ``dataikuapi.DSSClient`` and error translation."""

    def __init__(self, argument_spec=None, **kwargs):
        spec = dss_argument_spec()
        spec.update(argument_spec or {})
        kwargs.setdefault("supports_check_mode", True)
        super().__init__(argument_spec=spec, **kwargs)
        if DATAIKUAPI_IMPORT_ERROR:
            self.fail_json(msg=missing_required_lib("dataiku-api-client (and six)"), exception=DATAIKUAPI_IMPORT_ERROR)
        if self.params["retries"] < 0:
            self.fail_json(msg="retries must be 0 or more, got %d." % self.params["retries"])
        self._node_info = None
        self._last_status = None  # HTTP status of the last answer received, by any client of this module
        self._last_content_type = None
        self._write_attempt = False  # inside write_once: transient failures go back to it instead of failing
        try:  # the constructor reports its own failures: no runner is running yet
            self.url = self._checked_url(self.params["url"])
            self.client = self.make_client(self.url, self.params["api_key"])
        except DssError as exc:
            self.fail_json(msg=exc.msg, **exc.result)

    # -- secrets in results -------------------------------------------------------------------------------------

    def _mask_raw_secrets(self):
        """Add to no_log_values what ansible-core would echo unmasked (see _core/secrets.py): a key under a misspelt
        name, inside a mistyped option or in URL userinfo. Runs before every result, including the argument
        validation failures AnsibleModule reports from its own constructor."""
        params = getattr(self, "params", None)
        if isinstance(params, dict):
            self.no_log_values.update(values_to_mask(params, self.argument_spec))

    def _unsupported_hint(self, msg):
        """AnsibleModule reports only the first validation error: when a misspelt option (``apikey``) also caused a
        "missing required arguments: api_key", name the misspelt one too, with the closest supported name."""
        result = getattr(self, "validation_result", None)
        names = sorted(".".join(n) if isinstance(n, tuple) else n for n in (result.unsupported_parameters if result else ()))
        names = [n for n in names if n not in msg]
        if not names:
            return msg
        hints = []
        for name in names:
            *context, last = name.split(".")
            options = self.argument_spec
            for part in context:
                options = (options.get(part) or {}).get("options") or {}
            close = difflib.get_close_matches(last, list(options), n=1)
            hints.append("%s (did you mean %s?)" % (name, ".".join(context + close)) if close else name)
        return "%s. Unsupported parameters: %s." % (msg.rstrip("."), ", ".join(hints))

    def fail_json(self, msg, **kwargs):  # pylint: disable=arguments-differ
        """fail_json with raw secrets masked and the message cut to one line."""
        self._mask_raw_secrets()
        # One line, and no input or answer quoted whole: any word longer than an id may be is cut.
        super().fail_json(msg=cut_long_words(cut_line(self._unsupported_hint(self._env_hint(msg)))), **kwargs)

    @staticmethod
    def _env_hint(msg):
        """Name the environment variable that also sets a missing connection option."""
        if not msg.startswith("missing required arguments:"):
            return msg
        missing = [o.strip() for o in msg.split(":", 1)[1].split(",")]
        hints = ["%s (or the environment variable %s)" % (o, ENV_OF_OPTION[o]) for o in missing if o in ENV_OF_OPTION]
        if not hints:
            return msg
        return "%s. Set %s." % (msg.rstrip("."), " and ".join(hints))

    def exit_json(self, **kwargs):
        self._mask_raw_secrets()
        super().exit_json(**kwargs)

    def run(self, body, *args, **kwargs):
        """The module's runner: call ``body`` and turn a :class:`DssError` it raises into ``fail_json`` (the one
        place a failure becomes a result, as ``kubernetes.core``'s runner does)."""
        try:
            return body(*args, **kwargs)
        except DssError as exc:
            return self.fail_json(msg=exc.msg, **exc.result)

    echo = staticmethod(shown)

    # -- connection ---------------------------------------------------------------------------------------------

    def _checked_url(self, url, option="url"):
        url = (url or "").strip().rstrip("/")
        if userinfo_secrets(url):
            self.no_log_values.update(userinfo_secrets(url))
            raise DssError("%s must not contain credentials (user:password@), got %s: put the API key in the "
                           "api_key option instead." % (option, self.echo(redact_userinfo(url))))
        if not re.match(r"^https?://[^/\s]+", url):
            raise DssError("%s must be an absolute http:// or https:// URL such as https://dss.example.com:11200, "
                           "got %s" % (option, self.echo(url)))
        return url

    def _checked_file(self, path, option):
        """Raise a clear message (not a TLS library traceback) unless ``path`` is a readable file."""
        if path and not (os.path.isfile(path) and os.access(path, os.R_OK)):
            raise DssError("%s %s does not exist or is not a readable file." % (option, path))
        return path

    def make_client(self, url, api_key, validate_certs=None, ca_path=None, client_cert=None, client_key=None,
                    option="url", quiet=False):
        """A DSSClient for ``url`` with this module's TLS, timeout and retry settings.

        For a second node (``validate_certs`` given, e.g. ``source``), ``validate_certs`` and ``ca_path`` are that
        node's own: the task's ``ca_path`` never verifies another node's certificate. ``quiet``: a second client
        of the same node for a background thread (no warning again, statuses not recorded for ``write_once``).
        """
        p = self.params
        if validate_certs is None:
            validate, ca_option = p["validate_certs"], "ca_path"
            ca_path = p["ca_path"]
        else:
            validate, ca_option = validate_certs, "%s.ca_path" % option.split(".")[0]
        cert = self._checked_file(client_cert or p["client_cert"], "client_cert")
        key = self._checked_file(client_key or p["client_key"], "client_key")
        if validate:
            self._checked_file(ca_path, ca_option)
        warning = insecure_transport_warning(url, validate, option)
        if warning and not quiet:
            self.warn(warning)
        certificate = (cert, key) if cert and key else cert
        client = dataikuapi.DSSClient(url, api_key, no_check_certificate=not validate, client_certificate=certificate)
        session = client._session  # the client exposes no CA-bundle, timeout or retry option; set them on its session
        if validate and ca_path:
            session.verify = ca_path
        adapter = DssAdapter(p["timeout"], p["retries"], on_status=None if quiet else self._record_status)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        reuse_environment_settings(session)
        return client

    def _record_status(self, status, content_type=None):
        self._last_status = status
        self._last_content_type = content_type

    def is_transient(self, exc):
        """True when the failed call may or may not have reached DSS (see _core/transport.py is_transient)."""
        return is_transient(exc, self._last_status)

    def write_once(self, what, write, happened, url=None):
        """Run the write ``write()`` and return its result; never repeat a write that may have happened.

        Reads are retried by the transport; a write is not, because a write that failed in transit (connection
        error, timeout, 502/503/504 from a proxy) may have reached DSS. After such a failure ``happened()`` (reads
        only) says whether DSS holds the result: if so the write is done (returns None), if not it is sent again,
        up to ``retries`` times with backoff. Any other failure raises at once, as ``dss_errors`` does (also from
        ``dss_errors`` blocks inside ``write``, which hand transient failures back here instead).
        """
        attempts = self.params["retries"] + 1
        for attempt in range(1, attempts + 1):
            with self.dss_errors(what, url=url):
                self._write_attempt = attempt < attempts
                try:
                    return write()
                except (DataikuException, requests.exceptions.RequestException) as exc:
                    if not (self._write_attempt and self.is_transient(exc)):
                        raise
                finally:
                    self._write_attempt = False
            with self.dss_errors("check whether the interrupted attempt to %s took effect" % what, url=url):
                if happened():
                    return None
            time.sleep(BACKOFF_FACTOR * 2 ** attempt)
        return None  # not reached: the last attempt returns or fails

    def scrub(self, text):
        """Remove every known secret from a message (no_log also masks output, this keeps messages readable)."""
        self._mask_raw_secrets()
        text = str(text)
        for secret in self.no_log_values:
            if secret and len(secret) > 3:
                text = text.replace(secret, "********")
        return text

    @contextmanager
    def dss_errors(self, what, url=None):
        """Run DSS calls; turn any client, HTTP or TLS failure into a DssError naming ``what`` and the URL."""
        url = url or self.url
        try:
            yield
        except (DataikuException, requests.exceptions.RequestException) as exc:
            if self._write_attempt and self.is_transient(exc):
                raise  # inside write_once, which re-reads before deciding
            raise self._fail_for(exc, what, url) from None
        except ValueError as exc:
            raise self._fail_for(exc, what, url) from None

    def _fail_for(self, exc, what, url):
        """The DssError (one line) saying what failed where, by kind of failure."""
        if isinstance(exc, DataikuException):
            text = str(exc)
            if text.startswith(NOT_JSON_PREFIX):  # dataikuapi's text for an error answer that is not DSS's JSON
                text = not_dss_answer(self._last_status, self._last_content_type, text[len(NOT_JSON_PREFIX):])
            msg = "Failed to %s on %s: %s" % (what, url, cut_line(text, ANSWER_LIMIT))
        elif isinstance(exc, requests.exceptions.SSLError):
            msg = ("TLS verification failed for %s while trying to %s (%s). Set ca_path to the CA that signed the "
                   "DSS certificate, or validate_certs=false for a throw-away test node." % (url, what, _short_reason(exc)))
        elif isinstance(exc, requests.exceptions.Timeout):
            msg = "DSS at %s did not answer within %s seconds while trying to %s." % (url, self.params["timeout"], what)
        elif isinstance(exc, requests.exceptions.ConnectionError):
            msg = "Could not connect to DSS at %s to %s: %s" % (url, what, _short_reason(exc))
        else:
            # requests' JSONDecodeError is a ValueError: a 2xx that is not JSON means this is not a DSS API.
            msg = ("Unexpected answer from %s while trying to %s: %s (is this the URL of a DSS node?)"
                   % (url, what, _short_reason(exc)))
        return DssError(self.scrub(msg))

    # -- existence --------------------------------------------------------------------------------------------

    def find_project(self, project_key, client=None, url=None):
        """The project's summary (``GET /projects/K/``), or None when it does not exist on the node.

        One request whatever the number of projects: "not found" is read from the HTTP status (see
        ``project_summary``), never guessed from an exception text.
        """
        with self.dss_errors("read project %s" % project_key, url=url):
            return project_summary(client or self.client, project_key)

    # -- node type ----------------------------------------------------------------------------------------------

    def node_info(self):
        """``GET /instance-info``, read once per module run."""
        if self._node_info is None:
            self._node_info = self.checked_instance_info(self.client, self.url)
        return self._node_info

    def checked_instance_info(self, client, url):
        """``GET /instance-info`` of ``client``; fail unless it is DSS-shaped (a JSON object naming a node type),
        so that a proxy, a login page or another service answering 200 is never taken for DSS."""
        with self.dss_errors("read the instance info", url=url):
            info = client.get_instance_info().raw
        node_type = info.get("nodeType") if isinstance(info, dict) else None
        if not isinstance(node_type, str) or not node_type:
            keys = sorted(str(k) for k in info)[:10] if isinstance(info, dict) else type(info).__name__
            raise DssError(self.scrub(
                "%s does not look like a DSS node: GET /instance-info answered without a nodeType (got %s). Check "
                "that the URL is the base URL of DSS (as in https://dss.example.com:11200), not a proxy, login "
                "page or another service." % (url, self.echo(keys))))
        return info

    def check_node_type_option(self):
        """Check that ``url`` is a DSS node (and of type ``node_type`` when set): modules call this after validating
        their input, before any other call. Costs one GET /instance-info, which node_info() then reuses."""
        self.node_info()
        if self.params.get("node_type"):
            self.require_node_type(self.params["node_type"].upper(), "This task (node_type=%s)" % self.params["node_type"])

    def require_node_type(self, expected, purpose):
        """Raise unless the node is of type ``expected`` (DESIGN or AUTOMATION), naming both types."""
        actual = self.node_info().get("nodeType")
        if actual != expected:
            raise DssError("%s needs a %s node, but %s is a %s node." % (purpose, expected, self.url, actual))
        return actual

    # -- results ------------------------------------------------------------------------------------------------

    def exit_with(self, changed, before=None, after=None, **result):
        """exit_json with ``changed`` and, in diff mode, ``diff.before``/``diff.after`` of what is managed."""
        if self._diff and (before is not None or after is not None):
            result["diff"] = dict(before=before if before is not None else {},
                                  after=after if after is not None else {})
        self.exit_json(changed=changed, **result)
