"""Is a catalog complete? Every English source translated, and no placeholder dropped.

Used by `python -m bot.i18n check` and the tests. A translation may show a configured name
through `label(...)` instead of `.name`/`.name_zh`, and a date through the `date` filter
instead of `.strftime`: those attributes are how a text writes a value, not the value.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, nodes

from handlers.chat import catalogs, extract, texts

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yaml"
_PRESENTATION = {"name", "name_zh", "title", "strftime"}
_ENV = Environment()


def sources() -> dict[tuple[str, str], str]:
    """(context, English source) -> where it comes from, for every message of the code."""
    out = {(k, v): f"phrase {k}" for k, v in texts.english_phrases().items()}
    for name in texts.template_names():
        out[(name, texts.english_template(name))] = f"template {name}"
    if MANIFEST.exists():  # a source checkout: the slash commands' texts too
        with MANIFEST.open("rb") as handle:
            for _, _, (context, text), _ in extract.manifest(handle, None, None, None):
                out[(context, text)] = f"manifest {context}"
    return out


def placeholders(source: str) -> tuple[set[str], set[str]]:
    """The names a text reads (not the template's own helpers), and the dotted paths."""
    tree = _ENV.parse(source)
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    helpers = set(texts.helpers())
    names = {
        n.name
        for n in tree.find_all(nodes.Name)
        if n.ctx == "load" and n.name not in assigned | helpers | {"loop"}
    }
    paths = set()
    for node in tree.find_all(nodes.Getattr):
        parts, inner = [node.attr], node.node
        while isinstance(inner, nodes.Getattr):
            parts.append(inner.attr)
            inner = inner.node
        if isinstance(inner, nodes.Name) and inner.name in names:
            paths.add(".".join([inner.name, *reversed(parts)]))
    return names, paths


def dropped(english: str, translated: str) -> list[str]:
    """Placeholders of the English that the translation lacks (or adds: they would fail)."""
    names, paths = placeholders(english)
    t_names, t_paths = placeholders(translated)
    problems = sorted(names ^ t_names)
    problems += sorted(p for p in paths - t_paths if p.rsplit(".", 1)[-1] not in _PRESENTATION)
    return problems


def problems(lang: str) -> list[str]:
    catalog = catalogs.catalog(lang)
    out = []
    for (context, english), where in sources().items():
        translated = catalog.get((context, english))
        if translated is None:
            out.append(f"{where}: no translation (or fuzzy; run `python -m bot.i18n update`)")
            continue
        if bad := dropped(english, translated):
            out.append(f"{where}: placeholders differ: {', '.join(bad)}")
    return out
