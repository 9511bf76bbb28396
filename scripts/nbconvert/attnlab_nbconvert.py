"""nbconvert preprocessor: LaTeX in markdown cells becomes MathML at export time.

nbconvert's HTML loads MathJax from a CDN, so an exported tutorial read offline (a lecture
room without network) shows raw ``$$\\frac...$$``. Browsers render MathML themselves, so
converting ``$...$`` and ``$$...$$`` to ``<math>`` here needs no script and no network.
scripts/setup.d/36-nbconvert.sh puts this module on the venv's path and enables it for
every HTML export (``jupyter nbconvert --to html``) in .venv/etc/jupyter/jupyter_nbconvert_config.json.
A formula latex2mathml cannot convert is left as it was (MathJax still gets it when online).
"""
import html
import re

from nbconvert.preprocessors import Preprocessor

try:
    from latex2mathml.converter import convert as _to_mathml
except ImportError:  # pragma: no cover - scripts/setup.d/36-nbconvert.sh installs it
    _to_mathml = None

# $$...$$ (may span lines), then $...$ on one line; \$ is a literal dollar, code spans are skipped.
_DISPLAY = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?![\s$])([^$\n]+?)(?<![\s\\])\$(?!\d)")
_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)


def _mathml(latex, display):
    if _to_mathml is None:
        return None
    try:
        out = _to_mathml(latex.strip(), display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - any unsupported macro: keep the source
        return None
    alt = html.escape(latex.strip(), quote=True)
    out = out.replace("<math ", f'<math alttext="{alt}" ', 1)
    # One line, and markdown-inert: * and _ would otherwise turn into emphasis.
    return out.replace("\n", "").replace("*", "&#42;").replace("_", "&#95;")


def latex_to_mathml(text):
    """Markdown with its $...$ / $$...$$ formulas replaced by MathML (code spans untouched)."""
    parts = _CODE.split(text)
    for i in range(0, len(parts), 2):
        s = parts[i]
        s = _DISPLAY.sub(lambda m: _mathml(m.group(1), True) or m.group(0), s)
        s = _INLINE.sub(lambda m: _mathml(m.group(1), False) or m.group(0), s)
        parts[i] = s
    return "".join(parts)


class MathMLPreprocessor(Preprocessor):
    """Converts the LaTeX of every markdown cell to MathML (see the module docstring)."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown" and "$" in cell.source:
            cell.source = latex_to_mathml(cell.source)
        return cell, resources
