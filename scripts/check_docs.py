"""Check the built documentation site as a reader would see it.

Usage: ``python scripts/check_docs.py BUILD_DIR [--screenshots DIR]``

1. Opens three pages in headless Chromium — the index, the getting-started tutorial and the
   API reference — takes a screenshot of each and reads the DOM Chromium rendered. It checks
   rendered content, not just files: the index links every guide; the tutorial shows its
   executed outputs and its histogram (the screenshot holds the bars' pixels, and the
   histogram image is a real PNG); the API page documents the public classes.
2. Checks every internal link of the site: each ``href``/``src`` that points inside the build
   must name an existing file, and each ``#fragment`` an existing ``id`` in that file.

Exits 1 with one line per problem, 0 when everything holds. Chromium is Debian's
``chromium`` (``CHROMIUM`` overrides the binary); scripts/test.sh installs it when absent.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple
from urllib.parse import unquote, urlsplit

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]
# matplotlib's default colour, which plot_histogram uses for its bars.
HISTOGRAM_RGB = (31, 119, 180)


class _Page(HTMLParser):
    """Collects ids, links, images and visible text of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: Set[str] = set()
        self.links: List[Tuple[str, str]] = []  # (attribute, value)
        self.images: List[str] = []
        self.text: List[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        values = dict(attrs)
        for key in ("id", "name"):
            if values.get(key) and (key == "id" or tag == "a"):
                self.ids.add(str(values[key]))
        for key in ("href", "src"):
            if values.get(key):
                self.links.append((key, str(values[key])))
        if tag == "img" and values.get("src"):
            self.images.append(str(values["src"]))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)

    @property
    def visible_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def find_chromium() -> str:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return str(shutil.which(name))
    raise SystemExit("check_docs: chromium not found (apt-get install -y chromium)")


def render(chromium: str, page: Path, screenshot: Path, profile: Path) -> str:
    """Screenshot ``page`` into ``screenshot`` and return the DOM Chromium rendered."""
    url = page.resolve().as_uri()
    common = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,5000"]
    subprocess.run(
        [*common, f"--screenshot={screenshot}", url],
        check=True,
        capture_output=True,
        timeout=120,
    )
    dom = subprocess.run(
        [*common, "--dump-dom", url], check=True, capture_output=True, text=True, timeout=120
    )
    return dom.stdout


def colour_pixels(png: Path, rgb: Tuple[int, int, int], tolerance: int = 12) -> int:
    """Pixels of ``png`` within ``tolerance`` of ``rgb`` on every channel."""

    return sum(
        n
        for n, colour in _colours(png)
        if all(abs(a - b) <= tolerance for a, b in zip(colour, rgb))
    )


def _colours(png: Path) -> List[Tuple[int, Tuple[int, int, int]]]:
    """(pixel count, colour) of every colour of ``png``."""
    from PIL import Image

    with Image.open(png) as image:
        return image.convert("RGB").getcolors(maxcolors=1 << 24) or []


def distinct_colours(png: Path) -> int:
    return len(_colours(png))


def check_rendered(build: Path, shots: Path) -> List[str]:
    """Render the three pages; return the problems found."""
    chromium = find_chromium()
    problems: List[str] = []
    shots.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="check-docs-chromium-") as profile:
        pages: Dict[str, _Page] = {}
        for name in ("index", "guides/getting-started", "reference/api"):
            source = build / f"{name}.html"
            if not source.exists():
                problems.append(f"{name}.html: missing from the build")
                continue
            png = shots / f"{name.replace('/', '-')}.png"
            dom = render(chromium, source, png, Path(profile))
            pages[name] = parse(dom)
            colours = distinct_colours(png)
            if colours < 50:
                problems.append(f"{name}: the screenshot is (nearly) blank ({colours} colours)")
            print(f"check_docs: rendered {name}.html -> {png} ({colours} colours)")

    index = pages.get("index")
    if index is not None:
        text = index.visible_text
        for needed in ("qiskit_ionq", "Getting started", "Run options", "API reference"):
            if needed not in text:
                problems.append(f"index: the rendered page does not show {needed!r}")
        guides = sorted(p.stem for p in (build / "guides").glob("*.html"))
        linked = {Path(urlsplit(v).path).stem for k, v in index.links if "guides/" in v}
        for guide in guides:
            if guide not in linked:
                problems.append(f"index: no link to the guide {guide!r}")

    tutorial = pages.get("guides/getting-started")
    if tutorial is not None:
        text = tutorial.visible_text
        for needed in ("Plot the histogram", "job id:", "'00'", "'11'"):
            if needed not in text:
                problems.append(f"getting-started: the rendered page does not show {needed!r}")
        if "Traceback" in text:
            problems.append("getting-started: an executed cell shows a traceback")
        pngs = [build / "guides" / unquote(src) for src in tutorial.images if src.endswith(".png")]
        magic = b"\x89PNG\r\n\x1a\n"
        if not pngs or not all(p.exists() and p.read_bytes()[:8] == magic for p in pngs):
            problems.append(f"getting-started: histogram image missing or not a PNG: {pngs}")
        bars = colour_pixels(shots / "guides-getting-started.png", HISTOGRAM_RGB)
        print(f"check_docs: getting-started histogram bars cover {bars} pixels")
        if bars < 20_000:
            problems.append(f"getting-started: the screenshot shows no histogram ({bars} pixels)")

    api = pages.get("reference/api")
    if api is not None:
        for anchor in (
            "qiskit_ionq.IonQProvider",
            "qiskit_ionq.IonQProvider.get_backend",
            "qiskit_ionq.ionq_job.IonQJob.result",
            "qiskit_ionq.ionq_result.IonQResult.get_probabilities",
            "qiskit_ionq.exceptions.IonQError",
        ):
            if anchor not in api.ids:
                problems.append(f"reference/api: {anchor} is not documented")
        if "Hands out IonQ backends" not in api.visible_text:
            problems.append("reference/api: the IonQProvider docstring is not rendered")
    return problems


def check_links(build: Path) -> Tuple[int, List[str]]:
    """Every internal href/src of every page resolves (file and fragment)."""
    parsed: Dict[Path, _Page] = {}

    def page_of(path: Path) -> _Page:
        if path not in parsed:
            parsed[path] = parse(path.read_text(encoding="utf-8", errors="replace"))
        return parsed[path]

    problems: List[str] = []
    checked = 0
    for html in sorted(build.rglob("*.html")):
        for attribute, value in page_of(html).links:
            parts = urlsplit(value)
            if parts.scheme or parts.netloc or value.startswith(("mailto:", "javascript:")):
                continue  # external: not ours to check offline
            checked += 1
            target = html if not parts.path else (html.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            where = f"{html.relative_to(build)}: {attribute}={value!r}"
            if not target.exists():
                problems.append(f"{where}: no such file")
                continue
            if not str(target).startswith(str(build.resolve())):
                problems.append(f"{where}: points outside the site")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html" and fragment not in page_of(target).ids:
                problems.append(f"{where}: no element with id {fragment!r}")
    return checked, problems


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", type=Path, help="the HTML build directory")
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--links-only", action="store_true", help="skip the browser checks")
    args = parser.parse_args(argv)
    build = args.build.resolve()
    problems: List[str] = []
    if not args.links_only:
        problems += check_rendered(build, args.screenshots or build.parent / "screenshots")
    checked, link_problems = check_links(build)
    print(f"check_docs: {checked} internal links checked, {len(link_problems)} broken")
    problems += link_problems
    for problem in problems:
        print(f"check_docs: FAIL {problem}")
    if not problems:
        print("check_docs: OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
