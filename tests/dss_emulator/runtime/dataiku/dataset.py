"""`dataiku.Dataset`: a dataset's rows as the CSV file <datasets dir>/<PROJECT>/<name>.csv (header = column names)
and, once a schema was written, its DSS schema in <name>.schema.json next to it.

pandas is imported only by the methods that return or take a DataFrame, so code that iterates rows starts fast.
"""

import csv
import json
import math
import os
import random

from dataiku import _context

SAMPLINGS = ("head", "random", "random-column")
_INT_TYPES = ("tinyint", "smallint", "int", "bigint")
_FLOAT_TYPES = ("float", "double")


def _cast(value, dss_type):
    """A CSV cell as DSS gives it in iter_rows / iter_tuples: typed by the schema, empty = None (not for strings)."""
    if dss_type in (None, "string"):
        return value
    if value == "":
        return None
    if dss_type in _INT_TYPES:
        return int(float(value))
    if dss_type in _FLOAT_TYPES:
        return float(value)
    if dss_type == "boolean":
        return value.strip().lower() == "true"
    return value


def dss_type_of(dtype):
    """The DSS column type of a pandas dtype (what write_with_schema / write_schema_from_dataframe record)."""
    kind = getattr(dtype, "kind", "O")
    return {"i": "bigint", "u": "bigint", "f": "double", "b": "boolean", "M": "date"}.get(kind, "string")


def schema_of_dataframe(df):
    return [{"name": str(column), "type": dss_type_of(dtype)} for column, dtype in df.dtypes.items()]


class DatasetRow(dict):
    """A row of iter_rows: a dict of column -> value that also answers row[i] by column index (as DSS's)."""

    def __init__(self, columns, values):
        super().__init__(zip(columns, values))
        self._values = list(values)

    def __getitem__(self, key):
        if isinstance(key, int):
            return self._values[key]
        return super().__getitem__(key)


class Dataset:
    """dataiku.Dataset(name, project_key=None, ignore_flow=False)."""

    def __init__(self, name, project_key=None, ignore_flow=False):
        self.full_name = _context.full_name(name, project_key)
        self.project_key, self.short_name = self.full_name.split(".", 1)
        self.name = self.full_name
        if self.full_name not in (_context.project().get("datasets") or []):
            raise Exception("Dataset %s does not exist" % self.full_name)  # pylint: disable=broad-exception-raised
        _context.check_declared("Dataset", self.full_name, self.short_name, ignore_flow)

    def __getattr__(self, name):
        raise _context.unsupported("dataiku.Dataset.%s" % name)

    @staticmethod
    def list(project_key=None):
        key = project_key or _context.default_project_key()
        return [n.split(".", 1)[1] for n in _context.project().get("datasets") or [] if n.split(".", 1)[0] == key]

    # -- files --
    @property
    def path(self):
        return os.path.join(os.environ[_context.DATASETS_DIR], self.project_key, self.short_name + ".csv")

    @property
    def _schema_path(self):
        return self.path[:-len(".csv")] + ".schema.json"

    def _header_and_rows(self):
        if not os.path.exists(self.path):
            return [], []
        with open(self.path, newline="", encoding="utf-8") as fp:
            rows = list(csv.reader(fp))
        return (rows[0], rows[1:]) if rows else ([], [])

    def _stored_schema(self):
        try:
            with open(self._schema_path, encoding="utf-8") as fp:
                return json.load(fp)
        except FileNotFoundError:
            return None

    # -- schema --
    def read_schema(self, raise_if_empty=True):
        schema = self._stored_schema()
        if schema is None:
            schema = [{"name": column, "type": "string"} for column in self._header_and_rows()[0]]
        if not schema and raise_if_empty:
            raise Exception("No column in schema of %s. Have you set up the schema for this dataset?"  # pylint: disable=broad-exception-raised
                            % self.full_name)
        return schema

    def write_schema(self, columns, drop_and_create=False, **_kwargs):
        """Set the schema: a list of {"name", "type"} (plain names are taken as string columns)."""
        del drop_and_create  # the emulator's files are always replaced whole
        schema = [dict(c) if isinstance(c, dict) else {"name": str(c), "type": "string"} for c in columns]
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self._schema_path + ".tmp", "w", encoding="utf-8") as fp:
            json.dump(schema, fp)
        os.replace(self._schema_path + ".tmp", self._schema_path)

    def write_schema_from_dataframe(self, df, drop_and_create=False):
        self.write_schema(schema_of_dataframe(df), drop_and_create)

    # -- reading --
    def _selected(self, columns, sampling, sampling_column, limit, ratio):
        """(header, rows): the columns asked for, the rows of the sampling."""
        if sampling not in SAMPLINGS:
            raise ValueError("Unsupported sampling '%s': use one of %s" % (sampling, ", ".join(SAMPLINGS)))
        header, rows = self._header_and_rows()
        if columns is not None:
            missing = [c for c in columns if c not in header]
            if missing:
                raise Exception("Column(s) %s not found in dataset %s"  # pylint: disable=broad-exception-raised
                                % (", ".join(missing), self.full_name))
            indexes = [header.index(c) for c in columns]
            header, rows = list(columns), [[row[i] if i < len(row) else "" for i in indexes] for row in rows]
        wanted = len(rows) if limit is None else int(limit)
        if ratio is not None:
            wanted = min(wanted, int(round(len(rows) * float(ratio))))
        if sampling == "random":
            rows = random.sample(rows, min(wanted, len(rows)))
        elif sampling == "random-column":
            if sampling_column not in header:
                raise ValueError("sampling='random-column' needs sampling_column, a column of the dataset")
            index = header.index(sampling_column)
            values = sorted({row[index] for row in rows})
            keep = set(random.sample(values, max(1, int(round(len(values) * float(ratio or 1))))) if values else set())
            rows = [row for row in rows if row[index] in keep][:wanted]
        else:
            rows = rows[:wanted]
        return header, rows

    def _types(self, header):
        types = {c["name"]: c.get("type") for c in self._stored_schema() or []}
        return [types.get(column) for column in header]

    def iter_tuples(self, sampling="head", sampling_column=None, limit=None, ratio=None, log_every=-1, timeout=30,
                    columns=None):
        del log_every, timeout
        header, rows = self._selected(columns, sampling, sampling_column, limit, ratio)
        types = self._types(header)
        for row in rows:
            yield tuple(_cast(row[i] if i < len(row) else "", types[i]) for i in range(len(header)))

    def iter_rows(self, sampling="head", sampling_column=None, limit=None, ratio=None, log_every=-1, timeout=30,
                  columns=None):
        header = self._selected(columns, sampling, sampling_column, 0, None)[0]
        for values in self.iter_tuples(sampling, sampling_column, limit, ratio, log_every, timeout, columns):
            yield DatasetRow(header, values)

    def get_dataframe(self, columns=None, sampling="head", sampling_column=None, limit=None, ratio=None,
                      infer_with_pandas=True, parse_dates=True, bool_as_str=False, **_kwargs):
        """The rows as a DataFrame. infer_with_pandas=True (DSS's default) lets pandas guess the column types."""
        import io  # pylint: disable=import-outside-toplevel
        import pandas  # pylint: disable=import-outside-toplevel
        header, rows = self._selected(columns, sampling, sampling_column, limit, ratio)
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(header)
        writer.writerows(rows)
        buf.seek(0)
        if not header:
            return pandas.DataFrame()
        types = dict(zip(header, self._types(header)))
        dtypes, dates = {}, []
        for column, dss_type in types.items():
            if dss_type == "date" and parse_dates:
                dates.append(column)
            elif dss_type == "string" or (not infer_with_pandas and dss_type in (None, "date")):
                dtypes[column] = str
            elif dss_type == "boolean" and bool_as_str:
                dtypes[column] = str
            elif not infer_with_pandas and dss_type in _INT_TYPES:
                dtypes[column] = "Int64"
            elif not infer_with_pandas and dss_type in _FLOAT_TYPES:
                dtypes[column] = "float64"
        return pandas.read_csv(buf, dtype=dtypes or None, parse_dates=dates or False, keep_default_na=False,
                               na_values=[""])

    def iter_dataframes(self, chunksize=10000, infer_with_pandas=True, sampling="head", sampling_column=None,
                        limit=None, ratio=None, columns=None, parse_dates=True, bool_as_str=False, **kwargs):
        df = self.get_dataframe(columns, sampling, sampling_column, limit, ratio, infer_with_pandas, parse_dates,
                                bool_as_str, **kwargs)
        for start in range(0, len(df), int(chunksize)):
            yield df.iloc[start:start + int(chunksize)]

    # -- writing --
    def get_writer(self):
        return DatasetWriter(self)

    def write_with_schema(self, df, drop_and_create=False, **_kwargs):
        """Replace the schema by the DataFrame's, then its rows."""
        self.write_schema_from_dataframe(df, drop_and_create)
        with self.get_writer() as writer:
            writer.write_dataframe(df)

    def write_dataframe(self, df, infer_schema=False, drop_and_create=False, **_kwargs):
        """Write the DataFrame's rows; the schema is replaced only with infer_schema=True (or when there is none)."""
        if infer_schema or self._stored_schema() is None:
            self.write_schema_from_dataframe(df, drop_and_create)
        with self.get_writer() as writer:
            writer.write_dataframe(df)


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):  # a missing value
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _cell(value.item())
    return value


class DatasetWriter:
    """Rows collected, then written at close, atomically (a failed recipe leaves the previous data)."""

    def __init__(self, dataset):
        self.dataset = dataset
        schema = dataset._stored_schema()  # pylint: disable=protected-access
        self.columns = [c["name"] for c in schema or []]
        self.rows = []
        self.closed = False

    def __getattr__(self, name):
        raise _context.unsupported("dataiku.core.dataset_write.DatasetWriter.%s" % name)

    def write_tuple(self, row):
        self.rows.append([_cell(v) for v in row])

    write_row_array = write_tuple

    def write_row_dict(self, row):
        for column in row:
            if column not in self.columns:
                self.columns.append(column)
        self.rows.append([_cell(row.get(c)) for c in self.columns])

    def write_dataframe(self, df):
        if not self.columns:
            self.columns = [str(c) for c in df.columns]
        for row in df.itertuples(index=False, name=None):
            self.write_tuple(row)

    def close(self):
        if self.closed:
            return
        self.closed = True
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
