# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of DSS identifiers before they reach a URL.

dataikuapi formats ids into URL paths unescaped: a ``#`` or ``?`` truncates the path and a ``/`` changes it, so
a bad id silently addresses another resource. Every id is checked here before the first request.
"""

from __future__ import annotations

import re

PROJECT_KEY_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
BUNDLE_ID_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
# Connection, scenario, dataset and code env names: DSS allows more than this, but never URL delimiters.
NAME_RE = re.compile(r"^[^/#?%\\\s][^/#?%\\]*$")
# Longest repr of a value echoed in a message: a 100,000-character id must not flood the output.
ECHO_LIMIT = 100
LONG_WORD_RE = re.compile(r"\S{%d,}" % (ECHO_LIMIT + 1))


def shown(value):
    """``repr(value)`` for a message, cut to ECHO_LIMIT characters with the full length said."""
    text = repr(value)
    if len(text) <= ECHO_LIMIT:
        return text
    length = len(value) if isinstance(value, (str, list, dict)) else len(text)
    return "%s... (%d characters)" % (text[:ECHO_LIMIT], length)


def bundle_id_of_commit(sha):
    """The bundle id a commit of the design project names: "g" + its first 12 hex characters (git describe's style)."""
    return "g" + sha[:12]


def cut_line(text, limit=None):
    """``text`` on one line (newlines and runs of spaces become one space), cut to ``limit`` characters."""
    text = " ".join(str(text).split())
    if limit is not None and len(text) > limit:
        return "%s... (%d characters)" % (text[:limit], len(text))
    return text


def cut_long_words(text, limit=ECHO_LIMIT):
    """``text`` with every word longer than ``limit`` characters cut (an id quoted whole, an answer without spaces):
    messages quote input and answers at most ``limit`` characters at a time (paths and URLs up to ten times that)."""
    def cut(match):
        word = match.group(0)
        if "/" in word and len(word) <= 10 * limit:  # a path or URL of ordinary length is quoted whole
            return word
        return "%s... (%d characters)" % (word[:limit], len(word))
    return LONG_WORD_RE.sub(cut, text) if len(text) > limit else text


def project_key_error(key, option="project_key"):
    """None when ``key`` is a valid DSS project key, else a message saying what is allowed."""
    if not isinstance(key, str) or not PROJECT_KEY_RE.match(key):
        return ("%s %s is not a valid DSS project key: use an upper-case letter followed by upper-case letters, "
                "digits or underscores (for example MY_PROJECT_2)." % (option, shown(key)))
    return None


def bundle_id_error(bundle_id, option="bundle_id"):
    """None when ``bundle_id`` is safe to put in a URL, else a message saying what is allowed."""
    if not isinstance(bundle_id, str) or not BUNDLE_ID_RE.match(bundle_id) or bundle_id in (".", ".."):
        return ("%s %s is not a valid bundle id: use only letters, digits, '_', '.' and '-' (for example "
                "v1.4.0 or git-3f2a9c1); characters such as '#', '/', '?' or spaces would address another "
                "resource in the DSS API." % (option, shown(bundle_id)))
    return None


def name_error(name, option):
    """None when ``name`` (a connection, dataset, scenario or code env name) is safe in a URL path."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        return ("%s %s is not a usable DSS name here: it must not be empty, start with a space, or contain '/', "
                "'#', '?', '%%' or '\\'." % (option, shown(name)))
    return None
