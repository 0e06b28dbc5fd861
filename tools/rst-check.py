#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""rst-check.py - render the documentation with docutils, fail on any warning.

Usage: rst-check.py --kernel-doc SCRIPT [--srctree DIR] [--html DIR] FILE.rst...

Renders every FILE with Debian's docutils (python3-docutils) at report level
"warning" and exits 1 when any file produced a warning or an error, printing
them as FILE:LINE: (LEVEL/N) message.  --html DIR also writes the HTML, for
looking at it.

The documentation is written for the kernel's Sphinx set-up; plain docutils
does not know the few Sphinx constructs it uses, so this registers stand-ins:

  .. kernel-doc:: FILE    with the options of the kernel's own directive
                          (Documentation/sphinx/kerneldoc.py: :export:,
                          :internal:, :identifiers:, :functions:,
                          :no-identifiers:, :doc:).  It runs SCRIPT (the
                          kernel's scripts/kernel-doc) with -rst on
                          SRCTREE/FILE and parses the output as nested rst,
                          with line numbers of FILE.  Anything kernel-doc
                          prints on stderr, a non-zero exit, or an empty
                          result is an error.
  .. c:function:: and the other C-domain directives kernel-doc emits, and
  :c:func:, :c:type:, ... roles: rendered as plain signatures and literals.
  .. toctree::            each entry must name an existing .rst file.
  :doc:`target`           the target must be an existing .rst file.
  :ref:`text <label>`     rendered as its text.
  .. code-block::         docutils' code directive.

Checks beyond rendering:
  - with an index.rst among the FILEs, every other FILE must be listed in
    some toctree (Sphinx warns "document isn't included in any toctree");
  - every symbol a source file exports (EXPORT_SYMBOL*(name...)) must be
    rendered by some kernel-doc directive on that file, so that the API
    reference cannot silently lose a function.
"""

import argparse
import io
import os
import re
import subprocess
import sys

import docutils
import docutils.core
from docutils import nodes
from docutils.parsers.rst import Directive, directives, roles
from docutils.parsers.rst.directives.body import CodeBlock
from docutils.statemachine import StringList, string2lines

# kernel-doc picks its C-domain dialect from the Sphinx version: claim the
# one of Debian 12's python3-sphinx (5.3), the dialect a kernel build there
# would get (c:struct, c:enum, ...).
SPHINX_DIALECT = "5.3.0"

OPTS = None
# Per source file (relative to srctree): functions kernel-doc rendered.
RENDERED = {}
# Documents named by a toctree, as absolute paths.
IN_TOCTREE = set()


def rel(path):
    return os.path.relpath(path, OPTS.srctree)


def doc_dir(state):
    return os.path.dirname(os.path.abspath(state.document.current_source))


def error(directive, text):
    return [directive.state.document.reporter.error(text,
                                                    line=directive.lineno)]


class KernelDoc(Directive):
    """The kernel's kernel-doc directive, without Sphinx."""

    required_arguments = 1
    optional_arguments = 4
    option_spec = {
        "doc": directives.unchanged_required,
        "export": directives.unchanged,
        "internal": directives.unchanged,
        "identifiers": directives.unchanged,
        "no-identifiers": directives.unchanged,
        "functions": directives.unchanged,
    }
    has_content = False

    def run(self):
        src = self.arguments[0]
        path = os.path.join(OPTS.srctree, src)
        if not os.path.isfile(path):
            return error(self, "kernel-doc: %s: no such file" % src)

        cmd = [OPTS.kernel_doc, "-rst", "-enable-lineno",
               "-sphinx-version", SPHINX_DIALECT]
        opts = dict(self.options)
        wanted = []
        if "functions" in opts:
            opts["identifiers"] = opts["functions"]
        if "export" in opts:
            cmd.append("-export")
        elif "internal" in opts:
            cmd.append("-internal")
        elif "doc" in opts:
            cmd += ["-function", opts["doc"]]
        elif "identifiers" in opts:
            wanted = (opts["identifiers"] or "").split()
            if wanted:
                for i in wanted:
                    cmd += ["-function", i]
            else:
                cmd.append("-no-doc-sections")
        for i in (opts.get("no-identifiers") or "").split():
            cmd += ["-nosymbol", i]
        cmd.append(path)

        p = subprocess.run(cmd, cwd=OPTS.srctree, capture_output=True,
                           text=True)
        if p.returncode != 0 or p.stderr.strip():
            return error(self, "kernel-doc %s: exit %d\n%s" %
                         (" ".join(cmd[1:-1] + [src]), p.returncode,
                          p.stderr.strip()))

        result = StringList()
        lineno = 0
        declared = set()
        for line in string2lines(p.stdout, convert_whitespace=True):
            m = re.match(r"^\.\. LINENO ([0-9]+)$", line)
            if m:
                lineno = int(m.group(1)) - 1
                continue
            result.append(line, src, lineno)
            lineno += 1
            m = re.match(r"^\.\. c:(?:function|macro):: .*?(\w+)\s*(?:\(|$)",
                         line)
            if m:
                RENDERED.setdefault(src, set()).add(m.group(1))
                declared.add(m.group(1))
            m = re.match(r"^\.\. c:(?:struct|union|enum|type):: .*?(\w+)$",
                         line)
            if m:
                declared.add(m.group(1))
        RENDERED.setdefault(src, set())
        if not any(line.strip() for line in result):
            return error(self, "kernel-doc %s: nothing to render" %
                         " ".join(cmd[1:-1] + [src]))
        # kernel-doc says nothing about a missing identifier when it found
        # another one: check here.
        missing = [i for i in wanted if i not in declared]
        if missing:
            return error(self, "kernel-doc: %s: no kernel-doc comment for %s"
                         % (src, " ".join(missing)))

        node = nodes.section()
        node.document = self.state.document
        self.state.nested_parse(result, 0, node, match_titles=1)
        return node.children


class CObject(Directive):
    """Stand-in for the Sphinx C domain: signature, then the content."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec = {"noindex": directives.flag,
                   "noindexentry": directives.flag}

    def run(self):
        sig = nodes.paragraph()
        sig += nodes.literal(text=self.arguments[0])
        body = nodes.block_quote()
        self.state.nested_parse(self.content, self.content_offset, body)
        return [sig, body]


class TocTree(Directive):
    """Stand-in for Sphinx's toctree: entries must exist."""

    has_content = True
    option_spec = {"maxdepth": int, "caption": directives.unchanged,
                   "numbered": directives.unchanged, "hidden": directives.flag,
                   "titlesonly": directives.flag, "glob": directives.flag}

    def run(self):
        out = nodes.bullet_list()
        msgs = []
        base = doc_dir(self.state)
        for entry in self.content:
            entry = entry.strip()
            if not entry:
                continue
            m = re.match(r"^(.*?)\s*<([^>]+)>$", entry)
            title, target = (m.group(1), m.group(2)) if m else (entry, entry)
            path = os.path.normpath(os.path.join(base, target + ".rst"))
            if not os.path.isfile(path):
                msgs.append(self.state.document.reporter.error(
                    "toctree contains reference to nonexisting document %r"
                    % target, line=self.lineno))
                continue
            IN_TOCTREE.add(path)
            item = nodes.list_item()
            item += nodes.paragraph(text=title)
            out += item
        return [out] + msgs


def role_text(text):
    m = re.match(r"^(.*?)\s*<([^>]+)>$", text, re.S)
    return (m.group(1), m.group(2)) if m else (text, text)


def literal_role(name, rawtext, text, lineno, inliner, options=None,
                 content=None):
    shown, _ = role_text(text)
    return [nodes.literal(rawtext, shown)], []


def ref_role(name, rawtext, text, lineno, inliner, options=None,
             content=None):
    shown, _ = role_text(text)
    return [nodes.emphasis(rawtext, shown)], []


def doc_role(name, rawtext, text, lineno, inliner, options=None,
             content=None):
    shown, target = role_text(text)
    base = os.path.dirname(os.path.abspath(inliner.document.current_source))
    path = os.path.normpath(os.path.join(base, target + ".rst"))
    if not os.path.isfile(path):
        msg = inliner.reporter.error("unknown document: %r" % target,
                                     line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    return [nodes.emphasis(rawtext, shown)], []


def register():
    directives.register_directive("kernel-doc", KernelDoc)
    for kind in ("function", "macro", "struct", "union", "enum", "type",
                 "var", "member", "enumerator"):
        directives.register_directive("c:" + kind, CObject)
    directives.register_directive("toctree", TocTree)
    directives.register_directive("code-block", CodeBlock)
    for kind in ("func", "type", "macro", "data", "member", "struct",
                 "union", "enum", "enumerator", "var", "expr", "texpr"):
        roles.register_local_role("c:" + kind, literal_role)
    roles.register_local_role("ref", ref_role)
    roles.register_local_role("doc", doc_role)


def render(path):
    """Render one file; return what docutils reported at warning or above."""
    stream = io.StringIO()
    settings = {
        "report_level": 2,         # warnings and up are reported...
        "halt_level": 5,           # ...all of them, not just the first
        "warning_stream": stream,
        "syntax_highlight": "none",
        "input_encoding": "utf-8",
        "output_encoding": "unicode",
        "file_insertion_enabled": True,
        "raw_enabled": False,
        "_disable_config": True,
        "tab_width": 8,
    }
    with open(path, encoding="utf-8") as f:
        source = f.read()
    try:
        html = docutils.core.publish_string(
            source, source_path=path, writer_name="html5",
            settings_overrides=settings)
    except Exception as e:  # a directive blew up: report, do not hide it
        return "%s: rendering failed: %s: %s\n" % (rel(path),
                                                   type(e).__name__, e)
    if OPTS.html:
        out = os.path.join(OPTS.html,
                           os.path.splitext(os.path.basename(path))[0] +
                           ".html")
        with open(out, "w", encoding="utf-8") as f:
            f.write(html)
    return stream.getvalue()


def exports(src):
    with open(os.path.join(OPTS.srctree, src), encoding="utf-8") as f:
        return re.findall(r"^\s*EXPORT_SYMBOL\w*\(\s*(\w+)", f.read(), re.M)


def main():
    global OPTS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel-doc", required=True,
                    help="the kernel's scripts/kernel-doc")
    ap.add_argument("--srctree",
                    default=os.path.dirname(os.path.dirname(
                        os.path.abspath(__file__))),
                    help="where kernel-doc file names are relative to")
    ap.add_argument("--html", help="also write HTML into this directory")
    ap.add_argument("files", nargs="+")
    OPTS = ap.parse_args()
    OPTS.srctree = os.path.abspath(OPTS.srctree)
    if OPTS.html:
        os.makedirs(OPTS.html, exist_ok=True)
    register()

    failed = 0
    for f in OPTS.files:
        msgs = render(f)
        if msgs:
            failed += 1
            sys.stdout.write(msgs.replace(os.path.abspath(f) + ":",
                                          rel(os.path.abspath(f)) + ":"))
        else:
            print("rst-check: ok   %s" % rel(os.path.abspath(f)))

    paths = [os.path.abspath(f) for f in OPTS.files]
    if any(os.path.basename(p) == "index.rst" for p in paths):
        for p in paths:
            if os.path.basename(p) != "index.rst" and p not in IN_TOCTREE:
                print("%s: document isn't included in any toctree" % rel(p))
                failed += 1

    for src in sorted(RENDERED):
        for sym in exports(src):
            if sym not in RENDERED[src]:
                print("%s: exported %s is not in any kernel-doc directive" %
                      (src, sym))
                failed += 1

    if failed:
        print("rst-check: %d problem(s), docutils %s" %
              (failed, docutils.__version__))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
