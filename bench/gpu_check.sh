#!/usr/bin/env bash
# One short GPU check (issue: distributed training on real GPUs): nvidia-smi, in-process throughput per precision
# (bench/gpu_check.py), and spade_train under torchrun on 1 GPU with NCCL: float32, --amp, --amp --channels-last,
# SyncBatchNorm. Run from the repo root on a CUDA machine; OUT names the folder for the results.
set -uo pipefail
OUT=${OUT:-gpu_out}; mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD
else export PYTHONPATH=$PWD; fi
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | tee "$OUT/nvidia_smi.txt"
python3 -c "import torch, fastai; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'fastai', fastai.__version__, 'nccl', torch.cuda.nccl.version())"
timeout 300 python3 bench/gpu_check.py --out "$OUT/gpu_results.json" 2>&1 | tail -40
python3 -c "from spade_fastai.sample import make_sample; make_sample('/tmp/tr_chips', n=40, size=128, seed=0)" >/dev/null
for variant in "plain" "ddp" "ddp --amp" "ddp --amp --channels-last" "ddpbv --amp --channels-last"; do
  tag=$(echo "$variant" | tr -d ' -'); flags=${variant#plain}; flags=${flags#ddp}
  flags=${flags#bv}; ddp=0; [[ $variant == ddp* ]] && ddp=1; bv=0; [[ $variant == ddpbv* ]] && bv=1
  echo "=== torchrun 1 GPU: spade_train $variant"
  BUCKET_VIEW=$bv ONE_RANK_DDP=$ddp timeout 150 torchrun --standalone --nproc_per_node 1 bench/gpu_train_entry.py /tmp/tr_chips --size 128 \
    --bs 4 --epochs 2 --ngf 32 --ndf 32 --no-vgg --out /tmp/run_$tag $flags > "$OUT/torchrun_$tag.log" 2>&1
  echo "rc=$?"; grep -E "GPU_TRAIN_INFO|processes|amp|rror|Warning|spade_train: done" "$OUT/torchrun_$tag.log" | tail -6
done
