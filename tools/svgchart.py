"""tools/svgchart.py: the pieces the bench's and the demos' SVG charts are
drawn with, by hand (the standard library has no plotting, and the tree
takes no pip packages). A chart is a list of SVG text lines: start() opens
it, the others add to it, write() closes it and puts it in its file."""

import os


def start(w, h, title):
    """The opening lines of an SVG chart w by h pixels, with its title."""
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
            f'font-family="sans-serif" font-size="12">',
            f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>']


def axes(left, top, pw, ph, xlabel, ylabel, h):
    """A line chart's axes around the plot (pw by ph pixels from left, top)
    in a chart h pixels high, with their labels (list of lines)."""
    return [f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}" stroke="#888"/>',
            f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" '
            'stroke="#888"/>',
            f'<text x="{left + pw / 2}" y="{h - 28}" text-anchor="middle">{xlabel}</text>',
            f'<text x="14" y="{top + ph / 2}" transform="rotate(-90 14 {top + ph / 2})" '
            f'text-anchor="middle">{ylabel}</text>']


def gridline(x1, x2, y, label):
    """A light horizontal grid line at height y, labelled at its left."""
    return (f'<line x1="{x1}" x2="{x2}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{x1 - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')


def polyline(out, xy, color, dash=""):
    """Append a line through the points xy ((x, y) pixel pairs), if any;
    dash: an SVG stroke-dasharray, "" for a solid line."""
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    if pts:
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" '
                   f'stroke-width="2"{extra}/>')


def legend(out, x, y, items, step):
    """Append a legend: (label, color) items from x along the baseline y,
    `step` pixels apart."""
    for label, color in items:
        out.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{color}"/>'
                   f'<text x="{x + 16}" y="{y}">{label}</text>')
        x += step


def write(out, path):
    """Close the chart lines `out` and write them to path, through a new
    file renamed into place: a viewer reloading a chart that a demo
    rewrites as it goes never sees half of one."""
    out.append("</svg>")
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(tmp, path)
