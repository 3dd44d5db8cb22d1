#!/usr/bin/env python3
"""Merges benchmark CSVs (PyTorch's gan_step.py and GanDsl's) into one Markdown table.

    python3 bench/pytorch/compare.py gandsl-*.csv pytorch-*.csv > table.md

Input columns: framework,model,mode,batch,us_per_step,images_per_s,device.  Files may be concatenated
(repeated header lines are skipped), and lines starting with '#' are ignored; '-' reads stdin.

Table rows are (model, timing, batch), where timing is whatever follows the first '-' in the mode
('eager-epoch' is mode 'eager', timing 'epoch'; plain modes are timing 'step').  Columns are
microseconds per step for each (framework, mode) present, then two ratios, each the PyTorch time
over GanDsl's graph time ("5.30x": GanDsl's graph mode is 5.3 times as fast):
    gandsl graph vs pytorch eager, gandsl graph vs pytorch compile.
A row found more than once (repeated runs) shows the median.  Missing entries show '-'.
Only compare numbers from the same card: the devices behind every column are listed under the table.
"""

import argparse
import csv
import statistics
import sys
from collections import defaultdict

REQUIRED = ["framework", "model", "mode", "batch", "us_per_step", "device"]
FRAMEWORK_ORDER = ["gandsl", "pytorch"]
MODE_ORDER = ["eager", "graph", "onestream", "compile", "cudagraph", "cpu"]
MODEL_ORDER = ["mlp", "dcgan"]
RATIOS = [(("gandsl", "graph"), ("pytorch", "eager")),
          (("gandsl", "graph"), ("pytorch", "compile"))]


def order_key(value, preferred):
    return (preferred.index(value), "") if value in preferred else (len(preferred), value)


def read_rows(path):
    """Yields dicts from one CSV file (or stdin), skipping comments, blank and repeated header lines."""
    stream = sys.stdin if path == "-" else open(path, newline="", encoding="utf-8")
    try:
        lines = [line for line in stream if line.strip() and not line.lstrip().startswith("#")]
    finally:
        if stream is not sys.stdin:
            stream.close()
    header = None
    for fields in csv.reader(lines):
        fields = [f.strip() for f in fields]
        if fields and fields[0] == "framework":
            header = fields
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise SystemExit(f"{path}: header lacks {', '.join(missing)}")
            continue
        if header is None:
            raise SystemExit(f"{path}: data before a header line")
        if len(fields) != len(header):
            print(f"{path}: skipping malformed line: {','.join(fields)}", file=sys.stderr)
            continue
        yield dict(zip(header, fields))


def parse(paths):
    """{(model, timing, batch): {(framework, mode): [us, ...]}} and {(framework, mode): {devices}}."""
    table = defaultdict(lambda: defaultdict(list))
    devices = defaultdict(set)
    for path in paths:
        for row in read_rows(path):
            try:
                batch = int(row["batch"])
                us = float(row["us_per_step"])
            except ValueError:
                print(f"{path}: skipping line with a bad number: {row}", file=sys.stderr)
                continue
            mode, _, timing = row["mode"].partition("-")
            column = (row["framework"], mode)
            table[(row["model"], timing or "step", batch)][column].append(us)
            devices[column].add(row["device"])
    return table, devices


def fmt_ratio(cells, numerator, denominator):
    """numerator's time over denominator's time, e.g. pytorch eager / gandsl graph."""
    slow, fast = cells.get(numerator), cells.get(denominator)
    if slow is None or fast is None or fast <= 0:
        return "-"
    return f"{slow / fast:.2f}x"


def render(table, devices):
    columns = sorted({c for cells in table.values() for c in cells},
                     key=lambda c: (order_key(c[0], FRAMEWORK_ORDER), order_key(c[1], MODE_ORDER)))
    timings = {key[1] for key in table}
    show_timing = timings != {"step"}
    header = ["model"] + (["timing"] if show_timing else []) + ["batch"]
    header += [f"{fw} {mode} (us)" for fw, mode in columns]
    header += [f"{a[0]} {a[1]} vs {b[0]} {b[1]}" for a, b in RATIOS]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(["---"] * (2 + show_timing) + ["---:"] * (len(header) - 2 - show_timing)) + "|"]
    repeated = False
    for key in sorted(table, key=lambda k: (order_key(k[0], MODEL_ORDER), order_key(k[1], ["step"]), k[2])):
        model, timing, batch = key
        cells = {}
        for column, values in table[key].items():
            cells[column] = statistics.median(values)
            repeated |= len(values) > 1
        row = [model] + ([timing] if show_timing else []) + [str(batch)]
        row += [f"{cells[c]:.1f}" if c in cells else "-" for c in columns]
        row += [fmt_ratio(cells, b, a) for a, b in RATIOS]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("Ratios: PyTorch's time over GanDsl's graph time (above 1: GanDsl is faster).")
    if repeated:
        lines.append("Entries measured more than once show the median.")
    lines.append("Devices: " + "; ".join(
        f"{fw} {mode}: {', '.join(sorted(devices[(fw, mode)]))}" for fw, mode in columns) + ".")
    gpu_devices = {d for (fw, mode), ds in devices.items() if mode != "cpu" for d in ds}
    if len(gpu_devices) > 1:
        lines.append(f"WARNING: the non-CPU columns come from {len(gpu_devices)} different devices; "
                     "compare only numbers from the same card.")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description="Markdown table from gan_step.py and GanDsl benchmark CSVs.")
    p.add_argument("files", nargs="+", help="CSV files ('-' for stdin)")
    args = p.parse_args(argv)
    table, devices = parse(args.files)
    if not table:
        print("no data rows found", file=sys.stderr)
        return 1
    print(render(table, devices))
    return 0


if __name__ == "__main__":
    sys.exit(main())
