"""Score generated held-out chips of several recipes and seeds (arrays from `bench/recipes_images.py`) with the judges
`spade_eval` uses: the generated/real mIoU of a segmenter trained on the real training chips, and the realism accuracy
of the classifier two-sample test (0.5 = a classifier cannot tell generated from real).

    python bench/recipes_score.py --chips data/bluemarble/chips --runs RUNS --out bench/recipe_gpu

RUNS holds `gen_s{seed}.npz` (one array per snapshot, `{recipe}_s{seed}_f{fraction}`, and the label file names) and the
runs' JSON records (`{recipe}_s{seed}.json`). Writes `scores.json`, `summary.md` and `pictures.png` to OUT.
"""
import argparse, json, math, sys
from pathlib import Path
import numpy as np, torch

from recipes import _t95   # (bench/recipes.py: mean and 95% t-interval over seeds)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--chips', required=True); p.add_argument('--runs', required=True); p.add_argument('--out', required=True)
    p.add_argument('--valid-pct', type=float, default=0.15); p.add_argument('--seg-epochs', type=int, default=10)
    p.add_argument('--realism-steps', type=int, default=300); p.add_argument('--recipes', nargs='+')
    a = p.parse_args(argv)
    from spade_fastai.classmap import ClassMap
    from spade_fastai.data import chip_pairs, read_image, read_label
    from spade_fastai.segmenter import split_pairs, cached_segmenter, score_images
    from spade_fastai.metrics import realism
    runs, out = Path(a.runs), Path(a.out); out.mkdir(parents=True, exist_ok=True)
    cm = ClassMap.load(Path(a.chips)/'classes.json')
    tr, va = split_pairs(chip_pairs(a.chips), a.valid_pct, 0)   # the split every run used (spade_dls, split seed 0)
    by_name = {Path(l).name: (l, i) for l, i in va}
    gens = {int(f.stem.split('_s')[-1]): np.load(f) for f in sorted(runs.glob('gen_s*.npz'))}
    names = list(next(iter(gens.values()))['labels'])
    assert all(n in by_name for n in names), 'the generated chips are not the held-out chips of split seed 0'
    masks = torch.from_numpy(np.stack([cm.encode(read_label(by_name[n][0])) for n in names])).long()
    real = torch.from_numpy(np.stack([read_image(by_name[n][1]) for n in names])).permute(0, 3, 1, 2).contiguous()
    seg, path, hit = cached_segmenter(a.chips, tr, cm, tuple(masks.shape[-2:]), epochs=a.seg_epochs, seed=0)
    real_miou = score_images(seg, real, masks, cm)['miou']
    print(f'judge {path.name} ({"cached" if hit else "trained"}): real mIoU {real_miou:.3f} on {len(names)} held-out chips', flush=True)
    rows = []
    for s, g in sorted(gens.items()):
        for k in g.files:
            if k == 'labels': continue
            recipe_key, frac = k.rsplit(f'_s{s}_f', 1)
            fake = torch.from_numpy(g[k]).permute(0, 3, 1, 2).contiguous()
            r = realism(real, fake, seed=0, steps=a.realism_steps)
            m = score_images(seg, fake, masks, cm)['miou']
            rec = json.loads((runs/f'{recipe_key}_s{s}.json').read_text())
            snap = rec['snapshots'][frac]
            rows.append(dict(recipe=rec['recipe'], seed=s, frac=float(frac), realism=r['accuracy'], realism_ci=r['ci95'],
                             miou=m, miou_fraction=m / real_miou, steps=snap['steps'], gpu_s=snap['gpu_s']))
            print(f"{rec['recipe']:>20} seed {s}: realism {r['accuracy']:.3f}, gen/real mIoU {m / real_miou:.3f}", flush=True)
    (out/'scores.json').write_text(json.dumps(dict(rows=rows, real_miou=real_miou, n_tiles=len(names)), indent=1))
    recipes = a.recipes or list(dict.fromkeys(d['recipe'] for d in rows))
    paper = {d['seed']: d for d in rows if d['recipe'] == 'paper'}
    lines = ['| recipe | ms per step | steps | realism (0.5 = real) | realism vs paper | gen/real mIoU | mIoU vs paper |',
             '|---|---|---|---|---|---|---|']
    probe = json.loads((runs/'probe.json').read_text()) if (runs/'probe.json').exists() else {}
    for r in recipes:
        ds = [d for d in rows if d['recipe'] == r]
        if not ds: continue
        rm, rh = _t95([d['realism'] for d in ds]); mm, mh = _t95([d['miou_fraction'] for d in ds])
        dr = _t95([d['realism'] - paper[d['seed']]['realism'] for d in ds if d['seed'] in paper])
        dmi = _t95([d['miou_fraction'] - paper[d['seed']]['miou_fraction'] for d in ds if d['seed'] in paper])
        lines.append(f"| {r} | {probe.get(r, float('nan')) * 1000:.0f} | {sum(d['steps'] for d in ds) / len(ds):.0f} | "
                     f"{rm:.3f} ± {rh:.3f} | " + ('-' if r == 'paper' else f'{dr[0]:+.3f} ± {dr[1]:.3f}') +
                     f" | {mm:.3f} ± {mh:.3f} | " + ('-' if r == 'paper' else f'{dmi[0]:+.3f} ± {dmi[1]:.3f}') + ' |')
    lines.append(f"\n{len(names)} held-out chips, {len(gens)} seeds; real mIoU of the judge {real_miou:.3f}; ± is the 95% t-interval over seeds.")
    (out/'summary.md').write_text('\n'.join(lines) + '\n'); print('\n'.join(lines))
    # pictures: six held-out label maps, their real image, and every recipe (the first seed)
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    s0 = min(gens); g = gens[s0]; idx = np.random.default_rng(0).choice(len(names), 6, replace=False)
    keys = {json.loads((runs/f'{k.rsplit(f"_s{s0}_f", 1)[0]}_s{s0}.json').read_text())['recipe']: k for k in g.files if k != 'labels'}
    cols = ['label', 'real'] + [r for r in recipes if r in keys]
    fig, axs = plt.subplots(len(idx), len(cols), figsize=(1.25 * len(cols), 1.3 * len(idx)))
    for i, j in enumerate(idx):
        row = [cm.colorize(masks[j].numpy()), real[j].permute(1, 2, 0).numpy()] + [g[keys[r]][j] for r in cols[2:]]
        for c, im in enumerate(row):
            axs[i, c].imshow(im); axs[i, c].set_xticks([]); axs[i, c].set_yticks([])
            if i == 0: axs[i, c].set_title(cols[c], fontsize=6)
    fig.tight_layout(pad=0.2); fig.savefig(out/'pictures.png', dpi=80); plt.close(fig)

if __name__ == '__main__': main()
