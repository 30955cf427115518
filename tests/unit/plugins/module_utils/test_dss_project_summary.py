"""project_summary: one GET /projects/K/ on the client's session; "not found" only from a DSS-shaped 404."""

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DataikuException, project_summary


class _Response:
    def __init__(self, status, payload=None, text=""):
        self.status_code = status
        self._payload = payload
        self.text = text

    def json(self):
        if self._payload is None:
            raise ValueError("not JSON")
        return self._payload


class _Session:
    verify = True  # what project_summary passes on, as dataikuapi does

    def __init__(self, response):
        self.response = response
        self.sent = []

    def request(self, method, url, **_kwargs):
        self.sent.append((method, url))
        return self.response


class _Client:
    host = "https://dss.example.com"

    def __init__(self, response):
        self._session = _Session(response)


def test_existing_project_is_its_summary_in_one_request():
    client = _Client(_Response(200, {"projectKey": "P", "activeBundleState": {"bundleId": "b1"}}))
    assert project_summary(client, "P")["activeBundleState"] == {"bundleId": "b1"}
    assert client._session.sent == [("GET", "https://dss.example.com/dip/publicapi/projects/P/")]


def test_dss_not_found_is_none():
    client = _Client(_Response(404, {"errorType": "com.dataiku.dip.server.controllers.NotFoundException",
                                     "message": "Project P does not exist"}))
    assert project_summary(client, "P") is None


@pytest.mark.parametrize("response", [
    _Response(404, None, "<html>Not Found</html>"),  # a proxy or a wrong path, not DSS saying "no such project"
    _Response(403, {"errorType": "com.dataiku.dip.exceptions.UnauthorizedException", "message": "no"}),
    _Response(500, {"errorType": "java.lang.RuntimeException", "message": "boom"}),
])
def test_other_failures_raise(response):
    with pytest.raises(DataikuException):
        project_summary(_Client(response), "P")


def test_a_non_object_answer_is_not_a_project():
    with pytest.raises(ValueError):
        project_summary(_Client(_Response(200, [])), "P")
