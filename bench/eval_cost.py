"""What `spade_eval` costs per chip at a given size, measured step by step on a few tiles, and the extrapolation to N chips.

    python bench/eval_cost.py --size 256 --ngf 64 --n-chips 1000 --threads 2

Steps timed (CPU seconds of this process, and wall seconds): generating one image with the full generator, one
segmenter training step per tile (fastai fit on random data of the right size), segmenting one tile, the domain
features of one tile. Evaluating N held-out chips with a segmenter trained on M training chips for E epochs costs
about M*E*train + N*(1 + n_samples)*generate + 2N*segment + 2N*features (the diversity samples are generated for
n_diversity masks only).
"""
import argparse, time, resource
import torch

def cpu(): r = resource.getrusage(resource.RUSAGE_SELF); return r.ru_utime + r.ru_stime

def timed(f, n):
    f()   # warm-up
    c, w = cpu(), time.time()
    for _ in range(n): f()
    return (cpu() - c) / n, (time.time() - w) / n

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--size', type=int, default=256); p.add_argument('--ngf', type=int, default=64)
    p.add_argument('--n-classes', type=int, default=8); p.add_argument('--bs', type=int, default=4)
    p.add_argument('--n-chips', type=int, default=1000, help='chips to extrapolate to (90%% train, 10%% held out, as spade_train splits)')
    p.add_argument('--seg-epochs', type=int, default=10); p.add_argument('--n-diversity', type=int, default=32)
    p.add_argument('--n-samples', type=int, default=3); p.add_argument('--threads', type=int, default=1)
    p.add_argument('--reps', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    from spade_fastai.models import spade_networks
    from spade_fastai.learner import SpadeGAN, generate
    from spade_fastai.sample import sample_classmap
    from spade_fastai.evaluate import Segmenter, SegFeatures, EvalTiles, train_segmenter, segment
    from spade_fastai.classmap import ClassMap
    cm = ClassMap([dict(id=i, name=str(i), color=[i, i, i]) for i in range(1, a.n_classes + 1)])
    nets = spade_networks(cm.n_labels, a.size, ngf=a.ngf, ndf=a.ngf, seed=0)
    gan = SpadeGAN(nets['G'], nets['D'], classmap=cm)
    masks = torch.randint(0, cm.n_classes, (a.bs, a.size, a.size))
    imgs = torch.randint(0, 256, (a.bs, 3, a.size, a.size), dtype=torch.uint8)
    g = timed(lambda: generate(gan, masks), a.reps)
    tiles = EvalTiles(masks, imgs, ['x'] * a.bs)
    t = timed(lambda: train_segmenter(tiles, cm, epochs=1, bs=a.bs, show_progress=False), a.reps)
    seg = Segmenter(cm.n_classes, (a.size, a.size))
    s = timed(lambda: segment(seg, imgs, bs=a.bs), a.reps)
    sf = SegFeatures(seg).eval()
    with torch.no_grad(): f = timed(lambda: sf(imgs), a.reps)
    per = {k: (c / a.bs, w / a.bs) for k, (c, w) in dict(generate=g, seg_train=t, segment=s, features=f).items()}
    n_val = max(1, int(0.1 * a.n_chips)); n_tr = a.n_chips - n_val
    steps = dict(seg_train=n_tr * a.seg_epochs, generate=n_val + min(n_val, a.n_diversity) * a.n_samples,
                 segment=2 * n_val, features=2 * n_val)
    print(f"size {a.size}, ngf {a.ngf}, {a.n_classes} classes, {a.threads} thread(s), batch {a.bs}")
    total_c = total_w = 0
    for k, n in steps.items():
        c, w = per[k]; total_c += n * c; total_w += n * w
        print(f"  {k:10s} {c:7.3f} CPU s / {w:7.3f} wall s per tile  x {n:6d} = {n * w / 60:7.1f} wall min")
    print(f"{a.n_chips} chips ({n_tr} train, {n_val} held out, {a.seg_epochs} segmenter epochs): "
          f"{total_w / 60:.0f} wall min ({total_c / 60:.0f} CPU min); with a cached segmenter {(total_w - steps['seg_train'] * per['seg_train'][1]) / 60:.1f} wall min")

if __name__ == '__main__': main()
