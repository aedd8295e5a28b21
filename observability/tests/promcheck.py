#!/usr/bin/env python3
# observability/tests/promcheck.py: the assertions of observability/test.sh, against dashboard files and a live
# Prometheus. Each check prints one line, "ok   ..." or "FAIL ..."; the exit code is 1 when any check failed.
#
#   promcheck.py static DASHBOARDS PROVISIONING RULES RUNBOOK   dashboards and provisioning, statically
#   promcheck.py coverage RULES TESTS                            every rule covered by the promtool tests
#   promcheck.py targets URL                                    every active target is up
#   promcheck.py rules URL START                                every rule healthy, every recording rule has data
#   promcheck.py dashboards URL START DASHBOARDS                every panel, variable and annotation query has data
#   promcheck.py no-firing URL                                  no alert is firing
#   promcheck.py wait-alerts URL active|inactive SECONDS NAME...  each alert pending/firing (or gone) in time
#
# START is a Unix time: data is looked for between it and now, as Grafana would over that range.
import glob
import json
import os
import re
import sys
import time
import urllib.parse
import urllib.request

import yaml

FAILED = []

# Panels that cannot return data on the local MariaDB but do on MySQL 8 (the AWS database), with the reason.
# Keyed by (dashboard uid, panel title, refId).
MARIADB_GAPS = {
    ("database", "Row operations", "A"):
        "MariaDB has no Innodb_rows_* status variables, so mysqld_exporter exposes no "
        "mysql_global_status_innodb_row_ops_total; MySQL 8 does (target B, handler calls, covers MariaDB)",
}
UNITS_NEEDED = {"timeseries", "stat", "heatmap", "gauge", "bargauge"}
VAR_RE = re.compile(r"\$(\w+)|\$\{(\w+)\}")


def ok(message):
    print(f"ok   {message}")


def fail(message):
    FAILED.append(message)
    print(f"FAIL {message}")


def api(url, path, **params):
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{url}/api/v1/{path}?{query}" if params else f"{url}/api/v1/{path}",
                                timeout=30) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(f"{path}: {body}")
    return body["data"]


def series_over(url, expr, start):
    """The series an expression returns between START and now (15 s steps), as a Grafana panel would draw."""
    end = time.time()
    step = max(15, int((end - start) / 600) + 1)
    return api(url, "query_range", query=expr, start=f"{start:.3f}", end=f"{end:.3f}", step=step)["result"]


def expand(expr):
    """A panel query made runnable: Grafana's interval macro as 1m, every template variable as 'anything'."""
    expr = expr.replace("$__rate_interval", "1m").replace("$__interval", "1m").replace("$__range", "1h")
    return VAR_RE.sub(".*", expr)


def dashboards(directory):
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        with open(path, encoding="utf-8") as f:
            yield path, json.load(f)


def panels(board):
    for p in board.get("panels", []):
        yield p
        yield from p.get("panels", [])


# ------------------------------------------------------------------------------------------------------ static
def check_static(dash_dir, prov_dir, rules_dir, runbook):
    with open(os.path.join(prov_dir, "datasources", "prometheus.yml"), encoding="utf-8") as f:
        ds = yaml.safe_load(f)["datasources"][0]
    uid = ds["uid"]
    if ds["url"] == "${PROMETHEUS_URL}" and ds["jsonData"]["timeInterval"] == "15s":
        ok("datasource: URL from ${PROMETHEUS_URL}, timeInterval = scrape interval (15s)")
    else:
        fail(f"datasource: url {ds['url']!r} / timeInterval {ds['jsonData'].get('timeInterval')!r}")
    with open(os.path.join(prov_dir, "dashboards", "prometheus-demo.yml"), encoding="utf-8") as f:
        provider = yaml.safe_load(f)["providers"][0]
    if provider["options"]["path"] == "${DASHBOARDS_DIR}" and provider["type"] == "file":
        ok("dashboard provider: file provider reading ${DASHBOARDS_DIR}")
    else:
        fail(f"dashboard provider: {provider}")
    titles = set()
    for path, board in dashboards(dash_dir):
        stem = os.path.basename(path)[:-5]
        problems = []
        text = json.dumps(board)
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", stem):
            problems.append("file name is not kebab-case")
        if board.get("uid") != stem:
            problems.append(f"uid {board.get('uid')!r} is not the file stem")
        if board.get("id", "missing") is not None:
            problems.append('"id" is not null')
        if "__inputs" in board or "${DS_" in text:
            problems.append("exported-for-sharing leftovers (__inputs or ${DS_)")
        if not board.get("title", "").startswith("Prometheus demo / ") or board["title"] in titles:
            problems.append("title lacks the shared prefix or is not unique")
        titles.add(board.get("title"))
        if "prometheus-demo" not in board.get("tags", []):
            problems.append("tag prometheus-demo missing")
        if not board.get("refresh") or not board.get("time"):
            problems.append("no refresh or time range")
        if not any("loadtest_stage_info" in a.get("expr", "") for a in board.get("annotations", {}).get("list", [])):
            problems.append("no load-stage annotation")
        for p in panels(board):
            if p["type"] == "row":
                continue
            where = f"panel {p.get('title')!r}"
            if p.get("datasource", {}).get("uid") != uid:
                problems.append(f"{where}: datasource uid is not {uid!r}")
            if p["type"] in UNITS_NEEDED and not p.get("fieldConfig", {}).get("defaults", {}).get("unit"):
                problems.append(f"{where}: no unit")
            if not p.get("description"):
                problems.append(f"{where}: no description")
            for t in p.get("targets", []):
                expr = t.get("expr", "")
                if t.get("datasource", {}).get("uid") != uid:
                    problems.append(f"{where} {t.get('refId')}: datasource uid is not {uid!r}")
                for fn in re.findall(r"\b(?:rate|increase|irate)\([^\[]*\[([^\]]+)\]", expr):
                    if fn != "$__rate_interval":
                        problems.append(f"{where} {t.get('refId')}: rate window {fn} instead of $__rate_interval")
                if p["type"] == "heatmap" and (t.get("format") != "heatmap" or "le)" not in expr):
                    problems.append(f"{where}: heatmap target needs format heatmap and a by (le) aggregation")
        for v in board.get("templating", {}).get("list", []):
            if v.get("type") == "query" and v.get("datasource", {}).get("uid") != uid:
                problems.append(f"variable {v.get('name')}: datasource uid is not {uid!r}")
        if problems:
            fail(f"{stem}.json: " + "; ".join(problems))
        else:
            ok(f"{stem}.json: uid, id, title, tags, units, descriptions, datasource, $__rate_interval, stages")
    # Every alert links to a section of the runbook that exists.
    with open(runbook, encoding="utf-8") as f:
        anchors = {re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
                   for line in f if line.startswith("#")}
    missing = []
    for path in sorted(glob.glob(os.path.join(rules_dir, "*.yml"))):
        with open(path, encoding="utf-8") as f:
            for group in yaml.safe_load(f)["groups"]:
                for rule in group["rules"]:
                    if "alert" not in rule:
                        continue
                    a = rule.get("annotations", {})
                    link = a.get("runbook_url", "")
                    if not (rule.get("labels", {}).get("severity") and a.get("summary") and a.get("description")):
                        missing.append(f"{rule['alert']}: severity, summary or description missing")
                    if not link.startswith("docs/runbook.md#") or link.split("#", 1)[1] not in anchors:
                        missing.append(f"{rule['alert']}: runbook link {link!r} has no section in {runbook}")
    if missing:
        fail("alerts: " + "; ".join(sorted(set(missing))))
    else:
        ok("alerts: severity, summary, description, and a runbook link to an existing section on every alert")


def check_coverage(rules_dir, tests_dir):
    """Every recording rule has an expression test; every alert (each severity) a test where it is not yet firing
    and one where it fires. (promtool proves the tests themselves.)"""
    records, alerts = set(), set()
    for path in glob.glob(os.path.join(rules_dir, "*.yml")):
        with open(path, encoding="utf-8") as f:
            for group in yaml.safe_load(f)["groups"]:
                for rule in group["rules"]:
                    if "record" in rule:
                        records.add(rule["record"])
                    else:
                        alerts.add((rule["alert"], rule["labels"]["severity"]))
    tested_exprs, quiet, firing = set(), set(), set()
    for path in glob.glob(os.path.join(tests_dir, "*.yml")):
        with open(path, encoding="utf-8") as f:
            for test in yaml.safe_load(f)["tests"]:
                for t in test.get("promql_expr_test", []):
                    tested_exprs.update(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", t["expr"]))
                for t in test.get("alert_rule_test", []):
                    if t.get("exp_alerts"):
                        firing.update((t["alertname"], a["exp_labels"]["severity"]) for a in t["exp_alerts"])
                    else:
                        quiet.add(t["alertname"])
    untested = sorted(records - tested_exprs)
    (fail if untested else ok)(f"rule tests: {len(records)} recording rules, every one with an expression test"
                               + (f"; missing: {', '.join(untested)}" if untested else ""))
    gaps = sorted(f"{a}/{s}" for a, s in alerts if (a, s) not in firing or a not in quiet)
    (fail if gaps else ok)(f"rule tests: {len(alerts)} alerts, every one tested quiet and firing"
                           + (f"; missing: {', '.join(gaps)}" if gaps else ""))


# --------------------------------------------------------------------------------------------------------- live
def check_targets(url):
    for t in sorted(api(url, "targets", state="active")["activeTargets"],
                    key=lambda t: (t["labels"]["job"], t["labels"]["instance"])):
        labels = t["labels"]
        name = f"{labels['job']} {labels['instance']} (role {labels.get('role')})"
        if t["health"] == "up" and labels.get("role") and labels["instance"].startswith("local-"):
            ok(f"target up: {name}")
        else:
            fail(f"target {name}: health {t['health']} {t.get('lastError', '')}")


def check_rules(url, start):
    for group in api(url, "rules")["groups"]:
        for rule in group["rules"]:
            name = rule["name"]
            if rule["health"] != "ok":
                fail(f"rule {group['name']}/{name}: health {rule['health']}: {rule.get('lastError')}")
            elif rule["type"] == "recording":
                n = len(series_over(url, name, start))
                (ok if n else fail)(f"recording rule {name}: {n} series")


def check_dashboards(url, start, directory):
    for path, board in dashboards(directory):
        uid = board["uid"]
        for v in board.get("templating", {}).get("list", []):
            if v.get("type") != "query":
                continue
            m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", v["query"]["query"])
            if not m:
                fail(f"{uid} variable {v['name']}: unsupported query {v['query']['query']!r}")
                continue
            values = {s["metric"].get(m.group(2)) for s in series_over(url, expand(m.group(1)), start)} - {None}
            (ok if values else fail)(f"{uid} variable ${v['name']}: {len(values)} values ({', '.join(sorted(values))})")
        for a in board.get("annotations", {}).get("list", []):
            if "expr" in a:
                n = len(series_over(url, expand(a["expr"]), start))
                (ok if n else fail)(f"{uid} annotation {a['name']!r}: {n} series")
        for p in panels(board):
            for t in p.get("targets", []):
                key = (uid, p["title"], t["refId"])
                n = len(series_over(url, expand(t["expr"]), start))
                if key in MARIADB_GAPS:
                    print(f"ok   {uid} / {p['title']} / {t['refId']}: {n} series; not required on MariaDB: "
                          f"{MARIADB_GAPS[key]}")
                else:
                    (ok if n else fail)(f"{uid} / {p['title']} / {t['refId']}: {n} series")


def active_alerts(url):
    return api(url, "alerts")["alerts"]


def check_no_firing(url):
    alerts = active_alerts(url)
    firing = [a for a in alerts if a["state"] == "firing"]
    pending = sorted({a["labels"]["alertname"] for a in alerts if a["state"] == "pending"})
    if firing:
        fail("alerts firing under normal load: " + ", ".join(
            f"{a['labels']['alertname']}{{instance={a['labels'].get('instance', '')}}}" for a in firing))
    else:
        ok("no alert firing under normal load" + (f" (pending, not firing: {', '.join(pending)})" if pending else ""))


def wait_alerts(url, want, seconds, names):
    deadline = time.time() + seconds
    started = time.time()
    remaining = set(names)
    while remaining and time.time() < deadline:
        states = {}
        for a in active_alerts(url):
            states.setdefault(a["labels"]["alertname"], set()).add(a["state"])
        for name in sorted(remaining):
            if (want == "active") == (name in states):
                ok(f"{name} {'is ' + '/'.join(sorted(states[name])) if name in states else 'cleared'} "
                   f"after {time.time() - started:.0f}s")
                remaining.discard(name)
        if remaining:
            time.sleep(3)
    for name in sorted(remaining):
        fail(f"{name} did not {'go pending or firing' if want == 'active' else 'clear'} within {seconds}s")


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "static":
        check_static(*argv[2:6])
    elif command == "coverage":
        check_coverage(argv[2], argv[3])
    elif command == "targets":
        check_targets(argv[2])
    elif command == "rules":
        check_rules(argv[2], float(argv[3]))
    elif command == "dashboards":
        check_dashboards(argv[2], float(argv[3]), argv[4])
    elif command == "no-firing":
        check_no_firing(argv[2])
    elif command == "wait-alerts":
        wait_alerts(argv[2], argv[3], int(argv[4]), argv[5:])
    else:
        sys.exit(__doc__ or "see the header of promcheck.py")
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main(sys.argv)
