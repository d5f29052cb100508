"""Memory check for spade_prep (issue 3): peak RSS and wall time of prep_rasters on a 10000x10000 label raster
with a matching 3-band uint8 image (tiled, deflate-compressed GeoTIFFs), and on the same labels at half the
resolution on a shifted grid (so the WarpedVRT path runs).

  .venv/bin/python bench/prep_memory.py [WORKDIR]     (about 20 s; writes ~200 MB of GeoTIFFs to WORKDIR or a temp dir)

Rasters are written window by window in a child process; each prep run happens in its own fresh child process,
which reports resource.getrusage(RUSAGE_SELF).ru_maxrss (peak RSS) before and after the run.
"""
import sys, os, time, json, resource, subprocess, tempfile
from pathlib import Path

N, BLOCK = 10000, 512
PY = sys.executable

MAKE = r'''
import numpy as np, rasterio, sys
from rasterio.transform import from_origin
from rasterio.windows import Window
d, N, B = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
prof = dict(driver='GTiff', tiled=True, blockxsize=B, blockysize=B, compress='deflate', crs='EPSG:5070')
r, c = np.mgrid[:B, :B]
with rasterio.open(f'{d}/image.tif', 'w', width=N, height=N, count=3, dtype='uint8', transform=from_origin(1600000, 1900000, 1, 1), **prof) as im, \
     rasterio.open(f'{d}/labels.tif', 'w', width=N, height=N, count=1, dtype='uint8', nodata=0, transform=from_origin(1600000, 1900000, 1, 1), **prof) as lb, \
     rasterio.open(f'{d}/labels_2m.tif', 'w', width=N // 2, height=N // 2, count=1, dtype='uint8', nodata=0, transform=from_origin(1600000 + 3, 1900000 - 3, 2, 2), **prof) as l2:
    for y in range(0, N, B):
        for x in range(0, N, B):
            h, w = min(B, N - y), min(B, N - x)
            cls = (1 + ((x + c[:h, :w]) // 97 + (y + r[:h, :w]) // 131) % 7).astype(np.uint8)
            lb.write(cls[None], window=Window(x, y, w, h))
            im.write(np.stack([(cls * 30 + (r[:h, :w] + k * c[:h, :w]) % 20).astype(np.uint8) for k in range(3)]), window=Window(x, y, w, h))
    for y in range(0, N // 2, B):
        for x in range(0, N // 2, B):
            h, w = min(B, N // 2 - y), min(B, N // 2 - x)
            cls = (1 + ((x + c[:h, :w]) // 50 + (y + r[:h, :w]) // 60) % 7).astype(np.uint8)
            l2.write(cls[None], window=Window(x, y, w, h))
'''

RUN = r'''
import resource, time, json, sys
from spade_fastai.prep import prep_rasters
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.time()
s = prep_rasters(sys.argv[1], sys.argv[2], sys.argv[3], chip_size=256, classes='chesapeake7', progress=False)
print(json.dumps(dict(wall_s=round(time.time() - t, 1), peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      rss_after_imports_mb=round(base / 1024, 1), chips_written=s['chips_written'],
                      skipped=s['chips_skipped'], warped=s['source']['label_warped'])))
'''

if __name__ == '__main__':
    d = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix='prep_mem_'))
    d.mkdir(parents=True, exist_ok=True)
    t = time.time()
    subprocess.run([PY, '-c', MAKE, str(d), str(N), str(BLOCK)], check=True)
    sizes = {f.name: f'{f.stat().st_size / 2**20:.1f} MiB' for f in d.glob('*.tif')}
    print(f'rasters written in {time.time() - t:.0f} s: {sizes} (uncompressed: image {3 * N * N / 2**20:.0f} MiB, '
          f'labels {N * N / 2**20:.0f} MiB)')
    for lab in ('labels.tif', 'labels_2m.tif'):
        out = d/f'chips_{Path(lab).stem}'
        r = subprocess.run([PY, '-c', RUN, str(d/'image.tif'), str(d/lab), str(out)], check=True, capture_output=True, text=True)
        print(lab, r.stdout.strip())
