"""`make bench`: runs every bench/bench_*.py (or the ones named: `python -m bench contacts forms`), each in its own
process so one benchmark's Django setup or environment never leaks into the next; each prints its figures."""
import os
import subprocess
import sys
from pathlib import Path

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    selected = sys.argv[1:]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(here.parent), os.environ.get("PYTHONPATH")]))}
    failed = []
    for script in sorted(here.glob("bench_*.py")):
        if selected and script.stem.removeprefix("bench_") not in selected:
            continue
        print(f"\n=== {script.stem} ===", flush=True)
        if subprocess.run([sys.executable, str(script)], cwd=here.parent, env=env).returncode:
            failed.append(script.stem)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")
