#!/usr/bin/env bash
# `make clients`: generates the clients integrators generate from the live OpenAPI schema and
# fails on anything short of a clean result:
#   - the Python client (openapi-python-client, pinned in the dev dependencies), which must
#     generate without a single warning and import;
#   - the TypeScript types (openapi-typescript, pinned with typescript in
#     clients/typescript/package-lock.json), which must generate without a warning, and
#     clients/typescript/example.ts must compile against them with `tsc --strict`.
# Output: build/clients/ (the schema and the Python client) and clients/typescript/okrkpi.d.ts.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin="$root/.venv/bin"
out="$root/build/clients"
die() { printf 'api clients: %s\n' "$*" >&2; exit 1; }

rm -rf "$out" && mkdir -p "$out/python"
"$bin/python" manage.py spectacular --format openapi-json --file "$out/openapi.json" >"$out/spectacular.log" 2>&1 \
  || { cat "$out/spectacular.log"; die "the schema did not generate"; }

echo "Python client (openapi-python-client $("$bin/python" -c 'import importlib.metadata as m; print(m.version("openapi-python-client"))'))"
PATH="$bin:$PATH" "$bin/openapi-python-client" generate --path "$out/openapi.json" --meta none \
  --output-path "$out/python/okrkpi_api_client" >"$out/python.log" 2>&1 || { cat "$out/python.log"; die "generation failed"; }
if grep -qi 'warning' "$out/python.log"; then cat "$out/python.log"; die "the Python generator warned"; fi
"$bin/python" - "$out/python" <<'PY' || die "the generated Python client does not import"
import importlib, pathlib, sys
root = pathlib.Path(sys.argv[1])
sys.path.insert(0, str(root))
modules = [p for p in (root / "okrkpi_api_client" / "api").rglob("*.py") if p.name != "__init__.py"]
for path in modules:
    importlib.import_module(".".join(path.relative_to(root).with_suffix("").parts))
print(f"  {len(modules)} operations import")
PY

command -v npm >/dev/null || die "npm is needed for the TypeScript types (Debian: apt-get install npm)"
cd "$root/clients/typescript"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null || die "npm ci failed"
echo "TypeScript types (openapi-typescript $(node -p 'require("openapi-typescript/package.json").version'))"
node_modules/.bin/openapi-typescript "$out/openapi.json" -o okrkpi.d.ts >"$out/typescript.log" 2>&1 \
  || { cat "$out/typescript.log"; die "openapi-typescript failed"; }
if grep -Eqi 'warn|⚠' "$out/typescript.log"; then cat "$out/typescript.log"; die "openapi-typescript warned"; fi
echo "tsc --strict (typescript $(node_modules/.bin/tsc --version | cut -d' ' -f2)) on example.ts"
node_modules/.bin/tsc -p tsconfig.json --strict || die "example.ts does not compile against the generated types"
echo "api clients: clean"
