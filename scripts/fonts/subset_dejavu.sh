#!/usr/bin/env bash
# Makes assets/fonts/DejaVuSans-subset.ttf, the font the chart exporter
# (src/interop/chart) embeds so that PNG text renders the same on any machine.
#
# DejaVu Sans 2.37 (Debian's fonts-dejavu-core) cut down to Latin-1, general
# punctuation and the minus sign, without hinting: about 23 KB instead of 740 KB.
# The licence (assets/fonts/LICENSE-DejaVu.txt) allows modified copies whose
# names contain neither "Bitstream" nor "Vera"; the family stays "DejaVu Sans".
#
# Needs fonttools (`pip install fonttools`; made with fonttools 4.68.0):
#   bash scripts/fonts/subset_dejavu.sh [/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf]
set -euo pipefail
cd "$(dirname "$0")/../.."
src="${1:-/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf}"
pyftsubset "$src" \
  --unicodes="U+0020-007E,U+00A0-00FF,U+2010-2027,U+2030,U+2212" \
  --layout-features='kern' \
  --no-hinting \
  --desubroutinize \
  --output-file=assets/fonts/DejaVuSans-subset.ttf
ls -l assets/fonts/DejaVuSans-subset.ttf
