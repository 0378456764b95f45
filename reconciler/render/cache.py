"""The render cache: what the last render knew, so that the next one redoes only what changed.

One file, ``<state dir>/.speakap-sync-cache/render.json``, beside the state and never in git
(the folder holds a ``.gitignore`` of its own, as pytest's and mypy's caches do). It may be
deleted at any time, and a damaged or foreign one is ignored: the render then does all the
work and writes a fresh one. Its content never changes what render writes (see
``render.incremental``), only how much work that takes.

What it holds: a digest of everything besides the rows and the previous state that a person
depends on (the configuration files, render's own code, the versions of phonenumbers and
email-validator, Python's); per users shard the digest of the text the render wrote and, per
person rendered from one clean row, that row's fingerprint (``core.Known``). A memo counts
only while its digest is the one of the shard on disk, so a hand edit, a ``git checkout`` or
another render branch simply makes it miss.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from importlib import metadata
from pathlib import Path

from reconciler.atomic import atomic_write
from reconciler.desired.config import CONFIG_FILES
from reconciler.render.incremental import NO_MEMOS, Memos, ShardMemo

log = logging.getLogger(__name__)

CACHE_DIR = ".speakap-sync-cache"
CACHE_FILE = "render.json"
_MAGIC = "speakap-sync render cache v1"
_PACKAGE = Path(__file__).resolve().parents[1]  # reconciler/
_CODE = ("render", "desired", "model.py")  # what decides how a row becomes a person


def cache_path(state_dir: Path) -> Path:
    return state_dir / CACHE_DIR / CACHE_FILE


def inputs_digest(state_dir: Path) -> str:
    """What every memo depends on besides rows and shard texts; a render whose inputs give
    another digest uses no memo."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{_MAGIC}\0{sys.version_info[:2]}\0".encode())
    for package in ("phonenumbers", "email-validator"):
        digest.update(f"{package}={_version(package)}\0".encode())
    for path in _code_files():
        digest.update(f"{path.relative_to(_PACKAGE).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    for name in CONFIG_FILES:
        path = state_dir / name
        digest.update(f"{name}\0".encode())
        digest.update(path.read_bytes() if path.is_file() else b"\0missing\0")
    return digest.hexdigest()


def _code_files() -> list[Path]:
    files: list[Path] = []
    for name in _CODE:
        path = _PACKAGE / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def load(state_dir: Path, inputs: str) -> Memos:
    """The memos of the cache made with the same inputs; none when there is no such cache."""
    path = cache_path(state_dir)
    try:
        raw = path.read_bytes()
    except OSError:
        return NO_MEMOS
    try:
        return _decode(raw, inputs)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as err:
        log.info("render cache %s ignored: %s", path, err)
        return NO_MEMOS


def _decode(raw: bytes, inputs: str) -> Memos:
    head, _, body = raw.partition(b"\n")
    magic, _, check = head.decode("ascii").rpartition(" ")
    if magic != _MAGIC or check != hashlib.blake2b(body, digest_size=16).hexdigest():
        raise ValueError("not a whole cache of this version")
    doc = json.loads(body)
    if doc["inputs"] != inputs:
        return NO_MEMOS  # another configuration or version: nothing in it holds
    rules = {str(k): tuple(str(r) for r in v) for k, v in doc["rules"].items()}
    shards: dict[str, ShardMemo] = {}
    for name, (digest, people) in doc["shards"].items():
        if type(digest) is not str or type(people) is not dict:
            raise TypeError("a shard's memo is a digest and a mapping")
        shards[str(name)] = ShardMemo(digest, people)  # entries are checked when decoded
    return Memos(shards, rules)


def save(state_dir: Path, inputs: str, memos: Memos) -> None:
    """Write the cache atomically; a cache that cannot be written is only logged."""
    shards = {
        name: [memos.shards[name].digest, memos.shards[name].people]
        for name in sorted(memos.shards)
    }
    doc = {"inputs": inputs, "rules": dict(sorted(memos.rules.items())), "shards": shards}
    body = json.dumps(doc, separators=(",", ":")).encode("ascii")
    head = f"{_MAGIC} {hashlib.blake2b(body, digest_size=16).hexdigest()}\n".encode()
    folder = state_dir / CACHE_DIR
    try:
        folder.mkdir(exist_ok=True)
        for name, text in ((".gitignore", "*\n"), ("CACHEDIR.TAG", _CACHEDIR_TAG)):
            if not (folder / name).exists():
                (folder / name).write_text(text, encoding="utf-8")
        atomic_write(folder / CACHE_FILE, head + body)
    except OSError as err:
        log.warning("render cache not written (%s): the next render does all the work", err)


_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This folder is speakap-sync's render cache (safe to delete). See https://bford.info/cachedir/\n"
)
