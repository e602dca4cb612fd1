"""LightGBM's booster from its model text, through LightGBM's own C library and nothing else.

`import lightgbm` (even `lightgbm.basic`: the package's __init__ runs first) imports
scikit-learn, pandas and SciPy when they are installed, about 2 s, to predict from a model text
that needs none of them. `NativeBooster` loads `lib_lightgbm` (the library the lightgbm package
ships and loads itself) with ctypes and calls the same C functions `lightgbm.Booster.predict`
calls, with the same arguments: the scores and TreeSHAP contributions are LightGBM's, bit for
bit. Where the library cannot be found or is older than LightGBM 4, `load_booster` falls back to
`lightgbm.Booster`. Nothing is unpickled: the model is the text LightGBM wrote.
"""

from __future__ import annotations

import ctypes
import importlib.util
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["NativeBooster", "PackageBooster", "load_booster", "native_library"]

_PREDICT_RAW_SCORE = 1  # C_API_PREDICT_RAW_SCORE
_PREDICT_CONTRIB = 3  # C_API_PREDICT_CONTRIB
_DTYPE_FLOAT64 = 1  # C_API_DTYPE_FLOAT64
_ROW_MAJOR = 1  # C_API_IS_ROW_MAJOR
_MAX_INT32 = (1 << 31) - 1
# What `lightgbm.Booster.predict(..., num_threads=1)` passes as its parameter string.
_PARAMETERS = b"num_threads=1"

_library: ctypes.CDLL | None = None
_library_error: str | None = None
_library_lock = threading.Lock()


class LightGBMError(RuntimeError):
    """An error reported by LightGBM's library (its own message)."""


def _library_file() -> Path | None:
    """lib_lightgbm in the installed lightgbm package, found without importing the package."""
    try:
        spec = importlib.util.find_spec("lightgbm")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    name = {"win32": "lib_lightgbm.dll", "darwin": "lib_lightgbm.dylib"}.get(sys.platform, "lib_lightgbm.so")
    # where lightgbm/libpath.py looks: next to the package, in bin/ and in lib/
    for candidate in (package.parent / name, package / "bin" / name, package / "lib" / name):
        if candidate.is_file():
            return candidate
    return None


def _version_at_least_4() -> bool:
    from importlib.metadata import PackageNotFoundError, version

    try:
        major = version("lightgbm").split(".", 1)[0]
    except PackageNotFoundError:
        return False
    return major.isdigit() and int(major) >= 4


def native_library() -> ctypes.CDLL | None:
    """lib_lightgbm loaded with ctypes (once per process), or None when it cannot be used."""
    global _library, _library_error
    with _library_lock:
        if _library is not None or _library_error is not None:
            return _library
        file = _library_file()
        if file is None:
            _library_error = "lib_lightgbm not found in the lightgbm package"
            return None
        if not _version_at_least_4():  # the C signatures below are LightGBM 4's
            _library_error = "lightgbm older than 4.0"
            return None
        try:
            library = ctypes.cdll.LoadLibrary(str(file))
            library.LGBM_GetLastError.restype = ctypes.c_char_p
            for symbol in ("LGBM_BoosterLoadModelFromString", "LGBM_BoosterGetNumFeature",
                           "LGBM_BoosterCalcNumPredict", "LGBM_BoosterPredictForMat", "LGBM_BoosterFree"):
                getattr(library, symbol)
        except (OSError, AttributeError) as exc:
            _library_error = f"{type(exc).__name__}: {exc}"
            return None
        _library = library
        return library


class NativeBooster:
    """A LightGBM booster held by lib_lightgbm itself: raw scores and TreeSHAP contributions."""

    def __init__(self, text: str, library: ctypes.CDLL) -> None:
        self._lib = library
        self._handle = ctypes.c_void_p()
        iterations = ctypes.c_int(0)
        self._call(library.LGBM_BoosterLoadModelFromString(text.encode("utf-8"), ctypes.byref(iterations),
                                                             ctypes.byref(self._handle)))
        features = ctypes.c_int(0)
        self._call(library.LGBM_BoosterGetNumFeature(self._handle, ctypes.byref(features)))
        self.num_feature = features.value

    def _call(self, code: int) -> None:
        if code != 0:
            raise LightGBMError((self._lib.LGBM_GetLastError() or b"").decode("utf-8", errors="replace"))

    def _predict(self, matrix: np.ndarray, predict_type: int) -> np.ndarray:
        # float64, C order: as lightgbm's _np2d_to_np1d hands a float64 matrix to the library
        data = np.ascontiguousarray(matrix, dtype=np.float64)
        if data.ndim != 2:
            raise ValueError("the matrix to predict must be 2-dimensional")
        rows, columns = data.shape
        if rows > _MAX_INT32:
            raise LightGBMError(f"LightGBM predicts at most {_MAX_INT32} rows at once")
        count = ctypes.c_int64(0)
        self._call(self._lib.LGBM_BoosterCalcNumPredict(self._handle, ctypes.c_int(max(rows, 1)),
                                                        ctypes.c_int(predict_type), ctypes.c_int(0), ctypes.c_int(-1),
                                                        ctypes.byref(count)))
        per_row = count.value // max(rows, 1)
        if rows == 0:
            return np.empty((0, per_row), dtype=np.float64)
        out = np.empty(count.value, dtype=np.float64)
        written = ctypes.c_int64(0)
        self._call(self._lib.LGBM_BoosterPredictForMat(
            self._handle, data.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), ctypes.c_int(_DTYPE_FLOAT64),
            ctypes.c_int32(rows), ctypes.c_int32(columns), ctypes.c_int(_ROW_MAJOR), ctypes.c_int(predict_type),
            ctypes.c_int(0), ctypes.c_int(-1), ctypes.c_char_p(_PARAMETERS), ctypes.byref(written),
            out.ctypes.data_as(ctypes.POINTER(ctypes.c_double))))
        if written.value != count.value:
            raise LightGBMError(f"LightGBM wrote {written.value} predictions, expected {count.value}")
        return out.reshape(rows, per_row)

    def raw_score(self, matrix: np.ndarray) -> np.ndarray:
        """The log-odds, one per row (`Booster.predict(raw_score=True)`)."""
        return self._predict(matrix, _PREDICT_RAW_SCORE)[:, 0]

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """(rows, columns + 1): TreeSHAP per column, then the base value (`pred_contrib=True`)."""
        return self._predict(matrix, _PREDICT_CONTRIB)

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None and handle.value:
            try:
                self._lib.LGBM_BoosterFree(handle)
            except Exception:  # pragma: no cover - interpreter shutdown
                pass
            handle.value = None


class PackageBooster:
    """The fallback: `lightgbm.Booster` (imports the lightgbm package, and with it scikit-learn)."""

    def __init__(self, text: str) -> None:
        import lightgbm as lgb

        self.booster = lgb.Booster(model_str=text)
        self.booster.params.pop("num_threads", None)
        self.num_feature = self.booster.num_feature()

    def raw_score(self, matrix: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster.predict(matrix, raw_score=True, num_threads=1), dtype=np.float64)

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster.predict(matrix, pred_contrib=True, num_threads=1), dtype=np.float64)


def load_booster(text: str) -> Any:
    """A booster from LightGBM model text: `NativeBooster` where lib_lightgbm can be used directly,
    else `PackageBooster`."""
    library = native_library()
    if library is None:
        return PackageBooster(text)
    return NativeBooster(text, library)
