"""The quality half in the console, as the issue's "Done when" walks it."""

from __future__ import annotations

from pathlib import Path

from tests.test_console import run_console

SCRIPT = """\
:time 2026-11-23T10:00
/ticket new Mail bounces #application
/ticket take T-1
/ticket resolve T-1 cleared the mail queue
:as lee
:click 2
/kb new
{kb}
:as yuki
:click 1
/ticket new VPN drops every hour #network
/kb search 网络
:time 2026-11-24T09:31
:as grace
/kpi week
""".format(
    kb="/kb new VPN client reset | problem: VPN 网络 drops every hour"
    " | solution: reset the client profile | system: oa | type: login"
)


def test_the_done_when_walk(tmp_path: Path) -> None:
    out = run_console(tmp_path, SCRIPT)
    after_press = out.split("> :click 2", 1)[1]
    assert "Thank you: T-1 scored 2/5." in after_press
    assert "mentions: @Tom Berg]" in after_press.split("> /kb new", 1)[0]
    assert "Low satisfaction on T-1: scored 2/5." in after_press
    form = out.split("> /kb new\n", 1)[1]
    assert "[form] New knowledge entry" in form and "Troubleshooting steps" in form
    assert "Published KB-1." in out.split("> :click 1", 1)[1]
    new_card = out.split("> /ticket new VPN drops every hour #network", 1)[1]
    assert "Might help: KB-1 VPN client reset" in new_card
    assert "- KB-1 VPN client reset · OA · login failure (登录异常)" in out
    morning = out.split("> :time 2026-11-24T09:31", 1)[1].split("> :as grace", 1)[0]
    assert "[post → DM @Tom Berg" in morning and "QA sample for Mon 23 Nov" in morning
    kpi = out.split("> /kpi week", 1)[1]
    for line in (
        "User satisfaction: 0 % (0/1) (target ≥ 90 %) · off target",
        "Knowledge reuse: 0 % (0/1) of resolved tickets (target ≥ 60 %) · off target",
        "Knowledge entries published: 1 (target ≥ 20 a month)",
        "Improvement suggestions: 0 (target ≥ 5 a month)",
    ):
        assert line in kpi, line
