"""GPU checks for spade_fastai on one CUDA device: G+D iterations/s of the paper's model at 256 px in float32, bf16,
fp16 (with gradient scalers) and channels_last, peak memory, finite losses; run by bench/gpu_check.sh, which also
runs spade_train under torchrun with NCCL. `--cpu-smoke`: a tiny run on the CPU to check this script itself.

    python bench/gpu_check.py --out results.json [--size 256 --ngf 64 --bs 8 --iters 20]
"""
import argparse, json, os, sys, tempfile, time, traceback, warnings
from pathlib import Path
import torch

p = argparse.ArgumentParser()
p.add_argument('--out', default='gpu_results.json'); p.add_argument('--size', type=int, default=256)
p.add_argument('--ngf', type=int, default=64); p.add_argument('--bs', type=int, default=8)
p.add_argument('--iters', type=int, default=20); p.add_argument('--cpu-smoke', action='store_true')
a = p.parse_args()
if a.cpu_smoke: a.size, a.ngf, a.bs, a.iters = 32, 8, 2, 3
warnings.filterwarnings('ignore')
from fastcore.basics import store_attr
from spade_fastai.sample import make_sample
from spade_fastai.data import spade_dls
from spade_fastai.learner import spade_learner
from fastai.callback.core import Callback

cuda = torch.cuda.is_available()
res = dict(cudnn_tf32_default=torch.backends.cudnn.allow_tf32, torch=torch.__version__, cuda=torch.version.cuda, device=torch.cuda.get_device_name(0) if cuda else 'cpu',
           size=a.size, ngf=a.ngf, ndf=a.ngf, bs=a.bs, iters=a.iters, modes={})

class Timer(Callback):
    "Wall time of the training batches after `skip` warm-up ones (CUDA synchronised), and the last losses"
    order = 99
    def __init__(self, skip=3): store_attr(); self.times = []
    def before_batch(self):
        if self.training:
            if cuda: torch.cuda.synchronize()
            self.t0 = time.perf_counter()
    def after_batch(self):
        if self.training:
            if cuda: torch.cuda.synchronize()
            self.times.append(time.perf_counter() - self.t0)

tmp = Path(tempfile.mkdtemp())
chips = make_sample(tmp/'chips', n=4 * a.bs * 8 + 8, size=a.size, seed=0)   # 20+ iterations at bs, 8 at 4 x bs
res['n_chips'] = 4 * a.bs * 8 + 8
modes = dict(float32=dict(), bf16=dict(amp='bf16'), fp16=dict(amp='fp16'), bf16_channels_last=dict(amp='bf16', channels_last=True),
             float32_channels_last=dict(channels_last=True), float32_no_tf32=dict(tf32=False),
             **{f'{k}_bs{4 * a.bs}': dict(v, bs=4 * a.bs) for k, v in (('float32', {}), ('bf16', dict(amp='bf16')),
                                                                   ('bf16_channels_last', dict(amp='bf16', channels_last=True)))})
if not cuda: modes.pop('fp16')
for name, kw in modes.items():
    r = dict()
    kw = dict(kw); bs = kw.pop('bs', a.bs); tf32 = kw.pop('tf32', True)
    if cuda: torch.backends.cudnn.allow_tf32 = tf32   # torch's default: TF32 convolutions on Ampere and later
    try:
        dls = spade_dls(chips, bs=bs, size=a.size, valid_pct=0.02, seed=0, augment=False)
        learn = spade_learner(dls, ngf=a.ngf, ndf=a.ngf, vgg_weights='random', seed=0, **kw)
        tm = Timer(); learn.add_cb(tm)
        if cuda: torch.cuda.reset_peak_memory_stats()
        with learn.no_bar(), learn.no_logging(): learn.fit(1)
        t = tm.times[tm.skip:]
        r.update(its=len(t) / sum(t), ms_per_iter=1000 * sum(t) / len(t), n_timed=len(t),
                 peak_mem_gb=torch.cuda.max_memory_allocated() / 2**30 if cuda else None,
                 losses_finite=bool(torch.isfinite(torch.tensor([float(v) for v in learn.recorder.losses])).all()),
                 last_loss=float(learn.recorder.losses[-1]))
        mp = [c for c in learn.cbs if type(c).__name__ == 'SpadeMixedPrecision']
        if mp and getattr(mp[0], 'fp16', False):
            r['grad_scales'] = {('G' if g else 'D'): float(s.get_scale()) for g, s in mp[0].scalers.items()}
        if kw.get('channels_last'):
            w = next(m.weight for m in learn.model.generator.modules() if isinstance(m, torch.nn.Conv2d) and m.weight.dim() == 4)
            r['weights_channels_last'] = bool(w.is_contiguous(memory_format=torch.channels_last))
        del learn, dls
        if cuda: torch.cuda.empty_cache()
    except Exception as e:
        r['error'] = ''.join(traceback.format_exception_only(type(e), e)).strip()[-1500:]
        traceback.print_exc()
    res['modes'][name] = r
    print(name, json.dumps(r), flush=True)
base = res['modes'].get('float32', {}).get('its')
if base:
    for r in res['modes'].values():
        if r.get('its'): r['speedup_vs_float32'] = round(r['its'] / base, 3)
Path(a.out).write_text(json.dumps(res, indent=1))
print(json.dumps(res, indent=1))
