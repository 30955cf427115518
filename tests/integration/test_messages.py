"""Messages that quote input or a server's answer, through real ansible-playbook runs: every one is one line and
cut (ids to 100 characters); an answer that is not DSS's says what answered and what that usually means; a missing
url names the environment variable that also sets it."""

# pylint: disable=redefined-outer-name
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.real_node import require_emulator

LONG_KEY = "K" * 100000
LONG_ID = "b" * 100000
MODULES = [
    ("dataiku_gitops.dss.dataiku_bundle_info", {"project_key": LONG_KEY}),
    ("dataiku_gitops.dss.dataiku_bundle", {"project_key": "CHURN", "bundle_id": LONG_ID, "state": "active"}),
    ("dataiku_gitops.dss.dataiku_bundle_deploy", {"project_key": LONG_KEY, "bundle_id": LONG_ID, "lock_owner": "r"}),
    ("dataiku_gitops.dss.dataiku_bundle_certify", {"project_key": "CHURN", "bundle_id": LONG_ID, "lock_owner": "r"}),
    ("dataiku_gitops.dss.dataiku_scenario_run", {"project_key": LONG_KEY}),
    ("dataiku_gitops.dss.dataiku_project", {"project_key": LONG_KEY, "state": "absent"}),
]


def test_a_100000_character_key_or_bundle_id_is_quoted_cut_on_one_line(automation_node, playbook):
    require_emulator(automation_node)
    writes = automation_node.writes()
    result = playbook(tasks=[{"name": "t%d" % i, "ignore_errors": True, module: dict(
        url=automation_node.url, api_key=automation_node.api_key, **args)} for i, (module, args) in enumerate(MODULES)])
    for i, (module, _args) in enumerate(MODULES):
        record = result.task("t%d" % i)
        msg = record["result"].get("msg", "")
        assert record["status"] in ("failed", "ignored"), (module, record)
        assert len(msg) < 1000 and "\n" not in msg and "K" * 101 not in msg and "b" * 101 not in msg, (module, msg)
        assert re.search(r"[Kb]{100}\.\.\. \(10000[01] characters\)", msg), (module, msg)
        if "HTTP 414" in msg:  # the node refused the request line: said once, without its HTML page
            assert "content type text/html" in msg and "request line was too long" in msg and "</html>" not in msg
    assert automation_node.writes() == writes


class _NotDss(BaseHTTPRequestHandler):
    """A web server that is not DSS: an HTML page for every path."""

    def _answer(self):
        body = b"<html>\n<head><title>404 Not Found</title></head>\n<body>\n<h1>Not Found</h1>\n</body>\n</html>\n"
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


@pytest.fixture
def web_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotDss)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_url_that_is_not_dss_says_what_answered_and_a_missing_url_names_its_variable(web_server, playbook):
    result = playbook(tasks=[
        {"name": "web", "ignore_errors": True, "dataiku_gitops.dss.dataiku_project_info": {
            "url": web_server, "api_key": "not-a-dss-key-123456"}},
        {"name": "nourl", "ignore_errors": True, "dataiku_gitops.dss.dataiku_project_info": {
            "api_key": "not-a-dss-key-123456"}},
    ])
    msg = result.task("web")["result"]["msg"]
    assert msg == ("Failed to read the instance info on %s: HTTP 404, content type text/html; charset=utf-8, body "
                   "starting '<html> <head><title>404 Not Found</title></head> <body> <h1>Not Found</h1> </body> "
                   "</html>' - this usually means no DSS API at this URL: check that url is DSS's base URL "
                   "(https://host:port, no path)" % web_server), msg
    assert result.task("nourl")["result"]["msg"] == (
        "missing required arguments: url. Set url (or the environment variable DATAIKU_URL).")
