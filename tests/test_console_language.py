"""The Chinese sample team in the console, as a user pipes it: every line in Chinese."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import read
from handlers.chat import catalogs
from tests.test_console import run_console

ROOT = Path(__file__).resolve().parents[1]
ZH_SAMPLE = ROOT / "bot" / "sample" / "team.zh.yaml"
SESSION = "/help\n/ticket new VPN 断线 #网络 p2 via:电话\n/queue\n/raci 故障\n/kpi 周\n"
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


def console(tmp_path: Path, script: str, *args: str, config: Path | None = ZH_SAMPLE) -> str:
    return run_console(tmp_path, script, "zh.db", *args, config=config)


def chinese_catalog_words() -> set[str]:
    """Latin words the Chinese catalog itself writes (commands, `deskbot`, `KPI`, `RACI`)."""
    words: set[str] = set()
    for text in catalogs.catalog("zh").values():
        words |= set(_WORD.findall(_JINJA.sub(" ", text)))
    return words


def user_data_words(path: Path) -> set[str]:
    """Names from the team's configuration that the bot may print as they are."""
    _, config, _ = read(str(path))
    assert config is not None
    data = [config.team.name, config.channels.queue.name, config.channels.managers.name]
    data += [c.name for c in config.channels.l2.values()]
    data += [p.name for p in config.people] + [c.id for c in config.categories]
    return {w for text in data for w in _WORD.findall(text)}


def test_the_chinese_team_is_answered_entirely_in_chinese(tmp_path: Path) -> None:
    out = console(tmp_path, SESSION)
    allowed = chinese_catalog_words() | user_data_words(ZH_SAMPLE) | {"VPN"}
    english = [
        (line, sorted(set(_WORD.findall(line)) - allowed))
        for line in out.splitlines()
        if not line.startswith("> ") and set(_WORD.findall(line)) - allowed
    ]
    assert english == []
    assert "已登记 T-1：VPN 断线。已发布到 #service-desk。" in out
    assert "分类: 网络类 | 受理渠道: 电话" in out  # #网络 and via:电话 understood
    assert "未分配队列（1）" in out and "#网络类 VPN 断线" in out
    assert "故障响应与处理" in out and "R 执行：变更经理" in out
    assert re.search(r"本周，\d+月\d+日 周.至\d+月\d+日 周.", out), out  # Chinese dates


def test_lang_switches_the_readers_language_both_ways(tmp_path: Path) -> None:
    out = console(tmp_path, "/queue\n:lang en\n/queue\n:lang zh\n/queue\n:lang fr\n", config=None)
    answers = out.split("> ")
    assert "Unassigned queue (0)" in answers[1]
    assert "(Now speaking English to you.)" in answers[2]
    assert "Unassigned queue (0)" in answers[3]
    assert "（现在用简体中文和你交流。）" in answers[4]
    assert "未分配队列（0）" in answers[5]
    assert "? 未知语言 fr；请用 en、zh。" in answers[6]


def test_lang_option_starts_the_console_in_chinese_on_an_english_team(tmp_path: Path) -> None:
    out = console(tmp_path, "/ticket new 打印机卡纸 #printers\n", "--lang", "zh", config=None)
    assert "未知分类 #printers；已有分类：#网络类、#系统类、#应用类。" in out
