# The attnlab-widgets JupyterLab extension: tsc (widgets/src -> widgets/lib), then
# @jupyterlab/builder against core-meta's core package.json, then a copy of the result into
# the venv's labextensions folder (a prebuilt extension: no CDN, no require.js, no lab build).
WIDGETS_DEST="$VENV/share/jupyter/labextensions/attnlab-widgets"
widget_inputs() { find "$ROOT/widgets/src" -type f -name '*.ts' | sort; echo "$ROOT/widgets/package.json" "$ROOT/widgets/tsconfig.json" "$ROOT/package-lock.json"; }
# shellcheck disable=SC2046
if ! stamp_ok widgets $(widget_inputs) || [ ! -f "$ROOT/build/labextension/package.json" ] || [ ! -f "$ROOT/widgets/lib/views/index.js" ]; then
  log "building attnlab-widgets"
  (cd "$ROOT/widgets" && npm run --silent build:lib && npm run --silent build:labextension >/dev/null)
  rm -rf "$WIDGETS_DEST"
  # shellcheck disable=SC2046
  stamp_set widgets $(widget_inputs)
fi
if [ ! -f "$WIDGETS_DEST/package.json" ] || ! cmp -s "$ROOT/build/labextension/package.json" "$WIDGETS_DEST/package.json"; then
  rm -rf "$WIDGETS_DEST"
  mkdir -p "$(dirname "$WIDGETS_DEST")"
  cp -r "$ROOT/build/labextension" "$WIDGETS_DEST"
  log "installed attnlab-widgets into $WIDGETS_DEST"
fi
