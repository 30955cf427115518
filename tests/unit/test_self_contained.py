"""Project files stand alone: none cites reference material kept outside the repository."""

import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Names of the maintainers' private reference notes, which users of the collection do not have.
OUTSIDE = ("dss-api.md", "ansible-practice.md", "prior-art.md", "../shared/")


def test_no_file_cites_material_outside_the_repository():
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    hits = []
    for name in files:
        if name == "tests/unit/test_self_contained.py" or not os.path.isfile(os.path.join(ROOT, name)):
            continue
        with open(os.path.join(ROOT, name), encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, 1):
                hits += ["%s:%d" % (name, number) for needle in OUTSIDE if needle in line]
    assert not hits, "files citing material outside the repository: %s" % ", ".join(hits)
