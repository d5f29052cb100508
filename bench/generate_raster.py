#!/usr/bin/env python
"""Whole-raster generation: megapixels per second and peak memory of `spade_fastai.raster.generate_raster`.

    python bench/generate_raster.py --height 512 --width 512 --size 256 --ngf 64 --threads 1
    python bench/generate_raster.py --height 512 --width 512 --size 256 --ngf 64 --threads 1 --amp

Writes a random blocky land-cover GeoTIFF (`--n-classes` classes, 1 m, UTM) of `--height` x `--width` px, builds a
generator with `spade_networks` (random initialisation: timing only), and times one `generate_raster` call (tiles
of `--size` px, a quarter overlap by default). Run it in a fresh process per configuration: the peak resident memory
(`ru_maxrss`) is the process's. Prints one JSON line.
"""
import argparse, json, resource, tempfile, time, warnings
from pathlib import Path

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--height', type=int, default=512)
    p.add_argument('--width', type=int, default=512)
    p.add_argument('--size', type=int, default=256, help='tile = the model size')
    p.add_argument('--ngf', type=int, default=64)
    p.add_argument('--n-classes', type=int, default=7)
    p.add_argument('--overlap', type=int, default=None)
    p.add_argument('--bs', type=int, default=4, help='tiles per forward pass')
    p.add_argument('--threads', type=int, default=1, help='torch.set_num_threads')
    p.add_argument('--amp', action='store_true', help='bf16 autocast (on a CPU only useful with AVX512-BF16/AMX)')
    p.add_argument('--channels-last', action='store_true')
    p.add_argument('--device', default=None, help="'cpu' or 'cuda' (default: cuda when available)")
    return p.parse_args(argv)

def main(argv=None):
    a = parse_args(argv)
    warnings.filterwarnings('ignore', category=FutureWarning)
    import numpy as np, torch, rasterio
    from rasterio.transform import from_origin
    torch.set_num_threads(a.threads)
    from spade_fastai.classmap import ClassMap
    from spade_fastai.models import spade_networks, count_params
    from spade_fastai.learner import SpadeGAN
    from spade_fastai.raster import generate_raster
    dev = torch.device(a.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    cm = ClassMap([dict(id=i + 1, name=f'c{i + 1}', color=[30 * i, 255 - 30 * i, 100]) for i in range(a.n_classes)], ignore_id=0)
    nets = spade_networks(cm.n_labels, a.size, ngf=a.ngf, seed=0, device=dev)
    gan = SpadeGAN(nets['G'], None, classmap=cm)
    tmp = Path(tempfile.mkdtemp())
    g = np.random.default_rng(0)
    lc = (g.integers(1, a.n_classes + 1, (a.height // 32 + 1, a.width // 32 + 1)).repeat(32, 0).repeat(32, 1)
          [:a.height, :a.width].astype(np.uint8))
    with rasterio.open(tmp/'lc.tif', 'w', driver='GTiff', width=a.width, height=a.height, count=1, dtype='uint8', nodata=0,
                       crs='EPSG:32618', transform=from_origin(350000, 4400000, 1, 1)) as f: f.write(lc[None])
    del lc
    t0, c0 = time.perf_counter(), time.process_time()
    r = generate_raster(gan, tmp/'lc.tif', tmp/'out.tif', overlap=a.overlap, bs=a.bs, amp='bf16' if a.amp else None,
                        channels_last=a.channels_last, progress=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    mp = a.height * a.width / 1e6
    res = dict(config=dict(height=a.height, width=a.width, size=a.size, ngf=a.ngf, n_classes=a.n_classes, overlap=r['overlap'],
                           bs=a.bs, threads=a.threads, amp=a.amp, channels_last=a.channels_last, device=str(dev),
                           torch=torch.__version__),
               G_params=count_params(nets['G']), tiles=r['tiles'], megapixels=mp, seconds=wall, cpu_seconds=cpu,
               mp_per_sec=mp / wall, mp_per_cpu_sec=mp / cpu, sec_per_tile=wall / r['tiles'],
               peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(res))
    return res

if __name__ == '__main__': main()
