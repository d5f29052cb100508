"""Data-parallel training throughput: 1 process against N processes under torchrun (gloo on the CPU, NCCL on GPUs).

    python bench/distributed.py --procs 1 --threads 1 --size 64 --bs 4 --ngf 16 --ndf 16
    python bench/distributed.py --procs 2 --threads 1 --size 64 --bs 4 --ngf 16 --ndf 16

Each process trains with `--bs` chips per step (the global batch is bs x procs), through the package's own path
(`spade_dls` -> `spade_learner` -> `learn.fit`, one G step and one D step per batch, no VGG). The timer runs from
the first batch after `--warmup` batches to the end of the last one, on rank 0, after a barrier. Prints one JSON
line: samples (global) per second, seconds per batch, process count. Scaling efficiency = throughput(N) /
(N x throughput(1)).
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

def parse():
    p = argparse.ArgumentParser()
    p.add_argument('--procs', type=int, default=1); p.add_argument('--threads', type=int, default=1)
    p.add_argument('--size', type=int, default=64); p.add_argument('--bs', type=int, default=4)
    p.add_argument('--ngf', type=int, default=16); p.add_argument('--ndf', type=int, default=16)
    p.add_argument('--batches', type=int, default=12); p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--worker', action='store_true')
    return p.parse_args()

def worker(a):
    import torch
    torch.set_num_threads(a.threads)
    from fastai.callback.core import Callback
    from spade_fastai.distributed import init_distributed, rank, world_size, barrier
    from spade_fastai.sample import make_sample
    from spade_fastai.data import spade_dls
    from spade_fastai.learner import spade_learner
    init_distributed()
    n = (a.batches + a.warmup) * a.bs * world_size()
    chips = Path(tempfile.gettempdir())/f'spade_bench_dist_{a.size}_{n}'
    if rank() == 0: make_sample(chips, n=n, size=a.size, seed=0)
    barrier()
    dls = spade_dls(chips, bs=a.bs, valid_pct=0, seed=0, augment=False)
    class Timer(Callback):
        order = 100
        def before_batch(self):
            if self.training and self.iter == a.warmup:
                barrier(); self.t0 = time.perf_counter()
        def after_train(self): barrier(); self.t1 = time.perf_counter()
    learn = spade_learner(dls, ngf=a.ngf, ndf=a.ndf, vgg_weights=None, seed=0, cbs=Timer())
    with learn.no_bar(), learn.no_logging(): learn.fit(1)
    t = learn.timer.t1 - learn.timer.t0
    if rank() == 0:
        print(json.dumps(dict(procs=world_size(), threads=a.threads, size=a.size, bs_per_proc=a.bs, ngf=a.ngf, ndf=a.ndf,
                              batches=a.batches, sec_per_batch=t / a.batches,
                              samples_per_sec=a.batches * a.bs * world_size() / t)), flush=True)

if __name__ == '__main__':
    a = parse()
    if a.worker or a.procs == 1: worker(a)
    else:
        cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', str(a.procs), __file__,
               '--worker'] + [x for k, v in vars(a).items() if k not in ('worker', 'procs') for x in (f'--{k}', str(v))]
        sys.exit(subprocess.run(cmd, env={**os.environ, 'OMP_NUM_THREADS': str(a.threads)}).returncode)
