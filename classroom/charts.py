"""The class report's two charts, as inline SVG (nothing to fetch): a bar of shares, and a histogram of
scores with its median."""

from __future__ import annotations

import statistics
from collections import Counter
from html import escape


def shares(counts: Counter, total: int, fills: dict, width: int = 160, height: int = 14) -> str:
    """One bar split into each key's share of ``total``, in the order and colours of ``fills``."""
    x, rects = 0.0, []
    for key, fill in fills.items():
        if not counts[key] or not total:
            continue
        w = width * counts[key] / total
        rects.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{fill}" stroke="#fff" '
                     f'stroke-width=".5"><title>{escape(str(key))}: {counts[key]}</title></rect>')
        x += w
    return (f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="shares of statuses"><rect width="{width}" height="{height}" fill="#fff" stroke="#ccc"/>'
            f"{''.join(rects)}</svg>")


def histogram(scores: list[int], most: int, width: int = 260, height: int = 110) -> str:
    """Bars of how many scored each value (or range of values) from 0 to ``most``; the median marked."""
    step = max(1, -(-(most + 1) // 20))
    bins = Counter(min(s, most) // step for s in scores)
    count = most // step + 1
    tallest = max(bins.values(), default=1)
    plot_h, bar_w = height - 28, (width - 30) / count
    bars = []
    for b in range(count):
        n = bins[b]
        h = plot_h * n / tallest
        low, high = b * step, min(most, b * step + step - 1)
        what = f"{low}" if low == high else f"{low}–{high}"
        bars.append(f'<rect x="{25 + b * bar_w:.1f}" y="{8 + plot_h - h:.1f}" width="{max(bar_w - 1, 1):.1f}" '
                    f'height="{h:.1f}" fill="#0072B2"><title>{what} point{"" if what == "1" else "s"}: {n}</title></rect>')
    median = statistics.median(scores) if scores else 0
    mx = 25 + (median / step + 0.5) * bar_w
    axis = (f'<line x1="25" y1="{8 + plot_h}" x2="{width - 5}" y2="{8 + plot_h}" stroke="#333"/>'
            f'<text x="25" y="{height - 6}" font-size="10">0</text>'
            f'<text x="{width - 5}" y="{height - 6}" font-size="10" text-anchor="end">{most}</text>'
            f'<text x="20" y="14" font-size="10" text-anchor="end">{tallest}</text>'
            f'<line x1="{mx:.1f}" y1="4" x2="{mx:.1f}" y2="{8 + plot_h}" stroke="#D55E00" stroke-width="2" '
            f'stroke-dasharray="4 2"/><text x="{mx:.1f}" y="{height - 6}" font-size="10" text-anchor="middle" '
            f'fill="#D55E00">median {median:g}</text>')
    return (f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="score histogram, median {median:g} of {most}">{"".join(bars)}{axis}</svg>')
