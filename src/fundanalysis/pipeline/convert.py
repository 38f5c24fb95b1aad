"""Executed notebook → HTML fragment with nbconvert's public HTMLExporter: code, prompts, anchors
and stderr hidden.

The section's title cell (tagged ``title``) is removed with nbconvert's TagRemovePreprocessor,
since the page's header shows the title; warnings written to stderr are dropped by a small
preprocessor, so a reader sees only what the section shows.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from fundanalysis.storage import notebook_files

_EXPORTER_LOCK = threading.Lock()
#: The tag of a report notebook's title cell (its ``# 标题``), removed from the HTML.
TITLE_TAG = "title"


def _drop_stderr_class() -> type:
    from nbconvert.preprocessors import Preprocessor

    class DropStderr(Preprocessor):
        """Remove stream outputs written to stderr (warnings, progress bars)."""

        def preprocess_cell(self, cell: Any, resources: Any, index: int) -> tuple[Any, Any]:
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.get("outputs", [])
                                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
            return cell, resources

    return DropStderr


@functools.lru_cache(maxsize=1)
def _exporter() -> Any:
    """nbconvert's HTMLExporter as published, set up as the reports' pages are converted (its
    templates load once): code, prompts, anchors and the title cell hidden, stderr dropped."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {TITLE_TAG}
    exporter = HTMLExporter(config=config, template_name="basic", exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True, exclude_anchor_links=True)
    exporter.register_preprocessor(_drop_stderr_class(), enabled=True)
    return exporter


def notebook_to_html(nb_path: Any) -> str:
    """Convert an executed notebook (a path or a notebook node) to an HTML fragment."""
    nb = nb_path if hasattr(nb_path, "cells") else notebook_files.read_executed(nb_path)
    if nb is None:
        raise ValueError(f"{nb_path} is not a readable notebook")
    with _EXPORTER_LOCK:
        body, _ = _exporter().from_notebook_node(nb)
    return body
