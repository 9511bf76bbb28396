# npm packages, exactly as package-lock.json pins them. zeromq's install script only
# checks for its prebuilt addon, so no script needs to run; tfjs-node is optional and
# is skipped where its libtensorflow download cannot happen.
if [ ! -d node_modules ] || ! stamp_ok npm package-lock.json package.json widgets/package.json; then
  npm ci --no-audit --no-fund
  stamp_set npm package-lock.json package.json widgets/package.json
fi
