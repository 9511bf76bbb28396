# tfjs-node, the native TensorFlow backend, built here offline. Its install script would download
# libtensorflow 2.9.1 and a prebuilt addon from a host this machine cannot reach, so 10-npm skips
# install scripts and this step does the work instead:
#  1. fetch PyPI's tensorflow-cpu wheel with pip (pip's cache makes a second fetch cheap) and stage
#     its C library and the few headers the binding needs in .cache/tfjs-node/staged, once;
#  2. link node_modules/@tensorflow/tfjs-node/deps to that staged folder (npm ci wipes the link,
#     never the cache, so after a fresh npm ci only steps 2 and 3 run);
#  3. build the N-API addon from source with node-gyp against the Node headers already on the
#     machine (npm_config_nodedir), never downloading them.
# Where it cannot (another OS or CPU, no compiler, no Node headers), set-up goes on and attnlab
# runs on the wasm backend, saying so once (lib/backend.ts).
TFJS_NODE="$ROOT/node_modules/@tensorflow/tfjs-node"
TFJS_NODE_CACHE="$ROOT/.cache/tfjs-node"
TF_WHEEL_SPEC="tensorflow-cpu==2.21.0"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"

tfjs_node_loads() {
  (cd "$ROOT" && node -e 'require("@tensorflow/tfjs-node")' >/dev/null 2>&1)
}

tfjs_node_build() {
  local inputs=("$ROOT/scripts/setup.d/15-tfjs-node.sh" "$ROOT/scripts/stage_libtensorflow.py")
  local addon
  addon="$(ls "$TFJS_NODE"/lib/napi-v*/tfjs_binding.node 2>/dev/null | head -1 || true)"
  if [ -n "$addon" ] && [ -e "$TFJS_NODE/deps/lib/libtensorflow.so" ] && stamp_ok tfjs-node "${inputs[@]}"; then
    return 0
  fi
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    log "tfjs-node: no build recipe for $(uname -s)-$(uname -m); attnlab will run on wasm"
    return 0
  fi
  if [ ! -f "$TFJS_NODE/package.json" ]; then
    log "tfjs-node: package not installed (npm ci failed for it?); attnlab will run on wasm"
    return 0
  fi
  local nodedir="${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}"
  local missing=""
  command -v g++ >/dev/null || missing="$missing g++"
  command -v make >/dev/null || missing="$missing make"
  command -v python3 >/dev/null || missing="$missing python3"
  [ -f "$nodedir/include/node/node_api.h" ] || missing="$missing Node-headers($nodedir/include/node)"
  if [ -n "$missing" ]; then
    log "tfjs-node: cannot build here (missing:$missing); attnlab will run on wasm"
    return 0
  fi
  local staged="$TFJS_NODE_CACHE/staged"
  if [ ! -e "$staged/lib/libtensorflow_cc.so.2" ] || ! stamp_ok tfjs-node-staged "$ROOT/scripts/stage_libtensorflow.py"; then
    log "tfjs-node: fetching $TF_WHEEL_SPEC (TensorFlow's C library) with pip"
    rm -rf "$TFJS_NODE_CACHE/wheel"
    if ! python3 -m pip download --quiet --no-deps --only-binary=:all: \
        --dest "$TFJS_NODE_CACHE/wheel" "$TF_WHEEL_SPEC"; then
      log "tfjs-node: could not fetch $TF_WHEEL_SPEC; attnlab will run on wasm"
      return 0
    fi
    python3 "$ROOT/scripts/stage_libtensorflow.py" "$TFJS_NODE_CACHE"/wheel/*.whl "$staged" || return 0
    rm -rf "$TFJS_NODE_CACHE/wheel"  # 270 MB; the staged copy is what the addon links to
    stamp_set tfjs-node-staged "$ROOT/scripts/stage_libtensorflow.py"
  fi
  log "tfjs-node: building the addon against the staged libtensorflow"
  rm -rf "$TFJS_NODE/deps" "$TFJS_NODE/lib" "$TFJS_NODE/build"
  ln -s "$(realpath --relative-to="$TFJS_NODE" "$staged")" "$TFJS_NODE/deps"
  # So that `npm rebuild @tensorflow/tfjs-node` also builds from source instead of downloading.
  echo '{ "tf-lib": "file://staged-by-attnlab-scripts/setup.d/15-tfjs-node.sh" }' > "$TFJS_NODE/scripts/custom-binary.json"
  if ! (cd "$TFJS_NODE" && npm_config_nodedir="$nodedir" JOBS=2 node-pre-gyp install --build-from-source --loglevel=warn); then
    log "tfjs-node: the addon did not build; attnlab will run on wasm"
    return 0
  fi
  if ! tfjs_node_loads; then
    log "tfjs-node: the addon built but does not load; attnlab will run on wasm"
    return 0
  fi
  stamp_set tfjs-node "${inputs[@]}"
  log "tfjs-node: built; attnlab runs on the tensorflow backend"
}
# Called in a condition so that no failure in here stops the set-up: wasm is the fallback.
tfjs_node_build || log "tfjs-node: set-up step failed; attnlab will run on wasm"
