"""Contract history and portal events of one paying company, simulated day by day.

Shop traffic per day is `VIEWS_PER_DAY` x tier exposure x the company's intensity; events are
Poisson draws at fixed rates per expected view. Whether a contract is renewed depends on the
inquiries its shop brought against what an average shop of the same tier gets, plus noise.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from etl.demo import catalog

VIEWS_PER_DAY = 4.0
EVENT_RATES = {"contact_views": 0.03, "inquiries": 0.018, "messages": 0.009, "ad_clicks": 0.02}
EVENT_KINDS = tuple(EVENT_RATES)

# Monday to Sunday: B2B buyers search on working days.
WEEKDAY_FACTORS = np.array([1.15, 1.15, 1.12, 1.1, 1.05, 0.7, 0.55])
DECLINE_FLOOR = 0.35
DECLINE_DAYS = 30

# Hour-of-day weights of portal activity, local time.
HOUR_WEIGHTS = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 4, 7, 8, 8, 6, 6, 8, 8, 7, 6, 4, 3, 3, 3, 2, 1.5]
)
HOUR_SHARES = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()

UNIX_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class Contract:
    """One paid contract; `company` is the company's position in the generated list."""

    company: int
    tier: int
    start: dt.date
    end: dt.date
    amount: float


@dataclass
class MemberHistory:
    """The contracts of one company and the local epoch seconds of its events by kind."""

    contracts: list[Contract] = field(default_factory=list)
    events: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {kind: [] for kind in EVENT_KINDS}
    )


@dataclass(frozen=True)
class Shop:
    """Traffic drivers of one company's shop: quality, inquiry conversion, start of decline."""

    position: int
    quality: float
    conversion: float
    decline_start: dt.date | None


def intensity(shop: Shop, ordinals: np.ndarray) -> np.ndarray:
    """Return the shop's traffic multiplier on each day (date ordinals)."""
    weekday = WEEKDAY_FACTORS[(ordinals - 1) % 7]
    factor = shop.quality * weekday
    if shop.decline_start is not None:
        elapsed = np.clip(ordinals - shop.decline_start.toordinal(), 0, DECLINE_DAYS)
        factor = factor * (1 - (1 - DECLINE_FLOOR) * elapsed / DECLINE_DAYS)
    return factor


def simulate_member(
    shop: Shop,
    first_start: dt.date,
    first_tier: int,
    loyal: bool,
    end_date: dt.date,
    rng: np.random.Generator,
) -> MemberHistory:
    """Simulate contracts from `first_start` until the member churns or passes `end_date`.

    A loyal member always renews on time, so that small demos keep every segment and tier.
    """
    history = MemberHistory()
    start: dt.date | None = first_start
    tier = first_tier
    covered_until = first_start - dt.timedelta(days=1)

    while start is not None and start <= end_date:
        end = _add_year(start) - dt.timedelta(days=1)
        amount = _contract_amount(tier, start, first=not history.contracts, rng=rng)
        history.contracts.append(Contract(shop.position, tier, start, end, amount))

        # An early renewal overlaps the old contract; its days already have events.
        first_day = max(start, covered_until + dt.timedelta(days=1))
        last_day = min(end, end_date)
        performance = _simulate_events(shop, tier, first_day, last_day, history, rng)
        covered_until = max(covered_until, end)

        first_renewal = len(history.contracts) == 1
        start, tier = _next_contract(end, tier, performance, first_renewal, loyal, rng)
    return history


def _simulate_events(
    shop: Shop,
    tier: int,
    first_day: dt.date,
    last_day: dt.date,
    history: MemberHistory,
    rng: np.random.Generator,
) -> float:
    """Draw the events of the days covered; return inquiries against an average shop's."""
    if last_day < first_day:
        return 1.0
    ordinals = np.arange(first_day.toordinal(), last_day.toordinal() + 1)
    views = VIEWS_PER_DAY * catalog.TIERS[tier].exposure * intensity(shop, ordinals)

    inquiries = 0
    for kind, rate in EVENT_RATES.items():
        if kind == "ad_clicks" and not catalog.TIERS[tier].has_ads:
            continue
        conversion = shop.conversion if kind in ("inquiries", "messages") else 1.0
        counts = rng.poisson(views * rate * conversion)
        history.events[kind].append(_event_times(ordinals, counts, rng))
        if kind == "inquiries":
            inquiries = int(counts.sum())

    average = VIEWS_PER_DAY * catalog.TIERS[tier].exposure * EVENT_RATES["inquiries"]
    expected = average * len(ordinals)
    return (inquiries + 0.5) / (expected + 0.5)


def _event_times(ordinals: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Spread each day's events over the day by the hour weights; return local epoch seconds."""
    days = np.repeat(ordinals, counts)
    hours = rng.choice(24, size=days.size, p=HOUR_SHARES)
    seconds = rng.integers(0, 3600, size=days.size)
    return (days - UNIX_EPOCH_ORDINAL) * 86400 + hours * 3600 + seconds


def _next_contract(
    end: dt.date,
    tier: int,
    performance: float,
    first_renewal: bool,
    loyal: bool,
    rng: np.random.Generator,
) -> tuple[dt.date | None, int]:
    """Decide renewal, its timing and tier; return (start of the next contract or None, tier)."""
    if loyal:
        return end + dt.timedelta(days=1), tier

    logit = (0.55 if first_renewal else 1.2) + 1.3 * math.log(performance)
    renews = rng.random() < 1 / (1 + math.exp(-(logit + rng.normal(0, 0.7))))
    if not renews:
        if rng.random() < 0.15:
            return end + dt.timedelta(days=int(rng.integers(45, 400))), max(tier - 1, 0)
        return None, tier

    return end + dt.timedelta(days=_renewal_offset(rng)), _next_tier(tier, performance, rng)


def _renewal_offset(rng: np.random.Generator) -> int:
    """Days from a contract's last day to the next start: early, on time or in the grace period."""
    draw = rng.random()
    if draw < 0.15:
        return -int(rng.integers(0, 60))
    if draw < 0.75:
        return 1
    return int(rng.integers(2, 31))


def _next_tier(tier: int, performance: float, rng: np.random.Generator) -> int:
    draw = rng.random()
    if (performance > 1.6 and draw < 0.3) or draw < 0.03:
        return min(tier + 1, len(catalog.TIERS) - 1)
    if (performance < 0.6 and draw < 0.3) or draw > 0.97:
        return max(tier - 1, 0)
    return tier


def _contract_amount(tier: int, start: dt.date, first: bool, rng: np.random.Generator) -> float:
    """List price on `start` less a discount, rounded to 100 CNY."""
    discounts = catalog.DISCOUNTS if first else catalog.DISCOUNTS[:5]
    discount = discounts[int(rng.integers(0, len(discounts)))]
    return float(round(catalog.TIERS[tier].price_on(start) * discount / 100) * 100)


def _add_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)
