"""Stand-in for DSS's `dataiku` package, importable by the Python code the emulator runs (scenario steps, recipes).

Only what CI-style checks and simple recipes use: `Dataset` (rows as CSV files of the node's data dir),
`api_client()` (a dataikuapi client to the node itself), `default_project_key()`, `get_custom_variables()`.
The emulator passes its context by environment (python_process.py sets these variables).
"""

import csv
import json
import os

DATASETS_DIR = "DKU_EMULATOR_DATASETS_DIR"  # <data-dir>/datasets: <PROJECT>/<name>.csv
RECIPE_FLOW = "DKU_EMULATOR_RECIPE_FLOW"  # JSON {"inputs": [P.name], "outputs": [P.name]}; absent outside recipes
PROJECT = "DKU_EMULATOR_PROJECT"  # JSON {"datasets": [P.name that exist], "variables": {...}} when the code started
PROJECT_KEY = "DKU_CURRENT_PROJECT_KEY"


def default_project_key():
    return os.environ[PROJECT_KEY]


def api_client():
    """A dataikuapi client to the node that runs this code, as the user who started it."""
    import dataikuapi  # pylint: disable=import-outside-toplevel
    return dataikuapi.DSSClient(os.environ["DKU_EMULATOR_URL"], os.environ["DKU_EMULATOR_API_KEY"],
                                no_check_certificate=True)


def _project():
    return json.loads(os.environ.get(PROJECT) or "{}")


def get_custom_variables(project_key=None):
    """The project's variables as the run started, local ones winning over standard ones (as DSS resolves them)."""
    if project_key and project_key != default_project_key():
        variables = api_client().get_project(project_key).get_variables()
        return dict(variables.get("standard") or {}, **(variables.get("local") or {}))
    return dict(_project().get("variables") or {})


def _full_name(name):
    return name if "." in name else "%s.%s" % (default_project_key(), name)


def _check_usable(full_name, ignore_flow):
    if full_name not in (_project().get("datasets") or []):
        raise Exception("Dataset %s does not exist" % full_name)  # pylint: disable=broad-exception-raised
    flow = os.environ.get(RECIPE_FLOW)
    if flow is None or ignore_flow:
        return
    declared = json.loads(flow)
    if full_name not in declared.get("inputs", []) + declared.get("outputs", []):
        raise Exception("Dataset %s cannot be used: declare it as input or output of your recipe"  # pylint: disable=broad-exception-raised
                        % full_name.split(".", 1)[1])


class Dataset:
    """A dataset's rows: read from and written to <datasets dir>/<PROJECT>/<name>.csv (header = column names).

    The dataset must exist (and, in a recipe, be declared as an input or output). A dataset that was never written
    reads as empty. Values read back are strings (CSV keeps no types)."""

    def __init__(self, name, project_key=None, ignore_flow=False):
        self.full_name = "%s.%s" % (project_key, name) if project_key else _full_name(name)
        self.project_key, self.short_name = self.full_name.split(".", 1)
        self.name = self.full_name
        _check_usable(self.full_name, ignore_flow)
        self._schema = None

    @property
    def path(self):
        return os.path.join(os.environ[DATASETS_DIR], self.project_key, self.short_name + ".csv")

    def _header_and_rows(self):
        if not os.path.exists(self.path):
            return [], []
        with open(self.path, newline="", encoding="utf-8") as fp:
            rows = list(csv.reader(fp))
        return (rows[0], rows[1:]) if rows else ([], [])

    def read_schema(self):
        return [{"name": column, "type": "string"} for column in self._header_and_rows()[0]]

    def write_schema(self, columns):
        self._schema = [c["name"] if isinstance(c, dict) else str(c) for c in columns]

    def iter_tuples(self, columns=None):
        header, rows = self._header_and_rows()
        indexes = [header.index(c) for c in columns] if columns else range(len(header))
        for row in rows:
            yield tuple(row[i] for i in indexes)

    def iter_rows(self):
        header, rows = self._header_and_rows()
        for row in rows:
            yield dict(zip(header, row))

    def get_writer(self):
        return DatasetWriter(self)

    def get_dataframe(self, columns=None):
        import pandas  # pylint: disable=import-outside-toplevel
        header = self._header_and_rows()[0]
        return pandas.DataFrame(list(self.iter_tuples(columns)), columns=columns or header)

    def write_with_schema(self, df):
        with self.get_writer() as writer:
            writer.columns = [str(c) for c in df.columns]
            for row in df.itertuples(index=False):
                writer.write_tuple(row)

    def write_dataframe(self, df):
        self.write_with_schema(df)


class DatasetWriter:
    """Rows collected then written at close, atomically (a failed recipe leaves the previous data)."""

    def __init__(self, dataset):
        self.dataset = dataset
        self.columns = list(dataset._schema or [])  # pylint: disable=protected-access
        self.rows = []

    def write_tuple(self, row):
        self.rows.append(["" if v is None else v for v in row])

    def write_row_dict(self, row):
        for column in row:
            if column not in self.columns:
                self.columns.append(column)
        self.rows.append([row.get(c, "") for c in self.columns])

    def close(self):
        path = self.dataset.path
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w", newline="", encoding="utf-8") as fp:
            writer = csv.writer(fp)
            writer.writerow(self.columns)
            for row in self.rows:
                writer.writerow(list(row) + [""] * (len(self.columns) - len(row)))
        os.replace(path + ".tmp", path)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *_exc):
        if exc_type is None:
            self.close()
