"""The documentation tooling: the generated run-options table and the built-site checker.

The site itself is built and checked by scripts/test.sh (sphinx-build -W, then
scripts/check_docs.py in headless Chromium); these tests pin the two pieces of our own code
that those steps rely on, so a bug in them cannot make a broken site look fine.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


run_options = _load("docs_run_options", ROOT / "docs" / "_ext" / "run_options.py")
check_docs = _load("docs_check_docs", ROOT / "scripts" / "check_docs.py")


def test_run_options_table_lists_every_option_of_every_backend():
    from qiskit_ionq.ionq_backend import IonQQPUBackend, IonQSimulatorBackend

    rows = {row[0]: row for row in run_options.option_rows()}
    sim = dict(IonQSimulatorBackend._default_options().items())
    qpu = dict(IonQQPUBackend._default_options().items())
    assert set(rows) == set(sim) | set(qpu)
    assert rows["shots"][2] == "1024" and rows["shots"][3] == "all"
    assert rows["noise_model"][2] == "'ideal'" and rows["noise_model"][3] == "simulator"
    assert rows["sampler_seed"][1] == "int or None"


def test_run_options_documented_for_the_options_users_ask_about():
    rows = {row[0]: row for row in run_options.option_rows()}
    for name in ("sampler_seed", "noise_model", "error_mitigation", "memory", "job_settings"):
        assert name in rows and "docstring" not in rows[name][4], name


def _site(tmp_path: Path, pages: dict) -> Path:
    for name, html in pages.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    return tmp_path


def test_link_check_accepts_a_consistent_site(tmp_path):
    site = _site(
        tmp_path,
        {
            "index.html": '<a href="guides/a.html#sec">a</a><a href="https://example.org/x">x</a>'
            '<img src="_static/p.png"><a href="#top" id="top">top</a>',
            "guides/a.html": '<h2 id="sec">S</h2><a href="../index.html">home</a>',
            "_static/p.png": "png",
        },
    )
    checked, problems = check_docs.check_links(site)
    assert problems == []
    assert checked == 4  # the external link is not counted


def test_link_check_reports_missing_files_and_fragments(tmp_path):
    site = _site(
        tmp_path,
        {
            "index.html": '<a href="guides/missing.html">m</a><a href="guides/a.html#nope">n</a>',
            "guides/a.html": '<h2 id="sec">S</h2><img src="../_images/gone.png">',
        },
    )
    _, problems = check_docs.check_links(site)
    assert len(problems) == 3
    assert any("guides/missing.html" in p and "no such file" in p for p in problems)
    assert any("'nope'" in p for p in problems)
    assert any("gone.png" in p for p in problems)


def test_page_parser_reads_ids_links_and_visible_text():
    page = check_docs.parse(
        '<div id="x"><script>var hidden = 1;</script><p>Hello <b>world</b></p>'
        '<img src="a.png"><a name="old">o</a></div>'
    )
    assert {"x", "old"} <= page.ids
    assert page.images == ["a.png"]
    assert "Hello world" in page.visible_text and "hidden" not in page.visible_text
