"""The store's summary index: what the board needs of every submission, in a few shard files.

A stored result is ~100 KB (per-category and per-defect breakdowns, every number of the strict
protocol); the board needs a few KB of it (numbers per source, the bootstrap intervals). Reading
every entry made start-up grow with the store (10,000 entries: ~1 GB of JSON). The index holds,
per submission, its metadata, its result without what only the row detail shows
(`summarize_result`), and the git blob ids of the two files it was made from, so that it can be
checked against the entries without parsing them (on the Hub, against one listing of the repo).

Layout, beside `verified/` (the same locally and in a Hub repo):

    summary/<c>.json   two lines, c = last hex digit of the id:
                       {"format": 2, "records": <n>, "sha256": <sha256 of the second line>}
                       {"<submission id>": RECORD, ...}
    RECORD             {"metadata": {...}, "result": {...summary...},
                        "files": {"metadata": <git blob sha1>, "result": <git blob sha1>,
                                  "history/<n>.json": <git blob sha1>, ...}}

A record is made only from entry files that fit the stored-file schema (`record`, with the stores'
schema check); the checksum then tells a shard as written from one changed since by anything else
(a hand edit, a truncated upload, a damaged disk), so that reading 10,000 records at start does not
validate each again (a quarter of a second). It detects damage; it is not a signature: whoever can
write the store can write entries too.

Sixteen shards keep each update (one per submission or re-score, in the same write or Hub
commit as the entry) small. Entries are the truth: a shard that is missing, damaged or stale is
rebuilt from them (`plan`), never the other way round. Pure: bytes and dicts in and out; the
stores in `space/storage.py` do the reading and writing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import orjson

SUMMARY = "summary"
#: 2: a checksummed header line; the strict protocol's bootstrap without its per-subtask intervals
#: (a shard of format 1 is rebuilt from the entries).
FORMAT = 2
SHARDS = "0123456789abcdef"
#: What only the row detail shows (and most of a result's size); re-read from the entry on demand.
DETAIL_ONLY = ("categories", "defects", "position_bias")
#: What the board reads of the strict protocol's result (besides its per-source averages).
STRICT_KEPT = ("average", "coverage", "scorer_version", "answer_key_sha256", "protocol", "bootstrap")

Record = dict
#: Reads one of an entry's files ("metadata" or "result") into its JSON object; ValueError when it cannot.
Parser = Callable[[bytes, str], dict]


def shard_of(submission_id: str) -> str:
    """The shard of a submission: the last digit of its random part, so shards fill evenly."""
    return submission_id[-1]


def shard_path(shard: str) -> str:
    return f"{SUMMARY}/{shard}.json"


def blob_id(content: bytes) -> str:
    """The git blob id of a file's bytes: what the Hub lists as its `oid`, computable here too."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def averages(part: Mapping) -> dict:
    """A strict result or bootstrap without its per-subtask numbers: per source, only the average."""
    kept = {k: v for k, v in part.items() if k not in ("sources", "subtasks")}
    if isinstance(part.get("sources"), Mapping):
        kept["sources"] = {name: {"average": s.get("average")} for name, s in part["sources"].items()
                           if isinstance(s, Mapping)}
    return kept


def _strict(part: Mapping) -> dict:
    """The strict protocol is shown by its averages (overall and per source) and their intervals."""
    kept = averages({k: part[k] for k in (*STRICT_KEPT, "sources") if k in part})
    if isinstance(part.get("bootstrap"), Mapping):
        kept["bootstrap"] = averages(part["bootstrap"])
    return kept


def summarize_result(result: Mapping) -> dict:
    """A result as the board needs it: the official protocol without the breakdowns in DETAIL_ONLY,
    the strict one reduced to STRICT_KEPT and its averages and their intervals (overall and per source)."""
    summary = dict(result)
    if isinstance(result.get("official"), Mapping):
        summary["official"] = {k: v for k, v in result["official"].items() if k not in DETAIL_ONLY}
    if isinstance(result.get("strict"), Mapping):
        summary["strict"] = _strict(result["strict"])
    return summary


def record(metadata_bytes: bytes, result_bytes: bytes, parse: Parser,
           history: Mapping[str, bytes] | None = None) -> Record:
    """The index record of one entry from its files' bytes, each read by `parse(bytes, part)` with part
    "metadata", "result" or "history/<name>" (the stores pass their schema check,
    `storage.parse_entry_file`); ValueError when it refuses one. `history`: the earlier results by file
    name, checked and listed in "files" (not kept), so that a damaged one is caught like the others."""
    metadata, result = parse(metadata_bytes, "metadata"), parse(result_bytes, "result")
    files = {"metadata": blob_id(metadata_bytes), "result": blob_id(result_bytes)}
    for name, content in sorted((history or {}).items()):
        parse(content, f"history/{name.removesuffix('.json')}")
        files[f"history/{name}"] = blob_id(content)
    return {"metadata": metadata, "result": summarize_result(result), "files": files}


def decode_shard(content: bytes, shard: str) -> dict[str, Record] | None:
    """A shard's records, or None when it is damaged: another format, a checksum that does not match,
    unparsable, or a record of the wrong shape or in the wrong shard. A damaged shard is rebuilt whole."""
    head, _, body = content.partition(b"\n")
    try:
        header = orjson.loads(head)
        if not (isinstance(header, dict) and header.get("format") == FORMAT
                and header.get("sha256") == hashlib.sha256(body).hexdigest()):
            return None
        entries = orjson.loads(body)  # several times faster than json on the ~5 KB per record read at start
    except orjson.JSONDecodeError:
        return None
    if not isinstance(entries, dict):
        return None
    for sid, rec in entries.items():
        files = rec.get("files") if isinstance(rec, dict) else None
        if not (sid[-1:] == shard and isinstance(files, dict)
                and all(isinstance(files.get(k), str) for k in ("metadata", "result"))
                and isinstance(rec.get("metadata"), dict) and isinstance(rec.get("result"), dict)):
            return None
    return entries


def encode_shard(entries: Mapping[str, Record]) -> bytes:
    """Compact (the index is read at every start), keys sorted so equal shards are equal bytes."""
    body = orjson.dumps(entries, option=orjson.OPT_SORT_KEYS)
    header = {"format": FORMAT, "records": len(entries), "sha256": hashlib.sha256(body).hexdigest()}
    return orjson.dumps(header) + b"\n" + body


@dataclass
class Plan:
    """What reconciling the index with the entries found: entries to (re)read into it, ids to drop,
    and the shards whose file must be written (changed, or damaged and so rewritten)."""

    read: list[str] = field(default_factory=list)
    drop: list[str] = field(default_factory=list)
    damaged: set[str] = field(default_factory=set)

    @property
    def shards(self) -> set[str]:
        return {shard_of(sid) for sid in (*self.read, *self.drop)} | self.damaged


def plan(shards: Mapping[str, dict[str, Record] | None], entries: Mapping[str, Mapping[str, str] | None]) -> Plan:
    """Compare the index (`shards`: shard → records, None when damaged) with the entries
    (`entries`: id → {"metadata": blob id, "result": blob id}, or None where blob ids are not known
    and presence alone is checked). Every entry of a damaged shard is read again."""
    result = Plan(damaged={s for s, records in shards.items() if records is None})
    indexed = {sid: rec for records in shards.values() if records for sid, rec in records.items()}
    for sid, blobs in entries.items():
        rec = indexed.get(sid)
        if shard_of(sid) in result.damaged or rec is None or (blobs is not None and rec["files"] != dict(blobs)):
            result.read.append(sid)
    result.drop = [sid for sid in indexed if sid not in entries]
    return result


def apply(shards: Mapping[str, dict[str, Record] | None], records: Mapping[str, Record],
          drop: Iterable[str] = (), reset: Iterable[str] = ()) -> dict[str, dict[str, Record]]:
    """The shards that `records`, `drop` and `reset` (damaged shards, rewritten whole) touch, updated;
    a damaged or missing shard starts empty."""
    touched: dict[str, dict[str, Record]] = {shard: {} for shard in reset}
    for sid in {*records, *drop}:
        shard = shard_of(sid)
        if shard not in touched:
            touched[shard] = dict(shards.get(shard) or {})
        if sid in records:
            touched[shard][sid] = records[sid]
        else:
            touched[shard].pop(sid, None)
    return touched
