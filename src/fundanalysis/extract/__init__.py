"""From a self-evaluation report's text to a draft input workbook, every figure with its sentence.

``extract(text)`` parses the report's structure (:mod:`.text`), runs the named rules of :mod:`.rules` over
each sentence and returns an :class:`Extraction`: findings grouped per target sheet, each with its section,
sentence, rule and reasons for doubt. :func:`build_draft` (:mod:`.draft`) merges the findings into the rows
of the input sheets and marks what a person must check (待核对); :mod:`.compare` sets a draft against an
existing workbook figure by figure; :mod:`.command` is ``fundanalysis extract``. Reading report files
(.txt, .docx, .pdf) and writing the workbook go through :mod:`fundanalysis.storage`; the rest is pure.
"""

from fundanalysis.extract.draft import Draft, DraftRow, build_draft
from fundanalysis.extract.engine import Extraction, Finding, extract
from fundanalysis.extract.rules import OUTPUTS, RULES

__all__ = ["OUTPUTS", "RULES", "Draft", "DraftRow", "Extraction", "Finding", "build_draft", "extract"]
