#!/usr/bin/env python3
"""README.md from nbs/index.ipynb (nbdev's `readme_nb`), without Quarto.

    python3 .ci/readme.py          # write README.md
    python3 .ci/readme.py --check  # exit 1 when README.md is not what index.ipynb gives

nbdev's own `nbdev_readme` renders the notebook with Quarto, which cannot be installed everywhere (its PyPI
package downloads the binary). The index notebook is markdown cells (and, if ever, code cells without outputs),
so the README is those cells in order: markdown as written, code as fenced Python. `nbdev_readme` gives the same
text where Quarto is installed, up to Quarto's line wrapping.
"""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = '<!-- generated from nbs/index.ipynb (python3 .ci/readme.py): edit the notebook, not this file -->\n\n'

def render(nb_path=ROOT/'nbs'/'index.ipynb') -> str:
    cells = json.loads(Path(nb_path).read_text())['cells']
    parts = []
    for c in cells:
        src = ''.join(c['source']).strip('\n')
        if not src or src.startswith('#| hide'): continue
        if c['cell_type'] == 'markdown': parts.append(src)
        elif c['cell_type'] == 'code':
            lines = [l for l in src.splitlines() if not l.startswith('#|')]
            if lines: parts.append('```python\n' + '\n'.join(lines) + '\n```')
    return HEADER + '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text, readme = render(), ROOT/'README.md'
    if '--check' in sys.argv:
        if readme.read_text() != text:
            print("README.md is not what nbs/index.ipynb gives: edit nbs/index.ipynb and run `python3 .ci/readme.py`")
            sys.exit(1)
    else: readme.write_text(text)
