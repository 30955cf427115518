"""Make the repository importable and loadable as the collection dataiku_gitops.dss without installing it (a clone):
.build/collections/ansible_collections/dataiku_gitops/dss is a symlink to the repository root."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS_ROOT = os.path.join(ROOT, ".build", "collections")


def installed_collections_root(root=ROOT):
    """The directory holding ``ansible_collections`` when ``root`` is already an installed collection
    (``.../ansible_collections/dataiku_gitops/dss``), else None."""
    parts = os.path.normpath(root).split(os.sep)
    if parts[-3:] == ["ansible_collections", "dataiku_gitops", "dss"]:
        return os.sep.join(parts[:-3]) or os.sep
    return None


def ensure_collection_link():
    installed = installed_collections_root()
    if installed:  # an installed collection is loadable as it is; write nothing inside it
        if installed not in sys.path:
            sys.path.insert(0, installed)
        return installed
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
