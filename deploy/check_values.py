"""Checks deploy/values.yaml against the Zero to JupyterHub chart's values schema.

    .venv/bin/python deploy/check_values.py CHART_DIR

CHART_DIR is the chart's folder (jupyterhub/ in the chart's source, or an unpacked chart
archive): it holds values.schema.yaml and the chart's default values.yaml. The chart is not on
PyPI, npm or Debian, so the project does not ship or fetch it; docs/classroom.md says which chart
commit the values were last checked against. Checked: our values alone, and merged over the
chart's defaults as Helm merges them (the schema's required keys come from the defaults).
"""
import pathlib
import sys

import jsonschema
import yaml

HERE = pathlib.Path(__file__).resolve().parent


def merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge(base.get(k), v) if k in base else v
        return out
    return over


def main(argv):
    if len(argv) != 1:
        sys.exit("usage: check_values.py CHART_DIR (holding values.schema.yaml and values.yaml)")
    chart = pathlib.Path(argv[0])
    schema = yaml.safe_load((chart / "values.schema.yaml").read_text())
    defaults = yaml.safe_load((chart / "values.yaml").read_text())
    ours = yaml.safe_load((HERE / "values.yaml").read_text())
    # Our file sets the extraFiles' content with --set-file at install time: stand in for it.
    for f in ours.get("hub", {}).get("extraFiles", {}).values():
        f.setdefault("stringData", "# set with --set-file at install time\n")
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(merge(defaults, ours)), key=lambda e: list(e.path))
    for e in errors:
        print(f"{'.'.join(map(str, e.path)) or '(top)'}: {e.message}")
    if errors:
        sys.exit(f"{len(errors)} error(s) against {chart / 'values.schema.yaml'}")
    print(f"deploy/values.yaml merged over {chart / 'values.yaml'}: valid against values.schema.yaml")


if __name__ == "__main__":
    main(sys.argv[1:])
