#!/usr/bin/env bash
# Re-vendors the front-end assets from the npm registry at the pinned
# versions below. The app never loads anything from a CDN: run this only to
# upgrade a pin, then commit static/vendor/.
set -euo pipefail
HTMX=2.0.11
PICO=2.1.1
CHARTJS=4.5.1
# axe-core is loaded by the browser tests only (tests/e2e/axe.py), never by a page.
AXE=4.14.1
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "htmx.org@$HTMX" "@picocss/pico@$PICO" "chart.js@$CHARTJS" "axe-core@$AXE" >/dev/null
for f in *.tgz; do mkdir "${f%.tgz}"; tar xzf "$f" -C "${f%.tgz}"; done
dst="$root/static/vendor"
rm -rf "$dst" && mkdir -p "$dst/htmx" "$dst/pico" "$dst/chartjs" "$dst/axe-core/$AXE"
cp "htmx.org-$HTMX/package/dist/htmx.min.js" "htmx.org-$HTMX/package/LICENSE" "$dst/htmx/"
cp "picocss-pico-$PICO/package/css/pico.min.css" "picocss-pico-$PICO/package/LICENSE.md" "$dst/pico/"
# The source map too: the bundle ends with a sourceMappingURL comment, and
# production's manifest storage refuses to collect a file whose references
# do not resolve (collectstatic fails, every page answers 500).
cp "chart.js-$CHARTJS/package/dist/chart.umd.min.js" "chart.js-$CHARTJS/package/dist/chart.umd.min.js.map" \
  "chart.js-$CHARTJS/package/LICENSE.md" "$dst/chartjs/"
cp "axe-core-$AXE/package/axe.min.js" "axe-core-$AXE/package/LICENSE" "$dst/axe-core/$AXE/"
# Every sourceMappingURL of a vendored file must name a vendored file.
{ grep -rl 'sourceMappingURL=' "$dst" || true; } | while read -r f; do
  map=$(grep -o 'sourceMappingURL=[^ */]*' "$f" | tail -n1 | cut -d= -f2)
  [ -f "$(dirname "$f")/$map" ] || { echo "missing source map $map for $f" >&2; exit 1; }
done
cat > "$dst/VERSIONS" <<V
htmx.org $HTMX
@picocss/pico $PICO
chart.js $CHARTJS
axe-core $AXE
V
echo "vendored into $dst"
