#!/usr/bin/env bash
# Part of `make test` (so of `.ci/run`): build the wheel, install it into a fresh venv in a
# temporary folder outside the checkout, and from another directory run `clearance init` and
# `clearance demo` with CLEARANCE_HOME there too. Proves that nothing is resolved from the source
# tree: migrations, policies, templates, catalogues and the adapters all come from the wheel.
#
# The product's dependencies: by default the fresh venv reads them from the checkout's .venv
# (a .pth line naming its site-packages, after the venv's own; the checkout's editable hook is
# a .pth *inside* that folder and is not run), so the check takes seconds of install, not
# minutes, and needs no package index. WHEEL_CHECK_DEPS=install resolves them with pip instead.
# The demo needs no network: the Prefect server is started locally with analytics off
# (flows.server.OFFLINE); nothing here forbids other traffic, though.
# WHEEL_CHECK_KEEP=1 keeps the temporary folder and prints where it is.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
python=$checkout/.venv/bin/python
[ -x "$python" ] || { echo "wheel_check: run scripts/setup.sh first (no .venv)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/clearance-wheel.XXXXXX")
case "$work/" in "$checkout"/*) echo "wheel_check: $work is inside the checkout" >&2; exit 2 ;; esac
if [ "${WHEEL_CHECK_KEEP:-}" = "1" ]; then
  echo "wheel_check: keeping $work" >&2
else
  trap 'rm -rf "$work"' EXIT
fi

echo "wheel_check: building the wheel" >&2
# the build backend (setuptools >= 77) in pip's isolated build environment, as for the install
"$python" -m pip wheel -q --no-deps -w "$work/dist" "$checkout" \
  >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
wheel=$(ls "$work"/dist/clearance-*.whl)

# What must and must not be inside.
"$python" - "$wheel" <<'PY'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
need = [
    "clearance/migrations/env.py",
    "clearance/migrations/script.py.mako",
    "clearance/migrations/versions/0001_foundation.py",
    "clearance/policies_default/default.yaml",
    "clearance/policies_default/screening.yaml",
    "clearance/py.typed",
    "webapp/templates/error.html",
    "webapp/translations/vi/LC_MESSAGES/messages.mo",
    "flows/pipeline.py",
    "cli/__init__.py",
]
missing = [n for n in need if n not in names]
tops = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")}
extra = tops - {"clearance", "cli", "flows", "webapp"}
baseline = [n for n in names if n.startswith("flows/") and b"empty-batch" in zipfile.ZipFile(sys.argv[1]).read(n)]
problems = []
if missing:
    problems.append(f"missing from the wheel: {', '.join(missing)}")
if extra:
    problems.append(f"unexpected top-level entries: {', '.join(sorted(extra))}")
if baseline:
    problems.append(f"benchmark-only flows shipped in: {', '.join(baseline)}")
if problems:
    sys.exit("wheel_check: " + "; ".join(problems))
print(f"wheel_check: {sys.argv[1].rsplit('/', 1)[-1]}: {len(names)} files, contents as expected",
      file=sys.stderr)
PY

echo "wheel_check: installing it into a fresh venv under $work" >&2
"$python" -m venv "$work/venv"
venv_python=$work/venv/bin/python
if [ "${WHEEL_CHECK_DEPS:-reuse}" = "install" ]; then
  "$venv_python" -m pip install -q "$wheel" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; exit 1; }
else
  "$venv_python" -m pip install -q --no-deps "$wheel" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; exit 1; }
  deps=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  own=$("$venv_python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$deps" >"$own/zz_clearance_wheel_check_deps.pth"
fi

run=$work/elsewhere
mkdir -p "$run"
cd "$run"
export CLEARANCE_HOME="$work/home"
unset CLEARANCE_DATABASE_URL CLEARANCE_POLICY CLEARANCE_ENV PREFECT_API_URL PYTHONPATH

# Every Clearance module must come from the fresh venv, none from the checkout.
"$venv_python" - "$work/venv" "$checkout" <<'PY'
import sys
from importlib.resources import files
venv, checkout = sys.argv[1], sys.argv[2]
import clearance, cli, flows, webapp
from clearance.settings import DEFAULT_POLICY
from clearance.storage.migrate import MIGRATIONS
for where in (clearance.__file__, cli.__file__, flows.__file__, webapp.__file__, str(DEFAULT_POLICY), str(MIGRATIONS)):
    if not where.startswith(venv) or where.startswith(checkout + "/"):
        sys.exit(f"wheel_check: {where} is not from the installed wheel")
PY

echo "wheel_check: clearance init (from $run)" >&2
"$work/venv/bin/clearance" init >"$work/init.log" 2>&1 || { cat "$work/init.log" >&2; exit 1; }
grep -q "^admin:" "$work/init.log" || { cat "$work/init.log" >&2; exit 1; }

echo "wheel_check: clearance demo (the Prefect pipeline on a local server)" >&2
if ! timeout "${WHEEL_CHECK_DEMO_TIMEOUT:-900}" "$work/venv/bin/clearance" demo >"$work/demo.log" 2>&1; then
  cat "$work/demo.log" >&2
  tail -n 40 "$CLEARANCE_HOME"/prefect/*.log >&2 2>/dev/null || true
  echo "wheel_check: clearance demo failed" >&2
  exit 1
fi
grep -q "^audit log: OK" "$work/demo.log" || { cat "$work/demo.log" >&2; exit 1; }
[ -f "$CLEARANCE_HOME/site/index.html" ] || { echo "wheel_check: no published site" >&2; exit 1; }
grep "^audit log:" "$work/demo.log" >&2
echo "wheel_check: OK" >&2
