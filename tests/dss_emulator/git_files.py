"""Two answers about a project's git repository read from its files instead of a git command: the number of commits
reachable from HEAD (`git rev-list --count HEAD`) and the first records of the log from HEAD (`git log
--format=<LOG_FORMAT> -n N HEAD`). The promotion asks both of every project (the git status and the log of its commit
check), and a git command costs the node a process each time.

Each answer is given only where git's is certain from the files alone, and is then the same text git prints: a
repository in the default layout (no grafts, shallow file, replace refs, alternate object stores, or git variables in
the environment that move them), a config with no section but `core` (with git's defaults), `remote` and `branch`
(which no read here uses), HEAD on a branch with a loose ref or detached, loose commit objects in plain ASCII without
an encoding header or control characters git or the log format would treat specially, and for the log a history
without merges in the entries read. Anything else (packed objects after a gc, a merge, a non-ASCII message) returns
None and the caller runs git, as before. tests/emulator/test_git_files.py compares both answers with git's.
"""

import os
import re
import stat
import struct
import zlib

# Variables of the node's environment through which git could read another repository, object store, history or
# config than the files read here (git runs with project_git._env(), which sets the config variables it needs).
_MOVING_VARIABLES = {"GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                     "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_REPLACE_REF_BASE",
                     "GIT_NO_REPLACE_OBJECTS", "GIT_GRAFT_FILE", "GIT_SHALLOW_FILE", "GIT_DEFAULT_HASH",
                     "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT"}
# The core settings `git init` writes; any other core setting (or value) lets git answer instead.
_CORE_DEFAULTS = {"repositoryformatversion": "0", "filemode": "true", "bare": "false", "logallrefupdates": "true"}
_SHA = re.compile(r"^[0-9a-f]{40}$")
# "author Name <email> 1700000000 +0000": a name without surrounding spaces and no <, > or newline in either part.
_IDENT = re.compile(r"^([^<>\s](?:[^<>\n]*[^<>\s])?) <([^<>\n]*)> ([0-9]+) [+-][0-9]{4}$")
_MAX_COMMITS = 5000  # a longer history is left to git (rev-list)
_INDEX_EXTENSIONS = {b"TREE", b"EOIE", b"IEOT"}  # the cache tree, and offsets only; any other: git answers
_ENTRY = struct.Struct(">10I20sH")  # ctime s, ns, mtime s, ns, dev, ino, mode, uid, gid, size, sha, flags
_MODES = {0o100644, 0o100755, 0o120000}


def _read(path, mode="r"):
    try:
        with open(path, mode, **({} if "b" in mode else {"encoding": "ascii"})) as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def _plain(git_dir):
    """True when nothing outside the repository's own loose objects and refs can change the answers."""
    if os.environ.keys() & _MOVING_VARIABLES:
        return False
    for path in ("info/grafts", "shallow", "objects/info/alternates", "commondir"):
        if os.path.lexists(os.path.join(git_dir, path)):
            return False
    replace = os.path.join(git_dir, "refs", "replace")
    if os.path.isdir(replace) and any(names for _base, _dirs, names in os.walk(replace)):
        return False
    config = _read(os.path.join(git_dir, "config"))
    return config is not None and _config_is_plain(config)


def _config_is_plain(text):
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            name = line[1:].split("]", 1)[0].split(None, 1)[0].lower() if "]" in line else ""
            if name not in ("core", "remote", "branch"):
                return False
            section = name
            continue
        if section == "core":
            key, sep, value = line.partition("=")
            if not sep or _CORE_DEFAULTS.get(key.strip().lower()) != value.strip().lower():
                return False
        elif section is None:
            return False
    return True


def head_commit(repo_path):
    """The sha HEAD names, read from .git/HEAD and a loose branch ref; None when git should say (unborn branch,
    packed or symbolic ref, anything unusual)."""
    git_dir = os.path.join(repo_path, ".git")
    head = _read(os.path.join(git_dir, "HEAD"))
    if head is None or not head.endswith("\n") or "\n" in head[:-1]:
        return None
    head = head[:-1]
    if head.startswith("ref: refs/heads/"):
        head = _read(os.path.join(git_dir, head[len("ref: "):]))
        if head is None or not head.endswith("\n"):
            return None
        head = head[:-1]
    return head if _SHA.match(head) else None


def _commit(git_dir, sha):
    """(parents, author ident, message, tree) of a loose commit object in plain ASCII, else None."""
    raw = _read(os.path.join(git_dir, "objects", sha[:2], sha[2:]), "rb")
    if raw is None:
        return None
    try:
        data = zlib.decompress(raw)
    except zlib.error:
        return None
    header, _nul, body = data.partition(b"\0")
    if not header.startswith(b"commit ") or header[7:] != str(len(body)).encode():
        return None
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        return None
    # Characters git or the route's parsing treat specially (NUL ends git's %B, CR is read as a newline, \x1e and
    # \x1f separate the log format's records and fields, other controls may be stripped differently).
    if any(ord(c) < 32 and c not in "\n\t" or ord(c) == 127 for c in text):
        return None
    headers, sep, message = text.partition("\n\n")
    if not sep:
        return None
    parents, author, tree = [], None, None
    for line in headers.split("\n"):
        if line.startswith("tree ") and tree is None:
            tree = line[5:]
        elif line.startswith("parent "):
            parents.append(line[7:])
        elif line.startswith("author ") and author is None:
            author = line[7:]
        elif line.startswith(("encoding ", "gpgsig", " ", "mergetag")):
            return None
    if author is None or not all(_SHA.match(p) for p in parents + [tree or ""]):
        return None
    return parents, author, message, tree


def commit_count(repo_path):
    """`git rev-list --count HEAD` from the loose objects, else None."""
    git_dir = os.path.join(repo_path, ".git")
    head = head_commit(repo_path) if _plain(git_dir) else None
    if head is None:
        return None
    seen, todo = {head}, [head]
    while todo:
        commit = _commit(git_dir, todo.pop())
        if commit is None or len(seen) > _MAX_COMMITS:
            return None
        for parent in commit[0]:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return len(seen)


def _subject(message):
    """git's %s: the first paragraph (after leading blank lines), each line without trailing blanks, joined by
    spaces."""
    lines, started = [], False
    for line in message.split("\n"):
        line = line.rstrip(" \t\v\f")
        if not line:
            if started:
                break
            continue
        started = True
        lines.append(line)
    return " ".join(lines)


def head_log(repo_path, count):
    """The text of `git log --format=%H%x1f%an%x1f%ae%x1f%at%x1f%s%x1f%B%x1e -n <count> HEAD` (LOG_FORMAT of the
    log route), else None. Records follow first parents: exact while no entry read is a merge."""
    git_dir = os.path.join(repo_path, ".git")
    sha = head_commit(repo_path) if _plain(git_dir) else None
    if sha is None or count < 1:
        return None
    records = []
    while sha is not None and len(records) < count:
        commit = _commit(git_dir, sha)
        if commit is None:
            return None
        parents, author, message, _tree = commit
        ident = _IDENT.match(author)
        if ident is None or (len(parents) > 1 and len(records) + 1 < count):
            return None
        name, email, when = ident.groups()
        records.append("\x1f".join((sha, name, email, when, _subject(message), message)) + "\x1e\n")
        sha = parents[0] if parents else None
    return "".join(records)


def _index_mode(mode):
    if stat.S_ISLNK(mode):
        return 0o120000
    if stat.S_ISREG(mode):
        return 0o100755 if mode & 0o100 else 0o100644
    return None


def _root_tree(extensions):
    """The tree id the index's cache tree (TREE extension) gives for the whole index, None when invalid."""
    data = extensions.get(b"TREE")
    if data is None or not data.startswith(b"\0"):
        return None, -1
    counts, newline, rest = data[1:].partition(b"\n")
    try:
        entries, _subtrees = (int(n) for n in counts.split(b" "))
    except ValueError:
        return None, -1
    if not newline or entries < 0 or len(rest) < 20:
        return None, -1
    return rest[:20].hex(), entries


def _index(git_dir):
    """({path: entry fields}, cache tree id, its entry count, index mtime in ns) of a plain index, else None."""
    path = os.path.join(git_dir, "index")
    data = _read(path, "rb")
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return None
    if data is None or len(data) < 32 or data[:4] != b"DIRC":
        return None
    version, count = struct.unpack(">II", data[4:12])
    if version not in (2, 3):
        return None
    entries, offset = {}, 12
    for _number in range(count):
        if offset + _ENTRY.size > len(data) - 20:
            return None
        fields = _ENTRY.unpack_from(data, offset)
        flags = fields[11]
        # Assume-valid, extended flags (intent to add, skip-worktree), a merge stage, a long name: git answers.
        if flags & 0xF000 or (flags & 0xFFF) == 0xFFF or fields[6] not in _MODES:
            return None
        name = data[offset + _ENTRY.size:offset + _ENTRY.size + (flags & 0xFFF)]
        entries[name] = fields[:10]
        offset += (_ENTRY.size + len(name) + 8) & ~7
    extensions = {}
    while offset + 8 <= len(data) - 20:
        signature, size = struct.unpack_from(">4sI", data, offset)
        if signature not in _INDEX_EXTENSIONS:
            return None
        extensions[signature] = data[offset + 8:offset + 8 + size]
        offset += 8 + size
    if offset != len(data) - 20:
        return None
    tree, tree_entries = _root_tree(extensions)
    return entries, tree, tree_entries, mtime


def _working_files(top):
    """Every path of the working tree that is not a directory (relative, bytes), or None with a nested .git."""
    found, todo = [], [b""]
    while todo:
        relative = todo.pop()
        with os.scandir(os.path.join(top, relative) if relative else top) as listing:
            for entry in listing:
                name = relative + b"/" + entry.name if relative else entry.name
                if entry.name == b".git":
                    if relative:
                        return None  # a repository inside the project's: git lists it its own way
                    continue
                if entry.is_dir(follow_symlinks=False):
                    todo.append(name)
                else:
                    found.append(name)
    return found


def is_clean(repo_path):
    """True when `git status --porcelain -uall` lists nothing, decided as git decides it from the files: the index's
    cache tree is HEAD's tree, every working tree file is an index entry and each entry's stat data is the file's
    own and older than the index (not racy); else None (git answers)."""
    git_dir = os.path.join(repo_path, ".git")
    if not _plain(git_dir) or os.path.lexists(os.path.join(git_dir, "index.lock")):
        return None
    head = head_commit(repo_path)
    commit = _commit(git_dir, head) if head else None
    index = _index(git_dir)
    if commit is None or index is None:
        return None
    entries, tree, tree_entries, index_mtime = index
    if tree != commit[3] or tree_entries != len(entries):
        return None
    files = _working_files(os.fsencode(repo_path))
    if files is None or len(files) != len(entries) or not all(name in entries for name in files):
        return None
    for name, fields in entries.items():
        try:
            st = os.lstat(os.path.join(os.fsencode(repo_path), name))
        except OSError:
            return None
        mask = 0xFFFFFFFF
        found = (st.st_ctime_ns // 10 ** 9 & mask, st.st_ctime_ns % 10 ** 9, st.st_mtime_ns // 10 ** 9 & mask,
                 st.st_mtime_ns % 10 ** 9, st.st_dev & mask, st.st_ino & mask, _index_mode(st.st_mode),
                 st.st_uid & mask, st.st_gid & mask, st.st_size & mask)
        if found != fields or st.st_mtime_ns >= index_mtime:
            return None
    return True
