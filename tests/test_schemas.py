"""The processed tables' schemas: a text column's dtype is checked as pandera checks ``"string"``
(the quicker answer when every value passes must not let anything else pass)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest
from pandera.errors import SchemaErrors

from fundanalysis.ingest.schemas import SCHEMAS, TEXT, SchemaViolation, validate_tables


def _items(title: pd.Series) -> pd.DataFrame:
    n = len(title)
    return pd.DataFrame({"source": pd.Series(["报告"] * n, dtype="string"),
                         "outlet": pd.Series(["常州日报"] * n, dtype="string"), "title": title})


COLUMNS = [
    pd.Series(["标题"], dtype="string"),
    pd.Series(["标题"], dtype=pd.StringDtype("pyarrow")),
    pd.Series(["标题"], dtype=pd.StringDtype("python")),
    pd.Series(["标题"], dtype="str"),
    pd.Series(["标题"], dtype=object),
    pd.Series([None], dtype="string"),
    pd.Series([1], dtype="Int64"),
    pd.Series([1], dtype=object),
    pd.Series(["标题", 2], dtype=object),
    pd.Series([1.5]),
    pd.Series([True]),
    pd.Series([pd.Timestamp("2019-01-01")]),
]


@pytest.mark.parametrize("title", COLUMNS, ids=lambda s: f"{s.dtype}:{list(s)}")
def test_text_columns_pass_and_fail_as_pandera_string_does(title: pd.Series) -> None:
    """Every kind of column is accepted or refused by the schemas exactly as by a plain
    ``pa.Column("string")`` (nullable, so only the dtype is compared)."""
    reference = pa.DataFrameSchema({"title": pa.Column("string", nullable=True)})
    ours = pa.DataFrameSchema({"title": pa.Column(TEXT, nullable=True)})
    frame = pd.DataFrame({"title": title})

    def passes(schema: pa.DataFrameSchema) -> bool:
        try:
            schema.validate(frame, lazy=True)
            return True
        except SchemaErrors:
            return False

    assert passes(ours) == passes(reference)


def test_a_number_in_a_text_column_is_named_with_its_row() -> None:
    """A refused text column still says which value, in which row, is wrong."""
    frame = _items(pd.Series(["标题", 7], dtype=object))
    with pytest.raises(SchemaViolation) as err:
        validate_tables({"media_items": frame})
    lines = str(err.value).splitlines()
    assert lines[0] == "table media_items:"
    assert len(lines) == 3  # the header and one failure: the number, in row 1 (its index)
    assert lines[2].split() == ["title", "dtype('string[pyarrow]')", "7", "1"]
    assert validate_tables({"media_items": _items(pd.Series(["标题", "另一个"], dtype="string"))})


def test_every_text_column_of_every_schema_uses_the_checked_dtype() -> None:
    """No schema declares a text column any other way (it would be checked the slow way, or not
    as the others are)."""
    texts = [(name, col) for name, schema in SCHEMAS.items() for col, c in schema.columns.items()
             if "string" in str(c.dtype)]
    assert texts
    assert all(isinstance(SCHEMAS[name].columns[col].dtype, type(TEXT)) for name, col in texts)
