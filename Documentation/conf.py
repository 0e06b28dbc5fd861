# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration of traceregion's documentation: `make htmldocs`
# (HTML in .out/html), and `make check` builds it with -W.  The API
# reference comes from the sources' kernel-doc comments through the
# kernel's own Sphinx extension (Documentation/sphinx/kerneldoc.py of
# Debian's linux-source-6.1, unpacked by tools/lib.sh's tr_ksrc), which
# runs scripts/kernel-doc; tools/check-docs points TR_KSRC at that tree.
import os
import sys

ksrc = os.environ.get('TR_KSRC')
if not ksrc:
    sys.exit('conf.py: TR_KSRC must name a kernel source tree '
             '(tools/check-docs and make htmldocs set it)')
sys.path.insert(0, os.path.join(ksrc, 'Documentation', 'sphinx'))

project = 'traceregion'
copyright = 'The traceregion authors'
root_doc = 'index'
extensions = ['kerneldoc']
exclude_patterns = []
kerneldoc_bin = os.path.join(ksrc, 'scripts', 'kernel-doc')
kerneldoc_srctree = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
primary_domain = 'c'
highlight_language = 'none'
# Kernel annotations in the prototypes kernel-doc emits.
c_id_attributes = ['__acquires', '__releases', '__must_check', '__init',
                   '__exit', 'notrace', '__always_inline']
c_paren_attributes = ['__acquires', '__releases', '__cond_acquires']
html_theme = 'alabaster'
