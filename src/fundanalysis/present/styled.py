"""Tables as HTML with pandas' Styler: Chinese headers, every data string escaped, numbers
right-aligned, flagged rows marked, no index.

The same HTML shows in the built report and in JupyterLab; the classes (``fnd-table``, ``num``,
``txt``, ``fail``, ``na``) are styled by :data:`fundanalysis.present.page.CSS`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

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
    columns = {col: _in_yuan(label, f, df[col]) if col in df else (label, f) for col, (label, f) in columns.items()}
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
              .set_table_attributes('class="fnd-table"')
              .set_uuid(uid))
    table = styler.to_html(doctype_html=False).replace('<style type="text/css">\n</style>', "")
    # no whitespace between tags: inside a table it would be moved out and shown (JupyterLab)
    table = re.sub(r">\s+<", "><", table).strip()
    return f'<div class="fnd-scroll">{table}</div>'


def _in_yuan(label: str, f: Callable[[Any], str] | None, values: pd.Series) -> tuple[str, Callable[[Any], str] | None]:
    """A money column (``fmt.wan``, header ``…（万元）``) whose amounts 万元 would round is shown
    in exact 元 with its header saying so; any other column as it is.

    >>> [_in_yuan("金额（万元）", fmt.wan, pd.Series([v]))[0] for v in (140_920_540, 1_000_000)]
    ['金额（元）', '金额（万元）']
    """
    if f is fmt.wan and "（万元）" in label and fmt.needs_yuan(values):
        return label.replace("（万元）", "（元）"), fmt.yuan
    return label, f


#: Column-name parts that mark a fraction of 1 (shown as a percentage).
_RATIO_WORDS = ("share", "rate", "utilisation", "ratio")


def money_style(df: pd.DataFrame) -> Styler:
    """A pandas Styler for analysts' own tables: ``*_fen`` columns (integer 分) as 万元 with two
    decimals, fractions (``share``, ``*_rate``, ``utilisation``…) as percentages, the rest as is;
    the numbers underneath are unchanged.

    >>> df = pd.DataFrame({"outlet": ["甲"], "amount_fen": [71_900_000], "share": [0.3565]})
    >>> html = money_style(df).to_html()
    >>> ">71.9<" in html and ">35.65%<" in html and "amount（万元）" in html
    True
    """
    formats: dict[str, Callable[[Any], str]] = {}
    labels = []
    for c in df.columns:
        name = str(c)
        if name.endswith("_fen"):
            formats[c] = fmt.wan
            labels.append(name[:-4] + "（万元）")
        elif any(w in name for w in _RATIO_WORDS) and pd.api.types.is_numeric_dtype(df[c]):
            formats[c] = fmt.pct
            labels.append(name)
        else:
            labels.append(name)
    return df.style.format(formats, na_rep=fmt.MISSING).relabel_index(labels, axis="columns")
