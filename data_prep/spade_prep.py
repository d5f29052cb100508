#!/usr/bin/env python
"Run `spade_prep` without the console script on PATH: python data_prep/spade_prep.py --help (see README.md here)"
from spade_fastai.prep import spade_prep

if __name__ == '__main__': spade_prep()
