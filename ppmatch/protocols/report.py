"""The demo's self-contained HTML report: summary, accuracy, timings, histogram, explanations.

No external assets: the score histogram is an inline SVG, styles are inline, so the file can
be mailed or archived as is.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MAX_ROWS_SHOWN = 300


def score_histogram_svg(scores: list[float], decisions: list[str], *, bins: int = 30) -> str:
    """Stacked histogram (match / review) of scores as an inline SVG."""
    width, height, margin = 640, 220, 30
    if not scores:
        return "<p>No candidates above the review threshold.</p>"
    values = np.asarray(scores, dtype=float)
    edges = np.linspace(values.min(), values.max() + 1e-9, bins + 1)
    colors = {"match": "#2b7a3d", "review": "#d08c1a"}
    counts = {
        kind: np.histogram(values[np.asarray(decisions) == kind], bins=edges)[0] for kind in colors
    }
    tallest = max(1, int(max(sum(c[i] for c in counts.values()) for i in range(bins))))
    bar = (width - 2 * margin) / bins
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
        f'<line x1="{margin}" y1="{height - margin}" x2="{width - margin}" y2="{height - margin}" stroke="#333"/>',
    ]
    for i in range(bins):
        base: float = height - margin
        for kind, color in colors.items():
            count = int(counts[kind][i])
            if not count:
                continue
            h = (height - 2 * margin) * count / tallest
            x = margin + i * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar - 1:.1f}" height="{h:.1f}" '
                f'fill="{color}"><title>{kind}: {count} with score {edges[i]:.1f}..{edges[i + 1]:.1f}</title></rect>'
            )
            base -= h
    parts.append(f'<text x="{margin}" y="{height - 8}" font-size="11">{edges[0]:.1f}</text>')
    parts.append(
        f'<text x="{width - margin}" y="{height - 8}" font-size="11" text-anchor="end">{edges[-1]:.1f}</text>'
    )
    parts.append(
        f'<text x="{margin}" y="14" font-size="11">max {tallest} per bin; '
        '<tspan fill="#2b7a3d">match</tspan> / <tspan fill="#d08c1a">review</tspan></text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _table(headers: list[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _explain(row: dict) -> str:
    if row["decision"] == "match":
        return "score at or above the match threshold and the payload key was reconstructed"
    return "review: score above the review threshold, payload not disclosed"


def write_report(path: Path, summary: dict, directions: list[dict]) -> None:
    sections = [
        "<h1>ppmatch demo report</h1>",
        "<p>Two agencies screened each other's travelers against the partner's conviction records "
        "with the OPRF screening protocol; each agency ran in its own process and they exchanged "
        "only serialized messages.</p>",
        _table(["setting", "value"], [[k, v] for k, v in summary.items()]),
    ]
    for direction in directions:
        acc, q, h = direction["accuracy"], direction["querier_report"], direction["holder_report"]
        rows = q["rows"]
        payload_fields = q["payload_fields"]
        sections.append(
            f"<h2>{html.escape(direction['querier'])} screens {html.escape(direction['holder'])}</h2>"
        )
        sections.append(_table(["measure", "value"], [[k, v] for k, v in acc.items()]))
        sections.append("<h3>Timings and bytes</h3>")
        timing_rows = [
            [f"{direction['holder']} (holder): {k}", f"{v:.2f} s"]
            for k, v in h["seconds"].items()
            if k in ("publish", "evaluate_partner_request")
        ]
        timing_rows += [
            [f"{direction['querier']} (querier): {k}", f"{v:.2f} s"]
            for k, v in q["seconds"].items()
            if k in ("prepare", "finish")
        ]
        timing_rows += [
            [
                "holder records / tokens published",
                f"{h['holder_records']} / {h['tokens_published']}",
            ],
            [
                "querier records / elements evaluated",
                f"{q['querier_records']} / {h['elements_evaluated_for_partner']}",
            ],
            [f"bytes sent by {direction['querier']}", q["bytes_sent"]],
            [f"bytes sent by {direction['holder']}", h["bytes_sent"]],
        ]
        sections.append(_table(["step", "value"], timing_rows))
        sections.append("<h3>Score histogram</h3>")
        sections.append(
            score_histogram_svg([r["score"] for r in rows], [r["decision"] for r in rows])
        )
        sections.append(f"<h3>Matches and reviews (first {MAX_ROWS_SHOWN})</h3>")
        ordered = sorted(rows, key=lambda r: (r["decision"] != "match", -r["score"]))[
            :MAX_ROWS_SHOWN
        ]
        sections.append(
            _table(
                [
                    "traveler",
                    "holder record",
                    "decision",
                    "score",
                    "matched",
                    "why",
                    *payload_fields,
                ],
                [
                    [
                        r["querier_record_id"],
                        r["holder_record_id"] or r["holder_handle"],
                        r["decision"],
                        f"{r['score']:.2f}",
                        r["matched"],
                        _explain(r),
                        *[r.get(f, "") for f in payload_fields],
                    ]
                    for r in ordered
                ],
            )
        )
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}"
        "table{border-collapse:collapse;margin:0.5em 0 1.5em}"
        "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}"
        "th{background:#f0f0f0}"
    )
    document = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>ppmatch demo report</title>"
        f"<style>{style}</style></head><body>{''.join(sections)}</body></html>"
    )
    path.write_text(document, encoding="utf-8")
