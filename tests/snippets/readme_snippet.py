#!/usr/bin/env python3
"""readme_snippet.py README FILE - the README's code block marked `<!-- tests/snippets/NAME -->`
must be FILE (tests/snippets/NAME), verbatim: the README's "Training from C++" is the source
ctest builds and runs. Exit 1 when it is missing or differs."""
import pathlib
import re
import sys

readme, source = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
name = "tests/snippets/" + source.name
blocks = re.findall(r"<!-- " + re.escape(name) + r" -->\n```[a-z]*\n(.*?)```\n", readme.read_text(), re.S)
if len(blocks) != 1:
    sys.exit(f"readme_snippet: {len(blocks)} blocks marked {name} in {readme}; expected 1")
if blocks[0] != source.read_text():
    sys.exit(f"readme_snippet: the README's copy of {name} differs from the file")
print(f"readme_snippet: the README's {name} is the file")
