"""Speaker-order matching (testimony.speaker_order.match_names): time to match a posted order against the
hearing's witnesses at two sizes, and the ratio between them (near 10x for 10x the names means linear)."""
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from testimony.speaker_order import Candidate, match_names  # noqa: E402  (pure: no database needed)

GIVEN = ["Ana", "Anna", "Jon", "John", "Maria", "María", "Kim", "Luis", "Rosa", "Sam", "Priya", "Jamal", "Lee"]
FAMILY = ["Diaz", "Smith", "Nunez", "Park", "Lopez", "Carter", "Patel", "Kim", "Brooks", "Rivera", "Nguyen"]


def scenario(speakers: int, seed: int = 7):
    rng = random.Random(seed)
    people = [(rng.choice(GIVEN), f"{rng.choice(FAMILY)}{i % (speakers // 3 or 1)}") for i in range(speakers)]
    witnesses = [Candidate(i, g, f) for i, (g, f) in enumerate(people[::2])]
    posted = [(n, f"{g} {f}".upper() if n % 5 == 0 else f"{g} {f}") for n, (g, f) in enumerate(people, start=1)]
    rng.shuffle(posted)
    return posted, witnesses


def timed(speakers: int) -> tuple[float, int]:
    posted, witnesses = scenario(speakers)
    start = time.perf_counter()
    matches = match_names(posted, witnesses)
    return time.perf_counter() - start, sum(1 for m in matches if m.key is not None)


if __name__ == "__main__":
    small, small_matched = timed(300)
    large, large_matched = timed(3000)
    print(f"match 300 posted names vs 150 witnesses:   {small * 1000:8.1f} ms ({small_matched} matched)")
    print(f"match 3000 posted names vs 1500 witnesses: {large * 1000:8.1f} ms ({large_matched} matched)")
    print(f"ratio for 10x the names: {large / small:.1f}x")
