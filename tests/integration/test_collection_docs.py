"""Reference docs: antsibull-docs lints the collection clean, renders a page per module, role and guide, the guides'
pages are what the Markdown guides generate, and the docsite that `antsibull-docs sphinx-init` scaffolds builds to
HTML."""

import glob
import re
import os
import subprocess
import sys

import yaml

from tests.support import guide_pages
from tests.support.collection import COLLECTIONS_ROOT, ROOT, ensure_collection_link

ANTSIBULL_DOCS = os.path.join(os.path.dirname(sys.executable), "antsibull-docs")


def _run(cmd, cwd):
    ensure_collection_link()
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT,
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    # generous: a guard against a hang only (on a loaded machine the lint and the HTML build take minutes)
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def test_lint_collection_docs_is_clean():
    # run from .../ansible_collections/dataiku_gitops/dss (the link), as antsibull-docs expects. --skip-rstcheck: the
    # RST it generates is what `antsibull-docs collection` generates for the docsite, which the test below builds with
    # Sphinx failing on any warning (docutils parses every page there); rstcheck would parse it again, which is
    # half of this command's CPU. The schema, markup and reference checks of the plugin docs still run.
    output = _run([ANTSIBULL_DOCS, "lint-collection-docs", "--plugin-docs", "--skip-rstcheck", "."],
                  os.path.join(COLLECTIONS_ROOT, "ansible_collections", "dataiku_gitops", "dss"))
    assert output.strip() == "", output


def build_docsite(tmp_path):
    """The docsite `antsibull-docs sphinx-init` scaffolds, with its rst/ pages generated."""
    site = tmp_path / "site"
    site.mkdir(mode=0o700)  # antsibull-docs refuses a destination others can write to
    _run([ANTSIBULL_DOCS, "sphinx-init", "--use-current", "--dest-dir", str(site), "dataiku_gitops.dss"], ROOT)
    (site / "rst").chmod(0o700)  # sphinx-init creates it; antsibull-docs refuses a directory others can write to
    _run([ANTSIBULL_DOCS, "--config-file", "antsibull-docs.cfg", "collection", "--use-current", "--dest-dir", "rst",
          "dataiku_gitops.dss"], str(site))
    return site


def check_docsite_pages(dest):
    """A page per module, role and guide in the generated rst/."""
    pages = dest / "collections" / "dataiku_gitops" / "dss"
    modules = [os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))
               if not p.endswith("__init__.py")]
    roles = [os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "roles", "*")) if os.path.isdir(p)]
    assert modules and roles
    for module in modules:
        assert (pages / ("%s_module.rst" % module)).is_file(), module
    for role in roles:
        assert (pages / ("%s_role.rst" % role)).is_file(), role
    extra = yaml.safe_load(open(os.path.join(ROOT, "docs", "docsite", "extra-docs.yml"), encoding="utf-8"))
    guides = [doc for section in extra["sections"] for doc in section["toctree"]]
    for guide in guides:
        assert (pages / "docsite" / ("%s.rst" % guide)).is_file(), guide
    index = (pages / "index.rst").read_text()
    assert "docsite/guide_getting_started" in index and "Report an issue" in index
    # the env fallbacks the AWX credential type relies on are documented on the module pages
    assert "DATAIKU_API_KEY" in (pages / "dataiku_project_info_module.rst").read_text()


def test_guide_pages_are_generated_from_the_markdown_guides():
    # one source: each docs/<name>.md has its page, exactly as `make docsite-guides` writes it, and no other page
    expected = guide_pages.pages()
    on_disk = glob.glob(os.path.join(guide_pages.PAGES, "*.rst"))
    assert sorted(on_disk) == sorted(expected), "run `make docsite-guides`"
    stale = [os.path.relpath(path, ROOT) for path, content in expected.items()
             if open(path, encoding="utf-8").read() != content]
    assert stale == [], "pages not generated from their guide (edit the .md, run `make docsite-guides`): %s" % stale


def test_every_guide_page_is_in_the_docsite_index_once():
    with open(os.path.join(ROOT, "docs", "docsite", "extra-docs.yml"), encoding="utf-8") as fh:
        extra = yaml.safe_load(fh)
    listed = [doc for section in extra["sections"] for doc in section["toctree"]]
    assert sorted(listed) == sorted(guide_pages.page_name(g) for g in guide_pages.guides())


def test_guide_links_become_docsite_references():
    page = guide_pages.Page("getting-started").render()
    # a bare file name links the page by its title, a link to a section its label, a file on GitHub
    assert ":ref:`%sguide_emulator`" % guide_pages.LABEL_PREFIX in page
    assert ".. _%sguide_getting_started.start-three-nodes:" % guide_pages.LABEL_PREFIX in page
    assert "<https://github.com/dataiku-gitops/dss/tree/main/docs/ci>`__" in page
    rollback = guide_pages.Page("troubleshooting").render()
    assert "%sguide_rollback.first-deployment>`" % guide_pages.LABEL_PREFIX in rollback


# Only warnings caused by the missing network are tolerated: intersphinx cannot fetch the Python, Jinja and Ansible
# inventories here, and the labels those inventories define (such as common_return_values) are then undefined.
_ANSIBLE_DOCS_LABELS = ("common_return_values", "ansible_configuration_settings", "callback_plugins")
_OFFLINE_WARNING = re.compile(r"failed to reach any of the inventories|intersphinx inventory|undefined label: '(%s)'"
                              % "|".join(_ANSIBLE_DOCS_LABELS))


def test_docsite_has_a_page_per_module_role_and_guide_and_builds_to_html(tmp_path):
    # one generation of the pages for both checks (it is the slow part)
    site = build_docsite(tmp_path)
    check_docsite_pages(site / "rst")
    # build.sh adds -W (warnings are errors); here the offline warnings are filtered instead, every other one fails
    output = _run([os.path.join(os.path.dirname(sys.executable), "sphinx-build"), "-M", "html", "rst", "build", "-c", "."],
                  str(site))
    warnings = [line for line in output.splitlines() if "WARNING" in line and not _OFFLINE_WARNING.search(line)]
    assert warnings == [], "\n".join(warnings)
    html = site / "build" / "html" / "collections" / "dataiku_gitops" / "dss"
    for page in ("dataiku_bundle_module.html", "bundle_deploy_role.html", "index.html"):
        assert (html / page).is_file(), page
