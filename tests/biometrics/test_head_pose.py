from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from biometrics.face_mesh import FaceTracker, FrameFaces, track_faces
from biometrics.head_pose import (
    LEFT_EYE_EAR,
    RIGHT_EYE_EAR,
    estimate_pose,
    eye_aspect_ratio,
    mouth_opening_ratio,
    relative_pitch,
    upper_face_points,
)
from biometrics.video import VideoClip, read_video
from tests.biometrics.liveness_factories import face_landmarks
from tests.shared_data import SHARED_DATA, requires_shared_data

MOTION = SHARED_DATA / "video" / "faces_in_motion"


@pytest.mark.parametrize(("yaw", "pitch"), [(0, 0), (20, 0), (-20, 0), (0, 12), (0, -12), (25, 8), (-30, -10)])
def test_recovers_the_pose_of_a_projected_face(yaw: float, pitch: float) -> None:
    pose = estimate_pose(face_landmarks(yaw, pitch), 640, 480)
    assert pose.yaw == pytest.approx(yaw, abs=2.0)
    assert pose.pitch == pytest.approx(pitch, abs=2.0)


def test_sign_conventions_follow_the_geometry_of_challenge_py() -> None:
    frontal = face_landmarks(0)
    left = face_landmarks(20)  # the person turns to their left ...
    assert left[1, 0] - (left[33, 0] + left[263, 0]) / 2 > 5  # ... and the nose moves to the image's right
    assert estimate_pose(left, 640, 480).yaw > 15

    up = face_landmarks(0, 15)  # the person looks up: the nose rises towards the eyes
    assert (up[1, 1] - up[168, 1]) < (frontal[1, 1] - frontal[168, 1])
    assert estimate_pose(up, 640, 480).pitch > 10


def _mesh(pitch: float = 0.0, scale: float = 1.0, shift: float = 0.0, jaw_drop: float = 0.0) -> np.ndarray:
    """A random 3D point cloud standing for a mesh (x, y, depth; subnasale at y = 0), looking `pitch`
    degrees up, scaled and shifted as a face further away or elsewhere in the frame would be; the points
    below the nose moved down by `jaw_drop` first (an opening mouth)."""
    rng = np.random.default_rng(5)
    points = rng.uniform(-80, 80, (478, 3)) * [1.0, 1.0, 0.4]
    points[2] = (0.0, 0.0, -30.0)
    points[points[:, 1] > 0, 1] += jaw_drop
    rotation = cv2.Rodrigues(np.array([-np.radians(pitch), 0.0, 0.0]))[0]  # looking up: a negative turn about +x
    return points @ rotation.T * scale + shift


@pytest.mark.parametrize("pitch", [-25.0, -10.0, 0.0, 12.0, 30.0])
def test_relative_pitch_recovers_a_vertical_head_rotation(pitch: float) -> None:
    reference = _mesh()
    moved = _mesh(pitch, scale=0.7, shift=40.0)
    assert relative_pitch(reference, moved, upper_face_points(reference)) == pytest.approx(pitch, abs=0.5)


def test_opening_the_mouth_is_not_a_pitch() -> None:
    reference = _mesh()
    points = upper_face_points(reference)
    assert points.size and (reference[points, 1] < 0).all()
    assert relative_pitch(reference, _mesh(jaw_drop=25.0), points) == pytest.approx(0.0, abs=0.5)


def _eyes(opening: float) -> np.ndarray:
    """Landmarks with both eyes 30 px wide and lids `opening` px apart."""
    landmarks = np.zeros((478, 3))
    for centre_x, (outer, up1, up2, inner, low1, low2) in ((200.0, RIGHT_EYE_EAR), (300.0, LEFT_EYE_EAR)):
        landmarks[outer, :2] = (centre_x - 15, 100)
        landmarks[inner, :2] = (centre_x + 15, 100)
        # p2 (first upper) faces p6 (second lower), p3 faces p5: see head_pose.eye_aspect_ratio.
        for up, low, x in ((up1, low2, centre_x - 5), (up2, low1, centre_x + 5)):
            landmarks[up, :2] = (x, 100 - opening / 2)
            landmarks[low, :2] = (x, 100 + opening / 2)
    return landmarks


def test_eye_aspect_ratio_is_lid_gap_over_eye_width() -> None:
    assert eye_aspect_ratio(_eyes(9.0)) == pytest.approx(0.3)
    assert eye_aspect_ratio(_eyes(1.5)) == pytest.approx(0.05)


def test_mouth_opening_ratio() -> None:
    landmarks = np.zeros((478, 3))
    landmarks[78, :2], landmarks[308, :2] = (100, 200), (150, 200)
    landmarks[13, :2], landmarks[14, :2] = (125, 195), (125, 215)
    assert mouth_opening_ratio(landmarks) == pytest.approx(0.4)


def test_no_face_in_a_blank_frame() -> None:
    faces = track_faces([np.full((240, 320, 3), 128, dtype=np.uint8)] * 2)
    assert [f.count for f in faces] == [0, 0]
    assert faces[0].main is None


def test_faces_are_counted_once_per_interval_of_video_time() -> None:
    frames = [np.full((240, 320, 3), 128, dtype=np.uint8)] * 10
    faces = track_faces(frames, [i / 15 for i in range(10)], count_interval_s=0.2)
    assert [f.counted for f in faces] == [i % 3 == 0 for i in range(10)]


def test_a_tracker_left_early_stops_without_tracking_the_rest() -> None:
    frame = np.full((240, 320, 3), 128, dtype=np.uint8)
    with pytest.raises(RuntimeError), FaceTracker() as tracker:
        for i in range(5):
            tracker.feed(frame, i / 15)
        raise RuntimeError("decoding failed")
    assert not [thread for thread in threading.enumerate() if thread.name == "face-tracker"]


@pytest.fixture(scope="module")
def d3() -> tuple[VideoClip, tuple[FrameFaces, ...]]:
    clip = read_video(MOTION / "d3.mp4")
    return clip, track_faces(clip.frames)


def _pose_at(video: tuple[VideoClip, tuple[FrameFaces, ...]], t: float) -> tuple[float, float]:
    """Median yaw and pitch over the frames within 0.1 s of `t`."""
    clip, faces = video
    poses = []
    for time, frame, found in zip(clip.timestamps, clip.frames, faces, strict=True):
        if abs(time - t) <= 0.1 and found.main is not None:
            pose = estimate_pose(found.main, frame.shape[1], frame.shape[0])
            poses.append((pose.yaw, pose.pitch))
    assert poses, f"no face tracked around {t} s"
    yaw, pitch = np.median(np.array(poses), axis=0)
    return float(yaw), float(pitch)


# Segments labelled by looking at the frames of d3.mp4 (a woman turning her head, real video).
@requires_shared_data
@pytest.mark.shared_data
@pytest.mark.parametrize(("t", "turned_to"), [(0.7, "her right"), (10.4, "her right"),
                                             (5.5, "her left"), (9.0, "her left")])
def test_pose_tracking_follows_a_real_head(d3: tuple[VideoClip, tuple[FrameFaces, ...]], t: float,
                                           turned_to: str) -> None:
    yaw, _ = _pose_at(d3, t)
    assert yaw > 15 if turned_to == "her left" else yaw < -15


@requires_shared_data
@pytest.mark.shared_data
def test_one_face_tracked_throughout_a_real_video(d3: tuple[VideoClip, tuple[FrameFaces, ...]]) -> None:
    _, faces = d3
    counts = [f.count for f in faces]
    assert counts.count(1) >= 0.95 * len(counts)
    assert max(counts) == 1
