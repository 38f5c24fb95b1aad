"""The rendered-chart cache: a chart is drawn again exactly when a table it read changed.

Keys hold the names of the tables a chart looked up and each one's exact contents, so these tests
change a table the chart read (drawn again), one it did not read (served from the cache), add a
table it looked for and did not find, and iterate the tables (every table counts). A build reads
the cache unless ``--force``; its pages equal a ``--force`` build's (see test_incremental).
"""

from __future__ import annotations

import os
import subprocess
import time
from decimal import Decimal
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
from conftest import CLI, FUND, make_data_dir
from matplotlib.figure import Figure

from fundanalysis.analysis import metrics
from fundanalysis.present import charts
from fundanalysis.present.charts import cache
from fundanalysis.storage import blobs

DRAWN: list[str] = []


def _figure(label: str) -> Figure:
    fig = Figure(figsize=(1, 1))
    fig.text(0.1, 0.5, label)
    return fig


def amounts_chart(tables: dict, theme: object = None) -> Figure:
    """Reads 'amounts' only."""
    DRAWN.append("amounts")
    return _figure(str(tables["amounts"]["fen"].sum()))


def optional_chart(tables: dict, theme: object = None) -> Figure:
    """Looks for 'extra', which may be absent."""
    DRAWN.append("optional")
    return _figure("yes" if "extra" in tables else "no")


def every_table_chart(tables: dict, theme: object = None) -> Figure:
    """Iterates over the tables."""
    DRAWN.append("every")
    return _figure(", ".join(sorted(tables)))


def spec(fn: object, tables: dict) -> charts.ChartSpec:
    return charts.ChartSpec("x", "图", partial(fn, tables, theme=None))  # type: ignore[arg-type]


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    return {"amounts": pd.DataFrame({"name": ["甲", "乙"], "fen": [100, 250]}),
            "media": pd.DataFrame({"outlet": ["报"], "fen": [5]})}


#: the store a build hands its notebooks (here: in a test's folder)
STORE = cache.ChartStore


@pytest.fixture
def on(tmp_path: Path) -> cache.ChartStore:
    """The chart cache a build hands its notebooks, in the test's folder."""
    DRAWN.clear()
    return STORE(tmp_path / "cache")


def test_a_chart_is_drawn_again_only_when_a_table_it_read_changes(on: cache.ChartStore, tables: dict) -> None:
    first = cache.render(spec(amounts_chart, tables), store=on)
    assert cache.render(spec(amounts_chart, tables), store=on) == first and DRAWN == ["amounts"]
    other = {**tables, "media": pd.DataFrame({"outlet": ["报", "台"], "fen": [5, 7]})}
    assert cache.render(spec(amounts_chart, other), store=on) == first and DRAWN == ["amounts"]  # not read
    changed = {**tables, "amounts": tables["amounts"].assign(fen=[100, 251])}
    assert cache.render(spec(amounts_chart, changed), store=on) != first and DRAWN == ["amounts", "amounts"]
    assert cache.render(spec(amounts_chart, tables), store=on) == first and len(DRAWN) == 2  # both kept


def test_a_table_looked_for_and_absent_is_part_of_the_key(on: cache.ChartStore, tables: dict) -> None:
    without = cache.render(spec(optional_chart, tables), store=on)
    with_extra = cache.render(spec(optional_chart, {**tables, "extra": pd.DataFrame({"a": [1]})}), store=on)
    assert without != with_extra and DRAWN == ["optional", "optional"]
    assert cache.render(spec(optional_chart, tables), store=on) == without and len(DRAWN) == 2


def test_iterating_the_tables_reads_all_of_them_and_which_exist(on: cache.ChartStore, tables: dict) -> None:
    cache.render(spec(every_table_chart, tables), store=on)
    cache.render(spec(every_table_chart, {**tables, "extra": pd.DataFrame()}), store=on)
    cache.render(spec(every_table_chart, {**tables, "media": tables["media"].assign(fen=[6])}), store=on)
    assert DRAWN == ["every"] * 3
    cache.render(spec(every_table_chart, tables), store=on)
    assert DRAWN == ["every"] * 3


def test_theme_resolution_and_code_are_in_the_key(on: cache.ChartStore, tables: dict) -> None:
    s = spec(amounts_chart, tables)
    a = cache.render(s, dpi=72, store=on)
    b = cache.render(s, dpi=100, store=on)
    assert a != b and len(DRAWN) == 2
    cache.render(charts.ChartSpec("x", "图", partial(amounts_chart, tables, theme=charts.NARROW_THEME)), dpi=72,
                 store=on)
    assert len(DRAWN) == 3
    import matplotlib as mpl

    with mpl.rc_context({"font.size": 17}):  # a notebook that changed a setting before the chart
        cache.render(s, dpi=72, store=on)
    assert len(DRAWN) == 4
    cache.render(s, dpi=72, store=on)
    assert len(DRAWN) == 4
    cache._fixed_parts.cache_clear()
    real = cache.digests.code_digest
    try:
        cache.digests.code_digest = lambda: "other code"  # type: ignore[assignment]
        cache.render(s, dpi=72, store=on)
    finally:
        cache.digests.code_digest = real  # type: ignore[assignment]
        cache._fixed_parts.cache_clear()
    assert len(DRAWN) == 5


def test_reading_off_draws_every_chart_and_still_stores_it(tmp_path: Path, tables: dict) -> None:
    DRAWN.clear()
    redraw = STORE(tmp_path / "c", read=False)
    cache.render(spec(amounts_chart, tables), store=redraw)
    cache.render(spec(amounts_chart, tables), store=redraw)
    assert DRAWN == ["amounts", "amounts"]
    cache.render(spec(amounts_chart, tables), store=STORE(tmp_path / "c"))
    assert len(DRAWN) == 2


def test_off_by_default_and_a_damaged_record_only_misses(tmp_path: Path, tables: dict) -> None:
    DRAWN.clear()
    cache.render(spec(amounts_chart, tables))
    cache.render(spec(amounts_chart, tables))
    assert DRAWN == ["amounts", "amounts"]  # no cache outside a build
    store = STORE(tmp_path / "c")
    first = cache.render(spec(amounts_chart, tables), store=store)
    for reads in (tmp_path / "c").glob("*.reads"):
        reads.write_text("{not json", encoding="utf-8")
    assert cache.render(spec(amounts_chart, tables), store=store) == first and len(DRAWN) == 4


def test_table_digest_is_exact_and_independent_of_how_the_frame_was_built(tmp_path: Path) -> None:
    df = pd.DataFrame({"name": pd.array(["甲", None], dtype="string[pyarrow]"), "fen": [1, 2],
                       "rate": [Decimal("0.8687"), None]})
    path = tmp_path / "t.parquet"
    df.to_parquet(path)
    again = pd.read_parquet(path)
    again["rate"] = [Decimal("0.8687"), None]  # Parquet keeps decimals its own way; the values match
    assert cache.table_digest(df) == cache.table_digest(again)
    assert cache.table_digest(pd.concat([df.iloc[:1], df.iloc[1:]])) == cache.table_digest(df)
    digests = {cache.table_digest(x) for x in (
        df, df.assign(fen=[1, 3]), df.assign(fen=["1", "2"]), df.assign(rate=[Decimal("0.86870"), None]),
        df.rename(columns={"fen": "amount"}), df.iloc[::-1], df.assign(name=["甲", ""]))}
    assert len(digests) == 7


def test_real_charts_from_the_cache_are_the_bytes_drawn(on: cache.ChartStore, tables_2019: dict) -> None:
    for s in charts.chart_specs(tables_2019)[:3]:
        drawn = charts.render(s.make(), "png", 150)
        assert cache.render(s, "png", 150, store=on) == drawn  # stored
        assert cache.render(s, "png", 150, store=on) == drawn  # from the cache
    assert len(list(on.root.glob("*.png"))) == 3


ASKED: list[int] = []


@metrics.once
def _total(amounts: pd.DataFrame) -> int:
    ASKED.append(1)
    return int(amounts["fen"].sum())


@metrics.once
def _tables_total(tables: dict) -> int:
    ASKED.append(1)
    return int(tables["amounts"]["fen"].sum())


def metric_chart(tables: dict, theme: object = None) -> Figure:
    """Shows a metric of the tables, as the report's charts do."""
    DRAWN.append("metric")
    return _figure(f"{_tables_total(tables)} {_total(tables['amounts'])} {theme}")


@pytest.mark.parametrize("cached", [False, True])
def test_a_charts_variants_work_out_its_metrics_once(tmp_path: Path, tables: dict, cached: bool) -> None:
    """Both variants are drawn; the metrics they show are computed for the first only."""
    DRAWN.clear()
    ASKED.clear()
    wide = spec(metric_chart, tables)
    narrow = wide.with_theme(charts.NARROW_THEME)
    got = cache.render_variants([wide, narrow], "png", 72, store=STORE(tmp_path / "c") if cached else None)
    assert DRAWN == ["metric", "metric"] and len(ASKED) == 2  # one per metric, not per variant
    assert got == [charts.render(wide.make(), "png", 72), charts.render(narrow.make(), "png", 72)]
    assert len(ASKED) == 6  # outside it: every call works them out


def test_a_variant_whose_metrics_were_remembered_still_reads_what_they_read(on: cache.ChartStore,
                                                                          tables: dict) -> None:
    """The narrow variant took its metrics from the wide one's: its key still holds the table
    they read, so a change to it draws both again, and a change elsewhere draws neither."""
    wide = spec(metric_chart, tables)
    narrow = wide.with_theme(charts.NARROW_THEME)
    first = cache.render_variants([wide, narrow], store=on)
    assert len(DRAWN) == 2
    other = {**tables, "media": tables["media"].assign(fen=[9])}
    w2 = spec(metric_chart, other)
    assert cache.render_variants([w2, w2.with_theme(charts.NARROW_THEME)], store=on) == first and len(DRAWN) == 2
    changed = {**tables, "amounts": tables["amounts"].assign(fen=[100, 251])}
    w3 = spec(metric_chart, changed)
    again = cache.render_variants([w3, w3.with_theme(charts.NARROW_THEME)], store=on)
    assert len(DRAWN) == 4 and again[0] != first[0] and again[1] != first[1]
    # the narrow variant alone, from the cache, for the changed tables: found (its key was right)
    assert cache.render(w3.with_theme(charts.NARROW_THEME), store=on) == again[1] and len(DRAWN) == 4


def test_prune_removes_the_unused_and_keeps_the_folder_bounded(tmp_path: Path) -> None:
    root = tmp_path / "c"
    for i in range(5):
        blobs.put(root, f"e{i}.png", b"x" * 100)
    old = time.time() - 40 * 24 * 3600
    os.utime(root / "e0.png", (old, old))
    for i in range(1, 5):
        os.utime(root / f"e{i}.png", (old + 39 * 24 * 3600 + i, old + 39 * 24 * 3600 + i))
    assert blobs.get(root, "e1.png") == b"x" * 100  # a read refreshes its time
    assert blobs.prune(root, max_bytes=250) == 3
    assert sorted(p.name for p in root.iterdir()) == ["e1.png", "e4.png"]
    assert blobs.prune(tmp_path / "missing") == 0


@pytest.mark.slow
def test_a_build_reads_the_cache_unless_forced(tmp_path: Path) -> None:
    """Every stored chart is replaced by one marker image: a build that runs its notebooks again
    (here: the published year removed) shows the markers; ``--force`` draws the real charts."""
    data = make_data_dir(tmp_path / "data", years=("2019",))
    out = tmp_path / "outputs"

    def build(*args: str) -> None:
        proc = subprocess.run([str(CLI), "report", "--data-dir", str(data), "--out-dir", str(out), *args],
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr[-3000:]

    build()
    year = out / FUND / "2019"
    real = {p.name: p.read_bytes() for p in (year / "charts").glob("*.png")}
    stored = list((out / ".cache" / "charts").glob("*.png"))
    assert real and len(stored) == 2 * len(real)  # the page's chart and its phone variant
    marker = charts.render(_figure("cached"), "png", 20)
    for p in stored:
        p.write_bytes(marker)
    os.unlink(year)  # the published year (a link to its version): every section runs again
    build()
    assert {p.read_bytes() for p in (year / "charts").glob("*.png")} == {marker}
    build("--force")
    assert {p.name: p.read_bytes() for p in (year / "charts").glob("*.png")} == real


def test_a_table_is_hashed_once_per_object(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys of many charts reading the same table hash it once; another table object (other
    contents) is hashed for itself."""
    from fundanalysis.present.charts import cache as chart_cache

    calls: list[int] = []
    real = chart_cache.table_digest
    monkeypatch.setattr(chart_cache, "table_digest", lambda v: calls.append(1) or real(v))
    chart_cache._DIGESTS.clear()
    a = pd.DataFrame({"x": [1, 2]})
    keys = {chart_cache._key(f"base{i}", {"t": a}, ["t"]) for i in range(5)}
    assert len(calls) == 1 and len(keys) == 5
    b = pd.DataFrame({"x": [1, 3]})
    assert chart_cache._key("base0", {"t": b}, ["t"]) != chart_cache._key("base0", {"t": a}, ["t"])
    assert len(calls) == 2


def test_object_memo_remembers_by_the_object_itself() -> None:
    """The memo behind the chart keys (a table hashed once per object): one value per object, an equal
    but different object is worked out for itself, and at most ``size`` objects are kept (the
    oldest goes first)."""
    from fundanalysis.present.memo import ObjectMemo

    made: list[int] = []
    memo: ObjectMemo[int] = ObjectMemo(2)

    def make(obj: list[int]) -> int:
        made.append(1)
        return sum(obj)

    a, b, c = [1, 2], [1, 2], [5]
    assert memo.get(a, make) == 3 and memo.get(a, make) == 3 and len(made) == 1
    assert memo.get(b, make) == 3 and len(made) == 2  # equal, not the same: its own value
    assert memo.get(c, make) == 5 and len(made) == 3  # a is dropped (the oldest)
    assert memo.get(b, make) == 3 and len(made) == 3
    assert memo.get(a, make) == 3 and len(made) == 4
