"""spade_train under torchrun, reporting what the GPU checks need: the process group's backend, whether the networks
ran inside DistributedDataParallel and whether the generator's batch norm became SyncBatchNorm (bench/gpu_check.sh).

With one process spade_train does not build the process group (nothing to synchronise). `ONE_RANK_DDP=1` builds it
anyway (NCCL on a GPU) and makes the distributed callback treat the run as data-parallel, so that one GPU exercises
the DDP wrappers, NCCL's all-reduce and the SyncBatchNorm conversion; the data is then sharded as for 2 ranks."""
import os, sys, json, torch
import torch.distributed as dist
from spade_fastai.cli import parse_cli
if os.environ.get('ONE_RANK_DDP') == '1':
    import spade_fastai.distributed as D
    if torch.cuda.is_available():
        torch.cuda.set_device(D.local_rank()); dist.init_process_group('nccl', device_id=torch.device('cuda', D.local_rank()))
    else: dist.init_process_group('gloo')
    if os.environ.get('BUCKET_VIEW') == '1':   # DDP's gradient_as_bucket_view: grads are views of the buckets
        _ddp0 = D._ddp
        def _ddp(net, dev):
            if net is None: return None
            return D.DDP(net, device_ids=[dev.index] if dev.type == 'cuda' else None, broadcast_buffers=False, gradient_as_bucket_view=True)
        D._ddp = _ddp
    D.world_size = lambda: 2
    import spade_fastai.learner as Lm; Lm.launched_distributed = lambda: True
from spade_fastai.train import spade_train
seen = {}
import spade_fastai.distributed as D
_wrap = D.SpadeDistributed._wrap
def wrap(self):
    _wrap(self)
    G = self.learn.model.generator
    seen.update(ddp=self.learn.ddp is not None and self.learn.ddp.G is not None,
                sync_bn=sum(isinstance(m, torch.nn.SyncBatchNorm) for m in G.modules()))
D.SpadeDistributed._wrap = wrap
res = spade_train(**parse_cli(spade_train, sys.argv[1:]))
learn = res['learn']
G = learn.model.generator
info = dict(backend=dist.get_backend() if dist.is_initialized() else None, **seen,
            plain_bn=sum(type(m) is torch.nn.BatchNorm2d for m in G.modules()),
            last_loss=float(learn.recorder.losses[-1]) if learn.recorder.losses else None,
            peak_mem_gb=torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None)
print('GPU_TRAIN_INFO', json.dumps(info), flush=True)
if dist.is_initialized(): dist.destroy_process_group()
