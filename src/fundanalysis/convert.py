"""Executed notebook → HTML fragment with nbconvert: code, prompts, anchors and stderr hidden."""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Any

_EXPORTER_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _exporter() -> Any:
    """One HTML exporter (its templates load once): code, prompts and anchors hidden."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True, exclude_anchor_links=True)


def notebook_to_html(nb_path: Path) -> str:
    """Convert an executed notebook to an HTML fragment: code, prompts and stderr hidden."""
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    nb.cells = [c for c in nb.cells if not (c.cell_type == "markdown" and c.source.startswith("# "))]
    with _EXPORTER_LOCK:
        body, _ = _exporter().from_notebook_node(nb)
    return body
