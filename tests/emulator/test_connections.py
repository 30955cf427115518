"""Connections through the official client, with the exact "does not exist" string."""

import pytest
import requests
from dataikuapi.utils import DataikuException

from tests.support.emulator import EmulatorNode

MISSING = r"^java\.lang\.IllegalArgumentException: Connection '%s' does not exist$"


def test_fresh_node_has_filesystem_managed(client):
    conns = client.list_connections()
    assert conns["filesystem_managed"].type == "Filesystem"
    assert conns["filesystem_managed"].name == "filesystem_managed"
    settings = client.get_connection("filesystem_managed").get_settings()
    assert settings.type == "Filesystem" and settings.allow_managed_datasets and settings.allow_write
    assert settings.usable_by == "ALL" and settings.details_readability.readable_by == "NONE"


def test_list_is_a_dict_of_definitions(design):
    resp = requests.get(design.url + "/dip/publicapi/admin/connections/", auth=(design.api_key, ""), timeout=10)
    body = resp.json()
    assert isinstance(body, dict) and body["filesystem_managed"]["type"] == "Filesystem"


def test_create_get_save_delete(design, client):
    client.create_connection("pg_conn", "PostgreSQL", params={"host": "h"}, usable_by="ALLOWED",
                             allowed_groups=["data"], description="warehouse")
    settings = client.get_connection("pg_conn").get_settings()
    raw = settings.get_raw()
    assert (raw["type"], raw["params"], raw["usableBy"], raw["allowedGroups"], raw["description"]) == (
        "PostgreSQL", {"host": "h"}, "ALLOWED", ["data"], "warehouse")
    before = design.digest()
    settings.save()  # parsed as JSON by the client: must not crash
    assert design.digest() == before
    settings.allow_write = False
    settings.get_raw()["params"]["port"] = 5432
    settings.save()
    raw = client.get_connection("pg_conn").get_definition()
    assert raw["allowWrite"] is False and raw["params"]["port"] == 5432
    assert client.get_connection("pg_conn").set_definition(raw)["name"] == "pg_conn"
    client.get_connection("pg_conn").delete()
    assert "pg_conn" not in client.list_connections()


def test_duplicate_create_is_an_error(client):
    client.create_connection("dup_conn", "Filesystem")
    with pytest.raises(DataikuException, match=r"^java\.lang\.IllegalArgumentException: Connection 'dup_conn' already exists"):
        client.create_connection("dup_conn", "Filesystem")


@pytest.mark.parametrize("call", ["get_settings", "get_definition", "delete"])
def test_missing_connection_exact_error(client, call):
    with pytest.raises(DataikuException, match=MISSING % "x"):
        getattr(client.get_connection("x"), call)()


def test_save_of_missing_connection_is_the_same_error(client):
    with pytest.raises(DataikuException, match=MISSING % "ghost"):
        client.get_connection("ghost").set_definition({"type": "Filesystem", "params": {}})


def test_get_names_filters_by_type(client):
    client.create_connection("snow1", "Snowflake")
    assert "snow1" in client.list_connections_names("all")
    assert "filesystem_managed" in client.list_connections_names("all")
    assert client.list_connections_names("Snowflake") == ["snow1"]
    assert client.list_connections_names("Nothing") == []


def test_seeded_only_on_first_start():
    with EmulatorNode("design") as node:
        node.client().get_connection("filesystem_managed").delete()
        node.restart()
        assert "filesystem_managed" not in node.client().list_connections()
