"""What the test fork servers compute once for all their runs (tests/support/playbook_server.py, module_server.py).

A run still reads every file it reads in a fresh process; only the work of turning the same bytes into the same
Python objects is done once, in the server, before it forks.

- ``parse_core_files`` (playbook server): about a quarter of a served run was PyYAML reading two files of the installed
  ansible-core: ``config/ansible_builtin_runtime.yml`` (the builtin collection's routing, 370 kB) through
  ``_meta_yml_to_dict`` (which ansible-core names as the hook that tools replace to cache it), and ``config/base.yml``
  (the configuration's definitions) through ``yaml_load``. A run's parse of the same bytes (the routing) or of the
  same unchanged file (the definitions: device, inode, size and modification time) takes the server's value. Each
  value is taken once per run: a run works on its own copy of the server's memory, so what it does with a value (the
  configuration manager adds to the definitions) reaches neither the server nor another run, and a second parse in
  the same run parses again.
- ``compile_collection`` (module server): a module run imports the collection's module and module_utils from its
  AnsiballZ archive, and zipimport compiles each file's source at every run (no bytecode in the archive). The server
  compiles the collection's sources once; when zipimport compiles the same bytes, it gets that code with the
  archive's path as its file name, which is what ``compile`` gives (the code differs only in the object identities
  marshal records). A file that AnsiballZ did not pack is still missing, and any other source is compiled as before.
- ``compile_for_runs`` (playbook server): a run's controller compiles the collection's plugins (filters, inventory,
  callback) from source in each process that loads them (ansible-core's collection loader keeps no bytecode), and
  each AnsiballZ build parses the module and every module_util it packs (ansible-core's and the collection's) into
  a syntax tree to find their imports. The server compiles and parses those sources once; the collection loader gets
  the code compiled from the same path and bytes, an AnsiballZ build the tree of the same bytes (a tree holds no file
  name). Other sources, and sources that do not compile, go through as before. The server keeps of each tree only
  what a build reads (``skeleton``): the whole trees took 42 MiB, and a fork costs about 0.1 ms of CPU per MiB of
  the forking process here, paid by every run's controller and each of its workers.
- ``compile_templates`` (playbook server): ansible-core compiles each template and expression of a task afresh in every
  worker (a new Jinja environment per task, no cache shared between processes), about a tenth of a promotion's CPU.
  The runs' processes share a cache directory instead: the Python code Jinja generates for the same source with the
  same compile settings (the environment's lexer and code generator settings, ansible-core's embedded-template and
  backslash settings) is written there once and read back by marshal, then turned into a template as Jinja's own
  ``from_string`` and ``compile_expression`` do. Templates Jinja loads by name (includes, the template module's
  files), sources that do not compile and the template debugger go through as before.
- ``share_plugin_docs`` (playbook server): each run's plugin loader parses the documentation of every configurable plugin
  it loads (ansible-core loads every connection plugin: ssh, paramiko, psrp, winrm...), about 50 ms a run. The runs
  share the parse of ansible-core's own plugins' documentation in the same directory, pickled (tags included), keyed
  by the text and its tags (the plugin's path among them); the collections' plugins are parsed as before.
- ``share_module_builds`` (playbook server): each run builds the AnsiballZ payload of every module it runs (its cache
  lives in the run's own temporary directory), about 45 ms a module even with the parsed trees above: finding the
  module_utils it imports and compressing them. The runs share what that build puts in the archive instead, in the
  same directory, keyed by the module's name, path and bytes, the compression, the AnsiballZ extensions and the
  collection and module_utils paths; an entry is used only while every file it packed is unchanged (size,
  modification time, inode), and the archive is written again with this run's timestamps.
"""

import os
import sys
import types

_MISSING = object()
_PARSED = {}
_COMPILED = {}
_TREES = {}  # source bytes -> syntax tree, for AnsiballZ builds
_PLUGIN_CODE = {}  # (path, source bytes) -> code, for the collection loader
TAKEN = []  # the names of the values a run took (tests/integration/test_playbook_server.py)


def _file_identity(stat):
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _take(key, name):
    value = _PARSED.pop(key, _MISSING)
    if value is not _MISSING:
        TAKEN.append(name)
    return value


def parse_core_files():
    """In the playbook server, before it forks: parse both files and wrap the two functions that parse them."""
    # pylint: disable=import-outside-toplevel,protected-access
    import ansible
    from ansible.module_utils.common import yaml as common_yaml
    from ansible.utils.collection_loader import _collection_finder

    meta_yml_to_dict = _collection_finder._meta_yml_to_dict
    yaml_load = common_yaml.yaml_load
    if meta_yml_to_dict is None or yaml_load is None:
        return  # ansible-core without PyYAML would not parse them either
    config = os.path.realpath(os.path.join(os.path.dirname(ansible.__file__), "config"))
    with open(os.path.join(config, "ansible_builtin_runtime.yml"), "rb") as fh:
        routing = fh.read()
    _PARSED[("routing", routing)] = meta_yml_to_dict(routing, ("ansible.builtin", "runtime.yml"))
    base = os.path.join(config, "base.yml")
    with open(base, "rb") as fh:
        _PARSED[("file", base, _file_identity(os.fstat(fh.fileno())))] = yaml_load(fh)

    def routing_once(yaml_string_data, content_id):
        value = _MISSING
        if isinstance(yaml_string_data, bytes):
            value = _take(("routing", yaml_string_data), "ansible_builtin_runtime.yml")
        return meta_yml_to_dict(yaml_string_data, content_id) if value is _MISSING else value

    def definitions_once(stream, *args, **kwargs):
        value = _MISSING
        name = getattr(stream, "name", None)
        if not args and not kwargs and isinstance(name, (str, bytes)) and hasattr(stream, "fileno"):
            try:
                if stream.tell() == 0:
                    key = ("file", os.path.realpath(os.fsdecode(name)), _file_identity(os.fstat(stream.fileno())))
                    value = _take(key, "base.yml")
            except (OSError, ValueError):
                pass
        return yaml_load(stream, *args, **kwargs) if value is _MISSING else value

    _collection_finder._meta_yml_to_dict = routing_once
    common_yaml.yaml_load = definitions_once


def _named(code, filename):
    consts = tuple(_named(const, filename) if isinstance(const, types.CodeType) else const
                   for const in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def _sources(pattern):
    import glob  # pylint: disable=import-outside-toplevel
    for path in sorted(glob.glob(pattern, recursive=True)):
        with open(path, "rb") as fh:
            yield path, fh.read()


def _collection_files(collections, kind):
    return os.path.join(collections, "ansible_collections", "*", "*", "plugins", kind, "**", "*.py")


def compile_collection(collections):
    """In the module server, before it forks: compile the modules and module_utils of every collection under
    ``collections`` (a collections path) and let zipimport use them."""
    import zipimport  # pylint: disable=import-outside-toplevel
    for kind in ("modules", "module_utils"):
        for _path, source in _sources(_collection_files(collections, kind)):
            _COMPILED[source] = zipimport._compile_source("<compiled once>", source)  # pylint: disable=protected-access
    compile_source = zipimport._compile_source  # pylint: disable=protected-access

    def compiled_once(pathname, source):
        code = _COMPILED.get(source)
        return compile_source(pathname, source) if code is None else _named(code, pathname)

    zipimport._compile_source = compiled_once  # pylint: disable=protected-access


def compile_for_runs(collections):
    """In the playbook server, before it forks: compile the controller plugins of every collection under
    ``collections`` for the collection loader, and parse ansible-core's and the collections' module_utils and
    modules for AnsiballZ builds."""
    # pylint: disable=import-outside-toplevel,protected-access
    import ast
    import ansible
    from ansible.utils.collection_loader import _collection_finder

    packed = [os.path.join(os.path.dirname(ansible.__file__), "module_utils", "**", "*.py"),
              _collection_files(collections, "module_utils"), _collection_files(collections, "modules")]
    for pattern in packed:
        for path, source in _sources(pattern):
            try:
                _TREES[source] = skeleton(compile(source, path, "exec", ast.PyCF_ONLY_AST))
            except SyntaxError:
                continue
    for path, source in _sources(_collection_files(collections, "*")):
        if "/plugins/modules/" not in path:
            try:
                _PLUGIN_CODE[(path, source)] = compile(source, path, "exec", dont_inherit=True)
            except SyntaxError:
                continue

    def trees_once(module_common):
        compile_module_ast = module_common._compile_module_ast

        def tree_once(module_name, source_code):
            tree = _TREES.get(source_code) if isinstance(source_code, bytes) else None  # tagged bytes of a file too
            return compile_module_ast(module_name, source_code) if tree is None else tree

        module_common._compile_module_ast = tree_once

    loader = _collection_finder._AnsibleCollectionPkgLoaderBase
    get_code = loader.get_code

    def code_once(self, fullname):
        if self._compiled_code is None:
            source = self.get_source(fullname)
            key = (self.get_filename(fullname), source)
            self._compiled_code = _PLUGIN_CODE.get(key) if isinstance(source, bytes) else None
        return self._compiled_code or get_code(self, fullname)

    loader.get_code = code_once
    # module_common reads the configuration when imported: the run imports it, and the tree cache goes in then.
    _patch_on_import("ansible.executor.module_common", trees_once)


def _is_metadata(node):
    """ansible-core's _get_module_metadata reads the top-level assignments ``METADATA = ...`` of a module."""
    import ast  # pylint: disable=import-outside-toplevel
    return (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "METADATA")


def _imports(node, found):
    """The import statements under ``node`` in the order module_common.ModuleDepFinder visits them (the items of
    each list field, depth first)."""
    import ast  # pylint: disable=import-outside-toplevel
    for _field, value in ast.iter_fields(node):
        if isinstance(value, list):
            for item in value:
                if isinstance(item, (ast.Import, ast.ImportFrom)):
                    found.append(item)
                elif isinstance(item, ast.AST):
                    _imports(item, found)
    return found


def skeleton(tree):
    """The part of a module's syntax tree that an AnsiballZ build reads, as a tree: ModuleDepFinder collects the
    import statements and whether each one sits directly in the module's body (required) or deeper (optional), and
    _get_module_metadata the top-level ``METADATA`` assignments. The top-level imports and assignments stay in the
    body; each run of nested imports goes, in order, into an empty ``try`` block. The finder visits the same
    statements in the same order with the same answer to "top level?", so a build packs the same files."""
    import ast  # pylint: disable=import-outside-toplevel
    body, nested = [], []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) or _is_metadata(node):
            if nested:
                body.append(ast.Try(body=nested, handlers=[], orelse=[], finalbody=[]))
                nested = []
            body.append(node)
        else:
            nested += _imports(node, [])
    if nested:
        body.append(ast.Try(body=nested, handlers=[], orelse=[], finalbody=[]))
    return ast.Module(body=body, type_ignores=[])


def share_module_builds(cache_dir):
    """In the playbook server, before it forks: let the runs' processes share what an AnsiballZ build packs, in
    ``cache_dir``."""

    def patch(module_common):
        _builds_once(cache_dir, module_common)

    _patch_on_import("ansible.executor.module_common", patch)


def file_identity_of(path):
    """A file's or directory's version: (inode, size, mtime in ns), None when it is not there."""
    try:
        return _file_identity(os.stat(path))[1:]  # inode, size and modification time
    except OSError:
        return None


def _load(path, loads):
    try:
        with open(path, "rb") as fh:
            return loads(fh.read())
    except Exception:  # pylint: disable=broad-except
        return None  # absent or unreadable: computed again


def _store(path, data):
    partial = "%s.%d" % (path, os.getpid())
    try:
        with open(partial, "wb") as fh:
            fh.write(data)
        os.replace(partial, path)  # whole or absent for a reader in another process
    except OSError:
        pass


def _builds_once(cache_dir, module_common):
    # pylint: disable=import-outside-toplevel,protected-access
    import hashlib
    import pickle
    from ansible._internal._datatag._tags import Origin
    from ansible.utils.collection_loader import AnsibleCollectionConfig

    recursive_finder = module_common.recursive_finder

    def recursive_finder_once(name, module_fqn, module_data, zf, date_time, extension_manager):
        if extension_manager.debugger_enabled:  # it also records where each packed file came from
            return recursive_finder(name, module_fqn, module_data, zf, date_time, extension_manager)
        origin = Origin.get_tag(module_data)
        key = repr((name, module_fqn, origin.path if origin else None, zf.compression,
                    list(extension_manager.extension_names), AnsibleCollectionConfig.collection_paths,
                    module_common.module_utils_loader._get_paths(subdirs=False)))
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass") + b"\0" + bytes(module_data)).hexdigest()
        path = os.path.join(cache_dir, "ansiballz-" + digest)
        kept = _load(path, pickle.loads)
        if kept is not None and all(file_identity_of(source) == identity for source, identity in kept["files"]):
            for filename, data in kept["entries"]:
                zf.writestr(module_common._make_zinfo(filename, date_time, zf=zf), data)
            return kept["metadata"]
        entries = []
        writestr = zf.writestr

        def recording(zinfo, data, *args, **kwargs):
            entries.append((getattr(zinfo, "filename", zinfo), data))
            return writestr(zinfo, data, *args, **kwargs)

        zf.writestr = recording
        try:
            metadata = recursive_finder(name, module_fqn, module_data, zf, date_time, extension_manager)
        finally:
            del zf.writestr
        # ansible-core tags each packed source with the file it read; the package __init__ it makes up has none.
        sources = [getattr(Origin.get_tag(data), "path", None) for _filename, data in entries]
        # What zipfile writes: a str as UTF-8 (the empty package __init__ files).
        packed = [(filename, data.encode("utf-8") if isinstance(data, str) else bytes(data)) for filename, data in entries]
        kept = {"entries": packed, "metadata": metadata,
                "files": [(source, file_identity_of(source)) for source in sources if source]}
        _store(path, pickle.dumps(kept))
        return metadata

    module_common.recursive_finder = recursive_finder_once


def share_plugin_docs(cache_dir):
    """In the playbook server, before it forks: let the runs' processes share, in ``cache_dir``, the parse of
    ansible-core's own plugin documentation, which each run reads for the configuration definitions of every
    connection, shell, become, callback, vars and inventory plugin it loads (and of their doc fragments)."""

    def patch(module):
        if getattr(module, "yaml", None) is None:
            return
        try:
            module.yaml = _DocsOnce(module.yaml, cache_dir)
        except ImportError:
            return  # an ansible-core before 2.19 (no tagged documents): its runs parse as before

    for name in ("ansible.plugins.loader", "ansible.utils.plugin_docs"):
        _patch_on_import(name, patch)


class _DocsOnce:
    """The ``yaml`` module as ansible-core's plugin loader and doc fragments use it: ``load`` with the AnsibleLoader of
    a document that comes from a plugin of ansible-core itself (its Origin tag) takes what an earlier run parsed from
    the same text and tags (kept pickled: tags included, as a worker's results travel); other documents, the
    collections' included, are parsed as before."""

    def __init__(self, yaml, cache_dir):
        # pylint: disable=import-outside-toplevel
        import hashlib
        import pickle
        import ansible
        from ansible._internal._datatag._tags import Origin
        from ansible.module_utils._internal._datatag import AnsibleTagHelper
        from ansible.parsing.yaml.loader import AnsibleLoader
        self._yaml = yaml
        self._cache_dir = cache_dir
        self._core_plugins = os.path.join(os.path.realpath(os.path.dirname(ansible.__file__)), "plugins") + os.sep
        self._sha256, self._pickle = hashlib.sha256, pickle
        self._origin, self._tags, self._loader = Origin, AnsibleTagHelper.tags, AnsibleLoader

    def __getattr__(self, name):
        return getattr(self._yaml, name)

    def load(self, stream, Loader=None):  # pylint: disable=invalid-name
        """yaml.load, whose keyword ``Loader`` the callers name."""
        origin = self._origin.get_tag(stream) if isinstance(stream, str) and Loader is self._loader else None
        if origin is None or not os.path.realpath(origin.path or "").startswith(self._core_plugins):
            return self._yaml.load(stream, Loader=Loader)
        key = repr((str(stream), sorted(repr(tag) for tag in self._tags(stream))))
        path = os.path.join(self._cache_dir, "plugin-doc-" + self._sha256(
            key.encode("utf-8", "surrogatepass")).hexdigest())
        kept = _load(path, self._pickle.loads)
        if kept is not None:
            return kept
        value = self._yaml.load(stream, Loader=Loader)
        try:
            _store(path, self._pickle.dumps(value))
        except (self._pickle.PicklingError, TypeError, AttributeError):
            pass  # a value pickle cannot keep: parsed in each run
        return value


def compile_templates(cache_dir):
    """In the playbook server, before it forks: let the runs' processes share the code Jinja generates, in
    ``cache_dir`` (the test run's, shared by its servers, else the server's own)."""
    name = "ansible._internal._templating._jinja_bits"

    def patch(module):
        _templates_once(cache_dir, module)

    _patch_on_import(name, patch)


def _templates_once(cache_dir, jinja_bits):
    # pylint: disable=import-outside-toplevel,protected-access
    import contextvars
    import hashlib
    import marshal
    import jinja2
    from ansible.release import __version__ as ansible_version
    from jinja2 import nodes
    from jinja2.environment import TemplateExpression

    environment = jinja_bits.AnsibleEnvironment
    # The code depends on them too, should a directory outlive the test run (DSS_TEST_SHARED_CACHE set by hand).
    versions = (sys.version, jinja2.__version__, ansible_version)
    compile_source = environment.compile
    compile_expression = environment.compile_expression
    captured = contextvars.ContextVar("captured", default=None)

    def cache_path(kind, source, env):
        context = jinja_bits._TemplateCompileContext.current(optional=True)
        settings = (versions, type(env).__qualname__,
                    [getattr(env, field) for field in jinja_bits._TEMPLATE_OVERRIDE_FIELD_NAMES],
                    env.optimized, env.autoescape, env.is_async, sorted(env.extensions),
                    getattr(env.finalize, "__qualname__", repr(env.finalize)),
                    jinja_bits._TemplateConfig.allow_embedded_templates, context and context.escape_backslashes)
        key = "%s\0%r\0%s" % (kind, settings, str(source))
        return os.path.join(cache_dir, hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest())

    def cacheable(env, source):
        return isinstance(source, str) and not env._debuggable_template_source

    def compile_once(self, source, name=None, filename=None, raw=False, defer_init=False):
        plain = name is None and filename is None and not raw and not defer_init
        if plain and isinstance(source, nodes.Template) and captured.get() is not None:
            code = compile_source(self, source)
            captured.get().append(code)  # the expression's code (compile_expression_once)
            return code
        if not (plain and cacheable(self, source)):
            return compile_source(self, source, name, filename, raw, defer_init)
        path = cache_path("template", source, self)
        code = _load(path, marshal.loads)
        if code is None:
            code = compile_source(self, source)
            _store(path, marshal.dumps(code))
        return code

    def compile_expression_once(self, source, undefined_to_none=True):
        if not cacheable(self, source):
            return compile_expression(self, source, undefined_to_none)
        path = cache_path("expression", source, self)
        code = _load(path, marshal.loads)
        if code is not None:  # what compile_expression builds from the code it compiles
            template = self.template_class.from_code(self, code, self.make_globals(None), None)
            return TemplateExpression(template, undefined_to_none)
        codes = []
        token = captured.set(codes)
        try:
            expression = compile_expression(self, source, undefined_to_none)
        finally:
            captured.reset(token)
        if len(codes) == 1:
            _store(path, marshal.dumps(codes[0]))
        return expression

    environment.compile = compile_once
    environment.compile_expression = compile_expression_once


def _patch_on_import(name, patch):
    """``patch(module)`` once module ``name`` is imported: now if it is, else right after its import."""
    if name in sys.modules:
        patch(sys.modules[name])
        return
    for finder in sys.meta_path:
        if isinstance(finder, _PatchOnImport) and finder.name == name:
            finder.patches.append(patch)
            return
    sys.meta_path.insert(0, _PatchOnImport(name, patch))


class _PatchOnImport:
    """A meta path finder that lets the import of module ``name`` happen as ever, then calls each of its patches."""

    def __init__(self, name, patch):
        self.name, self.patches = name, [patch]

    def find_spec(self, fullname, path=None, target=None):  # pylint: disable=unused-argument
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # once: the finders below find the module
        import importlib.util  # pylint: disable=import-outside-toplevel
        spec = importlib.util.find_spec(fullname)
        exec_module = spec.loader.exec_module

        def exec_then_patch(module):
            exec_module(module)
            for patch in self.patches:
                patch(module)

        spec.loader.exec_module = exec_then_patch
        return spec
