#!/usr/bin/env python
"""Count the floating-point work of one training iteration (G step + D step) and turn it into a lower bound on its time.

    python bench/flops.py --size 256 --batch 1 --ngf 64 --ndf 64 --threads 1

Runs one iteration through the package's code path (as bench/train_step.py) under `torch.utils.flop_counter`,
then times the largest convolution shapes of the model with `F.conv2d` alone to get this machine's float32
convolution throughput. Prints one JSON line: GFLOP per iteration (convolutions and the rest), the measured
convolution GFLOP/s, and `conv_floor_s`: the time the convolutions alone need at that throughput. No training
step with the same maths can be faster than that floor.
"""
import argparse, json, sys, tempfile, time, warnings
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from train_step import make_random_chips

def conv_gflops_per_s(shapes, reps=3):
    "Best float32 conv2d throughput (forward) over `shapes` = [(batch, c_in, c_out, h, w, k), ...]."
    import torch, torch.nn.functional as F
    best = 0.
    for n, ci, co, h, w, k in shapes:
        x, wt = torch.randn(n, ci, h, w), torch.randn(co, ci, k, k)
        F.conv2d(x, wt, padding=k // 2)
        ts = []
        for _ in range(reps):
            t = time.process_time(); F.conv2d(x, wt, padding=k // 2); ts.append(time.process_time() - t)
        best = max(best, 2 * n * co * ci * k * k * h * w / min(ts) / 1e9)
    return best

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    for k, v in dict(size=256, batch=1, ngf=64, ndf=64, n_classes=8, threads=1).items(): p.add_argument('--' + k.replace('_', '-'), type=int, default=v)
    a = p.parse_args(argv)
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    from fastai.callback.core import Callback, CancelFitException
    from spade_fastai.data import spade_dls
    from spade_fastai.learner import spade_learner
    torch.set_num_threads(a.threads)

    class CountOnePair(Callback):
        order = 99
        def before_fit(self): self.mode, self.n = None, 0
        def before_batch(self):
            if self.gan_trainer.gen_mode and self.mode is None: self.mode = FlopCounterMode(display=False); self.mode.__enter__()
        def after_batch(self):
            self.n += 1
            if self.n == 2: self.mode.__exit__(None, None, None); raise CancelFitException()

    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter('ignore')
        chips = make_random_chips(Path(tmp)/'chips', 4 * a.batch, a.size, a.n_classes)
        dls = spade_dls(chips, bs=a.batch, size=a.size, valid_pct=0.25, augment=False, device='cpu')
        learn = spade_learner(dls, ngf=a.ngf, ndf=a.ndf, vgg_weights='random', seed=0, cbs=[cb := CountOnePair()])
        with learn.no_bar(), learn.no_logging(): learn.fit(1)
    counts = cb.mode.get_flop_counts()['Global']
    conv = sum(v for k, v in counts.items() if 'convolution' in str(k))
    total = sum(counts.values())
    s, f = a.size, a.ngf
    shapes = [(a.batch, 128, 2 * min(f * 2, 1024), s, s, 3), (a.batch, 128, 2 * f, s, s, 3),
              (a.batch, min(16 * f, 1024), min(16 * f, 1024), s // 16, s // 16, 3), (a.batch, 2 * f, f, s, s, 3)]
    gfs = conv_gflops_per_s(shapes)
    res = dict(config=vars(a), conv_gflop=conv / 1e9, other_gflop=(total - conv) / 1e9,
               by_op={str(k): v / 1e9 for k, v in counts.items()}, conv_gflops_per_s=gfs, conv_floor_s=conv / 1e9 / gfs)
    print(json.dumps(res))
    return res

if __name__ == '__main__': main()
