"""Build the demo corpus shipped in the package (src/paperfeed/data/demo.jsonl.gz).

It is the seed page's 260 papers (title + abstract), enriched where possible
with arXiv's CC0 metadata (id, authors, categories, dates) by matching titles
against the arXiv listings file in ../shared (papers that match nothing keep a
content-hash id), plus the newest few listing days of that file so the demo
has dated, categorised papers for the daily pages. Run from the repo root:

    python scripts/build_demo_corpus.py ../shared
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

from paperfeed.sources.files import parse_seed_page
from paperfeed.sources.normalize import clean_text

RECENT_DAYS = 3  # the newest listing days, so the demo has dated, categorised papers


def norm(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", clean_text(title).lower()).strip()


def main(shared: Path) -> None:
    seed_file = next((shared / "seed").glob("*.txt"))
    seeds = [r for r in parse_seed_page(seed_file.read_text().splitlines(), seed_file.name) if hasattr(r, "title")]
    wanted = {norm(r.title): r for r in seeds}
    found: dict[str, dict] = {}
    listings = shared / "data/arxiv/listings-2025-03-to-2026-07.jsonl.gz"
    recent: dict[str, list[dict]] = {}
    with gzip.open(listings, "rt") as fh:
        for line in fh:
            d = json.loads(line)
            key = norm(d["title"])
            if key in wanted and key not in found:
                found[key] = d
            recent.setdefault(d.get("first_seen_listing_file_date") or "", []).append(d)
    last_days = sorted(day for day in recent if day)[-RECENT_DAYS:]
    out = Path("src/paperfeed/data/demo.jsonl.gz")
    matched = 0
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as fh:
        for key, rec in wanted.items():
            d = found.get(key)
            if d is not None:
                matched += 1
                row = {k: d.get(k) for k in ("id", "authors", "title", "categories", "comment")}
                row["summary"] = rec.abstract  # the seed page's abstract, as shown there
                row["first_seen_listing_file_date"] = d.get("first_seen_listing_file_date")
            else:
                row = {"id": rec.id, "title": rec.title, "summary": rec.abstract}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        extra = 0
        seen = {d["id"] for d in found.values()}
        for day in last_days:
            for d in recent[day]:
                if d["id"] not in seen:
                    seen.add(d["id"])
                    extra += 1
                    fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    print(
        f"{len(wanted)} seed papers, {matched} matched to arXiv metadata, plus {extra} papers "
        f"from the listing days {', '.join(last_days)} -> {out}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared"))
