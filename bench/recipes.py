"""Training recipes against the paper's, at equal CPU time, over several seeds, judged by `spade_eval`'s compare mode.

    pip install -e ".[examples]" && python data_prep/blue_marble_modis.py --out data/bluemarble
    python bench/recipes.py train --chips data/bluemarble/chips --out bench/recipe_runs \
        --recipes paper ema diffaug ema+diffaug --seeds 0 1 2 --cpu-minutes 10 --jobs 2
    python bench/recipes.py evaluate --chips data/bluemarble/chips --out bench/recipe_runs

`train` runs every (recipe, seed) in its own process with one thread (`--jobs` at a time), on the same held-out
chips (split seed 0). Each run first times a few batches of its own recipe, plans as many epochs as fit in
`--cpu-minutes` of CPU time (so a costlier recipe gets fewer steps: equal compute, not equal epochs), and saves its
model when a quarter, half and all of the budget are spent. A finished run is skipped when the command is run again.

`evaluate` compares, per seed, every recipe at half and at the whole budget in one `compare_models` call (one judge,
the same held-out tiles), and writes `summary.md` / `summary.json`: per recipe and budget, the mean over seeds of the
realism accuracy (0.5 = a classifier cannot tell generated from real) and of the generated/real mIoU, each with a 95%
t-interval over the seeds, and the realism difference from `paper` at the whole budget (paired by seed).
"""
import argparse, json, math, os, subprocess, sys, time
from pathlib import Path

RECIPES = {'paper': {}, 'ema': dict(ema=0.999), 'diffaug': dict(diffaug='color,translation,cutout'),
           'ema+diffaug': dict(ema=0.999, diffaug='color,translation,cutout')}
FRACS = (0.25, 0.5, 1.0)

def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('mode', choices=['train', 'evaluate', 'one'])
    p.add_argument('--chips', required=True); p.add_argument('--out', default='bench/recipe_runs')
    p.add_argument('--recipes', nargs='+', default=list(RECIPES)); p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    p.add_argument('--cpu-minutes', type=float, default=10.); p.add_argument('--jobs', type=int, default=1)
    p.add_argument('--size', type=int, default=64); p.add_argument('--bs', type=int, default=8)
    p.add_argument('--ngf', type=int, default=16); p.add_argument('--ndf', type=int, default=16)
    p.add_argument('--valid-pct', type=float, default=0.15)
    p.add_argument('--seg-epochs', type=int, default=10); p.add_argument('--realism-steps', type=int, default=300)
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
            if len(self.t) >= 8: raise CancelFitException()
    probe, lp = Probe(), make()
    with lp.no_bar(), lp.no_logging(): lp.fit(1, cbs=probe)
    per_batch = (probe.t[-1] - probe.t[2]) / (len(probe.t) - 3)
    budget = a.cpu_minutes * 60
    learn = make()
    n_epoch = max(1, int(budget / (per_batch * len(learn.dls.train))))   # whole epochs that fit: the schedule completes
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
    "Per seed, one `compare_models` of every recipe at half and at the whole budget (one judge, the same tiles); the table"
    import torch; torch.set_num_threads(os.cpu_count() or 1)
    from spade_fastai.evaluate import compare_models
    out, rows = Path(a.out), []
    for s in a.seeds:
        runs = [(r, f) for f in (1.0, 0.5) for r in a.recipes]
        models = [out/f'{run_name(r, s)}_f{f}.safetensors' for r, f in runs]
        if not all(m.exists() for m in models): print('missing runs for seed', s); continue
        labels = [f"{r}@{f:g}" for r, f in runs]
        res = compare_models(models, a.chips, out=out/f'compare_s{s}', labels=labels, seg_epochs=a.seg_epochs,
                             realism_steps=a.realism_steps, overwrite=True, show_progress=True)
        cpu = {r: json.loads((out/f'{run_name(r, s)}.json').read_text()) for r in a.recipes}
        for (r, f), lab in zip(runs, labels):
            m = res['models'][lab]
            rows.append(dict(seed=s, recipe=r, budget=f, realism=m['realism']['accuracy'], realism_ci=m['realism']['ci95'],
                             miou_fraction=m['semantic']['miou_fraction'], cpu_s=cpu[r]['snapshots'][str(f)]['cpu_s'],
                             steps=cpu[r]['snapshots'][str(f)]['steps']))
    (out/'runs.json').write_text(json.dumps(rows, indent=1))
    lines = ['| recipe | budget | realism (0.5 = real) | gen/real mIoU | realism vs paper (full budget) | CPU s | G+D steps |',
             '|---|---|---|---|---|---|---|']
    summary = {}
    paper_full = {d['seed']: d['realism'] for d in rows if d['recipe'] == 'paper' and d['budget'] == 1.0}
    for r in a.recipes:
        for f in (1.0, 0.5):
            ds = [d for d in rows if d['recipe'] == r and d['budget'] == f]
            if not ds: continue
            rm, rh = _t95([d['realism'] for d in ds]); mm, mh = _t95([d['miou_fraction'] for d in ds])
            dm, dh = _t95([d['realism'] - paper_full[d['seed']] for d in ds if d['seed'] in paper_full])
            cs = sum(d['cpu_s'] for d in ds) / len(ds); st = sum(d['steps'] for d in ds) / len(ds)
            summary[f'{r}@{f:g}'] = dict(realism=rm, realism_ci=rh, miou_fraction=mm, miou_fraction_ci=mh,
                                         realism_vs_paper=dm, realism_vs_paper_ci=dh, cpu_s=cs, steps=st, seeds=len(ds))
            vs = '-' if (r == 'paper' and f == 1.0) else f'{dm:+.3f} ± {dh:.3f}'
            lines.append(f'| {r} | {f:g} | {rm:.3f} ± {rh:.3f} | {mm:.3f} ± {mh:.3f} | {vs} | {cs:.0f} | {st:.0f} |')
    (out/'summary.json').write_text(json.dumps(summary, indent=1))
    (out/'summary.md').write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines))

if __name__ == '__main__':
    a = parse()
    dict(train=train, evaluate=evaluate, one=train_one)[a.mode](a)
