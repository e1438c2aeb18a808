"""Feedback pages lay out the notebooks' tables: a preprocessor for `nbgrader generate_feedback`.

nbgrader's feedback template keeps Bootstrap's stylesheet but not the classic notebook's, so a
markdown table renders with no padding and no rules: two columns read as one word ("samplelogits").
Registered in nbgrader_config.py after nbconvert's CSSHTMLHeaderPreprocessor, which fills
`resources["inlining"]["css"]` (each entry becomes one <style> element of the page), FeedbackStyle
adds the few rules a table in a markdown cell needs. The notebook itself is left as it is.
"""

from __future__ import annotations

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

TABLE_CSS = """
.rendered_html table { border-collapse: collapse; margin: 0.8em 0; }
.rendered_html th, .rendered_html td {
  padding: 0.25em 0.9em; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top;
}
.rendered_html thead th { border-bottom: 2px solid #999; }
"""


class FeedbackStyle(NbGraderPreprocessor):
    """Add the table rules to the page's inline styles."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        resources.setdefault("inlining", {}).setdefault("css", []).append(TABLE_CSS)
        return nb, resources
