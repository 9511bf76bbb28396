# Headless Chromium for the end-to-end widget tests and the heatmap bench. Only for the
# test set-up, and only when the system has none: playwright-core drives /usr/bin/chromium
# because no browser build can be downloaded here.
if [ "${ATTNLAB_SETUP_TEST:-0}" = "1" ] && [ ! -x /usr/bin/chromium ]; then
  log "installing chromium (apt)"
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
