"""Training recipes against the paper's, at equal CPU time, over several seeds, judged by `spade_eval`'s compare mode.

    pip install -e ".[examples]" && python data_prep/blue_marble_modis.py --out data/bluemarble
    python bench/recipes.py train --chips data/bluemarble/chips --out bench/recipe_cpu \
        --recipes paper ema diffaug clade oasis --seeds 0 1 2 --cpu-minutes 6 --size 32 --jobs 2
    python bench/recipes.py evaluate --chips data/bluemarble/chips --out bench/recipe_cpu --recipes ... --seeds 0 1 2
    python bench/recipes.py pictures --chips data/bluemarble/chips --out bench/recipe_cpu --recipes ... --seeds 0 --size 32

`train` runs every (recipe, seed) in its own process with one thread (`--jobs` at a time), on the same held-out
chips (split seed 0). Each run first times 20 batches of its own recipe, plans the whole epochs nearest to
`--cpu-minutes` of CPU time (so a costlier recipe gets fewer steps: equal compute, not equal epochs), and saves its
model when a quarter, a half, three quarters and all of the budget are spent (CPU time of the process, so other
processes on the machine do not change a run's budget). A finished run is skipped when the command is run again.

`evaluate` compares, per run, its snapshots in one `compare_models` call (the same held-out tiles and the same cached
judge for every run; a run already scored is read back), and writes `summary.md` / `summary.json` / `curves.png`: per recipe and snapshot, the mean over
seeds of the realism accuracy (0.5 = a classifier cannot tell generated from real) and of the generated/real mIoU,
each with a 95% t-interval over the seeds, the realism difference from `paper` at the whole budget (paired by seed),
and quality against CPU time.
"""
import argparse, json, math, os, subprocess, sys, time
from pathlib import Path

RECIPES = {'paper': {}, 'ema': dict(ema=0.999), 'diffaug': dict(diffaug='color,translation,cutout'),
           'clade': dict(norm_G='spectralcladesyncbatch'),
           'oasis': dict(critic='oasis', noise_dim=64, oasis_nodata='learn'),   # (the sea is the chips' nodata: learnt, not ignored)
           'ema+diffaug': dict(ema=0.999, diffaug='color,translation,cutout')}
FRACS = (0.25, 0.5, 0.75, 1.0)

def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('mode', choices=['train', 'evaluate', 'pictures', 'one'])
    p.add_argument('--chips', required=True); p.add_argument('--out', default='bench/recipe_cpu')
    p.add_argument('--recipes', nargs='+', default=list(RECIPES)); p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    p.add_argument('--cpu-minutes', type=float, default=10.); p.add_argument('--jobs', type=int, default=1)
    p.add_argument('--size', type=int, default=64); p.add_argument('--bs', type=int, default=8)
    p.add_argument('--ngf', type=int, default=16); p.add_argument('--ndf', type=int, default=16)
    p.add_argument('--valid-pct', type=float, default=0.15)
    p.add_argument('--seg-epochs', type=int, default=10); p.add_argument('--realism-steps', type=int, default=300)
    p.add_argument('--threads', type=int, default=None); p.add_argument('--max-tiles', type=int, default=None); p.add_argument('--rescore', action='store_true', help='score again runs already scored (compare_*/compare.json)')
    p.add_argument('--recipe'); p.add_argument('--seed', type=int)   # (mode one: the run a `train` job starts)
    return p.parse_args(argv)

def run_name(recipe, seed): return f"{recipe.replace('+', '_')}_s{seed}"

def train_one(a):
    "One (recipe, seed) at the CPU budget, one thread: plan epochs from a timed probe, save at 1/4, 1/2 and all of it"
    import torch
    torch.set_num_threads(1)
    import warnings; warnings.filterwarnings('ignore')
    from fastai.callback.core import Callback, CancelFitException
    from spade_fastai.data import spade_dls
    from spade_fastai.learner import spade_learner
    from spade_fastai.io import save_spade
    out, name = Path(a.out), run_name(a.recipe, a.seed)
    opts = RECIPES[a.recipe]
    make = lambda: spade_learner(spade_dls(a.chips, bs=a.bs, size=a.size, valid_pct=a.valid_pct, seed=0, num_workers=0),
                                 ngf=a.ngf, ndf=a.ndf, vgg_weights=None, seed=a.seed, **opts)
    class Probe(Callback):
        def before_fit(self): self.t = []
        def after_batch(self):
            if self.training: self.t.append(time.process_time())
            if len(self.t) >= 20: raise CancelFitException()
    probe, lp = Probe(), make()
    with lp.no_bar(), lp.no_logging(): lp.fit(1, cbs=probe)
    per_batch = (probe.t[-1] - probe.t[2]) / (len(probe.t) - 3)
    budget = a.cpu_minutes * 60
    learn = make()
    n_epoch = max(1, round(budget / (per_batch * len(learn.dls.train))))   # the nearest whole epochs: the schedule completes
    class Budget(Callback):
        order = 99
        def before_fit(self): self.t0, self.saved = time.process_time(), {}
        def _save(self, frac):
            f = out/f'{name}_f{frac}.safetensors'
            save_spade(f, learn)   # (the learner itself: fastai detaches a fit's callbacks from it when the fit ends)
            self.saved[str(frac)] = dict(file=str(f), cpu_s=round(time.process_time() - self.t0, 1), epoch=learn.epoch,
                                         steps=len(learn.gan_trainer.history))
        def after_batch(self):
            if not self.training: return
            used = time.process_time() - self.t0
            for frac in FRACS[:-1]:
                if str(frac) not in self.saved and used >= frac * budget: self._save(frac)
            if used > 1.1 * budget: raise CancelFitException()   # a planning error: never more than 10% over
    bud = Budget()
    with learn.no_bar(), learn.no_logging(): learn.fit(n_epoch, cbs=bud)
    for frac in FRACS:   # the end of training (the last fraction, and any the run finished before reaching)
        if str(frac) not in bud.saved: bud._save(frac)
    rec = dict(recipe=a.recipe, seed=a.seed, options=opts, cpu_s_per_batch=round(per_batch, 3), epochs=n_epoch,
               budget_s=budget, snapshots=bud.saved)
    (out/f'{name}.json').write_text(json.dumps(rec, indent=1))
    print(json.dumps(rec), flush=True)

def train(a):
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    todo = [(r, s) for s in a.seeds for r in a.recipes if not (out/f'{run_name(r, s)}.json').exists()]
    common = ['--chips', a.chips, '--out', a.out, '--cpu-minutes', str(a.cpu_minutes), '--size', str(a.size), '--bs', str(a.bs),
              '--ngf', str(a.ngf), '--ndf', str(a.ndf), '--valid-pct', str(a.valid_pct)]
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    running = []
    while todo or running:
        while todo and len(running) < a.jobs:
            r, s = todo.pop(0)
            log = open(out/f'{run_name(r, s)}.log', 'w')
            running.append((r, s, subprocess.Popen([sys.executable, __file__, 'one', '--recipe', r, '--seed', str(s)] + common,
                                                   stdout=log, stderr=subprocess.STDOUT, env=env)))
            print(f'started {r} seed {s}', flush=True)
        time.sleep(5)
        for job in list(running):
            if job[2].poll() is not None:
                running.remove(job); print(f'finished {job[0]} seed {job[1]}: exit {job[2].returncode}', flush=True)

def _t95(xs):
    "Mean and 95% t-interval half-width over seeds"
    n = len(xs); m = sum(xs) / n
    if n < 2: return m, float('nan')
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    t = {2: 12.706, 3: 4.303, 4: 3.182, 5: 2.776, 6: 2.571}.get(n, 2.0)
    return m, t * sd / math.sqrt(n)

def evaluate(a):
    "Per seed, one `compare_models` of every recipe at every snapshot (one judge, the same tiles); the table and the curves"
    import torch; torch.set_num_threads(a.threads or os.cpu_count() or 1)
    from spade_fastai.evaluate import compare_models
    out, rows = Path(a.out), []
    for s in a.seeds:
        for r in a.recipes:   # one call per run: its snapshots on the same tiles, with the same (cached) judge as every run
            models = [out/f'{run_name(r, s)}_f{f}.safetensors' for f in FRACS[::-1]]
            if not all(m.exists() for m in models) or not (out/f'{run_name(r, s)}.json').exists():
                print('not finished:', run_name(r, s)); continue
            labels = [f"{r}@{f:g}" for f in FRACS[::-1]]
            dest = out/f'compare_{run_name(r, s)}'
            res = (json.loads((dest/'compare.json').read_text()) if (dest/'compare.json').exists() and not a.rescore else
                   compare_models(models, a.chips, out=dest, labels=labels, seg_epochs=a.seg_epochs,
                                  realism_steps=a.realism_steps, max_tiles=a.max_tiles, overwrite=True, show_progress=True))
            rec = json.loads((out/f'{run_name(r, s)}.json').read_text())
            for f, lab in zip(FRACS[::-1], labels):
                m = res['models'][lab]
                rows.append(dict(seed=s, recipe=r, budget=f, realism=m['realism']['accuracy'], realism_ci=m['realism']['ci95'],
                                 miou_fraction=m['semantic']['miou_fraction'], cpu_s=rec['snapshots'][str(f)]['cpu_s'],
                                 steps=rec['snapshots'][str(f)]['steps']))
    (out/'runs.json').write_text(json.dumps(rows, indent=1))
    paper_full = {d['seed']: d['realism'] for d in rows if d['recipe'] == 'paper' and d['budget'] == 1.0}
    paper_miou = {d['seed']: d['miou_fraction'] for d in rows if d['recipe'] == 'paper' and d['budget'] == 1.0}
    lines = ['| recipe | budget | seeds | realism (0.5 = real) | gen/real mIoU | realism: distance from 0.5 vs paper at full budget (< 0: more real) | mIoU vs paper at full budget | CPU s | G+D steps |',
             '|---|---|---|---|---|---|---|---|---|']
    summary = {}
    for r in a.recipes:
        for f in FRACS[::-1]:
            ds = [d for d in rows if d['recipe'] == r and d['budget'] == f]
            if not ds: continue
            rm, rh = _t95([d['realism'] for d in ds]); mm, mh = _t95([d['miou_fraction'] for d in ds])
            # realism closer to 0.5 is better: the difference in distance from 0.5, negative = closer to indistinguishable
            dm, dh = _t95([abs(d['realism'] - .5) - abs(paper_full[d['seed']] - .5) for d in ds if d['seed'] in paper_full])
            im, ih = _t95([d['miou_fraction'] - paper_miou[d['seed']] for d in ds if d['seed'] in paper_miou])
            cs = sum(d['cpu_s'] for d in ds) / len(ds); st = sum(d['steps'] for d in ds) / len(ds)
            summary[f'{r}@{f:g}'] = dict(realism=rm, realism_ci=rh, miou_fraction=mm, miou_fraction_ci=mh,
                                         realism_vs_paper=dm, realism_vs_paper_ci=dh, miou_vs_paper=im, miou_vs_paper_ci=ih,
                                         cpu_s=cs, steps=st, seeds=len(ds))
            same = r == 'paper' and f == 1.0
            lines.append(f'| {r} | {f:g} | {len(ds)} | {rm:.3f} ± {rh:.3f} | {mm:.3f} ± {mh:.3f} | ' + ('- | - |' if same else
                         f'{dm:+.3f} ± {dh:.3f} | {im:+.3f} ± {ih:.3f} |') + f' {cs:.0f} | {st:.0f} |')
    (out/'summary.json').write_text(json.dumps(summary, indent=1))
    (out/'summary.md').write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines))
    curves(summary, a.recipes, out/'curves.png')

def curves(summary, recipes, fname):
    "Realism and generated/real mIoU against CPU time, one line per recipe, mean and 95% interval over the seeds"
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, axs = plt.subplots(1, 2, figsize=(10, 3.6))
    for r in recipes:
        pts = [summary[f'{r}@{f:g}'] for f in FRACS if f'{r}@{f:g}' in summary]
        if not pts: continue
        x = [p['cpu_s'] / 60 for p in pts]
        for ax, k in zip(axs, ('realism', 'miou_fraction')):
            ax.errorbar(x, [p[k] for p in pts], yerr=[p[k + '_ci'] for p in pts], marker='o', capsize=3, label=r)
    axs[0].axhline(0.5, color='grey', ls=':', lw=1); axs[0].set_ylabel('realism (0.5 = indistinguishable)')
    axs[0].set_ylim(0.45, 1.02)   # (an accuracy: the t-intervals of a few seeds may reach past 1)
    axs[1].set_ylabel('generated / real mIoU')
    for ax in axs: ax.set_xlabel('CPU minutes (one thread)'); ax.grid(alpha=.3)
    axs[0].legend(fontsize=8)
    n = sorted({p['seeds'] for p in summary.values()})
    fig.suptitle(f"Quality against CPU time (mean and 95% t-interval over {' or '.join(map(str, n))} seeds)", fontsize=10)
    fig.tight_layout(); fig.savefig(fname, dpi=80); plt.close(fig)

def pictures(a):
    "Six held-out label maps, their real image, and each recipe's model at the whole budget (the first seed)"
    import numpy as np, torch
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    from spade_fastai.io import load_model
    from spade_fastai.inference import generate
    from spade_fastai.evaluate import eval_split
    from spade_fastai.data import read_label, read_image
    out, s = Path(a.out), a.seeds[0]
    models = {r: out/f'{run_name(r, s)}_f1.0.safetensors' for r in a.recipes}
    gan, cm, meta = load_model(models[a.recipes[0]])
    pairs = eval_split(a.chips, meta, None, None)[1]
    idx = np.random.default_rng(0).choice(len(pairs), 6, replace=False)
    h = a.size; crop = lambda x: x[..., (x.shape[-2] - h) // 2:(x.shape[-2] + h) // 2, (x.shape[-1] - h) // 2:(x.shape[-1] + h) // 2]
    masks = crop(torch.from_numpy(np.stack([cm.encode(read_label(pairs[i][0])) for i in idx])).long())
    real = crop(torch.from_numpy(np.stack([read_image(pairs[i][1]) for i in idx])).permute(0, 3, 1, 2))
    cols = ['label', 'real'] + list(a.recipes)
    fakes = {}
    for r, f in models.items():
        g = gan if r == a.recipes[0] else load_model(f)[0]   # (the first is loaded above, for its class map and split)
        fakes[r] = ((generate(g, masks, seed=0) + 1) * 127.5).round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()
    fig, axs = plt.subplots(len(idx), len(cols), figsize=(1.2 * len(cols), 1.25 * len(idx)))
    for i in range(len(idx)):
        row = [cm.colorize(masks[i].numpy()), real[i].permute(1, 2, 0).numpy()] + [fakes[r][i] for r in a.recipes]
        for c, im in enumerate(row):
            axs[i, c].imshow(im, interpolation='nearest'); axs[i, c].set_xticks([]); axs[i, c].set_yticks([])
            if i == 0: axs[i, c].set_title(cols[c], fontsize=7)
    fig.tight_layout(pad=0.2); fig.savefig(out/'pictures.png', dpi=80); plt.close(fig)
    print(out/'pictures.png')

if __name__ == '__main__':
    a = parse()
    dict(train=train, evaluate=evaluate, pictures=pictures, one=train_one)[a.mode](a)
