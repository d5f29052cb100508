"""The sample's settings against spade_learner's (the paper's) defaults, on the built-in sample, at equal epochs.

    OMP_NUM_THREADS=1 .venv/bin/python bench/sample_defaults.py [--epochs 2] [--seeds 0 1 2]

For each seed: the sample `spade_train` makes (200 chips, 32 px), split as spade_train splits it; a learner with the
sample settings (ngf = ndf = 16, lr 2e-4 / 4e-4, no VGG: what `spade_train` with no data uses) and one with
`spade_learner`'s defaults (ngf = ndf = 64, lr 1e-4 / 4e-4; VGG off too, as it cannot be downloaded here), trained the
same epochs. Reported: the mean over classes of the distance (0-255 RGB) between the generated and the real per-class
mean colour on the validation chips (0 = every class painted its colour), the generated images' pixel spread (std of
all pixels; a flat grey image has almost none, the real chips about 0.4 in [-1, 1]), and CPU seconds per epoch.
Writes bench/sample_defaults/results.json and a picture of seed 0's validation chips.
"""
import argparse, json, time, resource
from pathlib import Path
import numpy as np, torch
from fastai.torch_core import set_seed
from spade_fastai.sample import make_sample
from spade_fastai.data import spade_dls
from spade_fastai.learner import spade_learner
from spade_fastai.inference import generate
from spade_fastai.train import SAMPLE_DEMO

OUT = Path(__file__).parent/'sample_defaults'
SETTINGS = {'sample settings': dict(ngf=SAMPLE_DEMO['ngf'], ndf=SAMPLE_DEMO['ndf'], lr=(SAMPLE_DEMO['lr_g'], SAMPLE_DEMO['lr_d'])),
            'spade_learner defaults': dict()}

def cpu(): r = resource.getrusage(resource.RUSAGE_SELF); return r.ru_utime + r.ru_stime

def colour_error(fake, masks, reals, n_labels):
    errs = []
    for c in range(n_labels):
        sel = masks == c
        if sel.sum() < 20: continue
        fc = torch.stack([fake[:, i][sel].mean() for i in range(3)]); rc = torch.stack([reals[:, i][sel].mean() for i in range(3)])
        errs.append(((fc - rc) * 127.5).norm().item())
    return float(np.mean(errs))

def run(name, seed, epochs, chips):
    set_seed(seed)
    dls = spade_dls(chips, bs=SAMPLE_DEMO['bs'], size=SAMPLE_DEMO['size'], seed=seed)
    learn = spade_learner(dls, vgg_weights=None, seed=seed, **SETTINGS[name])
    c0 = cpu()
    with learn.no_bar(), learn.no_logging(): learn.fit(epochs)
    per_epoch = (cpu() - c0) / epochs
    masks, reals = [torch.cat(t) for t in zip(*[(m.cpu(), r.cpu()) for m, r in dls.valid])]
    masks, reals = masks.as_subclass(torch.Tensor), reals.as_subclass(torch.Tensor)
    fake = generate(learn, masks)
    return dict(colour_error=colour_error(fake, masks, reals, learn.model.n_labels), spread=float(fake.std()),
                real_spread=float(reals.std()), cpu_s_per_epoch=per_epoch), (masks[:6], fake[:6], reals[:6], dls.classmap)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('--epochs', type=int, default=2); ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    a = ap.parse_args()
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    chips = make_sample(OUT/'chips', n=200, size=SAMPLE_DEMO['size'], seed=0)
    res, pics = {n: [] for n in SETTINGS}, {}
    for seed in a.seeds:
        for name in SETTINGS:   # alternated, so the machine's load falls on both alike
            r, pic = run(name, seed, a.epochs, chips); res[name].append(r)
            if seed == a.seeds[0]: pics[name] = pic
            print(seed, name, {k: round(v, 3) for k, v in r.items()}, flush=True)
    summary = {n: {k: (float(np.mean([r[k] for r in rs])), float(np.std([r[k] for r in rs], ddof=1)) if len(rs) > 1 else 0.)
                   for k in rs[0]} for n, rs in res.items()}
    (OUT/'results.json').write_text(json.dumps(dict(epochs=a.epochs, seeds=a.seeds, runs=res, mean_sd=summary), indent=1))
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    (masks, _, reals, cm), n = pics['sample settings'], len(pics['sample settings'][0])
    fig, axs = plt.subplots(4, n, figsize=(1.6 * n, 6.8))
    rows = [('mask', [cm.colorize(m.numpy()) for m in masks])] + \
           [(k, [((f.permute(1, 2, 0).numpy() + 1) / 2).clip(0, 1) for f in pics[k][1]]) for k in SETTINGS] + \
           [('real', [((r.permute(1, 2, 0).numpy() + 1) / 2).clip(0, 1) for r in reals])]
    for i, (lab, ims) in enumerate(rows):
        for j, im in enumerate(ims):
            axs[i, j].imshow(im, interpolation='nearest'); axs[i, j].axis('off')
        axs[i, 0].set_title(lab, fontsize=8, loc='left')
    fig.suptitle(f'sample, {a.epochs} epochs, seed {a.seeds[0]}, validation chips', fontsize=9); fig.tight_layout()
    fig.savefig(OUT/'pictures.png', dpi=80); print(json.dumps(summary, indent=1))
