"""Executed notebook → HTML fragment with nbconvert: code, prompts, anchors and stderr hidden.

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


def _has_class(tag: Any, name: str) -> bool:
    """Whether an element's class attribute lists ``name``."""
    classes = tag.get("class") or []
    return name in (classes.split() if isinstance(classes, str) else classes)


def _in_notebook_with_class(tag: Any, name: str) -> bool:
    """CSS ``.jp-Notebook div.<name>``: a div of that class inside an element of class jp-Notebook."""
    return (tag.name == "div" and _has_class(tag, name)
            and any(_has_class(p, "jp-Notebook") for p in tag.parents if p.name is not None))


def _exporter_class() -> type:
    """nbconvert's HTMLExporter, its finishing touches found without CSS selectors.

    After rendering, nbconvert parses the page with BeautifulSoup and finds images without alt
    text and the input and output wrappers (to make them focusable) with ``soup.select``. The
    first selection in a process compiles soupsieve's CSS grammar: ~95 Unicode-wide regular
    expressions, ~0.25 s of the fork server's start before any notebook can run. The same
    elements are found here by walking the tree, and changed the same way (tested against
    nbconvert's own on built reports and on crafted pages).
    """
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class Exporter(HTMLExporter):  # type: ignore[misc]
        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> tuple[str, Any]:
            """As ``HTMLExporter.from_notebook_node`` (nbconvert 7), without ``soup.select``."""
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                     resources=resources)
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            soup = BeautifulSoup(html, features="html.parser")
            missing_alt = 0
            for elem in soup.find_all(lambda t: t.name == "img" and not t.has_attr("alt")):
                elem.attrs["alt"] = "No description has been provided for this image"
                missing_alt += 1
            if missing_alt:
                self.log.warning("Alternative text is missing on %s image(s).", missing_alt)
            for name in ("jp-Cell-inputWrapper", "jp-OutputArea-output"):
                for elem in soup.find_all(lambda t, name=name: _in_notebook_with_class(t, name)):
                    elem.attrs["tabindex"] = "0"
            return str(soup), resources

    return Exporter


@functools.lru_cache(maxsize=1)
def _exporter() -> Any:
    """One HTML exporter (its templates load once): code, prompts, anchors, title cell hidden."""
    return make_exporter(_exporter_class())


def make_exporter(cls: type) -> Any:
    """An HTML exporter of class ``cls`` set up as the reports' pages are converted."""
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {TITLE_TAG}
    exporter = cls(config=config, template_name="basic", exclude_input=True, exclude_input_prompt=True,
                   exclude_output_prompt=True, exclude_anchor_links=True)
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
