"""Training recipes against the paper's at equal GPU time, several seeds, judged by `spade_eval`'s compare mode; one GPU.

    python data_prep/blue_marble_modis.py --out data/bluemarble          # the real chips (pip install -e ".[examples]")
    python bench/recipes_gpu.py all --chips data/bluemarble/chips --out recipe_gpu --gpu-seconds 45 --jobs 12

`all` runs four phases, each also a mode of its own:

- `probe`: every recipe alone on the GPU (nothing else running): seconds per training step (a G and a D step on one
  batch), timed with CUDA synchronised after 10 warm-up steps.
- `train`: every (recipe, seed) in its own process, `--jobs` at a time sharing the GPU. A run gets the whole epochs
  that fit in `--gpu-seconds` of its recipe's *probed* step time (equal compute: a costlier recipe takes fewer
  steps), and saves its model after a quarter, half and all of them. Runs that share the GPU slow each other down,
  which changes the wall time, not the number of steps a recipe gets.
- `evaluate`: per seed, one `compare_models` of every recipe at every snapshot (one judge, the same held-out tiles:
  the chips held out by split seed 0), seeds in parallel once the judge is cached.
- `report`: mean over seeds of the realism accuracy (0.5 = a classifier cannot tell generated from real) and of the
  generated/real mIoU, 95% t-intervals over seeds, the realism difference from `paper` paired by seed, the GPU-seconds
  at which each recipe first reaches paper's final realism; `summary.md`, `summary.json`, a quality-against-time
  figure and a picture of the same held-out label maps under every recipe (seed 0, whole budget).

On a lent GPU with minutes to spare, `evaluate` (a judge trained, then 24 models a seed) may not fit: there,
`bench/recipes_images.py` saves each snapshot's generated held-out chips as arrays (a few MB a seed), and
`bench/recipes_score.py` scores them anywhere with the same judges. (The judge's cache lives in the chip folder:
a copy of the chips sent again replaces it.)
"""
import argparse, json, math, os, subprocess, sys, time
from pathlib import Path

RECIPES = {   # spade_learner options (the paper's: none)
    'paper': {},
    'ema': dict(ema=0.999),
    'diffaug': dict(diffaug='color,translation,cutout'),
    'clade': dict(norm_G='spectralcladesyncbatch'),
    'oasis': dict(critic='oasis', noise_dim=64),
    'oasis+ema': dict(critic='oasis', noise_dim=64, ema=0.999),
    'oasis+ema+diffaug': dict(critic='oasis', noise_dim=64, ema=0.999, diffaug='color,translation,cutout'),
    'oasis+ema+clade': dict(critic='oasis', noise_dim=64, ema=0.999, norm_G='spectralcladesyncbatch'),
}
FRACS = (0.25, 0.5, 1.0)

def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('mode', choices=['all', 'probe', 'train', 'evaluate', 'report', 'one', 'eval_one'])
    p.add_argument('--chips', required=True); p.add_argument('--out', default='recipe_gpu')
    p.add_argument('--recipes', nargs='+', default=list(RECIPES)); p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    p.add_argument('--gpu-seconds', type=float, default=45.); p.add_argument('--jobs', type=int, default=12)
    p.add_argument('--deadline', type=float, default=0, help='unix time at which every training run stops and saves (0: none)')
    p.add_argument('--size', type=int, default=64); p.add_argument('--bs', type=int, default=16)
    p.add_argument('--ngf', type=int, default=64); p.add_argument('--ndf', type=int, default=64)
    p.add_argument('--valid-pct', type=float, default=0.15)
    p.add_argument('--seg-epochs', type=int, default=10); p.add_argument('--realism-steps', type=int, default=300)
    p.add_argument('--device', default=None); p.add_argument('--probe-steps', type=int, default=30)
    p.add_argument('--recipe'); p.add_argument('--seed', type=int)
    return p.parse_args(argv)

def run_name(recipe, seed): return f"{recipe.replace('+', '_')}_s{seed}"

def _sync(dev):
    import torch
    if dev.type == 'cuda': torch.cuda.synchronize(dev)

def _learner(a, recipe, seed):
    import warnings; warnings.filterwarnings('ignore')
    from spade_fastai.data import spade_dls
    from spade_fastai.learner import spade_learner
    kw = dict(device=a.device) if a.device else {}
    dls = spade_dls(a.chips, bs=a.bs, size=a.size, valid_pct=a.valid_pct, seed=0, num_workers=0, **kw)
    return spade_learner(dls, ngf=a.ngf, ndf=a.ndf, vgg_weights=None, seed=seed, **RECIPES[recipe])

def probe(a):
    "Seconds per training step of each recipe, alone on the device"
    from fastai.callback.core import Callback, CancelFitException
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    res = json.loads((out/'probe.json').read_text()) if (out/'probe.json').exists() else {}
    for r in a.recipes:
        if r in res: continue
        learn = _learner(a, r, 0)
        dev = learn.dls.device
        class Probe(Callback):
            def before_fit(self): self.t = []
            def after_batch(self):
                if not self.training: return
                _sync(dev); self.t.append(time.perf_counter())
                if len(self.t) >= 10 + a.probe_steps: raise CancelFitException()
        pr = Probe()
        with learn.no_bar(), learn.no_logging(): learn.fit(100, cbs=pr)
        res[r] = (pr.t[-1] - pr.t[9]) / (len(pr.t) - 10)
        print(f'probe {r}: {res[r] * 1000:.1f} ms per step on {dev}', flush=True)
        (out/'probe.json').write_text(json.dumps(res, indent=1))
        del learn
    return res

def train_one(a):
    "One (recipe, seed): whole epochs that fit the budget at the probed step time; snapshots at 1/4, 1/2 and all of them"
    import torch
    from fastai.callback.core import Callback, CancelFitException
    from spade_fastai.io import save_spade
    out, name = Path(a.out), run_name(a.recipe, a.seed)
    per_step = json.loads((out/'probe.json').read_text())[a.recipe]
    learn = _learner(a, a.recipe, a.seed)
    n_batches = len(learn.dls.train)
    n_epoch = max(4, round(a.gpu_seconds / (per_step * n_batches)))
    at = {max(1, round(f * n_epoch)): f for f in FRACS}
    saved = {}
    def save(frac, cut=False):
        f = out/f'{name}_f{frac}.safetensors'
        save_spade(f, learn)
        steps = learn.epoch * n_batches + (learn.iter + 1 if cut else n_batches)
        saved[str(frac)] = dict(file=str(f), epoch=learn.epoch + 1, steps=steps, gpu_s=round(steps * per_step, 1), cut=cut)
    class Snap(Callback):
        order = 99
        def after_batch(self):
            if self.training and a.deadline and time.time() > a.deadline:
                for f in FRACS:
                    if str(f) not in saved: save(f, cut=True)
                raise CancelFitException()
        def after_epoch(self):
            f = at.get(learn.epoch + 1)
            if f is not None and str(f) not in saved: save(f)
    t0 = time.time()
    with learn.no_bar(), learn.no_logging(): learn.fit(n_epoch, cbs=Snap())
    for f in FRACS:
        if str(f) not in saved: save(f, cut=True)
    rec = dict(recipe=a.recipe, seed=a.seed, options=RECIPES[a.recipe], s_per_step=per_step, epochs=n_epoch,
               batches_per_epoch=n_batches, wall_s=round(time.time() - t0, 1), snapshots=saved)
    (out/f'{name}.json').write_text(json.dumps(rec, indent=1))
    print(json.dumps(rec), flush=True)

def _pool(cmds, jobs, logs):
    running, todo = [], list(zip(cmds, logs))
    while todo or running:
        while todo and len(running) < jobs:
            c, lg = todo.pop(0)
            running.append((lg, subprocess.Popen(c, stdout=open(lg, 'w'), stderr=subprocess.STDOUT)))
        time.sleep(2)
        for j in list(running):
            if j[1].poll() is not None:
                running.remove(j); print(f'done {Path(j[0]).stem}: exit {j[1].returncode}', flush=True)

def _common(a):
    return ['--chips', a.chips, '--out', a.out, '--gpu-seconds', str(a.gpu_seconds), '--size', str(a.size), '--bs', str(a.bs),
            '--ngf', str(a.ngf), '--ndf', str(a.ndf), '--valid-pct', str(a.valid_pct), '--deadline', str(a.deadline),
            '--seg-epochs', str(a.seg_epochs), '--realism-steps', str(a.realism_steps)] + (['--device', a.device] if a.device else [])

def train(a):
    out = Path(a.out)
    todo = [(r, s) for s in a.seeds for r in a.recipes if not (out/f'{run_name(r, s)}.json').exists()]
    _pool([[sys.executable, __file__, 'one', '--recipe', r, '--seed', str(s)] + _common(a) for r, s in todo], a.jobs,
          [str(out/f'{run_name(r, s)}.log') for r, s in todo])

def _models(a, s):
    runs = [(r, f) for r in a.recipes for f in FRACS]
    return runs, [Path(a.out)/f'{run_name(r, s)}_f{f}.safetensors' for r, f in runs]

def eval_one(a):
    "One seed: every recipe at every snapshot in one compare_models call"
    from spade_fastai.evaluate import compare_models
    runs, models = _models(a, a.seed)
    keep = [(rf, m) for rf, m in zip(runs, models) if m.exists()]
    labels = [f"{r}@{f:g}" for (r, f), _ in keep]
    res = compare_models([m for _, m in keep], a.chips, out=None, labels=labels, seg_epochs=a.seg_epochs,
                         realism_steps=a.realism_steps, show_progress=False)
    rows = []
    for ((r, f), _), lab in zip(keep, labels):
        m = res['models'][lab]
        rows.append(dict(seed=a.seed, recipe=r, frac=f, realism=m['realism']['accuracy'], realism_ci=m['realism']['ci95'],
                         miou_fraction=m['semantic']['miou_fraction']))
    (Path(a.out)/f'eval_s{a.seed}.json').write_text(json.dumps(rows, indent=1))
    print(f'seed {a.seed}: {len(rows)} models scored in {res["seconds"]} s', flush=True)

def evaluate(a):
    "Seeds in parallel once the first has cached the judge"
    out = Path(a.out)
    cmd = lambda s: [sys.executable, __file__, 'eval_one', '--seed', str(s), '--recipes', *a.recipes] + _common(a)
    cache = Path(a.chips)/'.spade_eval'
    before = set(cache.glob('segmenter-*.safetensors')) if cache.exists() else set()
    first = subprocess.Popen(cmd(a.seeds[0]), stdout=open(out/f'eval_s{a.seeds[0]}.log', 'w'), stderr=subprocess.STDOUT)
    while first.poll() is None and not (set(cache.glob('segmenter-*.safetensors')) - before if cache.exists() else False):
        time.sleep(2)
    time.sleep(3)   # (the cache file is written atomically; give the first run a moment past it)
    rest = [subprocess.Popen(cmd(s), stdout=open(out/f'eval_s{s}.log', 'w'), stderr=subprocess.STDOUT) for s in a.seeds[1:]]
    for p in [first] + rest: p.wait()

from recipes import _t95   # (bench/recipes.py: mean and 95% t-interval over seeds)

def report(a):
    out = Path(a.out)
    rows = [d for s in a.seeds if (out/f'eval_s{s}.json').exists() for d in json.loads((out/f'eval_s{s}.json').read_text())]
    runs = {(r, s): json.loads((out/f'{run_name(r, s)}.json').read_text()) for r in a.recipes for s in a.seeds
            if (out/f'{run_name(r, s)}.json').exists()}
    probe_s = json.loads((out/'probe.json').read_text())
    for d in rows: d['gpu_s'] = runs[(d['recipe'], d['seed'])]['snapshots'][str(d['frac'])]['gpu_s']
    paper_full = {d['seed']: d['realism'] for d in rows if d['recipe'] == 'paper' and d['frac'] == 1.0}
    paper_miou = {d['seed']: d['miou_fraction'] for d in rows if d['recipe'] == 'paper' and d['frac'] == 1.0}
    summary, lines = {}, ['| recipe | ms/step | share of budget | GPU s | steps | realism (0.5 = real) | realism vs paper (whole budget) | gen/real mIoU | mIoU vs paper |',
                          '|---|---|---|---|---|---|---|---|---|']
    for r in a.recipes:
        for f in FRACS:
            ds = [d for d in rows if d['recipe'] == r and d['frac'] == f]
            if not ds: continue
            rm, rh = _t95([d['realism'] for d in ds]); mm, mh = _t95([d['miou_fraction'] for d in ds])
            dm, dh = _t95([d['realism'] - paper_full[d['seed']] for d in ds if d['seed'] in paper_full])
            im, ih = _t95([d['miou_fraction'] - paper_miou[d['seed']] for d in ds if d['seed'] in paper_miou])
            gs = sum(d['gpu_s'] for d in ds) / len(ds)
            st = sum(runs[(r, d['seed'])]['snapshots'][str(f)]['steps'] for d in ds) / len(ds)
            cut = any(runs[(r, d['seed'])]['snapshots'][str(f)]['cut'] for d in ds)
            summary[f'{r}@{f:g}'] = dict(recipe=r, frac=f, realism=rm, realism_ci=rh, miou_fraction=mm, miou_fraction_ci=mh,
                                         realism_vs_paper=dm, realism_vs_paper_ci=dh, miou_vs_paper=im, miou_vs_paper_ci=ih,
                                         gpu_s=gs, steps=st, seeds=len(ds), cut_short=cut,
                                         per_seed=[d['realism'] for d in ds])
            lines.append(f"| {r} | {probe_s[r]*1000:.0f} | {f:g} | {gs:.0f} | {st:.0f}{' (cut)' if cut else ''} | {rm:.3f} ± {rh:.3f} | "
                         + ('-' if r == 'paper' else f'{dm:+.3f} ± {dh:.3f}') + f" | {mm:.3f} ± {mh:.3f} | "
                         + ('-' if r == 'paper' else f'{im:+.3f} ± {ih:.3f}') + ' |')
    # time to reach paper's final realism (mean over seeds of each recipe's curve, first snapshot at or below it)
    target = summary.get('paper@1', {}).get('realism')
    reach = {}
    for r in a.recipes:
        pts = sorted((v['gpu_s'], v['realism']) for k, v in summary.items() if v['recipe'] == r)
        hit = [g for g, q in pts if target is not None and q <= target]
        reach[r] = hit[0] if hit else None
    if target is not None:
        lines += ['', f"GPU-seconds at which each recipe's mean realism first reaches paper's final {target:.3f} (snapshots at 1/4, 1/2, 1 of the budget):",
                  ', '.join(f"{r}: {'not reached' if v is None else f'{v:.0f} s'}" for r, v in reach.items())]
    (out/'summary.json').write_text(json.dumps(dict(rows=summary, reach=reach, probe=probe_s), indent=1))
    (out/'summary.md').write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines))
    _figures(a, summary)

def _figures(a, summary):
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt, torch
    out = Path(a.out)
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for r in a.recipes:
        pts = sorted((v['gpu_s'], v['realism'], v['realism_ci'], v['miou_fraction'], v['miou_fraction_ci'])
                     for v in summary.values() if v['recipe'] == r)
        if not pts: continue
        g = [p[0] for p in pts]
        ax[0].errorbar(g, [p[1] for p in pts], yerr=[p[2] for p in pts], marker='o', capsize=3, label=r)
        ax[1].errorbar(g, [p[3] for p in pts], yerr=[p[4] for p in pts], marker='o', capsize=3, label=r)
    ax[0].axhline(0.5, color='grey', ls=':'); ax[0].set(xlabel='GPU seconds (probed step time x steps)', ylabel='realism accuracy (0.5 = real)',
                                                       title='Realism against compute (mean, 95% t over seeds)')
    ax[1].set(xlabel='GPU seconds', ylabel='generated / real mIoU', title='Label fidelity against compute'); ax[0].legend(fontsize=7)
    fig.tight_layout(); fig.savefig(out/'quality_vs_time.png', dpi=80); plt.close(fig)
    # the same held-out label maps under every recipe (seed 0, whole budget)
    from spade_fastai.io import load_model
    from spade_fastai.inference import generate
    from spade_fastai.evaluate import eval_split
    from spade_fastai.data import read_image, read_label
    import numpy as np
    m0 = out/f'{run_name(a.recipes[0], a.seeds[0])}_f1.0.safetensors'
    gan, cm, meta = load_model(m0, device='cpu')
    split = eval_split(a.chips, meta, None, None, model_name=str(m0))
    pairs = split[1][:6]
    h, w = gan.generator.size
    crop = lambda x: x[(x.shape[0] - h) // 2:(x.shape[0] - h) // 2 + h, (x.shape[1] - w) // 2:(x.shape[1] - w) // 2 + w]
    masks = np.stack([crop(cm.encode(read_label(l))) for l, _ in pairs])
    reals = [crop(read_image(i)) for _, i in pairs]
    cols = ['label', 'real'] + list(a.recipes)
    fig, axs = plt.subplots(len(pairs), len(cols), figsize=(1.3 * len(cols), 1.3 * len(pairs)))
    imgs = {}
    for r in a.recipes:
        g, _, _ = load_model(out/f'{run_name(r, a.seeds[0])}_f1.0.safetensors', device='cpu')
        imgs[r] = ((generate(g, torch.from_numpy(masks).long(), seed=0) + 1) / 2).clamp(0, 1).permute(0, 2, 3, 1).numpy()
    for i in range(len(pairs)):
        row = [cm.colorize(masks[i]), reals[i]] + [imgs[r][i] for r in a.recipes]
        for j, im in enumerate(row):
            axs[i, j].imshow(im); axs[i, j].axis('off')
            if i == 0: axs[i, j].set_title(cols[j], fontsize=6)
    fig.tight_layout(); fig.savefig(out/'pictures.png', dpi=90); plt.close(fig)

def run_all(a):
    t0 = time.time()
    probe(a); print(f'probe done at {time.time() - t0:.0f} s', flush=True)
    train(a); print(f'train done at {time.time() - t0:.0f} s', flush=True)
    evaluate(a); print(f'evaluate done at {time.time() - t0:.0f} s', flush=True)
    report(a); print(f'report done at {time.time() - t0:.0f} s', flush=True)

if __name__ == '__main__':
    a = parse()
    dict(all=run_all, probe=probe, train=train, evaluate=evaluate, report=report, one=train_one, eval_one=eval_one)[a.mode](a)
