"""The I/O clients a task uses, built once per process (or installed by the API process in eager mode)."""

from __future__ import annotations

from storage.runtime import Runtime, build_runtime
from storage.settings import get_settings
from workers.app import make_celery

_runtime: Runtime | None = None


def install_runtime(runtime: Runtime) -> None:
    global _runtime
    _runtime = runtime
    make_celery(runtime.settings)


def runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = build_runtime(get_settings())
    return _runtime


def warm_up() -> None:
    """Build the clients and load the heavy models now rather than in the first task."""
    from biometrics.face_mesh import load_face_mesh
    from biometrics.face_models import load_face_models

    runtime()
    load_face_models()
    load_face_mesh()
