"""The run report's Markdown: what a job summary shows, within GitHub's 1,024 KiB at 100 services, with every
text a service wrote shown as text."""

from __future__ import annotations

from typing import Any

from cigen.config.monitor import DEFAULT_RULES
from cigen.monitor.report import build
from cigen.monitor.run import Manifest, Startup, Watched
from cigen.render.run_report import render_markdown

T0 = 1_800_000_000.0
MB = 1024 * 1024


def _stack(count: int, samples: int, hits: int) -> dict[str, Any]:
    names = [f"@acme/service-{i:03d}" for i in range(count)]
    services = {
        name: Watched(name=name, depends_on=tuple(names[max(0, i - 3):i]), port=4000 + i, probe=None, timeout=2.0,
                      out_log=f"/r/.cigen/logs/{i}.out.log", err_log=f"/r/.cigen/logs/{i}.err.log", offsets=(0, 0),
                      rules=DEFAULT_RULES, ignore=(), max_memory=100 * MB, max_restarts=0,
                      max_health_failure_rate=0.2, unexpected_exit=True,
                      startup=Startup(T0 + i * 0.1, T0 + i * 0.1 + 0.05, T0 + i * 0.1 + 0.5, 3, 2, 0.01))
        for i, name in enumerate(names)
    }
    records: list[dict[str, Any]] = [{"t": T0, "kind": "start", "pid": 1}]
    for k in range(samples):
        records.append({"t": T0 + k, "kind": "sample", "services": {
            name: {"status": "online", "cpu": 1.5, "rss": (50 + k % 70) * MB, "procs": 3, "probe": [True, 3.0],
                   "reach": [4000 + max(0, i - 1), 4000 + (i + 7) % count], "listen": [4000 + i]}
            for i, name in enumerate(names)}})
    for i, name in enumerate(names):
        for h in range(hits):
            records.append({"t": T0 + 5 + h, "kind": "event", "service": name, "what": "log_hit",
                            "rule": "fatal", "file": f"/r/.cigen/logs/{i}.err.log", "line": h + 1,
                            "text": "FATAL " + "x" * 490})
    manifest = Manifest(started=T0, interval=1.0, probe_every=2.0, quoted_hits=20, services=services)
    return build(manifest, records)


def test_a_failed_run_of_100_services_fits_a_job_summary_with_every_part() -> None:
    report = _stack(100, samples=600, hits=20)  # ten minutes at one sample a second

    text = render_markdown(report)

    assert len(text.encode()) < 1024 * 1024
    assert text.startswith("## cigen run report: FAILED")
    assert text.count("xychart-beta") == 200  # memory and CPU of each service
    assert "### Services" in text and text.count("| @acme/service-") >= 100
    assert "### Start-up critical path" in text and "### What went wrong first" in text
    assert "Connections no `depends_on` or package dependency declares:" in text
    assert "more in the JSON report" in text  # the log hits are capped; the JSON has them


def test_a_passing_run_says_so_and_a_small_one_gets_the_matrix() -> None:
    report = _stack(3, samples=10, hits=0)

    text = render_markdown(report)

    assert text.startswith("## cigen run report: passed")
    assert "| from \\ to | @acme/service-000 | @acme/service-001 | @acme/service-002 |" in text
    assert "### What went wrong first" not in text


def test_what_a_service_wrote_is_shown_as_text_never_as_markup() -> None:
    report = _stack(2, samples=3, hits=0)
    report["services"]["@acme/service-000"]["log_hits"] = [
        {"rule": "fatal", "file": "/r/x.log", "line": 1, "time": T0, "text": "FATAL <img src=x> | `rm` \u202egnp.exe"}]

    text = render_markdown(report)

    assert "<code>FATAL &lt;img src=x&gt; &#124; &#96;rm&#96; &lt;U+202E&gt;gnp.exe</code>" in text
    assert "<img" not in text
