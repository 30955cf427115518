"""Unit tests of the filter project_keys (plugins/plugin_utils/_filters/project_keys.py,
plugins/plugin_utils/project_hosts.py): the fleet inventory's groups give the key without reading the host's variables;
other hosts are read."""

from ansible_collections.dataiku_gitops.dss.plugins.filter.gitops import FilterModule

from ansible_collections.dataiku_gitops.dss.plugins.plugin_utils.project_hosts import project_keys


class CountingHostvars(dict):
    """hostvars that records which hosts' variables were computed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read = []

    def __getitem__(self, host):
        self.read.append(host)
        return super().__getitem__(host)


def test_fleet_hosts_come_from_the_groups_others_from_their_variables():
    hostvars = CountingHostvars({"staging-CHURN": {"dss_project_key": "CHURN"}, "staging-P_1": {"dss_project_key": "P_1"},
                                 "by-hand": {"dss_project_key": "SHOP"}, "staging-ODD": {"dss_project_key": "REAL"}})
    groups = {"all": list(hostvars), "staging": list(hostvars), "project_CHURN": ["staging-CHURN", "dev-CHURN"],
              "project_P_1": ["staging-P_1"], "project_OTHER": ["staging-ODD"]}
    hosts = ["staging-P_1", "by-hand", "staging-CHURN", "staging-ODD"]
    assert project_keys(hostvars, hosts, groups) == {"staging-P_1": "P_1", "by-hand": "SHOP", "staging-CHURN": "CHURN",
                                                     "staging-ODD": "REAL"}
    # A group whose key the host name does not end with proves nothing: that host is read.
    assert hostvars.read == ["by-hand", "staging-ODD"]


def test_a_host_in_two_project_groups_is_read():
    hostvars = CountingHostvars({"h-B-A": {"dss_project_key": "B-A"}})
    assert project_keys(hostvars, ["h-B-A"], {"project_A": ["h-B-A"], "project_B-A": ["h-B-A"]}) == {"h-B-A": "B-A"}
    assert hostvars.read == ["h-B-A"]
    assert FilterModule().filters()["project_keys"] is project_keys


class CountingGroups(dict):
    """groups that records which groups were read (reading one copies its list of hosts)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read = []

    def get(self, name, default=None):
        self.read.append(name)
        return super().get(name, default)

    def __getitem__(self, name):
        self.read.append(name)
        return super().__getitem__(name)

    def items(self):
        raise AssertionError("every group of the inventory read")


def test_only_the_groups_a_host_name_can_match_are_read():
    hosts = ["staging-CHURN", "prod-eu-P_1"]
    groups = CountingGroups({"all": hosts, "staging": hosts[:1], "prod": hosts[1:], "project_CHURN": hosts[:1],
                             "project_P_1": hosts[1:]})
    assert project_keys({}, hosts, groups) == {"staging-CHURN": "CHURN", "prod-eu-P_1": "P_1"}
    assert sorted(groups.read) == ["project_CHURN", "project_P_1", "project_eu-P_1"]
