#!/usr/bin/env bash
# Submits the array, then the merge once every task has succeeded.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scan=$(sbatch --parsable "$here/scan.sbatch")
sbatch --dependency="afterok:${scan%%;*}" "$here/merge.sbatch"
