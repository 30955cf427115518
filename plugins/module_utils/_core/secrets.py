# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which values of a module's raw arguments must be masked in everything it returns.

``no_log`` on an option only protects a value that reaches the option: an API key under a misspelt name
(``apikey``, ``source.apikey``), inside an option given a string or a list where a dict is expected, or in the
userinfo of a URL is echoed by ansible-core in ``invocation.module_args`` (the registered result, ``-vvv`` and
ansible-runner events). DssModule adds what this finds to ``no_log_values``, which AnsibleModule removes from
every result, message included.
"""

from __future__ import annotations

import re

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.transport import userinfo_secrets

# Shorter strings are not masked: masking replaces every occurrence, and a short value would garble the output.
MIN_SECRET_LENGTH = 6
SECRET_NAME_RE = re.compile(r"api_?key|apikey|password|passwd|secret|token|credential", re.IGNORECASE)
# key=value or "key": "value" inside a string (an option given ``api_key=... url=...`` or JSON text).
SECRET_IN_TEXT_RE = re.compile(r"(?:api_?key|apikey|password|passwd|secret|token)[\"']?\s*[=:]\s*[\"']?([^\s,;&\"'}\]]+)",
                               re.IGNORECASE)
# The scheme is bounded so that a long string without "://" is scanned in linear time.
URL_IN_TEXT_RE = re.compile(r"\b[a-z][a-z0-9+.-]{0,15}://[^\s\"'<>]+", re.IGNORECASE)


WORD_SPLIT_RE = re.compile(r"[\s,;=\"'{}\[\]]+")


def _leaves(value):
    """Every string inside ``value`` (a scalar, list or dict, keys included), and the words of each: ansible-core
    may turn ``"a=KEY b=c"`` into a dict whose values are those words."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(key)
            yield from _leaves(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, str):
        yield value
        yield from WORD_SPLIT_RE.split(value)


def _in_text(text):
    """Secrets written inside one string: key=value pairs and URL userinfo."""
    found = SECRET_IN_TEXT_RE.findall(text)
    for url in URL_IN_TEXT_RE.findall(text):
        found += userinfo_secrets(url)
    return found


def _known_names(options):
    names = {}
    for name, spec in options.items():
        names[name] = spec
        for alias in spec.get("aliases") or ():
            names[alias] = spec
    return names


def _walk_dict(value, options, found):
    """Collect into ``found`` what to mask in a dict validated against ``options`` (None: free-form)."""
    names = _known_names(options) if options is not None else None
    for key, item in value.items():
        if str(key).startswith("_ansible_"):
            continue
        spec = names.get(key) if names is not None else None
        if SECRET_NAME_RE.search(str(key)) or (names is not None and spec is None):
            found.update(_leaves(item))  # a secret-looking name, or a name the module does not know
        else:
            _walk(item, spec, found)


def _walk(value, spec, found):
    """Collect into ``found`` what to mask in one value of the option ``spec`` (None: free-form content)."""
    spec = spec or {}
    wanted, elements = spec.get("type"), spec.get("elements")
    if value is None:
        return
    if wanted == "dict" and not isinstance(value, dict):
        found.update(_leaves(value))  # a dict option given a string or a list: its content is unparsed
    elif wanted == "list" and elements == "dict":
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                _walk_dict(item, spec.get("options"), found)
            else:
                found.update(_leaves(item))  # an entry that should be a dict
    elif isinstance(value, dict):
        _walk_dict(value, spec.get("options"), found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _walk(item, None, found)
    elif isinstance(value, str):
        found.update(_in_text(value))


def values_to_mask(params, argument_spec):
    """The strings of ``params`` (raw module arguments) that must not appear in any output."""
    found = set()
    _walk_dict(params or {}, argument_spec or {}, found)
    return {value for value in found if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH}
