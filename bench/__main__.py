"""`make bench`: runs every bench/bench_*.py in turn (each prints its own figures and ratios)."""
import runpy
import sys
from pathlib import Path

if __name__ == "__main__":
    selected = sys.argv[1:]
    scripts = sorted(Path(__file__).parent.glob("bench_*.py"))
    for script in scripts:
        if selected and script.stem.removeprefix("bench_") not in selected:
            continue
        print(f"\n=== {script.stem} ===", flush=True)
        runpy.run_path(str(script), run_name="__main__")
