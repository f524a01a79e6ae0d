"""The language catalogs: complete, placeholders kept, and every text renders in both
languages with representative data (Markdown balanced, within the platforms' limits)."""

from __future__ import annotations

import re

import pytest

from handlers.chat import catalogs, coverage, language, texts
from handlers.config.base import LANGUAGES
from handlers.config.team import TeamConfig
from tests.i18n_data import MARKERS, template_contexts, universe

# Slack's limits (the strictest platform): a section 3000, a header 150, a button 75.
SECTION, HEADER, BUTTON = 3000, 150, 75


def test_every_message_has_a_chinese_translation_that_keeps_its_placeholders() -> None:
    assert coverage.problems("zh") == []


def test_the_check_catches_a_missing_translation_and_a_dropped_placeholder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = catalogs.catalog("zh")
    english = texts.english_phrases()
    broken = dict(real)
    del broken[("done.take", english["done.take"])]
    broken[("post.note", english["post.note"])] = "{{ actor }} 更新了进展：{{ text }}"  # no t.key
    monkeypatch.setattr(catalogs, "catalog", lambda lang: broken)
    problems = coverage.problems("zh")
    assert any(p.startswith("phrase done.take: no translation") for p in problems), problems
    assert any("phrase post.note: placeholders differ: t" in p for p in problems), problems


def test_a_changed_english_source_no_longer_matches_its_old_translation() -> None:
    # msgid is the English source itself: an edited sentence is untranslated until updated
    assert ("done.take", "{{ t.key }} is yours now!") not in catalogs.catalog("zh")
    assert ("done.take", texts.english_phrases()["done.take"]) in catalogs.catalog("zh")


def _balanced(text: str) -> list[str]:
    """Markdown that would show its marks: odd `**` or backticks, unclosed links."""
    bare = re.sub(r"\\.", "", text)  # escaped marks are literal text
    problems = []
    if bare.count("**") % 2:
        problems.append("**")
    if bare.count("`") % 2:
        problems.append("`")
    if bare.count("[") != bare.count("]"):
        problems.append("[]")
    return problems


def _limit(key: str) -> int:
    if key.startswith("button."):
        return BUTTON
    if key.endswith((".header", "header_ended")) or key.startswith(("field.", "form.")):
        return HEADER
    return SECTION


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_phrase_renders_balanced_and_within_limits(sample: TeamConfig, lang: str) -> None:
    data = universe(sample)
    bad = {}
    for key in texts.english_phrases():
        with language.speaking(lang):
            out = texts.phrase(key, **data)
        problems = _balanced(out)
        if len(out) > _limit(key):
            problems.append(f"{len(out)} > {_limit(key)}")
        if not out.strip():
            problems.append("empty")
        if problems:
            bad[key] = problems
    assert bad == {}


def test_translated_phrases_print_what_the_english_prints(sample: TeamConfig) -> None:
    data = universe(sample)
    lost = {}
    for key in texts.english_phrases():
        english = texts.phrase_in("en", key, **data)
        chinese = texts.phrase_in("zh", key, **data)
        missing = [m for m in MARKERS.values() if m in english and m not in chinese]
        if missing:
            lost[key] = missing
    assert lost == {}


def test_every_template_renders_in_both_languages_with_the_same_data(sample: TeamConfig) -> None:
    seen, lost, bad = set(), [], []
    markers = [*MARKERS.values(), "DESCX", "ENVX", "TRIEDX", "ROOTX", "FIXX", "PEOPLEX"]
    for name, context in template_contexts(sample):
        seen.add(name)
        english = texts.render_in("en", name, **context)
        chinese = texts.render_in("zh", name, **context)
        assert chinese != english, name
        lost += [(name, m) for m in markers if m in english and m not in chinese]
        for lang, out in (("en", english), ("zh", chinese)):
            if problems := _balanced(out):
                bad.append((name, lang, problems))
            if len(out) > SECTION:
                bad.append((name, lang, len(out)))
    assert seen == set(texts.template_names())  # a new template needs data here
    assert lost == [] and bad == []


def test_chinese_dates_durations_and_percentages_come_from_babel(sample: TeamConfig) -> None:
    data = universe(sample)
    with language.speaking("zh"):
        assert texts.duration(135) == "2 小时 15 分钟"
        assert texts.duration(25) == "25 分钟"
        late = texts.phrase("schedule.late", **data)
        kpi = texts.render("kpi.md", k=data["k"], config=sample, title="")
    assert "11月27日 周五 09:00" in late  # 01:00 UTC in Asia/Shanghai
    assert "本周，11月23日 周一至11月27日 周五" in kpi
    assert "83%（10/12）" in kpi
    assert texts.duration(135) == "2 h 15 min"  # English as before


def test_names_follow_the_readers_language(sample: TeamConfig) -> None:
    network = sample.category("network")
    with language.speaking("zh"):
        assert texts.label(network) == "网络类"
    with language.speaking("en"):
        assert texts.label(network) == "Network"
    with language.speaking("en", both_names=True):
        assert texts.label(network) == "Network (网络类)"
    with language.speaking("zh", both_names=True):
        assert texts.label(network) == "网络类 (Network)"
