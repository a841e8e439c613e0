#!/usr/bin/env bash
# Makes the virtual environment serve's tests run in: OpenAI's client and
# Selenium, from PyPI (the tests are about talking to them; the library and
# its examples never need them).
#   serve_venv.sh DIR
set -euo pipefail
dir="$1"
if [ ! -x "$dir/bin/python" ] || ! "$dir/bin/python" -c "import openai, selenium" 2>/dev/null; then
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check "openai>=1.30" "selenium>=4.10"
fi
"$dir/bin/python" -c "import openai, selenium; print('serve_venv:', 'openai', openai.__version__, 'selenium', selenium.__version__)"
