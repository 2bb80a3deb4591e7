"""Write input_csv/locations.csv and routes.csv of the Belarus–EU 2021 scenario.

Coordinates and road distances come from shared/scenarios/belarus-2021/FACTS.md. Where FACTS
gives no road distance, the distance is the great-circle distance × 1.15 (the factor FACTS
checked against the M6, M1 and DK19). The Belarusian forest strips facing each EU border
section have no published coordinates: each is placed about 10 km on the Belarusian side of the
EU place it faces (approximate, ±10 km, which does not change any route choice here).

Run ``python scenarios/belarus-2021/build_network.py`` after editing the tables below; the CSV
files it writes are committed so that the scenario loads without running anything.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name, country, lat, lon, Flee location type, role (documentation only)
PLACES: list[tuple[str, str, float, float, str, str]] = [
    # Belarus first: Flee calls every other country "foreign"
    ("Minsk", "Belarus", 53.9002, 27.5665, "town", "arrival hub (hotels)"),
    ("Hrodna", "Belarus", 53.6758, 23.8289, "town", "staging near the PL/LT borders"),
    ("Brest", "Belarus", 52.1089, 23.7175, "town", "staging near the southern PL border"),
    ("Bruzgi", "Belarus", 53.55, 23.70, "camp", "camp by the Kuznica-Bruzgi crossing"),
    ("BY-forest-Kuznica", "Belarus", 53.52, 23.80, "forwarding_hub", "strip facing Kuznica"),
    ("BY-forest-Michalowo", "Belarus", 53.04, 23.76, "forwarding_hub",
     "strip facing Michalowo"),
    ("BY-forest-Bialowieza", "Belarus", 52.70, 24.00, "forwarding_hub",
     "strip facing Bialowieza/Czeremcha"),
    ("BY-forest-Druskininkai", "Belarus", 53.94, 24.06, "forwarding_hub",
     "strip facing Druskininkai/Lazdijai"),
    ("BY-forest-Varena", "Belarus", 54.10, 24.62, "forwarding_hub", "strip facing Varena"),
    ("BY-forest-Salcininkai", "Belarus", 54.24, 25.47, "forwarding_hub",
     "strip facing Salcininkai"),
    ("BY-forest-Medininkai", "Belarus", 54.48, 25.75, "forwarding_hub",
     "strip facing Medininkai"),
    ("BY-forest-Silene", "Belarus", 55.69, 26.88, "forwarding_hub",
     "strip facing Silene/Kraslava"),
    # Poland
    ("Kuznica", "Poland", 53.5109, 23.6495, "town", "border village (crossing point)"),
    ("Krynki", "Poland", 53.2644, 23.7730, "town", "border village"),
    ("Michalowo", "Poland", 53.0349, 23.6100, "town", "border town"),
    ("Bialowieza", "Poland", 52.7000, 23.8667, "town", "border village"),
    ("Czeremcha", "Poland", 52.5167, 23.3500, "town", "border village"),
    ("Sokolka", "Poland", 53.4072, 23.5023, "town", "town"),
    ("Hajnowka", "Poland", 52.7433, 23.5812, "town", "town"),
    ("Bialystok", "Poland", 53.1333, 23.1643, "town", "regional centre"),
    ("Warsaw", "Poland", 52.2298, 21.0118, "town", "capital"),
    # Germany
    ("Frankfurt-Oder", "Germany", 52.3471, 14.5506, "town", "border city"),
    ("Eisenhuettenstadt", "Germany", 52.15, 14.65, "camp", "reception centre (Brandenburg)"),
    ("Berlin", "Germany", 52.5244, 13.4105, "town", "capital"),
    # Lithuania
    ("Druskininkai", "Lithuania", 54.0157, 23.9870, "town", "border town"),
    ("Lazdijai", "Lithuania", 54.2333, 23.5147, "town", "border town"),
    ("Varena", "Lithuania", 54.2155, 24.5754, "town", "border district"),
    ("Salcininkai", "Lithuania", 54.3086, 25.3868, "town", "border district"),
    ("Medininkai", "Lithuania", 54.5389, 25.65, "town", "border village"),
    ("Vilnius", "Lithuania", 54.6892, 25.2798, "town", "capital"),
    ("Pabrade", "Lithuania", 54.981, 25.761, "camp", "foreigners' registration centre"),
    ("Rukla", "Lithuania", 55.0528, 24.3778, "camp", "refugee reception centre"),
    ("Kybartai", "Lithuania", 54.6386, 22.7632, "camp", "accommodation centre"),
    ("Kaunas", "Lithuania", 54.9016, 23.9091, "town", "city"),
    # Latvia
    ("Silene", "Latvia", 55.7528, 26.7851, "town", "border village"),
    ("Kraslava", "Latvia", 55.8951, 27.1680, "town", "border town"),
    ("Daugavpils", "Latvia", 55.8833, 26.5333, "town", "city (detention centre)"),
    ("Riga", "Latvia", 56.946, 24.1059, "town", "capital"),
    # Origin and transit airports (people enter here on scheduled flights)
    ("Baghdad", "Iraq", 33.341, 44.401, "forwarding_hub", "airport"),
    ("Erbil", "Iraq", 36.191, 44.009, "forwarding_hub", "airport"),
    ("Sulaymaniyah", "Iraq", 35.565, 45.433, "forwarding_hub", "airport"),
    ("Basra", "Iraq", 30.509, 47.780, "forwarding_hub", "airport"),
    ("Istanbul", "Turkey", 41.014, 28.950, "forwarding_hub", "airport"),
    ("Dubai", "UAE", 25.077, 55.309, "forwarding_hub", "airport"),
    ("Damascus", "Syria", 33.510, 36.291, "forwarding_hub", "airport"),
    ("Beirut", "Lebanon", 33.893, 35.502, "forwarding_hub", "airport"),
]

# Road distances reported in FACTS.md (km), both directions.
REPORTED = {
    ("Minsk", "Hrodna"): 272, ("Minsk", "Brest"): 350, ("Kuznica", "Bialystok"): 60,
    ("Hrodna", "BY-forest-Kuznica"): 22, ("Hrodna", "Bruzgi"): 25,
    ("Bialowieza", "Bialystok"): 62, ("Brest", "BY-forest-Bialowieza"): 70,
    ("Medininkai", "Vilnius"): 26, ("Pabrade", "Vilnius"): 50,
}

FLIGHT_SPEED = 5000  # km/day on flight links: any flight arrives the same day

ROUTES: list[tuple[str, str]] = [
    # Belarus
    ("Minsk", "Hrodna"), ("Minsk", "Brest"), ("Minsk", "BY-forest-Medininkai"),
    ("Minsk", "BY-forest-Salcininkai"), ("Minsk", "BY-forest-Silene"),
    ("Hrodna", "BY-forest-Kuznica"), ("Hrodna", "BY-forest-Michalowo"), ("Hrodna", "Bruzgi"),
    ("Hrodna", "BY-forest-Druskininkai"), ("Hrodna", "BY-forest-Varena"),
    ("Brest", "BY-forest-Bialowieza"), ("Bruzgi", "BY-forest-Kuznica"),
    # border crossings (directions into the EU are crossings in policies.yml)
    ("BY-forest-Kuznica", "Kuznica"), ("BY-forest-Kuznica", "Krynki"),
    ("Bruzgi", "Kuznica"), ("BY-forest-Michalowo", "Michalowo"),
    ("BY-forest-Bialowieza", "Bialowieza"), ("BY-forest-Bialowieza", "Czeremcha"),
    ("BY-forest-Druskininkai", "Druskininkai"), ("BY-forest-Druskininkai", "Lazdijai"),
    ("BY-forest-Varena", "Varena"), ("BY-forest-Salcininkai", "Salcininkai"),
    ("BY-forest-Medininkai", "Medininkai"), ("BY-forest-Silene", "Silene"),
    ("BY-forest-Silene", "Kraslava"),
    # Poland and on to Germany
    ("Kuznica", "Sokolka"), ("Krynki", "Sokolka"), ("Sokolka", "Bialystok"),
    ("Krynki", "Bialystok"), ("Michalowo", "Bialystok"), ("Bialowieza", "Hajnowka"),
    ("Czeremcha", "Hajnowka"), ("Hajnowka", "Bialystok"), ("Bialowieza", "Bialystok"),
    ("Kuznica", "Bialystok"), ("Bialystok", "Warsaw"), ("Warsaw", "Frankfurt-Oder"),
    ("Frankfurt-Oder", "Eisenhuettenstadt"), ("Frankfurt-Oder", "Berlin"),
    # Lithuania
    ("Druskininkai", "Lazdijai"), ("Druskininkai", "Varena"), ("Lazdijai", "Kybartai"),
    ("Varena", "Vilnius"), ("Salcininkai", "Vilnius"), ("Medininkai", "Vilnius"),
    ("Vilnius", "Pabrade"), ("Vilnius", "Kaunas"), ("Kaunas", "Rukla"),
    ("Kaunas", "Kybartai"), ("Lazdijai", "Kaunas"),
    # Latvia
    ("Silene", "Daugavpils"), ("Kraslava", "Daugavpils"), ("Daugavpils", "Riga"),
    # flights to Minsk
    ("Baghdad", "Minsk"), ("Erbil", "Minsk"), ("Sulaymaniyah", "Minsk"), ("Basra", "Minsk"),
    ("Istanbul", "Minsk"), ("Dubai", "Minsk"), ("Damascus", "Minsk"), ("Beirut", "Minsk"),
]


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance (km) between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def main() -> None:
    """Write the two CSV files."""
    coords = {p[0]: (p[2], p[3]) for p in PLACES}
    airports = {p[0] for p in PLACES if p[5] == "airport"}
    inp = HERE / "input_csv"
    inp.mkdir(exist_ok=True)
    with (inp / "locations.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["#name", "region", "country", "latitude", "longitude", "location_type",
                    "conflict_date", "population"])
        for name, country, lat, lon, kind, _role in PLACES:
            w.writerow([name, country, country, lat, lon, kind, "", 0])
    with (inp / "routes.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["#name1", "name2", "distance", "forced_redirection", "max_move_speed"])
        for a, b in ROUTES:
            km = REPORTED.get((a, b)) or REPORTED.get((b, a))
            if km is None:
                km = round(great_circle_km(coords[a], coords[b]) * 1.15)
            speed = FLIGHT_SPEED if a in airports or b in airports else ""
            w.writerow([a, b, km, 0, speed])


if __name__ == "__main__":
    main()
