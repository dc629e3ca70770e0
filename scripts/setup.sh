#!/usr/bin/env bash
# Idempotent set-up used by `make run` and `make test`: system libraries, .venv, the package.
#   scripts/setup.sh          runtime needs (libmagic, .venv with the product)
#   scripts/setup.sh test     also test needs (test extras, Chromium for browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=${1:-}

have_libmagic() {
  ldconfig -p 2>/dev/null | grep -q 'libmagic\.so' || ls /usr/lib/*/libmagic.so.1 >/dev/null 2>&1
}

apt_install() {
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing $* with apt-get" >&2
    (apt-get install -y -qq "$@" >/dev/null 2>&1) || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$@" >/dev/null; }
    return 0
  fi
  return 1
}

if ! have_libmagic; then
  apt_install libmagic1 || {
    echo "setup: libmagic is missing. Install it: 'sudo apt-get install libmagic1' (Debian/Ubuntu)," >&2
    echo "       'sudo dnf install file-libs' (Fedora) or 'brew install libmagic' (macOS), then retry." >&2
    exit 2
  }
fi

# OCR of images and scanned PDF pages: Tesseract with its Vietnamese and orientation data, and
# poppler's pdftoppm to render PDF pages. Without them such files are held, never passed.
have_ocr() {
  command -v tesseract >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 &&
    tesseract --list-langs 2>/dev/null | grep -qx vie && tesseract --list-langs 2>/dev/null | grep -qx osd
}
if ! have_ocr; then
  apt_install tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd poppler-utils || {
    echo "setup: Tesseract or poppler is missing: images and scanned PDFs will be held for review." >&2
    echo "       Install them: 'sudo apt-get install tesseract-ocr tesseract-ocr-vie poppler-utils'." >&2
  }
fi

# Render and compare for office documents: LibreOffice headless (the nogui builds), poppler's
# pdftotext/pdftoppm for the rendered pages, python3-uno for the warm renderer (the system
# Python drives it), prlimit (util-linux) for the caps. Without LibreOffice office documents
# are held (their rendered view uninspected), never passed.
have_render() {
  command -v soffice >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 &&
    command -v prlimit >/dev/null 2>&1 && /usr/bin/python3 -c 'import uno' >/dev/null 2>&1
}
if ! have_render; then
  apt_install libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui \
    python3-uno poppler-utils util-linux fonts-dejavu-core || {
    echo "setup: LibreOffice is missing: office documents will be held for review." >&2
    echo "       Install it: 'sudo apt-get install libreoffice-writer-nogui libreoffice-calc-nogui" >&2
    echo "       libreoffice-impress-nogui python3-uno poppler-utils'." >&2
  }
fi

if [ "$want_test" = "test" ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium fonts-dejavu-core || echo "setup: Chromium is not installed; browser tests will be skipped (install the 'chromium' package)" >&2
fi

# axe-core (npm) for the accessibility checks of the browser tests, injected by Playwright;
# kept under var/test-tools (not committed). Without npm the axe checks are skipped, visibly.
if [ "$want_test" = "test" ] && [ ! -f var/test-tools/node_modules/axe-core/axe.min.js ]; then
  if command -v npm >/dev/null 2>&1; then
    npm install --prefix var/test-tools --no-audit --no-fund --silent axe-core@4 >&2 ||
      echo "setup: installing axe-core with npm failed; the accessibility checks will be skipped" >&2
  else
    echo "setup: npm is missing; install nodejs and npm for the accessibility checks (axe-core)" >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
extras=""
[ "$want_test" = "test" ] && extras="[test]"
stamp=".venv/.installed$( [ -n "$extras" ] && echo -test )-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing Clearance$extras into .venv (first run takes about a minute)" >&2
  log=.venv/install.log
  if ! { .venv/bin/python -m pip install -q --upgrade pip && \
         .venv/bin/python -m pip install -q -e ".$extras"; } >"$log" 2>&1; then
    grep -v "WARNING: Location" "$log" >&2
    echo "setup: the install failed; the full log is in $log" >&2
    exit 2
  fi
  touch "$stamp"
fi
