# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of a module that manages one DSS object as a document (dataset, recipe, scenario, connection, code env).

A module describes its object with a :class:`ContentObject` (how to find, read, create, update and delete it, and
how DSS's document maps to the module's option names); :func:`run_content_module` does the rest the same way for
all of them: read, compare only the options that are set, diff only those fields, write unless check mode, re-read
and fail if DSS did not keep what was written. Nothing here sends a request by itself.
"""

from __future__ import annotations

import abc

import re

from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.compare import changed_keys, is_subset, prune
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.errors import DssError
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.ids import name_error, project_key_error
from ansible_collections.dataiku_gitops.dss.plugins.module_utils._core.module import DssModule

# Dataset and recipe names, scenario ids: DSS allows letters, digits and underscores.
OBJECT_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")


def object_name_error(name, option):
    """None when ``name`` is a valid DSS dataset/recipe name or scenario id, else a message saying what is allowed."""
    if not isinstance(name, str) or not OBJECT_NAME_RE.match(name):
        return "%s %r is not a valid DSS object name: use only letters, digits and underscores." % (option, name)
    return None


def shaped_like(current, desired):
    """``current`` cut down to the shape of ``desired``: dicts keep the keys ``desired`` has (recursively), lists of
    the same length are cut item by item. A diff of the result against ``desired`` shows only managed fields."""
    if isinstance(desired, dict) and isinstance(current, dict):
        return dict((k, shaped_like(current[k], v)) for k, v in desired.items() if k in current)
    if isinstance(desired, list) and isinstance(current, list) and len(desired) == len(current):
        return [shaped_like(c, d) for c, d in zip(current, desired)]
    return current


def lines(text):
    """A package spec (one requirement a line) as a list: blank lines and surrounding spaces dropped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ContentObject(abc.ABC):
    """What :func:`run_content_module` needs to know about one kind of DSS object. Subclasses set ``kind`` and
    ``label`` and implement the abstract methods."""

    kind = "object"  # key of the result holding the object's view
    immutable = ()  # managed fields DSS cannot change on an existing object (a difference fails, naming them)

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.label = self.kind

    @abc.abstractmethod
    def exists(self):
        """Whether the object exists, decided by a listing (DataikuException carries no HTTP status)."""

    @abc.abstractmethod
    def read(self):
        """The object's document as DSS returns it."""

    @abc.abstractmethod
    def view(self, raw):
        """The managed fields of ``raw`` under the option names."""

    @abc.abstractmethod
    def desired(self):
        """The managed fields the options ask for: only the options that are set."""

    @abc.abstractmethod
    def create(self, desired):
        """Create the object from ``desired``."""

    @abc.abstractmethod
    def update(self, raw, desired):
        """Write ``desired`` merged over ``raw`` (fields that are not managed are written back unchanged)."""

    @abc.abstractmethod
    def delete(self, raw):
        """Delete the object ``raw``."""

    def forced_changes(self, exists):
        """(before, after) views of fields that are written although they cannot be compared (secrets); V({})
        when there are none. Their presence makes the run report a change."""
        return {}, {}

    def check_input(self, raw):
        """A message when the options cannot be applied to ``raw`` (None: the object does not exist yet); called
        before any write. None when they can."""
        return None


def _diff_views(current_view, desired):
    before = prune(shaped_like(current_view, desired))
    return before, prune(desired)


def run_content_module(module, content_class):
    """Node check, read, plan, write unless check mode, verify, exit: the whole run of a content module (under
    ``module.run``: a failure raises DssError)."""
    module.check_node_type_option()
    obj = content_class(module)
    with module.dss_errors("look up the %s" % obj.label):
        exists = obj.exists()
    raw = None
    if exists:
        with module.dss_errors("read the %s" % obj.label):
            raw = obj.read()
    if module.params["state"] == "absent":
        _absent(module, obj, raw)
    problem = obj.check_input(raw)
    if problem:
        raise DssError(problem)
    desired = obj.desired()
    forced_before, forced_after = obj.forced_changes(exists)
    if raw is None:
        _create(module, obj, desired, forced_after)
    current = obj.view(raw)
    frozen = [k for k in obj.immutable if k in desired and not is_subset(desired[k], current.get(k))]
    if frozen:
        raise DssError("Cannot change %s of the existing %s (%s): DSS does not allow it. Delete the %s first "
                       "(state=absent) to recreate it." % (", ".join(frozen), obj.label, ", ".join(
                           "%s is %r, wanted %r" % (k, current.get(k), desired[k]) for k in frozen), obj.kind))
    before, after = _diff_views(current, desired)
    before.update(forced_before)
    after.update(forced_after)
    if is_subset(desired, current) and not forced_after:
        module.exit_with(False, before, after, **{obj.kind: current})
    if not module.check_mode:
        _update_once(module, obj, raw, desired, "update the %s" % obj.label)
        current = _verified(module, obj, desired)
    else:
        current = _predicted(current, desired)
    module.exit_with(True, before, after, **{obj.kind: current})


def _predicted(current, desired):
    result = dict(current)
    result.update(desired)
    return result


def _create(module, obj, desired, forced_after):
    after = prune(desired)
    after.update(forced_after)
    if module.check_mode:
        module.exit_with(True, {}, after, **{obj.kind: dict(desired)})
    module.write_once("create the %s" % obj.label, lambda: obj.create(desired), obj.exists)
    # Creation calls do not carry every field (a schema, a recipe's code, a scenario's steps): converge the rest.
    with module.dss_errors("complete the new %s" % obj.label):
        raw = obj.read()
    if not is_subset(desired, obj.view(raw)):
        _update_once(module, obj, raw, desired, "complete the new %s" % obj.label)
    module.exit_with(True, {}, after, **{obj.kind: _verified(module, obj, desired)})


def _update_once(module, obj, raw, desired, what):
    """``obj.update`` through write_once: settings writes set whole values, so after a failure in transit the
    update is sent again only when a re-read shows that DSS does not hold the desired values yet."""
    module.write_once(what, lambda: obj.update(raw, desired), lambda: is_subset(desired, obj.view(obj.read())))


def _verified(module, obj, desired):
    """Re-read after a write; fail naming the fields DSS did not keep."""
    with module.dss_errors("read back the %s" % obj.label):
        current = obj.view(obj.read())
    if not is_subset(desired, current):
        lost = changed_keys(shaped_like(current, desired), desired)
        raise DssError("DSS at %s accepted the write of the %s but did not keep %s."
                       % (module.url, obj.label, ", ".join(lost) or "the written fields"))
    return current


def _absent(module, obj, raw):
    if raw is None:
        module.exit_with(False, {}, {}, **{obj.kind: {}})
    before = prune(obj.view(raw))
    if not module.check_mode:
        module.write_once("delete the %s" % obj.label, lambda: obj.delete(raw), lambda: not obj.exists())
        with module.dss_errors("check the deletion of the %s" % obj.label):
            if obj.exists():
                raise DssError("DSS at %s accepted the deletion of the %s but still lists it."
                               % (module.url, obj.label))
    module.exit_with(True, before, {}, **{obj.kind: {}})


class ProjectObject(ContentObject):
    """A dataset, recipe or scenario: lives in a project that must exist; found by listing the project's objects."""

    name_option = "name"

    def __init__(self, module):
        super().__init__(module)
        self.key = self.params["project_key"]
        self.name = self.params[self.name_option]
        self.label = "%s %s.%s" % (self.kind, self.key, self.name)
        self.project = module.client.get_project(self.key)

    @abc.abstractmethod
    def list_names(self):
        """Names of the project's objects of this kind (one listing request)."""

    def exists(self):
        if self.module.find_project(self.key) is None:
            if self.module.check_mode:
                return False  # the project is created by an earlier task of the same check run: predict creation
            raise DssError("Project %s does not exist on %s: create it first (for example with "
                           "dataiku_gitops.dss.dataiku_project)." % (self.key, self.module.url))
        return self.name in self.list_names()


def project_object_errors(params, name_option):
    """Messages for a bad project key or object name, checked before any request."""
    return [e for e in (project_key_error(params["project_key"]),
                        object_name_error(params[name_option], name_option)) if e]


def instance_object_errors(params, name_option="name"):
    """Messages for a bad connection or code env name, checked before any request."""
    return [e for e in [name_error(params[name_option], name_option)] if e]


def content_argument_spec(name_option="name", in_project=True, **options):
    """The options every content module has (the object's id, ``state``, and ``project_key`` for project objects),
    plus ``options``."""
    spec = {name_option: dict(type="str", required=True),
            "state": dict(type="str", choices=["present", "absent"], default="present")}
    if in_project:
        spec["project_key"] = dict(type="str", required=True, no_log=False)
    spec.update(options)
    return spec


def main_of(content_class, argument_spec, input_errors):
    """The whole ``main()`` of a content module: options, input checks before any request, node type, run."""
    module = DssModule(argument_spec=argument_spec)
    errors = input_errors(module.params)
    if errors:
        module.fail_json(msg="; ".join(errors))
    module.run(run_content_module, module, content_class)
