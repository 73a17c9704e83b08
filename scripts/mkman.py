#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""mkman - a man page in roff from its source in man/ (a small Markdown subset), so that
each page is written once, in a form people edit and review.

  % NAME SECTION "title"     first line: the page's header
  # NAME, ## Sub             .SH and .SS
  blank line                 a new paragraph
  - item                     a bullet
  TERM then ": definition"   a tagged paragraph (.TP)
  ``` ... ```                literal lines
  `code`, **bold**, *italic* inline

usage: mkman.py SOURCE.md OUT [VERSION]"""
import re
import sys


def esc(s):
    s = s.replace("\\", "\\e").replace("-", "\\-")
    return s


def inline(s):
    s = esc(s)
    s = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", s)
    s = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", s)
    s = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*", r"\\fI\1\\fR", s)
    if s.startswith(".") or s.startswith("'"):
        s = "\\&" + s
    return s


def main():
    src, out = sys.argv[1], sys.argv[2]
    version = sys.argv[3] if len(sys.argv) > 3 else ""
    lines = open(src, encoding="utf-8").read().splitlines()
    m = re.match(r'%\s+(\S+)\s+(\S+)\s+"([^"]*)"', lines[0])
    if not m:
        sys.exit(f"{src}:1: the first line must be: % NAME SECTION \"title\"")
    name, sect, title = m.groups()
    o = [f'.TH "{name.upper()}" "{sect}" "" "eastwatch {version}" "{title}"',
         ".nh", ".ad l"]
    literal = False
    i = 1
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith("```"):
            literal = not literal
            o += [".PP", ".RS 4", ".nf"] if literal else [".fi", ".RE"]
            continue
        if literal:
            o.append(esc(line) if not line.startswith(".") else "\\&" + esc(line))
            continue
        if not line.strip():
            o.append(".PP")
        elif line.startswith("## "):
            o.append(f'.SS "{esc(line[3:])}"')
        elif line.startswith("# "):
            o.append(f'.SH "{esc(line[2:].upper())}"')
        elif line.startswith("- "):
            o += [".IP \\(bu 2", inline(line[2:])]
        elif i < len(lines) and lines[i].startswith(": "):
            o += [".TP", inline(line), inline(lines[i][2:])]
            i += 1
        elif line.startswith(": "):
            o.append(inline(line[2:]))
        else:
            o.append(inline(line.strip()))
    # collapse runs of paragraph marks
    text, prev = [], None
    for l in o:
        if l == ".PP" and prev in (".PP", ".TP", None) or (l == ".PP" and prev and prev.startswith(".S")):
            continue
        text.append(l)
        prev = l
    open(out, "w", encoding="utf-8").write("\n".join(text) + "\n")


if __name__ == "__main__":
    main()
