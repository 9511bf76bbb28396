"""Every claim checked: how a tutorial's markdown is tied to what its cells computed.

A sentence that states a result carries a marker, an HTML comment (invisible when the
notebook is rendered), resolved against the notebook's finding (the `finding: {json}` line
printed by the cell tagged `finding`, computed from the same variables the cells show):

    the strongest is head 18.6<!--=bestInduction-->            the word before = the value
    it costs 2.15<!--=rise["18.6"]--> nats                     numbers: equal at the stated precision
    63%<!--=sinkShare-->                                       a percentage states value × 100
    the repeat is far easier<!--claim: lossRepeats < lossFirstBlock - 5-->   a direction or comparison

Expressions are Python over the finding's top-level keys (plus abs, min, max, round, len, all,
any, sorted, sum). `check(nb_cells, finding)` returns the list of disagreements;
test/python/test_notebooks.py fails on any.

`lint(markdown)` lists decimals and head names ("18.6", "0.87") in markdown prose that carry no
marker: each must be bound to the finding (`<!--=...-->`) or be declared not a result of this
notebook with `<!--given-->` right after it, or be mentioned in one of the same cell's
markers (the head in `rise["18.6"]`, the bound in `< 0.1`) (a setting, a threshold, a figure from a paper or
from the model card). Math ($...$), code (`...`) and link targets are not prose.
"""
import math
import re

VALUE = re.compile(r"<!--\s*=\s*(.+?)\s*-->")
CLAIM = re.compile(r"<!--\s*claim:\s*(.+?)\s*-->")
GIVEN = re.compile(r"<!--\s*given\s*-->")
SAFE = {"abs": abs, "min": min, "max": max, "round": round, "len": len, "all": all, "any": any, "sorted": sorted, "sum": sum}
# The stated value: the last word before the marker, without emphasis, quotes or brackets.
STATED = re.compile(r"([−\-+]?[\w.]*\w%?)[*_`'\")\]]*\s*$")
DECIMAL = re.compile(r"(?<![\w.])[−\-+]?\d+\.\d+%?(?![\w.]*\w)")


def _eval(expr, finding):
    # The finding goes into the globals, so comprehensions (their own scope) see its keys too.
    return eval(expr, {"__builtins__": {}, **SAFE, **finding})  # noqa: S307 (our own generator's text)


def _number(text):
    t = text.replace("−", "-")
    pct = t.endswith("%")
    if pct:
        t = t[:-1]
    try:
        x = float(t)
    except ValueError:
        return None, 0, pct
    decimals = len(t.split(".")[1]) if "." in t else 0
    return x, decimals, pct


def agrees(stated, value):
    """Does the word `stated` say `value`? Numbers at the stated precision; anything else as text."""
    if isinstance(value, bool):
        return stated.lower() == str(value).lower()
    if isinstance(value, (int, float)):
        x, d, pct = _number(stated)
        if x is None:
            return False
        v = value * 100 if pct else value
        if not math.isfinite(v):
            return False
        return abs(v - x) <= 0.5 * 10 ** (-d) + 1e-9
    return stated == str(value)


def markers(text):
    """(kind, expression, stated word or None) for each marker in one markdown source."""
    out = []
    for m in VALUE.finditer(text):
        w = STATED.search(text[: m.start()])
        out.append(("value", m.group(1), w.group(1) if w else None))
    for m in CLAIM.finditer(text):
        out.append(("claim", m.group(1), None))
    return out


def check(cells, finding):
    """Disagreements between the markdown cells' markers and the finding (empty when all agree)."""
    bad = []
    for i, c in enumerate(cells):
        if c.get("cell_type") != "markdown":
            continue
        src = c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        for kind, expr, stated in markers(src):
            try:
                v = _eval(expr, finding)
            except Exception as e:  # a key the finding lacks is a disagreement too
                bad.append(f"cell {i}: {expr!r} cannot be evaluated on the finding: {type(e).__name__}: {e}")
                continue
            if kind == "claim" and v is not True:
                bad.append(f"cell {i}: the text claims {expr!r}, which the output contradicts")
            if kind == "value" and (stated is None or not agrees(stated, v)):
                bad.append(f"cell {i}: the text says {stated!r} where the output has {expr} = {v!r}")
    return bad


def _prose(text):
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$\n]+\$", " ", text)
    text = re.sub(r"`[^`\n]*`", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    return text


def lint(text):
    """Decimals and head names in the prose of one markdown source that carry no marker."""
    # A number counts as marked when a marker follows it, possibly after emphasis or closing punctuation.
    masked = re.sub(r"(\S*)(?=[*_`'\")\]]*<!--\s*(=|given|claim:))", lambda m: " " * len(m.group(1)), text)
    # A number the same cell's markers mention (a head in rise["18.6"], a bound in `< 0.1`) is checked by them.
    mentioned = set()
    for _, expr, _ in markers(text):
        mentioned.update(x.lstrip("+-−") for x in DECIMAL.findall(expr.replace('"', " ").replace("'", " ")))
    masked = re.sub(r"<!--.*?-->", " ", masked, flags=re.S)
    return [m.group(0) for m in DECIMAL.finditer(_prose(masked)) if m.group(0).lstrip("+-−").rstrip("%") not in mentioned]
