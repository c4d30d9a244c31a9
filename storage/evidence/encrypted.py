"""Evidence objects encrypted on the fly under a per-prefix data key, over any EvidenceStore.

The data key lives beside the objects it protects, wrapped by the master key, as
`<prefix>/datakey.json`:

    {"format": 1, "data_key_id": "<uuid4 hex>", "wrapped": {"key_id": "<master key id>",
     "ciphertext": "<base64: 12-byte nonce | AES-256-GCM(master key, data key, aad='idv-data-key|'+key id)>"}}

so a dossier copied out of the store stays readable with the master key alone, and deleting that one
object makes every version of every object under the prefix unreadable (crypto-shredding, the backstop
of erasure). The data key is created once, explicitly, when the dossier is opened (`create_data_key`),
never lazily on first write: two workers racing to create it would leave objects under a lost key.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from storage.evidence.crypto import (
    DEFAULT_CHUNK_SIZE,
    KEY_BYTES,
    Encryptor,
    LocalMasterKeys,
    MasterKeyProvider,
    WrappedKey,
    decrypt_stream,
    new_data_key,
    rewrap,
)
from storage.evidence.store import EvidenceStore, EvidenceStoreError, ObjectNotFound
from storage.settings import Settings
from storage.streams import Readable

DATA_KEY_NAME = "datakey.json"
GENERATED_MASTER_KEY = Path("master") / "evidence-master-key.json"  # beside, not among, the signing keys
DATA_KEY_FORMAT = 1
ENCRYPTED_CONTENT_TYPE = "application/vnd.idv.encrypted-evidence"


class DataKeyMissing(EvidenceStoreError):
    """The prefix has no data key: it was never opened, or it was erased."""

    code = "data_key_missing"


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int  # plaintext bytes
    sha256: str  # hex digest of the plaintext
    stored_size: int  # ciphertext bytes in the store


@dataclass(frozen=True)
class DataKeyRecord:
    data_key_id: str
    wrapped: WrappedKey

    @property
    def master_key_id(self) -> str:
        return self.wrapped.key_id

    def to_json(self) -> bytes:
        return json.dumps({"format": DATA_KEY_FORMAT, "data_key_id": self.data_key_id,
                           "wrapped": self.wrapped.to_dict()}, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> DataKeyRecord:
        data = json.loads(raw)
        if data.get("format") != DATA_KEY_FORMAT:
            raise ValueError(f"unknown data key record format {data.get('format')!r}")
        return cls(data["data_key_id"], WrappedKey.from_dict(data["wrapped"]))


class EncryptedEvidence:
    """Encrypted objects under one prefix (one dossier), all under that prefix's data key."""

    def __init__(self, store: EvidenceStore, master_keys: MasterKeyProvider, prefix: str,
                 *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        if not prefix or prefix.startswith("/") or prefix.endswith("/"):
            raise ValueError(f"prefix must be a relative path without a trailing slash: {prefix!r}")
        self.store = store
        self.master_keys = master_keys
        self.prefix = prefix
        self.chunk_size = chunk_size
        self._data_key: tuple[str, bytes] | None = None

    @property
    def data_key_object(self) -> str:
        return f"{self.prefix}/{DATA_KEY_NAME}"

    def create_data_key(self) -> DataKeyRecord:
        """Create the prefix's data key, or return the existing one (idempotent for retried tasks)."""
        if self.data_key_object in set(self.store.keys(self.data_key_object)):
            return self.data_key_record()
        key = new_data_key()
        record = DataKeyRecord(uuid.uuid4().hex, self.master_keys.wrap(key))
        self.store.put_bytes(self.data_key_object, record.to_json(), "application/json")
        self._data_key = (record.data_key_id, key)
        return record

    def data_key_record(self) -> DataKeyRecord:
        try:
            raw = self.store.read_bytes(self.data_key_object)
        except ObjectNotFound as error:
            raise DataKeyMissing(self.prefix) from error
        return DataKeyRecord.from_json(raw)

    def rewrap(self) -> DataKeyRecord:
        """Wrap the data key under the active master key; the encrypted objects are not touched."""
        record = self.data_key_record()
        moved = DataKeyRecord(record.data_key_id, rewrap(record.wrapped, self.master_keys))
        if moved != record:
            self.store.put_bytes(self.data_key_object, moved.to_json(), "application/json")
        return moved

    def load_data_key(self) -> DataKeyRecord:
        """Read and unwrap the data key afresh (verification must not trust a key cached earlier)."""
        record = self.data_key_record()
        self._data_key = (record.data_key_id, self.master_keys.unwrap(record.wrapped))
        return record

    def _key(self) -> tuple[str, bytes]:
        if self._data_key is None:
            self.load_data_key()
        assert self._data_key is not None
        return self._data_key

    def _check_key(self, key: str) -> None:
        if not key.startswith(self.prefix + "/") or key == self.data_key_object:
            raise ValueError(f"{key!r} is not an object key under {self.prefix!r}")

    def put(self, key: str, stream: Readable, length: int) -> ObjectInfo:
        """Encrypt `length` bytes of `stream` into the store, streaming (one chunk in memory at a time)."""
        self._check_key(key)
        data_key_id, data_key = self._key()
        encryptor = Encryptor(data_key, data_key_id, key, stream, length, chunk_size=self.chunk_size)
        self.store.put(key, encryptor, encryptor.size, ENCRYPTED_CONTENT_TYPE)
        if not encryptor.finished:
            raise EvidenceStoreError(f"put {key}: the store stopped before the end of the ciphertext")
        return ObjectInfo(key, length, encryptor.plaintext_sha256, encryptor.size)

    def put_bytes(self, key: str, data: bytes) -> ObjectInfo:
        return self.put(key, BytesIO(data), len(data))

    def read(self, key: str) -> Iterator[bytes]:
        """Plaintext chunks; `storage.evidence.crypto.IntegrityError` as soon as tampering shows."""
        self._check_key(key)
        data_key_id, data_key = self._key()
        return decrypt_stream(data_key, data_key_id, key, self.store.read(key))

    def read_bytes(self, key: str) -> bytes:
        return b"".join(self.read(key))


def master_keys(settings: Settings) -> MasterKeyProvider:
    """The master keys from settings; without any, the one generated in the keys directory (embedded demo)."""
    if settings.evidence_master_keys:
        keys = {key_id: value.get_secret_value() for key_id, value in settings.evidence_master_keys.items()}
        active = settings.evidence_master_key_id or (next(iter(keys)) if len(keys) == 1 else None)
        if active is None:
            raise ValueError("several evidence master keys: set IDV_EVIDENCE_MASTER_KEY_ID to the active one")
        return LocalMasterKeys.from_base64(keys, active)
    path = settings.resolved_keys_dir / GENERATED_MASTER_KEY
    if not path.exists():
        _create_master_key_file(path)
    data = json.loads(path.read_text())
    return LocalMasterKeys.from_base64({data["key_id"]: data["key"]}, data["key_id"])


def _create_master_key_file(path: Path) -> None:
    """Written whole under a temporary name, then linked into place: a process racing to create it either
    wins or finds the complete file of the winner, never a half-written one."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    record = {"key_id": f"local-{uuid.uuid4().hex[:12]}",
              "key": base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")}
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(record, file)
        file.flush()
        os.fsync(file.fileno())
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
