"""Word error rate of speech-to-text on recordings of real people (not synthetic speech).

The recordings come from the ``pocketsphinx`` source distribution on PyPI (``test/data``): five
LibriVox readings of *Sense and Sensibility* (public domain; one adult female reader) and five
CMU "cards" utterances (BSD-2-Clause, CMU), each with its reference transcript. Five of them are
kept in ``tests/voice/data/real/`` (FLAC, see the README there); the rest are read from an unpacked
sdist when given:

    python bench/bench_voice_real.py                          # the kept fixtures
    pip download pocketsphinx==5.1.1 --no-binary :all: --no-deps   # then unpack it, and:
    python bench/bench_voice_real.py --sdist /path/to/pocketsphinx-5.1.1

Prints one line per clip and model, then the corpus WER per model (``name: value`` lines).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.voice import get_stt
from simulator.voice.wer import corpus_wer, word_error_rate

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "voice" / "data" / "real"


def fixture_clips() -> list[tuple[str, Path, str]]:
    """(name, audio path, reference) for the kept fixtures (``transcripts.tsv``)."""
    rows = (FIXTURES / "transcripts.tsv").read_text().splitlines()
    return [(n, FIXTURES / n, ref) for n, ref in (r.split("\t", 1) for r in rows if r and not r.startswith("#"))]


def sdist_clips(root: Path) -> list[tuple[str, Path, str]]:
    data = root / "test" / "data"
    clips = [(p.stem, p, p.with_suffix(".txt").read_text().strip()) for p in sorted((data / "librivox").glob("*.wav"))]
    for line in (data / "cards" / "cards.transcription").read_text().splitlines():
        m = re.match(r"<s>(.*)</s>\s*\((\w+)\)", line.strip())
        if m:
            clips.append((f"cards-{m.group(2)}", data / "cards" / f"{m.group(2)}.wav", m.group(1).strip()))
    return clips


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdist", type=Path, help="an unpacked pocketsphinx sdist (all ten clips)")
    parser.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    args = parser.parse_args()
    clips = sdist_clips(args.sdist) if args.sdist else fixture_clips()
    for model in args.models:
        stt = get_stt(model)  # type: ignore[arg-type]
        pairs = []
        for name, path, ref in clips:
            heard = stt.transcribe(path)
            pairs.append((ref, heard.text))
            print(f"{model}.{name}: wer={word_error_rate(ref, heard.text):.3f} elapsed={heard.elapsed:.2f} "
                  f"heard={heard.text!r}", flush=True)
        print(f"{model}.clips: {len(pairs)}")
        print(f"{model}.corpus_wer: {corpus_wer(pairs):.3f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
