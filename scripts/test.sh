#!/usr/bin/env bash
# The test command (README, and exactly what .ci/run calls).
#
# Creates one virtualenv per supported Qiskit line (terra 0.46, 1.4, newest 2.x), installs the
# package with its test extras into each, runs ruff + mypy once, then the test suite on every
# line. Slow property/fidelity tests run once, on the newest line. Set QISKIT_LINES to run a
# subset, e.g. QISKIT_LINES="q2" bash scripts/test.sh. On the newest line it then installs a
# real downstream tool, qiskit-braket-provider, and converts native-gate circuits through it
# (SKIP_BRAKET=1 skips that). Then, on the newest line, builds the
# documentation site with warnings as errors and checks it in headless Chromium (SKIP_DOCS=1
# skips that).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venvs="$root/.ci-venvs"
py=${PYTHON:-python3}
lines=${QISKIT_LINES:-"q046 q14 q2"}
mkdir -p "$venvs" "$venvs/reports"
rm -f "$venvs"/reports/*.xml "$venvs"/reports/*.json

spec_for() {
  case "$1" in
    q046) echo "qiskit==0.46.3 numpy<2" ;;   # terra's Rust extension predates numpy 2's ABI
    q14) echo "qiskit==1.4.*" ;;
    q2) echo "qiskit>=2,<3" ;;
  esac
}

install() {  # a fresh venv per line; pip keeps the Qiskit the spec pins
  local name=$1 spec
  spec=$(spec_for "$name")
  if [ ! -x "$venvs/$name/bin/python" ]; then "$py" -m venv "$venvs/$name"; fi
  "$venvs/$name/bin/python" -m pip install -q --disable-pip-version-check $spec -e ".[test,lint]"
  echo "== $name: $("$venvs/$name/bin/python" -c 'import qiskit, numpy; print("qiskit", qiskit.__version__, "numpy", numpy.__version__)')"
}

for name in $lines; do install "$name"; done
newest=${lines##* }

echo "== pip keeps the Qiskit each environment already has"
for name in $lines; do
  "$venvs/$name/bin/python" -m pip install -q --disable-pip-version-check --dry-run \
      --report "$venvs/reports/$name-pip.json" . 2>/dev/null
  "$venvs/$name/bin/python" - "$venvs/reports/$name-pip.json" <<'PY'
import json, sys
names = sorted(i["metadata"]["name"] for i in json.load(open(sys.argv[1]))["install"])
assert names == ["qiskit-ionq"], f"pip install . would also install {names}"
print("   ", sys.argv[1].split("/")[-1].split("-")[0], "-> installs only", names)
PY
done

echo "== lint (ruff, ruff format, mypy) on $newest"
"$venvs/$newest/bin/ruff" check qiskit_ionq test benchmarks scripts
"$venvs/$newest/bin/ruff" format --check qiskit_ionq test benchmarks scripts
"$venvs/$newest/bin/mypy" qiskit_ionq

status=0
for name in $lines; do
  marker=()
  if [ "$name" != "$newest" ]; then marker=(-m "not slow"); fi
  echo "== pytest on $name ${marker[*]:-}"
  "$venvs/$name/bin/python" -m pytest -p no:cacheprovider "${marker[@]}" \
      --junitxml="$venvs/reports/$name.xml" || status=$?
done

downstream_braket() {  # a real tool that imports us, beside ours on the newest line
  # qiskit-braket-provider imports qiskit_ionq.ionq_gates, calls add_equivalences() at import
  # and pins qiskit-ionq>=1.0,<2.0. Installed without its declared dependencies (which would
  # let pip replace our editable install), then exactly what its import needs: the Amazon
  # Braket SDK and its default simulator. `pip check` then proves the pin accepts our
  # version; the test fails instead of skipping if the package is missing.
  local py="$venvs/$newest/bin/python" t0
  echo "== downstream: qiskit-braket-provider on $newest"
  t0=$(date +%s)
  "$py" -m pip install -q --disable-pip-version-check --no-deps qiskit-braket-provider || return 1
  "$py" -m pip install -q --disable-pip-version-check amazon-braket-sdk \
      amazon-braket-default-simulator || return 1
  echo "   installed in $(( $(date +%s) - t0 )) s: $("$py" -m pip show qiskit-braket-provider \
      2>/dev/null | grep '^Version')"
  "$py" -m pip check --disable-pip-version-check || return 1
  QISKIT_IONQ_REQUIRE_BRAKET=1 "$py" -m pytest -p no:cacheprovider test/compat/test_braket_provider.py \
      --junitxml="$venvs/reports/$newest-braket.xml"
}
if [ "${SKIP_BRAKET:-0}" != 1 ]; then downstream_braket || status=1; fi

docs_site() {  # the documentation site, on the newest line only (README "Documentation")
  local py="$venvs/$newest/bin/python" out="$root/docs/_build"
  echo "== docs: sphinx-build -W --keep-going (tutorials executed on the bundled emulator)"
  "$py" -m pip install -q --disable-pip-version-check $(spec_for "$newest") -e ".[docs]"
  rm -rf "$out"
  "$py" -m sphinx -W --keep-going -q -b html docs "$out/html" || return 1
  if ! command -v chromium >/dev/null 2>&1 && [ -z "${CHROMIUM:-}" ]; then
    echo "== docs: installing Debian's chromium for the rendered-page checks"
    (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || return 1
  fi
  echo "== docs: headless Chromium screenshots + internal link check"
  "$py" scripts/check_docs.py "$out/html" --screenshots "$out/screenshots"
}
if [ "${SKIP_DOCS:-0}" != 1 ]; then docs_site || status=1; fi

"$venvs/$newest/bin/python" scripts/summarize_junit.py "$venvs"/reports/*.xml
exit $status
