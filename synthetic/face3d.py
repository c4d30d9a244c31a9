"""A textured 3D head built from one portrait, rendered at any head pose with blinks and an open mouth.

MediaPipe's face mesh gives 478 landmarks with a relative depth; rings of extra points around the face
(hair and ears, then neck and shoulders) let the head's silhouette turn with it while the background stays
put. Rendering rotates the points about a pivot behind the face, projects them with a pinhole camera and
draws the Delaunay triangles far to near (painter's algorithm) as one piecewise-affine `cv2.remap`; the
face therefore shows real parallax (the nose moves across the cheeks), unlike a photo moved as a plane.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from scipy.spatial import Delaunay

# MediaPipe face-mesh indices. The eye contours are FACEMESH_LEFT_EYE / FACEMESH_RIGHT_EYE's points.
_EYE_CONTOURS = (
    (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246),
    (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466),
)
_UPPER_INNER_LIP = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
_LOWER_INNER_LIP = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
_UPPER_OUTER_LIP = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
_FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
              148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
_NOSE_TIP = 1
_MESH_POINTS = 478
# Rings around the face oval: (outward scale above / below the face centre, depth behind the oval as a
# fraction of the face width, how much of the head rotation the ring follows).
_RINGS = ((1.28, 1.10, 0.30, 1.0), (1.65, 1.35, 0.55, 0.55), (2.3, 1.8, 0.8, 0.0))


class FaceNotFound(ValueError):
    """MediaPipe found no face in the portrait given to build a head model."""


@dataclass(frozen=True)
class HeadPose:
    """Degrees (yaw > 0: the person turns to their left, the nose moves to the image's right; pitch > 0:
    looks up, as in biometrics.challenge) and 0..1 openness controls."""

    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    eye_closure: float = 0.0
    mouth_open: float = 0.0


@dataclass(frozen=True)
class _Eye:
    upper: npt.NDArray[np.intp]  # indices of the upper-lid contour, sorted by x
    lower: npt.NDArray[np.intp]  # indices of the lower-lid contour, sorted by x


@dataclass(frozen=True)
class FaceModel:
    texture: npt.NDArray[np.uint8]  # BGR canvas the triangles sample from
    rest: npt.NDArray[np.float32]  # (N, 3) float32: x, y in texture pixels; z towards the camera, in pixels
    follow: npt.NDArray[np.float32]  # (N,) fraction of the head rotation each point follows (0 = static background)
    triangles: npt.NDArray[np.int32]  # (T, 3) int32, Delaunay on the rest positions
    pivot: npt.NDArray[np.float32]  # (3,) centre of head rotation, behind the face
    face_width: float  # pixels
    eyes: tuple[_Eye, _Eye]
    mouth_upper: npt.NDArray[np.intp]  # inner upper-lip indices (the top edge of an open mouth)
    mouth_lower: npt.NDArray[np.intp]  # inner lower-lip indices (the bottom edge)
    jaw_weight: npt.NDArray[np.float32]  # (N,) how far each point follows the dropping jaw (0..1)

    @property
    def size(self) -> tuple[int, int]:
        return self.texture.shape[1], self.texture.shape[0]


def build_face_model(portrait: npt.NDArray[np.uint8], canvas_aspect: float = 4 / 3,
                     background: npt.NDArray[np.uint8] | None = None) -> FaceModel:
    """Head model from a BGR portrait. The portrait is centred on a canvas `canvas_aspect` wide (blended
    into `background`, or into its own blurred edges) so a landscape video frame can be cut from it."""
    landmarks = detect_landmarks(portrait)
    texture, offset = _canvas(portrait, canvas_aspect, background)
    mesh = landmarks.copy()
    mesh[:, 0] += offset
    height, width = texture.shape[:2]
    oval = mesh[list(_FACE_OVAL)]
    centre = oval[:, :2].mean(axis=0)
    face_width = float(np.ptp(oval[:, 0]))
    points, follow = [mesh], [np.ones(len(mesh), np.float32)]
    for up_scale, down_scale, depth, ring_follow in _RINGS:
        offsets = oval[:, :2] - centre
        scale = np.where(offsets[:, 1] < 0, up_scale, down_scale)[:, None]
        ring_xy = np.clip(centre + offsets * scale, [0, 0], [width - 1, height - 1])
        ring_z = oval[:, 2] - depth * face_width
        points.append(np.column_stack([ring_xy, ring_z]).astype(np.float32))
        follow.append(np.full(len(ring_xy), ring_follow, np.float32))
    border = _border_points(width, height, step=max(width, height) / 8)
    far = float(mesh[:, 2].min() - face_width)
    points.append(np.column_stack([border, np.full(len(border), far)]).astype(np.float32))
    follow.append(np.zeros(len(border), np.float32))
    rest = np.concatenate(points)
    nose = mesh[_NOSE_TIP]
    # A head's turning axis sits about 0.65 face widths behind the nose tip.
    pivot = np.array([centre[0], centre[1], nose[2] - 0.65 * face_width], np.float32)
    return FaceModel(
        texture=texture,
        rest=rest,
        follow=np.concatenate(follow),
        triangles=Delaunay(rest[:, :2]).simplices.astype(np.int32),
        pivot=pivot,
        face_width=face_width,
        eyes=(_eye(mesh, _EYE_CONTOURS[0]), _eye(mesh, _EYE_CONTOURS[1])),
        mouth_upper=np.array(_UPPER_INNER_LIP),
        mouth_lower=np.array(_LOWER_INNER_LIP),
        jaw_weight=_jaw_weights(rest, mesh, follow=np.concatenate(follow)),
    )


def render_face(model: FaceModel, pose: HeadPose, focal: float | None = None) -> npt.NDArray[np.uint8]:
    """The model's canvas (BGR, model.size) with the head at `pose`."""
    projected, depth = project(model, pose, focal)
    moving = model.follow[model.triangles].max(axis=1) > 0
    moving |= np.isin(model.triangles, np.flatnonzero(model.jaw_weight > 0)).any(axis=1)
    frame = model.texture.copy()
    triangles = model.triangles[moving]
    order = np.argsort(depth[triangles].mean(axis=1))  # far first
    triangles = triangles[order]
    dst = projected[triangles]  # (T, 3, 2)
    coefficients = _inverse_affines(dst, model.rest[triangles][:, :, :2])
    width, height = model.size
    x0, y0 = np.maximum(np.floor(dst.reshape(-1, 2).min(axis=0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(dst.reshape(-1, 2).max(axis=0)).astype(int) + 1, [width, height])
    # Index len(triangles) = no triangle: its coefficients map outside the texture, which
    # BORDER_TRANSPARENT leaves as the unchanged background.
    ids = np.full((y1 - y0, x1 - x0), len(triangles), np.int32)
    corners = np.round((dst - [x0, y0]) * 16).astype(np.int32)
    for index, triangle in enumerate(corners):
        cv2.fillConvexPoly(ids, triangle, (index,), lineType=cv2.LINE_8, shift=4)
    xs = np.arange(x0, x1, dtype=np.float32)[None, :]
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    c = [np.take(column, ids) for column in coefficients]
    map_x = c[0] * xs + c[1] * ys + c[2]
    map_y = c[3] * xs + c[4] * ys + c[5]
    region = frame[y0:y1, x0:x1]
    cv2.remap(model.texture, map_x, map_y, cv2.INTER_LINEAR, dst=region, borderMode=cv2.BORDER_TRANSPARENT)
    if pose.mouth_open > 0.05:
        _paint_mouth(frame, projected, model)
    if pose.eye_closure > 0.05:
        _paint_eyelids(frame, model, pose, projected)
    return frame


def _inverse_affines(dst: npt.NDArray[np.float32], src: npt.NDArray[np.float32]) -> list[npt.NDArray[np.float32]]:
    """Per triangle, the affine map from its projected corners `dst` back to its texture corners `src`,
    as six coefficient columns (a, b, c, d, e, f: x_src = a x + b y + c, y_src = d x + e y + f), with a
    trailing entry mapping off-texture. Degenerate (collapsed) triangles map off-texture too."""
    e1, e2 = dst[:, 1] - dst[:, 0], dst[:, 2] - dst[:, 0]
    f1, f2 = src[:, 1] - src[:, 0], src[:, 2] - src[:, 0]
    det = e1[:, 0] * e2[:, 1] - e2[:, 0] * e1[:, 1]
    valid = np.abs(det) > 1e-3
    inv_det = np.where(valid, 1 / np.where(valid, det, 1), 0)
    # inverse of E = [e1 e2] (columns) is [[e2y, -e2x], [-e1y, e1x]] / det
    a = (f1[:, 0] * e2[:, 1] - f2[:, 0] * e1[:, 1]) * inv_det
    b = (-f1[:, 0] * e2[:, 0] + f2[:, 0] * e1[:, 0]) * inv_det
    d = (f1[:, 1] * e2[:, 1] - f2[:, 1] * e1[:, 1]) * inv_det
    e = (-f1[:, 1] * e2[:, 0] + f2[:, 1] * e1[:, 0]) * inv_det
    c = np.where(valid, src[:, 0, 0] - a * dst[:, 0, 0] - b * dst[:, 0, 1], -10.0)
    f = np.where(valid, src[:, 0, 1] - d * dst[:, 0, 0] - e * dst[:, 0, 1], -10.0)
    return [np.append(column, value).astype(np.float32)
            for column, value in zip((a, b, c, d, e, f), (0, 0, -10, 0, 0, -10), strict=True)]


def project(model: FaceModel, pose: HeadPose,
            focal: float | None = None) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Deformed, rotated and projected model points: (N, 2) image positions, (N,) depths towards the camera."""
    return _transform(model, pose, _deform(model, pose), model.follow, focal)


def _transform(model: FaceModel, pose: HeadPose, points: npt.NDArray[np.float32], follow: npt.NDArray[np.float32],
               focal: float | None = None) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    relative = points - model.pivot
    rotated = np.empty_like(relative)
    for fraction in np.unique(follow):
        selected = follow == fraction
        rotation = _rotation(pose.yaw * fraction, pose.pitch * fraction, pose.roll * fraction)
        rotated[selected] = relative[selected] @ rotation.T
    # Pinhole camera ~3.5 face widths from the pivot: a phone held at arm's length. The photo already
    # shows the head in perspective, so positions are scaled relative to the rest pose: at rest the
    # texture is reproduced exactly and the static background never moves.
    focal = focal or 3.5 * model.face_width
    scale = focal / (focal - rotated[:, 2])
    rest_scale = focal / (focal - relative[:, 2])
    projected = model.pivot[:2] + rotated[:, :2] * (scale / rest_scale)[:, None]
    return projected.astype(np.float32), rotated[:, 2]


@functools.cache
def _face_mesh() -> Any:  # a MediaPipe graph (MediaPipe has no types)
    import mediapipe as mp

    return mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True, max_num_faces=1,
                                           min_detection_confidence=0.5)


def detect_landmarks(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """(478, 3) float32: x, y in pixels and z in pixels towards the camera (MediaPipe's z is negative
    towards the camera, in units of the image width)."""
    result = _face_mesh().process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    if not result.multi_face_landmarks:
        raise FaceNotFound("no face found in the portrait")
    height, width = image.shape[:2]
    landmarks = result.multi_face_landmarks[0].landmark
    return np.array([(p.x * width, p.y * height, -p.z * width) for p in landmarks], np.float32)


def _canvas(portrait: npt.NDArray[np.uint8], aspect: float,
            background: npt.NDArray[np.uint8] | None) -> tuple[npt.NDArray[np.uint8], int]:
    """The portrait centred on a wider canvas, its left and right edges feathered into the background."""
    height, width = portrait.shape[:2]
    canvas_w = max(width, round(height * aspect))
    offset = (canvas_w - width) // 2
    if background is None:
        # Out-of-focus surroundings: the portrait's edge columns smeared outwards.
        padded = cv2.copyMakeBorder(portrait, 0, 0, offset, canvas_w - width - offset, cv2.BORDER_REPLICATE)
        surroundings = cv2.GaussianBlur(padded, (0, 0), 12)
    else:
        surroundings = cv2.resize(background, (canvas_w, height), interpolation=cv2.INTER_AREA)
    feather = max(8, width // 10)
    ramp = np.clip(np.minimum(np.arange(width), np.arange(width)[::-1]) / feather, 0, 1).astype(np.float32)
    canvas = surroundings.astype(np.float32)
    part = canvas[:, offset:offset + width]
    canvas[:, offset:offset + width] = part * (1 - ramp[None, :, None]) + portrait * ramp[None, :, None]
    return canvas.astype(np.uint8), offset


def _border_points(width: int, height: int, step: float) -> npt.NDArray[np.float32]:
    xs = np.linspace(0, width - 1, max(2, round(width / step) + 1))
    ys = np.linspace(0, height - 1, max(2, round(height / step) + 1))
    top = np.column_stack([xs, np.zeros_like(xs)])
    bottom = np.column_stack([xs, np.full_like(xs, height - 1)])
    left = np.column_stack([np.zeros_like(ys[1:-1]), ys[1:-1]])
    right = np.column_stack([np.full_like(ys[1:-1], width - 1), ys[1:-1]])
    points: npt.NDArray[np.float32] = np.concatenate([top, bottom, left, right]).astype(np.float32)
    return points


def _eye(mesh: npt.NDArray[np.float32], contour: tuple[int, ...]) -> _Eye:
    indices = np.array(contour)
    corner_a, corner_b = indices[np.argmin(mesh[indices, 0])], indices[np.argmax(mesh[indices, 0])]
    ax, ay = mesh[corner_a, :2]
    bx, by = mesh[corner_b, :2]
    line_y = ay + (mesh[indices, 0] - ax) * (by - ay) / (bx - ax)
    upper = indices[mesh[indices, 1] < line_y]
    lower = np.concatenate([[corner_a], indices[mesh[indices, 1] > line_y], [corner_b]])
    return _Eye(upper[np.argsort(mesh[upper, 0])], lower[np.argsort(mesh[lower, 0])])


def _jaw_weights(rest: npt.NDArray[np.float32], mesh: npt.NDArray[np.float32],
                 follow: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """How far each point drops with the jaw: the lower lip and chin fully, fading towards the jaw angles
    and to nothing above the mouth or on the static background."""
    lower_lip_y = mesh[list(_LOWER_INNER_LIP), 1].min()
    mouth_x = mesh[list(_UPPER_OUTER_LIP), 0]
    centre_x, half_mouth = mouth_x.mean(), np.ptp(mouth_x) / 2
    half_face = np.ptp(mesh[list(_FACE_OVAL), 0]) / 2
    below = rest[:, 1] >= lower_lip_y - 0.5
    sideways = np.clip(1 - (np.abs(rest[:, 0] - centre_x) - half_mouth) / (half_face - half_mouth), 0.2, 1)
    weights = np.where(below, sideways, 0.0) * np.minimum(follow * 1.5, 1)
    weights[list(_UPPER_INNER_LIP)] = 0.0
    weights[list(_UPPER_OUTER_LIP)] = 0.0
    weights[list(_LOWER_INNER_LIP)] = 1.0
    weights[[_UPPER_INNER_LIP[0], _UPPER_INNER_LIP[-1]]] = 0.0  # the mouth corners stay
    jaw: npt.NDArray[np.float32] = weights.astype(np.float32)
    return jaw


def _deform(model: FaceModel, pose: HeadPose) -> npt.NDArray[np.float32]:
    points = model.rest.copy()
    if pose.mouth_open > 0:
        # A wide-open mouth drops the chin by about a seventh of the face width.
        points[:, 1] += model.jaw_weight * pose.mouth_open * 0.15 * model.face_width
    return points


def _paint_eyelids(frame: npt.NDArray[np.uint8], model: FaceModel, pose: HeadPose,
                   projected: npt.NDArray[np.float32]) -> None:
    """Draw each upper lid lowered by `pose.eye_closure`: the uncovered eye opening is filled with the
    skin colour found just above the eye and the lid's edge drawn as a dark lash line."""
    closure = float(np.clip(pose.eye_closure, 0, 1))
    for eye in model.eyes:
        upper = model.rest[eye.upper]
        bottom = np.interp(upper[:, 0], model.rest[eye.lower, 0], model.rest[eye.lower, 1])
        lid = upper.copy()
        lid[:, 1] += closure * (bottom - upper[:, 1])
        lid_2d, _ = _transform(model, pose, lid, np.ones(len(lid), np.float32))
        corners = projected[eye.lower[[0, -1]]]
        eye_centre = projected[eye.lower].mean(axis=0)
        # Reach a little above the lid margin so the open eye's own lashes are covered too.
        lifted = projected[eye.upper] + (projected[eye.upper] - eye_centre) * 0.3
        top_2d = np.concatenate([corners[:1], lifted, corners[1:]])
        lid_2d = np.concatenate([corners[:1], lid_2d, corners[1:]])
        eye_width = float(np.linalg.norm(corners[1] - corners[0]))
        above = projected[eye.upper] + (projected[eye.upper] - eye_centre) * 0.7
        height, width = frame.shape[:2]
        samples = np.clip(np.round(above).astype(int), 0, [width - 1, height - 1])
        skin = np.median(frame[samples[:, 1], samples[:, 0]], axis=0)
        covered = np.concatenate([top_2d, lid_2d[::-1]])
        cv2.fillPoly(frame, [np.round(covered * 16).astype(np.int32)], skin.tolist(), cv2.LINE_AA, shift=4)
        lash = (skin * 0.35).tolist()
        thickness = max(1, round(eye_width / 18))
        cv2.polylines(frame, [np.round(lid_2d * 16).astype(np.int32)], False, lash, thickness, cv2.LINE_AA, shift=4)
        x0, y0 = np.maximum(np.floor(covered.min(axis=0)).astype(int) - 2, 0)
        x1, y1 = np.ceil(covered.max(axis=0)).astype(int) + 3
        patch = frame[y0:y1, x0:x1]
        patch[:] = cv2.GaussianBlur(patch, (0, 0), max(0.8, eye_width / 40))


def _paint_mouth(frame: npt.NDArray[np.uint8], projected: npt.NDArray[np.float32], model: FaceModel) -> None:
    """Fill the gap between the inner lips with a dark mouth cavity."""
    outline = np.concatenate([projected[model.mouth_upper], projected[model.mouth_lower][::-1]])
    cv2.fillPoly(frame, [np.round(outline * 16).astype(np.int32)], (30, 24, 58), lineType=cv2.LINE_AA, shift=4)


def _rotation(yaw: float, pitch: float, roll: float) -> npt.NDArray[np.float32]:
    """Rotation in image axes (x right, y down, z towards the camera) with the sign conventions of
    HeadPose: positive yaw brings points in front of the pivot towards +x, positive pitch towards -y."""
    a, b, c = np.deg2rad([yaw, pitch, roll])
    yaw_m = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    pitch_m = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    roll_m = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    rotation: npt.NDArray[np.float32] = (roll_m @ pitch_m @ yaw_m).astype(np.float32)
    return rotation
