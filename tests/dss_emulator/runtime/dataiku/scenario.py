"""`dataiku.scenario.Scenario` for Python scenario steps: builds go through the node's public API."""

from dataiku import api_client, default_project_key


class Scenario:
    def build_dataset(self, dataset_name, project_key=None, build_mode="RECURSIVE_BUILD", **_ignored):
        """Build a dataset and wait; a failed build raises, which fails the step (as in DSS)."""
        from dataikuapi.dss.job import DSSJobWaiter  # pylint: disable=import-outside-toplevel
        key = project_key or default_project_key()
        if "." in dataset_name:
            key, dataset_name = dataset_name.split(".", 1)
        project = api_client().get_project(key)
        job = project.new_job(build_mode).with_output(dataset_name, object_project_key=key).start()
        state = DSSJobWaiter(job).wait(no_fail=True)
        if state != "DONE":
            thrown = job.get_status()["baseStatus"].get("thrown") or {}
            raise Exception("Job %s failed: %s" % (job.id, thrown.get("message", state)))  # pylint: disable=broad-exception-raised
        return job

    def get_all_variables(self):
        from dataiku import get_custom_variables  # pylint: disable=import-outside-toplevel
        return get_custom_variables()
