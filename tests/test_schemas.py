"""The processed tables' schemas: a text column must hold pandas' string dtype, and a refused
column says which value, in which row, is wrong."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest
from pandera.errors import SchemaErrors

from fundanalysis.ingest.schemas import SchemaViolation, text_column, validate_tables


def _items(title: pd.Series) -> pd.DataFrame:
    n = len(title)
    return pd.DataFrame({"source": pd.Series(["报告"] * n, dtype="string"),
                         "outlet": pd.Series(["常州日报"] * n, dtype="string"), "title": title})


#: (column, accepted as a text column): only pandas' string dtype is text.
COLUMNS = [
    (pd.Series(["标题"], dtype="string"), True),
    (pd.Series([None], dtype="string"), True),
    (pd.Series([1], dtype="Int64"), False),
    (pd.Series([1], dtype=object), False),
    (pd.Series(["标题", 2], dtype=object), False),
    (pd.Series([1.5]), False),
    (pd.Series([True]), False),
    (pd.Series([pd.Timestamp("2019-01-01")]), False),
]


@pytest.mark.parametrize(("title", "accepted"), COLUMNS, ids=lambda s: f"{getattr(s, 'dtype', s)}")
def test_text_columns_are_accepted_only_with_a_string_dtype(title: pd.Series, accepted: bool) -> None:
    """A text column of the schemas (nullable here, so only the dtype is checked) passes exactly
    when it holds pandas' string dtype."""
    schema = pa.DataFrameSchema({"title": text_column(nullable=True)})
    try:
        schema.validate(pd.DataFrame({"title": title}), lazy=True)
        passed = True
    except SchemaErrors:
        passed = False
    assert passed == accepted


def test_a_number_in_a_text_column_is_named_with_its_row() -> None:
    """A refused text column still says which value, in which row, is wrong."""
    frame = _items(pd.Series(["标题", 7], dtype=object))
    with pytest.raises(SchemaViolation) as err:
        validate_tables({"media_items": frame})
    lines = str(err.value).splitlines()
    assert lines[0] == "table media_items:"
    assert len(lines) == 3  # the header and one failure: the number, in row 1 (its index)
    words = lines[2].split()
    assert words[0] == "title" and "string dtype" in lines[2] and words[-2:] == ["7", "1"]
    assert validate_tables({"media_items": _items(pd.Series(["标题", "另一个"], dtype="string"))})
