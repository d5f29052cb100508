#!/usr/bin/env python3
"""Run the notebooks the way `nbdev_test` does, time their cells, save their outputs, check their figures.

    python .ci/notebooks.py run   [NB ...] [--save] [--top N] [--flags slow]   # execute (slow/gpu cells skipped), time each cell
    python .ci/notebooks.py check [NB ...]                      # the saved outputs: figures present, sizes small
    python .ci/notebooks.py shrink [NB ...]                     # re-encode saved figures as run --save does

`run --save` writes each cell's outputs back into the notebook (PNG figures at 1x, not retina, with a 256-colour
palette), so the notebooks
show on GitHub and in the docs what their cells do; `nbdev_clean` keeps outputs (settings.ini: clear_all = False).
Cells tagged with a flag in settings.ini's `tst_flags` (slow, gpu) are skipped, as `nbdev_test` skips them, and keep
whatever outputs they had.

`check` fails when a code cell that draws (show_batch, show_results, plot_*, show_*, plt., .show()) and does not close
its figures (`plt.close`: a test of the figure itself) has no image among its saved outputs, when a notebook's outputs exceed MAX_KB, or when an output holds an error.
Times: wall and CPU seconds per cell (CPU = this process's threads plus finished child processes).
"""
import argparse, base64, configparser, json, os, re, resource, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT/'nbs'
MAX_KB = 400            # per notebook, all outputs together (the issue: "a few hundred KB per notebook at most")
DRAWS = re.compile(r'(\.show_batch\(|\.show_results\(|\bshow_\w+\(|\bplot_\w+\(|\bplt\.|\.show\(\)|\bshow_image\(|\bIPImage\()')
STRINGS = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")   # a call named inside a string literal draws nothing

def skip_flags():
    cfg = configparser.ConfigParser(); cfg.read(ROOT/'settings.ini')
    return set(cfg['DEFAULT'].get('tst_flags', '').split())

def directives(src):
    "The `#| ...` directives at the top of a cell, as nbdev reads them: {name: [args]}."
    d = {}
    for line in src.splitlines():
        m = re.match(r'\s*#\|\s*(\S+)(.*)', line)
        if not m:
            if line.strip() == '': continue
            break
        d[m.group(1).rstrip(':')] = m.group(2).split()
    return d

def skipped(cell, flags):
    if cell['cell_type'] != 'code': return True
    src = ''.join(cell['source'])
    if 'nbdev_export(' in src: return True
    d = directives(src)
    if d.get('eval', [''])[0].lower() == 'false': return True
    return bool(flags & d.keys())

def nb_paths(names):
    if not names: return sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith('_'))
    return [NBS/(n if n.endswith('.ipynb') else n + '.ipynb') for n in names]

def cpu_now():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime

def run(path, save=False, top=5, flags=()):
    from execnb.shell import CaptureShell
    from execnb.nbio import read_nb, write_nb
    os.environ.setdefault('IN_TEST', '1')    # as nbdev_test sets it
    nb, flags = read_nb(path), skip_flags() - set(flags)
    sh = CaptureShell(path, mpl_format='png')
    times, t0, c0 = [], time.time(), cpu_now()
    cwd = os.getcwd(); os.chdir(path.parent)
    try:
        for i, cell in enumerate(nb.cells):
            if skipped(cell, flags): continue
            w, c = time.time(), cpu_now()
            cell.outputs = []
            sh.cell(cell)
            times.append((time.time() - w, cpu_now() - c, i, cell.source.splitlines()[0][:70] if cell.source else ''))
            if sh.exc:
                print(sh.prettytb(fname=path), file=sys.stderr)
                return False, times
    finally: os.chdir(cwd)
    wall, cpu = time.time() - t0, cpu_now() - c0
    print(f'{path.name}: {wall:.0f} s wall, {cpu:.0f} s CPU')
    for w, c, i, first in sorted(times, reverse=True)[:top]:
        print(f'    cell {i:3d}: {w:6.1f} s wall {c:7.1f} s CPU  {first}')
    if save:
        for cell in nb.cells:
            if cell.cell_type == 'code': cell.execution_count = None
        shrink_outputs(nb.cells)
        write_nb(nb, path)
    return True, times

def shrink_png(b64:str) -> str:
    "A figure re-encoded with an adaptive 256-colour palette (no dithering): a third of the size, the same to the eye"
    import base64, io
    from PIL import Image
    raw = base64.b64decode(b64)
    im = Image.open(io.BytesIO(raw)).convert('RGB').quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buf = io.BytesIO(); im.save(buf, 'png', optimize=True)
    return base64.b64encode(buf.getvalue()).decode() if buf.tell() < len(raw) else b64

def shrink_outputs(cells):
    "Every saved figure of `cells` through `shrink_png`"
    for c in cells:
        for o in c.get('outputs', []):
            if 'image/png' in o.get('data', {}): o['data']['image/png'] = shrink_png(o['data']['image/png'])

def out_bytes(o): return len(json.dumps(o, ensure_ascii=False).encode())   # as the .ipynb stores it

def check(paths):
    flags, bad = skip_flags(), []
    for p in paths:
        nb = json.loads(p.read_text())
        total, figs = 0, 0
        for i, cell in enumerate(nb['cells']):
            if cell['cell_type'] != 'code': continue
            outs = cell.get('outputs', [])
            total += sum(out_bytes(o) for o in outs)
            imgs = sum('image/png' in o.get('data', {}) for o in outs)
            figs += imgs
            src = ''.join(cell['source'])
            if any(o.get('output_type') == 'error' for o in outs): bad.append(f'{p.name} cell {i}: saved output is an error')
            code = STRINGS.sub("''", '\n'.join(l for l in src.splitlines() if not l.lstrip().startswith(('#', 'def ', '@'))))
            exported = 'export' in directives(src)
            if DRAWS.search(code) and 'plt.close(' not in code and not exported and not skipped(cell, flags) and not imgs and 'test_fail' not in code \
               and not re.search(r'^\s*(def|class) ', src, re.M):
                bad.append(f'{p.name} cell {i}: draws ({DRAWS.search(code).group(0)}) but has no saved figure: '
                           f'run `python .ci/notebooks.py run {p.stem} --save`')
        kb = total/1024
        if kb > MAX_KB: bad.append(f'{p.name}: outputs take {kb:.0f} KB (limit {MAX_KB} KB)')
        print(f'{p.name}: {figs} figures, outputs {kb:.0f} KB')
    for b in bad: print('FAIL', b)
    return not bad

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('cmd', choices=['run', 'check', 'shrink'])
    ap.add_argument('nbs', nargs='*', help='notebook names (default: all)')
    ap.add_argument('--save', action='store_true', help='write the outputs into the notebooks')
    ap.add_argument('--top', type=int, default=5, help='show the N slowest cells of each notebook')
    ap.add_argument('--flags', nargs='*', default=[], help='run cells with these flags too (e.g. slow), as nbdev_test --flags')
    a = ap.parse_args()
    if a.cmd == 'check': sys.exit(0 if check(nb_paths(a.nbs)) else 1)
    if a.cmd == 'shrink':     # re-encode the figures already saved (what `run --save` does to new ones)
        for p in nb_paths(a.nbs):
            nb = json.loads(p.read_text())
            shrink_outputs(nb['cells'])
            p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
        sys.exit(0)
    paths = nb_paths(a.nbs)
    if len(paths) == 1: sys.exit(0 if run(paths[0], a.save, a.top, a.flags)[0] else 1)
    import subprocess    # one fresh Python per notebook, as nbdev_test gives each its own process
    extra = ['--save'] * a.save + ['--top', str(a.top)] + (['--flags', *a.flags] if a.flags else [])
    failed = [p.name for p in paths if subprocess.run([sys.executable, __file__, 'run', p.name, *extra]).returncode]
    if failed: print('failed:', *failed)
    sys.exit(1 if failed else 0)
