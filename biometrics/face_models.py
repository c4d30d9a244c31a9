"""The face models, each loaded once per process on first use (never at import time).

dlib's model files ship in the `face_recognition_models` package. We use dlib directly rather than
`import face_recognition`, which loads every model (the 10-s-per-image CNN detector included) at import.
Celery workers call `load_face_models()` from `worker_process_init` so the first task does not pay for it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

# Recorded with every comparison so the evidence says which model produced the distance.
ENCODER_MODEL_NAME = "dlib_face_recognition_resnet_model_v1"


@cache
def hog_detector() -> Any:
    import dlib

    return dlib.get_frontal_face_detector()


@cache
def landmark_predictor() -> Any:
    """dlib's 68-point shape predictor (iBUG 300-W layout)."""
    import dlib
    import face_recognition_models

    return dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())


@cache
def face_encoder() -> Any:
    import dlib
    import face_recognition_models

    return dlib.face_recognition_model_v1(face_recognition_models.face_recognition_model_location())


@cache
def mediapipe_detector() -> Any:
    """MediaPipe's full-range (model_selection=1) face detector: finds small and grey faces HOG misses."""
    import mediapipe as mp

    return mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5)


def load_face_models() -> None:
    """Warm every model of the hot path (the MediaPipe fallback loads on its first use)."""
    hog_detector()
    landmark_predictor()
    face_encoder()
