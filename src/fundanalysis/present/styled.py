"""Tables as HTML with pandas' Styler: Chinese headers, every data string escaped, numbers
right-aligned, flagged rows marked, no index.

The same HTML shows in the built report and in JupyterLab; the classes (``fa-table``, ``num``,
``txt``, ``fail``, ``na``) are styled by :data:`fundanalysis.present.page.CSS`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from fundanalysis.present import fmt

#: A column to show: its Chinese header and the function that formats its values (None: text).
Columns = Mapping[str, tuple[str, Callable[[Any], str] | None]]


def styled_table(df: pd.DataFrame, columns: Columns,
                 row_class: Callable[[pd.Series], str] | None = None) -> str:
    """Render ``columns`` of ``df`` as an HTML table.

    Text cells are escaped (``<script>`` in a name shows as text); a column with a formatter
    is numeric and right-aligned; ``row_class`` gives each row a class (``fail``, ``na``) put
    on its cells.

    >>> html = styled_table(pd.DataFrame({"n": ["<b>甲</b>"], "v": [71_900_000]}),
    ...                     {"n": ("名称", None), "v": ("金额（万元）", fmt.wan)})
    >>> "&lt;b&gt;甲&lt;/b&gt;" in html and ">71.9<" in html and "<b>" not in html
    True
    """
    view = pd.DataFrame({label: (df[col] if col in df else pd.Series(pd.NA, index=df.index))
                         for col, (label, _) in columns.items()}, index=df.index).reset_index(drop=True)
    formatters = {label: (f or fmt.text) for label, f in columns.values()}
    kinds = ["num" if f is not None else "txt" for _, f in columns.values()]
    rows = [row_class(r) for _, r in df.iterrows()] if row_class else [""] * len(df)
    classes = pd.DataFrame([[f"{k} {rc}".strip() for k in kinds] for rc in rows],
                           columns=view.columns, index=view.index)
    uid = "fa" + hashlib.sha1(pd.util.hash_pandas_object(view.astype(str), index=False).values.tobytes()
                              + "|".join(view.columns).encode()).hexdigest()[:10]
    styler = (view.style.format(formatters, escape="html")
              .hide(axis="index")
              .set_td_classes(classes)
              .set_table_attributes('class="fa-table"')
              .set_uuid(uid))
    return styler.to_html(doctype_html=False)
