#!/usr/bin/env python3
# observability/tests/report-test.py: proves bin/report's figures against a real Prometheus holding synthetic stages
# (backfilled with promtool), in particular that every peak comes from whole minutes inside its stage: n/a for a
# stage shorter than a minute, never below the stage's mean, and never lifted by the stage before. Each check prints
# "ok   ..." or "FAIL ..."; the exit code is 1 when any failed. REPORT_TEST_ADDR picks the loopback address.
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = os.path.join(HERE, "..", "bin", "report")
PORT = 19091
STEP = 15  # the scrape interval of the synthetic data, as in prometheus.yml

# The stages, in seconds from the start of the data: (name, start, end). "short" is shorter than a minute and runs
# hot just before "long", whose windows must not reach back into it; "minute" is exactly one window long.
STAGES = [("short", 300, 340), ("long", 345, 525), ("minute", 600, 660)]
SPAN = 900
# Requests/s by latency class, as (start, end, rate) segments: "fast" lands in le=0.1, "slow" in le=0.5, "slowest"
# above 0.5. GET reads succeed; POST writes fail with 500 during "long" only.
READS = {"fast": [(345, 435, 8.0), (600, 660, 6.0)], "slow": [(435, 525, 14.0)], "slowest": [(300, 340, 30.0)]}
WRITES_500 = [(345, 525, 0.5)]
# Host CPU busy share (1 - idle) by segment; 0.05 outside them.
BUSY = [(300, 340, 0.9), (345, 435, 0.3), (435, 525, 0.5), (600, 660, 0.2)]
IDLE_BUSY = 0.05

FAILED = []


def ok(message):
    print(f"ok   {message}")


def fail(message):
    FAILED.append(message)
    print(f"FAIL {message}")


def integral(segments, t, base=0.0):
    """The integral of a piecewise-constant rate from 0 to t (base outside the segments)."""
    total = base * t
    for start, end, rate in segments:
        total += (rate - base) * max(0.0, min(t, end) - start)
    return total


def openmetrics(t0):
    """The synthetic data as OpenMetrics text, samples every STEP seconds from t0."""
    times = range(0, SPAN + 1, STEP)
    lines = ["# TYPE loadtest_stage_start_timestamp_seconds gauge",
             "# TYPE loadtest_stage_end_timestamp_seconds gauge"]
    for kind, index in (("start", 1), ("end", 2)):
        name = f"loadtest_stage_{kind}_timestamp_seconds"
        for stage in STAGES:
            lines += [f'{name}{{job="loadgen",stage="{stage[0]}"}} {t0 + stage[index] if t >= stage[index] else 0} '
                      f'{t0 + t}' for t in times]
    lines.append("# TYPE http_server_requests_seconds histogram")
    reads = 'job="order-api",instance="api-1",method="GET",route="/api/order/{id}",status="200"'
    writes = 'job="order-api",instance="api-1",method="POST",route="/api/order",status="500"'
    for labels, buckets in ((reads, READS), (writes, {"fast": WRITES_500, "slow": [], "slowest": []})):
        for t in times:
            fast, slow, slowest = (integral(buckets[k], t) for k in ("fast", "slow", "slowest"))
            for le, count in (("0.1", fast), ("0.5", fast + slow), ("+Inf", fast + slow + slowest)):
                lines.append(f'http_server_requests_seconds_bucket{{{labels},le="{le}"}} {count} {t0 + t}')
            lines.append(f'http_server_requests_seconds_count{{{labels}}} {fast + slow + slowest} {t0 + t}')
            lines.append(f'http_server_requests_seconds_sum{{{labels}}} {0.05 * fast + 0.3 * slow + slowest} {t0 + t}')
    lines.append("# TYPE node_cpu_seconds counter")
    for role in ("api", "db"):
        for t in times:
            idle = t - integral(BUSY, t, IDLE_BUSY)
            lines.append(f'node_cpu_seconds_total{{job="node",instance="{role}-1",role="{role}",cpu="0",mode="idle"}} '
                         f'{idle} {t0 + t}')
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def free_address():
    for last in range(11, 30):
        addr = f"127.0.9.{last}"
        with socket.socket() as s:
            # As Prometheus binds: a port left in TIME_WAIT by an earlier run is free.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((addr, PORT))
                return addr
            except OSError:
                continue
    sys.exit(f"FAIL no free address in 127.0.9.11-29 for port {PORT}")


def wait_ready(url, proc, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def check_figures(stages):
    pairs = [("api_latency_peak_p95_1m_s", "api_latency_p95_s"), ("requests_per_s_peak", "requests_per_s_mean"),
             ("error_ratio_peak", "error_ratio"), ("api_cpu_peak", "api_cpu_mean"), ("db_cpu_peak", "db_cpu_mean")]
    names = [s["stage"] for s in stages]
    if names == [s[0] for s in STAGES]:
        ok(f"report: found the stages {', '.join(names)}")
    else:
        fail(f"report: found the stages {names}, not {[s[0] for s in STAGES]}")
    by_name = {s["stage"]: s["figures"] for s in stages}

    short = by_name.get("short", {})
    mean = short.get("requests_per_s_mean")
    if mean is not None and abs(mean - 30) < 0.5:
        ok(f"report: short stage (40 s) requests/s mean {mean:.1f} (30 sent)")
    else:
        fail(f"report: short stage requests/s mean is {mean}, 30 were sent")
    defined = {peak: short.get(peak) for peak, _ in pairs if short.get(peak) is not None}
    if not defined:
        ok("report: short stage (40 s): every peak is n/a (no whole minute inside it)")
    else:
        fail(f"report: short stage (40 s) has peaks from windows reaching outside it: {defined}")

    for stage in ("long", "minute"):
        figures = by_name.get(stage, {})
        for peak, mean in pairs:
            p, m = figures.get(peak), figures.get(mean)
            if p is None or m is None:
                fail(f"report: {stage} stage: {peak} = {p}, {mean} = {m}; both should be defined")
            elif p >= m * (1 - 1e-9):
                ok(f"report: {stage} stage: {peak} {p:.4g} >= {mean} {m:.4g}")
            else:
                fail(f"report: {stage} stage: {peak} {p:.4g} is below {mean} {m:.4g}")

    # The stage before "long" ran at 30 requests/s and 90 % CPU; "long" itself peaks at 14.5 requests/s, 50 % CPU.
    long = by_name.get("long", {})
    for key, top in (("requests_per_s_peak", 14.5), ("api_cpu_peak", 0.5), ("db_cpu_peak", 0.5)):
        value = long.get(key)
        if value is not None and top * 0.98 <= value <= top * 1.02:
            ok(f"report: long stage {key} {value:.4g}: its own busiest minute ({top}), not the stage before")
        else:
            fail(f"report: long stage {key} is {value}; its busiest minute inside the stage is {top}")


def check_markdown(path):
    with open(path, encoding="utf-8") as f:
        rows = {line.split(" | ")[0].lstrip("| "): line.strip("| \n").split(" | ") for line in f
                if line.startswith("| ")}
    header, short = rows.get("stage"), rows.get("short")
    if not header or not short:
        fail(f"report.md: no summary row for the short stage in {path}")
        return
    peaks = [column for column in header if "peak minute" in column or "1-min" in column]
    cells = {column: short[header.index(column)] for column in peaks}
    if peaks and all(value == "n/a" for value in cells.values()):
        ok(f"report.md: the short stage's {len(peaks)} peak columns say n/a")
    else:
        fail(f"report.md: the short stage's peak columns are {cells}")


def main():
    tmp = tempfile.mkdtemp(prefix="report-test-")
    proc = None
    # A Ctrl-C or kill still stops Prometheus (through the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    try:
        t0 = (int(time.time()) - 3600) // STEP * STEP
        with open(os.path.join(tmp, "data.om"), "w", encoding="utf-8") as f:
            f.write(openmetrics(t0))
        data = os.path.join(tmp, "data")
        subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "-q", os.path.join(tmp, "data.om"),
                        data], check=True, capture_output=True, text=True, timeout=120)
        with open(os.path.join(tmp, "prometheus.yml"), "w", encoding="utf-8") as f:
            f.write("global:\n  scrape_interval: 15s\n")
        addr = free_address()
        url = f"http://{addr}:{PORT}"
        with open(os.path.join(tmp, "prometheus.log"), "w", encoding="utf-8") as log:
            proc = subprocess.Popen(["prometheus", f"--config.file={tmp}/prometheus.yml",
                                     f"--storage.tsdb.path={data}", f"--web.listen-address={addr}:{PORT}"],
                                    stdout=log, stderr=subprocess.STDOUT)
        if not wait_ready(url, proc, 60):
            with open(os.path.join(tmp, "prometheus.log"), encoding="utf-8") as f:
                fail("Prometheus did not become ready in 60 s:\n" + "".join(f.readlines()[-10:]))
            return 1
        ok(f"Prometheus on {url} holds {SPAN} s of synthetic stages (promtool backfill)")

        out = os.path.join(tmp, "report")
        run = subprocess.run([sys.executable, REPORT, "--prometheus", url, "--out", out, "--lookback", "3h"],
                             capture_output=True, text=True, timeout=120)
        if run.returncode != 0:
            fail(f"report exited {run.returncode}: {run.stderr.strip()[-2000:]}")
            return 1
        with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
            check_figures(json.load(f)["stages"])
        check_markdown(os.path.join(out, "report.md"))
    except (OSError, subprocess.SubprocessError) as e:
        fail(f"report test setup: {e}")
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
