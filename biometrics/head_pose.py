"""Head pose (solvePnP against a generic 3D face) and eye / mouth openness from face-mesh landmarks.

Sign conventions are those of biometrics.challenge: yaw > 0 when the person turns to THEIR left (nose
towards the image's right edge), pitch > 0 when they look up. Angles in degrees.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

# Face-mesh indices. "Right"/"left" are the PERSON's: their right eye is on the image's left.
NOSE_TIP = 1
RIGHT_EYE_OUTER = 33
LEFT_EYE_OUTER = 263
RIGHT_EYE_EAR = (33, 160, 158, 133, 153, 144)  # outer corner, two upper lid, inner corner, two lower lid
LEFT_EYE_EAR = (263, 387, 385, 362, 380, 373)
UPPER_LIP_INNER, LOWER_LIP_INNER = 13, 14
MOUTH_RIGHT_INNER, MOUTH_LEFT_INNER = 78, 308

# A generic RIGID face model: midline points from forehead to nose and the eye corners. Mouth corners and
# chin (the classic 6-point model) are left out on purpose: smiling, pursing the lips or opening the mouth
# moves them and solvePnP then reports head turns of 20-30 degrees that never happened.
# Coordinates in millimetres, camera axes (x towards the image's right, y down, z away from the camera),
# nose tip at the origin: the mean MediaPipe mesh of 17 frontal photos (public face-recognition test
# images), scaled to a 90 mm outer-eye-corner distance and made left-right symmetric.
RIGID_FACE_MODEL: dict[int, tuple[float, float, float]] = {
    NOSE_TIP: (0.0, 0.0, 0.0),
    2: (0.0, 5.0, 17.0),  # subnasale
    6: (0.0, -37.0, 14.0),  # nose bridge
    168: (0.0, -45.0, 18.0),  # between the eyes
    9: (0.0, -61.0, 16.0),  # lower forehead
    151: (0.0, -79.0, 17.0),  # forehead
    10: (0.0, -96.0, 19.0),  # top of the forehead
    RIGHT_EYE_OUTER: (-45.0, -42.0, 41.0),
    133: (-17.0, -39.0, 36.0),  # right eye, inner corner
    362: (17.0, -39.0, 36.0),  # left eye, inner corner
    LEFT_EYE_OUTER: (45.0, -42.0, 41.0),
}
_PNP_INDICES = tuple(RIGID_FACE_MODEL)
_MODEL_POINTS = np.array(list(RIGID_FACE_MODEL.values()), dtype=np.float64)


@dataclass(frozen=True)
class HeadPose:
    yaw: float
    pitch: float
    roll: float


def camera_matrix(width: int, height: int) -> npt.NDArray[np.float64]:
    """A pinhole camera with a focal length of one image width: phones' front cameras are near it,
    and the angles are insensitive to the exact value at selfie distances."""
    focal = float(max(width, height))
    return np.array([[focal, 0.0, width / 2.0], [0.0, focal, height / 2.0], [0.0, 0.0, 1.0]])


# No lens distortion: OpenCV reads an empty array as it reads None (its stubs only accept an array).
NO_DISTORTION = np.empty(0)


def estimate_pose(landmarks: npt.NDArray[np.float64], width: int, height: int) -> HeadPose:
    """Yaw, pitch, roll of one face given its mesh landmarks (x, y in pixels)."""
    image_points = landmarks[list(_PNP_INDICES), :2].astype(np.float64)
    ok, rvec, _ = cv2.solvePnP(
        _MODEL_POINTS, image_points, camera_matrix(width, height), NO_DISTORTION, flags=cv2.SOLVEPNP_ITERATIVE
    )
    if not ok:
        raise ValueError("solvePnP found no pose")
    rotation, _ = cv2.Rodrigues(rvec)
    angles = cv2.RQDecomp3x3(rotation)[0]  # rotations about the camera's x, y, z axes, degrees
    # Turning to their left moves the nose (nearest point) to +x: a negative rotation about +y in these
    # axes; looking up moves it to -y: a negative rotation about +x. Hence the sign flips.
    return HeadPose(yaw=-float(angles[1]), pitch=-float(angles[0]), roll=float(angles[2]))


MESH_POINTS = 468  # the face mesh proper (the 10 iris points follow the gaze, not the head)
SUBNASALE = 2


def upper_face_points(landmarks: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """Indices of the mesh points above the base of the nose: forehead, brows, eyes, nose, upper cheeks.
    The mouth and jaw are left out because opening the mouth moves them without any head rotation."""
    return np.flatnonzero(landmarks[:MESH_POINTS, 1] < landmarks[SUBNASALE, 1])


def relative_pitch(reference: npt.NDArray[np.float64], landmarks: npt.NDArray[np.float64],
                   points: npt.NDArray[np.intp]) -> float:
    """Pitch (degrees, > 0 looking up) of the rotation taking the face of `reference` to that of
    `landmarks`, fitted on `points` in 3D (x, y and MediaPipe's depth; Kabsch, scale-free).

    Why not solvePnP's pitch: the rigid model's points lie close to one vertical plane, so a pixel or
    two of landmark error moves its pitch by 10 degrees (20-degree looks down rendered from a known
    mesh were read as 5 to 16). Dozens of points with their depth pin the vertical rotation down. Yaw
    stays with solvePnP, whose turns were checked on real videos (MediaPipe's depth flattens strong
    turns of real faces: a 37-degree turn read as 23)."""
    a = reference[points, :3] - reference[points, :3].mean(axis=0)
    b = landmarks[points, :3] - landmarks[points, :3].mean(axis=0)
    u, _, vt = np.linalg.svd(b.T @ a)
    sign = np.sign(np.linalg.det(u @ vt))
    rotation = u @ np.diag([1.0, 1.0, sign]) @ vt  # b ~ rotation @ a, up to scale
    return -float(cv2.RQDecomp3x3(rotation)[0][0])


def eye_aspect_ratio(landmarks: npt.NDArray[np.float64]) -> float:
    """Mean of both eyes' (sum of two lid distances) / (2 x eye width); ~0.25-0.35 open, < 0.15 closed."""
    return float(np.mean([_ear(landmarks, RIGHT_EYE_EAR), _ear(landmarks, LEFT_EYE_EAR)]))


def _ear(landmarks: npt.NDArray[np.float64], indices: tuple[int, ...]) -> float:
    p = landmarks[list(indices), :2]
    width = np.linalg.norm(p[0] - p[3])
    if width == 0:
        return 0.0
    return float((np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])) / (2.0 * width))


def mouth_opening_ratio(landmarks: npt.NDArray[np.float64]) -> float:
    """Inner-lip gap / inner mouth width: ~0 closed, > 0.4 wide open."""
    gap = np.linalg.norm(landmarks[UPPER_LIP_INNER, :2] - landmarks[LOWER_LIP_INNER, :2])
    width = np.linalg.norm(landmarks[MOUTH_RIGHT_INNER, :2] - landmarks[MOUTH_LEFT_INNER, :2])
    return float(gap / width) if width > 0 else 0.0


def inter_ocular_distance(landmarks: npt.NDArray[np.float64]) -> float:
    """Distance between the outer eye corners in pixels: the face's scale for normalised measures."""
    return float(np.linalg.norm(landmarks[RIGHT_EYE_OUTER, :2] - landmarks[LEFT_EYE_OUTER, :2]))
