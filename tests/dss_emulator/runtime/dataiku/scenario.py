"""`dataiku.scenario.Scenario` for Python scenario steps: builds and scenario runs go through the node's public API;
scenario variables live as long as the run (python_process carries them from one step to the next)."""

import json
import os

from dataiku import _context, api_client, get_custom_variables


class Scenario:
    """Handle to the running scenario."""

    def __getattr__(self, name):
        raise _context.unsupported("dataiku.scenario.Scenario.%s" % name)

    def build_dataset(self, dataset_name, project_key=None, partitions=None, build_mode="RECURSIVE_BUILD",
                      step_name=None, asynchronous=False, fail_fatal=True, **_kwargs):
        """Build a dataset and wait; a failed build raises (fail_fatal=True, DSS's default), which fails the step."""
        from dataikuapi.dss.job import DSSJobWaiter  # pylint: disable=import-outside-toplevel
        del step_name
        key = project_key or _context.default_project_key()
        if "." in dataset_name:
            key, dataset_name = dataset_name.split(".", 1)
        project = api_client().get_project(key)
        job = project.new_job(build_mode).with_output(dataset_name, object_project_key=key,
                                                      partition=partitions).start()
        if asynchronous:
            return job
        state = DSSJobWaiter(job).wait(no_fail=True)
        if state != "DONE" and fail_fatal:
            thrown = job.get_status()["baseStatus"].get("thrown") or {}
            raise Exception("Job %s failed: %s" % (job.id, thrown.get("message", state)))  # pylint: disable=broad-exception-raised
        return job

    def run_scenario(self, scenario_id, project_key=None, name=None, asynchronous=False, fail_fatal=True, **_kwargs):
        """Run another scenario and wait for its end; a run that does not succeed raises (fail_fatal=True)."""
        del name
        scenario = api_client().get_project(project_key or _context.default_project_key()).get_scenario(scenario_id)
        fire = scenario.run()
        if asynchronous:
            return fire
        run = fire.wait_for_scenario_run()
        run.wait_for_completion()
        if run.outcome != "SUCCESS" and fail_fatal:
            error = run.get_details().first_error_details or {}
            raise Exception("Scenario %s ended with outcome %s: %s"  # pylint: disable=broad-exception-raised
                            % (scenario_id, run.outcome, error.get("message", "")))
        return run

    def set_scenario_variables(self, **kwargs):
        """Define variables for the rest of this scenario run (this step and the next ones)."""
        variables = dict(_context.scenario_variables(), **kwargs)
        os.environ[_context.SCENARIO_VARIABLES_IN] = json.dumps(variables)
        out = os.environ.get(_context.SCENARIO_VARIABLES_OUT)
        if out:
            with open(out, "w", encoding="utf-8") as fp:
                json.dump(variables, fp)

    def get_all_variables(self):
        """The project's variables and the scenario variables set so far in this run."""
        return get_custom_variables()
