"""The repository is self-contained: a fresh clone in an empty folder passes its own tests. No tracked file
that tests, documents, benchmarks or builds the project refers to a path outside the repository, and every
relative Markdown link of the README and docs/ leads to a tracked file (and heading) inside it."""

from __future__ import annotations

import importlib
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("README.md", "pyproject.toml", "tests/", "docs/", "benchmarks/", ".ci/", "workbook/", "planner/")
SKIPPED_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", "build"}
# Paths outside the repository: the sibling folder of the original specification, the machine's work and
# home folders. Written so that this file does not match itself: [k] and [t] are one-letter classes.
OUTSIDE = re.compile(
    r"\.\./shared|/wor[k]/|/roo[t]/|/home/[\w.-]+|/Users/[\w.-]+|[A-Za-z]:\\Users\\"
)  # fmt: skip
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.MULTILINE)
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
FENCE = re.compile(r"^\s*(```|~~~)")


def tracked_files() -> list[str]:
    """Files git tracks, or will once committed (untracked, not ignored), relative and '/'-separated;
    outside a git checkout (an unpacked archive), every file but caches and the virtual environment."""
    git = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    try:
        out = subprocess.run(git, cwd=ROOT, capture_output=True, check=True).stdout
        return [p for p in out.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        return sorted(
            p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*")
            if p.is_file() and not SKIPPED_DIRS & set(p.relative_to(ROOT).parts)
            and not any(part.endswith(".egg-info") for part in p.parts)
        )  # fmt: skip


def checked_texts() -> dict[str, str]:
    """The checked tracked files that are text (binary workbooks are skipped)."""
    out = {}
    for rel in tracked_files():
        if rel in CHECKED or rel.startswith(tuple(c for c in CHECKED if c.endswith("/"))):
            data = (ROOT / rel).read_bytes()
            if b"\0" not in data:
                out[rel] = data.decode("utf-8", errors="replace")
    return out


def markdown_files() -> list[str]:
    return [p for p in tracked_files() if p == "README.md" or (p.startswith("docs/") and p.endswith(".md"))]


def prose_lines(text: str) -> list[str]:
    """The lines of a Markdown text outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def anchors(text: str) -> set[str]:
    """The heading anchors GitHub makes: lower case, punctuation dropped, spaces as '-', repeats numbered."""
    seen: dict[str, int] = {}
    out = set()
    for line in prose_lines(text):
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def links(text: str) -> list[str]:
    prose = "\n".join(re.sub(r"`[^`]*`", "", line) for line in prose_lines(text))  # code spans are not links
    return LINK.findall(prose) + REFERENCE.findall(prose)


def test_the_checked_files_are_found():
    texts = checked_texts()
    for rel in ("README.md", "pyproject.toml", "tests/conftest.py", "tests/conformance.py",
                "docs/workbook-contract.md", ".ci/run"):  # fmt: skip
        assert rel in texts, rel


def test_no_tracked_file_refers_outside_the_repository():
    found = [
        f"{rel}:{n}: {line.strip()}"
        for rel, text in checked_texts().items()
        for n, line in enumerate(text.splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert not found, "paths outside the repository:\n" + "\n".join(found)


def test_the_outside_pattern_catches_what_it_should():
    for bad in ("see .." + "/shared/workbook-contract.md", "/wor" + "k/shared/tools", "/ho" + "me/alice/planner",
                "/roo" + "t/x", "C:\\Users\\bob\\plan.xlsx", "/Us" + "ers/carol/plan"):  # fmt: skip
        assert OUTSIDE.search(bad), bad
    for fine in ("workbook/sample.xlsx", "docs/workbook-contract.md", "tests/conformance.py", "../README.md"):
        assert not OUTSIDE.search(fine), fine


@pytest.mark.parametrize("doc", markdown_files())
def test_relative_markdown_links_resolve_inside_the_repository(doc):
    tracked = set(tracked_files())
    text = (ROOT / doc).read_text(encoding="utf-8")
    here = (ROOT / doc).parent
    bad = []
    for target in links(text):
        if SCHEME.match(target):
            continue  # a web address or mailto:
        path, _, anchor = target.partition("#")
        dest = (ROOT / path.lstrip("/") if path.startswith("/") else here / path).resolve() if path else ROOT / doc
        try:
            rel = dest.relative_to(ROOT).as_posix()
        except ValueError:
            bad.append(f"{target}: outside the repository")
            continue
        if rel not in tracked and not any(t.startswith(rel + "/") for t in tracked):
            bad.append(f"{target}: no tracked file {rel}")
        elif anchor and rel.endswith(".md") and anchor not in anchors((ROOT / rel).read_text(encoding="utf-8")):
            bad.append(f"{target}: no heading #{anchor} in {rel}")
    assert not bad, f"{doc}:\n" + "\n".join(bad)


def test_the_link_checker_sees_links_and_anchors():
    text = "# Top level\n## Bad input\n## Bad input\n[a](docs/x.md#y) ![i](img.png)\n[r]: ../z.md\n```\n# no\n```\n"
    assert links(text) == ["docs/x.md#y", "img.png", "../z.md"]
    assert anchors(text) == {"top-level", "bad-input", "bad-input-1"}


def test_code_paths_named_in_the_docs_exist():
    """Paths (`planner/...`, `tests/...`) and modules (`planner.core.forecast`) named in docs/ exist."""
    tracked = set(tracked_files())
    bad = []
    for doc in (d for d in markdown_files() if d.startswith("docs/")):
        for span in re.findall(r"`([^`\s]+)`", (ROOT / doc).read_text(encoding="utf-8")):
            if re.fullmatch(r"(planner|tests|workbook|docs|benchmarks)/[\w./-]+", span):
                if span not in tracked and not any(t.startswith(span.rstrip("/") + "/") for t in tracked):
                    bad.append(span)
            elif re.fullmatch(r"planner(\.\w+)+", span) and not _importable(span):
                bad.append(span)
    assert not bad, "named in docs/ but not in the repository: " + ", ".join(bad)


def _importable(dotted: str) -> bool:
    """A module, or an attribute of one (planner.model.errors.InputError)."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False
