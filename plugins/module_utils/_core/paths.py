# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Output paths on the controller (``dest``, ``junit_xml``), checked before the first request: a report or an
archive that cannot be written must not be noticed only after scenarios ran or a bundle was exported."""

from __future__ import annotations

import os
import tempfile


def _can_create_in(directory):
    """Whether a file can really be created in ``directory``: a probe file, removed at once. ``os.access`` alone
    says yes to root on a read-only mount or a pseudo file system."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".dss-write-check-", dir=directory)
    except OSError:
        return False
    os.close(fd)
    os.unlink(probe)
    return True


def output_path_error(path, option, allow_dir=False, create_dirs=False):
    """None when ``path`` can be written (created or replaced), else a message saying why not.

    ``allow_dir``: a directory is accepted (a file is then written inside it). ``create_dirs``: missing parent
    directories are created by the writer, so only the nearest existing one must be writable.
    """
    if path is None:
        return None
    path = os.path.abspath(os.path.expanduser(path))
    if os.path.isdir(path):
        if allow_dir:
            return None if _can_create_in(path) else "%s %s: directory is not writable." % (option, path)
        return "%s %s is a directory; give a file path." % (option, path)
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return "%s %s exists and is not writable." % (option, path)
    parent = os.path.dirname(path)
    if not create_dirs and not os.path.isdir(parent):
        return "%s %s: directory %s does not exist." % (option, path, parent)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        return "%s %s: %s is not a directory." % (option, path, parent)
    if not _can_create_in(parent):
        return "%s %s: directory %s is not writable." % (option, path, parent)
    return None
