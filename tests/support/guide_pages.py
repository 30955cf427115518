"""The docsite pages of the guides: docs/docsite/rst/guide_<name>.rst generated from docs/<name>.md.

The Markdown guides are the one source (GitHub renders them, the doc-command tests run them); antsibull-docs only
reads reStructuredText, so each guide gets a generated page, committed because the docsite is built from the
collection as it is installed. `make docsite-guides` rewrites them; tests/unit/test_guide_pages.py fails when a
page is not what its guide generates.

Only what the guides use is converted: headings, paragraphs, lists, tables, code blocks and inline code, emphasis
and links. A link to another guide becomes a reference to its page (a `#section` to that section's label), a link
to another file of the repository a link to that file on GitHub.
"""

import glob
import os
import posixpath
import re
import sys

import yaml
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join(ROOT, "docs")
PAGES = os.path.join(DOCS, "docsite", "rst")
LABEL_PREFIX = "ansible_collections.dataiku_gitops.dss.docsite."
UNDERLINES = {1: "=", 2: "-", 3: "^", 4: '"'}
# reStructuredText inline markup characters, escaped in plain text.
SPECIAL = re.compile(r"([\\*`_|])")
HEADER = """..
  Generated from docs/{source} by `make docsite-guides`: edit the Markdown guide, then regenerate.
  GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""


def guides():
    """docs/<name>.md of every guide (the docs index, docs/README.md, is not a guide)."""
    return sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(DOCS, "*.md"))
                  if os.path.basename(p) != "README.md")


def page_name(guide):
    return "guide_" + guide.replace("-", "_")


def github_url(path):
    """A repository file or directory (path relative to the root) on GitHub, from docs/docsite/links.yml."""
    with open(os.path.join(DOCS, "docsite", "links.yml"), encoding="utf-8") as fh:
        repo = yaml.safe_load(fh)["edit_on_github"]
    kind = "tree" if path.endswith("/") or os.path.isdir(os.path.join(ROOT, path)) else "blob"
    return "https://github.com/%s/%s/%s/%s" % (repo["repository"], kind, repo["branch"], path.rstrip("/"))


class Page:
    """One guide rendered to reStructuredText."""

    def __init__(self, guide):
        self.guide = guide
        self.anchors = set()  # the headings' anchors so far
        with open(os.path.join(DOCS, guide + ".md"), encoding="utf-8") as fh:
            self.tree = SyntaxTreeNode(MarkdownIt("commonmark").enable("table").parse(fh.read()))

    def anchor(self, title):
        """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, `-N` on repeats."""
        base = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        anchor, number = base, 0
        while anchor in self.anchors:
            number += 1
            anchor = "%s-%d" % (base, number)
        self.anchors.add(anchor)
        return anchor

    def render(self):
        self.anchors.clear()
        body = "\n\n".join(self.block(node) for node in self.tree.children)
        return HEADER.format(source=self.guide + ".md") + ".. _%s%s:\n\n%s\n" % (
            LABEL_PREFIX, page_name(self.guide), body)

    # -- blocks ---------------------------------------------------------------------------------------------

    def block(self, node):
        kind = node.type
        if kind == "heading":
            level = int(node.tag[1])
            title = re.sub(r"^(\d+)\.", r"\1\\.", self.inline(node.children[0]))  # not a list item
            anchor = self.anchor(node.children[0].content)
            label = "" if level == 1 else ".. _%s%s.%s:\n\n" % (LABEL_PREFIX, page_name(self.guide), anchor)
            return "%s%s\n%s" % (label, title, UNDERLINES[level] * len(title))
        if kind == "paragraph":
            return self.inline(node.children[0])
        if kind == "fence":
            language = node.info.strip() or "text"
            code = "".join("   " + line if line.strip() else "\n" for line in node.content.splitlines(True))
            return ".. code-block:: %s\n\n%s" % (language, code.rstrip("\n"))
        if kind in ("bullet_list", "ordered_list"):
            return self.listing(node)
        if kind == "table":
            return self.table(node)
        raise ValueError("%s.md: no reStructuredText for Markdown %s" % (self.guide, kind))

    def listing(self, node):
        items = []
        for number, item in enumerate(node.children, int(node.attrs.get("start", 1))):
            marker = "%d. " % number if node.type == "ordered_list" else "- "
            text = "\n\n".join(self.block(child) for child in item.children)
            items.append(marker + text.replace("\n", "\n" + " " * len(marker)).replace(" " * len(marker) + "\n", "\n"))
        return "\n".join(items)

    def table(self, node):
        rows = [row for section in node.children for row in section.children]
        lines = [".. list-table::", "   :header-rows: 1", ""]
        for row in rows:
            for index, cell in enumerate(row.children):
                text = self.inline(cell.children[0]) if cell.children else ""
                lines.append(("   * - " if index == 0 else "     - ") + (text or "\\ "))
        return "\n".join(lines)

    # -- inline ---------------------------------------------------------------------------------------------

    def inline(self, node):
        """Inline content; markup is set apart from the characters RST does not allow next to it (a letter, a
        digit, most punctuation) with an escaped space."""
        parts = []
        for child in node.children:
            parts.extend(self.inline_parts(child))
        out, after_markup = "", False
        for markup, text in parts:
            if markup and out and not out[-1].isspace() and out[-1] not in "-:/'\"<([{":
                out += "\\ "
            elif after_markup and text and not text[0].isspace() and text[0] not in "-.,:;!?\\/'\")]}>":
                out += "\\ "
            out += text
            after_markup = markup
        return out

    def inline_parts(self, node):
        kind = node.type
        if kind == "text":
            return [(False, SPECIAL.sub(r"\\\1", node.content))]
        if kind == "softbreak":
            return [(False, "\n")]
        if kind == "code_inline":
            return [(True, "``%s``" % node.content)]
        if kind in ("strong", "em"):
            if any(child.type != "text" for child in node.children):  # RST does not nest inline markup
                return self.children_parts(node)
            mark = "**" if kind == "strong" else "*"
            return [(True, mark + "".join(part[1] for part in self.children_parts(node)) + mark)]
        if kind == "link":
            text = "".join(child.content for child in node.children).replace("`", "")
            return [(True, self.link(text, node.attrs["href"]))]
        raise ValueError("%s.md: no reStructuredText for inline Markdown %s" % (self.guide, kind))

    def children_parts(self, node):
        return [part for child in node.children for part in self.inline_parts(child)]

    def link(self, text, href):
        if re.match(r"^[a-z]+://", href):
            return "`%s <%s>`__" % (text, href)
        path, anchor = (href.split("#", 1) + [""])[:2]
        target = posixpath.normpath(posixpath.join("docs", path)) + ("/" if path.endswith("/") else "")
        guide = target[len("docs/"):-3] if target.startswith("docs/") and target.endswith(".md") else None
        if guide in guides():
            label = LABEL_PREFIX + page_name(guide) + ("." + anchor if anchor else "")
            if text == posixpath.basename(href):  # a bare file name: the page's title reads better
                return ":ref:`%s`" % label
            return ":ref:`%s <%s>`" % (text, label)
        if not os.path.exists(os.path.join(ROOT, target)):
            raise ValueError("%s.md links to %s, which is not in the repository" % (self.guide, href))
        return "`%s <%s>`__" % (text, github_url(target))


def pages():
    """{path of the page: its content} for every guide."""
    return {os.path.join(PAGES, page_name(g) + ".rst"): Page(g).render() for g in guides()}


def main():
    for path, content in pages().items():
        with open(path, "w", encoding="utf-8") as out:
            out.write(content)
        print("wrote %s" % os.path.relpath(path, ROOT))


if __name__ == "__main__":
    sys.exit(main())
