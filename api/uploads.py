"""Receiving one capture: stream the body to a spool within its limit, check what it really is, decode it
under guard, and only then store it. Any failure leaves nothing behind."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError
from storage.settings import Settings
from storage.uploads import SpooledUpload, UploadSpool, UploadTooLarge
from verification.enrollment.lifecycle import CaptureKind
from verification.enrollment.media import MediaError, inspect_image, inspect_video

DECLARED_TYPES = {"image/jpeg", "image/png", "video/mp4", "video/webm"}


def size_limit(kind: CaptureKind, settings: Settings) -> int:
    return settings.max_video_bytes if kind.is_video else settings.max_image_bytes


def check_declared_type(request: Request, kind: CaptureKind) -> None:
    declared = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if declared not in DECLARED_TYPES:
        raise ApiError(415, "unsupported_media_type", f"send one of {sorted(DECLARED_TYPES)}, not {declared!r}")
    if declared.startswith("video/") != kind.is_video:
        raise ApiError(415, "wrong_media_for_capture", f"{kind} takes {'a video' if kind.is_video else 'an image'}")
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) == 0):
        raise ApiError(400, "empty_upload", "the request body is empty")


async def receive(request: Request, spool: UploadSpool) -> SpooledUpload:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > spool.limit:
        raise ApiError(413, "upload_too_large", {"limit_bytes": spool.limit})
    try:
        async for chunk in request.stream():
            spool.write(chunk)
    except UploadTooLarge as error:
        raise ApiError(413, "upload_too_large", {"limit_bytes": error.limit}) from error
    upload = spool.finish()
    if upload.size == 0:
        raise ApiError(400, "empty_upload", "the request body is empty")
    return upload


async def validate(upload: SpooledUpload, request: Request, kind: CaptureKind, settings: Settings) -> None:
    declared = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if upload.media_type is None:
        raise ApiError(415, "unrecognised_content", "the bytes are not a JPEG, PNG, MP4 or WebM file")
    if upload.media_type.value != declared:
        raise ApiError(415, "content_type_mismatch", f"declared {declared}, content is {upload.media_type}")
    try:
        if kind.is_video:
            await run_in_threadpool(inspect_video, upload.path, max_seconds=settings.max_video_seconds,
                                    max_pixels=settings.max_image_pixels)
        else:
            await run_in_threadpool(inspect_image, upload.path, settings.max_image_pixels)
    except MediaError as error:
        raise ApiError(422, error.problem.value, str(error)) from error
