#!/usr/bin/env bash
# Install Chromium (the Debian package) when it is missing, for the test that opens the HTML
# report in a headless browser (tests/test_report.py). Never fails: if Chromium cannot be
# installed, the script says why and that test skips with the reason.
set -uo pipefail

if command -v chromium >/dev/null 2>&1; then
  echo "chromium: $(command -v chromium)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: not installed and apt-get not found; the browser test will skip"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium: not installed and not running as root; the browser test will skip"
  exit 0
fi
echo "chromium: installing the Debian package"
if DEBIAN_FRONTEND=noninteractive apt-get update -qq \
   && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
  echo "chromium: installed at $(command -v chromium)"
else
  echo "chromium: installation failed; the browser test will skip"
fi
exit 0
