# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AnsibleModule subclass every module of the collection uses.

It owns the connection options, builds the official ``dataikuapi`` client, checks the node type and turns
client, HTTP and TLS failures into a short ``fail_json`` message (never a traceback, never the API key).
"""

from __future__ import annotations

import re
import traceback
from contextlib import contextmanager

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

try:
    import dataikuapi
    from dataikuapi.utils import DataikuException, handle_http_exception
    import requests
    from requests.adapters import HTTPAdapter
except ImportError:
    DATAIKUAPI_IMPORT_ERROR = traceback.format_exc()

    class DataikuException(Exception):  # placeholder so except clauses stay valid
        pass

    HTTPAdapter = object
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
        node_type=dict(type="str", choices=["design", "automation"]),
    )


class _TimeoutAdapter(HTTPAdapter):
    """dataikuapi sends requests without a timeout; this adapter gives every request one."""

    def __init__(self, timeout, *args, **kwargs):
        self._timeout = timeout
        super().__init__(*args, **kwargs)

    def send(self, request, **kwargs):  # pylint: disable=arguments-differ
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)


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
    response = client._session.request("GET", "%s/dip/publicapi/projects/%s/" % (client.host, project_key))
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
        self.url = self._checked_url(self.params["url"])
        self._node_info = None
        self.client = self.make_client(self.url, self.params["api_key"])

    def fail_json(self, msg, **kwargs):  # pylint: disable=arguments-differ
        """fail_json with ``fail_context`` (what a failure must still report, such as a lock taken) merged in."""
        for key, value in (getattr(self, "fail_context", None) or {}).items():
            kwargs.setdefault(key, value)
        super().fail_json(msg=msg, **kwargs)

    # -- connection ---------------------------------------------------------------------------------------------

    def _checked_url(self, url, option="url"):
        url = (url or "").strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+", url):
            self.fail_json(
                msg="%s must be an absolute http:// or https:// URL such as https://dss.example.com:11200, got %r"
                % (option, url)
            )
        return url

    def make_client(self, url, api_key, validate_certs=None, ca_path=None, client_cert=None, client_key=None):
        """A DSSClient for ``url`` with this module's TLS and timeout settings (also used for a second node)."""
        p = self.params
        validate = p["validate_certs"] if validate_certs is None else validate_certs
        cert = client_cert or p["client_cert"]
        key = client_key or p["client_key"]
        certificate = (cert, key) if cert and key else cert
        client = dataikuapi.DSSClient(url, api_key, no_check_certificate=not validate, client_certificate=certificate)
        session = client._session  # the client exposes no CA-bundle or timeout option; set them on its session
        if validate and (ca_path or p["ca_path"]):
            session.verify = ca_path or p["ca_path"]
        adapter = _TimeoutAdapter(p["timeout"])
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return client

    def scrub(self, text):
        """Remove every known secret from a message (no_log also masks output, this keeps messages readable)."""
        text = str(text)
        for secret in self.no_log_values:
            if secret and len(secret) > 3:
                text = text.replace(secret, "********")
        return text

    @contextmanager
    def dss_errors(self, what, url=None):
        """Run DSS calls; turn any client, HTTP or TLS failure into fail_json naming ``what`` and the URL."""
        url = url or self.url
        try:
            yield
        except DataikuException as exc:
            self.fail_json(msg=self.scrub("Failed to %s on %s: %s" % (what, url, exc)))
        except requests.exceptions.SSLError as exc:
            self.fail_json(msg=self.scrub(
                "TLS verification failed for %s while trying to %s (%s). Set ca_path to the CA that signed the "
                "DSS certificate, or validate_certs=false for a throw-away test node." % (url, what, _short_reason(exc))))
        except requests.exceptions.Timeout:
            self.fail_json(msg="DSS at %s did not answer within %s seconds while trying to %s."
                           % (url, self.params["timeout"], what))
        except requests.exceptions.ConnectionError as exc:
            self.fail_json(msg=self.scrub("Could not connect to DSS at %s to %s: %s"
                                          % (url, what, _short_reason(exc))))
        except (ValueError, requests.exceptions.RequestException) as exc:
            # requests' JSONDecodeError is a ValueError: a 2xx that is not JSON means this is not a DSS API.
            self.fail_json(msg=self.scrub("Unexpected answer from %s while trying to %s: %s (is this the URL of a "
                                          "DSS node?)" % (url, what, _short_reason(exc))))

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
            with self.dss_errors("read the instance info"):
                self._node_info = self.client.get_instance_info().raw
        return self._node_info

    def check_node_type_option(self):
        """Honour the ``node_type`` option: modules call this after validating their input, before any other call."""
        if self.params.get("node_type"):
            self.require_node_type(self.params["node_type"].upper(), "This task (node_type=%s)" % self.params["node_type"])

    def require_node_type(self, expected, purpose):
        """Fail unless the node is of type ``expected`` (DESIGN or AUTOMATION), naming both types."""
        actual = self.node_info().get("nodeType")
        if actual != expected:
            self.fail_json(msg="%s needs a %s node, but %s is a %s node." % (purpose, expected, self.url, actual))
        return actual

    # -- results ------------------------------------------------------------------------------------------------

    def exit_with(self, changed, before=None, after=None, **result):
        """exit_json with ``changed`` and, in diff mode, ``diff.before``/``diff.after`` of what is managed."""
        if self._diff and (before is not None or after is not None):
            result["diff"] = dict(before=before if before is not None else {},
                                  after=after if after is not None else {})
        self.exit_json(changed=changed, **result)
