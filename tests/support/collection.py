"""Make the repository importable and loadable as the collection dataiku_gitops.dss without installing it:
.build/collections/ansible_collections/dataiku_gitops/dss is a symlink to the repository root."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS_ROOT = os.path.join(ROOT, ".build", "collections")


def ensure_collection_link():
    ns_dir = os.path.join(COLLECTIONS_ROOT, "ansible_collections", "dataiku_gitops")
    link = os.path.join(ns_dir, "dss")
    if not os.path.islink(link):
        os.makedirs(ns_dir, exist_ok=True)
        tmp = link + ".tmp%d" % os.getpid()
        os.symlink(os.path.relpath(ROOT, ns_dir), tmp)
        os.replace(tmp, link)
    if COLLECTIONS_ROOT not in sys.path:
        sys.path.insert(0, COLLECTIONS_ROOT)
    return COLLECTIONS_ROOT
