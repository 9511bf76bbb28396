"""Writes the tutorial notebooks (notebooks/NN-*.ipynb) from the cell lists in
scripts/notebooks/nbNN_*.py, so they are reviewed as code and committed without outputs.

    python3 scripts/notebooks/nbgen.py            # all notebooks
    python3 scripts/notebooks/nbgen.py 03         # the ones whose file name starts with 03

Cell tags (see scripts/make_student.py):
  solution  an exercise answer: the student version keeps the cell's leading comment
            lines (the exercise) and replaces the rest by a prompt. Later cells must not
            depend on what a solution cell defines.
  finding   prints the notebook's key finding as `finding: {json}`; test/python checks it.
A module with CLAIMS = True binds its markdown's stated results to that finding with markers
(scripts/notebooks/claims.py); generation fails on a decimal or head name left unmarked.
Plain json only (no nbformat), so any python3 can run it.
"""
import importlib.util
import json
import pathlib
import sys
import textwrap

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "notebooks"

KERNELSPEC = {"name": "attnlab", "display_name": "attnlab (TypeScript)", "language": "typescript"}
LANGUAGE_INFO = {"name": "typescript", "file_extension": ".ts", "mimetype": "text/typescript"}


def md(text, tags=()):
    return {"cell_type": "markdown", "source": textwrap.dedent(text).strip("\n"), "tags": list(tags)}


def code(text, tags=()):
    return {"cell_type": "code", "source": textwrap.dedent(text).strip("\n"), "tags": list(tags)}


def playground(cells, model_var, prompt):
    """Puts the playground on the notebook's model right after the cell that loads it (cell 1)."""
    assert cells[1]["cell_type"] == "code" and "loadModel" in cells[1]["source"]
    cells[2:2] = [
        md("""
        **Playground.** Type your own prompt and pick a layer and head: the heatmap, the model's top
        next tokens and the head-score grid follow as you type.
        """),
        code(f"""
        import {{ explore }} from "attnlab";
        explore({model_var}, {{ prompt: {json.dumps(prompt)} }})
        """),
    ]


def _lines(s):
    parts = s.split("\n")
    return [p + "\n" for p in parts[:-1]] + [parts[-1]] if s else []


def build(name, cells, requires=(), claims=False):
    out = []
    for i, c in enumerate(cells):
        meta = {"tags": c["tags"]} if c["tags"] else {}
        cell = {"cell_type": c["cell_type"], "id": f"{name[:2]}-{i:03d}", "metadata": meta, "source": _lines(c["source"])}
        if c["cell_type"] == "code":
            cell["execution_count"] = None
            cell["outputs"] = []
        out.append(cell)
    return {
        "cells": out,
        # attnlab.requires: the packaged models the notebook loads (test/python fails, naming
        # the model, when the set-up did not install one).
        # attnlab.claims: the markdown's results are bound to the finding (scripts/notebooks/claims.py).
        "metadata": {"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO, "attnlab": {"requires": list(requires), **({"claims": True} if claims else {})}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def main(argv):
    here = pathlib.Path(__file__).parent
    sources = sorted(here.glob("nb[0-9][0-9]_*.py"))
    prefixes = argv[1:]
    for src in sources:
        key = src.stem[2:4]
        if prefixes and not any(key.startswith(p) for p in prefixes):
            continue
        spec = importlib.util.spec_from_file_location(src.stem, src)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[src.stem] = mod
        spec.loader.exec_module(mod)
        claims = getattr(mod, "CLAIMS", False)
        if claims:
            import claims as claims_lib
            for i, c in enumerate(mod.CELLS):
                loose = claims_lib.lint(c["source"]) if c["cell_type"] == "markdown" else []
                if loose:
                    sys.exit(f"{src.name}, cell {i}: results stated without a marker (bind with <!--=key--> or mark <!--given-->): {loose}")
        nb = build(mod.NAME, mod.CELLS, getattr(mod, "REQUIRES", ()), claims)
        path = OUT / f"{mod.NAME}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {path.relative_to(ROOT)} ({len(nb['cells'])} cells)")


if __name__ == "__main__":
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    main(sys.argv)
