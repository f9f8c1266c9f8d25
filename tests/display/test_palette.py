"""One palette in which no two reasons look alike, for everyone.

Each pair of reason colours is compared as seen with normal vision and with simulated
protanopia, deuteranopia and tritanopia (Machado, Oliveira & Fernandes 2009, full
severity, applied in linear RGB), by the CIEDE2000 colour difference, worked out here.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from compliance_nb.display.palette import REASON_COLORS, reason_color
from compliance_nb.display.plots import REASON_COLORS as FROM_PLOTS
from compliance_nb.display.plots import reason_color as reason_color_from_plots

SIMULATIONS = {
    "normal": np.eye(3),
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}
# CIEDE2000 differences: about 2 is just noticeable side by side; small patches in a
# legend need far more
MIN_DIFFERENCE = {"normal": 20.0, "protanopia": 12.0, "deuteranopia": 12.0, "tritanopia": 12.0}


def _linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> tuple[float, float, float]:
    to_xyz = np.array(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
    )
    t = to_xyz @ np.clip(linear_rgb, 0, 1) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return (116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2]))


def _ciede2000(lab1, lab2) -> float:
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1 = math.degrees(math.atan2(b1, a1p)) % 360
    h2 = math.degrees(math.atan2(b2, a2p)) % 360
    dl, dc = l2 - l1, c2p - c1p
    dh = 0.0 if c1p * c2p == 0 else ((h2 - h1 + 180) % 360) - 180
    dh_big = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_bar, c_bar_p = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_bar = h1 + h2
    elif abs(h1 - h2) <= 180:
        h_bar = (h1 + h2) / 2
    else:
        h_bar = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_bar - 30))
        + 0.24 * math.cos(math.radians(2 * h_bar))
        + 0.32 * math.cos(math.radians(3 * h_bar + 6))
        - 0.20 * math.cos(math.radians(4 * h_bar - 63))
    )
    d_theta = 30 * math.exp(-(((h_bar - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(c_bar_p**7 / (c_bar_p**7 + 25**7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    s_c = 1 + 0.045 * c_bar_p
    s_h = 1 + 0.015 * c_bar_p * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    return math.sqrt(
        (dl / s_l) ** 2 + (dc / s_c) ** 2 + (dh_big / s_h) ** 2 + r_t * (dc / s_c) * (dh_big / s_h)
    )


def test_ciede2000_of_a_published_pair():
    # Sharma, Wu & Dalal (2005), table 1, pair 1
    assert _ciede2000((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485)) == pytest.approx(
        2.0425, abs=1e-4
    )


@pytest.mark.parametrize("vision", list(SIMULATIONS))
def test_no_two_reasons_look_alike(vision):
    matrix = SIMULATIONS[vision]
    seen = {name: _lab(matrix @ _linear(colour)) for name, colour in REASON_COLORS.items()}
    close = [
        (a, b, round(_ciede2000(seen[a], seen[b]), 1))
        for a, b in itertools.combinations(seen, 2)
        if _ciede2000(seen[a], seen[b]) < MIN_DIFFERENCE[vision]
    ]
    assert not close, f"reasons that look alike with {vision} vision: {close}"


def test_deleted_and_deactivated_are_not_two_oranges():
    # the report of issue 20: hue apart by more than 30 degrees, or lightness by 20
    (l1, a1, b1), (l2, a2, b2) = (
        _lab(_linear(REASON_COLORS[r])) for r in ("deleted", "deactivated")
    )
    hue = abs(
        ((math.degrees(math.atan2(b1, a1)) - math.degrees(math.atan2(b2, a2))) + 180) % 360 - 180
    )
    assert hue > 30 or abs(l1 - l2) > 20


def test_every_reason_the_rules_know_has_its_colour_and_users_share_it():
    from compliance_nb.rules.outcomes import AVAILABLE, GEO_SCRUBBED, SEVERITY, UNKNOWN

    for reason in (AVAILABLE, GEO_SCRUBBED, UNKNOWN, *SEVERITY):
        assert reason in REASON_COLORS, reason
        assert reason_color(f"user_{reason}") == REASON_COLORS[reason]
    assert reason_color("scrub_geo") == REASON_COLORS[GEO_SCRUBBED]
    # a reason X adds later: a grey, the same each time, none of the named colours
    assert reason_color("quarantined") == reason_color("quarantined")
    assert reason_color("quarantined") not in REASON_COLORS.values()


def test_the_old_import_path_gives_the_same_palette():
    assert FROM_PLOTS is REASON_COLORS
    assert reason_color_from_plots is reason_color
