#!/usr/bin/env bash
# Download, into .whl/, the wheels a machine with its own Python 3.12 + torch (and no package
# index) needs to run bench/gpu_proof.sh: nbgrader, nbclient, ipykernel, nbval and what they import
# that such an image lacks. Versions are those of the course's .venv (tested together); pure-Python
# wheels except pyzmq, tornado, rpds-py, SQLAlchemy, RapidFuzz and wcwidth (x86-64, CPython 3.12).
# Left out on purpose: jedi/parso (IPython completes without them) and debugpy (ipykernel runs
# without it). Installed there by gpu_proof.sh into /tmp/site with pip --target.
#
#   bash bench/gpu_wheels.sh            # -> .whl/*.whl, prints the total size
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] && PY=${PYTHON:-.venv/bin/python}
rm -rf .whl
"$PY" -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
  nbgrader==0.9.6 nbconvert==7.17.2 nbclient==0.11.0 nbformat==5.11.1 nbval==0.11.0 \
  jupyter_client==8.10.0 jupyter_core==5.9.1 jupyter_server==2.21.1 traitlets==5.16.1 \
  platformdirs==4.14.9 fastjsonschema==2.22.3 jsonschema==4.26.0 \
  jsonschema-specifications==2025.9.1 referencing==0.37.0 rpds-py==2026.9.1 pyzmq==27.3.0 \
  tornado==6.6.1 ipykernel==7.4.0 ipython==9.18.1 ipython_pygments_lexers==1.1.1 comm==0.2.3 \
  matplotlib-inline==0.2.2 nest-asyncio2==1.7.4 pexpect==4.9.0 ptyprocess==0.7.0 \
  prompt_toolkit==3.0.53 wcwidth==0.9.4 stack-data==0.6.3 asttokens==3.0.2 executing==2.3.0 \
  pure_eval==0.2.4 SQLAlchemy==2.1.9 alembic==1.20.1 Mako==1.4.3 bleach==6.4.0 tinycss2==1.5.1 \
  webencodings==0.6.1 defusedxml==0.7.1 mistune==3.4.0 pandocfilters==1.5.1 \
  jupyterlab_pygments==0.3.0 beautifulsoup4==4.15.0 soupsieve==4.1.3 RapidFuzz==3.14.6
echo "$(ls .whl/*.whl | wc -l) wheels, $(du -sb .whl | cut -f1) bytes in .whl/"
