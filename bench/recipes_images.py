"""Generated images of every recipe snapshot for the held-out chips, as compressed arrays (to score them elsewhere)."""
import sys, json, numpy as np, torch
from pathlib import Path
from spade_fastai.io import load_model
from spade_fastai.inference import generate
from spade_fastai.evaluate import eval_split
from spade_fastai.data import read_label
runs, chips, out, seed = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
snaps = sorted(runs.glob(f'*_s{seed}_f{sys.argv[5] if len(sys.argv) > 5 else "*"}.safetensors'))
gan, cm, meta = load_model(snaps[0])
pairs = eval_split(chips, meta, None, None)[1][:128]
masks = torch.from_numpy(np.stack([cm.encode(read_label(l)) for l, _ in pairs])).long()
res = dict(labels=np.array([str(Path(l).name) for l, _ in pairs]))
for f in snaps:
    g, _, _ = load_model(f)
    res[f.stem] = ((generate(g, masks, seed=0) + 1) * 127.5).round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()
np.savez_compressed(out/f'gen_s{seed}.npz', **res)
print(seed, len(snaps), (out/f'gen_s{seed}.npz').stat().st_size)
