"""LaTeX in exported HTML renders offline: MathJax comes from the installed package, no CDN."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
from conftest import ROOT

from grader.core.mathjax import local_mathjax_url, url

CDN = "https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js?config=TeX-AMS_CHTML-full,Safe"


def test_the_local_mathjax_exists_and_replaces_only_cdn_urls() -> None:
    local = url()
    assert local.startswith("file://") and "?config=" in local
    assert Path(local.removeprefix("file://").split("?")[0]).is_file()
    assert local_mathjax_url(CDN) == local
    assert local_mathjax_url("/static/MathJax.js") == "/static/MathJax.js"


def test_nbconvert_html_export_loads_the_local_mathjax(tmp_path: Path) -> None:
    config = ".venv/etc/jupyter/jupyter_server_config.d/course-mathjax.json"
    subprocess.run(["make", "-s", config], cwd=ROOT, check=True, capture_output=True)
    notebook = tmp_path / "math.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("$$\\ln 10$$")])
    nbformat.write(nb, notebook)
    bindir = Path(sys.executable).parent
    subprocess.run([str(bindir / "jupyter"), "nbconvert", "--to", "html", str(notebook)],
                   cwd=tmp_path, check=True, capture_output=True)
    page = (tmp_path / "math.html").read_text()
    assert f'src="{url()}"' in page and "libs/mathjax" not in page
