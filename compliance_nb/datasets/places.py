"""The places a sample Tweet can carry: names, countries, centroids and stable place IDs."""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["PLACES", "PLACE_IDS", "PLACE_MICRODEG"]

# name, country code, latitude, longitude of the place centroids
PLACES = (
    ("New York, NY", "US", 40.7128, -74.0060),
    ("Los Angeles, CA", "US", 34.0522, -118.2437),
    ("Chicago, IL", "US", 41.8781, -87.6298),
    ("London, England", "GB", 51.5072, -0.1276),
    ("Manchester, England", "GB", 53.4808, -2.2426),
    ("Paris, France", "FR", 48.8566, 2.3522),
    ("Berlin, Germany", "DE", 52.5200, 13.4050),
    ("Madrid, Spain", "ES", 40.4168, -3.7038),
    ("Mexico City, Mexico", "MX", 19.4326, -99.1332),
    ("São Paulo, Brazil", "BR", -23.5505, -46.6333),
    ("Buenos Aires, Argentina", "AR", -34.6037, -58.3816),
    ("Tokyo, Japan", "JP", 35.6762, 139.6503),
    ("Lagos, Nigeria", "NG", 6.5244, 3.3792),
    ("Sydney, New South Wales", "AU", -33.8688, 151.2093),
    ("Toronto, Ontario", "CA", 43.6532, -79.3832),
    ("Mumbai, India", "IN", 19.0760, 72.8777),
)


def _place_id(name: str) -> str:
    """A stable 16-hex-digit place ID, like the API's (``"01a9a39529b27f36"``)."""
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:16]


PLACE_IDS = tuple(_place_id(p[0]) for p in PLACES)
PLACE_MICRODEG = np.array([[round(p[2] * 1e6), round(p[3] * 1e6)] for p in PLACES], np.int64)
