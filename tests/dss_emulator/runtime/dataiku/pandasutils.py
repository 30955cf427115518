"""`dataiku.pandasutils` (imported as `pdu` by DSS's Python recipe template): the helpers everyday code calls."""

from dataiku._context import unsupported


def audit(df):
    """One row per column: name, dtype, distinct values, missing values, a few sample values."""
    import pandas  # pylint: disable=import-outside-toplevel
    rows = []
    for column in df.columns:
        series = df[column]
        rows.append({"_a_variable": column, "_b_data_type": str(series.dtype), "_c_cardinality": series.nunique(),
                     "_d_missings": int(series.isnull().sum()), "_e_sample_values": series.dropna().unique()[:5]})
    return pandas.DataFrame(rows, columns=["_a_variable", "_b_data_type", "_c_cardinality", "_d_missings",
                                           "_e_sample_values"])


def split_train_valid(df, prop=0.8, seed=None):
    """(train, valid): a random split of the rows, `prop` of them in train."""
    train = df.sample(frac=prop, random_state=seed)
    return train, df.drop(train.index)


def __getattr__(name):
    raise unsupported("dataiku.pandasutils.%s" % name)
