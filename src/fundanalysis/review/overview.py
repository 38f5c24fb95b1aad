"""The tables and charts of a review's overview (``notebooks/review/10-review-overview.ipynb``), from
its review.json. Each function returns a DataFrame or a Figure; the notebook shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from fundanalysis.present.charts.draw import ChartFigure
from fundanalysis.review.findings import KIND_LABELS, FindingKind
from fundanalysis.storage import files

NOT_STATED = "未注明"
NO_GRADE = "无等级"


@dataclass(frozen=True)
class Review:
    """A review read back: one row per form, one per finding, one per unreadable file."""

    forms: pd.DataFrame
    findings: pd.DataFrame
    problems: pd.DataFrame


def load(folder: str | Path) -> Review:
    """Read ``folder/review.json`` into frames (totals as floats for the charts; the JSON keeps them exact)."""
    doc = files.read_json(Path(folder) / "review.json")
    forms = pd.DataFrame(doc["forms"])
    if forms.empty:
        forms = pd.DataFrame(columns=["file", "sheet", "project", "unit", "department", "stated_total", "total",
                                      "stated_grade", "grade", "findings", "priority", "inflation"])
    for col in ("stated_total", "total", "inflation"):
        forms[col] = pd.to_numeric(forms[col], errors="coerce")
    findings = pd.DataFrame([{"priority": f_["priority"], "file": f_["file"], "department": f_["department"],
                              "unit": f_["unit"], "kind": x["kind"], "label": KIND_LABELS[FindingKind(x["kind"])]}
                             for f_ in doc["forms"] for x in f_["findings"]],
                            columns=["priority", "file", "department", "unit", "kind", "label"])
    problems = pd.DataFrame(doc["problems"], columns=["file", "sheet", "row", "column", "value", "reason"])
    return Review(forms, findings, problems)


def counts(review: Review) -> pd.DataFrame:
    """The headline counts."""
    f = review.forms
    with_findings = int((f["findings"].map(len) > 0).sum()) if len(f) else 0
    rows = [
        ("读取的自评表", len(f)),
        ("无法读取的文件或表", len(review.problems)),
        ("有问题的自评表", with_findings),
        ("高报总分的自评表（填报总分 > 计算总分）", int((f["inflation"] > 0).sum())),
        ("低报总分的自评表", int((f["inflation"] < 0).sum())),
        ("填报等级与计算等级不同", int((f["stated_grade"].fillna(NOT_STATED) != f["grade"].fillna(NO_GRADE)).sum())),
        ("问题总数", len(review.findings)),
    ]
    return pd.DataFrame(rows, columns=["项目", "数量"])


def grades(review: Review) -> pd.DataFrame:
    """Forms by stated grade (rows) and computed grade (columns)."""
    f = review.forms
    if f.empty:
        return pd.DataFrame()
    return pd.crosstab(f["stated_grade"].fillna(NOT_STATED).rename("填报等级"),
                       f["grade"].fillna(NO_GRADE).rename("计算等级"), margins=True, margins_name="合计")


def findings_by_kind(review: Review) -> pd.DataFrame:
    """How many findings of each kind, in how many forms."""
    x = review.findings
    if x.empty:
        return pd.DataFrame(columns=["问题类别", "问题数", "涉及表数"])
    out = x.groupby("label").agg(问题数=("kind", "size"), 涉及表数=("priority", "nunique"))
    return out.sort_values("问题数", ascending=False).rename_axis("问题类别").reset_index()


def findings_by_department(review: Review) -> pd.DataFrame:
    """Findings by 主管部门 (rows) and kind (columns), with the department's forms."""
    x = review.findings
    if x.empty:
        return pd.DataFrame()
    table = pd.crosstab(x["department"].fillna(NOT_STATED).rename("主管部门"), x["label"].rename("问题类别"))
    forms = review.forms["department"].fillna(NOT_STATED).value_counts().rename("自评表数")
    table.insert(0, "自评表数", forms.reindex(table.index).fillna(0).astype(int))
    table["问题合计"] = table.drop(columns="自评表数").sum(axis=1)
    return table.sort_values("问题合计", ascending=False)


def most_inflated(review: Review, n: int = 20) -> pd.DataFrame:
    """The units whose stated 总分 is furthest above the computed one."""
    f = review.forms
    top = f[f["inflation"] > 0].sort_values(["inflation", "priority"], ascending=[False, True]).head(n)
    return pd.DataFrame({
        "复核优先级": top["priority"], "实施单位": top["unit"].fillna(NOT_STATED), "主管部门": top["department"],
        "项目名称": top["project"], "填报总分": top["stated_total"], "计算总分": top["total"],
        "高报分数": top["inflation"], "文件": top["file"],
    }).reset_index(drop=True)


def score_chart(review: Review) -> Figure:
    """Two histograms: the stated totals against the computed ones, and the gap between them."""
    f = review.forms
    fig = ChartFigure(figsize=(10, 3.6), facecolor="white")  # shows as a PNG in the notebook
    left, right = fig.subplots(1, 2)
    both = pd.concat([f["stated_total"], f["total"]]).dropna()
    low = max(0, int(both.min()) - 1) if len(both) else 0
    bins = list(range(low, 102))  # one point a bin, from just below the lowest total
    left.hist([f["stated_total"].dropna(), f["total"].dropna()], bins=bins, label=["填报总分", "计算总分"])
    left.set_xlabel("总分（分）")
    left.set_ylabel("自评表数")
    left.set_title("自评总分分布")
    left.legend()
    gap = f["inflation"].dropna()
    right.hist(gap, bins=40 if len(gap) else 1, color="#c0504d")
    right.set_xlabel("填报总分 − 计算总分（分）")
    right.set_ylabel("自评表数")
    right.set_title("高报与低报")
    fig.tight_layout()
    return fig
