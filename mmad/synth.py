"""A synthetic raw MMAD root in the exact upstream layout, for tests, benchmarks and trying the tools.

At scale 1.0 it reproduces the benchmark's counts exactly: 8,366 images, 39,672 questions, the
per-(source, subtask) table and the 69 images without an anomaly question. Categories and defect
names come from the real `domain_knowledge.json`, which the package carries.
"""

from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from PIL import Image, ImageDraw

import mmad_dataset as mm

# Source → (split folder of query images, file extension); DS-MVTec templates live in MVTec-AD.
_LAYOUT = {"DS-MVTec": ("image", ".png"), "MVTec-LOCO": ("test", ".png"), "VisA": ("test", ".JPG"),
           "GoodsAD": ("test", ".jpg")}
_RGB_MASK_CLASSES = {"zipper", "hazelnut", "pill"}  # the others use upstream's misspelt `rbg_mask`
_TEMPLATE_POOL = 16
_TEMPLATES_PER_IMAGE = 8
_DEFECT_TYPES = ("Defect Classification", "Defect Localization", "Defect Description", "Defect Analysis")
_OBJECT_ANALYSIS_TYPES = ("Object Structure", "Object Details", "Object Analysis")
_FOUR_OPTION_AD_RATE = 27 / 8297  # upstream has 27 anomaly questions with "Maybe."/"Unknown." added
_LOCATIONS = ("Top left.", "Top right.", "Center.", "Bottom left.", "Bottom right.", "Left edge.",
              "Right edge.", "Top edge.", "Bottom edge.")
_APPEARANCES = ("A thin dark line across the surface.", "An irregular bright spot.",
                "A cluster of small dents.", "A faded, discoloured patch.", "A missing piece at the rim.",
                "A smear of foreign material.")
_EFFECTS = ("It weakens the structure and may cause failure.", "It only affects the appearance.",
            "It may cause leakage of the contents.", "It makes the product unusable for assembly.",
            "It has no effect on function.")
_OBJECT_FACTS = ("The object is intact and symmetric.", "The surface is uniformly coloured.",
                 "All parts are present and aligned.", "The object is cracked in two.",
                 "The label is missing.", "There are two objects stacked.")


def domain_knowledge() -> dict:
    """The real upstream `domain_knowledge.json`, carried in the package."""
    return json.loads(resources.files("mmad").joinpath("data/domain_knowledge.json").read_text("utf-8"))


@dataclass
class _Image:
    key: str
    normal: bool
    has_ad: bool
    defect: str
    types: list[str] = field(default_factory=list)


def _defects(dk: dict, source: str, category: str) -> list[str]:
    names = dk[source.replace("DS-MVTec", "MVTec")][category]
    return [name for name in names if name != "good"]


def _scaled(count: int, scale: float) -> int:
    return count if scale == 1.0 else max(1, round(count * scale)) if count else 0


def _file_name(source: str, index: int) -> str:
    ext = _LAYOUT[source][1]
    return f"{index // 10:03d}_{index % 10:03d}{ext}" if source == "GoodsAD" else f"{index:03d}{ext}"


def _plan_source(source: str, scale: float, rng: random.Random, dk: dict) -> list[_Image]:
    counts = mm.PAPER_COUNTS[source]
    n_normal = _scaled(mm.PAPER_NORMAL_AD[source], scale)
    n_abnormal = _scaled(counts["anomaly_discrimination"] - mm.PAPER_NORMAL_AD[source], scale)
    n_no_ad = _scaled(mm.PAPER_IMAGES[source] - counts["anomaly_discrimination"], scale)
    split = _LAYOUT[source][0]
    categories = mm.CATEGORIES[source]
    per_folder: dict[tuple[str, str], int] = {}
    images: list[_Image] = []
    for i in range(n_normal + n_abnormal + n_no_ad):
        category = categories[i % len(categories)]
        normal = i < n_normal
        defect = "good" if normal else rng.choice(_defects(dk, source, category))
        index = per_folder.setdefault((category, defect), 0)
        per_folder[(category, defect)] += 1
        key = f"{source}/{category}/{split}/{defect}/{_file_name(source, index)}"
        images.append(_Image(key, normal, has_ad=i < n_normal + n_abnormal, defect=defect))
    abnormal = [img for img in images if not img.normal]
    no_ad = [img for img in abnormal if not img.has_ad]
    normal = [img for img in images if img.normal]
    chosen: dict[str, set[int]] = {}
    for qtype in _DEFECT_TYPES:
        count = min(_scaled(counts[mm.TYPE_TO_SUBTASK[qtype]], scale), len(abnormal))
        forced = no_ad if qtype == _DEFECT_TYPES[0] else []  # every image needs at least one question
        rest = [img for img in abnormal if img not in forced]
        picked = forced[:count] + rng.sample(rest, count - len(forced[:count]))
        chosen[qtype] = {id(img) for img in picked}
    n_oc = min(_scaled(counts["object_classification"], scale), len(normal))
    chosen["Object Classification"] = {id(img) for img in rng.sample(normal, n_oc)}
    slots = [(id(img), t) for img in normal for t in _OBJECT_ANALYSIS_TYPES]
    n_oa = min(_scaled(counts["object_analysis"], scale), len(slots))
    picked_slots = set(rng.sample(slots, n_oa))
    for img in images:
        img.types = ["Anomaly Detection"] if img.has_ad else []
        for qtype in (*_DEFECT_TYPES, "Object Classification"):
            if id(img) in chosen[qtype]:
                img.types.append(qtype)
        img.types += [t for t in _OBJECT_ANALYSIS_TYPES if (id(img), t) in picked_slots]
    return [img for img in images if img.types]


def _options(correct: str, distractors: list[str], rng: random.Random) -> tuple[dict[str, str], str]:
    texts = [correct, *rng.sample([d for d in distractors if d != correct], 3)]
    rng.shuffle(texts)
    options = dict(zip(mm.LETTERS, texts))
    return options, mm.LETTERS[texts.index(correct)]


def _pretty(name: str) -> str:
    return name.replace("_", " ").capitalize() + "."


def _question(qtype: str, img: _Image, category: str, all_defects: list[str],
              rng: random.Random) -> dict:
    if qtype == "Anomaly Detection":
        texts = ["Yes.", "No."] if rng.random() < 0.5 else ["No.", "Yes."]
        if rng.random() < _FOUR_OPTION_AD_RATE:
            texts += ["Maybe.", "Unknown."]
        options = dict(zip(mm.LETTERS, texts))
        answer = mm.LETTERS[texts.index("No." if img.normal else "Yes.")]
        return {"Question": "Is there any defect in the object?", "Answer": answer, "Options": options,
                "type": qtype, "annotation": True}
    prompts = {
        "Defect Classification": ("There is a defect in the object. What is the type of the defect?",
                                  _pretty(img.defect), [_pretty(d) for d in all_defects] +
                                  ["Scratched surface.", "Foggy appearance.", "Color fading."]),
        "Defect Localization": ("There is a defect in the object. Where is the defect?",
                                rng.choice(_LOCATIONS), list(_LOCATIONS)),
        "Defect Description": ("There is a defect in the object. What is the appearance of the defect?",
                               rng.choice(_APPEARANCES), list(_APPEARANCES)),
        "Defect Analysis": ("There is a defect in the object. What is the effect of the defect?",
                            rng.choice(_EFFECTS), list(_EFFECTS)),
        "Object Classification": ("What kind of product is in the image?", _pretty(category),
                                  [_pretty(c) for cats in mm.CATEGORIES.values() for c in cats]),
    }
    question, correct, distractors = prompts.get(
        qtype, (f"Which statement about the object is true? ({qtype})", rng.choice(_OBJECT_FACTS[:3]),
                list(_OBJECT_FACTS)))
    options, answer = _options(correct, distractors, rng)
    return {"Question": question, "Answer": answer, "Options": options, "type": qtype,
            "annotation": rng.random() > 0.05}


def _mask_path(source: str, category: str, key: str) -> str:
    *_, defect, name = key.split("/")
    stem = name.rsplit(".", 1)[0]
    if source == "DS-MVTec":
        folder = "rgb_mask" if category in _RGB_MASK_CLASSES else "rbg_mask"
        return f"{folder}/{defect}/{stem}_{folder}.png"
    if source == "MVTec-LOCO":
        return f"ground_truth/{defect}/{stem}/000.png"
    return f"ground_truth/{defect}/{stem}.png"


def _template_paths(source: str, category: str) -> list[str]:
    folder = mm.TEMPLATE_SOURCE if source == "DS-MVTec" else source
    return [f"{folder}/{category}/train/good/{_file_name(source, i)}" for i in range(_TEMPLATE_POOL)]


def build_mmad_json(scale: float = 1.0, seed: int = 0) -> dict:
    """The synthetic `mmad.json` as a dict (no files written)."""
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], got {scale}")
    rng = random.Random(seed)
    dk = domain_knowledge()
    mmad: dict[str, dict] = {}
    for source in mm.SOURCES:
        for img in _plan_source(source, scale, rng, dk):
            _, category, _, _, _ = img.key.split("/")
            pool = _template_paths(source, category)
            defects = _defects(dk, source, category)
            mmad[img.key] = {
                "image_path": "/".join(img.key.split("/")[2:]),
                "conversation": [_question(t, img, category, defects, rng) for t in img.types],
                "random_templates": rng.sample(pool, _TEMPLATES_PER_IMAGE),
                "similar_templates": rng.sample(pool, _TEMPLATES_PER_IMAGE),
                "mask_path": None if img.normal else _mask_path(source, category, img.key),
            }
    return mmad


def sample_predictions(rows: list[dict], *, accuracy: float = 0.7, seed: int = 0) -> str:
    """JSONL predictions answering about `accuracy` of the questions right (demos, tests, benchmarks)."""
    chooser = random.Random(seed)
    lines = []
    for row in rows:
        letters = [letter for letter in mm.LETTERS if row.get(letter) is not None]
        answer = row["answer"] if chooser.random() < accuracy else chooser.choice(letters)
        lines.append(json.dumps({"question_id": row["question_id"], "answer": answer}))
    return "\n".join(lines) + "\n"


class _Painter:
    """Small valid images, distinct per path, encoded in the format the extension asks for."""

    def __init__(self, size: int):
        self.size = size

    def image(self, path: str, mask: bool = False) -> bytes:
        seed = sum(map(ord, path)) * 2654435761 % 2**32
        rnd = random.Random(seed)
        mode = "L" if mask else "RGB"
        color = 0 if mask else tuple(rnd.randrange(256) for _ in range(3))
        img = Image.new(mode, (self.size, self.size), color)
        if self.size > 64 and not mask:
            noise = Image.effect_noise((self.size, self.size), 40).convert("RGB")
            img = Image.blend(img, noise, 0.5)
        s = self.size
        x, y = rnd.randrange(s // 2), rnd.randrange(s // 2)
        ImageDraw.Draw(img).rectangle((x, y, x + s // 4, y + s // 4), fill=255 if mask else (0, 0, 0))
        buf = io.BytesIO()
        img.save(buf, format="JPEG" if path.lower().endswith(".jpg") else "PNG")
        return buf.getvalue()


def write_root(out: str | Path, *, scale: float = 1.0, seed: int = 0, image_size: int = 32,
               progress: bool = False, force: bool = False) -> dict[str, int]:
    """Write a raw MMAD root (`mmad.json`, `domain_knowledge.json`, the five source folders).

    `out` must be new or empty unless `force`: writing into a real root would silently replace its
    `mmad.json` and every same-named image with synthetic ones.
    """
    out = Path(out)
    if not force and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise mm.MMADError(f"{out}: already exists and is not an empty folder; choose a new or empty one "
                           "(or --force to write synthetic files into it)")
    mmad = build_mmad_json(scale, seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "mmad.json").write_text(json.dumps(mmad, indent=1), encoding="utf-8")
    (out / "domain_knowledge.json").write_text(json.dumps(domain_knowledge(), indent=4), encoding="utf-8")
    rows = list(mm.iter_rows(mmad))
    files = mm.referenced_files(rows)
    painter = _Painter(image_size)
    masks = {row["mask_path"] for row in rows if row["mask_path"]}
    iterator = files
    if progress:
        from tqdm import tqdm

        iterator = tqdm(files, desc="writing images", unit="file")
    for rel in iterator:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(painter.image(rel, mask=rel in masks))
    return {"images": len(mmad), "questions": len(rows), "files": len(files)}
