"""The run's report as Markdown for a GitHub job summary: the verdicts, a table and a chart per service,
who reached whom, the log hits and, for a failed run, the timeline around its first failure.

It takes the JSON document of :mod:`cigen.monitor.report` (a dict: render never
imports the runtime) and stays under GitHub's 1,024 KiB summary limit at 100
services: charts have at most 60 points, log hits and the timeline are capped,
and everything a person wrote (log lines, names) is escaped, never markup.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from cigen.adapters.github_env import SUMMARY_LIMIT
from cigen.render.impact import cell
_HITS_SHOWN = 50
_MATRIX_MAX = 30  # services a matrix shows as rows and columns; larger runs get the list only


def render_markdown(report: dict[str, Any]) -> str:
    run = report["run"]
    verdict = "passed" if run["ok"] else "FAILED"
    failed = [t for t in report["thresholds"] if not t["passed"]]
    lines = [f"## cigen run report: {verdict}", ""]
    lines.append(f"{len(report['services'])} services watched for {run['duration']:g} s "
                 f"({run['samples']} samples every {run['interval']:g} s; sampler {run['sampler']}); "
                 f"{len(report['thresholds']) - len(failed)} of {len(report['thresholds'])} checks passed.")
    lines.append("")
    if failed:
        lines += ["### Failed checks", "", "| service | check | value | limit |", "|---|---|---|---|"]
        lines += [f"| {_text(t['service'])} | {_text(t['rule'])} | {_value(t['rule'], t['value'])} | "
                  f"{_value(t['rule'], t['limit'])} |" for t in failed]
        lines.append("")
    if "failure" in report:
        lines += _failure(report["failure"], run["started"])
    lines += _overview(report)
    path = report.get("critical_path")
    if path:
        lines += ["### Start-up critical path", "",
                  f"{' → '.join(_text(s) for s in path['services'])}: {path['seconds']:g} s to the last healthy "
                  f"service, of which at most {path['probe_wait']:g} s waiting between health probes.", "",
                  "| service | started at | healthy at | lost between probes |", "|---|---|---|---|"]
        lines += [f"| {_text(s['service'])} | {s['started']:g} s | {s['healthy']:g} s | {s['probe_gap']:g} s |"
                  for s in path["steps"]]
        lines.append("")
    lines += _connections(report)
    lines += _hits(report)
    lines += _charts(report)
    text = "\n".join(lines) + "\n"
    if len(text.encode()) > SUMMARY_LIMIT:  # a last resort: the charts are what grows with a long run
        text = "\n".join(lines[: lines.index("### Memory and CPU over time")] if "### Memory and CPU over time" in lines
                         else lines) + "\n\n(charts left out: the summary would exceed GitHub's 1,024 KiB)\n"
    return text


def _overview(report: dict[str, Any]) -> list[str]:
    lines = ["### Services", "",
             "| service | status | memory mean / max | CPU mean / max | processes | restarts | probes (failed) "
             "| latency p50 / p95 | spawn → healthy | log hits |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, s in report["services"].items():
        health = s["health"]
        startup = s["startup"] or {}
        lines.append(
            f"| {_text(name)} | {_text(s['status'] or '-')} | {_mib(s['memory']['mean'])} / {_mib(s['memory']['max'])} "
            f"| {_pct(s['cpu']['mean'])} / {_pct(s['cpu']['max'])} | {s['processes']} | {s['restarts']} "
            f"| {health['probes']} ({health['failures']}) "
            f"| {_ms(health['latency_ms']['p50'])} / {_ms(health['latency_ms']['p95'])} "
            f"| {_secs(startup.get('spawn_to_healthy'))} | {sum(s['log_hit_counts'].values())} |")
    return lines + [""]


def _connections(report: dict[str, Any]) -> list[str]:
    connections = report["connections"]
    if not connections:
        return []
    lines = ["### Connections", "",
             "✅ declared and seen · ⚠️ seen, not declared · ❔ declared, not seen · ❌ declared, unreachable", ""]
    names = sorted({c["from"] for c in connections} | {c["to"] for c in connections})
    if len(names) <= _MATRIX_MAX:
        cells = {(c["from"], c["to"]): _mark(c) for c in connections}
        lines += ["| from \\ to | " + " | ".join(_text(n) for n in names) + " |",
                  "|---|" + "---|" * len(names)]
        lines += [f"| {_text(a)} | " + " | ".join(cells.get((a, b), "") for b in names) + " |" for a in names]
        lines.append("")
    undeclared = [c for c in connections if not c["declared"]]
    unseen = [c for c in connections if c["declared"] and not c["observed"]]
    if undeclared:
        lines.append("Connections no `depends_on` or package dependency declares: " +
                     ", ".join(f"{_text(c['from'])} → {_text(c['to'])}" for c in undeclared) + ".")
    if unseen:
        lines.append("Declared, never seen connected: " +
                     ", ".join(f"{_text(c['from'])} → {_text(c['to'])}" for c in unseen) + ".")
    return lines + [""]


def _mark(c: dict[str, Any]) -> str:
    if c["declared"] and not c["reachable"]:
        return "❌"
    if c["declared"]:
        return "✅" if c["observed"] else "❔"
    return "⚠️"


def _hits(report: dict[str, Any]) -> list[str]:
    hits = [(name, h) for name, s in report["services"].items() for h in s["log_hits"]]
    if not hits:
        return []
    hits.sort(key=lambda item: item[1]["time"])
    lines = ["### Log hits", "", "| time | service | rule | where | line |", "|---|---|---|---|---|"]
    lines += [f"| {_clock(h['time'])} | {_text(name)} | {_text(h['rule'])} | {_text(h['file'].rsplit('/', 1)[-1])}:"
              f"{h['line']} | {_code(h['text'])} |" for name, h in hits[:_HITS_SHOWN]]
    if len(hits) > _HITS_SHOWN:
        lines.append(f"\n{len(hits) - _HITS_SHOWN} more in the JSON report.")
    return lines + [""]


def _failure(failure: dict[str, Any], started: float) -> list[str]:
    lines = ["### What went wrong first", ""]
    cause = failure.get("root_cause")
    if cause:
        lines += [f"The earliest error in the most upstream failing service: **{_text(cause['service'])}** at "
                  f"{_clock(cause['time'])}: {_describe(cause)}.", ""]
    if failure["timeline"]:
        lines += ["<details open><summary>Timeline around the first failure</summary>", "",
                  "| time | service | event |", "|---|---|---|"]
        lines += [f"| {_clock(e['time'])} | {_text(e.get('service', '-'))} | {_describe(e)} |"
                  for e in failure["timeline"]]
        if failure.get("timeline_left_out"):
            lines.append(f"\n{failure['timeline_left_out']} more events in the JSON report.")
        lines += ["", "</details>", ""]
    return lines


def _describe(e: dict[str, Any]) -> str:
    what = e.get("what", "")
    if what == "log_hit":
        where = f"{e['file'].rsplit('/', 1)[-1]}:{e['line']} " if "file" in e else ""
        return f"log hit ({_text(e['rule'])}) {_text(where)}{_code(e.get('text', ''))}"
    if what == "exit":
        return f"exited with code {e.get('code')}" + (" (stopped by a command)" if e.get("manually") else "")
    if what == "status":
        return f"status {_text(str(e.get('was')))} → {_text(str(e.get('status')))}"
    if what == "restart":
        return f"restarted ({e.get('count', 1)})"
    detail = e.get("detail")
    return _text(what.replace("_", " ") + (f": {detail}" if detail else ""))


def _charts(report: dict[str, Any]) -> list[str]:
    lines = ["### Memory and CPU over time", ""]
    for name, s in report["services"].items():
        series = s["series"]
        if len(series) < 2:
            continue
        label = _chart_text(name)
        xs = ", ".join(f"{p[0]:g}" for p in series)
        lines += [f"<details><summary>{_text(name)}</summary>", "", "```mermaid", "xychart-beta",
                  f'  title "{label}: memory (MiB)"', f"  x-axis \"seconds\" [{xs}]",
                  f'  y-axis "MiB" 0 --> {max(p[1] for p in series) * 1.2 + 1:.0f}',
                  "  line [" + ", ".join(f"{p[1]:g}" for p in series) + "]", "```", "", "```mermaid", "xychart-beta",
                  f'  title "{label}: CPU (%)"', f"  x-axis \"seconds\" [{xs}]",
                  f'  y-axis "%" 0 --> {max(p[2] for p in series) * 1.2 + 1:.0f}',
                  "  line [" + ", ".join(f"{p[2]:g}" for p in series) + "]", "```", "", "</details>", ""]
    return lines if len(lines) > 2 else []


def _text(value: str) -> str:
    """Text a person or a program wrote, shown as text in a table cell: escaped, pipes too, invisibles named."""
    return cell(str(value))


def _code(value: str) -> str:
    """A log line: the start of it, as text."""
    return f"<code>{cell(value[:200])}</code>" if value else ""


def _chart_text(value: str) -> str:
    return "".join(c for c in value if c.isalnum() or c in " @/._-")[:60]


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%H:%M:%S.%f")[:-3]


def _mib(size: int | None) -> str:
    return "-" if size is None else f"{size / 1048576:.1f} MiB"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:g}%"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:g} ms"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:g} s"


def _value(rule: str, value: Any) -> str:
    if rule == "max_memory" and isinstance(value, int):
        return _mib(value)
    if rule == "max_health_failure_rate" and isinstance(value, float):
        return f"{value:.0%}"
    return _text(str(value))
