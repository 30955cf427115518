"""The landscape cache (tests/support/landscape.py) gives each test a landscape equal to the one built from scratch:
restored into this process's nodes (other ports and API keys than the build's when another worker built it), with the
git repository the bundles were named after, converged (a promote.yml re-run on a restored copy writes nothing), and the same state
again at every restore, whatever the test before it changed."""

import os

import pytest

from tests.integration.test_adopt import ADOPTED
from tests.support import landscape, sample_project
from tests.support.emulator import NodePool
from tests.support.promotion import recap

KEY = sample_project.PROJECT_KEY
pytestmark = pytest.mark.slow  # promotions (and the build of the promoted landscape if no test made it before)


def test_a_restored_landscape_is_the_promoted_one_and_every_restore_is_equal(tmp_path, tmp_path_factory):
    # First: a build of RERUN (when no test made it before) restores PROMOTED into this process's nodes.
    built = landscape.records(landscape.RERUN, tmp_path_factory)
    land = landscape.restored(landscape.PROMOTED, tmp_path / "first", tmp_path_factory)
    assert land.built["promoted"].rc == 0 and land.built["promoted"].changed_count() > 0
    bundle = land.bundle_id()  # the copied repository: HEAD names the bundle the build promoted
    assert [land.active_bundle(env) for env in ("staging", "prod")] == [bundle, bundle]
    assert land.certified("staging") and land.certified("prod")
    assert all(land.writes()[env] == 0 for env in land.nodes)  # the counters restart at the restore
    digests = land.digests()

    # promote.yml run again on a restored copy (the build of RERUN, which test_promotion.py asserts on too).
    rerun = built["rerun"]
    assert rerun.rc == 0 and all(counts["changed"] == 0 for counts in recap(rerun.output).values()), rerun.output
    assert built["rerun_digests_kept"] and set(built["rerun_writes"].values()) == {0}

    # A test changes the landscape (a new commit, its bundle exported on dev and activated on staging by hand: what
    # a promotion would leave there, without its runs); the next restore is the built state again.
    changed = land.commit("CHURN: a change of this test only")
    design = land.client("dev").get_project(KEY)
    design.export_bundle(changed)
    with design.get_exported_bundle_archive_stream(changed) as stream:
        land.client("staging").get_project(KEY).import_bundle_from_stream(stream.raw)
    land.client("staging").get_project(KEY).activate_bundle(changed)
    assert land.active_bundle("staging") == changed and land.digests() != digests
    assert land.active_bundle("staging") != bundle
    again = landscape.restored(landscape.PROMOTED, tmp_path / "second", tmp_path_factory)
    assert again.digests() == digests and again.bundle_id() == bundle
    assert again.leaked_keys() == [] and land.leaked_keys() == []


def test_a_landscape_restored_into_other_nodes_names_them(tmp_path, tmp_path_factory):
    """Other processes than the build's (other ports and keys): the deployer infrastructures, which name their
    automation nodes, are rewritten to the new ones, and the landscape's inventory is written for them; the adopted
    inventories a build kept in its work directory (test_adopt.py's ADOPTED) name the new nodes too."""
    landscape.saved(landscape.DEPLOYER, tmp_path_factory)
    other = NodePool()
    try:
        land = landscape.restored(landscape.DEPLOYER, tmp_path, tmp_path_factory, pool=other)
        deployer = land.nodes["dev"].client().get_projectdeployer()
        for env in ("staging", "prod"):
            raw = deployer.get_infra(env).get_settings().get_raw()
            assert (raw["automationNodeUrl"], raw["adminApiKey"]) == (land.nodes[env].url, land.nodes[env].api_key)
            assert land.nodes[env].client().get_connection("pg_%s" % env).get_settings().get_raw()["name"] == \
                "pg_%s" % env
        with open(land.inventory, encoding="utf-8") as fh:
            inventory = fh.read()
        assert land.nodes["prod"].url in inventory and land.nodes["dev"].url in inventory
        assert land.active("staging") is None and land.nodes["dev"].client().list_project_keys() == ["CHURN"]

        adopted = landscape.restored(ADOPTED, tmp_path / "adopted", tmp_path_factory, pool=other)
        with open(os.path.join(adopted.workdir, "adopted", "inventories", "fleet.yml"), encoding="utf-8") as fh:
            description = fh.read()
        assert all(adopted.nodes[env].url in description for env in ("dev", "staging", "prod")), description
    finally:
        other.close()
