"""Issue 11's ticket workflow as a user drives it: the console with piped input."""

from __future__ import annotations

from pathlib import Path

from tests.test_console import run_console


def after(out: str, command: str) -> str:
    """What the console printed for one command (up to the next echoed one)."""
    return out.split(f"> {command}\n", 1)[1].split("\n> ", 1)[0]


def test_dispatch_to_a_named_expert_hands_the_ticket_and_its_clocks_over(tmp_path: Path) -> None:
    out = run_console(
        tmp_path,
        ":time 2026-11-23T10:00\n"
        "/ticket new Core switch flapping #network p1 | env: floor 2\n"
        "/ticket take T-1\n"
        "/ticket dispatch T-1 @raj rebooted the switch\n"
        "/ticket rca T-1 faulty uplink\n"
        ":time 2026-11-23T12:01\n"
        ":as raj\n"
        "/ticket rca T-1 faulty uplink optic\n"
        "/ticket show T-1\n",
    )
    dispatched = after(out, "/ticket dispatch T-1 @raj rebooted the switch")
    assert "Dispatched T-1 to Raj Patel, its owner now." in dispatched
    assert "[post → DM @Raj Patel" in dispatched and "DM @Kim Park" not in dispatched
    refused = after(out, "/ticket rca T-1 faulty uplink")
    assert (
        "Only the assignee (Raj Patel), the L2 experts for Network and the team lead may rca T-1."
        in refused
    )
    ping = after(out, ":time 2026-11-23T12:01")
    assert "(in thread) · mentions: @Raj Patel]" in ping
    assert "has had no progress note for 2 h" in ping
    recorded = after(out, "/ticket rca T-1 faulty uplink optic")
    assert "Root cause recorded on T-1." in recorded
    # the L1 who dispatched it watches: told of the root cause
    assert "[post → DM @Lee Wang" in recorded and "faulty uplink optic" in recorded
    shown = after(out, "/ticket show T-1")
    assert "Assignee: Raj Patel" in shown and "dispatched to Raj Patel by Lee Wang" in shown


def test_assign_edit_and_close_as_duplicate(tmp_path: Path) -> None:
    out = run_console(
        tmp_path,
        "/ticket new VPN down #network\n"
        "/ticket new VPN down again\n"
        "/ticket new VPN still down\n"
        "/ticket take T-2\n"
        ":as sam\n"
        "/ticket take T-2\n"
        ":as mei\n"
        "/ticket assign T-3 @lee\n"
        "/ticket edit T-3 p2 #network | env: Win 11 | link: https://x.example/1.png"
        " | link: https://x.example/2.png\n"
        "/ticket edit T-3 | env: Windows 11\n"
        ":as lee\n"
        "/ticket close T-3 duplicate T-2\n"
        "/ticket show T-3\n"
        "/ticket show T-2\n",
    )
    taken = after(out, "/ticket take T-2")
    assert "T-2 is yours now." in taken
    assert "[post → DM @Lee Wang" in out.split("> :as sam", 1)[1]
    assert "is Sam Okafor's now: Sam Okafor took it over from you." in out
    assert "T-3 is Lee Wang's now." in after(out, "/ticket assign T-3 @lee")
    shown = after(out, "/ticket show T-3")
    assert "Status: Closed | Priority: P2 | Category: Network" in shown
    assert "Links: https://x.example/1.png, https://x.example/2.png\n" in shown
    assert "User environment changed by Mei Chen: — → Win 11" in shown
    assert "User environment changed by Mei Chen: Win 11 → Windows 11" in shown
    assert "Priority changed by Mei Chen: p3 → p2" in shown
    assert "assigned to Lee Wang by Mei Chen" in shown
    assert "closed as duplicate of T-2 by Lee Wang" in shown
    assert "T-3 is closed (duplicate)." in after(out, "/ticket close T-3 duplicate T-2")
    assert "taken from Lee Wang by Sam Okafor" in after(out, "/ticket show T-2")


def test_resolve_and_dispatch_buttons_open_forms_filled_with_form(tmp_path: Path) -> None:
    out = run_console(
        tmp_path,
        "/ticket new Mail bounces #application | env: Outlook | tried: resent\n"
        ":click 2\n"
        ":form expert=raj\n"
        ":form expert=omar; tried=resent, checked the relay\n"
        ":as omar\n"
        ":click 3\n"
        ":form resolution=\n"
        ":form resolution=Renewed the relay certificate; root_cause=Expired certificate\n"
        "/ticket show T-1\n",
    )
    form = after(out, ":click 2")
    assert "resent, checked the relay" in after(out, "/ticket show T-1")
    assert "[form] Dispatch T-1 to L2" in form
    assert "category: Category * (network, system, application) = application" in form
    assert "tried: What was tried = resent" in form
    assert "Raj Patel is not an L2 expert for #application" in after(out, ":form expert=raj")
    assert "Dispatched T-1 to Omar Haddad" in out
    resolve = out.split("> :as omar", 1)[1]
    assert "[form] Resolve T-1" in resolve
    assert "resolution: Resolution *" in resolve and "root_cause: Root cause" in resolve
    assert "resolution: Resolution *  ← Resolving needs a resolution" in resolve
    assert "T-1 is resolved." in resolve
    shown = resolve.rsplit("> /ticket show T-1", 1)[1]
    assert "Root cause: Expired certificate" in shown
    assert "Resolution: Renewed the relay certificate" in shown


def test_take_on_someone_elses_card_asks_first_and_edit_opens_the_intake_form(
    tmp_path: Path,
) -> None:
    out = run_console(
        tmp_path,
        "/ticket new Laptop slow\n"
        "/ticket take T-1\n"
        ":as sam\n"
        ":click 1\n"
        ":click 1\n"
        "/ticket show T-1\n"
        "/ticket new Mouse broken\n"
        ":click 4\n"
        ":form environment=Dell dock, Windows 11; links=https://x.example/m.png\n"
        "/ticket show T-2\n",
    )
    asked = out.split("> :as sam", 1)[1].split("> :click 1", 2)
    assert "T-1 is Lee Wang's; take it over?" in asked[1]
    assert "[1] Take it over" in asked[1]
    assert "T-1 is yours now." in asked[2]
    assert "taken from Lee Wang by Sam Okafor" in after(out, "/ticket show T-1")
    form = after(out, ":click 4")
    assert "[form] Edit T-2" in form and "summary: Summary * = Mouse broken" in form
    shown = after(out, "/ticket show T-2")
    assert "User environment: Dell dock, Windows 11" in shown
    assert "User environment changed by Sam Okafor: — → Dell dock, Windows 11" in shown
    assert "Links and screenshots changed by Sam Okafor: — → https://x.example/m.png" in shown


def test_share_in_channel_posts_the_raci_answer_for_everyone(tmp_path: Path) -> None:
    out = run_console(tmp_path, "/raci incident\n:click 1\n/kpi week share\n")
    private = after(out, "/raci incident")
    assert private.startswith("deskbot (only you):") and "[1] Share in channel" in private
    shared = after(out, ":click 1")
    assert "Shared in the channel." in shared
    assert "[post → #service-desk · mentions: @Carlos Ruiz, @Hana Zhou]" in shared
    assert "Shared by Lee Wang" in shared
    kpi = after(out, "/kpi week share")
    assert "[post → #service-desk" in kpi and "KPIs" in kpi


def test_every_form_fills_with_form_the_intake_form_too(tmp_path: Path) -> None:
    out = run_console(
        tmp_path,
        "/ticket new\n"
        ":form priority=p9\n"
        ":form summary=Scanner offline; priority=p2; category=system\n"
        ":form summary=again\n",
    )
    form = after(out, "/ticket new")
    assert "[form] New ticket" in form and "summary: Summary *" in form
    assert "priority: Priority (p1, p2, p3, p4)" in form
    bad = after(out, ":form priority=p9")
    assert "summary: Summary *  ← A ticket needs a summary" in bad
    assert "priority: Priority (p1, p2, p3, p4) = p9  ← Unknown priority p9" in bad
    assert "Logged T-1: Scanner offline." in out
    assert "? no form is open" in after(out, ":form summary=again")
