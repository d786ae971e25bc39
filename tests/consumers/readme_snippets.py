#!/usr/bin/env python3
"""readme_snippets.py README - every code block of README.md preceded by a line
`<!-- tests/consumers/PATH -->` must be that file, verbatim: the README's "Use it from your
project" shows exactly what the consumer tests build. Exit 1 naming the first block that differs."""
import pathlib
import re
import sys

readme = pathlib.Path(sys.argv[1])
root = readme.parent
blocks = re.findall(r"<!-- (tests/consumers/[^ ]+) -->\n```[a-z]*\n(.*?)```\n", readme.read_text(), re.S)
if len(blocks) < 4:
    sys.exit(f"readme_snippets: found {len(blocks)} marked snippets in {readme}; expected at least 4")
for path, body in blocks:
    want = (root / path).read_text()
    if body != want:
        sys.exit(f"readme_snippets: the README's copy of {path} differs from the file")
print(f"readme_snippets: {len(blocks)} snippets equal their files: " + ", ".join(p for p, _ in blocks))
