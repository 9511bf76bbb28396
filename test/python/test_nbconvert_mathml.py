"""The nbconvert preprocessor that turns LaTeX in markdown into MathML (scripts/nbconvert),
as `jupyter nbconvert --to html` runs it from the venv's config (setup step 36)."""
import json
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"

from attnlab_nbconvert import latex_to_mathml  # noqa: E402 - on the path through the venv's .pth


def test_latex_to_mathml_display_inline_and_what_it_leaves_alone():
    out = latex_to_mathml(r"See $$\frac{a}{b}$$, then $x_i^2$; costs \$5, code `$x$`, and $ 5 $.")
    assert out.count("<math ") == 2
    assert 'display="block"' in out and 'display="inline"' in out
    assert "<mfrac>" in out and "<msubsup>" in out
    assert r"\$5" in out and "`$x$`" in out and "$ 5 $" in out
    # Nothing markdown would read as emphasis inside the MathML.
    assert "_" not in out.split("`")[0].replace(r"\$", "")


def test_a_formula_latex2mathml_rejects_keeps_its_tex():
    assert latex_to_mathml(r"before $\begin{foo} x$ after") == r"before $\begin{foo} x$ after"


def test_nbconvert_html_from_the_venv_has_mathml_and_no_raw_tex(tmp_path):
    nb = {
        "cells": [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": "The score $$\\frac{\\lVert W_{QK}^B \\rVert_F}{2}$$ is $s_i$."}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "m.ipynb").write_text(json.dumps(nb))
    env = {**os.environ, "JUPYTER_PATH": str(VENV / "share" / "jupyter")}
    subprocess.run([str(VENV / "bin" / "jupyter-nbconvert"), "--to", "html", "m.ipynb"], cwd=tmp_path, env=env, check=True, capture_output=True)
    html = (tmp_path / "m.html").read_text()
    assert html.count("<math ") == 2
    assert "$$\\frac" not in html
