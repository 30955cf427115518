"""The changelog of the next release describes what a user of that release gets: antsibull-changelog accepts the
fragments, a first release has a summary and no fixes or breaking changes of a version nobody had, and every plugin
says it was added in a released version or in the next one (so that the release lists it as new)."""

import glob
import os
import re
import subprocess
import sys

import pytest
import yaml

from tests.support.collection import ROOT

FRAGMENTS = os.path.join(ROOT, "changelogs", "fragments")


def _yaml(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _version(text):
    return tuple(int(part) for part in text.split("."))


def test_antsibull_changelog_accepts_the_fragments():
    tool = os.path.join(os.path.dirname(sys.executable), "antsibull-changelog")
    if not os.path.exists(tool):  # the per-version virtualenvs of the support matrix hold no release tools
        pytest.skip("antsibull-changelog is in the development virtualenv (make venv), not in this one")
    lint = subprocess.run([tool, "lint"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert lint.returncode == 0 and not lint.stdout.strip(), lint.stdout + lint.stderr


def test_a_first_release_has_one_summary_and_no_fixes_of_an_unreleased_version():
    if _yaml(os.path.join(ROOT, "changelogs", "changelog.yaml")).get("releases"):
        return  # after the first release, fixes of released versions are what users need to read
    sections = [(os.path.basename(path), section) for path in sorted(glob.glob(os.path.join(FRAGMENTS, "*.yml")))
                for section in _yaml(path)]
    assert [name for name, section in sections if section == "release_summary"] == ["first-release.yml"]
    wrong = [(name, section) for name, section in sections if section in ("bugfixes", "breaking_changes")]
    assert not wrong, "nobody had the version these fix or break: describe them as what the release does %s" % wrong


def test_no_plugin_is_announced_for_a_version_after_the_next_release():
    galaxy_version = _version(_yaml(os.path.join(ROOT, "galaxy.yml"))["version"])
    later = []
    for path in glob.glob(os.path.join(ROOT, "plugins", "**", "*.py"), recursive=True) + \
            glob.glob(os.path.join(ROOT, "plugins", "**", "*.yml"), recursive=True):
        with open(path, encoding="utf-8") as fh:
            for added in re.findall(r"version_added:\s*['\"]?([0-9.]+)", fh.read()):
                if _version(added) > galaxy_version:
                    later.append((os.path.relpath(path, ROOT), added))
    assert not later, later


def test_every_deprecated_module_says_so_in_its_docs_and_in_a_deprecated_features_fragment():
    """A deprecation in meta/runtime.yml reaches users three ways: the warning, ansible-doc (``deprecated`` with the
    same removal version) and the changelog's Deprecated Features section."""
    routing = (_yaml(os.path.join(ROOT, "meta", "runtime.yml")).get("plugin_routing") or {}).get("modules") or {}
    deprecated = {name: entry["deprecation"] for name, entry in routing.items() if "deprecation" in entry}
    announced = " ".join(str(item) for path in glob.glob(os.path.join(FRAGMENTS, "*.yml"))
                         for item in _yaml(path).get("deprecated_features") or [])
    for name, deprecation in deprecated.items():
        assert "dataiku_gitops.dss." in deprecation["warning_text"], (name, "the warning names the replacement")
        assert re.search(r"(^|\s)%s - " % re.escape(name), announced), "%s has no deprecated_features entry" % name
        with open(os.path.join(ROOT, "plugins", "modules", name + ".py"), encoding="utf-8") as fh:
            source = fh.read()
        docs = yaml.safe_load(source.split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0])
        assert str(docs["deprecated"]["removed_in"]) == str(deprecation["removal_version"]), name
