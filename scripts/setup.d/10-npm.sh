# npm packages, exactly as package-lock.json pins them, with no install scripts: zeromq's only
# checks for its prebuilt addon, core-js's prints a banner, and tfjs-node's would download
# libtensorflow from a host this machine cannot reach (so a plain npm ci drops that optional
# package); 15-tfjs-node builds it instead. Same result whatever npm's allowScripts policy.
if [ ! -d node_modules ] || ! stamp_ok npm package-lock.json package.json widgets/package.json; then
  npm ci --ignore-scripts --no-audit --no-fund
  stamp_set npm package-lock.json package.json widgets/package.json
elif [ ! -f node_modules/@tensorflow/tfjs-node/package.json ]; then
  # A tree from a plain `npm ci`: add the dropped package from the lock, leaving the rest in place.
  npm install --ignore-scripts --no-audit --no-fund
fi
