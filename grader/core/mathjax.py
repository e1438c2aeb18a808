"""LaTeX in exported and feedback HTML, rendered offline: MathJax from the installed package.

nbconvert's HTML loads MathJax from a CDN, so without internet `$$…$$` stays raw. The
jupyter-server-mathjax package ships MathJax 2.7 (the version nbconvert's templates configure);
`url()` points at its copy as a file:// URL, valid on the machine that has the course installed.
Used by the Lab's and nbconvert's config (written by `make lab`) and by nbgrader_config.py, whose
feedback template is given `grader/templates/base/mathjax.html.j2` (see `local_mathjax_url`).
"""

from __future__ import annotations

from pathlib import Path

CONFIG = "TeX-AMS_CHTML-full,Safe"  # nbconvert's own MathJax configuration
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def url() -> str:
    """file:// URL of the local MathJax.js with nbconvert's configuration, or '' if missing."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        return ""
    script = Path(jupyter_server_mathjax.__file__).parent / "static" / "MathJax.js"
    return f"{script.as_uri()}?config={CONFIG}" if script.is_file() else ""


def local_mathjax_url(given: str) -> str:
    """Jinja filter: a CDN (http) URL becomes the local MathJax when there is one."""
    return (url() or given) if given.startswith(("http:", "https:")) else given
