"""`dataiku.Folder`: a managed folder's files, in <folders dir>/<PROJECT>/<folder id>/ (the node's local
filesystem, as a DSS managed folder on the `filesystem_managed` connection)."""

import os
import shutil

from dataiku import _context

CHUNK = 1024 * 1024


class Folder:
    """dataiku.Folder(lookup, project_key=None, ignore_flow=False): lookup is the folder's id or its name."""

    def __init__(self, lookup, project_key=None, ignore_flow=False):
        key, ref = (lookup.split(".", 1) if "." in lookup and not project_key
                    else (project_key or _context.default_project_key(), lookup))
        found = [f for f in _context.project().get("folders") or []
                 if f.get("projectKey") == key and ref in (f.get("id"), f.get("name"))]
        if not found:
            raise Exception("Managed folder %s does not exist in project %s" % (ref, key))  # pylint: disable=broad-exception-raised
        self.project_key, self.id, self.name = key, found[0]["id"], found[0]["name"]
        self._type = found[0].get("type") or "Filesystem"
        _context.check_declared("Managed folder", "%s.%s" % (key, self.id), self.name, ignore_flow)

    def __getattr__(self, name):
        raise _context.unsupported("dataiku.Folder.%s" % name)

    @property
    def _root(self):
        return os.path.join(os.environ[_context.FOLDERS_DIR], self.project_key, self.id)

    def _file(self, path):
        """The local file of a folder path ("/a/b.csv" or "a/b.csv"); a path leaving the folder is refused."""
        relative = os.path.normpath("/" + str(path)).lstrip("/")
        if relative in ("", ".") or relative.startswith(".."):
            raise ValueError("Invalid path '%s' in managed folder %s" % (path, self.name))
        return os.path.join(self._root, relative)

    def get_info(self, sensitive_info=False):
        del sensitive_info
        return {"id": self.id, "projectKey": self.project_key, "name": self.name, "type": self._type,
                "directoryBasedPartitioning": False, "path": self._root, "accessInfo": {"root": self._root}}

    def get_path(self):
        os.makedirs(self._root, exist_ok=True)
        return self._root

    def list_paths_in_partition(self, partition=""):
        del partition  # the emulator's folders are not partitioned
        paths = []
        for dirpath, _dirs, files in os.walk(self._root):
            for name in files:
                paths.append("/" + os.path.relpath(os.path.join(dirpath, name), self._root).replace(os.sep, "/"))
        return sorted(paths)

    def get_path_details(self, path="/"):
        target = self._root if str(path).strip("/") == "" else self._file(path)
        exists = os.path.exists(target)
        return {"exists": exists, "directory": os.path.isdir(target), "fullPath": "/" + str(path).lstrip("/"),
                "size": os.path.getsize(target) if exists and os.path.isfile(target) else 0}

    def get_download_stream(self, path):
        target = self._file(path)
        if not os.path.isfile(target):
            raise Exception("Path %s does not exist in managed folder %s" % (path, self.name))  # pylint: disable=broad-exception-raised
        return open(target, "rb")  # pylint: disable=consider-using-with

    def upload_stream(self, path, f):
        target = self._file(path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target + ".tmp", "wb") as out:
            shutil.copyfileobj(f, out, CHUNK)
        os.replace(target + ".tmp", target)

    def upload_data(self, path, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        target = self._file(path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target + ".tmp", "wb") as out:
            out.write(data)
        os.replace(target + ".tmp", target)

    def upload_file(self, path, file_path):
        with open(file_path, "rb") as src:
            self.upload_stream(path, src)

    def delete_path(self, path):
        target = self._file(path)
        if os.path.isdir(target):
            shutil.rmtree(target)
        elif os.path.exists(target):
            os.unlink(target)
