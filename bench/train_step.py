#!/usr/bin/env python
"""Time SPADE training iterations (one G step + one D step on a batch) through the package's own code path.

    python bench/train_step.py --size 64 --batch 2 --ngf 16 --ndf 16 --n-classes 8 --threads 1

Builds random chips (random label ids, random pixels) in a temporary chip folder, `spade_dls`, `spade_learner`
(VGG19 with random weights: timing only), then `learn.fit` with a callback that times each iteration from the
start of its G step to the end of its D step, after `--warmup` iterations. Prints one JSON line with the median wall
time (`sec_per_iter`) and the median process CPU time (`cpu_sec_per_iter`) per iteration: on a shared machine the CPU
time is the stable one. Results and how to read them: bench/RESULTS.md.
"""
import argparse, json, os, resource, statistics, sys, tempfile, time, warnings
from pathlib import Path

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--size', type=int, default=64)
    p.add_argument('--batch', type=int, default=2)
    p.add_argument('--ngf', type=int, default=16)
    p.add_argument('--ndf', type=int, default=16)
    p.add_argument('--n-classes', type=int, default=8)
    p.add_argument('--threads', type=int, default=1, help='torch.set_num_threads')
    p.add_argument('--iters', type=int, default=10)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--channels-last', action='store_true', help='networks and batches in channels_last')
    p.add_argument('--amp', choices=['bf16', 'fp16'], default=None, help='autocast (changes the maths; CPU: bf16 only)')
    p.add_argument('--reuse-fake', action='store_true', help="D step reuses the G step's fake (changes the maths)")
    p.add_argument('--no-vgg', action='store_true', help='drop the VGG loss (changes the loss)')
    p.add_argument('--adam', choices=['torch', 'fastai'], default='torch', help="optimiser: LeanAdam (torch's Adam maths, default) or fastai's Adam")
    p.add_argument('--flush-denormal', action='store_true', help='torch.set_flush_denormal(True) (changes the maths slightly)')
    p.add_argument('--device', default=None, help="'cpu' or 'cuda' (default: cuda when available)")
    p.add_argument('--profile', default=None, help='write the top torch.profiler entries of one iteration to this file')
    return p.parse_args(argv)

def make_random_chips(path, n, size, n_classes, seed=0):
    "A chip folder of random label ids and random pixels."
    import numpy as np
    from PIL import Image
    from spade_fastai.classmap import ClassMap
    rng = np.random.default_rng(seed)
    (path/'images').mkdir(parents=True); (path/'labels').mkdir()
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path/'images'/f'{i:04d}.png')
        Image.fromarray(rng.integers(0, n_classes, (size, size), dtype=np.uint8)).save(path/'labels'/f'{i:04d}.png')
    ClassMap([dict(id=i, name=f'class {i}', color=[int(v) for v in rng.integers(0, 256, 3)]) for i in range(n_classes)]).save(path)
    return path

def main(argv=None):
    a = parse_args(argv)
    import torch
    torch.set_num_threads(a.threads)
    if a.flush_denormal: torch.set_flush_denormal(True)
    from fastai.callback.core import Callback, CancelValidException
    from spade_fastai.data import spade_dls
    from spade_fastai.learner import spade_learner
    from spade_fastai.models import count_params
    dev = torch.device(a.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    n_iters = a.warmup + a.iters

    class IterTimer(Callback):
        "Wall time of each (G step, D step) pair; no validation."
        order = 99
        def before_fit(self): self.times, self.cpu_times, self.t0 = [], [], None
        def before_batch(self):   # one training batch = its G step and its D step
            if self.training: self._sync(); self.t0, self.c0 = time.perf_counter(), time.process_time()
        def after_batch(self):
            if self.training and self.t0 is not None:
                self._sync(); self.times.append(time.perf_counter() - self.t0); self.cpu_times.append(time.process_time() - self.c0)
                self.t0 = None
        def before_validate(self): raise CancelValidException()
        def _sync(self):
            if dev.type == 'cuda': torch.cuda.synchronize()

    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter('ignore')
        chips = make_random_chips(Path(tmp)/'chips', a.batch * n_iters + a.batch, a.size, a.n_classes)
        dls = spade_dls(chips, bs=a.batch, size=a.size, valid_pct=1 / (n_iters + 1), augment=False, device=dev)
        learn = spade_learner(dls, ngf=a.ngf, ndf=a.ndf, vgg_weights='random', lambda_vgg=0 if a.no_vgg else 10.,
                              reuse_fake=a.reuse_fake, amp=a.amp, channels_last=a.channels_last, adam=a.adam, beta2=0.9,
                              seed=0, cbs=[IterTimer()])
        learn.model.to(dev)
        if a.profile: learn.add_cb(Profile(a.profile, a.warmup))
        with learn.no_bar(), learn.no_logging():
            if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats()
            learn.fit(1)
        timer = learn.cbs.filter(lambda c: isinstance(c, IterTimer))[0]
        times, cpu_times = timer.times[a.warmup:], timer.cpu_times[a.warmup:]
    res = dict(config=dict(size=a.size, batch=a.batch, ngf=a.ngf, ndf=a.ndf, n_classes=a.n_classes, threads=a.threads,
                           iters=len(times), warmup=a.warmup, channels_last=a.channels_last, amp=a.amp, adam=a.adam,
                           flush_denormal=a.flush_denormal,
                           reuse_fake=a.reuse_fake, vgg=not a.no_vgg, device=str(dev), torch=torch.__version__),
               G_params=count_params(learn.model.generator), D_params=count_params(learn.model.critic),
               sec_per_iter=statistics.median(times), sec_per_iter_min=min(times), times=[round(t, 4) for t in times],
               cpu_sec_per_iter=statistics.median(cpu_times), cpu_sec_per_iter_min=min(cpu_times),
               peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if dev.type == 'cuda': res['peak_gpu_mb'] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps(res))
    return res

def Profile(fname, at):
    "A callback that profiles iteration `at` (G step + D step) and writes the top entries to `fname`."
    import torch
    from fastai.callback.core import Callback
    class _Profile(Callback):
        order = 98
        def before_fit(self): self.i, self.prof = 0, None
        def before_batch(self):
            if self.training and self.i == at:
                self.prof = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]); self.prof.__enter__()
        def after_batch(self):
            if self.training:   # the batch's G and D steps just ended
                if self.prof is not None:
                    self.prof.__exit__(None, None, None)
                    Path(fname).write_text(self.prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=20))
                    self.prof = None
                self.i += 1
    return _Profile()

if __name__ == '__main__': main()
