"""A deployment update as the Project Deployer performs it: HTTP calls to the infrastructure's automation node with
the infrastructure's admin API key (the same public API the collection's direct route uses).

create the project if needed -> import the bundle archive if not imported yet -> write the merged remapping into
the project settings -> preload -> activate (with the deployment's scenariosToActivate). Every step appends to the
update log; a failure raises `UpdateFailed` with a DSS-shaped error and the log so far.
"""

from .errors import CODED, DSSError

API = "/dip/publicapi"
TIMEOUT = 60


class UpdateFailed(Exception):
    def __init__(self, error, log):
        super().__init__(error.message)
        self.error = error
        self.log = log


def _requests():
    """requests, imported at the first update: most nodes never call another one, and the import is a sixth of a
    node's start-up CPU (every test starts nodes)."""
    import requests  # pylint: disable=import-outside-toplevel
    return requests


class AutomationNode:
    """The automation node of an infrastructure, called as dataikuapi would call it."""

    def __init__(self, infra):
        self.url = (infra.get("automationNodeUrl") or "").rstrip("/")
        self.infra_id = infra["id"]
        self._session = _requests().Session()
        self._session.auth = (infra.get("adminApiKey") or "", "")
        self._session.verify = not infra.get("trustAllSSLCertificates", False)

    def call(self, method, path, what, **kwargs):
        if not self.url:
            raise DSSError("Infrastructure %s has no automation node URL" % self.infra_id, CODED, 400,
                           "ERR_DEPLOYER_INFRA_NO_AUTOMATION_NODE")
        try:
            resp = self._session.request(method, self.url + API + path, timeout=TIMEOUT, **kwargs)
        except _requests().RequestException as exc:
            raise DSSError("Cannot reach the automation node %s of infrastructure %s to %s: %s"
                           % (self.url, self.infra_id, what, type(exc).__name__), CODED, 500,
                           "ERR_DEPLOYER_AUTOMATION_NODE_UNREACHABLE") from exc
        if resp.status_code >= 400:
            try:
                body = resp.json()
            except ValueError:
                body = {}
            message = body.get("detailedMessage") or body.get("message") or "HTTP %d" % resp.status_code
            raise DSSError("Automation node %s failed to %s: %s" % (self.url, what, message),
                           body.get("errorType") or CODED, resp.status_code, body.get("code"))
        return resp.json() if resp.content else {}


def merged_container_settings(infra, settings):
    """Infrastructure remapping, overridden entry by entry by the deployment's; codeEnvsBehavior from the
    deployment [INF]."""
    out = {"remapping": {}, "codeEnvsBehavior": dict((settings.get("bundleContainerSettings") or {})
                                                     .get("codeEnvsBehavior") or {})}
    for section in ("connections", "codeEnvs"):
        table = {}
        for level in (infra, settings):
            for entry in ((level.get("bundleContainerSettings") or {}).get("remapping") or {}).get(section) or []:
                if isinstance(entry, dict) and entry.get("source"):
                    table[entry["source"]] = entry
        out["remapping"][section] = list(table.values())
    return out


def run_update(infra, settings, archive_path, log):
    """Deploy settings["bundleId"] on the infrastructure's automation node; returns the activation report."""
    node = AutomationNode(infra)
    key, bundle_id = settings["deployedProjectKey"], settings["bundleId"]

    def step(line, method, path, what, **kwargs):
        log.append(line)
        try:
            return node.call(method, path, what, **kwargs)
        except DSSError as exc:
            log.append("ERROR: %s" % exc.message)
            raise UpdateFailed(exc, log) from exc

    info = step("Checking automation node %s" % node.url, "GET", "/instance-info", "read its instance info")
    if info.get("nodeType") != "AUTOMATION":
        error = DSSError("The node %s of infrastructure %s is a %s node, not an automation node"
                         % (node.url, infra["id"], info.get("nodeType")), CODED, 400, "ERR_DEPLOYER_NOT_AUTOMATION")
        log.append("ERROR: %s" % error.message)
        raise UpdateFailed(error, log)
    projects = step("Looking for project %s" % key, "GET", "/projects/", "list projects")
    if not any(p.get("projectKey") == key for p in projects):
        step("Creating project %s" % key, "POST", "/projects/", "create project %s" % key,
             json={"projectKey": key, "name": key, "owner": "admin"})
    imported = step("Listing imported bundles", "GET", "/projects/%s/bundles/imported" % key, "list bundles")
    if not any(b.get("bundleId") == bundle_id for b in imported.get("bundles") or []):
        with open(archive_path, "rb") as fp:
            step("Importing bundle %s" % bundle_id, "POST",
                 "/projects/%s/bundles/imported/actions/importFromStream" % key, "import bundle %s" % bundle_id,
                 files={"file": ("%s.zip" % bundle_id, fp, "application/zip")})
    project_settings = step("Reading project settings", "GET", "/projects/%s/settings" % key, "read settings")
    project_settings["bundleContainerSettings"] = merged_container_settings(infra, settings)
    step("Applying remapping", "PUT", "/projects/%s/settings" % key, "save the remapping", json=project_settings)
    step("Preloading bundle %s" % bundle_id, "POST",
         "/projects/%s/bundles/imported/%s/actions/preload" % (key, bundle_id), "preload bundle %s" % bundle_id)
    result = step("Activating bundle %s" % bundle_id, "POST",
                  "/projects/%s/bundles/imported/%s/actions/activate" % (key, bundle_id),
                  "activate bundle %s" % bundle_id,
                  json={"scenariosActiveOnActivation": settings.get("scenariosToActivate") or {}})
    log.append("Bundle %s is active in project %s" % (bundle_id, key))
    return (result or {}).get("result") or {}


def active_bundle(infra, key):
    """(active bundle id or None, error message or None) of project `key` on the infrastructure's node."""
    node = AutomationNode(infra)
    try:
        projects = node.call("GET", "/projects/", "list projects")
    except DSSError as exc:
        return None, exc.message
    for project in projects:
        if project.get("projectKey") == key:
            return (project.get("activeBundleState") or {}).get("bundleId"), None
    return None, None


def start_test_scenarios(infra, key):
    """Run every scenario marked as test of project `key`; returns [{scenarioId, triggerId, triggerRunId}]."""
    node = AutomationNode(infra)
    started = []
    for scenario in node.call("GET", "/projects/%s/scenarios/" % key, "list scenarios"):
        if not scenario.get("markedAsTest"):
            continue
        fire = node.call("POST", "/projects/%s/scenarios/%s/run" % (key, scenario["id"]),
                         "run scenario %s" % scenario["id"], json={})
        started.append({"scenarioId": scenario["id"], "triggerId": (fire.get("trigger") or {}).get("id"),
                        "triggerRunId": fire.get("runId")})
    return started


def test_outcome(infra, key, run):
    """SUCCESS | WARNING | FAILED | ABORTED of a started test run, RUNNING while it has no result."""
    node = AutomationNode(infra)
    found = node.call("GET", "/projects/%s/scenarios/%s/get-run-for-trigger" % (key, run["scenarioId"]),
                      "read scenario run", params={"triggerId": run["triggerId"], "triggerRunId": run["triggerRunId"]})
    result = (found.get("scenarioRun") or {}).get("result")
    return (result or {}).get("outcome") or "RUNNING"
