"""Settings: paths, accepted years, limits and exit codes.

Paths are computed from the project root, never from the working directory. The input's shape
(sheets, columns) is in :mod:`fundanalysis.ingest.specs`; vocabularies and result codes are in
:mod:`fundanalysis.vocab`. No figures from any report live here.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent.parent
DATA_DIR = PROJECT_ROOT / "data"
OUTPUTS_DIR = PROJECT_ROOT / "outputs"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REPORT_NOTEBOOKS_DIR = NOTEBOOKS_DIR / "reports"

#: Years the tool accepts; anything outside is a typo.
MIN_YEAR, MAX_YEAR = 1990, 2100

#: Amounts typed as bare numbers are read in this unit (the header notes say so).
DEFAULT_MONEY_UNIT = "万元"

#: Limits checked before a workbook is parsed (zip-bomb defence).
MAX_WORKBOOK_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200

#: Exit codes of the CLI (documented in the README).
EXIT_OK = 0
EXIT_BUILD_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_LOCKED = 3
EXIT_STORAGE = 4

#: Limits checked before any sheet is parsed, so that a hostile or absurd file gets a message
#: instead of exhausting memory. A workbook's grid is what its reader allocates (rows × columns).
MAX_SHEET_ROWS = 2_000_000
MAX_SHEET_COLUMNS = 200
MAX_SHEET_CELLS = 25_000_000
MAX_SHARED_STRINGS = 5_000_000
#: CSV and Parquet sheets: bytes on disk and bytes once decompressed (Parquet metadata).
MAX_CSV_BYTES = 1024 * 1024 * 1024
MAX_PARQUET_BYTES = 2 * 1024 * 1024 * 1024
#: Bytes of memory a parsed cell costs at most (reader grid, Python objects, cleaning); used
#: with the machine's available memory to refuse a read that would not fit.
BYTES_PER_CELL = 120

#: The largest single amount accepted, in 元 (1万亿元): far below int64 even in 分, so that sums
#: of many rows stay exact.
MAX_AMOUNT_YUAN = 10**12
#: The largest total of one money column, in 元 (1000万亿元): several such totals added in 分
#: still fit in int64.
MAX_COLUMN_TOTAL_YUAN = 10**15

#: Longest name shown in a chart label before it is shortened with "…" (tables show it whole).
CHART_LABEL_MAX_CHARS = 60
#: Resolution of the report's chart images (dots per inch). Charts are laid out at this resolution
#: too (see charts.draw).
CHART_DPI = 150
#: zlib level for chart PNGs (Pillow's ``compress_level``, through matplotlib's savefig). Charts are flat
#: colour and text: level 3 is the last of zlib's fast matching; higher levels cost time for few bytes.
PNG_COMPRESS_LEVEL = 3
