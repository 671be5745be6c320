"""The summary index (`space/index.py`) as files in a store folder: a local store, or the Hub
store's mirror.

Shards are replaced atomically (a temporary file renamed over the old one) by one writer at a
time: a `flock` on `summary/.lock` excludes other threads and other processes on the same folder
(two app instances on one store). Reading takes no lock. A shard unchanged since it was last
parsed (same size, mtime and inode) is not parsed again and keeps its record objects, so that
after another writer's change only the changed shards are re-read and their rows rebuilt.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from . import index

#: Reads one entry's index record from its files (raises OSError/ValueError when it cannot be shown).
Reader = Callable[[str], index.Record]


def stamp(path: Path) -> tuple:
    """What changes when a file is replaced or rewritten; () when it does not exist."""
    try:
        info = path.stat()
    except OSError:
        return ()
    return info.st_mtime_ns, info.st_size, info.st_ino


class IndexFolder:
    """The shards under `<root>/summary/`; `read` and `exists` look at the entries they index."""

    def __init__(self, root: Path, read: Reader, exists: Callable[[str], bool]) -> None:
        self.root = root
        self.read, self.exists = read, exists
        self._parsed: dict[str, tuple[tuple, dict | None]] = {}  # shard → (stamp, records) last parsed

    def path(self, shard: str) -> Path:
        return self.root / index.shard_path(shard)

    def stamps(self) -> tuple:
        return tuple(stamp(self.path(shard)) for shard in index.SHARDS)

    def shards(self) -> dict[str, dict | None]:
        """Shard → its records (empty when missing, None when damaged). Do not mutate them: they
        are shared with the next call while the shard is unchanged."""
        return {shard: self.shard(shard) for shard in index.SHARDS}

    def shard(self, shard: str) -> dict | None:
        """One shard's records (see `shards`), parsed again only when its file changed."""
        path = self.path(shard)
        current = stamp(path)
        cached = self._parsed.get(shard)
        if cached is not None and current and cached[0] == current:
            return cached[1]
        try:
            records = index.decode_shard(path.read_bytes(), shard)
        except FileNotFoundError:
            records = {}
        except OSError:
            records = None
        self._parsed[shard] = (current, records)
        return records

    def reconcile(self, entries: Mapping[str, Mapping[str, str] | None]) -> tuple[dict, int, dict[str, str]]:
        """Bring the index in line with `entries` (`index.plan`): (shards, records read again or
        dropped, unreadable entry → why). Written under the lock; a folder that cannot be written
        to still gets the right answer, from memory."""
        shards = self.shards()
        if not index.plan(shards, entries).shards:
            return shards, 0, {}
        try:
            with self.lock():
                return self._apply(entries, write=True)
        except OSError:
            return self._apply(entries, write=False)

    def _apply(self, entries: Mapping[str, Mapping[str, str] | None], *, write: bool) -> tuple[dict, int, dict]:
        shards = self.shards()  # read again: another writer may have changed it meanwhile
        todo = index.plan(shards, entries)
        records, unreadable = self.read_all(todo.read)
        # `entries` was listed before the lock: an entry saved since is indexed but not listed, not gone
        drop = [sid for sid in todo.drop if not self.exists(sid)]
        touched = index.apply(shards, records, [*drop, *unreadable], reset=todo.damaged)
        if write:
            self.write(touched)
        return {**shards, **touched}, len(todo.read) + len(drop), unreadable

    def read_all(self, ids: list[str]) -> tuple[dict[str, index.Record], dict[str, str]]:
        """The records of these entries, and why each one that could not be read was not."""
        records, unreadable = {}, {}
        for sid in ids:
            try:
                records[sid] = self.read(sid)
            except FileNotFoundError:  # gone meanwhile, or a folder without its files: not an entry
                unreadable[sid] = "FileNotFoundError: incomplete entry"
            except (OSError, ValueError) as exc:
                unreadable[sid] = f"{type(exc).__name__}: {str(exc)[:80]}"
        return records, unreadable

    def write(self, touched: Mapping[str, Mapping[str, index.Record]]) -> None:
        """Each shard replaced atomically; call under `lock`."""
        for shard, records in touched.items():
            target = self.path(shard)
            temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
            temporary.write_bytes(index.encode_shard(records))
            os.replace(temporary, target)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One writer of the index at a time, across threads and processes sharing this folder."""
        folder = self.root / index.SUMMARY
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def replace(self, touched: Mapping[str, Mapping[str, index.Record]]) -> None:
        """Shards rebuilt elsewhere (the Hub store's repair), written as they are."""
        with contextlib.suppress(OSError), self.lock():
            self.write(touched)

    def put(self, records: Mapping[str, index.Record]) -> None:
        """Records of entries just written; a failure only leaves the index stale, which the next
        reconciliation repairs (the entry is stored, which is what counts)."""
        with contextlib.suppress(OSError), self.lock():
            touched = {index.shard_of(sid) for sid in records}
            self.write(index.apply({shard: self.shard(shard) for shard in touched}, records))
