"""Build the whole demo portal in memory: staff, companies, contracts and events."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace

import numpy as np
from faker import Faker

from etl.demo import catalog
from etl.demo.history import EVENT_KINDS, Contract, MemberHistory, Shop, simulate_member
from etl.demo.world import (
    Company,
    Staff,
    assign_staff,
    draw_qualities,
    make_company,
    make_staff,
    pick_segments,
)

# Sizes at scale 1; the counts of paid members follow from renewals (about 600 at the end).
COMPANIES = 3000
INITIAL_MEMBERS = 560
NEW_MEMBERS_PER_YEAR = 170
HISTORY_YEARS = 3
DECLINING_SHARE = 0.15
ONBOARDING_DAYS = 28


@dataclass
class Portal:
    """The generated portal; `Contract.company` and event positions index `companies`."""

    end_date: dt.date
    history_start: dt.date
    companies: list[Company]
    shops: list[Shop]
    sales_reps: list[Staff]
    after_sales: list[Staff]
    contracts: list[Contract]
    # kind -> (company positions, local epoch seconds), sorted by time.
    events: dict[str, tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class _Plan:
    """How many companies there are and which of them pay."""

    companies: int
    initial_members: int
    new_members: int

    @property
    def payers(self) -> int:
        return self.initial_members + self.new_members


def build_portal(seed: int, scale: float, end_date: dt.date) -> Portal:
    """Generate every entity of the demo portal; the same arguments give the same portal."""
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = random.Random(f"demo:{seed}:world")
    np_rng = np.random.default_rng([seed, 1])
    plan = _plan(scale)
    history_start = _years_before(end_date, HISTORY_YEARS) + dt.timedelta(days=1)

    sales_reps, after_sales = make_staff(fake)
    segments = pick_segments(plan.companies, rng)
    shops = _make_shops(plan.companies, end_date, np_rng)
    histories = _simulate_payers(plan, shops, history_start, end_date, np_rng)
    registered = _registration_times(plan, histories, end_date, rng)

    slugs: set[str] = set()
    companies = [
        make_company(position, segments[position], registered[position], slugs, fake, rng)
        for position in range(plan.companies)
    ]

    order = sorted(range(plan.companies), key=lambda position: registered[position])
    new_position = _number_by_registration(order, companies, rng)
    ordered = [companies[old] for old in order]
    assign_staff(ordered, {new_position[old] for old in histories}, sales_reps, after_sales, rng)
    return Portal(
        end_date=end_date,
        history_start=history_start,
        companies=ordered,
        shops=[replace(shops[old], position=new_position[old]) for old in order],
        sales_reps=sales_reps,
        after_sales=after_sales,
        contracts=_collect_contracts(histories, new_position),
        events=_collect_events(histories, new_position),
    )


def _plan(scale: float) -> _Plan:
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}; use 1 for the default size.")
    companies = max(60, round(COMPANIES * scale))
    initial = max(len(catalog.SEGMENTS), round(INITIAL_MEMBERS * scale))
    new = max(4, round(NEW_MEMBERS_PER_YEAR * HISTORY_YEARS * scale))
    return _Plan(companies, initial, min(new, companies - initial))


def _make_shops(count: int, end_date: dt.date, rng: np.random.Generator) -> list[Shop]:
    """Draw each company's quality; some shops start declining in the last weeks."""
    quality, conversion = draw_qualities(count, rng)
    declining = rng.random(count) < DECLINING_SHARE
    offsets = rng.integers(10, 50, size=count)
    return [
        Shop(
            position=position,
            quality=float(quality[position]),
            conversion=float(conversion[position]),
            decline_start=(
                end_date - dt.timedelta(days=int(offsets[position]))
                if declining[position]
                else None
            ),
        )
        for position in range(count)
    ]


def _simulate_payers(
    plan: _Plan,
    shops: list[Shop],
    history_start: dt.date,
    end_date: dt.date,
    rng: np.random.Generator,
) -> dict[int, MemberHistory]:
    """Simulate the paying companies: positions below `plan.payers`, loyal ones first."""
    span = (end_date - history_start).days
    starts = [
        history_start + dt.timedelta(days=int(rng.integers(0, 365)))
        if position < plan.initial_members
        else history_start + dt.timedelta(days=int(rng.integers(0, span + 1)))
        for position in range(plan.payers)
    ]
    # Some members must be in their first weeks so that the onboarding status shows.
    recent = end_date - dt.timedelta(days=ONBOARDING_DAYS - 1)
    if not any(start >= recent for start in starts):
        starts[-1] = end_date - dt.timedelta(days=int(rng.integers(0, ONBOARDING_DAYS)))

    tier_choices = rng.choice(len(catalog.TIERS), size=plan.payers, p=catalog.TIER_WEIGHTS)
    loyal = len(catalog.SEGMENTS)
    histories = {}
    for position in range(plan.payers):
        tier = position % len(catalog.TIERS) if position < loyal else int(tier_choices[position])
        histories[position] = simulate_member(
            shops[position], starts[position], tier, position < loyal, end_date, rng
        )
    return histories


def _registration_times(
    plan: _Plan,
    histories: dict[int, MemberHistory],
    end_date: dt.date,
    rng: random.Random,
) -> list[dt.datetime]:
    """Payers registered before their first contract; others over the last eight years."""
    times = []
    for position in range(plan.companies):
        if position in histories:
            first = histories[position].contracts[0].start
            day = first - dt.timedelta(days=rng.randint(0, 700))
        else:
            day = end_date - dt.timedelta(days=int(8 * 365 * rng.random() ** 1.4))
        moment = dt.time(rng.randint(8, 21), rng.randint(0, 59), rng.randint(0, 59))
        times.append(dt.datetime.combine(day, moment))
    return times


def _number_by_registration(
    order: list[int], companies: list[Company], rng: random.Random
) -> dict[int, int]:
    """Give ids in registration order, with gaps left by deleted accounts.

    Returns each company's new position, keyed by its position in `companies`.
    """
    next_id = 10001
    for old in order:
        companies[old].company_id = next_id
        next_id += 1 if rng.random() < 0.85 else rng.randint(2, 6)
    return {old: new for new, old in enumerate(order)}


def _collect_contracts(
    histories: dict[int, MemberHistory], new_position: dict[int, int]
) -> list[Contract]:
    contracts = [
        Contract(new_position[old], c.tier, c.start, c.end, c.amount)
        for old, history in histories.items()
        for c in history.contracts
    ]
    return sorted(contracts, key=lambda c: (c.start, c.company))


def _collect_events(
    histories: dict[int, MemberHistory], new_position: dict[int, int]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    events = {}
    for kind in EVENT_KINDS:
        positions, times = [], []
        for old, history in histories.items():
            for chunk in history.events[kind]:
                positions.append(np.full(chunk.size, new_position[old], dtype=np.int64))
                times.append(chunk)
        position_array = np.concatenate(positions) if positions else np.empty(0, np.int64)
        time_array = np.concatenate(times) if times else np.empty(0, np.int64)
        order = np.lexsort((position_array, time_array))
        events[kind] = (position_array[order], time_array[order])
    return events


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
