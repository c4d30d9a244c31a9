"""Seal, open and verify a dossier of a few objects (20 MB by default) on the directory store and on an
S3 server (moto on loopback, the test fixture's), against the same objects stored and read in clear.

    .venv/bin/python benchmarks/bench_dossier.py [--size-mb 20] [--runs 5] [--store directory s3]

For each store, the median of `runs` timings, in MB/s of plaintext:
- "plain upload": every object put in clear (what the store costs alone);
- "seal": data key, every object encrypted and uploaded, then the seal (re-read and digest the new
  objects, sign, upload the manifest);
- "plain read": every object read back in clear;
- "open": every object read back and decrypted;
- "verify": manifest signature and chain, every object decrypted and digested, the listing;
and the ratios seal / plain upload and open / plain read. Then one traced run of seal and verify for
the peak of Python allocations (tracemalloc) and the growth of the process's peak RSS. Object contents
are generated while they are read: the dossier is never held whole in memory. The S3 server runs in its
own process (`moto_server`), so the memory figures are the client's alone.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from io import RawIOBase
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from minio import Minio  # noqa: E402

from storage.evidence.crypto import LocalMasterKeys  # noqa: E402
from storage.evidence.dossier import Dossier  # noqa: E402
from storage.evidence.integrity import verify_dossier  # noqa: E402
from storage.evidence.manifest import Role  # noqa: E402
from storage.evidence.store import DirectoryStore, EvidenceStore, S3Store  # noqa: E402
from storage.keys import KeyRing, KeyUse  # noqa: E402
from tests.services import free_port  # noqa: E402

MB = 1024 * 1024
T = TypeVar("T")
# Shares of the dossier: a selfie video, the document's two sides, frames and crops, check results.
LAYOUT = ((Role.CAPTURE, "selfie.webm", 0.70, "video/webm"), (Role.CAPTURE, "document-front.jpg", 0.12, "image/jpeg"),
          (Role.CAPTURE, "document-back.jpg", 0.12, "image/jpeg"), (Role.FRAME, "best-frame.jpg", 0.04, "image/jpeg"),
          (Role.CROP, "portrait.jpg", 0.02, "image/jpeg"))


class Generated(RawIOBase):
    """`size` bytes cycling through one random block, produced as they are read."""

    def __init__(self, size: int, block: bytes) -> None:
        self.left = size
        self.block = block
        self.offset = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        out = bytearray()
        while len(out) < n:
            piece = self.block[self.offset:self.offset + n - len(out)]
            out += piece
            self.offset = (self.offset + len(piece)) % len(self.block)
        self.left -= n
        return bytes(out)


def store_dossier(store: EvidenceStore, keys: LocalMasterKeys, ring: KeyRing, size: int, block: bytes) -> Dossier:
    dossier = Dossier(store, keys, uuid.uuid4().hex)
    dossier.open()
    for role, name, share, content_type in LAYOUT:
        length = int(size * share)
        dossier.add(role, name, Generated(length, block), length, content_type)
    dossier.add_bytes(Role.CHECK_RESULT, "document.json", b'{"status":"pass"}', "application/json")
    dossier.seal(signing_key=ring.active_key(KeyUse.DOSSIER), jwks=ring.jwks([KeyUse.DOSSIER]),
                 retain_until=datetime.now(UTC) + timedelta(days=7 * 365))
    return dossier


def check(dossier: Dossier, ring: KeyRing) -> None:
    result = verify_dossier(dossier, ring.jwks([KeyUse.DOSSIER]))
    if not result.intact:
        raise RuntimeError(f"benchmark dossier does not verify: {result.to_dict()}")


def traced(action: Callable[[], T]) -> tuple[T, float, float]:
    """The action's result, its tracemalloc peak (MB) and the growth of the process's peak RSS (MB)."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    try:
        result = action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    return result, peak / MB, rss_growth / 1024


def timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


@contextmanager
def open_store(kind: str) -> Iterator[EvidenceStore]:
    if kind == "directory":
        with tempfile.TemporaryDirectory() as folder:
            yield DirectoryStore(Path(folder))
        return
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        client = Minio(f"127.0.0.1:{port}", access_key="testing", secret_key="testing", secure=False,
                       region="us-east-1")
        yield S3Store(client, f"bench-{uuid.uuid4().hex[:12]}", object_lock=True)
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"moto_server did not listen on port {port} within {timeout} s")


def plain_upload(store: EvidenceStore, size: int, block: bytes) -> str:
    prefix = f"plain/{uuid.uuid4().hex}"
    for _, name, share, content_type in LAYOUT:
        length = int(size * share)
        store.put(f"{prefix}/{name}", Generated(length, block), length, content_type)
    return prefix


def plain_read(store: EvidenceStore, prefix: str) -> None:
    for key in store.keys(prefix + "/"):
        for _ in store.read(key):
            pass


def open_all(dossier: Dossier, ring: KeyRing) -> None:
    sealed = dossier.latest_manifest(ring.jwks([KeyUse.DOSSIER]))
    assert sealed is not None
    for entry in sealed.manifest.objects:
        for _ in dossier.read(entry.key):
            pass


def bench(kind: str, size: int, runs: int, keys: LocalMasterKeys, ring: KeyRing) -> None:
    block = os.urandom(MB)
    times: dict[str, list[float]] = {step: [] for step in ("plain upload", "seal", "plain read", "open", "verify")}
    with open_store(kind) as store:
        for _ in range(runs):
            prefix, elapsed = timed(lambda: plain_upload(store, size, block))
            times["plain upload"].append(elapsed)
            dossier, elapsed = timed(lambda: store_dossier(store, keys, ring, size, block))
            times["seal"].append(elapsed)
            times["plain read"].append(timed(partial(plain_read, store, prefix))[1])
            times["open"].append(timed(partial(open_all, dossier, ring))[1])
            times["verify"].append(timed(partial(check, dossier, ring))[1])
        # Memory after the timings, so the traced runs find every import and connection pool warm.
        dossier, seal_peak, seal_rss = traced(lambda: store_dossier(store, keys, ring, size, block))
        _, verify_peak, verify_rss = traced(lambda: check(dossier, ring))
    megabytes = size / MB
    medians = {step: statistics.median(values) for step, values in times.items()}
    for step, values in times.items():
        memory = {"seal": (seal_peak, seal_rss), "verify": (verify_peak, verify_rss)}.get(step)
        extra = f"; tracemalloc peak {memory[0]:.1f} MB; peak RSS growth {memory[1]:.1f} MB" if memory else ""
        print(f"{kind:9} {step:12} {megabytes:.0f} MB: median {medians[step]:.3f} s = "
              f"{megabytes / medians[step]:6.1f} MB/s (min {min(values):.3f}, max {max(values):.3f}, n={runs}){extra}")
    print(f"{kind:9} ratios: seal / plain upload = {medians['seal'] / medians['plain upload']:.2f}; "
          f"open / plain read = {medians['open'] / medians['plain read']:.2f}; "
          f"verify / plain read = {medians['verify'] / medians['plain read']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--store", nargs="+", choices=("directory", "s3"), default=["directory", "s3"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    keys = LocalMasterKeys({"m1": os.urandom(32)}, "m1")
    with tempfile.TemporaryDirectory() as key_folder:
        ring = KeyRing.load(Path(key_folder), max_token_lifetime=timedelta(minutes=15))
        for kind in args.store:
            bench(kind, int(args.size_mb * MB), args.runs, keys, ring)


if __name__ == "__main__":
    main()
