#!/bin/sh
# What WeasyPrint needs from the system (pango, harfbuzz's subsetter, fonts) and, with --test, the Chromium that
# the browser tests drive. Installed with apt-get when missing and running as root; otherwise a clear message.
set -u
packages="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"
[ "${1:-}" = "--test" ] && packages="$packages chromium poppler-utils"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "notifier: please install the equivalents of:$missing (WeasyPrint needs pango and harfbuzz-subset;" \
       "without libharfbuzz-subset0 it silently runs about 5 times slower)" >&2
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "notifier: missing system packages:$missing — run: sudo apt-get install$missing" >&2
  exit 0
fi
echo "notifier: installing system packages:$missing"
apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null \
  || echo "notifier: apt-get could not install:$missing (tests that need them will say so and skip)" >&2
exit 0
