"""Concurrent submissions and Hub faults, end to end through `space.submit.Submitter` (issue 9).

    python benchmarks/bench_submit_faults.py [--submissions 20] [--runs 3]

On a small synthetic key (`mmad synth`, scale 0.02), per run:
- `--submissions` distinct files submitted at once (one thread each, released by a barrier) to a
  local store and to a Hub store on the FAKE Hub (tests/fake_hub.py): stored / lost / doubled,
  where lost = accepted but not in the store, doubled = the same content stored more than once;
- the same file submitted by 8 threads at once: how many were stored (must be 1);
- a commit held at the fake Hub (tests/fake_hub_faults.py) while another user submits: that
  submission's latency (it must not wait for the held commit), then the held one is released;
- a commit that lands but answers 500, then the same file again: refused as a duplicate or not.
Prints each run and the median latency. Nothing here touches the real Hub.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

# Hub downloads of this script go to a throwaway cache, quietly (set before huggingface_hub is imported).
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="bench-submit-faults-hf-")
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fake_hub import running_fake_hub  # noqa: E402
from fake_hub_faults import HubFaults  # noqa: E402

from eval import load_key  # noqa: E402
from mmad.synth import sample_predictions, write_root  # noqa: E402
from mmad_dataset import load_rows  # noqa: E402
from space.scoring import KeyInfo  # noqa: E402
from space.storage import HubStore, LocalStore  # noqa: E402
from space.submit import SubmissionRejected, Submitter  # noqa: E402

META = {"model_name": "m", "model_type": "open", "setting": "1-shot", "training_exposure": "none declared"}


def at_once(count: int, action) -> list[object]:
    """`action(i)` in `count` threads released together; each outcome or exception, in order."""
    barrier, outcomes = threading.Barrier(count), [None] * count

    def one(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = action(i)
        except Exception as exc:  # reported, not raised: the count is the measurement
            outcomes[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def tally(submitter: Submitter, files: list[bytes], store_listing) -> dict:
    outcomes = at_once(len(files), lambda i: submitter.submit(files[i], {**META, "model_name": f"m{i}"}, f"u{i}"))
    accepted = [o.id for o in outcomes if not isinstance(o, Exception)]
    stored = store_listing()
    hashes = [s.metadata["content_sha256"] for s in stored]
    return {"accepted": len(accepted), "errors": sum(isinstance(o, Exception) for o in outcomes),
            "stored": len(stored), "lost": len(set(accepted) - {s.id for s in stored}),
            "doubled": len(hashes) - len(set(hashes))}


def run_once(info: KeyInfo, files: list[bytes], spare: list[bytes], hub, work: Path) -> dict:
    """`files` are submitted concurrently; the three `spare` files serve the fault scenarios."""
    out = {}
    local = Submitter(LocalStore(work / "local"), info, max_per_day=1000)
    out["local"] = tally(local, files, local.store.list)
    same = Submitter(LocalStore(work / "same"), info, max_per_day=1000)
    out["local same file x8 stored"] = sum(not isinstance(o, Exception) for o in at_once(
        8, lambda i: same.submit(files[0], {**META, "model_name": f"c{i}"}, f"u{i}")))
    repo = f"bench/{work.name}"
    store = HubStore(repo, token="t", mirror=work / "mirror", endpoint=hub.url)
    submitter = Submitter(store, info, max_per_day=1000)

    def hub_listing():
        fresh = HubStore(repo, token="t", mirror=work / "check", endpoint=hub.url)
        return fresh.list()

    out["hub"] = tally(submitter, files, hub_listing)
    faults = HubFaults(hub)
    stall_files = spare[:2]
    held: list[object] = []
    with faults.stall_next_commit() as stall:
        slow = threading.Thread(target=lambda: held.append(
            submitter.submit(stall_files[0], {**META, "model_name": "slow"}, "slow-user")))
        slow.start()
        stall.reached.wait(60)
        start = time.perf_counter()
        submitter.submit(stall_files[1], {**META, "model_name": "quick"}, "quick-user")
        out["unrelated submission latency during a held commit (s)"] = round(time.perf_counter() - start, 3)
        stall.release()
        slow.join(120)
    out["held commit stored after release"] = len(held) == 1 and not isinstance(held[0], Exception)
    lost_reply = spare[2]
    faults.land_then_fail()
    try:
        submitter.submit(lost_reply, {**META, "model_name": "lost-reply"}, "lr-user")
    except Exception:  # the injected 500
        pass
    try:
        submitter.submit(lost_reply, {**META, "model_name": "lost-reply"}, "lr-user")
        out["lost-reply resubmission"] = "stored twice"
    except SubmissionRejected as exc:
        out["lost-reply resubmission"] = "refused as duplicate" if "already submitted" in str(exc) else str(exc)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        write_root(root, scale=0.02, seed=0, image_size=8)
        rows = load_rows(root)
        info = KeyInfo(load_key(root), "bench key", "bench")
        latencies = []
        with running_fake_hub() as hub:
            for run in range(args.runs):
                files = [sample_predictions(rows, accuracy=0.6, seed=1000 * run + i).encode()
                         for i in range(args.submissions + 3)]
                work = Path(tmp) / f"run{run}"
                work.mkdir()
                result = run_once(info, files[:-3], files[-3:], hub, work)
                latencies.append(result["unrelated submission latency during a held commit (s)"])
                print(f"run {run + 1}: {result}", flush=True)
        print(f"median latency of an unrelated submission during a held commit: {statistics.median(latencies):.3f} s")


if __name__ == "__main__":
    main()
