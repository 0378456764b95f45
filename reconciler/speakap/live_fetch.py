"""The live snapshot fetched beside other work: in a forked child process where it can be.

Decoding a large network's pages of JSON and mapping its users costs more CPU than reading the
desired state, and a thread in the same process would share one core (and the GIL) with that
read. ``start_fetch(backend)`` therefore forks a child that fetches with a copy of the backend
over connections of its own, while the caller goes on (plan parses the desired state meanwhile),
and sends back:

- the snapshot as compact tuples (``marshal``: a fraction of pickling 100,000 dataclasses),
  rebuilt into the same ``LiveSnapshot`` the backend would have returned;
- the fetch's progress, its log records (a retry, a 429 wait: each reaches the handler it would
  have reached here), and its request counters;
- or the error it raised, as it was raised (``result()`` raises it again: a ``SyncError`` stays
  one line), or one that says the child ended without an answer.

It forks only where ``os.fork`` exists (not on Windows; not on macOS, where forking without
exec is unsafe) and no other thread runs yet (a fork copies no threads but their locks);
otherwise the fetch runs on a thread, as one would expect. ``result()`` falls back to an
in-process fetch when the child died without a word (killed, out of memory).
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import os
import pickle
import signal
import struct
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import astuple, dataclass, fields, replace
from typing import IO, Protocol

from reconciler.errors import SpeakapError
from reconciler.model import LiveSnapshot
from reconciler.speakap.backend import LiveRows, ScimBackend
from reconciler.speakap.client import ClientStats
from reconciler.speakap.dialect import Dialect

log = logging.getLogger(__name__)

# frames from the child: kind (1 byte), length (8 bytes), payload
_HEAD = struct.Struct("<cQ")
_SIZE = struct.Struct("<Q")
_PROGRESS, _LOG, _RESULT, _FINGERPRINT, _ERROR = b"p", b"l", b"r", b"f", b"e"


class PendingSnapshot(Protocol):
    def result(self) -> LiveSnapshot:
        """The snapshot, once fetched; raises the fetch's error."""
        ...

    def close(self) -> None:
        """Stop a fetch still running (its result is no longer wanted)."""
        ...


def start_fetch(backend: ScimBackend, *, fork: bool | None = None) -> PendingSnapshot:
    """Start fetching ``backend``'s live snapshot; ``fork`` None: in a child process where that
    is safe (see the module), True: in a child process, False: on a thread."""
    if fork is None:
        fork = can_fork()
    return _ChildFetch(backend) if fork else _ThreadFetch(backend)


def can_fork() -> bool:
    """Whether this process can fork a fetch now: the platform forks safely and no thread
    other than this one runs."""
    return hasattr(os, "fork") and sys.platform != "darwin" and threading.active_count() == 1


class _ThreadFetch:
    def __init__(self, backend: ScimBackend) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fetch")
        self._future: Future[LiveSnapshot] = self._pool.submit(backend.fetch_snapshot)

    def result(self) -> LiveSnapshot:
        return self._future.result()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True, slots=True)
class _Answer:
    """What the child fetched: the snapshot as tuples, and what its backend learned."""

    rows: LiveRows
    dialect: Dialect
    keeps_deleted: bool
    stats: tuple[int, ...]

    @classmethod
    def of(cls, rows: LiveRows, backend: ScimBackend) -> _Answer:
        return cls(
            rows=rows,
            dialect=backend.dialect,
            keeps_deleted=backend.keeps_deleted,
            stats=astuple(backend.client.stats),
        )

    def encode(self) -> bytes:
        rows = self.rows
        data = marshal.dumps(
            (rows.users, rows.groups, rows.deleted, self.keeps_deleted, self.stats)
        )
        return _SIZE.pack(len(data)) + data + pickle.dumps(self.dialect)

    @classmethod
    def decode(cls, data: bytes) -> _Answer:
        (size,) = _SIZE.unpack_from(data)
        rows = memoryview(data)[_SIZE.size : _SIZE.size + size]
        users, groups, deleted, keeps, stats = marshal.loads(rows)
        dialect = pickle.loads(data[_SIZE.size + size :])
        return cls(LiveRows(users, groups, deleted), dialect, keeps, stats)


class _ChildFetch:
    """A fetch in a forked child process; a thread here reads what it sends."""

    def __init__(self, backend: ScimBackend) -> None:
        self._backend = backend
        self._handlers = _handlers()
        self._answer: tuple[_Answer, LiveSnapshot] | None = None
        self._error: BaseException | None = None
        read, write = os.pipe()
        self._pid = os.fork()
        if self._pid == 0:  # the child: never returns to the caller's frames
            os.close(read)
            _child(backend, write, self._handlers)
        os.close(write)
        self._done = threading.Event()
        self._reader = threading.Thread(
            target=self._read, args=(os.fdopen(read, "rb"),), name="fetch", daemon=True
        )
        self._reader.start()

    def result(self) -> LiveSnapshot:
        self._done.wait()
        if self._error is not None:
            raise self._error
        if self._answer is None:
            log.warning("the live fetch's child process ended without an answer: fetching here")
            return self._backend.fetch_snapshot()
        (answer, snapshot), self._answer = self._answer, None
        self._backend.adopt_fetch(
            snapshot, dialect=answer.dialect, keeps_deleted=answer.keeps_deleted
        )
        _add_stats(self._backend.client.stats, answer.stats)
        return snapshot

    def close(self) -> None:
        if not self._done.is_set():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGTERM)
        self._reader.join(timeout=5)

    def _read(self, pipe: IO[bytes]) -> None:
        try:
            with pipe:
                while frame := _read_frame(pipe):
                    self._take(*frame)
        except BaseException as error:  # the caller's thread raises it
            self._error = self._error or error
        finally:
            _reap(self._pid)
            self._done.set()

    def _take(self, kind: bytes, payload: bytes) -> None:
        if kind == _PROGRESS:
            progress = self._backend.progress
            task, done, total = marshal.loads(payload)
            if progress is not None:
                progress(task, done, total)
        elif kind == _LOG:
            index, record = pickle.loads(payload)
            self._handlers[index].handle(logging.makeLogRecord(record))
        elif kind == _RESULT:
            # built here, on the reader's thread: while the caller still reads its inputs or
            # waits (and the child computes the fingerprint), not after it asked for it
            answer = _Answer.decode(payload)
            self._answer = answer, answer.rows.snapshot()
        elif kind == _FINGERPRINT and self._answer is not None:
            answer, snapshot = self._answer
            self._answer = answer, replace(snapshot, known_fingerprint=payload.decode())
        elif kind == _ERROR:
            self._error = pickle.loads(payload)


# -- the child ------------------------------------------------------------------------------


def _child(backend: ScimBackend, fd: int, handlers: list[logging.Handler]) -> None:
    """Fetch, send the answer or the error, and end the process without running the parent's
    exit handlers or flushing its buffers (their copies here are the parent's to write)."""
    code = 0
    try:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: the parent reports it
        with os.fdopen(fd, "wb") as pipe:
            send = _sender(pipe)
            for index, handler in enumerate(handlers):
                handler.handle = _forwarder(send, index)  # type: ignore[method-assign]
            backend.client.reconnect_after_fork()
            backend.progress = lambda task, done, total: send(
                _PROGRESS, marshal.dumps((task, done, total))
            )
            try:
                rows = backend.fetch_rows()
            except Exception as error:  # sent to the parent, raised there
                send(_ERROR, _pickled_error(error))
            else:
                send(_RESULT, _Answer.of(rows, backend).encode())
                # the plan records it: hashed here, on this core, while the parent builds
                # the snapshot from the rows (without it, the parent hashes them itself)
                send(_FINGERPRINT, rows.fingerprint().encode())
    except BaseException:  # the pipe broke: the parent sees no answer
        code = 1
    finally:
        os._exit(code)


def _sender(pipe: IO[bytes]) -> Callable[[bytes, bytes], None]:
    lock = threading.Lock()  # the fetch's worker threads log too

    def send(kind: bytes, payload: bytes) -> None:
        with lock:
            pipe.write(_HEAD.pack(kind, len(payload)) + payload)
            pipe.flush()

    return send


def _forwarder(send: Callable[[bytes, bytes], None], index: int) -> Callable[..., bool]:
    def handle(record: logging.LogRecord) -> bool:
        fields = dict(record.__dict__)
        fields.update(msg=record.getMessage(), args=None, exc_info=None, exc_text=None)
        send(_LOG, pickle.dumps((index, fields)))
        return True

    return handle


def _pickled_error(error: Exception) -> bytes:
    try:
        data = pickle.dumps(error)
        pickle.loads(data)  # an exception whose __init__ takes other arguments fails here
        return data
    except Exception:  # any error becomes one that says what it was
        text = "".join(traceback.format_exception(error)).rstrip()
        return pickle.dumps(SpeakapError(f"the live fetch failed: {text}"))


# -- helpers --------------------------------------------------------------------------------


def _handlers() -> list[logging.Handler]:
    """Every logging handler of this process, in a fixed order (the child names them by
    index)."""
    loggers: list[logging.Logger] = [logging.getLogger()]
    for item in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(item, logging.Logger):
            loggers.append(item)
    found: dict[int, logging.Handler] = {}
    for logger in loggers:
        for handler in logger.handlers:
            found.setdefault(id(handler), handler)
    return list(found.values())


def _read_frame(pipe: IO[bytes]) -> tuple[bytes, bytes] | None:
    head = pipe.read(_HEAD.size)
    if len(head) < _HEAD.size:
        return None
    kind, size = _HEAD.unpack(head)
    payload = pipe.read(size)
    if len(payload) < size:
        return None
    return kind, payload


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _add_stats(stats: ClientStats, child: tuple[int, ...]) -> None:
    for field, value in zip(fields(ClientStats), child, strict=True):
        setattr(stats, field.name, getattr(stats, field.name) + value)
