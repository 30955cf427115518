"""One-line, cut messages (_core/ids.py) and the description of answers that are not DSS's (_core/transport.py)."""

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import cut_line, cut_long_words
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.transport import not_dss_answer


def test_long_words_are_cut_paths_of_ordinary_length_are_not():
    text = "bundle %s of /tmp/%s/x.zip" % ("b" * 150, "d" * 120)
    cut = cut_long_words(text)
    assert "b" * 100 + "... (150 characters)" in cut and "/tmp/%s/x.zip" % ("d" * 120) in cut
    assert cut_long_words("short words only") == "short words only"
    assert "/" * 1001 not in cut_long_words("/" * 1001 + " x")


def test_cut_line_joins_lines_and_cuts():
    assert cut_line("a\n  b\r\nc") == "a b c"
    assert cut_line("x" * 50, 10) == "x" * 10 + "... (50 characters)"


def test_not_dss_answer_says_status_type_first_bytes_and_meaning():
    text = not_dss_answer(503, "text/html", "<html>\n<body>" + "y" * 500)
    assert text.startswith("HTTP 503, content type text/html, body starting '<html> <body>yyy")
    assert "..." in text and "could not reach DSS" in text and "\n" not in text
    assert "not DSS's API" in not_dss_answer(None, None, "")
