#!/usr/bin/env python
"""Time inference: images per second of `spade_fastai.learner.generate` (generator in eval mode, no gradients).

    python bench/generate.py --size 256 --ngf 64 --n-classes 8 --batch 1 --threads 1

Builds a generator with `spade_networks` (random initialisation: timing only), random label maps, and times
`generate` calls after `--warmup` calls. Prints one JSON line.
"""
import argparse, contextlib, json, resource, statistics, time, warnings

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--size', type=int, default=256)
    p.add_argument('--batch', type=int, default=1)
    p.add_argument('--ngf', type=int, default=64)
    p.add_argument('--n-classes', type=int, default=8)
    p.add_argument('--threads', type=int, default=1, help='torch.set_num_threads')
    p.add_argument('--iters', type=int, default=3)
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument('--channels-last', action='store_true', help='generator in channels_last')
    p.add_argument('--amp', choices=['bf16'], default=None, help='bf16 autocast (changes the maths)')
    p.add_argument('--device', default=None, help="'cpu' or 'cuda' (default: cuda when available)")
    return p.parse_args(argv)

def main(argv=None):
    a = parse_args(argv)
    import torch
    torch.set_num_threads(a.threads)
    from spade_fastai.models import spade_networks, count_params
    from spade_fastai.learner import generate
    dev = torch.device(a.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    G = spade_networks(a.n_classes, a.size, ngf=a.ngf, seed=0, device=dev)['G']
    if a.channels_last: G = G.to(memory_format=torch.channels_last)
    masks = torch.randint(0, a.n_classes, (a.batch, a.size, a.size), generator=torch.Generator().manual_seed(0))
    amp = torch.autocast(dev.type, dtype=torch.bfloat16) if a.amp else contextlib.nullcontext()
    times, cpu = [], []
    for i in range(a.warmup + a.iters):
        if dev.type == 'cuda': torch.cuda.synchronize()
        t0, c0 = time.perf_counter(), time.process_time()
        with amp: out = generate(G, masks)
        if dev.type == 'cuda': torch.cuda.synchronize()
        if i >= a.warmup: times.append(time.perf_counter() - t0); cpu.append(time.process_time() - c0)
    assert out.shape == (a.batch, 3, a.size, a.size)
    res = dict(config=dict(size=a.size, batch=a.batch, ngf=a.ngf, n_classes=a.n_classes, threads=a.threads, iters=a.iters,
                           warmup=a.warmup, channels_last=a.channels_last, amp=a.amp, device=str(dev), torch=torch.__version__),
               G_params=count_params(G), sec_per_call=statistics.median(times), sec_per_call_min=min(times),
               images_per_sec=a.batch / statistics.median(times), cpu_sec_per_call=statistics.median(cpu),
               images_per_cpu_sec=a.batch / statistics.median(cpu),
               peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(res))
    return res

if __name__ == '__main__': main()
