"""Unit tests of the pure helpers of the content modules' shared run (plugins/module_utils/_content/objects.py)."""

import pytest

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._content.objects import (
    lines, object_name_error, shaped_like)


def test_shaped_like_keeps_only_managed_keys():
    current = {"params": {"path": "/a", "connection": "c", "extra": 1}, "type": "Filesystem", "tags": ["x"]}
    expected = {"params": {"path": "/a"}, "type": "Filesystem"}
    assert shaped_like(current, {"params": {"path": "/b"}, "type": "S3"}) == expected


def test_shaped_like_lists_item_by_item_when_same_length_else_whole():
    current = [{"name": "id", "type": "bigint", "comment": "c"}]
    assert shaped_like(current, [{"name": "id", "type": "int"}]) == [{"name": "id", "type": "bigint"}]
    assert shaped_like(current, []) == current


def test_shaped_like_missing_key_is_left_out():
    assert shaped_like({"a": 1}, {"a": 2, "b": 3}) == {"a": 1}


def test_lines_drop_blanks_and_spaces():
    assert lines(" pandas==2.2.2 \n\nnumpy\n") == ["pandas==2.2.2", "numpy"]
    assert lines(None) == []


@pytest.mark.parametrize("name,ok", [("orders", True), ("Orders_2", True), ("a b", False), ("a/b", False),
                                     ("", False), (None, False)])
def test_object_names(name, ok):
    assert (object_name_error(name, "name") is None) == ok
