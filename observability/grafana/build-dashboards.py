#!/usr/bin/env python3
# observability/grafana/build-dashboards.py: writes the dashboards in dashboards/ from the panel lists below.
# Run it after editing a panel and commit both; test.sh fails when the committed JSON differs from its output.
#   build-dashboards.py [OUTDIR]    (default: dashboards/ beside this file)
#
# Conventions (docs: observability/README.md): file name kebab-case and uid = file stem, "id": null, the provisioned
# datasource uid `prometheus`, a unit and a description on every panel, `$__rate_interval` in every rate, the
# title prefix "Prometheus demo / ", the tag `prometheus-demo`, and load stages as region annotations.
import json
import os
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboards")
DS = {"type": "prometheus", "uid": "prometheus"}
PREFIX = "Prometheus demo / "
TAGS = ["prometheus-demo"]
RI = "$__rate_interval"
NET = 'device!~"lo|veth.+|docker.+"'


def target(expr, legend="", ref="A", **extra):
    t = {"datasource": DS, "refId": ref, "expr": expr, "legendFormat": legend, "range": True}
    t.update(extra)
    return t


def panel(kind, title, description, unit, targets, w=12, h=8, **opts):
    """A panel; the layout is filled in by dashboard()."""
    p = {"type": kind, "title": title, "description": description, "datasource": DS,
         "targets": [target(*t) if isinstance(t, tuple) else t for t in targets],
         "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
         "gridPos": {"w": w, "h": h}}
    d = p["fieldConfig"]["defaults"]
    if kind == "timeseries":
        d["custom"] = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
                       "stacking": {"mode": opts.get("stack", "none"), "group": "A"}}
        p["options"] = {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["mean", "max"]},
                        "tooltip": {"mode": "multi", "sort": "desc"}}
    elif kind == "stat":
        p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "background", "graphMode": "area", "textMode": "auto"}
        steps = [{"color": "green", "value": None}]
        for value, colour in opts.get("thresholds", []):
            steps.append({"color": colour, "value": value})
        d["thresholds"] = {"mode": "absolute", "steps": steps}
        d["color"] = {"mode": "thresholds"}
    elif kind == "heatmap":
        p["options"] = {"calculate": False, "yAxis": {"unit": unit, "axisPlacement": "left"},
                        "color": {"mode": "scheme", "scheme": "Oranges", "steps": 64, "exponent": 0.5},
                        "cellGap": 1, "tooltip": {"show": True, "yHistogram": True},
                        "rowsFrame": {"layout": "auto"}, "legend": {"show": True}}
    for key in ("min", "max"):
        if key in opts:
            d[key] = opts[key]
    if "no_value" in opts:
        d["noValue"] = opts["no_value"]
    return p


def query_var(name, label, query, multi=True, include_all=True, all_value=".*"):
    return {"name": name, "label": label, "type": "query", "datasource": DS,
            "query": {"query": query, "refId": name}, "definition": query, "refresh": 2, "sort": 1,
            "multi": multi, "includeAll": include_all, "allValue": all_value,
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "options": [], "hide": 0}


def dashboard(stem, title, description, variables, rows):
    """rows: list of (row title, [panels]); panels are laid out left to right, 24 columns wide."""
    panels, y, pid = [], 0, 1
    for row_title, row_panels in rows:
        panels.append({"type": "row", "title": row_title, "id": pid, "collapsed": False,
                       "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}, "panels": []})
        pid, y, x, row_h = pid + 1, y + 1, 0, 0
        for p in row_panels:
            if x + p["gridPos"]["w"] > 24:
                x, y, row_h = 0, y + row_h, 0
            p["gridPos"].update({"x": x, "y": y})
            p["id"] = pid
            pid, x, row_h = pid + 1, x + p["gridPos"]["w"], max(row_h, p["gridPos"]["h"])
            panels.append(p)
        y += row_h
    return {
        "id": None, "uid": stem, "title": PREFIX + title, "description": description, "tags": TAGS,
        "timezone": "utc", "editable": False, "graphTooltip": 1, "refresh": "30s", "schemaVersion": 39,
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {"refresh_intervals": ["10s", "30s", "1m", "5m", "15m"]},
        "links": [{"type": "dashboards", "title": "Prometheus demo", "tags": TAGS, "asDropdown": True,
                   "includeVars": False, "keepTime": True, "targetBlank": False, "icon": "external link"}],
        "annotations": {"list": [
            {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
             "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"},
            # One region per load stage, while the generator reports it running (loadtest_stage_info == 1).
            {"name": "Load stages", "datasource": DS, "enable": True, "iconColor": "purple",
             "expr": 'max by (stage) (loadtest_stage_info{job="loadgen"}) > 0', "step": "15s",
             "titleFormat": "Stage {{stage}}", "tagKeys": "stage", "textFormat": "load stage {{stage}} running",
             "useValueForTime": False},
        ]},
        "templating": {"list": variables},
        "panels": panels,
    }


# --------------------------------------------------------------------------------------------------- Infrastructure
NODE = 'job="node",role=~"$role",instance=~"$instance"'
infrastructure = dashboard(
    "infrastructure", "Infrastructure",
    "CPU, memory, network and disk of every host (node_exporter). Locally all four roles measure the same machine.",
    [query_var("role", "Role", 'label_values(up{job="node"}, role)'),
     query_var("instance", "Instance", 'label_values(up{job="node",role=~"$role"}, instance)')],
    [("Utilisation", [
        panel("stat", "API host CPU", "CPU utilisation of the API hosts now (not idle, iowait or steal).",
              "percentunit", [('instance:node_cpu_utilisation:rate1m{job="node",role="api"}', "{{instance}}")],
              w=6, h=4, min=0, max=1, thresholds=[(0.8, "orange"), (0.95, "red")]),
        panel("stat", "DB host CPU", "CPU utilisation of the database host now; DbHostCpuHigh fires above 95% for 5m.",
              "percentunit", [('instance:node_cpu_utilisation:rate1m{job="node",role="db"}', "{{instance}}")],
              w=6, h=4, min=0, max=1, thresholds=[(0.8, "orange"), (0.95, "red")],
              no_value="no database host (RDS): see CloudWatch AWS/RDS CPUUtilization"),
        panel("stat", "API host memory", "Memory in use on the API hosts (1 - MemAvailable / MemTotal).",
              "percentunit", [('instance:node_memory_utilisation:ratio{job="node",role="api"}', "{{instance}}")],
              w=6, h=4, min=0, max=1, thresholds=[(0.8, "orange"), (0.9, "red")]),
        panel("stat", "DB host memory", "Memory in use on the database host; HostMemoryHigh fires above 90% for 5m.",
              "percentunit", [('instance:node_memory_utilisation:ratio{job="node",role="db"}', "{{instance}}")],
              w=6, h=4, min=0, max=1, thresholds=[(0.8, "orange"), (0.9, "red")],
              no_value="no database host (RDS): see CloudWatch AWS/RDS FreeableMemory"),
    ]),
     ("CPU and memory", [
         panel("timeseries", "CPU utilisation", "Share of CPU time not idle, iowait or steal, averaged over CPUs.",
               "percentunit", [(f"1 - avg by (instance) (sum by (instance, cpu) (rate(node_cpu_seconds_total"
                                f'{{{NODE},mode=~"idle|iowait|steal"}}[{RI}])))', "{{instance}}")], min=0, max=1),
         panel("timeseries", "CPU by mode", "CPU time by mode, in CPUs. On t3 instances watch steal: credits ran out.",
               "short", [(f'sum by (instance, mode) (rate(node_cpu_seconds_total{{{NODE},mode!="idle"}}[{RI}]))',
                          "{{instance}} {{mode}}")], stack="normal"),
         panel("timeseries", "Memory utilisation", "Share of memory in use (1 - MemAvailable / MemTotal).",
               "percentunit", [(f"instance:node_memory_utilisation:ratio{{{NODE}}}", "{{instance}}")], min=0, max=1),
         panel("timeseries", "Memory used", "Bytes in use (MemTotal - MemAvailable) against the total.", "bytes",
               [(f"node_memory_MemTotal_bytes{{{NODE}}} - node_memory_MemAvailable_bytes{{{NODE}}}",
                 "{{instance}} used"),
                (f"node_memory_MemTotal_bytes{{{NODE}}}", "{{instance}} total", "B")]),
         panel("timeseries", "Load average", "1-minute load average: runnable and uninterruptible tasks.", "short",
               [(f"node_load1{{{NODE}}}", "{{instance}}")]),
     ]),
     ("Network and disk", [
         panel("timeseries", "Network received", "Bytes per second received, all interfaces but loopback.", "Bps",
               [(f"sum by (instance) (rate(node_network_receive_bytes_total{{{NODE},{NET}}}[{RI}]))",
                 "{{instance}}")]),
         panel("timeseries", "Network sent", "Bytes per second sent, all interfaces but loopback.", "Bps",
               [(f"sum by (instance) (rate(node_network_transmit_bytes_total{{{NODE},{NET}}}[{RI}]))",
                 "{{instance}}")]),
         panel("timeseries", "Disk read and written", "Bytes per second read from and written to the disks.", "Bps",
               [(f"sum by (instance) (rate(node_disk_read_bytes_total{{{NODE}}}[{RI}]))", "{{instance}} read"),
                (f"sum by (instance) (rate(node_disk_written_bytes_total{{{NODE}}}[{RI}]))", "{{instance}} written",
                 "B")]),
         panel("timeseries", "Disk busy", "Share of time each disk was busy with I/O (saturation near 100%).",
               "percentunit", [(f"rate(node_disk_io_time_seconds_total{{{NODE}}}[{RI}])",
                                "{{instance}} {{device}}")], min=0, max=1),
         panel("timeseries", "Filesystem free", "Share of each real filesystem that is free.", "percentunit",
               [(f"instance_mountpoint:node_filesystem_avail_bytes_per_size:ratio{{{NODE}}}",
                 "{{instance}} {{mountpoint}}")], w=24, min=0, max=1),
     ])])

# ------------------------------------------------------------------------------------------ Application performance
API = 'job="order-api",instance=~"$instance"'
READ = f'{API},method="GET",route="/api/order/{{id}}"'
application = dashboard(
    "application-performance", "Application performance",
    "The order API as its own metrics see it: latency, throughput and errors by route, the pool and the JVM.",
    [query_var("instance", "Instance", 'label_values(up{job="order-api"}, instance)'),
     query_var("route", "Route", 'label_values(http_server_requests_seconds_count{job="order-api"}, route)')],
    [("Summary", [
        panel("stat", "Read p95", "p95 latency of GET /api/order/{id}; the spec's bound is 300 ms.", "s",
              [(f"histogram_quantile(0.95, sum by (le) (rate(http_server_requests_seconds_bucket{{{READ}}}[{RI}])))",
                "p95")], w=6, h=4, thresholds=[(0.1, "orange"), (0.3, "red")]),
        panel("stat", "Requests/s", "Requests per second to the whole API.", "reqps",
              [(f"sum(rate(http_server_requests_seconds_count{{{API}}}[{RI}]))", "requests/s")], w=6, h=4),
        panel("stat", "Error ratio", "Share of requests answered 5xx; the validation bound is 5%.", "percentunit",
              [(f'(sum(rate(http_server_requests_seconds_count{{{API},status=~"5.."}}[{RI}])) or vector(0))'
                f" / sum(rate(http_server_requests_seconds_count{{{API}}}[{RI}]))", "errors")],
              w=6, h=4, min=0, thresholds=[(0.01, "orange"), (0.05, "red")]),
        panel("stat", "Orders placed/s", "Orders created per second (POST /api/order answered 201).", "ops",
              [(f"sum(rate(orders_placed_total{{{API}}}[{RI}]))", "orders/s")], w=6, h=4),
    ]),
     ("Latency", [
         panel("timeseries", "p95 latency by route", "p95 server-side latency by route and method.", "s",
               [(f"histogram_quantile(0.95, sum by (route, method, le) (rate(http_server_requests_seconds_bucket"
                 f'{{{API},route=~"$route"}}[{RI}])))', "{{method}} {{route}}")]),
         panel("timeseries", "p50 / p99 by route", "Median and p99 server-side latency by route.", "s",
               [(f"histogram_quantile(0.5, sum by (route, le) (rate(http_server_requests_seconds_bucket"
                 f'{{{API},route=~"$route"}}[{RI}])))', "p50 {{route}}"),
                (f"histogram_quantile(0.99, sum by (route, le) (rate(http_server_requests_seconds_bucket"
                 f'{{{API},route=~"$route"}}[{RI}])))', "p99 {{route}}", "B")]),
         panel("heatmap", "Latency heatmap", "Requests per latency bucket over time (the histogram's buckets).", "s",
               [target(f"sum by (le) (increase(http_server_requests_seconds_bucket{{{API},route=~\"$route\"}}[{RI}]))",
                       "{{le}}", format="heatmap")], w=24),
     ]),
     ("Throughput and errors", [
         panel("timeseries", "Requests/s by route and status", "Requests per second by route and HTTP status.",
               "reqps", [(f'sum by (route, status) (rate(http_server_requests_seconds_count{{{API},route=~"$route"}}'
                          f"[{RI}]))", "{{route}} {{status}}")]),
         panel("timeseries", "Error ratio by route", "Share of requests answered 5xx by route (1-minute rate).",
               "percentunit", [('job_route:http_server_requests_errors_per_requests:ratio_rate1m{job="order-api",'
                                'route=~"$route"}', "{{route}}")], min=0),
         panel("timeseries", "Orders and items placed", "Orders and order items created per second.", "ops",
               [(f"sum(rate(orders_placed_total{{{API}}}[{RI}]))", "orders"),
                (f"sum(rate(order_items_placed_total{{{API}}}[{RI}]))", "items", "B")]),
         panel("timeseries", "Error budget burn", "5xx ratio over 5m and 1h against the 99.9% SLO (0.1% budget); "
               "the fast-burn alert needs both above 1.44%.", "percentunit",
               [('job:slo_errors_per_request:ratio_rate5m{job="order-api"}', "5m"),
                ('job:slo_errors_per_request:ratio_rate1h{job="order-api"}', "1h", "B")], min=0),
     ]),
     ("Hosts", [
         panel("timeseries", "Requests/s by host, and the total",
               "Requests per second served by each API host and by all of them. On AWS the load balancer spreads "
               "them (locally HAProxy, with ./demo up --api N): a host near 0 is out of its target group (readiness "
               "failing) or not registered.", "reqps",
               [(f"sum by (instance) (rate(http_server_requests_seconds_count{{{API}}}[{RI}]))", "{{instance}}"),
                (f"sum(rate(http_server_requests_seconds_count{{{API}}}[{RI}]))", "total", "B")], min=0),
         panel("timeseries", "p95 latency by host",
               "Server-side p95 over every route, per API host: one host slower than the others points at that "
               "host, not at the database they share.", "s",
               [(f"histogram_quantile(0.95, sum by (instance, le) (rate(http_server_requests_seconds_bucket"
                 f"{{{API}}}[{RI}])))", "{{instance}}")], min=0),
     ]),
     ("Overload", [
         panel("timeseries", "Requests shed at the concurrency limit",
               "Requests per second answered 503 with Retry-After by the server's AIMD concurrency limit (before "
               "routing, so they are not in the route panels), against those routed. OrderApiSheddingLoad fires "
               "when over 1% are shed for 5 minutes.", "reqps",
               [(f"sum(rate(aimd_rejected_requests{{{API}}}[{RI}]))", "shed"),
                (f"sum(rate(http_server_requests_seconds_count{{{API}}}[{RI}]))", "routed", "B")], min=0),
         panel("timeseries", "Concurrency limit and requests in flight",
               "The AIMD limit (it grows while half of it is in use and shrinks when requests take longer than its "
               "timeout), the requests it admitted in flight, and those waiting in its queue.", "short",
               [(f"sum by (instance) (aimd_limit{{{API}}})", "{{instance}} limit"),
                (f"sum by (instance) (aimd_concurrent_requests{{{API}}})", "{{instance}} in flight", "B"),
                (f"sum by (instance) (aimd_queue_length{{{API}}})", "{{instance}} queued", "C")], min=0),
     ]),
     ("Database access and JVM", [
         panel("timeseries", "Connection pools", "Pooled database connections by pool (orders: reads, "
               "orders-writes: writes) and state, against each pool's maximum.",
               "short", [(f"sum by (pool, state) (db_pool_connections{{{API}}})", "{{pool}} {{state}}"),
                         (f"sum by (pool) (db_pool_max_connections{{{API}}})", "{{pool}} max", "B")]),
         panel("timeseries", "Query p95 by statement (API side)", "p95 time of each statement as the API timed it.",
               "s", [(f"histogram_quantile(0.95, sum by (statement, le) (rate(db_query_duration_seconds_bucket"
                      f"{{{API}}}[{RI}])))", "{{statement}}")]),
         panel("timeseries", "Heap used", "JVM heap in use.", "bytes",
               [(f"sum by (instance) (memory_usedHeap_bytes{{{API}}})", "{{instance}}")], w=8),
         panel("timeseries", "GC time", "Share of wall time spent in garbage collection.", "percentunit",
               [(f"sum by (instance) (rate(gc_time_seconds_total{{{API}}}[{RI}]))", "{{instance}}")], w=8, min=0),
         panel("timeseries", "Process CPU and threads", "CPUs used by the API process, and its live threads.",
               "short", [(f"rate(process_cpu_seconds_total{{{API}}}[{RI}])", "{{instance}} CPUs"),
                         (f"thread_count{{{API}}}", "{{instance}} threads", "B")], w=8),
     ])])

# ------------------------------------------------------------------------------------------------------- Database
DB = 'job="mysqld",instance=~"$instance"'
database = dashboard(
    "database", "Database",
    "The database through mysqld_exporter: connections, queries and their time, slow queries, InnoDB buffer pool, "
    "row operations. Row operations by InnoDB need MySQL 8 (MariaDB has no Innodb_rows_*); handlers work on both.",
    [query_var("instance", "Instance", 'label_values(mysql_up{job="mysqld"}, instance)')],
    [("Summary", [
        panel("stat", "Database up", "1 when mysqld_exporter reaches the database (MysqlDown fires at 0 for 1m).",
              "bool_yes_no", [(f"mysql_up{{{DB}}}", "{{instance}}")], w=6, h=4, thresholds=[]),
        panel("stat", "Connections used", "Threads connected over max_connections (alert at 80% for 5m).",
              "percentunit", [(f"instance:mysql_connections_per_max:ratio{{{DB}}}", "{{instance}}")],
              w=6, h=4, min=0, max=1, thresholds=[(0.6, "orange"), (0.8, "red")]),
        panel("stat", "Buffer pool hit ratio", "Share of InnoDB page reads served from memory (5m).", "percentunit",
              [(f"instance:mysql_innodb_buffer_pool_hit:ratio_rate5m{{{DB}}}", "{{instance}}")],
              w=6, h=4, min=0, max=1),
        panel("stat", "Questions/s", "Statements sent by clients per second.", "ops",
              [(f"rate(mysql_global_status_questions{{{DB}}}[{RI}])", "{{instance}}")], w=6, h=4),
    ]),
     ("Connections and queries", [
         panel("timeseries", "Connections", "Connected and running threads against max_connections and the peak.",
               "short", [(f"mysql_global_status_threads_connected{{{DB}}}", "connected"),
                         (f"mysql_global_status_threads_running{{{DB}}}", "running", "B"),
                         (f"mysql_global_status_max_used_connections{{{DB}}}", "peak", "C"),
                         (f"mysql_global_variables_max_connections{{{DB}}}", "max", "D")]),
         panel("timeseries", "Query rate by command", "Statements per second by command.", "ops",
               [(f'sum by (command) (rate(mysql_global_status_commands_total{{{DB},'
                 f'command=~"select|insert|update|delete|begin|commit|rollback"}}[{RI}]))', "{{command}}")]),
         panel("timeseries", "Statement execution time", "Mean time per statement from performance_schema, beside "
               "the API's own p95 per statement.", "s",
               [(f"rate(mysql_perf_schema_events_statements_sum_timer_wait{{{DB}}}[{RI}])"
                 f" / clamp_min(rate(mysql_perf_schema_events_statements_sum_total{{{DB}}}[{RI}]), 1e-9)",
                 "mean (server)"),
                (f'histogram_quantile(0.95, sum by (statement, le) (rate(db_query_duration_seconds_bucket'
                 f'{{job="order-api"}}[{RI}])))', "p95 {{statement}} (API)", "B")]),
         panel("timeseries", "Slow queries", "Statements slower than long_query_time per second.", "ops",
               [(f"rate(mysql_global_status_slow_queries{{{DB}}}[{RI}])", "slow queries")]),
     ]),
     ("InnoDB", [
         panel("timeseries", "Buffer pool hit ratio", "Share of page reads served from the buffer pool.",
               "percentunit", [(f"1 - rate(mysql_global_status_innodb_buffer_pool_reads{{{DB}}}[{RI}]) / clamp_min("
                                f"rate(mysql_global_status_innodb_buffer_pool_read_requests{{{DB}}}[{RI}]), 1e-9)",
                                "hit ratio")], min=0, max=1),
         panel("timeseries", "Buffer pool reads", "Logical read requests and the reads that went to disk.", "ops",
               [(f"rate(mysql_global_status_innodb_buffer_pool_read_requests{{{DB}}}[{RI}])", "requests"),
                (f"rate(mysql_global_status_innodb_buffer_pool_reads{{{DB}}}[{RI}])", "from disk", "B")]),
         panel("timeseries", "Buffer pool pages", "Buffer pool pages by state, and dirty pages.", "short",
               [(f"sum by (state) (mysql_global_status_buffer_pool_pages{{{DB}}})", "{{state}}"),
                (f"mysql_global_status_buffer_pool_dirty_pages{{{DB}}}", "dirty", "B")]),
         panel("timeseries", "Row operations", "InnoDB rows read, inserted, updated and deleted per second (MySQL 8), "
               "and handler calls (MySQL 8 and MariaDB).", "ops",
               [(f"sum by (operation) (rate(mysql_global_status_innodb_row_ops_total{{{DB}}}[{RI}]))",
                 "rows {{operation}}"),
                (f'sum by (handler) (rate(mysql_global_status_handlers_total{{{DB},'
                 f'handler=~"read_.*|write|update|delete"}}[{RI}]))', "handler {{handler}}", "B")]),
     ])])

# ------------------------------------------------------------------------------------------------------ Load test
LG = 'job="loadgen",stage=~"$stage"'
load_test = dashboard(
    "load-test", "Load test",
    "What the load generator applied and saw, beside the API's own view of the same traffic.",
    [query_var("stage", "Stage", 'label_values(loadtest_stage_info{job="loadgen"}, stage)')],
    [("Summary", [
        panel("stat", "Active users", "Virtual users running now.", "short",
              [(f"sum(loadtest_active_users{{{LG}}})", "users")], w=6, h=4),
        panel("stat", "Client requests/s", "Requests per second the generator completed.", "reqps",
              [(f"sum(rate(loadtest_requests_total{{{LG}}}[{RI}]))", "requests/s")], w=6, h=4),
        panel("stat", "Client error ratio", "Share of the generator's requests not ending ok (5xx, timeouts, "
              "connection errors, failed checks).", "percentunit",
              [(f'(sum(rate(loadtest_requests_total{{{LG},outcome!="ok"}}[{RI}])) or vector(0))'
                f" / sum(rate(loadtest_requests_total{{{LG}}}[{RI}]))", "errors")],
              w=6, h=4, min=0, thresholds=[(0.01, "orange"), (0.05, "red")]),
        panel("stat", "DB CPU stress", "1 while the db-stress stage runs stress-ng on the database host.",
              "bool_on_off", [('max(loadtest_db_stress_active{job="loadgen"})', "stress")], w=6, h=4, thresholds=[]),
    ]),
     ("Load applied", [
         panel("timeseries", "Users", "Virtual users running against the number the stage wants.", "short",
               [(f"sum by (stage) (loadtest_active_users{{{LG}}})", "active {{stage}}"),
                (f"sum by (stage) (loadtest_target_users{{{LG}}})", "target {{stage}}", "B")]),
         panel("timeseries", "Requests/s: client and server", "Requests per second by operation as the generator "
               "counted them, and as the API counted them.", "reqps",
               [(f"sum by (operation) (rate(loadtest_requests_total{{{LG}}}[{RI}]))", "client {{operation}}"),
                (f'sum(rate(http_server_requests_seconds_count{{job="order-api"}}[{RI}]))', "server", "B")]),
         panel("timeseries", "Outcomes", "The generator's requests per second by outcome.", "reqps",
               [(f"sum by (outcome) (rate(loadtest_requests_total{{{LG}}}[{RI}]))", "{{outcome}}")]),
         panel("timeseries", "Schedule lag", "How late the generator sent requests (p50, p99); above 500 ms p99 for "
               "2m it is saturated (LoadgenSaturated).", "s",
               [(f"histogram_quantile(0.5, sum by (le) (rate(loadtest_schedule_lag_seconds_bucket{{{LG}}}[{RI}])))",
                 "p50"),
                (f"histogram_quantile(0.99, sum by (le) (rate(loadtest_schedule_lag_seconds_bucket{{{LG}}}[{RI}])))",
                 "p99", "B")]),
         panel("timeseries", "Requests/s by load generator, and the total",
               "Requests per second each load generator completed, and all of them: the shards of one test "
               "(loadtest --shard i/N) each send their share; every other panel here sums over them.", "reqps",
               [(f"sum by (instance) (rate(loadtest_requests_total{{{LG}}}[{RI}]))", "{{instance}}"),
                (f"sum(rate(loadtest_requests_total{{{LG}}}[{RI}]))", "total", "B")], w=24, min=0),
     ]),
     ("Latency: client and server", [
         panel("timeseries", "p95 latency: client and server", "p95 as the generator measured it (network and "
               "queueing included) beside the API's own p95, by operation and route.", "s",
               [(f"histogram_quantile(0.95, sum by (operation, le) (rate(loadtest_request_duration_seconds_bucket"
                 f"{{{LG}}}[{RI}])))", "client {{operation}}"),
                (f'histogram_quantile(0.95, sum by (route, le) (rate(http_server_requests_seconds_bucket'
                 f'{{job="order-api",route!="unmatched"}}[{RI}])))', "server {{route}}", "B")], w=24),
     ])])


def main():
    for stem, board in (("infrastructure", infrastructure), ("application-performance", application),
                        ("database", database), ("load-test", load_test)):
        with open(os.path.join(OUT, stem + ".json"), "w", encoding="utf-8") as f:
            json.dump(board, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
